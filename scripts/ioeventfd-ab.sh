#!/usr/bin/env bash
# `make demo`: the main job. Records xblk fio sessions with ioeventfd on and off, analyses them and
# writes a report directory with a dashboard. The manual is the --help text below.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<'EOF'
NAME
    scripts/ioeventfd-ab.sh - record, analyse and compare virtio-xblk sessions with ioeventfd on and off

SYNOPSIS
    scripts/ioeventfd-ab.sh [--workload FIO-JOB] [--mode kvm|lab|tcg] [--ioeventfd on|off|both]
                    [--iothread] [--queues N] [--duration SEC] [--repeat N] [-h|--help]

DESCRIPTION
    The main job of vqscope (`make demo` runs it after building everything). It boots a guest with the
    virtio-xblk disk once per ioeventfd setting and run (--repeat; `bin/vqscope record`: guest
    tracepoints, QEMU trace events and the eBPF host probes), runs the fio job, analyses each session with
    `analysis/vqscope-analyze` (report, per-kick figures, Perfetto trace), compares the two sessions
    (per-stage medians of ioeventfd on minus off, bootstrap 95% intervals, exits per request) and
    builds the HTML dashboard (dashboards/build.py). It ends with a short summary and where the
    files are. A lab session takes 30-60 s on two cores; kvm mode is faster.

OPTIONS
    --workload FIO-JOB   the fio job file run in the guest (default workloads/xblk-randrw.fio: 3000
                         4k random I/Os, 70% reads, 4 in flight); ${XBLK_DEV} names the disk
    --mode kvm|lab|tcg   where the guest runs (default: `lab/run --print-mode`: kvm when /dev/kvm can
                         run a guest, else the nested lab). tcg has no KVM exits to show
    --ioeventfd on|off|both
                         which sessions to record (default both; one session gives no compare)
    --iothread           serve the disk from a QEMU IOThread
    --queues N           xblk request queues (default 1)
    --duration SEC       run the job for SEC seconds (fio time_based + runtime; the job's number_ios
                         and runtime lines are dropped). Long runs make large traces: 10 s is plenty
    --repeat N           record each setting N times, alternating (off, on, off, on, ...; default 2
                         with both settings, else 1). The dashboard and compare.txt use the first
                         pair; the summary's "runs" line gives on - off of every pair and off vs off
                         of the first two off sessions: the run-to-run spread that the bootstrap
                         intervals (within one session) do not show. In the nested lab it is large
    -h, --help           this text

FILES
    results/ioeventfd-ab/<YYYYmmdd-HHMMSS>/      one run; results/ioeventfd-ab/latest points to the newest
        summary.txt                      the summary printed at the end
        session-on/, session-off/        the recorded sessions (vqscope record), record-*.log
        report-on.txt, report-off.txt    the analyzer's text report (with the per-request table)
        report-on.json, report-off.json  the same as JSON (input of the dashboard)
        kicks.txt                        the per-kick report: requests per notified kick, kick ->
                                         device begin histogram
        compare.txt, compare.json        ioeventfd off (A) vs on (B)
        session-off-N/, session-on-N/, compare-N.json, compare-off-off.json
                                         --repeat: the later runs, their compares, off vs off
        perfetto-on.json, perfetto-off.json  open in https://ui.perfetto.dev (offline: it loads the
                                         file in the browser)
        dashboard.html                   the dashboard; self-contained, open it from disk

EXAMPLES
    make demo                                        # both sessions, best mode, default job
    scripts/ioeventfd-ab.sh --mode tcg --ioeventfd on        # one quick session without KVM
    scripts/ioeventfd-ab.sh --duration 5 --queues 2 --iothread
    scripts/ioeventfd-ab.sh --workload workloads/xblk-randread-timed.fio
EOF
}

bad() { printf 'ioeventfd-ab.sh: %s (see scripts/ioeventfd-ab.sh --help)\n' "$*" >&2; exit 2; }
need() { if [ $# -lt 2 ] || [ -z "$2" ]; then bad "$1 needs a value"; fi; }

workload=$VQSCOPE_TOP/workloads/xblk-randrw.fio mode="" which=both iothread=0 queues=1 duration="" repeat=""
while [ $# -gt 0 ]; do
  case "$1" in
    --workload) need "$@"; workload=$2; shift 2 ;;
    --mode) need "$@"; mode=$2; shift 2 ;;
    --ioeventfd) need "$@"; which=$2; shift 2 ;;
    --iothread) iothread=1; shift ;;
    --queues) need "$@"; queues=$2; shift 2 ;;
    --duration) need "$@"; duration=$2; shift 2 ;;
    --repeat) need "$@"; repeat=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) bad "unknown option '$1'" ;;
  esac
done
case "$mode" in ""|kvm|lab|tcg) ;; *) bad "--mode is kvm, lab or tcg, not '$mode'" ;; esac
case "$which" in on) sides=(on) ;; off) sides=(off) ;; both) sides=(off on) ;;
  *) bad "--ioeventfd is on, off or both, not '$which'" ;; esac
[[ $queues =~ ^[1-9][0-9]*$ ]] || bad "--queues is a positive number, not '$queues'"
[ -z "$duration" ] || [[ $duration =~ ^[1-9][0-9]*$ ]] || bad "--duration is whole seconds, not '$duration'"
[ -z "$repeat" ] || [[ $repeat =~ ^([1-9]|10)$ ]] || bad "--repeat is 1..10, not '$repeat'"
[ -n "$repeat" ] || { [ ${#sides[@]} = 2 ] && repeat=2 || repeat=1; }
[ -f "$workload" ] || bad "--workload $workload: no such fio job file"
workload=$(cd "$(dirname "$workload")" && pwd)/$(basename "$workload")

analyze=$VQSCOPE_TOP/analysis/vqscope-analyze
[ -x "$analyze" ] || die "analysis/vqscope-analyze is not built (make analysis, or make demo)"
command -v python3 >/dev/null || die "python3 is needed for the dashboard (scripts/deps.sh)"
if [ -z "$mode" ]; then
  mode=$("$VQSCOPE_TOP/lab/run" --print-mode | awk '{print $1}')
  [ -n "$mode" ] || die "lab/run --print-mode gave no mode"
fi

start=$(date +%s)
out=$VQSCOPE_TOP/results/ioeventfd-ab/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
ln -sfn "$(basename "$out")" "$VQSCOPE_TOP/results/ioeventfd-ab/latest"
progress "ioeventfd-ab: mode $mode, ioeventfd ${sides[*]}, workload $(basename "$workload")${duration:+, $duration s}; results in $out"

# --duration: a copy of the job that runs for that long instead of a number of I/Os.
if [ -n "$duration" ]; then
  grep -Evi '^[[:space:]]*(number_ios|runtime|time_based)[[:space:]]*(=|$)' "$workload" \
    | sed "s/^\[global\]\$/[global]\ntime_based\nruntime=${duration}s/" > "$out/workload.fio"
  grep -q '^runtime=' "$out/workload.fio" || die "$workload has no [global] section for --duration"
  workload=$out/workload.fio
fi

record_args=(--mode "$mode" --device xblk --workload "$workload" --queues "$queues")
[ "$iothread" = 0 ] || record_args+=(--iothread)
for run in $(seq "$repeat"); do
  for side in "${sides[@]}"; do
    name=$side; [ "$run" = 1 ] || name=$side-$run   # run 1 keeps the plain names (dashboard, compare)
    t0=$(date +%s)
    progress "ioeventfd-ab: recording ioeventfd $side, run $run of $repeat (log: $out/record-$name.log)"
    if ! "$VQSCOPE_TOP/bin/vqscope" record "${record_args[@]}" --ioeventfd "$side" -o "$out/session-$name" \
         > "$out/record-$name.log" 2>&1; then
      tail -n 15 "$out/record-$name.log" >&2
      die "recording ioeventfd $side failed (see $out/record-$name.log)"
    fi
    grep -q '"status": "complete"' "$out/session-$name/meta.json" \
      || progress "ioeventfd-ab: warning: session $name is partial: $(grep -o '"why": "[^"]*"' "$out/session-$name/meta.json" || true)"
    progress "ioeventfd-ab: recorded ioeventfd $side in $(( $(date +%s) - t0 )) s"
    progress "ioeventfd-ab: analysing ioeventfd $side, run $run"
    "$analyze" report "$out/session-$name" --format json -o "$out/report-$name.json"
    if [ "$run" = 1 ]; then
      "$analyze" report "$out/session-$name" --requests -o "$out/report-$name.txt"
      "$analyze" perfetto "$out/session-$name" -o "$out/perfetto-$name.json"
    fi
  done
done

reports=() compare_args=()
for side in "${sides[@]}"; do reports+=("$out/report-$side.json"); done
if [ ${#sides[@]} = 2 ]; then
  progress "ioeventfd-ab: comparing ioeventfd off (A) with on (B)"
  # Text and JSON in parallel: each re-reads both sessions and bootstraps every stage (~10 s in the lab).
  "$analyze" compare "$out/session-off" "$out/session-on" -o "$out/compare.txt" & text_pid=$!
  "$analyze" compare "$out/session-off" "$out/session-on" --format json -o "$out/compare.json"
  wait "$text_pid" || die "vqscope-analyze compare (text) failed"
  compare_args=(--compare "$out/compare.json")
  for run in $(seq 2 "$repeat"); do
    progress "ioeventfd-ab: comparing run $run: off-$run (A) with on-$run (B)"
    "$analyze" compare "$out/session-off-$run" "$out/session-on-$run" --format json -o "$out/compare-$run.json"
  done
  if [ "$repeat" -ge 2 ]; then
    progress "ioeventfd-ab: comparing off (run 1) with off-2: the run-to-run spread"
    "$analyze" compare "$out/session-off" "$out/session-off-2" --format json -o "$out/compare-off-off.json"
  fi
fi
progress "ioeventfd-ab: building the dashboard"
python3 "$VQSCOPE_TOP/dashboards/build.py" "${reports[@]}" "${compare_args[@]}" -o "$out/dashboard.html" \
  --title "vqscope: virtio-xblk, ioeventfd ${sides[*]} ($mode mode)" --kick-report "$out/kicks.txt"
python3 "$VQSCOPE_TOP/scripts/ioeventfd_ab_summary.py" "$out" "$repeat" "${sides[@]}" > "$out/summary.txt"

progress "ioeventfd-ab: done in $(( $(date +%s) - start )) s"
cat <<EOF
Results in $out (also results/ioeventfd-ab/latest):
  dashboard.html    the dashboard (open in a browser; no network needed)
  summary.txt       this summary;  report-*.txt / report-*.json: the analyzer's reports
  kicks.txt         per-kick report;  compare.txt / compare.json: off (A) vs on (B) (run 1)
  perfetto-*.json   load in ui.perfetto.dev;  session-*/: the recorded sessions
EOF
echo
cat "$out/summary.txt"
