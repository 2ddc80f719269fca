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
/* The bin of VALUE: VQ_LOG_BELOW below the first edge (zero and negative values too), BINS at or above
 * the last edge. */
#define VQ_LOG_BELOW SIZE_MAX
size_t vq_log_bin(int64_t value, int lowest_exponent, unsigned per_decade, size_t bins);
/* Counts VALUES into COUNTS[BINS] (zeroed first); values below the first edge (zero and negative ones
 * too) into *BELOW, at or above the last edge into *ABOVE. */
void vq_log_histogram(const int64_t *values, size_t count, int lowest_exponent, unsigned per_decade,
                      uint64_t *counts, size_t bins, uint64_t *below, uint64_t *above);

/* Deterministic generator (splitmix64): the same seed gives the same bootstrap on every machine. */
uint64_t vq_random_next(uint64_t *state);

typedef struct {
    double estimate;  /* statistic(B) - statistic(A): median, unless the function says otherwise */
    double low, high; /* percentile bootstrap interval */
    unsigned resamples;
    double level;     /* e.g. 0.95 */
    size_t block_length;  /* block bootstraps: the block length used (chosen per boot: the longest) */
} vq_interval;

/*
 * Bootstrap confidence interval at LEVEL for median(B) - median(A): RESAMPLES resamples with
 * replacement of each sample, seeded with SEED. Needs both counts > 0; SCRATCH must hold
 * count_a + count_b values. Returns the interval (estimate from the original samples).
 */
vq_interval vq_bootstrap_median_difference(const int64_t *a, size_t count_a, const int64_t *b,
                                           size_t count_b, unsigned resamples, double level, uint64_t seed,
                                           int64_t *scratch);

typedef enum {
    VQ_STATISTIC_MEDIAN,  /* linear interpolation, as vq_percentile_sorted at 50 */
    VQ_STATISTIC_MEAN,
} vq_statistic;

/* One boot (one recorded session) of a sample: its values in time order (request order). */
typedef struct {
    const int64_t *values;
    size_t count;
} vq_boot;

/* The block length chosen when none is given: ceil(sqrt(COUNT)), at least 1. */
size_t vq_block_length_default(size_t count);

/*
 * Circular block bootstrap of statistic(B) - statistic(A) within one session each: a resample of a
 * sample is made of blocks of BLOCK_LENGTH consecutive values (time order), each starting at a uniformly
 * drawn index and wrapping past the end, until it has as many values as the sample. Values close in time
 * stay together, so the interval covers drift within the session (slow changes, bursts), which the
 * request-level bootstrap (BLOCK_LENGTH 1) takes for independent noise and under-covers. BLOCK_LENGTH 0:
 * vq_block_length_default of each sample. It cannot cover what varies between sessions (boots): that
 * needs several per side, below. Measured for the median on AR(1) noise (lag-one correlation 0.5,
 * tests/unit/analysis_bootstrap.c, 3000 trials): 94.9 % coverage at 95 % with 400 requests a side
 * (blocks of 20), 93.3 % with 200 (blocks of 15: a little of the correlation falls between blocks); the
 * request-level bootstrap 85 %. NaN estimate for an empty side; NaN bounds when out of memory or
 * RESAMPLES is 0. Deterministic for a SEED.
 */
vq_interval vq_block_bootstrap_difference(const int64_t *a, size_t count_a, const int64_t *b, size_t count_b,
                                          size_t block_length, vq_statistic statistic, unsigned resamples,
                                          double level, uint64_t seed);

/*
 * Hierarchical bootstrap of statistic(pooled B) - statistic(pooled A) with several boots (sessions) per
 * side: a resample of a side draws as many boots as it has, with replacement, each kept as recorded (its
 * blocks drawn without replacement), and pools them. Drawing boots is what puts boot-to-boot variation
 * in the interval, and each boot brings its own drift along; drawing blocks within the drawn boots too
 * would count that drift twice (stats.c says what that did). A side of one boot is block-resampled as
 * above (BLOCK_LENGTH, 0 = chosen): it has no boot-to-boot variation to show. With k boots a resample
 * spreads (k - 1) / k as wide as the boots vary and the spread of few boots is itself uncertain, so
 * when both sides have two or more boots the interval is the expanded percentile interval (Hesterberg
 * 2015): its tails at the level of the normal quantile sqrt(k / (k - 1)) t(1 - alpha / 2, k_A + k_B - 2),
 * k the smaller side's count. Measured for the median on normal boot effects as large as the noise and
 * AR(1) drift (tests/unit/analysis_bootstrap.c, 4000 trials): 95.6 % coverage with 6 boots a side, 96 %
 * with 5, 96 % with 10, but 88 % with 3 (3 boots have 10 distinct resamples: too coarse for the tails).
 * Every boot must hold a value (NaN estimate otherwise). interval.block_length: the longest block used
 * on a single-boot side, 0 when none was.
 */
vq_interval vq_hierarchical_bootstrap_difference(const vq_boot *a, size_t boots_a, const vq_boot *b, size_t boots_b,
                                                 size_t block_length, vq_statistic statistic, unsigned resamples,
                                                 double level, uint64_t seed);

#endif
