// SPDX-License-Identifier: GPL-2.0-or-later
/* A session's figures as Prometheus metrics, text exposition format 0.0.4 (report_metrics.h). */
#include "report_metrics.h"

#include "histogram.h"
#include "report_format.h"
#include "stats.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A label value with Prometheus's escapes (backslash, double quote, newline). */
static void label_value(FILE *out, const char *text)
{
    fputc('"', out);
    for (; text && *text; text++) {
        if (*text == '\\' || *text == '"') {
            fputc('\\', out);
            fputc(*text, out);
        } else if (*text == '\n') {
            fputs("\\n", out);
        } else {
            fputc(*text, out);
        }
    }
    fputc('"', out);
}

/* The labels every series carries, without the braces: session="...",device="...",ioeventfd="..." */
static void common_labels(FILE *out, const vq_session *session)
{
    const char *name = vq_session_name(session), *slash;

    /* the directory's own name: the path it was read from is the reader's, not the session's */
    while ((slash = strchr(name, '/')) != NULL && slash[1]) {
        name = slash + 1;
    }
    fputs("session=", out);
    label_value(out, name);
    fputs(",device=", out);
    label_value(out, session->device[0] ? session->device : "unknown");
    fputs(",ioeventfd=", out);
    label_value(out, session->ioeventfd[0] ? session->ioeventfd : "unknown");
}

static void header(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One counter or gauge sample: NAME{common,EXTRA_KEY="EXTRA_VALUE"} VALUE */
static void sample(FILE *out, const vq_session *session, const char *name, const char *extra_key,
                   const char *extra_value, double value)
{
    fprintf(out, "%s{", name);
    common_labels(out, session);
    if (extra_key) {
        fprintf(out, ",%s=", extra_key);
        label_value(out, extra_value);
    }
    fprintf(out, "} %.15g\n", value);
}

/* The start of a sample of stage STAGE's histogram: vqscope_stage_seconds<SUFFIX>{common,stage="..." */
static void stage_series(FILE *out, const vq_session *session, const char *suffix, unsigned stage)
{
    fprintf(out, "vqscope_stage_seconds%s{", suffix);
    common_labels(out, session);
    fputs(",stage=", out);
    label_value(out, vq_stage_names[stage]);
}

static void stage_histograms(FILE *out, const vq_session *session)
{
    unsigned stage, k;

    header(out, "vqscope_stage_seconds", "histogram",
           "Per-request stage latency; cross-clock stages (kick>exit, inject>irq) on the session's clock offset.");
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        const vq_hist *hist = session->emitted.stage[stage];
        uint64_t count = hist ? hist->count : 0;

        for (k = 0; k < VQ_METRICS_BUCKETS; k++) {
            char le[32];

            /* the bound as printed is the bound counted: 10^-3.2 s is "0.000631", and 631000 ns counts */
            snprintf(le, sizeof(le), "%.3g", vq_log_bin_edge(VQ_METRICS_LOWEST_EXPONENT, VQ_METRICS_PER_DECADE, k));
            stage_series(out, session, "_bucket", stage);
            fprintf(out, ",le=\"%s\"} %" PRIu64 "\n", le, hist ? vq_hist_count_at_most(hist, strtod(le, NULL) * 1e9) : 0);
        }
        stage_series(out, session, "_bucket", stage);
        fprintf(out, ",le=\"+Inf\"} %" PRIu64 "\n", count);
        stage_series(out, session, "_sum", stage);
        fprintf(out, "} %.9g\n", hist ? hist->sum / 1e9 : 0.0);
        stage_series(out, session, "_count", stage);
        fprintf(out, "} %" PRIu64 "\n", count);
    }
}

/* A counter of one sample: # HELP, # TYPE, NAME{common} VALUE */
static void counter(FILE *out, const vq_session *session, const char *name, const char *help, uint64_t value)
{
    header(out, name, "counter", help);
    sample(out, session, name, NULL, NULL, (double)value);
}

static void exits(FILE *out, const vq_session *session)
{
    vq_exit_reason *sorted = vq_sorted_exits(session);
    size_t i;

    header(out, "vqscope_vm_exits_total", "counter", "VM exits of the QEMU process during the workload window, by reason.");
    for (i = 0; sorted && i < session->exit_reason_count; i++) {
        char label[64];

        vq_exit_label(label, sizeof(label), &sorted[i]);
        sample(out, session, "vqscope_vm_exits_total", "reason", label, (double)sorted[i].in_window);
    }
    free(sorted);
}

void vq_report_metrics(FILE *out, const vq_session *session)
{
    stage_histograms(out, session);
    counter(out, session, "vqscope_requests_total", "Requests submitted in the guest trace.", session->guest_requests);
    counter(out, session, "vqscope_requests_stitched_total", "Requests stitched end to end (guest, KVM, QEMU).",
            session->emitted.stitched);
    counter(out, session, "vqscope_requests_unmatched_total", "Requests left unmatched (each with its reason in the report).",
            session->unmatched_count);
    counter(out, session, "vqscope_requests_negative_total", "Stitched requests with a negative stage (never clamped).",
            session->negative_requests);
    header(out, "vqscope_kicks_total", "counter", "Guest kicks, notified or suppressed by the driver (event index).");
    sample(out, session, "vqscope_kicks_total", "notified", "true", (double)session->kick.notified);
    sample(out, session, "vqscope_kicks_total", "notified", "false", (double)session->kick.suppressed);
    exits(out, session);
    counter(out, session, "vqscope_probe_drops_total", "Host probe records lost (ring buffer full).", session->probe_drops);
    header(out, "vqscope_clock_alignment_error_seconds", "gauge",
           "Stated error of the guest-to-host clock offset the cross-clock stages use.");
    sample(out, session, "vqscope_clock_alignment_error_seconds", "method", vq_offset_method_name(&session->offset),
           (double)session->offset.error_ns / 1e9);
}
