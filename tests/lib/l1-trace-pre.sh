#!/bin/sh
# Runs in the nested lab's L1 (lab/run --l1-pre) before the guest's QEMU starts. Counts, in the kernel,
# with hist triggers (nothing is read from the trace buffer, which is slow in an emulated L1):
#   kvm:kvm_exit            per thread name and exit reason
#   kvm:kvm_userspace_exit  per reason (KVM_EXIT_MMIO = 6 is the notify path with ioeventfd off)
#   ioeventfd_write         a kprobe: KVM signalled an ioeventfd (the notify path with ioeventfd on)
set -e
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T
echo 'hist:keys=common_pid.execname,exit_reason:size=4096' > $T/events/kvm/kvm_exit/trigger
echo 'hist:keys=reason' > $T/events/kvm/kvm_userspace_exit/trigger
echo 'p:vqscope/ioeventfd_write ioeventfd_write' >> $T/kprobe_events
echo 'hist:keys=common_pid.execname' > $T/events/vqscope/ioeventfd_write/trigger
echo "L1-TRACE armed: kvm_exit kvm_userspace_exit ioeventfd_write"
