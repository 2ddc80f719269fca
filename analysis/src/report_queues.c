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

/* The most frequent of a few values (an interrupt's CPU or vector per queue: one expected). */
#define MAX_VALUES 64
typedef struct {
    uint32_t value[MAX_VALUES];
    size_t count[MAX_VALUES], used, total;
} tally;

static void tally_add(tally *t, uint32_t value)
{
    size_t i;

    for (i = 0; i < t->used && t->value[i] != value; i++) {
    }
    if (i == t->used && t->used < MAX_VALUES) {
        t->value[t->used++] = value;
    }
    if (i < t->used) {
        t->count[i]++;
        t->total++;
    }
}

/* Index of the most frequent value, or MAX_VALUES when none. */
static size_t tally_top(const tally *t)
{
    size_t top = MAX_VALUES, i;

    for (i = 0; i < t->used; i++) {
        if (top == MAX_VALUES || t->count[i] > t->count[top]) {
            top = i;
        }
    }
    return top;
}

/* Queue Q's stitched rows: the summary of their totals, and where their interrupts went. */
typedef struct {
    size_t stitched;
    vq_summary total;
    tally irq_cpu, vector;   /* the guest CPU of the delivering interrupt; its MSI vector (when injected) */
} queue_view;

static queue_view view_of(const vq_session *session, size_t q)
{
    int64_t *values = malloc((session->row_count + 1) * sizeof(*values));
    queue_view view = { 0 };
    size_t n = 0, i;

    for (i = 0; i < session->row_count; i++) {
        const vq_request_row *row = &session->rows[i];

        if (row->vq == q) {
            view.stitched++;
            if (values && row->has[VQ_STAGE_TOTAL]) {
                values[n++] = row->stage[VQ_STAGE_TOTAL];
            }
            tally_add(&view.irq_cpu, row->irq_cpu);
            if (row->vector != UINT32_MAX) {
                tally_add(&view.vector, row->vector);
            }
        }
    }
    if (values) {
        view.total = vq_summarize(values, n);
    }
    free(values);
    return view;
}

/* "VALUE (SHARE %)" of the most frequent value, "-" when none. */
static void top_text(const tally *t, char *text, size_t size)
{
    size_t top = tally_top(t);

    if (top == MAX_VALUES) {
        snprintf(text, size, "-");
    } else if (t->count[top] == t->total) {
        snprintf(text, size, "%" PRIu32, t->value[top]);
    } else {
        snprintf(text, size, "%" PRIu32 " (%.0f%%)", t->value[top], 100.0 * (double)t->count[top] / (double)t->total);
    }
}

static void top_json(FILE *out, const char *name, const tally *t)
{
    size_t top = tally_top(t);

    fprintf(out, ", \"%s\": ", name);
    if (top == MAX_VALUES) {
        fputs("null", out);
    } else {
        fprintf(out, "{\"value\": %" PRIu32 ", \"rows\": %zu, \"of\": %zu}", t->value[top], t->count[top], t->total);
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
        queue_view v = view_of(session, q);
        char driver[24] = "-", cpu[24], vector[24];

        if (q < session->driver_queue_count && session->driver_completed[q] >= 0) {
            snprintf(driver, sizeof(driver), "%" PRId64, session->driver_completed[q]);
        }
        top_text(&v.irq_cpu, cpu, sizeof(cpu));
        top_text(&v.vector, vector, sizeof(vector));
        fprintf(out, "  %-6zu %10" PRIu64 " %10" PRIu64 " %10s %10zu %7.1f%%", q, session->queue_submitted[q],
                session->queue_completed[q], driver, v.stitched,
                session->guest_requests ? 100.0 * (double)session->queue_submitted[q] / (double)session->guest_requests
                                        : 0.0);
        if (v.total.count) {
            fprintf(out, " %10.1f %10.1f", vq_us(v.total.p50), vq_us(v.total.p99));
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
        queue_view v = view_of(session, q);

        fprintf(out, "%s\n    {\"vq\": %zu, \"submitted\": %" PRIu64 ", \"completed\": %" PRIu64 ", \"stitched\": %zu, "
                "\"driver_completed\": ", q ? "," : "", q, session->queue_submitted[q], session->queue_completed[q],
                v.stitched);
        vq_json_optional(out, q < session->driver_queue_count && session->driver_completed[q] >= 0,
                         session->driver_completed[q]);
        fputs(", \"total_ns\": ", out);
        vq_json_summary(out, &v.total);
        top_json(out, "irq_cpu", &v.irq_cpu);
        top_json(out, "vector", &v.vector);
        fputc('}', out);
    }
    fputs(count ? "\n  ]" : "]", out);
}
