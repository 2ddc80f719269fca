#!/bin/sh
# Runs in the nested lab's L1 (lab/run --l1-post) after the guest's QEMU exited: prints the hist
# triggers armed by l1-trace-pre.sh, each line prefixed "L1-HIST <event>:" for tests/lib/l1_hist.py.
T=/sys/kernel/tracing
for e in kvm/kvm_exit kvm/kvm_userspace_exit vqscope/ioeventfd_write; do
  grep -v '^#' $T/events/$e/hist | grep -v '^$' | sed "s|^|L1-HIST $e: |"
done
echo "L1-TRACE done"
