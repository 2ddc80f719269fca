/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vqscope-analyze SESSION --serve-metrics ADDR:PORT`: a recorded session's `--format prometheus` text
 * (report_metrics.h) served at http://ADDR:PORT/metrics (metrics_server.h) until SIGINT or SIGTERM.
 *
 * Each scrape compares the session directory's files (names, sizes, modification times, recursively)
 * with those of the last analysis: unchanged, the cached text is served; changed, the session is read and
 * analyzed again first (one line on stderr says so). A session that no longer reads gets 500s carrying
 * the error until its files change again. The analysis runs on the server's thread: a scrape that comes
 * while a large session is analyzed again waits for it. This is the offline analyzer behind a scrape
 * target; issue 13's live core is to feed the same server from events as they arrive.
 */
#ifndef VQSCOPE_ANALYSIS_SERVE_METRICS_H
#define VQSCOPE_ANALYSIS_SERVE_METRICS_H

#include "session.h"

/* How the command turns its SESSION argument into a session (a directory, or DIR@A / DIR@B). */
typedef vq_status (*vq_session_loader)(const char *argument, vq_session **session, vq_error *error);

/* Analyzes ARGUMENT once (an error here is returned: nothing is served), serves until SIGINT or SIGTERM,
 * then returns VQ_OK. A bad address or one in use is an error naming it. */
vq_status vq_serve_session_metrics(const char *argument, const char *address_port, vq_session_loader load,
                                   vq_error *error);

#endif
