/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the analyzer: the streaming alignment's passes (STREAMING.md, "What each global figure of
 * the alignment needs"). Each reads the session's sources in step through the loader's windows
 * (loader.h: vq_pass_*, vq_loader_release_*) and keeps what the batch alignment (alignment.c) needs of
 * the whole session as running hulls, counts and a few facts, in memory bounded by what is in flight,
 * not by the session's length. Not used by vq_session_load yet: each is checked against the batch's
 * figures (tests/unit/analysis_passes, analysis_stream).
 */
#ifndef VQSCOPE_ANALYSIS_STREAM_ALIGN_H
#define VQSCOPE_ANALYSIS_STREAM_ALIGN_H

#include "loader.h"

/*
 * What the kick and irq pairings decide over the whole session before they pair (alignment.c's
 * pair_by_queue, collect_qemu.c's vq_keep_device_events, collect_probe.c's vq_keep_doorbell), gathered
 * as pass A reads (vq_pairing_facts_take) and by a read of the probe stream alone
 * (vq_pairing_facts_doorbell).
 */
#define VQ_STREAM_MAX_DEVICES 16
typedef struct {
    uint64_t vdev;
    size_t handlers;                /* its handler runs */
    uint64_t first_handler;         /* the first one's time (handlers > 0) */
    size_t unnamed_queue;           /* runs whose queue is not below VQ_GUEST_MAX_QUEUES */
    /* its VirtQueues' addresses in the order their first runs came, with their queue index: a device
     * notify's queue (vq_keep_device_events) */
    uint64_t address[VQ_GUEST_MAX_QUEUES];
    uint32_t index[VQ_GUEST_MAX_QUEUES];
    size_t addresses;
} vq_stream_device;

typedef struct {
    uint64_t gpa;
    size_t writes, unnamed_queue;
    size_t first;                   /* absolute index of its first write in the probe pass's notifies */
    uint64_t first_ts;              /* that write's time (vq_notify_time) */
} vq_stream_doorbell;

typedef struct {
    size_t notified;                /* the guest's notified kicks */
    uint64_t first_notified;        /* the first one's time (notified > 0) */
    uint32_t kick_queues;           /* bit Q: a notified kick on queue Q */
    bool unnamed_kick_queue;        /* a notified kick on a queue not below VQ_GUEST_MAX_QUEUES */
    uint32_t irq_queues;            /* bit Q: a guest irq on queue Q */
    bool unnamed_irq_queue;         /* an irq that names no queue below VQ_GUEST_MAX_QUEUES */
    uint64_t xblk_vdev;             /* the traced device (the QEMU pass's, at its end) */
    vq_stream_device devices[VQ_STREAM_MAX_DEVICES];
    size_t device_count;
    bool too_many_devices;
    vq_guest_bar bars[VQ_GUEST_MAX_BARS];   /* the guest pass's, for a read of the probe stream */
    size_t bar_count;
    vq_clock_pair guest_pairs[VQ_GUEST_MAX_CLOCK_PAIRS];    /* the guest pass's, for the TSC offset */
    size_t guest_pair_count;
    vq_clock_pair guest_cpu_pairs[VQ_GUEST_MAX_CPU_PAIRS];
    size_t guest_cpu_pair_count;
    /* vq_pairing_facts_doorbell: every address written in the device's BARs, and the doorbell's page
     * (the most written address's: doorbell_writes 0 when none, a TCG session) */
    vq_stream_doorbell *written;
    size_t written_count, written_capacity;
    uint64_t doorbell_page;
    size_t doorbell_writes, doorbell_unnamed_queue;
    uint64_t first_doorbell;        /* the page's first write's time (doorbell_writes > 0) */
    size_t injections;              /* the probe stream's (MSI and irqfd) */
    bool has_kvm;                   /* it saw a KVM exit (without, and without injections: TCG) */
} vq_pairing_facts;

/* Takes what LOAD's windows hold of the kicks, irqs and handler runs (each once: called before they are
 * released). False: more devices than VQ_STREAM_MAX_DEVICES (the facts are then incomplete). */
bool vq_pairing_facts_take(vq_pairing_facts *facts, const vq_loader *load);
/* After the passes: the traced device's facts (NULL when it ran no handler), and the queue of a device
 * notify for the VirtQueue at ADDRESS (VQ_NO_QUEUE when none of its runs named it). */
const vq_stream_device *vq_pairing_facts_device(const vq_pairing_facts *facts);
uint32_t vq_stream_device_queue(const vq_stream_device *device, uint64_t address);
/* Reads DIRECTORY's probe stream (with FACTS' BARs) for the device's doorbell, its injections and
 * whether it saw KVM. */
vq_status vq_pairing_facts_doorbell(const char *directory, vq_pairing_facts *facts, vq_error *error);
void vq_pairing_facts_free(vq_pairing_facts *facts);

/*
 * A pairing's estimate of a guest event on guest CPU CPU at guest time AT (alignment.c's estimate_at):
 * the line of its CPU along the other side's bounds, else the line of every CPU, else FALLBACK; _bound:
 * the smallest (LARGEST false) or largest any event at AT can get. An event's time plus its estimate
 * never decreases with its time (a line's slope is within +-2000 ppm).
 */
typedef struct {
    vq_bound_line cpu[VQ_GUEST_MAX_CPUS], all;
    int64_t fallback;
    bool tsc;                   /* instead: KVM's TSC offset plus its error, for every event (irq pairing) */
    vq_clock_offset tsc_offset;
} vq_stream_estimates;

/* The lines of HULLS (per CPU, and ALL) with FALLBACK. */
void vq_stream_estimates_from(vq_stream_estimates *lines, vq_running_hull *all, vq_running_hull *cpu,
                              int64_t fallback);
int64_t vq_stream_estimate_at(const vq_stream_estimates *lines, uint32_t cpu, uint64_t at);
int64_t vq_stream_estimate_bound(const vq_stream_estimates *lines, uint64_t at, bool largest);
/* How far before a guest pass's watermark an event can still come: the guest's CPUs' events are merged
 * only nearly in time order (up to ~1 ms apart seen with 4 TCG vCPUs). A pass that relies on it counts
 * the events that came later still (disordered). */
#define VQ_STREAM_DISORDER_NS 100000000ULL

/*
 * What the solve (align.c's vq_align_solve, per guest CPU and for every CPU) reads of a set of bounds
 * besides their hulls: each CPU's count, first and last guest time, and the interval of its bounds with
 * the guest time of each side's binding bound, the first of equals in vq_align_clocks's array order
 * (ORDER: VQ_BOUND_ORDER, ids by request, then kicks, then irqs). [VQ_GUEST_MAX_CPUS]: every CPU's.
 */
#define VQ_BOUND_ORDER(rank, index) (((uint64_t)(rank) << 56) | (uint64_t)(index))
typedef struct {
    vq_offset_interval interval;
    uint64_t hi_order, lo_order;
} vq_interval_acc;

typedef struct {
    size_t n;
    uint64_t first_ns, last_ns;
    vq_interval_acc whole;
} vq_cpu_bounds;

typedef struct {
    vq_cpu_bounds cpu[VQ_GUEST_MAX_CPUS + 1];
} vq_bound_summary;

void vq_interval_acc_add(vq_interval_acc *acc, const vq_constraint *bound, uint64_t order);
void vq_bound_summary_add(vq_bound_summary *summary, const vq_constraint *bound, uint64_t order);
/* INTO takes FROM's bounds too. */
void vq_bound_summary_merge(vq_bound_summary *into, const vq_bound_summary *from);

/* Every bound a pass makes again, handed to a consumer as it is made (the solve's halves, D), and the pairs
 * the pairings keep (stitching, E: PAIR NULL when not wanted): the kick's or irq's ORDER (VQ_BOUND_ORDER:
 * its absolute index) with its host event (a doorbell write's or handler run's absolute index and time,
 * or an injection's time and vector in tag, UINT32_MAX none), in the guest events' order. */
typedef struct vq_bound_sink {
    bool (*add)(struct vq_bound_sink *sink, const vq_constraint *bound, uint64_t order);
    bool (*pair)(struct vq_bound_sink *sink, uint64_t order, const vq_pair_host *host);
    /* NULL, or each device injection the irq pairing makes (its thread: the cost's IOThreads) */
    bool (*injection)(struct vq_bound_sink *sink, const vq_pair_host *made);
} vq_bound_sink;

/* A loader of its own for one streaming read of DIRECTORY (stream_read.c): a session of its own
 * (meta.json read when there, warnings apart from the load's), no application end, FACTS' BARs (NULL:
 * none). NULL: out of memory. */
vq_loader *vq_stream_loader_new(const char *directory, const vq_pairing_facts *facts);
void vq_stream_loader_delete(vq_loader *load);
/*
 * A pass's release of the records it does not read, each step (stream_read.c): QEMU's all but the
 * requests in flight (their begin less than VQ_ID_BOUNDS_TIMEOUT_NS before NEXT, QEMU's watermark, and
 * not ENDED); the guest's requests once complete or timed out (NEXT: the guest's watermark), its kicks
 * before absolute index KICKS and irqs before IRQS. False: out of memory.
 */
bool vq_stream_release_qemu(vq_loader *load, uint64_t next, bool ended);
bool vq_stream_release_guest(vq_loader *load, size_t kicks, size_t irqs, uint64_t next, bool ended);
/* A bound a pass made: into its SUMMARY (with its ORDER), its hulls (ALL, and CPU[] of its CPU) and
 * SINK (NULL: none). False: out of memory, or the sink failed. */
bool vq_stream_add_bound(vq_running_hull *all, vq_running_hull *cpu, vq_bound_summary *summary, vq_bound_sink *sink,
                         const vq_constraint *bound, uint64_t order);
/* A pass's watermark (vq_pass_next), UINT64_MAX once ENDED. */
static inline uint64_t vq_stream_next(const vq_pass *pass, bool ended)
{
    return ended ? UINT64_MAX : vq_pass_next(pass);
}
/* The queues of a mask of them. */
unsigned vq_stream_queue_count(uint32_t mask);

/*
 * A, id bounds (id_bounds.c): the guest's completions joined with QEMU's request ends by id into lower
 * bounds (completion time, end - completion), each guest CPU's and every CPU's as a running hull, with
 * their count and the largest. The guest and QEMU passes are read in step, QEMU a margin ahead on the
 * offset the first bound gives, and their records released as soon as they are joined (or given up: a
 * request not complete VQ_ID_BOUNDS_TIMEOUT_NS after its submit, a completion whose end QEMU never
 * traced): what vq_align_clocks's id bounds give the pairing estimates, in memory bounded by the
 * requests in flight, not by the session. The pass also gathers the pairing facts (above, but the
 * doorbell). xblk sessions (ids); LOAD a fresh loader with no application end (e2e NULL).
 */
#define VQ_ID_BOUNDS_STEP_NS 100000000ULL        /* guest time a step reads */
#define VQ_ID_BOUNDS_MARGIN_NS 1000000000ULL     /* QEMU read ahead by this, and records kept this long */
#define VQ_ID_BOUNDS_TIMEOUT_NS 10000000000ULL
typedef struct {
    vq_running_hull all, cpu[VQ_GUEST_MAX_CPUS];
    int64_t largest;            /* the largest bound (bounds > 0) */
    uint64_t bounds;
    uint64_t given_up;          /* requests released without a bound before the passes' end */
    uint64_t released_late;     /* events that came for a released record (load->released_late) */
    uint64_t steps;
    size_t most_requests, most_qemu_requests;   /* the largest windows */
    vq_pairing_facts facts;
    vq_bound_summary summary;
    vq_bound_sink *sink;        /* NULL, or each bound again */
} vq_id_bounds;

/* SINK: NULL, or where each bound goes too (a replay of the pass). */
vq_status vq_id_bounds_stream(vq_loader *load, vq_id_bounds *bounds, vq_bound_sink *sink, vq_error *error);
void vq_id_bounds_free(vq_id_bounds *bounds);

/*
 * B, the kick pairing (kick_pairs.c): vq_align_clocks's add_kick_bounds over the session's windows. The
 * notified kicks are paired forward with the doorbell's writes (KVM; the doorbell from
 * vq_pairing_facts_doorbell) or the device's handler runs (TCG), queue by queue as pair_by_queue decides
 * from the facts, each kick from the estimate pass A's lines give at its time on its CPU (the line of
 * every CPU, else the largest id bound); a round that finds pairs below the id bound sets their host
 * events aside and reads the session again, as pair_kicks does (at most 4). The upper bounds of the last
 * round go into running hulls (vq_bound_line_from_hull: the irq pairing's estimates), with their count
 * and the smallest. IDS: pass A's, with its facts and the doorbell's.
 */
typedef struct {
    vq_running_hull all, cpu[VQ_GUEST_MAX_CPUS];   /* the upper bounds (kick -> host event) */
    int64_t smallest;           /* the smallest bound (bounds > 0) */
    uint64_t bounds;            /* kicks paired (upper_from_kicks, kick.kicks_paired) */
    uint64_t host_events;       /* doorbell writes or handler runs (kick.host_notifies) */
    uint64_t set_aside;         /* host events set aside, every round (upper_runs_skipped) */
    bool paired;                /* the pairing ran (an estimate to start from) */
    bool per_queue;             /* the last round paired queue by queue (paired_per_queue) */
    bool tcg;                   /* paired with handler runs */
    unsigned rounds;
    uint64_t pair_sum;          /* sum of (kick index + 1) * host time over the pairs (tests) */
    uint64_t released_late;
    uint64_t disordered;        /* kicks that came after host events they could pair with were passed
                                 * (the guest's events far out of time order): the pairs may differ */
    size_t most_kicks, most_host;   /* the largest windows: kicks waiting, host events held */
    vq_bound_summary summary;   /* of the last round's bounds */
    size_t *aside;              /* the host events the last round set aside (absolute indexes, sorted) */
    size_t aside_count;
} vq_kick_pairs;

vq_status vq_kick_pairs_stream(const char *directory, vq_id_bounds *ids, vq_kick_pairs *pairs, vq_error *error);
/* The last round of DONE again, each bound to SINK. */
vq_status vq_kick_pairs_replay(const char *directory, vq_id_bounds *ids, const vq_kick_pairs *done,
                               vq_bound_sink *sink, vq_error *error);
void vq_kick_pairs_free(vq_kick_pairs *pairs);

/*
 * C, the irq pairing (irq_pairs.c): vq_align_clocks's add_irq_bounds over the session's windows. The
 * device's notifies (QEMU) are merged with the injections that follow them (KVM's MSI and irqfd
 * injections; without KVM, the notifies themselves) into the device's injections, and the guest's
 * irqs paired backward with them, queue by queue as pair_by_queue decides (a read again when an
 * injection turns out to name no queue), each irq from the estimate pass B's upper lines give at its
 * time on its CPU (else the smallest kick bound); a pair's bound is tightened to the vCPU's virq of the
 * injection's vector within the window, and rejected when above the estimate. The lower bounds go into
 * running hulls, with their count. IDS and KICKS: passes A's and B's.
 */
typedef struct {
    vq_running_hull all, cpu[VQ_GUEST_MAX_CPUS];   /* the lower bounds (injection -> irq) */
    uint64_t bounds;            /* irqs paired and kept (lower_from_irqs, kick.irqs_paired) */
    uint64_t rejected;          /* pairs whose bound exceeded the estimate (lower_irqs_rejected) */
    uint64_t host_injections;   /* the device's injections (kick.host_injections) */
    bool paired;                /* the pairing ran (kick bounds and injections to pair) */
    bool per_queue;             /* it paired queue by queue */
    bool synthesized;           /* no KVM: the device's notifies are its injections */
    unsigned reads;
    uint64_t pair_sum;          /* sum of (irq index + 1) * injection time over the bounds kept (tests) */
    uint64_t released_late, disordered;
    size_t most_irqs, most_host;    /* the largest windows: irqs waiting, injections and virqs held */
    vq_bound_summary summary;
} vq_irq_pairs;

vq_status vq_irq_pairs_stream(const char *directory, const vq_id_bounds *ids, vq_kick_pairs *kicks,
                              vq_irq_pairs *pairs, vq_error *error);
/* The last read of DONE again, each bound to SINK. */
vq_status vq_irq_pairs_replay(const char *directory, const vq_id_bounds *ids, vq_kick_pairs *kicks,
                              const vq_irq_pairs *done, vq_bound_sink *sink, vq_error *error);
void vq_irq_pairs_free(vq_irq_pairs *pairs);

/*
 * D, the solve (solve_stream.c): vq_align_solve over every bound A-C made, for every CPU (ALL: what the
 * session's alignment is) and for each CPU (CPU[], and their offsets as vq_per_cpu_offsets gives them),
 * from the passes' summaries and hulls and from the halves, which A-C are read again for (the split
 * known). ALL of A-C's outputs are read (their hulls sorted in place).
 */
typedef struct {
    vq_alignment all, cpu[VQ_GUEST_MAX_CPUS];
    vq_clock_offset cpu_offset[VQ_GUEST_MAX_CPUS];
    size_t cpu_offsets;         /* vq_per_cpu_offsets's value: CPUs with their own offset (0: fewer than 2) */
    int64_t cpu_contradiction;
    uint32_t worst_cpu;
    uint64_t bounds;
} vq_solved;

vq_status vq_solve_stream(const char *directory, vq_id_bounds *ids, vq_kick_pairs *kicks, vq_irq_pairs *irqs,
                          vq_solved *solved, vq_error *error);
/* A, B's last round and C's last read again, each bound to SINK (what D and the offset's check read). */
vq_status vq_stream_replay(const char *directory, vq_id_bounds *ids, vq_kick_pairs *kicks, vq_irq_pairs *irqs,
                           vq_bound_sink *sink, vq_error *error);

/*
 * The offset the stages use, chosen and checked as vq_choose_offset does (offset_stream.c), after A-D:
 * SESSION (a fresh one, its meta read) gets the alignment, the bound counts (and the pairings' counts in
 * session->kick, the rejected and set-aside ones), the offset, its check against
 * every bound (A-C read again for each check: one under KVM's TSC, one or two for the causal offset) and
 * the per-CPU offsets, and the same warnings. *REPLAYS: the reads of A-C that took.
 */
vq_status vq_offset_stream(const char *directory, vq_id_bounds *ids, vq_kick_pairs *kicks, vq_irq_pairs *irqs,
                           const vq_solved *solved, vq_session *session, unsigned *replays, vq_error *error);

/*
 * E's kick, run, exit and cost figures (figures_stream.c), from the records stitch_stream.c releases:
 * vq_stream_figures_guest takes the window's first KICKS kicks and counts IRQS irqs; _qemu walks the device's
 * handler runs read so far with QEMU's begins (ENDED: the last run takes the rest) and says the first
 * QEMU request it still needs (*KEEP_FROM, absolute); _probe holds the window's first EXITS exits and the
 * scheduler log's stretches and wakeups (the caller empties it then); _injection notes a device injection's
 * thread (the irq pairing's replay); _decide adds what WINDOW decides of the held records into the exit
 * table and the cost's running sums; _finish (after the last _decide, WINDOW ended) sets the session's
 * workload window and cost.
 */
typedef struct {
    bool usable;                /* a usable offset and a request emitted: START and END are the window so far */
    bool start_final;           /* no request left can have been submitted before the first one emitted */
    bool ended;                 /* every request emitted: the window is final */
    uint64_t start, end;        /* host ns: the first submit, the last completion so far */
    uint64_t before;            /* host ns: no request to come was submitted before it */
} vq_stream_window;

typedef struct {
    int64_t cpu_ns;
    uint64_t wakeups;
    bool active;
} vq_stream_thread;

#define VQ_STREAM_MAX_INJECTORS 64
typedef struct {
    vq_session *session;
    bool has_run;               /* a device handler run came: its pops are counted */
    size_t pops, run_taken, qemu_taken;   /* absolute indexes of the next run and QEMU request to walk */
    vq_host_exit *exits;        /* held until the window decides them */
    size_t exit_count, exit_capacity;
    vq_cpu_slice *slices;
    size_t slice_count, slice_capacity;
    vq_wakeup *wakeups;
    size_t wakeup_count, wakeup_capacity;
    vq_cost cost;               /* the exits' sums in the window */
    vq_stream_thread *threads;  /* by the scheduler log's thread index */
    size_t thread_count;
    uint32_t injectors[VQ_STREAM_MAX_INJECTORS];
    size_t injector_count;
} vq_stream_figures;

bool vq_stream_figures_init(vq_stream_figures *figures, vq_session *session);
bool vq_stream_figures_guest(vq_stream_figures *figures, const vq_loader *load, size_t kicks, size_t irqs);
bool vq_stream_figures_qemu(vq_stream_figures *figures, const vq_loader *load, bool ended, size_t *keep_from);
bool vq_stream_figures_probe(vq_stream_figures *figures, const vq_loader *load, size_t exits);
bool vq_stream_figures_injection(vq_stream_figures *figures, uint32_t tid);
bool vq_stream_figures_decide(vq_stream_figures *figures, const vq_loader *load, const vq_stream_window *window);
bool vq_stream_figures_finish(vq_stream_figures *figures, const vq_loader *load);
void vq_stream_figures_free(vq_stream_figures *figures);

/*
 * E, stitching and emission (stitch_stream.c): vq_stitch over the session's windows, after A-D and the
 * offset (vq_offset_stream set SESSION's): each request stitched by vq_stitch_request and emitted into
 * SESSION (vq_session_emit: the accumulators; rows are not kept), in submit order, once complete and the
 * host side is read VQ_ID_BOUNDS_MARGIN_NS past its completion on the offset; a request not complete
 * VQ_ID_BOUNDS_TIMEOUT_NS after its submit is listed as unmatched then (given_up: the batch stitches it
 * if it completes later). The pairs B's last round and C's last read keep are replayed into temporary
 * files first (disk: 32 bytes a pair) and read back as the kicks and irqs come.
 */
enum { VQ_STREAM_GUEST, VQ_STREAM_QEMU, VQ_STREAM_PROBE, VQ_STREAM_PASSES };
typedef struct {
    char **items;
    size_t count;
} vq_warning_list;

typedef struct {
    uint64_t requests;          /* guest requests stitched or listed unmatched */
    uint64_t given_up;          /* of those, listed before their completion came (above) */
    uint64_t kick_pairs, irq_pairs;   /* the pairs replayed */
    uint64_t released_late, steps;
    size_t most_requests;       /* the largest windows: guest requests, host records */
    size_t most_host;
    vq_warning_list pass_warnings[VQ_STREAM_PASSES];   /* each pass's, in the order it added them */
    vq_loader *load;            /* with E2E: the read's loader, E2E in it, what the passes leave */
} vq_stitch_streamed;

/* E2E: NULL, or the application end's collector, fed by the guest pass (then out->load holds it). */
vq_status vq_stitch_stream(const char *directory, vq_id_bounds *ids, vq_kick_pairs *kicks, vq_irq_pairs *irqs,
                           vq_session *session, vq_e2e *e2e, vq_stitch_streamed *out, vq_error *error);
void vq_stitch_streamed_free(vq_stitch_streamed *out);

/*
 * The streaming load (session_stream.c): SESSION (its meta read, no rows, the whole session) gets what
 * vq_session_load's batch steps would give it, from A-E. *STREAMED false (VQ_OK, SESSION left to be
 * discarded): the passes cannot give it exactly (a request given up, an event for a released record,
 * guest events out of order past VQ_STREAM_DISORDER_NS, no xblk device, or an error the batch steps are
 * to report: ERROR says which), and the caller runs the batch steps.
 */
vq_status vq_session_stream(vq_session *session, const char *directory, bool *streamed, vq_error *error);

#endif
