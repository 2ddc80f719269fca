#!/bin/sh
# guest-e2e-events.sh TRACEFS DISK... - runs in the guest (busybox sh or bash), before the workload.
#
# Enables the guest kernel's own tracepoints that extend each request's row to the application
# (analysis/src/e2e.h): the workload's I/O syscalls, the block layer's bio queue / request issue /
# request completion on the traced disks (one, or vqscope record --ab's two), and io_uring's submit
# and completion. Filters run in the guest (ftrace event filters), so the trace holds only the
# workload's syscalls and the disks' I/O:
#   raw_syscalls:sys_enter, sys_exit  comm "fio", and only the syscalls that issue or reap I/O:
#       pread64 17, pwrite64 18, preadv 295, pwritev 296 (psync); io_submit 209, io_getevents 208,
#       io_pgetevents 333 (libaio); io_uring_enter 426 (io_uring)
#   block:block_bio_queue, block_rq_issue, block_rq_complete   dev == a DISK's dev_t
#   io_uring:io_uring_submit_sqe (6.1; io_uring_submit_req from 6.4), io_uring_complete
# Exit status: 0 all enabled; 2 no DISK; 20 a DISK is not a block device; 21 an event could not be
# enabled.
set -u
[ $# -ge 2 ] || { echo "usage: guest-e2e-events.sh TRACEFS DISK..."; exit 2; }
T=$1
shift
# "dev == A || dev == B ...", in the kernel's dev_t encoding of block events: major << 20 | minor
disks_filter=""
for disk in "$@"; do
  [ -r "/sys/block/$disk/dev" ] || { echo "guest-e2e-events: /sys/block/$disk/dev: no such disk"; exit 20; }
  dev=$(cat "/sys/block/$disk/dev")
  maj=${dev%:*} min=${dev#*:}
  disks_filter="${disks_filter:+$disks_filter || }dev == $(( (maj << 20) | min ))"
done
enable_event() {   # enable_event SYSTEM/EVENT FILTER
  if ! { echo "$2" > "$T/events/$1/filter" && echo 1 > "$T/events/$1/enable"; }; then
    echo "guest-e2e-events: cannot enable $1 (filter '$2')"
    exit 21
  fi
}
for e in block_bio_queue block_rq_issue block_rq_complete; do
  enable_event "block/$e" "$disks_filter"
done
ids="id == 17 || id == 18 || id == 295 || id == 296 || id == 209 || id == 208 || id == 333 || id == 426"
for e in sys_enter sys_exit; do
  enable_event "raw_syscalls/$e" "($ids) && comm == \"fio\""
done
for e in io_uring_submit_sqe io_uring_submit_req io_uring_complete; do
  [ -d "$T/events/io_uring/$e" ] || continue
  echo 1 > "$T/events/io_uring/$e/enable" || { echo "guest-e2e-events: cannot enable io_uring:$e"; exit 21; }
done
exit 0
