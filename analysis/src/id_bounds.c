// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming alignment's first pass (stream_align.h, STREAMING.md "A, id bounds"): the guest and QEMU
 * passes read in step, the records as windows, each completion joined with QEMU's end of the same id
 * into a lower bound in running hulls, and the records released once joined or given up.
 */
#include "stream_align.h"

#include <string.h>

#include <stdlib.h>

static bool add_bound(vq_id_bounds *out, const vq_guest_request *request, size_t index, const vq_qemu_request *device)
{
    vq_constraint bound = { .guest_ns = request->complete, .value = (int64_t)(device->end - request->complete),
                            .upper = false, .source = VQ_BOUND_END_COMPLETE, .cpu = request->complete_cpu };

    if (!out->bounds || bound.value > out->largest) {
        out->largest = bound.value;
    }
    out->bounds++;
    return vq_stream_add_bound(&out->all, out->cpu, &out->summary, out->sink, &bound, VQ_BOUND_ORDER(0, index));
}

/*
 * Joins what the windows hold, then releases: guest requests joined (or given up) from the front, QEMU
 * requests the guest has passed by the margin, and every kick, irq, handler run, device notify and hold (this
 * pass reads none: the kicks and runs once the pairing facts are taken from them). OFFSET: the largest bound
 * so far (HAVE_OFFSET), at most the true offset, so the guest's time + OFFSET is never ahead of where it
 * truly is on the host clock; QEMU_WATERMARK: the host time QEMU's events are taken up to. ENDED: both passes
 * are read, nothing more can join.
 */
static bool join_and_release(vq_loader *load, vq_id_bounds *out, uint64_t guest_limit, uint64_t qemu_watermark,
                             bool have_offset, int64_t offset, bool ended)
{
    int64_t guest_on_host = (int64_t)guest_limit + offset;
    size_t gone = 0, qemu_gone = 0, i;

    for (i = 0; i < load->request_count; i++) {
        vq_guest_request *request = &load->requests[i];
        const vq_qemu_request *device;

        if (request->joined || !request->complete) {
            continue;
        }
        device = vq_qemu_request_at(load, vq_id_map_get(&load->qemu_ids, request->id));
        if (device && device->end) {
            if (!add_bound(out, request, load->request_base + i, device)) {
                return false;
            }
            request->joined = true;
        }
    }
    while (gone < load->request_count) {
        const vq_guest_request *request = &load->requests[gone];
        /* complete but not joined: QEMU's end, if it traced one, came before the completion, and QEMU
         * has been read a margin past it; never complete: given up after the timeout */
        bool old = request->complete
                       ? have_offset && (int64_t)qemu_watermark >
                                            (int64_t)request->complete + offset + (int64_t)VQ_ID_BOUNDS_MARGIN_NS
                       : request->submit + VQ_ID_BOUNDS_TIMEOUT_NS < guest_limit;

        if (!request->joined && !ended && !old) {
            break;
        }
        out->given_up += !request->joined && !ended;
        gone++;
    }
    while (have_offset && qemu_gone < load->qemu_request_count) {
        const vq_qemu_request *device = &load->qemu_requests[qemu_gone];
        uint64_t last = device->end ? device->end : device->begin + VQ_ID_BOUNDS_TIMEOUT_NS;

        if (!ended && (int64_t)last + (int64_t)VQ_ID_BOUNDS_MARGIN_NS >= guest_on_host) {
            break;
        }
        qemu_gone++;
    }
    vq_loader_release_holds(load, load->notify_hold_count);
    return vq_pairing_facts_take(&out->facts, load) &&
           vq_loader_release_guest(load, load->request_base + gone, load->kick_base + load->kick_count,
                                   load->irq_base + load->irq_count) &&
           vq_loader_release_qemu(load, load->qemu_request_base + qemu_gone, load->handler_base + load->handler_count,
                                  load->device_notify_base + load->device_notify_count);
}

vq_status vq_id_bounds_stream(vq_loader *load, vq_id_bounds *out, vq_bound_sink *sink, vq_error *error)
{
    vq_pass *guest = NULL, *qemu = NULL;
    bool guest_ended = false, qemu_ended = false;
    uint64_t guest_limit = 0;
    int64_t guess = 0;
    vq_status status;
    size_t c;

    *out = (vq_id_bounds){ .sink = sink };
    vq_running_hull_init(&out->all, true);
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        vq_running_hull_init(&out->cpu[c], true);
    }
    status = vq_pass_open(load, &vq_guest_pass, &guest, error);
    if (status == VQ_OK) {
        status = vq_pass_open(load, &vq_qemu_pass, &qemu, error);
    }
    /* Where each starts: the first step takes nothing (no event is stamped 0) but says so. */
    if (status == VQ_OK) {
        status = vq_pass_step(guest, 0, &guest_ended, error);
    }
    if (status == VQ_OK) {
        status = vq_pass_step(qemu, 0, &qemu_ended, error);
    }
    if (status == VQ_OK && !guest_ended) {
        guest_limit = vq_pass_next(guest);
        /* Until the first bound, a guess of the offset: QEMU's trace starts before the guest's, so the
         * guess is too large and QEMU runs ahead (nothing of it is released before that bound). */
        guess = qemu_ended ? 0 : (int64_t)(vq_pass_next(qemu) - guest_limit);
    }
    while (status == VQ_OK && !(guest_ended && qemu_ended)) {
        int64_t offset = out->bounds ? out->largest : guess;
        int64_t host_limit;

        guest_limit += VQ_ID_BOUNDS_STEP_NS;
        status = vq_pass_step(guest, guest_limit, &guest_ended, error);
        host_limit = (int64_t)guest_limit + offset + (int64_t)VQ_ID_BOUNDS_MARGIN_NS;
        if (status == VQ_OK) {
            status = vq_pass_step(qemu, host_limit > 0 ? (uint64_t)host_limit : 0, &qemu_ended, error);
        }
        out->steps++;
        if (status != VQ_OK) {
            break;
        }
        if (load->stock) {
            vq_error_set(error, "%s: stock virtio-blk requests have no ids: the id-bound pass reads xblk sessions",
                         load->directory);
            status = VQ_ERR_USAGE;
            break;
        }
        out->most_requests = load->request_count > out->most_requests ? load->request_count : out->most_requests;
        out->most_qemu_requests = load->qemu_request_count > out->most_qemu_requests ? load->qemu_request_count
                                                                                        : out->most_qemu_requests;
        if (!join_and_release(load, out, guest_limit, vq_stream_next(qemu, qemu_ended), out->bounds > 0,
                              out->bounds ? out->largest : guess, guest_ended && qemu_ended)) {
            if (out->facts.too_many_devices) {
                vq_error_set(error, "%s: more than %d virtio devices run handlers in the QEMU trace (id bounds)",
                             load->directory, VQ_STREAM_MAX_DEVICES);
                status = VQ_ERR_USAGE;
            } else {
                vq_error_set(error, "%s: out of memory (id bounds)", load->directory);
                status = VQ_ERR_NOMEM;
            }
        }
    }
    out->facts.xblk_vdev = load->xblk_vdev;
    memcpy(out->facts.bars, load->bars, sizeof(out->facts.bars));
    out->facts.bar_count = load->bar_count;
    memcpy(out->facts.guest_pairs, load->guest_pairs, sizeof(out->facts.guest_pairs));
    out->facts.guest_pair_count = load->guest_pair_count;
    memcpy(out->facts.guest_cpu_pairs, load->guest_cpu_pairs, sizeof(out->facts.guest_cpu_pairs));
    out->facts.guest_cpu_pair_count = load->guest_cpu_pair_count;
    out->released_late = load->released_late;
    vq_pass_close(guest);
    vq_pass_close(qemu);
    return status;
}

void vq_id_bounds_free(vq_id_bounds *bounds)
{
    size_t c;

    vq_pairing_facts_free(&bounds->facts);
    vq_running_hull_free(&bounds->all);
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        vq_running_hull_free(&bounds->cpu[c]);
    }
}
