// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stitching: each guest request with its kick, the device's begin and end (by id), the handler run that
 * popped it, the doorbell notify that started that run, and the injection paired with the irq that
 * delivered it, into a vq_request_row with its stages (session.h). Requests that cannot be stitched are
 * listed with the reason. Cross-clock stages use the session's offset at the guest event's time; a
 * negative stage is counted, never clamped.
 */
#include "loader.h"
#include "qemu_events.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many of COUNT records (SIZE bytes each, sorted by the u64 time at FIELD) come before TS, or up to
 * TS too when INCLUSIVE: a binary search over any of the loader's time-sorted arrays. */
static size_t count_before(const void *records, size_t count, size_t size, size_t field, uint64_t ts, bool inclusive)
{
    size_t low = 0, high = count;

    while (low < high) {
        size_t middle = low + (high - low) / 2;
        uint64_t value;

        memcpy(&value, (const char *)records + middle * size + field, sizeof(value));
        if (value < ts || (inclusive && value == ts)) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

/* A handler run of the traced device for QUEUE (either side unknown: any run of it). */
static bool same_queue(const vq_loader *load, const vq_qemu_mark *handler, uint32_t queue)
{
    return handler->vdev == load->xblk_vdev &&
           (queue == VQ_NO_QUEUE || handler->queue == VQ_NO_QUEUE || handler->queue == queue);
}

/* Absolute index of the last handler run of the device's QUEUE at or before TS (its time in *AT),
 * VQ_NO_INDEX if none: in the window, else the last run a streaming pass released that fits. */
static size_t last_handler_at(const vq_stitcher *stitcher, uint64_t ts, uint32_t queue, uint64_t *at)
{
    const vq_loader *load = stitcher->load;
    size_t before = count_before(load->handlers, load->handler_count, sizeof(*load->handlers),
                                 offsetof(vq_qemu_mark, ts), ts, true), found = VQ_NO_INDEX, i;

    while (before > 0 && !same_queue(load, &load->handlers[before - 1], queue)) {
        before--;
    }
    if (before) {
        *at = load->handlers[before - 1].ts;
        return load->handler_base + before - 1;
    }
    for (i = 0; i < stitcher->released_run_count; i++) {   /* on past a streaming pass's window */
        const vq_released_run *run = &stitcher->released_runs[i];

        if (same_queue(load, &run->run, queue) && run->run.ts <= ts && (found == VQ_NO_INDEX || run->index > found)) {
            found = run->index;
            *at = run->run.ts;
        }
    }
    return found;
}

void vq_stitch_forget_run(vq_stitcher *stitcher, size_t index, const vq_qemu_mark *run)
{
    size_t i;

    if (run->vdev != stitcher->load->xblk_vdev) {
        return;
    }
    for (i = 0; i < stitcher->released_run_count && stitcher->released_runs[i].run.queue != run->queue; i++) {
    }
    if (i == stitcher->released_run_count) {
        if (i == sizeof(stitcher->released_runs) / sizeof(stitcher->released_runs[0])) {
            return;   /* more queues than a device has: the look back stops at the window */
        }
        stitcher->released_run_count++;
    }
    stitcher->released_runs[i] = (vq_released_run){ .index = index, .run = *run };
}

/* Absolute index of the first handler run of QUEUE at or after TS. */
static size_t first_handler_from(const vq_loader *load, uint64_t ts, uint32_t queue)
{
    size_t at = count_before(load->handlers, load->handler_count, sizeof(*load->handlers),
                             offsetof(vq_qemu_mark, ts), ts, false);

    while (at < load->handler_count && !same_queue(load, &load->handlers[at], queue)) {
        at++;
    }
    return at < load->handler_count ? load->handler_base + at : VQ_NO_INDEX;
}

static vq_status add_unmatched(vq_session *session, uint64_t id, const char *reason, size_t *capacity)
{
    vq_unmatched *entry = VQ_PUSH(session->unmatched, session->unmatched_count, *capacity);

    if (!entry) {
        return VQ_ERR_NOMEM;
    }
    *entry = (vq_unmatched){ .id = id, .reason = reason };
    return VQ_OK;
}

static void set_stage(vq_request_row *row, vq_stage stage, int64_t value)
{
    row->has[stage] = true;
    row->stage[stage] = value;
}

/* The notify hold whose notify delivered a request pushed on VQ at END_TS: the first hold of VQ that
 * ends after it, or NULL. Holds are in time order; holds of other queues may interleave, so a few
 * following ones are looked at too. */
static const vq_notify_hold *notify_hold_of(const vq_loader *load, uint32_t vq, uint64_t end_ts)
{
    size_t lo = count_before(load->notify_holds, load->notify_hold_count, sizeof(*load->notify_holds),
                             offsetof(vq_notify_hold, end), end_ts, false), i;

    for (i = lo; i < load->notify_hold_count && i < lo + 64; i++) {
        const vq_notify_hold *hold = &load->notify_holds[i];

        if (hold->vq == vq && end_ts <= hold->end) {
            return hold;
        }
    }
    return NULL;
}

/* A negative stage is never clamped: it means the pairing, or the clock offset for a cross stage, is
 * wrong. Say which stages and how many, and under which offset. */
static void warn_negative_stages(vq_session *session)
{
    char list[512] = "";
    size_t used = 0, s;

    if (!session->negative_requests) {
        return;
    }
    for (s = 0; s < VQ_STAGE_COUNT && used < sizeof(list); s++) {
        if (session->negative_stages[s]) {
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s %" PRIu64, used ? ", " : "",
                                     vq_stage_names[s], session->negative_stages[s]);
        }
    }
    vq_session_warn(session, "%" PRIu64 " requests with a negative stage under the %s offset (%s): a negative stage "
                    "means the clock offset (cross-clock stages) or the pairing is wrong", session->negative_requests,
                    session->offset.method == VQ_OFFSET_TSC ? "TSC" : "causal", list);
}

/* Kicks, host notifies, handler runs and interrupts are paired queue by queue when every event names its
 * queue (alignment.c); when some did not, in one sequence for the device, and with requests on several
 * queues a stage that crosses a pairing can take another queue's event. Say so rather than let the
 * figures pass for per-queue ones. */
static void warn_several_queues(const vq_stitcher *stitcher)
{
    vq_session *session = stitcher->session;
    size_t used = 0, q;

    for (q = 0; q < VQ_GUEST_MAX_QUEUES; q++) {
        used += session->queue_submitted[q] > 0;
    }
    if (used > 1 && !stitcher->paired_per_queue) {
        vq_session_warn(session, "%s: requests on %zu queues, but kicks, %s and interrupts are paired in one "
                        "sequence for all queues (an event without its queue: an older trace, or no kvm_mmio), so "
                        "kick>exit .. handler>begin and end>inject .. inject>irq may take another queue's event",
                        stitcher->load->directory, used, session->has_kvm ? "doorbell writes" : "handler runs");
    }
}

/* The block of an A/B session's part that a request submitted at SUBMIT (guest ns) fell in: its seq, 0
 * none (rows are only those of the part's blocks). */
static uint32_t block_of(const vq_session *session, uint64_t submit)
{
    size_t b;

    for (b = 0; b < session->block_count; b++) {
        const vq_block *block = &session->blocks[b];

        if (block->label == session->part && submit >= block->guest_begin && submit <= block->guest_end) {
            return block->seq;
        }
    }
    return 0;
}

/* Why REQUEST (complete or not) cannot be stitched, NULL when it can. */
static const char *unmatched_reason(const vq_loader *load, const vq_guest_request *request,
                                    const vq_qemu_request *device)
{
    if (!request->complete) {
        return load->stock ? "no block_rq_complete of its sectors in the guest trace (in flight when recording "
                             "stopped?)" : "no virtio_xblk_complete in the guest trace (in flight when recording "
                             "stopped?)";
    }
    if (request->kick == VQ_NO_INDEX) {
        return load->stock ? "no vqscope_blk_kick (virtqueue_notify) after its block_rq_issue"
                           : "no virtio_xblk_kick after its submit";
    }
    if (!device || !device->end) {
        return load->stock ? (request->sectors == 0 ? "no sectors (a flush): QEMU's "
                                                      VQ_QEMU_EVENT_VIRTIO_BLK_HANDLE_READ "/write cannot name it"
                                                    : "no " VQ_QEMU_EVENT_VIRTIO_BLK_HANDLE_READ "/write + "
                                                      VQ_QEMU_EVENT_VIRTIO_BLK_REQ_COMPLETE
                                                      " of its sectors in the QEMU trace")
                           : "no " VQ_QEMU_EVENT_VIRTIO_XBLK_REQ_BEGIN "/end with this id in the QEMU trace";
    }
    if (request->irq == VQ_NO_INDEX) {
        return load->stock ? "no vqscope_blk_irq (vring_interrupt) before its completion"
                           : "no virtio_xblk_irq before its completion";
    }
    return NULL;
}

/* The injected delay ROW's request really waited, if any (vq_request_row.hold_ns). */
static void set_hold(const vq_loader *load, vq_request_row *row, const vq_guest_request *request,
                     const vq_guest_kick *kick, const vq_qemu_request *device)
{
    if (request->kick_held) {
        /* Held by the driver from its own hold's start until the last hold before its kick: a request
         * that was not the last of its dispatch batch also waits out the holds of the requests after it
         * (the driver kicks once, after the last). */
        row->hold_ns = (int64_t)((kick->last_hold_end > request->kick_hold_end ? kick->last_hold_end
                                                                                : request->kick_hold_end) -
                                 request->kick_hold_start);
        row->hold_at = vq_hold_point_names[VQ_HOLD_KICK];
    } else if (device->serve_hold_ns >= 0) {
        row->hold_ns = device->serve_hold_ns;
        row->hold_at = vq_hold_point_names[VQ_HOLD_SERVE];
    } else {
        const vq_notify_hold *hold = notify_hold_of(load, device->vq, device->end);

        if (hold) {
            /* Pushed before the hold began (same handler run): it waited the whole hold; pushed during
             * it: from its push on. The time from its push to the hold's start is the handler finishing
             * its run, part of end>inject without any hold too. */
            row->hold_ns = (int64_t)(hold->end - (device->end > hold->start ? device->end : hold->start));
            row->hold_at = vq_hold_point_names[VQ_HOLD_NOTIFY];
        }
    }
}

/* The host time of a kick's paired host event (a handler run under TCG, else a doorbell write), 0 when
 * it is not in LOAD's windows. */
static uint64_t paired_host_time(const vq_stitcher *stitcher, const vq_guest_kick *kick)
{
    const vq_loader *load = stitcher->load;

    if (stitcher->tcg) {
        const vq_qemu_mark *run = vq_handler_at(load, kick->notify);

        return run ? run->ts : 0;
    } else {
        const vq_host_notify *notify = vq_notify_at(load, kick->notify);

        return notify ? vq_notify_time(notify) : 0;
    }
}

/* The kick path: whether ROW's request was batched (picked up by a run another kick started), and its
 * kick id, kick>exit, exit>signal and signal>handler, from its kick's paired host event. */
static void set_kick_path(vq_stitcher *stitcher, vq_request_row *row, const vq_guest_request *request,
                          vq_guest_kick *kick, size_t handler)
{
    vq_session *session = stitcher->session;
    const vq_loader *load = stitcher->load;
    const vq_clock_offset *kick_offset = vq_session_offset_of(session, kick->cpu);   /* the CPU that kicked */
    const vq_host_notify *notify = stitcher->tcg ? NULL : vq_notify_at(load, kick->notify);
    const vq_host_exit *exit;

    row->batched = true;
    if (kick->notified && kick->notify != VQ_NO_INDEX && handler != VQ_NO_INDEX) {
        row->batched = stitcher->tcg ? kick->notify != handler
                                     : !notify || first_handler_from(load, vq_notify_last(notify), request->vq) !=
                                                      handler;
    }
    if (!row->batched) {
        row->kick_id = kick->id_last;
        kick->served += kick->id_last != 0;
        if (stitcher->tcg) {
            if (session->offset.usable) {
                set_stage(row, VQ_STAGE_KICK_EXIT, (int64_t)row->handler_host -
                          ((int64_t)kick->ts + vq_clock_offset_at(kick_offset, kick->ts)));
            }
            return;
        }
        exit = vq_exit_at(load, notify->exit);
        row->exit_host = vq_notify_time(notify);
        row->signal_host = notify->signal_ts;
        row->vcpu_tid = notify->tid;
        /* the exit of the doorbell write, if its kvm_entry was seen */
        if (notify->exit_ts && exit && exit->ts == notify->exit_ts) {
            row->notify_exit_ns = exit->duration;
        }
        if (session->offset.usable) {
            set_stage(row, VQ_STAGE_KICK_EXIT, (int64_t)row->exit_host -
                      ((int64_t)kick->ts + vq_clock_offset_at(kick_offset, kick->ts)));
        }
        if (notify->exit_ts && notify->signal_ts) {
            set_stage(row, VQ_STAGE_EXIT_SIGNAL, (int64_t)(notify->signal_ts - notify->exit_ts));
        }
        set_stage(row, VQ_STAGE_SIGNAL_HANDLER, (int64_t)(row->handler_host - vq_notify_last(notify)));
    } else if (handler != VQ_NO_INDEX) {
        /* Shared: the kick paired with the latest notify at or before the run's start. */
        size_t k = request->kick + 1;
        vq_guest_kick *other;

        while (k-- > 0 && (other = vq_kick_at(load, k)) != NULL) {
            uint64_t host;

            if (other->notify != VQ_NO_INDEX && other->vq == kick->vq &&
                (host = paired_host_time(stitcher, other)) != 0 && host <= row->handler_host) {
                row->kick_id = other->id_last;
                other->served += other->id_last != 0;
                return;
            }
        }
        for (k = 0; k < stitcher->released_count; k++) {   /* on past a streaming pass's window */
            vq_released_kick *last = &stitcher->released[k];

            if (last->vq == kick->vq && last->host_ts <= row->handler_host) {
                row->kick_id = last->id_last;
                last->served += last->id_last != 0;
            }
        }
    }
}

bool vq_stitch_forget_kick(vq_stitcher *stitcher, const vq_guest_kick *kick)
{
    uint64_t host = kick->notify != VQ_NO_INDEX ? paired_host_time(stitcher, kick) : 0;
    size_t i;

    if (!host) {
        return vq_session_add_served(stitcher->session, kick->served);   /* no row can name it */
    }
    for (i = 0; i < stitcher->released_count && stitcher->released[i].vq != kick->vq; i++) {
    }
    if (i == stitcher->released_count) {
        if (i == sizeof(stitcher->released) / sizeof(stitcher->released[0])) {
            /* more queues than a device has: the look back stops at the window */
            return vq_session_add_served(stitcher->session, kick->served);
        }
        stitcher->released_count++;
    } else if (!vq_session_add_served(stitcher->session, stitcher->released[i].served)) {
        return false;
    }
    stitcher->released[i] = (vq_released_kick){ .vq = kick->vq, .id_last = kick->id_last, .host_ts = host,
                                                .served = kick->served };
    return true;
}

/* The interrupt that delivered ROW's request: the injection paired with its guest irq. */
static void set_interrupt(const vq_stitcher *stitcher, vq_request_row *row, const vq_qemu_request *device,
                          const vq_host_injection *injection)
{
    const vq_session *session = stitcher->session;

    if (injection) {
        if (injection->ts >= device->end) {
            row->inject_host = injection->ts;
            row->vector = injection->vector;
            set_stage(row, VQ_STAGE_END_INJECT, (int64_t)(injection->ts - device->end));
            if (session->offset.usable) {
                int64_t irq_host = (int64_t)row->irq_guest +
                                   vq_clock_offset_at(vq_session_offset_of(session, row->irq_cpu), row->irq_guest);

                set_stage(row, VQ_STAGE_INJECT_IRQ, irq_host - (int64_t)injection->ts);
            }
        } else {
            row->harvested = true;
        }
    } else if (session->offset.usable &&
               (int64_t)row->irq_guest + vq_clock_offset_at(vq_session_offset_of(session, row->irq_cpu),
                                                            row->irq_guest) < (int64_t)device->end) {
        /* Its irq's injection pairing was dropped (or never made), but on the aligned clock that irq came
         * before the device ended the request: an interrupt handler already running took it from the used
         * ring. Without this its flow would return to the guest before the host. */
        row->harvested = true;
    }
}

vq_status vq_stitch_request(vq_stitcher *stitcher, const vq_guest_request *request, const vq_qemu_request *device,
                            const vq_host_injection *injection)
{
    vq_session *session = stitcher->session;
    const vq_loader *load = stitcher->load;
    const char *reason = unmatched_reason(load, request, device);
    vq_guest_kick *kick = vq_kick_at(load, request->kick);
    const vq_guest_irq *irq = vq_irq_at(load, request->irq);
    vq_request_row scratch, *row;   /* the row emitted when rows are not kept */
    size_t handler, s;
    bool negative = false;

    session->guest_requests++;
    if (request->vq < VQ_GUEST_MAX_QUEUES) {
        session->queue_submitted[request->vq]++;
        session->queue_completed[request->vq] += request->complete != 0;
    }
    if (request->cpu < VQ_GUEST_MAX_CPUS) {
        session->cpu_submitted[request->cpu]++;
    }
    if (!reason && (!kick || !irq)) {
        reason = "its kick or irq was released before it could be stitched (a streaming window too short)";
    }
    if (reason) {
        return add_unmatched(session, request->id, reason, &stitcher->unmatched_capacity);
    }
    row = session->keep_rows ? VQ_PUSH(session->rows, session->row_count, stitcher->row_capacity) : &scratch;
    if (!row) {
        return VQ_ERR_NOMEM;
    }
    *row = (vq_request_row){ .id = request->id, .vq = request->vq, .submit_guest = request->submit,
                             .kick_guest = kick->ts, .irq_guest = irq->ts,
                             .complete_guest = request->complete, .begin_host = device->begin,
                             .end_host = device->end, .hold_ns = -1, .irq_seq = request->irq,
                             .notify_exit_ns = -1, .submit_cpu = request->cpu, .vector = UINT32_MAX,
                             .kick_cpu = kick->cpu, .irq_cpu = irq->cpu, .block = block_of(session, request->submit) };
    set_hold(load, row, request, kick, device);
    set_stage(row, VQ_STAGE_SUBMIT_KICK, (int64_t)(kick->ts - request->submit));
    set_stage(row, VQ_STAGE_BEGIN_END, (int64_t)(device->end - device->begin));
    set_stage(row, VQ_STAGE_IRQ_COMPLETE, (int64_t)(request->complete - row->irq_guest));
    set_stage(row, VQ_STAGE_TOTAL, (int64_t)(request->complete - request->submit));
    /* The handler run that popped it, and whose doorbell started that run. */
    handler = last_handler_at(stitcher, device->begin, request->vq, &row->handler_host);
    if (handler != VQ_NO_INDEX) {
        set_stage(row, VQ_STAGE_HANDLER_BEGIN, (int64_t)(device->begin - row->handler_host));
    }
    set_kick_path(stitcher, row, request, kick, handler);
    set_interrupt(stitcher, row, device, injection);
    for (s = 0; s < VQ_STAGE_COUNT; s++) {
        if (row->has[s] && row->stage[s] < 0) {
            session->negative_stages[s]++;
            negative = true;
        }
    }
    session->negative_requests += negative;
    return vq_session_emit(session, row);
}

static int compare_served(const void *left, const void *right)
{
    const vq_released_kick *a = left, *b = right;

    return (a->id_last > b->id_last) - (a->id_last < b->id_last);
}

bool vq_stitch_finish(vq_stitcher *stitcher)
{
    vq_session *session = stitcher->session;
    const vq_loader *load = stitcher->load;
    vq_released_kick *named = malloc((load->kick_count + stitcher->released_count + 1) * sizeof(*named));
    size_t count = 0, i, first;
    bool ok = named != NULL;

    warn_negative_stages(session);
    warn_several_queues(stitcher);
    VQ_FIT(session->rows, session->row_count, stitcher->row_capacity);
    /* the rows of the kicks left, by kick id (kicks that share one, stock virtio-blk's, served it together) */
    for (i = 0; ok && i < load->kick_count; i++) {
        if (load->kicks[i].served) {
            named[count++] = (vq_released_kick){ .id_last = load->kicks[i].id_last, .served = load->kicks[i].served };
        }
    }
    for (i = 0; ok && i < stitcher->released_count; i++) {
        if (stitcher->released[i].served) {
            named[count++] = stitcher->released[i];
        }
    }
    if (ok && count) {
        qsort(named, count, sizeof(*named), compare_served);
    }
    for (first = 0; ok && first < count; first = i) {
        uint64_t rows = 0;

        for (i = first; i < count && named[i].id_last == named[first].id_last; i++) {
            rows += named[i].served;
        }
        ok = vq_session_add_served(session, rows);
    }
    free(named);
    return ok;
}

vq_status vq_stitch(vq_loader *load, vq_error *error)
{
    vq_session *session = load->session;
    vq_stitcher stitcher = { .session = session, .load = load, .tcg = load->notify_count == 0,
                             .paired_per_queue = load->paired_per_queue };
    vq_status status = VQ_OK;
    size_t i;

    /* At most a row per guest request: sized once (doubling would leave up to half of it unused). */
    if (session->keep_rows && load->request_count) {
        session->rows = malloc(load->request_count * sizeof(*session->rows));
        if (!session->rows) {
            vq_error_set(error, "%s: out of memory", load->directory);
            return VQ_ERR_NOMEM;
        }
        stitcher.row_capacity = load->request_count;
    }
    /* The driver's holds end before its kick, but their events may follow it: collect them now. */
    for (i = 0; i < load->request_count; i++) {
        const vq_guest_request *request = &load->requests[i];

        if (request->kick_held && request->kick != VQ_NO_INDEX &&
            request->kick_hold_end > load->kicks[request->kick].last_hold_end) {
            load->kicks[request->kick].last_hold_end = request->kick_hold_end;
        }
    }
    for (i = 0; i < load->request_count && status == VQ_OK; i++) {
        const vq_guest_request *request = &load->requests[i];
        const vq_qemu_request *device = vq_qemu_request_at(load, vq_id_map_get(&load->qemu_ids, request->id));
        const vq_guest_irq *irq = vq_irq_at(load, request->irq);

        status = vq_stitch_request(&stitcher, request, device,
                                   irq && irq->injection != VQ_NO_INDEX
                                       ? &load->injections[load->device_injections[irq->injection]] : NULL);
    }
    if (status == VQ_OK && !vq_stitch_finish(&stitcher)) {
        status = VQ_ERR_NOMEM;
    }
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory while stitching", load->directory);
    }
    return status;
}
