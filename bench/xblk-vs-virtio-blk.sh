#!/usr/bin/env bash
# Benchmark (not a test): 4k random-read IOPS of virtio-xblk vs QEMU's virtio-blk, on the same QEMU, the
# same accel mode, the same backing file, in one guest boot, measured alternately (xblk, blk, xblk, blk)
# so that drift of a busy host hits both. Prints each round and the ratio xblk/virtio-blk.
#
#   bench/xblk-vs-virtio-blk.sh [--mode kvm|lab|tcg] [--seconds N] [--iodepth N] [--iothread]
#
# Both devices are read-only on one 256 MiB file (in lab mode a file in L1's tmpfs, so that 9p is not
# measured); virtio-blk uses cache=writeback (the host page cache) with aio=threads, as xblk's preadv does.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"
mode=() seconds=10 iodepth=16 iothread=0
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode=(--mode "${2:?}"); shift 2 ;;
    --seconds) seconds=${2:?}; shift 2 ;;
    --iodepth) iodepth=${2:?}; shift 2 ;;
    --iothread) iothread=1; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
out=$VQSCOPE_TOP/results/bench
mkdir -p "$out"
m=$("$VQSCOPE_TOP/lab/run" --print-mode | cut -d' ' -f1)
[ ${#mode[@]} -gt 0 ] && m=${mode[1]}
if [ "$m" = lab ]; then
  img=/tmp/bench.img
  printf '#!/bin/sh\ndd if=/dev/zero of=%s bs=1M count=256 2>/dev/null\n' "$img" > "$out/l1-pre.sh"
  hooks=(--l1-pre "$out/l1-pre.sh")
else
  img=$VQSCOPE_CACHE/bench/disk.img
  mkdir -p "$(dirname "$img")"
  [ -f "$img" ] || dd if=/dev/zero of="$img" bs=1M count=256 2>/dev/null
  hooks=()
fi
io=""
iot=""
if [ $iothread = 1 ]; then io="-object iothread,id=io0"; iot=",iothread=io0"; fi
qargs="$io -device virtio-xblk-pci,id=xblk0,file=$img,read-only=on$iot"
qargs="$qargs -drive file=$img,if=none,id=d0,format=raw,readonly=on,cache=writeback,aio=threads"
qargs="$qargs -device virtio-blk-pci,drive=d0,id=blk0$iot"
progress "bench: xblk vs virtio-blk, 4k randread, iodepth $iodepth, ${seconds}s x 2 rounds each, mode $m$([ $iothread = 1 ] && echo ', iothread')"
"$VQSCOPE_TOP/lab/run" "${mode[@]}" "${hooks[@]}" -q --log "$out/console.log" --qemu-args "$qargs" \
  -- sh -c "$(cat "$VQSCOPE_TOP/bench/guest/xblk-vs-virtio-blk.sh")" xblk-vs-virtio-blk "$iodepth" "$seconds"
python3 "$VQSCOPE_TOP/bench/xblk-vs-virtio-blk-report.py" "$out/console.log" "$m"
