#!/usr/bin/env python3
"""Sums the L1 hist-trigger counts printed by l1-trace-post.sh in a lab console log.

    l1_hist.py LOG    prints JSON: {"kvm_exit_vcpu": N, "kvm_exit_by_reason": {...},
                                    "userspace_exit_by_reason": {...}, "ioeventfd_write": N}
kvm_exit_vcpu counts only exits of threads named "CPU n/KVM" (QEMU's vCPU threads with
-name ...,debug-threads=on), so the exits are the guest QEMU's.
"""
import json
import re
import sys

ENTRY = re.compile(r'L1-HIST (\S+): \{ (.*) \} hitcount: +(\d+)')


def parse(lines):
    out = {'kvm_exit_vcpu': 0, 'kvm_exit_by_reason': {}, 'userspace_exit_by_reason': {},
           'ioeventfd_write': 0, 'seen': False}
    for line in lines:
        if 'L1-TRACE done' in line:
            out['seen'] = True
        m = ENTRY.search(line)
        if not m:
            continue
        event, keys, count = m.group(1), m.group(2), int(m.group(3))
        fields = dict(re.findall(r'(\w+): +([^,\[]*?)\s*(?:\[\s*\d+\])?\s*(?:,|$)', keys))
        if event == 'kvm/kvm_exit':
            if re.match(r'CPU \d+/KVM', fields.get('common_pid', '')):
                out['kvm_exit_vcpu'] += count
                r = fields.get('exit_reason', '?')
                out['kvm_exit_by_reason'][r] = out['kvm_exit_by_reason'].get(r, 0) + count
        elif event == 'kvm/kvm_userspace_exit':
            r = fields.get('reason', '?')
            out['userspace_exit_by_reason'][r] = out['userspace_exit_by_reason'].get(r, 0) + count
        elif event == 'vqscope/ioeventfd_write':
            out['ioeventfd_write'] += count
    return out


if __name__ == '__main__':
    with open(sys.argv[1], errors='replace') as f:
        print(json.dumps(parse(f.read().splitlines()), sort_keys=True))
