#!/usr/bin/env bash
# `make demo`: until the traced ioeventfd on/off comparison lands, the demo is a virtio-demo session in
# the best mode this machine has (kvm when /dev/kvm is usable, else the nested lab): the guest loads the
# driver, asks the device for a few products and sums, runs 1,000 checked pairs, and the results are
# written to results/demo/.
#
#   scripts/demo.sh [--mode kvm|lab|tcg]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mode=()
case "${1:-}" in
  --mode) mode=(--mode "${2:?--mode needs kvm, lab or tcg}") ;;
  "") ;;
  -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "demo.sh: unknown option '$1' (see --help)" ;;
esac
out=$VQSCOPE_TOP/results/demo
mkdir -p "$out"
start=$(date +%s)
progress "demo: virtio-demo session (console: $out/console.log)"
"$VQSCOPE_TOP/lab/run" "${mode[@]}" -q --log "$out/console.log" \
  --qemu-args "-device virtio-demo-pci,id=demo0" -- \
  'modprobe virtio_demo && demo-client calc 6 7 && demo-client calc -9223372036854775808 -1 &&
   demo-client random 1000 1 | tail -n 1'
grep -E '^(id=|demo-client:)' "$out/console.log" | tee "$out/summary.txt"
progress "demo: done in $(( $(date +%s) - start )) s; results in $out"
