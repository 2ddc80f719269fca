// SPDX-License-Identifier: GPL-2.0-or-later
/* The per-vCPU part of a session's report (report_vcpus.h). */
#include "report_vcpus.h"

#include "report_format.h"

#include <inttypes.h>
#include <stdlib.h>

/* The distinct notify-exit threads counted per CPU (a vCPU's kicks exit on its own thread: one expected). */
#define MAX_TIDS 64

/* What the stitched rows of guest CPU CPU say. */
typedef struct {
    size_t stitched;
    size_t irq_here;          /* delivered by an interrupt on the same CPU */
    uint32_t exit_tid;        /* the most frequent notify-exit thread, 0 none */
    size_t exit_tid_rows;     /* rows whose exit that thread took */
    size_t exit_rows;         /* rows with a notify-exit thread */
    vq_summary kick_exit, total;
} cpu_view;

bool vq_report_vcpus_present(const vq_session *session)
{
    size_t used = 0, cpu;

    for (cpu = 0; cpu < VQ_GUEST_MAX_CPUS; cpu++) {
        used += session->cpu_submitted[cpu] > 0;
    }
    return used > 1;
}

static cpu_view view_of(const vq_session *session, uint32_t cpu)
{
    int64_t *kick_exit = malloc((session->row_count + 1) * sizeof(*kick_exit));
    int64_t *total = malloc((session->row_count + 1) * sizeof(*total));
    uint32_t tids[MAX_TIDS] = { 0 };
    size_t counts[MAX_TIDS] = { 0 }, n_kick = 0, n_total = 0, i, t;
    cpu_view view = { 0 };

    for (i = 0; i < session->row_count; i++) {
        const vq_request_row *row = &session->rows[i];

        if (row->submit_cpu != cpu) {
            continue;
        }
        view.stitched++;
        view.irq_here += row->irq_cpu == cpu;
        if (kick_exit && row->has[VQ_STAGE_KICK_EXIT]) {
            kick_exit[n_kick++] = row->stage[VQ_STAGE_KICK_EXIT];
        }
        if (total && row->has[VQ_STAGE_TOTAL]) {
            total[n_total++] = row->stage[VQ_STAGE_TOTAL];
        }
        if (row->vcpu_tid) {
            view.exit_rows++;
            for (t = 0; t < MAX_TIDS && tids[t] && tids[t] != row->vcpu_tid; t++) {
            }
            if (t < MAX_TIDS) {
                tids[t] = row->vcpu_tid;
                counts[t]++;
            }
        }
    }
    for (t = 0; t < MAX_TIDS && tids[t]; t++) {
        if (counts[t] > view.exit_tid_rows) {
            view.exit_tid = tids[t];
            view.exit_tid_rows = counts[t];
        }
    }
    if (kick_exit) {
        view.kick_exit = vq_summarize(kick_exit, n_kick);
    }
    if (total) {
        view.total = vq_summarize(total, n_total);
    }
    free(kick_exit);
    free(total);
    return view;
}

void vq_report_vcpus_text(FILE *out, const vq_session *session)
{
    uint32_t cpu;

    if (!vq_report_vcpus_present(session)) {
        return;
    }
    fprintf(out, "\nvCPUs (guest CPU of the submit; exit thread: the vCPU thread that took its kicks' doorbell exits, "
            "share of them; irq here: delivered on the same CPU)\n"
            "  %-4s %10s %10s %12s %7s %8s %14s %10s %10s\n", "cpu", "submitted", "stitched", "exit thread",
            "share", "irq here", "kick>exit p50", "total p50", "total p99");
    for (cpu = 0; cpu < VQ_GUEST_MAX_CPUS; cpu++) {
        cpu_view v;
        char tid[16] = "-", share[16] = "-", kick_exit[24] = "-", p50[24] = "-", p99[24] = "-";

        if (!session->cpu_submitted[cpu]) {
            continue;
        }
        v = view_of(session, cpu);
        if (v.exit_tid) {
            snprintf(tid, sizeof(tid), "%" PRIu32, v.exit_tid);
            snprintf(share, sizeof(share), "%.1f%%", 100.0 * (double)v.exit_tid_rows / (double)v.exit_rows);
        }
        if (v.kick_exit.count) {
            snprintf(kick_exit, sizeof(kick_exit), "%.1f", vq_us(v.kick_exit.p50));
        }
        if (v.total.count) {
            snprintf(p50, sizeof(p50), "%.1f", vq_us(v.total.p50));
            snprintf(p99, sizeof(p99), "%.1f", vq_us(v.total.p99));
        }
        fprintf(out, "  %-4" PRIu32 " %10" PRIu64 " %10zu %12s %7s %8zu %14s %10s %10s\n", cpu,
                session->cpu_submitted[cpu], v.stitched, tid, share, v.irq_here, kick_exit, p50, p99);
    }
}

void vq_report_vcpus_json(FILE *out, const vq_session *session)
{
    bool first = true;
    uint32_t cpu;

    fputs("\"vcpus\": [", out);
    for (cpu = 0; cpu < VQ_GUEST_MAX_CPUS; cpu++) {
        cpu_view v;

        if (!session->cpu_submitted[cpu]) {
            continue;
        }
        v = view_of(session, cpu);
        fprintf(out, "%s\n    {\"cpu\": %" PRIu32 ", \"submitted\": %" PRIu64 ", \"stitched\": %zu, \"exit_tid\": ",
                first ? "" : ",", cpu, session->cpu_submitted[cpu], v.stitched);
        vq_json_optional(out, v.exit_tid != 0, v.exit_tid);
        fprintf(out, ", \"exit_tid_rows\": %zu, \"exit_rows\": %zu, \"irq_here\": %zu, \"kick_exit_ns\": ",
                v.exit_tid_rows, v.exit_rows, v.irq_here);
        vq_json_summary(out, &v.kick_exit);
        fputs(", \"total_ns\": ", out);
        vq_json_summary(out, &v.total);
        fputc('}', out);
        first = false;
    }
    fputs(first ? "]" : "\n  ]", out);
}
