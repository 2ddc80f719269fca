#!/usr/bin/env bash
# Benchmark (not a test): what tracing costs. Records the same timed fio job (4k randread, 10 s) twice in
# the same mode, alternately with no tracing at all and with everything on (eBPF probes, QEMU trace
# events, guest tracepoints), ROUNDS times, and prints the IOPS of each, the ratio traced/untraced, and the
# mean BPF run time per event of each probe program (kernel.bpf_stats_enabled, bpftool prog show).
#
#   bench/record-overhead.sh [--mode kvm|lab|tcg] [--rounds N]
#
# In lab mode the probes run in L1, an emulated CPU: their per-event times there are inflated by the
# emulation; tcg mode runs the probes (sched events) on this host's real CPU.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
mode=() rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode=(--mode "${2:?}"); shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
out=$VQSCOPE_TOP/results/bench/overhead-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
job=$VQSCOPE_TOP/workloads/xblk-randread-timed.fio
for r in $(seq "$rounds"); do
  for kind in untraced traced; do
    opts=()
    [ $kind = untraced ] && opts=(--no-trace)
    progress "overhead: round $r, $kind"
    "$VQSCOPE_TOP/bin/vqscope" record "${mode[@]}" "${opts[@]}" --workload "$job" -o "$out/$r-$kind" >/dev/null
  done
done
python3 - "$out" <<'PY'
import glob, json, os, re, sys
out = sys.argv[1]
iops = {'untraced': [], 'traced': []}
for d in sorted(glob.glob(os.path.join(out, '*-*'))):
    kind = d.rsplit('-', 1)[1]
    text = open(os.path.join(d, 'workload.txt')).read()
    m = re.search(r'read: IOPS=([\d.]+)(k?)', text)
    v = float(m.group(1)) * (1000 if m.group(2) else 1)
    iops[kind].append(v)
    print(f'{os.path.basename(d):<14} {v:>10.0f} IOPS')
u, t = sum(iops['untraced']) / len(iops['untraced']), sum(iops['traced']) / len(iops['traced'])
mode = json.load(open(glob.glob(os.path.join(out, '*-traced', 'meta.json'))[0]))['mode']
print(f'mode {mode}: untraced {u:.0f} IOPS, traced {t:.0f} IOPS, traced/untraced = {t / u:.3f} (target >= 0.95)')
tot_ns = tot_cnt = 0
for f in glob.glob(os.path.join(out, '*-traced', 'bpf-prog-stats.json')):
    for p in json.load(open(f)):
        if p.get('run_cnt') and p['name'].startswith(('tp_', 'raw_', 'fentry_', 'kprobe_', 'fexit_')):
            tot_ns += p['run_time_ns']; tot_cnt += p['run_cnt']
            print(f"  {p['name']:<24} {p['run_cnt']:>8} runs {p['run_time_ns'] / p['run_cnt']:>9.0f} ns/run")
if tot_cnt:
    print(f'mean BPF run time per event: {tot_ns / tot_cnt:.0f} ns over {tot_cnt} runs (target <= 150 ns)')
PY
