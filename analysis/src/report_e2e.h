/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The end-to-end part of a session's report (e2e.h): coverage against fio's own figures, the stages
 * outside the driver, and how the application-visible latency divides into layers (per request: the
 * layer's share of that request's total; in aggregate: mean ns, share of the mean total, median and p99
 * of the per-request shares).
 */
#ifndef VQSCOPE_ANALYSIS_REPORT_E2E_H
#define VQSCOPE_ANALYSIS_REPORT_E2E_H

#include "session.h"

#include <stdio.h>

/* JSON names of the layers (vq_layer order). */
extern const char *const vq_layer_keys[VQ_LAYER_COUNT];

/* Text section (nothing when the session has no application-side events). */
void vq_report_e2e_text(FILE *out, const vq_session *session);
/* "\"coverage\": {...}" (no trailing comma); null when the trace has no application side. */
void vq_report_e2e_json(FILE *out, const vq_session *session);
/* ", \"app\": {...}" for one row (nothing when the row has no application side). */
void vq_report_e2e_row_json(FILE *out, const vq_request_row *row);

#endif
