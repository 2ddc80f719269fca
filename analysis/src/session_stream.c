// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming load (analysis/STREAMING.md): a session's figures from the streaming passes, A (id
 * bounds), B and C (the kick and irq pairings), D (the solve), the offset, and E (stitching, emission and
 * the kick, exit and cost figures, the application end fed as the guest is read), each reading the files
 * in step in memory bounded by what is in flight, not by the session's length. The session is the batch
 * load's, warning for warning: each pass's warnings are put together in the batch's order (guest, QEMU,
 * probe, then the alignment's, the offset's, the stitching's, the application end's).
 *
 * What the passes cannot give exactly they say (a request given up before it completed, an event for a
 * released record, guest events further out of order than the passes allow, a session they do not read):
 * the load then runs the batch steps instead (vq_session_stream's *STREAMED false).
 */
#include "stream_align.h"

#include <stdlib.h>
#include <string.h>

/* SESSION's warnings from FROM on, moved out (*ITEMS, *COUNT). */
static bool detach_warnings(vq_session *session, size_t from, char ***items, size_t *count)
{
    *count = session->warning_count - from;
    *items = malloc((*count + 1) * sizeof(**items));
    if (!*items) {
        return false;
    }
    memcpy(*items, session->warnings + from, *count * sizeof(**items));
    session->warning_count = from;
    return true;
}

/* Appends COUNT warnings (taken) to SESSION's. */
static bool append_warnings(vq_session *session, char **items, size_t count)
{
    char **bigger = realloc(session->warnings, (session->warning_count + count + 1) * sizeof(*bigger));

    if (!bigger) {
        return false;
    }
    memcpy(bigger + session->warning_count, items, count * sizeof(*items));
    session->warnings = bigger;
    session->warning_count += count;
    return true;
}

static void free_warnings(char **items, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        free(items[i]);
    }
    free(items);
}

/* What the passes' read leaves for the session: the guest header's figures, an A/B session's markers,
 * the probe stream's drops, the QEMU trace's backend. */
static void take_header_figures(vq_session *session, vq_loader *load)
{
    session->blocks = load->blocks;
    session->block_count = load->block_count;
    load->blocks = NULL;
    session->ab_disk_count = load->ab_disk_count;
    memcpy(session->ab_disks, load->ab_disks, sizeof(load->ab_disks));
    session->driver_queue_count = load->driver_queue_count;
    memcpy(session->driver_completed, load->driver_completed, sizeof(load->driver_completed));
    session->probe_drops = load->session->probe_drops;
    memcpy(session->qemu_trace, load->session->qemu_trace, sizeof(session->qemu_trace));
}

/* WHAT, when not OK: why the passes cannot give the batch's figures, into ERROR (false then). */
static bool exact(bool ok, vq_error *error, const char *directory, const char *what)
{
    if (!ok) {
        vq_error_set(error, "%s: the streaming passes cannot read it exactly: %s", directory, what);
    }
    return ok;
}

/* A pass's status: an error other than out of memory makes the load run the batch steps (which report it
 * as they always have); *GO false then. */
static vq_status pass_status(vq_status status, bool *go)
{
    *go = status == VQ_OK;
    return status == VQ_ERR_NOMEM ? status : VQ_OK;
}

vq_status vq_session_stream(vq_session *session, const char *directory, bool *streamed, vq_error *error)
{
    vq_loader *load = vq_stream_loader_new(directory, NULL);
    vq_id_bounds ids = { 0 };
    vq_kick_pairs kicks = { 0 };
    vq_irq_pairs irqs = { 0 };
    vq_stitch_streamed out = { 0 };
    vq_solved solved;
    vq_e2e *e2e = NULL;
    size_t meta = session->warning_count, chosen_count = 0, stitched_count = 0, p;
    char **chosen = NULL, **stitched = NULL;
    unsigned replays = 0;
    vq_status status;
    bool go = false;

    *streamed = false;
    if (!load) {
        vq_error_set(error, "%s: out of memory", directory);
        return VQ_ERR_NOMEM;
    }
    status = pass_status(vq_id_bounds_stream(load, &ids, NULL, error), &go);
    vq_stream_loader_delete(load);
    go = go && exact(ids.facts.xblk_vdev, error, directory, "no xblk request in the QEMU trace") &&
         exact(!ids.given_up && !ids.released_late, error, directory,
               "requests given up or events for released records (id bounds)");
    if (go) {
        status = pass_status(vq_kick_pairs_stream(directory, &ids, &kicks, error), &go);
        go = go && exact(!kicks.disordered && !kicks.released_late, error, directory,
                         "guest events out of order past the margin, or events for released records (kicks)");
    }
    if (go) {
        status = pass_status(vq_irq_pairs_stream(directory, &ids, &kicks, &irqs, error), &go);
        go = go && exact(!irqs.disordered && !irqs.released_late, error, directory,
                         "guest events out of order past the margin, or events for released records (irqs)");
    }
    if (go) {
        session->has_kvm = ids.facts.has_kvm;
        status = pass_status(vq_solve_stream(directory, &ids, &kicks, &irqs, &solved, error), &go);
    }
    if (go) {   /* what vq_align_clocks and vq_choose_offset warn of, after the passes' own */
        vq_alignment_warnings(session, ids.facts.doorbell_writes == 0, kicks.set_aside, irqs.rejected);
        status = pass_status(vq_offset_stream(directory, &ids, &kicks, &irqs, &solved, session, &replays, error),
                             &go);
    }
    if (go && (!detach_warnings(session, meta, &chosen, &chosen_count) || !(e2e = vq_e2e_new(false)))) {
        status = VQ_ERR_NOMEM;
        go = false;
    }
    if (go) {
        status = pass_status(vq_stitch_stream(directory, &ids, &kicks, &irqs, session, e2e, &out, error), &go);
        if (!out.load) {
            vq_e2e_free(e2e);   /* else the read's loader has it */
        }
        go = go && exact(!out.given_up && !out.released_late, error, directory,
                         "requests given up before they completed, or events for released records (stitching)");
    }
    /* the warnings in the batch's order: the passes' (guest, QEMU, probe), the alignment's and the
     * offset's, then the stitching's */
    if (go) {
        bool ok = detach_warnings(session, meta, &stitched, &stitched_count);

        for (p = 0; ok && p < VQ_STREAM_PASSES; p++) {
            if ((ok = append_warnings(session, out.pass_warnings[p].items, out.pass_warnings[p].count))) {
                out.pass_warnings[p].count = 0;   /* the session's now */
            }
        }
        if (ok && (ok = append_warnings(session, chosen, chosen_count))) {
            chosen_count = 0;
        }
        if (ok && (ok = append_warnings(session, stitched, stitched_count))) {
            stitched_count = 0;
        }
        if (!ok) {
            status = VQ_ERR_NOMEM;
            go = false;
        }
    }
    if (go) {
        take_header_figures(session, out.load);
        status = vq_session_extend_to_application(session, out.load->e2e, directory, error);
        *streamed = status == VQ_OK;
    }
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory (streaming load)", directory);
    }
    free_warnings(chosen, chosen_count);
    free_warnings(stitched, stitched_count);
    vq_stitch_streamed_free(&out);
    vq_irq_pairs_free(&irqs);
    vq_kick_pairs_free(&kicks);
    vq_id_bounds_free(&ids);
    return status;
}
