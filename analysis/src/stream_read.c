// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the streaming passes' reads share (stream_align.h): the estimates they pair from, the loaders
 * they read with, and the release of what a pass does not read.
 */
#include "stream_align.h"

#include "session_dir.h"

#include <stdlib.h>
#include <string.h>

void vq_stream_estimates_from(vq_stream_estimates *lines, vq_running_hull *all, vq_running_hull *cpu,
                              int64_t fallback)
{
    size_t c;

    lines->all = vq_bound_line_from_hull(all);
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        lines->cpu[c] = vq_bound_line_from_hull(&cpu[c]);
    }
    lines->fallback = fallback;
}

int64_t vq_stream_estimate_at(const vq_stream_estimates *lines, uint32_t cpu, uint64_t at)
{
    if (lines->tsc) {
        return vq_clock_offset_at(&lines->tsc_offset, at) + lines->tsc_offset.error_ns;
    }
    if (cpu < VQ_GUEST_MAX_CPUS && lines->cpu[cpu].usable) {
        return vq_bound_line_at(&lines->cpu[cpu], at);
    }
    return lines->all.usable ? vq_bound_line_at(&lines->all, at) : lines->fallback;
}

int64_t vq_stream_estimate_bound(const vq_stream_estimates *lines, uint64_t at, bool largest)
{
    /* an event whose CPU has no line of its own (or names none) gets every CPU's, else the fallback */
    int64_t bound = lines->all.usable ? vq_bound_line_at(&lines->all, at) : lines->fallback;
    size_t c;

    if (lines->tsc) {
        return vq_stream_estimate_at(lines, 0, at);
    }
    for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
        if (lines->cpu[c].usable) {
            int64_t one = vq_bound_line_at(&lines->cpu[c], at);

            bound = largest ? (one > bound ? one : bound) : (one < bound ? one : bound);
        }
    }
    return bound;
}

vq_loader *vq_stream_loader_new(const char *directory, const vq_pairing_facts *facts)
{
    vq_loader *load = calloc(1, sizeof(*load));
    vq_error error;

    if (!load || !(load->session = calloc(1, sizeof(*load->session)))) {
        free(load);
        return NULL;
    }
    load->directory = directory;
    vq_error_clear(&error);
    /* without meta.json the load warns; a streaming read goes on as the load does */
    vq_session_read_meta(load->session, directory, &error);
    load->stock_device = strcmp(load->session->device, "xblk") != 0 && strcmp(load->session->device, "demo") != 0;
    if (facts) {
        memcpy(load->bars, facts->bars, sizeof(load->bars));
        load->bar_count = facts->bar_count;
    }
    return load;
}

void vq_stream_loader_delete(vq_loader *load)
{
    if (load) {
        vq_session *session = load->session;

        vq_loader_free(load);
        vq_session_free(session);
        free(load);
    }
}

bool vq_stream_release_qemu(vq_loader *load, uint64_t next, bool ended)
{
    size_t gone = 0;

    while (gone < load->qemu_request_count) {
        const vq_qemu_request *device = &load->qemu_requests[gone];

        if (!device->end && (ended || device->begin + VQ_ID_BOUNDS_TIMEOUT_NS >= next)) {
            break;
        }
        gone++;
    }
    vq_loader_release_holds(load, load->notify_hold_count);
    return vq_loader_release_qemu(load, load->qemu_request_base + gone, load->handler_base + load->handler_count,
                                  load->device_notify_base + load->device_notify_count);
}

bool vq_stream_release_guest(vq_loader *load, size_t kicks, size_t irqs, uint64_t next, bool ended)
{
    size_t gone = 0;

    while (gone < load->request_count) {
        const vq_guest_request *request = &load->requests[gone];

        if (!request->complete && !ended && request->submit + VQ_ID_BOUNDS_TIMEOUT_NS >= next) {
            break;
        }
        gone++;
    }
    return vq_loader_release_guest(load, load->request_base + gone, kicks, irqs);
}

unsigned vq_stream_queue_count(uint32_t mask)
{
    unsigned n = 0;

    for (; mask; mask &= mask - 1) {
        n++;
    }
    return n;
}

bool vq_stream_add_bound(vq_running_hull *all, vq_running_hull *cpu, vq_bound_summary *summary, vq_bound_sink *sink,
                         const vq_constraint *bound, uint64_t order)
{
    vq_bound_summary_add(summary, bound, order);
    if (sink && !sink->add(sink, bound, order)) {
        return false;
    }
    return vq_running_hull_add(all, bound) &&
           (bound->cpu >= VQ_GUEST_MAX_CPUS || vq_running_hull_add(&cpu[bound->cpu], bound));
}
