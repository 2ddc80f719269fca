// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The collectors read in steps (analysis/src/loader.h, pass.c): on a session directory, each pass run in
 * steps up to random limits must take exactly the events stamped up to each limit (every record it made
 * is at or before the limit, the event it holds after it) and end with the records, warnings and figures
 * of the pass run to its end in one step. The passes run in the batch load's order (guest, QEMU,
 * probe), each from its first to its last event's time in about STEPS steps, some of them empty (a limit
 * before the held event, the same limit twice). On xblk sessions, the records as windows: the guest and
 * QEMU passes releasing each record a second after it is final end with the batch's records; and the
 * streaming id-bound pass (id_bounds.c) gives the batch's id bounds, largest bound and per-CPU lines.
 *
 *   analysis_passes [SESSION...]   (default: tests/fixtures/analysis/session-lab; `make test` also runs
 *                                   it on every session the recording tests make, tests/lib/record.sh)
 */
#include "check.h"
#include "stream_align.h"
#include "session_dir.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define STEPS 150

static void *must(void *pointer)
{
    if (!pointer) {
        fprintf(stderr, "analysis_passes: out of memory\n");
        exit(1);
    }
    return pointer;
}

/* As vq_session_load sets it up: meta.json's device says whether the block layer's events are the
 * requests (stock virtio-blk). */
static void loader_init(vq_loader *load, const char *directory)
{
    vq_error error;

    *load = (vq_loader){ .session = must(calloc(1, sizeof(vq_session))), .directory = directory };
    vq_error_clear(&error);
    if (vq_session_read_meta(load->session, directory, &error) != VQ_OK) {
        printf("  (no metadata: %s)\n", error.message);
    }
    load->stock_device = strcmp(load->session->device, "xblk") != 0 && strcmp(load->session->device, "demo") != 0;
    load->e2e = must(vq_e2e_new(load->stock_device));
}

static void loader_done(vq_loader *load)
{
    vq_session *session = load->session;

    vq_loader_free(load);
    vq_session_free(session);
}

/* ---- what a pass made by one limit: every record's times at or before it ---- */

static bool at_or_before(uint64_t ts, uint64_t limit)
{
    return ts <= limit;
}

static bool guest_within(const vq_loader *load, uint64_t limit)
{
    size_t i;

    for (i = 0; i < load->request_count; i++) {
        if (!at_or_before(load->requests[i].submit, limit) || !at_or_before(load->requests[i].complete, limit)) {
            return false;
        }
    }
    for (i = 0; i < load->kick_count; i++) {
        if (!at_or_before(load->kicks[i].ts, limit)) {
            return false;
        }
    }
    for (i = 0; i < load->irq_count; i++) {
        if (!at_or_before(load->irqs[i].ts, limit)) {
            return false;
        }
    }
    return true;
}

static bool qemu_within(const vq_loader *load, uint64_t limit)
{
    size_t i;

    for (i = 0; i < load->handler_count; i++) {
        if (!at_or_before(load->handlers[i].ts, limit)) {
            return false;
        }
    }
    for (i = 0; i < load->device_notify_count; i++) {
        if (!at_or_before(load->device_notifies[i].ts, limit)) {
            return false;
        }
    }
    for (i = 0; i < load->qemu_request_count; i++) {
        if (!at_or_before(load->qemu_requests[i].begin, limit) || !at_or_before(load->qemu_requests[i].end, limit)) {
            return false;
        }
    }
    return true;
}

static bool probe_within(const vq_loader *load, uint64_t limit)
{
    size_t i;

    for (i = 0; i < load->exit_count; i++) {
        const vq_host_exit *exit_record = &load->exits[i];

        if (!at_or_before(exit_record->ts, limit) ||
            (exit_record->duration >= 0 && !at_or_before(exit_record->ts + (uint64_t)exit_record->duration, limit))) {
            return false;
        }
    }
    for (i = 0; i < load->notify_count; i++) {
        if (!at_or_before(load->notifies[i].mmio_ts, limit) || !at_or_before(load->notifies[i].signal_ts, limit)) {
            return false;
        }
    }
    for (i = 0; i < load->injection_count; i++) {
        if (!at_or_before(load->injections[i].ts, limit)) {
            return false;
        }
    }
    for (i = 0; i < load->virq_count; i++) {
        if (!at_or_before(load->virqs[i].ts, limit)) {
            return false;
        }
    }
    for (i = 0; i < load->sched.wakeup_count; i++) {
        if (!at_or_before(load->sched.wakeups[i].ts, limit)) {
            return false;
        }
    }
    for (i = 0; i < load->sched.slice_count; i++) {
        const vq_cpu_slice *slice = &load->sched.slices[i];

        /* a stretch before the stream's start (the scheduler's records are stamped by the tick, up to a
         * jiffy early) is an empty slice at the start (cost.c): its end is not an event's time */
        if (!at_or_before(slice->end, limit) &&
            !(slice->end == slice->start && slice->start == load->sched.stream_start)) {
            return false;
        }
    }
    return true;
}

/* ---- the batch load's records and the stepped one's, field by field (the records have padding) ---- */

#define SAME(field) (a->field == b->field)

static bool same_requests(const vq_loader *x, const vq_loader *y)
{
    size_t i;

    if (x->request_count != y->request_count) {
        return false;
    }
    for (i = 0; i < x->request_count; i++) {
        const vq_guest_request *a = &x->requests[i], *b = &y->requests[i];

        if (!(SAME(id) && SAME(vq) && SAME(cpu) && SAME(complete_cpu) && SAME(sectors) && SAME(submit) &&
              SAME(complete) && SAME(kick) && SAME(irq) && SAME(sector) && SAME(next_same) && SAME(write) &&
              SAME(kick_held) && SAME(kick_hold_start) && SAME(kick_hold_end))) {
            return false;
        }
    }
    return true;
}

static bool same_guest(const vq_loader *x, const vq_loader *y)
{
    size_t i;

    if (!same_requests(x, y) || x->kick_count != y->kick_count || x->irq_count != y->irq_count ||
        x->block_count != y->block_count || x->bar_count != y->bar_count ||
        x->guest_pair_count != y->guest_pair_count || x->guest_cpu_pair_count != y->guest_cpu_pair_count ||
        x->stock != y->stock || x->stock_ids != y->stock_ids || x->driver_queue_count != y->driver_queue_count) {
        return false;
    }
    for (i = 0; i < x->kick_count; i++) {
        const vq_guest_kick *a = &x->kicks[i], *b = &y->kicks[i];

        if (!(SAME(ts) && SAME(id_last) && SAME(vq) && SAME(cpu) && SAME(requests) && SAME(notified) &&
              SAME(last_hold_end) && SAME(notify))) {
            return false;
        }
    }
    for (i = 0; i < x->irq_count; i++) {
        const vq_guest_irq *a = &x->irqs[i], *b = &y->irqs[i];

        if (!(SAME(ts) && SAME(vq) && SAME(cpu) && SAME(injection))) {
            return false;
        }
    }
    for (i = 0; i < x->block_count; i++) {
        const vq_block *a = &x->blocks[i], *b = &y->blocks[i];

        if (!(SAME(seq) && SAME(label) && SAME(guest_begin) && SAME(guest_end))) {
            return false;
        }
    }
    for (i = 0; i < x->bar_count; i++) {
        const vq_guest_bar *a = &x->bars[i], *b = &y->bars[i];

        if (!(SAME(start) && SAME(end) && SAME(bar) && strcmp(a->pci, b->pci) == 0)) {
            return false;
        }
    }
    for (i = 0; i < x->guest_pair_count; i++) {
        const vq_clock_pair *a = &x->guest_pairs[i], *b = &y->guest_pairs[i];

        if (!(SAME(tsc) && SAME(mono_ns) && SAME(bracket) && SAME(cpu))) {
            return false;
        }
    }
    return memcmp(x->driver_completed, y->driver_completed, sizeof(x->driver_completed)) == 0;
}

static bool same_marks(const vq_qemu_mark *x, const vq_qemu_mark *y, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        const vq_qemu_mark *a = &x[i], *b = &y[i];

        if (!(SAME(ts) && SAME(vdev) && SAME(vq) && SAME(queue))) {
            return false;
        }
    }
    return true;
}

static bool same_qemu(const vq_loader *x, const vq_loader *y)
{
    size_t i;

    if (x->handler_count != y->handler_count || x->device_notify_count != y->device_notify_count ||
        x->qemu_request_count != y->qemu_request_count || x->notify_hold_count != y->notify_hold_count ||
        x->xblk_vdev != y->xblk_vdev || x->stock_unmatched_qemu != y->stock_unmatched_qemu ||
        strcmp(x->session->qemu_trace, y->session->qemu_trace) != 0 ||
        !same_marks(x->handlers, y->handlers, x->handler_count) ||
        !same_marks(x->device_notifies, y->device_notifies, x->device_notify_count)) {
        return false;
    }
    for (i = 0; i < x->qemu_request_count; i++) {
        const vq_qemu_request *a = &x->qemu_requests[i], *b = &y->qemu_requests[i];

        if (!(SAME(id) && SAME(vdev) && SAME(begin) && SAME(end) && SAME(vq) && SAME(serve_hold_ns))) {
            return false;
        }
    }
    for (i = 0; i < x->notify_hold_count; i++) {
        const vq_notify_hold *a = &x->notify_holds[i], *b = &y->notify_holds[i];

        if (!(SAME(start) && SAME(end) && SAME(vq))) {
            return false;
        }
    }
    return true;
}

static bool same_probe(const vq_loader *x, const vq_loader *y)
{
    size_t i;

    if (x->exit_count != y->exit_count || x->notify_count != y->notify_count ||
        x->injection_count != y->injection_count || x->virq_count != y->virq_count ||
        x->thread_count != y->thread_count || x->sched.slice_count != y->sched.slice_count ||
        x->sched.wakeup_count != y->sched.wakeup_count || x->sched.last_ts != y->sched.last_ts ||
        x->session->has_kvm != y->session->has_kvm || x->session->probe_drops != y->session->probe_drops) {
        return false;
    }
    for (i = 0; i < x->exit_count; i++) {
        const vq_host_exit *a = &x->exits[i], *b = &y->exits[i];

        if (!(SAME(ts) && SAME(isa) && SAME(reason) && SAME(duration) && SAME(userspace))) {
            return false;
        }
    }
    for (i = 0; i < x->notify_count; i++) {
        const vq_host_notify *a = &x->notifies[i], *b = &y->notifies[i];

        if (!(SAME(exit_ts) && SAME(mmio_ts) && SAME(signal_ts) && SAME(gpa) && SAME(tid) && SAME(queue) &&
              SAME(kick) && SAME(exit))) {
            return false;
        }
    }
    for (i = 0; i < x->injection_count; i++) {
        const vq_host_injection *a = &x->injections[i], *b = &y->injections[i];

        if (!(SAME(ts) && SAME(vector) && SAME(tid))) {
            return false;
        }
    }
    for (i = 0; i < x->virq_count; i++) {
        const vq_host_virq *a = &x->virqs[i], *b = &y->virqs[i];

        if (!(SAME(ts) && SAME(vector))) {
            return false;
        }
    }
    for (i = 0; i < x->sched.slice_count; i++) {
        const vq_cpu_slice *a = &x->sched.slices[i], *b = &y->sched.slices[i];

        if (!(SAME(start) && SAME(end) && SAME(cpu_ns) && SAME(tid))) {
            return false;
        }
    }
    for (i = 0; i < x->sched.wakeup_count; i++) {
        const vq_wakeup *a = &x->sched.wakeups[i], *b = &y->sched.wakeups[i];

        if (!(SAME(ts) && SAME(tid))) {
            return false;
        }
    }
    return true;
}

static bool same_warnings(const vq_session *x, const vq_session *y)
{
    size_t i;

    if (x->warning_count != y->warning_count) {
        return false;
    }
    for (i = 0; i < x->warning_count; i++) {
        if (strcmp(x->warnings[i], y->warnings[i]) != 0) {
            fprintf(stderr, "  warning %zu: '%s' / '%s'\n", i, x->warnings[i], y->warnings[i]);
            return false;
        }
    }
    return true;
}

/* ---- the records as windows: released as soon as final, the same records in the end ---- */

#define MARGIN_NS 1000000000ULL   /* a record is final once the pass is a second past it */

typedef struct {
    vq_guest_request *requests;
    vq_guest_kick *kicks;
    vq_guest_irq *irqs;
    vq_qemu_request *qemu_requests;
    vq_qemu_mark *handlers, *device_notifies;
    vq_host_exit *exits;
    vq_host_notify *notifies;
    vq_host_injection *injections;
    vq_host_virq *virqs;
    size_t request_count, kick_count, irq_count, qemu_request_count, handler_count, device_notify_count;
    size_t request_capacity, kick_capacity, irq_capacity, qemu_request_capacity, handler_capacity,
        device_notify_capacity;
    size_t exit_count, notify_count, injection_count, virq_count;
    size_t exit_capacity, notify_capacity, injection_capacity, virq_capacity;
} archive;

#define KEEP(array, count, capacity, from, n)                                      \
    do {                                                                           \
        size_t k_;                                                                 \
        for (k_ = 0; k_ < (n); k_++) {                                             \
            *(typeof(array))must(VQ_PUSH(array, count, capacity)) = (from)[k_];    \
        }                                                                          \
    } while (0)

/* The probe pass's final prefixes: exits whose entry came (a timeout is no rule: an idle vCPU stays in
 * an exit for seconds, test 76's lab session), doorbell writes, injections and virqs a margin old. */
static void release_probe(vq_loader *load, archive *saved, uint64_t before)
{
    size_t exits = 0, notifies = 0, injections = 0, virqs = 0;

    while (exits < load->exit_count && load->exits[exits].duration >= 0 && load->exits[exits].ts < before) {
        exits++;
    }
    while (notifies < load->notify_count && load->notifies[notifies].mmio_ts < before) {
        notifies++;
    }
    while (injections < load->injection_count && load->injections[injections].ts < before) {
        injections++;
    }
    while (virqs < load->virq_count && load->virqs[virqs].ts < before) {
        virqs++;
    }
    KEEP(saved->exits, saved->exit_count, saved->exit_capacity, load->exits, exits);
    KEEP(saved->notifies, saved->notify_count, saved->notify_capacity, load->notifies, notifies);
    KEEP(saved->injections, saved->injection_count, saved->injection_capacity, load->injections, injections);
    KEEP(saved->virqs, saved->virq_count, saved->virq_capacity, load->virqs, virqs);
    vq_loader_release_probe(load, load->exit_base + exits, load->notify_base + notifies,
                            load->injection_base + injections, load->virq_base + virqs);
}

/* Releases the final prefix of each window of OPS's pass up to LIMIT, keeping a copy in SAVED. */
static bool release_final(vq_loader *load, archive *saved, uint64_t limit, const vq_pass_ops *ops)
{
    size_t n = 0, kicks = 0, irqs = 0, handlers = 0, notifies = 0;
    uint64_t before = limit > MARGIN_NS ? limit - MARGIN_NS : 0;

    if (ops == &vq_probe_pass) {
        release_probe(load, saved, before);
        return true;
    }
    if (ops == &vq_guest_pass) {
        while (n < load->request_count && load->requests[n].complete && load->requests[n].complete < before &&
               load->requests[n].kick != VQ_NO_INDEX) {
            n++;
        }
        while (kicks < load->kick_count && load->kicks[kicks].ts < before) {
            kicks++;
        }
        while (irqs < load->irq_count && load->irqs[irqs].ts < before) {
            irqs++;
        }
        KEEP(saved->requests, saved->request_count, saved->request_capacity, load->requests, n);
        KEEP(saved->kicks, saved->kick_count, saved->kick_capacity, load->kicks, kicks);
        KEEP(saved->irqs, saved->irq_count, saved->irq_capacity, load->irqs, irqs);
        return vq_loader_release_guest(load, load->request_base + n, load->kick_base + kicks, load->irq_base + irqs);
    }
    while (n < load->qemu_request_count && load->qemu_requests[n].end && load->qemu_requests[n].end < before) {
        n++;
    }
    while (handlers < load->handler_count && load->handlers[handlers].ts < before) {
        handlers++;
    }
    while (notifies < load->device_notify_count && load->device_notifies[notifies].ts < before) {
        notifies++;
    }
    KEEP(saved->qemu_requests, saved->qemu_request_count, saved->qemu_request_capacity, load->qemu_requests, n);
    KEEP(saved->handlers, saved->handler_count, saved->handler_capacity, load->handlers, handlers);
    KEEP(saved->device_notifies, saved->device_notify_count, saved->device_notify_capacity, load->device_notifies,
         notifies);
    return vq_loader_release_qemu(load, load->qemu_request_base + n, load->handler_base + handlers,
                                  load->device_notify_base + notifies);
}

/* Runs PASS on LOAD in steps of STEP ns, releasing what is final after each; the largest window seen. */
static size_t windowed_pass(vq_loader *load, const vq_pass_ops *ops, archive *saved, uint64_t first, uint64_t step)
{
    vq_pass *pass;
    vq_error error;
    vq_status status;
    uint64_t limit = first;
    size_t most = 0, window;
    bool guest = ops == &vq_guest_pass;

    vq_error_clear(&error);
    status = vq_pass_open(load, ops, &pass, &error);
    CHECK(status == VQ_OK);
    if (status != VQ_OK) {
        fprintf(stderr, "  %s pass: %s\n", ops->name, error.message);
        return 0;
    }
    status = vq_pass_until(pass, 0, &error);   /* from the first record, or the first event when none */
    if (status == VQ_OK && (limit == 0 || vq_pass_next(pass) > limit)) {
        limit = vq_pass_next(pass);
    }
    while (status == VQ_OK && (status = vq_pass_until(pass, limit, &error)) == VQ_OK) {
        window = guest ? load->request_count : ops == &vq_qemu_pass ? load->qemu_request_count : load->exit_count;
        most = window > most ? window : most;
        CHECK(release_final(load, saved, limit, ops));
        limit += step;
    }
    window = guest ? load->request_count : ops == &vq_qemu_pass ? load->qemu_request_count : load->exit_count;
    most = window > most ? window : most;
    CHECK(status == VQ_END && vq_pass_finish(pass, &error) == VQ_OK);
    vq_pass_close(pass);
    return most;
}

/* The guest and QEMU passes with their records as windows (xblk: stock virtio-blk's cannot be): released
 * as they become final, they are the batch load's records, and the window stays a few seconds' worth. */
static void test_windows(const char *directory, const vq_loader *batch, uint64_t guest_first, uint64_t qemu_first,
                         uint64_t probe_first)
{
    vq_loader load;
    archive saved = { 0 };
    size_t guest_most, qemu_most, exits_most, n;

    loader_init(&load, directory);
    guest_most = windowed_pass(&load, &vq_guest_pass, &saved, guest_first, 100000000);
    qemu_most = windowed_pass(&load, &vq_qemu_pass, &saved, qemu_first, 100000000);
    exits_most = windowed_pass(&load, &vq_probe_pass, &saved, probe_first, 100000000);
    KEEP(saved.exits, saved.exit_count, saved.exit_capacity, load.exits, load.exit_count);
    KEEP(saved.notifies, saved.notify_count, saved.notify_capacity, load.notifies, load.notify_count);
    KEEP(saved.injections, saved.injection_count, saved.injection_capacity, load.injections, load.injection_count);
    KEEP(saved.virqs, saved.virq_count, saved.virq_capacity, load.virqs, load.virq_count);
    KEEP(saved.requests, saved.request_count, saved.request_capacity, load.requests, load.request_count);
    KEEP(saved.kicks, saved.kick_count, saved.kick_capacity, load.kicks, load.kick_count);
    KEEP(saved.irqs, saved.irq_count, saved.irq_capacity, load.irqs, load.irq_count);
    KEEP(saved.qemu_requests, saved.qemu_request_count, saved.qemu_request_capacity, load.qemu_requests,
         load.qemu_request_count);
    KEEP(saved.handlers, saved.handler_count, saved.handler_capacity, load.handlers, load.handler_count);
    KEEP(saved.device_notifies, saved.device_notify_count, saved.device_notify_capacity, load.device_notifies,
         load.device_notify_count);
    n = batch->request_count;
    CHECK(load.released_late == 0);
    CHECK(saved.request_count == n && saved.kick_count == batch->kick_count && saved.irq_count == batch->irq_count);
    CHECK(saved.qemu_request_count == batch->qemu_request_count && saved.handler_count == batch->handler_count &&
          saved.device_notify_count == batch->device_notify_count);
    if (saved.request_count == n && saved.kick_count == batch->kick_count && saved.irq_count == batch->irq_count &&
        saved.qemu_request_count == batch->qemu_request_count && saved.handler_count == batch->handler_count &&
        saved.device_notify_count == batch->device_notify_count) {
        vq_loader whole = *batch;   /* the batch's arrays under the archive's counts: same_* compare fields */

        whole.requests = saved.requests;
        whole.kicks = saved.kicks;
        whole.irqs = saved.irqs;
        CHECK(same_guest(batch, &whole));   /* requests, kicks, irqs */
        whole.qemu_requests = saved.qemu_requests;
        whole.handlers = saved.handlers;
        whole.device_notifies = saved.device_notifies;
        CHECK(same_qemu(batch, &whole));
    }
    CHECK(saved.exit_count == batch->exit_count && saved.notify_count == batch->notify_count &&
          saved.injection_count == batch->injection_count && saved.virq_count == batch->virq_count);
    if (saved.exit_count == batch->exit_count && saved.notify_count == batch->notify_count &&
        saved.injection_count == batch->injection_count && saved.virq_count == batch->virq_count) {
        vq_loader whole = *batch;

        whole.exits = saved.exits;
        whole.notifies = saved.notifies;
        whole.injections = saved.injections;
        whole.virqs = saved.virqs;
        CHECK(same_probe(batch, &whole));   /* exits, doorbell writes, injections, virqs */
    }
    printf("  windows: at most %zu guest and %zu QEMU requests and %zu exits held of %zu requests and %zu exits "
           "(released as final)\n", guest_most, qemu_most, exits_most, n, batch->exit_count);
    free(saved.requests);
    free(saved.kicks);
    free(saved.irqs);
    free(saved.qemu_requests);
    free(saved.handlers);
    free(saved.device_notifies);
    free(saved.exits);
    free(saved.notifies);
    free(saved.injections);
    free(saved.virqs);
    loader_done(&load);
}

/* ---- the streaming id-bound pass against the batch load's id bounds ---- */

static bool same_line(const vq_bound_line *a, const vq_bound_line *b)
{
    return a->usable == b->usable && (!a->usable || (a->at_guest_ns == b->at_guest_ns && a->slope == b->slope &&
                                                     a->value == b->value));
}

/* BATCH: the session's batch load (its passes run); its id bounds as vq_align_clocks makes them, and the
 * lines fitted to them, against the streaming pass's (hulls). */
static void test_id_bounds(const char *directory, vq_loader *batch)
{
    vq_loader load;
    vq_id_bounds stream;
    vq_constraint *bounds = must(malloc((batch->request_count + 1) * sizeof(*bounds)));
    size_t n = 0, i, c, cpus = 0, same_lines = 0;
    int64_t largest = 0;
    vq_error error;
    vq_status status;

    vq_error_clear(&error);
    CHECK(vq_keep_device_events(batch, &error) == VQ_OK);   /* as the load does before the alignment */
    for (i = 0; i < batch->request_count; i++) {
        const vq_guest_request *request = &batch->requests[i];
        size_t q = vq_id_map_get(&batch->qemu_ids, request->id);

        if (request->complete && q != VQ_NO_INDEX && batch->qemu_requests[q].end) {
            bounds[n] = (vq_constraint){ .guest_ns = request->complete, .upper = false,
                                         .value = (int64_t)(batch->qemu_requests[q].end - request->complete),
                                         .cpu = request->complete_cpu };
            largest = !n || bounds[n].value > largest ? bounds[n].value : largest;
            n++;
        }
    }
    loader_init(&load, directory);
    vq_e2e_free(load.e2e);
    load.e2e = NULL;
    status = vq_id_bounds_stream(&load, &stream, NULL, &error);
    CHECK(status == VQ_OK);
    if (status != VQ_OK) {
        fprintf(stderr, "  id bounds: %s\n", error.message);
    } else {
        vq_bound_line whole = vq_bound_line_fit(bounds, n, true, VQ_ANY_CPU);
        vq_bound_line streamed = vq_bound_line_from_hull(&stream.all);

        CHECK(stream.bounds == n && (!n || stream.largest == largest) && stream.released_late == 0);
        CHECK(same_line(&whole, &streamed));
        for (c = 0; c < VQ_GUEST_MAX_CPUS; c++) {
            vq_bound_line one = vq_bound_line_fit(bounds, n, true, (uint32_t)c);

            if (one.usable || stream.cpu[c].bounds) {
                streamed = vq_bound_line_from_hull(&stream.cpu[c]);
                cpus++;
                same_lines += same_line(&one, &streamed);
            }
        }
        CHECK(same_lines == cpus);
        printf("  id bounds streamed: %" PRIu64 " (batch %zu), %zu CPUs' lines the same of %zu; at most %zu guest "
               "and %zu QEMU requests held, %" PRIu64 " steps, %" PRIu64 " released unjoined\n", stream.bounds, n,
               same_lines, cpus, stream.most_requests, stream.most_qemu_requests, stream.steps, stream.given_up);
    }
    vq_id_bounds_free(&stream);
    loader_done(&load);
    free(bounds);
}

/* ---- one pass in steps ---- */

typedef struct {
    const vq_pass_ops *ops;
    bool (*within)(const vq_loader *load, uint64_t limit);
    uint64_t first, last;       /* the span of the batch load's records */
} pass_case;

/* Runs CASE's pass on LOAD in about STEPS steps over its span: the status of its first failure (ERROR
 * set), else VQ_OK. */
static vq_status step_pass(vq_loader *load, const pass_case *test, unsigned long long *seed, vq_error *error)
{
    vq_pass *pass;
    vq_status status;
    uint64_t span = test->last > test->first ? test->last - test->first : 1;
    /* from just before the first record; a pass without records (no probe stream) in one step */
    uint64_t limit = test->last == 0 ? UINT64_MAX : test->first > 1000 ? test->first - 1000 : 0;
    uint64_t previous_limit = 0;
    size_t steps = 0, empty_steps = 0, held = 0;

    status = vq_pass_open(load, test->ops, &pass, error);
    if (status != VQ_OK) {
        return status;
    }
    for (;;) {
        size_t before = load->request_count + load->handler_count + load->exit_count;

        status = vq_pass_until(pass, limit, error);
        steps++;
        if (status != VQ_OK) {
            break;
        }
        held++;
        CHECK(test->within(load, limit));              /* nothing after the limit taken */
        CHECK(vq_pass_next(pass) > limit);             /* and the event waiting is after it */
        if (load->request_count + load->handler_count + load->exit_count == before) {
            empty_steps++;
        }
        previous_limit = limit;
        switch (check_random(seed) % 8) {
        case 0:   /* the same limit again: takes nothing */
            break;
        case 1:   /* just before the event waiting: nothing either */
            limit = vq_pass_next(pass) - 1;
            break;
        case 2:   /* exactly the event waiting */
            limit = vq_pass_next(pass);
            break;
        default:
            limit += 1 + check_random(seed) % (2 * span / STEPS + 1);
            break;
        }
        if (limit < previous_limit) {
            limit = previous_limit;
        }
        if (limit > test->last) {   /* past the last record: the rest in one step */
            limit = UINT64_MAX;
        }
    }
    if (status == VQ_END) {
        CHECK(vq_pass_until(pass, limit, error) == VQ_END);   /* ended stays ended */
        status = vq_pass_finish(pass, error);
    }
    printf("  %s pass: %zu steps (%zu stopped at their limit, %zu took no record)\n", test->ops->name, steps, held,
           empty_steps);
    vq_pass_close(pass);
    return status;
}

static void span_of(uint64_t *first, uint64_t *last, uint64_t ts)
{
    if (ts && ts < *first) {
        *first = ts;
    }
    if (ts > *last) {
        *last = ts;
    }
}

static void test_session(const char *directory, unsigned long long seed)
{
    vq_loader batch, stepped;
    vq_error batch_error, stepped_error;
    vq_status batch_status, stepped_status = VQ_OK;
    pass_case cases[3] = {
        { &vq_guest_pass, guest_within, UINT64_MAX, 0 },
        { &vq_qemu_pass, qemu_within, UINT64_MAX, 0 },
        { &vq_probe_pass, probe_within, UINT64_MAX, 0 },
    };
    size_t i;

    printf("%s\n", directory);
    loader_init(&batch, directory);
    loader_init(&stepped, directory);
    vq_error_clear(&batch_error);
    vq_error_clear(&stepped_error);
    batch_status = vq_collect_guest(&batch, &batch_error);
    if (batch_status == VQ_OK) {
        batch_status = vq_collect_qemu(&batch, &batch_error);
    }
    if (batch_status == VQ_OK) {
        batch_status = vq_collect_probe(&batch, &batch_error);
    }
    for (i = 0; i < batch.request_count; i++) {
        span_of(&cases[0].first, &cases[0].last, batch.requests[i].submit);
        span_of(&cases[0].first, &cases[0].last, batch.requests[i].complete);
    }
    for (i = 0; i < batch.handler_count; i++) {
        span_of(&cases[1].first, &cases[1].last, batch.handlers[i].ts);
    }
    for (i = 0; i < batch.qemu_request_count; i++) {
        span_of(&cases[1].first, &cases[1].last, batch.qemu_requests[i].end);
    }
    for (i = 0; i < batch.exit_count; i++) {
        span_of(&cases[2].first, &cases[2].last, batch.exits[i].ts);
    }
    for (i = 0; i < 3 && stepped_status == VQ_OK; i++) {
        if (cases[i].first == UINT64_MAX) {   /* no record (no probe stream, a failed pass): one step */
            cases[i].first = cases[i].last = 0;
        }
        stepped_status = step_pass(&stepped, &cases[i], &seed, &stepped_error);
    }
    /* a session the analyzer refuses: the same error, step by step */
    CHECK(stepped_status == batch_status);
    CHECK(strcmp(stepped_error.message, batch_error.message) == 0);
    if (batch_status != VQ_OK) {
        printf("  refused (both ways): %s\n", batch_error.message);
    } else {
        CHECK(batch.request_count > 0);   /* a session with requests: the steps had something to cut */
        CHECK(same_guest(&batch, &stepped));
        CHECK(same_qemu(&batch, &stepped));
        CHECK(same_probe(&batch, &stepped));
        CHECK(same_warnings(batch.session, stepped.session));
        printf("  %zu requests, %zu kicks, %zu handler runs, %zu exits, %zu warnings\n", batch.request_count,
               batch.kick_count, batch.handler_count, batch.exit_count, batch.session->warning_count);
        if (!batch.stock) {
            test_windows(directory, &batch, cases[0].first, cases[1].first, cases[2].first);
            test_id_bounds(directory, &batch);   /* last: it filters the batch's QEMU records */
        }
    }
    loader_done(&batch);
    loader_done(&stepped);
}

int main(int argc, char **argv)
{
    unsigned long long seed = 0x5eed5eedULL;
    int i;

    if (argc < 2) {
        test_session("tests/fixtures/analysis/session-lab", seed);
    }
    for (i = 1; i < argc; i++) {
        test_session(argv[i], seed + (unsigned long long)i);
    }
    return check_summary("analysis_passes");
}
