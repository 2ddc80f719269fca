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

/* A handler run of QUEUE (either side unknown: any run). */
static bool same_queue(const vq_qemu_mark *handler, uint32_t queue)
{
    return queue == VQ_NO_QUEUE || handler->queue == VQ_NO_QUEUE || handler->queue == queue;
}

/* Index of the last handler run of the device's QUEUE at or before TS, VQ_NO_INDEX if none. */
static size_t last_handler_at(const vq_loader *load, uint64_t ts, uint32_t queue)
{
    size_t before = count_before(load->handlers, load->handler_count, sizeof(*load->handlers),
                                 offsetof(vq_qemu_mark, ts), ts, true);

    while (before > 0 && !same_queue(&load->handlers[before - 1], queue)) {
        before--;
    }
    return before ? before - 1 : VQ_NO_INDEX;
}

/* Index of the first handler run of QUEUE at or after TS. */
static size_t first_handler_from(const vq_loader *load, uint64_t ts, uint32_t queue)
{
    size_t at = count_before(load->handlers, load->handler_count, sizeof(*load->handlers),
                             offsetof(vq_qemu_mark, ts), ts, false);

    while (at < load->handler_count && !same_queue(&load->handlers[at], queue)) {
        at++;
    }
    return at < load->handler_count ? at : VQ_NO_INDEX;
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
static void warn_several_queues(vq_session *session, const vq_loader *load)
{
    size_t used = 0, q;

    for (q = 0; q < VQ_GUEST_MAX_QUEUES; q++) {
        used += session->queue_submitted[q] > 0;
    }
    if (used > 1 && !load->paired_per_queue) {
        vq_session_warn(session, "%s: requests on %zu queues, but kicks, %s and interrupts are paired in one "
                        "sequence for all queues (an event without its queue: an older trace, or no kvm_mmio), so "
                        "kick>exit .. handler>begin and end>inject .. inject>irq may take another queue's event",
                        load->directory, used, session->has_kvm ? "doorbell writes" : "handler runs");
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

vq_status vq_stitch(vq_loader *load, vq_error *error)
{
    vq_session *session = load->session;
    const vq_clock_offset *offset = &session->offset, *kick_offset;
    size_t row_capacity = 0, unmatched_capacity = 0, i, s;
    bool negative;
    bool tcg = load->notify_count == 0;
    vq_status status = VQ_OK;
    vq_request_row scratch;   /* the row emitted when rows are not kept */

    /* At most a row per guest request: sized once (doubling would leave up to half of it unused). */
    if (session->keep_rows && load->request_count) {
        session->rows = malloc(load->request_count * sizeof(*session->rows));
        if (!session->rows) {
            vq_error_set(error, "%s: out of memory", load->directory);
            return VQ_ERR_NOMEM;
        }
        row_capacity = load->request_count;
    }
    /* The driver's holds end before its kick, but their events may follow it: collect them now. */
    for (i = 0; i < load->request_count; i++) {
        const vq_guest_request *request = &load->requests[i];

        if (request->kick_held && request->kick != VQ_NO_INDEX &&
            request->kick_hold_end > load->kicks[request->kick].last_hold_end) {
            load->kicks[request->kick].last_hold_end = request->kick_hold_end;
        }
    }
    for (i = 0; i < load->request_count; i++) {
        const vq_guest_request *request = &load->requests[i];
        size_t q = vq_id_map_get(&load->qemu_ids, request->id);
        const vq_qemu_request *device;
        const vq_guest_kick *kick;
        vq_request_row *row;
        size_t handler;

        session->guest_requests++;
        if (request->vq < VQ_GUEST_MAX_QUEUES) {
            session->queue_submitted[request->vq]++;
            session->queue_completed[request->vq] += request->complete != 0;
        }
        if (request->cpu < VQ_GUEST_MAX_CPUS) {
            session->cpu_submitted[request->cpu]++;
        }
        if (!request->complete) {
            status = add_unmatched(session, request->id, load->stock ? "no block_rq_complete of its sectors in "
                                   "the guest trace (in flight when recording stopped?)" : "no virtio_xblk_complete "
                                   "in the guest trace (in flight when recording stopped?)", &unmatched_capacity);
        } else if (request->kick == VQ_NO_INDEX) {
            status = add_unmatched(session, request->id, load->stock ? "no vqscope_blk_kick (virtqueue_notify) "
                                   "after its block_rq_issue" : "no virtio_xblk_kick after its submit",
                                   &unmatched_capacity);
        } else if (q == VQ_NO_INDEX || !load->qemu_requests[q].end) {
            status = add_unmatched(session, request->id,
                                   load->stock ? (request->sectors == 0 ? "no sectors (a flush): QEMU's "
                                                  VQ_QEMU_EVENT_VIRTIO_BLK_HANDLE_READ "/write cannot name it"
                                                  : "no " VQ_QEMU_EVENT_VIRTIO_BLK_HANDLE_READ "/write + "
                                                  VQ_QEMU_EVENT_VIRTIO_BLK_REQ_COMPLETE
                                                  " of its sectors in the QEMU trace")
                                               : "no " VQ_QEMU_EVENT_VIRTIO_XBLK_REQ_BEGIN
                                                 "/end with this id in the QEMU trace",
                                   &unmatched_capacity);
        } else if (request->irq == VQ_NO_INDEX) {
            status = add_unmatched(session, request->id, load->stock ? "no vqscope_blk_irq (vring_interrupt) "
                                   "before its completion" : "no virtio_xblk_irq before its completion",
                                   &unmatched_capacity);
        } else {
            goto stitchable;
        }
        if (status != VQ_OK) {
            goto end;
        }
        continue;
stitchable:
        device = &load->qemu_requests[q];
        kick = &load->kicks[request->kick];
        row = session->keep_rows ? VQ_PUSH(session->rows, session->row_count, row_capacity) : &scratch;
        if (!row) {
            status = VQ_ERR_NOMEM;
            goto end;
        }
        *row = (vq_request_row){ .id = request->id, .vq = request->vq, .submit_guest = request->submit,
                                 .kick_guest = kick->ts, .irq_guest = load->irqs[request->irq].ts,
                                 .complete_guest = request->complete, .begin_host = device->begin,
                                 .end_host = device->end, .hold_ns = -1, .irq_seq = request->irq,
                                 .notify_exit_ns = -1, .submit_cpu = request->cpu, .vector = UINT32_MAX,
                                 .kick_cpu = kick->cpu,
                                 .irq_cpu = load->irqs[request->irq].cpu,
                                 .block = block_of(session, request->submit) };
        if (request->kick_held) {
            /* Held by the driver from its own hold's start until the last hold before its kick: a
             * request that was not the last of its dispatch batch also waits out the holds of the
             * requests after it (the driver kicks once, after the last). */
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
                /* Pushed before the hold began (same handler run): it waited the whole hold; pushed
                 * during it: from its push on. The time from its push to the hold's start is the
                 * handler finishing its run, part of end>inject without any hold too. */
                row->hold_ns = (int64_t)(hold->end - (device->end > hold->start ? device->end : hold->start));
                row->hold_at = vq_hold_point_names[VQ_HOLD_NOTIFY];
            }
        }
        set_stage(row, VQ_STAGE_SUBMIT_KICK, (int64_t)(kick->ts - request->submit));
        set_stage(row, VQ_STAGE_BEGIN_END, (int64_t)(device->end - device->begin));
        set_stage(row, VQ_STAGE_IRQ_COMPLETE, (int64_t)(request->complete - row->irq_guest));
        set_stage(row, VQ_STAGE_TOTAL, (int64_t)(request->complete - request->submit));

        /* The handler run that popped it, and whose doorbell started that run. */
        handler = last_handler_at(load, device->begin, request->vq);
        if (handler != VQ_NO_INDEX) {
            row->handler_host = load->handlers[handler].ts;
            set_stage(row, VQ_STAGE_HANDLER_BEGIN, (int64_t)(device->begin - row->handler_host));
        }
        row->batched = true;
        if (kick->notified && kick->notify != VQ_NO_INDEX && handler != VQ_NO_INDEX) {
            if (tcg) {
                row->batched = kick->notify != handler;
            } else {
                const vq_host_notify *notify = &load->notifies[kick->notify];

                row->batched = first_handler_from(load, vq_notify_last(notify), request->vq) != handler;
            }
        }
        kick_offset = vq_session_offset_of(session, kick->cpu);   /* the clock of the CPU that kicked */
        if (!row->batched) {
            row->kick_id = kick->id_last;
            if (tcg) {
                if (offset->usable) {
                    set_stage(row, VQ_STAGE_KICK_EXIT, (int64_t)row->handler_host -
                              ((int64_t)kick->ts + vq_clock_offset_at(kick_offset, kick->ts)));
                }
            } else {
                const vq_host_notify *notify = &load->notifies[kick->notify];

                row->exit_host = vq_notify_time(notify);
                row->signal_host = notify->signal_ts;
                row->vcpu_tid = notify->tid;
                /* the exit of the doorbell write, if its kvm_entry was seen */
                if (notify->exit_ts && notify->exit < load->exit_count &&
                    load->exits[notify->exit].ts == notify->exit_ts) {
                    row->notify_exit_ns = load->exits[notify->exit].duration;
                }
                if (offset->usable) {
                    set_stage(row, VQ_STAGE_KICK_EXIT, (int64_t)row->exit_host -
                              ((int64_t)kick->ts + vq_clock_offset_at(kick_offset, kick->ts)));
                }
                if (notify->exit_ts && notify->signal_ts) {
                    set_stage(row, VQ_STAGE_EXIT_SIGNAL, (int64_t)(notify->signal_ts - notify->exit_ts));
                }
                set_stage(row, VQ_STAGE_SIGNAL_HANDLER, (int64_t)(row->handler_host - vq_notify_last(notify)));
            }
        } else if (handler != VQ_NO_INDEX) {
            /* Shared: the kick paired with the latest notify at or before the run's start. */
            size_t k = request->kick + 1;

            while (k-- > 0) {
                const vq_guest_kick *other = &load->kicks[k];

                if (other->notify != VQ_NO_INDEX && other->vq == kick->vq &&
                    (tcg ? load->handlers[other->notify].ts
                         : vq_notify_time(&load->notifies[other->notify])) <= row->handler_host) {
                    row->kick_id = other->id_last;
                    break;
                }
            }
        }

        /* The interrupt that delivered it: the injection paired with its guest irq. */
        if (load->irqs[request->irq].injection != VQ_NO_INDEX) {
            const vq_host_injection *injection =
                &load->injections[load->device_injections[load->irqs[request->irq].injection]];

            if (injection->ts >= device->end) {
                row->inject_host = injection->ts;
                row->vector = injection->vector;
                set_stage(row, VQ_STAGE_END_INJECT, (int64_t)(injection->ts - device->end));
                if (offset->usable) {
                    int64_t irq_host = (int64_t)row->irq_guest +
                                       vq_clock_offset_at(vq_session_offset_of(session, row->irq_cpu), row->irq_guest);

                    set_stage(row, VQ_STAGE_INJECT_IRQ, irq_host - (int64_t)injection->ts);
                }
            } else {
                row->harvested = true;
            }
        } else if (offset->usable &&
                   (int64_t)row->irq_guest + vq_clock_offset_at(vq_session_offset_of(session, row->irq_cpu),
                                                                row->irq_guest) < (int64_t)device->end) {
            /* Its irq's injection pairing was dropped (or never made), but on the aligned clock that irq
             * came before the device ended the request: an interrupt handler already running took it
             * from the used ring. Without this its flow would return to the guest before the host. */
            row->harvested = true;
        }
        negative = false;
        for (s = 0; s < VQ_STAGE_COUNT; s++) {
            if (row->has[s] && row->stage[s] < 0) {
                session->negative_stages[s]++;
                negative = true;
            }
        }
        session->negative_requests += negative;
        status = vq_session_emit(session, row);
        if (status != VQ_OK) {
            goto end;
        }
    }
    warn_negative_stages(session);
    warn_several_queues(session, load);
    VQ_FIT(session->rows, session->row_count, row_capacity);
end:
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory while stitching", load->directory);
    }
    return status;
}
