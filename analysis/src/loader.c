// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the loader's passes share: an event's numeric argument by name, the reorder-buffered reading of a
 * source in steps (QEMU and probe streams are not in timestamp order), and freeing the loader.
 */
#include "loader.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

bool vq_event_arg(const vq_event *event, const char *name, uint64_t *value)
{
    size_t i;

    for (i = 0; i < event->arg_count; i++) {
        if (strcmp(event->args[i].name, name) == 0 && event->args[i].type != VQ_ARG_STRING) {
            *value = event->args[i].value;
            return true;
        }
    }
    return false;
}

vq_status vq_sorted_open(vq_sorted_cursor *cursor, vq_event_source source, vq_error *error)
{
    *cursor = (vq_sorted_cursor){ 0 };
    return vq_reorder_create(source, VQ_REORDER_DEFAULT_WINDOW, &cursor->reorder, error);
}

vq_status vq_sorted_until(vq_loader *load, vq_sorted_cursor *cursor, uint64_t limit, uint64_t *next,
                          vq_status (*take)(vq_loader *, const vq_event *), vq_error *error)
{
    vq_status status;

    for (;;) {
        if (!cursor->held) {
            status = vq_reorder_next(cursor->reorder, &cursor->event, error);
            if (status != VQ_OK) {
                return status;   /* VQ_END, or the source's error */
            }
        }
        if (cursor->event.timestamp_ns > limit) {
            cursor->held = true;   /* valid until the reorder buffer's next call: the next step's */
            *next = cursor->event.timestamp_ns;
            return VQ_OK;
        }
        cursor->held = false;
        if (take(load, &cursor->event) != VQ_OK) {
            vq_error_set(error, "%s: out of memory", vq_reorder_source(cursor->reorder).name);
            return VQ_ERR_NOMEM;
        }
    }
}

void vq_sorted_finish(vq_loader *load, const vq_sorted_cursor *cursor)
{
    if (vq_reorder_late_count(cursor->reorder)) {
        vq_session_warn(load->session, "%s: %" PRIu64 " events older than the reorder window allows: %s",
                        vq_reorder_source(cursor->reorder).name, vq_reorder_late_count(cursor->reorder),
                        vq_reorder_late_message(cursor->reorder));
    }
}

void vq_sorted_close(vq_sorted_cursor *cursor)
{
    vq_reorder_free(cursor->reorder);
    *cursor = (vq_sorted_cursor){ 0 };
}

void vq_kind_reset(vq_kind_cache *cache, bool stable)
{
    memset(cache, 0, sizeof(*cache));
    cache->stable = stable;
}

int vq_kind_of(vq_kind_cache *cache, const char *name, int (*kind)(const char *name))
{
    size_t slot;

    if (!cache->stable) {
        return kind(name);
    }
    slot = ((uintptr_t)name >> 3) % VQ_KIND_SLOTS;
    while (cache->names[slot] && cache->names[slot] != name) {
        slot = (slot + 1) % VQ_KIND_SLOTS;
    }
    if (!cache->names[slot]) {
        if (cache->count + 1 >= VQ_KIND_SLOTS) {   /* more names than a trace has: no more keeping */
            return kind(name);
        }
        cache->names[slot] = name;
        cache->kinds[slot] = kind(name);
        cache->count++;
    }
    return cache->kinds[slot];
}

bool vq_in_windows(const vq_window *windows, size_t count, uint64_t ts)
{
    size_t low = 0, high = count;

    while (low < high) {   /* the first window that ends at or after TS */
        size_t middle = low + (high - low) / 2;

        if (windows[middle].end < ts) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low < count && windows[low].start <= ts;
}

/* How many of a window [BASE, BASE + COUNT) lie before absolute index BEFORE. */
static size_t before_in(size_t base, size_t count, size_t before)
{
    return before <= base ? 0 : before - base < count ? before - base : count;
}

/* A window (ARRAY of COUNT records of SIZE bytes from absolute index BASE) without its records before
 * absolute index BEFORE. */
static void slide(void *array, size_t *count, size_t *base, size_t size, size_t before)
{
    size_t gone = before_in(*base, *count, before);

    vq_drop_front(array, count, size, gone);
    *base += gone;
}

/* The id below which MAP may forget, when the first GONE of COUNT records (SIZE bytes each, their u64 id
 * at ID_FIELD) leave: the smallest id kept, or when none is, past the largest released (the map's run
 * slides on); false when out of memory. */
static bool forget_released_ids(vq_id_map *map, const void *records, size_t count, size_t size, size_t id_field,
                                size_t gone)
{
    uint64_t floor = UINT64_MAX, id;
    size_t i;

    for (i = gone; i < count; i++) {
        memcpy(&id, (const char *)records + i * size + id_field, sizeof(id));
        floor = id < floor ? id : floor;
    }
    if (gone == count && gone) {
        for (floor = 0, i = 0; i < gone; i++) {
            memcpy(&id, (const char *)records + i * size + id_field, sizeof(id));
            floor = id + 1 > floor ? id + 1 : floor;
        }
    }
    return floor == UINT64_MAX || vq_id_map_drop_below(map, floor);
}

bool vq_loader_release_guest(vq_loader *load, size_t requests, size_t kicks, size_t irqs)
{
    size_t gone = before_in(load->request_base, load->request_count, requests);

    if (load->stock || !forget_released_ids(&load->guest_ids, load->requests, load->request_count,
                                            sizeof(*load->requests), offsetof(vq_guest_request, id), gone)) {
        return false;
    }
    slide(load->requests, &load->request_count, &load->request_base, sizeof(*load->requests), requests);
    slide(load->kicks, &load->kick_count, &load->kick_base, sizeof(*load->kicks), kicks);
    slide(load->irqs, &load->irq_count, &load->irq_base, sizeof(*load->irqs), irqs);
    return true;
}

bool vq_loader_release_qemu(vq_loader *load, size_t qemu_requests, size_t handlers, size_t device_notifies)
{
    size_t gone = before_in(load->qemu_request_base, load->qemu_request_count, qemu_requests);

    if (load->stock || !forget_released_ids(&load->qemu_ids, load->qemu_requests, load->qemu_request_count,
                                            sizeof(*load->qemu_requests), offsetof(vq_qemu_request, id), gone)) {
        return false;
    }
    slide(load->qemu_requests, &load->qemu_request_count, &load->qemu_request_base, sizeof(*load->qemu_requests),
          qemu_requests);
    slide(load->handlers, &load->handler_count, &load->handler_base, sizeof(*load->handlers), handlers);
    slide(load->device_notifies, &load->device_notify_count, &load->device_notify_base,
          sizeof(*load->device_notifies), device_notifies);
    return true;
}

void vq_loader_release_probe(vq_loader *load, size_t exits, size_t notifies, size_t injections, size_t virqs)
{
    slide(load->exits, &load->exit_count, &load->exit_base, sizeof(*load->exits), exits);
    slide(load->notifies, &load->notify_count, &load->notify_base, sizeof(*load->notifies), notifies);
    slide(load->injections, &load->injection_count, &load->injection_base, sizeof(*load->injections), injections);
    slide(load->virqs, &load->virq_count, &load->virq_base, sizeof(*load->virqs), virqs);
}

void vq_loader_release_holds(vq_loader *load, size_t count)
{
    vq_drop_front(load->notify_holds, &load->notify_hold_count, sizeof(*load->notify_holds),
                  count < load->notify_hold_count ? count : load->notify_hold_count);
}

/* The smallest absolute index of an exit a vCPU thread is still in (past the exits held: none). */
static size_t first_open_exit(const vq_loader *load)
{
    size_t open = load->exit_base + load->exit_count, t;

    for (t = 0; t < load->thread_count; t++) {
        if (load->threads[t].in_exit && load->threads[t].exit < open) {
            open = load->threads[t].exit;
        }
    }
    return open;
}

/* The smallest absolute index of a doorbell write still waiting for its signal (none: past the held). */
static size_t first_open_notify(const vq_loader *load)
{
    size_t open = load->notify_base + load->notify_count, t;

    for (t = 0; t < load->thread_count; t++) {
        if (load->threads[t].open_notify != VQ_NO_INDEX && load->threads[t].open_notify < open) {
            open = load->threads[t].open_notify;
        }
    }
    return open;
}

size_t vq_loader_exits_before(const vq_loader *load, uint64_t before)
{
    size_t exits = 0, open_exit = first_open_exit(load);

    while (exits < load->exit_count && load->exits[exits].ts < before && load->exit_base + exits < open_exit) {
        exits++;
    }
    return exits;
}

void vq_loader_release_probe_before(vq_loader *load, uint64_t before)
{
    size_t exits = vq_loader_exits_before(load, before), notifies = 0, open_notify = first_open_notify(load);

    while (notifies < load->notify_count && vq_notify_time(&load->notifies[notifies]) < before &&
           load->notify_base + notifies < open_notify) {
        notifies++;
    }
    vq_loader_release_probe(load, load->exit_base + exits, load->notify_base + notifies,
                            load->injection_base + load->injection_count, load->virq_base + load->virq_count);
    load->sched.slice_count = 0;
    load->sched.wakeup_count = 0;
}

void vq_loader_release_probe_but_open(vq_loader *load)
{
    vq_loader_release_probe_before(load, UINT64_MAX);
}

uint64_t vq_loader_notify_floor(const vq_loader *load, uint64_t next)
{
    const vq_host_exit *open = vq_exit_at(load, first_open_exit(load));

    return open && open->ts < next ? open->ts : next;
}

void vq_loader_fit(vq_loader *load)
{
    VQ_FIT(load->requests, load->request_count, load->request_capacity);
    VQ_FIT(load->kicks, load->kick_count, load->kick_capacity);
    VQ_FIT(load->irqs, load->irq_count, load->irq_capacity);
    VQ_FIT(load->notifies, load->notify_count, load->notify_capacity);
    VQ_FIT(load->handlers, load->handler_count, load->handler_capacity);
    VQ_FIT(load->device_notifies, load->device_notify_count, load->device_notify_capacity);
    VQ_FIT(load->qemu_requests, load->qemu_request_count, load->qemu_request_capacity);
    VQ_FIT(load->injections, load->injection_count, load->injection_capacity);
    VQ_FIT(load->virqs, load->virq_count, load->virq_capacity);
    VQ_FIT(load->exits, load->exit_count, load->exit_capacity);
    VQ_FIT(load->sched.slices, load->sched.slice_count, load->sched.slice_capacity);
    VQ_FIT(load->sched.wakeups, load->sched.wakeup_count, load->sched.wakeup_capacity);
    vq_id_map_fit(&load->qemu_ids);
    vq_e2e_settle(load->e2e);
}

void vq_loader_release_stitched(vq_loader *load)
{
    vq_id_map_free(&load->guest_ids);
    vq_id_map_free(&load->qemu_ids);
    vq_id_map_free(&load->stock_tail);
    vq_id_map_free(&load->stock_complete_head);
    vq_id_map_free(&load->stock_qemu_head);
    vq_id_map_free(&load->stock_req);
    free(load->requests);
    free(load->kicks);
    free(load->irqs);
    free(load->notifies);
    free(load->handlers);
    free(load->device_notifies);
    free(load->qemu_requests);
    free(load->virqs);
    free(load->constraints);
    free(load->notify_holds);
    load->requests = NULL;
    load->kicks = NULL;
    load->irqs = NULL;
    load->notifies = NULL;
    load->handlers = load->device_notifies = NULL;
    load->qemu_requests = NULL;
    load->virqs = NULL;
    load->constraints = NULL;
    load->notify_holds = NULL;
    load->request_count = load->request_capacity = load->kick_count = load->kick_capacity = 0;
    load->irq_count = load->irq_capacity = load->notify_count = load->notify_capacity = 0;
    load->handler_count = load->handler_capacity = load->device_notify_count = load->device_notify_capacity = 0;
    load->qemu_request_count = load->qemu_request_capacity = load->virq_count = load->virq_capacity = 0;
    load->constraint_count = load->notify_hold_count = load->notify_hold_capacity = 0;
}

void vq_loader_free(vq_loader *load)
{
    vq_loader_release_stitched(load);
    free(load->blocks);
    vq_id_map_free(&load->sched.thread_index);
    free(load->sched.threads);
    free(load->sched.slices);
    free(load->sched.wakeups);
    free(load->injections);
    free(load->exits);
    free(load->device_injections);
    vq_e2e_free(load->e2e);
}
