// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The session's clock alignment (offset = host - guest). vq_align_clocks turns the loader's events into
 * causal bounds (align.h) and solves them: lower bounds from the device's end of id X before the guest's
 * completion of X (no pairing), upper bounds from notified kicks paired in order with the host notifies
 * of the doorbell, lower bounds from the device's injections paired in order with guest irqs, each
 * pairing starting from the tightest line along the other side's bounds of its event's guest CPU (the
 * irqs from KVM's TSC offset when recorded). The pairings are kept (kick.notify, irq.injection):
 * stitching follows them. vq_choose_offset then picks the offset the
 * stages use, the TSC's when recorded, else the causal one (a midpoint, a drifting line, or one per guest
 * CPU when the CPUs' clocks differ), and checks it against every bound.
 */
#include "loader.h"

#include "tsc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The pairing tolerances: VQ_PAIR_SLACK_NS, VQ_PAIR_WINDOW_NS (align.h). */

typedef size_t (*pair_function)(const uint64_t *guest, size_t guest_count, const uint64_t *host, size_t host_count,
                                const int64_t *estimate, int64_t slack, int64_t window,
                                const vq_pair_selection *selection, ssize_t *pair);


/*
 * PAIR (vq_pair_forward_selected or vq_pair_backward_selected) of the guest events with the host events
 * not set ASIDE (NULL: none), queue by queue when every event names its queue and more than one queue
 * has guest events: a kick on queue 1 pairs only with a doorbell write (or handler run) of queue 1, an
 * irq of queue 1 only with an injection after a notify of queue 1. Else in one sequence, as with one
 * queue. The events are read in place (a selection per queue, no copies: this is the alignment's peak
 * memory). PAIRS[i] indexes HOST; returns whether the pairing went queue by queue.
 */
static bool pair_by_queue(pair_function pair, const uint64_t *guest, const uint32_t *guest_queue, size_t guest_count,
                          const uint64_t *host, const uint32_t *host_queue, const bool *aside, size_t host_count,
                          const int64_t *estimate, int64_t slack, ssize_t *pairs)
{
    vq_pair_selection selection = { .host_aside = aside };
    bool used[VQ_GUEST_MAX_QUEUES] = { false };
    size_t g, h, q, queues = 0;

    for (g = 0; g < guest_count; g++) {
        if (guest_queue[g] >= VQ_GUEST_MAX_QUEUES) {
            goto one_sequence;
        }
        queues += !used[guest_queue[g]];
        used[guest_queue[g]] = true;
    }
    for (h = 0; h < host_count; h++) {
        if (host_queue[h] >= VQ_GUEST_MAX_QUEUES && !(aside && aside[h])) {
            goto one_sequence;
        }
    }
    if (queues < 2) {
        goto one_sequence;
    }
    selection.guest_queue = guest_queue;
    selection.host_queue = host_queue;
    for (q = 0; q < VQ_GUEST_MAX_QUEUES; q++) {
        if (used[q]) {
            selection.queue = (uint32_t)q;
            pair(guest, guest_count, host, host_count, estimate, slack, VQ_PAIR_WINDOW_NS, &selection, pairs);
        }
    }
    return true;
one_sequence:
    pair(guest, guest_count, host, host_count, estimate, slack, VQ_PAIR_WINDOW_NS, &selection, pairs);
    return false;
}

/*
 * Notified kicks (KICK, their QUEUES) paired forward with the host's notifies or handler runs (HOST),
 * as pair_by_queue, from ESTIMATE[i] at each kick. The SLACK lets a kick take a host event up to 50 us
 * earlier than the estimate allows, so that a wrong clock shows up as a contradiction. But when the
 * estimate is the pairing-free lower bound (ESTIMATE_IS_BOUND: the device's end of a request before the
 * guest's completion of it), a pair below it is certainly wrong: the host event came before the kick
 * could reach the host, i.e. a run no kick of its own caused (a handler that found requests made
 * available before their kick, with several queues and a driver holding its kick). Such host events
 * are set aside (counted in SKIPPED) and the kicks paired again, a few rounds at most. When more than 1
 * in 20 pairs fall below, the bound and the pairs disagree as a whole (a clock problem, not a stray
 * run): nothing is set aside and the contradiction is left to show. Returns pair_by_queue's value, or
 * -1 when out of memory.
 */
static int pair_kicks(const uint64_t *kick, const uint32_t *queues, size_t kick_count, const uint64_t *host,
                      const uint32_t *host_queues, size_t host_count, const int64_t *estimate, bool estimate_is_bound,
                      ssize_t *pairs, uint64_t *skipped)
{
    bool *aside = calloc(host_count + 1, sizeof(*aside));
    int per_queue = -1, round;
    size_t i;

    if (!aside) {
        return -1;
    }
    for (round = 0; round < 4; round++) {
        size_t paired = 0, below = 0;

        per_queue = pair_by_queue(vq_pair_forward_selected, kick, queues, kick_count, host, host_queues, aside,
                                  host_count, estimate, VQ_PAIR_SLACK_NS, pairs);
        for (i = 0; i < kick_count; i++) {
            if (pairs[i] >= 0) {
                paired++;
                below += (int64_t)(host[pairs[i]] - kick[i]) < estimate[i];
            }
        }
        if (!estimate_is_bound || below == 0 || below * 20 > paired) {
            break;
        }
        for (i = 0; i < kick_count; i++) {
            if (pairs[i] >= 0 && (int64_t)(host[pairs[i]] - kick[i]) < estimate[i]) {
                aside[pairs[i]] = true;
                (*skipped)++;
            }
        }
    }
    free(aside);
    return per_queue;
}

/* A CPU's bound line, fitted when first needed. */
typedef struct {
    bool fitted;
    vq_bound_line line;
} fitted_line;

/*
 * The pairing estimate at guest time AT of an event on guest CPU CPU: the tightest line along the bounds
 * of that CPU (MAX: the lower ones), else of every CPU (LINES[VQ_GUEST_MAX_CPUS]), else FALLBACK.
 */
static int64_t estimate_at(fitted_line *lines, const vq_constraint *bounds, size_t count, bool max, uint32_t cpu,
                           uint64_t at, int64_t fallback)
{
    fitted_line *own = cpu < VQ_GUEST_MAX_CPUS ? &lines[cpu] : NULL, *all = &lines[VQ_GUEST_MAX_CPUS];

    if (own && !own->fitted) {
        own->line = vq_bound_line_fit(bounds, count, max, cpu);
        own->fitted = true;
    }
    if (own && own->line.usable) {
        return vq_bound_line_at(&own->line, at);
    }
    if (!all->fitted) {
        all->line = vq_bound_line_fit(bounds, count, max, VQ_ANY_CPU);
        all->fitted = true;
    }
    return all->line.usable ? vq_bound_line_at(&all->line, at) : fallback;
}

/* The causal bounds as they are made. */
typedef struct {
    vq_constraint *items;
    size_t count, capacity;
} bound_list;

/*
 * Strict, pairing-free lower bounds: the device ends id X before the guest completes id X. *ESTIMATE:
 * the largest of them (*HAVE_ESTIMATE false: none). False: out of memory.
 */
static bool add_id_bounds(vq_loader *load, bound_list *bounds, int64_t *estimate, bool *have_estimate)
{
    vq_session *session = load->session;
    size_t i;

    for (i = 0; i < load->request_count; i++) {
        const vq_guest_request *request = &load->requests[i];
        size_t q = vq_id_map_get(&load->qemu_ids, request->id);
        vq_constraint *c;

        if (!request->complete || q == VQ_NO_INDEX || !load->qemu_requests[q].end) {
            continue;
        }
        c = VQ_PUSH(bounds->items, bounds->count, bounds->capacity);
        if (!c) {
            return false;
        }
        *c = (vq_constraint){ .guest_ns = request->complete,
                              .value = (int64_t)(load->qemu_requests[q].end - request->complete), .upper = false,
                              .source = VQ_BOUND_END_COMPLETE, .cpu = request->complete_cpu };
        if (!*have_estimate || c->value > *estimate) {
            *estimate = c->value;
            *have_estimate = true;
        }
        session->lower_from_ids++;
    }
    return true;
}

/*
 * Upper bounds: notified kicks -> host notifies (KVM exits at the doorbell, or under TCG QEMU's queue
 * handler), paired in order, each kick from the tightest line along the id bounds of its CPU (ESTIMATE:
 * the largest id bound, HAVE_ESTIMATE false: none yet). Records the pairs (kicks[].notify,
 * notifies[].kick) and sets *UPPER_ESTIMATE to the smallest kick bound. Its arrays are its own, freed
 * before the irqs are paired (the two phases' arrays never add up). False: out of memory.
 */
static bool add_kick_bounds(vq_loader *load, bound_list *bounds, bool have_estimate, int64_t estimate,
                            int64_t *upper_estimate)
{
    vq_session *session = load->session;
    bool tcg = load->notify_count == 0, ok = false;
    size_t host_count = tcg ? load->handler_count : load->notify_count, notified = 0, i;
    uint64_t *host_times = malloc((host_count + 1) * sizeof(*host_times));
    uint32_t *host_queues = malloc((host_count + 1) * sizeof(*host_queues));
    uint64_t *kick_times = malloc((load->kick_count + 1) * sizeof(*kick_times));
    uint32_t *kick_queues = malloc((load->kick_count + 1) * sizeof(*kick_queues));
    size_t *kick_of = malloc((load->kick_count + 1) * sizeof(*kick_of));
    ssize_t *pairs = NULL;
    int64_t *local = NULL;        /* the estimate at each kick */
    fitted_line lines[VQ_GUEST_MAX_CPUS + 1] = { { 0 } };   /* per CPU, and (last) of every CPU */
    int per_queue;

    if (!host_times || !host_queues || !kick_times || !kick_queues || !kick_of) {
        goto end;
    }
    for (i = 0; i < host_count; i++) {
        host_times[i] = tcg ? load->handlers[i].ts : vq_notify_time(&load->notifies[i]);
        host_queues[i] = tcg ? load->handlers[i].queue : load->notifies[i].queue;
    }
    for (i = 0; i < load->kick_count; i++) {
        if (load->kicks[i].notified) {
            kick_of[notified] = i;
            kick_queues[notified] = load->kicks[i].vq;
            kick_times[notified++] = load->kicks[i].ts;
        }
    }
    pairs = malloc((notified + 1) * sizeof(*pairs));
    local = malloc((notified + 1) * sizeof(*local));
    if (!pairs || !local) {
        goto end;
    }
    if (!have_estimate && notified && host_count) {
        /* No ids: start from the first notified kick and the first notify. */
        estimate = (int64_t)(host_times[0] - kick_times[0]);
        have_estimate = true;
    }
    session->kick.host_notifies = host_count;
    ok = true;
    if (!have_estimate) {
        goto end;
    }
    for (i = 0; i < notified; i++) {
        /* The id bounds (every bound so far): each kick's estimate is the tightest line above those of
         * its CPU (its clock). The kick bounds are added only once every estimate is made. */
        local[i] = estimate_at(lines, bounds->items, bounds->count, true, load->kicks[kick_of[i]].cpu, kick_times[i],
                               estimate);
    }
    per_queue = pair_kicks(kick_times, kick_queues, notified, host_times, host_queues, host_count, local,
                           session->lower_from_ids > 0, pairs, &session->upper_runs_skipped);
    if (per_queue < 0) {
        ok = false;
        goto end;
    }
    load->paired_per_queue = per_queue;
    for (i = 0; i < notified; i++) {
        vq_constraint *c;

        if (pairs[i] < 0) {
            continue;
        }
        load->kicks[kick_of[i]].notify = (size_t)pairs[i];
        if (!tcg) {
            load->notifies[pairs[i]].kick = kick_of[i];
        }
        c = VQ_PUSH(bounds->items, bounds->count, bounds->capacity);
        if (!c) {
            ok = false;
            goto end;
        }
        *c = (vq_constraint){ .guest_ns = kick_times[i], .value = (int64_t)(host_times[pairs[i]] - kick_times[i]),
                              .upper = true, .source = VQ_BOUND_KICK_EXIT, .cpu = load->kicks[kick_of[i]].cpu };
        if (!session->upper_from_kicks || c->value < *upper_estimate) {
            *upper_estimate = c->value;
        }
        session->upper_from_kicks++;
        session->kick.kicks_paired++;
    }
end:
    free(host_times);
    free(host_queues);
    free(kick_times);
    free(kick_queues);
    free(kick_of);
    free(pairs);
    free(local);
    return ok;
}

/*
 * Lower bounds: the device's injections -> guest irqs, paired in order, starting from the upper
 * estimate (the irq's host time is at most guest + hi), or from KVM's TSC offset (TSC: its line). An
 * injection counts when it follows a virtio_notify[_irqfd] of the device: the first one after it
 * (load->device_injections). Records the pairs (irqs[].injection). False: out of memory.
 */
static bool add_irq_bounds(vq_loader *load, bound_list *bounds, int64_t upper_estimate, const vq_clock_offset *tsc)
{
    vq_session *session = load->session;
    uint64_t *injection_times = malloc((load->device_notify_count + 1) * sizeof(*injection_times));
    uint32_t *injection_queues = malloc((load->device_notify_count + 1) * sizeof(*injection_queues));
    uint64_t *irq_times = malloc((load->irq_count + 1) * sizeof(*irq_times));
    uint32_t *irq_queues = malloc((load->irq_count + 1) * sizeof(*irq_queues));
    ssize_t *pairs = malloc((load->irq_count + 1) * sizeof(*pairs));
    int64_t *local = malloc((load->irq_count + 1) * sizeof(*local));   /* the estimate at each irq */
    fitted_line lines[VQ_GUEST_MAX_CPUS + 1] = { { 0 } };
    bool ok = false;
    size_t virq = 0, i, j;

    load->device_injections = malloc((load->device_notify_count + 1) * sizeof(*load->device_injections));
    if (!load->device_injections || !injection_times || !injection_queues || !irq_times || !irq_queues || !pairs ||
        !local) {
        goto end;
    }
    for (i = 0, j = 0; i < load->device_notify_count; i++) {
        while (j < load->injection_count && load->injections[j].ts < load->device_notifies[i].ts) {
            j++;
        }
        if (j < load->injection_count && (i + 1 == load->device_notify_count ||
                                          load->injections[j].ts < load->device_notifies[i + 1].ts)) {
            injection_queues[load->device_injection_count] = load->device_notifies[i].queue;
            injection_times[load->device_injection_count] = load->injections[j].ts;
            load->device_injections[load->device_injection_count++] = j++;
        }
    }
    session->kick.host_injections = load->device_injection_count;
    for (i = 0; i < load->irq_count; i++) {
        irq_times[i] = load->irqs[i].ts;
        irq_queues[i] = load->irqs[i].vq;
    }
    ok = true;
    if (!session->upper_from_kicks || !load->device_injection_count) {
        goto end;
    }
    /* The kick bounds: each irq's estimate is the tightest line below those of its CPU (a fit of the
     * upper bounds reads only those; the irq bounds are added once every estimate is made). With KVM's
     * TSC offset it is the largest offset the TSC allows, and no slack: an injection after it came after
     * the irq, whose interrupt an earlier injection had raised (a delayed delivery, the later injection
     * right after: the kick bounds' tens of us and the slack would take it). */
    for (i = 0; i < load->irq_count; i++) {
        local[i] = tsc ? vq_clock_offset_at(tsc, irq_times[i]) + tsc->error_ns
                       : estimate_at(lines, bounds->items, bounds->count, false, load->irqs[i].cpu, irq_times[i],
                                     upper_estimate);
    }
    load->paired_per_queue = pair_by_queue(vq_pair_backward_selected, irq_times, irq_queues, load->irq_count,
                                           injection_times, injection_queues, NULL, load->device_injection_count,
                                           local, tsc ? 0 : VQ_PAIR_SLACK_NS, pairs) && load->paired_per_queue;
    for (i = 0; i < load->irq_count; i++) {
        const vq_host_injection *injection;
        uint64_t bound;
        vq_constraint *c;

        if (pairs[i] < 0) {
            continue;
        }
        load->irqs[i].injection = (size_t)pairs[i];
        injection = &load->injections[load->device_injections[pairs[i]]];
        bound = injection->ts;
        /* Tighter: the vCPU's kvm_inj_virq of the same MSI vector, when it follows within the window. */
        while (virq < load->virq_count && load->virqs[virq].ts < injection->ts) {
            virq++;
        }
        for (j = virq; j < load->virq_count && load->virqs[j].ts <= injection->ts + VQ_PAIR_WINDOW_NS; j++) {
            if (injection->vector != UINT32_MAX && load->virqs[j].vector == injection->vector) {
                if (load->virqs[j].ts <= irq_times[i] + (uint64_t)local[i]) {
                    bound = load->virqs[j].ts;
                }
                break;
            }
        }
        /* A true lower bound never exceeds a true upper bound: one above the tightest kick bound comes
         * from an injection paired with the wrong irq (e.g. a delayed completion harvested by an earlier
         * interrupt). Drop it rather than let it contradict the interval. The bounds by request id
         * (above) need no pairing and are always kept. */
        if ((int64_t)(bound - irq_times[i]) > local[i]) {
            session->lower_irqs_rejected++;
            load->irqs[i].injection = VQ_NO_INDEX;
            continue;
        }
        c = VQ_PUSH(bounds->items, bounds->count, bounds->capacity);
        if (!c) {
            ok = false;
            goto end;
        }
        *c = (vq_constraint){ .guest_ns = irq_times[i], .value = (int64_t)(bound - irq_times[i]), .upper = false,
                              .source = VQ_BOUND_INJECT_IRQ, .cpu = load->irqs[i].cpu };
        session->lower_from_irqs++;
        session->kick.irqs_paired++;
    }
end:
    free(injection_times);
    free(injection_queues);
    free(irq_times);
    free(irq_queues);
    free(pairs);
    free(local);
    return ok;
}

/* The offset a TSC prediction (present) gives: the line between its first and last predictions, its error. */
static vq_clock_offset tsc_line(const vq_tsc_check *check)
{
    return (vq_clock_offset){ .usable = true, .method = VQ_OFFSET_TSC, .from_guest_ns = check->predicted_guest_ns[0],
                              .to_guest_ns = check->predicted_guest_ns[check->predictions - 1],
                              .from_offset = check->predicted[0], .to_offset = check->predicted[check->predictions - 1],
                              .error_ns = check->error_ns };
}

bool vq_tsc_offset_of(const char *directory, const vq_clock_pair *guest_pairs, size_t guest_pair_count,
                      vq_clock_offset *offset)
{
    vq_tsc_files files;
    vq_tsc_check check = { 0 };
    vq_error error;

    vq_error_clear(&error);
    if (vq_tsc_read(directory, &files, &error) != VQ_OK || !files.has_offset ||
        !vq_tsc_predict(&files, guest_pairs, guest_pair_count, &check) || !check.present) {
        return false;
    }
    *offset = tsc_line(&check);
    return true;
}

vq_status vq_align_clocks(vq_loader *load, vq_error *error)
{
    vq_session *session = load->session;
    vq_clock_offset tsc;
    bound_list bounds = { 0 };
    bool have_estimate = false, tcg = load->notify_count == 0;
    int64_t estimate = 0, upper_estimate = 0;
    vq_status status = VQ_ERR_NOMEM;
    size_t i;

    if (!add_id_bounds(load, &bounds, &estimate, &have_estimate) ||
        !add_kick_bounds(load, &bounds, have_estimate, estimate, &upper_estimate)) {
        goto end;
    }
    /* Without KVM (TCG) QEMU raises the interrupt itself: its virtio_notify is the injection. */
    if (!session->has_kvm && load->injection_count == 0) {
        for (i = 0; i < load->device_notify_count; i++) {
            vq_host_injection *injection = VQ_PUSH(load->injections, load->injection_count, load->injection_capacity);

            if (!injection) {
                goto end;
            }
            *injection = (vq_host_injection){ .ts = load->device_notifies[i].ts, .vector = UINT32_MAX };
        }
    }
    if (!add_irq_bounds(load, &bounds, upper_estimate, vq_tsc_offset_of(load->directory, load->guest_pairs,
                                                                     load->guest_pair_count, &tsc) ? &tsc : NULL)) {
        goto end;
    }
    VQ_FIT(bounds.items, bounds.count, bounds.capacity);   /* before the solver's own arrays */
    session->alignment = vq_align_solve(bounds.items, bounds.count);
    vq_alignment_warnings(session, tcg, session->upper_runs_skipped, session->lower_irqs_rejected);
    status = VQ_OK;
end:
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory during clock alignment", load->directory);
    }
    VQ_FIT(bounds.items, bounds.count, bounds.capacity);   /* kept for vq_choose_offset's checks */
    load->constraints = bounds.items;
    load->constraint_count = bounds.count;
    return status;
}

void vq_alignment_warnings(vq_session *session, bool tcg, uint64_t set_aside, uint64_t rejected)
{
    if (set_aside) {
        vq_session_warn(session, "%" PRIu64 " host %s set aside in the kick pairing: a kick paired with them came out "
                        "below the pairing-free lower bound (a run no kick of its own caused)",
                        set_aside, tcg ? "handler runs" : "notifies");
    }
    if (rejected) {
        vq_session_warn(session, "%" PRIu64 " injection -> irq pairings dropped: their bound exceeded the "
                        "kick bounds (wrong pairing)", rejected);
    }
}

/* ---- the offset the stages use: TSC when recorded, else the causal midpoint ---- */

static vq_status check_offset(vq_session *session, vq_offset_checker *checker, const char *what, vq_error *error)
{
    const vq_offset_check *check = &session->offset_check;
    vq_status status = checker->check(checker, &session->offset, NULL, &session->offset_check, error);

    if (status != VQ_OK) {
        return status;
    }
    if (check->lower.has && check->lower.margin < 0) {
        vq_session_warn(session, "%s is below the causal LOWER bound (%s) by %" PRId64 " ns at guest %" PRIu64
                        " ns (%zu lower bounds violated): a wrong pairing, or a TSC the guest rewrote", what,
                        vq_bound_source_name(check->lower.source), -check->lower.margin, check->lower.guest_ns,
                        check->lower.violations);
    }
    if (check->upper.has && check->upper.margin < 0) {
        vq_session_warn(session, "%s is above the causal UPPER bound (%s) by %" PRId64 " ns at guest %" PRIu64
                        " ns (%zu upper bounds violated): a wrong pairing, or a TSC the guest rewrote", what,
                        vq_bound_source_name(check->upper.source), -check->upper.margin, check->upper.guest_ns,
                        check->upper.violations);
    }
    return VQ_OK;
}

/*
 * KVM's tsc-offset and both sides' clock pairs give the offset exactly (to the pairs' read uncertainty)
 * and independently of any event pairing: when they are there the stages use it, as a line between the
 * start and end predictions, and the causal bounds become its check. Without them (TCG, no debugfs, an
 * older session) the stages use the causal midpoint. A malformed TSC file is reported (FILE:LINE) and
 * the session falls back to causality rather than failing: the TSC data are a refinement.
 */
vq_status vq_choose_offset_with(vq_session *session, const char *directory, const vq_clock_pair *guest_pairs,
                                size_t guest_pair_count, const vq_clock_pair *cpu_pairs, size_t cpu_pair_count,
                                vq_offset_checker *checker, vq_error *error)
{
    vq_tsc_check *t = &session->tsc;
    const vq_alignment *alignment = &session->alignment;
    vq_tsc_files files;
    vq_error tsc_error;
    vq_status status;

    vq_error_clear(&tsc_error);
    status = vq_tsc_read(directory, &files, &tsc_error);
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s", tsc_error.message);
        return status;
    }
    if (status != VQ_OK) {
        vq_session_warn(session, "%s (TSC data not used)", tsc_error.message);
        snprintf(t->why, sizeof(t->why), "%s", tsc_error.message);
    } else if (!files.has_offset) {
        snprintf(t->why, sizeof(t->why), "%s", strcmp(session->mode, "tcg") == 0 ? "TCG session: no KVM tsc-offset"
                 : "no tsc-offset.txt: KVM's debugfs not readable while recording, or an older session");
    } else {
        vq_tsc_predict(&files, guest_pairs, guest_pair_count, t);
    }
    if (t->present) {
        session->offset = tsc_line(t);
        status = check_offset(session, checker, "the TSC offset (KVM tsc-offset)", error);
        if (status != VQ_OK) {
            return status;
        }
        vq_tsc_check_vcpus(&files, cpu_pairs, cpu_pair_count, t);
        if (t->vcpu_offset_spread) {
            vq_session_warn(session, "the vCPUs' KVM tsc-offsets differ by up to %" PRId64 " cycles: the guest's CPUs "
                            "do not read one TSC (vCPU 0's offset and pairs are used)", t->vcpu_offset_spread);
        }
        if (t->vcpus > 1 && t->vcpu_prediction_spread_ns > 2 * t->read_uncertainty_ns) {
            vq_session_warn(session, "the clock pairs of %zu vCPUs, each with its own tsc-offset, predict offsets "
                            "%" PRId64 " ns apart, more than twice the read uncertainty (%" PRId64 " ns)", t->vcpus,
                            t->vcpu_prediction_spread_ns, t->read_uncertainty_ns);
        }
        if (session->offset_check.lower.has && session->offset_check.lower.margin < 0) {
            t->distance_ns = session->offset_check.lower.margin;
        } else if (session->offset_check.upper.has && session->offset_check.upper.margin < 0) {
            t->distance_ns = -session->offset_check.upper.margin;
        }
        if (!alignment->usable) {
            vq_session_warn(session, "causal bounds incomplete (%" PRIu64 " upper, %" PRIu64 " lower): the TSC offset "
                            "is checked on one side at most", session->upper_from_kicks,
                            session->lower_from_ids + session->lower_from_irqs);
        } else if (alignment->contradiction) {
            vq_session_warn(session, "clock constraints contradict: lo exceeds hi by %" PRId64 " ns (a wrong "
                            "pairing or clock drift); the TSC offset is used", alignment->contradiction_ns);
        }
    } else if (alignment->usable) {
        int64_t contradiction, cpu_contradiction;
        uint32_t worst_cpu;
        bool line = vq_causal_offset(alignment, &session->offset, &contradiction);

        status = checker->check(checker, &session->offset, NULL, &session->offset_check, error);
        if (status != VQ_OK) {
            return status;
        }
        if (checker->per_cpu(checker, session->cpu_offset, &cpu_contradiction, &worst_cpu) &&
            (cpu_contradiction == 0 || cpu_contradiction < contradiction)) {
            /* Each guest CPU's own bounds give it its own offset: the guest's CPUs need not read one clock
             * (under TCG each vCPU's TSC starts at its own moment, microseconds apart), and one offset for
             * all would sit where the CPUs' intervals overlap, or contradict them: biased for each. */
            uint32_t cpu;

            session->per_cpu_offsets = true;
            session->all_cpu_contradiction_ns = contradiction;
            /* the error of the offsets the stages use: the largest of the CPUs' */
            session->offset.error_ns = 0;
            for (cpu = 0; cpu < VQ_GUEST_MAX_CPUS; cpu++) {
                if (session->cpu_offset[cpu].usable && session->cpu_offset[cpu].error_ns > session->offset.error_ns) {
                    session->offset.error_ns = session->cpu_offset[cpu].error_ns;
                }
            }
            if (cpu_contradiction) {   /* still better than one offset for all, which contradicts more */
                vq_session_warn(session, "guest CPU %" PRIu32 "'s own bounds contradict its offset by %" PRId64 " ns "
                                "(one offset for all CPUs: by %" PRId64 " ns): its clock does not follow a straight "
                                "line, or a pairing is wrong; cross-clock stages may come out negative", worst_cpu,
                                cpu_contradiction, contradiction);
            }
            status = checker->check(checker, &session->offset, session->cpu_offset, &session->offset_check, error);
            if (status != VQ_OK) {
                return status;
            }
        } else if (contradiction && line) {
            vq_session_warn(session, "clock constraints contradict even along a drifting line (%.1f ppm): lo exceeds "
                            "hi by %" PRId64 " ns (a wrong pairing); cross-clock stages may come out negative",
                            alignment->line.slope_ppm, contradiction);
        } else if (contradiction) {
            vq_session_warn(session, "clock constraints contradict: lo exceeds hi by %" PRId64 " ns (a wrong "
                            "pairing or clock drift); cross-clock stages may come out negative",
                            alignment->contradiction_ns);
        }
    } else {
        session->offset.method = VQ_OFFSET_CAUSAL;   /* not usable: cross-clock stages are left out */
        vq_session_warn(session, "clock alignment impossible: %" PRIu64 " upper and %" PRIu64 " lower bounds and no "
                        "TSC data; cross-clock stages are left out", session->upper_from_kicks,
                        session->lower_from_ids + session->lower_from_irqs);
    }
    return VQ_OK;
}

/* The batch's checker: the bounds vq_align_clocks kept. */
typedef struct {
    vq_offset_checker checker;
    const vq_loader *load;
} batch_checker;

static vq_status batch_check(vq_offset_checker *checker, const vq_clock_offset *all,
                             const vq_clock_offset *per_cpu, vq_offset_check *out, vq_error *error)
{
    const vq_loader *load = ((batch_checker *)checker)->load;

    (void)error;
    *out = per_cpu ? vq_offset_check_per_cpu(all, per_cpu, VQ_GUEST_MAX_CPUS, load->constraints, load->constraint_count)
                   : vq_offset_check_bounds(all, load->constraints, load->constraint_count);
    return VQ_OK;
}

static size_t batch_per_cpu(vq_offset_checker *checker, vq_clock_offset *offsets, int64_t *contradiction,
                            uint32_t *worst_cpu)
{
    const vq_loader *load = ((batch_checker *)checker)->load;

    return vq_per_cpu_offsets(load->constraints, load->constraint_count, offsets, VQ_GUEST_MAX_CPUS, contradiction,
                              worst_cpu);
}

vq_status vq_choose_offset(vq_loader *load, vq_error *error)
{
    batch_checker checker = { .checker = { .check = batch_check, .per_cpu = batch_per_cpu }, .load = load };
    vq_status status = vq_choose_offset_with(load->session, load->directory, load->guest_pairs, load->guest_pair_count,
                                             load->guest_cpu_pairs, load->guest_cpu_pair_count, &checker.checker,
                                             error);

    /* The bounds' last reader: the offset is checked against them above. */
    free(load->constraints);
    load->constraints = NULL;
    load->constraint_count = 0;
    return status;
}
