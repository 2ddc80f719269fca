/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest -> host clock alignment by causality (pure functions).
 *
 * offset = host_clock - guest_clock (ns), so host_time = guest_time + offset. Two kinds of pairs:
 *   a guest event that happens before a host event (kick -> the VM exit of its notify write):
 *       guest + offset <= host        =>  offset <= host - guest      (an UPPER bound)
 *   a host event that happens before a guest event (interrupt injection -> guest irq handler; the
 *   device's request end -> the guest's completion of the same id):
 *       host <= guest + offset        =>  offset >= host - guest      (a LOWER bound)
 * The offset lies in [lo, hi] = [max of lower bounds, min of upper bounds]. lo > hi means the
 * constraints contradict (a wrong pairing, or a clock that drifted): reported with the amount.
 * Drift: the bounds of the first and second half (by guest time) are solved separately; if the two
 * intervals do not overlap, the offset moved.
 */
#ifndef VQSCOPE_ANALYSIS_ALIGN_H
#define VQSCOPE_ANALYSIS_ALIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where a bound comes from: named in reports when an offset falls outside it. */
typedef enum {
    VQ_BOUND_UNNAMED = 0,
    VQ_BOUND_KICK_EXIT,      /* upper: guest kick -> the host notify (exit) of its doorbell write */
    VQ_BOUND_INJECT_IRQ,     /* lower: host injection -> the guest irq it raised */
    VQ_BOUND_END_COMPLETE,   /* lower: the device's req_end of id X -> the guest's completion of X */
} vq_bound_source;

typedef struct {
    uint64_t guest_ns;
    int64_t value;   /* host - guest */
    bool upper;      /* true: offset <= value; false: offset >= value */
    uint8_t source;  /* a vq_bound_source (a byte: 24 bytes a bound, a few per request) */
    uint32_t cpu;    /* the guest CPU of its guest event (the kick's, the irq's, the completion's) */
} vq_constraint;

/* "kick -> exit", "injection -> irq", "end -> complete" or "unnamed". */
const char *vq_bound_source_name(vq_bound_source source);

typedef struct {
    size_t upper_count, lower_count;
    bool has_hi, has_lo;
    int64_t hi, lo;               /* valid when has_hi / has_lo */
    uint64_t hi_guest_ns, lo_guest_ns;   /* guest time of the binding constraints */
} vq_offset_interval;

/*
 * The straight line offset(t) = lo + slope * (t - from) .. hi + slope * (t - from) that leaves the
 * widest band between every lower and every upper bound (the slope searched within +- 2000 ppm; the
 * band's width is a concave function of the slope). For clocks that drift apart, where no constant
 * offset satisfies all bounds. width < 0: even the best line contradicts them (a wrong pairing).
 */
typedef struct {
    bool usable;            /* bounds of both sides */
    double slope_ppm;
    uint64_t from_guest_ns, to_guest_ns;   /* the bounds' span */
    int64_t lo, hi;         /* the band at from_guest_ns */
    int64_t width;          /* hi - lo */
} vq_drift_line;

typedef struct {
    vq_offset_interval whole, first, second;
    uint64_t split_guest_ns;      /* first half: guest_ns < split */
    bool contradiction;           /* whole.lo > whole.hi */
    int64_t contradiction_ns;     /* lo - hi when contradicting */
    bool drift_detected;          /* the half intervals are disjoint */
    double drift_ppm;             /* change of the midpoints per guest time, when detected */
    /* Drift compatible with the halves (when each has both bounds): [min, max] in ppm. */
    bool drift_bounded;
    double drift_min_ppm, drift_max_ppm;
    int64_t offset;               /* the midpoint of the whole interval (what stages use) */
    bool usable;                  /* both bounds exist */
    /* With drift detected (the halves disjoint): the widest band a straight line leaves
     * (vq_align_line); the stages use it then, when it is wider than the constant interval. A
     * contradiction without drift is a wrong pairing, not a slope to fit. */
    vq_drift_line line;
} vq_alignment;

/*
 * The offset the cross-clock stages use, whatever gave it: a straight line through (from_guest_ns,
 * from_offset) and (to_guest_ns, to_offset), held constant outside [from, to] (no extrapolation of a
 * drift measured over the span). A constant offset has from == to. error_ns: how far the true offset
 * may be from it (the method says how it is estimated).
 */
typedef enum {
    VQ_OFFSET_CAUSAL,   /* the midpoint of the causal interval; error = half its width */
    VQ_OFFSET_TSC,      /* KVM's tsc-offset and clock pairs (tsc.h) */
} vq_offset_method;

typedef struct {
    bool usable;                  /* false: no offset at all; cross-clock stages are left out */
    vq_offset_method method;
    uint64_t from_guest_ns, to_guest_ns;
    int64_t from_offset, to_offset;
    int64_t error_ns;
} vq_clock_offset;

int64_t vq_clock_offset_at(const vq_clock_offset *offset, uint64_t guest_ns);
vq_clock_offset vq_clock_offset_constant(vq_offset_method method, int64_t offset, int64_t error_ns);

/*
 * An offset held against the causal bounds, each at its own guest time (so a drifting offset is judged
 * where each bound was measured). Margins: min over lower bounds of offset(t) - value, and over upper
 * bounds of value - offset(t); negative = violated. For a constant offset they are offset - lo and
 * hi - offset of the whole interval.
 */
typedef struct {
    bool has;                   /* a bound of this side exists */
    int64_t margin;             /* the smallest */
    uint64_t guest_ns;          /* where the smallest margin is */
    vq_bound_source source;     /* which kind of bound it is */
    size_t violations;          /* bounds with a negative margin */
} vq_bound_margin;

typedef struct {
    vq_bound_margin lower, upper;
} vq_offset_check;

vq_offset_check vq_offset_check_bounds(const vq_clock_offset *offset, const vq_constraint *constraints,
                                       size_t count);

vq_offset_interval vq_interval_from_constraints(const vq_constraint *constraints, size_t count,
                                                uint64_t from_guest_ns, uint64_t to_guest_ns);
vq_alignment vq_align_solve(const vq_constraint *constraints, size_t count);
/*
 * The solve's figures from its intervals (RESULT's whole, first and second) and its halves' mean guest
 * times: usable, the offset and contradiction, the drift (the line is its caller's); shared by the
 * batch solve and the streaming one (stream_align.h). vq_mean_ns: the mean of N guest times whose exact
 * sum is SUM.
 */
void vq_alignment_figures(vq_alignment *result, double first_center, double second_center);
double vq_mean_ns(unsigned __int128 sum, size_t n);

/*
 * Order pairing of guest events that precede their host events (kicks -> notifies). Both arrays are
 * ascending. Guest event i is paired with the first host event not yet used with
 * host >= guest + estimate[i] - slack, if it is <= guest + estimate[i] + window (ESTIMATE: the offset
 * near each guest event, so that a drifting clock keeps its pairs). PAIR[i] = index or -1. Returns the
 * number of pairs. Each host event is used at most once and pairs keep order.
 */
size_t vq_pair_forward(const uint64_t *guest, size_t guest_count, const uint64_t *host, size_t host_count,
                       const int64_t *estimate, int64_t slack, int64_t window, ssize_t *pair);
/*
 * Order pairing of host events that precede guest events (injections -> guest irqs): guest event i
 * gets the last unused host event with host <= guest + estimate[i] + slack, if that is
 * >= guest + estimate[i] - window. Coalesced injections (two injections, one irq) pair with the later.
 */
size_t vq_pair_backward(const uint64_t *guest, size_t guest_count, const uint64_t *host, size_t host_count,
                        const int64_t *estimate, int64_t slack, int64_t window, ssize_t *pair);

/*
 * The same pairings over a selection of the events, read in place: the events of queue QUEUE (a side
 * whose queue array is NULL: all of it) and no host event whose HOST_ASIDE is set (NULL: none). The
 * pairs are those of the functions above run over copies of the selected events, with indexes into the
 * whole arrays; PAIR[i] is set for the selected guest events only.
 */
typedef struct {
    const uint32_t *guest_queue, *host_queue;
    uint32_t queue;
    const bool *host_aside;
} vq_pair_selection;

/* Pairing tolerances (ns). SLACK lets a pair fall on the wrong side of the preliminary estimate, so
 * that a wrong pairing shows up as a contradiction instead of being hidden; WINDOW is the longest
 * kick -> exit or injection -> irq accepted as the same event (nested virtualisation is slow). */
#define VQ_PAIR_SLACK_NS 50000
#define VQ_PAIR_WINDOW_NS 5000000

size_t vq_pair_forward_selected(const uint64_t *guest, size_t guest_count, const uint64_t *host, size_t host_count,
                                const int64_t *estimate, int64_t slack, int64_t window,
                                const vq_pair_selection *selection, ssize_t *pair);
size_t vq_pair_backward_selected(const uint64_t *guest, size_t guest_count, const uint64_t *host, size_t host_count,
                                 const int64_t *estimate, int64_t slack, int64_t window,
                                 const vq_pair_selection *selection, ssize_t *pair);

/*
 * vq_pair_forward_selected and vq_pair_backward_selected as the events come (pair_stream.c; the
 * streaming passes, stream_align.h): the selected host events are added in their order, and each guest
 * event, in its order, is paired once every host event up to its latest time (forward: guest + estimate
 * + window; backward: + slack) has been added and the next one is known to come after it. The pairs
 * are the merges'. The stream holds the host events from the first not yet passed. Forward,
 * drop_before passes those before FLOOR, the earliest time any later guest event can pair with (what
 * the merge itself would pass); backward, drop_behind passes those at or before FLOOR, the earliest
 * latest time of any later guest event, and followed by one so (the merge takes the last one up to it).
 */
typedef struct {
    uint64_t ts;
    size_t index;               /* the caller's name for it */
    uint32_t queue;             /* and its queue */
    uint32_t tag;               /* and what else it keeps of it (an injection's vector) */
    uint32_t tid;               /* an injection's thread */
} vq_pair_host;

typedef struct {
    vq_pair_host *items;
    size_t head, count, capacity;   /* items[head .. count) are held */
} vq_pair_stream;

bool vq_pair_stream_add(vq_pair_stream *stream, const vq_pair_host *host);
/* True and *PAIR: the host event GUEST pairs with (then passed). */
bool vq_pair_stream_forward(vq_pair_stream *stream, uint64_t guest, int64_t estimate, int64_t slack, int64_t window,
                            vq_pair_host *pair);
bool vq_pair_stream_backward(vq_pair_stream *stream, uint64_t guest, int64_t estimate, int64_t slack, int64_t window,
                             vq_pair_host *pair);
void vq_pair_stream_drop_before(vq_pair_stream *stream, int64_t floor);
void vq_pair_stream_drop_behind(vq_pair_stream *stream, int64_t floor);
size_t vq_pair_stream_held(const vq_pair_stream *stream);
void vq_pair_stream_free(vq_pair_stream *stream);

/*
 * The tightest straight line along one side's bounds of guest CPU CPU (VQ_ANY_CPU: of every CPU): for
 * lower bounds (MAX true) the lowest line above all of them, for upper bounds the highest line below all
 * of them, "lowest" measured at their mean guest time (the slope searched within +- 2000 ppm). With no
 * drift it is the largest lower (smallest upper) bound, as one constant; with drift it follows it. The
 * estimate a pairing starts from: tight over the whole session, right at every time. usable false when
 * CPU has no bound of that side.
 */
#define VQ_ANY_CPU UINT32_MAX
typedef struct {
    bool usable;
    uint64_t at_guest_ns;   /* the bounds' mean guest time */
    double value;           /* the line there */
    double slope;           /* ns of offset per ns of guest time */
} vq_bound_line;

vq_bound_line vq_bound_line_fit(const vq_constraint *points, size_t count, bool max, uint32_t cpu);

/*
 * One side's bounds taken as they come, in any order, in the memory of their convex hull and a chunk
 * (the streaming passes, STREAMING.md): the hull a line of any slope rests on (lower bounds, MAX: the
 * upper hull), their count and the exact sum of their guest times. vq_bound_line_from_hull is then the
 * line vq_bound_line_fit gives over every one of those bounds. add: false when out of memory (the hull
 * is then unusable: failed).
 */
typedef struct {
    bool max;
    bool failed;
    vq_constraint *points;      /* the hull so far, then the bounds since (unsorted) */
    size_t count, capacity;
    size_t bounds;              /* every bound added */
    unsigned __int128 sum;      /* of their guest times */
} vq_running_hull;

void vq_running_hull_init(vq_running_hull *hull, bool max);
bool vq_running_hull_add(vq_running_hull *hull, const vq_constraint *bound);
/* The hull of every bound added, sorted by time (valid until the next add). */
const vq_constraint *vq_running_hull_points(vq_running_hull *hull, size_t *count);
void vq_running_hull_free(vq_running_hull *hull);
vq_bound_line vq_bound_line_from_hull(vq_running_hull *hull);
/* The line at guest time AT, rounded. */
int64_t vq_bound_line_at(const vq_bound_line *line, uint64_t at);

vq_drift_line vq_align_line(const vq_constraint *constraints, size_t count);
/* The same line from the hulls of both sides' bounds (POINTS: vq_running_hull_points of each, one after
 * the other; the streaming solve) and the bounds' span. */
vq_drift_line vq_align_line_from_hulls(const vq_constraint *points, size_t count, uint64_t from_guest_ns,
                                       uint64_t to_guest_ns);

/*
 * The causal offset of a solved alignment (usable): the middle of the drifting line's band when drift
 * was detected and the line leaves a wider band than a constant, else the midpoint of the whole
 * interval; error half the width. *CONTRADICTION: by how much the chosen one's bounds contradict (0:
 * they do not). Returns whether it is the line.
 */
bool vq_causal_offset(const vq_alignment *alignment, vq_clock_offset *offset, int64_t *contradiction);

/*
 * Per guest CPU: each CPU's own bounds (constraints[i].cpu < CPU_COUNT) solved alone into OFFSETS[cpu]
 * (vq_causal_offset; not usable for a CPU without bounds of both sides). Returns how many CPUs got
 * their own offset (0 when fewer than two did); *CONTRADICTION the largest by which a CPU's own bounds
 * contradict its offset (0: none does), *WORST_CPU that CPU.
 */
size_t vq_per_cpu_offsets(const vq_constraint *constraints, size_t count, vq_clock_offset *offsets, size_t cpu_count,
                          int64_t *contradiction, uint32_t *worst_cpu);
/* One CPU's of them from its solved ALIGNMENT: false when it has none (not usable); raises
 * *CONTRADICTION (with *WORST_CPU) to its own. */
bool vq_cpu_offset(const vq_alignment *alignment, uint32_t cpu, vq_clock_offset *offset, int64_t *contradiction,
                   uint32_t *worst_cpu);

/* vq_offset_check_bounds with each bound held against its CPU's offset (PER_CPU[cpu] when usable and
 * cpu < CPU_COUNT, else ALL). */
vq_offset_check vq_offset_check_per_cpu(const vq_clock_offset *all, const vq_clock_offset *per_cpu, size_t cpu_count,
                                        const vq_constraint *constraints, size_t count);

#endif
