// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pass E, stitching and emission on the session's windows (analysis/src/stitch_stream.c), after the
 * streaming alignment (A-D and the offset), against the batch load of the same session
 * (vq_session_load_figures): every request emitted with the same stages, so the same accumulators
 * (each stage's, hold's, queue's and CPU's histogram bucket for bucket, the tallies, kick -> begin, the
 * batched and harvested counts, the workload's span, the requests each kick served and the notify
 * exits), the same unmatched requests with their reasons in order, the same negative-stage counts and
 * per-queue and per-CPU submit counts, and the stitching's warnings among the batch's. Nothing given up
 * (a request that completes more than the timeout after its submit would be), nothing released early.
 *
 *   analysis_emit [SESSION...]   (none: the lab fixture session, and a copy of it without its probe
 *                                 stream, paired as under TCG)
 */
#include "check.h"
#include "session_dir.h"
#include "stream_align.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *must(void *pointer)
{
    if (!pointer) {
        fprintf(stderr, "analysis_emit: out of memory\n");
        exit(1);
    }
    return pointer;
}

static bool same_hist(const vq_hist *a, const vq_hist *b)
{
    return (!a && !b) || (a && b && memcmp(a, b, sizeof(*a)) == 0);
}

static bool same_offset(const vq_clock_offset *a, const vq_clock_offset *b)
{
    return a->usable == b->usable && a->method == b->method && a->from_guest_ns == b->from_guest_ns &&
           a->to_guest_ns == b->to_guest_ns && a->from_offset == b->from_offset && a->to_offset == b->to_offset &&
           a->error_ns == b->error_ns;
}

static bool same_tally(const vq_tally *a, const vq_tally *b)
{
    return a->used == b->used && a->total == b->total &&
           memcmp(a->value, b->value, a->used * sizeof(a->value[0])) == 0 &&
           memcmp(a->count, b->count, a->used * sizeof(a->count[0])) == 0;
}

static int compare_exit(const void *left, const void *right)
{
    const vq_row_notify_exit *a = left, *b = right;

    if (a->exit_host != b->exit_host) {
        return (a->exit_host > b->exit_host) - (a->exit_host < b->exit_host);
    }
    return (a->duration > b->duration) - (a->duration < b->duration);
}

/* The accumulators of the emitted requests (the batch's notify exits are sorted by the cost figures: both
 * sorted). How many of the histograms were compared: *HISTS. */
static void check_emitted(vq_emitted *a, vq_emitted *b, size_t *hists)
{
    size_t i, same = 0;

    CHECK(a->stitched == b->stitched && a->batched == b->batched && a->harvested == b->harvested);
    CHECK(a->has_previous == b->has_previous && a->first_submit_guest == b->first_submit_guest &&
          a->last_complete_guest == b->last_complete_guest && a->previous_kick_id == b->previous_kick_id);
    for (i = 0; i < VQ_STAGE_COUNT; i++) {
        CHECK(same_hist(a->stage[i], b->stage[i]));
        *hists += a->stage[i] != NULL;
    }
    for (i = 0; i < VQ_HOLD_POINTS; i++) {
        CHECK(same_hist(a->hold[i], b->hold[i]));
    }
    for (i = 0; i < VQ_GUEST_MAX_QUEUES; i++) {
        CHECK(a->queue[i].stitched == b->queue[i].stitched && same_hist(a->queue[i].total, b->queue[i].total));
        CHECK(same_tally(&a->queue[i].irq_cpu, &b->queue[i].irq_cpu) &&
              same_tally(&a->queue[i].vector, &b->queue[i].vector));
        *hists += a->queue[i].total != NULL;
    }
    for (i = 0; i < VQ_GUEST_MAX_CPUS; i++) {
        const vq_cpu_accumulator *x = &a->cpu[i], *y = &b->cpu[i];

        CHECK(x->stitched == y->stitched && x->irq_here == y->irq_here && x->exit_rows == y->exit_rows);
        CHECK(same_tally(&x->exit_tid, &y->exit_tid) && same_hist(x->kick_exit, y->kick_exit) &&
              same_hist(x->total, y->total));
        *hists += (x->kick_exit != NULL) + (x->total != NULL);
    }
    CHECK(a->rows_with_kick == b->rows_with_kick && a->rows_without_kick == b->rows_without_kick);
    CHECK(a->served_count == b->served_count &&
          memcmp(a->served, b->served, a->served_count * sizeof(*a->served)) == 0);
    CHECK(a->notify_exit_count == b->notify_exit_count);
    if (a->notify_exit_count == b->notify_exit_count && a->notify_exit_count) {
        qsort(a->notify_exits, a->notify_exit_count, sizeof(*a->notify_exits), compare_exit);
        qsort(b->notify_exits, b->notify_exit_count, sizeof(*b->notify_exits), compare_exit);
        for (i = 0; i < a->notify_exit_count; i++) {
            same += compare_exit(&a->notify_exits[i], &b->notify_exits[i]) == 0 &&
                    a->notify_exits[i].block == b->notify_exits[i].block;
        }
        CHECK(same == a->notify_exit_count);
    }
}

/* The streaming passes A-E over DIRECTORY into STREAMED (a fresh session, its meta read). */
static bool stream_session(const char *directory, vq_session *streamed, vq_stitch_streamed *out)
{
    vq_loader *load = must(vq_stream_loader_new(directory, NULL));
    vq_id_bounds ids;
    vq_kick_pairs kicks = { 0 };
    vq_irq_pairs irqs = { 0 };
    vq_solved solved;
    vq_error error;
    unsigned replays = 0;
    bool ok;

    vq_error_clear(&error);
    ok = vq_id_bounds_stream(load, &ids, NULL, &error) == VQ_OK;
    vq_stream_loader_delete(load);
    ok = ok && vq_kick_pairs_stream(directory, &ids, &kicks, &error) == VQ_OK;
    ok = ok && vq_irq_pairs_stream(directory, &ids, &kicks, &irqs, &error) == VQ_OK;
    ok = ok && vq_solve_stream(directory, &ids, &kicks, &irqs, &solved, &error) == VQ_OK;
    ok = ok && vq_offset_stream(directory, &ids, &kicks, &irqs, &solved, streamed, &replays, &error) == VQ_OK;
    ok = ok && vq_stitch_stream(directory, &ids, &kicks, &irqs, streamed, NULL, out, &error) == VQ_OK;
    if (!ok) {
        printf("  %s: %s\n", directory, error.message);
    }
    vq_irq_pairs_free(&irqs);
    vq_kick_pairs_free(&kicks);
    vq_id_bounds_free(&ids);
    return ok;
}

/* The kick and handler-run figures, the exit table and the cost (pass E's figures_stream.c). */
static void check_figures(const vq_session *a, const vq_session *b)
{
    const vq_kick_stats *x = &a->kick, *y = &b->kick;
    const vq_cost *c = &a->cost, *d = &b->cost;
    size_t i, same = 0;

    CHECK(x->kicks == y->kicks && x->notified == y->notified && x->suppressed == y->suppressed);
    CHECK(x->kicks_paired == y->kicks_paired && x->host_notifies == y->host_notifies);
    CHECK(x->handler_runs == y->handler_runs && x->empty_runs == y->empty_runs);
    CHECK(x->guest_irqs == y->guest_irqs && x->irqs_paired == y->irqs_paired &&
          x->host_injections == y->host_injections);
    CHECK(same_hist(x->requests_per_kick, y->requests_per_kick) && same_hist(x->pops_per_run, y->pops_per_run));
    CHECK(a->window_host_start == b->window_host_start && a->window_host_end == b->window_host_end);
    CHECK(a->exit_reason_count == b->exit_reason_count);
    for (i = 0; i < a->exit_reason_count && i < b->exit_reason_count; i++) {
        const vq_exit_reason *e = &a->exits[i], *f = &b->exits[i];

        same += e->isa == f->isa && e->reason == f->reason && e->count == f->count && e->total == f->total &&
                e->in_window == f->in_window && e->userspace_in_window == f->userspace_in_window &&
                same_hist(e->duration, f->duration);
    }
    CHECK(same == b->exit_reason_count);
    CHECK(c->measured == d->measured && c->has_exits == d->has_exits && c->has_userspace == d->has_userspace &&
          c->has_switches == d->has_switches && c->has_wakeups == d->has_wakeups &&
          c->classes_by_kvm == d->classes_by_kvm && c->window_ns == d->window_ns && c->requests == d->requests);
    CHECK(c->notify_exit_count == d->notify_exit_count && c->notify_exit_total_ns == d->notify_exit_total_ns &&
          (!c->notify_exit_count ||
           memcmp(c->notify_exits, d->notify_exits, c->notify_exit_count * sizeof(*c->notify_exits)) == 0));
    CHECK(c->exits == d->exits && c->userspace_exits == d->userspace_exits && c->exit_ns == d->exit_ns &&
          c->userspace_exit_ns == d->userspace_exit_ns);
    CHECK(memcmp(c->threads, d->threads, sizeof(c->threads)) == 0 &&
          memcmp(c->cpu_ns, d->cpu_ns, sizeof(c->cpu_ns)) == 0 &&
          memcmp(c->wakeups, d->wakeups, sizeof(c->wakeups)) == 0);
    printf("  figures streamed: %" PRIu64 " kicks, %" PRIu64 " handler runs, %zu exit reasons, %" PRIu64
           " exits in the window, cost %s (CPU ns by class %" PRId64 "/%" PRId64 "/%" PRId64 "/%" PRId64 ")\n",
           x->kicks, x->handler_runs, a->exit_reason_count, c->exits, c->measured ? "measured" : "not measured",
           c->cpu_ns[0], c->cpu_ns[1], c->cpu_ns[2], c->cpu_ns[3]);
}

static bool has_warning(const vq_session *session, const char *text)
{
    size_t i;

    for (i = 0; i < session->warning_count; i++) {
        if (strcmp(session->warnings[i], text) == 0) {
            return true;
        }
    }
    return false;
}

static void test_session(const char *directory)
{
    vq_session *batch = NULL, *streamed = must(calloc(1, sizeof(*streamed)));
    vq_stitch_streamed out = { 0 };
    vq_error error;
    size_t i, hists = 0, same_unmatched = 0;

    printf("%s\n", directory);
    vq_error_clear(&error);
    if (vq_session_load_figures(directory, &batch, &error) != VQ_OK) {
        printf("  the batch load refuses it (%s): nothing to compare\n", error.message);
        free(streamed);
        return;
    }
    if (batch->stock) {
        printf("  stock virtio-blk: no ids, no streaming pass\n");
        vq_session_free(batch);
        free(streamed);
        return;
    }
    CHECK(vq_session_read_meta(streamed, directory, &error) == VQ_OK);
    CHECK(stream_session(directory, streamed, &out));
    CHECK(out.given_up == 0 && out.released_late == 0);
    CHECK(out.requests == batch->guest_requests && streamed->guest_requests == batch->guest_requests);
    CHECK(same_offset(&streamed->offset, &batch->offset));
    check_emitted(&streamed->emitted, &batch->emitted, &hists);
    CHECK(memcmp(streamed->kick.kick_to_begin_bins, batch->kick.kick_to_begin_bins,
                 sizeof(batch->kick.kick_to_begin_bins)) == 0);
    CHECK(streamed->kick.kick_to_begin_below == batch->kick.kick_to_begin_below &&
          streamed->kick.kick_to_begin_above == batch->kick.kick_to_begin_above &&
          same_hist(streamed->kick.kick_to_begin, batch->kick.kick_to_begin));
    CHECK(streamed->unmatched_count == batch->unmatched_count);
    for (i = 0; i < streamed->unmatched_count && i < batch->unmatched_count; i++) {
        same_unmatched += streamed->unmatched[i].id == batch->unmatched[i].id &&
                          strcmp(streamed->unmatched[i].reason, batch->unmatched[i].reason) == 0;
    }
    CHECK(same_unmatched == batch->unmatched_count);
    CHECK(streamed->negative_requests == batch->negative_requests &&
          memcmp(streamed->negative_stages, batch->negative_stages, sizeof(batch->negative_stages)) == 0);
    CHECK(memcmp(streamed->queue_submitted, batch->queue_submitted, sizeof(batch->queue_submitted)) == 0 &&
          memcmp(streamed->queue_completed, batch->queue_completed, sizeof(batch->queue_completed)) == 0 &&
          memcmp(streamed->cpu_submitted, batch->cpu_submitted, sizeof(batch->cpu_submitted)) == 0);
    check_figures(streamed, batch);
    for (i = 0; i < streamed->warning_count; i++) {
        CHECK(has_warning(batch, streamed->warnings[i]));
        if (!has_warning(batch, streamed->warnings[i])) {
            printf("  a warning the batch has not: %s\n", streamed->warnings[i]);
        }
    }
    printf("  stitched streamed: %" PRIu64 " of %" PRIu64 " requests (batch %" PRIu64 "), %zu unmatched, %zu "
           "histograms the same; %" PRIu64 " kick and %" PRIu64 " irq pairs replayed; at most %zu guest requests "
           "and %zu host records held, %" PRIu64 " steps\n", streamed->emitted.stitched, out.requests,
           batch->emitted.stitched, streamed->unmatched_count, hists, out.kick_pairs, out.irq_pairs,
           out.most_requests, out.most_host, out.steps);
    vq_stitch_streamed_free(&out);
    vq_session_free(streamed);
    vq_session_free(batch);
}

static void copy_file(const char *from, const char *directory, const char *name)
{
    char in_path[512], out_path[512], buffer[65536];
    FILE *in, *out;
    size_t n;

    snprintf(in_path, sizeof(in_path), "%s/%s", from, name);
    snprintf(out_path, sizeof(out_path), "%s/%s", directory, name);
    in = fopen(in_path, "rb");
    out = fopen(out_path, "wb");
    if (!in || !out) {
        fprintf(stderr, "analysis_emit: cannot copy %s to %s\n", in_path, out_path);
        exit(1);
    }
    while ((n = fread(buffer, 1, sizeof(buffer), in)) > 0) {
        CHECK(fwrite(buffer, 1, n, out) == n);
    }
    fclose(in);
    CHECK(fclose(out) == 0);
}

/* The lab fixture without its probe stream: the kicks pair with QEMU's handler runs, the device's
 * notifies are its injections, as under TCG. */
static void test_tcg_copy(const char *fixture)
{
    char directory[] = "/tmp/vqscope-emit-XXXXXX", path[512];
    const char *names[] = { "guest.trace", "meta.json", "qemu-trace-events", "qemu.simpletrace" };
    size_t i;

    must(mkdtemp(directory));
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        copy_file(fixture, directory, names[i]);
    }
    test_session(directory);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", directory, names[i]);
        unlink(path);
    }
    rmdir(directory);
}

int main(int argc, char **argv)
{
    const char *fixture = "tests/fixtures/analysis/session-lab";
    int i;

    if (argc < 2) {
        test_session(fixture);
        test_tcg_copy(fixture);
    }
    for (i = 1; i < argc; i++) {
        test_session(argv[i]);
    }
    return check_summary("analysis_emit");
}
