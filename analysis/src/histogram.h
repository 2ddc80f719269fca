/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fixed-size latency histogram (pure), the bounded-memory form of a stage's distribution that the
 * streaming analyzer (issue 13) keeps instead of every value: log-linear buckets in the manner of
 * HdrHistogram. Values 0 .. 255 ns have a bucket each; above, every power of two [2^e, 2^(e+1)) is cut
 * into 128 equal buckets, so a bucket is at most 1/128 of its lower end wide and its midpoint is within
 * 0.4 % of any value in it. Values at or above 2^47 ns (39 hours) go to the top bucket (counted in
 * `clamped`). Negative values (a stage below zero is a finding, never clamped to 0) have buckets of
 * their own, mirrored. One histogram is ~84 KB whatever the number of values.
 */
#ifndef VQSCOPE_ANALYSIS_HISTOGRAM_H
#define VQSCOPE_ANALYSIS_HISTOGRAM_H

#include "stats.h"

#include <stdbool.h>
#include <stdint.h>

#define VQ_HIST_EXACT 256u                                   /* 0 .. 255: one bucket per value */
#define VQ_HIST_SUB 128u                                     /* buckets per power of two above */
#define VQ_HIST_TOP_EXPONENT 46                              /* the last power of two kept: 2^46 .. 2^47 */
#define VQ_HIST_SLOTS (VQ_HIST_EXACT + (VQ_HIST_TOP_EXPONENT - 7) * VQ_HIST_SUB)

typedef struct {
    uint64_t count;
    uint64_t clamped;              /* values whose magnitude was at or above 2^47 */
    int64_t min, max;              /* exact; meaningful when count > 0 */
    double sum;                    /* exact up to double rounding: the mean */
    uint64_t positive[VQ_HIST_SLOTS];   /* values >= 0 */
    uint64_t negative[VQ_HIST_SLOTS];   /* values < 0, by magnitude */
} vq_hist;

void vq_hist_clear(vq_hist *hist);
void vq_hist_add(vq_hist *hist, int64_t value);
/* Adds VALUE to *HIST, allocating and clearing it first when *HIST is NULL (no value yet): the form the
 * session's accumulators take, a histogram only where a value came. False when out of memory. */
bool vq_hist_add_new(vq_hist **hist, int64_t value);
/* Adds every value of FROM to INTO (the histogram of both sets of values). */
void vq_hist_merge(vq_hist *into, const vq_hist *from);
/*
 * The P-th percentile (0 .. 100) as vq_percentile_sorted() defines it (linear interpolation between the
 * values at the two ranks around P), each value taken as its bucket's midpoint: within 0.4 % of the
 * exact percentile of the same values (exact for values under 256 ns and for P = 0 and 100, which are
 * min and max). NaN when empty.
 */
double vq_hist_percentile(const vq_hist *hist, double p);
/* The value of rank RANK (0-based, ascending; RANK < count) as its bucket's midpoint, within 0.4 % of the
 * exact one; the lowest and highest exact (min and max). */
double vq_hist_value_at(const vq_hist *hist, uint64_t rank);
/*
 * How many values are <= BOUND: exact but for the one bucket BOUND falls inside, whose values are taken
 * as spread evenly over it (off by at most that bucket's count; rounded, and never decreasing as BOUND
 * grows). What a Prometheus histogram's cumulative bucket `le` counts.
 */
uint64_t vq_hist_count_at_most(const vq_hist *hist, double bound);
/*
 * The summary the reports print, drawn from the histogram: count, mean (exact sum / count), min, max and
 * the negative count exact; p50 .. p99.9 from vq_hist_percentile (within 0.4 %). A zero summary with NaN
 * statistics when empty, as vq_summarize gives.
 */
vq_summary vq_hist_summary(const vq_hist *hist);
/* The index of VALUE's bucket among the positive ones (VALUE >= 0), and a bucket's smallest value. */
unsigned vq_hist_slot(uint64_t magnitude);
uint64_t vq_hist_slot_low(unsigned slot);

#endif
