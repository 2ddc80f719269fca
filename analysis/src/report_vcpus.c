// SPDX-License-Identifier: GPL-2.0-or-later
/* The per-vCPU part of a session's report (report_vcpus.h). */
#include "report_vcpus.h"

#include "report_format.h"

#include <inttypes.h>

/* What the stitched rows of guest CPU CPU say. */
typedef struct {
    uint64_t stitched;
    uint64_t irq_here;        /* delivered by an interrupt on the same CPU */
    uint32_t exit_tid;        /* the most frequent notify-exit thread, 0 none */
    uint64_t exit_tid_rows;   /* rows whose exit that thread took */
    uint64_t exit_rows;       /* rows with a notify-exit thread */
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
    const vq_cpu_accumulator *a = &session->emitted.cpu[cpu];
    size_t top = vq_tally_top(&a->exit_tid);
    cpu_view view = { .stitched = a->stitched, .irq_here = a->irq_here, .exit_rows = a->exit_rows,
                      .kick_exit = vq_hist_summary(a->kick_exit), .total = vq_hist_summary(a->total) };

    if (top != VQ_TALLY_MAX) {
        view.exit_tid = a->exit_tid.value[top];
        view.exit_tid_rows = a->exit_tid.count[top];
    }
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
        fprintf(out, "  %-4" PRIu32 " %10" PRIu64 " %10" PRIu64 " %12s %7s %8" PRIu64 " %14s %10s %10s\n", cpu,
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
        fprintf(out, ", \"exit_tid_rows\": %" PRIu64 ", \"exit_rows\": %" PRIu64 ", \"irq_here\": %" PRIu64
                ", \"kick_exit_ns\": ",
                v.exit_tid_rows, v.exit_rows, v.irq_here);
        vq_json_summary(out, &v.kick_exit);
        fputs(", \"total_ns\": ", out);
        vq_json_summary(out, &v.total);
        fputc('}', out);
        first = false;
    }
    fputs(first ? "]" : "\n  ]", out);
}
