// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the cost figures (analysis/src/cost.c) on a hand-made loader: the scheduler log the
 * probe pass builds from sched_switch / sched_wakeup events (a thread on a CPU since before the probes,
 * one still on at the end, a switch out whose switch in was lost, other processes' threads and
 * wakeups left out), then vq_summarize_cost: on-CPU time and wakeups clipped to the workload window by
 * thread class (vCPU from the thread table, main loop = the process id, IOThread = the thread of the
 * device's injections), VM exits and those to user space, one notify exit per kick however many rows
 * share it, the per-request figures; without KVM events (TCG) no vCPU or IOThread class; without a
 * probe stream nothing measured; the compare's exit table lists a reason only B has. Exit 0 when all pass.
 */
#include "loader.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define QEMU 100        /* the process id, and its main loop's thread id */
#define VCPU 101
#define IOTHREAD 102
#define WORKER 103
#define FOREIGN 200     /* a thread of another process */

static void *must(void *pointer)
{
    if (!pointer) {
        fprintf(stderr, "analysis_cost: out of memory\n");
        exit(1);
    }
    return pointer;
}

/* A sched_switch; WITH_RUNTIME: of a stream since 2026-12-03, the threads' CPU times riding on it. */
static vq_status switch_event(vq_loader *load, uint64_t ts, uint64_t prev, uint64_t prev_tgid, uint64_t prev_runtime,
                              uint64_t next, uint64_t next_tgid, uint64_t next_runtime, bool with_runtime)
{
    vq_arg args[] = {
        { .name = "prev_pid", .value = prev }, { .name = "next_pid", .value = next },
        { .name = "prev_state", .type = VQ_ARG_HEX }, { .name = "prev_tgid", .value = prev_tgid },
        { .name = "next_tgid", .value = next_tgid }, { .name = "prev_runtime_ns", .value = prev_runtime },
        { .name = "next_runtime_ns", .value = next_runtime },
    };
    vq_event event = { .timestamp_ns = ts, .name = "sched_switch", .pid = (uint32_t)prev,
                       .arg_count = with_runtime ? 7 : 5, .args = args };

    load->sched.last_ts = ts;
    return vq_sched_take(load, &event);
}

static vq_status sched_switch(vq_loader *load, uint64_t ts, uint64_t prev, uint64_t prev_tgid, uint64_t next,
                              uint64_t next_tgid)
{
    return switch_event(load, ts, prev, prev_tgid, 0, next, next_tgid, 0, false);
}

static vq_status sched_switch_runtime(vq_loader *load, uint64_t ts, uint64_t prev, uint64_t prev_tgid,
                                      uint64_t prev_runtime, uint64_t next, uint64_t next_tgid, uint64_t next_runtime)
{
    return switch_event(load, ts, prev, prev_tgid, prev_runtime, next, next_tgid, next_runtime, true);
}

static vq_status sched_wakeup(vq_loader *load, uint64_t ts, uint64_t woken, uint64_t woken_tgid)
{
    vq_arg args[] = {
        { .name = "woken_pid", .value = woken }, { .name = "target_cpu", .value = 0 },
        { .name = "woken_tgid", .value = woken_tgid },
    };
    vq_event event = { .timestamp_ns = ts, .name = "sched_wakeup", .pid = 0, .arg_count = 3, .args = args };

    load->sched.last_ts = ts;
    return vq_sched_take(load, &event);
}

static void add_exit(vq_loader *load, uint64_t ts, int64_t duration, bool userspace)
{
    vq_host_exit *exit_record = must(VQ_PUSH(load->exits, load->exit_count, load->exit_capacity));

    *exit_record = (vq_host_exit){ .ts = ts, .duration = duration, .userspace = userspace };
}

/* A stitched request, emitted as stitch.c emits one (the cost reads what emission kept of it). */
static void add_row(vq_session *session, uint64_t exit_host, int64_t notify_exit_ns, uint32_t block)
{
    vq_request_row row = { .exit_host = exit_host, .notify_exit_ns = notify_exit_ns, .hold_ns = -1, .block = block };

    CHECK(vq_session_emit(session, &row) == VQ_OK);
}

/* A KVM session of 4 requests, window [80, 900] on the host clock, stream from 10 to 1000; BLOCKS (NULL:
 * none) the A/B block of each request. */
static void build(vq_loader *load, bool kvm, const uint32_t *blocks)
{
    vq_session *session = must(calloc(1, sizeof(*session)));

    *load = (vq_loader){ .session = session, .directory = "cost" };
    load->sched.target_tgid = QEMU;
    /* kvm_exit (1), kvm_userspace_exit (3), sched_wakeup (13), sched_switch (14) recorded */
    load->sched.attached_mask = (1u << 1) | (1u << 3) | (1u << 13) | (1u << 14);
    load->sched.stream_start = load->sched.last_ts = 10;
    session->has_kvm = kvm;
    session->window_host_start = 80;
    session->window_host_end = 900;
    if (kvm) {
        load->threads[load->thread_count++] = (vq_thread_state){ .tid = VCPU, .vcpu = true };
        /* the device's interrupt, raised by the IOThread */
        *(vq_host_injection *)must(VQ_PUSH(load->injections, load->injection_count, load->injection_capacity)) =
            (vq_host_injection){ .ts = 350, .tid = IOTHREAD };
        load->device_injections = must(malloc(sizeof(*load->device_injections)));
        load->device_injections[0] = 0;
        load->device_injection_count = 1;
    }
    /* the worker was on a CPU since before the probes; off before the window */
    CHECK(sched_switch(load, 50, WORKER, QEMU, FOREIGN, FOREIGN) == VQ_OK);
    CHECK(sched_switch(load, 100, FOREIGN, FOREIGN, VCPU, QEMU) == VQ_OK);
    CHECK(sched_switch(load, 300, VCPU, QEMU, IOTHREAD, QEMU) == VQ_OK);
    CHECK(sched_wakeup(load, 350, QEMU, QEMU) == VQ_OK);
    CHECK(sched_wakeup(load, 360, FOREIGN, FOREIGN) == VQ_OK);     /* not QEMU's: left out */
    CHECK(sched_switch(load, 400, IOTHREAD, QEMU, QEMU, QEMU) == VQ_OK);
    /* a switch out of the vCPU, off already: its switch in was lost, nothing counted */
    CHECK(sched_switch(load, 450, VCPU, QEMU, FOREIGN, FOREIGN) == VQ_OK);
    CHECK(sched_wakeup(load, 950, IOTHREAD, QEMU) == VQ_OK);       /* after the window */
    load->sched.last_ts = 1000;
    vq_sched_finish(load);                                        /* the main loop: on until 1000 */
    add_exit(load, 150, 40, false);
    add_exit(load, 500, 60, true);
    add_exit(load, 920, 70, true);                                /* after the window */
    add_row(session, 150, 40, blocks ? blocks[0] : 0);
    add_row(session, 150, 40, blocks ? blocks[1] : 0);            /* one kick, two requests */
    add_row(session, 500, 60, blocks ? blocks[2] : 0);
    add_row(session, 0, -1, blocks ? blocks[3] : 0);              /* batched: no exit of its own */
}

static void done(vq_loader *load)
{
    vq_session *session = load->session;

    vq_loader_free(load);
    vq_session_free(session);
}

static void test_kvm(void)
{
    vq_loader load;
    const vq_cost *cost;
    vq_cost_per_request f;

    build(&load, true, NULL);
    CHECK(load.sched.slice_count == 4);   /* worker, vCPU, IOThread, main loop */
    CHECK(load.sched.slices[0].start == 10 && load.sched.slices[0].end == 50);
    CHECK(load.sched.wakeup_count == 2);
    CHECK(vq_summarize_cost(&load, NULL) == VQ_OK);
    cost = &load.session->cost;
    CHECK(cost->measured && cost->has_exits && cost->has_userspace && cost->classes_by_kvm);
    CHECK(cost->window_ns == 820 && cost->requests == 4);
    CHECK(cost->cpu_ns[VQ_THREAD_VCPU] == 200 && cost->cpu_ns[VQ_THREAD_IOTHREAD] == 100);
    CHECK(cost->cpu_ns[VQ_THREAD_MAIN_LOOP] == 500 && cost->cpu_ns[VQ_THREAD_OTHER] == 0);   /* 400..900 */
    CHECK(cost->threads[VQ_THREAD_VCPU] == 1 && cost->threads[VQ_THREAD_IOTHREAD] == 1);
    CHECK(cost->threads[VQ_THREAD_MAIN_LOOP] == 1 && cost->threads[VQ_THREAD_OTHER] == 0);
    CHECK(cost->wakeups[VQ_THREAD_MAIN_LOOP] == 1 && cost->wakeups[VQ_THREAD_IOTHREAD] == 0);
    CHECK(cost->exits == 2 && cost->exit_ns == 100 && cost->userspace_exits == 1 && cost->userspace_exit_ns == 60);
    CHECK(cost->notify_exit_count == 2 && cost->notify_exit_total_ns == 100);
    if (cost->notify_exit_count == 2) {
        CHECK(cost->notify_exits[0] == 40 && cost->notify_exits[1] == 60);
    }
    f = vq_cost_per_request_of(cost);
    CHECK(f.notify_exit_ns == 25 && f.exits == 0.5 && f.userspace_exits == 0.25 && f.exit_ns == 25);
    CHECK(f.cpu_ns[VQ_THREAD_VCPU] == 50 && f.cpu_ns[VQ_THREAD_CLASS_COUNT] == 200);
    CHECK(f.wakeups[VQ_THREAD_CLASS_COUNT] == 0.25);
    done(&load);
}

static void test_tcg(void)
{
    vq_loader load;
    const vq_cost *cost;
    vq_cost_per_request f;

    build(&load, false, NULL);
    CHECK(vq_summarize_cost(&load, NULL) == VQ_OK);
    cost = &load.session->cost;
    CHECK(cost->measured && !cost->has_exits && !cost->classes_by_kvm);
    /* the vCPU and the IOThread are not told apart: other */
    CHECK(cost->cpu_ns[VQ_THREAD_OTHER] == 300 && cost->cpu_ns[VQ_THREAD_MAIN_LOOP] == 500);
    CHECK(cost->threads[VQ_THREAD_OTHER] == 2);
    f = vq_cost_per_request_of(cost);
    CHECK(isnan(f.notify_exit_ns) && isnan(f.exits) && isnan(f.cpu_ns[VQ_THREAD_VCPU]));
    CHECK(isnan(f.cpu_ns[VQ_THREAD_IOTHREAD]) && f.cpu_ns[VQ_THREAD_CLASS_COUNT] == 200);
    done(&load);
}

/* Records that carry the CPU time, stamped with the tick's clock: a stretch counts the CPU time the
 * kernel accounted (not the clock's span), two records in one tick make a slice of no length that counts
 * whole inside the window, a record of another CPU stamped in the same tick but older (a lower CPU time)
 * counts nothing twice, and a window that cuts a slice takes its share. TCG: no vCPU class. */
static void test_runtimes(void)
{
    vq_session *session = must(calloc(1, sizeof(*session)));
    vq_loader load = { .session = session, .directory = "cost" };
    const vq_cost *cost;

    load.sched.target_tgid = QEMU;
    load.sched.attached_mask = (1u << 13) | (1u << 14);
    load.sched.stream_start = load.sched.last_ts = 10;
    session->window_host_start = 80;
    session->window_host_end = 900;
    /* the vCPU, on since before the probes: by the clock up to its first CPU time (outside the window) */
    CHECK(sched_switch_runtime(&load, 50, VCPU, QEMU, 1000, FOREIGN, FOREIGN, 0) == VQ_OK);
    CHECK(sched_switch_runtime(&load, 100, FOREIGN, FOREIGN, 0, VCPU, QEMU, 1000) == VQ_OK);
    /* 150 ns of CPU over 200 ns of clock (the rest was stolen from it) */
    CHECK(sched_switch_runtime(&load, 300, VCPU, QEMU, 1150, IOTHREAD, QEMU, 500) == VQ_OK);
    /* the IOThread's 30 ns inside one tick; then an older record of another CPU, same tick */
    CHECK(sched_switch_runtime(&load, 300, IOTHREAD, QEMU, 530, FOREIGN, FOREIGN, 0) == VQ_OK);
    CHECK(sched_switch_runtime(&load, 300, IOTHREAD, QEMU, 520, FOREIGN, FOREIGN, 0) == VQ_OK);
    /* the main loop: 100 ns of CPU over [800, 1000], the window ends at 900 */
    CHECK(sched_switch_runtime(&load, 800, FOREIGN, FOREIGN, 0, QEMU, QEMU, 7000) == VQ_OK);
    CHECK(sched_switch_runtime(&load, 1000, QEMU, QEMU, 7100, FOREIGN, FOREIGN, 0) == VQ_OK);
    vq_sched_finish(&load);
    add_row(session, 0, -1, 0);
    CHECK(load.sched.slice_count == 4);   /* the vCPU by the clock, then by CPU time, IOThread, main loop */
    CHECK(vq_summarize_cost(&load, NULL) == VQ_OK);
    cost = &session->cost;
    CHECK(cost->measured && !cost->classes_by_kvm);
    CHECK(cost->cpu_ns[VQ_THREAD_OTHER] == 180);       /* the vCPU's 150 and the IOThread's 30 */
    CHECK(cost->cpu_ns[VQ_THREAD_MAIN_LOOP] == 50);    /* half of [800, 1000] */
    done(&load);
}

static void test_not_measured(void)
{
    vq_loader load;

    build(&load, true, NULL);
    load.sched.attached_mask = 0;   /* no probe stream */
    CHECK(vq_summarize_cost(&load, NULL) == VQ_OK && !load.session->cost.measured);
    CHECK(isnan(vq_cost_per_request_of(&load.session->cost).cpu_ns[VQ_THREAD_CLASS_COUNT]));
    done(&load);
    build(&load, true, NULL);
    load.session->window_host_end = 0;   /* no window on the host clock */
    CHECK(vq_summarize_cost(&load, NULL) == VQ_OK && !load.session->cost.measured);
    done(&load);
}

/* One disk of an A/B session: its blocks 1 and 3 are the windows [80, 300] and [400, 900]; sums per
 * block add up to the whole, and a resample of the blocks sums what it drew. */
static void test_blocks(void)
{
    vq_loader load;
    vq_session *session;
    const vq_cost *cost;
    vq_cost sum;
    const size_t both[] = { 0, 1 }, second_twice[] = { 1, 1 };
    const uint32_t blocks[] = { 1, 1, 3, 3 };

    build(&load, true, blocks);
    session = load.session;
    session->part = 'A';
    session->blocks = must(calloc(3, sizeof(*session->blocks)));
    session->blocks[0] = (vq_block){ .seq = 1, .label = 'A' };
    session->blocks[1] = (vq_block){ .seq = 2, .label = 'B' };
    session->blocks[2] = (vq_block){ .seq = 3, .label = 'A' };
    session->block_count = 3;
    session->windows = must(calloc(2, sizeof(*session->windows)));
    session->windows[0] = (vq_window){ 80, 300 };
    session->windows[1] = (vq_window){ 400, 900 };
    session->window_count = 2;
    CHECK(vq_summarize_cost(&load, NULL) == VQ_OK);
    cost = &session->cost;
    CHECK(cost->window_ns == 720 && cost->block_count == 2);
    CHECK(cost->exits == 2 && cost->exit_ns == 100 && cost->wakeups[VQ_THREAD_MAIN_LOOP] == 0);   /* 350: between */
    CHECK(cost->cpu_ns[VQ_THREAD_VCPU] == 200 && cost->cpu_ns[VQ_THREAD_MAIN_LOOP] == 500);
    CHECK(cost->cpu_ns[VQ_THREAD_IOTHREAD] == 0);   /* on 300..400: between the blocks */
    if (cost->block_count != 2) {
        done(&load);
        return;
    }
    CHECK(cost->blocks[0].seq == 1 && cost->blocks[0].requests == 2 && cost->blocks[0].notify_exit_total_ns == 40);
    CHECK(cost->blocks[0].exits == 1 && cost->blocks[0].cpu_ns[VQ_THREAD_VCPU] == 200);
    CHECK(cost->blocks[1].seq == 3 && cost->blocks[1].requests == 2 && cost->blocks[1].notify_exit_total_ns == 60);
    CHECK(cost->blocks[1].userspace_exits == 1 && cost->blocks[1].cpu_ns[VQ_THREAD_MAIN_LOOP] == 500);
    sum = vq_cost_of_blocks(cost, both, 2);
    CHECK(sum.requests == 4 && sum.notify_exit_total_ns == 100 && sum.exits == 2 && sum.exit_ns == 100);
    CHECK(sum.cpu_ns[VQ_THREAD_VCPU] == 200 && sum.cpu_ns[VQ_THREAD_MAIN_LOOP] == 500 && sum.measured);
    sum = vq_cost_of_blocks(cost, second_twice, 2);
    CHECK(sum.requests == 4 && sum.notify_exit_total_ns == 120 && sum.userspace_exit_ns == 120);
    CHECK(sum.cpu_ns[VQ_THREAD_VCPU] == 0 && sum.cpu_ns[VQ_THREAD_MAIN_LOOP] == 1000 && !sum.blocks);
    done(&load);
}

/*
 * The compare's exit table lists every reason either side had: one that only B's session has (here NPF,
 * as ioeventfd off adds exits that on has not) must not be left out because A's first session lacks it.
 */
static void test_compare_exit_reasons(void)
{
    vq_exit_reason exits_a[] = { { .isa = 2, .reason = 0x7b, .total = 10, .in_window = 10 } };
    vq_exit_reason exits_b[] = { { .isa = 2, .reason = 0x7b, .total = 5, .in_window = 5 },
                                 { .isa = 2, .reason = 0x400, .total = 7, .in_window = 7 } };
    vq_request_row rows[2] = { { .id = 1 }, { .id = 2 } };
    vq_session a = { .directory = "a", .rows = rows, .row_count = 2, .exits = exits_a, .exit_reason_count = 1,
                     .emitted = { .stitched = 2 } };
    vq_session b = { .directory = "b", .rows = rows, .row_count = 2, .exits = exits_b, .exit_reason_count = 2,
                     .emitted = { .stitched = 2 } };
    const vq_session *side_a[] = { &a }, *side_b[] = { &b };
    vq_report_options options = { .resamples = 10, .seed = 1 };
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    CHECK(out && vq_report_compare(out, &(vq_side){ side_a, 1 }, &(vq_side){ side_b, 1 }, VQ_FORMAT_JSON,
                                   &options) == VQ_OK);
    fclose(out);
    CHECK(text && strstr(text, "{\"reason\": \"IOIO\", \"a\": 5.0, \"b\": 2.5}"));
    CHECK(text && strstr(text, "{\"reason\": \"NPF\", \"a\": 0.0, \"b\": 3.5}"));
    if (text && !strstr(text, "NPF")) {
        fprintf(stderr, "%s\n", text);
    }
    free(text);
}

int main(void)
{
    test_compare_exit_reasons();
    test_blocks();
    test_kvm();
    test_tcg();
    test_runtimes();
    test_not_measured();
    return check_summary("analysis_cost");
}
