// SPDX-License-Identifier: GPL-2.0-or-later
/* The log-linear latency histogram (histogram.h). */
#include "histogram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void vq_hist_clear(vq_hist *hist)
{
    memset(hist, 0, sizeof(*hist));
}

unsigned vq_hist_slot(uint64_t magnitude)
{
    unsigned exponent, shift;

    if (magnitude < VQ_HIST_EXACT) {
        return (unsigned)magnitude;
    }
    exponent = 63u - (unsigned)__builtin_clzll(magnitude);   /* >= 8 */
    if (exponent > VQ_HIST_TOP_EXPONENT) {
        return VQ_HIST_SLOTS - 1;
    }
    shift = exponent - 7u;          /* magnitude >> shift is in [128, 255] */
    return VQ_HIST_EXACT + (exponent - 8u) * VQ_HIST_SUB + (unsigned)((magnitude >> shift) - VQ_HIST_SUB);
}

uint64_t vq_hist_slot_low(unsigned slot)
{
    unsigned exponent, sub;

    if (slot < VQ_HIST_EXACT) {
        return slot;
    }
    exponent = 8u + (slot - VQ_HIST_EXACT) / VQ_HIST_SUB;
    sub = VQ_HIST_SUB + (slot - VQ_HIST_EXACT) % VQ_HIST_SUB;
    return (uint64_t)sub << (exponent - 7u);
}

/* The bucket's midpoint (its value when it holds one value only). */
static double slot_middle(unsigned slot)
{
    uint64_t low = vq_hist_slot_low(slot);
    uint64_t width = slot + 1 < VQ_HIST_SLOTS ? vq_hist_slot_low(slot + 1) - low : 1;

    return (double)low + (double)(width - 1) / 2.0;
}

void vq_hist_add(vq_hist *hist, int64_t value)
{
    uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    unsigned slot = vq_hist_slot(magnitude);

    if (magnitude >> (VQ_HIST_TOP_EXPONENT + 1)) {
        hist->clamped++;
    }
    if (value < 0) {
        hist->negative[slot]++;
    } else {
        hist->positive[slot]++;
    }
    if (hist->count == 0 || value < hist->min) {
        hist->min = value;
    }
    if (hist->count == 0 || value > hist->max) {
        hist->max = value;
    }
    hist->count++;
    hist->sum += (double)value;
}

bool vq_hist_add_new(vq_hist **hist, int64_t value)
{
    if (!*hist) {
        *hist = malloc(sizeof(**hist));
        if (!*hist) {
            return false;
        }
        vq_hist_clear(*hist);
    }
    vq_hist_add(*hist, value);
    return true;
}

void vq_hist_merge(vq_hist *into, const vq_hist *from)
{
    unsigned i;

    if (from->count == 0) {
        return;
    }
    for (i = 0; i < VQ_HIST_SLOTS; i++) {
        into->positive[i] += from->positive[i];
        into->negative[i] += from->negative[i];
    }
    if (into->count == 0 || from->min < into->min) {
        into->min = from->min;
    }
    if (into->count == 0 || from->max > into->max) {
        into->max = from->max;
    }
    into->count += from->count;
    into->clamped += from->clamped;
    into->sum += from->sum;
}

/* A bucket's midpoint, never outside the values seen (the lowest and highest buckets' values may not
 * reach their middle). */
static double within(const vq_hist *hist, double value)
{
    return value < (double)hist->min ? (double)hist->min : value > (double)hist->max ? (double)hist->max : value;
}

double vq_hist_value_at(const vq_hist *hist, uint64_t rank)
{
    uint64_t seen = 0;
    unsigned i;

    if (rank == 0) {
        return (double)hist->min;
    }
    if (rank + 1 >= hist->count) {
        return (double)hist->max;
    }
    for (i = VQ_HIST_SLOTS; i-- > 0;) {          /* negatives: largest magnitude first */
        seen += hist->negative[i];
        if (rank < seen) {
            return within(hist, -slot_middle(i));
        }
    }
    for (i = 0; i < VQ_HIST_SLOTS; i++) {
        seen += hist->positive[i];
        if (rank < seen) {
            return within(hist, slot_middle(i));
        }
    }
    return (double)hist->max;
}

double vq_hist_percentile(const vq_hist *hist, double p)
{
    double rank, fraction, low;
    uint64_t below;

    if (hist->count == 0) {
        return NAN;
    }
    if (p <= 0) {
        return (double)hist->min;
    }
    if (p >= 100) {
        return (double)hist->max;
    }
    rank = p / 100.0 * (double)(hist->count - 1);
    below = (uint64_t)rank;
    fraction = rank - (double)below;
    low = vq_hist_value_at(hist, below);
    if (fraction == 0 || below + 1 >= hist->count) {
        return low;
    }
    return low + fraction * (vq_hist_value_at(hist, below + 1) - low);
}

/* The share of the integers LOW .. LOW + WIDTH - 1 that are <= BOUND. */
static double share_at_most(uint64_t low, uint64_t width, double bound)
{
    double whole = floor(bound);

    if (whole < (double)low) {
        return 0;
    }
    if (whole >= (double)(low + width - 1)) {
        return 1;
    }
    return (whole - (double)low + 1) / (double)width;
}

uint64_t vq_hist_count_at_most(const vq_hist *hist, double bound)
{
    double total = 0;
    unsigned i;

    if (hist->count == 0 || bound < (double)hist->min) {
        return 0;
    }
    if (bound >= (double)hist->max) {
        return hist->count;
    }
    for (i = 0; i < VQ_HIST_SLOTS; i++) {
        uint64_t low = vq_hist_slot_low(i);
        uint64_t width = i + 1 < VQ_HIST_SLOTS ? vq_hist_slot_low(i + 1) - low : 1;

        if (hist->negative[i]) {   /* -m <= bound: m >= -bound, i.e. 1 - share of m <= -bound - 1 */
            total += (double)hist->negative[i] * (1.0 - share_at_most(low, width, ceil(-bound) - 1));
        }
        if (hist->positive[i]) {
            total += (double)hist->positive[i] * share_at_most(low, width, bound);
        }
    }
    return (uint64_t)llround(total);
}

vq_summary vq_hist_summary(const vq_hist *hist)
{
    vq_summary summary = { 0 };
    unsigned slot;

    if (!hist || hist->count == 0) {
        summary.mean = summary.p50 = summary.p90 = summary.p99 = summary.p999 = NAN;
        return summary;
    }
    summary.count = (size_t)hist->count;
    summary.mean = hist->sum / (double)hist->count;
    summary.min = hist->min;
    summary.max = hist->max;
    summary.p50 = vq_hist_percentile(hist, 50);
    summary.p90 = vq_hist_percentile(hist, 90);
    summary.p99 = vq_hist_percentile(hist, 99);
    summary.p999 = vq_hist_percentile(hist, 99.9);
    for (slot = 0; slot < VQ_HIST_SLOTS; slot++) {
        summary.negative += (size_t)hist->negative[slot];
    }
    return summary;
}
