// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cost figures (cost.h): the scheduler log of the probe pass (each stretch a QEMU thread spent on a
 * CPU, each wakeup), then, once the rows and the workload window are known, the notify exits, the VM
 * exits and the CPU time and wakeups by thread class over that window.
 */
#include "loader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The probe stream's record types whose bit in the header's attached_mask says they were recorded. */
#define RECORD_KVM_USERSPACE_EXIT 3
#define RECORD_SCHED_WAKEUP 13
#define RECORD_SCHED_SWITCH 14
/* More IOThreads than this serving one device are not expected; the rest count as other. */
#define MAX_IOTHREADS 16

const char *const vq_thread_class_names[VQ_THREAD_CLASS_COUNT] = {
    [VQ_THREAD_VCPU] = "vcpu",
    [VQ_THREAD_MAIN_LOOP] = "main_loop",
    [VQ_THREAD_IOTHREAD] = "iothread",
    [VQ_THREAD_OTHER] = "other",
};

/* ---- the probe pass: the scheduler log ---- */

static vq_sched_thread *sched_thread(vq_sched_log *log, uint32_t tid)
{
    size_t index = vq_id_map_get(&log->thread_index, tid);
    vq_sched_thread *thread;

    if (index != VQ_NO_INDEX) {
        return &log->threads[index];
    }
    thread = VQ_PUSH(log->threads, log->thread_count, log->thread_capacity);
    if (!thread || !vq_id_map_put(&log->thread_index, tid, log->thread_count - 1)) {
        return NULL;
    }
    *thread = (vq_sched_thread){ .tid = tid, .state = VQ_SCHED_UNSEEN };
    return thread;
}

static vq_status add_slice(vq_sched_log *log, uint32_t tid, uint64_t start, uint64_t end, uint64_t cpu_ns)
{
    vq_cpu_slice *slice = VQ_PUSH(log->slices, log->slice_count, log->slice_capacity);

    if (!slice) {
        return VQ_ERR_NOMEM;
    }
    *slice = (vq_cpu_slice){ .start = start, .end = end < start ? start : end, .cpu_ns = cpu_ns, .tid = tid };
    return VQ_OK;
}

/* The stretch THREAD is on a CPU, ended at END, by the clock (a stream without CPU times, or the
 * stretch before a thread's first CPU time). */
static vq_status close_stretch(vq_sched_log *log, vq_sched_thread *thread, uint64_t end)
{
    uint64_t start = thread->state == VQ_SCHED_ON ? thread->since : log->stream_start;

    /* Off already: its switch in was lost (a dropped record); nothing to count. */
    if (thread->state == VQ_SCHED_OFF) {
        return VQ_OK;
    }
    thread->state = VQ_SCHED_OFF;
    return add_slice(log, thread->tid, start, end, end > start ? end - start : 0);
}

/* THREAD's CPU time was RUNTIME at TS: the CPU time since its previous record is a slice (none when it
 * did not run in between: the next slice starts here). Records of two CPUs stamped in the same tick may
 * come in either order: a CPU time below the last one is the older record, already counted. */
static vq_status take_runtime(vq_sched_log *log, vq_sched_thread *thread, uint64_t ts, uint64_t runtime)
{
    vq_status status = VQ_OK;

    if (thread->has_runtime && runtime < thread->runtime) {
        return VQ_OK;
    }
    if (thread->has_runtime && runtime > thread->runtime) {
        status = add_slice(log, thread->tid, thread->runtime_ts, ts, runtime - thread->runtime);
    }
    thread->has_runtime = true;
    thread->runtime = runtime;
    thread->runtime_ts = ts > thread->runtime_ts ? ts : thread->runtime_ts;
    return status;
}

vq_status vq_sched_take(vq_loader *load, const vq_event *event)
{
    vq_sched_log *log = &load->sched;
    uint64_t prev = 0, next = 0, prev_tgid = 0, next_tgid = 0, woken = 0, woken_tgid = 0, prev_runtime = 0,
             next_runtime = 0;
    bool has_runtime;
    vq_status status;
    vq_sched_thread *thread;
    vq_wakeup *wakeup;

    if (strcmp(event->name, "sched_wakeup") == 0) {
        /* The probe keeps only wakeups of the target's threads; the check keeps a foreign stream out. */
        if (!vq_event_arg(event, "woken_pid", &woken) || !vq_event_arg(event, "woken_tgid", &woken_tgid) ||
            woken_tgid != log->target_tgid) {
            return VQ_OK;
        }
        wakeup = VQ_PUSH(log->wakeups, log->wakeup_count, log->wakeup_capacity);
        if (!wakeup) {
            return VQ_ERR_NOMEM;
        }
        *wakeup = (vq_wakeup){ .ts = event->timestamp_ns, .tid = (uint32_t)woken };
        return sched_thread(log, (uint32_t)woken) ? VQ_OK : VQ_ERR_NOMEM;
    }
    if (strcmp(event->name, "sched_switch") != 0 || !vq_event_arg(event, "prev_pid", &prev) ||
        !vq_event_arg(event, "next_pid", &next) || !vq_event_arg(event, "prev_tgid", &prev_tgid) ||
        !vq_event_arg(event, "next_tgid", &next_tgid)) {
        return VQ_OK;
    }
    has_runtime = vq_event_arg(event, "prev_runtime_ns", &prev_runtime) &&
                  vq_event_arg(event, "next_runtime_ns", &next_runtime);
    if (prev_tgid == log->target_tgid) {
        thread = sched_thread(log, (uint32_t)prev);
        if (!thread) {
            return VQ_ERR_NOMEM;
        }
        if (has_runtime && thread->has_runtime) {
            thread->state = VQ_SCHED_OFF;
            status = take_runtime(log, thread, event->timestamp_ns, prev_runtime);
        } else {
            /* the stretch up to its first CPU time: by the clock, as without CPU times */
            status = close_stretch(log, thread, event->timestamp_ns);
            if (status == VQ_OK && has_runtime) {
                status = take_runtime(log, thread, event->timestamp_ns, prev_runtime);
            }
        }
        if (status != VQ_OK) {
            return status;
        }
    }
    if (next_tgid == log->target_tgid) {
        thread = sched_thread(log, (uint32_t)next);
        if (!thread) {
            return VQ_ERR_NOMEM;
        }
        thread->state = VQ_SCHED_ON;
        thread->since = event->timestamp_ns;
        if (has_runtime && take_runtime(log, thread, event->timestamp_ns, next_runtime) != VQ_OK) {
            return VQ_ERR_NOMEM;
        }
    }
    return VQ_OK;
}

void vq_sched_finish(vq_loader *load)
{
    vq_sched_log *log = &load->sched;
    size_t i;

    for (i = 0; i < log->thread_count; i++) {
        if (log->threads[i].state == VQ_SCHED_ON) {
            /* out of memory here only loses the last stretch of a thread that never stopped */
            close_stretch(log, &log->threads[i], log->last_ts);
        }
    }
}

/* ---- the figures ---- */

/* SLICE's CPU time inside a window that overlaps [start, end] by OVERLAP ns, spread evenly over the
 * slice; a slice of no length (two records in one tick) counts whole when its time is INSIDE. */
static int64_t slice_share(const vq_cpu_slice *slice, uint64_t overlap, bool inside)
{
    uint64_t length = slice->end - slice->start;

    if (!length) {
        return inside ? (int64_t)slice->cpu_ns : 0;
    }
    if (slice->cpu_ns == length || overlap >= length) {
        return (int64_t)(slice->cpu_ns == length ? overlap : slice->cpu_ns);
    }
    return (int64_t)((double)slice->cpu_ns * (double)overlap / (double)length + 0.5);
}

static bool recorded(const vq_sched_log *log, unsigned type)
{
    return (log->attached_mask >> type) & 1;
}

static bool is_vcpu(const vq_loader *load, uint32_t tid)
{
    size_t i;

    for (i = 0; i < load->thread_count; i++) {
        if (load->threads[i].tid == tid) {
            return load->threads[i].vcpu;
        }
    }
    return false;
}

/* Adds TID to the threads that raised the device's interrupts (IOTHREADS, *COUNT of MAX_IOTHREADS), but the
 * main loop and vCPU threads. */
static void add_iothread(const vq_loader *load, uint32_t tid, uint32_t *iothreads, size_t *count)
{
    size_t j;

    if (tid == load->sched.target_tgid || is_vcpu(load, tid)) {
        return;
    }
    for (j = 0; j < *count && iothreads[j] != tid; j++) {
    }
    if (j == *count && *count < MAX_IOTHREADS) {
        iothreads[(*count)++] = tid;
    }
}

void vq_cost_classify(const vq_loader *load, const uint32_t *injectors, size_t injector_count,
                      vq_thread_class *classes)
{
    uint32_t iothreads[MAX_IOTHREADS];
    size_t iothread_count = 0, i, j;

    /* The threads that raised the device's interrupts (under KVM: its injections' threads). */
    for (i = 0; load->session->has_kvm && i < load->device_injection_count; i++) {
        add_iothread(load, load->injections[load->device_injections[i]].tid, iothreads, &iothread_count);
    }
    for (i = 0; load->session->has_kvm && i < injector_count; i++) {
        add_iothread(load, injectors[i], iothreads, &iothread_count);
    }
    for (i = 0; i < load->sched.thread_count; i++) {
        uint32_t tid = load->sched.threads[i].tid;

        classes[i] = VQ_THREAD_OTHER;
        if (tid == load->sched.target_tgid) {
            classes[i] = VQ_THREAD_MAIN_LOOP;
        } else if (is_vcpu(load, tid)) {
            classes[i] = VQ_THREAD_VCPU;
        } else {
            for (j = 0; j < iothread_count; j++) {
                if (iothreads[j] == tid) {
                    classes[i] = VQ_THREAD_IOTHREAD;
                }
            }
        }
    }
}

/* The index in cost->blocks of the block with SEQ; SIZE_MAX none. */
static size_t block_index(const vq_cost *cost, uint32_t seq)
{
    size_t i;

    for (i = 0; seq && i < cost->block_count; i++) {
        if (cost->blocks[i].seq == seq) {
            return i;
        }
    }
    return SIZE_MAX;
}

/* The window (A/B: the block, as cost->blocks) HOST_NS falls in; SIZE_MAX none or not an A/B part. */
static size_t window_index(const vq_session *session, uint64_t host_ns)
{
    size_t i;

    for (i = 0; i < session->cost.block_count && i < session->window_count; i++) {
        if (host_ns >= session->windows[i].start && host_ns <= session->windows[i].end) {
            return i;
        }
    }
    return SIZE_MAX;
}

/* One disk of an A/B session: a vq_cost_block per window (its block), its stitched requests counted as
 * they were emitted. */
static vq_status start_blocks(vq_session *session)
{
    vq_cost *cost = &session->cost;
    size_t i, index;

    if (!session->part || !session->window_count) {
        return VQ_OK;
    }
    cost->blocks = calloc(session->window_count, sizeof(*cost->blocks));
    if (!cost->blocks) {
        return VQ_ERR_NOMEM;
    }
    for (i = 0; i < session->block_count; i++) {
        if (session->blocks[i].label == session->part && cost->block_count < session->window_count) {
            cost->blocks[cost->block_count++].seq = session->blocks[i].seq;
        }
    }
    for (i = 0; i < session->emitted.block_count; i++) {
        index = block_index(cost, session->emitted.blocks[i].seq);
        if (index != SIZE_MAX) {
            cost->blocks[index].requests += session->emitted.blocks[i].requests;
        }
    }
    return VQ_OK;
}

static int compare_notify_exit(const void *left, const void *right)
{
    uint64_t a = ((const vq_row_notify_exit *)left)->exit_host, b = ((const vq_row_notify_exit *)right)->exit_host;

    return (a > b) - (a < b);
}

/* One duration per notify exit that served a row, in time order (rows of one kick share theirs): the
 * rows' notify exits sorted by exit time, in place, and each exit taken once. */
static vq_status collect_notify_exits(vq_session *session)
{
    vq_cost *cost = &session->cost;
    size_t count = session->emitted.notify_exit_count, i;
    vq_row_notify_exit *exits = session->emitted.notify_exits;

    if (count) {
        qsort(exits, count, sizeof(*exits), compare_notify_exit);
    }
    cost->notify_exits = malloc((count + 1) * sizeof(*cost->notify_exits));
    if (!cost->notify_exits) {
        return VQ_ERR_NOMEM;
    }
    for (i = 0; i < count; i++) {
        if (i == 0 || exits[i].exit_host != exits[i - 1].exit_host) {
            size_t block = block_index(cost, exits[i].block);

            cost->notify_exits[cost->notify_exit_count++] = exits[i].duration;
            cost->notify_exit_total_ns += exits[i].duration;
            if (block != SIZE_MAX) {
                cost->blocks[block].notify_exit_total_ns += exits[i].duration;
            }
        }
    }
    return VQ_OK;
}

bool vq_cost_start(vq_session *session, const vq_sched_log *log)
{
    vq_cost *cost = &session->cost;
    uint64_t start = session->window_host_start, end = session->window_host_end;

    *cost = (vq_cost){ .requests = session->emitted.stitched };
    /* No probe stream (no attached event) or no window on the host clock: nothing to measure. */
    if (!log->attached_mask || end <= start || !session->emitted.stitched) {
        return false;
    }
    cost->measured = true;
    cost->window_ns = vq_session_window_overlap(session, start, end);
    cost->has_exits = cost->classes_by_kvm = session->has_kvm;
    cost->has_userspace = session->has_kvm && recorded(log, RECORD_KVM_USERSPACE_EXIT);
    cost->has_switches = recorded(log, RECORD_SCHED_SWITCH);
    cost->has_wakeups = recorded(log, RECORD_SCHED_WAKEUP);
    return true;
}

vq_status vq_cost_start_notify_exits(vq_session *session)
{
    vq_status status = start_blocks(session);

    return status == VQ_OK ? collect_notify_exits(session) : status;
}

void vq_cost_add_exit(const vq_session *session, vq_cost *cost, const vq_host_exit *exit_record)
{
    int64_t duration = exit_record->duration > 0 ? exit_record->duration : 0;
    size_t index;

    if (!vq_session_in_window(session, exit_record->ts)) {
        return;
    }
    cost->exits++;
    cost->exit_ns += duration;
    cost->userspace_exits += exit_record->userspace;
    cost->userspace_exit_ns += exit_record->userspace ? duration : 0;
    index = window_index(session, exit_record->ts);
    if (index != SIZE_MAX && index < cost->block_count) {
        cost->blocks[index].exits++;
        cost->blocks[index].exit_ns += duration;
        cost->blocks[index].userspace_exits += exit_record->userspace;
        cost->blocks[index].userspace_exit_ns += exit_record->userspace ? duration : 0;
    }
}

int64_t vq_cost_slice_on(const vq_session *session, const vq_cpu_slice *slice)
{
    return slice_share(slice, vq_session_window_overlap(session, slice->start, slice->end),
                       vq_session_in_window(session, slice->start));
}

vq_status vq_summarize_cost(vq_loader *load, vq_error *error)
{
    vq_session *session = load->session;
    vq_cost *cost = &session->cost;
    const vq_sched_log *log = &load->sched;
    vq_thread_class *classes = NULL;
    bool *active = NULL;
    vq_status status = VQ_OK;
    size_t i, b, index;

    if (!vq_cost_start(session, log)) {
        goto end;
    }
    status = vq_cost_start_notify_exits(session);
    if (status != VQ_OK) {
        goto end;
    }
    for (i = 0; i < load->exit_count; i++) {
        vq_cost_add_exit(session, cost, &load->exits[i]);
    }
    classes = malloc((log->thread_count + 1) * sizeof(*classes));
    active = calloc(log->thread_count + 1, sizeof(*active));
    if (!classes || !active) {
        status = VQ_ERR_NOMEM;
        goto end;
    }
    vq_cost_classify(load, NULL, 0, classes);
    /* On-CPU time: each stretch's part inside the windows. */
    for (i = 0; i < log->slice_count; i++) {
        const vq_cpu_slice *slice = &log->slices[i];
        int64_t on = vq_cost_slice_on(session, slice);

        index = vq_id_map_get(&log->thread_index, slice->tid);
        if (on && index != VQ_NO_INDEX) {
            cost->cpu_ns[classes[index]] += on;
            active[index] = true;
            for (b = 0; b < cost->block_count; b++) {
                const vq_window *w = &session->windows[b];
                uint64_t from = slice->start > w->start ? slice->start : w->start;
                uint64_t to = slice->end < w->end ? slice->end : w->end;

                cost->blocks[b].cpu_ns[classes[index]] +=
                    slice_share(slice, to > from ? to - from : 0, slice->start >= w->start && slice->start <= w->end);
            }
        }
    }
    for (i = 0; i < log->wakeup_count; i++) {
        index = vq_id_map_get(&log->thread_index, log->wakeups[i].tid);
        if (vq_session_in_window(session, log->wakeups[i].ts) && index != VQ_NO_INDEX) {
            size_t block = window_index(session, log->wakeups[i].ts);

            if (block != SIZE_MAX) {
                cost->blocks[block].wakeups[classes[index]]++;
            }
            cost->wakeups[classes[index]]++;
            active[index] = true;
        }
    }
    for (i = 0; i < log->thread_count; i++) {
        cost->threads[classes[i]] += active[i];
    }
end:
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory", load->directory);
    }
    free(classes);
    free(active);
    return status;
}

vq_cost_per_request vq_cost_per_request_of(const vq_cost *cost)
{
    vq_cost_per_request figures;
    double requests = (double)cost->requests;
    size_t c;

    figures.notify_exit_ns = figures.exits = figures.userspace_exits = NAN;
    figures.exit_ns = figures.userspace_exit_ns = NAN;
    for (c = 0; c <= VQ_THREAD_CLASS_COUNT; c++) {
        figures.cpu_ns[c] = figures.wakeups[c] = NAN;
    }
    if (!cost->measured || !cost->requests) {
        return figures;
    }
    if (cost->has_exits) {
        figures.notify_exit_ns = (double)cost->notify_exit_total_ns / requests;
        figures.exits = (double)cost->exits / requests;
        figures.exit_ns = (double)cost->exit_ns / requests;
    }
    if (cost->has_userspace) {
        figures.userspace_exits = (double)cost->userspace_exits / requests;
        figures.userspace_exit_ns = (double)cost->userspace_exit_ns / requests;
    }
    for (c = 0; c < VQ_THREAD_CLASS_COUNT; c++) {
        if (!cost->classes_by_kvm && (c == VQ_THREAD_VCPU || c == VQ_THREAD_IOTHREAD)) {
            continue;   /* not told apart: counted in other */
        }
        if (cost->has_switches) {
            figures.cpu_ns[c] = (double)cost->cpu_ns[c] / requests;
            figures.cpu_ns[VQ_THREAD_CLASS_COUNT] = (isnan(figures.cpu_ns[VQ_THREAD_CLASS_COUNT]) ? 0 :
                                                     figures.cpu_ns[VQ_THREAD_CLASS_COUNT]) + figures.cpu_ns[c];
        }
        if (cost->has_wakeups) {
            figures.wakeups[c] = (double)cost->wakeups[c] / requests;
            figures.wakeups[VQ_THREAD_CLASS_COUNT] = (isnan(figures.wakeups[VQ_THREAD_CLASS_COUNT]) ? 0 :
                                                      figures.wakeups[VQ_THREAD_CLASS_COUNT]) + figures.wakeups[c];
        }
    }
    return figures;
}

void vq_cost_free(vq_cost *cost)
{
    free(cost->blocks);
    cost->blocks = NULL;
    cost->block_count = 0;
    free(cost->notify_exits);
    cost->notify_exits = NULL;
    cost->notify_exit_count = 0;
}

vq_cost vq_cost_of_blocks(const vq_cost *cost, const size_t *picked, size_t count)
{
    vq_cost sum = *cost;
    size_t i, c;

    sum.notify_exits = NULL;
    sum.notify_exit_count = 0;
    sum.blocks = NULL;
    sum.block_count = 0;
    sum.requests = 0;
    sum.notify_exit_total_ns = sum.exit_ns = sum.userspace_exit_ns = 0;
    sum.exits = sum.userspace_exits = 0;
    memset(sum.cpu_ns, 0, sizeof(sum.cpu_ns));
    memset(sum.wakeups, 0, sizeof(sum.wakeups));
    for (i = 0; i < count; i++) {
        const vq_cost_block *block = &cost->blocks[picked[i]];

        sum.requests += block->requests;
        sum.notify_exit_total_ns += block->notify_exit_total_ns;
        sum.exits += block->exits;
        sum.userspace_exits += block->userspace_exits;
        sum.exit_ns += block->exit_ns;
        sum.userspace_exit_ns += block->userspace_exit_ns;
        for (c = 0; c < VQ_THREAD_CLASS_COUNT; c++) {
            sum.cpu_ns[c] += block->cpu_ns[c];
            sum.wakeups[c] += block->wakeups[c];
        }
    }
    return sum;
}

vq_cost vq_cost_of_sessions(const vq_cost *const *costs, const size_t *picked, size_t count)
{
    vq_cost sum = { .measured = count > 0, .has_exits = true, .has_userspace = true, .has_switches = true,
                    .has_wakeups = true, .classes_by_kvm = true };
    size_t i, c;

    for (i = 0; i < count; i++) {
        const vq_cost *cost = costs[picked[i]];

        sum.measured = sum.measured && cost->measured;
        sum.has_exits = sum.has_exits && cost->has_exits;
        sum.has_userspace = sum.has_userspace && cost->has_userspace;
        sum.has_switches = sum.has_switches && cost->has_switches;
        sum.has_wakeups = sum.has_wakeups && cost->has_wakeups;
        sum.classes_by_kvm = sum.classes_by_kvm && cost->classes_by_kvm;
        sum.window_ns += cost->window_ns;
        sum.requests += cost->requests;
        sum.notify_exit_total_ns += cost->notify_exit_total_ns;
        sum.exits += cost->exits;
        sum.userspace_exits += cost->userspace_exits;
        sum.exit_ns += cost->exit_ns;
        sum.userspace_exit_ns += cost->userspace_exit_ns;
        for (c = 0; c < VQ_THREAD_CLASS_COUNT; c++) {
            sum.threads[c] += cost->threads[c];
            sum.cpu_ns[c] += cost->cpu_ns[c];
            sum.wakeups[c] += cost->wakeups[c];
        }
    }
    return sum;
}
