/*
 * virtio-xblk: a disk addressed by block number, backed by a host file.
 *
 * The guest names a first block and gives a whole number of blocks of data; the device reads or writes
 * the backing file at block * block-size with preadv/pwritev. I/O is synchronous in the queue handler:
 * the backing file is expected to be a local file, usually in the page cache, and a synchronous call
 * keeps the time of one request in one place (between the device's begin and end trace events).
 *
 * Queue handlers run in the main loop, or in an IOThread when the "iothread" property is set; in the
 * latter case host notifiers (ioeventfd) and guest notifiers (irqfd) are attached to the IOThread the
 * way virtio-blk's dataplane does it.
 *
 * Every guest-supplied field is checked before use; a malformed request gets VIRTIO_XBLK_S_BADREQ in
 * the last device-writable byte and never touches the backing file.
 *
 * Two injected delays let vqscope check that its analyzer puts a known delay in the right stage:
 * delay-ns holds each served request before its push, notify-delay-ns holds the interrupt between
 * push and notify. Each traces the hold it really applied (virtio_xblk_hold, virtio_xblk_notify_hold),
 * which can be shorter than asked when a device stop ends it early.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or (at your option) any later
 * version. See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/error-report.h"
#include "block/aio-wait.h"
#include "qemu/iov.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "hw/qdev-properties.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-bus.h"
#include "hw/virtio/virtio-xblk.h"
#include "migration/vmstate.h"
#include "standard-headers/linux/virtio_ids.h"
#include "trace.h"

#define VIRTIO_XBLK_DEFAULT_MAX_BYTES (1 * MiB)

static VirtIOXBlkQueue *virtio_xblk_queue_of(VirtIOXBlk *s, VirtQueue *vq)
{
    return &s->queues[virtio_get_queue_index(vq)];
}

/* Interrupt the guest once for a batch: irqfd from an IOThread, the usual path from the main loop. */
static void virtio_xblk_notify(VirtIOXBlkQueue *q)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(q->dev);

    if (qemu_in_iothread()) {
        virtio_notify_irqfd(vdev, q->vq);
    } else {
        virtio_notify(vdev, q->vq);
    }
}

/* Ends the pending notify hold: the interrupt it held goes to the guest now. */
static void virtio_xblk_notify_hold_end(VirtIOXBlkQueue *q)
{
    q->notify_held = false;
    trace_virtio_xblk_notify_hold(q->dev, q->index, q->notify_hold_start_ns,
                                  qemu_clock_get_ns(QEMU_CLOCK_REALTIME));
    virtio_xblk_notify(q);
}

static void virtio_xblk_notify_hold_expired(void *opaque)
{
    VirtIOXBlkQueue *q = opaque;

    if (q->notify_held) {
        virtio_xblk_notify_hold_end(q);
    }
}

/*
 * Requests were pushed: interrupt the guest now, or hold the interrupt for notify-delay-ns. Pushes
 * made while a hold is pending ride it (one interrupt for all, when the first hold ends) rather than
 * extend it, so no request waits longer than notify-delay-ns for its interrupt.
 */
static void virtio_xblk_pushed(VirtIOXBlkQueue *q)
{
    VirtIOXBlk *s = q->dev;

    if (!s->notify_delay_ns) {
        virtio_xblk_notify(q);
        return;
    }
    if (q->notify_held) {
        return;
    }
    q->notify_held = true;
    q->notify_hold_start_ns = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    timer_mod_ns(q->notify_timer, q->notify_hold_start_ns + s->notify_delay_ns);
}

/* Writes the status byte (last writable byte) and returns the element to the guest. */
static void virtio_xblk_push(VirtIOXBlkQueue *q, VirtIOXBlkReq *req)
{
    VirtIOXBlk *s = q->dev;
    unsigned int used = 0;

    if (req->in_len > 0) {
        iov_from_buf(req->elem.in_sg, req->elem.in_num, req->in_len - 1, &req->status, 1);
        /* For a good read the data precedes the status byte; otherwise only the status is valid. */
        used = req->status == VIRTIO_XBLK_S_OK ? req->in_len : 1;
    }
    if (req->held) {
        trace_virtio_xblk_hold(s, req->id, q->index, req->hold_start_ns,
                               qemu_clock_get_ns(QEMU_CLOCK_REALTIME));
    }
    trace_virtio_xblk_req_end(s, req->id, q->index, req->elem.index, req->status, used);
    if (req->status == VIRTIO_XBLK_S_OK) {
        qatomic_inc(&s->requests_ok);
    }
    virtqueue_push(q->vq, &req->elem, used);
    g_free(req);
}

static uint8_t virtio_xblk_bad(VirtIOXBlkQueue *q, VirtIOXBlkReq *req, size_t out_len,
                               const char *why)
{
    trace_virtio_xblk_req_bad(q->dev, req->id, q->index, req->elem.index, out_len, req->in_len,
                              why);
    qatomic_inc(&q->dev->requests_bad);
    return VIRTIO_XBLK_S_BADREQ;
}

/* Reads or writes len bytes at offset through the iovec; short transfers are retried to the end. */
static int virtio_xblk_rw(VirtIOXBlk *s, bool write, struct iovec *iov, unsigned int iovcnt,
                          uint64_t offset, size_t len)
{
    /* iov_discard_front() moves iov: the caller keeps the array to free. */
    while (len > 0) {
        ssize_t n = write ? pwritev(s->fd, iov, iovcnt, offset) : preadv(s->fd, iov, iovcnt, offset);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            /* n == 0: the file shrank under us; report an I/O error, not stale data. */
            return n < 0 ? -errno : -EIO;
        }
        iov_discard_front(&iov, &iovcnt, n);
        offset += n;
        len -= n;
    }
    return 0;
}

/* Validates and serves one request; returns its status. */
static uint8_t virtio_xblk_serve(VirtIOXBlkQueue *q, VirtIOXBlkReq *req)
{
    VirtIOXBlk *s = q->dev;
    VirtQueueElement *elem = &req->elem;
    struct virtio_xblk_req_hdr hdr;
    size_t out_len = iov_size(elem->out_sg, elem->out_num);
    size_t data_out, data_in, len;
    uint64_t block, nblocks;
    uint32_t type;
    struct iovec *iov;
    unsigned int iovcnt;
    int ret;

    if (out_len < sizeof(hdr)) {
        return virtio_xblk_bad(q, req, out_len, "header missing or short");
    }
    iov_to_buf(elem->out_sg, elem->out_num, 0, &hdr, sizeof(hdr));
    req->id = le64_to_cpu(hdr.id);
    block = le64_to_cpu(hdr.block);
    type = le32_to_cpu(hdr.type);
    data_out = out_len - sizeof(hdr);
    data_in = req->in_len - 1;          /* in_len >= 1 was checked by the caller */

    /* Header + data descriptors + status: max-segments bounds the data descriptors. */
    if (elem->out_num + elem->in_num > s->max_segments + 2) {
        return virtio_xblk_bad(q, req, out_len, "too many descriptors");
    }

    switch (type) {
    case VIRTIO_XBLK_T_READ:
    case VIRTIO_XBLK_T_WRITE: {
        bool write = type == VIRTIO_XBLK_T_WRITE;

        if (write ? data_in != 0 : data_out != 0) {
            return virtio_xblk_bad(q, req, out_len, "data in the wrong direction");
        }
        len = write ? data_out : data_in;
        if (len == 0 || len % s->block_size != 0) {
            return virtio_xblk_bad(q, req, out_len, "data length not a whole number of blocks");
        }
        nblocks = len / s->block_size;
        if (nblocks > s->max_blocks) {
            return virtio_xblk_bad(q, req, out_len, "more blocks than max-blocks");
        }
        /* block < capacity first, so that neither the sum nor block * block_size can overflow. */
        if (block >= s->capacity || nblocks > s->capacity - block) {
            return virtio_xblk_bad(q, req, out_len, "block range beyond capacity");
        }
        trace_virtio_xblk_req_begin(s, req->id, q->index, elem->index, type, block, nblocks);
        if (write && s->read_only) {
            return VIRTIO_XBLK_S_IOERR;
        }
        iov = g_new(struct iovec, write ? elem->out_num : elem->in_num);
        if (write) {
            iovcnt = iov_copy(iov, elem->out_num, elem->out_sg, elem->out_num, sizeof(hdr), len);
        } else {
            iovcnt = iov_copy(iov, elem->in_num, elem->in_sg, elem->in_num, 0, len);
        }
        ret = virtio_xblk_rw(s, write, iov, iovcnt, block * s->block_size, len);
        g_free(iov);
        if (ret < 0) {
            error_report_once("virtio-xblk: %s of %" PRIu64 " blocks at block %" PRIu64
                              " in %s failed: %s", write ? "write" : "read", nblocks, block,
                              s->file, strerror(-ret));
            return VIRTIO_XBLK_S_IOERR;
        }
        return VIRTIO_XBLK_S_OK;
    }
    case VIRTIO_XBLK_T_FLUSH:
        if (data_in != 0 || data_out != 0) {
            return virtio_xblk_bad(q, req, out_len, "flush with data");
        }
        trace_virtio_xblk_req_begin(s, req->id, q->index, elem->index, type, 0, 0);
        if (!s->read_only && qemu_fdatasync(s->fd) < 0) {
            return VIRTIO_XBLK_S_IOERR;
        }
        return VIRTIO_XBLK_S_OK;
    case VIRTIO_XBLK_T_GET_ID: {
        char id[VIRTIO_XBLK_ID_BYTES] = { 0 };

        if (data_out != 0 || data_in != VIRTIO_XBLK_ID_BYTES) {
            return virtio_xblk_bad(q, req, out_len, "get-id buffer is not VIRTIO_XBLK_ID_BYTES");
        }
        trace_virtio_xblk_req_begin(s, req->id, q->index, elem->index, type, 0, 0);
        /* Like virtio-blk's serial: NUL-padded, not NUL-terminated when it fills all 20 bytes. */
        memcpy(id, s->serial, MIN(strlen(s->serial), sizeof(id)));
        iov_from_buf(elem->in_sg, elem->in_num, 0, id, sizeof(id));
        return VIRTIO_XBLK_S_OK;
    }
    default:
        trace_virtio_xblk_req_bad(s, req->id, q->index, elem->index, out_len, req->in_len,
                                  "unsupported type");
        qatomic_inc(&s->requests_bad);
        return VIRTIO_XBLK_S_UNSUPP;
    }
}

static void virtio_xblk_delay_expired(void *opaque)
{
    VirtIOXBlkQueue *q = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    VirtIOXBlkReq *req;
    unsigned int pushed = 0;

    while ((req = QSIMPLEQ_FIRST(&q->delayed)) && req->deadline_ns <= now) {
        QSIMPLEQ_REMOVE_HEAD(&q->delayed, next);
        virtio_xblk_push(q, req);
        pushed++;
    }
    if (req) {
        timer_mod_ns(q->delay_timer, req->deadline_ns);
    }
    if (pushed) {
        virtio_xblk_pushed(q);
    }
}

/*
 * Completes every delayed request and interrupts the guest now, ending a pending notify hold early
 * (device stop, migration): nothing may stay held once the queue's context stops serving it.
 */
static void virtio_xblk_flush_held(VirtIOXBlkQueue *q)
{
    VirtIOXBlkReq *req;
    bool any = false;

    timer_del(q->delay_timer);
    while ((req = QSIMPLEQ_FIRST(&q->delayed))) {
        QSIMPLEQ_REMOVE_HEAD(&q->delayed, next);
        virtio_xblk_push(q, req);
        any = true;
    }
    timer_del(q->notify_timer);
    if (q->notify_held) {
        virtio_xblk_notify_hold_end(q);
    } else if (any) {
        virtio_xblk_notify(q);
    }
}

static int virtio_xblk_start_ioeventfd(VirtIODevice *vdev);

static void virtio_xblk_handle_output(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOXBlk *s = VIRTIO_XBLK(vdev);
    VirtIOXBlkQueue *q = virtio_xblk_queue_of(s, vq);
    VirtIOXBlkReq *req;
    unsigned int served = 0, pushed = 0;

    /* With an IOThread, the first kick may arrive before the dataplane started: start it. */
    if (s->iothread && !s->ioeventfd_disabled && !s->ioeventfd_started) {
        virtio_device_start_ioeventfd(vdev);
        if (!s->ioeventfd_disabled) {
            return;
        }
    }

    do {
        virtio_queue_set_notification(vq, 0);
        while ((req = virtqueue_pop(vq, sizeof(VirtIOXBlkReq)))) {
            size_t out_len = iov_size(req->elem.out_sg, req->elem.out_num);

            req->id = 0;
            req->held = false;
            req->in_len = iov_size(req->elem.in_sg, req->elem.in_num);
            served++;
            if (req->in_len == 0) {
                /* No writable byte: nowhere to put a status, return it empty. */
                trace_virtio_xblk_req_bad(s, 0, q->index, req->elem.index, out_len, 0,
                                          "no status byte");
                qatomic_inc(&s->requests_bad);
                virtqueue_push(vq, &req->elem, 0);
                g_free(req);
                pushed++;
                continue;
            }
            req->status = virtio_xblk_serve(q, req);
            if (s->delay_ns && req->status == VIRTIO_XBLK_S_OK) {
                req->held = true;
                req->hold_start_ns = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
                req->deadline_ns = req->hold_start_ns + s->delay_ns;
                if (QSIMPLEQ_EMPTY(&q->delayed)) {
                    timer_mod_ns(q->delay_timer, req->deadline_ns);
                }
                QSIMPLEQ_INSERT_TAIL(&q->delayed, req, next);
                continue;
            }
            virtio_xblk_push(q, req);
            pushed++;
        }
        virtio_queue_set_notification(vq, 1);
    } while (!virtio_queue_empty(vq) && !virtio_device_disabled(vdev));

    trace_virtio_xblk_handle(s, q->index, served, pushed);
    if (pushed) {
        virtio_xblk_pushed(q);
    }
}

/* ---- dataplane: host and guest notifiers in the IOThread (virtio-blk's model) ---- */

/* Context: BQL held */
static int virtio_xblk_start_ioeventfd(VirtIODevice *vdev)
{
    VirtIOXBlk *s = VIRTIO_XBLK(vdev);
    BusState *qbus = BUS(qdev_get_parent_bus(DEVICE(s)));
    VirtioBusClass *k = VIRTIO_BUS_GET_CLASS(qbus);
    unsigned int nvqs = s->num_queues;
    unsigned int i;
    int r;

    if (s->ioeventfd_started || s->ioeventfd_starting) {
        return 0;
    }
    s->ioeventfd_starting = true;

    r = k->set_guest_notifiers(qbus->parent, nvqs, true);
    if (r != 0) {
        error_report("virtio-xblk: failed to set guest notifiers (%d)", r);
        goto fail_guest_notifiers;
    }

    /* One transaction for all host notifiers: address_space_update_ioeventfds() is quadratic. */
    memory_region_transaction_begin();
    for (i = 0; i < nvqs; i++) {
        r = virtio_bus_set_host_notifier(VIRTIO_BUS(qbus), i, true);
        if (r != 0) {
            unsigned int set = i;

            error_report("virtio-xblk: failed to set host notifier %u (%d)", i, r);
            while (i--) {
                virtio_bus_set_host_notifier(VIRTIO_BUS(qbus), i, false);
            }
            memory_region_transaction_commit();
            while (set--) {
                virtio_bus_cleanup_host_notifier(VIRTIO_BUS(qbus), set);
            }
            goto fail_host_notifiers;
        }
    }
    memory_region_transaction_commit();

    s->ioeventfd_starting = false;
    s->ioeventfd_started = true;
    smp_wmb(); /* paired with aio_notify_accept() in the IOThread */

    /* Attaching also processes requests that are already in the rings. */
    for (i = 0; i < nvqs; i++) {
        virtio_queue_aio_attach_host_notifier(s->queues[i].vq, s->queues[i].ctx);
    }
    return 0;

fail_host_notifiers:
    k->set_guest_notifiers(qbus->parent, nvqs, false);
fail_guest_notifiers:
    s->ioeventfd_disabled = true;
    s->ioeventfd_starting = false;
    return -ENOSYS;
}

/* Context: BH in the queue's AioContext */
static void virtio_xblk_stop_queue_bh(void *opaque)
{
    VirtIOXBlkQueue *q = opaque;

    virtio_queue_aio_detach_host_notifier(q->vq, q->ctx);
    /* Test and clear the notifier after detaching, in case a poll callback did not run yet. */
    virtio_queue_host_notifier_read(virtio_queue_get_host_notifier(q->vq));
    virtio_xblk_flush_held(q);
}

/* Context: BQL held */
static void virtio_xblk_stop_ioeventfd(VirtIODevice *vdev)
{
    VirtIOXBlk *s = VIRTIO_XBLK(vdev);
    BusState *qbus = qdev_get_parent_bus(DEVICE(s));
    VirtioBusClass *k = VIRTIO_BUS_GET_CLASS(qbus);
    unsigned int nvqs = s->num_queues;
    unsigned int i;

    if (!s->ioeventfd_started || s->ioeventfd_stopping) {
        return;
    }
    if (s->ioeventfd_disabled) {
        s->ioeventfd_disabled = false;
        s->ioeventfd_started = false;
        return;
    }
    s->ioeventfd_stopping = true;

    for (i = 0; i < nvqs; i++) {
        aio_wait_bh_oneshot(s->queues[i].ctx, virtio_xblk_stop_queue_bh, &s->queues[i]);
    }

    memory_region_transaction_begin();
    for (i = 0; i < nvqs; i++) {
        virtio_bus_set_host_notifier(VIRTIO_BUS(qbus), i, false);
    }
    memory_region_transaction_commit();
    for (i = 0; i < nvqs; i++) {
        virtio_bus_cleanup_host_notifier(VIRTIO_BUS(qbus), i);
    }

    s->ioeventfd_started = false;
    k->set_guest_notifiers(qbus->parent, nvqs, false);
    s->ioeventfd_stopping = false;
}

/* ---- configuration, features, lifecycle ---- */

static void virtio_xblk_get_config(VirtIODevice *vdev, uint8_t *config)
{
    VirtIOXBlk *s = VIRTIO_XBLK(vdev);
    struct virtio_xblk_config cfg = {
        .capacity = cpu_to_le64(s->capacity),
        .block_size = cpu_to_le32(s->block_size),
        .num_queues = cpu_to_le16(s->num_queues),
        .max_blocks = cpu_to_le32(s->max_blocks),
        .max_segments = cpu_to_le32(s->max_segments),
    };

    memcpy(config, &cfg, sizeof(cfg));
}

static uint64_t virtio_xblk_get_features(VirtIODevice *vdev, uint64_t features, Error **errp)
{
    VirtIOXBlk *s = VIRTIO_XBLK(vdev);

    virtio_add_feature(&features, VIRTIO_XBLK_F_FLUSH);
    if (s->read_only) {
        virtio_add_feature(&features, VIRTIO_XBLK_F_RO);
    }
    if (s->num_queues > 1) {
        virtio_add_feature(&features, VIRTIO_XBLK_F_MQ);
    }
    return features;
}

/* Context: BQL held, after the transport stopped the dataplane (so nothing runs in an IOThread). */
static void virtio_xblk_reset(VirtIODevice *vdev)
{
    VirtIOXBlk *s = VIRTIO_XBLK(vdev);
    VirtIOXBlkReq *req;
    unsigned int i;

    /*
     * The rings are reset with the device: delayed requests are dropped, not completed, and a held
     * interrupt is dropped too (no notify, so no virtio_xblk_notify_hold event).
     */
    for (i = 0; i < s->num_queues; i++) {
        VirtIOXBlkQueue *q = &s->queues[i];

        timer_del(q->notify_timer);
        q->notify_held = false;
        timer_del(q->delay_timer);
        while ((req = QSIMPLEQ_FIRST(&q->delayed))) {
            QSIMPLEQ_REMOVE_HEAD(&q->delayed, next);
            virtqueue_detach_element(q->vq, &req->elem, 0);
            g_free(req);
        }
    }
}

static int virtio_xblk_pre_save(void *opaque)
{
    VirtIOXBlk *s = opaque;
    unsigned int i;

    /* The VM is stopped (so is the dataplane): complete what delay-ns and notify-delay-ns hold. */
    for (i = 0; i < s->num_queues; i++) {
        virtio_xblk_flush_held(&s->queues[i]);
    }
    return 0;
}

static void virtio_xblk_get_counter(Object *obj, Visitor *v, const char *name, void *opaque,
                                    Error **errp)
{
    uint64_t value = qatomic_read((uint64_t *)opaque);

    visit_type_uint64(v, name, &value, errp);
}

/* A QEMU_CLOCK_REALTIME ns timer whose callback runs in q's context, the one that serves q. */
static QEMUTimer *virtio_xblk_queue_timer_new(VirtIOXBlkQueue *q, QEMUTimerCB *cb)
{
    /*
     * An IOThread's aio_poll() sleeps to the ns; the main loop's AioContext timers are woken by
     * glib's poll, whose timeout is in ms, so a hold there would end up to 1 ms late (whenever
     * nothing else wakes the loop). The main loop's own timer list has ns precision.
     */
    if (q->dev->iothread) {
        return aio_timer_new(q->ctx, QEMU_CLOCK_REALTIME, SCALE_NS, cb, q);
    }
    return timer_new_ns(QEMU_CLOCK_REALTIME, cb, q);
}

static void virtio_xblk_device_realize(DeviceState *dev, Error **errp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtIOXBlk *s = VIRTIO_XBLK(dev);
    struct stat st;
    unsigned int i;

    if (!s->file || !*s->file) {
        error_setg(errp, "file property is required: the backing file of the disk");
        return;
    }
    if (s->block_size < 512 || s->block_size > 65536 || !is_power_of_2(s->block_size)) {
        error_setg(errp, "block-size must be a power of 2 between 512 and 65536, got %u",
                   s->block_size);
        return;
    }
    if (s->num_queues < 1 || s->num_queues > VIRTIO_XBLK_MAX_QUEUES) {
        error_setg(errp, "num-queues must be between 1 and %d, got %u",
                   VIRTIO_XBLK_MAX_QUEUES, s->num_queues);
        return;
    }
    if (s->queue_size < 4 || s->queue_size > VIRTQUEUE_MAX_SIZE || !is_power_of_2(s->queue_size)) {
        error_setg(errp, "queue-size must be a power of 2 between 4 and %d, got %u",
                   VIRTQUEUE_MAX_SIZE, s->queue_size);
        return;
    }
    if (s->max_segments < 1 || s->max_segments > s->queue_size - 2) {
        error_setg(errp, "max-segments must be between 1 and queue-size - 2 (%u), got %u",
                   s->queue_size - 2, s->max_segments);
        return;
    }
    if (s->max_blocks == 0) {
        s->max_blocks = MAX(1, VIRTIO_XBLK_DEFAULT_MAX_BYTES / s->block_size);
    }
    if ((uint64_t)s->max_blocks * s->block_size > 64 * MiB) {
        error_setg(errp, "max-blocks * block-size must be at most 64 MiB, got %u * %u",
                   s->max_blocks, s->block_size);
        return;
    }
    if (s->delay_ns > 10 * NANOSECONDS_PER_SECOND) {
        error_setg(errp, "delay-ns must be at most 10 s, got %" PRIu64, s->delay_ns);
        return;
    }
    if (s->notify_delay_ns > 10 * NANOSECONDS_PER_SECOND) {
        error_setg(errp, "notify-delay-ns must be at most 10 s, got %" PRIu64, s->notify_delay_ns);
        return;
    }
    if (!s->serial) {
        s->serial = g_strdup("vqscope-xblk");
    }
    if (s->iothread && !virtio_device_ioeventfd_enabled(vdev)) {
        error_setg(errp, "iothread requires ioeventfd=on");
        return;
    }

    s->fd = qemu_open(s->file, (s->read_only ? O_RDONLY : O_RDWR), errp);
    if (s->fd < 0) {
        error_prepend(errp, "virtio-xblk backing file: ");
        return;
    }
    if (fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        error_setg(errp, "virtio-xblk backing file '%s' is not a regular file", s->file);
        goto out_close;
    }
    s->capacity = st.st_size / s->block_size;
    if (s->capacity == 0) {
        error_setg(errp, "virtio-xblk backing file '%s' is smaller than one block (%u bytes)",
                   s->file, s->block_size);
        goto out_close;
    }
    if (st.st_size % s->block_size) {
        warn_report("virtio-xblk: the last %" PRIu64 " bytes of '%s' are not a whole block and "
                    "are not exposed", (uint64_t)(st.st_size % s->block_size), s->file);
    }

    virtio_init(vdev, VIRTIO_ID_XBLK, sizeof(struct virtio_xblk_config));
    for (i = 0; i < s->num_queues; i++) {
        VirtIOXBlkQueue *q = &s->queues[i];

        q->dev = s;
        q->index = i;
        q->vq = virtio_add_queue(vdev, s->queue_size, virtio_xblk_handle_output);
        q->ctx = s->iothread ? iothread_get_aio_context(s->iothread) : qemu_get_aio_context();
        q->delay_timer = virtio_xblk_queue_timer_new(q, virtio_xblk_delay_expired);
        QSIMPLEQ_INIT(&q->delayed);
        q->notify_timer = virtio_xblk_queue_timer_new(q, virtio_xblk_notify_hold_expired);
        q->notify_held = false;
    }
    if (s->iothread) {
        object_ref(OBJECT(s->iothread));
    }
    return;

out_close:
    qemu_close(s->fd);
    s->fd = -1;
}

static void virtio_xblk_device_unrealize(DeviceState *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtIOXBlk *s = VIRTIO_XBLK(dev);
    unsigned int i;

    virtio_xblk_reset(vdev);
    for (i = 0; i < s->num_queues; i++) {
        timer_free(s->queues[i].delay_timer);
        timer_free(s->queues[i].notify_timer);
        virtio_delete_queue(s->queues[i].vq);
    }
    virtio_cleanup(vdev);
    if (s->iothread) {
        object_unref(OBJECT(s->iothread));
    }
    qemu_close(s->fd);
    s->fd = -1;
}

static void virtio_xblk_instance_init(Object *obj)
{
    VirtIOXBlk *s = VIRTIO_XBLK(obj);

    s->fd = -1;
    object_property_add(obj, "requests-ok", "uint64", virtio_xblk_get_counter, NULL, NULL,
                        &s->requests_ok);
    object_property_add(obj, "requests-bad", "uint64", virtio_xblk_get_counter, NULL, NULL,
                        &s->requests_bad);
}

static const VMStateDescription vmstate_virtio_xblk = {
    .name = "virtio-xblk",
    .minimum_version_id = 1,
    .version_id = 1,
    .pre_save = virtio_xblk_pre_save,
    .fields = (const VMStateField[]) {
        VMSTATE_VIRTIO_DEVICE,
        VMSTATE_END_OF_LIST()
    },
};

static const Property virtio_xblk_properties[] = {
    DEFINE_PROP_STRING("file", VirtIOXBlk, file),
    DEFINE_PROP_UINT32("block-size", VirtIOXBlk, block_size, 4096),
    DEFINE_PROP_BOOL("read-only", VirtIOXBlk, read_only, false),
    DEFINE_PROP_UINT16("num-queues", VirtIOXBlk, num_queues, 1),
    DEFINE_PROP_UINT16("queue-size", VirtIOXBlk, queue_size, 256),
    DEFINE_PROP_UINT32("max-blocks", VirtIOXBlk, max_blocks, 0),
    DEFINE_PROP_UINT32("max-segments", VirtIOXBlk, max_segments, 126),
    DEFINE_PROP_UINT64("delay-ns", VirtIOXBlk, delay_ns, 0),
    DEFINE_PROP_UINT64("notify-delay-ns", VirtIOXBlk, notify_delay_ns, 0),
    DEFINE_PROP_STRING("serial", VirtIOXBlk, serial),
    DEFINE_PROP_LINK("iothread", VirtIOXBlk, iothread, TYPE_IOTHREAD, IOThread *),
};

static void virtio_xblk_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(klass);

    device_class_set_props(dc, virtio_xblk_properties);
    dc->vmsd = &vmstate_virtio_xblk;
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
    vdc->realize = virtio_xblk_device_realize;
    vdc->unrealize = virtio_xblk_device_unrealize;
    vdc->get_config = virtio_xblk_get_config;
    vdc->get_features = virtio_xblk_get_features;
    vdc->reset = virtio_xblk_reset;
    vdc->start_ioeventfd = virtio_xblk_start_ioeventfd;
    vdc->stop_ioeventfd = virtio_xblk_stop_ioeventfd;
}

static const TypeInfo virtio_xblk_info = {
    .name = TYPE_VIRTIO_XBLK,
    .parent = TYPE_VIRTIO_DEVICE,
    .instance_size = sizeof(VirtIOXBlk),
    .instance_init = virtio_xblk_instance_init,
    .class_init = virtio_xblk_class_init,
};

static void virtio_xblk_register_types(void)
{
    type_register_static(&virtio_xblk_info);
}

type_init(virtio_xblk_register_types)
