// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest pass: guest.trace (guest clock) into the loader's requests, kicks and irqs, the device's
 * BAR ranges and the guest's clock pairs. A kick covers every request of its queue submitted since the
 * previous kick; a completion is delivered by the latest irq of its queue. Stock virtio-blk requests
 * are numbered here, in issue order (stock.c), each on the hardware queue of the CPU that issued it
 * ('# queue-cpus:'). Every event also goes to the end-to-end collector (e2e.h).
 */
#include "loader.h"

#include "session_dir.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* An A/B block's marker: a begin opens the next block, an end closes the open one (same seq and disk). */
static vq_status take_block_mark(vq_loader *load, const char *path, const vq_guest_event *event, vq_error *error)
{
    vq_block *open = load->block_count ? &load->blocks[load->block_count - 1] : NULL;

    if (event->block_begin) {
        if ((open && !open->guest_end) || event->block_seq != load->block_count + 1) {
            vq_error_set(error, "%s:%" PRIu64 ": block %" PRIu32 " begins%s; expected block %zu to begin after "
                         "block %zu ended (markers 'vqscope-block seq=K ... begin|end' in order)", path, event->line,
                         event->block_seq, open && !open->guest_end ? " inside another" : "",
                         load->block_count + 1, load->block_count);
            return VQ_ERR_FORMAT;
        }
        open = VQ_PUSH(load->blocks, load->block_count, load->block_capacity);
        if (!open) {
            vq_error_set(error, "%s: out of memory", path);
            return VQ_ERR_NOMEM;
        }
        *open = (vq_block){ .seq = event->block_seq, .label = event->block_label, .guest_begin = event->ts_ns };
        return VQ_OK;
    }
    if (!open || open->guest_end || open->seq != event->block_seq || open->label != event->block_label ||
        event->ts_ns < open->guest_begin) {
        vq_error_set(error, "%s:%" PRIu64 ": block %" PRIu32 " (disk %c) ends, but it is not the open block; "
                     "expected an end for the last begin, with its seq and disk", path, event->line,
                     event->block_seq, event->block_label);
        return VQ_ERR_FORMAT;
    }
    open->guest_end = event->ts_ns;
    return VQ_OK;
}

/* After the pass: every block ended (a session cut short keeps its complete blocks), each disk named. */
static vq_status check_blocks(vq_loader *load, const char *path, vq_error *error)
{
    size_t i, j;

    if (load->block_count && !load->blocks[load->block_count - 1].guest_end) {
        vq_session_warn(load->session, "%s: block %zu has no end marker (the session was cut short): left out",
                        path, load->block_count);
        load->block_count--;
    }
    for (i = 0; i < load->block_count; i++) {
        for (j = 0; j < load->ab_disk_count && load->ab_disks[j].label != load->blocks[i].label; j++) {
        }
        if (j == load->ab_disk_count) {
            vq_error_set(error, "%s: block %" PRIu32 " ran on disk %c, which no '# ab-disk:' header line names",
                         path, load->blocks[i].seq, load->blocks[i].label);
            return VQ_ERR_FORMAT;
        }
    }
    return VQ_OK;
}

/* The pass's state between steps (loader.h). */
typedef struct {
    char *path;
    vq_guest_trace *reader;
    vq_guest_event event;           /* read, but stamped after the last limit: the next step takes it first */
    bool held;
    size_t pending_first[64];       /* per vq: first request not covered by a kick yet */
    size_t last_irq[64];            /* per vq: its latest irq, VQ_NO_INDEX none */
} guest_pass;

static vq_status guest_open(vq_loader *load, void *state, vq_error *error)
{
    guest_pass *pass = state;
    size_t i;

    for (i = 0; i < 64; i++) {
        pass->last_irq[i] = VQ_NO_INDEX;
    }
    pass->path = vq_session_path(load->directory, "guest.trace");
    if (!pass->path) {
        vq_error_set(error, "guest.trace: out of memory");
        return VQ_ERR_NOMEM;
    }
    return vq_guest_trace_open(pass->path, &pass->reader, error);
}

/* One event into the loader's arrays and the end-to-end collector. */
static vq_status take_guest_event(vq_loader *load, guest_pass *pass, vq_guest_event *event, vq_error *error)
{
    const char *path = pass->path;
    vq_guest_trace *reader = pass->reader;
    vq_guest_request *request;
    vq_guest_kick *kick;
    vq_guest_irq *irq;
    size_t index, i;

    /* Indexes are absolute (loader.h: the records are a window, base 0 in a batch load). */
    if (event->type == VQ_GUEST_BLOCK) {
        return take_block_mark(load, path, event, error);
    }
    if (load->part.label && !vq_in_windows(load->part.guest, load->part.count, event->ts_ns)) {
        return VQ_OK;   /* another disk's block, or between blocks */
    }
    if (event->vq >= 64) {
        vq_error_set(error, "%s:%" PRIu64 ": vq=%" PRIu32 "; expected a queue index below 64", path,
                     event->line, event->vq);
        return VQ_ERR_FORMAT;
    }
    if (event->type == VQ_GUEST_RQ_ISSUE || event->type == VQ_GUEST_RQ_COMPLETE) {
        /* The block layer's: a stock device's submit and completion, else the end-to-end row's */
        if (load->stock_device) {
            event->type = event->type == VQ_GUEST_RQ_ISSUE ? VQ_GUEST_SUBMIT : VQ_GUEST_COMPLETE;
        }
    }
    if (event->stock && event->type <= VQ_GUEST_HOLD) {
        load->stock = true;
        if (event->type == VQ_GUEST_SUBMIT) {
            event->id = ++load->stock_ids;
            event->vq = vq_guest_trace_cpu_queue(reader, event->cpu);   /* its CPU's hardware queue */
        } else if (event->type == VQ_GUEST_KICK) {
            event->id_last = load->stock_ids;
        } else if (event->type == VQ_GUEST_COMPLETE) {
            request = vq_request_at(load, vq_stock_take(load, &load->stock_complete_head, event->sector,
                                                        event->sectors, event->write));
            if (!request) {
                return VQ_OK;   /* issued before the trace started */
            }
            event->id = request->id;
            event->vq = request->vq;   /* completed on any CPU: the queue it went out on */
        }
    }
    if (load->e2e && !vq_e2e_take(load->e2e, event)) {   /* a streaming pass reads without it */
        return VQ_ERR_NOMEM;
    }
    switch (event->type) {
    case VQ_GUEST_SUBMIT:
        request = VQ_PUSH(load->requests, load->request_count, load->request_capacity);
        if (!request) {
            return VQ_ERR_NOMEM;
        }
        *request = (vq_guest_request){ .id = event->id, .vq = event->vq, .cpu = event->cpu, .submit = event->ts_ns,
                                       .kick = VQ_NO_INDEX, .irq = VQ_NO_INDEX, .sector = event->sector,
                                       .sectors = event->sectors, .write = event->write, .next_same = VQ_NO_INDEX,
                                       .kick_held = false };
        index = load->request_base + load->request_count - 1;
        if (event->stock && !vq_stock_append(load, index)) {
            return VQ_ERR_NOMEM;
        }
        if (vq_id_map_get(&load->guest_ids, event->id) != VQ_NO_INDEX) {
            vq_session_warn(load->session, "%s:%" PRIu64 ": request id %" PRIu64 " submitted again; the "
                            "later one is stitched", path, event->line, event->id);
        }
        if (!vq_id_map_put(&load->guest_ids, event->id, index)) {
            return VQ_ERR_NOMEM;
        }
        break;
    case VQ_GUEST_KICK:
        kick = VQ_PUSH(load->kicks, load->kick_count, load->kick_capacity);
        if (!kick) {
            return VQ_ERR_NOMEM;
        }
        *kick = (vq_guest_kick){ .ts = event->ts_ns, .id_last = event->id_last, .vq = event->vq, .cpu = event->cpu,
                                 .notified = event->notified, .notify = VQ_NO_INDEX };
        /* The kick covers every request of its vq submitted since the previous kick. */
        for (i = pass->pending_first[event->vq] > load->request_base ? pass->pending_first[event->vq] -
                                                                          load->request_base : 0;
             i < load->request_count; i++) {
            if (load->requests[i].vq == event->vq && load->requests[i].kick == VQ_NO_INDEX) {
                load->requests[i].kick = load->kick_base + load->kick_count - 1;
                kick->requests++;
            }
        }
        pass->pending_first[event->vq] = load->request_base + load->request_count;
        break;
    case VQ_GUEST_IRQ:
        irq = VQ_PUSH(load->irqs, load->irq_count, load->irq_capacity);
        if (!irq) {
            return VQ_ERR_NOMEM;
        }
        *irq = (vq_guest_irq){ .ts = event->ts_ns, .vq = event->vq, .cpu = event->cpu, .injection = VQ_NO_INDEX };
        pass->last_irq[event->vq] = load->irq_base + load->irq_count - 1;
        break;
    case VQ_GUEST_COMPLETE:
        index = vq_id_map_get(&load->guest_ids, event->id);
        request = vq_request_at(load, index);
        if (!request) {   /* submitted before the trace started: nothing to stitch; or released */
            load->released_late += index != VQ_NO_INDEX;
            break;
        }
        request->complete = event->ts_ns;
        request->complete_cpu = event->cpu;
        request->irq = pass->last_irq[event->vq];
        break;
    case VQ_GUEST_HOLD:
        index = vq_id_map_get(&load->guest_ids, event->id);
        request = vq_request_at(load, index);
        if (request) {
            request->kick_held = true;
            request->kick_hold_start = event->hold_start_ns;
            request->kick_hold_end = event->hold_end_ns;
        } else {
            load->released_late += index != VQ_NO_INDEX;
        }
        break;
    default:
        break;   /* the application and block layer events: the end-to-end collector's (e2e.h) */
    }
    return VQ_OK;
}

static vq_status guest_until(vq_loader *load, void *state, uint64_t limit, uint64_t *next, vq_error *error)
{
    guest_pass *pass = state;
    vq_status status;

    for (;;) {
        if (!pass->held) {
            status = vq_guest_trace_next(pass->reader, &pass->event, error);
            if (status != VQ_OK) {
                return status;   /* VQ_END, or the reader's error */
            }
        }
        if (pass->event.ts_ns > limit) {
            pass->held = true;
            *next = pass->event.ts_ns;
            return VQ_OK;
        }
        pass->held = false;
        status = take_guest_event(load, pass, &pass->event, error);
        if (status != VQ_OK) {
            if (status == VQ_ERR_NOMEM) {
                vq_error_set(error, "%s: out of memory", pass->path);
            }
            return status;
        }
    }
}

/* The reader's header figures, the blocks' check, the BARs and the stream's end-of-run warnings. */
static vq_status guest_finish(vq_loader *load, void *state, vq_error *error)
{
    guest_pass *pass = state;
    vq_guest_trace *reader = pass->reader;
    const vq_guest_bar *bars;
    vq_status status;
    size_t i;

    {
        const vq_clock_pair *pairs;

        load->guest_pair_count = vq_guest_trace_clock_pairs(reader, &pairs);
        memcpy(load->guest_pairs, pairs, load->guest_pair_count * sizeof(*pairs));
        load->guest_cpu_pair_count = vq_guest_trace_cpu_pairs(reader, &pairs);
        memcpy(load->guest_cpu_pairs, pairs, load->guest_cpu_pair_count * sizeof(*pairs));
    }
    {
        const vq_guest_ab_disk *disks;

        load->ab_disk_count = vq_guest_trace_ab_disks(reader, &disks);
        memcpy(load->ab_disks, disks, load->ab_disk_count * sizeof(*disks));
    }
    {
        const int64_t *counts;

        load->driver_queue_count = vq_guest_trace_queue_completed(reader, &counts);
        memcpy(load->driver_completed, counts, sizeof(load->driver_completed));
    }
    status = check_blocks(load, pass->path, error);
    if (status != VQ_OK) {
        return status;
    }
    load->bar_count = 0;
    for (i = 0; i < vq_guest_trace_bars(reader, &bars); i++) {
        /* one disk of an A/B session: only its BARs are the doorbell */
        if (!load->part.label || strcmp(bars[i].pci, load->part.pci) == 0) {
            load->bars[load->bar_count++] = bars[i];
        }
    }
    if (load->bar_count == 0) {
        vq_session_warn(load->session, "%s: no '# device-bar:' header line: host MMIO cannot be attributed "
                        "to the device", pass->path);
    }
    {
        const char *stream_name;
        vq_guest_stream_state stream;

        if (vq_guest_trace_stream_state(reader, &stream_name, &stream)) {
            if (!stream.finished) {
                vq_session_warn(load->session, "%s: no end section: the guest's streamer did not stop cleanly "
                                "(the session was cut short); the events it sent before are read", stream_name);
            }
            if (stream.overrun > 0 || stream.missed > 0) {
                vq_session_warn(load->session, "%s: the guest's ring buffers lost events before they were "
                                "read (overrun %" PRIu64 ", pages flagging missed events %" PRIu64 ")",
                                stream_name, stream.overrun, stream.missed);
            }
        }
    }
    return VQ_OK;
}

static void guest_close(void *state)
{
    guest_pass *pass = state;

    vq_guest_trace_close(pass->reader);
    free(pass->path);
}

const vq_pass_ops vq_guest_pass = {
    .name = "guest", .state_size = sizeof(guest_pass), .open = guest_open, .until = guest_until,
    .finish = guest_finish, .close = guest_close,
};
