#!/bin/bash
# host-record.sh start|stop SESSION-DIR [options]
#
# The host side of `vqscope record`: the eBPF probes, the LTTng session, the clock pairs and the KVM
# TSC offset, around one guest's QEMU. Runs on the KVM host: this machine (kvm, tcg), or in lab mode
# the nested lab's L1, where `vqscope record --mode lab` runs the kvm recorder (lab/run --mode l1; L1
# sees the host root, and so this tree, at the same paths).
#   start   before the guest's QEMU starts: clears what an earlier attempt left in SESSION-DIR (lab/run
#           reruns a nested-lab flake from scratch, L1's boot included), creates the scratch disk,
#           starts LTTng, the clock pairs, the TSC-offset poller, the probes and the hook. Exit 1 if
#           LTTng or the hook failed.
#   stop    after the guest's QEMU exited (or was killed): stops them all in the reverse order.
# Options (pass the same ones to start and stop; each takes what it needs):
#   --pid-file FILE        start: the file that will hold the guest QEMU's pid (probes, TSC poller,
#                          hook)
#   --mode kvm|lab|tcg     tcg: no KVM, so no TSC offset to read (default kvm)
#   --disk PATH            recreate PATH as an empty 256 MiB scratch disk
#   --trace-backend simple|ust   ust: record QEMU's events with an LTTng session (default simple)
#   --no-trace             no QEMU tracing at all (no LTTng session)
#   --probe BIN            run the eBPF probe loader BIN (probes/vqscope-probe); none without it
#   --probe-events LIST    the probe's --events (its events and groups; default all)
#   --probe-floor          the probe also attaches its do-nothing programs (--floor: the benchmark's floor)
#   --clock-pair BIN       the (TSC, CLOCK_MONOTONIC) pair printer (default guest-driver/out/clock-pair)
#   --hook SCRIPT          `SCRIPT start DIR PIDFILE` last in start, `SCRIPT stop DIR` first in stop
#   --sources-qmp SOCKET   start: bin/source-switch.py, which switches the probes and QEMU's trace events
#                          block by block as the guest asks (vqscope record --sources; QEMU's QMP at
#                          SOCKET); its output in source-switch.log, its switches in sources.log
#   --pin N                start: once QEMU runs its N vCPU threads (QEMU's "CPU k/KVM", "CPU k/TCG" or,
#                          round-robin TCG, "ALL CPUs/TCG"), pin each to a host CPU of its own, from
#                          the last one down, and QEMU's other threads to the CPUs left; pin.txt says
#                          what was pinned where, or why nothing was (needs more than N host CPUs)
# Writes into SESSION-DIR: host-probe.vqp, probe-report.json, probe.log, bpf-prog-stats.json,
# qemu-ctf/, lttng.log, host-clock.txt, tsc-offset.txt, pin.txt, sources.log; .probe.pid, .tsc.pid, .pin.pid
# and .switch.pid between start and stop.
set -u
TOP=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)

usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
fail() { echo "host-record: $*" >&2; exit 2; }

action=${1:-} out=${2:-}
case "$action" in
  start|stop) ;;
  -h|--help|help) usage; exit 0 ;;
  *) fail "start or stop, not '$action'" ;;
esac
[ -d "$out" ] || fail "$action: no session directory '$out'"
shift 2
pid_file="" mode=kvm disk="" backend=simple trace=1 probe_bin="" clock_pair=$TOP/guest-driver/out/clock-pair hook=""
pin=0 sources_qmp=""
probe_floor=() probe_events=all
while [ $# -gt 0 ]; do
  [ "$1" = --no-trace ] || [ "$1" = --probe-floor ] || [ $# -ge 2 ] || fail "option $1 needs a value"
  case "$1" in
    --pid-file) pid_file=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --disk) disk=$2; shift 2 ;;
    --trace-backend) backend=$2; shift 2 ;;
    --no-trace) trace=0; shift ;;
    --probe) probe_bin=$2; shift 2 ;;
    --probe-floor) probe_floor=(--floor); shift ;;
    --probe-events) probe_events=$2; shift 2 ;;
    --clock-pair) clock_pair=$2; shift 2 ;;
    --hook) hook=$2; shift 2 ;;
    --pin) pin=$2; shift 2 ;;
    --sources-qmp) sources_qmp=$2; shift 2 ;;
    *) fail "unknown option '$1'" ;;
  esac
done
case "$mode" in kvm|lab|tcg) ;; *) fail "--mode must be kvm, lab or tcg, not '$mode'" ;; esac
case "$backend" in simple|ust) ;; *) fail "--trace-backend must be simple or ust, not '$backend'" ;; esac
[ "$action" = stop ] || [ -n "$pid_file" ] || fail "start needs --pid-file"
[[ $pin =~ ^[0-9]$ ]] || fail "--pin must be the number of vCPU threads (0..9), not '$pin'"
cd "$out" || exit 2
out=$PWD
lttng_on=0; [ "$backend" = ust ] && [ "$trace" = 1 ] && lttng_on=1

# The guest's TSC offset from KVM's debugfs, polled while its QEMU runs (the VM's directory goes with
# it; the last value read stands). A read while KVM tears the VM down can come back empty (seen in the
# lab: tsc-offset.txt said "tsc_offset " and the analyzer fell back to the causal alignment): only a
# complete reading replaces the last one.
read_integer() {  # read_integer FILE: prints FILE's content if it is a (signed) integer, else fails
  local value
  value=$(cat "$1" 2>/dev/null) || return 1
  [[ $value =~ ^-?[0-9]+$ ]] || return 1
  echo "$value"
}
# vcpu_offsets VMDIR: "vcpu_tsc_offset K N" for every vCPU K of the VM; fails if one cannot be read
vcpu_offsets() {
  local v offset
  for v in "$1"/vcpu*; do
    offset=$(read_integer "$v/tsc-offset") || return 1
    echo "vcpu_tsc_offset ${v##*/vcpu} $offset"
  done
}
poll_tsc_offset() {  # poll_tsc_offset PIDFILE
  local p vm d offset ratio bits vcpus
  while :; do
    p=$(cat "$1" 2>/dev/null)
    if [ -n "$p" ]; then
      kill -0 "$p" 2>/dev/null || break
      for vm in /sys/kernel/debug/kvm/"$p"-*; do
        d=$vm/vcpu0
        offset=$(read_integer "$d/tsc-offset") || continue
        # (no scaling files without TSC scaling)
        ratio="" bits=""
        if [ -e "$d/tsc-scaling-ratio" ]; then ratio=$(read_integer "$d/tsc-scaling-ratio") || continue; fi
        if [ -e "$d/tsc-scaling-ratio-frac-bits" ]; then
          bits=$(read_integer "$d/tsc-scaling-ratio-frac-bits") || continue
        fi
        # KVM keeps one per vCPU: all of them, for the analyzer's per-vCPU check
        vcpus=$(vcpu_offsets "$vm") || continue
        { echo "tsc_offset $offset"
          [ -z "$ratio" ] || echo "tsc_scaling_ratio $ratio"
          [ -z "$bits" ] || echo "tsc_scaling_frac_bits $bits"
          echo "$vcpus"
        } > tsc-offset.tmp && mv tsc-offset.tmp tsc-offset.txt
      done
    fi
    sleep 1
  done
}

# pin_vcpus PIDFILE N: waits (up to 60 s) for QEMU's N vCPU threads, pins vCPU thread k to host CPU
# last-k and every other thread of QEMU to the CPUs below (threads QEMU starts later, e.g. its I/O
# workers, inherit their creator's CPUs). Writes pin.txt. QEMU creates its vCPU threads while it builds
# the machine, and this looks every 0.1 s: they are pinned while the guest is still booting.
pin_vcpus() {
  local p="" n=$2 cpus t comm vcpus=() k=0
  for _ in $(seq 600); do
    p=$(cat "$1" 2>/dev/null)
    if [ -n "$p" ]; then
      kill -0 "$p" 2>/dev/null || { echo "not pinned: QEMU (pid $p) exited first"; return 0; }
      # (no process substitution: inside the lab's L1 the chroot's /dev has no /dev/fd)
      vcpus=()
      for t in /proc/"$p"/task/*/comm; do
        read -r comm < "$t" 2>/dev/null || continue
        [[ $comm =~ ^(CPU\ [0-9]+|ALL\ CPUs)/ ]] && vcpus+=("$t")
      done
      [ "${#vcpus[@]}" -ge "$n" ] && break
    fi
    sleep 0.1
  done
  [ "${#vcpus[@]}" -ge "$n" ] || { echo "not pinned: QEMU did not run $n vCPU threads within 60 s"; return 0; }
  cpus=$(nproc)
  [ "$cpus" -gt "$n" ] || { echo "not pinned: $cpus host CPUs for $n vCPU threads and QEMU's others"; return 0; }
  taskset -a -p -c "0-$((cpus - n - 1))" "$p" > /dev/null || { echo "not pinned: taskset failed"; return 0; }
  echo "qemu $p cpus 0-$((cpus - n - 1))"
  for t in "${vcpus[@]}"; do
    t=${t%/comm}
    taskset -p -c $((cpus - 1 - k)) "${t##*/}" > /dev/null || { echo "not pinned: taskset failed"; return 0; }
    echo "vcpu ${t##*/} $(tr ' ' _ < "$t/comm") cpu $((cpus - 1 - k))"
    k=$((k + 1))
  done
}

start() {
  # lab/run reruns a nested-lab flake from scratch: what a failed attempt left must not mix in
  rm -rf qemu-ctf qemu.simpletrace host-probe.vqp probe-report.json probe.log bpf-prog-stats.json \
    lttng.log guest.trace workload.txt host-clock.txt tsc-offset.txt pin.txt sources.log source-switch.log \
    .sources-request .sources-ack
  [ -n "$disk" ] && rm -f "$disk" && truncate -s 256M "$disk"
  if [ "$lttng_on" = 1 ]; then
    export HOME=${HOME:-/tmp/home}; mkdir -p "$HOME"
    pgrep -x lttng-sessiond >/dev/null || lttng-sessiond --daemonize --no-kernel > lttng.log 2>&1
    if ! { lttng create vqscope-rec --output="$out/qemu-ctf" >> lttng.log 2>&1 &&
           lttng enable-event -u "$(sed 's/^/qemu:/' qemu-events.list | paste -sd, -)" >> lttng.log 2>&1 &&
           lttng add-context -u -t vpid -t vtid >> lttng.log 2>&1 &&
           lttng start >> lttng.log 2>&1; }; then
      echo "LTTng session failed: $(tail -3 lttng.log)"; exit 1
    fi
  fi
  # The host's (TSC, CLOCK_MONOTONIC) pairs and, under KVM, the guest's TSC offset: with the guest's
  # pairs they predict the clock offset that the analyzer cross-checks against its interval.
  [ -x "$clock_pair" ] && "$clock_pair" start > host-clock.txt 2>&1
  if [ "$mode" != tcg ]; then
    [ -d /sys/kernel/debug/kvm ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
    # outlives this script (it returns before the guest's QEMU starts), as the probe does
    ( trap '' HUP; poll_tsc_offset "$pid_file" ) > /dev/null 2>&1 &
    echo $! > .tsc.pid
  fi
  if [ "$pin" -gt 0 ]; then
    ( trap '' HUP; pin_vcpus "$pid_file" "$pin" > pin.txt 2>&1 ) < /dev/null > /dev/null 2>&1 &
    echo $! > .pin.pid
  fi
  if [ -n "$probe_bin" ]; then
    # per-program run time and count, written by the probe itself when it stops (its programs are
    # gone once it exited, which happens before this script's stop runs)
    sysctl -q -w kernel.bpf_stats_enabled=1 2>/dev/null || echo 1 > /proc/sys/kernel/bpf_stats_enabled
    nohup "$probe_bin" --pid-file "$pid_file" --wait --output "$out/host-probe.vqp" "${probe_floor[@]}" \
      --events "$probe_events" \
      --report "$out/probe-report.json" --prog-stats "$out/bpf-prog-stats.json" > "$out/probe.log" 2>&1 &
    echo $! > "$out/.probe.pid"
  fi
  if [ -n "$sources_qmp" ]; then
    nohup python3 "$TOP/bin/source-switch.py" "$out" --qmp "$sources_qmp" --pid-file "$pid_file" \
      > "$out/source-switch.log" 2>&1 < /dev/null &
    echo $! > .switch.pid
  fi
  if [ -n "$hook" ]; then
    "$hook" start "$out" "$pid_file" || { echo "host hook $hook start failed"; exit 1; }
  fi
  exit 0
}

stop() {
  local p
  [ -n "$hook" ] && { "$hook" stop "$out" || echo "host hook $hook stop exited $?"; }
  if [ -f .switch.pid ]; then kill "$(cat .switch.pid)" 2>/dev/null; rm -f .switch.pid .sources-ack.tmp; fi
  [ -x "$clock_pair" ] && "$clock_pair" end >> host-clock.txt 2>&1
  if [ -f .tsc.pid ]; then kill "$(cat .tsc.pid)" 2>/dev/null; rm -f .tsc.pid tsc-offset.tmp; fi
  if [ -f .pin.pid ]; then
    kill "$(cat .pin.pid)" 2>/dev/null && echo "not pinned: QEMU exited before its vCPU threads were seen" >> pin.txt
    rm -f .pin.pid
  fi
  if [ -f .probe.pid ]; then
    p=$(cat .probe.pid)
    kill -INT "$p" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    rm -f .probe.pid
  fi
  if [ "$lttng_on" = 1 ]; then
    export HOME=${HOME:-/tmp/home}
    lttng stop vqscope-rec >> lttng.log 2>&1; lttng destroy vqscope-rec >> lttng.log 2>&1
  fi
  exit 0
}

"$action"
