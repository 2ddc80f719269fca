/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vqscope-analyze SESSION --serve-metrics ADDR:PORT`: a recorded session's `--format prometheus` text
 * (report_metrics.h) served at http://ADDR:PORT/metrics (metrics_server.h) until SIGINT or SIGTERM.
 *
 * Each scrape compares the session directory's files (names, sizes, modification times, recursively)
 * with those of the last analysis: unchanged, the cached text is served; changed, the session is read and
 * analyzed again on the live thread (live_session.h; one line on stderr says so) and the scrape waits up
 * to half a second for it, then serves the last text. A session that no longer reads gets 500s carrying
 * the error until its files change again. With FOLLOW (`vqscope record --metrics`: the session is being
 * recorded), a session that does not read yet is served as 500s too instead of ending the command, and
 * the first scrape that gets the text of the finished session (meta.json's status no longer
 * "recording") says so on stderr, once. This is the offline analyzer behind a scrape target; issue 13's
 * streaming core is to feed the same server from events as they arrive.
 */
#ifndef VQSCOPE_ANALYSIS_SERVE_METRICS_H
#define VQSCOPE_ANALYSIS_SERVE_METRICS_H

#include "live_session.h"

#include <stdbool.h>

/* Analyzes ARGUMENT once (unless FOLLOW, an error here is returned: nothing is served), serves until SIGINT or SIGTERM,
 * then returns VQ_OK. A bad address or one in use is an error naming it. */
vq_status vq_serve_session_metrics(const char *argument, const char *address_port, vq_session_loader load,
                                   bool follow, vq_error *error);

#endif
