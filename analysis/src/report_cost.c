// SPDX-License-Identifier: GPL-2.0-or-later
/* The host's side of the reports: the VM exit table and the cost figures (report_cost.h). Formatting
 * only: the figures are summaries.c's and cost.c's. */
#include "report_cost.h"

#include "blocks.h"

#include "report_format.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* One per-request figure of vq_cost_per_request, as the compare lists it. */
typedef struct {
    const char *key;     /* JSON: a key of per_request, or of its cpu_ns / wakeups objects */
    const char *label;   /* text */
    bool time;           /* ns (text in us), else a count */
    size_t offset;       /* of its double in vq_cost_per_request */
} figure;

#define FIGURE(key, label, time, member) { key, label, time, offsetof(vq_cost_per_request, member) }
#define CLASS_FIGURES(label, time, member)                                   \
    FIGURE("vcpu", label " vCPU", time, member[VQ_THREAD_VCPU]),             \
    FIGURE("main_loop", label " main loop", time, member[VQ_THREAD_MAIN_LOOP]), \
    FIGURE("iothread", label " IOThread", time, member[VQ_THREAD_IOTHREAD]), \
    FIGURE("other", label " other", time, member[VQ_THREAD_OTHER]),          \
    FIGURE("all", label " all", time, member[VQ_THREAD_CLASS_COUNT])

static const figure plain_figures[] = {
    FIGURE("notify_exit_time_ns", "vCPU in notify exits (us)", true, notify_exit_ns),
    FIGURE("exits", "VM exits", false, exits),
    FIGURE("userspace_exits", "  to user space", false, userspace_exits),
    FIGURE("exit_time_ns", "vCPU in VM exits (us)", true, exit_ns),
    FIGURE("userspace_exit_time_ns", "  in user space (us)", true, userspace_exit_ns),
};
static const figure cpu_figures[] = { CLASS_FIGURES("CPU (us)", true, cpu_ns) };
static const figure wakeup_figures[] = { CLASS_FIGURES("wakeups", false, wakeups) };

static double figure_value(const vq_cost_per_request *figures, const figure *which)
{
    double value;

    memcpy(&value, (const char *)figures + which->offset, sizeof(value));
    return value;
}

/* VALUE with DIGITS decimals, null for NaN. */
static void json_fixed(FILE *out, double value, int digits)
{
    if (isnan(value)) {
        fputs("null", out);
    } else {
        fprintf(out, "%.*f", digits, value);
    }
}

/* The rows' notify exits (each row's own); caller frees. */
static int64_t *row_notify_exits(const vq_session *session, size_t *count)
{
    const vq_emitted *emitted = &session->emitted;
    int64_t *values = malloc((emitted->notify_exit_count + 1) * sizeof(*values));
    size_t i;

    *count = 0;
    for (i = 0; values && i < emitted->notify_exit_count; i++) {
        values[(*count)++] = emitted->notify_exits[i].duration;
    }
    return values;
}

/* Their summary; all zero when out of memory. */
static vq_summary row_notify_exit_summary(const vq_session *session)
{
    size_t count;
    int64_t *values = row_notify_exits(session, &count);
    vq_summary summary = values ? vq_summarize(values, count) : (vq_summary){ 0 };

    free(values);
    return summary;
}

static bool notify_exit_value(const vq_request_row *row, const void *unused, int64_t *value)
{
    (void)unused;
    *value = row->notify_exit_ns;
    return row->notify_exit_ns >= 0;
}

/* ---- one session ---- */

void vq_report_exits_text(FILE *out, const vq_session *session)
{
    vq_exit_reason *exits = vq_sorted_exits(session);
    size_t i;

    if (!exits || session->exit_reason_count == 0) {
        fprintf(out, "VM exits: none recorded\n");
        free(exits);
        return;
    }
    fprintf(out, "VM exits (kvm_exit -> kvm_entry, us)  count  per request       mean        p50        p99\n");
    for (i = 0; i < session->exit_reason_count; i++) {
        char label[32];
        vq_summary s = vq_hist_summary(exits[i].duration);

        vq_exit_label(label, sizeof(label), &exits[i]);
        fprintf(out, "  %-28s %13" PRIu64 " %12.3f %10.1f %10.1f %10.1f\n", label, exits[i].total,
                session->emitted.stitched ? (double)exits[i].in_window / (double)session->emitted.stitched : 0.0, vq_us(s.mean),
                vq_us(s.p50), vq_us(s.p99));
    }
    fprintf(out, "  (per request: exits between the first submit and the last completion / stitched requests)\n");
    free(exits);
}


static void text_cell(FILE *out, double value, bool time)
{
    if (isnan(value)) {
        fprintf(out, " %10s", "-");
    } else {
        fprintf(out, time ? " %10.1f" : " %10.2f", time ? vq_us(value) : value);
    }
}

void vq_report_cost_text(FILE *out, const vq_session *session)
{
    const vq_cost *cost = &session->cost;
    vq_cost_per_request f = vq_cost_per_request_of(cost);
    vq_summary s = row_notify_exit_summary(session);
    size_t c;

    if (!cost->measured) {
        fputs("cost: not measured (no host probe stream, no stitched request, or no workload window on the host "
              "clock)\n", out);
        return;
    }
    fprintf(out, "cost (host side, over the workload window of %.3f s; per stitched request, %zu requests)\n",
            (double)cost->window_ns / 1e9, cost->requests);
    if (cost->has_exits && s.count) {
        fprintf(out, "  vCPU in the notify exit (kvm_exit -> kvm_entry of the kick's doorbell write): p50 %.1f us,\n"
                "    p99 %.1f us (%zu requests); %zu exits, %.1f us of vCPU time per request\n", vq_us(s.p50),
                vq_us(s.p99), s.count, cost->notify_exit_count, vq_us(f.notify_exit_ns));
    } else if (cost->has_exits) {
        fputs("  vCPU in the notify exit: no row has its notify exit (all batched?)\n", out);
    }
    if (cost->has_exits) {
        fprintf(out, "  VM exits %.2f per request, vCPU time in them %.1f us per request\n", f.exits, vq_us(f.exit_ns));
        if (cost->has_userspace) {
            fprintf(out, "    of which to user space: %.2f per request, %.1f us\n", f.userspace_exits,
                    vq_us(f.userspace_exit_ns));
        }
    }
    if (!cost->has_switches && !cost->has_wakeups) {
        fputs("  QEMU threads' CPU time and wakeups: not recorded (no scheduler events in the probe stream;\n"
              "    vqscope record --level full records them)\n", out);
        return;
    }
    fprintf(out, "  QEMU threads      ");
    for (c = 0; c < VQ_THREAD_CLASS_COUNT; c++) {
        fprintf(out, " %10s", vq_thread_class_names[c]);
    }
    fprintf(out, " %10s\n  threads           ", "all");
    for (c = 0; c < VQ_THREAD_CLASS_COUNT; c++) {
        if (isnan(f.cpu_ns[c]) && isnan(f.wakeups[c])) {
            fprintf(out, " %10s", "-");
        } else {
            fprintf(out, " %10zu", cost->threads[c]);
        }
    }
    fprintf(out, " %10zu\n  CPU us/request    ", cost->threads[0] + cost->threads[1] + cost->threads[2] +
            cost->threads[3]);
    for (c = 0; c <= VQ_THREAD_CLASS_COUNT; c++) {
        text_cell(out, f.cpu_ns[c], true);
    }
    fputs("\n  wakeups/request   ", out);
    for (c = 0; c <= VQ_THREAD_CLASS_COUNT; c++) {
        text_cell(out, f.wakeups[c], false);
    }
    fputc('\n', out);
    if (!cost->classes_by_kvm) {
        fputs("  (no KVM events: vCPU threads and IOThreads are not told apart from the other QEMU threads)\n", out);
    }
}

static void json_class(FILE *out, const vq_cost *cost, const vq_cost_per_request *f, size_t c)
{
    size_t threads = 0, k;
    int64_t cpu = 0;
    uint64_t wakeups = 0;

    for (k = 0; k < VQ_THREAD_CLASS_COUNT; k++) {
        if (k == c || c == VQ_THREAD_CLASS_COUNT) {
            threads += cost->threads[k];
            cpu += cost->cpu_ns[k];
            wakeups += cost->wakeups[k];
        }
    }
    fprintf(out, "\"%s\": ", c < VQ_THREAD_CLASS_COUNT ? vq_thread_class_names[c] : "all");
    if (!cost->classes_by_kvm && (c == VQ_THREAD_VCPU || c == VQ_THREAD_IOTHREAD)) {
        fputs("null", out);   /* not told apart from the other threads */
        return;
    }
    fprintf(out, "{\"threads\": %zu, \"cpu_ns\": ", threads);
    vq_json_optional(out, cost->has_switches, cpu);
    fputs(", \"cpu_per_request_ns\": ", out);
    vq_json_number(out, f->cpu_ns[c]);
    fputs(", \"cpu_share\": ", out);
    json_fixed(out, cost->has_switches ? (double)cpu / (double)cost->window_ns : NAN, 4);
    fputs(", \"wakeups\": ", out);
    vq_json_optional(out, cost->has_wakeups, (int64_t)wakeups);
    fputs(", \"wakeups_per_request\": ", out);
    json_fixed(out, f->wakeups[c], 3);
    fputc('}', out);
}

void vq_report_cost_json(FILE *out, const vq_session *session)
{
    const vq_cost *cost = &session->cost;
    vq_cost_per_request f = vq_cost_per_request_of(cost);
    vq_summary s;
    size_t c;

    if (!cost->measured) {
        fputs("\"cost\": null", out);
        return;
    }
    fprintf(out, "\"cost\": {\"window_ns\": %" PRIu64 ", \"requests\": %zu, \"classes_from\": \"%s\",\n"
            "    \"notify_exit_ns\": ", cost->window_ns, cost->requests, cost->classes_by_kvm ? "kvm" : "process id");
    if (!cost->has_exits) {
        fputs("null, \"notify_exits\": null, \"exits\": null", out);
    } else {
        s = row_notify_exit_summary(session);
        vq_json_summary(out, &s);
        fprintf(out, ",\n    \"notify_exits\": {\"count\": %zu, \"duration_ns\": ", cost->notify_exit_count);
        s = vq_summary_of_copy(cost->notify_exits, cost->notify_exit_count);
        vq_json_summary(out, &s);
        fprintf(out, ", \"total_ns\": %" PRId64 ", \"per_request_ns\": ", cost->notify_exit_total_ns);
        vq_json_number(out, f.notify_exit_ns);
        fprintf(out, "},\n    \"exits\": {\"count\": %" PRIu64 ", \"per_request\": ", cost->exits);
        json_fixed(out, f.exits, 3);
        fprintf(out, ", \"time_ns\": %" PRId64 ", \"time_per_request_ns\": ", cost->exit_ns);
        vq_json_number(out, f.exit_ns);
        fputs(", \"userspace\": ", out);
        vq_json_optional(out, cost->has_userspace, (int64_t)cost->userspace_exits);
        fputs(", \"userspace_per_request\": ", out);
        json_fixed(out, f.userspace_exits, 3);
        fputs(", \"userspace_time_ns\": ", out);
        vq_json_optional(out, cost->has_userspace, cost->userspace_exit_ns);
        fputs(", \"userspace_time_per_request_ns\": ", out);
        vq_json_number(out, f.userspace_exit_ns);
        fputc('}', out);
    }
    fputs(",\n    \"threads\": {", out);
    for (c = 0; c <= VQ_THREAD_CLASS_COUNT; c++) {
        fputs(c ? ",\n      " : "\n      ", out);
        json_class(out, cost, &f, c);
    }
    fputs("}}", out);
}

/* ---- the compare ---- */

#define MAX_FIGURES 8

static int compare_double(const void *left, const void *right)
{
    double a = *(const double *)left, b = *(const double *)right;

    return (a > b) - (a < b);
}

/* The Pth percentile (linear interpolation) of COUNT sorted values. */
static double percentile_of_sorted(const double *values, size_t count, double p)
{
    double rank = p / 100.0 * (double)(count - 1);
    size_t below = (size_t)rank;

    return below + 1 < count ? values[below] + (rank - (double)below) * (values[below + 1] - values[below]) :
           values[count - 1];
}

/* SIDE's cost, its sessions' pooled (one session: its own, blocks and all). */
static vq_cost side_cost(const vq_side *side)
{
    const vq_cost *costs[side->count + 1];
    size_t picked[side->count + 1], s;

    if (side->count == 1) {
        return side->sessions[0]->cost;
    }
    for (s = 0; s < side->count; s++) {
        costs[s] = &side->sessions[s]->cost;
        picked[s] = s;
    }
    return vq_cost_of_sessions(costs, picked, side->count);
}

/* One resample of SIDE's UNITS (blocks of its one session, or its boots), drawn with replacement. */
static vq_cost resample_cost(const vq_side *side, vq_units units, size_t *picks, uint64_t *state)
{
    const vq_cost *costs[side->count + 1];
    size_t n = units == VQ_UNITS_BLOCKS ? side->sessions[0]->cost.block_count : side->count, i;

    for (i = 0; i < n; i++) {
        picks[i] = (size_t)(vq_random_next(state) % n);
    }
    if (units == VQ_UNITS_BLOCKS) {
        return vq_cost_of_blocks(&side->sessions[0]->cost, picks, n);
    }
    for (i = 0; i < side->count; i++) {
        costs[i] = &side->sessions[i]->cost;
    }
    return vq_cost_of_sessions(costs, picks, n);
}

/*
 * The 95 % interval of each figure's shift B - A (LOW, HIGH; NaN when a resample has no value), each
 * resample drawing as many units of each side as it has, with replacement, and dividing the drawn units'
 * sums by their requests: the blocks of two disks of A/B sessions (vq_cost_of_blocks), or the boots of
 * sides with two or more each (vq_cost_of_sessions). Seeded with SEED.
 */
static void unit_intervals(const vq_side *a, const vq_side *b, vq_units units, const figure *figures, size_t count,
                           unsigned resamples, uint64_t seed, double *low, double *high)
{
    size_t units_a = units == VQ_UNITS_BLOCKS ? a->sessions[0]->cost.block_count : a->count;
    size_t units_b = units == VQ_UNITS_BLOCKS ? b->sessions[0]->cost.block_count : b->count;
    double *shifts = malloc((size_t)resamples * count * sizeof(*shifts) + 1);
    size_t *pick_a = malloc((units_a + 1) * sizeof(*pick_a)), *pick_b = malloc((units_b + 1) * sizeof(*pick_b));
    bool known[MAX_FIGURES];
    uint64_t state = seed;
    size_t r, i;

    for (i = 0; i < count; i++) {
        low[i] = high[i] = NAN;
        known[i] = true;
    }
    if (!shifts || !pick_a || !pick_b || !units_a || !units_b || !resamples) {
        goto end;
    }
    for (r = 0; r < resamples; r++) {
        vq_cost cost_a = resample_cost(a, units, pick_a, &state);
        vq_cost cost_b = resample_cost(b, units, pick_b, &state);
        vq_cost_per_request per_a = vq_cost_per_request_of(&cost_a), per_b = vq_cost_per_request_of(&cost_b);

        for (i = 0; i < count; i++) {
            shifts[i * resamples + r] = figure_value(&per_b, &figures[i]) - figure_value(&per_a, &figures[i]);
            known[i] = known[i] && !isnan(shifts[i * resamples + r]);
        }
    }
    for (i = 0; i < count; i++) {
        if (known[i]) {
            qsort(shifts + i * resamples, resamples, sizeof(*shifts), compare_double);
            low[i] = percentile_of_sorted(shifts + i * resamples, resamples, 2.5);
            high[i] = percentile_of_sorted(shifts + i * resamples, resamples, 97.5);
        }
    }
end:
    free(shifts);
    free(pick_a);
    free(pick_b);
}

/* FIGURES of A and B and their shift; its interval with UNITS blocks (two disks of A/B sessions) or boots
 * (two or more a side), resampled (SEED), else none (null in JSON). */
static void compare_figures(FILE *out, const figure *figures, size_t count, const vq_side *a, const vq_side *b,
                            vq_units units, const vq_report_options *options, uint64_t seed, vq_format format)
{
    vq_cost cost_a = side_cost(a), cost_b = side_cost(b);
    vq_cost_per_request per_a = vq_cost_per_request_of(&cost_a), per_b = vq_cost_per_request_of(&cost_b);
    double low[MAX_FIGURES], high[MAX_FIGURES];
    size_t i;

    for (i = 0; i < count; i++) {
        low[i] = high[i] = NAN;
    }
    if (units == VQ_UNITS_BLOCKS || (units == VQ_UNITS_BOOTS && a->count >= 2 && b->count >= 2)) {
        unit_intervals(a, b, units, figures, count, options->resamples, seed, low, high);
    }
    for (i = 0; i < count; i++) {
        double value_a = figure_value(&per_a, &figures[i]), value_b = figure_value(&per_b, &figures[i]);
        int digits = figures[i].time ? 1 : 3;

        if (format == VQ_FORMAT_TEXT) {
            fprintf(out, "  %-28s", figures[i].label);
            text_cell(out, value_a, figures[i].time);
            text_cell(out, value_b, figures[i].time);
            text_cell(out, value_b - value_a, figures[i].time);
            if (!isnan(low[i])) {
                fputs(" [", out);
                text_cell(out, low[i], figures[i].time);
                fputs(",", out);
                text_cell(out, high[i], figures[i].time);
                fputs("]", out);
            }
            fputc('\n', out);
            continue;
        }
        fprintf(out, "%s\"%s\": {\"a\": ", i ? ", " : "", figures[i].key);
        json_fixed(out, value_a, digits);
        fputs(", \"b\": ", out);
        json_fixed(out, value_b, digits);
        fputs(", \"shift\": ", out);
        json_fixed(out, value_b - value_a, digits);
        fputs(", \"ci_low\": ", out);
        json_fixed(out, low[i], digits);
        fputs(", \"ci_high\": ", out);
        json_fixed(out, high[i], digits);
        fputc('}', out);
    }
}

void vq_report_cost_compare(FILE *out, const vq_side *a, const vq_side *b, vq_format format,
                            const vq_report_options *options)
{
    size_t count_a = 0, count_b = 0;
    int64_t *values_a = vq_side_values(a, notify_exit_value, NULL, &count_a);
    int64_t *values_b = vq_side_values(b, notify_exit_value, NULL, &count_b);
    vq_interval shift = { .estimate = NAN, .low = NAN, .high = NAN };
    double median_a = NAN, median_b = NAN;
    vq_units units = vq_compare_units(a, b);
    bool intervals = units == VQ_UNITS_BLOCKS || (units == VQ_UNITS_BOOTS && a->count >= 2 && b->count >= 2);
    static const char *const bootstraps[] = { "block", "ab-blocks", "boots" };
    bool significant;

    if (format == VQ_FORMAT_CSV) {
        goto end;
    }
    if (values_a && values_b && count_a && count_b) {
        /* Seeded apart from the stages' (seed + stage): the same seed gives the same interval. Several
         * boots a side: boots resampled; two disks of A/B sessions: their blocks; else blocks of
         * consecutive requests within each session. */
        uint64_t seed = options->seed + VQ_STAGE_COUNT;

        shift = units == VQ_UNITS_BOOTS ? vq_boots_shift(a, b, notify_exit_value, NULL, options->resamples, seed) :
                units == VQ_UNITS_BLOCKS ? vq_blocks_shift(a->sessions[0], b->sessions[0], notify_exit_value, NULL,
                                                           options->resamples, seed) :
                vq_block_bootstrap_difference(values_a, count_a, values_b, count_b, 0, VQ_STATISTIC_MEDIAN,
                                              options->resamples, 0.95, seed);
        vq_sort_int64(values_a, count_a);
        vq_sort_int64(values_b, count_b);
        median_a = vq_percentile_sorted(values_a, count_a, 50);
        median_b = vq_percentile_sorted(values_b, count_b, 50);
    }
    significant = shift.low > 0 || shift.high < 0;
    if (format == VQ_FORMAT_TEXT) {
        fputs("\ncost per request (host side, over each workload window), B - A\n", out);
        fprintf(out, "  notify exit (vCPU, kvm_exit -> kvm_entry), us: n A %zu, n B %zu, median A ", count_a, count_b);
        if (isnan(shift.estimate)) {
            fputs("-, median B -\n", out);
        } else {
            fprintf(out, "%.1f, median B %.1f,\n    shift %+.1f, 95%% interval [%+.1f, %+.1f], significant %s\n",
                    vq_us(median_a), vq_us(median_b), vq_us(shift.estimate), vq_us(shift.low), vq_us(shift.high),
                    significant ? "yes" : "no");
            if (units == VQ_UNITS_BOOTS) {
                fputs("    (boots resampled: covers the variation between boots)\n", out);
            } else if (units == VQ_UNITS_BLOCKS) {
                fputs("    (the disks' blocks resampled: covers drift within the boot, not between boots)\n", out);
            } else {
                fprintf(out, "    (block bootstrap, blocks of %zu requests: covers drift within each session, not "
                        "between)\n", shift.block_length);
            }
        }
        fprintf(out, "  %-28s %10s %10s %10s%s\n", "per request", "A", "B", "shift",
                !intervals ? "" : units == VQ_UNITS_BLOCKS ? "   95% interval (blocks resampled)" :
                "   95% interval (boots resampled)");
        compare_figures(out, plain_figures, sizeof(plain_figures) / sizeof(plain_figures[0]), a, b, units, options,
                        options->seed + VQ_STAGE_COUNT + 1, format);
        compare_figures(out, cpu_figures, sizeof(cpu_figures) / sizeof(cpu_figures[0]), a, b, units, options,
                        options->seed + VQ_STAGE_COUNT + 2, format);
        compare_figures(out, wakeup_figures, sizeof(wakeup_figures) / sizeof(wakeup_figures[0]), a, b, units, options,
                        options->seed + VQ_STAGE_COUNT + 3, format);
        goto end;
    }
    fprintf(out, ",\n  \"cost\": {\"notify_exit_ns\": {\"count_a\": %zu, \"count_b\": %zu, \"median_a\": ", count_a,
            count_b);
    vq_json_number(out, median_a);
    fputs(", \"median_b\": ", out);
    vq_json_number(out, median_b);
    fputs(", \"shift\": ", out);
    vq_json_number(out, shift.estimate);
    fputs(", \"ci_low\": ", out);
    vq_json_number(out, shift.low);
    fputs(", \"ci_high\": ", out);
    vq_json_number(out, shift.high);
    fprintf(out, ", \"significant\": %s, \"bootstrap\": \"%s\", \"block_length\": ", significant ? "true" : "false",
            bootstraps[units]);
    vq_json_optional(out, !isnan(shift.estimate) && units == VQ_UNITS_REQUESTS, (int64_t)shift.block_length);
    fputs("},\n    \"per_request\": {", out);
    compare_figures(out, plain_figures, sizeof(plain_figures) / sizeof(plain_figures[0]), a, b, units, options,
                    options->seed + VQ_STAGE_COUNT + 1, format);
    fputs(",\n      \"cpu_ns\": {", out);
    compare_figures(out, cpu_figures, sizeof(cpu_figures) / sizeof(cpu_figures[0]), a, b, units, options,
                    options->seed + VQ_STAGE_COUNT + 2, format);
    fputs("},\n      \"wakeups\": {", out);
    compare_figures(out, wakeup_figures, sizeof(wakeup_figures) / sizeof(wakeup_figures[0]), a, b, units, options,
                    options->seed + VQ_STAGE_COUNT + 3, format);
    fputs("}}}", out);
end:
    free(values_a);
    free(values_b);
}
