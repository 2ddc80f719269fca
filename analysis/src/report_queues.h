/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-queue part of a session's report: per virtqueue (the driver serves blk-mq's hardware queue N on
 * virtqueue N), the requests the guest trace submitted and completed on it, how many were stitched, the
 * guest's own count of the requests completed on it when the guest recorded it (guest.trace '#
 * queue-completed:': the xblk driver's count; stock virtio-blk keeps none, and the count is fio's, job
 * by job, each job pinned to a CPU of the queue), the guest CPU and MSI vector of the interrupts that
 * delivered them, and the queue's total latency. The trace's completions must equal the guest's count:
 * an event lost or a request put on the wrong queue shows here.
 */
#ifndef VQSCOPE_ANALYSIS_REPORT_QUEUES_H
#define VQSCOPE_ANALYSIS_REPORT_QUEUES_H

#include "session.h"

#include <stdio.h>

/* Text section, only when requests went to more than one queue or the driver's counts were recorded. */
void vq_report_queues_text(FILE *out, const vq_session *session);
/* "\"queues\": [...]" (no trailing comma): one object per queue up to the last that carried a request or
 * has a driver count. */
void vq_report_queues_json(FILE *out, const vq_session *session);

#endif
