/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest -> host clock offset from the TSC: KVM's tsc-offset of the guest and (TSC, CLOCK_MONOTONIC)
 * pairs taken on both sides by `clock-pair` (guest-driver/user).
 *
 * Files of a session directory (written by `vqscope record` under KVM):
 *   tsc-offset.txt   "tsc_offset N" (signed), optional "tsc_scaling_ratio N" and "tsc_scaling_frac_bits N"
 *                    (KVM's debugfs vcpu0 files, the last value read while the guest ran), and one
 *                    "vcpu_tsc_offset K N" per vCPU K (its own tsc-offset file; recorded since 2026-12-02)
 *   host-clock.txt   clock-pair lines "LABEL tsc=N mono_ns=N bracket=N" (start, end); a line
 *                    "clock-pair: ..." is the tool's own failure message, recorded instead of a pair
 * The guest's pairs are the `# clock-pair:` header lines of guest.trace (guest_trace.h).
 *
 * KVM: guest TSC = (host TSC * ratio >> frac_bits) + tsc_offset. A guest pair's TSC is turned back into a
 * host TSC, then into host CLOCK_MONOTONIC by the line through the host's two pairs (their TSC rate);
 * host mono - guest mono of that pair is the offset (host - guest, as in align.h) at that guest time,
 * independent of any event pairing. With a start and an end guest pair the offset is a line between
 * the two predictions (drift); error_ns = |end - start| / 2 (the line may not be the real path between
 * them) + the pairs' read uncertainty: half of the widest guest bracket + half of the widest host bracket,
 * in ns (each pair's TSC is the middle of its bracket, so its clock_gettime lies within +- bracket / 2).
 *
 * KVM keeps a tsc-offset per vCPU (normally equal: KVM synchronises a VM's TSCs). The guest takes its
 * pairs on every CPU (clock-pair --cpu K, "cpu=K" in the pair); each vCPU's start pair converted with
 * that vCPU's own offset predicts the same host - guest offset when the per-vCPU offsets are right, since
 * the guest's CLOCK_MONOTONIC is one clock for all its CPUs. vq_tsc_check_vcpus measures both spreads.
 */
#ifndef VQSCOPE_ANALYSIS_TSC_H
#define VQSCOPE_ANALYSIS_TSC_H

#include "event.h"
#include "guest_trace.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* What tsc-offset.txt and host-clock.txt hold. */
typedef struct {
    bool has_offset;               /* tsc-offset.txt had a tsc_offset line */
    int64_t tsc_offset;
    uint64_t scaling_ratio;        /* 0: not reported (no TSC scaling) */
    unsigned scaling_frac_bits;
    vq_clock_pair host[2];         /* the first and the last pair of host-clock.txt */
    size_t host_count;             /* pairs read (all of them; host[1] is the last when >= 2) */
    char host_failure[128];        /* the first "clock-pair: ..." failure line, "" if none */
    int64_t vcpu_offset[VQ_GUEST_MAX_CPUS];   /* vcpu_tsc_offset lines */
    bool vcpu_has[VQ_GUEST_MAX_CPUS];
} vq_tsc_files;

/*
 * Reads DIRECTORY/tsc-offset.txt and, when it exists, DIRECTORY/host-clock.txt into FILES. No
 * tsc-offset.txt: VQ_OK with has_offset false. A malformed line: VQ_ERR_FORMAT, "FILE:LINE: what was
 * expected; found '...'". Blank lines are skipped.
 */
vq_status vq_tsc_read(const char *directory, vq_tsc_files *files, vq_error *error);
/* The two readers on a stream (NAME for messages), for tests; they add to FILES. */
vq_status vq_tsc_read_offset_stream(FILE *stream, const char *name, vq_tsc_files *files, vq_error *error);
vq_status vq_tsc_read_host_clock_stream(FILE *stream, const char *name, vq_tsc_files *files, vq_error *error);

/* The TSC prediction of the offset (host - guest), and where it falls among the causal bounds. */
typedef struct {
    bool present;                  /* offset, host and guest pairs, and a TSC rate: the prediction is made */
    char why[VQ_ERROR_MAX];        /* when not present: why not (always set then) */
    int64_t tsc_offset;
    uint64_t scaling_ratio;        /* 0: none reported */
    unsigned scaling_frac_bits;
    double cycles_per_ns;          /* host TSC rate: from the host's pairs (else the guest's, unscaled) */
    size_t predictions;            /* 1 or 2: the first and the last guest pair */
    uint64_t predicted_guest_ns[2];   /* guest CLOCK_MONOTONIC of those pairs */
    int64_t predicted[2];
    int64_t read_uncertainty_ns;   /* half the widest guest bracket + half the widest host bracket */
    int64_t error_ns;              /* |predicted[1] - predicted[0]| / 2 + read_uncertainty_ns */
    /* Set by the session: 0 inside every causal bound, < 0 below a lower bound by that much, > 0 above
     * an upper bound (the worst one; each bound taken at its own guest time). */
    int64_t distance_ns;
    /* Per vCPU (vq_tsc_check_vcpus): the vCPUs with both an offset and a start pair of their own. */
    size_t vcpus;
    int64_t vcpu_offset_spread;          /* max - min of every vCPU's tsc-offset (cycles) */
    int64_t vcpu_prediction_spread_ns;   /* max - min of the offsets their start pairs predict */
} vq_tsc_check;

/* Pure: fills CHECK from FILES and the guest's pairs (the first and the last are used). Returns
 * CHECK->present; when false CHECK->why says what is missing. */
bool vq_tsc_predict(const vq_tsc_files *files, const vq_clock_pair *guest, size_t guest_count, vq_tsc_check *check);

/* Pure: fills CHECK's per-vCPU fields from FILES' vcpu_tsc_offset lines and the guest's pairs taken on
 * a given CPU (PAIRS[i].cpu >= 0; the first of each CPU is its start pair). CHECK->vcpus stays 0 when
 * no vCPU has both. */
void vq_tsc_check_vcpus(const vq_tsc_files *files, const vq_clock_pair *pairs, size_t count, vq_tsc_check *check);

#endif
