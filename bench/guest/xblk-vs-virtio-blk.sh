#!/bin/sh
# Guest side of bench/xblk-vs-virtio-blk.sh: 4k random-read IOPS of /dev/xblk0 and the first virtio-blk
# disk, alternately, two rounds each; prints "BENCH ROUND DEVICE IOPS" per run.
#
#   xblk-vs-virtio-blk.sh IODEPTH SECONDS
iodepth=$1 seconds=$2
modprobe virtio_xblk
xb=/dev/xblk0
# shellcheck disable=SC2012  # /dev/vd? names are plain
vb=$(ls /dev/vd? | head -n1)
for round in 1 2; do
  for dev in $xb $vb; do
    fio --eta=never --name=r --filename="$dev" --rw=randread --bs=4k --ioengine=libaio --direct=1 \
        --iodepth="$iodepth" --time_based --runtime="$seconds" --ramp_time=1 --output-format=terse \
        --terse-version=3 | awk -F';' -v d="$dev" -v r=$round '{print "BENCH", r, d, $8}'
  done
done
