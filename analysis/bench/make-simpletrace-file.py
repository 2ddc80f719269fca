#!/usr/bin/env python3
"""Builds a large simpletrace file from a small one, for analysis/bench/simpletrace-ingest.sh.

    make-simpletrace-file.py SOURCE TARGET SIZE_MB

Writes SOURCE's header and mapping records once, then its event records repeated until TARGET holds at
least SIZE_MB MiB, each copy's timestamps shifted by the span of the original (plus 1 us) so the file
stays in (nearly) timestamp order.
"""
import struct, sys
source, target, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(source, 'rb').read()
offset, prefix_end, events = 24, None, []
while offset < len(data):
    (kind,) = struct.unpack_from('=Q', data, offset)
    if kind == 0:
        (length,) = struct.unpack_from('=I', data, offset + 16)
        offset += 20 + length
        continue
    if prefix_end is None:
        prefix_end = offset
    (length,) = struct.unpack_from('=I', data, offset + 24)
    events.append(bytearray(data[offset:offset + 8 + length]))
    offset += 8 + length
stamps = [struct.unpack_from('=Q', e, 16)[0] for e in events]
span = max(stamps) - min(stamps) + 1000
with open(target, 'wb') as out:
    out.write(data[:prefix_end])
    written, copy = prefix_end, 0
    while written < size_mb * 1024 * 1024:
        chunk = bytearray()
        for record, stamp in zip(events, stamps):
            struct.pack_into('=Q', record, 16, stamp + copy * span)
            chunk += record
        out.write(chunk)
        written += len(chunk)
        copy += 1
