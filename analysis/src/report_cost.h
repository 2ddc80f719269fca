/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's side of the reports: the VM exit table (text) and the cost figures (cost.h): a session's
 * "cost" block (text) and "cost" object (JSON), and in the compare the shift of each cost figure, with a
 * block bootstrap interval for the notify exit (the one figure that has a value per request; the others
 * are totals over the window divided by the requests, their intervals resampling an A/B session's blocks
 * or a side's boots).
 */
#ifndef VQSCOPE_ANALYSIS_REPORT_COST_H
#define VQSCOPE_ANALYSIS_REPORT_COST_H

#include "report.h"

#include <stdio.h>

/* "VM exits": per reason, count, per request, duration mean / p50 / p99. */
void vq_report_exits_text(FILE *out, const vq_session *session);
void vq_report_cost_text(FILE *out, const vq_session *session);
/* "\"cost\": {...}" (no trailing comma); "\"cost\": null" when not measured. */
void vq_report_cost_json(FILE *out, const vq_session *session);
/* The compare's cost: a text block, or ",\n  \"cost\": {...}" inside the compare's JSON object; nothing in
 * CSV (the per-stage table). */
void vq_report_cost_compare(FILE *out, const vq_side *a, const vq_side *b, vq_format format,
                            const vq_report_options *options);

#endif
