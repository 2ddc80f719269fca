// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-kick figures (requests per kick, pops per handler run; kick -> first begin is added as each
 * request is emitted, emission.c) and the VM exit table (per reason: every exit of the QEMU process, its
 * duration to the next kvm_entry of the same thread, and how many fell inside the workload's window on
 * the host clock).
 */
#include "loader.h"

#include <stdlib.h>

/* The workload's windows on the host clock: [first submit, last completion], or one disk's blocks of an
 * A/B session (each block's markers mapped by the offset). */
static bool set_windows(vq_session *session, const vq_loader *load)
{
    size_t i;

    free(session->windows);
    session->window_count = 0;
    session->windows = malloc((load->part.label ? load->part.count : 1) * sizeof(*session->windows) + 1);
    if (!session->windows) {
        return false;
    }
    if (!load->part.label) {
        session->windows[session->window_count++] = (vq_window){ session->window_host_start,
                                                                  session->window_host_end };
        return true;
    }
    for (i = 0; i < load->part.count; i++) {
        uint64_t begin = load->part.guest[i].start, end = load->part.guest[i].end;

        session->windows[session->window_count++] = (vq_window){
            begin + (uint64_t)vq_clock_offset_at(&session->offset, begin),
            end + (uint64_t)vq_clock_offset_at(&session->offset, end) };
    }
    return true;
}

/* The session's windows; none set: [window_host_start, window_host_end] in ONE. */
static const vq_window *windows_of(const vq_session *session, vq_window *one, size_t *count)
{
    if (session->window_count) {
        *count = session->window_count;
        return session->windows;
    }
    *one = (vq_window){ session->window_host_start, session->window_host_end };
    *count = 1;
    return one;
}

bool vq_session_in_window(const vq_session *session, uint64_t host_ns)
{
    vq_window one;
    size_t count;
    const vq_window *windows = windows_of(session, &one, &count);

    return vq_in_windows(windows, count, host_ns);
}

uint64_t vq_session_window_overlap(const vq_session *session, uint64_t from, uint64_t to)
{
    vq_window one;
    size_t count, i;
    const vq_window *windows = windows_of(session, &one, &count);
    uint64_t covered = 0;

    for (i = 0; i < count; i++) {
        uint64_t start = windows[i].start > from ? windows[i].start : from;
        uint64_t end = windows[i].end < to ? windows[i].end : to;

        covered += end > start ? end - start : 0;
    }
    return covered;
}

bool vq_kick_figures_add_kick(vq_kick_stats *kick, const vq_guest_kick *guest_kick)
{
    kick->kicks++;
    kick->notified += guest_kick->notified;
    kick->suppressed += !guest_kick->notified;
    return !guest_kick->requests || vq_hist_add_new(&kick->requests_per_kick, (int64_t)guest_kick->requests);
}

bool vq_kick_figures_add_run(vq_kick_stats *kick, size_t pops)
{
    kick->handler_runs++;
    kick->empty_runs += pops == 0;
    return vq_hist_add_new(&kick->pops_per_run, (int64_t)pops);
}

bool vq_session_set_workload_window(vq_session *session, const vq_loader *load)
{
    uint64_t first_guest = session->emitted.first_submit_guest, last_guest = session->emitted.last_complete_guest;

    if (session->offset.usable && session->emitted.has_previous && first_guest <= last_guest) {
        session->window_host_start = first_guest + (uint64_t)vq_clock_offset_at(&session->offset, first_guest);
        session->window_host_end = last_guest + (uint64_t)vq_clock_offset_at(&session->offset, last_guest);
        return set_windows(session, load);
    }
    return true;
}

bool vq_exit_table_add(vq_session *session, const vq_host_exit *exit_record, bool in_window)
{
    vq_exit_reason *reason = NULL;
    size_t j;

    if (!session->exits && !(session->exits = calloc(VQ_MAX_EXIT_REASONS, sizeof(*session->exits)))) {
        return false;
    }
    for (j = 0; j < session->exit_reason_count; j++) {
        if (session->exits[j].reason == exit_record->reason && session->exits[j].isa == exit_record->isa) {
            reason = &session->exits[j];
            break;
        }
    }
    if (!reason) {
        if (session->exit_reason_count == VQ_MAX_EXIT_REASONS) {
            return true;
        }
        reason = &session->exits[session->exit_reason_count++];
        reason->reason = exit_record->reason;
        reason->isa = exit_record->isa;
    }
    reason->total++;
    if (in_window) {
        reason->in_window++;
        reason->userspace_in_window += exit_record->userspace;
    }
    if (exit_record->duration >= 0) {
        if (!vq_hist_add_new(&reason->duration, exit_record->duration)) {
            return false;
        }
        reason->count++;
    }
    return true;
}

vq_status vq_summarize_kicks_and_exits(vq_loader *load, vq_error *error)
{
    vq_session *session = load->session;
    vq_kick_stats *kick = &session->kick;
    size_t i, begin = 0;
    vq_status status = VQ_ERR_NOMEM;

    kick->guest_irqs = load->irq_count;
    for (i = 0; i < load->kick_count; i++) {
        if (!vq_kick_figures_add_kick(kick, &load->kicks[i])) {
            goto end;
        }
    }
    /* Begins per handler run of the device (QEMU events of the xblk device, in host order). */
    for (i = 0; i < load->handler_count; i++) {
        uint64_t until = i + 1 < load->handler_count ? load->handlers[i + 1].ts : UINT64_MAX;
        size_t pops = 0;

        while (begin < load->qemu_request_count && load->qemu_requests[begin].begin < load->handlers[i].ts) {
            begin++;
        }
        while (begin < load->qemu_request_count && load->qemu_requests[begin].begin < until) {
            begin++;
            pops++;
        }
        if (!vq_kick_figures_add_run(kick, pops)) {
            goto end;
        }
    }
    /* VM exits: per reason, duration to the next entry; counts inside the workload window. */
    if (!vq_session_set_workload_window(session, load) ||
        !(session->exits = calloc(VQ_MAX_EXIT_REASONS, sizeof(*session->exits)))) {
        goto end;
    }
    for (i = 0; i < load->exit_count; i++) {
        if (!vq_exit_table_add(session, &load->exits[i], vq_session_in_window(session, load->exits[i].ts))) {
            goto end;
        }
    }
    status = VQ_OK;
end:
    if (status != VQ_OK) {
        vq_error_set(error, "%s: out of memory", load->directory);
    }
    return status;
}
