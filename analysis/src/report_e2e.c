// SPDX-License-Identifier: GPL-2.0-or-later
/* The end-to-end part of the report (report_e2e.h). */
#include "report_e2e.h"

#include "report_format.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

const char *const vq_layer_keys[VQ_LAYER_COUNT] = {
    [VQ_LAYER_GUEST_ABOVE] = "guest_above_driver",
    [VQ_LAYER_VIRTIO] = "virtio",
    [VQ_LAYER_HOST] = "host",
};

/* A layer over the rows that have layers: its ns values and its per-request shares (ppm of the total). */
typedef struct {
    int64_t *ns, *share_ppm;
    size_t count;
    double total_mean;          /* mean end-to-end total over the same rows */
} layer_values;

static bool layer_collect(const vq_session *session, vq_layer layer, layer_values *values)
{
    double total = 0;
    size_t i;

    values->count = 0;
    values->ns = malloc((session->row_count + 1) * sizeof(*values->ns));
    values->share_ppm = malloc((session->row_count + 1) * sizeof(*values->share_ppm));
    if (!values->ns || !values->share_ppm) {
        free(values->ns);
        free(values->share_ppm);
        return false;
    }
    for (i = 0; i < session->row_count; i++) {
        const vq_app_row *app = &session->rows[i].app;
        int64_t whole = app->stage[VQ_APP_TOTAL];

        if (!app->has_layers || whole <= 0) {
            continue;
        }
        values->ns[values->count] = app->layer[layer];
        values->share_ppm[values->count++] = (int64_t)((double)app->layer[layer] * 1e6 / (double)whole);
        total += (double)whole;
    }
    values->total_mean = values->count ? total / (double)values->count : NAN;
    return true;
}

static int64_t *app_stage_values(const vq_session *session, vq_app_stage stage, size_t *count)
{
    int64_t *values = malloc((session->row_count + 1) * sizeof(*values));
    size_t i;

    *count = 0;
    for (i = 0; values && i < session->row_count; i++) {
        if (session->rows[i].app.matched && session->rows[i].app.has[stage]) {
            values[(*count)++] = session->rows[i].app.stage[stage];
        }
    }
    return values;
}

static double percent(double part, double whole)
{
    return whole > 0 ? 100.0 * part / whole : NAN;
}

void vq_report_e2e_text(FILE *out, const vq_session *session)
{
    const vq_app_coverage *c = &session->coverage;
    size_t i, stage, layer;

    if (!c->traced) {
        return;
    }
    fprintf(out, "end to end (application issue -> application completion, guest clock)\n");
    fprintf(out, "  I/Os: %" PRIu64 " (%s), %" PRIu64 " matched end to end (%.1f %%: psync %" PRIu64 ", libaio %"
            PRIu64 ", io_uring %" PRIu64 ")\n", c->ios, c->ios_from_fio ? "fio's issued count" : "bios the workload queued",
            c->matched, percent((double)c->matched, (double)c->ios), c->per_api[0], c->per_api[1], c->per_api[2]);
    if (c->app_mean_ns >= 0) {
        fprintf(out, "  mean end to end %.1f us", vq_us((double)c->app_mean_ns));
        if (c->fio_mean_ns > 0) {
            fprintf(out, "; fio's own mean total latency %.1f us (end to end %+.1f %%)", vq_us((double)c->fio_mean_ns),
                    percent((double)(c->app_mean_ns - c->fio_mean_ns), (double)c->fio_mean_ns));
        }
        fputc('\n', out);
    }
    for (i = 0; i < c->unmatched_count; i++) {
        fprintf(out, "  not matched: %" PRIu64 " x %s\n", c->unmatched[i].count, c->unmatched[i].reason);
    }
    if (c->clock_checks) {
        fprintf(out, "  clock check, the driver's events: ftrace's TSC column (converted) vs their ts_ns: %" PRIu64
                " events,\n    |difference| median %.3f us, max %.3f us (includes the tracepoint's own time)\n",
                c->clock_checks, vq_us((double)c->clock_median_abs_ns), vq_us((double)c->clock_max_abs_ns));
    }
    fprintf(out, "  stages (us)       count       mean        p50        p90        p99      p99.9   neg\n");
    for (stage = 0; stage < VQ_APP_STAGE_COUNT; stage++) {
        size_t count;
        int64_t *values = app_stage_values(session, (vq_app_stage)stage, &count);

        if (values && count) {
            vq_text_summary_row(out, vq_app_stage_names[stage], values, count);
        }
        free(values);
    }
    fprintf(out, "  layers of the end-to-end total   requests    mean us  share of mean  median share  p99 share\n");
    for (layer = 0; layer < VQ_LAYER_COUNT; layer++) {
        layer_values v;
        vq_summary ns, share;

        if (!layer_collect(session, (vq_layer)layer, &v)) {
            return;
        }
        ns = vq_summarize(v.ns, v.count);
        share = vq_summarize(v.share_ppm, v.count);
        fprintf(out, "  %-30s %9zu %10.1f %12.1f %% %11.1f %% %8.1f %%\n", vq_layer_names[layer], v.count,
                vq_us(ns.mean), percent(ns.mean, v.total_mean), share.p50 / 1e4, share.p99 / 1e4);
        free(v.ns);
        free(v.share_ppm);
    }
    fprintf(out, "  (host: notify exit -> injection, host clock; virtio: the driver span minus the host's;\n"
            "   guest above the driver: the rest of the application's wait)\n");
}

void vq_report_e2e_json(FILE *out, const vq_session *session)
{
    const vq_app_coverage *c = &session->coverage;
    size_t i, stage, layer;

    if (!c->traced) {
        fputs("\"coverage\": null", out);   /* no application-side events in the guest trace */
        return;
    }
    fprintf(out, "\"coverage\": {\"traced\": %s, \"ios\": %" PRIu64 ", \"ios_from\": \"%s\", \"bios\": %" PRIu64
            ", \"matched\": %" PRIu64 ", \"matched_fraction\": ", c->traced ? "true" : "false", c->ios,
            c->ios_from_fio ? "fio" : "bios", c->bios, c->matched);
    vq_json_number(out, c->ios ? (double)c->matched / (double)c->ios : NAN);
    fprintf(out, ", \"apis\": {\"psync\": %" PRIu64 ", \"libaio\": %" PRIu64 ", \"io_uring\": %" PRIu64 "}, "
            "\"app_mean_ns\": ", c->per_api[0], c->per_api[1], c->per_api[2]);
    vq_json_optional(out, c->app_mean_ns >= 0, c->app_mean_ns);
    fputs(", \"fio_mean_ns\": ", out);
    vq_json_optional(out, c->fio_mean_ns >= 0, c->fio_mean_ns);
    fputs(", \"fio_iops\": ", out);
    vq_json_number(out, c->fio_iops);
    fputs(", \"app_vs_fio\": ", out);
    if (c->app_mean_ns >= 0 && c->fio_mean_ns > 0) {
        fprintf(out, "%.4f", (double)(c->app_mean_ns - c->fio_mean_ns) / (double)c->fio_mean_ns);
    } else {
        fputs("null", out);
    }
    fprintf(out, ",\n    \"clock_check\": {\"events\": %" PRIu64 ", \"median_abs_ns\": ", c->clock_checks);
    vq_json_optional(out, c->clock_checks > 0, c->clock_median_abs_ns);
    fputs(", \"max_abs_ns\": ", out);
    vq_json_optional(out, c->clock_checks > 0, c->clock_max_abs_ns);
    fputs("}, \"unmatched\": [", out);
    for (i = 0; i < c->unmatched_count; i++) {
        fputs(i ? ", {\"reason\": " : "{\"reason\": ", out);
        vq_json_string(out, c->unmatched[i].reason);
        fprintf(out, ", \"count\": %" PRIu64 "}", c->unmatched[i].count);
    }
    fputs("],\n    \"stages\": {", out);
    for (stage = 0; stage < VQ_APP_STAGE_COUNT; stage++) {
        size_t count;
        int64_t *values = app_stage_values(session, (vq_app_stage)stage, &count);
        vq_summary s = values ? vq_summarize(values, count) : (vq_summary){ 0 };

        fprintf(out, "%s\n      \"%s\": ", stage ? "," : "", vq_app_stage_names[stage]);
        vq_json_summary(out, &s);
        free(values);
    }
    fputs("},\n    \"shares\": {", out);
    for (layer = 0; layer < VQ_LAYER_COUNT; layer++) {
        layer_values v;
        vq_summary ns, share;

        if (!layer_collect(session, (vq_layer)layer, &v)) {
            v = (layer_values){ 0 };
        }
        ns = vq_summarize(v.ns, v.count);
        share = vq_summarize(v.share_ppm, v.count);
        fprintf(out, "%s\n      \"%s\": {\"requests\": %zu, \"mean_ns\": ", layer ? "," : "", vq_layer_keys[layer],
                v.count);
        vq_json_number(out, v.count ? ns.mean : NAN);
        fputs(", \"share_of_mean\": ", out);
        if (v.count) {
            fprintf(out, "%.4f", ns.mean / v.total_mean);
        } else {
            fputs("null", out);
        }
        fputs(", \"median_share\": ", out);
        if (v.count) {
            fprintf(out, "%.4f, \"p99_share\": %.4f}", share.p50 / 1e6, share.p99 / 1e6);
        } else {
            fputs("null, \"p99_share\": null}", out);
        }
        free(v.ns);
        free(v.share_ppm);
    }
    fputs("}}", out);
}

void vq_report_e2e_row_json(FILE *out, const vq_request_row *row)
{
    const vq_app_row *app = &row->app;
    size_t stage, layer;

    if (!app->api) {
        return;
    }
    fprintf(out, ", \"app\": {\"api\": \"%s\", \"pid\": %" PRIu32 ", \"matched\": %s", app->api, app->pid,
            app->matched ? "true" : "false");
    for (stage = 0; stage < VQ_APP_STAGE_COUNT; stage++) {
        if (app->has[stage]) {
            fprintf(out, ", \"%s\": %" PRId64, vq_app_stage_names[stage], app->stage[stage]);
        }
    }
    if (app->has_layers) {
        for (layer = 0; layer < VQ_LAYER_COUNT; layer++) {
            fprintf(out, ", \"%s_ns\": %" PRId64, vq_layer_keys[layer], app->layer[layer]);
        }
    }
    fputc('}', out);
}
