/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reporters: read a vq_session (session.h), write to a FILE *. Text is for people (100 columns,
 * microseconds); CSV and JSON keep nanoseconds for programs.
 */
#ifndef VQSCOPE_ANALYSIS_REPORT_H
#define VQSCOPE_ANALYSIS_REPORT_H

#include "blocks.h"
#include "session.h"

/*
 * The JSON reports name their schema first: "format" and "version", the style of the session's meta.json.
 * analysis/FORMAT.md writes the keys down. The version changes when a key is removed or renamed or its
 * meaning or unit changes; adding keys does not change it, and readers ignore keys they do not know.
 */
#define VQ_REPORT_FORMAT "vqscope-report"
#define VQ_REPORT_VERSION 1
#define VQ_COMPARE_FORMAT "vqscope-compare"
#define VQ_COMPARE_VERSION 1

typedef enum {
    VQ_FORMAT_TEXT,
    VQ_FORMAT_CSV,
    VQ_FORMAT_JSON,
    VQ_FORMAT_PROMETHEUS,   /* a session only: its figures as metrics (report_metrics.h) */
} vq_format;

typedef struct {
    bool requests;          /* text: the per-request table; json: "rows" (the session loaded with its rows) */
    unsigned resamples;     /* compare: bootstrap resamples */
    uint64_t seed;          /* compare: bootstrap seed */
} vq_report_options;

/* VQ_ERR_USAGE (nothing written) when the report is of each request (CSV, --requests) and SESSION was
 * loaded without its rows. */
vq_status vq_report_session(FILE *out, const vq_session *session, vq_format format,
                            const vq_report_options *options);
/* A and B: one session each, or several boots of a setting each (blocks.h: what the intervals resample). */
vq_status vq_report_compare(FILE *out, const vq_side *a, const vq_side *b, vq_format format,
                            const vq_report_options *options);
/* Chrome trace event JSON, loadable in Perfetto (ui.perfetto.dev) and chrome://tracing. */
vq_status vq_report_perfetto(FILE *out, const vq_session *session);

#endif
