/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-queue part of a session's report: per virtqueue (the driver serves blk-mq's hardware queue N on
 * virtqueue N), the requests the guest submitted on it, how many were stitched, blk-mq's own count of
 * the queue's requests when the guest recorded it (guest.trace '# hctx-queued:'), and the queue's total
 * latency. The per-queue counts must equal blk-mq's: a request lost or put on the wrong queue shows here.
 */
#ifndef VQSCOPE_ANALYSIS_REPORT_QUEUES_H
#define VQSCOPE_ANALYSIS_REPORT_QUEUES_H

#include "session.h"

#include <stdio.h>

/* Text section, only when requests went to more than one queue or blk-mq's counts were recorded. */
void vq_report_queues_text(FILE *out, const vq_session *session);
/* "\"queues\": [...]" (no trailing comma): one object per queue up to the last that carried a request or
 * has a blk-mq count. */
void vq_report_queues_json(FILE *out, const vq_session *session);

#endif
