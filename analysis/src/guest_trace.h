/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reader for the guest trace (guest.trace): ftrace text as the recorder saves it, with a header of
 * '#' lines. Header lines of interest:
 *   # device-bar: PCIADDR barN START END     a BAR of the traced device (guest physical, inclusive)
 * Event lines: "TASK-PID [CPU] FLAGS SECONDS: virtio_xblk_EVENT: ts_ns=N key=value ...", where ts_ns
 * is the guest's CLOCK_MONOTONIC in ns (ftrace's own column is only microseconds: not used).
 *
 * Streaming, one line at a time. Events other than the four below (virtio_xblk_raw_*, other
 * tracepoints) are skipped. Errors name the file and line and say what was expected.
 *
 * Stock virtio-blk (no tracepoints of ours, no request ids): the same four events come from the
 * block layer's tracepoints and two kprobe events the recorder defines in the guest:
 *   block_rq_issue: MAJ,MIN RWBS BYTES (CMD) SECTOR + NR [COMM]      -> SUBMIT (stock)
 *   block_rq_complete: MAJ,MIN RWBS (CMD) SECTOR + NR [ERROR]        -> COMPLETE (stock)
 *   vqscope_blk_kick: (virtqueue_notify+...) vq=N name="req.N"       -> KICK (always notified)
 *   vqscope_blk_irq: (vring_interrupt+...) vq=N name="req.N"         -> IRQ
 * The request is named by (sector, sectors, write); the analyzer gives it an id (the session decides
 * whether block_rq_issue/complete are a stock device's submit/complete: VQ_GUEST_RQ_* below).
 *
 * The application end of each request (xblk and stock, see e2e.h), the guest kernel's own events:
 *   sys_enter: NR N (ARG0, ARG1, ...)  / sys_exit: NR N = RET         -> SYS_ENTER / SYS_EXIT
 *   block_bio_queue: MAJ,MIN RWBS SECTOR + NR [COMM]                   -> BIO_QUEUE
 *   block_rq_issue / block_rq_complete (above)                         -> RQ_ISSUE / RQ_COMPLETE
 *   io_uring_submit_sqe|io_uring_submit_req: ring P, req P, user_data 0xU, ...   -> URING_SUBMIT
 *   io_uring_complete: ring P, req P, user_data 0xU, result R, ...     -> URING_COMPLETE
 *
 * An A/B session (vqscope record --ab: two xblk disks, the workload alternating between them in
 * blocks) adds, per disk, a header line and, per block, two trace_marker lines (bin/SESSION-FORMAT.md):
 *   # ab-disk: LABEL NAME PCIADDR                                        LABEL A or B, NAME xblk0...
 *   tracing_mark_write: vqscope-block seq=K disk=LABEL dev=NAME begin|end  -> BLOCK (ftrace's column)
 * Other trace_marker lines are skipped.
 *
 * Time of events without a ts_ns field: ftrace's own column. With trace_clock x86-tsc (what the
 * recorder sets) it is the guest's TSC in cycles, converted to guest CLOCK_MONOTONIC ns by the line
 * through the two '# clock-pair:' header lines (start, end); with trace_clock mono it is
 * SECONDS.MICROS (to the microsecond). Every event also gets the task's pid and the CPU of its line.
 */
#ifndef VQSCOPE_ANALYSIS_GUEST_TRACE_H
#define VQSCOPE_ANALYSIS_GUEST_TRACE_H

#include "event.h"
#include "guest_stream.h"

#define VQ_GUEST_MAX_BARS 16

typedef enum {
    VQ_GUEST_SUBMIT,    /* id, vq: the request was added to the ring (avail idx already published) */
    VQ_GUEST_KICK,      /* vq, id_last, num_free, notified: after kick_prepare, before the MMIO write */
    VQ_GUEST_IRQ,       /* vq: start of the interrupt handler */
    VQ_GUEST_COMPLETE,  /* id, status, used_len, vq: the driver took the used buffer */
    VQ_GUEST_HOLD,      /* id, vq, hold_start_ns, hold_end_ns: the driver held the request between adding
                         * it to the ring and the kick (module parameter kick_hold_ns), this long */
    /* The block layer and the application (stock fields sector, sectors, write for the block ones): */
    VQ_GUEST_RQ_ISSUE,      /* block_rq_issue: the request goes to the driver (stock: the submit) */
    VQ_GUEST_RQ_COMPLETE,   /* block_rq_complete: the block layer ends it (stock: the completion) */
    VQ_GUEST_BIO_QUEUE,     /* block_bio_queue: a bio enters the block layer, in the issuing task */
    VQ_GUEST_SYS_ENTER,     /* sys_nr, sys_args: a traced syscall starts in task pid */
    VQ_GUEST_SYS_EXIT,      /* sys_nr, sys_ret */
    VQ_GUEST_URING_SUBMIT,  /* uring_req, user_data: io_uring takes an SQE (in the submitting task) */
    VQ_GUEST_URING_COMPLETE,/* uring_req, user_data, sys_ret (result): io_uring posts the CQE */
    VQ_GUEST_BLOCK,         /* block_seq, block_label, block_begin: an A/B block starts or ends */
} vq_guest_type;

typedef struct vq_guest_event {
    vq_guest_type type;
    uint64_t ts_ns;     /* guest CLOCK_MONOTONIC */
    uint64_t id;        /* SUBMIT, COMPLETE */
    uint32_t vq;
    uint64_t id_last;   /* KICK: id of the last request submitted before it */
    uint32_t num_free;
    bool notified;      /* KICK: the driver wrote the notify register */
    uint32_t status;    /* COMPLETE */
    bool stock;         /* from the block layer / kprobes (stock virtio-blk): no id, see below */
    uint64_t sector;    /* stock SUBMIT, COMPLETE: first 512-byte sector */
    uint32_t sectors;   /* stock SUBMIT, COMPLETE: length in 512-byte sectors */
    bool write;         /* stock SUBMIT, COMPLETE: RWBS has W */
    uint64_t hold_start_ns, hold_end_ns;  /* HOLD: guest CLOCK_MONOTONIC */
    uint64_t block;     /* SUBMIT (xblk): first block and blocks (block_size bytes each) */
    uint32_t nblocks;
    uint32_t pid, cpu;  /* every event: the task of its line (TASK-PID) and its [CPU] */
    uint32_t sys_nr;    /* SYS_ENTER, SYS_EXIT */
    uint64_t sys_args[4];   /* SYS_ENTER: the first four arguments (fewer printed: 0) */
    int64_t sys_ret;    /* SYS_EXIT: return value; URING_COMPLETE: the CQE's result */
    uint64_t uring_req, user_data;        /* URING_*: the kernel's request pointer, the SQE's user_data */
    uint32_t block_seq;     /* BLOCK: the block's number (1, 2, ...), its disk's label, begin or end */
    char block_label;
    bool block_begin;
    bool column_tsc;    /* parse_line: ts_ns holds ftrace's column in TSC cycles, not yet converted */
    uint64_t column_ns; /* events with a ts_ns field: ftrace's column too when it is in TSC cycles (converted
                         * by the reader: a check of the conversion), 0 none */
    bool column_is_tsc; /* parse_line: column_ns holds cycles, not yet converted */
    uint64_t line;      /* line number in the file, for messages */
} vq_guest_event;

/* The type's short name ("submit", "sys_enter", ...), for messages and counts. */
#define VQ_GUEST_TYPE_COUNT (VQ_GUEST_BLOCK + 1)
const char *vq_guest_type_name(vq_guest_type type);

typedef struct {
    uint64_t start;     /* inclusive */
    uint64_t end;       /* inclusive */
    unsigned bar;
    char pci[16];       /* the device's PCI address, e.g. 0000:00:04.0 */
} vq_guest_bar;

/* "# ab-disk: LABEL NAME PCIADDR": one disk of an A/B session. */
#define VQ_GUEST_MAX_AB_DISKS 2
typedef struct {
    char label;
    char name[32];
    char pci[16];
} vq_guest_ab_disk;

/* "# queue-completed: DISK N COUNT": the xblk driver's own count (sysfs queue_completed, after the
 * workload minus before) of the block requests the device returned on virtqueue N. */
#define VQ_GUEST_MAX_QUEUES 16

/* "# queue-cpus: DISK N CPULIST": blk-mq's hardware queue N (virtqueue N) serves the CPUs of CPULIST
 * ("0,2-3"; sysfs /sys/block/DISK/mq/N/cpu_list). A stock virtio-blk request's queue is the one of the
 * CPU that issued it (block_rq_issue runs on a CPU of its hardware queue). */
#define VQ_GUEST_MAX_CPUS 64

/* "# clock-pair: LABEL tsc=N mono_ns=N ..." header lines (clock-pair in the guest, start and end; since
 * 2026-12-02 one of each on every CPU, "cpu=K" at the end). The pairs without a CPU or on CPU 0 are the
 * main ones (at most VQ_GUEST_MAX_CLOCK_PAIRS); every pair with a CPU is also a per-vCPU one. */
#define VQ_GUEST_MAX_CLOCK_PAIRS 4
#define VQ_GUEST_MAX_CPU_PAIRS (2 * VQ_GUEST_MAX_CPUS)
typedef struct {
    char label[16];
    uint64_t tsc, mono_ns;
    uint64_t bracket;   /* TSC cycles between the two reads around clock_gettime; 0 = not given */
    int cpu;            /* the CPU it was taken on ("cpu=K"); -1 = not given */
} vq_clock_pair;

/* Parses "LABEL tsc=N mono_ns=N [bracket=N] [cpu=K]" (a clock-pair output line, after any prefix; the
 * TSC is the middle of the bracket, so it is known to +- bracket / 2 cycles); false if it is not one. */
bool vq_clock_pair_parse(const char *text, vq_clock_pair *pair);

typedef struct vq_guest_trace vq_guest_trace;

vq_status vq_guest_trace_open(const char *path, vq_guest_trace **out, vq_error *error);
/* Reads STREAM (owned from now on, closed by vq_guest_trace_close or on failure); NAME is for messages. */
vq_status vq_guest_trace_open_stream(FILE *stream, const char *name, vq_guest_trace **out, vq_error *error);
vq_status vq_guest_trace_next(vq_guest_trace *reader, vq_guest_event *event, vq_error *error);
/* BARs named in the header lines read so far (the header comes before any event). */
size_t vq_guest_trace_bars(const vq_guest_trace *reader, const vq_guest_bar **bars);
/* A/B disks named in the header lines read so far. */
size_t vq_guest_trace_ab_disks(const vq_guest_trace *reader, const vq_guest_ab_disk **disks);
/* The driver's per-queue counts named in the header lines read so far: COUNTS[N] of virtqueue N, -1
 * where no line named it; returns 1 + the highest N named (0: none). */
size_t vq_guest_trace_queue_completed(const vq_guest_trace *reader, const int64_t **counts);
/* The hardware queue of guest CPU CPU from the '# queue-cpus:' lines read so far; 0 when no line
 * names that CPU (one queue, or an older trace). */
uint32_t vq_guest_trace_cpu_queue(const vq_guest_trace *reader, uint32_t cpu);
/* Parses a CPU list "0,2-3" into QUEUE_OF (cpu -> QUEUE); false if malformed or a CPU >= VQ_GUEST_MAX_CPUS. */
bool vq_cpu_list_parse(const char *text, uint32_t queue, uint32_t *queue_of);
/* The main clock pairs named in the header lines read so far. */
size_t vq_guest_trace_clock_pairs(const vq_guest_trace *reader, const vq_clock_pair **pairs);
/* The pairs taken on a given CPU ("cpu=K"), in header order. */
size_t vq_guest_trace_cpu_pairs(const vq_guest_trace *reader, const vq_clock_pair **pairs);
/* After the last event of a trace whose events came in a guest stream ('# events:'): true, with the
 * stream's file name (valid until close) and what it says of itself; false for a text trace. */
bool vq_guest_trace_stream_state(const vq_guest_trace *reader, const char **name, vq_guest_stream_state *state);
void vq_guest_trace_close(vq_guest_trace *reader);

/*
 * Parses one line (pure). Events timed by ftrace's column in TSC cycles come back with column_tsc set
 * and the cycles in ts_ns (vq_guest_trace_next converts them). *IS_EVENT false: a comment, header or
 * other line to skip (a device-bar header line fills *BAR and sets *IS_BAR). On VQ_ERR_FORMAT, WHY (static text) says what was
 * expected.
 */
vq_status vq_guest_trace_parse_line(const char *line, bool *is_event, vq_guest_event *event, bool *is_bar,
                                    vq_guest_bar *bar, const char **why);

#endif
