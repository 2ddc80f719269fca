/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-vCPU part of a session's report, for guests with several vCPUs: per guest CPU that submitted
 * requests, how many (and how many were stitched), which vCPU thread took the doorbell exits of its kicks
 * (the most frequent notify-exit thread among its requests and that thread's share: a kick exits on the
 * vCPU that wrote the doorbell, so one thread per CPU and a share of 1 are expected), how many of its
 * requests the interrupt delivered on the same CPU, and its kick>exit and total latency.
 */
#ifndef VQSCOPE_ANALYSIS_REPORT_VCPUS_H
#define VQSCOPE_ANALYSIS_REPORT_VCPUS_H

#include "session.h"

#include <stdbool.h>
#include <stdio.h>

/* Whether requests were submitted on more than one guest CPU (the sections below are written then). */
bool vq_report_vcpus_present(const vq_session *session);
/* Text section. */
void vq_report_vcpus_text(FILE *out, const vq_session *session);
/* "\"vcpus\": [...]" (no trailing comma): one object per guest CPU that submitted requests. */
void vq_report_vcpus_json(FILE *out, const vq_session *session);

#endif
