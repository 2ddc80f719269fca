/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The model: one recorded session (directory written by `vqscope record`) read into requests and
 * their stages, the clock alignment, per-kick figures and the VM exit table. Reporters (report.h)
 * only read this.
 *
 * Reading: guest.trace (guest clock), the QEMU trace (qemu.simpletrace + qemu-trace-events, or
 * qemu-ctf/) and host-probe.vqp (host clock), each streamed once. What is kept is a few compact
 * records per request (the device's notifies, handler runs, injections, request begin/end) and one
 * per VM exit, never the raw events: memory grows with the number of requests, not with the trace
 * (of the sched_* records, most of a probe stream, one stretch per switch of a QEMU thread and one
 * record per wakeup of one are kept, for the cost figures).
 *
 * Request ids: the xblk device pair traces the same id on both sides (virtio_xblk_submit/complete
 * in the guest, virtio_xblk_req_begin/end in QEMU). Stock virtio-blk has none: the guest's
 * block_rq_issue/complete and QEMU's virtio_blk_handle_read/write are matched by (sector, sectors,
 * write) in order, QEMU's virtio_blk_req_complete by its req pointer, and the analyzer numbers the
 * requests in issue order (session.stock).
 */
#ifndef VQSCOPE_ANALYSIS_SESSION_H
#define VQSCOPE_ANALYSIS_SESSION_H

#include "align.h"
#include "cost.h"
#include "e2e.h"
#include "event.h"
#include "exit_reason.h"
#include "histogram.h"
#include "stats.h"
#include "tsc.h"

/*
 * Stages of one request, in path order. Host stages are differences of host timestamps; guest
 * stages of guest timestamps; the two cross stages (kick->exit, inject->irq) use the session's
 * clock offset (session.offset: the TSC's when it was recorded, else the midpoint of [lo, hi]), taken
 * at the guest event's time.
 */
typedef enum {
    VQ_STAGE_SUBMIT_KICK,     /* guest submit -> guest kick covering it (guest clock) */
    VQ_STAGE_KICK_EXIT,       /* guest kick -> kvm_exit of the notify write (TCG: QEMU's notify handler) */
    VQ_STAGE_EXIT_SIGNAL,     /* kvm_exit -> ioeventfd_write (ioeventfd on) or kvm_userspace_exit MMIO (off) */
    VQ_STAGE_SIGNAL_HANDLER,  /* that signal -> virtio_queue_notify (QEMU enters the queue handler) */
    VQ_STAGE_HANDLER_BEGIN,   /* virtio_queue_notify -> virtio_xblk_req_begin of this id (pop + parse) */
    VQ_STAGE_BEGIN_END,       /* virtio_xblk_req_begin -> virtio_xblk_req_end (backend) */
    VQ_STAGE_END_INJECT,      /* req_end -> kvm_msi_set_irq / irqfd_wakeup of the interrupt it got */
    VQ_STAGE_INJECT_IRQ,      /* that injection -> guest virtio_xblk_irq */
    VQ_STAGE_IRQ_COMPLETE,    /* guest irq -> guest virtio_xblk_complete of this id */
    VQ_STAGE_TOTAL,           /* guest submit -> guest complete (guest clock only) */
    VQ_STAGE_COUNT,
} vq_stage;

extern const char *const vq_stage_names[VQ_STAGE_COUNT];

typedef struct {
    uint64_t id;
    uint32_t vq;
    uint64_t kick_id;      /* id_last of the kick whose host notify path the request used (0: none) */
    bool batched;          /* picked up by a handler run another kick's notify started (or already ran) */
    bool harvested;        /* completed under an interrupt raised before its own end (no injection of its own) */
    bool has[VQ_STAGE_COUNT];
    int64_t stage[VQ_STAGE_COUNT];
    /* Absolute times for exports: guest ones in guest ns, host ones in host ns (0 = unknown). */
    uint64_t submit_guest, kick_guest, irq_guest, complete_guest;
    uint64_t exit_host, signal_host, handler_host, begin_host, end_host, inject_host;
    uint32_t vcpu_tid;     /* thread of the notify exit */
    uint32_t submit_cpu, kick_cpu, irq_cpu;   /* the guest CPUs of its submit, its kick and the interrupt
                                               * that delivered it */
    uint32_t vector;       /* the MSI vector of its injection (kvm_msi_set_irq); UINT32_MAX unknown */
    int64_t notify_exit_ns;   /* that exit's duration, kvm_exit -> kvm_entry: the vCPU out of the guest for
                               * the kick (rows of one kick share it); -1 unknown (batched, TCG, no entry) */
    uint64_t irq_seq;      /* the guest interrupt that delivered it (its order in the guest trace): rows
                            * sharing one were completed in one run of the driver's handler */
    /* An injected delay this request really waited (the holder's own start and end), -1 none; hold_at
     * names the holder, one of vq_hold_point_names: "kick" (driver, kick_hold_ns: in submit>kick),
     * "serve" (device delay-ns: in begin>end) or "notify" (device notify-delay-ns: in end>inject). NULL
     * when none. */
    int64_t hold_ns;
    const char *hold_at;
    vq_app_row app;        /* the row extended to the application (e2e.h) */
    uint32_t block;        /* A/B session: the block it was submitted in (its seq), 0 none */
} vq_request_row;

typedef struct {
    uint64_t id;
    const char *reason;    /* static text */
} vq_unmatched;

typedef struct {
    uint32_t isa;          /* 1 VMX, 2 SVM */
    uint32_t reason;
    uint64_t count;        /* exits with a matching entry (duration below) */
    uint64_t total;        /* every exit of this reason, in the whole stream */
    uint64_t in_window;    /* exits during the workload (first submit .. last complete, host time) */
    uint64_t userspace_in_window;   /* of those, the exits that went on to user space */
    vq_hist *duration;     /* kvm_exit -> kvm_entry on the same thread, ns (NULL: none) */
} vq_exit_reason;

/* kick -> begin bins (vq_kick_stats.kick_to_begin_bins): quarter decades from 100 ns to 10 s. */
#define VQ_KICK_BINS_LOWEST_EXPONENT 2
#define VQ_KICK_BINS_PER_DECADE 4
#define VQ_KICK_BINS 32

typedef struct {
    uint64_t kicks, notified, suppressed;  /* guest kicks; notified=1; notified=0 */
    uint64_t kicks_paired;                 /* notified kicks matched to a host notify */
    uint64_t host_notifies;                /* device notifies seen on the host side */
    uint64_t handler_runs, empty_runs;     /* virtio_queue_notify of the device; runs without a begin */
    uint64_t guest_irqs, irqs_paired, host_injections;   /* completions: emitted.stitched */
    /* Distributions (NULL: no value): */
    vq_hist *requests_per_kick;            /* per kick that covered at least one request */
    vq_hist *pops_per_run;                 /* begins per handler run */
    vq_hist *kick_to_begin;                /* notified, paired kick -> first begin it led to (aligned) */
    /* kick_to_begin on fixed log bins, the same in every session (the JSON report's histogram) */
    uint64_t kick_to_begin_bins[VQ_KICK_BINS], kick_to_begin_below, kick_to_begin_above;
} vq_kick_stats;

/*
 * Accumulators of the emitted requests (analysis/STREAMING.md, step 4): each stitched request is added
 * once, when it is emitted (vq_session_emit), and the reports read what they print of the requests as a
 * whole from here, in memory that does not grow with the session (the histograms, ~84 KB each, exist
 * only where a value came).
 */
/* The most frequent of a few values (an interrupt's CPU or vector, a vCPU thread: one expected); values
 * past the first VQ_TALLY_MAX distinct ones are not counted. */
#define VQ_TALLY_MAX 64
typedef struct {
    uint32_t value[VQ_TALLY_MAX];
    uint64_t count[VQ_TALLY_MAX];
    size_t used;
    uint64_t total;
} vq_tally;

void vq_tally_add(vq_tally *tally, uint32_t value);
/* The index of the most frequent value (the first seen of equals), VQ_TALLY_MAX when none. */
size_t vq_tally_top(const vq_tally *tally);

/* Where an injected delay held a request (vq_request_row.hold_at). */
typedef enum { VQ_HOLD_KICK, VQ_HOLD_SERVE, VQ_HOLD_NOTIFY, VQ_HOLD_POINTS } vq_hold_point;
extern const char *const vq_hold_point_names[VQ_HOLD_POINTS];

typedef struct {
    uint64_t stitched;
    vq_hist *total;                        /* the total stage */
    vq_tally irq_cpu, vector;              /* the guest CPU and MSI vector of the interrupt that delivered it */
} vq_queue_accumulator;

typedef struct {                           /* by the guest CPU of the submit */
    uint64_t stitched;
    uint64_t irq_here;                     /* delivered by an interrupt on the same CPU */
    uint64_t exit_rows;                    /* with a notify-exit thread */
    vq_tally exit_tid;                     /* those threads */
    vq_hist *kick_exit, *total;
} vq_cpu_accumulator;

/* The stitched requests that completed within the last VQ_RECENT_WINDOW_NS of guest time before the
 * latest completion (the top view's "last second"): each one's stages, kept while it may still be in
 * that window (entries older than the running latest completion less the window are dropped). */
#define VQ_RECENT_WINDOW_NS 1000000000ull
typedef struct {
    uint64_t complete_guest;
    uint16_t has;                          /* bit per stage */
    int64_t stage[VQ_STAGE_COUNT];
} vq_recent_request;

/* A notify exit that served a row (vq_request_row.notify_exit_ns >= 0): rows of one kick share it. */
typedef struct {
    uint64_t exit_host;
    int64_t duration;
    uint32_t block;
} vq_row_notify_exit;

/* KICKS kicks served REQUESTS requests each. */
typedef struct {
    uint64_t requests, kicks;
} vq_served_bin;

/* Stitched requests per block of an A/B session (seq), in block order. */
typedef struct {
    uint32_t seq;
    uint64_t requests;
} vq_block_requests;

/* What the matching of the application end reads of each stitched request (e2e.h), in emission order. */
typedef struct {
    vq_e2e_driver_row *rows;
    size_t count, capacity;
} vq_driver_rows;

typedef struct {
    uint64_t stitched;                     /* every request emitted (session->row_count: those kept) */
    uint64_t batched, harvested;
    vq_hist *stage[VQ_STAGE_COUNT];        /* each stage's distribution */
    vq_hist *hold[VQ_HOLD_POINTS];         /* the holds really waited, per holder */
    vq_queue_accumulator queue[VQ_GUEST_MAX_QUEUES];
    vq_cpu_accumulator cpu[VQ_GUEST_MAX_CPUS];
    /* The application end (e2e.h), added as each row gets it (vq_session_emit_app): the stages of the
     * rows matched end to end, and of the rows with layers (and a positive total) each layer in ns and
     * as a share of its own row's total (ppm), and the sum of those totals. */
    vq_hist *app_stage[VQ_APP_STAGE_COUNT];
    vq_hist *layer_ns[VQ_LAYER_COUNT], *layer_share_ppm[VQ_LAYER_COUNT];
    uint64_t layer_rows;
    double layer_total_sum;
    bool has_previous;                     /* a request was emitted; then: */
    uint64_t first_submit_guest, last_complete_guest;   /* guest ns: the workload */
    uint64_t previous_kick_id;             /* the kick_id of the last one */
    vq_recent_request *recent;             /* see VQ_RECENT_WINDOW_NS */
    size_t recent_count, recent_capacity;
    /* The requests each kick served (the rows naming its kick_id): counted on the kick as rows name it,
     * then, once no row can name it any more (vq_session_add_served), how many kicks served each number. */
    uint64_t rows_with_kick, rows_without_kick;
    vq_served_bin *served;                 /* by requests, ascending */
    size_t served_count, served_capacity;
    /* Per request, 24-40 bytes instead of a row: the notify exits shared by a kick's rows, and the
     * application end's matching. */
    vq_row_notify_exit *notify_exits;      /* each row's own (by exit time once the cost is summed) */
    size_t notify_exit_count, notify_exit_capacity;
    vq_block_requests *blocks;             /* A/B sessions */
    size_t block_count, block_capacity;
    vq_driver_rows drivers;                /* freed once the application end is matched */
    /* A streaming read matches each row as it goes (e2e.h, vq_e2e_stream_row): the last row's only. */
    bool drivers_streamed;
    bool has_last_driver;
    vq_e2e_driver_row last_driver;
} vq_emitted;


/*
 * An A/B session (vqscope record --ab) holds two xblk disks, A and B, and the workload ran on one of them
 * at a time, in blocks (guest trace markers). Read for one disk ("DIR@A"), the session keeps only what
 * happened during that disk's blocks: guest events by guest time, QEMU events and exits by host time,
 * doorbell writes by that disk's BARs.
 */
typedef struct {
    uint32_t seq;
    char label;                            /* 'A' or 'B' */
    uint64_t guest_begin, guest_end;       /* guest ns, from the markers */
} vq_block;

typedef struct {
    uint64_t start, end;                   /* host ns, inclusive */
} vq_window;

typedef struct {
    char *directory;
    char *name;                            /* vq_session_name */
    char part;                             /* read for one disk of an A/B session: 'A' or 'B'; 0 the whole */
    char ioeventfd[16], mode[16], device[16], qemu_trace[16];
    char level[16];                        /* meta.json's recording level; "full" when absent (recorded before the option) */
    char status[16];                       /* meta.json's: complete, partial, or recording (the session is still being
                                            * recorded: read as it stands); "" when absent */
    int64_t delay_ns;
    vq_alignment alignment;                /* the causal interval: the offset's check, or the offset itself */
    vq_tsc_check tsc;
    vq_clock_offset offset;                /* what the cross-clock stages use (method: TSC or causal) */
    vq_offset_check offset_check;          /* that offset against each causal bound (when it has any) */
    /* Causal alignment of a guest with several CPUs, which need not read one clock (TCG: each vCPU's TSC
     * started at its own moment): when two or more CPUs' own bounds give each an interval and none of
     * them contradicts, each CPU has its own offset, and a cross-clock stage takes the one of the CPU of
     * its guest event (vq_session_offset_of). offset stays the all-CPU one for the reports. */
    bool per_cpu_offsets;
    vq_clock_offset cpu_offset[VQ_GUEST_MAX_CPUS];   /* usable for the CPUs that had bounds of both sides */
    int64_t all_cpu_contradiction_ns;      /* by how much the one offset for all contradicts (0: it does not) */
    uint64_t lower_from_ids, lower_from_irqs, upper_from_kicks;   /* constraints by source */
    uint64_t lower_irqs_rejected;   /* injection -> irq pairs dropped: above the kick bounds */
    uint64_t upper_runs_skipped;    /* host notifies / handler runs set aside: a kick paired below the id bound */
    bool has_kvm;                          /* KVM events present in the probe stream */
    uint64_t probe_drops;                  /* probe records lost (the stream's count; also a warning) */
    bool stock;                            /* stock virtio-blk: requests matched by sectors, ids ours */
    bool keep_rows;                        /* rows below are kept (vq_load_options.rows) */
    vq_request_row *rows;                  /* the stitched requests, in submit order, when kept */
    size_t row_count;
    vq_unmatched *unmatched;
    size_t unmatched_count;
    uint64_t guest_requests;               /* submits in the guest trace */
    /* Per virtqueue (request queue): submits and completions in the guest trace (vq >= VQ_GUEST_MAX_QUEUES:
     * not counted), and the driver's own count of the requests the device returned on it during the
     * workload (guest.trace's '# queue-completed:' lines; -1 unknown, driver_queue_count 0 when none). */
    uint64_t queue_submitted[VQ_GUEST_MAX_QUEUES];
    uint64_t queue_completed[VQ_GUEST_MAX_QUEUES];
    uint64_t cpu_submitted[VQ_GUEST_MAX_CPUS];   /* guest requests by the guest CPU that submitted them */
    int64_t driver_completed[VQ_GUEST_MAX_QUEUES];
    size_t driver_queue_count;
    uint64_t negative_requests;            /* rows with at least one negative stage */
    uint64_t negative_stages[VQ_STAGE_COUNT];   /* per stage: rows where it is negative (never clamped) */
    vq_emitted emitted;                    /* the stitched requests' accumulators (vq_session_emit) */
    vq_kick_stats kick;
    vq_exit_reason *exits;
    size_t exit_reason_count;
    uint64_t window_host_start, window_host_end;   /* the first submit .. the last completion, host ns */
    /* The workload's time on the host clock, what exits and the cost are counted over: the window above,
     * or a part's blocks (each mapped by the offset). */
    vq_window *windows;
    size_t window_count;
    vq_block *blocks;                      /* every block of an A/B session, in order (part: all too) */
    size_t block_count;
    vq_guest_ab_disk ab_disks[VQ_GUEST_MAX_AB_DISKS];   /* its disks, from guest.trace's header */
    size_t ab_disk_count;
    vq_app_coverage coverage;              /* the application end: what was matched, fio's own figures */
    vq_cost cost;                          /* what the host spent on the requests (cost.h) */
    char **warnings;
    size_t warning_count;
} vq_session;

/* Once, at a program's start: the analysis's large arrays (over 128 KiB) mapped on their own and given
 * back to the system as soon as they are freed (session.c says why). */
void vq_session_tune_malloc(void);
/* What a load keeps beyond the accumulators. */
typedef struct {
    /* Every stitched request's row (session->rows): for the per-request table, CSV, JSON rows, Perfetto
     * and the compare's resamples. Without them a session's memory is its events, not its requests. */
    bool rows;
} vq_load_options;

/* The session in DIRECTORY, its rows kept (vq_session_load_with: without). */
vq_status vq_session_load(const char *directory, vq_session **out, vq_error *error);
/* One disk of an A/B session, PART 'A' or 'B' (0: the whole session, as vq_session_load). Reads the
 * session twice: whole, for the blocks and the clock offset, then only what falls in PART's blocks. */
vq_status vq_session_load_part(const char *directory, char part, vq_session **out, vq_error *error);
/* The session in DIRECTORY without its rows: what a live view or the metrics read (the figures only). */
vq_status vq_session_load_figures(const char *directory, vq_session **out, vq_error *error);
/* As vq_session_load_part, keeping what OPTIONS says. */
vq_status vq_session_load_with(const char *directory, char part, const vq_load_options *options, vq_session **out,
                               vq_error *error);
/* "DIRECTORY", or "DIRECTORY@A" for one disk of an A/B session: how reports name it. */
const char *vq_session_name(const vq_session *session);
/* HOST_NS (host clock) falls in one of the session's windows. */
bool vq_session_in_window(const vq_session *session, uint64_t host_ns);
/* How much of [FROM, TO] (host ns) the session's windows cover. */
uint64_t vq_session_window_overlap(const vq_session *session, uint64_t from, uint64_t to);
void vq_session_free(vq_session *session);

/* Emission of a stitched request (emission.c): ROW into session->emitted and the kick figures it feeds
 * (session->kick.kick_to_begin), under session->offset. Rows are emitted in submit order. */
vq_status vq_session_emit(vq_session *session, const vq_request_row *row);
/* The application end of an emitted row, once it has it (the matching reads every row: e2e.h). */
vq_status vq_session_emit_app(vq_session *session, const vq_app_row *app);
/* The same as a vq_e2e_emit (CONTEXT: the session). */
bool vq_session_emit_app_to(void *context, const vq_app_row *app);
void vq_emitted_free(vq_emitted *emitted);
/* A kick no row can name any more served ROWS requests (0: not one of the kicks served). */
bool vq_session_add_served(vq_session *session, uint64_t rows);
/* The summary of one stage over the emitted requests, from its histogram (vq_hist_summary). */
vq_summary vq_session_stage_summary(const vq_session *session, vq_stage stage);

/* The offset for a guest event on CPU CPU: its CPU's own when the session has per-CPU offsets, else the
 * session's. */
const vq_clock_offset *vq_session_offset_of(const vq_session *session, uint32_t cpu);

#endif
