// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kick, handler-run, exit and cost figures of pass E (stream_align.h, vq_stream_figures), taken from
 * the records as stitch_stream.c releases them, with summaries.c's and cost.c's own pieces: kicks and irqs
 * counted, each device handler run's pops counted as QEMU's begins pass it, and the exits, scheduler
 * stretches and wakeups held only until the workload's window decides them. The window is the emitted
 * requests' first submit .. last completion on the host clock: an exit at or before the last completion
 * so far is in it once the first submit can no longer move (no request left can have been submitted
 * earlier), and one before any submit still to come is out of it; what neither decides waits (seconds of
 * records: the host is read a margin past the requests emitted).
 */
#include "stream_align.h"

#include <stdlib.h>
#include <string.h>

bool vq_stream_figures_init(vq_stream_figures *figures, vq_session *session)
{
    *figures = (vq_stream_figures){ .session = session };
    if (!session->exits && !(session->exits = calloc(VQ_MAX_EXIT_REASONS, sizeof(*session->exits)))) {
        return false;
    }
    return true;
}

void vq_stream_figures_free(vq_stream_figures *figures)
{
    free(figures->exits);
    free(figures->slices);
    free(figures->wakeups);
    free(figures->threads);
    memset(figures, 0, sizeof(*figures));
}

bool vq_stream_figures_injection(vq_stream_figures *figures, uint32_t tid)
{
    size_t i;

    for (i = 0; i < figures->injector_count && figures->injectors[i] != tid; i++) {
    }
    if (i == figures->injector_count && figures->injector_count < VQ_STREAM_MAX_INJECTORS) {
        figures->injectors[figures->injector_count++] = tid;
    }
    return true;
}

bool vq_stream_figures_guest(vq_stream_figures *figures, const vq_loader *load, size_t kicks, size_t irqs)
{
    size_t i;

    for (i = 0; i < kicks; i++) {
        if (!vq_kick_figures_add_kick(&figures->session->kick, &load->kicks[i])) {
            return false;
        }
    }
    figures->session->kick.guest_irqs += irqs;
    return true;
}

/* Each device handler run read since the last call gets the begins before the next one (summaries.c's
 * walk, over the window): QEMU's requests are taken in begin order up to the latest run. */
bool vq_stream_figures_qemu(vq_stream_figures *figures, const vq_loader *load, bool ended, size_t *keep_from)
{
    size_t end = load->qemu_request_base + load->qemu_request_count;

    for (; figures->run_taken < load->handler_base + load->handler_count; figures->run_taken++) {
        const vq_qemu_mark *run = vq_handler_at(load, figures->run_taken);

        if (run->vdev != load->xblk_vdev) {
            continue;
        }
        for (; figures->qemu_taken < end && vq_qemu_request_at(load, figures->qemu_taken)->begin < run->ts;
             figures->qemu_taken++) {
            figures->pops += figures->has_run;
        }
        if (figures->has_run && !vq_kick_figures_add_run(&figures->session->kick, figures->pops)) {
            return false;
        }
        figures->has_run = true;
        figures->pops = 0;
    }
    if (ended) {   /* the begins after the last run are its */
        for (; figures->qemu_taken < end; figures->qemu_taken++) {
            figures->pops += figures->has_run;
        }
        if (figures->has_run && !vq_kick_figures_add_run(&figures->session->kick, figures->pops)) {
            return false;
        }
        figures->has_run = false;
    }
    *keep_from = figures->qemu_taken;
    return true;
}

bool vq_stream_figures_probe(vq_stream_figures *figures, const vq_loader *load, size_t exits)
{
    const vq_sched_log *log = &load->sched;

    return VQ_APPEND(figures->exits, figures->exit_count, figures->exit_capacity, load->exits, exits) &&
           VQ_APPEND(figures->slices, figures->slice_count, figures->slice_capacity, log->slices, log->slice_count) &&
           VQ_APPEND(figures->wakeups, figures->wakeup_count, figures->wakeup_capacity, log->wakeups,
                     log->wakeup_count);
}

/* The running sums of thread INDEX (of the scheduler log), grown to it. */
static vq_stream_thread *thread_at(vq_stream_figures *figures, size_t index)
{
    if (index >= figures->thread_count) {
        vq_stream_thread *bigger = realloc(figures->threads, (index + 1) * sizeof(*bigger));

        if (!bigger) {
            return NULL;
        }
        memset(bigger + figures->thread_count, 0, (index + 1 - figures->thread_count) * sizeof(*bigger));
        figures->threads = bigger;
        figures->thread_count = index + 1;
    }
    return &figures->threads[index];
}

/* Whether a record at host time TS (a slice: its end) is decided: *IN tells in or out of the window. */
static bool decided(uint64_t ts, const vq_stream_window *window, bool *in)
{
    if (window->ended || (window->start_final && ts <= window->end)) {
        *in = window->usable && ts >= window->start && ts <= window->end;
        return true;
    }
    if (ts < window->before) {
        *in = false;
        return true;
    }
    return false;
}

bool vq_stream_figures_decide(vq_stream_figures *figures, const vq_loader *load, const vq_stream_window *window)
{
    vq_session *session = figures->session;
    const vq_sched_log *log = &load->sched;
    size_t done, index;
    bool in;

    session->window_host_start = window->usable ? window->start : 0;   /* what vq_session_in_window reads */
    session->window_host_end = window->usable ? window->end : 0;
    for (done = 0; done < figures->exit_count && decided(figures->exits[done].ts, window, &in); done++) {
        if (!vq_exit_table_add(session, &figures->exits[done], in)) {
            return false;
        }
        if (in) {
            vq_cost_add_exit(session, &figures->cost, &figures->exits[done]);
        }
    }
    vq_drop_front(figures->exits, &figures->exit_count, sizeof(*figures->exits), done);
    for (done = 0; done < figures->slice_count && decided(figures->slices[done].end, window, &in); done++) {
        const vq_cpu_slice *slice = &figures->slices[done];
        int64_t on = window->usable ? vq_cost_slice_on(session, slice) : 0;
        vq_stream_thread *thread;

        index = vq_id_map_get(&log->thread_index, slice->tid);
        if (on && index != VQ_NO_INDEX) {
            if (!(thread = thread_at(figures, index))) {
                return false;
            }
            thread->cpu_ns += on;
            thread->active = true;
        }
    }
    vq_drop_front(figures->slices, &figures->slice_count, sizeof(*figures->slices), done);
    for (done = 0; done < figures->wakeup_count && decided(figures->wakeups[done].ts, window, &in); done++) {
        vq_stream_thread *thread;

        index = vq_id_map_get(&log->thread_index, figures->wakeups[done].tid);
        if (in && index != VQ_NO_INDEX) {
            if (!(thread = thread_at(figures, index))) {
                return false;
            }
            thread->wakeups++;
            thread->active = true;
        }
    }
    vq_drop_front(figures->wakeups, &figures->wakeup_count, sizeof(*figures->wakeups), done);
    return true;
}

bool vq_stream_figures_finish(vq_stream_figures *figures, const vq_loader *load)
{
    vq_session *session = figures->session;
    vq_cost *cost = &session->cost;
    vq_thread_class *classes;
    size_t i;

    if (!vq_session_set_workload_window(session, load)) {
        return false;
    }
    if (!vq_cost_start(session, &load->sched)) {
        return true;
    }
    if (vq_cost_start_notify_exits(session) != VQ_OK ||
        !(classes = malloc((load->sched.thread_count + 1) * sizeof(*classes)))) {
        return false;
    }
    cost->exits = figures->cost.exits;
    cost->exit_ns = figures->cost.exit_ns;
    cost->userspace_exits = figures->cost.userspace_exits;
    cost->userspace_exit_ns = figures->cost.userspace_exit_ns;
    vq_cost_classify(load, figures->injectors, figures->injector_count, classes);
    for (i = 0; i < load->sched.thread_count; i++) {
        const vq_stream_thread *thread = i < figures->thread_count ? &figures->threads[i] : NULL;

        if (thread) {
            cost->cpu_ns[classes[i]] += thread->cpu_ns;
            cost->wakeups[classes[i]] += thread->wakeups;
            cost->threads[classes[i]] += thread->active;
        }
    }
    free(classes);
    return true;
}
