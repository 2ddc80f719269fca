// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of vqscope-top's view (analysis/src/top_view.[ch]): on the fixture session cut from a real
 * lab recording (argv[1]), every figure against the session it was built from, counted here another
 * way; on sessions made in memory, the last second's edges (a request exactly 1 s before the latest
 * completion is out, one without a completion time is out) and its percentiles exact (values under
 * 256 ns, which the histogram keeps exactly); the text: each stage, the counts, no line past the width.
 * Exit 0 when all pass.
 */
#include "report_format.h"
#include "session.h"
#include "top_view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* The view's text at WIDTH (caller frees). */
static char *render(const vq_top_view *view, int width)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    if (!out) {
        return NULL;
    }
    vq_top_view_render(view, out, width);
    fclose(out);
    return text;
}

static size_t longest_line(const char *text)
{
    size_t longest = 0;

    while (*text) {
        size_t length = strcspn(text, "\n");

        longest = length > longest ? length : longest;
        text += length + (text[length] == '\n');
    }
    return longest;
}

/* Percentiles from the histogram are within 0.4 % of the exact ones (histogram.h). */
static bool near(double histogram, double exact)
{
    return fabs(histogram - exact) <= 0.004 * fabs(exact) + 1e-9;
}

static void test_fixture(const char *directory)
{
    vq_session *session = NULL;
    vq_top_view *view = malloc(sizeof(*view));
    int64_t *values = NULL;
    uint64_t latest = 0;
    size_t i, stage, in_window = 0;
    vq_error error;
    char *text = NULL, expected[128];

    vq_error_clear(&error);
    CHECK(view != NULL);
    if (!view || vq_session_load(directory, &session, &error) != VQ_OK) {
        fprintf(stderr, "%s: %s\n", directory, error.message);
        CHECK(!"the fixture session loads");
        goto end;
    }
    CHECK(vq_top_view_build(session, view, &error) == VQ_OK);
    CHECK(session->row_count > 0);
    CHECK(view->stitched == session->row_count && view->guest_requests == session->guest_requests);
    CHECK(strcmp(view->mode, session->mode) == 0 && strcmp(view->status, session->status) == 0);
    CHECK(strcmp(view->status, "complete") == 0);   /* the fixture's meta.json */

    /* the last second, counted here: completion times sorted, those above latest - 1 s */
    values = malloc(session->row_count * sizeof(*values));
    CHECK(values != NULL);
    if (!values) {
        goto end;
    }
    for (i = 0; i < session->row_count; i++) {
        values[i] = (int64_t)session->rows[i].complete_guest;
    }
    vq_sort_int64(values, session->row_count);
    latest = (uint64_t)values[session->row_count - 1];
    for (i = session->row_count; i > 0 && values[i - 1] > (int64_t)latest - (int64_t)VQ_TOP_WINDOW_NS; i--) {
        in_window++;
    }
    CHECK(view->latest_complete_guest == latest);
    CHECK(view->last_second_requests == in_window);
    /* each stage of the last second against the exact percentiles of the same rows */
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        size_t count = 0;
        vq_summary exact, since = vq_session_stage_summary(session, (vq_stage)stage);

        for (i = 0; i < session->row_count; i++) {
            const vq_request_row *row = &session->rows[i];

            if (row->has[stage] && row->complete_guest + VQ_TOP_WINDOW_NS > latest) {
                values[count++] = row->stage[stage];
            }
        }
        exact = vq_summarize(values, count);
        CHECK(view->last_second[stage].count == count);
        CHECK(count == 0 || near(view->last_second[stage].p50, exact.p50));
        CHECK(count == 0 || near(view->last_second[stage].p99, exact.p99));
        /* since start: the session's own stage summary, what the text report prints */
        CHECK(view->since_start[stage].count == since.count);
        CHECK(since.count == 0 || (view->since_start[stage].p50 == since.p50 && view->since_start[stage].p99 == since.p99));
    }
    CHECK(view->kicks == session->kick.kicks && view->notified == session->kick.notified &&
          view->suppressed == session->kick.suppressed);
    CHECK(view->probe_drops == session->probe_drops && view->warning_count == session->warning_count);
    /* exits: the most frequent first, per request as the report's exit table counts it */
    CHECK(view->exit_count == (session->exit_reason_count < VQ_TOP_EXITS ? session->exit_reason_count : VQ_TOP_EXITS));
    for (i = 0; i < session->exit_reason_count; i++) {
        CHECK(view->exit_count == 0 || session->exits[i].total <= view->exits[0].total);
    }
    for (i = 0; i + 1 < view->exit_count; i++) {
        CHECK(view->exits[i].total >= view->exits[i + 1].total);
    }
    for (i = 0; i < session->exit_reason_count; i++) {
        char label[32];

        vq_exit_label(label, sizeof(label), &session->exits[i]);
        if (view->exit_count && strcmp(label, view->exits[0].label) == 0) {
            CHECK(fabs(view->exits[0].per_request -
                       (double)session->exits[i].in_window / (double)session->row_count) < 1e-12);
        }
    }

    text = render(view, 0);
    CHECK(text != NULL);
    if (!text) {
        goto end;
    }
    for (stage = 0; stage < VQ_STAGE_COUNT; stage++) {
        snprintf(expected, sizeof(expected), "\n  %s ", vq_stage_names[stage]);
        CHECK(strstr(text, expected) != NULL);
    }
    snprintf(expected, sizeof(expected), "requests: %zu stitched (%lu in the guest trace", session->row_count,
             (unsigned long)session->guest_requests);
    CHECK(strstr(text, expected) != NULL);
    snprintf(expected, sizeof(expected), "last second: %zu requests/s", in_window);
    CHECK(strstr(text, expected) != NULL);
    CHECK(strstr(text, "(complete)") != NULL && strstr(text, "mode lab, device xblk, ioeventfd on") != NULL);
    CHECK(view->exit_count == 0 || strstr(text, view->exits[0].label) != NULL);
    CHECK(longest_line(text) > 40);
    free(text);
    text = render(view, 40);
    CHECK(text != NULL && longest_line(text) == 40);
end:
    free(text);
    free(values);
    free(view);
    vq_session_free(session);
}

/* A session in memory: rows completing at the given guest times (ns; 0 unknown), total = TOTALS. */
static void test_window_edges(void)
{
    static const uint64_t completed[] = { 1000000000, 1500000000, 2200000000, 0, 2500000000, 3000000000,
                                          3199999999, 3200000000 };
    static const int64_t totals[] = { 900, 800, 700, 600, 10, 20, 30, 40 };
    enum { ROWS = sizeof(completed) / sizeof(completed[0]) };
    vq_request_row rows[ROWS];
    vq_session session;
    vq_top_view view;
    vq_error error;
    char *text;
    size_t i;

    memset(&session, 0, sizeof(session));
    memset(rows, 0, sizeof(rows));
    session.name = "in-memory";
    snprintf(session.mode, sizeof(session.mode), "tcg");
    for (i = 0; i < ROWS; i++) {
        rows[i].complete_guest = completed[i];
        rows[i].has[VQ_STAGE_TOTAL] = true;
        rows[i].stage[VQ_STAGE_TOTAL] = totals[i];
        /* a stage only the earliest row has: none in the last second */
        rows[i].has[VQ_STAGE_SUBMIT_KICK] = i == 0;
        rows[i].stage[VQ_STAGE_SUBMIT_KICK] = 5;
    }
    session.guest_requests = ROWS + 2;
    for (i = 0; i < ROWS; i++) {   /* emitted as stitch.c emits them: the session keeps no row */
        CHECK(vq_session_emit(&session, &rows[i]) == VQ_OK);
    }

    CHECK(vq_top_view_build(&session, &view, &error) == VQ_OK);
    CHECK(view.latest_complete_guest == 3200000000u);
    /* (2.2 s, 3.2 s]: 2.5, 3.0, 3.199999999 and 3.2; not 2.2 (exactly 1 s before), not the unknown one */
    CHECK(view.last_second_requests == 4);
    CHECK(view.last_second[VQ_STAGE_TOTAL].count == 4);
    CHECK(view.last_second[VQ_STAGE_TOTAL].p50 == 25.0);              /* between 20 and 30 */
    CHECK(fabs(view.last_second[VQ_STAGE_TOTAL].p99 - 39.7) < 1e-9);  /* 30 + 0.97 * 10 */
    CHECK(view.last_second[VQ_STAGE_SUBMIT_KICK].count == 0 && isnan(view.last_second[VQ_STAGE_SUBMIT_KICK].p50));
    CHECK(view.since_start[VQ_STAGE_TOTAL].count == 8 && view.since_start[VQ_STAGE_SUBMIT_KICK].count == 1);
    CHECK(view.exit_count == 0 && view.status[0] == '\0');
    text = render(&view, 0);
    CHECK(text != NULL);
    if (text) {
        CHECK(strstr(text, "session in-memory\n") != NULL);
        CHECK(strstr(text, "requests: 8 stitched (10 in the guest trace, 0 unmatched)") != NULL);
        CHECK(strstr(text, "last second: 4 requests/s (to the latest completion, guest time 3.200 s)") != NULL);
        /* since start: the 8 emitted (p50 between 40 and 600 ns, p99 near 900) */
        CHECK(strstr(text, "  total                  4        0.0        0.0         8        0.3        0.9\n") != NULL);
        CHECK(strstr(text, "VM exits: none recorded (no KVM events: TCG?)") != NULL);
        free(text);
    }
    vq_emitted_free(&session.emitted);

    /* no completion yet */
    CHECK(vq_top_view_build(&session, &view, &error) == VQ_OK);
    CHECK(view.last_second_requests == 0 && view.latest_complete_guest == 0);
    text = render(&view, 0);
    CHECK(text && strstr(text, "last second: no request completed yet") != NULL);
    free(text);
}

/* A long session: 20 s of requests, one submitted every 1 ms, each completing 0..9 ms late (so not in
 * completion order). The session keeps the last second's requests only (its buffer stays a few
 * seconds' worth), and they are exactly those of the last second. */
static void test_recent_bounded(void)
{
    enum { COUNT = 20000 };
    vq_session session;
    vq_top_view view;
    vq_error error;
    size_t i, expected = 0, largest = 0;
    uint64_t latest = 0;

    memset(&session, 0, sizeof(session));
    session.name = "long";
    for (i = 0; i < COUNT; i++) {
        vq_request_row row = { .complete_guest = 1000000000ull + i * 1000000ull + (i * 7919 % 10) * 1000000ull,
                               .hold_ns = -1 };

        row.has[VQ_STAGE_TOTAL] = true;
        row.stage[VQ_STAGE_TOTAL] = (int64_t)(i % 1000) * 1000;
        latest = row.complete_guest > latest ? row.complete_guest : latest;
        CHECK(vq_session_emit(&session, &row) == VQ_OK);
        largest = session.emitted.recent_capacity > largest ? session.emitted.recent_capacity : largest;
    }
    for (i = 0; i < COUNT; i++) {
        uint64_t complete = 1000000000ull + i * 1000000ull + (i * 7919 % 10) * 1000000ull;

        expected += latest - complete < VQ_TOP_WINDOW_NS;
    }
    CHECK(vq_top_view_build(&session, &view, &error) == VQ_OK);
    CHECK(view.latest_complete_guest == latest);
    CHECK(view.last_second_requests == expected && expected > 900 && expected < 1100);
    CHECK(view.last_second[VQ_STAGE_TOTAL].count == expected);
    CHECK(view.since_start[VQ_STAGE_TOTAL].count == COUNT);
    CHECK(largest <= 4096);   /* ~1000 requests a second: never more than a few seconds' worth */
    if (largest > 4096) {
        fprintf(stderr, "recent buffer grew to %zu entries\n", largest);
    }
    vq_emitted_free(&session.emitted);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SESSION-DIR (tests/fixtures/analysis/session-lab)\n", argv[0]);
        return 2;
    }
    test_fixture(argv[1]);
    test_window_edges();
    test_recent_bounded();
    return check_summary("analysis_top_view");
}
