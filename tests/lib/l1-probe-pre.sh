#!/bin/sh
# Runs in the nested lab's L1 (in the host-root chroot) before the guest's QEMU starts, for
# tests/integration/51-probe-lab: starts vqscope-probe in the background; it waits for L2's QEMU pid file
# (/tmp/l2-qemu.pid) and records that process into SHARE/host.vqp (attach report SHARE/attach.json, log
# SHARE/probe.log, exit status SHARE/probe.rc; its pid in /tmp/vqscope-probe.pid for l1-probe-post.sh).
# BPF run-time statistics on, for the per-event cost printed by the post hook.
#
#   l1-probe-pre.sh PROBES_DIR SHARE      (lab/run --l1-pre takes no arguments: the test's hook execs this)
probes=$1 share=$2
sysctl -qw kernel.bpf_stats_enabled=1 || echo "L1-PROBE: no bpf_stats"
(
  "$probes/vqscope-probe" --pid-file /tmp/l2-qemu.pid --wait --output "$share/host.vqp" \
    --report "$share/attach.json" > "$share/probe.log" 2>&1 &
  echo $! > /tmp/vqscope-probe.pid
  wait $!
  echo $? > "$share/probe.rc"
) < /dev/null > /dev/null 2>&1 &
echo "L1-PROBE started"
