#!/usr/bin/env python3
"""L1's KVM counts for the nested-lab virtio-demo tests (30, 31: tests/lib/demo_lab.sh), 1,000 requests.

    check_l1_ioeventfd_counts.py L1_COUNTS_JSON on|off

L1_COUNTS_JSON: tests/lib/l1_hist.py's output; on|off: the demo device's ioeventfd. Passes if the post
hook ran and the guest QEMU's vCPU threads made >= 1000 kvm_exit; on: >= 1000 ioeventfd_write and < 1000
MMIO exits to user space; off: no ioeventfd_write and >= 1000 MMIO exits to user space. Prints each
problem, exits 1 if any.
"""
import json, sys
d = json.load(open(sys.argv[1]))
on = sys.argv[2] == 'on'
mmio = d['userspace_exit_by_reason'].get('6', 0)      # KVM_EXIT_MMIO
problems = []
if not d['seen']:
    problems.append('the L1 post hook did not run')
if d['kvm_exit_vcpu'] < 1000:
    problems.append(f"only {d['kvm_exit_vcpu']} kvm_exit events from the guest QEMU's vCPU threads")
if on:
    # every request kicks once, and KVM completes the kick in the kernel
    if d['ioeventfd_write'] < 1000:
        problems.append(f"ioeventfd=on but ioeventfd_write fired {d['ioeventfd_write']} times for 1000 requests")
    if mmio >= 1000:
        problems.append(f"ioeventfd=on but {mmio} MMIO exits went to user space")
else:
    if d['ioeventfd_write'] != 0:
        problems.append(f"ioeventfd=off but ioeventfd_write fired {d['ioeventfd_write']} times")
    if mmio < 1000:
        problems.append(f"ioeventfd=off but only {mmio} MMIO exits reached user space for 1000 kicks")
for p in problems:
    print('problem:', p)
sys.exit(1 if problems else 0)
