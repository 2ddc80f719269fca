#!/bin/sh
# guest-record.sh [--no-trace] [--no-e2e] [--kick-hold-ns N] [--requests N] [--ab ORDER | --sources ORDER]
#                 xblk|blk|demo
#
# The guest side of `vqscope record`. Runs in the guest (busybox sh, lab/init's `sh /vqscope/cmd`)
# with the session directory shared at /share; bin/vqscope copies it there as .guest-record.sh and
# the guest command is `exec sh /share/.guest-record.sh ARGS`.
#
# Loads the device's driver, enables its tracepoints (ts_ns from the guest's CLOCK_MONOTONIC in each
# event), and for the disks the block layer's and the workload's syscall events
# (.guest-e2e-events.sh), runs the workload, and writes /share/guest.trace: a header the analyzer
# parses ('# kernel:', '# clock-pair:', '# overrun:', '# device-bar:', '# queue-completed:' ...) and then
# the events: when QEMU has the virtio-serial port vqscope.trace, they left the guest during the run
# (trace-stream, binary) into the session's guest.stream, and the header ends with '# events:
# guest.stream'; otherwise ftrace's text follows.
#   xblk   our virtio_xblk disk /dev/xblk0; workload: fio on /share/workload.fio (${XBLK_DEV})
#   blk    QEMU's stock virtio-blk, /dev/vda: block layer events and two virtio_ring kprobes
#   demo   our virtio_demo device; workload: demo-client, --requests N (default 2000) requests
# Options:
#   --no-trace         enable no event (the overhead benchmark's baseline); the trace stays empty
#                      but for --ab's block markers
#   --no-e2e           the device's events only: not the workload's syscalls and the block layer's
#                      events on the disks (vqscope record --level minimal; blk keeps its block layer
#                      events, which are its device events)
#   --kick-hold-ns N   xblk: the driver's kick_hold_ns module parameter (default 0: left alone)
#   --live             the session is read while it is recorded (record --live): the provisional
#                      guest.trace header is written again every 2 s with the latest clock pairs (ftrace's
#                      TSC column converts to guest ns through them); without it, once, with the start's
#   --requests N       demo: number of requests
#   --ab ORDER         xblk: two disks, A at PCI 0000:00:04.0 and B at 0000:00:05.0 (bin/vqscope's
#                      slots), the workload in blocks of /share/workload-block.fio, one block per
#                      letter of ORDER (A or B) on that disk. Each block is bracketed in the trace by
#                      trace_marker lines 'vqscope-block seq=K disk=L dev=NAME begin' and '... end', and
#                      its fio output in workload.txt follows a line 'vqscope-block seq=K disk=L dev=NAME';
#                      the header names the disks: '# ab-disk: L NAME PCIADDR'
#   --sources ORDER    xblk: the overhead benchmark's blocks (record --sources): /share/workload-block.fio
#                      once per letter of ORDER, the set of trace sources on during it: U none, P the
#                      host probes, Q QEMU's events, G the guest's tracepoints, A all. Before each block
#                      the guest writes 'K SET' to /share/.sources-request, waits (30 s at most) for K in
#                      /share/.sources-ack (bin/source-switch.py switches the host's sources), then turns
#                      its own events on (G, A) or off. Markers 'vqscope-sources seq=K set=X begin' /
#                      '... end' in the trace; each block's fio output in workload.txt after
#                      'vqscope-sources seq=K set=X'
# Console lines (read by bin/vqscope and the analyzer): GUEST-CLOCK, GUEST-ALIVE every 30 s,
# GUEST-WORKLOAD rc=N.
# Exit status: the workload's (--ab: the first failing block's); 2 wrong arguments; 10 modprobe failed;
# 11-14 the blk events; 15 the kick hold; 16 the e2e events; 17 an --ab disk not at its PCI address;
# 18 --sources: the host did not switch its sources.
share=/share
T=/sys/kernel/tracing
trace=1 e2e=1 kick_hold_ns=0 requests=2000 device="" ab_order="" sources_order="" live=0
while [ $# -gt 0 ]; do
  case "$1" in
    --no-trace) trace=0; shift ;;
    --live) live=1; shift ;;
    --no-e2e) e2e=0; shift ;;
    --kick-hold-ns) kick_hold_ns=${2:?--kick-hold-ns needs a value}; shift 2 ;;
    --requests) requests=${2:?--requests needs a value}; shift 2 ;;
    --ab) ab_order=${2:?--ab needs the order of the blocks}; shift 2 ;;
    --sources) sources_order=${2:?--sources needs the sets of the blocks}; shift 2 ;;
    -*) echo "guest-record: unknown option '$1'"; exit 2 ;;
    *) [ -z "$device" ] || { echo "guest-record: one device, not '$device' and '$1'"; exit 2; }
       device=$1; shift ;;
  esac
done
case "$device" in
  xblk) modname=virtio_xblk pci_id=0x107d disk=xblk0 ;;
  blk) modname=virtio_blk pci_id=0x1042 disk=vda ;;
  demo) modname=virtio_demo pci_id=0x107c disk="" ;;
  *) echo "guest-record: the device is xblk, blk or demo, not '$device'"; exit 2 ;;
esac
if [ -n "$ab_order" ]; then
  [ "$device" = xblk ] || { echo "guest-record: --ab runs on two xblk disks, not on $device"; exit 2; }
  case "$ab_order" in
    *[!AB]*) echo "guest-record: --ab takes a string of A and B, not '$ab_order'"; exit 2 ;;
  esac
fi
if [ -n "$sources_order" ]; then
  if [ "$device" != xblk ] || [ -n "$ab_order" ] || [ "$trace" != 1 ]; then
    echo "guest-record: --sources runs on one xblk disk, traced, without --ab"; exit 2
  fi
  case "$sources_order" in
    *[!UPQGA]*) echo "guest-record: --sources takes a string of U, P, Q, G and A, not '$sources_order'"; exit 2 ;;
  esac
fi
# The --ab disks by label, at the PCI slots bin/vqscope gives them (-device ...,addr=0x4 / 0x5)
ab_pci_a=0000:00:04.0 ab_pci_b=0000:00:05.0

# stream_port: the device of the virtio-serial port vqscope.trace (bin/vqscope gives QEMU one when it
# traces; QEMU writes what arrives into the session's guest.stream). Its name reaches the guest in a
# control message after the driver probed: a short wait.
stream_port() {
  tries=0
  while [ "$tries" -lt 25 ]; do
    if p=$(grep -lx vqscope.trace /sys/class/virtio-ports/*/name 2>/dev/null); then
      p=${p%/name}
      echo "/dev/${p##*/}"
      return 0
    fi
    tries=$((tries + 1))
    sleep 0.2
  done
  return 1
}

# Stock virtio-blk has no tracepoints of ours: the block layer's, filtered to the disk (dev_t in the
# kernel's encoding, major << 20 | minor), and two kprobes on virtio_ring, filtered to the disk's
# request queues by name ("req.N"; struct virtqueue: name at +24, index at +40 in 6.1).
enable_blk_events() {
  [ -b /dev/vda ] || { echo "no /dev/vda: virtio_blk did not probe the disk"; exit 11; }
  dev=$(cat /sys/block/vda/dev); maj=${dev%:*}; min=${dev#*:}
  for e in block_rq_issue block_rq_complete; do
    echo "dev == $(( (maj << 20) | min ))" > "$T/events/block/$e/filter" && echo 1 > "$T/events/block/$e/enable" || exit 12
  done
  echo 'p:vqscope/vqscope_blk_kick virtqueue_notify vq=+40(%di):u32 name=+0(+24(%di)):string' >> "$T/kprobe_events" &&
  echo 'p:vqscope/vqscope_blk_irq vring_interrupt vq=+40(%si):u32 name=+0(+24(%si)):string' >> "$T/kprobe_events" || exit 13
  for e in vqscope_blk_kick vqscope_blk_irq; do
    echo 'name ~ "req.*"' > "$T/events/vqscope/$e/filter" && echo 1 > "$T/events/vqscope/$e/enable" || exit 14
  done
}

# pci_disk PCIADDR: the name of the block device of the virtio disk at PCIADDR
pci_disk() {
  for b in /sys/bus/pci/devices/"$1"/virtio*/block/*; do
    [ -e "$b" ] && { echo "${b##*/}"; return 0; }
  done
  return 1
}

# run_block NAME DEV: one block of the job (workload-block.fio) on /dev/DEV, its fio report in
# workload.txt after a line NAME, bracketed in the trace by 'NAME begin' and 'NAME end' markers (written
# whatever is enabled: --no-trace too). Returns fio's exit status.
run_block() {
  echo "$1" >> "$share/workload.txt"
  echo "$1 begin" > "$T/trace_marker"
  XBLK_DEV=/dev/$2 fio --eta=never "$share/workload-block.fio" >> "$share/workload.txt"
  block_rc=$?
  echo "$1 end" > "$T/trace_marker"
  return "$block_rc"
}

# run_blocks: the --ab workload, the blocks one after the other in ORDER; stops at the first failing
# fio, whose exit status it returns.
run_blocks() {
  : > "$share/workload.txt"
  rest=$ab_order seq=0
  while [ -n "$rest" ]; do
    label=${rest%"${rest#?}"}
    rest=${rest#?}
    seq=$((seq + 1))
    if [ "$label" = A ]; then name=$disk_a; else name=$disk_b; fi
    run_block "vqscope-block seq=$seq disk=$label dev=$name" "$name" || return
  done
  return 0
}

# guest_events on|off: the guest's own trace sources (--sources): every event enabled at the start
# (listed in /tmp/guest-events), or none. Markers still go in (trace_marker needs only tracing_on).
guest_events() {
  if [ "$1" = on ]; then
    while read -r f; do echo 1 > "$f"; done < /tmp/guest-events
  else
    echo 0 > "$T/events/enable"
  fi
}

# run_source_blocks: the --sources workload: before each block the host switches its sources and
# acknowledges (bin/source-switch.py), then the guest its own; stops at the first failing fio.
run_source_blocks() {
  : > "$share/workload.txt"
  grep -l '^1' "$T"/events/*/*/enable > /tmp/guest-events
  rest=$sources_order seq=0
  while [ -n "$rest" ]; do
    set=${rest%"${rest#?}"}
    rest=${rest#?}
    seq=$((seq + 1))
    echo "$seq $set" > "$share/.sources-request"
    waited=0
    until [ "$(cat "$share/.sources-ack" 2>/dev/null)" = "$seq" ]; do
      waited=$((waited + 1))
      [ "$waited" -le 300 ] || { echo "guest-record: the host did not switch its sources for block $seq ($set) within 30 s"; return 18; }
      sleep 0.1
    done
    case "$set" in G|A) guest_events on ;; *) guest_events off ;; esac
    run_block "vqscope-sources seq=$seq set=$set" "$disk" || return
  done
  guest_events on   # as at the start: what the recording's end expects
  return 0
}

# The driver's own count of the block requests the device returned on each virtqueue of DISK (xblk's
# sysfs queue_completed: 'QUEUE COUNT' lines; nothing for a disk without it)
queue_completed() {
  [ -r "/sys/block/$1/queue_completed" ] && cat "/sys/block/$1/queue_completed"
}

# Stock virtio-blk keeps no count per queue: the guest's own count is then fio's, job by job, when the
# job file runs one job per CPU (cpus_allowed_policy=split: job i on the i-th CPU of the list,
# VQSCOPE_CPU_LIST = 0-N-1, so CPU i) and prints each job's report (no group_reporting): each job's
# issued I/Os (reads + writes + trims) added to the hardware queue of its CPU ('QUEUE COUNT' lines).
# Nothing when the job file does not pin one job per CPU.
fio_queue_counts() {  # fio_queue_counts DISK
  grep -q '^cpus_allowed_policy=split' "$share/workload.fio" || return 0
  [ "$(grep -c 'issued rwts: total=' "$share/workload.txt")" = "$VQSCOPE_CPUS" ] || return 0
  for m in /sys/block/"$1"/mq/*; do
    echo "queue ${m##*/} $(tr -d ' \n' < "$m/cpu_list")"
  done > /tmp/queue-cpus
  awk 'FNR == NR { n = split($3, part, ",")
                   for (i = 1; i <= n; i++) {
                     if (split(part[i], r, "-") == 2) { for (c = r[1]; c <= r[2]; c++) q[c] = $2 } else q[part[i]] = $2
                   }
                   next }
       /issued rwts: total=/ { sub(/.*total=/, ""); split($0, n, ","); count[q[job++]] += n[1] + n[2] + n[3] }
       END { for (k in count) print k, count[k] }' /tmp/queue-cpus "$share/workload.txt" | sort -n
}

run_workload() {
  if [ "$device" = demo ]; then
    demo-client random "$requests" 1 > "$share/workload.txt"
  elif [ -n "$ab_order" ]; then
    run_blocks
  elif [ -n "$sources_order" ]; then
    run_source_blocks
  else
    XBLK_DEV=/dev/$disk fio --eta=never --output="$share/workload.txt" "$share/workload.fio"
  fi
}

modprobe "$modname" || exit 10
# the workload's view of the guest's CPUs (workloads/xblk-randrw-mq.fio: one job per vCPU)
VQSCOPE_CPUS=$(grep -c '^processor' /proc/cpuinfo)
VQSCOPE_CPU_LIST=0-$((VQSCOPE_CPUS - 1))
export VQSCOPE_CPUS VQSCOPE_CPU_LIST
# through sysfs, not modprobe's arguments: the image's init may have loaded the module already
# (modalias), and modprobe of a loaded module ignores them
if [ "$device" = xblk ] && [ "$kick_hold_ns" != 0 ]; then
  echo "$kick_hold_ns" > /sys/module/virtio_xblk/parameters/kick_hold_ns || exit 15
fi
e2e_disks=$disk
if [ -n "$ab_order" ]; then
  disk_a=$(pci_disk "$ab_pci_a") || { echo "guest-record: --ab: no disk A at PCI $ab_pci_a"; exit 17; }
  disk_b=$(pci_disk "$ab_pci_b") || { echo "guest-record: --ab: no disk B at PCI $ab_pci_b"; exit 17; }
  e2e_disks="$disk_a $disk_b"
fi
[ -d "$T/events" ] || mount -t tracefs nodev "$T"
# ftrace's own column in guest TSC cycles (the analyzer converts it to guest CLOCK_MONOTONIC ns with the
# clock pairs below): the block layer's and syscall events carry no ts_ns of their own
echo x86-tsc > "$T/trace_clock" 2>/dev/null || echo mono > "$T/trace_clock"
echo 16384 > "$T/buffer_size_kb"
if [ "$trace" = 1 ]; then
  if [ "$device" = blk ]; then enable_blk_events; else echo 1 > "$T/events/$modname/enable"; fi
  if [ -n "$e2e_disks" ] && [ "$e2e" = 1 ]; then
    # the application end of each request: the workload's syscalls and the block layer on the disks
    # shellcheck disable=SC2086  # the disks' names: words without blanks
    sh "$share/.guest-e2e-events.sh" "$T" $e2e_disks || exit 16
  fi
fi
echo "GUEST-CLOCK start mono_ns=$(cat /proc/uptime)"
# (TSC, CLOCK_MONOTONIC) pairs of the guest, for the analyzer's TSC cross-check of the alignment: one
# on each CPU, CPU 0 first (KVM keeps a tsc-offset per vCPU; the analyzer checks that they agree)
clock_pairs() {  # clock_pairs LABEL
  k=0
  while [ "$k" -lt "$VQSCOPE_CPUS" ]; do
    clock-pair --cpu "$k" "$1" 2>&1
    k=$((k + 1))
  done
}
CP0=$(clock_pairs start)
# header provisional|final: guest.trace's header (bin/SESSION-FORMAT.md), then the events or where they
# are. The provisional one, written once the stream runs (with --live again every 2 s, with a fresh
# clock pair: in the TCG guest each rewrite costs some forks), has what is known during the workload
# (no overrun or completion counts): the session reads while it is recorded (vqscope top, record
# --metrics); the final one replaces it (put_header).
header() {
  echo "# vqscope guest trace: events of the $modname tracepoints$([ "$device" = blk ] && echo ' (block layer + vqscope kprobes: stock virtio-blk)')"
  echo "# clock: ts_ns = ktime_get_ns(), the guest's CLOCK_MONOTONIC in ns; ftrace's own column: trace_clock $(sed 's/.*\[\(.*\)\].*/\1/' "$T/trace_clock") (x86-tsc: guest TSC cycles, mono: us)"
  echo "# kernel: $(uname -r)"
  echo "$CP0" | sed 's/^/# clock-pair: /'
  # the end pairs; in the provisional header the latest ones (label now), taken every 2 s: ftrace's TSC
  # column converts to guest ns through the start and the latest pair
  [ -n "$CP1" ] && echo "$CP1" | sed 's/^/# clock-pair: /'
  if [ "$1" = final ]; then
    echo "# overrun: $(grep -h overrun "$T"/per_cpu/cpu*/stats | awk '{s += $2} END {print s + 0}')"
  fi
  # the driver's own count of the workload's requests per virtqueue (after - before); stock virtio-blk:
  # fio's (fio_queue_counts)
  if [ "$1" = final ] && [ -s /tmp/queues-after ]; then
    while read -r q after; do
      before=$(awk -v q="$q" '$1 == q {print $2}' /tmp/queues-before)
      echo "# queue-completed: $disk $q $((after - ${before:-0}))"
    done < /tmp/queues-after
  elif [ "$1" = final ] && [ "$device" = blk ] && [ "$VQSCOPE_CPUS" -gt 1 ]; then
    fio_queue_counts "$disk" | while read -r q count; do
      echo "# queue-completed: $disk $q $count"
    done
  fi
  # blk-mq's CPUs of each hardware queue: the analyzer takes a stock virtio-blk request's queue from
  # the CPU that issued it
  if [ -n "$disk" ] && [ -z "$ab_order" ]; then
    for m in /sys/block/"$disk"/mq/*; do
      [ -r "$m/cpu_list" ] && echo "# queue-cpus: $disk ${m##*/} $(tr -d ' \n' < "$m/cpu_list")"
    done
  fi
  if [ -n "$ab_order" ]; then
    echo "# ab-disk: A $disk_a $ab_pci_a"
    echo "# ab-disk: B $disk_b $ab_pci_b"
  fi
  # The traced device's PCI memory BARs (guest-physical): host-side events with a gpa (ioeventfd,
  # kvm_mmio) are attributed to the device by these ranges; the guest's other devices (the 9p share)
  # notify through their own BARs.
  for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor")" = 0x1af4 ] || continue
    [ "$(cat "$d/device")" = "$pci_id" ] || continue
    i=0; while read -r start end flags; do
      [ $((start)) -ne 0 ] && [ $((flags & 0x200)) -ne 0 ] && echo "# device-bar: ${d##*/} bar$i $start $end"
      i=$((i + 1))
    done < "$d/resource"
  done
  # the events: in the stream the host wrote (the analyzer reads them after this header), or here
  if [ -n "$stream_pid" ]; then
    echo "# events: guest.stream"
  elif [ "$1" = final ]; then
    cat "$T/trace"
  fi
}
# put_header provisional|final: the header into /share/guest.trace, written aside and renamed into place
# (a reader on the host sees one header or the other, whole)
put_header() {
  header "$1" > "$share/.guest.trace.$1" && mv "$share/.guest.trace.$1" "$share/guest.trace"
}
# The events leave the guest while the workload runs: trace-stream reads ftrace's per-CPU ring buffers
# (binary pages, nothing formatted here) every 200 ms into the port, the host's guest.stream. Without
# the port (or the program) they stay in the ring buffer and come out as text at the end.
stream_pid=""
if [ "$trace" = 1 ] && port=$(stream_port) && command -v trace-stream > /dev/null; then
  rm -f /tmp/stream-ready
  trace-stream --port "$port" --tracefs "$T" --ready /tmp/stream-ready &
  stream_pid=$!
  waited=0
  until [ -e /tmp/stream-ready ]; do
    waited=$((waited + 1))
    if [ "$waited" -gt 100 ] || ! kill -0 "$stream_pid" 2>/dev/null; then
      echo "guest-record: trace-stream did not start on $port: the events come out as text"
      kill "$stream_pid" 2>/dev/null
      stream_pid=""
      break
    fi
    sleep 0.1
  done
elif [ "$trace" = 1 ]; then
  echo "guest-record: no virtio-serial port vqscope.trace (or no trace-stream): the events come out as text"
fi
echo 1 > "$T/tracing_on"
CP1=""
live_pid=""
if [ -n "$stream_pid" ] && [ "$live" = 0 ]; then
  put_header provisional
elif [ -n "$stream_pid" ]; then
  rm -f /tmp/live-header-stop
  # stopped by a file, not a signal: a writer killed mid-way could leave its children writing
  ( until [ -e /tmp/live-header-stop ]; do
      CP1=$(clock_pairs now)
      put_header provisional
      sleep 2
    done ) &
  live_pid=$!
fi
# a line on the console every 30 s: lab/run takes a silent console for a stalled nested lab (--stall)
( while sleep 30; do echo "GUEST-ALIVE uptime=$(cut -d' ' -f1 /proc/uptime)"; done ) &
alive=$!
[ -n "$disk" ] && [ -z "$ab_order" ] && queue_completed "$disk" > /tmp/queues-before
run_workload
rc=$?
[ -n "$disk" ] && [ -z "$ab_order" ] && queue_completed "$disk" > /tmp/queues-after
kill "$alive" 2>/dev/null
if [ -n "$live_pid" ]; then touch /tmp/live-header-stop; wait "$live_pid"; fi
echo 0 > "$T/tracing_on"
stream_rc=""
if [ -n "$stream_pid" ]; then
  kill -TERM "$stream_pid"
  wait "$stream_pid"
  stream_rc=$?
  [ "$stream_rc" = 0 ] || echo "guest-record: trace-stream exited $stream_rc: guest.stream may be cut short"
fi
CP1=$(clock_pairs end)
put_header final
echo "GUEST-WORKLOAD rc=$rc"
exit $rc
