#!/bin/sh
# Runs in the nested lab's L1 (lab/run --l1-post, in the host-root chroot) after the guest's QEMU exited,
# for tests/integration/51-probe-lab: prints the probe programs' BPF run-time statistics
# ("L1-PROBE-STATS:" lines), stops the recorder started by l1-probe-pre.sh (it may already have stopped by
# itself: its target exited), waits for its exit status and prints it ("L1-PROBE rc=N") and its log.
# No arguments; the share comes from lab/init's VQSCOPE_SHARE.
bpftool prog show 2>/dev/null | grep -E 'name (tp|raw|fentry|fexit|kprobe|kretprobe)_' | sed 's/^/L1-PROBE-STATS: /'
kill -INT "$(cat /tmp/vqscope-probe.pid)" 2>/dev/null
i=0
while [ ! -s "$VQSCOPE_SHARE/probe.rc" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
echo "L1-PROBE rc=$(cat "$VQSCOPE_SHARE/probe.rc" 2>/dev/null || echo none)"
sed 's/^/L1-PROBE: /' "$VQSCOPE_SHARE/probe.log"
