/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The distributions in a session's JSON report, computed here once so that a page that shows them
 * (dashboards/) only draws: each stage's CDF points, the requests served per notified kick, and the
 * kick -> device begin histogram on fixed log bins (the same bins in every session).
 */
#ifndef VQSCOPE_ANALYSIS_REPORT_DISTRIBUTION_H
#define VQSCOPE_ANALYSIS_REPORT_DISTRIBUTION_H

#include "session.h"

#include <stdio.h>

/* Points per stage at most: a smooth curve, a light report. */
#define VQ_CDF_MAX_POINTS 200

/* "\"cdf\": {...}" (no trailing comma): per stage, [ns, fraction at or below] pairs. */
void vq_report_cdf_json(FILE *out, const vq_session *session);
/* "\"served_per_kick\": {...}": the rows grouped by kick_id (the kick whose notify started the handler
 * run that served them), how many kicks served 1, 2, ... requests. */
void vq_report_served_per_kick_json(FILE *out, const vq_session *session);
/* "\"kick_to_begin_histogram\": {...}": kicks.kick_to_begin on the fixed log bins. */
void vq_report_kick_histogram_json(FILE *out, const vq_session *session);

#endif
