/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The header of a guest trace: the '#' lines the guest recorder writes before ftrace's text (format in
 * bin/SESSION-FORMAT.md, types in guest_trace.h). Each line it knows is taken as it is read:
 *   # device-bar: PCIADDR barN START END     (parsed by vq_guest_trace_parse_line, kept here)
 *   # clock-pair: LABEL tsc=N mono_ns=N [bracket=N] [cpu=K]
 *   # ab-disk: LABEL NAME PCIADDR
 *   # queue-completed: DISK N COUNT
 *   # queue-cpus: DISK N CPULIST
 *   # events: FILE                           the events follow in FILE (a guest stream, guest_stream.h),
 *                                            beside this one, instead of as text
 * Other '#' lines (kernel, clock, overrun, comments) are left alone.
 */
#ifndef VQSCOPE_ANALYSIS_GUEST_HEADER_H
#define VQSCOPE_ANALYSIS_GUEST_HEADER_H

#include "guest_trace.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    vq_guest_bar bars[VQ_GUEST_MAX_BARS];
    size_t bar_count;
    vq_clock_pair pairs[VQ_GUEST_MAX_CLOCK_PAIRS];      /* the main ones: no CPU named, or CPU 0 */
    size_t pair_count;
    vq_clock_pair cpu_pairs[VQ_GUEST_MAX_CPU_PAIRS];    /* every pair that names its CPU */
    size_t cpu_pair_count;
    vq_guest_ab_disk ab_disks[VQ_GUEST_MAX_AB_DISKS];
    size_t ab_disk_count;
    int64_t queue_completed[VQ_GUEST_MAX_QUEUES];       /* -1 where no line named the queue */
    size_t queue_count;
    uint32_t cpu_queue[VQ_GUEST_MAX_CPUS];              /* 0 where no line named the CPU */
    char events_file[64];                               /* '# events:': "" when the events are text */
} vq_guest_header;

void vq_guest_header_init(vq_guest_header *header);
/* Takes LINE (a '#' line) into HEADER. VQ_ERR_FORMAT when a line it knows is malformed or one too many,
 * WHY (of WHY_SIZE) then says what was expected. */
vq_status vq_guest_header_take(vq_guest_header *header, const char *line, char *why, size_t why_size);

#endif
