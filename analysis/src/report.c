// SPDX-License-Identifier: GPL-2.0-or-later
/* Reporters (see report.h). Pure formatting of the model: no reading, no stitching here. */
#include "report.h"

#include "report_cost.h"
#include "report_e2e.h"
#include "qemu_events.h"
#include "report_distribution.h"
#include "report_format.h"
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
        if (t->vcpus) {
            char spread[64] = "equal";

            if (t->vcpu_offset_spread) {
                snprintf(spread, sizeof(spread), "differ by %" PRId64 " cycles", t->vcpu_offset_spread);
            }
            fprintf(out, "  per vCPU: %zu vCPU%s, tsc-offsets %s, their own clock pairs predict offsets within %"
                    PRId64 " ns\n", t->vcpus, t->vcpus > 1 ? "s" : "", spread, t->vcpu_prediction_spread_ns);
        }
    } else {
        fprintf(out, "  method: causal: no TSC data (%s)\n", t->why[0] ? t->why : "not recorded");
        if (!o->usable) {
            fputs("  no offset: cross-clock stages are left out\n", out);
        } else if (o->to_guest_ns > o->from_guest_ns) {
            fprintf(out, "  offset %" PRId64 " at guest %" PRIu64 " ns .. %" PRId64 " at guest %" PRIu64 " ns: the "
                    "middle of the widest band a straight line leaves between the bounds (the clocks drift %.1f ppm), "
                    "error +- %" PRId64 " ns (half its width%s)\n", o->from_offset, o->from_guest_ns, o->to_offset,
                    o->to_guest_ns, a->line.slope_ppm, o->error_ns, a->line.width < 0 ? "; it contradicts" : "");
        } else if (a->contradiction) {
            fprintf(out, "  offset %" PRId64 " (midpoint of a contradicting interval, lo > hi), error at least +- %"
                    PRId64 " ns\n", o->from_offset, o->error_ns);
        } else {
            fprintf(out, "  offset %" PRId64 " (midpoint of the causal interval), error +- %" PRId64
                    " ns (half its width)\n", o->from_offset, o->error_ns);
        }
        if (session->per_cpu_offsets) {
            uint32_t cpu;

            fprintf(out, "  per guest CPU: one offset for all contradicts the bounds by %" PRId64 " ns, each CPU's own "
                    "bounds agree (its clock is its own: under TCG each vCPU's TSC starts at its own moment);\n"
                    "  a cross-clock stage takes the offset of its guest event's CPU:", session->all_cpu_contradiction_ns);
            for (cpu = 0; cpu < VQ_GUEST_MAX_CPUS; cpu++) {
                const vq_clock_offset *own = &session->cpu_offset[cpu];

                if (own->usable) {
                    fprintf(out, " cpu%" PRIu32 " %+" PRId64 " (+- %" PRId64 ")", cpu,
                            vq_clock_offset_at(own, own->from_guest_ns + (own->to_guest_ns - own->from_guest_ns) / 2) -
                            vq_clock_offset_at(o, own->from_guest_ns + (own->to_guest_ns - own->from_guest_ns) / 2),
                            own->error_ns);
                }
            }
            fputs(" ns from the all-CPU offset\n", out);
        }
    }
}

/* One side of the check: the smallest margin between the offset and the bounds of that side. */
static void text_margin(FILE *out, const char *label, const vq_bound_margin *side)
{
    if (!side->has) {
        fprintf(out, "    %s: no bound\n", label);
    } else if (side->margin >= 0) {
        fprintf(out, "    %s: %" PRId64 " ns inside (closest: %s)\n", label, side->margin,
                vq_bound_source_name(side->source));
    } else {
        fprintf(out, "    %s: OUTSIDE by %" PRId64 " ns (%s; %zu bounds violated)\n", label, -side->margin,
                vq_bound_source_name(side->source), side->violations);
    }
}

/* Where the TSC offset falls in the causal interval, each bound taken at its own guest time. */
static void text_tsc_check(FILE *out, const vq_session *session)
{
    const vq_offset_check *c = &session->offset_check;

    if (session->offset.method != VQ_OFFSET_TSC) {
        return;
    }
    if (c->lower.has && c->lower.margin < 0) {
        fputs("  WARNING: the TSC offset is below the causal LOWER bound (injection -> irq / end -> complete)\n", out);
    }
    if (c->upper.has && c->upper.margin < 0) {
        fputs("  WARNING: the TSC offset is above the causal UPPER bound (kick -> exit)\n", out);
    }
    fputs("  in the causal interval (TSC offset vs each bound at its guest time):\n", out);
    text_margin(out, "above lo", &c->lower);
    text_margin(out, "below hi", &c->upper);
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
                "or the pairing is wrong\n", vq_offset_method_name(&session->offset), session->negative_requests);
    }
}

static void text_stages(FILE *out, const vq_session *session)
{
    size_t stage;

    fprintf(out, "stages (us)         count       mean        p50        p90        p99      p99.9   neg\n");
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        size_t count;
        int64_t *values = vq_session_stage_values(session, (vq_stage)stage, &count);

        if (values) {
            vq_text_summary_row(out, vq_stage_names[stage], values, count);
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
                    vq_us(s.p50), vq_us(s.p99), s.count);
        }
        free(copy);
    }
    fprintf(out, "  interrupts per completion: guest %.3f (%" PRIu64 " irqs), host injections %.3f (%" PRIu64
            "),\n  %" PRIu64 " irqs paired with an injection\n",
            k->completions ? (double)k->guest_irqs / (double)k->completions : 0.0, k->guest_irqs,
            k->completions ? (double)k->host_injections / (double)k->completions : 0.0, k->host_injections,
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
                    count, vq_us(s.p50), vq_us(s.min));
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
    fprintf(out, "session %s\n", vq_session_name(session));
    fprintf(out, "  mode %s, device %s, ioeventfd %s, QEMU trace %s, device delay %" PRId64 " ns\n", session->mode,
            session->device, session->ioeventfd, session->qemu_trace, session->delay_ns);
    fprintf(out, "requests: %" PRIu64 " in the guest trace, %zu stitched (%zu batched, %zu harvested),\n"
            "  %zu unmatched, %" PRIu64 " with a negative stage\n", session->guest_requests, session->row_count,
            batched, harvested, session->unmatched_count, session->negative_requests);
    text_holds(out, session);
    if (session->stock) {
        fputs("  stock virtio-blk: no request ids; guest block_rq_issue/complete and QEMU's\n"
              "  " VQ_QEMU_EVENT_VIRTIO_BLK_HANDLE_READ "/write matched by (sector, sectors, write), ids numbered "
              "in issue order\n", out);
    }
    fputc('\n', out);
    text_alignment(out, session);
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

static void json_interval(FILE *out, const char *name, const vq_offset_interval *interval)
{
    fprintf(out, "\"%s\": {\"lo\": ", name);
    vq_json_optional(out, interval->has_lo, interval->lo);
    fputs(", \"hi\": ", out);
    vq_json_optional(out, interval->has_hi, interval->hi);
    fprintf(out, ", \"upper_bounds\": %zu, \"lower_bounds\": %zu}", interval->upper_count, interval->lower_count);
}

static void report_json(FILE *out, const vq_session *session)
{
    const vq_alignment *a = &session->alignment;
    const vq_clock_offset *o = &session->offset;
    const vq_offset_check *c = &session->offset_check;
    const vq_tsc_check *t = &session->tsc;
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
    vq_json_number(out, a->drift_detected ? a->drift_ppm : NAN);
    if (o->method == VQ_OFFSET_CAUSAL && o->to_guest_ns > o->from_guest_ns) {   /* the offset is a drifting line */
        fprintf(out, ", \"line_ppm\": %.3f, \"line_width_ns\": %" PRId64, a->line.slope_ppm, a->line.width);
    }
    if (session->per_cpu_offsets) {   /* each guest CPU its own offset */
        uint32_t cpu;
        bool first = true;

        fprintf(out, ", \"all_cpu_contradiction_ns\": %" PRId64 ", \"per_cpu\": [", session->all_cpu_contradiction_ns);
        for (cpu = 0; cpu < VQ_GUEST_MAX_CPUS; cpu++) {
            const vq_clock_offset *own = &session->cpu_offset[cpu];

            if (own->usable) {
                fprintf(out, "%s{\"cpu\": %" PRIu32 ", \"offset_start_ns\": %" PRId64 ", \"offset_end_ns\": %" PRId64
                        ", \"from_guest_ns\": %" PRIu64 ", \"to_guest_ns\": %" PRIu64 ", \"error_ns\": %" PRId64 "}",
                        first ? "" : ", ", cpu, own->from_offset, own->to_offset, own->from_guest_ns, own->to_guest_ns,
                        own->error_ns);
                first = false;
            }
        }
        fputc(']', out);
    }
    fprintf(out, ", \"upper_from_kicks\": %" PRIu64 ", \"lower_from_irqs\": %" PRIu64 ", \"lower_from_ids\": %"
            PRIu64 ",\n    ", session->upper_from_kicks, session->lower_from_irqs, session->lower_from_ids);
    /* The offset the stages use: its method, its error, and the causal interval it is checked against. */
    fprintf(out, "\"method\": \"%s\", \"reason\": ", vq_offset_method_name(o));
    if (o->method == VQ_OFFSET_TSC) {
        fputs("null", out);
    } else {
        vq_json_string(out, t->why[0] ? t->why : "not recorded");
    }
    fprintf(out, ", \"offset_start_ns\": %" PRId64 ", \"offset_end_ns\": %" PRId64 ", \"error_ns\": ",
            o->from_offset, o->to_offset);
    if (o->usable) {
        fprintf(out, "%" PRId64, o->error_ns);
    } else {
        fputs("null", out);
    }
    fputs(", \"causal_lo\": ", out);
    vq_json_optional(out, a->whole.has_lo, a->whole.lo);
    fputs(", \"causal_hi\": ", out);
    vq_json_optional(out, a->whole.has_hi, a->whole.hi);
    fputs(", \"midpoint_ns\": ", out);
    vq_json_optional(out, a->usable, a->offset);
    fputs(", \"margin_lo_ns\": ", out);
    vq_json_optional(out, o->usable && c->lower.has, c->lower.margin);
    fputs(", \"margin_hi_ns\": ", out);
    vq_json_optional(out, o->usable && c->upper.has, c->upper.margin);
    fprintf(out, ", \"outside\": %s, \"negative_stages\": {",
            !o->usable ? "null"
            : c->lower.has && c->lower.margin < 0 ? (c->upper.has && c->upper.margin < 0 ? "\"both\"" : "\"lower\"")
            : c->upper.has && c->upper.margin < 0 ? "\"upper\"" : "null");
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
                PRId64 ", \"inside\": %s, \"offset_from_midpoint_ns\": ", t->read_uncertainty_ns, t->error_ns,
                t->distance_ns, a->usable && t->distance_ns == 0 ? "true" : "false");
        if (t->vcpus) {
            fprintf(out, "\"vcpus\": %zu, \"vcpu_offset_spread_cycles\": %" PRId64 ", \"vcpu_prediction_spread_ns\": %"
                    PRId64 ", ", t->vcpus, t->vcpu_offset_spread, t->vcpu_prediction_spread_ns);
        }
        /* the offset the stages use (at the middle of its span) against the causal interval's midpoint */
        vq_json_optional(out, o->usable && a->usable,
                         vq_clock_offset_at(o, o->from_guest_ns + (o->to_guest_ns - o->from_guest_ns) / 2) - a->offset);
        fputs("},\n", out);
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
        vq_json_summary(out, &s);
        free(values);
    }
    fputs("\n  },\n  ", out);
    vq_report_cdf_json(out, session);
    fprintf(out, ",\n  \"kicks\": {\"kicks\": %" PRIu64 ", \"notified\": %" PRIu64 ", \"suppressed\": %" PRIu64
            ", \"paired\": %" PRIu64 ", \"host_notifies\": %" PRIu64 ", \"handler_runs\": %" PRIu64
            ", \"empty_runs\": %" PRIu64 ", \"guest_irqs\": %" PRIu64 ", \"host_injections\": %" PRIu64
            ", \"completions\": %" PRIu64 ",\n    \"requests_per_kick\": ", k->kicks, k->notified, k->suppressed,
            k->kicks_paired, k->host_notifies, k->handler_runs, k->empty_runs, k->guest_irqs, k->host_injections,
            k->completions);
    s = vq_summary_of_copy(k->requests_per_kick, k->requests_per_kick_count);
    vq_json_summary(out, &s);
    fputs(",\n    \"pops_per_run\": ", out);
    s = vq_summary_of_copy(k->pops_per_run, k->pops_per_run_count);
    vq_json_summary(out, &s);
    fputs(",\n    \"kick_to_begin_ns\": ", out);
    s = vq_summary_of_copy(k->kick_to_begin, k->kick_to_begin_count);
    vq_json_summary(out, &s);
    fputs(",\n    ", out);
    vq_report_kick_histogram_json(out, session);
    fputs(",\n    ", out);
    vq_report_served_per_kick_json(out, session);
    fputs("},\n  \"exits\": [", out);
    for (i = 0; exits && i < session->exit_reason_count; i++) {
        char label[32];

        vq_exit_label(label, sizeof(label), &exits[i]);
        s = vq_summary_of_copy(exits[i].durations, exits[i].count);
        fprintf(out, "%s\n    {\"reason\": \"%s\", \"code\": %" PRIu32 ", \"isa\": %" PRIu32 ", \"count\": %" PRIu64
                ", \"in_window\": %" PRIu64 ", \"per_request\": ", i ? "," : "", label, exits[i].reason, exits[i].isa,
                exits[i].total, exits[i].in_window);
        vq_json_number(out, session->row_count ? (double)exits[i].in_window / (double)session->row_count : NAN);
        fprintf(out, ", \"userspace_in_window\": %" PRIu64, exits[i].userspace_in_window);
        in_window += exits[i].in_window;
        fputs(", \"duration_ns\": ", out);
        vq_json_summary(out, &s);
        fputc('}', out);
    }
    fputs("\n  ],\n  \"exits_per_request\": ", out);
    vq_json_number(out, session->row_count ? (double)in_window / (double)session->row_count : NAN);
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
