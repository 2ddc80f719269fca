// SPDX-License-Identifier: GPL-2.0-or-later
/* The per-queue part of a session's report (report_queues.h). */
#include "report_queues.h"

#include "report_format.h"

#include <inttypes.h>
#include <stdlib.h>

/* How many queues to list: up to the last that carried a submit or has a driver count. */
static size_t queue_count(const vq_session *session)
{
    size_t count = session->driver_queue_count, q;

    for (q = 0; q < VQ_GUEST_MAX_QUEUES; q++) {
        if (session->queue_submitted[q] && q + 1 > count) {
            count = q + 1;
        }
    }
    return count;
}

/* Queue Q's stitched rows and the summary of their totals. */
static vq_summary queue_totals(const vq_session *session, size_t q, size_t *stitched)
{
    int64_t *values = malloc((session->row_count + 1) * sizeof(*values));
    vq_summary summary = { 0 };
    size_t n = 0, i;

    *stitched = 0;
    for (i = 0; i < session->row_count; i++) {
        if (session->rows[i].vq == q) {
            (*stitched)++;
            if (values && session->rows[i].has[VQ_STAGE_TOTAL]) {
                values[n++] = session->rows[i].stage[VQ_STAGE_TOTAL];
            }
        }
    }
    if (values) {
        summary = vq_summarize(values, n);
    }
    free(values);
    return summary;
}

void vq_report_queues_text(FILE *out, const vq_session *session)
{
    size_t count = queue_count(session), used = 0, q;

    for (q = 0; q < count; q++) {
        used += session->queue_submitted[q] > 0;
    }
    if (used < 2 && !session->driver_queue_count) {
        return;
    }
    fprintf(out, "\nqueues (virtqueue N serves blk-mq's hardware queue N; driver: the guest's own count of completions, "
            "%s)\n", session->stock ? "fio's I/Os of the jobs pinned to the queue's CPUs" : "the driver's");
    fprintf(out, 
            "  %-6s %10s %10s %10s %10s %8s %10s %10s\n", "queue", "submitted", "completed", "driver", "stitched",
            "share", "total p50", "total p99");
    for (q = 0; q < count; q++) {
        size_t stitched;
        vq_summary s = queue_totals(session, q, &stitched);
        char driver[24] = "-";

        if (q < session->driver_queue_count && session->driver_completed[q] >= 0) {
            snprintf(driver, sizeof(driver), "%" PRId64, session->driver_completed[q]);
        }
        fprintf(out, "  %-6zu %10" PRIu64 " %10" PRIu64 " %10s %10zu %7.1f%%", q, session->queue_submitted[q],
                session->queue_completed[q], driver, stitched,
                session->guest_requests ? 100.0 * (double)session->queue_submitted[q] / (double)session->guest_requests
                                        : 0.0);
        if (s.count) {
            fprintf(out, " %10.1f %10.1f\n", vq_us(s.p50), vq_us(s.p99));
        } else {
            fprintf(out, " %10s %10s\n", "-", "-");
        }
    }
}

void vq_report_queues_json(FILE *out, const vq_session *session)
{
    size_t count = queue_count(session), q;

    fputs("\"queues\": [", out);
    for (q = 0; q < count; q++) {
        size_t stitched;
        vq_summary s = queue_totals(session, q, &stitched);

        fprintf(out, "%s\n    {\"vq\": %zu, \"submitted\": %" PRIu64 ", \"completed\": %" PRIu64 ", \"stitched\": %zu, "
                "\"driver_completed\": ", q ? "," : "", q, session->queue_submitted[q], session->queue_completed[q],
                stitched);
        vq_json_optional(out, q < session->driver_queue_count && session->driver_completed[q] >= 0,
                         session->driver_completed[q]);
        fputs(", \"total_ns\": ", out);
        vq_json_summary(out, &s);
        fputc('}', out);
    }
    fputs(count ? "\n  ]" : "]", out);
}
