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

void vq_report_served_per_kick_json(FILE *out, const vq_session *session)
{
    const vq_emitted *emitted = &session->emitted;
    uint64_t kicks = 0;
    size_t i;

    for (i = 0; i < emitted->served_count; i++) {
        kicks += emitted->served[i].kicks;
    }
    fprintf(out, "\"served_per_kick\": {\"kicks\": %" PRIu64 ", \"requests\": %" PRIu64 ", \"requests_without_kick\": %"
            PRIu64 ", \"by_requests\": [", kicks, emitted->rows_with_kick, emitted->rows_without_kick);
    for (i = 0; i < emitted->served_count; i++) {
        fprintf(out, "%s{\"requests\": %" PRIu64 ", \"kicks\": %" PRIu64 ", \"fraction\": %.4f}", i ? ", " : "",
                emitted->served[i].requests, emitted->served[i].kicks,
                (double)emitted->served[i].kicks / (double)kicks);
    }
    fputs("]}", out);
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
