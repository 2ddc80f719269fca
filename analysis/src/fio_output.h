/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fio's own figures from its normal text output (workload.txt): the I/Os it issued and its mean total
 * latency (the "lat (UNIT): min=..., avg=..." line of each direction, weighted by the direction's issued
 * count from "issued rwts: total=R,W,T,..."), summed over every job in the file.
 */
#ifndef VQSCOPE_ANALYSIS_FIO_OUTPUT_H
#define VQSCOPE_ANALYSIS_FIO_OUTPUT_H

#include "event.h"

typedef struct {
    int64_t ios;        /* reads + writes + trims issued; -1 unknown */
    int64_t mean_ns;    /* fio's mean total latency over them; -1 unknown */
    double iops;        /* the I/Os over the jobs' time: ios / sum of each job's ios / its IOPS (the "IOPS="
                         * of each direction, added); NaN when a job has none */
} vq_fio_figures;

/* fio's figures, over every job in PATH, or with PART 'A' or 'B' only the jobs of that disk's blocks in an
 * A/B session's output, where each block's output follows a line "vqscope-block seq=K disk=L dev=NAME".
 * VQ_ERR_FORMAT (FILE:LINE in ERROR) when a job's latency or issued count is missing or unreadable. */
vq_status vq_fio_output_read(const char *path, char part, vq_fio_figures *figures, vq_error *error);

/* One line's total-latency mean in ns ("     lat (usec): min=1, max=2, avg=3.5, ..."), pure. */
bool vq_fio_lat_line(const char *line, double *mean_ns);

#endif
