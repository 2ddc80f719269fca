// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming alignment's first pass on a session, alone (bench/long-session.sh): its id bounds, the
 * windows it held and this process's peak RSS, to compare a long session with a short one (the pass is
 * meant to take the same memory whatever the session's length, STREAMING.md).
 *
 *   bench_id_bounds SESSION
 */
#include "loader.h"
#include "session_dir.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
    vq_loader load = { 0 };
    vq_id_bounds bounds;
    vq_bound_line line;
    struct rusage usage;
    vq_error error;
    vq_status status;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_id_bounds SESSION\n");
        return 2;
    }
    load.directory = argv[1];
    load.session = calloc(1, sizeof(*load.session));
    if (!load.session) {
        fprintf(stderr, "bench_id_bounds: out of memory\n");
        return 1;
    }
    vq_error_clear(&error);
    if (vq_session_read_meta(load.session, argv[1], &error) != VQ_OK) {
        fprintf(stderr, "bench_id_bounds: %s (read without it)\n", error.message);
    }
    status = vq_id_bounds_stream(&load, &bounds, &error);
    if (status != VQ_OK) {
        fprintf(stderr, "bench_id_bounds: %s\n", error.message);
        return 1;
    }
    line = vq_bound_line_from_hull(&bounds.all);
    getrusage(RUSAGE_SELF, &usage);
    printf("%s: %" PRIu64 " id bounds (largest %" PRId64 " ns, line %.3f ppm at %" PRIu64 " ns), hull %zu points; "
           "at most %zu guest and %zu QEMU requests held; %" PRIu64 " steps, %" PRIu64 " released unjoined, %" PRIu64
           " late; peak RSS %ld KB\n", argv[1], bounds.bounds, bounds.largest, line.slope * 1e6, line.at_guest_ns,
           bounds.all.count, bounds.most_requests, bounds.most_qemu_requests, bounds.steps, bounds.given_up,
           bounds.released_late, usage.ru_maxrss);
    vq_id_bounds_free(&bounds);
    vq_loader_free(&load);
    vq_session_free(load.session);
    return 0;
}
