// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The application end read as a stream (e2e.h, vq_e2e_stream_*): the batch's matching (e2e.c) takes the
 * guest's events as they come, and each request is settled (vq_e2e_settle_one) as soon as it is final
 * (reaped, or given up) and the stitching has said whether it has a row, instead of every request kept to
 * the end; settled requests leave the window from its front. The figures are the batch's: the settling's
 * counts do not depend on the order, and its reasons are ordered by the first request that gave each.
 */
#include "e2e.h"

#include "e2e_private.h"

#include <stdlib.h>
#include <string.h>

/* The held row of the request at INDEX, taken out into *ROW. */
static bool take_held(vq_e2e *e2e, size_t index, vq_e2e_driver_row *row)
{
    size_t i;

    for (i = 0; i < e2e->held_count && e2e->held[i].request != index; i++) {
    }
    if (i == e2e->held_count) {
        return false;
    }
    *row = e2e->held[i].row;
    e2e->held[i] = e2e->held[--e2e->held_count];
    return true;
}

/* Settles REQUEST (at INDEX) with its row, when it has one (END: whatever it is now), to EMIT. */
static bool settle(vq_e2e *e2e, size_t index, app_request *request, vq_e2e_emit emit, void *context)
{
    app_settled settled = vq_e2e_settled_of(request);
    vq_e2e_driver_row row;
    vq_app_row app;

    request->settled = true;
    if (request->row != ROW_HELD || !take_held(e2e, index, &row)) {
        vq_e2e_settle_one(e2e, &settled, index, NULL, NULL);
        return true;
    }
    memset(&app, 0, sizeof(app));
    vq_e2e_settle_one(e2e, &settled, index, &row, &app);
    return emit(context, &app);
}

/* Settles REQUEST if it is final and its row known; one with nothing to settle (not submitted, given up)
 * is done once final. */
static bool try_settle(vq_e2e *e2e, size_t index, app_request *request, vq_e2e_emit emit, void *context)
{
    if (request->settled || (!request->reaped && !request->given_up)) {
        return true;
    }
    if (!request->submitted || request->given_up) {
        request->settled = true;
        return true;
    }
    return request->row == ROW_UNKNOWN || settle(e2e, index, request, emit, context);
}

bool vq_e2e_stream_row(vq_e2e *e2e, uint64_t id, const vq_e2e_driver_row *row, vq_e2e_emit emit, void *context)
{
    size_t index = vq_id_map_get(&e2e->by_driver_id, id);
    app_request *request = vq_e2e_request_at(e2e, index);
    struct held_row *held;

    if (!request || request->driver_id != id || request->row != ROW_UNKNOWN) {
        return true;   /* no request of the application's (or said already): its row has no application end */
    }
    if (!row) {
        request->row = ROW_NONE;
    } else {
        held = VQ_PUSH(e2e->held, e2e->held_count, e2e->held_capacity);
        if (!held) {
            return false;
        }
        *held = (struct held_row){ .request = index, .row = *row };
        request->row = ROW_HELD;
    }
    return try_settle(e2e, index, request, emit, context);
}

bool vq_e2e_stream_release(vq_e2e *e2e, vq_e2e_emit emit, void *context)
{
    uint64_t lowest = UINT64_MAX, released = 0;
    size_t gone = 0, i;

    for (i = 0; i < e2e->request_count; i++) {
        app_request *request = &e2e->requests[i];

        if (!try_settle(e2e, e2e->request_base + i, request, emit, context)) {
            return false;
        }
        if (gone == i && request->settled) {
            gone++;
            released = request->submitted && request->driver_id >= released ? request->driver_id + 1 : released;
        } else if (request->submitted && request->driver_id < lowest) {
            lowest = request->driver_id;
        }
    }
    if (!gone) {
        return true;
    }
    vq_drop_front(e2e->requests, &e2e->request_count, sizeof(*e2e->requests), gone);
    e2e->request_base += gone;
    /* the driver ids still looked up: those of the requests left, and the ones to come (the driver
     * numbers its requests in submit order: past every one released) */
    return vq_id_map_drop_below(&e2e->by_driver_id, lowest != UINT64_MAX ? lowest : released);
}

bool vq_e2e_stream_finish(vq_e2e *e2e, int64_t fio_ios, int64_t fio_mean_ns, vq_app_coverage *coverage,
                          vq_e2e_emit emit, void *context)
{
    size_t i;

    /* what is left settles as the batch settles it: every request submitted and not given up */
    for (i = 0; i < e2e->request_count; i++) {
        app_request *request = &e2e->requests[i];

        if (!request->settled && request->submitted && !request->given_up &&
            !settle(e2e, e2e->request_base + i, request, emit, context)) {
            return false;
        }
    }
    vq_e2e_coverage(e2e, fio_ios, fio_mean_ns, coverage);
    return true;
}
