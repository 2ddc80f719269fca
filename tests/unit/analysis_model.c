// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the analyzer's pure parts: statistics, clock alignment and pairing, the guest trace
 * line parser, the probe stream reader on streams built in memory. Exit 0 when all pass.
 */
#include "align.h"
#include "e2e.h"
#include "fio_output.h"
#include "guest_trace.h"
#include "probe.h"
#include "stats.h"
#include "tsc.h"

#include "vqscope_probe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "check.h"

static void test_percentiles(void)
{
    int64_t values[] = { 5, 1, 4, 2, 3 };
    int64_t one[] = { 7 };
    vq_summary s = vq_summarize(values, 5);

    CHECK(s.count == 5 && s.min == 1 && s.max == 5);
    CHECK(s.p50 == 3.0 && s.mean == 3.0);
    CHECK(fabs(s.p90 - 4.6) < 1e-9);     /* rank 0.9 * 4 = 3.6: 4 + 0.6 */
    CHECK(vq_percentile_sorted(values, 5, 0) == 1.0 && vq_percentile_sorted(values, 5, 100) == 5.0);
    CHECK(vq_percentile_sorted(values, 5, 25) == 2.0);
    s = vq_summarize(one, 1);
    CHECK(s.p50 == 7.0 && s.p999 == 7.0);
    s = vq_summarize(values, 0);
    CHECK(s.count == 0 && isnan(s.p50));
    {
        int64_t mixed[] = { -3, 2, -1 };

        s = vq_summarize(mixed, 3);
        CHECK(s.negative == 2 && s.p50 == -1.0);
    }
}

/* The CDF's points and the log histogram the report gives the dashboard. */
static void test_cdf_and_histogram(void)
{
    size_t ranks[200], count, i;
    bool ascending = true;
    int64_t values[] = { -5, 0, 99, 100, 177, 178, 999, 1000, 9999999999, 10000000000 };
    uint64_t counts[32], below, above, sum = 0;

    count = vq_cdf_ranks(3, 200, ranks);
    CHECK(count == 3 && ranks[0] == 0 && ranks[2] == 2);
    count = vq_cdf_ranks(3000, 200, ranks);
    for (i = 1; i < count; i++) {
        ascending &= ranks[i] > ranks[i - 1];
    }
    CHECK(count == 200 && ranks[0] == 0 && ranks[count - 1] == 2999 && ascending);
    count = vq_cdf_ranks(201, 200, ranks);   /* ranks round to the nearest; none repeats */
    CHECK(count <= 200 && ranks[0] == 0 && ranks[count - 1] == 200);
    CHECK(vq_cdf_ranks(0, 200, ranks) == 0);

    CHECK(vq_log_bin_edge(2, 4, 0) == 100.0 && vq_log_bin_edge(2, 4, 4) == 1000.0);
    CHECK(fabs(vq_log_bin_edge(2, 4, 1) - 177.827941) < 1e-5);
    /* 10^2 .. 10^10 ns in quarter decades: the report's kick -> begin bins */
    vq_log_histogram(values, sizeof(values) / sizeof(values[0]), 2, 4, counts, 32, &below, &above);
    for (i = 0; i < 32; i++) {
        sum += counts[i];
    }
    CHECK(below == 3 && above == 1 && sum == 6);
    CHECK(counts[0] == 2 && counts[1] == 1);   /* 100, 177 | 178 */
    CHECK(counts[3] == 1 && counts[4] == 1);   /* 999 | 1000: an edge belongs to the bin above it */
    CHECK(counts[31] == 1);                    /* 9999999999 < 10^10 */
}

static void test_bootstrap(void)
{
    int64_t a[200], b[200], scratch[400];
    vq_interval first, second;
    size_t i;

    for (i = 0; i < 200; i++) {
        a[i] = 1000 + (int64_t)(i % 50);
        b[i] = 1200 + (int64_t)(i % 50);
    }
    first = vq_bootstrap_median_difference(a, 200, b, 200, 500, 0.95, 42, scratch);
    second = vq_bootstrap_median_difference(a, 200, b, 200, 500, 0.95, 42, scratch);
    CHECK(first.estimate == 200.0);
    CHECK(first.low == second.low && first.high == second.high);   /* seeded: deterministic */
    CHECK(first.low > 0 && first.low <= 200 && first.high >= 200);
    first = vq_bootstrap_median_difference(a, 200, a, 200, 500, 0.95, 42, scratch);
    CHECK(first.estimate == 0 && first.low <= 0 && first.high >= 0);
    first = vq_bootstrap_median_difference(a, 0, b, 200, 500, 0.95, 42, scratch);
    CHECK(isnan(first.estimate));
}

#define KICK VQ_BOUND_KICK_EXIT
#define IRQ VQ_BOUND_INJECT_IRQ
#define END VQ_BOUND_END_COMPLETE

static void test_align(void)
{
    /* offset truly 1000: kicks give host - guest >= 1000 (upper bounds), irqs <= 1000 (lower). */
    vq_constraint c[] = {
        { 100, 1010, true, KICK, 0 }, { 200, 1005, true, KICK, 0 }, { 300, 990, false, IRQ, 0 }, { 400, 995, false, IRQ, 0 },
    };
    vq_constraint bad[] = { { 100, 1000, true, KICK, 0 }, { 200, 1030, false, IRQ, 0 } };
    vq_constraint drift[] = {
        { 0, 1010, true, KICK, 0 }, { 10, 990, false, IRQ, 0 },                        /* ~1000 at t=0 */
        { 1000000000, 2010, true, KICK, 0 }, { 1000000010, 1990, false, IRQ, 0 },      /* ~2000 at 1 s */
    };
    vq_alignment a = vq_align_solve(c, 4);

    CHECK(a.usable && !a.contradiction);
    CHECK(a.whole.lo == 995 && a.whole.hi == 1005 && a.offset == 1000);
    CHECK(a.whole.upper_count == 2 && a.whole.lower_count == 2);
    a = vq_align_solve(bad, 2);
    CHECK(a.contradiction && a.contradiction_ns == 30);
    a = vq_align_solve(drift, 4);
    CHECK(a.contradiction && a.drift_detected);
    CHECK(fabs(a.drift_ppm - 1.0) < 0.01);   /* 1000 ns per second = 1 ppm */
    a = vq_align_solve(c, 0);
    CHECK(!a.usable);
}

static void test_pairing(void)
{
    /* Guest kicks at 0, 100, 200; host notifies with offset 1000 and ~5 ns latency, one stray. */
    uint64_t kicks[] = { 0, 100, 200 };
    uint64_t notifies[] = { 500, 1005, 1104, 1206 };
    uint64_t irqs[] = { 50, 150 };
    uint64_t injections[] = { 1040, 1045, 1140 };
    const int64_t at_1000[] = { 1000, 1000, 1000 }, at_900[] = { 900, 900, 900 };
    ssize_t pair[4];

    CHECK(vq_pair_forward(kicks, 3, notifies, 4, at_1000, 2, 50, pair) == 3);
    CHECK(pair[0] == 1 && pair[1] == 2 && pair[2] == 3);
    /* A kick with no notify in its window stays unpaired; the next kicks still pair in order. */
    CHECK(vq_pair_forward(kicks, 3, notifies, 4, at_900, 0, 50, pair) == 2);
    CHECK(pair[0] == -1 && pair[1] == 1 && pair[2] == 2);
    /* Coalesced injections: the irq pairs with the later one. */
    CHECK(vq_pair_backward(irqs, 2, injections, 3, at_1000, 0, 100, pair) == 2);
    CHECK(pair[0] == 1 && pair[1] == 2);
    /* A drifting offset: 1000 at the first two kicks, 1100 at the third; with one estimate for all the third
     * kick (notify 1306) would fall out of its window, with the local ones it pairs. */
    {
        const uint64_t drifting[] = { 1005, 1104, 1306 };
        const int64_t local[] = { 1000, 1000, 1100 };

        CHECK(vq_pair_forward(kicks, 3, drifting, 3, at_1000, 0, 50, pair) == 2 && pair[2] == -1);
        CHECK(vq_pair_forward(kicks, 3, drifting, 3, local, 0, 50, pair) == 3 && pair[2] == 2);
    }
}

/* The bound lines: without drift the largest lower bound as a constant; along an offset that grows 100
 * ppm, the lowest line above the lower bounds follows it, exact where the delays were 0; one CPU's bounds
 * alone; the highest line below upper bounds. */
static void test_bound_line(void)
{
    vq_constraint flat[] = { { 100, 5, false, IRQ, 0 }, { 200, 9, false, IRQ, 0 }, { 300, 7, false, IRQ, 0 },
                             { 400, 20, true, KICK, 0 } };
    vq_constraint drift[40];
    vq_bound_line line;
    size_t i;

    line = vq_bound_line_fit(flat, 4, true, VQ_ANY_CPU);
    CHECK(line.usable && line.at_guest_ns == 200 && vq_bound_line_at(&line, 200) == 9);
    CHECK(vq_bound_line_at(&line, 100) >= 9 && vq_bound_line_at(&line, 300) >= 9);   /* never below any */
    line = vq_bound_line_fit(flat, 4, false, VQ_ANY_CPU);
    CHECK(line.usable && vq_bound_line_at(&line, 400) == 20);
    CHECK(!vq_bound_line_fit(flat, 4, true, 1).usable);
    for (i = 0; i < 40; i++) {
        uint64_t t = 1000000 * (i + 1);
        int64_t offset = 1000 + (int64_t)(t / 10000);

        /* delays of 0 every 10th bound, 0.5-2 us otherwise; CPU 1 holds the odd ones */
        drift[i] = (vq_constraint){ .guest_ns = t, .value = offset - (i % 10 ? 500 + 40 * (int64_t)(i % 7) * 6 : 0),
                                    .upper = false, .cpu = (uint32_t)(i % 2) };
    }
    line = vq_bound_line_fit(drift, 40, true, VQ_ANY_CPU);
    CHECK(line.usable && fabs(line.slope * 1e6 - 100) < 1);
    CHECK(llabs(vq_bound_line_at(&line, 1000000) - (1000 + 100)) <= 1 &&
          llabs(vq_bound_line_at(&line, 40000000) - (1000 + 4000)) <= 1);
    line = vq_bound_line_fit(drift, 40, true, 0);   /* CPU 0: i = 0, 10, 20, 30 have delay 0 */
    CHECK(line.usable && fabs(line.slope * 1e6 - 100) < 1);
    for (i = 0; i < 40; i++) {
        CHECK(vq_bound_line_at(&line, drift[i].guest_ns) >= drift[i].value - 1 || drift[i].cpu != 0);
    }
}

/* The drifting line: bounds of an offset that grows 100 ppm (1000 + t / 10000, +-50 ns), where no
 * constant offset fits; the line finds the slope and a band of about the bounds' spread. */
static void test_align_line(void)
{
    vq_constraint c[400];
    vq_drift_line line;
    size_t i;

    for (i = 0; i < 200; i++) {
        uint64_t t = 1000000 + i * 50000;
        int64_t offset = 1000 + (int64_t)(t / 10000);

        c[2 * i] = (vq_constraint){ .guest_ns = t, .value = offset - 50, .upper = false };
        c[2 * i + 1] = (vq_constraint){ .guest_ns = t + 25000, .value = offset + (25000 / 10000) + 50, .upper = true };
    }
    CHECK(vq_align_solve(c, 400).contradiction);
    line = vq_align_line(c, 400);
    CHECK(line.usable && fabs(line.slope_ppm - 100) < 1 && line.width > 90 && line.width <= 100);
    CHECK(line.from_guest_ns == 1000000 && line.to_guest_ns == 1000000 + 199 * 50000 + 25000);
    CHECK(line.lo <= 1000 + 100 - 50 + 1 && line.hi >= 1000 + 100 + 50 - 1);
    CHECK(!vq_align_line(c, 1).usable);   /* one side only */
}

static void test_guest_lines(void)
{
    vq_guest_event event;
    vq_guest_bar bar;
    bool is_event, is_bar;
    const char *why;

    CHECK(vq_guest_trace_parse_line("    kworker/0:1H-37      [000] d..1.     5.686893: virtio_xblk_kick: "
                                    "ts_ns=5686916828 vq=0 id_last=4 num_free=1023 notified=1\n",
                                    &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(is_event && event.type == VQ_GUEST_KICK && event.ts_ns == 5686916828ULL && event.id_last == 4 &&
          event.notified && event.num_free == 1023);
    CHECK(vq_guest_trace_parse_line("  fio-122 [000] d.H1. 5.69: virtio_xblk_complete: ts_ns=7 id=5 status=0 "
                                    "used_len=4097 vq=0\n", &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(is_event && event.type == VQ_GUEST_COMPLETE && event.id == 5 && event.ts_ns == 7);
    CHECK(vq_guest_trace_parse_line("# device-bar: 0000:00:03.0 bar4 0x00000000febf8000 0x00000000febfbfff\n",
                                    &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(is_bar && !is_event && bar.bar == 4 && bar.start == 0xfebf8000 && bar.end == 0xfebfbfff);
    CHECK(vq_guest_trace_parse_line("# device-bar: 0000:00:03.0 bar4 0x2000 0x1000\n", &is_event, &event,
                                    &is_bar, &bar, &why) == VQ_ERR_FORMAT && why);
    CHECK(vq_guest_trace_parse_line("  x-1 [000] d..1. 5.0: virtio_xblk_raw_submit: ts_ns=1 nsegs=2\n",
                                    &is_event, &event, &is_bar, &bar, &why) == VQ_OK && !is_event);
    CHECK(vq_guest_trace_parse_line("  x-1 [000] d..1. 5.0: virtio_xblk_submit: id=3 vq=0\n", &is_event, &event,
                                    &is_bar, &bar, &why) == VQ_ERR_FORMAT && strstr(why, "ts_ns"));
    CHECK(vq_guest_trace_parse_line("  x-1 [000] d..1. 5.0: virtio_xblk_kick: ts_ns=1 vq=0 id_last=3 "
                                    "notified=2\n", &is_event, &event, &is_bar, &bar, &why) == VQ_ERR_FORMAT);
    CHECK(vq_guest_trace_parse_line("not a trace line\n", &is_event, &event, &is_bar, &bar, &why) ==
          VQ_ERR_FORMAT);
    /* The driver's kick hold: its own start and end, not the nominal value. */
    CHECK(vq_guest_trace_parse_line("  fio-122 [000] d..1. 5.7: virtio_xblk_hold: ts_ns=900 id=5 vq=0 "
                                    "start_ns=500 end_ns=890\n", &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(is_event && event.type == VQ_GUEST_HOLD && event.id == 5 && event.hold_start_ns == 500 &&
          event.hold_end_ns == 890);
    CHECK(vq_guest_trace_parse_line("  fio-122 [000] d..1. 5.7: virtio_xblk_hold: ts_ns=900 id=5 vq=0 "
                                    "start_ns=500 end_ns=400\n", &is_event, &event, &is_bar, &bar, &why) ==
          VQ_ERR_FORMAT && strstr(why, "end_ns"));
    CHECK(vq_guest_trace_parse_line("  fio-122 [000] d..1. 5.7: virtio_xblk_hold: ts_ns=900 id=5 vq=0\n",
                                    &is_event, &event, &is_bar, &bar, &why) == VQ_ERR_FORMAT);

    /* Stock virtio-blk: block layer tracepoints and our kprobes, time from ftrace's column (us). */
    CHECK(vq_guest_trace_parse_line("             fio-97      [000] ..... 12.345678: block_rq_issue: 254,0 WS "
                                    "4096 () 81920 + 8 [fio]\n", &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(is_event && event.stock && event.type == VQ_GUEST_RQ_ISSUE && event.ts_ns == 12345678000ULL &&
          event.sector == 81920 && event.sectors == 8 && event.write);
    CHECK(vq_guest_trace_parse_line("  <idle>-0 [000] d.h1. 12.345901: block_rq_complete: 254,0 R () 16 + 128 "
                                    "[0]\n", &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(is_event && event.type == VQ_GUEST_RQ_COMPLETE && event.sector == 16 && event.sectors == 128 &&
          !event.write && event.status == 0 && event.ts_ns == 12345901000ULL);
    CHECK(vq_guest_trace_parse_line("  fio-97 [000] d..1. 3.000010: vqscope_blk_kick: (virtqueue_notify+0x0/0x40 "
                                    "[virtio_ring]) vq=0 name=\"req.0\"\n", &is_event, &event, &is_bar, &bar,
                                    &why) == VQ_OK);
    CHECK(is_event && event.type == VQ_GUEST_KICK && event.notified && event.vq == 0 && event.ts_ns == 3000010000ULL);
    CHECK(vq_guest_trace_parse_line("  <idle>-0 [000] d.h1. 3.5: vqscope_blk_irq: (vring_interrupt+0x0/0xa0) vq=0\n",
                                    &is_event, &event, &is_bar, &bar, &why) == VQ_ERR_FORMAT &&
          strstr(why, "SECONDS"));
    CHECK(vq_guest_trace_parse_line("  fio-97 [000] ..... 1.000000: block_rq_issue: 254,0 R 4096 () 8 [fio]\n",
                                    &is_event, &event, &is_bar, &bar, &why) == VQ_ERR_FORMAT &&
          strstr(why, "block_rq_issue"));
}

/* A stream of HEADER + COUNT records (the last one END if WITH_END), cut to LENGTH bytes if > 0. */
static FILE *probe_stream(size_t count, bool with_end, size_t cut, char **buffer, size_t *size)
{
    struct vqs_probe_header header = { .version = VQS_PROBE_VERSION, .header_size = VQS_PROBE_HEADER_SIZE,
                                       .clock_id = VQS_PROBE_CLOCK_MONOTONIC,
                                       .record_size = VQS_PROBE_RECORD_SIZE, .nr_cpus = 1 };
    FILE *stream = open_memstream(buffer, size);
    size_t i;

    memcpy(header.magic, VQS_PROBE_MAGIC, VQS_PROBE_MAGIC_LEN);
    fwrite(&header, sizeof(header), 1, stream);
    for (i = 0; i < count; i++) {
        struct vqs_probe_record record = { .timestamp_ns = 1000 + i, .type = VQS_REC_IOEVENTFD_WRITE, .pid = 7 };

        record.ioeventfd_write.gpa = 0xfebfb000;
        if (with_end && i + 1 == count) {
            record.type = VQS_REC_END;
        } else if (i == 1) {
            record.type = 40;   /* unknown to this reader: skipped */
        }
        fwrite(&record, sizeof(record), 1, stream);
    }
    fclose(stream);
    if (cut && cut < *size) {
        *size = cut;
    }
    return fmemopen(*buffer, *size, "rb");
}

static void test_probe(void)
{
    char *buffer = NULL;
    size_t size = 0;
    vq_probe *reader = NULL;
    vq_event event;
    vq_error error;
    int events = 0;

    CHECK(vq_probe_open_stream(probe_stream(4, true, 0, &buffer, &size), "mem", &reader, &error) == VQ_OK);
    while (vq_probe_next(reader, &event, &error) == VQ_OK) {
        CHECK(strcmp(event.name, "ioeventfd_write") == 0 && event.pid == 7);
        CHECK(event.arg_count == 3 && event.args[0].value == 0xfebfb000);
        events++;
    }
    CHECK(events == 2 && vq_probe_get_counts(reader).end_seen && vq_probe_warning(reader)[0] == '\0');
    CHECK(vq_probe_get_counts(reader).unknown_records == 1);
    vq_probe_close(reader);
    free(buffer);

    buffer = NULL;
    CHECK(vq_probe_open_stream(probe_stream(3, false, VQS_PROBE_HEADER_SIZE + 64 * 2 + 10, &buffer, &size), "mem",
                               &reader, &error) == VQ_OK);
    events = 0;
    while (vq_probe_next(reader, &event, &error) == VQ_OK) {
        events++;
    }
    CHECK(events == 1 && strstr(vq_probe_warning(reader), "offset 248: stream cut short: last record has 10 of 64"));
    vq_probe_close(reader);
    free(buffer);

    buffer = NULL;
    CHECK(vq_probe_open_stream(probe_stream(0, false, 50, &buffer, &size), "mem", &reader, &error) ==
          VQ_ERR_FORMAT);
    CHECK(strstr(error.message, "mem: offset 50: truncated header: file ends after 50 of 120 bytes"));
    free(buffer);
}

static void test_clock_offset(void)
{
    vq_clock_offset line = { .usable = true, .method = VQ_OFFSET_TSC, .from_guest_ns = 1000, .to_guest_ns = 3000,
                             .from_offset = 500, .to_offset = 900 };
    vq_clock_offset constant = vq_clock_offset_constant(VQ_OFFSET_CAUSAL, -42, 7);
    vq_clock_offset falling = line;

    CHECK(vq_clock_offset_at(&line, 1000) == 500 && vq_clock_offset_at(&line, 3000) == 900);
    CHECK(vq_clock_offset_at(&line, 2000) == 700);   /* linear between the two predictions */
    CHECK(vq_clock_offset_at(&line, 1001) == 500);   /* 500.2, rounded */
    CHECK(vq_clock_offset_at(&line, 1003) == 501);   /* 500.6, rounded */
    CHECK(vq_clock_offset_at(&line, 0) == 500 && vq_clock_offset_at(&line, 99999) == 900);   /* held outside */
    CHECK(constant.usable && constant.error_ns == 7);
    CHECK(vq_clock_offset_at(&constant, 0) == -42 && vq_clock_offset_at(&constant, UINT64_MAX) == -42);
    falling.to_offset = 100;
    CHECK(vq_clock_offset_at(&falling, 2000) == 300);
    CHECK(vq_clock_offset_at(&falling, 1003) == 499);   /* 499.4, rounded towards the nearer */
}

static void test_offset_check(void)
{
    /* Causal interval [995, 1005]: lower bounds from an irq and an id, upper ones from kicks. */
    vq_constraint c[] = {
        { 100, 1010, true, KICK, 0 }, { 200, 1005, true, KICK, 0 }, { 300, 990, false, IRQ, 0 }, { 400, 995, false, END, 0 },
    };
    vq_clock_offset inside = vq_clock_offset_constant(VQ_OFFSET_TSC, 1001, 0);
    vq_clock_offset above = vq_clock_offset_constant(VQ_OFFSET_TSC, 1008, 0);
    vq_clock_offset below = vq_clock_offset_constant(VQ_OFFSET_TSC, 992, 0);
    /* The offset moved from 1000 to 1020 over the run; constant bounds measured along it. */
    vq_constraint along[] = { { 0, 1002, true, KICK, 0 }, { 10, 998, false, IRQ, 0 },
                              { 1000, 1022, true, KICK, 0 }, { 1010, 1018, false, IRQ, 0 } };
    vq_clock_offset drifting = { .usable = true, .method = VQ_OFFSET_TSC, .from_guest_ns = 0, .to_guest_ns = 1000,
                                 .from_offset = 1000, .to_offset = 1020 };
    vq_offset_check check = vq_offset_check_bounds(&inside, c, 4);

    CHECK(check.lower.has && check.upper.has);
    CHECK(check.lower.margin == 6 && check.lower.source == END && check.lower.guest_ns == 400);   /* 1001 - 995 */
    CHECK(check.upper.margin == 4 && check.upper.source == KICK && check.upper.guest_ns == 200);  /* 1005 - 1001 */
    CHECK(check.lower.violations == 0 && check.upper.violations == 0);
    check = vq_offset_check_bounds(&above, c, 4);
    CHECK(check.upper.margin == -3 && check.upper.violations == 1 && check.upper.source == KICK);
    CHECK(check.lower.margin == 13 && check.lower.violations == 0);
    check = vq_offset_check_bounds(&below, c, 4);
    CHECK(check.lower.margin == -3 && check.lower.violations == 1 && check.lower.source == END);
    CHECK(check.upper.margin == 13);
    /* Judged at each bound's own time the drifting offset fits; as a constant (its start) it does not. */
    check = vq_offset_check_bounds(&drifting, along, 4);
    CHECK(check.lower.margin >= 0 && check.upper.margin >= 0);
    drifting.to_offset = drifting.from_offset;
    check = vq_offset_check_bounds(&drifting, along, 4);
    CHECK(check.lower.margin == -18 && check.lower.source == IRQ && check.lower.guest_ns == 1010);
    /* No bounds on one side: nothing to violate there. */
    check = vq_offset_check_bounds(&inside, c, 2);
    CHECK(!check.lower.has && check.upper.has);
}

static vq_clock_pair pair(const char *label, uint64_t tsc, uint64_t mono_ns, uint64_t bracket)
{
    vq_clock_pair p = { .tsc = tsc, .mono_ns = mono_ns, .bracket = bracket };

    snprintf(p.label, sizeof(p.label), "%s", label);
    return p;
}

static void test_tsc_predict(void)
{
    /* Host TSC at 2.5 cycles/ns: 1e12 cycles at mono 50 s, 1.25e12 at 150 s. KVM offset -1e9 cycles, so a
     * guest TSC of G is host TSC G + 1e9, i.e. host mono 50 s + (G + 1e9 - 1e12) / 2.5. */
    vq_tsc_files files = { .has_offset = true, .tsc_offset = -1000000000, .host_count = 2,
                           .host = { pair("start", 1000000000000, 50000000000, 90),
                                     pair("end", 1250000000000, 150000000000, 90) } };
    vq_clock_pair guest[2] = { pair("start", 911965402920, 5000000000, 100),
                               pair("end", 914465402920, 6000000000, 100) };
    vq_tsc_check check;

    CHECK(vq_tsc_predict(&files, guest, 2, &check));
    CHECK(fabs(check.cycles_per_ns - 2.5) < 1e-12);
    CHECK(check.predictions == 2 && check.predicted[0] == 10186161168 && check.predicted[1] == 10186161168);
    CHECK(check.predicted_guest_ns[0] == 5000000000 && check.predicted_guest_ns[1] == 6000000000);
    CHECK(check.read_uncertainty_ns == 18 + 20);   /* 45 host cycles + 50 guest cycles at 2.5 cycles/ns */
    CHECK(check.error_ns == 38);
    /* The guest's end pair 1000 cycles later: its offset is 400 ns larger; half of that joins the error. */
    guest[1].tsc += 1000;
    CHECK(vq_tsc_predict(&files, guest, 2, &check));
    CHECK(check.predicted[1] - check.predicted[0] == 400 && check.error_ns == 200 + 38);
    /* One guest pair: one prediction, no drift term. */
    CHECK(vq_tsc_predict(&files, guest, 1, &check) && check.predictions == 1 && check.error_ns == 38);
    /* The last of several guest pairs is the end. */
    {
        vq_clock_pair three[3] = { guest[0], pair("middle", 913000000000, 5400000000, 0), guest[1] };

        CHECK(vq_tsc_predict(&files, three, 3, &check) && check.predicted_guest_ns[1] == 6000000000);
        CHECK(check.predicted[1] - check.predicted[0] == 400);
    }
    /* TSC scaling: the guest TSC runs 1.5x the host's (ratio 3 << 47 with 48 fractional bits). guest
     * TSC = host TSC * 1.5 + offset: host TSC 1e12 (mono 50 s) is guest TSC 1.5e12 - 1e9. */
    files.scaling_ratio = (uint64_t)3 << 47;
    files.scaling_frac_bits = 48;
    guest[0] = pair("start", 1500000000000 - 1000000000, 40000000000, 0);   /* host mono 50 s: offset 10 s */
    guest[1] = pair("end", 1500000000000 - 1000000000 + 375000000000, 140000000000, 150);   /* +250e9 host cycles */
    CHECK(vq_tsc_predict(&files, guest, 2, &check));
    CHECK(check.predicted[0] == 10000000000 && check.predicted[1] == 10000000000);
    CHECK(check.read_uncertainty_ns == 18 + 20);   /* 75 guest cycles at 3.75 guest cycles/ns */
    /* What is missing is said. */
    files = (vq_tsc_files){ .has_offset = true, .tsc_offset = 5 };
    CHECK(!vq_tsc_predict(&files, guest, 2, &check) && strstr(check.why, "host-clock.txt has no clock pair"));
    snprintf(files.host_failure, sizeof(files.host_failure), "host-clock.txt:1: clock-pair: the TSC never advanced");
    CHECK(!vq_tsc_predict(&files, guest, 2, &check) && strstr(check.why, "no clock pair: host-clock.txt:1: clock-pair"));
    files.host[0] = pair("start", 1, 1, 0);
    files.host_count = 1;
    CHECK(!vq_tsc_predict(&files, guest, 0, &check) && strstr(check.why, "the guest trace header has no clock pair"));
    CHECK(!vq_tsc_predict(&files, guest, 1, &check) && strstr(check.why, "two clock pairs of one side"));
    files.has_offset = false;
    CHECK(!vq_tsc_predict(&files, guest, 2, &check) && strstr(check.why, "no KVM tsc-offset"));
}

/* Per vCPU: two vCPUs with equal offsets whose start pairs (taken 1 ms apart) predict one offset; then
 * vCPU 1 with an offset 500 cycles larger than its TSC really runs: 200 ns apart at 2.5 cycles/ns. */
static void test_tsc_vcpus(void)
{
    vq_tsc_files files = { .has_offset = true, .tsc_offset = -1000000000, .host_count = 2,
                           .host = { pair("start", 1000000000000, 50000000000, 90),
                                     pair("end", 1250000000000, 150000000000, 90) },
                           .vcpu_has = { true, true }, .vcpu_offset = { -1000000000, -1000000000 } };
    vq_clock_pair pairs[4] = { pair("start", 911965402920, 5000000000, 100), pair("start", 911967902920, 5001000000, 100),
                               pair("end", 914465402920, 6000000000, 100), pair("end", 914467902920, 6001000000, 100) };
    vq_tsc_check check = { 0 };

    pairs[0].cpu = pairs[2].cpu = 0;
    pairs[1].cpu = pairs[3].cpu = 1;
    vq_tsc_check_vcpus(&files, pairs, 4, &check);
    CHECK(check.vcpus == 2 && check.vcpu_offset_spread == 0 && check.vcpu_prediction_spread_ns == 0);
    files.vcpu_offset[1] += 500;
    vq_tsc_check_vcpus(&files, pairs, 4, &check);
    CHECK(check.vcpus == 2 && check.vcpu_offset_spread == 500 && check.vcpu_prediction_spread_ns == 200);
    /* a vCPU without its own offset, or pairs without a CPU: not counted */
    files.vcpu_has[1] = false;
    vq_tsc_check_vcpus(&files, pairs, 4, &check);
    CHECK(check.vcpus == 1 && check.vcpu_prediction_spread_ns == 0);
    pairs[0].cpu = pairs[2].cpu = -1;
    vq_tsc_check_vcpus(&files, pairs, 4, &check);
    CHECK(check.vcpus == 0);
    /* the guest's header lines: with and without their CPU */
    CHECK(vq_clock_pair_parse(" start tsc=10 mono_ns=20 bracket=30 cpu=3", &pairs[0]) && pairs[0].cpu == 3 &&
          pairs[0].bracket == 30 && pairs[0].tsc == 10);
    CHECK(vq_clock_pair_parse(" start tsc=10 mono_ns=20 bracket=30", &pairs[0]) && pairs[0].cpu == -1);
    CHECK(!vq_clock_pair_parse(" start tsc=10 mono_ns=20 bracket=30 cpu=x", &pairs[0]));
}

/* Runs one of the TSC file readers on TEXT; returns its status, the message in ERROR. */
static vq_status read_tsc_text(bool host_clock, const char *text, vq_tsc_files *files, vq_error *error)
{
    FILE *stream = fmemopen((void *)text, strlen(text), "r");
    vq_status status;

    vq_error_clear(error);
    status = host_clock ? vq_tsc_read_host_clock_stream(stream, "host-clock.txt", files, error)
                        : vq_tsc_read_offset_stream(stream, "tsc-offset.txt", files, error);
    fclose(stream);
    return status;
}

static void test_tsc_files(void)
{
    vq_tsc_files files = { 0 };
    vq_error error;

    CHECK(read_tsc_text(false, "tsc_offset -123\n\ntsc_scaling_ratio 281474976710656\ntsc_scaling_frac_bits 48\n",
                        &files, &error) == VQ_OK);
    CHECK(files.has_offset && files.tsc_offset == -123 && files.scaling_ratio == (uint64_t)1 << 48 &&
          files.scaling_frac_bits == 48);
    files = (vq_tsc_files){ 0 };
    CHECK(read_tsc_text(false, "tsc_offset 12abc\n", &files, &error) == VQ_ERR_FORMAT);
    CHECK(strcmp(error.message, "tsc-offset.txt:1: expected a signed integer after tsc_offset; found "
                 "'tsc_offset 12abc'") == 0);
    CHECK(read_tsc_text(false, "tsc_offset \n", &files, &error) == VQ_ERR_FORMAT);   /* cat failed mid-poll */
    CHECK(strstr(error.message, "tsc-offset.txt:1: expected a signed integer after tsc_offset"));
    CHECK(read_tsc_text(false, "tsc_offset 1\ntsc_ofset 2\n", &files, &error) == VQ_ERR_FORMAT);
    CHECK(strstr(error.message, "tsc-offset.txt:2: expected tsc_offset, tsc_scaling_ratio, tsc_scaling_frac_bits or "
                 "vcpu_tsc_offset"));
    files = (vq_tsc_files){ 0 };
    CHECK(read_tsc_text(false, "tsc_offset -7\nvcpu_tsc_offset 0 -7\nvcpu_tsc_offset 3 -9\n", &files, &error) == VQ_OK);
    CHECK(files.vcpu_has[0] && files.vcpu_offset[0] == -7 && !files.vcpu_has[1] && files.vcpu_has[3] &&
          files.vcpu_offset[3] == -9);
    CHECK(read_tsc_text(false, "tsc_offset 1\nvcpu_tsc_offset 64 1\n", &files, &error) == VQ_ERR_FORMAT);
    CHECK(strstr(error.message, "tsc-offset.txt:2: expected 'vcpu_tsc_offset K N' (vCPU K < 64"));
    CHECK(read_tsc_text(false, "tsc_offset 1\nvcpu_tsc_offset 1\n", &files, &error) == VQ_ERR_FORMAT);
    CHECK(read_tsc_text(false, "tsc_offset 1\nvcpu_tsc_offset -1 5\n", &files, &error) == VQ_ERR_FORMAT);
    CHECK(read_tsc_text(false, "tsc_offset 1\nvcpu_tsc_offset 1 5x\n", &files, &error) == VQ_ERR_FORMAT);
    CHECK(read_tsc_text(false, "tsc_offset 1\ntsc_scaling_ratio -5\n", &files, &error) == VQ_ERR_FORMAT);
    CHECK(strstr(error.message, "tsc-offset.txt:2: expected a positive integer after tsc_scaling_ratio"));
    CHECK(read_tsc_text(false, "tsc_offset 1\ntsc_scaling_frac_bits 64\n", &files, &error) == VQ_ERR_FORMAT);
    CHECK(strstr(error.message, "tsc-offset.txt:2: expected 1..63 after tsc_scaling_frac_bits"));
    files = (vq_tsc_files){ 0 };
    CHECK(read_tsc_text(false, "tsc_offset 1\ntsc_scaling_ratio 5\n", &files, &error) == VQ_ERR_FORMAT);
    CHECK(strstr(error.message, "tsc-offset.txt: tsc_scaling_ratio without tsc_scaling_frac_bits"));
    files = (vq_tsc_files){ 0 };
    CHECK(read_tsc_text(false, "\n", &files, &error) == VQ_ERR_FORMAT);
    CHECK(strstr(error.message, "tsc-offset.txt: no tsc_offset line"));

    files = (vq_tsc_files){ 0 };
    CHECK(read_tsc_text(true, "start tsc=10 mono_ns=20 bracket=30\nmiddle tsc=11 mono_ns=21\n"
                        "end tsc=12 mono_ns=22 bracket=32\n", &files, &error) == VQ_OK);
    CHECK(files.host_count == 3 && files.host[0].tsc == 10 && files.host[0].bracket == 30);
    CHECK(files.host[1].tsc == 12 && files.host[1].mono_ns == 22 && files.host[1].bracket == 32);   /* the last */
    files = (vq_tsc_files){ 0 };
    CHECK(read_tsc_text(true, "clock-pair: the TSC never advanced across clock_gettime\n", &files, &error) == VQ_OK);
    CHECK(files.host_count == 0 && strstr(files.host_failure, "host-clock.txt:1: clock-pair: the TSC never"));
    files = (vq_tsc_files){ 0 };
    CHECK(read_tsc_text(true, "start tsc=10 mono_ns=20 bracket=30\nend tsc=x mono_ns=1\n", &files, &error) ==
          VQ_ERR_FORMAT);
    CHECK(strcmp(error.message, "host-clock.txt:2: expected a clock-pair line 'LABEL tsc=N mono_ns=N bracket=N'; "
                 "found 'end tsc=x mono_ns=1'") == 0);
}

/* A/B sessions: the block markers (column-timed), and fio's output read for one disk. */
static void test_ab_lines(void)
{
    vq_guest_event event;
    vq_guest_bar bar;
    bool is_event, is_bar;
    const char *why;
    char path[] = "/tmp/vqscope-fio-XXXXXX";
    vq_fio_figures fio;
    vq_error error;
    FILE *stream;
    int fd;

    CHECK(vq_guest_trace_parse_line("   sh-201  [000] ..... 987654321: tracing_mark_write: vqscope-block seq=12 "
                                    "disk=B dev=xblk1 begin\n", &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(is_event && event.type == VQ_GUEST_BLOCK && event.column_tsc && event.ts_ns == 987654321 &&
          event.block_seq == 12 && event.block_label == 'B' && event.block_begin);
    CHECK(vq_guest_trace_parse_line("   sh-201  [000] ..... 5.000001: tracing_mark_write: vqscope-block seq=1 "
                                    "disk=A dev=xblk0 end\n", &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(is_event && event.ts_ns == 5000001000ULL && event.block_label == 'A' && !event.block_begin);
    CHECK(vq_guest_trace_parse_line("   sh-201  [000] ..... 5.000001: tracing_mark_write: vqscope-block seq=0 "
                                    "disk=A dev=xblk0 end\n", &is_event, &event, &is_bar, &bar, &why) == VQ_ERR_FORMAT &&
          strstr(why, "seq=K"));
    CHECK(vq_guest_trace_parse_line("   sh-201  [000] ..... 5.000001: tracing_mark_write: vqscope-block seq=1 "
                                    "disk=C dev=xblk0 begin\n", &is_event, &event, &is_bar, &bar, &why) ==
          VQ_ERR_FORMAT);
    CHECK(vq_guest_trace_parse_line("   sh-201  [000] ..... 5.000001: tracing_mark_write: hello\n", &is_event, &event,
                                    &is_bar, &bar, &why) == VQ_OK && !is_event);
    CHECK(vq_guest_trace_parse_line("# device-bar: 0000:00:05.0 bar4 0xfe000000 0xfe003fff\n", &is_event, &event,
                                    &is_bar, &bar, &why) == VQ_OK && is_bar && strcmp(bar.pci, "0000:00:05.0") == 0);

    fd = mkstemp(path);
    stream = fd >= 0 ? fdopen(fd, "w") : NULL;
    CHECK(stream != NULL);
    if (!stream) {
        return;
    }
    fputs("vqscope-block seq=1 disk=A dev=xblk0\nxblk: (groupid=0, jobs=1): err= 0\n  read: IOPS=10\n"
          "     lat (usec): min=1, max=9, avg=100.00, stdev=1\n  issued rwts: total=10,0,0,0 short=0,0,0,0\n"
          "vqscope-block seq=2 disk=B dev=xblk1\nxblk: (groupid=0, jobs=1): err= 0\n  read: IOPS=10\n"
          "     lat (usec): min=1, max=9, avg=300.00, stdev=1\n  issued rwts: total=30,0,0,0 short=0,0,0,0\n"
          "vqscope-block seq=3 disk=A dev=xblk0\nxblk: (groupid=0, jobs=1): err= 0\n  read: IOPS=1.5k, BW=6MiB/s\n"
          "     lat (usec): min=1, max=9, avg=200.00, stdev=1\n  issued rwts: total=30,0,0,0 short=0,0,0,0\n",
          stream);
    fclose(stream);
    /* A: 10 I/Os at 10 IOPS (1 s) and 30 at 1.5k IOPS (0.02 s): 40 / 1.02 s */
    CHECK(vq_fio_output_read(path, 'A', &fio, &error) == VQ_OK && fio.ios == 40 && fio.mean_ns == 175000 &&
          fabs(fio.iops - 40 / 1.02) < 1e-9);
    CHECK(vq_fio_output_read(path, 'B', &fio, &error) == VQ_OK && fio.ios == 30 && fio.mean_ns == 300000 &&
          fabs(fio.iops - 10) < 1e-9);
    CHECK(vq_fio_output_read(path, 0, &fio, &error) == VQ_OK && fio.ios == 70);
    unlink(path);
}

/* The application-side lines: pid and CPU from the prefix, TSC or microsecond column, fields. */
static void test_app_lines(void)
{
    vq_guest_event event;
    vq_guest_bar bar;
    bool is_event, is_bar;
    const char *why;

    CHECK(vq_guest_trace_parse_line("   fio-55   [001] .....  123456789: sys_exit: NR 17 = 4096\n", &is_event, &event,
                                    &is_bar, &bar, &why) == VQ_OK);
    CHECK(is_event && event.type == VQ_GUEST_SYS_EXIT && event.column_tsc && event.ts_ns == 123456789 &&
          event.pid == 55 && event.cpu == 1 && event.sys_nr == 17 && event.sys_ret == 4096);
    CHECK(vq_guest_trace_parse_line("  my-task-7 x-812 [000] ..... 5.000001: sys_enter: NR 426 (7, 1, 0, 1, 0, 0)\n",
                                    &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(event.pid == 812 && event.sys_nr == 426 && event.sys_args[0] == 7 && event.sys_args[2] == 0 &&
          event.sys_args[3] == 1 && !event.column_tsc && event.ts_ns == 5000001000ULL);
    CHECK(vq_guest_trace_parse_line("  fio-9 [000] ..... 1.5: block_bio_queue: 253,0 WS 32912 + 8 [fio]\n", &is_event,
                                    &event, &is_bar, &bar, &why) == VQ_ERR_FORMAT && strstr(why, "column"));
    CHECK(vq_guest_trace_parse_line("  fio-9 [000] ..... 1.500000: block_bio_queue: 253,0 WS 32912 + 8 [fio]\n",
                                    &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(event.type == VQ_GUEST_BIO_QUEUE && event.sector == 32912 && event.sectors == 8 && event.write);
    CHECK(vq_guest_trace_parse_line("  fio-9 [000] ..... 1.500000: block_bio_queue: 253,0 WS\n", &is_event, &event,
                                    &is_bar, &bar, &why) == VQ_ERR_FORMAT && strstr(why, "block_bio_queue"));
    CHECK(vq_guest_trace_parse_line("  fio-9 [000] ...1. 99: io_uring_complete: ring 00000000168600e0, req "
                                    "000000003e6a5228, user_data 0xed14800, result 4096, cflags 0x0 extra1 0 extra2 0\n",
                                    &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(event.type == VQ_GUEST_URING_COMPLETE && event.uring_req == 0x3e6a5228 && event.user_data == 0xed14800 &&
          event.sys_ret == 4096 && event.column_tsc && event.ts_ns == 99);
    CHECK(vq_guest_trace_parse_line("  fio-9 [000] ..... 99: sys_exit: NR 17\n", &is_event, &event, &is_bar, &bar,
                                    &why) == VQ_ERR_FORMAT && strstr(why, "sys_exit"));
    CHECK(vq_guest_trace_parse_line("  fio-12 [000] ..... 99: virtio_xblk_submit: ts_ns=100 id=3 type=0 block=7 "
                                    "nblocks=2 vq=0\n", &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(event.type == VQ_GUEST_SUBMIT && event.block == 7 && event.nblocks == 2 && event.column_ns == 99 &&
          event.column_is_tsc && event.ts_ns == 100);
}

/* A hand-made guest trace through the end-to-end collector: psync (one of them requeued by the block
 * layer), libaio (two in one io_submit, completed out of order, reaped one by one) and io_uring
 * (completed while its task waits); a bio of another task is counted unmatched. */
static void test_e2e(void)
{
    static const char *const lines[] = {
        "fio-100 [000] ..... 1.000000: sys_enter: NR 17 (3, 0, 1000, 2000)",
        "fio-100 [000] ..... 1.000010: block_bio_queue: 253,0 R 800 + 8 [fio]",
        "fio-100 [000] ..... 1.000020: block_rq_issue: 253,0 R 4096 () 800 + 8 [fio]",
        "fio-100 [000] ..... 1.000021: virtio_xblk_submit: ts_ns=1000025000 id=1 type=0 block=100 nblocks=1 vq=0",
        "fio-100 [000] d.h1. 1.000100: virtio_xblk_complete: ts_ns=1000100000 id=1 status=0 used_len=1 vq=0",
        "fio-100 [000] d.h1. 1.000105: block_rq_complete: 253,0 R () 800 + 8 [0]",
        "fio-100 [000] ..... 1.000130: sys_exit: NR 17 = 4096",
        "fio-100 [000] ..... 1.100000: sys_enter: NR 18 (3, 0, 1000, 2000)",
        "fio-100 [000] ..... 1.100010: block_bio_queue: 253,0 W 1600 + 8 [fio]",
        "fio-100 [000] ..... 1.100020: block_rq_issue: 253,0 W 4096 () 1600 + 8 [fio]",
        "kworker/0:1H-5 [000] ..... 1.100040: block_rq_issue: 253,0 W 4096 () 1600 + 8 [kworker/0:1H]",
        "kworker/0:1H-5 [000] ..... 1.100041: virtio_xblk_submit: ts_ns=1100045000 id=5 type=1 block=200 nblocks=1 vq=0",
        "kworker/0:1H-5 [000] d.h1. 1.100090: virtio_xblk_complete: ts_ns=1100090000 id=5 status=0 used_len=1 vq=0",
        "fio-100 [000] d.h1. 1.100095: block_rq_complete: 253,0 W () 1600 + 8 [0]",
        "fio-100 [000] ..... 1.100100: sys_exit: NR 18 = 4096",
        "other-999 [000] ..... 1.500000: block_bio_queue: 253,0 R 4000 + 8 [other]",
        "fio-200 [000] ..... 2.000000: sys_enter: NR 209 (7f00, 2, 1234, 0, 0, 0)",
        "fio-200 [000] ..... 2.000010: block_bio_queue: 253,0 W 8 + 8 [fio]",
        "fio-200 [000] ..... 2.000012: block_rq_issue: 253,0 W 4096 () 8 + 8 [fio]",
        "fio-200 [000] ..... 2.000013: virtio_xblk_submit: ts_ns=2000013000 id=2 type=1 block=1 nblocks=1 vq=0",
        "fio-200 [000] ..... 2.000020: block_bio_queue: 253,0 W 16 + 8 [fio]",
        "fio-200 [000] ..... 2.000022: block_rq_issue: 253,0 W 4096 () 16 + 8 [fio]",
        "fio-200 [000] ..... 2.000023: virtio_xblk_submit: ts_ns=2000023000 id=3 type=1 block=2 nblocks=1 vq=0",
        "fio-200 [000] ..... 2.000030: sys_exit: NR 209 = 2",
        "fio-200 [000] d.h1. 2.000050: virtio_xblk_complete: ts_ns=2000050000 id=3 status=0 used_len=1 vq=0",
        "fio-200 [000] d.h1. 2.000051: block_rq_complete: 253,0 W () 16 + 8 [0]",
        "fio-200 [000] d.h1. 2.000060: virtio_xblk_complete: ts_ns=2000060000 id=2 status=0 used_len=1 vq=0",
        "fio-200 [000] d.h1. 2.000061: block_rq_complete: 253,0 W () 8 + 8 [0]",
        "fio-200 [000] ..... 2.000070: sys_enter: NR 208 (7f00, 1, 4, 0, 0, 0)",
        "fio-200 [000] ..... 2.000080: sys_exit: NR 208 = 1",
        "fio-200 [000] ..... 2.000090: sys_enter: NR 208 (7f00, 1, 4, 0, 0, 0)",
        "fio-200 [000] ..... 2.000100: sys_exit: NR 208 = 1",
        "fio-300 [000] ..... 3.000000: sys_enter: NR 426 (5, 1, 0, 1, 0, 0)",
        "fio-300 [000] ..... 3.000005: io_uring_submit_sqe: ring 0000000a, req 0000beef, user_data 0x7, opcode READ, "
        "flags 0x0, non block 1, sq_thread 0",
        "fio-300 [000] ..... 3.000010: block_bio_queue: 253,0 R 24 + 8 [fio]",
        "fio-300 [000] ..... 3.000012: block_rq_issue: 253,0 R 4096 () 24 + 8 [fio]",
        "fio-300 [000] ..... 3.000013: virtio_xblk_submit: ts_ns=3000013000 id=4 type=0 block=3 nblocks=1 vq=0",
        "fio-300 [000] ..... 3.000020: sys_exit: NR 426 = 1",
        "fio-300 [000] ..... 3.000030: sys_enter: NR 426 (5, 0, 1, 1, 0, 0)",
        "fio-300 [000] d.h1. 3.000050: virtio_xblk_complete: ts_ns=3000050000 id=4 status=0 used_len=1 vq=0",
        "fio-300 [000] d.h1. 3.000051: block_rq_complete: 253,0 R () 24 + 8 [0]",
        "fio-300 [000] ...1. 3.000055: io_uring_complete: ring 0000000a, req 0000beef, user_data 0x7, result 4096, "
        "cflags 0x0 extra1 0 extra2 0",
        "fio-300 [000] ..... 3.000060: sys_exit: NR 426 = 1",
    };
    vq_e2e_driver_row rows[] = {
        { .id = 1, .submit = 1000025000, .complete = 1000100000, .host_start = 5000000, .host_end = 5030000 },
        { .id = 2, .submit = 2000013000, .complete = 2000060000 },
        { .id = 3, .submit = 2000023000, .complete = 2000050000 },
        { .id = 4, .submit = 3000013000, .complete = 3000050000 },
        { .id = 5, .submit = 1100045000, .complete = 1100090000 },
    };
    vq_app_row app[5];
    vq_app_coverage coverage;
    vq_e2e *e2e = vq_e2e_new(false);
    size_t i;

    CHECK(e2e != NULL);
    for (i = 0; e2e && i < sizeof(lines) / sizeof(lines[0]); i++) {
        vq_guest_event event;
        vq_guest_bar bar;
        bool is_event, is_bar;
        const char *why;

        CHECK(vq_guest_trace_parse_line(lines[i], &is_event, &event, &is_bar, &bar, &why) == VQ_OK && is_event);
        CHECK(vq_e2e_take(e2e, &event));
    }
    CHECK(e2e && vq_e2e_finish(e2e, rows, 5, app, 5, 90000, &coverage));
    CHECK(coverage.traced && coverage.ios == 5 && coverage.matched == 5 && coverage.per_api[0] == 2 &&
          coverage.per_api[1] == 2 && coverage.per_api[2] == 1);
    CHECK(coverage.unmatched_count == 1 && coverage.unmatched[0].count == 1 &&
          strstr(coverage.unmatched[0].reason, "outside a traced I/O syscall"));
    /* psync: the syscall's own span; layers add up to it */
    CHECK(app[0].matched && strcmp(app[0].api, "psync") == 0 && app[0].stage[VQ_APP_TOTAL] == 130000 &&
          app[0].stage[VQ_APP_ISSUE_QUEUE] == 10000 && app[0].stage[VQ_APP_QUEUE_ISSUE] == 10000 &&
          app[0].stage[VQ_APP_ISSUE_SUBMIT] == 5000 && app[0].stage[VQ_APP_COMPLETE_DONE] == 5000 &&
          app[0].stage[VQ_APP_DONE_REAP] == 25000);
    CHECK(app[0].has_layers && app[0].layer[VQ_LAYER_HOST] == 30000 && app[0].layer[VQ_LAYER_VIRTIO] == 45000 &&
          app[0].layer[VQ_LAYER_GUEST_ABOVE] == 55000);
    /* libaio: one io_submit, the first io_getevents hands back the first completed (id 3) */
    CHECK(app[2].matched && strcmp(app[2].api, "libaio") == 0 && app[2].app_issue == 2000000000ULL &&
          app[2].app_complete == 2000080000ULL && app[2].stage[VQ_APP_DONE_REAP] == 29000);
    CHECK(app[1].matched && app[1].app_complete == 2000100000ULL && app[1].stage[VQ_APP_TOTAL] == 100000 &&
          !app[1].has_layers);
    /* io_uring: its CQE came while the task waited in io_uring_enter: handed back at that exit */
    CHECK(app[3].matched && strcmp(app[3].api, "io_uring") == 0 && app[3].stage[VQ_APP_TOTAL] == 60000 &&
          app[3].stage[VQ_APP_DONE_REAP] == 9000);
    /* requeued (issued twice, by fio then by kblockd): queue>issue to the first issue, the wait to the
     * driver's take in issue>submit */
    CHECK(app[4].matched && app[4].stage[VQ_APP_QUEUE_ISSUE] == 10000 && app[4].stage[VQ_APP_ISSUE_SUBMIT] == 25000 &&
          app[4].stage[VQ_APP_TOTAL] == 100000);
    CHECK(coverage.app_mean_ns == (130000 + 100000 + 80000 + 60000 + 100000) / 5 && coverage.fio_mean_ns == 90000);
    vq_e2e_free(e2e);
}

int main(void)
{
    test_percentiles();
    test_cdf_and_histogram();
    test_bootstrap();
    test_align();
    test_pairing();
    test_bound_line();
    test_align_line();
    test_clock_offset();
    test_offset_check();
    test_tsc_predict();
    test_tsc_vcpus();
    test_tsc_files();
    test_guest_lines();
    test_app_lines();
    test_ab_lines();
    test_e2e();
    test_probe();
    return check_summary("analysis_model");
}
