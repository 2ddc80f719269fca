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
