// SPDX-License-Identifier: GPL-2.0-or-later
/* Reporters (see report.h). Pure formatting of the model: no reading, no stitching here. */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT_UNMATCHED 20

static double us(double ns)
{
    return ns / 1000.0;
}

static void print_json_number(FILE *out, double value)
{
    if (isnan(value)) {
        fputs("null", out);
    } else {
        fprintf(out, "%.1f", value);
    }
}

static void print_json_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (; *text; text++) {
        if (*text == '"' || *text == '\\') {
            fprintf(out, "\\%c", *text);
        } else if ((unsigned char)*text < 0x20) {
            fprintf(out, "\\u%04x", *text);
        } else {
            fputc(*text, out);
        }
    }
    fputc('"', out);
}

static const char *notify_signal_name(const vq_session *session)
{
    if (!session->has_kvm) {
        return "no KVM events (TCG?): kick>exit is kick -> QEMU's queue handler";
    }
    return strcmp(session->ioeventfd, "off") == 0 ? "exit>signal = kvm_exit -> kvm_userspace_exit(MMIO)"
                                                  : "exit>signal = kvm_exit -> ioeventfd_write";
}

static void text_interval(FILE *out, const char *label, const vq_offset_interval *interval)
{
    fprintf(out, "  %-7s", label);
    if (interval->has_lo) {
        fprintf(out, " lo %" PRId64, interval->lo);
    } else {
        fputs(" lo -", out);
    }
    if (interval->has_hi) {
        fprintf(out, "  hi %" PRId64, interval->hi);
    } else {
        fputs("  hi -", out);
    }
    if (interval->has_lo && interval->has_hi) {
        fprintf(out, "  width %" PRId64 " ns", interval->hi - interval->lo);
    }
    fprintf(out, "  (%zu upper, %zu lower bounds)\n", interval->upper_count, interval->lower_count);
}

static const char *method_name(const vq_clock_offset *offset)
{
    return offset->method == VQ_OFFSET_TSC ? "tsc" : "causal";
}

/* The method line and the offset the stages use, with its error. */
static void text_offset(FILE *out, const vq_session *session)
{
    const vq_tsc_check *t = &session->tsc;
    const vq_clock_offset *o = &session->offset;
    const vq_alignment *a = &session->alignment;

    if (o->method == VQ_OFFSET_TSC) {
        fprintf(out, "  method: tsc (KVM tsc-offset %" PRId64, t->tsc_offset);
        if (t->scaling_ratio) {
            fprintf(out, ", scaling ratio %" PRIu64 " / 2^%u", t->scaling_ratio, t->scaling_frac_bits);
        }
        fprintf(out, ", host TSC %.4f cycles/ns, %zu guest clock pair%s)\n", t->cycles_per_ns, t->predictions,
                t->predictions > 1 ? "s" : "");
        if (t->predictions > 1) {
            fprintf(out, "  offset %" PRId64 " at guest %" PRIu64 " ns (start) .. %" PRId64 " at guest %" PRIu64
                    " ns (end), linear between\n", t->predicted[0], t->predicted_guest_ns[0], t->predicted[1],
                    t->predicted_guest_ns[1]);
        } else {
            fprintf(out, "  offset %" PRId64 " at guest %" PRIu64 " ns (one guest pair: drift not measured)\n",
                    t->predicted[0], t->predicted_guest_ns[0]);
        }
        fprintf(out, "  error +- %" PRId64 " ns (half the start-end difference %" PRId64 " + clock-pair read "
                "uncertainty %" PRId64 ")\n", o->error_ns, o->error_ns - t->read_uncertainty_ns,
                t->read_uncertainty_ns);
    } else {
        fprintf(out, "  method: causal: no TSC data (%s)\n", t->why[0] ? t->why : "not recorded");
        if (!o->usable) {
            fputs("  no offset: cross-clock stages are left out\n", out);
        } else if (a->contradiction) {
            fprintf(out, "  offset %" PRId64 " (midpoint of a contradicting interval, lo > hi), error at least +- %"
                    PRId64 " ns\n", o->from_offset, o->error_ns);
        } else {
            fprintf(out, "  offset %" PRId64 " (midpoint of the causal interval), error +- %" PRId64
                    " ns (half its width)\n", o->from_offset, o->error_ns);
        }
    }
}

/* One side of the check: the smallest margin between the offset and the bounds of that side. */
static void text_margin(FILE *out, const char *side, bool has, int64_t margin, vq_bound_source source,
                        size_t violations)
{
    if (!has) {
        fprintf(out, "    %s: no bound\n", side);
    } else if (margin >= 0) {
        fprintf(out, "    %s: %" PRId64 " ns inside (closest: %s)\n", side, margin, vq_bound_source_name(source));
    } else {
        fprintf(out, "    %s: OUTSIDE by %" PRId64 " ns (%s; %zu bounds violated)\n", side, -margin,
                vq_bound_source_name(source), violations);
    }
}

/* Where the TSC offset falls in the causal interval, each bound taken at its own guest time. */
static void text_tsc_check(FILE *out, const vq_session *session)
{
    const vq_offset_check *c = &session->offset_check;

    if (session->offset.method != VQ_OFFSET_TSC) {
        return;
    }
    if (c->has_lower && c->lower_margin < 0) {
        fputs("  WARNING: the TSC offset is below the causal LOWER bound (injection -> irq / end -> complete)\n", out);
    }
    if (c->has_upper && c->upper_margin < 0) {
        fputs("  WARNING: the TSC offset is above the causal UPPER bound (kick -> exit)\n", out);
    }
    fputs("  in the causal interval (TSC offset vs each bound at its guest time):\n", out);
    text_margin(out, "above lo", c->has_lower, c->lower_margin, c->lower_source, c->lower_violations);
    text_margin(out, "below hi", c->has_upper, c->upper_margin, c->upper_source, c->upper_violations);
}

static void text_alignment(FILE *out, const vq_session *session)
{
    const vq_alignment *a = &session->alignment;

    fprintf(out, "clock alignment: offset = host - guest (ns)\n");
    text_offset(out, session);
    text_tsc_check(out, session);
    fprintf(out, "causal interval (the check%s):\n", session->offset.method == VQ_OFFSET_TSC ? "" : ", and the offset");
    text_interval(out, "whole", &a->whole);
    text_interval(out, "1st half", &a->first);
    text_interval(out, "2nd half", &a->second);
    fprintf(out, "  bounds: %" PRIu64 " upper (kick -> notify exit), %" PRIu64 " lower (injection -> irq),\n"
            "          %" PRIu64 " lower (end -> complete by id)\n", session->upper_from_kicks, session->lower_from_irqs,
            session->lower_from_ids);
    if (!a->usable) {
        fprintf(out, "  UNUSABLE: one side has no bound\n");
    } else if (a->contradiction) {
        fprintf(out, "  CONTRADICTION: lo > hi by %" PRId64 " ns; midpoint %" PRId64 "\n", a->contradiction_ns,
                a->offset);
    } else {
        fprintf(out, "  interval [%" PRId64 ", %" PRId64 "], width %" PRId64 " ns, midpoint %" PRId64 "\n",
                a->whole.lo, a->whole.hi, a->whole.hi - a->whole.lo, a->offset);
    }
    if (a->drift_detected) {
        fprintf(out, "  DRIFT: the halves do not overlap; about %.1f ppm\n", a->drift_ppm);
    } else if (a->drift_bounded) {
        fprintf(out, "  drift: none detected (compatible with %.1f .. %.1f ppm)\n", a->drift_min_ppm,
                a->drift_max_ppm);
    }
    if (session->negative_requests) {
        fprintf(out, "  NEGATIVE stages under the %s offset: %" PRIu64 " requests (see the neg column); the offset "
                "or the pairing is wrong\n", method_name(&session->offset), session->negative_requests);
    }
}

static void text_summary_row(FILE *out, const char *name, int64_t *values, size_t count)
{
    vq_summary s = vq_summarize(values, count);

    if (count == 0) {
        fprintf(out, "  %-15s %7s\n", name, "0");
        return;
    }
    fprintf(out, "  %-15s %7zu %10.1f %10.1f %10.1f %10.1f %10.1f %6zu\n", name, s.count, us(s.mean), us(s.p50),
            us(s.p90), us(s.p99), us(s.p999), s.negative);
}

static void text_stages(FILE *out, const vq_session *session)
{
    size_t stage;

    fprintf(out, "stages (us)         count       mean        p50        p90        p99      p99.9   neg\n");
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        size_t count;
        int64_t *values = vq_session_stage_values(session, (vq_stage)stage, &count);

        if (values) {
            text_summary_row(out, vq_stage_names[stage], values, count);
        }
        free(values);
    }
    fprintf(out, "  (%s)\n", notify_signal_name(session));
}

static void text_kicks(FILE *out, const vq_session *session)
{
    const vq_kick_stats *k = &session->kick;
    int64_t *copy;
    vq_summary s;

    fprintf(out, "kicks and interrupts\n");
    fprintf(out, "  guest kicks %" PRIu64 ": %" PRIu64 " notified, %" PRIu64 " suppressed (notified=0, %.1f%%),\n"
            "  %" PRIu64 " paired with a host notify (of %" PRIu64 ")\n", k->kicks, k->notified, k->suppressed,
            k->kicks ? 100.0 * (double)k->suppressed / (double)k->kicks : 0.0, k->kicks_paired, k->host_notifies);
    if (session->stock) {
        fputs("  (stock virtio-blk: only kicks that notify are traced, virtqueue_notify; suppressed unknown)\n", out);
    }
    copy = malloc((k->requests_per_kick_count + 1) * sizeof(*copy));
    if (copy) {
        memcpy(copy, k->requests_per_kick, k->requests_per_kick_count * sizeof(*copy));
        s = vq_summarize(copy, k->requests_per_kick_count);
        fprintf(out, "  requests per kick: mean %.2f, max %" PRId64 "\n", s.mean, s.max);
        free(copy);
    }
    copy = malloc((k->pops_per_run_count + 1) * sizeof(*copy));
    if (copy) {
        memcpy(copy, k->pops_per_run, k->pops_per_run_count * sizeof(*copy));
        s = vq_summarize(copy, k->pops_per_run_count);
        fprintf(out, "  queue handler runs %" PRIu64 ": requests popped per run mean %.2f, max %" PRId64
                ", %" PRIu64 " runs found nothing\n", k->handler_runs, s.mean, s.max, k->empty_runs);
        free(copy);
    }
    copy = malloc((k->kick_to_begin_count + 1) * sizeof(*copy));
    if (copy) {
        memcpy(copy, k->kick_to_begin, k->kick_to_begin_count * sizeof(*copy));
        s = vq_summarize(copy, k->kick_to_begin_count);
        if (s.count) {
            fprintf(out, "  kick -> device begin (notified kicks): p50 %.1f us, p99 %.1f us (%zu kicks)\n",
                    us(s.p50), us(s.p99), s.count);
        }
        free(copy);
    }
    fprintf(out, "  interrupts per completion: guest %.3f (%" PRIu64 " irqs), host injections %.3f (%" PRIu64
            "),\n  %" PRIu64 " irqs paired with an injection\n",
            k->completions ? (double)k->guest_irqs / (double)k->completions : 0.0, k->guest_irqs,
            k->completions ? (double)k->host_injections / (double)k->completions : 0.0, k->host_injections,
            k->irqs_paired);
}

static int compare_reason_count(const void *left, const void *right)
{
    const vq_exit_reason *a = left, *b = right;

    return (a->total < b->total) - (a->total > b->total);
}

/* Exit reasons sorted by count, in a copy (the session stays const). */
static vq_exit_reason *sorted_exits(const vq_session *session)
{
    vq_exit_reason *copy = malloc((session->exit_reason_count + 1) * sizeof(*copy));

    if (copy) {
        memcpy(copy, session->exits, session->exit_reason_count * sizeof(*copy));
        qsort(copy, session->exit_reason_count, sizeof(*copy), compare_reason_count);
    }
    return copy;
}

static void reason_label(char *buffer, size_t size, const vq_exit_reason *reason)
{
    const char *name = vq_exit_reason_name(reason->isa, reason->reason);

    if (name && (strstr(name, "_CR") || strcmp(name, "EXCEPTION") == 0)) {
        snprintf(buffer, size, "%s(0x%" PRIx32 ")", name, reason->reason);
    } else if (name) {
        snprintf(buffer, size, "%s", name);
    } else {
        snprintf(buffer, size, "0x%" PRIx32, reason->reason);
    }
}

static void text_exits(FILE *out, const vq_session *session)
{
    vq_exit_reason *exits = sorted_exits(session);
    size_t i;

    if (!exits || session->exit_reason_count == 0) {
        fprintf(out, "VM exits: none recorded\n");
        free(exits);
        return;
    }
    fprintf(out, "VM exits (kvm_exit -> kvm_entry, us)  count  per request       mean        p50        p99\n");
    for (i = 0; i < session->exit_reason_count; i++) {
        char label[32];
        int64_t *copy = malloc((exits[i].count + 1) * sizeof(*copy));
        vq_summary s;

        if (!copy) {
            break;
        }
        memcpy(copy, exits[i].durations, exits[i].count * sizeof(*copy));
        s = vq_summarize(copy, exits[i].count);
        reason_label(label, sizeof(label), &exits[i]);
        fprintf(out, "  %-28s %13" PRIu64 " %12.3f %10.1f %10.1f %10.1f\n", label, exits[i].total,
                session->row_count ? (double)exits[i].in_window / (double)session->row_count : 0.0, us(s.mean),
                us(s.p50), us(s.p99));
        free(copy);
    }
    fprintf(out, "  (per request: exits between the first submit and the last completion / stitched requests)\n");
    free(exits);
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
                fprintf(out, " %8.1f", us((double)row->stage[stage]));
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
    static const char *const points[] = { "kick", "serve", "notify" };
    size_t p, i;

    for (p = 0; p < sizeof(points) / sizeof(points[0]); p++) {
        int64_t *holds = malloc((session->row_count + 1) * sizeof(*holds));
        size_t count = 0;
        vq_summary s;

        if (!holds) {
            return;
        }
        for (i = 0; i < session->row_count; i++) {
            if (session->rows[i].hold_at && strcmp(session->rows[i].hold_at, points[p]) == 0) {
                holds[count++] = session->rows[i].hold_ns;
            }
        }
        if (count) {
            s = vq_summarize(holds, count);
            fprintf(out, "  injected hold at %s: %zu requests, real hold p50 %.1f us, min %.1f us\n", points[p],
                    count, us(s.p50), us(s.min));
        }
        free(holds);
    }
}

static void report_text(FILE *out, const vq_session *session, const vq_report_options *options)
{
    size_t i, batched = 0, harvested = 0;

    for (i = 0; i < session->row_count; i++) {
        batched += session->rows[i].batched;
        harvested += session->rows[i].harvested;
    }
    fprintf(out, "session %s\n", session->directory);
    fprintf(out, "  mode %s, device %s, ioeventfd %s, QEMU trace %s, device delay %" PRId64 " ns\n", session->mode,
            session->device, session->ioeventfd, session->qemu_trace, session->delay_ns);
    fprintf(out, "requests: %" PRIu64 " in the guest trace, %zu stitched (%zu batched, %zu harvested),\n"
            "  %zu unmatched, %" PRIu64 " with a negative stage\n", session->guest_requests, session->row_count,
            batched, harvested, session->unmatched_count, session->negative_requests);
    text_holds(out, session);
    if (session->stock) {
        fputs("  stock virtio-blk: no request ids; guest block_rq_issue/complete and QEMU's\n"
              "  virtio_blk_handle_read/write matched by (sector, sectors, write), ids numbered in issue order\n", out);
    }
    fputc('\n', out);
    text_alignment(out, session);
    fputc('\n', out);
    text_stages(out, session);
    fputc('\n', out);
    text_kicks(out, session);
    fputc('\n', out);
    text_exits(out, session);
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
    fputc('\n', out);
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
        fputc('\n', out);
    }
    for (i = 0; i < session->unmatched_count; i++) {
        fprintf(out, "# unmatched %" PRIu64 ": %s\n", session->unmatched[i].id, session->unmatched[i].reason);
    }
}

static void json_interval(FILE *out, const char *name, const vq_offset_interval *interval)
{
    fprintf(out, "\"%s\": {\"lo\": ", name);
    if (interval->has_lo) {
        fprintf(out, "%" PRId64, interval->lo);
    } else {
        fputs("null", out);
    }
    fputs(", \"hi\": ", out);
    if (interval->has_hi) {
        fprintf(out, "%" PRId64, interval->hi);
    } else {
        fputs("null", out);
    }
    fprintf(out, ", \"upper_bounds\": %zu, \"lower_bounds\": %zu}", interval->upper_count, interval->lower_count);
}

static void json_summary(FILE *out, const vq_summary *s)
{
    fprintf(out, "{\"count\": %zu, \"mean\": ", s->count);
    print_json_number(out, s->mean);
    fputs(", \"p50\": ", out);
    print_json_number(out, s->p50);
    fputs(", \"p90\": ", out);
    print_json_number(out, s->p90);
    fputs(", \"p99\": ", out);
    print_json_number(out, s->p99);
    fputs(", \"p99.9\": ", out);
    print_json_number(out, s->p999);
    fprintf(out, ", \"negative\": %zu}", s->negative);
}

static vq_summary summary_of_copy(const int64_t *values, size_t count)
{
    int64_t *copy = malloc((count + 1) * sizeof(*copy));
    vq_summary s = { 0 };

    if (copy) {
        memcpy(copy, values, count * sizeof(*copy));
        s = vq_summarize(copy, count);
        free(copy);
    }
    return s;
}

static void json_optional(FILE *out, bool present, int64_t value)
{
    if (present) {
        fprintf(out, "%" PRId64, value);
    } else {
        fputs("null", out);
    }
}

static void report_json(FILE *out, const vq_session *session)
{
    const vq_alignment *a = &session->alignment;
    const vq_clock_offset *o = &session->offset;
    const vq_offset_check *c = &session->offset_check;
    const vq_tsc_check *t = &session->tsc;
    const vq_kick_stats *k = &session->kick;
    vq_exit_reason *exits = sorted_exits(session);
    vq_summary s;
    size_t i, stage;

    fputs("{\n  \"session\": ", out);
    print_json_string(out, session->directory);
    fprintf(out, ",\n  \"mode\": \"%s\", \"device\": \"%s\", \"ioeventfd\": \"%s\", \"qemu_trace\": \"%s\", "
            "\"delay_ns\": %" PRId64 ", \"matched_by\": \"%s\",\n", session->mode, session->device, session->ioeventfd,
            session->qemu_trace, session->delay_ns, session->stock ? "sectors" : "id");
    fputs("  \"alignment\": {", out);
    json_interval(out, "whole", &a->whole);
    fputs(", ", out);
    json_interval(out, "first_half", &a->first);
    fputs(", ", out);
    json_interval(out, "second_half", &a->second);
    fprintf(out, ", \"usable\": %s, \"offset_ns\": %" PRId64 ", \"width_ns\": ", o->usable ? "true" : "false",
            o->usable ? vq_clock_offset_at(o, o->from_guest_ns + (o->to_guest_ns - o->from_guest_ns) / 2) : a->offset);
    if (a->usable) {
        fprintf(out, "%" PRId64, a->whole.hi - a->whole.lo);
    } else {
        fputs("null", out);
    }
    fprintf(out, ", \"contradiction\": %s, \"contradiction_ns\": %" PRId64 ", \"drift_detected\": %s, "
            "\"drift_ppm\": ", a->contradiction ? "true" : "false", a->contradiction_ns,
            a->drift_detected ? "true" : "false");
    print_json_number(out, a->drift_detected ? a->drift_ppm : NAN);
    fprintf(out, ", \"upper_from_kicks\": %" PRIu64 ", \"lower_from_irqs\": %" PRIu64 ", \"lower_from_ids\": %"
            PRIu64 ",\n    ", session->upper_from_kicks, session->lower_from_irqs, session->lower_from_ids);
    /* The offset the stages use: its method, its error, and the causal interval it is checked against. */
    fprintf(out, "\"method\": \"%s\", \"reason\": ", method_name(o));
    if (o->method == VQ_OFFSET_TSC) {
        fputs("null", out);
    } else {
        print_json_string(out, t->why[0] ? t->why : "not recorded");
    }
    fprintf(out, ", \"offset_start_ns\": %" PRId64 ", \"offset_end_ns\": %" PRId64 ", \"error_ns\": ",
            o->from_offset, o->to_offset);
    if (o->usable) {
        fprintf(out, "%" PRId64, o->error_ns);
    } else {
        fputs("null", out);
    }
    fputs(", \"causal_lo\": ", out);
    json_optional(out, a->whole.has_lo, a->whole.lo);
    fputs(", \"causal_hi\": ", out);
    json_optional(out, a->whole.has_hi, a->whole.hi);
    fputs(", \"midpoint_ns\": ", out);
    json_optional(out, a->usable, a->offset);
    fputs(", \"margin_lo_ns\": ", out);
    json_optional(out, o->usable && c->has_lower, c->lower_margin);
    fputs(", \"margin_hi_ns\": ", out);
    json_optional(out, o->usable && c->has_upper, c->upper_margin);
    fprintf(out, ", \"outside\": %s, \"negative_stages\": {",
            !o->usable ? "null"
            : c->has_lower && c->lower_margin < 0 ? (c->has_upper && c->upper_margin < 0 ? "\"both\"" : "\"lower\"")
            : c->has_upper && c->upper_margin < 0 ? "\"upper\"" : "null");
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        fprintf(out, "%s\"%s\": %" PRIu64, stage ? ", " : "", vq_stage_names[stage], session->negative_stages[stage]);
    }
    fputs("}},\n", out);
    if (t->present) {
        fprintf(out, "  \"tsc_check\": {\"tsc_offset\": %" PRId64 ", \"cycles_per_ns\": %.6f, \"predicted_ns\": [%"
                PRId64, t->tsc_offset, t->cycles_per_ns, t->predicted[0]);
        if (t->predictions > 1) {
            fprintf(out, ", %" PRId64, t->predicted[1]);
        }
        fprintf(out, "], \"predicted_guest_ns\": [%" PRIu64, t->predicted_guest_ns[0]);
        if (t->predictions > 1) {
            fprintf(out, ", %" PRIu64, t->predicted_guest_ns[1]);
        }
        fprintf(out, "], \"read_uncertainty_ns\": %" PRId64 ", \"error_ns\": %" PRId64 ", \"distance_ns\": %"
                PRId64 ", \"inside\": %s},\n", t->read_uncertainty_ns, t->error_ns, t->distance_ns,
                a->usable && t->distance_ns == 0 ? "true" : "false");
    } else {
        fputs("  \"tsc_check\": null,\n", out);
    }
    fprintf(out, "  \"requests\": {\"guest\": %" PRIu64 ", \"stitched\": %zu, \"unmatched\": %zu, "
            "\"negative\": %" PRIu64 "},\n", session->guest_requests, session->row_count, session->unmatched_count,
            session->negative_requests);
    fputs("  \"stages\": {", out);
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        size_t count;
        int64_t *values = vq_session_stage_values(session, (vq_stage)stage, &count);

        s = values ? vq_summarize(values, count) : (vq_summary){ 0 };
        fprintf(out, "%s\n    \"%s\": ", stage ? "," : "", vq_stage_names[stage]);
        json_summary(out, &s);
        free(values);
    }
    fputs("\n  },\n", out);
    fprintf(out, "  \"kicks\": {\"kicks\": %" PRIu64 ", \"notified\": %" PRIu64 ", \"suppressed\": %" PRIu64
            ", \"paired\": %" PRIu64 ", \"host_notifies\": %" PRIu64 ", \"handler_runs\": %" PRIu64
            ", \"empty_runs\": %" PRIu64 ", \"guest_irqs\": %" PRIu64 ", \"host_injections\": %" PRIu64
            ", \"completions\": %" PRIu64 ",\n    \"requests_per_kick\": ", k->kicks, k->notified, k->suppressed,
            k->kicks_paired, k->host_notifies, k->handler_runs, k->empty_runs, k->guest_irqs, k->host_injections,
            k->completions);
    s = summary_of_copy(k->requests_per_kick, k->requests_per_kick_count);
    json_summary(out, &s);
    fputs(",\n    \"pops_per_run\": ", out);
    s = summary_of_copy(k->pops_per_run, k->pops_per_run_count);
    json_summary(out, &s);
    fputs(",\n    \"kick_to_begin_ns\": ", out);
    s = summary_of_copy(k->kick_to_begin, k->kick_to_begin_count);
    json_summary(out, &s);
    fputs("},\n  \"exits\": [", out);
    for (i = 0; exits && i < session->exit_reason_count; i++) {
        char label[32];

        reason_label(label, sizeof(label), &exits[i]);
        s = summary_of_copy(exits[i].durations, exits[i].count);
        fprintf(out, "%s\n    {\"reason\": \"%s\", \"code\": %" PRIu32 ", \"isa\": %" PRIu32 ", \"count\": %" PRIu64
                ", \"in_window\": %" PRIu64 ", \"per_request\": ", i ? "," : "", label, exits[i].reason, exits[i].isa,
                exits[i].total, exits[i].in_window);
        print_json_number(out, session->row_count ? (double)exits[i].in_window / (double)session->row_count : NAN);
        fputs(", \"duration_ns\": ", out);
        json_summary(out, &s);
        fputc('}', out);
    }
    fputs("\n  ],\n  \"unmatched\": [", out);
    for (i = 0; i < session->unmatched_count; i++) {
        fprintf(out, "%s\n    {\"id\": %" PRIu64 ", \"reason\": ", i ? "," : "", session->unmatched[i].id);
        print_json_string(out, session->unmatched[i].reason);
        fputc('}', out);
    }
    fputs("\n  ],\n  \"warnings\": [", out);
    for (i = 0; i < session->warning_count; i++) {
        fputs(i ? ",\n    " : "\n    ", out);
        print_json_string(out, session->warnings[i]);
    }
    fputs("\n  ],\n  \"rows\": [", out);
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
        if (row->hold_at) {
            fprintf(out, ", \"hold_ns\": %" PRId64 ", \"hold_at\": \"%s\"", row->hold_ns, row->hold_at);
        }
        fputc('}', out);
    }
    fputs("\n  ]\n}\n", out);
    free(exits);
}

vq_status vq_report_session(FILE *out, const vq_session *session, vq_format format,
                            const vq_report_options *options)
{
    switch (format) {
    case VQ_FORMAT_TEXT:
        report_text(out, session, options);
        break;
    case VQ_FORMAT_CSV:
        report_csv(out, session);
        break;
    case VQ_FORMAT_JSON:
        report_json(out, session);
        break;
    }
    return ferror(out) ? VQ_ERR_IO : VQ_OK;
}

/* ---- compare ---- */

typedef struct {
    size_t count_a, count_b;
    double median_a, median_b;
    vq_interval shift;
    bool significant;
} stage_comparison;

static stage_comparison compare_stage(const vq_session *a, const vq_session *b, vq_stage stage,
                                      const vq_report_options *options)
{
    stage_comparison result = { .median_a = NAN, .median_b = NAN, .shift = { .estimate = NAN, .low = NAN,
                                                                              .high = NAN } };
    int64_t *values_a = vq_session_stage_values(a, stage, &result.count_a);
    int64_t *values_b = vq_session_stage_values(b, stage, &result.count_b);
    int64_t *scratch = malloc((result.count_a + result.count_b + 1) * sizeof(*scratch));

    if (values_a && values_b && scratch && result.count_a && result.count_b) {
        /* The same seed per stage: each stage's interval does not depend on which stages ran before. */
        result.shift = vq_bootstrap_median_difference(values_a, result.count_a, values_b, result.count_b,
                                                      options->resamples, 0.95, options->seed + stage, scratch);
        vq_sort_int64(values_a, result.count_a);
        vq_sort_int64(values_b, result.count_b);
        result.median_a = vq_percentile_sorted(values_a, result.count_a, 50);
        result.median_b = vq_percentile_sorted(values_b, result.count_b, 50);
        result.significant = result.shift.low > 0 || result.shift.high < 0;
    }
    free(values_a);
    free(values_b);
    free(scratch);
    return result;
}

/* Exits per stitched request of REASON (matched by isa and code) in SESSION; NAN if absent. */
static double exits_per_request(const vq_session *session, uint32_t isa, uint32_t code)
{
    size_t i;

    for (i = 0; i < session->exit_reason_count; i++) {
        if (session->exits[i].isa == isa && session->exits[i].reason == code) {
            return session->row_count ? (double)session->exits[i].in_window / (double)session->row_count : NAN;
        }
    }
    return session->row_count ? 0.0 : NAN;
}

vq_status vq_report_compare(FILE *out, const vq_session *a, const vq_session *b, vq_format format,
                            const vq_report_options *options)
{
    vq_exit_reason *exits = sorted_exits(a);
    size_t stage, i;

    if (format == VQ_FORMAT_TEXT) {
        fprintf(out, "A %s (ioeventfd %s, delay %" PRId64 " ns)\nB %s (ioeventfd %s, delay %" PRId64 " ns)\n",
                a->directory, a->ioeventfd, a->delay_ns, b->directory, b->ioeventfd, b->delay_ns);
        fprintf(out, "median shift B - A with a %u-resample bootstrap 95%% interval (seed %" PRIu64 "), us\n",
                options->resamples, options->seed);
        fputs("(the interval resamples requests within each session: it does not cover session-to-session\n"
              " variation, which in the nested lab can exceed it; repeat sessions before trusting a shift)\n", out);
        fprintf(out, "  %-15s %6s %6s %10s %10s %10s %21s  %s\n", "stage", "n A", "n B", "median A", "median B",
                "shift", "95% interval", "significant");
    } else if (format == VQ_FORMAT_CSV) {
        fputs("stage,count_a,count_b,median_a_ns,median_b_ns,shift_ns,ci_low_ns,ci_high_ns,significant\n", out);
    } else {
        fputs("{\n  \"a\": ", out);
        print_json_string(out, a->directory);
        fputs(",\n  \"b\": ", out);
        print_json_string(out, b->directory);
        fprintf(out, ",\n  \"resamples\": %u, \"seed\": %" PRIu64 ", \"level\": 0.95,\n  \"stages\": {",
                options->resamples, options->seed);
    }
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        stage_comparison c = compare_stage(a, b, (vq_stage)stage, options);

        if (format == VQ_FORMAT_TEXT) {
            if (!c.count_a || !c.count_b) {
                fprintf(out, "  %-15s %6zu %6zu %10s\n", vq_stage_names[stage], c.count_a, c.count_b, "-");
                continue;
            }
            fprintf(out, "  %-15s %6zu %6zu %10.1f %10.1f %+10.1f [%+9.1f, %+9.1f]  %s\n", vq_stage_names[stage],
                    c.count_a, c.count_b, us(c.median_a), us(c.median_b), us(c.shift.estimate), us(c.shift.low),
                    us(c.shift.high), c.significant ? "yes" : "no");
        } else if (format == VQ_FORMAT_CSV) {
            fprintf(out, "%s,%zu,%zu,%.1f,%.1f,%.1f,%.1f,%.1f,%d\n", vq_stage_names[stage], c.count_a, c.count_b,
                    c.median_a, c.median_b, c.shift.estimate, c.shift.low, c.shift.high, c.significant);
        } else {
            fprintf(out, "%s\n    \"%s\": {\"count_a\": %zu, \"count_b\": %zu, \"median_a\": ", stage ? "," : "",
                    vq_stage_names[stage], c.count_a, c.count_b);
            print_json_number(out, c.median_a);
            fputs(", \"median_b\": ", out);
            print_json_number(out, c.median_b);
            fputs(", \"shift\": ", out);
            print_json_number(out, c.shift.estimate);
            fputs(", \"ci_low\": ", out);
            print_json_number(out, c.shift.low);
            fputs(", \"ci_high\": ", out);
            print_json_number(out, c.shift.high);
            fprintf(out, ", \"significant\": %s}", c.significant ? "true" : "false");
        }
    }
    if (format == VQ_FORMAT_TEXT) {
        fprintf(out, "\nVM exits per request (during the workload)\n  %-28s %10s %10s\n", "reason", "A", "B");
    } else if (format == VQ_FORMAT_JSON) {
        fputs("\n  },\n  \"exits_per_request\": [", out);
    }
    for (i = 0; exits && i < a->exit_reason_count && format != VQ_FORMAT_CSV; i++) {
        char label[32];
        double per_a = exits_per_request(a, exits[i].isa, exits[i].reason);
        double per_b = exits_per_request(b, exits[i].isa, exits[i].reason);

        reason_label(label, sizeof(label), &exits[i]);
        if (format == VQ_FORMAT_TEXT) {
            fprintf(out, "  %-28s %10.3f %10.3f\n", label, per_a, per_b);
        } else {
            fprintf(out, "%s\n    {\"reason\": \"%s\", \"a\": ", i ? "," : "", label);
            print_json_number(out, per_a);
            fputs(", \"b\": ", out);
            print_json_number(out, per_b);
            fputc('}', out);
        }
    }
    if (format == VQ_FORMAT_JSON) {
        fputs("\n  ]\n}\n", out);
    }
    free(exits);
    return ferror(out) ? VQ_ERR_IO : VQ_OK;
}

/* ---- Perfetto (Chrome trace event format) ---- */

enum { PID_GUEST = 1, PID_HOST = 2, PID_QEMU = 3 };

static void perfetto_slice(FILE *out, bool *first, int pid, uint64_t tid, const char *name, uint64_t id,
                           int64_t start_host, int64_t end_host)
{
    if (end_host < start_host) {
        return;
    }
    fprintf(out, "%s\n{\"ph\":\"X\",\"pid\":%d,\"tid\":%" PRIu64 ",\"name\":\"%s\",\"ts\":%.3f,\"dur\":%.3f,"
            "\"args\":{\"id\":%" PRIu64 "}}", *first ? "" : ",", pid, tid, name, (double)start_host / 1000.0,
            (double)(end_host - start_host) / 1000.0, id);
    *first = false;
}

static void perfetto_flow(FILE *out, bool *first, const char *phase, int pid, uint64_t tid, uint64_t id,
                          int64_t at_host)
{
    fprintf(out, "%s\n{\"ph\":\"%s\",\"pid\":%d,\"tid\":%" PRIu64 ",\"name\":\"request\",\"cat\":\"request\","
            "\"id\":%" PRIu64 ",\"ts\":%.3f%s}", *first ? "" : ",", phase, pid, tid, id, (double)at_host / 1000.0,
            phase[0] == 'f' ? ",\"bp\":\"e\"" : "");
    *first = false;
}

vq_status vq_report_perfetto(FILE *out, const vq_session *session)
{
    const vq_clock_offset *offset = &session->offset;
    bool first = true;
    size_t i;

    if (!offset->usable) {
        return VQ_ERR_USAGE;
    }
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
    fprintf(out, "\n{\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\",\"args\":{\"name\":\"guest (aligned, "
            "offset %" PRId64 " ns, %s)\"}},", PID_GUEST, offset->from_offset, method_name(offset));
    fprintf(out, "\n{\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\",\"args\":{\"name\":\"host kernel "
            "(vCPU threads)\"}},", PID_HOST);
    fprintf(out, "\n{\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\",\"args\":{\"name\":\"QEMU device\"}}",
            PID_QEMU);
    first = false;
    for (i = 0; i < session->row_count; i++) {
        const vq_request_row *r = &session->rows[i];
        /* One offset per request, taken at its submit: the drift over one request is a fraction of a ns,
         * and one offset keeps each guest slice exactly as long as the guest measured it (per-event
         * offsets would round differently at its two ends). */
        int64_t request_offset = vq_clock_offset_at(offset, r->submit_guest);
        int64_t submit = (int64_t)r->submit_guest + request_offset;
        int64_t kick = (int64_t)r->kick_guest + request_offset;
        int64_t irq = (int64_t)r->irq_guest + request_offset;
        int64_t complete = (int64_t)r->complete_guest + request_offset;
        uint64_t guest_track = r->vq;

        perfetto_slice(out, &first, PID_GUEST, guest_track, "submit>kick", r->id, submit, kick);
        perfetto_flow(out, &first, "s", PID_GUEST, guest_track, r->id, submit);
        if (!r->batched && r->exit_host) {
            perfetto_slice(out, &first, PID_HOST, r->vcpu_tid, "exit>signal", r->id, (int64_t)r->exit_host,
                           (int64_t)(r->signal_host ? r->signal_host : r->exit_host));
            perfetto_flow(out, &first, "t", PID_HOST, r->vcpu_tid, r->id, (int64_t)r->exit_host);
        }
        if (r->handler_host) {
            perfetto_slice(out, &first, PID_QEMU, 1, "handler>begin", r->id, (int64_t)r->handler_host,
                           (int64_t)r->begin_host);
        }
        perfetto_slice(out, &first, PID_QEMU, 2, "begin>end", r->id, (int64_t)r->begin_host, (int64_t)r->end_host);
        perfetto_flow(out, &first, "t", PID_QEMU, 2, r->id, (int64_t)r->begin_host);
        if (r->inject_host) {
            perfetto_slice(out, &first, PID_QEMU, 3, "end>inject", r->id, (int64_t)r->end_host,
                           (int64_t)r->inject_host);
        }
        perfetto_slice(out, &first, PID_GUEST, 100 + guest_track, "irq>complete", r->id, irq, complete);
        perfetto_flow(out, &first, "f", PID_GUEST, 100 + guest_track, r->id, irq);
    }
    fputs("\n]}\n", out);
    return ferror(out) ? VQ_ERR_IO : VQ_OK;
}
