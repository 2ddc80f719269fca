// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The QEMU pass: qemu.simpletrace (with qemu-trace-events) or qemu-ctf/, host clock, into the loader's
 * handler runs (virtio_queue_notify), device notifies (virtio_notify[_irqfd]), requests (xblk's
 * req_begin/end by id; stock virtio-blk's handle_read/write by sectors, then req_complete by QEMU's req
 * pointer) and the device's holds. Events of other virtio devices are dropped after the pass, once the
 * traced device's vdev is known (vq_keep_device_events).
 */
#include "loader.h"

#include "ctf.h"
#include "qemu_events.h"   /* generated from device/qemu-events.list */
#include "session_dir.h"
#include "simpletrace.h"
#include "trace_events.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The events the pass takes (vq_kind_of). */
enum {
    QEMU_OTHER, QEMU_QUEUE_NOTIFY, QEMU_NOTIFY, QEMU_REQ_BEGIN, QEMU_REQ_END, QEMU_HOLD, QEMU_NOTIFY_HOLD,
    QEMU_BLK_READ, QEMU_BLK_WRITE, QEMU_BLK_COMPLETE,
};

static int qemu_kind(const char *name)
{
    static const struct {
        const char *name;
        int kind;
    } names[] = {
        { VQ_QEMU_EVENT_VIRTIO_QUEUE_NOTIFY, QEMU_QUEUE_NOTIFY },
        { VQ_QEMU_EVENT_VIRTIO_NOTIFY, QEMU_NOTIFY },
        { VQ_QEMU_EVENT_VIRTIO_NOTIFY_IRQFD, QEMU_NOTIFY },
        { VQ_QEMU_EVENT_VIRTIO_XBLK_REQ_BEGIN, QEMU_REQ_BEGIN },
        { VQ_QEMU_EVENT_VIRTIO_XBLK_REQ_END, QEMU_REQ_END },
        { VQ_QEMU_EVENT_VIRTIO_XBLK_HOLD, QEMU_HOLD },
        { VQ_QEMU_EVENT_VIRTIO_XBLK_NOTIFY_HOLD, QEMU_NOTIFY_HOLD },
        { VQ_QEMU_EVENT_VIRTIO_BLK_HANDLE_READ, QEMU_BLK_READ },
        { VQ_QEMU_EVENT_VIRTIO_BLK_HANDLE_WRITE, QEMU_BLK_WRITE },
        { VQ_QEMU_EVENT_VIRTIO_BLK_REQ_COMPLETE, QEMU_BLK_COMPLETE },
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            return names[i].kind;
        }
    }
    return QEMU_OTHER;
}

static vq_status take_qemu_event(vq_loader *load, const vq_event *event)
{
    uint64_t vdev = 0, id = 0, vq = 0, n = VQ_NO_QUEUE;
    vq_qemu_mark *mark;
    vq_qemu_request *request;
    size_t index;
    int kind = vq_kind_of(&load->qemu_kinds, event->name, qemu_kind);

    /* Indexes are absolute (loader.h: the records are a window, base 0 in a batch load). */
    if (load->part.label && !vq_in_windows(load->part.host, load->part.count, event->timestamp_ns)) {
        return VQ_OK;   /* one disk of an A/B session: outside its blocks */
    }
    if (kind == QEMU_QUEUE_NOTIFY) {
        vq_event_arg(event, "vdev", &vdev);
        vq_event_arg(event, "vq", &vq);
        vq_event_arg(event, "n", &n);
        mark = VQ_PUSH(load->handlers, load->handler_count, load->handler_capacity);
        if (!mark) {
            return VQ_ERR_NOMEM;
        }
        *mark = (vq_qemu_mark){ .ts = event->timestamp_ns, .vdev = vdev, .vq = vq,
                                .queue = n < VQ_NO_QUEUE ? (uint32_t)n : VQ_NO_QUEUE };
    } else if (kind == QEMU_NOTIFY) {
        vq_event_arg(event, "vdev", &vdev);
        vq_event_arg(event, "vq", &vq);
        mark = VQ_PUSH(load->device_notifies, load->device_notify_count, load->device_notify_capacity);
        if (!mark) {
            return VQ_ERR_NOMEM;
        }
        *mark = (vq_qemu_mark){ .ts = event->timestamp_ns, .vdev = vdev, .vq = vq, .queue = VQ_NO_QUEUE };
    } else if (kind == QEMU_REQ_BEGIN) {
        vq_event_arg(event, "vdev", &vdev);
        vq_event_arg(event, "id", &id);
        if (!load->xblk_vdev) {
            load->xblk_vdev = vdev;
        }
        request = VQ_PUSH(load->qemu_requests, load->qemu_request_count, load->qemu_request_capacity);
        if (!request) {
            return VQ_ERR_NOMEM;
        }
        *request = (vq_qemu_request){ .id = id, .vdev = vdev, .begin = event->timestamp_ns, .serve_hold_ns = -1 };
        if (!vq_id_map_put(&load->qemu_ids, id, load->qemu_request_base + load->qemu_request_count - 1)) {
            return VQ_ERR_NOMEM;
        }
    } else if (kind == QEMU_REQ_END) {
        vq_event_arg(event, "id", &id);
        index = vq_id_map_get(&load->qemu_ids, id);
        request = vq_qemu_request_at(load, index);
        load->released_late += index != VQ_NO_INDEX && !request;
        if (request && !request->end) {
            vq = 0;
            vq_event_arg(event, "vq", &vq);
            request->end = event->timestamp_ns;
            request->vq = (uint32_t)vq;
        }
    } else if (kind == QEMU_HOLD) {
        uint64_t start = 0, end = 0;

        vq_event_arg(event, "id", &id);
        index = vq_id_map_get(&load->qemu_ids, id);
        request = vq_qemu_request_at(load, index);
        load->released_late += index != VQ_NO_INDEX && !request;
        if (request && vq_event_arg(event, "start_ns", &start) && vq_event_arg(event, "end_ns", &end) && end >= start) {
            request->serve_hold_ns = (int64_t)(end - start);
        }
    } else if (kind == QEMU_NOTIFY_HOLD) {
        vq_notify_hold *hold;

        vq = 0;
        hold = VQ_PUSH(load->notify_holds, load->notify_hold_count, load->notify_hold_capacity);
        if (!hold) {
            return VQ_ERR_NOMEM;
        }
        vq_event_arg(event, "vq", &vq);
        *hold = (vq_notify_hold){ .vq = (uint32_t)vq };
        if (!vq_event_arg(event, "start_ns", &hold->start) || !vq_event_arg(event, "end_ns", &hold->end) ||
            hold->end < hold->start) {
            load->notify_hold_count--;   /* malformed: no hold to attribute */
        }
    } else if (load->stock && (kind == QEMU_BLK_READ || kind == QEMU_BLK_WRITE)) {
        uint64_t req = 0, sector = 0, sectors = 0;
        const vq_guest_request *guest;

        vq_event_arg(event, "vdev", &vdev);
        vq_event_arg(event, "req", &req);
        vq_event_arg(event, "sector", &sector);
        vq_event_arg(event, "nsectors", &sectors);
        guest = vq_request_at(load, vq_stock_take(load, &load->stock_qemu_head, sector, (uint32_t)sectors,
                                                  kind == QEMU_BLK_WRITE));
        if (!guest) {
            load->stock_unmatched_qemu++;   /* issued before the guest trace started, or not ours */
            return VQ_OK;
        }
        if (!load->xblk_vdev) {
            load->xblk_vdev = vdev;
        }
        request = VQ_PUSH(load->qemu_requests, load->qemu_request_count, load->qemu_request_capacity);
        if (!request) {
            return VQ_ERR_NOMEM;
        }
        *request = (vq_qemu_request){ .id = guest->id, .vdev = vdev, .begin = event->timestamp_ns,
                                   .serve_hold_ns = -1 };
        index = load->qemu_request_base + load->qemu_request_count - 1;
        if (!vq_id_map_put(&load->qemu_ids, request->id, index) ||
            !vq_id_map_put(&load->stock_req, vq_stock_req_key(req), index)) {
            return VQ_ERR_NOMEM;
        }
    } else if (load->stock && kind == QEMU_BLK_COMPLETE) {
        uint64_t req = 0;

        vq_event_arg(event, "req", &req);
        index = vq_id_map_get(&load->stock_req, vq_stock_req_key(req));
        request = vq_qemu_request_at(load, index);
        if (request && !request->end) {
            request->end = event->timestamp_ns;
        }
        /* QEMU frees the request: its address can name a later one. */
        if (index != VQ_NO_INDEX && !vq_id_map_put(&load->stock_req, vq_stock_req_key(req), VQ_NO_INDEX)) {
            return VQ_ERR_NOMEM;
        }
    }
    return VQ_OK;
}

/* The pass's state between steps (loader.h): the trace's reader and its reorder buffer. */
typedef struct {
    char *simple_path, *events_path, *ctf_path;
    vq_trace_events *catalog;
    vq_simpletrace *simple;
    vq_ctf *ctf;
    vq_sorted_cursor cursor;
} qemu_pass;

static vq_status qemu_open(vq_loader *load, void *state, vq_error *error)
{
    qemu_pass *pass = state;
    vq_status status;

    pass->simple_path = vq_session_path(load->directory, "qemu.simpletrace");
    pass->events_path = vq_session_path(load->directory, "qemu-trace-events");
    pass->ctf_path = vq_session_path(load->directory, "qemu-ctf");
    if (!pass->simple_path || !pass->events_path || !pass->ctf_path) {
        vq_error_set(error, "%s: out of memory", load->directory);
        return VQ_ERR_NOMEM;
    }
    if (vq_path_exists(pass->simple_path, false)) {
        snprintf(load->session->qemu_trace, sizeof(load->session->qemu_trace), "simple");
        status = vq_trace_events_load(pass->events_path, &pass->catalog, error);
        if (status == VQ_OK) {
            status = vq_simpletrace_open(pass->simple_path, pass->catalog, &pass->simple, error);
        }
    } else if (vq_path_exists(pass->ctf_path, true)) {
        snprintf(load->session->qemu_trace, sizeof(load->session->qemu_trace), "ctf");
        status = vq_ctf_open(pass->ctf_path, &pass->ctf, error);
    } else {
        vq_error_set(error, "%s: no QEMU trace: expected qemu.simpletrace (with qemu-trace-events) or "
                     "a qemu-ctf/ directory", load->directory);
        status = VQ_ERR_FORMAT;
    }
    if (status != VQ_OK) {
        return status;
    }
    /* CTF is already in timestamp order (babeltrace2's muxer); the reorder buffer costs nothing more. */
    status = vq_sorted_open(&pass->cursor, pass->simple ? vq_simpletrace_source(pass->simple) :
                            vq_ctf_source(pass->ctf), error);
    vq_kind_reset(&load->qemu_kinds, status == VQ_OK && vq_reorder_source(pass->cursor.reorder).stable_names);
    if (status == VQ_ERR_NOMEM && !vq_error_is_set(error)) {
        vq_error_set(error, "%s: out of memory", load->directory);
    }
    return status;
}

static vq_status qemu_until(vq_loader *load, void *state, uint64_t limit, uint64_t *next, vq_error *error)
{
    qemu_pass *pass = state;

    return vq_sorted_until(load, &pass->cursor, limit, next, take_qemu_event, error);
}

/* Late events, then what the tracer itself lost. */
static vq_status qemu_finish(vq_loader *load, void *state, vq_error *error)
{
    qemu_pass *pass = state;

    (void)error;
    vq_sorted_finish(load, &pass->cursor);
    if (pass->simple && vq_simpletrace_get_counts(pass->simple).dropped_events) {
        vq_session_warn(load->session, "%s: QEMU dropped %" PRIu64 " trace events", pass->simple_path,
                        vq_simpletrace_get_counts(pass->simple).dropped_events);
    }
    if (pass->ctf && vq_ctf_get_counts(pass->ctf).discarded_events) {
        vq_session_warn(load->session, "%s: LTTng discarded %" PRIu64 " events", pass->ctf_path,
                        vq_ctf_get_counts(pass->ctf).discarded_events);
    }
    return VQ_OK;
}

static void qemu_close(void *state)
{
    qemu_pass *pass = state;

    vq_sorted_close(&pass->cursor);
    vq_simpletrace_close(pass->simple);
    vq_ctf_close(pass->ctf);
    vq_trace_events_free(pass->catalog);
    free(pass->simple_path);
    free(pass->events_path);
    free(pass->ctf_path);
}

const vq_pass_ops vq_qemu_pass = {
    .name = "qemu", .state_size = sizeof(qemu_pass), .open = qemu_open, .until = qemu_until,
    .finish = qemu_finish, .close = qemu_close,
};

/* Keeps only the marks of the xblk device (QEMU events of other virtio devices are in the trace). */
static void keep_device_marks(vq_qemu_mark *marks, size_t *count, uint64_t vdev)
{
    size_t kept = 0, i;

    for (i = 0; i < *count; i++) {
        if (marks[i].vdev == vdev) {
            marks[kept++] = marks[i];
        }
    }
    *count = kept;
}

static int compare_qemu_request(const void *left, const void *right)
{
    const vq_qemu_request *a = left, *b = right;

    return (a->begin > b->begin) - (a->begin < b->begin);
}

/* After the passes: only the traced device's handler runs and notifies (the trace has other virtio
 * devices' too); its requests sorted by begin, with the id index rebuilt. */
vq_status vq_keep_device_events(vq_loader *load, vq_error *error)
{
    vq_status status = VQ_OK;
    size_t i;

    if (load->request_base || load->kick_base || load->irq_base || load->qemu_request_base || load->handler_base ||
        load->device_notify_base || load->exit_base || load->notify_base || load->injection_base || load->virq_base) {
        vq_error_set(error, "%s: the loader's records were released by a streaming pass: the batch steps need "
                     "all of them", load->directory);
        return VQ_ERR_USAGE;
    }
    keep_device_marks(load->handlers, &load->handler_count, load->xblk_vdev);
    keep_device_marks(load->device_notifies, &load->device_notify_count, load->xblk_vdev);
    /* A notify's queue: the index its VirtQueue had in the handler runs (a device has few queues) */
    {
        uint64_t address[VQ_GUEST_MAX_QUEUES];
        uint32_t index[VQ_GUEST_MAX_QUEUES];
        size_t known = 0, h, k;

        for (h = 0; h < load->handler_count; h++) {
            for (k = 0; k < known && address[k] != load->handlers[h].vq; k++) {
            }
            if (k == known && known < VQ_GUEST_MAX_QUEUES && load->handlers[h].vq) {
                address[known] = load->handlers[h].vq;
                index[known++] = load->handlers[h].queue;
            }
        }
        for (i = 0; i < load->device_notify_count; i++) {
            for (k = 0; k < known && address[k] != load->device_notifies[i].vq; k++) {
            }
            if (k < known) {
                load->device_notifies[i].queue = index[k];
            }
        }
    }
    /* Begins come in host order; re-sort anyway (late events) and rebuild the id index. */
    qsort(load->qemu_requests, load->qemu_request_count, sizeof(*load->qemu_requests), compare_qemu_request);
    for (i = 0; i < load->qemu_request_count; i++) {
        if (!vq_id_map_put(&load->qemu_ids, load->qemu_requests[i].id, i)) {
            status = VQ_ERR_NOMEM;
            vq_error_set(error, "%s: out of memory", load->directory);
            break;
        }
    }
    return status;
}
