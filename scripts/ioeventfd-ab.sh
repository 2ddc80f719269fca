#!/usr/bin/env bash
# `make demo`: the main job, the ioeventfd study of virtio-xblk. Records ioeventfd off against on in one
# boot (two disks, blocks alternating), with an A/A control, at each queue depth; analyses, compares and
# builds the dashboards. The manual is the --help text below.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<'EOF'
NAME
    scripts/ioeventfd-ab.sh - what ioeventfd changes for virtio-xblk, measured off against on in one boot

SYNOPSIS
    scripts/ioeventfd-ab.sh [--workload FIO-JOB] [--mode kvm|lab|tcg] [--depths "D ..."|job]
                            [--blocks N] [--seed S] [--repeat N] [--queues N] [--smp N] [--no-control] [-h|--help]

DESCRIPTION
    The main job of vqscope (`make demo` runs it after building everything). For each queue depth it
    boots one guest with two virtio-xblk disks, A with ioeventfd=off and B with ioeventfd=on (`vqscope
    record --ab off,on`), and runs the fio job on them in alternating blocks (N per disk, AB or BA per
    pair, in an order drawn from the seed): both settings see the same boot, the same host and the same
    drift, block by block. The analyzer reads each disk as its own session (SESSION@A, SESSION@B) and
    compares them: per-stage median shifts (on - off) and the cost side (the vCPU's time in the notify
    exit, host CPU by QEMU thread class, exits and userspace exits, wakeups per request), each with a 95%
    interval that resamples the blocks, so that it covers the drift within the boot. A second boot, the
    A/A control, gives both disks ioeventfd=off (`--ab off,off`): its interval must contain 0, and a
    shift is only worth reading if it is larger than that. The summary has one sentence per depth built
    from these figures; the dashboards draw them. In lab mode each boot takes about 2-4 minutes.

OPTIONS
    --workload FIO-JOB   the fio job (default workloads/xblk-randrw.fio: 4k random I/O, 70% reads, 3000
                         I/Os per disk); ${XBLK_DEV} names the disk; its number_ios (or runtime) is split
                         into the blocks
    --mode kvm|lab|tcg   where the guest runs (default: `lab/run --print-mode`: kvm when /dev/kvm can
                         run a guest, else the nested lab). tcg has no KVM exits to show
    --depths "D ..."     queue depths, each its own pair of boots (default "1 16"); `job` keeps the job's
                         own iodepth
    --blocks N           blocks per disk (default 10, 2..100)
    --seed S             the first boot's seed for the block order (default: random, printed); boot k of
                         a depth uses S + k - 1
    --repeat N           boots per depth and setting (default 1; 1..10): the summary gives each boot's
                         shifts and all boots pooled, the interval resampling boots so that it covers
                         boot-to-boot variation (5 or more boots for a nominal 95 %: stats.h)
    --queues N           xblk request queues (default 1)
    --smp N              the guest's vCPUs (default 1; with --workload workloads/xblk-randrw-mq.fio and
                         --queues N every queue carries requests)
    --no-control         skip the A/A control boots (half the time; the summary then cannot say whether
                         a shift is larger than the noise)
    -h, --help           this text

FILES
    results/ioeventfd-ab/<YYYYmmdd-HHMMSS>/      one run; results/ioeventfd-ab/latest points to the newest
        summary.txt                      the summary printed at the end
        session-qdD/, session-qdD-aa/    the A/B and A/A boots of depth D (vqscope record --ab);
                                         -K suffixes: boot K of --repeat; record-*.log their logs
        report-qdD-off.json, -on.json    the analyzer's reports of disk A (off) and B (on); .txt: text
                                         with the per-request table (first boot)
        compare-qdD.json, .txt           on (B) - off (A), blocks resampled
        compare-qdD-aa.json              the A/A control: off (A) - off (B) of the control boot
        compare-qdD-boots.json, .txt     --repeat N: every boot of the depth pooled, boots resampled
                                         (hierarchical bootstrap); compare-qdD-aa-boots.json: controls
        kicks-qdD.txt                    the per-kick report
        perfetto-qdD-off.json, -on.json  load in https://ui.perfetto.dev (first depth)
        dashboard-qdD.html               the dashboard of depth D; dashboard.html: the first depth's

EXAMPLES
    make demo                                          # depths 1 and 16, control included
    scripts/ioeventfd-ab.sh --mode tcg --depths 1 --blocks 3 --no-control   # a quick look without KVM
    scripts/ioeventfd-ab.sh --depths job --repeat 3 --seed 42
EOF
}

bad() { printf 'ioeventfd-ab.sh: %s (see scripts/ioeventfd-ab.sh --help)\n' "$*" >&2; exit 2; }
need() { if [ $# -lt 2 ] || [ -z "$2" ]; then bad "$1 needs a value"; fi; }

workload=$VQSCOPE_TOP/workloads/xblk-randrw.fio mode="" depths="1 16" blocks=10 seed="" repeat=1 queues=1 smp=1
control=1
while [ $# -gt 0 ]; do
  case "$1" in
    --workload) need "$@"; workload=$2; shift 2 ;;
    --mode) need "$@"; mode=$2; shift 2 ;;
    --depths) need "$@"; depths=$2; shift 2 ;;
    --blocks) need "$@"; blocks=$2; shift 2 ;;
    --seed) need "$@"; seed=$2; shift 2 ;;
    --repeat) need "$@"; repeat=$2; shift 2 ;;
    --queues) need "$@"; queues=$2; shift 2 ;;
    --smp) need "$@"; smp=$2; shift 2 ;;
    --no-control) control=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) bad "unknown option '$1'" ;;
  esac
done
case "$mode" in ""|kvm|lab|tcg) ;; *) bad "--mode is kvm, lab or tcg, not '$mode'" ;; esac
[[ $depths =~ ^(job|[1-9][0-9]{0,3}( [1-9][0-9]{0,3})*)$ ]] || bad "--depths is 'job' or depths like '1 16', not '$depths'"
if ! { [[ $blocks =~ ^[1-9][0-9]{0,2}$ ]] && [ "$blocks" -ge 2 ] && [ "$blocks" -le 100 ]; }; then
  bad "--blocks is 2..100, not '$blocks'"
fi
[[ $repeat =~ ^([1-9]|10)$ ]] || bad "--repeat is 1..10, not '$repeat'"
[[ $queues =~ ^[1-9][0-9]*$ ]] || bad "--queues is a positive number, not '$queues'"
[[ $smp =~ ^[1-8]$ ]] || bad "--smp is 1..8 vCPUs, not '$smp'"
[ -z "$seed" ] || [[ $seed =~ ^[0-9]{1,8}$ ]] || bad "--seed is a number of at most 8 digits, not '$seed'"
[ -f "$workload" ] || bad "--workload $workload: no such fio job file"
workload=$(cd "$(dirname "$workload")" && pwd)/$(basename "$workload")
if [ "$depths" != job ] && ! grep -q '^iodepth=' "$workload"; then
  bad "--workload $workload has no 'iodepth=' line to set the depths in (use --depths job)"
fi
seed=${seed:-$((RANDOM * 1000 + RANDOM % 1000))}   # at most 8 digits: the recorder takes 9

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
progress "ioeventfd-ab: mode $mode, depths $depths, $blocks blocks per disk, seed $seed, $repeat boot(s) per" \
  "setting$([ $control = 1 ] && echo ", A/A control on" || echo ", no A/A control"); results in $out"

# record NAME AB SEED JOB: one A/B boot into session-NAME (log record-NAME.log)
record() {
  local name=$1 ab=$2 boot_seed=$3 job=$4 t0
  t0=$(date +%s)
  progress "ioeventfd-ab: recording $name (disks A,B ioeventfd $ab, seed $boot_seed; log $out/record-$name.log)"
  # --level full: the study compares the host CPU each setting spends per request (scheduler events)
  if ! "$VQSCOPE_TOP/bin/vqscope" record --mode "$mode" --workload "$job" --queues "$queues" --smp "$smp" --ab "$ab" --level full \
       --blocks "$blocks" --seed "$boot_seed" -o "$out/session-$name" > "$out/record-$name.log" 2>&1; then
    tail -n 15 "$out/record-$name.log" >&2
    die "recording $name failed (see $out/record-$name.log)"
  fi
  progress "ioeventfd-ab: recorded $name in $(( $(date +%s) - t0 )) s"
}

first=1 tags=()
for depth in $depths; do
  tag=qd$depth job=$workload
  if [ "$depth" = job ]; then
    tag=qd$(sed -n 's/^iodepth=\([0-9]*\).*/\1/p' "$workload" | head -n1)
    [ "$tag" != qd ] || tag=qd1   # fio's default depth
  else
    sed "s/^iodepth=.*/iodepth=$depth/" "$workload" > "$out/workload-$tag.fio"
    job=$out/workload-$tag.fio
  fi
  tags+=("$tag")
  for boot in $(seq "$repeat"); do
    name=$tag; [ "$boot" = 1 ] || name=$tag-$boot
    record "$name" off,on $((seed + boot - 1)) "$job"
    [ $control = 0 ] || record "$name-aa" off,off $((seed + boot - 1)) "$job"
    progress "ioeventfd-ab: analysing $name"
    s=$out/session-$name
    "$analyze" report "$s@A" --format json --requests -o "$out/report-$name-off.json"
    "$analyze" report "$s@B" --format json --requests -o "$out/report-$name-on.json"
    "$analyze" compare "$s@A" "$s@B" --format json -o "$out/compare-$name.json"
    [ $control = 0 ] || "$analyze" compare "$out/session-$name-aa@A" "$out/session-$name-aa@B" --format json \
      -o "$out/compare-$name-aa.json"
    if [ "$boot" = 1 ]; then
      "$analyze" compare "$s@A" "$s@B" -o "$out/compare-$name.txt"
      "$analyze" report "$s@A" --requests -o "$out/report-$name-off.txt"
      "$analyze" report "$s@B" --requests -o "$out/report-$name-on.txt"
    fi
  done
  if [ "$repeat" -gt 1 ]; then
    # every boot of the depth pooled, the interval resampling boots (hierarchical bootstrap)
    progress "ioeventfd-ab: pooling the $repeat boots of $tag"
    boots_of() {  # boots_of SUFFIX DISK: session-TAG[-K]SUFFIX@DISK of every boot, comma-separated
      local k list=$out/session-$tag$1@$2
      for k in $(seq 2 "$repeat"); do list+=",$out/session-$tag-$k$1@$2"; done
      echo "$list"
    }
    "$analyze" compare "$(boots_of "" A)" "$(boots_of "" B)" --format json -o "$out/compare-$tag-boots.json"
    "$analyze" compare "$(boots_of "" A)" "$(boots_of "" B)" -o "$out/compare-$tag-boots.txt"
    [ $control = 0 ] || "$analyze" compare "$(boots_of -aa A)" "$(boots_of -aa B)" --format json \
      -o "$out/compare-$tag-aa-boots.json"
  fi
  if [ $first = 1 ]; then
    "$analyze" perfetto "$out/session-$tag@A" -o "$out/perfetto-$tag-off.json"
    "$analyze" perfetto "$out/session-$tag@B" -o "$out/perfetto-$tag-on.json"
  fi
  progress "ioeventfd-ab: building the dashboard of $tag"
  control_args=()
  [ $control = 0 ] || control_args=(--control "$out/compare-$tag-aa.json")
  python3 "$VQSCOPE_TOP/dashboards/build.py" "$out/report-$tag-off.json" "$out/report-$tag-on.json" \
    --compare "$out/compare-$tag.json" "${control_args[@]}" -o "$out/dashboard-$tag.html" \
    --title "vqscope: virtio-xblk, ioeventfd off vs on in one boot, queue depth ${tag#qd} ($mode mode)" \
    --kick-report "$out/kicks-$tag.txt"
  [ $first = 0 ] || cp "$out/dashboard-$tag.html" "$out/dashboard.html"
  first=0
done

python3 "$VQSCOPE_TOP/scripts/ioeventfd_ab_summary.py" "$out" "$repeat" "${tags[@]}" > "$out/summary.txt"
progress "ioeventfd-ab: done in $(( $(date +%s) - start )) s"
cat <<EOF
Results in $out (also results/ioeventfd-ab/latest):
  dashboard.html     the first depth's dashboard (dashboard-qdD.html: each depth; no network needed)
  summary.txt        this summary;  report-qdD-off|on.json/.txt: the analyzer's reports of each disk
  compare-qdD.txt    on (B) - off (A), blocks resampled;  compare-qdD-aa.json: the A/A control
  kicks-qdD.txt      per-kick report;  perfetto-*.json: load in ui.perfetto.dev;  session-*/: the boots
EOF
echo
cat "$out/summary.txt"
