// SPDX-License-Identifier: GPL-2.0-or-later
/* Pure statistics (see stats.h). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int compare_int64(const void *left, const void *right)
{
    int64_t a = *(const int64_t *)left, b = *(const int64_t *)right;

    return (a > b) - (a < b);
}

void vq_sort_int64(int64_t *values, size_t count)
{
    if (count > 1) {
        qsort(values, count, sizeof(*values), compare_int64);
    }
}

static int compare_double(const void *left, const void *right)
{
    double a = *(const double *)left, b = *(const double *)right;

    return (a > b) - (a < b);
}

double vq_percentile_sorted(const int64_t *sorted, size_t count, double p)
{
    double rank, fraction;
    size_t below;

    if (count == 0) {
        return NAN;
    }
    if (p <= 0) {
        return (double)sorted[0];
    }
    if (p >= 100) {
        return (double)sorted[count - 1];
    }
    rank = p / 100.0 * (double)(count - 1);
    below = (size_t)rank;
    fraction = rank - (double)below;
    if (below + 1 >= count) {
        return (double)sorted[count - 1];
    }
    return (double)sorted[below] + fraction * ((double)sorted[below + 1] - (double)sorted[below]);
}

vq_summary vq_summarize(int64_t *values, size_t count)
{
    vq_summary summary = { 0 };
    double sum = 0;
    size_t i;

    if (count == 0) {
        summary.mean = summary.p50 = summary.p90 = summary.p99 = summary.p999 = NAN;
        return summary;
    }
    vq_sort_int64(values, count);
    for (i = 0; i < count; i++) {
        sum += (double)values[i];
        summary.negative += values[i] < 0;
    }
    summary.count = count;
    summary.mean = sum / (double)count;
    summary.min = values[0];
    summary.max = values[count - 1];
    summary.p50 = vq_percentile_sorted(values, count, 50);
    summary.p90 = vq_percentile_sorted(values, count, 90);
    summary.p99 = vq_percentile_sorted(values, count, 99);
    summary.p999 = vq_percentile_sorted(values, count, 99.9);
    return summary;
}

size_t vq_cdf_ranks(size_t count, size_t max_points, size_t *ranks)
{
    size_t written = 0, i;

    if (count <= max_points) {
        for (i = 0; i < count; i++) {
            ranks[i] = i;
        }
        return count;
    }
    for (i = 0; i < max_points; i++) {
        size_t rank = (size_t)llround((double)i * (double)(count - 1) / (double)(max_points - 1));

        if (written == 0 || rank != ranks[written - 1]) {
            ranks[written++] = rank;
        }
    }
    return written;
}

double vq_log_bin_edge(int lowest_exponent, unsigned per_decade, size_t k)
{
    /* A whole exponent gives an exact power of ten (1000, not 999.99...). */
    return pow(10.0, (double)lowest_exponent + (double)k / (double)per_decade);
}

void vq_log_histogram(const int64_t *values, size_t count, int lowest_exponent, unsigned per_decade,
                      uint64_t *counts, size_t bins, uint64_t *below, uint64_t *above)
{
    size_t i;

    memset(counts, 0, bins * sizeof(*counts));
    *below = *above = 0;
    for (i = 0; i < count; i++) {
        double value = (double)values[i];
        double position;
        size_t k;

        if (bins == 0 || value < vq_log_bin_edge(lowest_exponent, per_decade, 0)) {
            (*below)++;
            continue;
        }
        if (value >= vq_log_bin_edge(lowest_exponent, per_decade, bins)) {
            (*above)++;
            continue;
        }
        /* log10 can land a hair off an edge: settle on the bin whose edges hold the value. */
        position = (log10(value) - lowest_exponent) * per_decade;
        k = position <= 0 ? 0 : (size_t)position;
        if (k >= bins) {
            k = bins - 1;
        }
        while (k > 0 && value < vq_log_bin_edge(lowest_exponent, per_decade, k)) {
            k--;
        }
        while (k + 1 < bins && value >= vq_log_bin_edge(lowest_exponent, per_decade, k + 1)) {
            k++;
        }
        counts[k]++;
    }
}

uint64_t vq_random_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Median of a resample of SAMPLE drawn into SCRATCH. */
static double resample_median(const int64_t *sample, size_t count, uint64_t *state, int64_t *scratch)
{
    size_t i;

    for (i = 0; i < count; i++) {
        scratch[i] = sample[vq_random_next(state) % count];
    }
    vq_sort_int64(scratch, count);
    return vq_percentile_sorted(scratch, count, 50);
}

vq_interval vq_bootstrap_median_difference(const int64_t *a, size_t count_a, const int64_t *b,
                                           size_t count_b, unsigned resamples, double level, uint64_t seed,
                                           int64_t *scratch)
{
    vq_interval interval = { .resamples = resamples, .level = level, .low = NAN, .high = NAN };
    double *differences = NULL;
    uint64_t state = seed;
    unsigned i;

    if (count_a == 0 || count_b == 0) {
        interval.estimate = NAN;
        goto end;
    }
    memcpy(scratch, a, count_a * sizeof(*a));
    vq_sort_int64(scratch, count_a);
    interval.estimate = -vq_percentile_sorted(scratch, count_a, 50);
    memcpy(scratch, b, count_b * sizeof(*b));
    vq_sort_int64(scratch, count_b);
    interval.estimate += vq_percentile_sorted(scratch, count_b, 50);
    if (resamples == 0) {
        goto end;
    }
    differences = malloc(resamples * sizeof(*differences));
    if (!differences) {
        goto end;
    }
    for (i = 0; i < resamples; i++) {
        double median_a = resample_median(a, count_a, &state, scratch);
        double median_b = resample_median(b, count_b, &state, scratch);

        differences[i] = median_b - median_a;
    }
    qsort(differences, resamples, sizeof(*differences), compare_double);
    {
        double tail = (1.0 - level) / 2.0;
        size_t low = (size_t)floor(tail * (resamples - 1));
        size_t high = (size_t)ceil((1.0 - tail) * (resamples - 1));

        interval.low = differences[low];
        interval.high = differences[high];
    }
end:
    free(differences);
    return interval;
}
