#!/usr/bin/env python3
"""The blocks stamped by the guest of tests/lib/xblk_session.sh, found in the read-write disk's backing file.

    check_xblk_stamped_blocks.py IMAGE BLOCK...

Passes if each 4096-byte BLOCK of IMAGE holds "vqscope-block-%08d" % BLOCK followed by zeros; prints the
first block that does not and exits 1.
"""
import sys
path, blocks = sys.argv[1], [int(b) for b in sys.argv[2:]]
with open(path, 'rb') as f:
    for b in blocks:
        f.seek(b * 4096)
        data = f.read(4096)
        want = b'vqscope-block-%08d' % b
        if not data.startswith(want) or data[len(want):] != bytes(4096 - len(want)):
            print(f'block {b} at offset {b * 4096}: {data[:32]!r}, expected {want!r} + zero padding')
            sys.exit(1)
print(f'{len(blocks)} stamped blocks found at block * 4096 in {path}')
