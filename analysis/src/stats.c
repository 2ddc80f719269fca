// SPDX-License-Identifier: GPL-2.0-or-later
/* Pure statistics (see stats.h). */
#include "stats.h"

#include <math.h>
#include <stdbool.h>
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

size_t vq_log_bin(int64_t value, int lowest_exponent, unsigned per_decade, size_t bins)
{
    double v = (double)value;
    double position;
    size_t k;

    if (bins == 0 || v < vq_log_bin_edge(lowest_exponent, per_decade, 0)) {
        return VQ_LOG_BELOW;
    }
    if (v >= vq_log_bin_edge(lowest_exponent, per_decade, bins)) {
        return bins;
    }
    /* log10 can land a hair off an edge: settle on the bin whose edges hold the value. */
    position = (log10(v) - lowest_exponent) * per_decade;
    k = position <= 0 ? 0 : (size_t)position;
    if (k >= bins) {
        k = bins - 1;
    }
    while (k > 0 && v < vq_log_bin_edge(lowest_exponent, per_decade, k)) {
        k--;
    }
    while (k + 1 < bins && v >= vq_log_bin_edge(lowest_exponent, per_decade, k + 1)) {
        k++;
    }
    return k;
}

void vq_log_histogram(const int64_t *values, size_t count, int lowest_exponent, unsigned per_decade,
                      uint64_t *counts, size_t bins, uint64_t *below, uint64_t *above)
{
    size_t i;

    memset(counts, 0, bins * sizeof(*counts));
    *below = *above = 0;
    for (i = 0; i < count; i++) {
        size_t k = vq_log_bin(values[i], lowest_exponent, per_decade, bins);

        if (k == VQ_LOG_BELOW) {
            (*below)++;
        } else if (k == bins) {
            (*above)++;
        } else {
            counts[k]++;
        }
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

/* ---- block and hierarchical bootstraps ---- */

size_t vq_block_length_default(size_t count)
{
    size_t length = (size_t)ceil(sqrt((double)count));

    return length ? length : 1;
}

/* A uniform index below COUNT (> 0): the high half of a 128-bit product, no division (Lemire). */
static size_t random_below(uint64_t *state, size_t count)
{
    return (size_t)(((unsigned __int128)vq_random_next(state) * count) >> 64);
}

static void swap_int64(int64_t *x, int64_t *y)
{
    int64_t kept = *x;

    *x = *y;
    *y = kept;
}

/*
 * The value of rank K (0-based) of VALUES[COUNT], reordered so that nothing before K is larger and
 * nothing after it smaller: quickselect with a three-way partition (ties, frequent in counts, cost
 * nothing), O(COUNT) on average. Sorting each resample for its median was most of a bootstrap's time.
 */
static int64_t select_rank(int64_t *values, size_t count, size_t k)
{
    size_t low = 0, high = count;

    while (high - low > 1) {
        int64_t first = values[low], middle = values[low + (high - low) / 2], last = values[high - 1];
        int64_t pivot = first < middle ? (middle < last ? middle : (first < last ? last : first))
                                       : (first < last ? first : (middle < last ? last : middle));
        size_t less = low, i = low, greater = high;

        while (i < greater) {
            if (values[i] < pivot) {
                swap_int64(&values[less++], &values[i++]);
            } else if (values[i] > pivot) {
                swap_int64(&values[i], &values[--greater]);
            } else {
                i++;
            }
        }
        if (k < less) {
            high = less;
        } else if (k >= greater) {
            low = greater;
        } else {
            return pivot;
        }
    }
    return values[k];
}

/* STATISTIC of VALUES[COUNT] (COUNT > 0), which it may reorder. */
static double statistic_in_place(int64_t *values, size_t count, vq_statistic statistic)
{
    double sum = 0;
    size_t below, i;
    int64_t next;

    if (statistic == VQ_STATISTIC_MEAN) {
        for (i = 0; i < count; i++) {
            sum += (double)values[i];
        }
        return sum / (double)count;
    }
    /* rank (count - 1) / 2: one value, or halfway between two (vq_percentile_sorted at 50) */
    below = (count - 1) / 2;
    if (count % 2) {
        return (double)select_rank(values, count, below);
    }
    select_rank(values, count, below);
    next = values[below + 1];
    for (i = below + 2; i < count; i++) {
        next = values[i] < next ? values[i] : next;
    }
    return ((double)values[below] + (double)next) / 2.0;
}

/* COUNT values of a circular block resample of VALUES[COUNT] into OUT. */
static void block_resample(const int64_t *values, size_t count, size_t block_length, uint64_t *state, int64_t *out)
{
    size_t written = 0, start, length, first;

    if (block_length > count) {
        block_length = count;
    }
    while (written < count) {
        start = random_below(state, count);
        length = count - written < block_length ? count - written : block_length;
        /* up to the end of the sample, then on from its start */
        first = count - start < length ? count - start : length;
        memcpy(out + written, values + start, first * sizeof(*out));
        memcpy(out + written + first, values, (length - first) * sizeof(*out));
        written += length;
    }
}

/*
 * The statistic of one resample of a side into SCRATCH: its boots drawn with replacement, each kept as
 * recorded; a side of one boot, its blocks. Resampling blocks inside the drawn boots as well would count
 * within-boot variation twice: each boot's values already carry it into the spread between boots (with
 * no variation between boots at all, 5 boots a side, the two-stage interval covered 98 % at 95 % before
 * the small-sample expansion below, 100 % after it).
 * Davison and Hinkley (1997, 3.8) and Ren et al. (2010) come to the same: with replacement at the top
 * level only.
 */
static double resample_side(const vq_boot *boots, size_t boot_count, size_t block_length, vq_statistic statistic,
                            uint64_t *state, int64_t *scratch)
{
    size_t written = 0, i;

    if (boot_count == 1) {
        block_resample(boots[0].values, boots[0].count,
                       block_length ? block_length : vq_block_length_default(boots[0].count), state, scratch);
        return statistic_in_place(scratch, boots[0].count, statistic);
    }
    for (i = 0; i < boot_count; i++) {
        const vq_boot *boot = &boots[random_below(state, boot_count)];

        memcpy(scratch + written, boot->values, boot->count * sizeof(*scratch));
        written += boot->count;
    }
    return statistic_in_place(scratch, written, statistic);
}

/* P(|T| < T_VALUE) for Student's t with DEGREES (>= 1) degrees of freedom: the finite series for a whole
 * number of them (Abramowitz and Stegun 26.7.3, 26.7.4). */
static double student_two_sided(double t_value, unsigned degrees)
{
    double theta = atan(t_value / sqrt((double)degrees)), c2 = cos(theta) * cos(theta), term = 1, sum = 1;
    unsigned k;

    if (degrees == 1) {
        return 2.0 * theta / M_PI;
    }
    for (k = degrees % 2 ? 3 : 2; k + 2 <= degrees; k += 2) {
        term *= c2 * (double)(k - 1) / (double)k;
        sum += term;
    }
    return degrees % 2 ? 2.0 / M_PI * (theta + sin(theta) * cos(theta) * sum) : sin(theta) * sum;
}

/*
 * The expanded percentile interval's level (Hesterberg 2015, for small samples): the two-sided level of
 * the normal quantile sqrt(K / (K - 1)) t(1 - (1 - LEVEL) / 2, DEGREES). A resample of K boots spreads
 * (K - 1) / K as wide as the boots vary, and DEGREES boots' worth of spread is itself uncertain.
 */
static double expanded_level(double level, size_t k, size_t degrees)
{
    double low = 0, high = 1e3, t_value = 0;
    int i;

    for (i = 0; i < 100; i++) {
        t_value = (low + high) / 2;
        if (student_two_sided(t_value, (unsigned)(degrees > 100000 ? 100000 : degrees)) < level) {
            low = t_value;
        } else {
            high = t_value;
        }
    }
    return erf(t_value * sqrt((double)k / (double)(k - 1)) / sqrt(2.0));
}

vq_interval vq_hierarchical_bootstrap_difference(const vq_boot *a, size_t boots_a, const vq_boot *b, size_t boots_b,
                                                 size_t block_length, vq_statistic statistic, unsigned resamples,
                                                 double level, uint64_t seed)
{
    vq_interval interval = { .estimate = NAN, .low = NAN, .high = NAN, .resamples = resamples, .level = level };
    size_t total_a = 0, total_b = 0, largest = 0, fewest = boots_a < boots_b ? boots_a : boots_b, i;
    double *differences = NULL, tail = (1.0 - level) / 2.0;
    int64_t *scratch = NULL;
    uint64_t state = seed;
    unsigned r;

    if (boots_a == 0 || boots_b == 0) {
        goto end;
    }
    for (i = 0; i < boots_a + boots_b; i++) {
        const vq_boot *boot = i < boots_a ? &a[i] : &b[i - boots_a];
        bool single = (i < boots_a ? boots_a : boots_b) == 1;
        size_t length = block_length ? block_length : vq_block_length_default(boot->count);

        if (boot->count == 0) {
            goto end;
        }
        *(i < boots_a ? &total_a : &total_b) += boot->count;
        largest = boot->count > largest ? boot->count : largest;
        if (single && length > interval.block_length) {
            interval.block_length = length > boot->count ? boot->count : length;
        }
    }
    /* A resample of a side may draw its largest boot every time. */
    scratch = malloc(largest * (boots_a > boots_b ? boots_a : boots_b) * sizeof(*scratch));
    if (!scratch) {
        goto end;
    }
    for (i = 0, total_a = 0; i < boots_a; total_a += a[i++].count) {
        memcpy(scratch + total_a, a[i].values, a[i].count * sizeof(*scratch));
    }
    interval.estimate = -statistic_in_place(scratch, total_a, statistic);
    for (i = 0, total_b = 0; i < boots_b; total_b += b[i++].count) {
        memcpy(scratch + total_b, b[i].values, b[i].count * sizeof(*scratch));
    }
    interval.estimate += statistic_in_place(scratch, total_b, statistic);
    differences = resamples ? malloc(resamples * sizeof(*differences)) : NULL;
    if (!differences) {
        goto end;
    }
    for (r = 0; r < resamples; r++) {
        double statistic_a = resample_side(a, boots_a, block_length, statistic, &state, scratch);

        differences[r] = resample_side(b, boots_b, block_length, statistic, &state, scratch) - statistic_a;
    }
    qsort(differences, resamples, sizeof(*differences), compare_double);
    if (fewest > 1) {
        tail = (1.0 - expanded_level(level, fewest, boots_a + boots_b - 2)) / 2.0;
    }
    interval.low = differences[(size_t)floor(tail * (resamples - 1))];
    interval.high = differences[(size_t)ceil((1.0 - tail) * (resamples - 1))];
end:
    free(differences);
    free(scratch);
    return interval;
}

vq_interval vq_block_bootstrap_difference(const int64_t *a, size_t count_a, const int64_t *b, size_t count_b,
                                          size_t block_length, vq_statistic statistic, unsigned resamples,
                                          double level, uint64_t seed)
{
    vq_boot boot_a = { a, count_a }, boot_b = { b, count_b };

    return vq_hierarchical_bootstrap_difference(&boot_a, 1, &boot_b, 1, block_length, statistic, resamples, level,
                                                seed);
}
