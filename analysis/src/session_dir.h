/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the analyzer: the session directory `vqscope record` writes. Paths of its files, and
 * meta.json (the recorder's description of the run), of which the model keeps a few top-level fields.
 */
#ifndef VQSCOPE_ANALYSIS_SESSION_DIR_H
#define VQSCOPE_ANALYSIS_SESSION_DIR_H

#include "event.h"
#include "session.h"

#include <stdbool.h>

/*
 * meta.json's schema as this reader knows it (bin/SESSION-FORMAT.md; bin/session-meta.py writes it). A
 * newer version is read for the keys this one defines, with a warning.
 */
#define VQ_SESSION_FORMAT "vqscope-session"
#define VQ_SESSION_VERSION 2

/* DIRECTORY/NAME, malloc'd (NULL when out of memory). */
char *vq_session_path(const char *directory, const char *name);
/* PATH exists and is a directory (DIRECTORY true) or a regular file. */
bool vq_path_exists(const char *path, bool directory);

/*
 * Reads DIRECTORY/meta.json into SESSION's ioeventfd, mode, device (text; a non-string value as JSON
 * writes it, "?" when the key is absent) and delay_ns (0 when absent). Only top-level keys count:
 * nested objects use the same names. A "format" other than VQ_SESSION_FORMAT, or a "version" other
 * than VQ_SESSION_VERSION (newer, missing, not an integer), is a session warning (`FILE: version:
 * expected 1 ..., found 2 ...`), and the fields above are read all the same. Errors: VQ_ERR_IO when the
 * file cannot be opened (the fields stay empty), VQ_ERR_FORMAT when it is not a JSON object
 * (FILE:LINE:COLUMN when jansson gives the place; the fields stay "?"), VQ_ERR_NOMEM. A session reads
 * on without it: the caller makes it a warning.
 */
vq_status vq_session_read_meta(vq_session *session, const char *directory, vq_error *error);

#endif
