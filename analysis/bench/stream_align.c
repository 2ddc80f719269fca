// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming alignment's passes built so far on a session, alone (bench/long-session.sh): pass A's id
 * bounds, pass B's kick pairs, pass C's irq pairs, pass D's solve and the offset chosen and checked after
 * them, the windows they held, their CPU time and this process's peak RSS, to compare a long session with
 * a short one (the passes are meant to take the same memory whatever the session's length, STREAMING.md).
 *
 *   bench_stream_align SESSION
 */
#include "session_dir.h"
#include "stream_align.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static double cpu_seconds(void)
{
    struct rusage usage;

    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
           (double)usage.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    vq_loader *load;
    vq_id_bounds bounds;
    vq_kick_pairs pairs;
    vq_irq_pairs irqs;
    vq_solved solved;
    vq_session *session;
    unsigned replays = 0;
    vq_bound_line line;
    struct rusage usage;
    vq_error error;
    vq_status status;
    double start, after_a, after_b, after_c, after_d;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_stream_align SESSION\n");
        return 2;
    }
    load = vq_stream_loader_new(argv[1], NULL);
    if (!load) {
        fprintf(stderr, "bench_stream_align: out of memory\n");
        return 1;
    }
    vq_error_clear(&error);
    start = cpu_seconds();
    status = vq_id_bounds_stream(load, &bounds, NULL, &error);
    vq_stream_loader_delete(load);
    if (status != VQ_OK) {
        fprintf(stderr, "bench_stream_align: pass A: %s\n", error.message);
        return 1;
    }
    after_a = cpu_seconds();
    line = vq_bound_line_from_hull(&bounds.all);
    printf("%s: A: %" PRIu64 " id bounds (largest %" PRId64 " ns, line %.3f ppm at %" PRIu64 " ns), hull %zu points; "
           "at most %zu guest and %zu QEMU requests held; %" PRIu64 " steps, %" PRIu64 " released unjoined, %" PRIu64
           " late; %.1f s CPU\n", argv[1], bounds.bounds, bounds.largest, line.slope * 1e6, line.at_guest_ns,
           bounds.all.count, bounds.most_requests, bounds.most_qemu_requests, bounds.steps, bounds.given_up,
           bounds.released_late, after_a - start);
    status = vq_kick_pairs_stream(argv[1], &bounds, &pairs, &error);
    if (status != VQ_OK) {
        fprintf(stderr, "bench_stream_align: pass B: %s\n", error.message);
        return 1;
    }
    line = vq_bound_line_from_hull(&pairs.all);
    printf("%s: B: %" PRIu64 " kicks paired with %" PRIu64 " %s (smallest %" PRId64 " ns, line %.3f ppm), %s, "
           "%u round(s), %" PRIu64 " set aside, %" PRIu64 " disordered; at most %zu kicks waiting and %zu host "
           "events held; %.1f s CPU (the doorbell's read included)\n", argv[1], pairs.bounds, pairs.host_events,
           pairs.tcg ? "handler runs" : "doorbell writes", pairs.smallest, line.slope * 1e6,
           pairs.per_queue ? "queue by queue" : "one sequence", pairs.rounds, pairs.set_aside, pairs.disordered,
           pairs.most_kicks, pairs.most_host, cpu_seconds() - after_a);
    after_b = cpu_seconds();
    status = vq_irq_pairs_stream(argv[1], &bounds, &pairs, &irqs, &error);
    if (status != VQ_OK) {
        fprintf(stderr, "bench_stream_align: pass C: %s\n", error.message);
        return 1;
    }
    line = vq_bound_line_from_hull(&irqs.all);
    printf("%s: C: %" PRIu64 " irqs paired with %" PRIu64 " %s (line %.3f ppm), %" PRIu64 " rejected, %s, %u read(s), "
           "%" PRIu64 " disordered; at most %zu irqs waiting and %zu host records held; %.1f s CPU\n", argv[1],
           irqs.bounds, irqs.host_injections, irqs.synthesized ? "QEMU notifies" : "KVM injections",
           line.slope * 1e6, irqs.rejected, irqs.per_queue ? "queue by queue" : "one sequence", irqs.reads,
           irqs.disordered, irqs.most_irqs, irqs.most_host, cpu_seconds() - after_b);
    after_c = cpu_seconds();
    status = vq_solve_stream(argv[1], &bounds, &pairs, &irqs, &solved, &error);
    if (status != VQ_OK) {
        fprintf(stderr, "bench_stream_align: pass D: %s\n", error.message);
        return 1;
    }
    printf("%s: D: %" PRIu64 " bounds solved: %s, offset %" PRId64 " ns (interval [%" PRId64 ", %" PRId64 "]), drift "
           "%s, %zu CPUs with their own offset; %.1f s CPU (A-C read again)\n", argv[1], solved.bounds,
           solved.all.usable ? "usable" : "not usable", solved.all.offset, solved.all.whole.lo, solved.all.whole.hi,
           solved.all.drift_detected ? "detected" : "not detected", solved.cpu_offsets, cpu_seconds() - after_c);
    after_d = cpu_seconds();
    session = calloc(1, sizeof(*session));
    if (!session) {
        fprintf(stderr, "bench_stream_align: out of memory\n");
        return 1;
    }
    vq_session_read_meta(session, argv[1], &error);
    status = vq_offset_stream(argv[1], &bounds, &pairs, &irqs, &solved, session, &replays, &error);
    if (status != VQ_OK) {
        fprintf(stderr, "bench_stream_align: the offset: %s\n", error.message);
        return 1;
    }
    printf("%s: the offset: %s, %" PRId64 " -> %" PRId64 " ns (+- %" PRId64 " ns), margins %" PRId64 " / %" PRId64
           " ns; %u read(s) of A-C, %.1f s CPU\n", argv[1], session->offset.method == VQ_OFFSET_TSC ? "TSC" : "causal",
           session->offset.from_offset, session->offset.to_offset, session->offset.error_ns,
           session->offset_check.lower.margin, session->offset_check.upper.margin, replays, cpu_seconds() - after_d);
    vq_session_free(session);
    getrusage(RUSAGE_SELF, &usage);
    printf("%s: peak RSS %ld KB\n", argv[1], usage.ru_maxrss);
    vq_irq_pairs_free(&irqs);
    vq_kick_pairs_free(&pairs);
    vq_id_bounds_free(&bounds);
    return 0;
}
