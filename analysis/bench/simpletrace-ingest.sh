#!/usr/bin/env bash
# Benchmark (not a test): reads one >= 100 MB simpletrace file with vqscope-tracedump and with QEMU's
# own scripts/simpletrace.py, prints both times, their ratio and our peak RSS; then our time and peak
# RSS on a BIG_MB file. Two comparisons: decode + print every event (tracedump vs simpletrace.py's
# command line), and ingest alone (tracedump --count vs simpletrace.py driving an Analyzer2 that only
# counts, so neither side pays for formatting). Targets: >= 50x, peak RSS <= 64 MiB on 1 GiB.
#
#   analysis/bench/simpletrace-ingest.sh [SIZE_MB [BIG_MB]]      (default 100 and 1024; BIG_MB 0: skip)
#
# The file is built from the real records of tests/fixtures/analysis/demo.trace (a virtio-demo guest
# run): header and mapping records once, then the event records repeated, timestamps shifted by the
# span of the original per copy so the file stays in (nearly) timestamp order. Both readers get the
# fixture's trace-events. Needs QEMU's source in $VQSCOPE_CACHE/qemu/src (for simpletrace.py).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${VQSCOPE_CACHE:-$top/.cache}
size_mb=${1:-100}
big_mb=${2:-1024}
fixtures=$top/tests/fixtures/analysis
simpletrace_py=$cache/qemu/src/scripts/simpletrace.py
dump=$top/analysis/vqscope-tracedump
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -f "$simpletrace_py" ] || { echo "bench: $simpletrace_py not found (run make qemu)" >&2; exit 1; }
make -s -C "$top/analysis" vqscope-tracedump >/dev/null

generate() {  # generate TARGET SIZE_MB
python3 - "$fixtures/demo.trace" "$1" "$2" <<'PY'
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
}
generate "$work/big.trace" "$size_mb"
cat "$work/big.trace" > /dev/null
bytes=$(stat -c %s "$work/big.trace")
echo "bench: $work/big.trace: $((bytes / 1024 / 1024)) MiB"

runs=${BENCH_RUNS:-3}
seconds=0
# measure LABEL COMMAND...: runs it BENCH_RUNS times (default 3), prints the best CPU time (user +
# sys, from getrusage: the machine is shared, and wall time then measures the neighbours), the best
# wall time and the largest peak RSS, sets $seconds to the CPU time. The input is read once first,
# so that every run, ours and QEMU's alike, reads from the page cache.
measure() {
  local label=$1 result; shift
  result=$(python3 - "$runs" "$@" <<'PY'
import os, resource, subprocess, sys, tempfile, time
runs, command = int(sys.argv[1]), sys.argv[2:]
# Peak RSS from /usr/bin/time: getrusage's ru_maxrss of a child forked from this Python would count
# Python's own pages (the high-water mark survives exec).
rss_file = tempfile.NamedTemporaryFile(delete=False).name
best_cpu = best_wall = None
peak = 0
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + command, stdout=subprocess.DEVNULL,
                   check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    best_wall = wall if best_wall is None else min(best_wall, wall)
    peak = max(peak, int(open(rss_file).read().split()[-1]))  # KiB
os.unlink(rss_file)
print(f"{best_cpu:.3f} {best_wall:.3f} {peak}")
PY
)
  read -r seconds wall rss <<< "$result"
  printf 'bench: %-36s CPU %7.3f s  wall %7.3f s  peak RSS %7d KiB\n' "$label" "$seconds" "$wall" "$rss"
}

cat > "$work/count.py" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import simpletrace

class Count(simpletrace.Analyzer2):
    """simpletrace.py's own record reading and argument unpacking, nothing printed."""
    events = 0

    def catchall(self, *rec_args, event, timestamp_ns, pid, event_id, **kwargs):
        self.events += 1

analyzer = Count()
simpletrace.process(sys.argv[2], sys.argv[3], analyzer)
print("events", analyzer.events)
PY

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / (b > 0.005 ? b : 0.005) }'; }
events_path=$fixtures/trace-events
measure "vqscope-tracedump (file order)" "$dump" simple "$work/big.trace" --events "$events_path"
ours=$seconds
measure "vqscope-tracedump --sorted" "$dump" simple "$work/big.trace" --events "$events_path" --sorted
sorted=$seconds
measure "vqscope-tracedump --count" "$dump" simple "$work/big.trace" --events "$events_path" --count
ours_count=$seconds
measure "QEMU scripts/simpletrace.py" python3 "$simpletrace_py" "$events_path" "$work/big.trace"
theirs=$seconds
measure "simpletrace.py, counting Analyzer2" python3 "$work/count.py" "$(dirname "$simpletrace_py")" \
  "$events_path" "$work/big.trace"
theirs_count=$seconds
events=$("$dump" simple "$work/big.trace" --events "$events_path" --count | sed 's/.* events=\([0-9]*\).*/\1/')
echo "bench: $events events; printing: simpletrace.py / vqscope-tracedump = $(ratio "$theirs" "$ours")x" \
     "(sorted: $(ratio "$theirs" "$sorted")x); ingest: $(ratio "$theirs_count" "$ours_count")x"

if [ "$big_mb" -gt 0 ]; then
  rm -f "$work/big.trace"
  generate "$work/huge.trace" "$big_mb"
  cat "$work/huge.trace" > /dev/null
  echo "bench: $work/huge.trace: $(($(stat -c %s "$work/huge.trace") / 1024 / 1024)) MiB"
  measure "vqscope-tracedump --count" "$dump" simple "$work/huge.trace" --events "$events_path" --count
  measure "vqscope-tracedump --sorted --count" "$dump" simple "$work/huge.trace" --events "$events_path" \
    --sorted --count
  measure "vqscope-tracedump --sorted" "$dump" simple "$work/huge.trace" --events "$events_path" --sorted
fi
