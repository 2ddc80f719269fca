#!/bin/sh
# Guest side of tests/integration/43-xblk-status-unplug-tcg: runs fio on /dev/xblk0, prints GUEST-READY,
# waits (at most 100 s) for the host to device_del the disk, then prints GUEST-DISK-GONE, fio's last
# lines and GUEST-RMMOD-OK once the module unloads. Exits 1 if the disk stays or the kernel complains.
# No arguments (passed with lab/run --cmd-file).
modprobe virtio_xblk || exit 1
fio --eta=never --name=load --filename=/dev/xblk0 --rw=randrw --bs=4k --ioengine=libaio --iodepth=16 \
    --direct=1 --time_based --runtime=120 > /tmp/fio.txt 2>&1 &
sleep 2
echo "GUEST-READY"
# wait (at most 100 s) for the host to remove the disk
i=0
while [ -e /sys/block/xblk0 ] && [ $i -lt 1000 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /sys/block/xblk0 ] && { echo "DISK STILL THERE"; exit 1; }
echo "GUEST-DISK-GONE"
wait
tail -n 3 /tmp/fio.txt
dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace' && { echo "GUEST KERNEL COMPLAINED"; exit 1; }
lsmod | grep -q virtio_xblk && rmmod virtio_xblk && echo "GUEST-RMMOD-OK"
exit 0
