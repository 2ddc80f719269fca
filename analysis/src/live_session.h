/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A session watched while it is recorded (or after): a thread of its own analyzes the session directory
 * again when its files change (a fingerprint of every file's size, times and inode under it), and hands
 * each outcome to a consumer, which keeps what it needs (the metrics text, the top view). Today each
 * analysis reads the whole session so far (vq_session_load), so its cost grows with the session: at
 * most one analysis runs at a time, and the thread rests as long as the last analysis took before it
 * starts another (at most half a CPU). The streaming core of analysis/STREAMING.md replaces what feeds
 * the consumer, not the consumers.
 */
#ifndef VQSCOPE_ANALYSIS_LIVE_SESSION_H
#define VQSCOPE_ANALYSIS_LIVE_SESSION_H

#include "session.h"

#include <stdbool.h>

/* How a command turns its SESSION argument into a session (a directory, or DIR@A / DIR@B). */
typedef vq_status (*vq_session_loader)(const char *argument, vq_session **session, vq_error *error);

/* Called on the live thread after each analysis: SESSION (NULL when it failed, FAILURE then says why;
 * freed once the call returns), the analysis's wall time in seconds and whether it was the first. */
typedef void (*vq_live_consumer)(void *context, const vq_session *session, const vq_error *failure,
                                 double seconds, bool first);

typedef struct vq_live vq_live;

/* Watches ARGUMENT (a session directory, or DIR@A / DIR@B: DIR is watched) and starts the thread. The
 * first analysis runs at once. NULL with ERROR set when the directory cannot be read or no thread. */
vq_live *vq_live_start(const char *argument, vq_session_loader load, vq_live_consumer consumer, void *context,
                       vq_error *error);

/* Asks for an analysis when the files changed since the last one began (cheap: a directory walk) and
 * waits up to WAIT_MS for the consumer to have seen the files as they are now. True when it has (the
 * consumer's latest is current); false when an analysis still runs (the consumer's latest is older). */
bool vq_live_refresh(vq_live *live, unsigned wait_ms);

/* Analyses done so far (first included). */
unsigned long vq_live_analyses(vq_live *live);

/* Stops the thread (after the analysis that runs, if any) and frees. NULL is a no-op. */
void vq_live_stop(vq_live *live);

#endif
