#!/usr/bin/env bash
# Benchmark (not a test): reads one >= 100 MB simpletrace file with vqscope-tracedump and with QEMU's
# own scripts/simpletrace.py, prints both times, their ratio and our peak RSS.
#
#   analysis/bench/simpletrace-ingest.sh [SIZE_MB]      (default 100)
#
# The file is built from the real records of tests/fixtures/analysis/demo.trace (a virtio-demo guest
# run): header and mapping records once, then the event records repeated, timestamps shifted by the
# span of the original per copy so the file stays in (nearly) timestamp order. Both readers get the
# fixture's trace-events. Needs QEMU's source in $VQSCOPE_CACHE/qemu/src (for simpletrace.py).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${VQSCOPE_CACHE:-$top/.cache}
size_mb=${1:-100}
fixtures=$top/tests/fixtures/analysis
simpletrace_py=$cache/qemu/src/scripts/simpletrace.py
dump=$top/analysis/vqscope-tracedump
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -f "$simpletrace_py" ] || { echo "bench: $simpletrace_py not found (run make qemu)" >&2; exit 1; }
make -s -C "$top/analysis" vqscope-tracedump >/dev/null

python3 - "$fixtures/demo.trace" "$work/big.trace" "$size_mb" <<'PY'
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
PY
bytes=$(stat -c %s "$work/big.trace")
echo "bench: $work/big.trace: $((bytes / 1024 / 1024)) MiB"

seconds=0
measure() {  # measure LABEL COMMAND... -> prints time and peak RSS (KiB), sets $seconds
  local label=$1 rss; shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" > /dev/null
  read -r seconds rss < "$work/time"
  printf 'bench: %-34s %8.2f s  peak RSS %7d KiB\n' "$label" "$seconds" "$rss"
}

measure "vqscope-tracedump (file order)" "$dump" simple "$work/big.trace" --events "$fixtures/trace-events"
ours=$seconds
measure "vqscope-tracedump --sorted" "$dump" simple "$work/big.trace" --events "$fixtures/trace-events" --sorted
sorted=$seconds
measure "QEMU scripts/simpletrace.py" python3 "$simpletrace_py" "$fixtures/trace-events" "$work/big.trace"
theirs=$seconds
events=$("$dump" simple "$work/big.trace" --events "$fixtures/trace-events" | tail -n 1 | sed 's/.* events=\([0-9]*\).*/\1/')
echo "bench: $events events; simpletrace.py / vqscope-tracedump = $(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.1f", a / b }')x" \
     "(sorted: $(awk -v a="$theirs" -v b="$sorted" 'BEGIN { printf "%.1f", a / b }')x)"
