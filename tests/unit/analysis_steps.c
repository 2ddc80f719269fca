// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of vq_session_load's steps, called directly on small hand-made inputs (analysis/src/
 * loader.h, built with steps_fixture.h): vq_stitch (every stage value and the notify exit's duration,
 * batched, harvested, unmatched reasons, holds, negative stages never clamped, TCG; two queues paired
 * queue by queue, with the per-vCPU rows); the guest pass on a stock virtio-blk trace of two queues
 * (each request on its CPU's queue); the meta.json reader (top-level keys only, non-string values,
 * errors with FILE:LINE:COLUMN), the exit reason names and the passes' dispatch on event names. The
 * clock alignment and the offset choice are analysis_align.c's. Exit 0 when all pass.
 *
 * Times: guest ns are small numbers; the host clock is the guest's plus H (a true offset of H), so host
 * times read as H + the guest time at which they happen.
 */
#include "exit_reason.h"
#include "loader.h"
#include "report.h"
#include "report_vcpus.h"
#include "session_dir.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define H 1000000

#include "check.h"

#include "steps_fixture.h"

/* ---- stitching ---- */

/* One xblk request through KVM with ioeventfd: every stage from its own pair of events. */
static void test_stitch_one_request(void)
{
    vq_loader load;
    const vq_request_row *row;

    one_kvm_request(&load, "one");
    set_offset(&load, H);
    /* the exit of the doorbell write: the vCPU was out of the guest for 900 ns */
    *(vq_host_exit *)must(VQ_PUSH(load.exits, load.exit_count, load.exit_capacity)) =
        (vq_host_exit){ .ts = H + 2000, .duration = 900 };
    load.notifies[0].exit = 0;

    CHECK(vq_stitch(&load, NULL) == VQ_OK);
    CHECK(load.session->row_count == 1 && load.session->unmatched_count == 0);
    CHECK(load.session->guest_requests == 1);
    if (load.session->row_count == 1) {
        row = &load.session->rows[0];
        CHECK(row->id == 7 && !row->batched && !row->harvested && row->kick_id == 7);
        CHECK(has_stage(row, VQ_STAGE_SUBMIT_KICK, 500));
        CHECK(has_stage(row, VQ_STAGE_KICK_EXIT, 500));        /* H+2000 - (1500 + H) */
        CHECK(has_stage(row, VQ_STAGE_EXIT_SIGNAL, 300));
        CHECK(has_stage(row, VQ_STAGE_SIGNAL_HANDLER, 300));   /* from the signal, not the MMIO write */
        CHECK(has_stage(row, VQ_STAGE_HANDLER_BEGIN, 400));
        CHECK(has_stage(row, VQ_STAGE_BEGIN_END, 3000));
        CHECK(has_stage(row, VQ_STAGE_END_INJECT, 1000));
        CHECK(has_stage(row, VQ_STAGE_INJECT_IRQ, 1000));      /* (8000 + H) - (H+7000) */
        CHECK(has_stage(row, VQ_STAGE_IRQ_COMPLETE, 1000));
        CHECK(has_stage(row, VQ_STAGE_TOTAL, 8000));
        CHECK(row->exit_host == H + 2000 && row->signal_host == H + 2300 && row->handler_host == H + 2600);
        CHECK(row->begin_host == H + 3000 && row->end_host == H + 6000 && row->inject_host == H + 7000);
        CHECK(row->vcpu_tid == 42 && row->irq_seq == 0 && row->notify_exit_ns == 900);
        CHECK(row->hold_ns == -1 && row->hold_at == NULL);
    }
    CHECK(load.session->negative_requests == 0 && load.session->warning_count == 0);
    loader_done(&load);
}

/* Loaded without rows (vqscope-top, the metrics): the request is emitted, no row is kept, and a report of
 * each request refuses to run, writing nothing, instead of printing an empty table. */
static void test_report_without_rows(void)
{
    vq_loader load;
    char *text = NULL;
    size_t size = 0;
    FILE *out;
    const vq_report_options each = { .requests = true };

    one_kvm_request(&load, "no rows");
    load.session->keep_rows = false;
    set_offset(&load, H);
    CHECK(vq_stitch(&load, NULL) == VQ_OK);
    CHECK(load.session->row_count == 0 && load.session->emitted.stitched == 1);
    out = open_memstream(&text, &size);
    CHECK(out != NULL);
    if (out) {
        CHECK(vq_report_session(out, load.session, VQ_FORMAT_CSV, &(vq_report_options){ 0 }) == VQ_ERR_USAGE);
        CHECK(vq_report_session(out, load.session, VQ_FORMAT_TEXT, &each) == VQ_ERR_USAGE);
        CHECK(vq_report_session(out, load.session, VQ_FORMAT_JSON, &each) == VQ_ERR_USAGE);
        fclose(out);
        CHECK(size == 0);
        free(text);
    }
    loader_done(&load);
    one_kvm_request(&load, "rows");   /* the same with its row: the CSV has it */
    set_offset(&load, H);
    CHECK(vq_stitch(&load, NULL) == VQ_OK && load.session->row_count == 1);
    text = NULL;
    out = open_memstream(&text, &size);
    CHECK(out != NULL);
    if (out) {
        CHECK(vq_report_session(out, load.session, VQ_FORMAT_CSV, &(vq_report_options){ 0 }) == VQ_OK);
        fclose(out);
        CHECK(text && strchr(text, '\n') && strstr(strchr(text, '\n'), "\n7,") != NULL);
        free(text);
    }
    loader_done(&load);
}

/*
 * A: its own notified kick. B: covered by a suppressed kick, popped in A's handler run (batched: named
 * after A's kick), ended after the interrupt that delivered it was injected (harvested). C never
 * completed, D has no device request, E no kick: unmatched, in request order, each with its reason.
 */
static void test_stitch_batched_harvested_unmatched(void)
{
    vq_loader load;
    const vq_request_row *a, *b;
    const vq_session *session;

    loader_init(&load, "batched");
    session = load.session;
    add_request(&load, 1, 1000, 9000, 0, 0);
    add_request(&load, 2, 1200, 9100, 1, 0);
    add_request(&load, 3, 1300, 0, 1, VQ_NO_INDEX);
    add_request(&load, 4, 1400, 9200, 1, 0);
    add_request(&load, 5, 9500, 9900, VQ_NO_INDEX, 0);
    add_kick(&load, 1100, 1, true, 0);
    add_kick(&load, 1500, 4, false, VQ_NO_INDEX);
    add_notify(&load, H + 1500, H + 1550, H + 1600, 7, 0);
    add_handler(&load, H + 1700);
    add_device_request(&load, 1, H + 2000, H + 5000);
    add_device_request(&load, 2, H + 2100, H + 7500);
    CHECK(deliver_and_stitch(&load, 33) == VQ_OK);
    CHECK(session->guest_requests == 5 && session->row_count == 2 && session->unmatched_count == 3);
    if (session->row_count == 2) {
        a = &session->rows[0];
        b = &session->rows[1];
        CHECK(a->id == 1 && !a->batched && !a->harvested && a->kick_id == 1);
        CHECK(has_stage(a, VQ_STAGE_SUBMIT_KICK, 100) && has_stage(a, VQ_STAGE_KICK_EXIT, 400));
        CHECK(has_stage(a, VQ_STAGE_EXIT_SIGNAL, 100) && has_stage(a, VQ_STAGE_SIGNAL_HANDLER, 100));
        CHECK(has_stage(a, VQ_STAGE_HANDLER_BEGIN, 300) && has_stage(a, VQ_STAGE_BEGIN_END, 3000));
        CHECK(has_stage(a, VQ_STAGE_END_INJECT, 2000) && has_stage(a, VQ_STAGE_INJECT_IRQ, 1000));
        CHECK(has_stage(a, VQ_STAGE_IRQ_COMPLETE, 1000) && has_stage(a, VQ_STAGE_TOTAL, 8000));

        CHECK(b->id == 2 && b->batched && b->harvested && b->kick_id == 1);
        CHECK(!b->has[VQ_STAGE_KICK_EXIT] && !b->has[VQ_STAGE_EXIT_SIGNAL] && !b->has[VQ_STAGE_SIGNAL_HANDLER]);
        CHECK(!b->has[VQ_STAGE_END_INJECT] && !b->has[VQ_STAGE_INJECT_IRQ] && b->inject_host == 0);
        CHECK(has_stage(b, VQ_STAGE_SUBMIT_KICK, 300) && has_stage(b, VQ_STAGE_HANDLER_BEGIN, 400));
        CHECK(has_stage(b, VQ_STAGE_BEGIN_END, 5400) && has_stage(b, VQ_STAGE_IRQ_COMPLETE, 1100));
        CHECK(has_stage(b, VQ_STAGE_TOTAL, 7900) && b->exit_host == 0);
    }
    if (session->unmatched_count == 3) {
        CHECK(session->unmatched[0].id == 3 &&
              strcmp(session->unmatched[0].reason, "no virtio_xblk_complete in the guest trace (in flight when "
                     "recording stopped?)") == 0);
        CHECK(session->unmatched[1].id == 4 &&
              strcmp(session->unmatched[1].reason, "no virtio_xblk_req_begin/end with this id in the QEMU trace") == 0);
        CHECK(session->unmatched[2].id == 5 &&
              strcmp(session->unmatched[2].reason, "no virtio_xblk_kick after its submit") == 0);
    }
    loader_done(&load);
}

/* An offset above the truth makes kick>exit negative: counted, warned about, never clamped. */
static void test_stitch_negative_stage(void)
{
    vq_loader load;

    one_kvm_request(&load, "negative");
    set_offset(&load, H + 1000);

    CHECK(vq_stitch(&load, NULL) == VQ_OK);
    CHECK(load.session->row_count == 1);
    if (load.session->row_count == 1) {
        CHECK(has_stage(&load.session->rows[0], VQ_STAGE_KICK_EXIT, -500));
        CHECK(has_stage(&load.session->rows[0], VQ_STAGE_INJECT_IRQ, 2000));
    }
    CHECK(load.session->negative_requests == 1);
    CHECK(load.session->negative_stages[VQ_STAGE_KICK_EXIT] == 1);
    CHECK(load.session->negative_stages[VQ_STAGE_INJECT_IRQ] == 0);
    CHECK(load.session->warning_count == 1);
    CHECK(warned(load.session, "1 requests with a negative stage under the causal offset (kick>exit 1)"));
    loader_done(&load);
}

/*
 * Injected holds, each attributed to its holder: the driver's (kick: from its own hold's start to the
 * last hold before the kick), the device's serve hold (serve), the notify hold (notify: from the push, or
 * the hold's start when pushed before it, to the notify), found past a hold of another queue.
 */
static void test_stitch_holds(void)
{
    vq_loader load;
    vq_notify_hold *hold;
    const vq_request_row *rows;

    loader_init(&load, "holds");
    add_request(&load, 1, 1000, 9000, 0, 0);
    add_request(&load, 2, 1001, 9001, 0, 0);
    add_request(&load, 3, 1002, 9002, 0, 0);
    add_request(&load, 4, 1003, 9003, 0, 0);
    load.requests[0].kick_held = true;
    load.requests[0].kick_hold_start = 1010;
    load.requests[0].kick_hold_end = 1050;
    load.requests[1].kick_held = true;
    load.requests[1].kick_hold_start = 1060;
    load.requests[1].kick_hold_end = 1090;
    add_kick(&load, 1500, 4, true, 0);
    add_notify(&load, H + 2000, H + 2100, H + 2300, 42, 0);
    add_handler(&load, H + 2600);
    add_device_request(&load, 1, H + 3000, H + 5000);
    add_device_request(&load, 2, H + 3001, H + 5000);
    add_device_request(&load, 3, H + 3002, H + 5000)->serve_hold_ns = 200000;
    add_device_request(&load, 4, H + 3003, H + 6000);
    hold = must(VQ_PUSH(load.notify_holds, load.notify_hold_count, load.notify_hold_capacity));
    *hold = (vq_notify_hold){ .start = H + 5400, .end = H + 6400, .vq = 1 };
    hold = must(VQ_PUSH(load.notify_holds, load.notify_hold_count, load.notify_hold_capacity));
    *hold = (vq_notify_hold){ .start = H + 5500, .end = H + 6500, .vq = 0 };
    CHECK(deliver_and_stitch(&load, 33) == VQ_OK);
    CHECK(load.session->row_count == 4);
    if (load.session->row_count == 4) {
        rows = load.session->rows;
        CHECK(rows[0].hold_ns == 80 && rows[0].hold_at && strcmp(rows[0].hold_at, "kick") == 0);
        CHECK(rows[1].hold_ns == 30 && rows[1].hold_at && strcmp(rows[1].hold_at, "kick") == 0);
        CHECK(rows[2].hold_ns == 200000 && rows[2].hold_at && strcmp(rows[2].hold_at, "serve") == 0);
        CHECK(rows[3].hold_ns == 500 && rows[3].hold_at && strcmp(rows[3].hold_at, "notify") == 0);
        /* One handler run, started by their kick's notify, popped all four: none is batched. */
        CHECK(!rows[0].batched && !rows[3].batched && rows[0].kick_id == 4 && rows[3].kick_id == 4);
    }
    loader_done(&load);
}

/* TCG: no KVM notifies; a kick is paired with QEMU's handler run itself, which is the host side of kick>exit. */
static void test_stitch_tcg(void)
{
    vq_loader load;
    const vq_request_row *rows;

    loader_init(&load, "tcg");
    add_request(&load, 1, 1000, 9000, 0, 0);
    add_request(&load, 2, 1050, 9100, 0, 0);
    add_kick(&load, 1100, 2, true, 0);
    add_handler(&load, H + 1700);
    add_handler(&load, H + 2900);
    add_device_request(&load, 1, H + 2000, H + 5000);
    add_device_request(&load, 2, H + 3000, H + 5100);
    CHECK(deliver_and_stitch(&load, UINT32_MAX) == VQ_OK);
    CHECK(load.session->row_count == 2);
    if (load.session->row_count == 2) {
        rows = load.session->rows;
        CHECK(!rows[0].batched && rows[0].kick_id == 2 && rows[0].exit_host == 0);
        CHECK(has_stage(&rows[0], VQ_STAGE_KICK_EXIT, 600));   /* H+1700 - (1100 + H) */
        CHECK(!rows[0].has[VQ_STAGE_EXIT_SIGNAL] && !rows[0].has[VQ_STAGE_SIGNAL_HANDLER]);
        CHECK(has_stage(&rows[0], VQ_STAGE_HANDLER_BEGIN, 300));
        /* Popped by the second run, which its kick's notify (the first run) did not start. */
        CHECK(rows[1].batched && rows[1].kick_id == 2 && !rows[1].has[VQ_STAGE_KICK_EXIT]);
        CHECK(has_stage(&rows[1], VQ_STAGE_HANDLER_BEGIN, 100));
    }
    loader_done(&load);
}

/*
 * Two queues on two vCPUs, hand-made (issue 14): requests A and C on queue 0, B and D on queue 1; the
 * kicks interleave (A B C D) but queue 1's vCPU reaches its doorbell first (B, A, D, C), A is popped
 * after queue 1's second handler run, and the interrupts complete out of order (injected B then A, taken
 * by the guest A then B; C's and D's much later, D's last: pairing takes the latest injection within
 * its slack of 50 us, so a queue's next one must come later than that). Queue by queue, every pairing is right and every stage has the value written
 * here (offset H); in one sequence A and B would swap their doorbell writes and interrupts. With a
 * doorbell write that does not name its queue the pairing falls back to one sequence, and says so.
 */
static void fill_two_queues(vq_loader *load, bool queues_named)
{
    /* guest: id, submit, complete, kick index, irq index, vq */
    static const uint64_t requests[4][6] = {
        { 1, 1000, 4200, 0, 0, 0 }, { 2, 1150, 4350, 1, 1, 1 }, { 3, 1250, 104550, 2, 2, 0 }, { 4, 1350, 204480, 3, 3, 1 },
    };
    static const uint64_t kicks[4][3] = { { 1100, 1, 0 }, { 1200, 2, 1 }, { 1300, 3, 0 }, { 1400, 4, 1 } };
    static const uint64_t irqs[4][2] = { { 4150, 0 }, { 4300, 1 }, { 104500, 0 }, { 204450, 1 } };
    /* host (H + ...): doorbell writes exit, mmio, signal, tid, queue; handler runs; device begin/end */
    static const uint64_t notifies[4][5] = {
        { 1500, 1550, 1600, 43, 1 }, { 1700, 1750, 1800, 42, 0 }, { 1900, 1950, 2000, 43, 1 }, { 2100, 2150, 2200, 42, 0 },
    };
    static const uint64_t handlers[4][2] = { { 1650, 1 }, { 1850, 0 }, { 2050, 1 }, { 2250, 0 } };
    static const uint64_t device[4][3] = { { 1, 2060, 3900 }, { 2, 1700, 3700 }, { 3, 2300, 104300 }, { 4, 2100, 204100 } };
    /* the device's notifies (and the MSI injection 50 ns after each) */
    static const uint64_t pushes[4][3] = { { 3750, 1, 34 }, { 3950, 0, 33 }, { 104350, 0, 33 }, { 204150, 1, 34 } };
    size_t i;

    for (i = 0; i < 4; i++) {
        add_request(load, requests[i][0], requests[i][1], requests[i][2], requests[i][3], requests[i][4]);
        load->requests[i].vq = (uint32_t)requests[i][5];
        load->requests[i].cpu = (uint32_t)requests[i][5];   /* queue N is CPU N's */
        add_kick(load, kicks[i][0], kicks[i][1], true, VQ_NO_INDEX);
        load->kicks[i].vq = (uint32_t)kicks[i][2];
        add_irq(load, irqs[i][0], VQ_NO_INDEX);
        load->irqs[i].vq = (uint32_t)irqs[i][1];
        load->irqs[i].cpu = (uint32_t)irqs[i][1];
        add_notify(load, H + notifies[i][0], H + notifies[i][1], H + notifies[i][2], (uint32_t)notifies[i][3],
                   VQ_NO_INDEX);
        load->notifies[i].queue = (uint32_t)notifies[i][4];
        add_handler(load, H + handlers[i][0]);
        load->handlers[i].queue = (uint32_t)handlers[i][1];
        add_device_request(load, device[i][0], H + device[i][1], H + device[i][2]);
        add_device_notify(load, H + pushes[i][0]);
        load->device_notifies[i].queue = (uint32_t)pushes[i][1];
        add_injection(load, H + pushes[i][0] + 50, (uint32_t)pushes[i][2]);
    }
    if (!queues_named) {
        load->notifies[2].queue = VQ_NO_QUEUE;   /* e.g. an ioeventfd_write without its kvm_mmio */
    }
    load->session->has_kvm = true;
}

static void test_two_queues(void)
{
    /* kick index -> notify index, irq index -> injection index (both in time order), per request's stages */
    static const size_t kick_notify[4] = { 1, 0, 3, 2 }, irq_injection[4] = { 1, 0, 2, 3 };
    static const int64_t stages[4][VQ_STAGE_COUNT] = {
        /* submit>kick kick>exit exit>signal signal>handler handler>begin begin>end end>inject inject>irq
         * irq>complete total */
        { 100, 600, 100, 50, 210, 1840, 100, 150, 50, 3200 },
        { 50, 300, 100, 50, 50, 2000, 100, 500, 50, 3200 },
        { 50, 800, 100, 50, 50, 102000, 100, 100, 50, 103300 },
        { 50, 500, 100, 50, 50, 202000, 100, 250, 30, 203130 },
    };
    vq_loader load;
    size_t i, s;

    loader_init(&load, "two-queues");
    fill_two_queues(&load, true);
    CHECK(vq_align_clocks(&load, NULL) == VQ_OK);
    CHECK(load.paired_per_queue);
    for (i = 0; i < 4; i++) {
        CHECK(load.kicks[i].notify == kick_notify[i]);
        CHECK(load.irqs[i].injection == irq_injection[i]);
    }
    CHECK(load.session->alignment.usable && !load.session->alignment.contradiction);
    set_offset(&load, H);
    CHECK(vq_stitch(&load, NULL) == VQ_OK);
    CHECK(load.session->row_count == 4 && load.session->negative_requests == 0);
    for (i = 0; i < load.session->row_count && i < 4; i++) {
        const vq_request_row *row = &load.session->rows[i];

        CHECK(row->id == i + 1 && !row->batched && !row->harvested && row->kick_id == row->id);
        CHECK(row->vcpu_tid == (row->vq ? 43u : 42u));
        for (s = 0; s < VQ_STAGE_COUNT; s++) {
            if (!has_stage(row, (vq_stage)s, stages[i][s])) {
                fprintf(stderr, "two queues: request %zu, %s: %s %" PRId64 ", expected %" PRId64 "\n", i + 1,
                        vq_stage_names[s], row->has[s] ? "has" : "lacks", row->stage[s], stages[i][s]);
                CHECK(false);
            }
        }
    }
    CHECK(load.session->queue_submitted[0] == 2 && load.session->queue_submitted[1] == 2);
    CHECK(!warned(load.session, "paired in one sequence"));
    /* per vCPU: CPU N's two requests exit on its own thread (42, 43) and are delivered on CPU N */
    CHECK(load.session->cpu_submitted[0] == 2 && load.session->cpu_submitted[1] == 2);
    CHECK(vq_report_vcpus_present(load.session));
    {
        char *json = NULL;
        size_t size = 0;
        FILE *out = must(open_memstream(&json, &size));

        vq_report_vcpus_json(out, load.session);
        fclose(out);
        CHECK(strstr(json, "{\"cpu\": 0, \"submitted\": 2, \"stitched\": 2, \"exit_tid\": 42, \"exit_tid_rows\": 2, "
                           "\"exit_rows\": 2, \"irq_here\": 2, \"kick_exit_ns\": {\"count\": 2"));
        CHECK(strstr(json, "{\"cpu\": 1, \"submitted\": 2, \"stitched\": 2, \"exit_tid\": 43, "));
        free(json);
    }
    loader_done(&load);

    /* one doorbell write without its queue: one sequence, A and B swap, and the report says so */
    loader_init(&load, "two-queues-unnamed");
    fill_two_queues(&load, false);
    CHECK(vq_align_clocks(&load, NULL) == VQ_OK);
    CHECK(!load.paired_per_queue && load.kicks[0].notify == 0 && load.kicks[1].notify == 1);
    set_offset(&load, H);
    CHECK(vq_stitch(&load, NULL) == VQ_OK);
    CHECK(warned(load.session, "paired in one sequence for all queues"));
    loader_done(&load);
}

/*
 * Stock virtio-blk on two queues, through the guest pass (vq_collect_guest on a guest.trace written
 * here): blk-mq's queue 0 serves CPU 0 and queue 1 CPU 1 ('# queue-cpus:'); issues on the two CPUs
 * interleave, queue 1's interrupt comes first and completes its two requests in the other order, and
 * queue 0's request completes on CPU 1 (a completion runs on any CPU): each request is on the queue of
 * the CPU that issued it, covered by its queue's kick and delivered by its queue's interrupt.
 */
static void test_stock_two_queues(void)
{
    static const char trace[] =
        "# queue-cpus: vda 0 0\n"
        "# queue-cpus: vda 1 1\n"
        "   fio-10 [000] ..... 1.000100: block_rq_issue: 254,0 R 4096 () 800 + 8 [fio]\n"
        "   fio-11 [001] ..... 1.000150: block_rq_issue: 254,0 W 4096 () 1600 + 8 [fio]\n"
        "   fio-10 [000] ..... 1.000200: vqscope_blk_kick: (virtqueue_notify+0x0/0x60) vq=0 name=\"req.0\"\n"
        "   fio-11 [001] ..... 1.000250: block_rq_issue: 254,0 R 4096 () 2400 + 8 [fio]\n"
        "   fio-11 [001] ..... 1.000300: vqscope_blk_kick: (virtqueue_notify+0x0/0x60) vq=1 name=\"req.1\"\n"
        " <idle>-0 [001] d.h.. 1.000900: vqscope_blk_irq: (vring_interrupt+0x0/0xa0) vq=1 name=\"req.1\"\n"
        " <idle>-0 [001] d.h.. 1.000910: block_rq_complete: 254,0 R () 2400 + 8 [0]\n"
        " <idle>-0 [001] d.h.. 1.000920: block_rq_complete: 254,0 W () 1600 + 8 [0]\n"
        " <idle>-0 [000] d.h.. 1.001000: vqscope_blk_irq: (vring_interrupt+0x0/0xa0) vq=0 name=\"req.0\"\n"
        " <idle>-0 [001] ..s.. 1.001010: block_rq_complete: 254,0 R () 800 + 8 [0]\n";
    /* request: vq, kick, irq, complete (guest ns) */
    static const uint64_t expected[3][4] = {
        { 0, 0, 1, 1001010000 }, { 1, 1, 0, 1000920000 }, { 1, 1, 0, 1000910000 },
    };
    char *directory = make_directory();
    uint32_t queue_of[VQ_GUEST_MAX_CPUS] = { 0 };
    vq_loader load;
    vq_error error;
    size_t i;

    write_file(directory, "guest.trace", trace);
    loader_init(&load, directory);
    load.stock_device = true;
    load.e2e = must(vq_e2e_new(true));
    CHECK(vq_collect_guest(&load, &error) == VQ_OK);
    CHECK(load.request_count == 3 && load.kick_count == 2 && load.irq_count == 2);
    for (i = 0; i < load.request_count && i < 3; i++) {
        const vq_guest_request *request = &load.requests[i];

        CHECK(request->id == i + 1 && request->vq == expected[i][0] && request->kick == expected[i][1] &&
              request->irq == expected[i][2] && request->complete == expected[i][3]);
    }
    CHECK(load.kicks[0].vq == 0 && load.kicks[0].requests == 1 && load.kicks[1].vq == 1 && load.kicks[1].requests == 2);
    loader_done(&load);

    /* the CPU list: ranges and single CPUs; anything else refused */
    CHECK(vq_cpu_list_parse("0,2-3", 5, queue_of) && queue_of[0] == 5 && queue_of[1] == 0 && queue_of[2] == 5 &&
          queue_of[3] == 5);
    CHECK(!vq_cpu_list_parse("0,", 1, queue_of) && !vq_cpu_list_parse("3-2", 1, queue_of) &&
          !vq_cpu_list_parse("64", 1, queue_of) && !vq_cpu_list_parse("1 2", 1, queue_of) &&
          !vq_cpu_list_parse("-1", 1, queue_of));

    write_file(directory, "guest.trace", "# queue-cpus: vda 0 0-x\n");
    loader_init(&load, directory);
    load.e2e = must(vq_e2e_new(true));
    CHECK(vq_collect_guest(&load, &error) == VQ_ERR_FORMAT &&
          strstr(error.message, "guest.trace:1: expected '# queue-cpus: DISK N CPULIST'"));
    loader_done(&load);
    remove_directory(directory);
}

/* ---- meta.json ---- */

static vq_status read_meta(const char *json, vq_session *session, vq_error *error)
{
    char *directory = make_directory();
    vq_status status;

    if (json) {
        write_file(directory, "meta.json", json);
    }
    *session = (vq_session){ 0 };
    vq_error_clear(error);
    status = vq_session_read_meta(session, directory, error);
    remove_directory(directory);
    while (session->warning_count) {   /* the schema's warnings: not what these checks read */
        free(session->warnings[--session->warning_count]);
    }
    free(session->warnings);
    session->warnings = NULL;
    return status;
}

static void test_meta(void)
{
    vq_session session;
    vq_error error;

    /* Nested objects use the same keys, and come first: only the top level counts. */
    CHECK(read_meta("{\"clocks\": {\"mode\": \"guest\", \"device\": \"x\"},\n \"device\": \"xblk\", \"mode\": "
                    "\"lab\", \"ioeventfd\": \"off\", \"delay_ns\": 200000}\n", &session, &error) == VQ_OK);
    CHECK(strcmp(session.mode, "lab") == 0 && strcmp(session.device, "xblk") == 0);
    CHECK(strcmp(session.ioeventfd, "off") == 0 && session.delay_ns == 200000);

    /* Not strings: as JSON writes them; absent: "?" and 0; too long: cut to the field. */
    CHECK(read_meta("{\"ioeventfd\": true, \"device\": null, \"mode\": \"0123456789abcdefXYZ\"}", &session,
                    &error) == VQ_OK);
    CHECK(strcmp(session.ioeventfd, "true") == 0 && strcmp(session.device, "null") == 0);
    CHECK(strcmp(session.mode, "0123456789abcde") == 0 && session.delay_ns == 0);
    CHECK(read_meta("{\"delay_ns\": \"5000\"}", &session, &error) == VQ_OK);
    CHECK(strcmp(session.device, "?") == 0 && session.delay_ns == 5000);

    /* Malformed: the file, line and column; the fields stay unknown. */
    CHECK(read_meta("{\"mode\": \"lab\",\n \"device\": }\n", &session, &error) == VQ_ERR_FORMAT);
    CHECK(strstr(error.message, "/meta.json:2:") != NULL && strstr(error.message, "not valid JSON") != NULL);
    CHECK(strcmp(session.mode, "?") == 0 && strcmp(session.device, "?") == 0);
    CHECK(read_meta("[1, 2]", &session, &error) == VQ_ERR_FORMAT);
    CHECK(strstr(error.message, "/meta.json: an array at the top level; expected an object") != NULL);
    CHECK(read_meta("", &session, &error) == VQ_ERR_FORMAT);
    CHECK(strstr(error.message, "/meta.json") != NULL && strstr(error.message, "not valid JSON") != NULL);

    /* Missing: an I/O error (the loader makes it a warning); the fields stay empty, as before meta.json
     * was read with a JSON library. */
    CHECK(read_meta(NULL, &session, &error) == VQ_ERR_IO);
    CHECK(strstr(error.message, "/meta.json: cannot open (No such file or directory)") != NULL);
    CHECK(session.mode[0] == '\0' && session.device[0] == '\0');
}

static void test_exit_reason_names(void)
{
    CHECK(strcmp(vq_exit_reason_name(2, 0x400), "NPF") == 0);
    CHECK(strcmp(vq_exit_reason_name(2, 0x45), "EXCEPTION") == 0);
    CHECK(strcmp(vq_exit_reason_name(1, 48), "EPT_VIOLATION") == 0);
    CHECK(strcmp(vq_exit_reason_name(1, 1), "EXTERNAL_INTERRUPT") == 0);
    CHECK(vq_exit_reason_name(1, 999) == NULL && vq_exit_reason_name(0, 0) == NULL);
}

/* The QEMU and probe passes' dispatch on event names (vq_kind_of): a name's kind resolved once per
 * address for a source with stable names, every time otherwise. */

static size_t resolves;

static int length_kind(const char *name)
{
    resolves++;
    return (int)strlen(name);
}

static void test_kind_cache(void)
{
    static char names[300][8];
    char copy[8];
    vq_kind_cache cache;
    size_t i, round, wrong = 0;

    for (i = 0; i < 300; i++) {
        snprintf(names[i], sizeof(names[i]), "%zu", i * 37);
    }
    vq_kind_reset(&cache, true);
    resolves = 0;
    for (round = 0; round < 3; round++) {
        for (i = 0; i < 40; i++) {
            wrong += vq_kind_of(&cache, names[i], length_kind) != (int)strlen(names[i]);
        }
    }
    CHECK(wrong == 0 && resolves == 40);   /* once per name */
    for (round = 0; round < 2; round++) {   /* more names than slots: the rest resolved each time, right */
        for (i = 0; i < 300; i++) {
            wrong += vq_kind_of(&cache, names[i], length_kind) != (int)strlen(names[i]);
        }
    }
    CHECK(wrong == 0 && cache.count < VQ_KIND_SLOTS);
    vq_kind_reset(&cache, false);   /* names at any address (a copy per event): no keeping */
    resolves = 0;
    for (i = 0; i < 10; i++) {
        snprintf(copy, sizeof(copy), "%s", i % 2 ? "ab" : "abcd");
        wrong += vq_kind_of(&cache, copy, length_kind) != (i % 2 ? 2 : 4);
    }
    CHECK(wrong == 0 && resolves == 10 && cache.count == 0);
}

int main(void)
{
    test_stitch_one_request();
    test_report_without_rows();
    test_stitch_batched_harvested_unmatched();
    test_stitch_negative_stage();
    test_stitch_holds();
    test_stitch_tcg();
    test_two_queues();
    test_stock_two_queues();
    test_meta();
    test_exit_reason_names();
    test_kind_cache();
    return check_summary("analysis_steps");
}
