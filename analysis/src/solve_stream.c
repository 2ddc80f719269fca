// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming alignment's fourth pass (stream_align.h, STREAMING.md "D, the halves"): the solve of
 * align.c (vq_align_solve, per guest CPU and for every CPU) from what passes A-C kept of their bounds
 * (each CPU's count, span and interval: vq_bound_summary; the hulls) and from the halves' intervals and
 * mean times, which need the split (the middle of the bounds' span) first: passes A-C are read again
 * with the split known, each bound handed to the halves as it is made.
 */
#include "stream_align.h"

#include <stdlib.h>
#include <string.h>

void vq_interval_acc_add(vq_interval_acc *acc, const vq_constraint *bound, uint64_t order)
{
    vq_offset_interval *interval = &acc->interval;

    /* interval_of's, ties to the first in vq_align_clocks's order */
    if (bound->upper) {
        interval->upper_count++;
        if (!interval->has_hi || bound->value < interval->hi ||
            (bound->value == interval->hi && order < acc->hi_order)) {
            interval->has_hi = true;
            interval->hi = bound->value;
            interval->hi_guest_ns = bound->guest_ns;
            acc->hi_order = order;
        }
    } else {
        interval->lower_count++;
        if (!interval->has_lo || bound->value > interval->lo ||
            (bound->value == interval->lo && order < acc->lo_order)) {
            interval->has_lo = true;
            interval->lo = bound->value;
            interval->lo_guest_ns = bound->guest_ns;
            acc->lo_order = order;
        }
    }
}

static void interval_merge(vq_interval_acc *into, const vq_interval_acc *from)
{
    vq_offset_interval *a = &into->interval;
    const vq_offset_interval *b = &from->interval;

    a->upper_count += b->upper_count;
    a->lower_count += b->lower_count;
    if (b->has_hi && (!a->has_hi || b->hi < a->hi || (b->hi == a->hi && from->hi_order < into->hi_order))) {
        a->has_hi = true;
        a->hi = b->hi;
        a->hi_guest_ns = b->hi_guest_ns;
        into->hi_order = from->hi_order;
    }
    if (b->has_lo && (!a->has_lo || b->lo > a->lo || (b->lo == a->lo && from->lo_order < into->lo_order))) {
        a->has_lo = true;
        a->lo = b->lo;
        a->lo_guest_ns = b->lo_guest_ns;
        into->lo_order = from->lo_order;
    }
}

static void span_add(vq_cpu_bounds *cpu, uint64_t first_ns, uint64_t last_ns, size_t n)
{
    if (!n) {
        return;
    }
    if (!cpu->n || first_ns < cpu->first_ns) {
        cpu->first_ns = first_ns;
    }
    if (!cpu->n || last_ns > cpu->last_ns) {
        cpu->last_ns = last_ns;
    }
    cpu->n += n;
}

void vq_bound_summary_add(vq_bound_summary *summary, const vq_constraint *bound, uint64_t order)
{
    vq_cpu_bounds *own = bound->cpu < VQ_GUEST_MAX_CPUS ? &summary->cpu[bound->cpu] : NULL;
    vq_cpu_bounds *all = &summary->cpu[VQ_GUEST_MAX_CPUS];

    if (own) {
        span_add(own, bound->guest_ns, bound->guest_ns, 1);
        vq_interval_acc_add(&own->whole, bound, order);
    }
    span_add(all, bound->guest_ns, bound->guest_ns, 1);
    vq_interval_acc_add(&all->whole, bound, order);
}

void vq_bound_summary_merge(vq_bound_summary *into, const vq_bound_summary *from)
{
    size_t c;

    for (c = 0; c <= VQ_GUEST_MAX_CPUS; c++) {
        span_add(&into->cpu[c], from->cpu[c].first_ns, from->cpu[c].last_ns, from->cpu[c].n);
        interval_merge(&into->cpu[c].whole, &from->cpu[c].whole);
    }
}

/* The halves of each CPU's bounds (and every CPU's), split where the solve splits them. */
typedef struct {
    vq_interval_acc interval;
    unsigned __int128 sum;      /* of their guest times */
    size_t n;
} half;

typedef struct {
    vq_bound_sink sink;
    const vq_bound_summary *summary;
    half first[VQ_GUEST_MAX_CPUS + 1], second[VQ_GUEST_MAX_CPUS + 1];
} halves;

static uint64_t split_of(const vq_cpu_bounds *cpu)
{
    return cpu->first_ns + (cpu->last_ns - cpu->first_ns) / 2;
}

static void half_add(halves *h, size_t slot, const vq_constraint *bound, uint64_t order)
{
    half *one = bound->guest_ns < split_of(&h->summary->cpu[slot]) ? &h->first[slot] : &h->second[slot];

    vq_interval_acc_add(&one->interval, bound, order);
    one->sum += bound->guest_ns;
    one->n++;
}

static bool halves_add(vq_bound_sink *sink, const vq_constraint *bound, uint64_t order)
{
    halves *h = (halves *)sink;

    if (bound->cpu < VQ_GUEST_MAX_CPUS) {
        half_add(h, bound->cpu, bound, order);
    }
    half_add(h, VQ_GUEST_MAX_CPUS, bound, order);
    return true;
}

static bool hull_points(vq_running_hull *hull, vq_constraint **points, size_t *count)
{
    size_t n;
    const vq_constraint *some = vq_running_hull_points(hull, &n);
    vq_constraint *bigger;

    if (!n) {
        return true;
    }
    bigger = realloc(*points, (*count + n) * sizeof(*bigger));
    if (!bigger) {
        return false;
    }
    memcpy(bigger + *count, some, n * sizeof(*bigger));
    *points = bigger;
    *count += n;
    return true;
}

/* The solve of SLOT's bounds (a CPU, or every CPU at VQ_GUEST_MAX_CPUS), as align.c's solve. */
static bool solve_slot(const vq_bound_summary *summary, const halves *h, size_t slot, vq_id_bounds *ids,
                       vq_kick_pairs *kicks, vq_irq_pairs *irqs, vq_alignment *out)
{
    const vq_cpu_bounds *cpu = &summary->cpu[slot];
    const half *first = &h->first[slot], *second = &h->second[slot];
    bool all = slot == VQ_GUEST_MAX_CPUS, ok = true;

    *out = (vq_alignment){ .whole = cpu->whole.interval };
    if (!cpu->n) {
        return true;
    }
    out->split_guest_ns = split_of(cpu);
    out->first = first->interval.interval;
    out->second = second->interval.interval;
    vq_alignment_figures(out, vq_mean_ns(first->sum, first->n), vq_mean_ns(second->sum, second->n));
    if (out->usable && out->drift_detected) {
        /* the band between both sides' hulls: the id and irq bounds' (lower), the kick bounds' (upper) */
        vq_constraint *points = NULL;
        size_t count = 0;

        ok = hull_points(all ? &ids->all : &ids->cpu[slot], &points, &count) &&
             hull_points(all ? &irqs->all : &irqs->cpu[slot], &points, &count) &&
             hull_points(all ? &kicks->all : &kicks->cpu[slot], &points, &count);
        if (ok) {
            out->line = vq_align_line_from_hulls(points, count, cpu->first_ns, cpu->last_ns);
        }
        free(points);
    }
    return ok;
}

vq_status vq_solve_stream(const char *directory, vq_id_bounds *ids, vq_kick_pairs *kicks, vq_irq_pairs *irqs,
                          vq_solved *out, vq_error *error)
{
    vq_bound_summary summary = ids->summary;
    halves *h = calloc(1, sizeof(*h));
    vq_status status = VQ_ERR_NOMEM;
    size_t c;

    memset(out, 0, sizeof(*out));
    if (!h) {
        goto end;
    }
    vq_bound_summary_merge(&summary, &kicks->summary);
    vq_bound_summary_merge(&summary, &irqs->summary);
    h->sink.add = halves_add;
    h->summary = &summary;
    status = vq_stream_replay(directory, ids, kicks, irqs, &h->sink, error);
    if (status != VQ_OK) {
        goto end;
    }
    out->bounds = summary.cpu[VQ_GUEST_MAX_CPUS].n;
    status = VQ_ERR_NOMEM;
    if (!solve_slot(&summary, h, VQ_GUEST_MAX_CPUS, ids, kicks, irqs, &out->all)) {
        goto end;
    }
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        if (!solve_slot(&summary, h, c, ids, kicks, irqs, &out->cpu[c])) {
            goto end;
        }
        out->cpu_offsets += vq_cpu_offset(&out->cpu[c], (uint32_t)c, &out->cpu_offset[c], &out->cpu_contradiction,
                                          &out->worst_cpu);
    }
    out->cpu_offsets = out->cpu_offsets >= 2 ? out->cpu_offsets : 0;   /* as vq_per_cpu_offsets */
    status = VQ_OK;
end:
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory (solve)", directory);
    }
    free(h);
    return status;
}

vq_status vq_stream_replay(const char *directory, vq_id_bounds *ids, vq_kick_pairs *kicks, vq_irq_pairs *irqs,
                           vq_bound_sink *sink, vq_error *error)
{
    vq_loader *load = vq_stream_loader_new(directory, NULL);
    vq_id_bounds again;
    vq_status status;

    if (!load) {
        vq_error_set(error, "%s: out of memory (replay)", directory);
        return VQ_ERR_NOMEM;
    }
    status = vq_id_bounds_stream(load, &again, sink, error);
    vq_id_bounds_free(&again);
    vq_stream_loader_delete(load);
    if (status == VQ_OK) {
        status = vq_kick_pairs_replay(directory, ids, kicks, sink, error);
    }
    if (status == VQ_OK) {
        status = vq_irq_pairs_replay(directory, ids, kicks, irqs, sink, error);
    }
    return status;
}
