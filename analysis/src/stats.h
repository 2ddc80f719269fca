/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Statistics, pure functions: percentiles, summaries, bootstrap confidence intervals. Values are
 * int64 nanoseconds (stages can in principle be negative: that is a finding, not clamped).
 */
#ifndef VQSCOPE_ANALYSIS_STATS_H
#define VQSCOPE_ANALYSIS_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t count;
    double mean;
    int64_t min, max;
    double p50, p90, p99, p999;
    size_t negative;  /* values < 0 */
} vq_summary;

/* Percentile P (0..100) of SORTED (ascending, COUNT > 0), linear interpolation between closest
 * ranks (the definition of numpy's default). */
double vq_percentile_sorted(const int64_t *sorted, size_t count, double p);
/* Sorts VALUES in place and summarises them; a zero summary when COUNT is 0. */
vq_summary vq_summarize(int64_t *values, size_t count);
void vq_sort_int64(int64_t *values, size_t count);

/*
 * The points that draw the empirical CDF of COUNT sorted values with at most MAX_POINTS (>= 2) points:
 * ranks evenly spaced from the first to the last, rounded to the nearest, ascending and distinct,
 * written to RANKS (room for MAX_POINTS); every rank when COUNT <= MAX_POINTS. Returns how many.
 * Rank r is the point (sorted[r], (r + 1) / COUNT): the fraction of values at or below sorted[r].
 */
size_t vq_cdf_ranks(size_t count, size_t max_points, size_t *ranks);

/*
 * Log-spaced bins, PER_DECADE to a decade from 10^LOWEST_EXPONENT: bin k holds
 * [vq_log_bin_edge(.., k), vq_log_bin_edge(.., k + 1)). Bins of different histograms with the same
 * LOWEST_EXPONENT and PER_DECADE line up, so sessions compare bin by bin.
 */
double vq_log_bin_edge(int lowest_exponent, unsigned per_decade, size_t k);
/* Counts VALUES into COUNTS[BINS] (zeroed first); values below the first edge (zero and negative ones
 * too) into *BELOW, at or above the last edge into *ABOVE. */
void vq_log_histogram(const int64_t *values, size_t count, int lowest_exponent, unsigned per_decade,
                      uint64_t *counts, size_t bins, uint64_t *below, uint64_t *above);

/* Deterministic generator (splitmix64): the same seed gives the same bootstrap on every machine. */
uint64_t vq_random_next(uint64_t *state);

typedef struct {
    double estimate;  /* median(B) - median(A) */
    double low, high; /* percentile bootstrap interval */
    unsigned resamples;
    double level;     /* e.g. 0.95 */
} vq_interval;

/*
 * Bootstrap confidence interval at LEVEL for median(B) - median(A): RESAMPLES resamples with
 * replacement of each sample, seeded with SEED. Needs both counts > 0; SCRATCH must hold
 * count_a + count_b values. Returns the interval (estimate from the original samples).
 */
vq_interval vq_bootstrap_median_difference(const int64_t *a, size_t count_a, const int64_t *b,
                                           size_t count_b, unsigned resamples, double level, uint64_t seed,
                                           int64_t *scratch);

#endif
