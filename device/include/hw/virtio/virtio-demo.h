/*
 * virtio-demo: the guest sends two integers, the device returns their product and sum
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or (at your option) any later
 * version. See the COPYING file in the top-level directory.
 */

#ifndef QEMU_VIRTIO_DEMO_H
#define QEMU_VIRTIO_DEMO_H

#include "hw/virtio/virtio.h"
#include "standard-headers/linux/virtio_vqscope.h"

#define TYPE_VIRTIO_DEMO "virtio-demo-device"
OBJECT_DECLARE_SIMPLE_TYPE(VirtIODemo, VIRTIO_DEMO)

#define VIRTIO_DEMO_DEFAULT_QUEUE_SIZE 128

struct VirtIODemo {
    VirtIODevice parent_obj;

    VirtQueue *vq;
    uint16_t queue_size;        /* property "queue-size" */

    /* Counters, exposed as read-only QOM properties for tests and monitoring. */
    uint64_t requests_ok;
    uint64_t requests_bad;
};

#endif
