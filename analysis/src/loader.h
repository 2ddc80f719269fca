/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the analyzer (not installed, not for reporters): what vq_session_load's steps share. The
 * three collectors (guest, QEMU, probe) each stream one source into the compact records below; the
 * alignment (alignment.c), stitching (stitch.c) and summaries (summaries.c) then read those arrays, all
 * sorted by time. Each step takes the loader and a vq_error; what it finds wrong but survivable it adds
 * to the session's warnings (vq_session_warn), in the order the steps run.
 */
#ifndef VQSCOPE_ANALYSIS_LOADER_H
#define VQSCOPE_ANALYSIS_LOADER_H

#include "align.h"
#include "containers.h"
#include "e2e.h"
#include "event.h"
#include "guest_trace.h"
#include "reorder.h"
#include "session.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VQ_LOADER_MAX_THREADS 256
/* An event's queue when it does not name one (pairing then runs over all queues as one sequence). */
#define VQ_NO_QUEUE UINT32_MAX

typedef struct {                /* 96 bytes, one per request (the flags share the last word) */
    uint64_t id;
    uint32_t vq;
    uint32_t cpu;               /* the guest CPU it was submitted on */
    uint32_t complete_cpu;      /* the guest CPU of its completion */
    uint32_t sectors;           /* stock virtio-blk (below) */
    uint64_t submit, complete;  /* guest ns; complete 0 = none */
    size_t kick, irq;           /* indexes, VQ_NO_INDEX = none */
    /* Stock virtio-blk: what names the request on both sides (sector, sectors, write), and the next
     * request with the same. */
    uint64_t sector;
    size_t next_same;
    bool write;
    /* The driver's own hold of it between ring add and kick (kick_hold_ns), guest ns; kick_held false:
     * none. */
    bool kick_held;
    bool joined;                /* a streaming pass took its id bound (id_bounds.c) */
    uint64_t kick_hold_start, kick_hold_end;
} vq_guest_request;

typedef struct {                /* 48 bytes, one per kick */
    uint64_t ts, id_last;
    uint32_t vq;
    uint32_t cpu;               /* the guest CPU that kicked */
    uint32_t requests;          /* requests it covers (at most a queue's size) */
    bool notified;
    uint64_t last_hold_end;     /* the latest end of a driver hold among them (kick_hold_ns), 0 none */
    size_t notify;              /* paired host notify, VQ_NO_INDEX = none */
    uint64_t served;            /* stitched rows that named it (its id_last their kick_id; stitch.c) */
} vq_guest_kick;

typedef struct {
    uint64_t ts;
    uint32_t vq;                /* the queue the driver's handler ran for (VQ_NO_QUEUE: not named) */
    uint32_t cpu;               /* the guest CPU it ran on */
    size_t injection;           /* paired host injection */
} vq_guest_irq;

/* The device's doorbell as the host saw it. */
typedef struct {
    uint64_t exit_ts;           /* kvm_exit before the MMIO write (0: not seen) */
    uint64_t mmio_ts;           /* kvm_mmio write, or ioeventfd_write if no kvm_mmio */
    uint64_t signal_ts;         /* ioeventfd_write (on) or kvm_userspace_exit MMIO (off); 0 = none */
    uint64_t gpa;
    uint32_t tid;
    uint32_t queue;             /* the queue index written (kvm_mmio's value); VQ_NO_QUEUE: not seen */
    size_t kick;                /* paired guest kick */
    size_t exit;                /* the exit of the write in exits (valid when its ts is exit_ts) */
} vq_host_notify;

typedef struct {
    uint64_t ts;
    uint64_t vdev;
    uint64_t vq;                /* the VirtQueue's address */
    uint32_t queue;             /* its index (virtio_queue_notify's n; for a notify: the index of the same
                                 * address in the handler runs), VQ_NO_QUEUE unknown */
} vq_qemu_mark;                 /* virtio_queue_notify, virtio_notify[_irqfd] */

typedef struct {
    uint64_t id, vdev, begin, end;
    uint32_t vq;
    int64_t serve_hold_ns;      /* the device's delay-ns hold between serving and pushing it; -1 none */
} vq_qemu_request;

/* The device held its interrupt after pushing (notify-delay-ns): the hold starts after a handler run
 * pushed its requests and ends with the notify at END, which delivers every request pushed on VQ since
 * the previous notify (those pushed during the hold ride it). */
typedef struct {
    uint64_t start, end;
    uint32_t vq;
} vq_notify_hold;

typedef struct {
    uint64_t ts;
    uint32_t vector;            /* MSI vector; UINT32_MAX for an irqfd */
    uint32_t tid;
} vq_host_injection;

typedef struct {
    uint64_t ts;
    uint32_t vector;
} vq_host_virq;

typedef struct {
    uint64_t ts;
    uint32_t isa, reason;
    int64_t duration;           /* -1: no entry seen */
    bool userspace;             /* went on to user space: a kvm_userspace_exit before the next kvm_entry */
} vq_host_exit;

typedef struct {
    uint32_t tid;
    bool in_exit;
    bool vcpu;                  /* has run a kvm_exit: a vCPU thread */
    size_t exit;                /* index in exits */
    size_t open_notify;         /* notify waiting for its signal on this thread */
} vq_thread_state;

/*
 * The scheduler's view of QEMU's threads (sched_switch, sched_wakeup of the target process), kept for the
 * cost figures (cost.c): each stretch a thread was on a CPU, and each wakeup. A thread's first switch
 * out without a switch in before it was on a CPU since the probes were attached (a switch in of a QEMU
 * thread is always recorded); a thread still on at the end stays on to the last event.
 *
 * Streams since 2026-12-03 carry each thread's CPU time as the kernel accounts it (prev_runtime_ns,
 * next_runtime_ns) and stamp the scheduler's records with the tick's clock (up to a jiffy early, see
 * probes/FORMAT.md): a slice is then the CPU time between two of a thread's records (CPU_NS), spread
 * evenly over [start, end] when a window cuts it. For older streams CPU_NS is end - start.
 */
typedef struct {
    uint64_t start, end;
    uint64_t cpu_ns;
    uint32_t tid;
} vq_cpu_slice;

typedef struct {
    uint64_t ts;
    uint32_t tid;               /* the woken thread */
} vq_wakeup;

typedef struct {
    uint32_t tid;
    enum { VQ_SCHED_UNSEEN, VQ_SCHED_ON, VQ_SCHED_OFF } state;
    uint64_t since;             /* VQ_SCHED_ON: switched in at */
    bool has_runtime;           /* its last record said its CPU time: RUNTIME at RUNTIME_TS */
    uint64_t runtime, runtime_ts;
} vq_sched_thread;

typedef struct {
    uint32_t target_tgid;       /* QEMU's process id: its main thread's id too */
    uint64_t attached_mask;     /* the stream header's: bit (1 << type) = that event type was recorded */
    uint64_t stream_start, last_ts;
    vq_sched_thread *threads;
    size_t thread_count, thread_capacity;
    vq_id_map thread_index;     /* tid -> threads[] */
    vq_cpu_slice *slices;
    size_t slice_count, slice_capacity;
    vq_wakeup *wakeups;
    size_t wakeup_count, wakeup_capacity;
} vq_sched_log;

/*
 * The QEMU and probe passes' dispatch on an event's name: KIND(name) by strcmp, once per name when the
 * source's names are stable (one address per name: the kind is kept by address, in an open-addressed
 * table of VQ_KIND_SLOTS), else every time. Reset by the pass's open (vq_kind_reset).
 */
#define VQ_KIND_SLOTS 128
typedef struct {
    bool stable;                /* the source's stable_names */
    size_t count;
    const char *names[VQ_KIND_SLOTS];
    int kinds[VQ_KIND_SLOTS];
} vq_kind_cache;

void vq_kind_reset(vq_kind_cache *cache, bool stable);
int vq_kind_of(vq_kind_cache *cache, const char *name, int (*kind)(const char *name));

/* Reading one disk of an A/B session (vq_session_load_part): what to keep. */
typedef struct {
    char label;                 /* 0: keep everything */
    char pci[16];               /* the disk's PCI address: its BARs are the doorbell */
    const vq_window *guest;     /* the disk's blocks on the guest clock: guest events inside are kept */
    const vq_window *host;      /* the same on the host clock (the whole session's offset, with a margin) */
    size_t count;
} vq_part_filter;

/* TS falls in one of the COUNT windows (sorted, not overlapping). */
bool vq_in_windows(const vq_window *windows, size_t count, uint64_t ts);

typedef struct {
    vq_session *session;
    const char *directory;
    vq_part_filter part;        /* an A/B session read for one disk (part.label != 0) */
    vq_block *blocks;           /* the markers of an A/B session, in order */
    size_t block_count, block_capacity;
    vq_guest_ab_disk ab_disks[VQ_GUEST_MAX_AB_DISKS];
    size_t ab_disk_count;
    int64_t driver_completed[VQ_GUEST_MAX_QUEUES];   /* guest.trace's '# queue-completed:', -1 unknown */
    size_t driver_queue_count;
    /* The collectors' records (guest: requests, kicks, irqs; QEMU: requests, handler runs, notifies;
     * probe: exits, doorbell writes, injections, virqs; not the scheduler log) are windows: *_base is
     * the index of element 0, and every index a record or map holds is absolute (vq_request_at...). The
     * batch steps read whole sessions: their bases stay 0. A streaming consumer releases what it is
     * done with (vq_loader_release_guest / _qemu / _probe). */
    vq_guest_request *requests;
    size_t request_count, request_capacity, request_base;
    vq_guest_kick *kicks;
    size_t kick_count, kick_capacity, kick_base;
    vq_guest_irq *irqs;
    size_t irq_count, irq_capacity, irq_base;
    vq_guest_bar bars[VQ_GUEST_MAX_BARS];
    size_t bar_count;
    vq_clock_pair guest_pairs[VQ_GUEST_MAX_CLOCK_PAIRS];
    size_t guest_pair_count;
    vq_clock_pair guest_cpu_pairs[VQ_GUEST_MAX_CPU_PAIRS];   /* the pairs taken on a given CPU */
    size_t guest_cpu_pair_count;
    vq_id_map guest_ids, qemu_ids;
    vq_host_notify *notifies;
    size_t notify_count, notify_capacity, notify_base;
    vq_qemu_mark *handlers, *device_notifies;
    size_t handler_count, handler_capacity, device_notify_count, device_notify_capacity;
    size_t handler_base, device_notify_base;
    vq_qemu_request *qemu_requests;
    size_t qemu_request_count, qemu_request_capacity, qemu_request_base;
    uint64_t released_late;     /* events for a record already released (a consumer's window too short) */
    vq_host_injection *injections;
    size_t injection_count, injection_capacity, injection_base;
    vq_host_virq *virqs;
    size_t virq_count, virq_capacity, virq_base;
    vq_host_exit *exits;
    size_t exit_count, exit_capacity, exit_base;
    vq_thread_state threads[VQ_LOADER_MAX_THREADS];
    size_t thread_count;
    vq_kind_cache qemu_kinds, probe_kinds;   /* the QEMU and probe passes' event names (above) */
    vq_sched_log sched;         /* for the cost figures (cost.c) */
    uint64_t xblk_vdev;         /* the traced device's vdev (xblk, or stock virtio-blk) */
    /*
     * Stock virtio-blk (no request ids): the guest's block_rq_issue gets an id here (1, 2, ...); its
     * block_rq_complete and QEMU's virtio_blk_handle_read/write are matched to it by (sector, sectors,
     * write) in order, each through its own queue of requests with that key (heads below, linked by
     * vq_guest_request.next_same); QEMU's req pointer then names the request up to virtio_blk_req_complete.
     */
    bool stock;
    bool paired_per_queue;      /* kicks and irqs were paired queue by queue (alignment.c) */
    bool stock_device;          /* meta.json's device is not ours: block_rq_issue/complete are its submit/complete */
    vq_e2e *e2e;                /* the application end of each request (e2e.h) */
    uint64_t stock_ids;
    vq_id_map stock_tail, stock_complete_head, stock_qemu_head, stock_req;
    uint64_t stock_unmatched_qemu;
    /* After filtering: */
    size_t *device_injections;  /* indexes into injections that answer the device's virtio_notify */
    size_t device_injection_count;
    vq_notify_hold *notify_holds;  /* in time order */
    size_t notify_hold_count, notify_hold_capacity;
    vq_constraint *constraints;  /* the causal bounds, kept to check the chosen offset against (freed then) */
    size_t constraint_count;
} vq_loader;

/* The guest request and QEMU request at absolute INDEX; NULL when released (or VQ_NO_INDEX). */
static inline vq_guest_request *vq_request_at(const vq_loader *load, size_t index)
{
    return index != VQ_NO_INDEX && index >= load->request_base && index - load->request_base < load->request_count
               ? &load->requests[index - load->request_base] : NULL;
}

static inline vq_qemu_request *vq_qemu_request_at(const vq_loader *load, size_t index)
{
    return index != VQ_NO_INDEX && index >= load->qemu_request_base &&
                   index - load->qemu_request_base < load->qemu_request_count
               ? &load->qemu_requests[index - load->qemu_request_base] : NULL;
}

static inline vq_guest_kick *vq_kick_at(const vq_loader *load, size_t index)
{
    return index != VQ_NO_INDEX && index >= load->kick_base && index - load->kick_base < load->kick_count
               ? &load->kicks[index - load->kick_base] : NULL;
}

static inline vq_guest_irq *vq_irq_at(const vq_loader *load, size_t index)
{
    return index != VQ_NO_INDEX && index >= load->irq_base && index - load->irq_base < load->irq_count
               ? &load->irqs[index - load->irq_base] : NULL;
}

static inline vq_qemu_mark *vq_handler_at(const vq_loader *load, size_t index)
{
    return index != VQ_NO_INDEX && index >= load->handler_base && index - load->handler_base < load->handler_count
               ? &load->handlers[index - load->handler_base] : NULL;
}

static inline vq_host_exit *vq_exit_at(const vq_loader *load, size_t index)
{
    return index != VQ_NO_INDEX && index >= load->exit_base && index - load->exit_base < load->exit_count
               ? &load->exits[index - load->exit_base] : NULL;
}

static inline vq_host_notify *vq_notify_at(const vq_loader *load, size_t index)
{
    return index != VQ_NO_INDEX && index >= load->notify_base && index - load->notify_base < load->notify_count
               ? &load->notifies[index - load->notify_base] : NULL;
}

/* The host time a notify stands for: the kvm_exit of the doorbell write, else the write itself. */
static inline uint64_t vq_notify_time(const vq_host_notify *notify)
{
    return notify->exit_ts ? notify->exit_ts : notify->mmio_ts;
}

/* Latest host time of a notify before QEMU's handler can run. */
static inline uint64_t vq_notify_last(const vq_host_notify *notify)
{
    return notify->signal_ts ? notify->signal_ts : notify->mmio_ts;
}

/* Appends a warning to SESSION (printf-style; session.c); dropped silently when out of memory. */
void vq_session_warn(vq_session *session, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Shared by the QEMU and probe passes (loader.c). The numeric argument NAME of EVENT (false: none). */
bool vq_event_arg(const vq_event *event, const char *name, uint64_t *value);
/* A source read through the reorder buffer in steps (the QEMU and probe passes): vq_sorted_until hands
 * TAKE each event in timestamp order up to the first one stamped after LIMIT, which it keeps for the next
 * step (VQ_OK, NEXT its time), or to the source's end (VQ_END); vq_sorted_finish warns of late events. */
typedef struct {
    vq_reorder *reorder;
    vq_event event;             /* released but past the last limit: the next step takes it first */
    bool held;
} vq_sorted_cursor;

vq_status vq_sorted_open(vq_sorted_cursor *cursor, vq_event_source source, vq_error *error);
vq_status vq_sorted_until(vq_loader *load, vq_sorted_cursor *cursor, uint64_t limit, uint64_t *next,
                          vq_status (*take)(vq_loader *, const vq_event *), vq_error *error);
void vq_sorted_finish(vq_loader *load, const vq_sorted_cursor *cursor);
void vq_sorted_close(vq_sorted_cursor *cursor);
/* Gives back the unused part of each array the collectors filled (they grow by doubling). */
void vq_loader_fit(vq_loader *load);
/* Frees what only the alignment, stitching and kick figures read (the guest's requests, kicks and irqs,
 * QEMU's runs and requests, the doorbell notifies, the causal bounds), once they are done: the cost
 * figures and the application end need the exits, injections, threads, scheduler log and e2e only. */
void vq_loader_release_stitched(vq_loader *load);
/*
 * A streaming consumer is done with the guest records before absolute indexes REQUESTS, KICKS and IRQS
 * (or QEMU's before QEMU_REQUESTS, HANDLERS, DEVICE_NOTIFIES): they leave the arrays, and the id maps
 * forget the ids below the smallest one kept (none kept: up to the largest released). An event that
 * comes later for a released record whose id is still mapped (one above a kept one) is counted
 * (released_late), not applied; one for a forgotten id reads like one from before the trace started: a
 * consumer releases a request only once nothing more can come for it, and counts what it gives up.
 * Stock virtio-blk's sector queues cannot be windowed: false there, and when out of memory (nothing
 * released).
 */
bool vq_loader_release_guest(vq_loader *load, size_t requests, size_t kicks, size_t irqs);
bool vq_loader_release_qemu(vq_loader *load, size_t qemu_requests, size_t handlers, size_t device_notifies);
/* The probe pass's records before EXITS, NOTIFIES, INJECTIONS and VIRQS (absolute) leave: a vCPU thread
 * still in a released exit, or with a released doorbell write open, counts what comes for it
 * (released_late). */
void vq_loader_release_probe(vq_loader *load, size_t exits, size_t notifies, size_t injections, size_t virqs);
/*
 * For a read that keeps only the doorbell writes as they come (stream_align.h): releases every probe record
 * but the exits vCPU threads are still in (a write's time is its exit's) and the writes still open (their
 * signal is theirs, not a write of its own), and empties the scheduler log. vq_loader_notify_floor: the
 * earliest time a doorbell write not yet read can have, the pass's next event at NEXT: an open exit's time,
 * when earlier.
 */
void vq_loader_release_probe_but_open(vq_loader *load);
/* The same, keeping the exits and doorbell writes at or after BEFORE (host ns) too: those a consumer may
 * still look up. */
void vq_loader_release_probe_before(vq_loader *load, uint64_t before);
/* How many of the exits held it releases (the first ones). */
size_t vq_loader_exits_before(const vq_loader *load, uint64_t before);
uint64_t vq_loader_notify_floor(const vq_loader *load, uint64_t next);
/* The device's notify holds (in time order, read by stitching's search, no index kept): the first COUNT
 * go. */
void vq_loader_release_holds(vq_loader *load, size_t count);

void vq_loader_free(vq_loader *load);

/* Stock virtio-blk (stock.c): the queues of guest requests per (sector, sectors, write) key. Appends
 * request INDEX (its next_same VQ_NO_INDEX) to the queues of its key; takes the oldest request of
 * HEADS' queue for a key (VQ_NO_INDEX: none); QEMU's req pointer as a vq_id_map key. */
bool vq_stock_append(vq_loader *load, size_t index);
size_t vq_stock_take(vq_loader *load, vq_id_map *heads, uint64_t sector, uint32_t sectors, bool write);
uint64_t vq_stock_req_key(uint64_t req);

/*
 * The passes: guest.trace (collect_guest.c: requests, kicks, irqs, BARs, clock pairs), the QEMU trace
 * (collect_qemu.c: handler runs, device notifies, requests, holds; needs the guest's stock requests),
 * host-probe.vqp (collect_probe.c: exits, doorbell notifies, injections, virqs; needs the BARs).
 *
 * Each is read in steps (pass.c; the streaming core reads the three side by side, STREAMING.md): open,
 * then until(LIMIT) as often as wanted, each taking the events stamped at or before LIMIT (ns of the
 * source's own clock) in the order the pass takes them, up to the first one after it, which waits for
 * the next step (VQ_OK), or to the source's end (VQ_END); then finish (what needs the whole source: the
 * header's figures, checks, end-of-source warnings), close. Whatever the limits, the records are those
 * of one step to the end: a pause keeps every state of the pass.
 */
typedef struct {
    const char *name;           /* for messages and tests: "guest", "qemu", "probe" */
    size_t state_size;          /* the pass's own state, zeroed by vq_pass_open */
    vq_status (*open)(vq_loader *load, void *state, vq_error *error);
    /* VQ_OK sets NEXT: the time of the event that waits for the next step */
    vq_status (*until)(vq_loader *load, void *state, uint64_t limit, uint64_t *next, vq_error *error);
    vq_status (*finish)(vq_loader *load, void *state, vq_error *error);
    void (*close)(void *state);
} vq_pass_ops;

extern const vq_pass_ops vq_guest_pass, vq_qemu_pass, vq_probe_pass;

typedef struct vq_pass vq_pass;

vq_status vq_pass_open(vq_loader *load, const vq_pass_ops *ops, vq_pass **out, vq_error *error);
/* VQ_OK: stopped at LIMIT; VQ_END: the source is read (again VQ_END from then on); an error otherwise. */
vq_status vq_pass_until(vq_pass *pass, uint64_t limit, vq_error *error);
/* After a VQ_OK step: the time of the first event not taken yet (after the limit: the pass's watermark). */
uint64_t vq_pass_next(const vq_pass *pass);
/* After VQ_END only. */
vq_status vq_pass_finish(vq_pass *pass, vq_error *error);
void vq_pass_close(vq_pass *pass);
/* A step of a pass read alongside others: until LIMIT unless *ENDED; at its source's end, finish and set
 * *ENDED. */
vq_status vq_pass_step(vq_pass *pass, uint64_t limit, bool *ended, vq_error *error);

/*
 * The steps of vq_session_load, in its order. Each returns VQ_OK or an error with ERROR set.
 *
 * The three passes in one step each (pass.c: open, until the end, finish).
 */
vq_status vq_collect_guest(vq_loader *load, vq_error *error);
vq_status vq_collect_qemu(vq_loader *load, vq_error *error);
vq_status vq_collect_probe(vq_loader *load, vq_error *error);
/* Then only the traced device's handler runs and notifies, its requests sorted by begin with the id
 * index rebuilt (collect_qemu.c); only the notifies at the doorbell (collect_probe.c). */
vq_status vq_keep_device_events(vq_loader *load, vq_error *error);
void vq_keep_doorbell(vq_loader *load);

/*
 * alignment.c. vq_align_clocks makes the causal bounds (constraints) from the id-matched ends and
 * completions, from notified kicks paired in order with the notifies (without notifies, TCG: with the
 * handler runs) and from irqs paired with the injections that follow a device notify (without KVM: the
 * device notifies themselves); it records the pairings (kicks[].notify, notifies[].kick,
 * irqs[].injection, device_injections), and sets session->alignment, the bound counts and the kick
 * figures about pairing. vq_choose_offset sets session->offset (the TSC's, from DIRECTORY's TSC files and
 * guest_pairs, else the causal midpoint), session->tsc and session->offset_check.
 */
vq_status vq_align_clocks(vq_loader *load, vq_error *error);
/* What vq_align_clocks warns of once solved: SET_ASIDE host events set aside (TCG: handler runs, else
 * notifies), REJECTED irq pairings. */
void vq_alignment_warnings(vq_session *session, bool tcg, uint64_t set_aside, uint64_t rejected);
vq_status vq_choose_offset(vq_loader *load, vq_error *error);
/* KVM's TSC offset of DIRECTORY's session with the guest's clock pairs, as vq_choose_offset takes it (its
 * line and error): false when not recorded or not usable (vq_choose_offset says why). The irq pairing
 * starts from it when there. */
bool vq_tsc_offset_of(const char *directory, const vq_clock_pair *guest_pairs, size_t guest_pair_count,
                      vq_clock_offset *offset);
/*
 * vq_choose_offset on any bounds: SESSION's alignment and bound counts set, DIRECTORY's TSC files, the
 * guest's clock pairs (all, and per CPU), and a CHECKER of an offset against every bound: the batch's
 * array (vq_choose_offset), or a replay of the streaming passes (stream_align.h). check: ALL's margins,
 * each bound against PER_CPU[its CPU] when PER_CPU is given and that one usable (not VQ_OK: failed, ERROR
 * set, and the choice stops with it); per_cpu: vq_per_cpu_offsets's.
 */
typedef struct vq_offset_checker {
    vq_status (*check)(struct vq_offset_checker *checker, const vq_clock_offset *all,
                       const vq_clock_offset *per_cpu, vq_offset_check *out, vq_error *error);
    size_t (*per_cpu)(struct vq_offset_checker *checker, vq_clock_offset *offsets, int64_t *contradiction,
                      uint32_t *worst_cpu);
} vq_offset_checker;

vq_status vq_choose_offset_with(vq_session *session, const char *directory, const vq_clock_pair *guest_pairs,
                                size_t guest_pair_count, const vq_clock_pair *cpu_pairs, size_t cpu_pair_count,
                                vq_offset_checker *checker, vq_error *error);

/* stitch.c: session->rows (requests with a completion, a kick, the device's begin and end, and an irq),
 * session->unmatched (the others, with the reason) and the negative stage counts, under session->offset. */
vq_status vq_stitch(vq_loader *load, vq_error *error);
/*
 * The same one request at a time, on the batch's arrays or a streaming pass's windows (stitch_stream.c):
 * the request's kick, irq, handler runs, doorbell write and its exit, and the notify holds are looked up
 * in LOAD's windows by their absolute indexes (the handler runs: the traced device's, load->xblk_vdev);
 * the caller finds the device's request (DEVICE: NULL none) and the injection paired with its irq
 * (INJECTION: NULL none). The row is emitted into SESSION (its offset, rows when kept, unmatched, counts).
 * vq_stitch_finish: the warnings about what was stitched.
 */
typedef struct {
    uint32_t vq;
    uint64_t id_last, host_ts;
    uint64_t served;            /* its rows so far (vq_guest_kick.served) */
} vq_released_kick;

typedef struct {
    size_t index;
    vq_qemu_mark run;
} vq_released_run;

typedef struct {
    vq_session *session;
    vq_loader *load;
    bool tcg;                   /* the kicks were paired with handler runs (no doorbell writes) */
    bool paired_per_queue;      /* and kicks and irqs queue by queue */
    size_t row_capacity, unmatched_capacity;
    /* Per queue, the last paired kick a streaming pass released (vq_stitch_forget_kick): where a batched
     * request's look back for the kick of its handler run goes on past the window. */
    vq_released_kick released[VQ_GUEST_MAX_QUEUES + 1];
    size_t released_count;
    /* The same for the handler runs: per queue named (and VQ_NO_QUEUE), the last one released. */
    vq_released_run released_runs[VQ_GUEST_MAX_QUEUES + 2];
    size_t released_run_count;
} vq_stitcher;

vq_status vq_stitch_request(vq_stitcher *stitcher, const vq_guest_request *request, const vq_qemu_request *device,
                            const vq_host_injection *injection);
/* KICK leaves the window (its paired host event still in it): kept as its queue's last released one (the
 * one it replaces can be named no more: its rows counted, vq_session_add_served). False: out of memory. */
bool vq_stitch_forget_kick(vq_stitcher *stitcher, const vq_guest_kick *kick);
/* The handler run RUN at absolute INDEX leaves the window: kept as the last released one of its queue. */
void vq_stitch_forget_run(vq_stitcher *stitcher, size_t index, const vq_qemu_mark *run);
/* The warnings, and the rows of every kick left (the window's, those released last) counted. False: out
 * of memory. */
bool vq_stitch_finish(vq_stitcher *stitcher);

/* session.c: the application end of each emitted row (E2E's matching, session->emitted.drivers, freed then)
 * and fio's own figures (DIRECTORY's workload.txt) into SESSION. */
vq_status vq_session_extend_to_application(vq_session *session, vq_e2e *e2e, const char *directory,
                                           vq_error *error);

/* summaries.c: session->kick (per kick, per handler run, kick -> begin) and session->exits, from the
 * loader and the rows. */
vq_status vq_summarize_kicks_and_exits(vq_loader *load, vq_error *error);
/* Its pieces, for a streaming pass too (the order of the adds changes no figure): a kick, a device handler
 * run that popped POPS requests, the workload's windows from the emitted requests (false: out of memory),
 * an exit into the exit table (reasons in the order they first come; IN_WINDOW: in the workload's
 * windows). */
#define VQ_MAX_EXIT_REASONS 128     /* the exit table's reasons (the rest are not listed) */
bool vq_kick_figures_add_kick(vq_kick_stats *kick, const vq_guest_kick *guest_kick);
bool vq_kick_figures_add_run(vq_kick_stats *kick, size_t pops);
bool vq_session_set_workload_window(vq_session *session, const vq_loader *load);
bool vq_exit_table_add(vq_session *session, const vq_host_exit *exit_record, bool in_window);

/*
 * cost.c. vq_sched_take: a sched_switch or sched_wakeup of the probe pass into load->sched (VQ_OK or
 * VQ_ERR_NOMEM); vq_sched_finish closes the stretches still open when the stream ends. vq_summarize_cost:
 * session->cost (cost.h) from the exits, the notifies, the scheduler log and the rows, over the workload
 * window that vq_summarize_kicks_and_exits set.
 */
vq_status vq_sched_take(vq_loader *load, const vq_event *event);
void vq_sched_finish(vq_loader *load);
vq_status vq_summarize_cost(vq_loader *load, vq_error *error);
/*
 * Its pieces, for a streaming pass too. vq_cost_start: session->cost started over the workload window the
 * emitted requests set (false: nothing to measure, the cost left at its requests); then
 * vq_cost_start_notify_exits (an A/B part's blocks, the rows' notify exits). vq_cost_add_exit: an exit
 * into COST (the session's, or a pass's running sums) when in the windows; vq_cost_slice_on: a slice's CPU
 * time inside them. vq_cost_classify: each thread of LOAD's scheduler log's class into CLASSES, the
 * IOThreads those that raised the device's injections (LOAD's, and INJECTORS' thread ids).
 */
bool vq_cost_start(vq_session *session, const vq_sched_log *log);
vq_status vq_cost_start_notify_exits(vq_session *session);
void vq_cost_add_exit(const vq_session *session, vq_cost *cost, const vq_host_exit *exit_record);
int64_t vq_cost_slice_on(const vq_session *session, const vq_cpu_slice *slice);
void vq_cost_classify(const vq_loader *load, const uint32_t *injectors, size_t injector_count,
                      vq_thread_class *classes);

#endif
