// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the pairings decide over the whole session before they pair (stream_align.h), gathered from the
 * streaming reads: the notified kicks' and the irqs' queues, each device's handler runs and queues'
 * addresses, the doorbell's page, the probe's injections.
 */
#include "stream_align.h"

#include <stdlib.h>
#include <string.h>

static bool known_address(const vq_stream_device *device, uint64_t address)
{
    size_t k;

    for (k = 0; k < device->addresses && device->address[k] != address; k++) {
    }
    return k < device->addresses;
}

uint32_t vq_stream_device_queue(const vq_stream_device *device, uint64_t address)
{
    size_t k;

    for (k = 0; device && k < device->addresses; k++) {
        if (device->address[k] == address) {
            return device->index[k];
        }
    }
    return VQ_NO_QUEUE;
}

bool vq_pairing_facts_take(vq_pairing_facts *facts, const vq_loader *load)
{
    size_t i, d;

    for (i = 0; i < load->kick_count; i++) {
        const vq_guest_kick *kick = &load->kicks[i];

        if (!kick->notified) {
            continue;
        }
        if (!facts->notified++) {
            facts->first_notified = kick->ts;
        }
        if (kick->vq < VQ_GUEST_MAX_QUEUES) {
            facts->kick_queues |= 1u << kick->vq;
        } else {
            facts->unnamed_kick_queue = true;
        }
    }
    for (i = 0; i < load->irq_count; i++) {
        if (load->irqs[i].vq < VQ_GUEST_MAX_QUEUES) {
            facts->irq_queues |= 1u << load->irqs[i].vq;
        } else {
            facts->unnamed_irq_queue = true;
        }
    }
    for (i = 0; i < load->handler_count; i++) {
        const vq_qemu_mark *run = &load->handlers[i];
        vq_stream_device *device = NULL;

        for (d = 0; d < facts->device_count && facts->devices[d].vdev != run->vdev; d++) {
        }
        if (d < facts->device_count) {
            device = &facts->devices[d];
        } else if (facts->device_count < VQ_STREAM_MAX_DEVICES) {
            device = &facts->devices[facts->device_count++];
            *device = (vq_stream_device){ .vdev = run->vdev, .first_handler = run->ts };
        } else {
            facts->too_many_devices = true;
            continue;
        }
        device->handlers++;
        device->unnamed_queue += run->queue >= VQ_GUEST_MAX_QUEUES;
        /* as vq_keep_device_events: the first VQ_GUEST_MAX_QUEUES addresses, 0 not one */
        if (run->vq && device->addresses < VQ_GUEST_MAX_QUEUES && !known_address(device, run->vq)) {
            device->address[device->addresses] = run->vq;
            device->index[device->addresses++] = run->queue;
        }
    }
    return !facts->too_many_devices;
}

const vq_stream_device *vq_pairing_facts_device(const vq_pairing_facts *facts)
{
    size_t d;

    for (d = 0; d < facts->device_count; d++) {
        if (facts->devices[d].vdev == facts->xblk_vdev) {
            return &facts->devices[d];
        }
    }
    return NULL;
}

/* The writes from absolute index *TAKEN on (a write still open stays held after a step). */
static bool take_writes(vq_pairing_facts *facts, const vq_loader *load, size_t *taken)
{
    size_t i, w;

    for (i = *taken - load->notify_base; i < load->notify_count; i++) {
        const vq_host_notify *notify = &load->notifies[i];
        vq_stream_doorbell *written;

        for (w = 0; w < facts->written_count && facts->written[w].gpa != notify->gpa; w++) {
        }
        if (w == facts->written_count) {
            written = VQ_PUSH(facts->written, facts->written_count, facts->written_capacity);
            if (!written) {
                return false;
            }
            *written = (vq_stream_doorbell){ .gpa = notify->gpa, .first = load->notify_base + i,
                                             .first_ts = vq_notify_time(notify) };
        }
        facts->written[w].writes++;
        facts->written[w].unnamed_queue += notify->queue >= VQ_GUEST_MAX_QUEUES;
    }
    *taken = load->notify_base + load->notify_count;
    facts->injections += load->injection_count;   /* each step's are released after it */
    facts->has_kvm = facts->has_kvm || load->session->has_kvm;
    return true;
}

/* As vq_keep_doorbell: the most written address (the lowest of equals), and every write to its page. */
static void choose_doorbell(vq_pairing_facts *facts)
{
    const vq_stream_doorbell *best = NULL;
    size_t first = SIZE_MAX, w;

    for (w = 0; w < facts->written_count; w++) {
        const vq_stream_doorbell *one = &facts->written[w];

        if (!best || one->writes > best->writes || (one->writes == best->writes && one->gpa < best->gpa)) {
            best = one;
        }
    }
    if (!best) {
        return;
    }
    facts->doorbell_page = best->gpa >> 12;
    for (w = 0; w < facts->written_count; w++) {
        const vq_stream_doorbell *one = &facts->written[w];

        if (one->gpa >> 12 == facts->doorbell_page) {
            facts->doorbell_writes += one->writes;
            facts->doorbell_unnamed_queue += one->unnamed_queue;
            if (one->first < first) {
                first = one->first;
                facts->first_doorbell = one->first_ts;
            }
        }
    }
}

/* The probe pass's time a step reads. */
#define DOORBELL_STEP_NS 1000000000ULL

vq_status vq_pairing_facts_doorbell(const char *directory, vq_pairing_facts *facts, vq_error *error)
{
    vq_loader *load = vq_stream_loader_new(directory, facts);
    vq_pass *probe = NULL;
    vq_status status;
    uint64_t limit = 0;
    size_t taken = 0;

    if (!load) {
        vq_error_set(error, "%s: out of memory", directory);
        return VQ_ERR_NOMEM;
    }
    status = vq_pass_open(load, &vq_probe_pass, &probe, error);
    while (status == VQ_OK) {
        bool ended = false;

        status = vq_pass_until(probe, limit, error);
        if (status == VQ_END) {
            ended = true;
            status = vq_pass_finish(probe, error);
        }
        if (status != VQ_OK) {
            break;
        }
        if (!take_writes(facts, load, &taken)) {
            vq_error_set(error, "%s: out of memory (doorbell)", directory);
            status = VQ_ERR_NOMEM;
            break;
        }
        vq_loader_release_probe_but_open(load);
        if (ended) {
            choose_doorbell(facts);
            break;
        }
        limit = vq_pass_next(probe) + DOORBELL_STEP_NS;
    }
    vq_pass_close(probe);
    vq_stream_loader_delete(load);
    return status;
}

void vq_pairing_facts_free(vq_pairing_facts *facts)
{
    free(facts->written);
    facts->written = NULL;
    facts->written_count = facts->written_capacity = 0;
}
