#!/usr/bin/env bash
# Benchmark (not a test): what each trace source costs, measured inside one boot. For each level, one
# `vqscope record --sources ROUNDS --pin` session: the timed fio job (4k randread) in ROUNDS rounds of
# five blocks of SECONDS each, each round's blocks in a seeded order, each block with one set of sources
# on (U none, P the host probes, Q QEMU's trace events, G the guest's tracepoints, A all; switched at run
# time between blocks: bin/source-switch.py, bin/guest-record.sh). Boot-to-boot variation stays out of
# the ratios: every block of a session ran in the same guest, on the same host threads. Prints per set
# the blocks' IOPS, the ratio of its mean to untraced (U) with a 95 % interval (rounds resampled), and
# the probe programs' mean run time per event over the blocks that had them attached
# (bench/source-overhead-report.py). The whole record's ratio (A) is the one with a target: >= 0.95 at
# the default level, >= 0.97 at minimal.
#
#   bench/source-overhead.sh [--mode kvm|lab|tcg] [--rounds N] [--seconds S] [--levels LIST] [--seed S]
#
# Defaults: the best mode, 10 rounds, 3 s blocks, levels minimal,default,full, seed 1. About
# ROUNDS x 5 x (SECONDS + 2.5) s per level in tcg mode (10 rounds, 3 s: 5 min), plus a boot.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"
mode=() rounds=10 seconds=3 levels=minimal,default,full seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode=(--mode "${2:?}"); shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --seconds) seconds=${2:?}; shift 2 ;;
    --levels) levels=${2:?}; shift 2 ;;
    --seed) seed=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $seconds =~ ^[1-9][0-9]?$ ]] || die "--seconds must be 1..99 seconds a block, not '$seconds'"
[[ $rounds =~ ^[0-9]+$ ]] || die "--rounds must be a number, not '$rounds'"
out=$VQSCOPE_TOP/results/bench/sources-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
# the job of one set: a block is its runtime divided by the rounds (vqscope record --sources)
sed "s/^runtime=.*/runtime=$((seconds * rounds))/" "$VQSCOPE_TOP/workloads/xblk-randread-timed.fio" > "$out/job.fio"
IFS=, read -r -a level_list <<< "$levels"
for level in "${level_list[@]}"; do
  progress "source overhead: level $level, $rounds rounds of 5 blocks of ${seconds} s"
  "$VQSCOPE_TOP/bin/vqscope" record "${mode[@]}" --level "$level" --pin --sources "$rounds" --seed "$seed" \
    --workload "$out/job.fio" -o "$out/$level" >/dev/null
done
python3 "$VQSCOPE_TOP/bench/source-overhead-report.py" "${level_list[@]/#/$out/}"
