// SPDX-License-Identifier: GPL-2.0-or-later
/* The per-queue part of a session's report (report_queues.h). */
#include "report_queues.h"

#include "report_format.h"

#include <inttypes.h>

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

/* "VALUE (SHARE %)" of the most frequent value, "-" when none. */
static void top_text(const vq_tally *t, char *text, size_t size)
{
    size_t top = vq_tally_top(t);

    if (top == VQ_TALLY_MAX) {
        snprintf(text, size, "-");
    } else if (t->count[top] == t->total) {
        snprintf(text, size, "%" PRIu32, t->value[top]);
    } else {
        snprintf(text, size, "%" PRIu32 " (%.0f%%)", t->value[top], 100.0 * (double)t->count[top] / (double)t->total);
    }
}

static void top_json(FILE *out, const char *name, const vq_tally *t)
{
    size_t top = vq_tally_top(t);

    fprintf(out, ", \"%s\": ", name);
    if (top == VQ_TALLY_MAX) {
        fputs("null", out);
    } else {
        fprintf(out, "{\"value\": %" PRIu32 ", \"rows\": %" PRIu64 ", \"of\": %" PRIu64 "}", t->value[top], t->count[top],
                t->total);
    }
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
    fprintf(out, "\nqueues (virtqueue N serves blk-mq's hardware queue N; driver: the guest's own count of "
            "completions, %s)\n",
            session->stock ? "fio's I/Os of the jobs pinned to the queue's CPUs" : "the driver's");
    fprintf(out, 
            "  (irq cpu, vector: the guest CPU and MSI vector of the interrupts that delivered its requests)\n"
            "  %-6s %10s %10s %10s %10s %8s %10s %10s %10s %10s\n", "queue", "submitted", "completed", "driver",
            "stitched", "share", "total p50", "total p99", "irq cpu", "vector");
    for (q = 0; q < count; q++) {
        const vq_queue_accumulator *v = &session->emitted.queue[q];
        vq_summary total = vq_hist_summary(v->total);
        char driver[24] = "-", cpu[24], vector[24];

        if (q < session->driver_queue_count && session->driver_completed[q] >= 0) {
            snprintf(driver, sizeof(driver), "%" PRId64, session->driver_completed[q]);
        }
        top_text(&v->irq_cpu, cpu, sizeof(cpu));
        top_text(&v->vector, vector, sizeof(vector));
        fprintf(out, "  %-6zu %10" PRIu64 " %10" PRIu64 " %10s %10" PRIu64 " %7.1f%%", q, session->queue_submitted[q],
                session->queue_completed[q], driver, v->stitched,
                session->guest_requests ? 100.0 * (double)session->queue_submitted[q] / (double)session->guest_requests
                                        : 0.0);
        if (total.count) {
            fprintf(out, " %10.1f %10.1f", vq_us(total.p50), vq_us(total.p99));
        } else {
            fprintf(out, " %10s %10s", "-", "-");
        }
        fprintf(out, " %10s %10s\n", cpu, vector);
    }
}

void vq_report_queues_json(FILE *out, const vq_session *session)
{
    size_t count = queue_count(session), q;

    fputs("\"queues\": [", out);
    for (q = 0; q < count; q++) {
        const vq_queue_accumulator *v = &session->emitted.queue[q];
        vq_summary total = vq_hist_summary(v->total);

        fprintf(out, "%s\n    {\"vq\": %zu, \"submitted\": %" PRIu64 ", \"completed\": %" PRIu64 ", \"stitched\": %"
                PRIu64 ", \"driver_completed\": ", q ? "," : "", q, session->queue_submitted[q],
                session->queue_completed[q], v->stitched);
        vq_json_optional(out, q < session->driver_queue_count && session->driver_completed[q] >= 0,
                         session->driver_completed[q]);
        fputs(", \"total_ns\": ", out);
        vq_json_summary(out, &total);
        top_json(out, "irq_cpu", &v->irq_cpu);
        top_json(out, "vector", &v->vector);
        fputc('}', out);
    }
    fputs(count ? "\n  ]" : "]", out);
}
