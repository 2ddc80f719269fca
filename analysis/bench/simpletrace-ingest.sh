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
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
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
  python3 "$here/make-simpletrace-file.py" "$fixtures/demo.trace" "$1" "$2"
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
  result=$(python3 "$here/measure.py" "$runs" "$@")
  read -r seconds wall rss <<< "$result"
  printf 'bench: %-36s CPU %7.3f s  wall %7.3f s  peak RSS %7d KiB\n' "$label" "$seconds" "$wall" "$rss"
}

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
measure "simpletrace.py, counting Analyzer2" python3 "$here/simpletrace-count.py" "$(dirname "$simpletrace_py")" \
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
