// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The block and hierarchical bootstraps (analysis/src/stats.c) on synthetic data whose truth is known:
 * their 95 % intervals must cover the true shift at the nominal rate (+- 3 %) over 500 seeded trials,
 * where the request-level bootstrap the compare used until now does not. Two cases:
 *
 *  - drift within one session: each side one session of 400 requests whose latency wanders (AR(1),
 *    correlation 0.5 from one request to the next); the block bootstrap (blocks of 20);
 *  - boot-to-boot variation: each side 6 boots of 40 requests, each boot off by its own normal amount
 *    (sd 30 ns, as large as the noise within a boot), with the same drift inside; the hierarchical one.
 *
 * B is A shifted by 100 ns in distribution, so the difference of (pooled population) medians is 100.
 * "Request-level" is the compare's resampling of single requests (block length 1, the resampling of
 * vq_bootstrap_median_difference). Prints the measured coverages. Deterministic (fixed seeds); about 3 s.
 * Expected values, from 3000-4000 trials: block 94.9 % (its blocks see slightly less than the whole
 * correlation: 93.3 % with 200 requests), request-level 85 %; hierarchical 95.6 %, request-level 40 %,
 * blocks over the pooled boots 76 %.
 */
#include "stats.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define TRIALS 500
#define RESAMPLES 200
#define SHIFT 100.0
#define MAX_VALUES 400

static double uniform_open(uint64_t *state)
{
    return ((double)(vq_random_next(state) >> 11) + 0.5) / 9007199254740992.0;   /* (0, 1), 53 bits */
}

static double standard_normal(uint64_t *state)
{
    double radius = sqrt(-2.0 * log(uniform_open(state)));

    return radius * cos(2.0 * M_PI * uniform_open(state));
}

/*
 * BOOTS boots of COUNT values each into VALUES (boot after boot, each in time order): 10000 ns + SHIFT_NS
 * + the boot's own offset (normal, sd BETWEEN) + stationary AR(1) noise of sd WITHIN and lag-one
 * correlation PHI.
 */
static void synthetic_side(int64_t *values, size_t boots, size_t count, double between, double within, double phi,
                           double shift_ns, uint64_t *state)
{
    size_t j, i;

    for (j = 0; j < boots; j++) {
        double offset = between * standard_normal(state), noise = standard_normal(state);

        for (i = 0; i < count; i++) {
            noise = phi * noise + sqrt(1.0 - phi * phi) * standard_normal(state);
            values[j * count + i] = (int64_t)llround(10000.0 + shift_ns + offset + within * noise);
        }
    }
}

static bool covers(const vq_interval *interval)
{
    return interval->low <= SHIFT && SHIFT <= interval->high;
}

static void test_basics(void)
{
    int64_t odd[] = { 5, 1, 4, 2, 3 }, even[] = { 10, 40, 20, 30 }, ties[64], a[100], b[100];
    vq_boot boots_a[3], boots_b[2];
    vq_interval first, second;
    size_t i;

    CHECK(vq_block_length_default(0) == 1 && vq_block_length_default(1) == 1);
    CHECK(vq_block_length_default(100) == 10 && vq_block_length_default(101) == 11);
    /* estimates: medians as vq_percentile_sorted has them (halfway between the middle two), means */
    first = vq_block_bootstrap_difference(odd, 5, even, 4, 0, VQ_STATISTIC_MEDIAN, 50, 0.95, 7);
    CHECK(first.estimate == 25.0 - 3.0);
    first = vq_block_bootstrap_difference(odd, 5, even, 4, 0, VQ_STATISTIC_MEAN, 50, 0.95, 7);
    CHECK(first.estimate == 25.0 - 3.0);
    for (i = 0; i < 64; i++) {
        ties[i] = i < 40 ? 7 : 9;   /* many equal values: the selection must not degrade */
    }
    first = vq_block_bootstrap_difference(ties, 64, ties, 64, 8, VQ_STATISTIC_MEDIAN, 50, 0.95, 7);
    CHECK(first.estimate == 0 && first.low <= 0 && first.high >= 0 && first.block_length == 8);
    for (i = 0; i < 100; i++) {
        a[i] = 1000 + (int64_t)(i % 10);
        b[i] = 1300 + (int64_t)(i % 10);
    }
    first = vq_block_bootstrap_difference(a, 100, b, 100, 0, VQ_STATISTIC_MEDIAN, 300, 0.95, 42);
    second = vq_block_bootstrap_difference(a, 100, b, 100, 0, VQ_STATISTIC_MEDIAN, 300, 0.95, 42);
    CHECK(first.estimate == 300 && first.low == second.low && first.high == second.high);   /* seeded */
    CHECK(first.low <= 300 && first.high >= 300 && first.low > 250 && first.block_length == 10);
    /* one boot a side is the block bootstrap */
    boots_a[0] = (vq_boot){ a, 100 };
    boots_b[0] = (vq_boot){ b, 100 };
    second = vq_hierarchical_bootstrap_difference(boots_a, 1, boots_b, 1, 0, VQ_STATISTIC_MEDIAN, 300, 0.95, 42);
    CHECK(second.low == first.low && second.high == first.high);
    /* several boots: pooled estimate, no blocks drawn, and the boot-to-boot spread shows */
    boots_a[0] = (vq_boot){ a, 40 };
    boots_a[1] = (vq_boot){ a + 40, 30 };
    boots_a[2] = (vq_boot){ a + 70, 30 };
    boots_b[0] = (vq_boot){ b, 50 };
    boots_b[1] = (vq_boot){ b + 50, 50 };
    first = vq_hierarchical_bootstrap_difference(boots_a, 3, boots_b, 2, 0, VQ_STATISTIC_MEAN, 300, 0.95, 42);
    CHECK(fabs(first.estimate - 300) < 1e-9 && first.block_length == 0);
    CHECK(first.low <= 300 && first.high >= 300);
    /* nothing to compare: NaN, not a crash */
    first = vq_block_bootstrap_difference(a, 0, b, 100, 0, VQ_STATISTIC_MEDIAN, 100, 0.95, 1);
    CHECK(isnan(first.estimate) && isnan(first.low));
    boots_a[1].count = 0;
    first = vq_hierarchical_bootstrap_difference(boots_a, 3, boots_b, 2, 0, VQ_STATISTIC_MEDIAN, 100, 0.95, 1);
    CHECK(isnan(first.estimate));
    first = vq_block_bootstrap_difference(a, 100, b, 100, 0, VQ_STATISTIC_MEDIAN, 0, 0.95, 1);
    CHECK(first.estimate == 300 && isnan(first.low));
}

/* One session a side with drift: block bootstrap vs request-level. */
static void test_drift_within_session(void)
{
    int64_t a[MAX_VALUES], b[MAX_VALUES];
    size_t count = MAX_VALUES, block = 0, plain = 0, trial;
    uint64_t state = 20261202;

    for (trial = 0; trial < TRIALS; trial++) {
        vq_interval interval;

        synthetic_side(a, 1, count, 0, 30, 0.5, 0, &state);
        synthetic_side(b, 1, count, 0, 30, 0.5, SHIFT, &state);
        interval = vq_block_bootstrap_difference(a, count, b, count, 0, VQ_STATISTIC_MEDIAN, RESAMPLES, 0.95, trial);
        block += covers(&interval);
        interval = vq_block_bootstrap_difference(a, count, b, count, 1, VQ_STATISTIC_MEDIAN, RESAMPLES, 0.95, trial);
        plain += covers(&interval);
    }
    printf("drift within one session (%zu requests, AR(1) 0.5): 95%% intervals covering the true shift in %zu "
           "trials: block bootstrap %.1f %%, request-level %.1f %%\n", count, (size_t)TRIALS, 100.0 * block / TRIALS,
           100.0 * plain / TRIALS);
    CHECK(block >= TRIALS * 92 / 100 && block <= TRIALS * 98 / 100);
    CHECK(plain < TRIALS * 90 / 100);
}

/* Six boots a side with boot-to-boot variation: hierarchical vs request-level and block on the pool. */
static void test_between_boots(void)
{
    enum { BOOTS = 6, PER_BOOT = 40 };
    int64_t a[BOOTS * PER_BOOT], b[BOOTS * PER_BOOT];
    size_t hierarchical = 0, plain = 0, pooled_blocks = 0, trial, j;
    vq_boot boots_a[BOOTS], boots_b[BOOTS];
    uint64_t state = 11;

    for (j = 0; j < BOOTS; j++) {
        boots_a[j] = (vq_boot){ a + j * PER_BOOT, PER_BOOT };
        boots_b[j] = (vq_boot){ b + j * PER_BOOT, PER_BOOT };
    }
    for (trial = 0; trial < TRIALS; trial++) {
        vq_interval interval;

        synthetic_side(a, BOOTS, PER_BOOT, 30, 30, 0.5, 0, &state);
        synthetic_side(b, BOOTS, PER_BOOT, 30, 30, 0.5, SHIFT, &state);
        interval = vq_hierarchical_bootstrap_difference(boots_a, BOOTS, boots_b, BOOTS, 0, VQ_STATISTIC_MEDIAN,
                                                        RESAMPLES, 0.95, trial);
        hierarchical += covers(&interval);
        interval = vq_block_bootstrap_difference(a, BOOTS * PER_BOOT, b, BOOTS * PER_BOOT, 1, VQ_STATISTIC_MEDIAN,
                                                 RESAMPLES, 0.95, trial);
        plain += covers(&interval);
        interval = vq_block_bootstrap_difference(a, BOOTS * PER_BOOT, b, BOOTS * PER_BOOT, 0, VQ_STATISTIC_MEDIAN,
                                                 RESAMPLES, 0.95, trial);
        pooled_blocks += covers(&interval);
    }
    printf("boot-to-boot variation (6 boots x 40 requests a side, boot sd = noise sd): 95%% intervals covering "
           "the true shift in %zu trials: hierarchical %.1f %%, request-level %.1f %%, blocks over the pooled "
           "boots %.1f %%\n", (size_t)TRIALS, 100.0 * hierarchical / TRIALS, 100.0 * plain / TRIALS,
           100.0 * pooled_blocks / TRIALS);
    CHECK(hierarchical >= TRIALS * 92 / 100 && hierarchical <= TRIALS * 98 / 100);
    CHECK(plain < TRIALS * 80 / 100);
    CHECK(pooled_blocks < TRIALS * 80 / 100);
}

int main(void)
{
    test_basics();
    test_drift_within_session();
    test_between_boots();
    return check_summary("analysis_bootstrap");
}
