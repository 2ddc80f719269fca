// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The offset the stages use, chosen as vq_choose_offset chooses it (alignment.c's vq_choose_offset_with),
 * after the streaming alignment's passes (stream_align.h): the per-CPU offsets are pass D's, and each
 * check of an offset against every bound reads passes A-C again, holding each bound against the offset
 * as it is made.
 */
#include "stream_align.h"

#include <string.h>

/* One check as it reads: vq_offset_check_bounds (PER_CPU NULL) or vq_offset_check_per_cpu, the smallest
 * margin of a side going to the first bound in vq_align_clocks's order. */
typedef struct {
    vq_bound_sink sink;
    const vq_clock_offset *all, *per_cpu;
    vq_offset_check check;
    uint64_t lower_order, upper_order;
} check_sink;

static bool check_add(vq_bound_sink *sink, const vq_constraint *bound, uint64_t order)
{
    check_sink *c = (check_sink *)sink;
    bool own = c->per_cpu && bound->cpu < VQ_GUEST_MAX_CPUS && c->per_cpu[bound->cpu].usable;
    const vq_clock_offset *offset = own ? &c->per_cpu[bound->cpu] : c->all;
    int64_t at = vq_clock_offset_at(offset, bound->guest_ns);
    int64_t margin = bound->upper ? bound->value - at : at - bound->value;
    vq_bound_margin *side = bound->upper ? &c->check.upper : &c->check.lower;
    uint64_t *side_order = bound->upper ? &c->upper_order : &c->lower_order;

    side->violations += margin < 0;
    if (!side->has || margin < side->margin || (margin == side->margin && order < *side_order)) {
        side->has = true;
        side->margin = margin;
        side->guest_ns = bound->guest_ns;
        side->source = (vq_bound_source)bound->source;
        *side_order = order;
    }
    return true;
}

typedef struct {
    vq_offset_checker checker;
    const char *directory;
    vq_id_bounds *ids;
    vq_kick_pairs *kicks;
    vq_irq_pairs *irqs;
    const vq_solved *solved;
    unsigned replays;
} stream_checker;

static vq_status stream_check(vq_offset_checker *checker, const vq_clock_offset *all,
                              const vq_clock_offset *per_cpu, vq_offset_check *out, vq_error *error)
{
    stream_checker *s = (stream_checker *)checker;
    check_sink sink = { .sink = { .add = check_add }, .all = all, .per_cpu = per_cpu };
    vq_status status;

    s->replays++;
    status = vq_stream_replay(s->directory, s->ids, s->kicks, s->irqs, &sink.sink, error);
    *out = sink.check;
    return status;
}

static size_t stream_per_cpu(vq_offset_checker *checker, vq_clock_offset *offsets, int64_t *contradiction,
                             uint32_t *worst_cpu)
{
    const vq_solved *solved = ((stream_checker *)checker)->solved;

    memcpy(offsets, solved->cpu_offset, sizeof(solved->cpu_offset));
    *contradiction = solved->cpu_contradiction;
    *worst_cpu = solved->worst_cpu;
    return solved->cpu_offsets;
}

vq_status vq_offset_stream(const char *directory, vq_id_bounds *ids, vq_kick_pairs *kicks, vq_irq_pairs *irqs,
                           const vq_solved *solved, vq_session *session, unsigned *replays, vq_error *error)
{
    stream_checker checker = { .checker = { .check = stream_check, .per_cpu = stream_per_cpu },
                               .directory = directory, .ids = ids, .kicks = kicks, .irqs = irqs, .solved = solved };
    const vq_pairing_facts *facts = &ids->facts;
    vq_status status;

    /* what vq_align_clocks leaves in the session for the choice */
    session->alignment = solved->all;
    session->lower_from_ids = ids->bounds;
    session->upper_from_kicks = kicks->bounds;
    session->lower_from_irqs = irqs->bounds;
    session->lower_irqs_rejected = irqs->rejected;
    session->upper_runs_skipped = kicks->set_aside;
    session->kick.kicks_paired = kicks->bounds;
    session->kick.host_notifies = kicks->host_events;
    session->kick.irqs_paired = irqs->bounds;
    session->kick.host_injections = irqs->host_injections;
    status = vq_choose_offset_with(session, directory, facts->guest_pairs, facts->guest_pair_count,
                                   facts->guest_cpu_pairs, facts->guest_cpu_pair_count, &checker.checker, error);
    *replays = checker.replays;
    return status;
}
