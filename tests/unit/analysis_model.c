// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the analyzer's pure parts: statistics, clock alignment and pairing, the guest trace
 * line parser, the probe stream reader on streams built in memory. Exit 0 when all pass.
 */
#include "align.h"
#include "guest_trace.h"
#include "probe.h"
#include "stats.h"

#include "vqscope_probe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(condition)                                                              \
    do {                                                                              \
        if (!(condition)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
            failures++;                                                               \
        }                                                                             \
    } while (0)

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

static void test_align(void)
{
    /* offset truly 1000: kicks give host - guest >= 1000 (upper bounds), irqs <= 1000 (lower). */
    vq_constraint c[] = {
        { 100, 1010, true }, { 200, 1005, true }, { 300, 990, false }, { 400, 995, false },
    };
    vq_constraint bad[] = { { 100, 1000, true }, { 200, 1030, false } };
    vq_constraint drift[] = {
        { 0, 1010, true }, { 10, 990, false },                                   /* ~1000 at t=0 */
        { 1000000000, 2010, true }, { 1000000010, 1990, false },                 /* ~2000 at 1 s */
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
    ssize_t pair[4];

    CHECK(vq_pair_forward(kicks, 3, notifies, 4, 1000, 2, 50, pair) == 3);
    CHECK(pair[0] == 1 && pair[1] == 2 && pair[2] == 3);
    /* A kick with no notify in its window stays unpaired; the next kicks still pair in order. */
    CHECK(vq_pair_forward(kicks, 3, notifies, 4, 900, 0, 50, pair) == 2);
    CHECK(pair[0] == -1 && pair[1] == 1 && pair[2] == 2);
    /* Coalesced injections: the irq pairs with the later one. */
    CHECK(vq_pair_backward(irqs, 2, injections, 3, 1000, 0, 100, pair) == 2);
    CHECK(pair[0] == 1 && pair[1] == 2);
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

    /* Stock virtio-blk: block layer tracepoints and our kprobes, time from ftrace's column (us). */
    CHECK(vq_guest_trace_parse_line("             fio-97      [000] ..... 12.345678: block_rq_issue: 254,0 WS "
                                    "4096 () 81920 + 8 [fio]\n", &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(is_event && event.stock && event.type == VQ_GUEST_SUBMIT && event.ts_ns == 12345678000ULL &&
          event.sector == 81920 && event.sectors == 8 && event.write);
    CHECK(vq_guest_trace_parse_line("  <idle>-0 [000] d.h1. 12.345901: block_rq_complete: 254,0 R () 16 + 128 "
                                    "[0]\n", &is_event, &event, &is_bar, &bar, &why) == VQ_OK);
    CHECK(is_event && event.type == VQ_GUEST_COMPLETE && event.sector == 16 && event.sectors == 128 &&
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
                                       .record_size = VQS_PROBE_RECORD_SIZE };
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

int main(void)
{
    test_percentiles();
    test_bootstrap();
    test_align();
    test_pairing();
    test_guest_lines();
    test_probe();
    if (failures) {
        fprintf(stderr, "analysis_model: %d checks failed\n", failures);
        return 1;
    }
    printf("analysis_model: all checks passed\n");
    return 0;
}
