// SPDX-License-Identifier: GPL-2.0-or-later
/* What vqscope-top shows of a session, and its text (top_view.h). */
#include "top_view.h"

#include "histogram.h"
#include "report_format.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Each stage over the requests of the last second, in one scratch histogram (~84 KB: one, not one per
 * stage): those the session kept as recent (session.h, VQ_RECENT_WINDOW_NS) that completed within the
 * second before its latest completion. */
static void build_last_second(const vq_session *session, vq_top_view *out, vq_hist *scratch)
{
    const vq_emitted *emitted = &session->emitted;
    size_t i, stage;

    out->latest_complete_guest = emitted->stitched ? emitted->last_complete_guest : 0;
    for (i = 0; i < emitted->recent_count; i++) {
        out->last_second_requests += out->latest_complete_guest - emitted->recent[i].complete_guest <
                                     VQ_TOP_WINDOW_NS;
    }
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        vq_hist_clear(scratch);
        for (i = 0; i < emitted->recent_count; i++) {
            const vq_recent_request *recent = &emitted->recent[i];

            if ((recent->has & (1u << stage)) &&
                out->latest_complete_guest - recent->complete_guest < VQ_TOP_WINDOW_NS) {
                vq_hist_add(scratch, recent->stage[stage]);
            }
        }
        out->last_second[stage] = vq_hist_summary(scratch);
        out->since_start[stage] = vq_session_stage_summary(session, (vq_stage)stage);
    }
}

/* The most frequent exit reasons, as the report's exit table counts them (per request: exits during the
 * workload / stitched requests). False when out of memory. */
static bool build_exits(const vq_session *session, vq_top_view *out)
{
    vq_exit_reason *sorted = vq_sorted_exits(session);
    size_t i;

    if (!sorted) {
        return false;
    }
    for (i = 0; i < session->exit_reason_count && i < VQ_TOP_EXITS; i++) {
        vq_top_exit *exit = &out->exits[out->exit_count++];

        vq_exit_label(exit->label, sizeof(exit->label), &sorted[i]);
        exit->total = sorted[i].total;
        exit->per_request = session->emitted.stitched ? (double)sorted[i].in_window / (double)session->emitted.stitched
                                                        : 0.0;
    }
    free(sorted);
    return true;
}

vq_status vq_top_view_build(const vq_session *session, vq_top_view *out, vq_error *error)
{
    vq_hist *scratch = malloc(sizeof(*scratch));
    vq_status status = VQ_OK;

    memset(out, 0, sizeof(*out));
    if (!scratch || !build_exits(session, out)) {
        vq_error_set(error, "%s: out of memory for the top view", vq_session_name(session));
        status = VQ_ERR_NOMEM;
        goto end;
    }
    snprintf(out->name, sizeof(out->name), "%s", vq_session_name(session));
    snprintf(out->status, sizeof(out->status), "%s", session->status);
    snprintf(out->mode, sizeof(out->mode), "%s", session->mode);
    snprintf(out->device, sizeof(out->device), "%s", session->device);
    snprintf(out->ioeventfd, sizeof(out->ioeventfd), "%s", session->ioeventfd);
    snprintf(out->level, sizeof(out->level), "%s", session->level);
    out->stock = session->stock;
    out->guest_requests = session->guest_requests;
    out->stitched = session->emitted.stitched;
    out->unmatched = session->unmatched_count;
    build_last_second(session, out, scratch);
    out->kicks = session->kick.kicks;
    out->notified = session->kick.notified;
    out->suppressed = session->kick.suppressed;
    out->has_kvm = session->has_kvm;
    out->probe_drops = session->probe_drops;
    out->warning_count = session->warning_count;
end:
    free(scratch);
    return status;
}

/* One line of the view, cut to WIDTH columns (the screen's; <= 0: whole). */
static void __attribute__((format(printf, 3, 4))) line(FILE *out, int width, const char *format, ...)
{
    char text[VQ_TOP_NAME_MAX + 128];
    va_list arguments;

    va_start(arguments, format);
    vsnprintf(text, sizeof(text), format, arguments);
    va_end(arguments);
    if (width > 0 && strlen(text) > (size_t)width) {
        text[width] = '\0';
    }
    fprintf(out, "%s\n", text);
}

/* "count p50 p99" of one summary (us), "-" for the percentiles of an empty one. */
static void stage_cells(char *buffer, size_t size, const vq_summary *s)
{
    if (s->count == 0 || isnan(s->p50)) {
        snprintf(buffer, size, "%8zu %10s %10s", s->count, "-", "-");
    } else {
        snprintf(buffer, size, "%8zu %10.1f %10.1f", s->count, vq_us(s->p50), vq_us(s->p99));
    }
}

static void render_stages(const vq_top_view *view, FILE *out, int width)
{
    size_t stage;

    line(out, width, "%-17s %30s  %30s", "", "--------- last second --------", "--------- since start --------");
    line(out, width, "%-17s %8s %10s %10s  %8s %10s %10s", "stages (us)", "count", "p50", "p99", "count", "p50",
         "p99");
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        char last[64], all[64];

        stage_cells(last, sizeof(last), &view->last_second[stage]);
        stage_cells(all, sizeof(all), &view->since_start[stage]);
        line(out, width, "  %-15s %s  %s", vq_stage_names[stage], last, all);
    }
}

static void render_kicks_and_exits(const vq_top_view *view, FILE *out, int width)
{
    size_t i;

    if (view->stock) {
        line(out, width, "kicks: %" PRIu64 " notified (stock virtio-blk: suppressed kicks are not traced)",
             view->notified);
    } else {
        line(out, width, "kicks: %" PRIu64 " (%" PRIu64 " notified, %" PRIu64 " suppressed: %.1f%%)", view->kicks,
             view->notified, view->suppressed,
             view->kicks ? 100.0 * (double)view->suppressed / (double)view->kicks : 0.0);
    }
    if (view->exit_count == 0) {
        line(out, width, "VM exits: none recorded%s", view->has_kvm ? "" : " (no KVM events: TCG?)");
        return;
    }
    line(out, width, "%-30s %10s %12s", "VM exits (most frequent)", "total", "per request");
    for (i = 0; i < view->exit_count; i++) {
        line(out, width, "  %-28s %10" PRIu64 " %12.3f", view->exits[i].label, view->exits[i].total,
             view->exits[i].per_request);
    }
}

void vq_top_view_render(const vq_top_view *view, FILE *out, int width)
{
    if (view->status[0]) {
        line(out, width, "session %s (%s)", view->name, view->status);
    } else {
        line(out, width, "session %s", view->name);
    }
    line(out, width, "  mode %s, device %s, ioeventfd %s, level %s", view->mode, view->device, view->ioeventfd,
         view->level);
    line(out, width, "requests: %" PRIu64 " stitched (%" PRIu64 " in the guest trace, %zu unmatched)", view->stitched,
         view->guest_requests, view->unmatched);
    if (view->latest_complete_guest) {
        line(out, width, "last second: %zu requests/s (to the latest completion, guest time %.3f s)",
             view->last_second_requests, (double)view->latest_complete_guest / 1e9);
    } else {
        line(out, width, "last second: no request completed yet");
    }
    line(out, width, "%s", "");
    render_stages(view, out, width);
    line(out, width, "%s", "");
    render_kicks_and_exits(view, out, width);
    line(out, width, "%s", "");
    line(out, width, "probe drops %" PRIu64 ", warnings %zu%s", view->probe_drops, view->warning_count,
         view->warning_count ? " (vqscope-analyze SESSION lists them)" : "");
}
