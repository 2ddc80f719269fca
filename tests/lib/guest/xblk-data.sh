#!/bin/sh
# Guest side of tests/lib/xblk_session.sh (tests 40, 41), run from the share (/share, where verify.fio
# is too). Finds the read-write and the read-only xblk disk by their serials (rw-disk, ro-disk); runs fio's
# verify job on the read-write one with XBLK_IO_SIZE=IO_SIZE; writes "vqscope-block-%08d" into each BLOCK
# (4096-byte blocks) with dd conv=fsync (a FLUSH); then a write to the read-only disk must fail, through
# the block layer and below it (xblk-raw: the device answers S_IOERR). Exits non-zero on the first failure.
#
#   xblk-data.sh IO_SIZE BLOCK...
set -e
io_size=$1; shift
modprobe virtio_xblk
rw='' ro=''
for d in /sys/block/xblk*; do
  case "$(cat "$d/serial")" in
    rw-disk*) rw=/dev/${d##*/} ;;
    ro-disk*) ro=/dev/${d##*/} ;;
  esac
done
echo "disks: rw=$rw ro=$ro size=$(cat "/sys/block/${rw#/dev/}/size") ro-flag=$(cat "/sys/block/${ro#/dev/}/ro")"
[ -n "$rw" ] && [ -n "$ro" ]
XBLK_DEV=$rw XBLK_IO_SIZE=$io_size fio --eta=never --output=/tmp/fio.txt /share/verify.fio || { cat /tmp/fio.txt; exit 1; }
grep -E 'err=|verify|WRITE:|READ:' /tmp/fio.txt
for b in "$@"; do
  printf 'vqscope-block-%08d' "$b" | dd of="$rw" bs=4096 seek="$b" conv=sync,fsync 2>/dev/null
done
echo "stamped: $*"
if dd if=/dev/zero of="$ro" bs=4096 count=1 conv=fsync 2>/tmp/ro.err; then
  echo "READ-ONLY DISK ACCEPTED A WRITE"; exit 1
fi
echo "read-only write refused: $(head -n1 /tmp/ro.err)"
# below the block layer: the device itself must refuse a well-formed WRITE (S_IOERR = 1)
xblk-raw -d "${ro}-raw" write 0 1
