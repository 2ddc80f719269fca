// SPDX-License-Identifier: GPL-2.0-or-later
/* The blocks of an A/B session and the boots of a repeated setting as bootstrap units (blocks.h). */
#include "blocks.h"

#include <math.h>
#include <stdlib.h>

size_t vq_blocks_with_rows(const vq_session *session)
{
    size_t count = 0, b, i;

    for (b = 0; session->part && b < session->block_count; b++) {
        for (i = 0; i < session->row_count && session->rows[i].block != session->blocks[b].seq; i++) {
        }
        count += i < session->row_count;
    }
    return count;
}

/* SESSION's values grouped by block, each block one unit, in row (submit) order within it; blocks without
 * a value are left out. VALUES has room for every row; *COUNT units set. */
static vq_boot *block_boots(const vq_session *session, vq_row_value value, const void *arg, int64_t *values,
                            size_t *count)
{
    vq_boot *boots = calloc(session->block_count + 1, sizeof(*boots));
    size_t used = 0, b, i;

    *count = 0;
    for (b = 0; boots && b < session->block_count; b++) {
        boots[*count].values = values + used;
        for (i = 0; i < session->row_count; i++) {
            if (session->rows[i].block == session->blocks[b].seq && value(&session->rows[i], arg, &values[used])) {
                used++;
            }
        }
        boots[*count].count = (size_t)(values + used - boots[*count].values);
        *count += boots[*count].count > 0;
    }
    return boots;
}

/* median(B) - median(A) over the units (hierarchical bootstrap); frees the units and their values. */
static vq_interval units_shift(vq_boot *boots_a, size_t count_a, int64_t *values_a, vq_boot *boots_b, size_t count_b,
                               int64_t *values_b, unsigned resamples, uint64_t seed)
{
    vq_interval interval = { .estimate = NAN, .low = NAN, .high = NAN };

    if (boots_a && boots_b && count_a && count_b) {
        interval = vq_hierarchical_bootstrap_difference(boots_a, count_a, boots_b, count_b, 0, VQ_STATISTIC_MEDIAN,
                                                        resamples, 0.95, seed);
    }
    free(boots_a);
    free(boots_b);
    free(values_a);
    free(values_b);
    return interval;
}

vq_interval vq_blocks_shift(const vq_session *a, const vq_session *b, vq_row_value value, const void *arg,
                            unsigned resamples, uint64_t seed)
{
    int64_t *values_a = malloc((a->row_count + 1) * sizeof(*values_a));
    int64_t *values_b = malloc((b->row_count + 1) * sizeof(*values_b));
    size_t count_a = 0, count_b = 0;
    vq_boot *boots_a = values_a ? block_boots(a, value, arg, values_a, &count_a) : NULL;
    vq_boot *boots_b = values_b ? block_boots(b, value, arg, values_b, &count_b) : NULL;

    return units_shift(boots_a, count_a, values_a, boots_b, count_b, values_b, resamples, seed);
}

/* SIDE's values, each session one unit (row order); sessions without a value are left out. VALUES has
 * room for every row of the side; *COUNT units set. */
static vq_boot *session_boots(const vq_side *side, vq_row_value value, const void *arg, int64_t *values,
                              size_t *count)
{
    vq_boot *boots = calloc(side->count + 1, sizeof(*boots));
    size_t used = 0, s, i;

    *count = 0;
    for (s = 0; boots && s < side->count; s++) {
        const vq_session *session = side->sessions[s];

        boots[*count].values = values + used;
        for (i = 0; i < session->row_count; i++) {
            used += value(&session->rows[i], arg, &values[used]);
        }
        boots[*count].count = (size_t)(values + used - boots[*count].values);
        *count += boots[*count].count > 0;
    }
    return boots;
}

static size_t side_rows(const vq_side *side)
{
    size_t rows = 0, s;

    for (s = 0; s < side->count; s++) {
        rows += side->sessions[s]->row_count;
    }
    return rows;
}

vq_interval vq_boots_shift(const vq_side *a, const vq_side *b, vq_row_value value, const void *arg,
                           unsigned resamples, uint64_t seed)
{
    int64_t *values_a = malloc((side_rows(a) + 1) * sizeof(*values_a));
    int64_t *values_b = malloc((side_rows(b) + 1) * sizeof(*values_b));
    size_t count_a = 0, count_b = 0;
    vq_boot *boots_a = values_a ? session_boots(a, value, arg, values_a, &count_a) : NULL;
    vq_boot *boots_b = values_b ? session_boots(b, value, arg, values_b, &count_b) : NULL;

    return units_shift(boots_a, count_a, values_a, boots_b, count_b, values_b, resamples, seed);
}

int64_t *vq_side_values(const vq_side *side, vq_row_value value, const void *arg, size_t *count)
{
    int64_t *values = malloc((side_rows(side) + 1) * sizeof(*values));
    size_t s, i;

    *count = 0;
    for (s = 0; values && s < side->count; s++) {
        for (i = 0; i < side->sessions[s]->row_count; i++) {
            *count += value(&side->sessions[s]->rows[i], arg, &values[*count]);
        }
    }
    return values;
}

vq_units vq_compare_units(const vq_side *a, const vq_side *b)
{
    if (a->count > 1 || b->count > 1) {
        return VQ_UNITS_BOOTS;
    }
    return vq_blocks_with_rows(a->sessions[0]) >= 2 && vq_blocks_with_rows(b->sessions[0]) >= 2 ? VQ_UNITS_BLOCKS :
           VQ_UNITS_REQUESTS;
}
