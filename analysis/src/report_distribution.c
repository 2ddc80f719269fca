// SPDX-License-Identifier: GPL-2.0-or-later
/* The distributions of a session's JSON report (report_distribution.h). */
#include "report_distribution.h"

#include "report_format.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

void vq_report_cdf_json(FILE *out, const vq_session *session)
{
    size_t ranks[VQ_CDF_MAX_POINTS];
    size_t stage, i;

    fprintf(out, "\"cdf\": {\"max_points\": %d, \"stages\": {", VQ_CDF_MAX_POINTS);
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        const vq_hist *hist = session->emitted.stage[stage];
        size_t count = hist ? (size_t)hist->count : 0;
        size_t points = vq_cdf_ranks(count, VQ_CDF_MAX_POINTS, ranks);

        fprintf(out, "%s\n    \"%s\": [", stage ? "," : "", vq_stage_names[stage]);
        for (i = 0; i < points; i++) {
            fprintf(out, "%s[%" PRId64 ", %.5f]", i ? ", " : "", (int64_t)llround(vq_hist_value_at(hist, ranks[i])),
                    (double)(ranks[i] + 1) / (double)count);
        }
        fputc(']', out);
    }
    fputs("}}", out);
}

static int compare_u64(const void *left, const void *right)
{
    uint64_t a = *(const uint64_t *)left, b = *(const uint64_t *)right;

    return (a > b) - (a < b);
}

void vq_report_served_per_kick_json(FILE *out, const vq_session *session)
{
    const vq_emitted *emitted = &session->emitted;
    uint64_t *kick_ids = malloc((emitted->kick_id_count + 1) * sizeof(*kick_ids));
    int64_t *served = malloc((emitted->kick_id_count + 1) * sizeof(*served));
    size_t kicks = 0, without = 0, with = 0, i, first;

    if (!kick_ids || !served) {
        fputs("\"served_per_kick\": null", out);
        goto end;
    }
    for (i = 0; i < emitted->kick_id_count; i++) {
        if (emitted->kick_ids[i]) {
            kick_ids[with++] = emitted->kick_ids[i];
        } else {
            without++;
        }
    }
    /* Requests per kick id, then kicks per number of requests: both by runs of equal sorted values. */
    qsort(kick_ids, with, sizeof(*kick_ids), compare_u64);
    for (first = 0; first < with; first = i) {
        i = first + 1;
        while (i < with && kick_ids[i] == kick_ids[first]) {
            i++;
        }
        served[kicks++] = (int64_t)(i - first);
    }
    vq_sort_int64(served, kicks);
    fprintf(out, "\"served_per_kick\": {\"kicks\": %zu, \"requests\": %zu, \"requests_without_kick\": %zu, "
            "\"by_requests\": [", kicks, with, without);
    for (first = 0; first < kicks; first = i) {
        i = first + 1;
        while (i < kicks && served[i] == served[first]) {
            i++;
        }
        fprintf(out, "%s{\"requests\": %" PRId64 ", \"kicks\": %zu, \"fraction\": %.4f}", first ? ", " : "",
                served[first], i - first, (double)(i - first) / (double)kicks);
    }
    fputs("]}", out);
end:
    free(kick_ids);
    free(served);
}

void vq_report_kick_histogram_json(FILE *out, const vq_session *session)
{
    const vq_kick_stats *k = &session->kick;
    size_t i;

    fprintf(out, "\"kick_to_begin_histogram\": {\"bins_per_decade\": %d, \"edges_ns\": [", VQ_KICK_BINS_PER_DECADE);
    for (i = 0; i <= VQ_KICK_BINS; i++) {
        fputs(i ? ", " : "", out);
        vq_json_number(out, vq_log_bin_edge(VQ_KICK_BINS_LOWEST_EXPONENT, VQ_KICK_BINS_PER_DECADE, i));
    }
    fputs("], \"counts\": [", out);
    for (i = 0; i < VQ_KICK_BINS; i++) {
        fprintf(out, "%s%" PRIu64, i ? ", " : "", k->kick_to_begin_bins[i]);
    }
    fprintf(out, "], \"below\": %" PRIu64 ", \"above\": %" PRIu64 "}", k->kick_to_begin_below,
            k->kick_to_begin_above);
}
