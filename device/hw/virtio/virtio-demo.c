/*
 * virtio-demo: the guest sends two integers, the device returns their product and sum.
 *
 * One virtqueue. A request is one descriptor chain: struct virtio_demo_req (device-readable) followed
 * by struct virtio_demo_resp (device-writable); see standard-headers/linux/virtio_vqscope.h. Requests
 * are served synchronously in the queue handler, so no element is ever in flight across a reset or a
 * migration.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or (at your option) any later
 * version. See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/iov.h"
#include "qemu/module.h"
#include "hw/qdev-properties.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-demo.h"
#include "migration/vmstate.h"
#include "standard-headers/linux/virtio_ids.h"
#include "trace.h"

/*
 * Answer a malformed request with VIRTIO_DEMO_S_BADREQ in the last device-writable byte, the same
 * convention as virtio-blk, so the driver learns what went wrong whatever the sizes were. A chain with
 * no writable byte at all can only be returned with used length 0.
 */
static void virtio_demo_reject(VirtIODemo *s, VirtQueueElement *elem, uint64_t id,
                               size_t out_len, size_t in_len)
{
    uint8_t status = VIRTIO_DEMO_S_BADREQ;
    unsigned int used = 0;

    if (in_len > 0) {
        iov_from_buf(elem->in_sg, elem->in_num, in_len - 1, &status, 1);
        used = 1;
    }
    trace_virtio_demo_req_bad(s, id, elem->index, out_len, in_len);
    s->requests_bad++;
    virtqueue_push(s->vq, elem, used);
}

static void virtio_demo_handle_request(VirtIODemo *s, VirtQueueElement *elem)
{
    struct virtio_demo_req req = { 0 };
    struct virtio_demo_resp resp = { 0 };
    size_t out_len = iov_size(elem->out_sg, elem->out_num);
    size_t in_len = iov_size(elem->in_sg, elem->in_num);
    uint64_t id = 0;
    int64_t a, b, product, sum;
    uint32_t flags = 0;

    /* The id is traced even for a malformed request when the driver sent enough bytes for it. */
    if (out_len >= sizeof(req.id)) {
        iov_to_buf(elem->out_sg, elem->out_num, 0, &req.id, sizeof(req.id));
        id = le64_to_cpu(req.id);
    }
    if (out_len != sizeof(req) || in_len != sizeof(resp)) {
        virtio_demo_reject(s, elem, id, out_len, in_len);
        return;
    }

    iov_to_buf(elem->out_sg, elem->out_num, 0, &req, sizeof(req));
    a = (int64_t)le64_to_cpu(req.a);
    b = (int64_t)le64_to_cpu(req.b);
    trace_virtio_demo_req_begin(s, id, elem->index, a, b);

    /* Results wrap modulo 2^64 (two's complement); the flags tell the guest when they did. */
    if (__builtin_mul_overflow(a, b, &product)) {
        flags |= VIRTIO_DEMO_RESP_F_PRODUCT_OVERFLOW;
    }
    if (__builtin_add_overflow(a, b, &sum)) {
        flags |= VIRTIO_DEMO_RESP_F_SUM_OVERFLOW;
    }

    resp.id = cpu_to_le64(id);
    resp.product = cpu_to_le64((uint64_t)product);
    resp.sum = cpu_to_le64((uint64_t)sum);
    resp.flags = cpu_to_le32(flags);
    resp.status = VIRTIO_DEMO_S_OK;
    iov_from_buf(elem->in_sg, elem->in_num, 0, &resp, sizeof(resp));

    trace_virtio_demo_req_end(s, id, elem->index, VIRTIO_DEMO_S_OK, flags);
    s->requests_ok++;
    virtqueue_push(s->vq, elem, sizeof(resp));
}

static void virtio_demo_handle_output(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIODemo *s = VIRTIO_DEMO(vdev);
    VirtQueueElement *elem;
    unsigned int served = 0;

    /* virtqueue_pop() itself rejects broken rings (loops, bad addresses) with virtio_error(). */
    while ((elem = virtqueue_pop(vq, sizeof(VirtQueueElement)))) {
        virtio_demo_handle_request(s, elem);
        g_free(elem);
        served++;
    }
    trace_virtio_demo_notify(s, served);
    if (served) {
        virtio_notify(vdev, vq);
    }
}

static uint64_t virtio_demo_get_features(VirtIODevice *vdev, uint64_t features,
                                         Error **errp)
{
    /* No device-specific feature bits. */
    return features;
}

static void virtio_demo_get_counter(Object *obj, Visitor *v, const char *name,
                                    void *opaque, Error **errp)
{
    uint64_t value = *(uint64_t *)opaque;

    visit_type_uint64(v, name, &value, errp);
}

static void virtio_demo_device_realize(DeviceState *dev, Error **errp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtIODemo *s = VIRTIO_DEMO(dev);

    if (s->queue_size < 2 || s->queue_size > VIRTQUEUE_MAX_SIZE ||
        !is_power_of_2(s->queue_size)) {
        error_setg(errp, "queue-size property must be a power of 2 between 2 and %d, got %u",
                   VIRTQUEUE_MAX_SIZE, s->queue_size);
        return;
    }

    virtio_init(vdev, VIRTIO_ID_DEMO, 0);
    s->vq = virtio_add_queue(vdev, s->queue_size, virtio_demo_handle_output);
}

static void virtio_demo_device_unrealize(DeviceState *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtIODemo *s = VIRTIO_DEMO(dev);

    virtio_delete_queue(s->vq);
    virtio_cleanup(vdev);
}

static void virtio_demo_instance_init(Object *obj)
{
    VirtIODemo *s = VIRTIO_DEMO(obj);

    object_property_add(obj, "requests-ok", "uint64", virtio_demo_get_counter,
                        NULL, NULL, &s->requests_ok);
    object_property_add(obj, "requests-bad", "uint64", virtio_demo_get_counter,
                        NULL, NULL, &s->requests_bad);
}

static const VMStateDescription vmstate_virtio_demo = {
    .name = "virtio-demo",
    .minimum_version_id = 1,
    .version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_VIRTIO_DEVICE,
        VMSTATE_END_OF_LIST()
    },
};

static const Property virtio_demo_properties[] = {
    DEFINE_PROP_UINT16("queue-size", VirtIODemo, queue_size,
                       VIRTIO_DEMO_DEFAULT_QUEUE_SIZE),
};

static void virtio_demo_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(klass);

    device_class_set_props(dc, virtio_demo_properties);
    dc->vmsd = &vmstate_virtio_demo;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    vdc->realize = virtio_demo_device_realize;
    vdc->unrealize = virtio_demo_device_unrealize;
    vdc->get_features = virtio_demo_get_features;
}

static const TypeInfo virtio_demo_info = {
    .name = TYPE_VIRTIO_DEMO,
    .parent = TYPE_VIRTIO_DEVICE,
    .instance_size = sizeof(VirtIODemo),
    .instance_init = virtio_demo_instance_init,
    .class_init = virtio_demo_class_init,
};

static void virtio_demo_register_types(void)
{
    type_register_static(&virtio_demo_info);
}

type_init(virtio_demo_register_types)
