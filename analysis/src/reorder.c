// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bounded reorder buffer: a binary min-heap on (timestamp, arrival). See reorder.h for the choice.
 * Most events arrive in order: those that come at or after the latest in-order one wait in a FIFO (a
 * ring, sorted by construction) instead of the heap, and the next event out is the smaller of the
 * FIFO's head and the heap's top. The events held and the order they leave in are the heap's alone;
 * only the in-order ones skip its log(window) levels.
 */
#include "reorder.h"

#include <inttypes.h>
#include <stdlib.h>

/* The key is kept in the entry: comparing through event-> cost a cache miss per heap level. */
typedef struct {
    uint64_t timestamp_ns;  /* = event->timestamp_ns */
    uint64_t arrival;       /* ties: earlier in the input first */
    vq_event *event;        /* owned clone */
} heap_entry;

struct vq_reorder {
    vq_event_source source;
    heap_entry *heap;
    size_t count;             /* in the heap */
    heap_entry *run;          /* the FIFO of in-order events: a ring of WINDOW entries */
    size_t run_head, run_count;
    size_t window;
    uint64_t arrivals;
    vq_event *current;        /* released to the caller, freed on the next call */
    bool released_any;
    uint64_t last_released_ns;
    bool source_done;
    vq_status deferred_status; /* the source's error, returned once the heap is drained */
    vq_error deferred_error;
    uint64_t late_count;
    vq_error late;
};

static bool entry_before(const heap_entry *a, const heap_entry *b)
{
    if (a->timestamp_ns != b->timestamp_ns) {
        return a->timestamp_ns < b->timestamp_ns;
    }
    return a->arrival < b->arrival;
}

static void heap_push(vq_reorder *reorder, heap_entry entry)
{
    size_t index = reorder->count++;

    while (index > 0) {
        size_t parent = (index - 1) / 2;

        if (!entry_before(&entry, &reorder->heap[parent])) {
            break;
        }
        reorder->heap[index] = reorder->heap[parent];
        index = parent;
    }
    reorder->heap[index] = entry;
}

static heap_entry heap_pop(vq_reorder *reorder)
{
    heap_entry top = reorder->heap[0];
    heap_entry last = reorder->heap[--reorder->count];
    size_t index = 0;

    for (;;) {
        size_t child = 2 * index + 1;

        if (child >= reorder->count) {
            break;
        }
        if (child + 1 < reorder->count && entry_before(&reorder->heap[child + 1], &reorder->heap[child])) {
            child++;
        }
        if (!entry_before(&reorder->heap[child], &last)) {
            break;
        }
        reorder->heap[index] = reorder->heap[child];
        index = child;
    }
    if (reorder->count > 0) {
        reorder->heap[index] = last;
    }
    return top;
}

vq_status vq_reorder_create(vq_event_source source, size_t window, vq_reorder **out, vq_error *error)
{
    vq_status status = VQ_OK;
    vq_reorder *reorder = NULL;

    *out = NULL;
    if (window == 0) {
        status = VQ_ERR_USAGE;
        vq_error_set(error, "reorder window 0; expected at least 1 event");
        goto end;
    }
    reorder = calloc(1, sizeof(*reorder));
    if (!reorder || !(reorder->heap = calloc(window, sizeof(*reorder->heap))) ||
        !(reorder->run = calloc(window, sizeof(*reorder->run)))) {
        status = VQ_ERR_NOMEM;
        vq_error_set(error, "out of memory for a reorder window of %zu events", window);
        goto end;
    }
    reorder->source = source;
    reorder->window = window;
    *out = reorder;
    reorder = NULL;
end:
    vq_reorder_free(reorder);
    return status;
}

/* The FIFO's entry I (0: its head). */
static heap_entry *run_at(vq_reorder *reorder, size_t i)
{
    return &reorder->run[(reorder->run_head + i) % reorder->window];
}

/* Reads one event from the source into the FIFO or the heap. VQ_END / errors are kept for later. */
static vq_status pull_one(vq_reorder *reorder)
{
    vq_status status;
    vq_event event;
    heap_entry entry;

    status = reorder->source.next(reorder->source.source, &event, &reorder->deferred_error);
    if (status != VQ_OK) {
        reorder->source_done = true;
        reorder->deferred_status = status;
        goto end;
    }
    entry.event = vq_event_clone_keeping_names(&event, reorder->source.stable_names);
    if (!entry.event) {
        reorder->source_done = true;
        reorder->deferred_status = status = VQ_ERR_NOMEM;
        vq_error_set(&reorder->deferred_error, "%s: out of memory in the reorder buffer",
                     reorder->source.name);
        goto end;
    }
    entry.timestamp_ns = event.timestamp_ns;
    entry.arrival = reorder->arrivals++;
    if (reorder->released_any && event.timestamp_ns < reorder->last_released_ns) {
        if (reorder->late_count++ == 0) {
            char where[48] = "";

            if (reorder->source.position) {
                snprintf(where, sizeof(where), " (offset %" PRIu64 ")", *reorder->source.position);
            }
            vq_error_set(&reorder->late, "%s: event '%s'%s at %" PRIu64 " ns is %" PRIu64
                         " ns older than an event already output; expected disorder within the "
                         "reorder window of %zu events (raise it)", reorder->source.name, event.name,
                         where, event.timestamp_ns, reorder->last_released_ns - event.timestamp_ns,
                         reorder->window);
        }
    }
    if (reorder->run_count == 0 || entry.timestamp_ns >= run_at(reorder, reorder->run_count - 1)->timestamp_ns) {
        *run_at(reorder, reorder->run_count++) = entry;   /* in order: after every event of the FIFO */
    } else {
        heap_push(reorder, entry);
    }
end:
    return status;
}

/* The next event out: the smaller of the FIFO's head and the heap's top (one of them is held). */
static heap_entry take_first(vq_reorder *reorder)
{
    heap_entry first;

    if (reorder->run_count && (reorder->count == 0 || entry_before(run_at(reorder, 0), &reorder->heap[0]))) {
        first = *run_at(reorder, 0);
        reorder->run_head = (reorder->run_head + 1) % reorder->window;
        reorder->run_count--;
        return first;
    }
    return heap_pop(reorder);
}

vq_status vq_reorder_next(vq_reorder *reorder, vq_event *event, vq_error *error)
{
    vq_status status = VQ_OK;
    heap_entry top;

    vq_event_free(reorder->current);
    reorder->current = NULL;
    while (!reorder->source_done && reorder->count + reorder->run_count < reorder->window) {
        pull_one(reorder);
    }
    if (reorder->count + reorder->run_count == 0) {
        status = reorder->deferred_status;
        if (status != VQ_END && error) {
            *error = reorder->deferred_error;
        }
        goto end;
    }
    top = take_first(reorder);
    reorder->current = top.event;
    *event = *top.event;
    if (!reorder->released_any || top.event->timestamp_ns > reorder->last_released_ns) {
        reorder->last_released_ns = top.event->timestamp_ns;
    }
    reorder->released_any = true;
end:
    return status;
}

static vq_status source_next(void *reorder, vq_event *event, vq_error *error)
{
    return vq_reorder_next(reorder, event, error);
}

vq_event_source vq_reorder_source(vq_reorder *reorder)
{
    return (vq_event_source){ source_next, NULL, reorder, reorder->source.name, reorder->source.stable_names };
}

uint64_t vq_reorder_late_count(const vq_reorder *reorder)
{
    return reorder->late_count;
}

const char *vq_reorder_late_message(const vq_reorder *reorder)
{
    return reorder->late.message;
}

void vq_reorder_free(vq_reorder *reorder)
{
    if (!reorder) {
        return;
    }
    vq_event_free(reorder->current);
    while (reorder->count + reorder->run_count > 0) {
        vq_event_free(take_first(reorder).event);
    }
    free(reorder->heap);
    free(reorder->run);
    free(reorder);
}
