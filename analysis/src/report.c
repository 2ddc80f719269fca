// SPDX-License-Identifier: GPL-2.0-or-later
/* Reporters (see report.h). Pure formatting of the model: no reading, no stitching here. */
#include "report.h"

#include "report_cost.h"
#include "report_e2e.h"
#include "qemu_events.h"
#include "report_distribution.h"
#include "report_format.h"
#include "report_alignment.h"
#include "report_metrics.h"
#include "report_queues.h"
#include "report_vcpus.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT_UNMATCHED 20

static const char *notify_signal_name(const vq_session *session)
{
    if (!session->has_kvm) {
        return "no KVM events (TCG?): kick>exit is kick -> QEMU's queue handler";
    }
    return strcmp(session->ioeventfd, "off") == 0 ? "exit>signal = kvm_exit -> kvm_userspace_exit(MMIO)"
                                                  : "exit>signal = kvm_exit -> ioeventfd_write";
}

static void text_stages(FILE *out, const vq_session *session)
{
    size_t stage;

    fprintf(out, "stages (us)         count       mean        p50        p90        p99      p99.9   neg\n");
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        vq_summary s = vq_session_stage_summary(session, (vq_stage)stage);

        vq_text_summary(out, vq_stage_names[stage], &s);
    }
    fprintf(out, "  (%s)\n", notify_signal_name(session));
}

static void text_kicks(FILE *out, const vq_session *session)
{
    const vq_kick_stats *k = &session->kick;
    uint64_t completions = session->emitted.stitched;
    vq_summary s;

    fprintf(out, "kicks and interrupts\n");
    fprintf(out, "  guest kicks %" PRIu64 ": %" PRIu64 " notified, %" PRIu64 " suppressed (notified=0, %.1f%%),\n"
            "  %" PRIu64 " paired with a host notify (of %" PRIu64 ")\n", k->kicks, k->notified, k->suppressed,
            k->kicks ? 100.0 * (double)k->suppressed / (double)k->kicks : 0.0, k->kicks_paired, k->host_notifies);
    if (session->stock) {
        fputs("  (stock virtio-blk: only kicks that notify are traced, virtqueue_notify; suppressed unknown)\n", out);
    }
    s = vq_hist_summary(k->requests_per_kick);
    fprintf(out, "  requests per kick: mean %.2f, max %" PRId64 "\n", s.mean, s.max);
    s = vq_hist_summary(k->pops_per_run);
    fprintf(out, "  queue handler runs %" PRIu64 ": requests popped per run mean %.2f, max %" PRId64
            ", %" PRIu64 " runs found nothing\n", k->handler_runs, s.mean, s.max, k->empty_runs);
    s = vq_hist_summary(k->kick_to_begin);
    if (s.count) {
        fprintf(out, "  kick -> device begin (notified kicks): p50 %.1f us, p99 %.1f us (%zu kicks)\n",
                vq_us(s.p50), vq_us(s.p99), s.count);
    }
    fprintf(out, "  interrupts per completion: guest %.3f (%" PRIu64 " irqs), host injections %.3f (%" PRIu64
            "),\n  %" PRIu64 " irqs paired with an injection\n",
            completions ? (double)k->guest_irqs / (double)completions : 0.0, k->guest_irqs,
            completions ? (double)k->host_injections / (double)completions : 0.0, k->host_injections,
            k->irqs_paired);
}

static void text_request_header(FILE *out)
{
    size_t stage;

    fprintf(out, "%8s %8s %2s", "id", "kick", "fl");
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        fprintf(out, " %8.8s", vq_stage_names[stage]);
    }
    fputc('\n', out);
}

static void text_requests(FILE *out, const vq_session *session)
{
    size_t i, stage;

    fprintf(out, "requests (us; fl: b = batched behind kick, h = harvested under an earlier interrupt)\n");
    text_request_header(out);
    for (i = 0; i < session->row_count; i++) {
        const vq_request_row *row = &session->rows[i];

        fprintf(out, "%8" PRIu64 " %8" PRIu64 " %c%c", row->id, row->kick_id, row->batched ? 'b' : '-',
                row->harvested ? 'h' : '-');
        for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
            if (row->has[stage]) {
                fprintf(out, " %8.1f", vq_us((double)row->stage[stage]));
            } else {
                fprintf(out, " %8s", "-");
            }
        }
        fputc('\n', out);
    }
}


/* Injected delays (kick_hold_ns, delay-ns, notify-delay-ns): how many requests waited in each holder,
 * and the median of the holds they really waited (the holders' own start and end). */
static void text_holds(FILE *out, const vq_session *session)
{
    size_t p;

    for (p = 0; p < VQ_HOLD_POINTS; p++) {
        vq_summary s = vq_hist_summary(session->emitted.hold[p]);

        if (s.count) {
            fprintf(out, "  injected hold at %s: %zu requests, real hold p50 %.1f us, min %.1f us\n",
                    vq_hold_point_names[p], s.count, vq_us(s.p50), vq_us(s.min));
        }
    }
}

static void report_text(FILE *out, const vq_session *session, const vq_report_options *options)
{
    size_t i;

    fprintf(out, "session %s\n", vq_session_name(session));
    fprintf(out, "  mode %s, device %s, ioeventfd %s, QEMU trace %s, device delay %" PRId64 " ns, level %s\n",
            session->mode, session->device, session->ioeventfd, session->qemu_trace, session->delay_ns, session->level);
    fprintf(out, "requests: %" PRIu64 " in the guest trace, %" PRIu64 " stitched (%" PRIu64 " batched, %" PRIu64
            " harvested),\n  %zu unmatched, %" PRIu64 " with a negative stage\n", session->guest_requests,
            session->emitted.stitched, session->emitted.batched, session->emitted.harvested, session->unmatched_count,
            session->negative_requests);
    text_holds(out, session);
    if (session->stock) {
        fputs("  stock virtio-blk: no request ids; guest block_rq_issue/complete and QEMU's\n"
              "  " VQ_QEMU_EVENT_VIRTIO_BLK_HANDLE_READ "/write matched by (sector, sectors, write), ids numbered "
              "in issue order\n", out);
    }
    fputc('\n', out);
    vq_report_alignment_text(out, session);
    fputc('\n', out);
    text_stages(out, session);
    vq_report_queues_text(out, session);
    vq_report_vcpus_text(out, session);
    fputc('\n', out);
    text_kicks(out, session);
    fputc('\n', out);
    vq_report_exits_text(out, session);
    fputc('\n', out);
    vq_report_cost_text(out, session);
    if (session->coverage.traced) {
        fputc('\n', out);
        vq_report_e2e_text(out, session);
    }
    if (session->unmatched_count) {
        fprintf(out, "\nunmatched requests: %zu\n", session->unmatched_count);
        for (i = 0; i < session->unmatched_count && i < MAX_TEXT_UNMATCHED; i++) {
            fprintf(out, "  id %" PRIu64 ": %s\n", session->unmatched[i].id, session->unmatched[i].reason);
        }
        if (session->unmatched_count > MAX_TEXT_UNMATCHED) {
            fprintf(out, "  ... %zu more (all of them in --format json)\n",
                    session->unmatched_count - MAX_TEXT_UNMATCHED);
        }
    }
    if (session->warning_count) {
        fprintf(out, "\nwarnings\n");
        for (i = 0; i < session->warning_count; i++) {
            fprintf(out, "  %s\n", session->warnings[i]);
        }
    }
    if (options->requests) {
        fputc('\n', out);
        text_requests(out, session);
    }
}

static void report_csv(FILE *out, const vq_session *session)
{
    size_t i, stage;

    fputs("id,vq,kick_id,batched,harvested", out);
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        fprintf(out, ",%s_ns", vq_stage_names[stage]);
    }
    fputs(",notify_exit_ns\n", out);
    for (i = 0; i < session->row_count; i++) {
        const vq_request_row *row = &session->rows[i];

        fprintf(out, "%" PRIu64 ",%" PRIu32 ",%" PRIu64 ",%d,%d", row->id, row->vq, row->kick_id, row->batched,
                row->harvested);
        for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
            if (row->has[stage]) {
                fprintf(out, ",%" PRId64, row->stage[stage]);
            } else {
                fputc(',', out);
            }
        }
        if (row->notify_exit_ns >= 0) {
            fprintf(out, ",%" PRId64, row->notify_exit_ns);
        } else {
            fputc(',', out);
        }
        fputc('\n', out);
    }
    for (i = 0; i < session->unmatched_count; i++) {
        fprintf(out, "# unmatched %" PRIu64 ": %s\n", session->unmatched[i].id, session->unmatched[i].reason);
    }
}

static void report_json(FILE *out, const vq_session *session, bool with_rows)
{
    const vq_kick_stats *k = &session->kick;
    vq_exit_reason *exits = vq_sorted_exits(session);
    uint64_t in_window = 0;   /* exits of every reason in the requests' window */
    vq_summary s;
    size_t i, stage;

    fprintf(out, "{\n  \"format\": \"%s\", \"version\": %d,\n  \"session\": ", VQ_REPORT_FORMAT, VQ_REPORT_VERSION);
    vq_json_string(out, vq_session_name(session));
    if (session->part) {   /* one disk of an A/B session */
        fprintf(out, ", \"part\": \"%c\", \"blocks\": %zu", session->part, session->window_count);
    }
    fprintf(out, ",\n  \"mode\": \"%s\", \"device\": \"%s\", \"ioeventfd\": \"%s\", \"qemu_trace\": \"%s\", "
            "\"delay_ns\": %" PRId64 ", \"matched_by\": \"%s\", \"level\": ", session->mode, session->device,
            session->ioeventfd, session->qemu_trace, session->delay_ns, session->stock ? "sectors" : "id");
    vq_json_string(out, session->level);
    fputs(",\n", out);
    vq_report_alignment_json(out, session);
    fprintf(out, "  \"requests\": {\"guest\": %" PRIu64 ", \"stitched\": %" PRIu64 ", \"unmatched\": %zu, "
            "\"negative\": %" PRIu64 "},\n", session->guest_requests, session->emitted.stitched, session->unmatched_count,
            session->negative_requests);
    fputs("  \"stages\": {", out);
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        s = vq_session_stage_summary(session, (vq_stage)stage);
        fprintf(out, "%s\n    \"%s\": ", stage ? "," : "", vq_stage_names[stage]);
        vq_json_summary(out, &s);
    }
    fputs("\n  },\n  ", out);
    vq_report_cdf_json(out, session);
    fprintf(out, ",\n  \"kicks\": {\"kicks\": %" PRIu64 ", \"notified\": %" PRIu64 ", \"suppressed\": %" PRIu64
            ", \"paired\": %" PRIu64 ", \"host_notifies\": %" PRIu64 ", \"handler_runs\": %" PRIu64
            ", \"empty_runs\": %" PRIu64 ", \"guest_irqs\": %" PRIu64 ", \"host_injections\": %" PRIu64
            ", \"completions\": %" PRIu64 ",\n    \"requests_per_kick\": ", k->kicks, k->notified, k->suppressed,
            k->kicks_paired, k->host_notifies, k->handler_runs, k->empty_runs, k->guest_irqs, k->host_injections,
            session->emitted.stitched);
    s = vq_hist_summary(k->requests_per_kick);
    vq_json_summary(out, &s);
    fputs(",\n    \"pops_per_run\": ", out);
    s = vq_hist_summary(k->pops_per_run);
    vq_json_summary(out, &s);
    fputs(",\n    \"kick_to_begin_ns\": ", out);
    s = vq_hist_summary(k->kick_to_begin);
    vq_json_summary(out, &s);
    fputs(",\n    ", out);
    vq_report_kick_histogram_json(out, session);
    fputs(",\n    ", out);
    vq_report_served_per_kick_json(out, session);
    fputs("},\n  \"exits\": [", out);
    for (i = 0; exits && i < session->exit_reason_count; i++) {
        char label[32];

        vq_exit_label(label, sizeof(label), &exits[i]);
        s = vq_hist_summary(exits[i].duration);
        fprintf(out, "%s\n    {\"reason\": \"%s\", \"code\": %" PRIu32 ", \"isa\": %" PRIu32 ", \"count\": %" PRIu64
                ", \"in_window\": %" PRIu64 ", \"per_request\": ", i ? "," : "", label, exits[i].reason, exits[i].isa,
                exits[i].total, exits[i].in_window);
        vq_json_number(out, session->emitted.stitched ? (double)exits[i].in_window / (double)session->emitted.stitched
                                                       : NAN);
        fprintf(out, ", \"userspace_in_window\": %" PRIu64, exits[i].userspace_in_window);
        in_window += exits[i].in_window;
        fputs(", \"duration_ns\": ", out);
        vq_json_summary(out, &s);
        fputc('}', out);
    }
    fputs("\n  ],\n  \"exits_per_request\": ", out);
    vq_json_number(out, session->emitted.stitched ? (double)in_window / (double)session->emitted.stitched : NAN);
    fputs(",\n  ", out);
    vq_report_cost_json(out, session);
    fputs(",\n  ", out);
    vq_report_e2e_json(out, session);
    fputs(",\n  ", out);
    vq_report_queues_json(out, session);
    if (vq_report_vcpus_present(session)) {   /* several guest CPUs (older reports: no key) */
        fputs(",\n  ", out);
        vq_report_vcpus_json(out, session);
    }
    fputs(",\n  \"unmatched\": [", out);
    for (i = 0; i < session->unmatched_count; i++) {
        fprintf(out, "%s\n    {\"id\": %" PRIu64 ", \"reason\": ", i ? "," : "", session->unmatched[i].id);
        vq_json_string(out, session->unmatched[i].reason);
        fputc('}', out);
    }
    fputs("\n  ],\n  \"warnings\": [", out);
    for (i = 0; i < session->warning_count; i++) {
        fputs(i ? ",\n    " : "\n    ", out);
        vq_json_string(out, session->warnings[i]);
    }
    fputs("\n  ]", out);
    if (!with_rows) {
        fputs("\n}\n", out);
        free(exits);
        return;
    }
    fputs(",\n  \"rows\": [", out);
    for (i = 0; i < session->row_count; i++) {
        const vq_request_row *row = &session->rows[i];

        fprintf(out, "%s\n    {\"id\": %" PRIu64 ", \"vq\": %" PRIu32 ", \"kick_id\": %" PRIu64
                ", \"batched\": %s, \"harvested\": %s, \"irq_seq\": %" PRIu64, i ? "," : "", row->id, row->vq,
                row->kick_id, row->batched ? "true" : "false", row->harvested ? "true" : "false", row->irq_seq);
        for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
            if (row->has[stage]) {
                fprintf(out, ", \"%s\": %" PRId64, vq_stage_names[stage], row->stage[stage]);
            }
        }
        if (row->notify_exit_ns >= 0) {
            fprintf(out, ", \"notify_exit_ns\": %" PRId64, row->notify_exit_ns);
        }
        if (row->hold_at) {
            fprintf(out, ", \"hold_ns\": %" PRId64 ", \"hold_at\": \"%s\"", row->hold_ns, row->hold_at);
        }
        vq_report_e2e_row_json(out, row);
        fputc('}', out);
    }
    fputs("\n  ]\n}\n", out);
    free(exits);
}

vq_status vq_report_session(FILE *out, const vq_session *session, vq_format format,
                            const vq_report_options *options)
{
    if (!session->keep_rows && (format == VQ_FORMAT_CSV || (options->requests && (format == VQ_FORMAT_TEXT ||
                                                                                   format == VQ_FORMAT_JSON)))) {
        return VQ_ERR_USAGE;   /* a report of each request, from a session loaded without them */
    }
    switch (format) {
    case VQ_FORMAT_TEXT:
        report_text(out, session, options);
        break;
    case VQ_FORMAT_CSV:
        report_csv(out, session);
        break;
    case VQ_FORMAT_JSON:
        report_json(out, session, options->requests);
        break;
    case VQ_FORMAT_PROMETHEUS:
        vq_report_metrics(out, session);
        break;
    }
    return ferror(out) ? VQ_ERR_IO : VQ_OK;
}
