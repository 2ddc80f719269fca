// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Emission of a stitched request (session.h): what the reports print of the requests as a whole is
 * added up here, once per request, instead of read back from the rows (analysis/STREAMING.md, step 4).
 * The rows themselves are kept only when a load asks for them (vq_load_options: the exports, the
 * per-request tables, the compare's resamples). What is still counted by key over the whole session (the
 * requests each kick served, the notify exits a kick's rows share) and the application end's matching
 * keep a few bytes per request here instead.
 */
#include "session.h"

#include "containers.h"

#include <stdlib.h>
#include <string.h>

const char *const vq_hold_point_names[VQ_HOLD_POINTS] = {
    [VQ_HOLD_KICK] = "kick",
    [VQ_HOLD_SERVE] = "serve",
    [VQ_HOLD_NOTIFY] = "notify",
};

void vq_tally_add(vq_tally *tally, uint32_t value)
{
    size_t i;

    for (i = 0; i < tally->used && tally->value[i] != value; i++) {
    }
    if (i == tally->used && tally->used < VQ_TALLY_MAX) {
        tally->value[tally->used++] = value;
    }
    if (i < tally->used) {
        tally->count[i]++;
        tally->total++;
    }
}

size_t vq_tally_top(const vq_tally *tally)
{
    size_t top = VQ_TALLY_MAX, i;

    for (i = 0; i < tally->used; i++) {
        if (top == VQ_TALLY_MAX || tally->count[i] > tally->count[top]) {
            top = i;
        }
    }
    return top;
}

static vq_hold_point hold_point_of(const char *name)
{
    size_t p;

    for (p = 0; p < VQ_HOLD_POINTS && strcmp(vq_hold_point_names[p], name) != 0; p++) {
    }
    return (vq_hold_point)p;
}

/* The stage histograms, the holds and the batched / harvested counts. */
static bool add_stages(vq_emitted *emitted, const vq_request_row *row)
{
    size_t stage;

    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        if (row->has[stage] && !vq_hist_add_new(&emitted->stage[stage], row->stage[stage])) {
            return false;
        }
    }
    if (row->hold_at) {
        vq_hold_point point = hold_point_of(row->hold_at);

        if (point < VQ_HOLD_POINTS && !vq_hist_add_new(&emitted->hold[point], row->hold_ns)) {
            return false;
        }
    }
    emitted->batched += row->batched;
    emitted->harvested += row->harvested;
    return true;
}

/* Per queue and per guest CPU of the submit (those past the tables' sizes are not listed). */
static bool add_queue_and_cpu(vq_emitted *emitted, const vq_request_row *row)
{
    if (row->vq < VQ_GUEST_MAX_QUEUES) {
        vq_queue_accumulator *queue = &emitted->queue[row->vq];

        queue->stitched++;
        if (row->has[VQ_STAGE_TOTAL] && !vq_hist_add_new(&queue->total, row->stage[VQ_STAGE_TOTAL])) {
            return false;
        }
        vq_tally_add(&queue->irq_cpu, row->irq_cpu);
        if (row->vector != UINT32_MAX) {
            vq_tally_add(&queue->vector, row->vector);
        }
    }
    if (row->submit_cpu < VQ_GUEST_MAX_CPUS) {
        vq_cpu_accumulator *cpu = &emitted->cpu[row->submit_cpu];

        cpu->stitched++;
        cpu->irq_here += row->irq_cpu == row->submit_cpu;
        if ((row->has[VQ_STAGE_KICK_EXIT] && !vq_hist_add_new(&cpu->kick_exit, row->stage[VQ_STAGE_KICK_EXIT])) ||
            (row->has[VQ_STAGE_TOTAL] && !vq_hist_add_new(&cpu->total, row->stage[VQ_STAGE_TOTAL]))) {
            return false;
        }
        if (row->vcpu_tid) {
            cpu->exit_rows++;
            vq_tally_add(&cpu->exit_tid, row->vcpu_tid);
        }
    }
    return true;
}

/* kick -> device begin of the first request a notified kick led to: a request not batched whose kick
 * differs from the one emitted before it (kick ids are unique per kick). */
static bool add_kick_to_begin(vq_session *session, const vq_request_row *row)
{
    vq_emitted *emitted = &session->emitted;
    vq_kick_stats *kick = &session->kick;
    bool first_of_kick = !emitted->has_previous || emitted->previous_kick_id != row->kick_id;

    emitted->has_previous = true;
    emitted->previous_kick_id = row->kick_id;
    if (!row->batched && session->offset.usable && first_of_kick) {
        int64_t value = (int64_t)row->begin_host -
                        ((int64_t)row->kick_guest +
                         vq_clock_offset_at(vq_session_offset_of(session, row->kick_cpu), row->kick_guest));
        size_t bin = vq_log_bin(value, VQ_KICK_BINS_LOWEST_EXPONENT, VQ_KICK_BINS_PER_DECADE, VQ_KICK_BINS);

        if (bin == VQ_LOG_BELOW) {
            kick->kick_to_begin_below++;
        } else if (bin == VQ_KICK_BINS) {
            kick->kick_to_begin_above++;
        } else {
            kick->kick_to_begin_bins[bin]++;
        }
        return vq_hist_add_new(&kick->kick_to_begin, value);
    }
    return true;
}

/* Keeps ROW's stages while it may complete within the last VQ_RECENT_WINDOW_NS: when the buffer is full,
 * the entries already older than the latest completion less the window go first (they stay out). */
static bool add_recent(vq_emitted *emitted, const vq_request_row *row)
{
    vq_recent_request *entry;
    size_t stage, kept = 0, i;

    if (!row->complete_guest) {
        return true;
    }
    if (emitted->recent_count == emitted->recent_capacity) {
        for (i = 0; i < emitted->recent_count; i++) {
            if (emitted->last_complete_guest - emitted->recent[i].complete_guest < VQ_RECENT_WINDOW_NS) {
                emitted->recent[kept++] = emitted->recent[i];
            }
        }
        emitted->recent_count = kept;
    }
    entry = VQ_PUSH(emitted->recent, emitted->recent_count, emitted->recent_capacity);
    if (!entry) {
        return false;
    }
    *entry = (vq_recent_request){ .complete_guest = row->complete_guest };
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        if (row->has[stage]) {
            entry->has |= (uint16_t)(1u << stage);
            entry->stage[stage] = row->stage[stage];
        }
    }
    return true;
}

bool vq_session_add_served(vq_session *session, uint64_t rows)
{
    vq_emitted *emitted = &session->emitted;
    size_t i;

    if (!rows) {
        return true;
    }
    for (i = 0; i < emitted->served_count && emitted->served[i].requests < rows; i++) {
    }
    if (i == emitted->served_count || emitted->served[i].requests != rows) {
        vq_served_bin *added = VQ_PUSH(emitted->served, emitted->served_count, emitted->served_capacity);

        if (!added) {
            return false;
        }
        memmove(emitted->served + i + 1, emitted->served + i,
                (emitted->served_count - 1 - i) * sizeof(*emitted->served));
        emitted->served[i] = (vq_served_bin){ .requests = rows };
    }
    emitted->served[i].kicks++;
    return true;
}

/* The few bytes per request kept for later: its notify exit, its block, and what the application end's
 * matching reads of it (its kick is counted on the kick: stitch.c). */
static bool add_keyed(vq_emitted *emitted, const vq_request_row *row)
{
    vq_e2e_driver_row *driver = emitted->drivers_streamed ? &emitted->last_driver
                                : VQ_PUSH(emitted->drivers.rows, emitted->drivers.count, emitted->drivers.capacity);

    if (!driver) {
        return false;
    }
    emitted->has_last_driver = emitted->drivers_streamed;
    emitted->rows_with_kick += row->kick_id != 0;
    emitted->rows_without_kick += row->kick_id == 0;
    *driver = (vq_e2e_driver_row){
        .id = row->id, .submit = row->submit_guest, .complete = row->complete_guest,
        .host_start = row->exit_host ? row->exit_host : row->signal_host ? row->signal_host :
                      row->handler_host ? row->handler_host : row->begin_host,
        .host_end = row->inject_host ? row->inject_host : row->end_host };
    if (row->notify_exit_ns >= 0) {
        vq_row_notify_exit *exit = VQ_PUSH(emitted->notify_exits, emitted->notify_exit_count,
                                           emitted->notify_exit_capacity);

        if (!exit) {
            return false;
        }
        *exit = (vq_row_notify_exit){ row->exit_host, row->notify_exit_ns, row->block };
    }
    if (row->block) {   /* blocks are a few dozen, each one's requests in a run: looked up from the last */
        size_t b = emitted->block_count;

        while (b > 0 && emitted->blocks[b - 1].seq != row->block) {
            b--;
        }
        if (!b) {
            vq_block_requests *block = VQ_PUSH(emitted->blocks, emitted->block_count, emitted->block_capacity);

            if (!block) {
                return false;
            }
            *block = (vq_block_requests){ .seq = row->block };
            b = emitted->block_count;
        }
        emitted->blocks[b - 1].requests++;
    }
    return true;
}

vq_status vq_session_emit(vq_session *session, const vq_request_row *row)
{
    vq_emitted *emitted = &session->emitted;

    if (!emitted->has_previous) {   /* the first */
        emitted->first_submit_guest = UINT64_MAX;
        emitted->last_complete_guest = 0;
    }
    emitted->stitched++;
    if (row->submit_guest < emitted->first_submit_guest) {
        emitted->first_submit_guest = row->submit_guest;
    }
    if (row->complete_guest > emitted->last_complete_guest) {
        emitted->last_complete_guest = row->complete_guest;
    }
    if (!add_stages(emitted, row) || !add_queue_and_cpu(emitted, row) || !add_kick_to_begin(session, row) ||
        !add_recent(emitted, row) || !add_keyed(emitted, row)) {
        return VQ_ERR_NOMEM;
    }
    return VQ_OK;
}

vq_status vq_session_emit_app(vq_session *session, const vq_app_row *app)
{
    vq_emitted *emitted = &session->emitted;
    int64_t whole = app->stage[VQ_APP_TOTAL];
    size_t i;

    for (i = 0; app->matched && i < VQ_APP_STAGE_COUNT; i++) {
        if (app->has[i] && !vq_hist_add_new(&emitted->app_stage[i], app->stage[i])) {
            return VQ_ERR_NOMEM;
        }
    }
    if (!app->has_layers || whole <= 0) {
        return VQ_OK;
    }
    for (i = 0; i < VQ_LAYER_COUNT; i++) {
        if (!vq_hist_add_new(&emitted->layer_ns[i], app->layer[i]) ||
            !vq_hist_add_new(&emitted->layer_share_ppm[i], (int64_t)((double)app->layer[i] * 1e6 / (double)whole))) {
            return VQ_ERR_NOMEM;
        }
    }
    emitted->layer_rows++;
    emitted->layer_total_sum += (double)whole;
    return VQ_OK;
}

bool vq_session_emit_app_to(void *context, const vq_app_row *app)
{
    return vq_session_emit_app(context, app) == VQ_OK;
}

void vq_emitted_free(vq_emitted *emitted)
{
    size_t i;

    for (i = 0; i < VQ_APP_STAGE_COUNT; i++) {
        free(emitted->app_stage[i]);
    }
    for (i = 0; i < VQ_LAYER_COUNT; i++) {
        free(emitted->layer_ns[i]);
        free(emitted->layer_share_ppm[i]);
    }

    for (i = 0; i < VQ_STAGE_COUNT; i++) {
        free(emitted->stage[i]);
    }
    for (i = 0; i < VQ_HOLD_POINTS; i++) {
        free(emitted->hold[i]);
    }
    for (i = 0; i < VQ_GUEST_MAX_QUEUES; i++) {
        free(emitted->queue[i].total);
    }
    for (i = 0; i < VQ_GUEST_MAX_CPUS; i++) {
        free(emitted->cpu[i].kick_exit);
        free(emitted->cpu[i].total);
    }
    free(emitted->recent);
    free(emitted->served);
    free(emitted->notify_exits);
    free(emitted->blocks);
    free(emitted->drivers.rows);
    memset(emitted, 0, sizeof(*emitted));
}
