// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming alignment's third pass (stream_align.h, STREAMING.md "C, irq pairing"): the device's
 * injections (its notifies merged with the injections after them) and the guest's irqs paired backward
 * as alignment.c's add_irq_bounds pairs them, the three sources read in step through the loader's
 * windows: an injection is made once the notify after its own and the injections up to it are read, an
 * irq paired once every injection up to the latest time it can pair with is made and the vCPU's virqs
 * are read past the window, and every record is released as soon as it is passed.
 */
#include "stream_align.h"

#include <stdlib.h>
#include <string.h>

/* What a read pairs with. */
typedef struct {
    const char *directory;
    const vq_pairing_facts *facts;
    const vq_stream_device *device;
    vq_stream_estimates lines;
    bool pairing;               /* kick bounds to start from */
    bool per_queue, synthesized;
    int64_t slack;              /* add_irq_bounds's: none from KVM's TSC offset */
    vq_bound_sink *sink;        /* NULL, or each bound again (a replay) */
} irq_plan;

/* The state of a read: the records taken from the loader's windows into FIFOs (vq_pair_stream: time,
 * index, queue, and the vector in tag). */
typedef struct {
    vq_loader *load;
    vq_pass *guest, *qemu, *probe;
    bool guest_ended, qemu_ended, probe_ended;
    size_t notify_taken, injection_taken, virq_taken;   /* absolute indexes of the next to take */
    vq_pair_stream notifies;    /* the device's notifies not merged yet */
    vq_pair_stream injections;  /* the injections not passed by the merge */
    vq_pair_stream virqs;
    vq_pair_stream streams[VQ_GUEST_MAX_QUEUES];   /* the device's injections, per queue or [0] */
    size_t irq_next;            /* absolute index of the next irq to pair */
    uint64_t unnamed;           /* device injections whose notify names no queue */
    int64_t dropped_behind;     /* injections were passed for later irqs' latest times from it on */
} irq_read;

/* The new records of the loader's windows into the FIFOs, then the loader's released. */
static bool take_records(const irq_plan *plan, irq_read *read)
{
    vq_loader *load = read->load;
    size_t i;

    for (i = read->notify_taken - load->device_notify_base; i < load->device_notify_count; i++) {
        const vq_qemu_mark *mark = &load->device_notifies[i];
        vq_pair_host notify = { .ts = mark->ts, .queue = vq_stream_device_queue(plan->device, mark->vq),
                                .tag = UINT32_MAX };

        if (mark->vdev != plan->facts->xblk_vdev) {
            continue;
        }
        if (!vq_pair_stream_add(&read->notifies, &notify) ||
            (plan->synthesized && !vq_pair_stream_add(&read->injections, &notify))) {
            return false;
        }
    }
    read->notify_taken = load->device_notify_base + load->device_notify_count;
    for (i = read->injection_taken - load->injection_base; !plan->synthesized && i < load->injection_count; i++) {
        vq_pair_host injection = { .ts = load->injections[i].ts, .tag = load->injections[i].vector,
                                   .tid = load->injections[i].tid };

        if (!vq_pair_stream_add(&read->injections, &injection)) {
            return false;
        }
    }
    read->injection_taken = load->injection_base + load->injection_count;
    for (i = read->virq_taken - load->virq_base; i < load->virq_count; i++) {
        vq_pair_host virq = { .ts = load->virqs[i].ts, .tag = load->virqs[i].vector };

        if (!vq_pair_stream_add(&read->virqs, &virq)) {
            return false;
        }
    }
    read->virq_taken = load->virq_base + load->virq_count;
    if (read->probe) {
        vq_loader_release_probe_but_open(load);
    }
    return vq_stream_release_qemu(load, vq_stream_next(read->qemu, read->qemu_ended), read->qemu_ended);
}

/*
 * add_irq_bounds's merge: each notify takes the first injection at or after it not taken yet, when it
 * comes before the next notify (or the notify is the last). A notify waits for the next one and for the
 * injections to be read far enough to know. *COUNT: the device's injections made.
 */
static bool merge(const irq_plan *plan, irq_read *read, uint64_t *count)
{
    bool injections_ended = plan->synthesized ? read->qemu_ended : read->probe_ended;
    uint64_t injections_next = plan->synthesized ? vq_stream_next(read->qemu, read->qemu_ended)
                                                 : vq_stream_next(read->probe, read->probe_ended);

    while (vq_pair_stream_held(&read->notifies)) {
        const vq_pair_host *notify = &read->notifies.items[read->notifies.head];
        bool last = vq_pair_stream_held(&read->notifies) == 1, take;
        uint64_t next = last ? UINT64_MAX : read->notifies.items[read->notifies.head + 1].ts;

        if (last && !read->qemu_ended) {
            break;   /* whether it is the last one, and the time of the next */
        }
        vq_pair_stream_drop_before(&read->injections, (int64_t)notify->ts);
        if (vq_pair_stream_held(&read->injections)) {
            take = last || read->injections.items[read->injections.head].ts < next;
        } else if (injections_ended || (!last && injections_next >= next)) {
            take = false;
        } else {
            break;   /* the first injection at or after it is not read yet */
        }
        if (take) {
            const vq_pair_host *injection = &read->injections.items[read->injections.head];
            vq_pair_host made = { .ts = injection->ts, .index = (size_t)*count, .queue = notify->queue,
                                  .tag = injection->tag, .tid = injection->tid };

            (*count)++;
            if (plan->sink && plan->sink->injection && !plan->sink->injection(plan->sink, &made)) {
                return false;
            }
            read->unnamed += notify->queue >= VQ_GUEST_MAX_QUEUES;
            read->injections.head++;
            if (plan->pairing && (!plan->per_queue || made.queue < VQ_GUEST_MAX_QUEUES)) {
                if (!vq_pair_stream_add(&read->streams[plan->per_queue ? made.queue : 0], &made)) {
                    return false;
                }
            }
        }
        read->notifies.head++;
    }
    return true;
}

/* The earliest time a device injection not made yet can have: its notify's. */
static uint64_t injections_floor(const irq_read *read)
{
    return vq_pair_stream_held(&read->notifies) ? read->notifies.items[read->notifies.head].ts
                                                : vq_stream_next(read->qemu, read->qemu_ended);
}

/*
 * The irqs the host side has been read far enough for, in order, paired; an irq's pair bounded by the
 * first virq of its vector within the window (when no later than the estimate allows), rejected when
 * its bound exceeds the estimate. Then what no later irq can reach is passed and the guest's records
 * released up to the first irq not paired yet.
 */
static bool pair_irqs(const irq_plan *plan, irq_read *read, vq_irq_pairs *out)
{
    vq_loader *load = read->load;
    uint64_t floor = injections_floor(read), probe_next = vq_stream_next(read->probe, read->probe_ended);
    uint64_t at, earliest;
    size_t q, held;

    for (; plan->pairing && read->irq_next < load->irq_base + load->irq_count; read->irq_next++) {
        const vq_guest_irq *irq = &load->irqs[read->irq_next - load->irq_base];
        int64_t estimate = vq_stream_estimate_at(&plan->lines, irq->cpu, irq->ts);
        vq_pair_stream *stream = &read->streams[plan->per_queue && irq->vq < VQ_GUEST_MAX_QUEUES ? irq->vq : 0];
        size_t head = stream->head;
        vq_pair_host injection;
        uint64_t bound;

        out->disordered += (int64_t)irq->ts + estimate + plan->slack < read->dropped_behind;
        if (floor != UINT64_MAX && (int64_t)irq->ts + estimate + plan->slack >= (int64_t)floor) {
            break;   /* an injection it can pair with may not be made yet */
        }
        if (!vq_pair_stream_backward(stream, irq->ts, estimate, plan->slack, VQ_PAIR_WINDOW_NS, &injection)) {
            continue;
        }
        if (injection.tag != UINT32_MAX && read->probe && !read->probe_ended &&
            probe_next <= injection.ts + VQ_PAIR_WINDOW_NS) {
            stream->head = head;   /* its virqs are not all read: the same pairing next time */
            break;
        }
        bound = injection.ts;
        vq_pair_stream_drop_before(&read->virqs, (int64_t)injection.ts);
        for (q = read->virqs.head; q < read->virqs.count && read->virqs.items[q].ts <= injection.ts + VQ_PAIR_WINDOW_NS;
             q++) {
            if (injection.tag != UINT32_MAX && read->virqs.items[q].tag == injection.tag) {
                if (read->virqs.items[q].ts <= irq->ts + (uint64_t)estimate) {
                    bound = read->virqs.items[q].ts;
                }
                break;
            }
        }
        if ((int64_t)(bound - irq->ts) > estimate) {
            out->rejected++;
            continue;
        }
        {
            vq_constraint lower = { .guest_ns = irq->ts, .value = (int64_t)(bound - irq->ts), .upper = false,
                                    .source = VQ_BOUND_INJECT_IRQ, .cpu = irq->cpu };

            out->bounds++;
            out->pair_sum += (uint64_t)(read->irq_next + 1) * injection.ts;
            if (!vq_stream_add_bound(&out->all, out->cpu, &out->summary, plan->sink, &lower,
                                     VQ_BOUND_ORDER(2, read->irq_next)) ||
                (plan->sink && plan->sink->pair &&
                 !plan->sink->pair(plan->sink, VQ_BOUND_ORDER(2, read->irq_next), &injection))) {
                return false;
            }
        }
    }
    if (!plan->pairing) {
        read->irq_next = load->irq_base + load->irq_count;
    }
    /* What no later irq can take (the merge takes the last injection up to an irq's latest time), and
     * the virqs and injections before any later pair's time. */
    at = vq_stream_next(read->guest, read->guest_ended);
    if (read->irq_next < load->irq_base + load->irq_count) {
        uint64_t waiting = load->irqs[read->irq_next - load->irq_base].ts;

        at = waiting < at ? waiting : at;
    }
    earliest = floor;
    held = vq_pair_stream_held(&read->notifies) + vq_pair_stream_held(&read->injections);
    for (q = 0; q < VQ_GUEST_MAX_QUEUES; q++) {
        if (at == UINT64_MAX) {   /* no irq to come */
            vq_pair_stream_drop_before(&read->streams[q], INT64_MAX);
        } else if (at > VQ_STREAM_DISORDER_NS) {
            uint64_t from = at - VQ_STREAM_DISORDER_NS;
            int64_t latest = (int64_t)from + vq_stream_estimate_bound(&plan->lines, from, false) + plan->slack;

            vq_pair_stream_drop_behind(&read->streams[q], latest);
            read->dropped_behind = latest > read->dropped_behind ? latest : read->dropped_behind;
        }
        if (vq_pair_stream_held(&read->streams[q])) {
            uint64_t first = read->streams[q].items[read->streams[q].head].ts;

            earliest = first < earliest ? first : earliest;
        }
        held += vq_pair_stream_held(&read->streams[q]);
    }
    vq_pair_stream_drop_before(&read->virqs, earliest == UINT64_MAX ? INT64_MAX : (int64_t)earliest);
    held += vq_pair_stream_held(&read->virqs);
    out->most_host = held > out->most_host ? held : out->most_host;
    out->most_irqs = load->irq_base + load->irq_count - read->irq_next > out->most_irqs
                         ? load->irq_base + load->irq_count - read->irq_next : out->most_irqs;
    return vq_stream_release_guest(load, load->kick_base + load->kick_count, read->irq_next,
                                   vq_stream_next(read->guest, read->guest_ended), read->guest_ended);
}

static void read_free(irq_read *read)
{
    size_t q;

    vq_pair_stream_free(&read->notifies);
    vq_pair_stream_free(&read->injections);
    vq_pair_stream_free(&read->virqs);
    for (q = 0; q < VQ_GUEST_MAX_QUEUES; q++) {
        vq_pair_stream_free(&read->streams[q]);
    }
    vq_pass_close(read->guest);
    vq_pass_close(read->qemu);
    vq_pass_close(read->probe);
    vq_stream_loader_delete(read->load);
}

/* One read of the session (after pass B: the facts have the probe's): the guest a step at a time, QEMU and
 * the probe stream ahead of it by the largest estimate and the window. *UNNAMED: the device injections
 * whose queue is not named. */
static vq_status run_read(const irq_plan *plan, vq_irq_pairs *out, uint64_t *unnamed, vq_error *error)
{
    irq_read read = { .load = vq_stream_loader_new(plan->directory, plan->facts), .probe_ended = plan->synthesized };
    uint64_t guest_limit = 0, host_limit = 0;
    vq_status status;

    if (!read.load) {
        vq_error_set(error, "%s: out of memory (irq pairing)", plan->directory);
        return VQ_ERR_NOMEM;
    }
    status = vq_pass_open(read.load, &vq_guest_pass, &read.guest, error);
    if (status == VQ_OK) {
        status = vq_pass_open(read.load, &vq_qemu_pass, &read.qemu, error);
    }
    if (status == VQ_OK && !plan->synthesized) {
        status = vq_pass_open(read.load, &vq_probe_pass, &read.probe, error);
    }
    if (status == VQ_OK) {
        status = vq_pass_step(read.guest, 0, &read.guest_ended, error);
    }
    if (status == VQ_OK) {
        status = vq_pass_step(read.qemu, 0, &read.qemu_ended, error);
    }
    if (status == VQ_OK && read.probe) {
        status = vq_pass_step(read.probe, 0, &read.probe_ended, error);
    }
    guest_limit = status == VQ_OK && !read.guest_ended ? vq_pass_next(read.guest) : 0;
    while (status == VQ_OK) {
        if (!read.guest_ended) {
            guest_limit += VQ_ID_BOUNDS_STEP_NS;
            status = vq_pass_step(read.guest, guest_limit, &read.guest_ended, error);
        }
        if (read.guest_ended) {   /* then the host side goes on a step at a time */
            uint64_t next = vq_stream_next(read.qemu, read.qemu_ended);
            uint64_t probe = vq_stream_next(read.probe, read.probe_ended);

            host_limit = (probe < next ? probe : next) + VQ_ID_BOUNDS_STEP_NS;
        } else {
            int64_t ahead = (int64_t)guest_limit + vq_stream_estimate_bound(&plan->lines, guest_limit, true) +
                            VQ_PAIR_WINDOW_NS + (int64_t)VQ_ID_BOUNDS_STEP_NS;

            host_limit = ahead > (int64_t)host_limit ? (uint64_t)ahead : host_limit;
        }
        if (status == VQ_OK) {
            status = vq_pass_step(read.qemu, host_limit, &read.qemu_ended, error);
        }
        if (status == VQ_OK && read.probe) {
            status = vq_pass_step(read.probe, host_limit, &read.probe_ended, error);
        }
        if (status != VQ_OK) {
            break;
        }
        if (!take_records(plan, &read) || !merge(plan, &read, &out->host_injections) || !pair_irqs(plan, &read, out)) {
            vq_error_set(error, "%s: out of memory (irq pairing)", plan->directory);
            status = VQ_ERR_NOMEM;
            break;
        }
        if (read.guest_ended && read.qemu_ended && read.probe_ended) {
            break;   /* every irq paired: the host side is read to its end */
        }
    }
    out->released_late += read.load->released_late;
    *unnamed = read.unnamed;
    read_free(&read);
    return status;
}

static void pairs_init(vq_irq_pairs *pairs)
{
    size_t c;

    vq_irq_pairs_free(pairs);
    memset(pairs, 0, sizeof(*pairs));
    vq_running_hull_init(&pairs->all, true);
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        vq_running_hull_init(&pairs->cpu[c], true);
    }
}

/* The plan the pairing and its replay start from, but the queues. */
static irq_plan plan_of(const char *directory, const vq_id_bounds *ids, vq_kick_pairs *kicks)
{
    const vq_pairing_facts *facts = &ids->facts;
    irq_plan plan = { .directory = directory, .facts = facts, .device = vq_pairing_facts_device(facts) };

    /* Without KVM and its injections, QEMU raises the interrupt itself: its notify is the injection. */
    plan.synthesized = !facts->has_kvm && facts->injections == 0;
    plan.pairing = kicks->bounds > 0;
    vq_stream_estimates_from(&plan.lines, &kicks->all, kicks->cpu, kicks->smallest);
    /* with KVM's TSC offset, the largest offset it allows and no slack (add_irq_bounds) */
    plan.lines.tsc = vq_tsc_offset_of(directory, facts->guest_pairs, facts->guest_pair_count, &plan.lines.tsc_offset);
    plan.slack = plan.lines.tsc ? 0 : VQ_PAIR_SLACK_NS;
    return plan;
}

vq_status vq_irq_pairs_stream(const char *directory, const vq_id_bounds *ids, vq_kick_pairs *kicks,
                              vq_irq_pairs *out, vq_error *error)
{
    const vq_pairing_facts *facts = &ids->facts;
    irq_plan plan = plan_of(directory, ids, kicks);
    uint64_t unnamed = 0;
    unsigned reads = 0;
    vq_status status;

    memset(out, 0, sizeof(*out));
    /* pair_by_queue: queue by queue when every irq and every device injection names its queue and the
     * irqs use two queues or more; whether an injection names none is known once they are made */
    plan.per_queue = !facts->unnamed_irq_queue && vq_stream_queue_count(facts->irq_queues) >= 2;
    do {
        pairs_init(out);
        status = run_read(&plan, out, &unnamed, error);
        reads++;
        if (status != VQ_OK || !plan.per_queue || !unnamed) {
            break;
        }
        plan.per_queue = false;
    } while (true);
    out->reads = reads;
    out->synthesized = plan.synthesized;
    out->paired = plan.pairing && out->host_injections > 0;
    out->per_queue = plan.per_queue;
    return status;
}

vq_status vq_irq_pairs_replay(const char *directory, const vq_id_bounds *ids, vq_kick_pairs *kicks,
                              const vq_irq_pairs *done, vq_bound_sink *sink, vq_error *error)
{
    irq_plan plan = plan_of(directory, ids, kicks);
    vq_irq_pairs scratch = { 0 };
    uint64_t unnamed;
    vq_status status;

    if (!done->paired) {
        return VQ_OK;
    }
    plan.per_queue = done->per_queue;
    plan.sink = sink;
    pairs_init(&scratch);
    status = run_read(&plan, &scratch, &unnamed, error);
    vq_irq_pairs_free(&scratch);
    return status;
}

void vq_irq_pairs_free(vq_irq_pairs *pairs)
{
    size_t c;

    vq_running_hull_free(&pairs->all);
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        vq_running_hull_free(&pairs->cpu[c]);
    }
}
