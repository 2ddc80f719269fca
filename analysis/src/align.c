// SPDX-License-Identifier: GPL-2.0-or-later
/* Clock alignment by causality (see align.h). */
#include "align.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VQ_PAIR_NONE SIZE_MAX

const char *vq_bound_source_name(vq_bound_source source)
{
    switch (source) {
    case VQ_BOUND_KICK_EXIT: return "kick -> exit";
    case VQ_BOUND_INJECT_IRQ: return "injection -> irq";
    case VQ_BOUND_END_COMPLETE: return "end -> complete";
    default: return "unnamed";
    }
}

int64_t vq_clock_offset_at(const vq_clock_offset *offset, uint64_t guest_ns)
{
    long double fraction, moved;

    if (offset->to_guest_ns <= offset->from_guest_ns || guest_ns <= offset->from_guest_ns) {
        return offset->from_offset;
    }
    if (guest_ns >= offset->to_guest_ns) {
        return offset->to_offset;
    }
    fraction = (long double)(guest_ns - offset->from_guest_ns) / (long double)(offset->to_guest_ns - offset->from_guest_ns);
    moved = fraction * (long double)(offset->to_offset - offset->from_offset);
    return offset->from_offset + (int64_t)(moved < 0 ? moved - 0.5L : moved + 0.5L);   /* rounded */
}

vq_clock_offset vq_clock_offset_constant(vq_offset_method method, int64_t offset, int64_t error_ns)
{
    return (vq_clock_offset){ .usable = true, .method = method, .from_offset = offset, .to_offset = offset,
                              .error_ns = error_ns };
}

vq_offset_check vq_offset_check_bounds(const vq_clock_offset *offset, const vq_constraint *constraints,
                                       size_t count)
{
    vq_offset_check check = { 0 };
    size_t i;

    for (i = 0; i < count; i++) {
        const vq_constraint *c = &constraints[i];
        int64_t at = vq_clock_offset_at(offset, c->guest_ns);
        int64_t margin = c->upper ? c->value - at : at - c->value;
        vq_bound_margin *side = c->upper ? &check.upper : &check.lower;

        side->violations += margin < 0;
        if (!side->has || margin < side->margin) {
            side->has = true;
            side->margin = margin;
            side->guest_ns = c->guest_ns;
            side->source = (vq_bound_source)c->source;
        }
    }
    return check;
}

static bool of_cpu(const vq_constraint *point, uint32_t cpu)
{
    return cpu == VQ_ANY_CPU || point->cpu == cpu;
}

/* The interval of CPU's bounds (VQ_ANY_CPU: every CPU's) of guest time [FROM, TO). */
static vq_offset_interval interval_of(const vq_constraint *constraints, size_t count, uint64_t from_guest_ns,
                                      uint64_t to_guest_ns, uint32_t cpu)
{
    vq_offset_interval interval = { 0 };
    size_t i;

    for (i = 0; i < count; i++) {
        const vq_constraint *c = &constraints[i];

        if (c->guest_ns < from_guest_ns || c->guest_ns >= to_guest_ns || !of_cpu(c, cpu)) {
            continue;
        }
        if (c->upper) {
            interval.upper_count++;
            if (!interval.has_hi || c->value < interval.hi) {
                interval.has_hi = true;
                interval.hi = c->value;
                interval.hi_guest_ns = c->guest_ns;
            }
        } else {
            interval.lower_count++;
            if (!interval.has_lo || c->value > interval.lo) {
                interval.has_lo = true;
                interval.lo = c->value;
                interval.lo_guest_ns = c->guest_ns;
            }
        }
    }
    return interval;
}

vq_offset_interval vq_interval_from_constraints(const vq_constraint *constraints, size_t count,
                                                uint64_t from_guest_ns, uint64_t to_guest_ns)
{
    return interval_of(constraints, count, from_guest_ns, to_guest_ns, VQ_ANY_CPU);
}

static bool complete(const vq_offset_interval *interval)
{
    return interval->has_lo && interval->has_hi;
}

/* The mean of N guest times whose exact sum is SUM: the same whatever order they were added in (a
 * streaming pass adds them in another order than the batch one), and no rounding on the way (a double
 * sum of 10^5 times of ~10^11 ns is past 2^53). */
static double mean_ns(unsigned __int128 sum, size_t n)
{
    return n ? (double)((long double)sum / (long double)n) : 0;
}

/* Midpoint in guest time of the constraints of a half: where its interval applies. */
static double half_center(const vq_constraint *constraints, size_t count, uint64_t from, uint64_t to, uint32_t cpu)
{
    unsigned __int128 sum = 0;
    size_t n = 0, i;

    for (i = 0; i < count; i++) {
        if (constraints[i].guest_ns >= from && constraints[i].guest_ns < to && of_cpu(&constraints[i], cpu)) {
            sum += constraints[i].guest_ns;
            n++;
        }
    }
    return mean_ns(sum, n);
}

static vq_drift_line align_line(const vq_constraint *constraints, size_t count, uint32_t cpu);

double vq_mean_ns(unsigned __int128 sum, size_t n)
{
    return mean_ns(sum, n);
}

void vq_alignment_figures(vq_alignment *result, double first_center, double second_center)
{
    result->usable = complete(&result->whole);
    if (result->usable) {
        result->offset = result->whole.lo + (result->whole.hi - result->whole.lo) / 2;
        if (result->whole.lo > result->whole.hi) {
            result->contradiction = true;
            result->contradiction_ns = result->whole.lo - result->whole.hi;
        }
    }
    if (complete(&result->first) && complete(&result->second)) {
        double dt = second_center - first_center;

        if (dt > 0) {
            double mid1 = (result->first.lo + (double)result->first.hi) / 2;
            double mid2 = (result->second.lo + (double)result->second.hi) / 2;

            result->drift_bounded = true;
            result->drift_min_ppm = ((double)result->second.lo - (double)result->first.hi) / dt * 1e6;
            result->drift_max_ppm = ((double)result->second.hi - (double)result->first.lo) / dt * 1e6;
            if (result->second.lo > result->first.hi || result->second.hi < result->first.lo) {
                result->drift_detected = true;
                result->drift_ppm = (mid2 - mid1) / dt * 1e6;
            }
        }
    }
}

/* vq_align_solve over CPU's bounds (VQ_ANY_CPU: every bound). */
static vq_alignment solve(const vq_constraint *constraints, size_t count, uint32_t cpu)
{
    vq_alignment result = { 0 };
    uint64_t first_ns = UINT64_MAX, last_ns = 0;
    size_t i, n = 0;

    for (i = 0; i < count; i++) {
        if (!of_cpu(&constraints[i], cpu)) {
            continue;
        }
        n++;
        if (constraints[i].guest_ns < first_ns) {
            first_ns = constraints[i].guest_ns;
        }
        if (constraints[i].guest_ns > last_ns) {
            last_ns = constraints[i].guest_ns;
        }
    }
    result.whole = interval_of(constraints, count, 0, UINT64_MAX, cpu);
    if (n == 0) {
        goto end;
    }
    result.split_guest_ns = first_ns + (last_ns - first_ns) / 2;
    result.first = interval_of(constraints, count, 0, result.split_guest_ns, cpu);
    result.second = interval_of(constraints, count, result.split_guest_ns, UINT64_MAX, cpu);
    if (complete(&result.first) && complete(&result.second)) {
        vq_alignment_figures(&result, half_center(constraints, count, 0, result.split_guest_ns, cpu),
                             half_center(constraints, count, result.split_guest_ns, UINT64_MAX, cpu));
    } else {
        vq_alignment_figures(&result, 0, 0);
    }
    if (result.usable && result.drift_detected) {
        result.line = align_line(constraints, count, cpu);
    }
end:
    return result;
}

vq_alignment vq_align_solve(const vq_constraint *constraints, size_t count)
{
    return solve(constraints, count, VQ_ANY_CPU);
}

static bool guest_selected(const vq_pair_selection *selection, size_t i)
{
    return !selection || !selection->guest_queue || selection->guest_queue[i] == selection->queue;
}

static bool host_selected(const vq_pair_selection *selection, size_t i)
{
    return !selection || ((!selection->host_queue || selection->host_queue[i] == selection->queue) &&
                          (!selection->host_aside || !selection->host_aside[i]));
}

size_t vq_pair_forward_selected(const uint64_t *guest, size_t guest_count, const uint64_t *host, size_t host_count,
                                const int64_t *estimate, int64_t slack, int64_t window,
                                const vq_pair_selection *selection, ssize_t *pair)
{
    size_t next = 0, pairs = 0, i;

    for (i = 0; i < guest_count; i++) {
        int64_t earliest = (int64_t)guest[i] + estimate[i] - slack;
        int64_t latest = (int64_t)guest[i] + estimate[i] + window;

        if (!guest_selected(selection, i)) {
            continue;
        }
        pair[i] = -1;
        /* the first selected host event not yet passed at or after EARLIEST */
        while (next < host_count && (!host_selected(selection, next) || (int64_t)host[next] < earliest)) {
            next++;
        }
        if (next < host_count && (int64_t)host[next] <= latest) {
            pair[i] = (ssize_t)next++;
            pairs++;
        }
    }
    return pairs;
}

size_t vq_pair_backward_selected(const uint64_t *guest, size_t guest_count, const uint64_t *host, size_t host_count,
                                 const int64_t *estimate, int64_t slack, int64_t window,
                                 const vq_pair_selection *selection, ssize_t *pair)
{
    size_t next = 0, pairs = 0, i;

    for (i = 0; i < guest_count; i++) {
        int64_t latest = (int64_t)guest[i] + estimate[i] + slack;
        int64_t earliest = (int64_t)guest[i] + estimate[i] - window;
        size_t candidate, last = VQ_PAIR_NONE;

        if (!guest_selected(selection, i)) {
            continue;
        }
        pair[i] = -1;
        /* The last selected host event <= LATEST in the run that starts at the first unused one. */
        for (candidate = next; candidate < host_count; candidate++) {
            if (host_selected(selection, candidate)) {
                if ((int64_t)host[candidate] > latest) {
                    break;
                }
                last = candidate;
            }
        }
        if (last != VQ_PAIR_NONE && (int64_t)host[last] >= earliest) {
            pair[i] = (ssize_t)last;
            next = last + 1;
            pairs++;
        }
    }
    return pairs;
}

size_t vq_pair_forward(const uint64_t *guest, size_t guest_count, const uint64_t *host, size_t host_count,
                       const int64_t *estimate, int64_t slack, int64_t window, ssize_t *pair)
{
    return vq_pair_forward_selected(guest, guest_count, host, host_count, estimate, slack, window, NULL, pair);
}

size_t vq_pair_backward(const uint64_t *guest, size_t guest_count, const uint64_t *host, size_t host_count,
                        const int64_t *estimate, int64_t slack, int64_t window, ssize_t *pair)
{
    return vq_pair_backward_selected(guest, guest_count, host, host_count, estimate, slack, window, NULL, pair);
}

static int compare_bound_points(const void *left, const void *right)
{
    const vq_constraint *a = left, *b = right;

    if (a->guest_ns != b->guest_ns) {
        return a->guest_ns < b->guest_ns ? -1 : 1;
    }
    return (a->value > b->value) - (a->value < b->value);
}

/* Which side of the line A -> B point P lies: > 0 left (above, for A before B in time), < 0 right. */
static __int128 turn(const vq_constraint *a, const vq_constraint *b, const vq_constraint *p)
{
    return (__int128)(int64_t)(b->guest_ns - a->guest_ns) * ((__int128)p->value - a->value) -
           ((__int128)b->value - a->value) * (__int128)(int64_t)(p->guest_ns - a->guest_ns);
}

/* Sorts the N points of BUF by time and keeps, in place, the hull binding_bounds wants (MAX: upper);
 * returns how many. */
static size_t hull_in_place(vq_constraint *buf, size_t n, bool max)
{
    size_t out = 0, i;

    qsort(buf, n, sizeof(*buf), compare_bound_points);
    for (i = 0; i < n; i++) {
        /* drop the last kept point while it lies strictly under (MAX) / over the line to this one */
        while (out >= 2 && (max ? turn(&buf[out - 2], &buf[out - 1], &buf[i]) > 0
                                : turn(&buf[out - 2], &buf[out - 1], &buf[i]) < 0)) {
            out--;
        }
        buf[out++] = buf[i];
    }
    return out;
}

/* Points a running hull sorts at a time: the hull of the ones so far plus the next ones. */
#define HULL_CHUNK 4096

void vq_running_hull_init(vq_running_hull *hull, bool max)
{
    *hull = (vq_running_hull){ .max = max };
}

bool vq_running_hull_add(vq_running_hull *hull, const vq_constraint *bound)
{
    vq_constraint *bigger;

    if (hull->failed) {
        return false;
    }
    if (hull->count == hull->capacity) {
        if (hull->count) {
            hull->count = hull_in_place(hull->points, hull->count, hull->max);
        }
        if (hull->count > hull->capacity / 2 || !hull->capacity) {   /* a hull of many points: room for as many */
            size_t capacity = hull->capacity ? 2 * hull->capacity : HULL_CHUNK;

            bigger = realloc(hull->points, capacity * sizeof(*bigger));
            if (!bigger) {
                hull->failed = true;
                return false;
            }
            hull->points = bigger;
            hull->capacity = capacity;
        }
    }
    hull->points[hull->count++] = *bound;
    hull->bounds++;
    hull->sum += bound->guest_ns;
    return true;
}

const vq_constraint *vq_running_hull_points(vq_running_hull *hull, size_t *count)
{
    hull->count = hull->count ? hull_in_place(hull->points, hull->count, hull->max) : 0;
    *count = hull->count;
    return hull->points;
}

void vq_running_hull_free(vq_running_hull *hull)
{
    free(hull->points);
    *hull = (vq_running_hull){ .max = hull->max };
}

/*
 * The bounds of one side (lower: MAX) and CPU that a line of any slope can rest on: for the lower bounds
 * the upper convex hull of the points (guest_ns, value), for the upper bounds the lower hull (points on
 * a hull edge kept). The highest lower / lowest upper bound along any slope is one of them, so the
 * slope searches below look at these few instead of every bound. Built a chunk at a time (the hull of
 * a set is the hull of its parts' hulls: vq_running_hull): its memory is the chunk and the hull, not the
 * bounds. Sorted by time; caller frees; NULL when out of memory (the searches then take every bound).
 */
static vq_constraint *binding_bounds(const vq_constraint *points, size_t count, bool max, uint32_t cpu, size_t *out)
{
    vq_running_hull hull;
    vq_constraint *smaller;
    size_t i;

    *out = 0;
    vq_running_hull_init(&hull, max);
    for (i = 0; i < count; i++) {
        if (of_cpu(&points[i], cpu) && points[i].upper != max && !vq_running_hull_add(&hull, &points[i])) {
            vq_running_hull_free(&hull);
            return NULL;
        }
    }
    vq_running_hull_points(&hull, out);
    smaller = realloc(hull.points, (*out + 1) * sizeof(*smaller));   /* a few points: give the rest back */
    return smaller ? smaller : hull.points;
}

/* The line of slope SLOPE through the highest lower (MAX) or lowest upper bound of CPU, at time AT. */
static double line_height(const vq_constraint *points, size_t count, bool max, uint32_t cpu, uint64_t at, double slope)
{
    double height = max ? -INFINITY : INFINITY;
    size_t i;

    for (i = 0; i < count; i++) {
        if (of_cpu(&points[i], cpu) && points[i].upper != max) {
            double v = (double)points[i].value - slope * ((double)points[i].guest_ns - (double)at);

            height = max ? (v > height ? v : height) : (v < height ? v : height);
        }
    }
    return height;
}

/* The line search over POINTS (a hull, or every bound) whose mean guest time is SUM / N. */
static vq_bound_line line_search(const vq_constraint *points, size_t count, bool max, uint32_t cpu,
                                 unsigned __int128 sum, size_t n)
{
    vq_bound_line line = { 0 };
    double left = -2000e-6, right = 2000e-6;
    int round;

    if (n == 0) {
        return line;
    }
    line.at_guest_ns = (uint64_t)mean_ns(sum, n);
    /* the height at the mean time is convex in the slope (lower bounds; concave for upper bounds) */
    for (round = 0; round < 100; round++) {
        double a = left + (right - left) / 3, b = right - (right - left) / 3;
        double ha = line_height(points, count, max, cpu, line.at_guest_ns, a);
        double hb = line_height(points, count, max, cpu, line.at_guest_ns, b);

        if (max ? ha > hb : ha < hb) {
            left = a;
        } else {
            right = b;
        }
    }
    line.slope = (left + right) / 2;
    line.value = line_height(points, count, max, cpu, line.at_guest_ns, line.slope);
    line.usable = true;
    return line;
}

vq_bound_line vq_bound_line_fit(const vq_constraint *points, size_t count, bool max, uint32_t cpu)
{
    vq_running_hull hull;
    vq_bound_line line;
    size_t i;

    vq_running_hull_init(&hull, max);
    for (i = 0; i < count; i++) {
        if (of_cpu(&points[i], cpu) && points[i].upper != max) {
            vq_running_hull_add(&hull, &points[i]);
        }
    }
    if (hull.failed) {   /* out of memory: the search over every bound, the same line */
        unsigned __int128 sum = 0;
        size_t n = 0;

        for (i = 0; i < count; i++) {
            if (of_cpu(&points[i], cpu) && points[i].upper != max) {
                sum += points[i].guest_ns;
                n++;
            }
        }
        vq_running_hull_free(&hull);
        return line_search(points, count, max, cpu, sum, n);
    }
    line = vq_bound_line_from_hull(&hull);
    vq_running_hull_free(&hull);
    return line;
}

vq_bound_line vq_bound_line_from_hull(vq_running_hull *hull)
{
    const vq_constraint *points;
    size_t count;

    points = vq_running_hull_points(hull, &count);
    return line_search(points, count, hull->max, VQ_ANY_CPU, hull->sum, hull->bounds);
}

int64_t vq_bound_line_at(const vq_bound_line *line, uint64_t at)
{
    return (int64_t)llround(line->value + line->slope * ((double)at - (double)line->at_guest_ns));
}

/* The band's lower and upper edges at relative time 0 for slope SLOPE (ns per ns): max over lower
 * bounds of value - slope * t, min over upper bounds. */
static void band_at(const vq_constraint *constraints, size_t count, uint32_t cpu, uint64_t from, double slope,
                    double *lo, double *hi)
{
    size_t i;

    *lo = -INFINITY;
    *hi = INFINITY;
    for (i = 0; i < count; i++) {
        double v;

        if (!of_cpu(&constraints[i], cpu)) {
            continue;
        }
        v = (double)constraints[i].value - slope * (double)(constraints[i].guest_ns - from);

        if (constraints[i].upper) {
            *hi = v < *hi ? v : *hi;
        } else {
            *lo = v > *lo ? v : *lo;
        }
    }
}

static vq_drift_line band_search(const vq_constraint *constraints, size_t count, uint32_t cpu, vq_drift_line line);

static vq_drift_line align_line(const vq_constraint *constraints, size_t count, uint32_t cpu)
{
    vq_drift_line line = { 0 };
    bool has_lower = false, has_upper = false;
    vq_constraint *lower, *upper, *bounds = NULL;
    size_t lower_count, upper_count, i;

    line.from_guest_ns = UINT64_MAX;
    for (i = 0; i < count; i++) {
        if (!of_cpu(&constraints[i], cpu)) {
            continue;
        }
        has_lower |= !constraints[i].upper;
        has_upper |= constraints[i].upper;
        if (constraints[i].guest_ns < line.from_guest_ns) {
            line.from_guest_ns = constraints[i].guest_ns;
        }
        if (constraints[i].guest_ns > line.to_guest_ns) {
            line.to_guest_ns = constraints[i].guest_ns;
        }
    }
    if (!has_lower || !has_upper) {
        return (vq_drift_line){ 0 };
    }
    lower = binding_bounds(constraints, count, true, cpu, &lower_count);
    upper = binding_bounds(constraints, count, false, cpu, &upper_count);
    if (lower && upper) {   /* the hulls of both sides, one after the other */
        bounds = realloc(lower, (lower_count + upper_count + 1) * sizeof(*bounds));
        if (bounds) {
            memcpy(bounds + lower_count, upper, upper_count * sizeof(*bounds));
            constraints = bounds;
            count = lower_count + upper_count;
        } else {
            free(lower);
        }
    } else {
        free(lower);
    }
    free(upper);
    line = band_search(constraints, count, cpu, line);
    free(bounds);
    return line;
}

/* The widest band of CPU's bounds among POINTS (every bound, or the hulls of both sides) for LINE's span. */
static vq_drift_line band_search(const vq_constraint *constraints, size_t count, uint32_t cpu, vq_drift_line line)
{
    double left = -2000e-6, right = 2000e-6, lo, hi, slope;
    int round;

    /* hi(slope) - lo(slope) is concave (a minimum of lines minus a maximum of lines): ternary search */
    for (round = 0; round < 100; round++) {
        double a = left + (right - left) / 3, b = right - (right - left) / 3, lo_a, hi_a, lo_b, hi_b;

        band_at(constraints, count, cpu, line.from_guest_ns, a, &lo_a, &hi_a);
        band_at(constraints, count, cpu, line.from_guest_ns, b, &lo_b, &hi_b);
        if (hi_a - lo_a < hi_b - lo_b) {
            left = a;
        } else {
            right = b;
        }
    }
    slope = (left + right) / 2;
    band_at(constraints, count, cpu, line.from_guest_ns, slope, &lo, &hi);
    line.usable = true;
    line.slope_ppm = slope * 1e6;
    line.lo = (int64_t)llround(lo);
    line.hi = (int64_t)llround(hi);
    line.width = line.hi - line.lo;
    return line;
}

vq_drift_line vq_align_line(const vq_constraint *constraints, size_t count)
{
    return align_line(constraints, count, VQ_ANY_CPU);
}

vq_drift_line vq_align_line_from_hulls(const vq_constraint *points, size_t count, uint64_t from_guest_ns,
                                       uint64_t to_guest_ns)
{
    vq_drift_line line = { .from_guest_ns = from_guest_ns, .to_guest_ns = to_guest_ns };
    bool has_lower = false, has_upper = false;
    size_t i;

    for (i = 0; i < count; i++) {
        has_lower |= !points[i].upper;
        has_upper |= points[i].upper;
    }
    return has_lower && has_upper ? band_search(points, count, VQ_ANY_CPU, line) : (vq_drift_line){ 0 };
}

bool vq_causal_offset(const vq_alignment *alignment, vq_clock_offset *offset, int64_t *contradiction)
{
    const vq_drift_line *line = &alignment->line;
    int64_t width = alignment->whole.hi - alignment->whole.lo;

    if (line->usable && line->width > width) {
        int64_t middle = line->lo + (line->hi - line->lo) / 2;
        long double span = (long double)(line->to_guest_ns - line->from_guest_ns);
        long double moved = (long double)line->slope_ppm * 1e-6L * span;

        *offset = (vq_clock_offset){ .usable = true, .method = VQ_OFFSET_CAUSAL, .from_guest_ns = line->from_guest_ns,
                                     .to_guest_ns = line->to_guest_ns, .from_offset = middle,
                                     .to_offset = middle + (int64_t)llroundl(moved),
                                     .error_ns = (line->width < 0 ? -line->width : line->width) / 2 };
        *contradiction = line->width < 0 ? -line->width : 0;
        return true;
    }
    /* The true offset is somewhere in [lo, hi]: the midpoint is within half the width of it. */
    *offset = vq_clock_offset_constant(VQ_OFFSET_CAUSAL, alignment->offset, (width < 0 ? -width : width) / 2);
    *contradiction = width < 0 ? -width : 0;
    return false;
}

size_t vq_per_cpu_offsets(const vq_constraint *constraints, size_t count, vq_clock_offset *offsets, size_t cpu_count,
                          int64_t *contradiction, uint32_t *worst_cpu)
{
    size_t cpus = 0, cpu;

    *contradiction = 0;
    *worst_cpu = 0;
    for (cpu = 0; cpu < cpu_count; cpu++) {
        vq_alignment alignment = solve(constraints, count, (uint32_t)cpu);   /* its bounds only */

        cpus += vq_cpu_offset(&alignment, (uint32_t)cpu, &offsets[cpu], contradiction, worst_cpu);
    }
    return cpus >= 2 ? cpus : 0;
}

bool vq_cpu_offset(const vq_alignment *alignment, uint32_t cpu, vq_clock_offset *offset, int64_t *contradiction,
                   uint32_t *worst_cpu)
{
    int64_t own_contradiction;

    *offset = (vq_clock_offset){ 0 };
    if (!alignment->usable) {
        return false;   /* no bounds, or of one side only: its events keep the all-CPU offset */
    }
    vq_causal_offset(alignment, offset, &own_contradiction);
    if (own_contradiction > *contradiction) {
        *contradiction = own_contradiction;
        *worst_cpu = cpu;
    }
    return true;
}

vq_offset_check vq_offset_check_per_cpu(const vq_clock_offset *all, const vq_clock_offset *per_cpu, size_t cpu_count,
                                        const vq_constraint *constraints, size_t count)
{
    vq_offset_check check = { 0 };
    size_t i;

    for (i = 0; i < count; i++) {
        const vq_constraint *c = &constraints[i];
        const vq_clock_offset *offset = c->cpu < cpu_count && per_cpu[c->cpu].usable ? &per_cpu[c->cpu] : all;
        vq_offset_check one = vq_offset_check_bounds(offset, c, 1);
        vq_bound_margin *side = c->upper ? &check.upper : &check.lower;
        const vq_bound_margin *its = c->upper ? &one.upper : &one.lower;

        side->violations += its->violations;
        if (!side->has || its->margin < side->margin) {
            side->has = true;
            side->margin = its->margin;
            side->guest_ns = its->guest_ns;
            side->source = its->source;
        }
    }
    return check;
}
