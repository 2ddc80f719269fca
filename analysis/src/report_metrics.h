/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A session's figures as Prometheus metrics, in the text exposition format (version 0.0.4): what
 * `vqscope-analyze SESSION --format prometheus` writes (for node_exporter's textfile collector, or
 * promtool), and what the live mode's /metrics is to serve. Every series carries the labels
 * session, device and ioeventfd. Metric names and units (seconds, totals) follow Prometheus's naming:
 *
 *   vqscope_stage_seconds             histogram per stage (label stage="submit>kick"...): buckets at 20
 *                                     per decade from 1 us to 10 s, drawn from the stage's log-linear
 *                                     histogram (histogram.h); a negative value counts in every bucket
 *   vqscope_requests_total            counter: submitted in the guest trace; and of those
 *   vqscope_requests_stitched_total   stitched end to end,
 *   vqscope_requests_unmatched_total  left unmatched, and
 *   vqscope_requests_negative_total   stitched with a negative stage
 *   vqscope_kicks_total               counter, notified="true"/"false" (the driver suppressed it)
 *   vqscope_vm_exits_total            counter per exit reason, during the workload window
 *   vqscope_probe_drops_total         counter: probe records lost (ring buffer full)
 *   vqscope_clock_alignment_error_seconds  gauge: the stated error of the cross-clock stages' offset
 */
#ifndef VQSCOPE_ANALYSIS_REPORT_METRICS_H
#define VQSCOPE_ANALYSIS_REPORT_METRICS_H

#include "session.h"

#include <stdio.h>

/* Bucket upper bounds of vqscope_stage_seconds: 10^(-6 + k/20) s for k = 0 .. 140, then +Inf (20 a decade:
 * the median Prometheus interpolates inside a bucket stays within a few % of the exact one). */
#define VQ_METRICS_LOWEST_EXPONENT (-6)
#define VQ_METRICS_PER_DECADE 20u
#define VQ_METRICS_BUCKETS 141u

void vq_report_metrics(FILE *out, const vq_session *session);

#endif
