#!/usr/bin/env python3
"""Prints the result of bench/xblk-vs-virtio-blk.sh from the guest's console log.

    xblk-vs-virtio-blk-report.py CONSOLE_LOG MODE

Reads the "BENCH ROUND DEVICE IOPS" lines of bench/guest/xblk-vs-virtio-blk.sh, prints each round and the
ratio of the mean IOPS xblk/virtio-blk (MODE only labels it); exits non-zero unless each device has 2 rounds.
"""
import sys
rows = [l.split() for l in open(sys.argv[1], errors='replace') if l.startswith('BENCH ')]
xb = [float(r[3]) for r in rows if 'xblk' in r[2]]
vb = [float(r[3]) for r in rows if '/dev/vd' in r[2]]
if len(xb) != 2 or len(vb) != 2:
    sys.exit(f'bench: expected 2 rounds per device, got {rows}')
for r in rows:
    print(f'round {r[1]}  {r[2]:<12} {float(r[3]):>10.0f} IOPS')
ratio = (sum(xb) / 2) / (sum(vb) / 2)
print(f'mode {sys.argv[2]}: xblk {sum(xb)/2:.0f} IOPS, virtio-blk {sum(vb)/2:.0f} IOPS, ratio xblk/virtio-blk = {ratio:.2f} (target >= 0.8)')
