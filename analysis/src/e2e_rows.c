// SPDX-License-Identifier: GPL-2.0-or-later
/* End to end, second half: the matched requests as rows beside the driver's, and the coverage (e2e.h). */
#include "e2e.h"

#include "e2e_private.h"
#include "stats.h"

#include <stdlib.h>
#include <string.h>

static const char *const api_names[] = { "psync", "libaio", "io_uring" };

/* COUNT requests under REASON. */
static void count_reasons(vq_e2e *e2e, const char *reason, uint64_t count)
{
    size_t i;

    for (i = 0; i < e2e->reason_count; i++) {
        if (e2e->reasons[i].reason == reason) {
            e2e->reasons[i].count += count;
            return;
        }
    }
    if (e2e->reason_count < VQ_APP_MAX_REASONS) {
        e2e->reasons[e2e->reason_count].reason = reason;
        e2e->reasons[e2e->reason_count++].count = count;
    }
}

void vq_e2e_count_reason(vq_e2e *e2e, const char *reason)
{
    count_reasons(e2e, reason, 1);
}

/* Index of ROWS sorted by id, for lookups. */
typedef struct {
    uint64_t id;
    size_t row;
} id_row;

static int compare_id_row(const void *left, const void *right)
{
    const id_row *a = left, *b = right;

    return (a->id > b->id) - (a->id < b->id);
}

static void set_stage(vq_app_row *app, vq_app_stage stage, uint64_t from, uint64_t to)
{
    if (from && to) {
        app->has[stage] = true;
        app->stage[stage] = (int64_t)(to - from);
    }
}

static void fill_row(const app_settled *request, const vq_e2e_driver_row *driver, bool stock, vq_app_row *app)
{
    app->api = request->api < API_NONE ? api_names[request->api] : NULL;
    app->pid = request->pid;
    app->app_issue = request->app_issue;
    app->bio_queue = request->bio_queue;
    app->rq_issue = request->rq_issue;
    app->rq_complete = request->rq_complete;
    app->app_complete = request->app_complete;
    set_stage(app, VQ_APP_ISSUE_QUEUE, app->app_issue, app->bio_queue);
    set_stage(app, VQ_APP_QUEUE_ISSUE, app->bio_queue, app->rq_issue);
    if (!stock) {
        set_stage(app, VQ_APP_ISSUE_SUBMIT, app->rq_issue, driver->submit);
        set_stage(app, VQ_APP_COMPLETE_DONE, driver->complete, app->rq_complete);
    }
    set_stage(app, VQ_APP_DONE_REAP, app->rq_complete, app->app_complete);
    set_stage(app, VQ_APP_TOTAL, app->app_issue, app->app_complete);
    app->matched = app->app_issue && app->bio_queue && app->rq_issue && app->rq_complete && app->app_complete &&
                   driver->submit && driver->complete;
    if (app->matched && driver->host_start && driver->host_end) {
        int64_t span = (int64_t)(driver->complete - driver->submit);

        app->has_layers = true;
        app->layer[VQ_LAYER_HOST] = (int64_t)(driver->host_end - driver->host_start);
        app->layer[VQ_LAYER_VIRTIO] = span - app->layer[VQ_LAYER_HOST];
        app->layer[VQ_LAYER_GUEST_ABOVE] = app->stage[VQ_APP_TOTAL] - span;
    }
}

/* REASON counted for the settled request ORDER (vq_e2e_settle_one). */
static void settle_reason(vq_e2e *e2e, const char *reason, size_t order)
{
    size_t i;

    for (i = 0; i < e2e->settle_reason_count && e2e->settle_reasons[i].reason != reason; i++) {
    }
    if (i == e2e->settle_reason_count) {
        if (i == VQ_APP_MAX_REASONS) {
            return;
        }
        e2e->settle_reasons[e2e->settle_reason_count++].reason = reason;
        e2e->settle_reasons[i].first = order;
    }
    e2e->settle_reasons[i].count++;
    e2e->settle_reasons[i].first = order < e2e->settle_reasons[i].first ? order : e2e->settle_reasons[i].first;
}

void vq_e2e_settle_one(vq_e2e *e2e, const app_settled *request, size_t order, const vq_e2e_driver_row *driver,
                       vq_app_row *app)
{
    if (!driver) {
        settle_reason(e2e, "driver request not among the stitched rows", order);
        return;
    }
    fill_row(request, driver, e2e->stock, app);
    if (app->matched) {
        e2e->matched++;
        e2e->per_api[request->api < API_NONE ? request->api : 0]++;
        e2e->total_sum += (double)app->stage[VQ_APP_TOTAL];
    } else if (!request->done) {
        settle_reason(e2e, "no block_rq_complete after the driver's completion (the trace ended first?)", order);
    } else if (!request->reaped) {
        settle_reason(e2e, request->api != API_URING ? "never reaped by the application (the trace ended first?)" :
                           request->cqe ? "io_uring: no io_uring_enter of its task after its CQE (the last "
                                          "ones of a job are reaped without one)" :
                           "io_uring: no io_uring_complete of its request", order);
    } else {
        settle_reason(e2e, "the driver's submit or completion is missing from its row", order);
    }
}

void vq_e2e_coverage(vq_e2e *e2e, int64_t fio_ios, int64_t fio_mean_ns, vq_app_coverage *coverage)
{
    size_t done = 0, i, next;

    /* the settling's reasons after the matching's, in the order of the first request that gave each */
    while (done < e2e->settle_reason_count) {
        for (next = SIZE_MAX, i = 0; i < e2e->settle_reason_count; i++) {
            if (e2e->settle_reasons[i].count &&
                (next == SIZE_MAX || e2e->settle_reasons[i].first < e2e->settle_reasons[next].first)) {
                next = i;
            }
        }
        if (next == SIZE_MAX) {
            break;
        }
        count_reasons(e2e, e2e->settle_reasons[next].reason, e2e->settle_reasons[next].count);
        e2e->settle_reasons[next].count = 0;
        done++;
    }
    memset(coverage, 0, sizeof(*coverage));
    coverage->traced = e2e->seen_app;
    coverage->app_mean_ns = -1;
    coverage->fio_mean_ns = fio_mean_ns;
    coverage->bios = e2e->bios;
    coverage->matched = e2e->matched;
    memcpy(coverage->per_api, e2e->per_api, sizeof(coverage->per_api));
    coverage->ios = fio_ios >= 0 ? (uint64_t)fio_ios : coverage->bios;
    coverage->ios_from_fio = fio_ios >= 0;
    if (coverage->matched) {
        coverage->app_mean_ns = (int64_t)(e2e->total_sum / (double)coverage->matched + 0.5);
    }
    memcpy(coverage->unmatched, e2e->reasons, sizeof(e2e->reasons));
    coverage->unmatched_count = e2e->reason_count;
    if (e2e->clock_differences) {
        vq_summary clock = vq_hist_summary(e2e->clock_differences);

        coverage->clock_checks = clock.count;
        coverage->clock_median_abs_ns = (int64_t)clock.p50;
        coverage->clock_max_abs_ns = clock.max;
    }
}

bool vq_e2e_finish(vq_e2e *e2e, const vq_e2e_driver_row *rows, size_t row_count, vq_app_row *app,
                   int64_t fio_ios, int64_t fio_mean_ns, vq_app_coverage *coverage)
{
    id_row *index = calloc(row_count ? row_count : 1, sizeof(*index));
    size_t i;

    if (!index) {
        return false;
    }
    vq_e2e_settle(e2e);
    for (i = 0; i < row_count; i++) {
        index[i] = (id_row){ .id = rows[i].id, .row = i };
        memset(&app[i], 0, sizeof(app[i]));
    }
    qsort(index, row_count, sizeof(*index), compare_id_row);
    /* The requests submitted to the driver and not given up (the others were counted with their reason
     * when they were issued or given up), in the order they were made. */
    for (i = 0; i < e2e->settled_count; i++) {
        const app_settled *request = &e2e->settled_requests[i];
        id_row key = { .id = request->driver_id };
        const id_row *found = bsearch(&key, index, row_count, sizeof(*index), compare_id_row);

        vq_e2e_settle_one(e2e, request, i, found ? &rows[found->row] : NULL, found ? &app[found->row] : NULL);
    }
    vq_e2e_coverage(e2e, fio_ios, fio_mean_ns, coverage);
    free(index);
    return true;
}
