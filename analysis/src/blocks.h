/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The units of a compare's bootstrap. The blocks of an A/B session (vqscope record --ab): the disk that
 * ran a block ran it alone, the next block ran on either disk, so the blocks of one disk carry the drift
 * of the boot and a shift's interval that resamples them covers it (stats.h, hierarchical bootstrap,
 * each block one unit). The boots of a setting recorded several times (ioeventfd-ab.sh --repeat): each
 * session one unit, kept as recorded, so that the interval covers boot-to-boot variation.
 */
#ifndef VQSCOPE_ANALYSIS_BLOCKS_H
#define VQSCOPE_ANALYSIS_BLOCKS_H

#include "session.h"

/* One side of a compare: one session, or the COUNT boots (sessions) of one setting, pooled. */
typedef struct {
    const vq_session *const *sessions;
    size_t count;
} vq_side;

/* What a compare's intervals resample: requests (blocks of consecutive ones) of one session a side, the
 * blocks of two disks of A/B sessions (one session a side, each with >= 2 blocks holding rows), or boots
 * (a side with several sessions). */
typedef enum {
    VQ_UNITS_REQUESTS,
    VQ_UNITS_BLOCKS,
    VQ_UNITS_BOOTS,
} vq_units;

vq_units vq_compare_units(const vq_side *a, const vq_side *b);

/* A row's value of one figure (a stage, the notify exit...); false when the row has none. */
typedef bool (*vq_row_value)(const vq_request_row *row, const void *arg, int64_t *value);

/* How many of SESSION's blocks hold one of its rows (0: the session is not one disk of an A/B session). */
size_t vq_blocks_with_rows(const vq_session *session);

/* median(B) - median(A) of VALUE over the rows, its interval resampling each side's blocks (both must be
 * disks of A/B sessions); NaN estimate when a side has no value. */
vq_interval vq_blocks_shift(const vq_session *a, const vq_session *b, vq_row_value value, const void *arg,
                            unsigned resamples, uint64_t seed);

/* SIDE's values of VALUE, its sessions' rows one after the other (row order); caller frees; NULL when
 * out of memory. */
int64_t *vq_side_values(const vq_side *side, vq_row_value value, const void *arg, size_t *count);

/* median(pooled B) - median(pooled A) of VALUE over the rows, its interval resampling the sides' boots
 * (vq_hierarchical_bootstrap_difference; a side of one boot: blocks of consecutive values). Sessions
 * without a value are left out; NaN estimate when a side has none. */
vq_interval vq_boots_shift(const vq_side *a, const vq_side *b, vq_row_value value, const void *arg,
                           unsigned resamples, uint64_t seed);

#endif
