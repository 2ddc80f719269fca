/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The blocks of an A/B session (vqscope record --ab) as the units of a bootstrap: the disk that ran a
 * block ran it alone, the next block ran on either disk, so the blocks of one disk carry the drift of
 * the boot and a shift's interval that resamples them covers it (stats.h, hierarchical bootstrap, each
 * block one unit).
 */
#ifndef VQSCOPE_ANALYSIS_BLOCKS_H
#define VQSCOPE_ANALYSIS_BLOCKS_H

#include "session.h"

/* A row's value of one figure (a stage, the notify exit...); false when the row has none. */
typedef bool (*vq_row_value)(const vq_request_row *row, const void *arg, int64_t *value);

/* How many of SESSION's blocks hold one of its rows (0: the session is not one disk of an A/B session). */
size_t vq_blocks_with_rows(const vq_session *session);

/* median(B) - median(A) of VALUE over the rows, its interval resampling each side's blocks (both must be
 * disks of A/B sessions); NaN estimate when a side has no value. */
vq_interval vq_blocks_shift(const vq_session *a, const vq_session *b, vq_row_value value, const void *arg,
                            unsigned resamples, uint64_t seed);

#endif
