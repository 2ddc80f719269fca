/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The clock alignment part of a session's report: the offset the cross-clock stages use (TSC, or causal:
 * a midpoint, a drifting line, one per guest CPU), its check against the causal bounds, the interval and
 * its halves, and the TSC prediction with its per-vCPU check (analysis/README.md, "Clock alignment";
 * the JSON keys in analysis/FORMAT.md).
 */
#ifndef VQSCOPE_ANALYSIS_REPORT_ALIGNMENT_H
#define VQSCOPE_ANALYSIS_REPORT_ALIGNMENT_H

#include "session.h"

#include <stdio.h>

/* Text section, from "clock alignment:" to the drift and negative-stage lines. */
void vq_report_alignment_text(FILE *out, const vq_session *session);
/* "  \"alignment\": {...},\n  \"tsc_check\": ...,\n" of the JSON report. */
void vq_report_alignment_json(FILE *out, const vq_session *session);

#endif
