#!/usr/bin/env python3
"""The meta.json that bin/session-meta.py wrote for tests/unit/recorder_scripts' --ab options.

    check_ab_meta.py META_JSON

Those options: --ab on,off --ab-seed 7 --ab-blocks 3 --ab-order ABBAAB. Passes if "ioeventfd" is
"on,off" and "ab" holds the seed, the blocks, the order and the two disks as bin/SESSION-FORMAT.md
says; prints each difference and exits 1 otherwise.
"""
import json
import sys

with open(sys.argv[1]) as f:
    meta = json.load(f)
expect = {'seed': 7, 'blocks': 3, 'order': 'ABBAAB',
          'disks': [{'label': 'A', 'qemu_id': 'xblk-a', 'pci': '0000:00:04.0', 'ioeventfd': 'on'},
                    {'label': 'B', 'qemu_id': 'xblk-b', 'pci': '0000:00:05.0', 'ioeventfd': 'off'}]}
problems = []
if meta.get('ioeventfd') != 'on,off':
    problems.append(f"ioeventfd: got {meta.get('ioeventfd')!r}, expected 'on,off'")
if meta.get('ab') != expect:
    problems.append(f"ab: got {meta.get('ab')}, expected {expect}")
for p in problems:
    print('meta.json', p)
sys.exit(1 if problems else 0)
