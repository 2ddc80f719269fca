// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live watcher (analysis/src/live_session.c) on a copy of a real session (the fixture cut from a
 * lab session, tests/fixtures/analysis/session-lab), with a consumer that counts what it is given:
 *
 * - the first analysis runs at once and reads the session (its request count is the one vq_session_load
 *   gives); refreshes of unchanged files start no other
 * - a changed file: the next refresh that waits sees one more analysis, current; a new dot file (the
 *   recorder's working files) is no change
 * - a session that stops reading (guest.trace renamed away): the consumer gets the failure naming the
 *   file; back again: a session again
 * - a loader slower than the wait: the refresh returns false (not current) before the analysis ends,
 *   and the analysis still ends; the next one starts no sooner than the last one took (the rest)
 * - stop while idle and right after a request: returns, the thread joined
 */
#include "live_session.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

typedef struct {
    pthread_mutex_t lock;
    unsigned analyses, failures;
    uint64_t rows;                 /* stitched requests */
    char failure[VQ_ERROR_MAX];
    double seconds;
    struct timespec started[8];   /* when each of the first analyses ended (the consumer's call) */
} counter;

static unsigned slow_ms;   /* the slow loader's sleep before it loads */

static void count(void *context, const vq_session *session, const vq_error *failure, double seconds, bool first)
{
    counter *seen = context;

    pthread_mutex_lock(&seen->lock);
    CHECK(first == (seen->analyses == 0));
    if (seen->analyses < 8) {
        clock_gettime(CLOCK_MONOTONIC, &seen->started[seen->analyses]);
    }
    seen->analyses++;
    seen->seconds = seconds;
    if (session) {
        seen->rows = session->emitted.stitched;
        seen->failure[0] = '\0';
    } else {
        seen->failures++;
        snprintf(seen->failure, sizeof(seen->failure), "%s", failure->message);
    }
    pthread_mutex_unlock(&seen->lock);
}

static unsigned analyses(counter *seen)
{
    unsigned n;

    pthread_mutex_lock(&seen->lock);
    n = seen->analyses;
    pthread_mutex_unlock(&seen->lock);
    return n;
}

static vq_status slow_load(const char *argument, vq_session **session, vq_error *error)
{
    usleep(slow_ms * 1000u);
    return vq_session_load_figures(argument, session, error);
}

static void shell(const char *format, const char *a, const char *b)
{
    char command[4096];

    snprintf(command, sizeof(command), format, a, b);
    CHECK(system(command) == 0);
}

int main(int argc, char **argv)
{
    const char *fixture = argc > 1 ? argv[1] : "tests/fixtures/analysis/session-lab";
    char work[] = "/tmp/vqscope-live-XXXXXX";
    char session_dir[4200], path[4300], other[4300];
    counter seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
    vq_session *direct = NULL;
    vq_error error;
    vq_live *live;
    unsigned before;

    CHECK(mkdtemp(work) != NULL);
    snprintf(session_dir, sizeof(session_dir), "%s/session", work);
    shell("cp -r '%s' '%s'", fixture, session_dir);
    CHECK(vq_session_load(session_dir, &direct, &error) == VQ_OK);

    /* the first analysis at once; unchanged files: no other */
    live = vq_live_start(session_dir, vq_session_load_figures, count, &seen, &error);
    CHECK(live != NULL);
    CHECK(vq_live_refresh(live, 10000));
    CHECK(analyses(&seen) == 1 && seen.failures == 0);
    CHECK(seen.rows == direct->row_count && seen.rows > 0);
    CHECK(vq_live_refresh(live, 200));
    CHECK(vq_live_refresh(live, 0));
    usleep(300000);
    CHECK(analyses(&seen) == 1 && vq_live_analyses(live) == 1);

    /* a dot file is not a change; a changed file is, once */
    snprintf(path, sizeof(path), "%s/.recorder.log", session_dir);
    shell("echo working > '%s'%s", path, "");
    CHECK(vq_live_refresh(live, 200));
    CHECK(analyses(&seen) == 1);
    snprintf(path, sizeof(path), "%s/meta.json", session_dir);
    shell("touch -d '+1 second' '%s'%s", path, "");
    CHECK(vq_live_refresh(live, 10000));
    CHECK(analyses(&seen) == 2);
    CHECK(vq_live_refresh(live, 200));
    CHECK(analyses(&seen) == 2);

    /* a session that stops reading, then reads again */
    snprintf(path, sizeof(path), "%s/guest.trace", session_dir);
    snprintf(other, sizeof(other), "%s/guest.trace.away", work);
    CHECK(rename(path, other) == 0);
    CHECK(vq_live_refresh(live, 10000));
    CHECK(analyses(&seen) == 3 && seen.failures == 1);
    CHECK(strstr(seen.failure, "guest.trace") != NULL);
    CHECK(rename(other, path) == 0);
    CHECK(vq_live_refresh(live, 10000));
    CHECK(analyses(&seen) == 4 && seen.rows == direct->row_count && seen.failure[0] == '\0');
    vq_live_stop(live);

    /* a loader slower than the wait: not current within about the wait; the analysis still ends, and
     * the next waits out the rest (as long as the last took) */
    memset(&seen, 0, sizeof(seen));
    pthread_mutex_init(&seen.lock, NULL);
    slow_ms = 1000;   /* far above the 100 ms wait, on a busy machine too */
    live = vq_live_start(session_dir, slow_load, count, &seen, &error);
    CHECK(live != NULL);
    /* not current: the refresh gave up waiting before the 1 s analysis ended (no wall-clock bound
     * here: a busy machine may take longer to return, never to see the analysis end sooner) */
    CHECK(!vq_live_refresh(live, 100));
    CHECK(vq_live_refresh(live, 10000));
    CHECK(analyses(&seen) == 1 && seen.seconds >= 0.99);
    snprintf(path, sizeof(path), "%s/meta.json", session_dir);
    shell("touch -d '+2 seconds' '%s'%s", path, "");
    CHECK(vq_live_refresh(live, 10000));
    CHECK(analyses(&seen) == 2);
    /* the second ended at least its own 1 s plus the first's 1 s of rest after the first */
    CHECK((double)(seen.started[1].tv_sec - seen.started[0].tv_sec) +
          (double)(seen.started[1].tv_nsec - seen.started[0].tv_nsec) / 1e9 >= 1.95);
    /* stop right after a request: the running analysis ends, then the thread */
    shell("touch -d '+3 seconds' '%s'%s", path, "");
    before = analyses(&seen);
    CHECK(!vq_live_refresh(live, 0));
    vq_live_stop(live);
    CHECK(analyses(&seen) <= before + 1);

    vq_session_free(direct);
    shell("rm -rf '%s'%s", work, "");
    return check_summary("analysis_live");
}
