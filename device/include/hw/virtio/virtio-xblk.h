/*
 * virtio-xblk: a disk addressed by block number, backed by a host file
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or (at your option) any later
 * version. See the COPYING file in the top-level directory.
 */

#ifndef QEMU_VIRTIO_XBLK_H
#define QEMU_VIRTIO_XBLK_H

#include "hw/virtio/virtio.h"
#include "qemu/queue.h"
#include "system/iothread.h"
#include "standard-headers/linux/virtio_vqscope.h"

#define TYPE_VIRTIO_XBLK "virtio-xblk-device"
OBJECT_DECLARE_SIMPLE_TYPE(VirtIOXBlk, VIRTIO_XBLK)

#define VIRTIO_XBLK_MAX_QUEUES 16

/* A request popped from a virtqueue. elem must stay first: virtqueue_pop() allocates the whole. */
typedef struct VirtIOXBlkReq {
    VirtQueueElement elem;
    uint64_t id;                /* the guest driver's request id (0 when the header is unreadable) */
    size_t in_len;              /* device-writable bytes, status byte included */
    uint8_t status;
    bool held;                  /* served, then held back by delay-ns: its push traces the hold */
    int64_t hold_start_ns;      /* QEMU_CLOCK_REALTIME; when delay-ns began to hold it (if held) */
    int64_t deadline_ns;        /* QEMU_CLOCK_REALTIME; when delay-ns has elapsed (if held) */
    QSIMPLEQ_ENTRY(VirtIOXBlkReq) next;
} VirtIOXBlkReq;

/* One request virtqueue and what is served in its AioContext. */
typedef struct VirtIOXBlkQueue {
    struct VirtIOXBlk *dev;
    VirtQueue *vq;
    unsigned int index;
    AioContext *ctx;            /* the iothread's, or the main loop's */
    QEMUTimer *delay_timer;     /* completes delayed requests; lives in ctx */
    /* Requests served but held back by delay-ns, in deadline order (the delay is constant). */
    QSIMPLEQ_HEAD(, VirtIOXBlkReq) delayed;
    /*
     * notify-delay-ns: pushed requests whose interrupt is held. One hold at a time per queue; pushes
     * made while it is pending ride it, so each notify follows its hold's start by notify-delay-ns.
     */
    QEMUTimer *notify_timer;    /* ends the notify hold; lives in ctx */
    bool notify_held;
    int64_t notify_hold_start_ns;   /* QEMU_CLOCK_REALTIME; valid while notify_held */
} VirtIOXBlkQueue;

struct VirtIOXBlk {
    VirtIODevice parent_obj;

    /* properties */
    char *file;
    uint32_t block_size;
    bool read_only;
    uint16_t num_queues;
    uint16_t queue_size;
    uint32_t max_blocks;
    uint32_t max_segments;
    uint64_t delay_ns;
    uint64_t notify_delay_ns;
    char *serial;
    IOThread *iothread;

    int fd;                     /* the backing file */
    uint64_t capacity;          /* in blocks */
    VirtIOXBlkQueue queues[VIRTIO_XBLK_MAX_QUEUES];

    bool ioeventfd_started;
    bool ioeventfd_starting;
    bool ioeventfd_stopping;
    bool ioeventfd_disabled;    /* start failed: serve from the main loop */

    /* Counters, read-only QOM properties (tests, monitoring). Only an approximation while running. */
    uint64_t requests_ok;
    uint64_t requests_bad;
};

#endif
