// SPDX-License-Identifier: GPL-2.0-or-later
/* The end-to-end part of the report (report_e2e.h). */
#include "report_e2e.h"

#include "report_format.h"

#include <inttypes.h>
#include <math.h>

const char *const vq_layer_keys[VQ_LAYER_COUNT] = {
    [VQ_LAYER_GUEST_ABOVE] = "guest_above_driver",
    [VQ_LAYER_VIRTIO] = "virtio",
    [VQ_LAYER_HOST] = "host",
};

/* A layer over the rows that have layers (and a positive total): its ns and its per-request shares (ppm of
 * the total), and the mean end-to-end total over the same rows. */
typedef struct {
    size_t count;
    vq_summary ns, share;
    double total_mean;
} layer_view;

static layer_view layer_of(const vq_session *session, vq_layer layer)
{
    const vq_emitted *e = &session->emitted;

    return (layer_view){ .count = e->layer_rows, .ns = vq_hist_summary(e->layer_ns[layer]),
                         .share = vq_hist_summary(e->layer_share_ppm[layer]),
                         .total_mean = e->layer_rows ? e->layer_total_sum / (double)e->layer_rows : NAN };
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
        vq_summary st = vq_hist_summary(session->emitted.app_stage[stage]);

        if (st.count) {
            vq_text_summary(out, vq_app_stage_names[stage], &st);
        }
    }
    fprintf(out, "  layers of the end-to-end total   requests    mean us  share of mean  median share  p99 share\n");
    for (layer = 0; layer < VQ_LAYER_COUNT; layer++) {
        layer_view v = layer_of(session, (vq_layer)layer);

        fprintf(out, "  %-30s %9zu %10.1f %12.1f %% %11.1f %% %8.1f %%\n", vq_layer_names[layer], v.count,
                vq_us(v.ns.mean), percent(v.ns.mean, v.total_mean), v.share.p50 / 1e4, v.share.p99 / 1e4);
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
        vq_summary st = vq_hist_summary(session->emitted.app_stage[stage]);

        fprintf(out, "%s\n      \"%s\": ", stage ? "," : "", vq_app_stage_names[stage]);
        vq_json_summary(out, &st);
    }
    fputs("},\n    \"shares\": {", out);
    for (layer = 0; layer < VQ_LAYER_COUNT; layer++) {
        layer_view v = layer_of(session, (vq_layer)layer);

        fprintf(out, "%s\n      \"%s\": {\"requests\": %zu, \"mean_ns\": ", layer ? "," : "", vq_layer_keys[layer],
                v.count);
        vq_json_number(out, v.count ? v.ns.mean : NAN);
        fputs(", \"share_of_mean\": ", out);
        if (v.count) {
            fprintf(out, "%.4f", v.ns.mean / v.total_mean);
        } else {
            fputs("null", out);
        }
        fputs(", \"median_share\": ", out);
        if (v.count) {
            fprintf(out, "%.4f, \"p99_share\": %.4f}", v.share.p50 / 1e6, v.share.p99 / 1e6);
        } else {
            fputs("null, \"p99_share\": null}", out);
        }
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
