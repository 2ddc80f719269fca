// SPDX-License-Identifier: GPL-2.0-or-later
/* The compare of two sessions: per-stage median shifts with bootstrap intervals, exits per request
 * and the cost figures' shifts (report_cost.c) (report.h). A side is one session or several boots of one
 * setting, pooled (blocks.h). */
#include "report.h"

#include "containers.h"

#include "blocks.h"
#include "report_cost.h"
#include "report_format.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t count_a, count_b;
    double median_a, median_b;
    vq_interval shift;
    bool significant;
} stage_comparison;

static bool stage_value(const vq_request_row *row, const void *stage, int64_t *value)
{
    vq_stage which = *(const vq_stage *)stage;

    *value = row->stage[which];
    return row->has[which];
}

static stage_comparison compare_stage(const vq_side *a, const vq_side *b, vq_stage stage, vq_units units,
                                      const vq_report_options *options)
{
    stage_comparison result = { .median_a = NAN, .median_b = NAN, .shift = { .estimate = NAN, .low = NAN,
                                                                              .high = NAN } };
    int64_t *values_a = vq_side_values(a, stage_value, &stage, &result.count_a);
    int64_t *values_b = vq_side_values(b, stage_value, &stage, &result.count_b);
    int64_t *scratch = malloc((result.count_a + result.count_b + 1) * sizeof(*scratch));

    if (values_a && values_b && scratch && result.count_a && result.count_b) {
        /* The same seed per stage: each stage's interval does not depend on which stages ran before. Boots
         * resampled when a side has several; two disks of A/B sessions: blocks (they carry the drift within
         * the boot); else requests. */
        if (units == VQ_UNITS_BOOTS) {
            result.shift = vq_boots_shift(a, b, stage_value, &stage, options->resamples, options->seed + stage);
        } else if (units == VQ_UNITS_BLOCKS) {
            result.shift = vq_blocks_shift(a->sessions[0], b->sessions[0], stage_value, &stage, options->resamples,
                                           options->seed + stage);
        } else {
            result.shift = vq_bootstrap_median_difference(values_a, result.count_a, values_b, result.count_b,
                                                          options->resamples, 0.95, options->seed + stage, scratch);
        }
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

/* Exits per stitched request of REASON (matched by isa and code) over SIDE's sessions; NAN if no row. */
static double exits_per_request(const vq_side *side, uint32_t isa, uint32_t code)
{
    uint64_t exits = 0, rows = 0;
    size_t s, i;

    for (s = 0; s < side->count; s++) {
        const vq_session *session = side->sessions[s];

        rows += session->emitted.stitched;
        for (i = 0; i < session->exit_reason_count; i++) {
            if (session->exits[i].isa == isa && session->exits[i].reason == code) {
                exits += session->exits[i].in_window;
            }
        }
    }
    return rows ? (double)exits / (double)rows : NAN;
}

/*
 * The exit reasons to list: those of A's first session in its order (by count), then any other session's
 * (A's other boots, then B's) that A's first has not, in their own order: a reason only B has is a finding
 * of the compare, not to be left out. A copy to free; NULL when out of memory.
 */
static vq_exit_reason *listed_exits(const vq_side *a, const vq_side *b, size_t *count)
{
    const vq_side *sides[2] = { a, b };
    vq_exit_reason *listed = NULL;
    size_t capacity = 0, side, s, i, j;

    *count = 0;
    for (side = 0; side < 2; side++) {
        for (s = 0; s < sides[side]->count; s++) {
            const vq_session *session = sides[side]->sessions[s];
            vq_exit_reason *sorted = vq_sorted_exits(session);

            if (!sorted) {
                free(listed);
                return NULL;
            }
            for (i = 0; i < session->exit_reason_count; i++) {
                vq_exit_reason *slot;

                for (j = 0; j < *count; j++) {
                    if (listed[j].isa == sorted[i].isa && listed[j].reason == sorted[i].reason) {
                        break;
                    }
                }
                if (j < *count) {
                    continue;
                }
                if (!(slot = VQ_PUSH(listed, *count, capacity))) {
                    free(sorted);
                    free(listed);
                    return NULL;
                }
                *slot = sorted[i];
            }
            free(sorted);
        }
    }
    return listed ? listed : calloc(1, sizeof(*listed));
}

/* SIDE's ioeventfd setting: its sessions', "mixed" when they differ. */
static const char *side_ioeventfd(const vq_side *side)
{
    size_t s;

    for (s = 1; s < side->count; s++) {
        if (strcmp(side->sessions[s]->ioeventfd, side->sessions[0]->ioeventfd) != 0) {
            return "mixed";
        }
    }
    return side->sessions[0]->ioeventfd;
}

/* Text: SIDE's session names, ", " between them. */
static void side_names_text(FILE *out, const vq_side *side)
{
    size_t s;

    for (s = 0; s < side->count; s++) {
        fprintf(out, "%s%s", s ? ", " : "", vq_session_name(side->sessions[s]));
    }
}

/* JSON: "KEY": the first session's name, or all of them joined by " + "; "sessions_KEY": the list. */
static void side_names_json(FILE *out, const char *key, const vq_side *side)
{
    size_t s, length = 1;
    char *joined;

    for (s = 0; s < side->count; s++) {
        length += strlen(vq_session_name(side->sessions[s])) + 3;
    }
    joined = calloc(length, 1);
    for (s = 0; joined && s < side->count; s++) {
        if (s) {
            strcat(joined, " + ");
        }
        strcat(joined, vq_session_name(side->sessions[s]));
    }
    fprintf(out, "\"%s\": ", key);
    vq_json_string(out, joined ? joined : "");
    fprintf(out, ", \"sessions_%s\": [", key);
    for (s = 0; s < side->count; s++) {
        fputs(s ? ", " : "", out);
        vq_json_string(out, vq_session_name(side->sessions[s]));
    }
    fputc(']', out);
    free(joined);
}

vq_status vq_report_compare(FILE *out, const vq_side *a, const vq_side *b, vq_format format,
                            const vq_report_options *options)
{
    const vq_session *first_a = a->sessions[0], *first_b = b->sessions[0];
    size_t exit_count = 0;
    vq_exit_reason *exits = listed_exits(a, b, &exit_count);
    vq_units units = vq_compare_units(a, b);
    size_t blocks_a = a->count == 1 ? vq_blocks_with_rows(first_a) : 0;
    size_t blocks_b = b->count == 1 ? vq_blocks_with_rows(first_b) : 0;
    static const char *const unit_names[] = { "requests", "blocks", "boots" };
    size_t stage, i;

    if (format == VQ_FORMAT_TEXT) {
        fputs("A ", out);
        side_names_text(out, a);
        fprintf(out, " (ioeventfd %s, delay %" PRId64 " ns)\nB ", side_ioeventfd(a), first_a->delay_ns);
        side_names_text(out, b);
        fprintf(out, " (ioeventfd %s, delay %" PRId64 " ns)\n", side_ioeventfd(b), first_b->delay_ns);
        fprintf(out, "median shift B - A with a %u-resample bootstrap 95%% interval (seed %" PRIu64 "), us\n",
                options->resamples, options->seed);
        if (units == VQ_UNITS_BOOTS) {
            fprintf(out, "(the interval resamples boots, %zu A and %zu B, each kept as recorded: it covers\n"
                    " boot-to-boot variation; medians are of the pooled requests)\n", a->count, b->count);
        } else if (units == VQ_UNITS_BLOCKS) {
            fprintf(out, "(the interval resamples the disks' blocks, %zu A and %zu B, alternated in one boot: it\n"
                    " covers drift within the boot, not boot-to-boot variation)\n", blocks_a, blocks_b);
        } else {
            fputs("(the interval resamples requests within each session: it does not cover session-to-session\n"
                  " variation, which in the nested lab can exceed it; repeat sessions before trusting a shift)\n",
                  out);
        }
        fprintf(out, "  %-15s %6s %6s %10s %10s %10s %21s  %s\n", "stage", "n A", "n B", "median A", "median B",
                "shift", "95% interval", "significant");
    } else if (format == VQ_FORMAT_CSV) {
        fputs("stage,count_a,count_b,median_a_ns,median_b_ns,shift_ns,ci_low_ns,ci_high_ns,significant\n", out);
    } else {
        fprintf(out, "{\n  \"format\": \"%s\", \"version\": %d,\n  ", VQ_COMPARE_FORMAT, VQ_COMPARE_VERSION);
        side_names_json(out, "a", a);
        fputs(",\n  ", out);
        side_names_json(out, "b", b);
        fprintf(out, ",\n  \"resamples\": %u, \"seed\": %" PRIu64 ", \"level\": 0.95, \"interval\": \"%s\", "
                "\"blocks_a\": %zu, \"blocks_b\": %zu, \"boots_a\": %zu, \"boots_b\": %zu,\n  \"ioeventfd_a\": ",
                options->resamples, options->seed, unit_names[units], blocks_a, blocks_b, a->count, b->count);
        vq_json_string(out, side_ioeventfd(a));
        fputs(", \"ioeventfd_b\": ", out);
        vq_json_string(out, side_ioeventfd(b));
        fputs(",\n  \"stages\": {", out);
    }
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        stage_comparison c = compare_stage(a, b, (vq_stage)stage, units, options);

        if (format == VQ_FORMAT_TEXT) {
            if (!c.count_a || !c.count_b) {
                fprintf(out, "  %-15s %6zu %6zu %10s\n", vq_stage_names[stage], c.count_a, c.count_b, "-");
                continue;
            }
            fprintf(out, "  %-15s %6zu %6zu %10.1f %10.1f %+10.1f [%+9.1f, %+9.1f]  %s\n", vq_stage_names[stage],
                    c.count_a, c.count_b, vq_us(c.median_a), vq_us(c.median_b), vq_us(c.shift.estimate), vq_us(c.shift.low),
                    vq_us(c.shift.high), c.significant ? "yes" : "no");
        } else if (format == VQ_FORMAT_CSV) {
            fprintf(out, "%s,%zu,%zu,%.1f,%.1f,%.1f,%.1f,%.1f,%d\n", vq_stage_names[stage], c.count_a, c.count_b,
                    c.median_a, c.median_b, c.shift.estimate, c.shift.low, c.shift.high, c.significant);
        } else {
            fprintf(out, "%s\n    \"%s\": {\"count_a\": %zu, \"count_b\": %zu, \"median_a\": ", stage ? "," : "",
                    vq_stage_names[stage], c.count_a, c.count_b);
            vq_json_number(out, c.median_a);
            fputs(", \"median_b\": ", out);
            vq_json_number(out, c.median_b);
            fputs(", \"shift\": ", out);
            vq_json_number(out, c.shift.estimate);
            fputs(", \"ci_low\": ", out);
            vq_json_number(out, c.shift.low);
            fputs(", \"ci_high\": ", out);
            vq_json_number(out, c.shift.high);
            fprintf(out, ", \"significant\": %s}", c.significant ? "true" : "false");
        }
    }
    if (format == VQ_FORMAT_TEXT) {
        fprintf(out, "\nVM exits per request (during the workload)\n  %-28s %10s %10s\n", "reason", "A", "B");
    } else if (format == VQ_FORMAT_JSON) {
        fputs("\n  },\n  \"exits_per_request\": [", out);
    }
    for (i = 0; exits && i < exit_count && format != VQ_FORMAT_CSV; i++) {
        char label[32];
        double per_a = exits_per_request(a, exits[i].isa, exits[i].reason);
        double per_b = exits_per_request(b, exits[i].isa, exits[i].reason);

        vq_exit_label(label, sizeof(label), &exits[i]);
        if (format == VQ_FORMAT_TEXT) {
            fprintf(out, "  %-28s %10.3f %10.3f\n", label, per_a, per_b);
        } else {
            fprintf(out, "%s\n    {\"reason\": \"%s\", \"a\": ", i ? "," : "", label);
            vq_json_number(out, per_a);
            fputs(", \"b\": ", out);
            vq_json_number(out, per_b);
            fputc('}', out);
        }
    }
    if (format == VQ_FORMAT_JSON) {
        fputs("\n  ]", out);
    }
    vq_report_cost_compare(out, a, b, format, options);
    if (format == VQ_FORMAT_JSON) {
        fputs("\n}\n", out);
    }
    free(exits);
    return ferror(out) ? VQ_ERR_IO : VQ_OK;
}
