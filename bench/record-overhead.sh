#!/usr/bin/env bash
# Benchmark (not a test): what tracing costs. Records the same timed fio job (4k randread, 10 s) in the
# same mode, in turn with no tracing at all and at each `vqscope record --level`: minimal (the stages'
# events only), default (and the guest's application and block layer events) and full (and the host
# scheduler: everything), ROUNDS times, and prints the IOPS of each, each level's ratio to untraced
# (targets: minimal >= 0.97, default >= 0.95), and the mean BPF run time per event of each probe program
# of the full sessions (kernel.bpf_stats_enabled), beside the floor: the probe's do-nothing programs on
# the same attach points in the same run (--probe-floor), and the ratio.
#
#   bench/record-overhead.sh [--mode kvm|lab|tcg] [--rounds N]
#
# In lab mode the probes run in L1, an emulated CPU: their per-event times there are inflated by the
# emulation; tcg mode runs the probes (sched events) on this host's real CPU.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"
mode=() rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode=(--mode "${2:?}"); shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
out=$VQSCOPE_TOP/results/bench/overhead-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
job=$VQSCOPE_TOP/workloads/xblk-randread-timed.fio
for r in $(seq "$rounds"); do
  for kind in untraced minimal default full; do
    case $kind in
      untraced) opts=(--no-trace) ;;
      full) opts=(--level full --probe-floor) ;;
      *) opts=(--level "$kind") ;;
    esac
    progress "overhead: round $r, $kind"
    "$VQSCOPE_TOP/bin/vqscope" record "${mode[@]}" "${opts[@]}" --workload "$job" -o "$out/$r-$kind" >/dev/null
  done
done
python3 "$VQSCOPE_TOP/bench/record-overhead-report.py" "$out"
