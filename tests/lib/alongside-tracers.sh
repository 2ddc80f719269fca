#!/usr/bin/env bash
# Host hook for `vqscope record --host-hook` (runs on the KVM host: in L1 in lab mode): records the same
# KVM host with perf and ftrace while vqscope records, and runs a second VM recorded by a second
# vqscope-probe, so that a test can check that vqscope hides nothing from the other tracers, that the
# two recordings do not disturb each other, and that all of them see the same exits
# (analysis/vqscope-exit-parity).
#
#   alongside-tracers.sh start DIR QEMU-PIDFILE   once vqscope's probes are attached (they attach when
#                                                 QEMU runs, after this hook returns: a background job
#                                                 waits for them), start `perf kvm stat record -a -k mono`
#                                                 and `trace-cmd record -b 16384 -C mono -e kvm:kvm_exit
#                                                 -e kvm:kvm_entry`; then a second VM (the same QEMU,
#                                                 firmware only: SeaBIOS finds no boot disk and retries,
#                                                 an idle VM that still exits) and a second vqscope-probe
#                                                 that records it
#   alongside-tracers.sh stop DIR                 stop them all; copy perf.data.kvm, trace.dat,
#                                                 second-vm.vqp and the logs into DIR
#
# Both write to a local scratch directory first: in lab mode DIR is a 9p share in L1 (slow, and
# trace-cmd splices its per-CPU buffers into its files).
set -uo pipefail
probe=$(cd "$(dirname "$0")/../.." && pwd)/probes/vqscope-probe
cmd=${1:?start or stop}
dir=${2:?session directory}
pidfile=${3:-}
work=/tmp/vqscope-alongside
log=$dir/alongside.log
say() { echo "alongside $(date +%T.%N | cut -c1-12): $*" >> "$log"; }

start_tracers() {
  for _ in $(seq 1500); do
    grep -q 'recording .* events of process' "$dir/probe.log" 2>/dev/null && break
    sleep 0.2
  done
  grep -q 'recording .* events of process' "$dir/probe.log" 2>/dev/null || say "vqscope's probes did not report attaching; starting anyway"
  perf kvm -o "$work/perf.data.kvm" stat record -a -k mono > "$work/perf.log" 2>&1 &
  echo $! > "$work/perf.pid"
  # -b: 16 MB per CPU, five times the most a session wrote on one CPU (3.1 MB): with ftrace's
  # default (1.4 MB) trace-cmd's reader, slow in the emulated L1, let CPU 0's buffer overrun and lost
  # 390 events (CI rehearsal 2026-12-04), which the parity check then rightly counted against it
  trace-cmd record -b 16384 -C mono -e kvm:kvm_exit -e kvm:kvm_entry -o "$work/trace.dat" > "$work/trace-cmd.log" 2>&1 &
  echo $! > "$work/trace-cmd.pid"
  say "started perf (pid $(cat "$work/perf.pid")) and trace-cmd (pid $(cat "$work/trace-cmd.pid"))"
  local qemu
  qemu=$(readlink "/proc/$(cat "$pidfile" 2>/dev/null)/exe") || { say "the recorded QEMU is gone: no second VM"; return; }
  "$qemu" -name vqscope-second-vm -enable-kvm -cpu host -m 64 -nodefaults -display none -no-reboot \
    -L /usr/share/seabios -L /usr/share/qemu < /dev/null > "$work/second-vm.log" 2>&1 &
  echo $! > "$work/second-vm.pid"
  "$probe" --pid "$(cat "$work/second-vm.pid")" --output "$work/second-vm.vqp" \
    --report "$work/second-vm-report.json" > "$work/second-vm-probe.log" 2>&1 &
  echo $! > "$work/second-probe.pid"
  say "started a second VM (pid $(cat "$work/second-vm.pid")) and its vqscope-probe (pid $(cat "$work/second-probe.pid"))"
}

stop_tracer() {
  local name=$1 pid
  pid=$(cat "$work/$name.pid" 2>/dev/null) || { say "$name was never started"; return 1; }
  kill -INT "$pid" 2>/dev/null || say "$name (pid $pid) had already exited"
  # both write their file out after SIGINT (trace-cmd merges its per-CPU files): slow in L1
  for _ in $(seq 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name (pid $pid) still running 300 s after SIGINT: killed"
    kill -KILL "$pid"
    return 1
  fi
  say "$name stopped"
}

case $cmd in
  start)
    command -v perf > /dev/null || { echo "alongside-tracers: perf not installed (linux-perf)" >&2; exit 1; }
    command -v trace-cmd > /dev/null || { echo "alongside-tracers: trace-cmd not installed" >&2; exit 1; }
    rm -rf "$work" && mkdir -p "$work" || exit 1
    rm -f "$dir/perf.data.kvm" "$dir/trace.dat" "$dir/perf.log" "$dir/trace-cmd.log" "$log" "$dir"/second-*
    say "waiting for vqscope's probes"
    start_tracers < /dev/null > /dev/null 2>&1 &
    ;;
  stop)
    rc=0
    # the second recording first, while its VM still runs: its probe must stop by signal, not by
    # seeing its target exit
    stop_tracer second-probe || rc=1
    kill "$(cat "$work/second-vm.pid" 2>/dev/null)" 2>/dev/null || say "the second VM had already exited"
    stop_tracer perf || rc=1
    stop_tracer trace-cmd || rc=1
    for f in perf.data.kvm trace.dat perf.log trace-cmd.log second-vm.vqp second-vm-report.json second-vm-probe.log second-vm.log; do
      [ -f "$work/$f" ] && cp "$work/$f" "$dir/$f"
    done
    say "copied what there was of perf.data.kvm and trace.dat"
    exit $rc
    ;;
  *) echo "alongside-tracers: unknown command '$cmd' (start or stop)" >&2; exit 2 ;;
esac
