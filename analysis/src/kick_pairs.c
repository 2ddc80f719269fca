// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming alignment's second pass (stream_align.h, STREAMING.md "B, kick pairing"): the guest's
 * notified kicks paired forward with the device's host events as alignment.c's add_kick_bounds pairs
 * them, read in step through the loader's windows: a kick is paired once the host side has been read
 * past the latest time it can pair with, and every record is released as soon as it is passed.
 */
#include "stream_align.h"

#include <stdlib.h>
#include <string.h>

#define KICK_ROUNDS 4               /* pair_kicks's */

/* A host event of a pair below the id bound: set aside in the next round. */
typedef struct {
    size_t index;
    uint32_t queue;
} aside_event;

/* What a round reads with. */
typedef struct {
    const char *directory;
    const vq_pairing_facts *facts;
    vq_stream_estimates lines;
    bool tcg, per_queue, estimate_is_bound;
    const size_t *aside;        /* sorted absolute indexes of host events not paired */
    size_t aside_count;
    vq_bound_sink *sink;        /* NULL, or each bound again (a replay) */
} round_plan;

/* What a round made. */
typedef struct {
    vq_running_hull all, cpu[VQ_GUEST_MAX_CPUS];
    int64_t smallest;
    uint64_t bounds, below, pair_sum, released_late, disordered;
    int64_t dropped_below;      /* the host events before it were passed */
    aside_event *below_events;
    size_t below_count, below_capacity;
    size_t most_kicks, most_host;
    vq_bound_summary summary;
} round_result;

static void result_init(round_result *result)
{
    size_t c;

    *result = (round_result){ 0 };
    vq_running_hull_init(&result->all, false);
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        vq_running_hull_init(&result->cpu[c], false);
    }
}

static void result_free(round_result *result)
{
    size_t c;

    vq_running_hull_free(&result->all);
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        vq_running_hull_free(&result->cpu[c]);
    }
    free(result->below_events);
    result->below_events = NULL;
}

static bool set_aside(const round_plan *plan, size_t index)
{
    size_t low = 0, high = plan->aside_count;

    while (low < high) {
        size_t middle = low + (high - low) / 2;

        if (plan->aside[middle] == index) {
            return true;
        }
        if (plan->aside[middle] < index) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return false;
}

/* The state of a round's read. */
typedef struct {
    vq_loader *load;
    vq_pass *guest, *host;
    bool guest_ended, host_ended;
    vq_pair_stream streams[VQ_GUEST_MAX_QUEUES];   /* per queue, or [0] for one sequence */
    size_t host_taken;          /* absolute index of the next host record to take */
    size_t kick_next;           /* absolute index of the next kick to pair */
} round_read;

/* The host events read since the last step into the streams, then every host record released but what
 * the passes still fill (open exits; QEMU's requests in flight). */
static bool take_host(const round_plan *plan, round_read *read)
{
    vq_loader *load = read->load;
    size_t first = plan->tcg ? load->handler_base : load->notify_base;
    size_t count = plan->tcg ? load->handler_count : load->notify_count, i;

    for (i = read->host_taken - first; i < count; i++) {
        vq_pair_host host = { .index = first + i };

        if (plan->tcg) {
            if (load->handlers[i].vdev != plan->facts->xblk_vdev) {
                continue;
            }
            host.ts = load->handlers[i].ts;
            host.queue = load->handlers[i].queue;
        } else {
            if (load->notifies[i].gpa >> 12 != plan->facts->doorbell_page) {
                continue;
            }
            host.ts = vq_notify_time(&load->notifies[i]);
            host.queue = load->notifies[i].queue;
        }
        if (set_aside(plan, host.index) || (plan->per_queue && host.queue >= VQ_GUEST_MAX_QUEUES)) {
            continue;
        }
        if (!vq_pair_stream_add(&read->streams[plan->per_queue ? host.queue : 0], &host)) {
            return false;
        }
    }
    read->host_taken = first + count;
    if (!plan->tcg) {
        vq_loader_release_probe_but_open(load);
        return true;
    }
    return vq_stream_release_qemu(load, vq_stream_next(read->host, read->host_ended), read->host_ended);
}

/* The kicks the host side has been read far enough for, in order, paired; then the guest's records
 * released up to the first kick not paired yet (requests once complete or timed out). */
static bool pair_ready(const round_plan *plan, round_read *read, round_result *out)
{
    vq_loader *load = read->load;
    uint64_t next = vq_stream_next(read->host, read->host_ended);
    uint64_t floor = plan->tcg ? next : vq_loader_notify_floor(load, next);
    size_t q, held = 0;
    uint64_t at;

    for (; read->kick_next < load->kick_base + load->kick_count; read->kick_next++) {
        const vq_guest_kick *kick = &load->kicks[read->kick_next - load->kick_base];
        int64_t estimate;
        vq_pair_host host;

        if (!kick->notified) {
            continue;
        }
        estimate = vq_stream_estimate_at(&plan->lines, kick->cpu, kick->ts);
        /* host events it could have paired with were passed: more disorder than VQ_STREAM_DISORDER_NS */
        out->disordered += (int64_t)kick->ts + estimate - VQ_PAIR_SLACK_NS < out->dropped_below;
        if (!read->host_ended && (int64_t)kick->ts + estimate + VQ_PAIR_WINDOW_NS >= (int64_t)floor) {
            break;   /* a host event it can pair with may not be read yet */
        }
        /* queue by queue only when every notified kick names its queue (vq_pairing_facts) */
        if (vq_pair_stream_forward(&read->streams[plan->per_queue && kick->vq < VQ_GUEST_MAX_QUEUES ? kick->vq : 0],
                                   kick->ts, estimate,
                                   VQ_PAIR_SLACK_NS, VQ_PAIR_WINDOW_NS, &host)) {
            vq_constraint bound = { .guest_ns = kick->ts, .value = (int64_t)(host.ts - kick->ts), .upper = true,
                                    .source = VQ_BOUND_KICK_EXIT, .cpu = kick->cpu };

            if (!out->bounds || bound.value < out->smallest) {
                out->smallest = bound.value;
            }
            out->bounds++;
            out->pair_sum += (uint64_t)(read->kick_next + 1) * host.ts;
            if (!vq_stream_add_bound(&out->all, out->cpu, &out->summary, plan->sink, &bound,
                                     VQ_BOUND_ORDER(1, read->kick_next)) ||
                (plan->sink && plan->sink->pair &&
                 !plan->sink->pair(plan->sink, VQ_BOUND_ORDER(1, read->kick_next), &host))) {
                return false;
            }
            if (bound.value < estimate) {
                aside_event *below = VQ_PUSH(out->below_events, out->below_count, out->below_capacity);

                if (!below) {
                    return false;
                }
                *below = (aside_event){ .index = host.index, .queue = host.queue };
                out->below++;
            }
        }
    }
    /* The host events no later kick can reach: before the earliest time the next one can pair with (a
     * kick's time plus its estimate never decreases with its time), the kicks to come being at most
     * VQ_STREAM_DISORDER_NS before the next one or the guest's watermark (the guest's CPUs' events are
     * merged in nearly time order; a kick that comes earlier is counted). */
    at = vq_stream_next(read->guest, read->guest_ended);
    if (read->kick_next < load->kick_base + load->kick_count) {
        uint64_t waiting = load->kicks[read->kick_next - load->kick_base].ts;

        at = waiting < at ? waiting : at;
    }
    for (q = 0; q < VQ_GUEST_MAX_QUEUES; q++) {
        if (at == UINT64_MAX) {
            vq_pair_stream_drop_before(&read->streams[q], INT64_MAX);
        } else if (at > VQ_STREAM_DISORDER_NS) {
            uint64_t from = at - VQ_STREAM_DISORDER_NS;
            int64_t floor_at = (int64_t)from + vq_stream_estimate_bound(&plan->lines, from, false) -
                               VQ_PAIR_SLACK_NS - 1;

            vq_pair_stream_drop_before(&read->streams[q], floor_at);
            out->dropped_below = floor_at > out->dropped_below ? floor_at : out->dropped_below;
        }
        held += vq_pair_stream_held(&read->streams[q]);
    }
    out->most_host = held > out->most_host ? held : out->most_host;
    out->most_kicks = load->kick_base + load->kick_count - read->kick_next > out->most_kicks
                          ? load->kick_base + load->kick_count - read->kick_next : out->most_kicks;
    return vq_stream_release_guest(load, read->kick_next, load->irq_base + load->irq_count,
                                   vq_stream_next(read->guest, read->guest_ended), read->guest_ended);
}

/* One read of the session: the guest a step at a time, the host side ahead of it by the largest
 * estimate and the window. */
static vq_status run_round(const round_plan *plan, round_result *out, vq_error *error)
{
    round_read read = { .load = vq_stream_loader_new(plan->directory, plan->facts) };
    uint64_t guest_limit = 0, host_limit = 0;
    vq_status status;
    size_t q;

    result_init(out);
    if (!read.load) {
        vq_error_set(error, "%s: out of memory (kick pairing)", plan->directory);
        return VQ_ERR_NOMEM;
    }
    status = vq_pass_open(read.load, &vq_guest_pass, &read.guest, error);
    if (status == VQ_OK) {
        status = vq_pass_open(read.load, plan->tcg ? &vq_qemu_pass : &vq_probe_pass, &read.host, error);
    }
    if (status == VQ_OK) {
        status = vq_pass_step(read.guest, 0, &read.guest_ended, error);
    }
    if (status == VQ_OK) {
        status = vq_pass_step(read.host, 0, &read.host_ended, error);
    }
    guest_limit = status == VQ_OK && !read.guest_ended ? vq_pass_next(read.guest) : 0;
    while (status == VQ_OK) {
        if (!read.guest_ended) {
            guest_limit += VQ_ID_BOUNDS_STEP_NS;
            status = vq_pass_step(read.guest, guest_limit, &read.guest_ended, error);
        }
        if (status == VQ_OK && !read.host_ended) {
            int64_t ahead = (int64_t)guest_limit + vq_stream_estimate_bound(&plan->lines, guest_limit, true) +
                            VQ_PAIR_WINDOW_NS + (int64_t)VQ_ID_BOUNDS_STEP_NS;

            /* once the guest is read, the host side goes on a step at a time */
            host_limit = read.guest_ended ? vq_pass_next(read.host) + VQ_ID_BOUNDS_STEP_NS
                                          : (ahead > (int64_t)host_limit ? (uint64_t)ahead : host_limit);
            status = vq_pass_step(read.host, host_limit, &read.host_ended, error);
        }
        if (status != VQ_OK) {
            break;
        }
        if (!take_host(plan, &read) || !pair_ready(plan, &read, out)) {
            vq_error_set(error, "%s: out of memory (kick pairing)", plan->directory);
            status = VQ_ERR_NOMEM;
            break;
        }
        if (read.guest_ended && read.host_ended) {
            break;   /* every kick paired: the host side is read to its end */
        }
    }
    out->released_late = read.load->released_late;
    for (q = 0; q < VQ_GUEST_MAX_QUEUES; q++) {
        vq_pair_stream_free(&read.streams[q]);
    }
    vq_pass_close(read.guest);
    vq_pass_close(read.host);
    vq_stream_loader_delete(read.load);
    return status;
}

static int compare_size(const void *left, const void *right)
{
    size_t a = *(const size_t *)left, b = *(const size_t *)right;

    return (a > b) - (a < b);
}

/* Adds the host events of ROUND's pairs below the bound to ASIDE (sorted). */
static bool add_aside(size_t **aside, size_t *count, const round_result *round)
{
    size_t *bigger = realloc(*aside, (*count + round->below_count + 1) * sizeof(*bigger)), i;

    if (!bigger) {
        return false;
    }
    for (i = 0; i < round->below_count; i++) {
        bigger[(*count)++] = round->below_events[i].index;
    }
    *aside = bigger;
    qsort(*aside, *count, sizeof(**aside), compare_size);
    return true;
}

/* The plan the pairing and its replay start from (ROUND's but the queues and the events set aside):
 * false when there is nothing to start from (no pairing, add_kick_bounds). *HOST_EVENTS, *UNNAMED: the
 * host events to pair with, and those of them that name no queue. */
static bool plan_of(const char *directory, vq_id_bounds *ids, round_plan *plan, uint64_t *host_events,
                    size_t *unnamed)
{
    const vq_pairing_facts *facts = &ids->facts;
    const vq_stream_device *device = vq_pairing_facts_device(facts);
    uint64_t first_host;
    int64_t fallback;

    *plan = (round_plan){ .directory = directory, .facts = facts, .tcg = facts->doorbell_writes == 0 };
    *host_events = plan->tcg ? (device ? device->handlers : 0) : facts->doorbell_writes;
    *unnamed = plan->tcg ? (device ? device->unnamed_queue : 0) : facts->doorbell_unnamed_queue;
    first_host = plan->tcg ? (device ? device->first_handler : 0) : facts->first_doorbell;
    plan->estimate_is_bound = ids->bounds > 0;
    if (ids->bounds) {
        fallback = ids->largest;
    } else if (facts->notified && *host_events) {
        fallback = (int64_t)(first_host - facts->first_notified);   /* no ids: the first of each */
    } else {
        return false;
    }
    vq_stream_estimates_from(&plan->lines, &ids->all, ids->cpu, fallback);
    return true;
}

vq_status vq_kick_pairs_stream(const char *directory, vq_id_bounds *ids, vq_kick_pairs *out, vq_error *error)
{
    const vq_pairing_facts *facts = &ids->facts;
    round_plan plan;
    size_t *aside = NULL, aside_count = 0, aside_unnamed = 0, unnamed, c;
    vq_status status;
    unsigned round;

    memset(out, 0, sizeof(*out));
    vq_running_hull_init(&out->all, false);
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        vq_running_hull_init(&out->cpu[c], false);
    }
    status = vq_pairing_facts_doorbell(directory, &ids->facts, error);
    if (status != VQ_OK) {
        return status;
    }
    out->paired = plan_of(directory, ids, &plan, &out->host_events, &unnamed);
    out->tcg = plan.tcg;
    if (!out->paired) {
        return VQ_OK;
    }
    for (round = 0; round < KICK_ROUNDS; round++) {
        round_result result;
        bool last;

        /* pair_by_queue: queue by queue when every notified kick and every host event not set aside
         * names its queue and the kicks use two queues or more */
        plan.per_queue = !facts->unnamed_kick_queue && unnamed == aside_unnamed &&
                         vq_stream_queue_count(facts->kick_queues) >= 2;
        plan.aside = aside;
        plan.aside_count = aside_count;
        status = run_round(&plan, &result, error);
        out->rounds = round + 1;
        out->most_kicks = result.most_kicks > out->most_kicks ? result.most_kicks : out->most_kicks;
        out->most_host = result.most_host > out->most_host ? result.most_host : out->most_host;
        out->released_late += result.released_late;
        out->disordered += result.disordered;
        last = status != VQ_OK || !plan.estimate_is_bound || result.below == 0 ||
               result.below * 20 > result.bounds;
        if (!last) {
            size_t i;

            for (i = 0; i < result.below_count; i++) {
                aside_unnamed += result.below_events[i].queue >= VQ_GUEST_MAX_QUEUES;
            }
            out->set_aside += result.below;
            /* (after the last round, counted only: pair_kicks sets them aside and pairs no more) */
            if (round + 1 < KICK_ROUNDS && !add_aside(&aside, &aside_count, &result)) {
                vq_error_set(error, "%s: out of memory (kick pairing)", directory);
                status = VQ_ERR_NOMEM;
                last = true;
            }
        }
        if (last || round + 1 == KICK_ROUNDS) {
            vq_kick_pairs_free(out);
            out->all = result.all;
            memcpy(out->cpu, result.cpu, sizeof(out->cpu));
            result.all = (vq_running_hull){ 0 };
            memset(result.cpu, 0, sizeof(result.cpu));
            out->smallest = result.smallest;
            out->bounds = result.bounds;
            out->pair_sum = result.pair_sum;
            out->summary = result.summary;
            out->per_queue = plan.per_queue;
            out->aside = aside;   /* what the last round set aside: its replay's */
            out->aside_count = aside_count;
            aside = NULL;
            result_free(&result);
            break;
        }
        result_free(&result);
    }
    free(aside);
    return status;
}

vq_status vq_kick_pairs_replay(const char *directory, vq_id_bounds *ids, const vq_kick_pairs *done,
                               vq_bound_sink *sink, vq_error *error)
{
    round_plan plan;
    round_result result;
    uint64_t host_events;
    size_t unnamed;
    vq_status status;

    if (!done->paired || !plan_of(directory, ids, &plan, &host_events, &unnamed)) {
        return VQ_OK;
    }
    plan.per_queue = done->per_queue;
    plan.aside = done->aside;
    plan.aside_count = done->aside_count;
    plan.sink = sink;
    status = run_round(&plan, &result, error);
    result_free(&result);
    return status;
}

void vq_kick_pairs_free(vq_kick_pairs *pairs)
{
    size_t c;

    free(pairs->aside);
    pairs->aside = NULL;
    pairs->aside_count = 0;
    vq_running_hull_free(&pairs->all);
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        vq_running_hull_free(&pairs->cpu[c]);
    }
}
