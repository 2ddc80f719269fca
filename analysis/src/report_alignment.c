// SPDX-License-Identifier: GPL-2.0-or-later
/* The clock alignment part of a session's report (report_alignment.h). */
#include "report_alignment.h"

#include "report_format.h"

#include <inttypes.h>
#include <math.h>

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

            fprintf(out, "  per guest CPU (a guest's CPUs need not read one clock: under TCG each vCPU's TSC starts at "
                    "its own moment; one offset for all %s): each CPU's own bounds give its offset, and a "
                    "cross-clock stage takes the one of its guest event's CPU:",
                    session->all_cpu_contradiction_ns ? "contradicts the bounds" : "would sit where their intervals "
                    "overlap");
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

void vq_report_alignment_text(FILE *out, const vq_session *session)
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

static void json_interval(FILE *out, const char *name, const vq_offset_interval *interval)
{
    fprintf(out, "\"%s\": {\"lo\": ", name);
    vq_json_optional(out, interval->has_lo, interval->lo);
    fputs(", \"hi\": ", out);
    vq_json_optional(out, interval->has_hi, interval->hi);
    fprintf(out, ", \"upper_bounds\": %zu, \"lower_bounds\": %zu}", interval->upper_count, interval->lower_count);
}

void vq_report_alignment_json(FILE *out, const vq_session *session)
{
    const vq_alignment *a = &session->alignment;
    const vq_clock_offset *o = &session->offset;
    const vq_offset_check *c = &session->offset_check;
    const vq_tsc_check *t = &session->tsc;
    size_t stage;

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
        /* the offset the stages use (at the middle of its span) against the causal interval's midpoint */
        vq_json_optional(out, o->usable && a->usable,
                         vq_clock_offset_at(o, o->from_guest_ns + (o->to_guest_ns - o->from_guest_ns) / 2) - a->offset);
        if (t->vcpus) {
            fprintf(out, ", \"vcpus\": %zu, \"vcpu_offset_spread_cycles\": %" PRId64
                    ", \"vcpu_prediction_spread_ns\": %" PRId64, t->vcpus, t->vcpu_offset_spread,
                    t->vcpu_prediction_spread_ns);
        }
        fputs("},\n", out);
    } else {
        fputs("  \"tsc_check\": null,\n", out);
    }
}
