// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the analyzer's clock alignment and offset choice, called directly on small hand-made
 * loaders (steps_fixture.h): vq_align_clocks (lo/hi, pairings, bounds by source, a rejected pairing, a
 * contradiction, TCG, a stray handler run set aside, per-CPU offsets of a guest whose CPUs' clocks
 * differ) and vq_choose_offset (causal midpoint; TSC inside and outside the bounds, from TSC files written
 * to a temporary directory), with stitching under the offset chosen; and the drift line's slope
 * searches on many bounds (only each side's hull looked at). Exit 0 when all pass.
 */
#include "loader.h"
#include "session_dir.h"
#include "stats.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define H 1000000

#include "check.h"
#include "steps_fixture.h"

/* ---- alignment ---- */

/*
 * One of each bound: the device's end of id 1 before the guest's completion (lower H-3000), the kick
 * before the exit of its doorbell write (upper H+500), the injection before the guest irq, tightened to
 * the vCPU's kvm_inj_virq of the same vector (lower H-800, not H-1000).
 */
static void fill_kvm_session(vq_loader *load)
{
    add_request(load, 1, 1000, 9000, 0, 0);
    add_kick(load, 1500, 1, true, VQ_NO_INDEX);
    add_notify(load, H + 2000, H + 2050, H + 2200, 42, VQ_NO_INDEX);
    add_handler(load, H + 2300);
    add_device_request(load, 1, H + 2500, H + 6000);
    add_device_notify(load, H + 6500);
    add_injection(load, H + 7000, 33);
    add_virq(load, H + 7200, 33);
    add_irq(load, 8000, VQ_NO_INDEX);
    load->session->has_kvm = true;
}

static void test_align_kvm(void)
{
    vq_loader load;
    const vq_session *session;
    const vq_alignment *alignment;

    loader_init(&load, "kvm");
    session = load.session;
    alignment = &session->alignment;
    fill_kvm_session(&load);

    CHECK(vq_align_clocks(&load, NULL) == VQ_OK);
    CHECK(alignment->usable && !alignment->contradiction);
    CHECK(alignment->whole.lo == H - 800 && alignment->whole.hi == H + 500);
    CHECK(alignment->whole.lo_guest_ns == 8000 && alignment->whole.hi_guest_ns == 1500);
    CHECK(alignment->offset == H - 150);
    CHECK(session->lower_from_ids == 1 && session->upper_from_kicks == 1 && session->lower_from_irqs == 1);
    CHECK(session->lower_irqs_rejected == 0 && load.constraint_count == 3);
    CHECK(load.kicks[0].notify == 0 && load.notifies[0].kick == 0 && load.irqs[0].injection == 0);
    CHECK(load.device_injection_count == 1 && load.device_injections[0] == 0);
    CHECK(session->kick.host_notifies == 1 && session->kick.host_injections == 1);
    CHECK(session->kick.kicks_paired == 1 && session->kick.irqs_paired == 1);
    CHECK(session->warning_count == 0);
    loader_done(&load);
}

/* An injection paired with an irq that, on any clock the kicks allow, came before it: a wrong pairing,
 * dropped (the first irq keeps its bound). */
static void test_align_rejected_pairing(void)
{
    vq_loader load;

    loader_init(&load, "rejected");
    fill_kvm_session(&load);
    add_device_notify(&load, H + 61900);
    add_injection(&load, H + 62000, 34);
    add_irq(&load, 60000, VQ_NO_INDEX);

    CHECK(vq_align_clocks(&load, NULL) == VQ_OK);
    CHECK(load.session->lower_irqs_rejected == 1 && load.session->lower_from_irqs == 1);
    CHECK(load.irqs[0].injection == 0 && load.irqs[1].injection == VQ_NO_INDEX);
    CHECK(load.session->alignment.whole.lo == H - 800 && load.session->alignment.whole.hi == H + 500);
    CHECK(warned(load.session, "1 injection -> irq pairings dropped"));
    loader_done(&load);
}

/* A lower bound above the upper one: reported with the amount, and by vq_choose_offset as a warning. */
static void test_align_contradiction(void)
{
    char *directory = make_directory();
    vq_loader load;

    loader_init(&load, directory);
    add_request(&load, 1, 1000, 9000, 0, VQ_NO_INDEX);
    add_kick(&load, 1500, 1, true, VQ_NO_INDEX);
    add_notify(&load, H + 2000, H + 2050, H + 2200, 42, VQ_NO_INDEX);
    add_device_request(&load, 1, H + 2500, H + 11000);
    load.session->has_kvm = true;

    CHECK(vq_align_clocks(&load, NULL) == VQ_OK);
    CHECK(load.session->alignment.whole.lo == H + 2000 && load.session->alignment.whole.hi == H + 500);
    CHECK(load.session->alignment.contradiction && load.session->alignment.contradiction_ns == 1500);
    CHECK(vq_choose_offset(&load, NULL) == VQ_OK);
    CHECK(load.session->offset.method == VQ_OFFSET_CAUSAL);
    CHECK(warned(load.session, "clock constraints contradict: lo exceeds hi by 1500 ns"));
    loader_done(&load);
    remove_directory(directory);
}

/* TCG: kicks pair with QEMU's handler runs; without KVM the device's virtio_notify is the injection. */
static void test_align_tcg(void)
{
    vq_loader load;

    loader_init(&load, "tcg");
    add_kick(&load, 1500, 1, true, VQ_NO_INDEX);
    add_handler(&load, H + 1700);
    add_device_notify(&load, H + 7000);
    add_irq(&load, 8000, VQ_NO_INDEX);

    CHECK(vq_align_clocks(&load, NULL) == VQ_OK);
    CHECK(load.injection_count == 1 && load.injections[0].ts == H + 7000);
    CHECK(load.kicks[0].notify == 0 && load.irqs[0].injection == 0);
    CHECK(load.session->lower_from_ids == 0 && load.session->upper_from_kicks == 1);
    CHECK(load.session->alignment.whole.lo == H - 1000 && load.session->alignment.whole.hi == H + 200);
    loader_done(&load);
}

/* TCG, 20 kicks each followed by its handler run 200 ns later (host), and one stray run 10 us before
 * kick 5 could reach the host, inside the pairing slack: paired with kick 5 it would be an upper bound
 * 9 us below the lower bound from ids. It is set aside, counted and named, and every kick keeps its own
 * run. With the stray runs before most kicks instead (a clock problem, not a stray run), nothing is set
 * aside and the contradiction shows. */
static void fill_stray_runs(vq_loader *load, size_t strays)
{
    size_t i;

    for (i = 0; i < 20; i++) {
        uint64_t t = 100000 * i + 1500;

        add_request(load, i + 1, t - 500, t + 50000, i, VQ_NO_INDEX);
        add_kick(load, t, i + 1, true, VQ_NO_INDEX);
        if (i >= 5 && i < 5 + strays) {
            add_handler(load, H + t - 10000);
        }
        add_handler(load, H + t + 200);
        add_device_request(load, i + 1, H + t + 300, H + t + 49000);   /* end - complete = H - 1000 */
    }
}

static void test_align_stray_run(void)
{
    vq_loader load;
    size_t i;

    loader_init(&load, "stray");
    fill_stray_runs(&load, 1);
    CHECK(vq_align_clocks(&load, NULL) == VQ_OK);
    CHECK(load.session->upper_runs_skipped == 1 && load.session->upper_from_kicks == 20);
    for (i = 0; i < 20; i++) {
        CHECK(load.kicks[i].notify == i + (i >= 5));
    }
    CHECK(!load.session->alignment.contradiction);
    CHECK(load.session->alignment.whole.lo == H - 1000 && load.session->alignment.whole.hi == H + 200);
    CHECK(warned(load.session, "1 host handler runs set aside in the kick pairing"));
    loader_done(&load);

    loader_init(&load, "strays");
    fill_stray_runs(&load, 15);
    CHECK(vq_align_clocks(&load, NULL) == VQ_OK);
    CHECK(load.session->upper_runs_skipped == 0);
    CHECK(load.session->alignment.contradiction && load.session->alignment.contradiction_ns == 9000);
    loader_done(&load);
}

/*
 * TCG, two guest CPUs whose clocks differ by 3 us (CPU 1's reads 3 us less: its offset is H + 3000),
 * ten requests each on its own queue: every kick 500 ns before its handler run, every irq 700 ns after
 * its injection, every completion 1000 ns after the device's end. Each CPU's bounds give [off - 700,
 * off + 500]; all together they contradict by 1800 ns. Each CPU gets its own offset (the middle of its
 * interval, off - 100) and every cross-clock stage comes out at its true value + 100 = 600 ns.
 */
static void test_per_cpu_offsets(void)
{
    char *directory = make_directory();
    vq_loader load;
    size_t i, k;

    loader_init(&load, directory);
    for (i = 0; i < 10; i++) {
        for (k = 0; k < 2; k++) {
            uint64_t t = 100000 * i + 1000 + 50000 * k, off = H + 3000 * k, n = load.request_count;

            add_request(&load, n + 1, t - 100, t + 30000, n, n);
            load.requests[n].vq = load.requests[n].cpu = load.requests[n].complete_cpu = (uint32_t)k;
            add_kick(&load, t, n + 1, true, VQ_NO_INDEX);
            load.kicks[n].vq = load.kicks[n].cpu = (uint32_t)k;
            add_handler(&load, t + off + 500);
            load.handlers[n].queue = (uint32_t)k;
            add_device_request(&load, n + 1, t + off + 600, t + 30000 + off - 1000);
            add_device_notify(&load, t + 29000 + off + 100);
            load.device_notifies[n].queue = (uint32_t)k;
            add_irq(&load, t + 29800, VQ_NO_INDEX);
            load.irqs[n].vq = load.irqs[n].cpu = (uint32_t)k;
        }
    }
    CHECK(vq_align_clocks(&load, NULL) == VQ_OK);
    CHECK(load.session->alignment.contradiction && load.session->alignment.contradiction_ns == 1800);
    CHECK(vq_choose_offset(&load, NULL) == VQ_OK);
    CHECK(load.session->per_cpu_offsets && load.session->all_cpu_contradiction_ns == 1800);
    CHECK(load.session->cpu_offset[0].from_offset == H - 100 && load.session->cpu_offset[1].from_offset == H + 2900);
    CHECK(!load.session->cpu_offset[2].usable);
    CHECK(load.session->offset_check.lower.margin == 600 && load.session->offset_check.upper.margin == 600);
    CHECK(!warned(load.session, "contradict"));
    CHECK(vq_stitch(&load, NULL) == VQ_OK);
    CHECK(load.session->row_count == 20 && load.session->negative_requests == 0);
    for (i = 0; i < load.session->row_count; i++) {
        CHECK(has_stage(&load.session->rows[i], VQ_STAGE_KICK_EXIT, 600));
        CHECK(has_stage(&load.session->rows[i], VQ_STAGE_INJECT_IRQ, 600));
    }
    loader_done(&load);
    remove_directory(directory);
}

/* No TSC files: the causal midpoint, half the width as its error, checked against every bound; then
 * stitching under it. */
static void test_choose_causal_then_stitch(void)
{
    char *directory = make_directory();
    vq_loader load;
    const vq_session *session;

    loader_init(&load, directory);
    session = load.session;
    fill_kvm_session(&load);
    CHECK(vq_align_clocks(&load, NULL) == VQ_OK);
    CHECK(vq_choose_offset(&load, NULL) == VQ_OK);
    CHECK(session->offset.usable && session->offset.method == VQ_OFFSET_CAUSAL);
    CHECK(vq_clock_offset_at(&session->offset, 0) == H - 150 && session->offset.error_ns == 650);
    CHECK(!session->tsc.present && strstr(session->tsc.why, "no tsc-offset.txt") != NULL);
    CHECK(session->offset_check.lower.has && session->offset_check.lower.margin == 650);
    CHECK(session->offset_check.upper.has && session->offset_check.upper.margin == 650);
    CHECK(session->warning_count == 0);

    CHECK(vq_stitch(&load, NULL) == VQ_OK);
    CHECK(session->row_count == 1);
    if (session->row_count == 1) {
        CHECK(has_stage(&session->rows[0], VQ_STAGE_KICK_EXIT, 650));    /* H+2000 - (1500 + H-150) */
        CHECK(has_stage(&session->rows[0], VQ_STAGE_EXIT_SIGNAL, 200));
        CHECK(has_stage(&session->rows[0], VQ_STAGE_SIGNAL_HANDLER, 100));
        CHECK(has_stage(&session->rows[0], VQ_STAGE_HANDLER_BEGIN, 200));
        CHECK(has_stage(&session->rows[0], VQ_STAGE_END_INJECT, 1000));
        CHECK(has_stage(&session->rows[0], VQ_STAGE_INJECT_IRQ, 850));   /* 8000 + H-150 - (H+7000) */
    }
    loader_done(&load);
    remove_directory(directory);
}

/*
 * The TSC offset: host pairs one cycle per ns with TSC = monotonic, guest pairs with TSC = monotonic, so
 * the offset is -tsc_offset. Inside the bounds: margins 900 (lower, the irq's) and 400; above the upper
 * bound by 1000: a warning naming the bound, and distance_ns.
 */
static void choose_tsc(int64_t tsc_offset, vq_loader *load, char **directory)
{
    char text[64];

    *directory = make_directory();
    snprintf(text, sizeof(text), "tsc_offset %lld\n", (long long)tsc_offset);
    write_file(*directory, "tsc-offset.txt", text);
    write_file(*directory, "host-clock.txt", "start tsc=1000000 mono_ns=1000000\nend tsc=3000000 mono_ns=3000000\n");
    loader_init(load, *directory);
    fill_kvm_session(load);
    load->guest_pairs[0] = (vq_clock_pair){ .label = "start", .tsc = 1000, .mono_ns = 1000 };
    load->guest_pairs[1] = (vq_clock_pair){ .label = "end", .tsc = 20000, .mono_ns = 20000 };
    load->guest_pair_count = 2;
    CHECK(vq_align_clocks(load, NULL) == VQ_OK);
    CHECK(vq_choose_offset(load, NULL) == VQ_OK);
}

static void test_choose_tsc(void)
{
    char *directory;
    vq_loader load;
    const vq_session *session;

    choose_tsc(-(H + 100), &load, &directory);
    session = load.session;
    CHECK(session->tsc.present && session->offset.method == VQ_OFFSET_TSC);
    CHECK(session->offset.from_offset == H + 100 && session->offset.to_offset == H + 100);
    CHECK(session->offset.from_guest_ns == 1000 && session->offset.to_guest_ns == 20000);
    CHECK(session->offset_check.lower.margin == 900 && session->offset_check.upper.margin == 400);
    CHECK(session->offset_check.lower.violations == 0 && session->offset_check.upper.violations == 0);
    CHECK(session->tsc.distance_ns == 0 && session->warning_count == 0);
    loader_done(&load);
    remove_directory(directory);

    choose_tsc(-(H + 1500), &load, &directory);
    session = load.session;
    CHECK(session->offset.method == VQ_OFFSET_TSC && session->offset.from_offset == H + 1500);
    CHECK(session->offset_check.upper.margin == -1000 && session->offset_check.upper.violations == 1);
    CHECK(session->offset_check.upper.source == VQ_BOUND_KICK_EXIT && session->tsc.distance_ns == 1000);
    CHECK(warned(session, "the TSC offset (KVM tsc-offset) is above the causal UPPER bound (kick -> exit) by "
                 "1000 ns at guest 1500 ns (1 upper bounds violated)"));
    loader_done(&load);
    remove_directory(directory);
}

/* ---- the drift line's slope searches ---- */

/* The slope searches look only at the bounds a line can rest on (each side's convex hull): on 20000
 * noisy bounds of a drifting offset, in shuffled order, with repeated times and equal values and one
 * bound in the middle that binds, the band and the bound lines they find must be exactly what every
 * bound gives at their slope. */
static void test_lines_on_many_bounds(void)
{
    enum { N = 20000 };
    static vq_constraint c[N];
    uint64_t state = 42;
    double lo = -INFINITY, hi = INFINITY, slope, top = -INFINITY;
    vq_drift_line line;
    vq_bound_line lower;
    size_t i;

    for (i = 0; i < N; i++) {
        uint64_t t = 5000000000ULL + (vq_random_next(&state) % 2000) * 1000000;   /* 2000 distinct times */
        int64_t offset = 123456789 + (int64_t)(t / 20000);                         /* 50 ppm */
        int64_t noise = (int64_t)(vq_random_next(&state) % 40) * 250;              /* 0 .. 9.75 us, repeats */

        c[i] = (vq_constraint){ .guest_ns = t, .upper = i % 3 == 0, .cpu = (uint32_t)(i % 2) };
        c[i].value = c[i].upper ? offset + 2000 + noise : offset - noise;
    }
    /* a lower bound in the middle above the others: the band rests on it, not on the first or last */
    c[1].guest_ns = 6000000000ULL;
    c[1].value = 123456789 + 300000 + 1500;
    line = vq_align_line(c, N);
    CHECK(line.usable && fabs(line.slope_ppm - 50) < 5);
    slope = line.slope_ppm * 1e-6;
    for (i = 0; i < N; i++) {
        double v = (double)c[i].value - slope * (double)(c[i].guest_ns - line.from_guest_ns);

        if (c[i].upper) {
            hi = v < hi ? v : hi;
        } else {
            lo = v > lo ? v : lo;
        }
    }
    CHECK(llround(lo) == line.lo && llround(hi) == line.hi);
    lower = vq_bound_line_fit(c, N, true, 1);
    CHECK(lower.usable);
    for (i = 0; i < N; i++) {
        if (!c[i].upper && c[i].cpu == 1) {
            double v = (double)c[i].value - lower.slope * ((double)c[i].guest_ns - (double)lower.at_guest_ns);

            top = v > top ? v : top;
        }
    }
    CHECK(top == lower.value);
}

/* The solve's and the line fit's means of guest times are exact sums: the same figures whatever order
 * the bounds come in (a streaming pass makes them in another order than the batch one), on times of
 * ~10^12 ns whose double sum would be past 2^53. */
static void test_order_free_means(void)
{
    enum { N = 200000 };
    static vq_constraint forward[N], backward[N];
    uint64_t state = 7;
    vq_alignment a, b;
    vq_bound_line la, lb;
    size_t i;

    for (i = 0; i < N; i++) {
        uint64_t t = 1000000000000ULL + vq_random_next(&state) % 600000000000ULL;   /* 10 minutes */
        int64_t offset = 5000000 + (int64_t)(t / 10000);                              /* 100 ppm */
        int64_t noise = (int64_t)(vq_random_next(&state) % 1000000);

        forward[i] = (vq_constraint){ .guest_ns = t, .upper = i % 2 == 0, .cpu = (uint32_t)(i % 3) };
        forward[i].value = forward[i].upper ? offset + 3000 + noise : offset - noise;
        backward[N - 1 - i] = forward[i];
    }
    a = vq_align_solve(forward, N);
    b = vq_align_solve(backward, N);
    CHECK(a.drift_bounded && b.drift_bounded && a.drift_detected);
    CHECK(a.drift_min_ppm == b.drift_min_ppm && a.drift_max_ppm == b.drift_max_ppm && a.drift_ppm == b.drift_ppm);
    la = vq_bound_line_fit(forward, N, true, 2);
    lb = vq_bound_line_fit(backward, N, true, 2);
    CHECK(la.usable && la.at_guest_ns == lb.at_guest_ns && la.slope == lb.slope && la.value == lb.value);
}

/* The pairings over a selection (a queue, host events set aside), read in place, against the plain ones
 * run over copies of the selected events: the same pairs, on random sequences of three queues. */
static void test_pairing_selected(void)
{
    enum { GUESTS = 400, HOSTS = 500 };
    static uint64_t guest[GUESTS], host[HOSTS], sub_guest[GUESTS], sub_host[HOSTS];
    static uint32_t guest_queue[GUESTS], host_queue[HOSTS];
    static int64_t estimate[GUESTS], sub_estimate[GUESTS];
    static ssize_t pair[GUESTS], expected[GUESTS], sub_pair[GUESTS];
    static size_t guest_of[GUESTS], host_of[HOSTS];
    static bool aside[HOSTS];
    unsigned long long state = 88172645463325252ULL;
    uint64_t t;
    size_t wrong = 0, paired = 0, trial, i, q, n_guest, n_host, direction;

    for (trial = 0; trial < 40; trial++) {
        for (i = 0, t = 0; i < GUESTS; i++) {
            guest[i] = t += check_random(&state) % 300;
            guest_queue[i] = (uint32_t)(check_random(&state) % 3);
            estimate[i] = 1000 + (int64_t)(check_random(&state) % 40);
        }
        for (i = 0, t = 900; i < HOSTS; i++) {
            host[i] = t += check_random(&state) % 250;
            host_queue[i] = (uint32_t)(check_random(&state) % 3);
            aside[i] = trial % 2 && check_random(&state) % 7 == 0;
        }
        for (direction = 0; direction < 2; direction++) {
            for (q = 0; q < 3; q++) {
                vq_pair_selection selection = { .guest_queue = guest_queue, .host_queue = host_queue, .queue = (uint32_t)q,
                                                .host_aside = aside };

                for (i = 0, n_guest = 0; i < GUESTS; i++) {
                    if (guest_queue[i] == q) {
                        guest_of[n_guest] = i;
                        sub_estimate[n_guest] = estimate[i];
                        sub_guest[n_guest++] = guest[i];
                    }
                }
                for (i = 0, n_host = 0; i < HOSTS; i++) {
                    if (host_queue[i] == q && !aside[i]) {
                        host_of[n_host] = i;
                        sub_host[n_host++] = host[i];
                    }
                }
                if (direction == 0) {
                    vq_pair_forward(sub_guest, n_guest, sub_host, n_host, sub_estimate, 20, 400, sub_pair);
                    vq_pair_forward_selected(guest, GUESTS, host, HOSTS, estimate, 20, 400, &selection, pair);
                } else {
                    vq_pair_backward(sub_guest, n_guest, sub_host, n_host, sub_estimate, 20, 400, sub_pair);
                    vq_pair_backward_selected(guest, GUESTS, host, HOSTS, estimate, 20, 400, &selection, pair);
                }
                for (i = 0; i < n_guest; i++) {
                    expected[guest_of[i]] = sub_pair[i] < 0 ? -1 : (ssize_t)host_of[sub_pair[i]];
                }
            }
            for (i = 0; i < GUESTS; i++) {
                wrong += pair[i] != expected[i];
                paired += expected[i] >= 0;
            }
        }
    }
    CHECK(wrong == 0);
    CHECK(paired > 40 * 2 * GUESTS / 4 && paired < 40 * 2 * GUESTS);   /* pairs and misses both */
}

int main(void)
{
    test_align_kvm();
    test_align_rejected_pairing();
    test_align_contradiction();
    test_align_tcg();
    test_align_stray_run();
    test_per_cpu_offsets();
    test_choose_causal_then_stitch();
    test_choose_tsc();
    test_lines_on_many_bounds();
    test_order_free_means();
    test_pairing_selected();
    return check_summary("analysis_align");
}
