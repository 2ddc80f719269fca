// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The model: reads a session directory into requests, stages, alignment, per-kick figures and VM exit
 * statistics (see session.h). vq_session_load runs the steps in order, each in its own file, sharing
 * the loader (loader.h): meta.json (session_dir.c); three streaming passes that fill compact arrays,
 * guest (collect_guest.c), QEMU (collect_qemu.c) and probe (collect_probe.c); the clock alignment and
 * the offset (alignment.c); stitching (stitch.c); kick and exit figures (summaries.c); the cost figures
 * (cost.c); the application end of each row (e2e.c). Warnings are kept in the order the steps add them.
 * A whole xblk session read without rows runs the streaming core instead (session_stream.c: passes A-E
 * over windows, analysis/STREAMING.md), the same session in memory bounded by what is in flight.
 */
#include "session.h"

#include "e2e.h"
#include "fio_output.h"
#include "loader.h"
#include "qemu_events.h"
#include "session_dir.h"
#include "stream_align.h"

#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const vq_stage_names[VQ_STAGE_COUNT] = {
    [VQ_STAGE_SUBMIT_KICK] = "submit>kick",
    [VQ_STAGE_KICK_EXIT] = "kick>exit",
    [VQ_STAGE_EXIT_SIGNAL] = "exit>signal",
    [VQ_STAGE_SIGNAL_HANDLER] = "signal>handler",
    [VQ_STAGE_HANDLER_BEGIN] = "handler>begin",
    [VQ_STAGE_BEGIN_END] = "begin>end",
    [VQ_STAGE_END_INJECT] = "end>inject",
    [VQ_STAGE_INJECT_IRQ] = "inject>irq",
    [VQ_STAGE_IRQ_COMPLETE] = "irq>complete",
    [VQ_STAGE_TOTAL] = "total",
};

void vq_session_warn(vq_session *session, const char *format, ...)
{
    char **bigger = realloc(session->warnings, (session->warning_count + 1) * sizeof(*bigger));
    char *text = malloc(VQ_ERROR_MAX);
    va_list ap;

    if (!bigger || !text) {
        free(text);
        if (bigger) {
            session->warnings = bigger;
        }
        return;
    }
    session->warnings = bigger;
    va_start(ap, format);
    vsnprintf(text, VQ_ERROR_MAX, format, ap);
    va_end(ap);
    session->warnings[session->warning_count++] = text;
}

/* ---- the application end of each row (e2e.h) and fio's own figures ---- */

vq_status vq_session_extend_to_application(vq_session *session, vq_e2e *e2e, const char *directory,
                                           vq_error *error)
{
    vq_driver_rows *drivers = &session->emitted.drivers;
    vq_app_row *app = session->emitted.drivers_streamed ? NULL : calloc(drivers->count ? drivers->count : 1,
                                                                         sizeof(*app));
    char *path = vq_session_path(directory, "workload.txt");
    vq_fio_figures fio = { .ios = -1, .mean_ns = -1, .iops = NAN };
    vq_error fio_error;
    vq_status status = VQ_ERR_NOMEM;
    size_t i;

    if ((!app && !session->emitted.drivers_streamed) || !path) {
        goto end;
    }
    vq_error_clear(&fio_error);
    if (strcmp(session->device, "demo") != 0 && vq_path_exists(path, false) &&
        vq_fio_output_read(path, session->part, &fio, &fio_error) != VQ_OK) {
        vq_session_warn(session, "%s", fio_error.message);
    }
    if (session->emitted.drivers_streamed) {   /* each row matched as it was emitted: the rest now */
        status = vq_e2e_stream_finish(e2e, fio.ios, fio.mean_ns, &session->coverage, vq_session_emit_app_to, session)
                     ? VQ_OK : VQ_ERR_NOMEM;
        session->coverage.fio_iops = fio.iops;
        goto end;
    }
    if (!vq_e2e_finish(e2e, drivers->rows, drivers->count, app, fio.ios, fio.mean_ns, &session->coverage)) {
        goto end;
    }
    session->coverage.fio_iops = fio.iops;
    for (i = 0; i < drivers->count; i++) {
        if (session->keep_rows) {   /* emitted in row order */
            session->rows[i].app = app[i];
        }
        if (vq_session_emit_app(session, &app[i]) != VQ_OK) {
            goto end;
        }
    }
    status = VQ_OK;
end:
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory", directory);
    }
    free(drivers->rows);
    *drivers = (vq_driver_rows){ 0 };
    free(app);
    free(path);
    return status;
}

static vq_status extend_to_application(vq_loader *load, vq_error *error)
{
    return vq_session_extend_to_application(load->session, load->e2e, load->directory, error);
}

typedef vq_status (*load_step)(vq_loader *load, vq_error *error);

/* The streaming passes, guest first: the QEMU pass needs its stock requests, the probe pass its BARs (loader.h). */
static const load_step collect_steps[] = { vq_collect_guest, vq_collect_qemu, vq_collect_probe };
/* Once only the traced device's events are kept; each step reads what the ones before it set. */
static vq_status release_stitched(vq_loader *load, vq_error *error);
static const load_step model_steps[] = {
    vq_align_clocks, vq_choose_offset, vq_stitch, vq_summarize_kicks_and_exits, release_stitched,
    vq_summarize_cost, extend_to_application,
};

/* Runs STEPS in order up to the first that fails; returns its status. */
static vq_status run_steps(vq_loader *load, const load_step *steps, size_t count, vq_error *error)
{
    vq_status status = VQ_OK;
    size_t i;

    for (i = 0; i < count && status == VQ_OK; i++) {
        status = steps[i](load, error);
    }
    return status;
}

/* The rows are stitched and the kicks counted: what only those steps read goes, before the application
 * end allocates its own (the analysis's peak memory). */
static vq_status release_stitched(vq_loader *load, vq_error *error)
{
    (void)error;
    vq_loader_release_stitched(load);
    return VQ_OK;
}

/* VQSCOPE_CORE: auto (unset: the streaming passes where they apply, else the batch steps), batch (the batch
 * steps: comparisons, benchmarks) or streaming (a load the streaming passes cannot give is an error that
 * says why, not the batch steps: tests, benchmarks). */
typedef enum { CORE_AUTO, CORE_BATCH, CORE_STREAMING, CORE_WRONG } load_core;

static load_core core_asked(void)
{
    const char *core = getenv("VQSCOPE_CORE");

    return !core || !*core || strcmp(core, "auto") == 0 ? CORE_AUTO
           : strcmp(core, "batch") == 0                 ? CORE_BATCH
           : strcmp(core, "streaming") == 0             ? CORE_STREAMING : CORE_WRONG;
}

/* Whether a load of the whole SESSION without rows runs the streaming passes (session_stream.c): an xblk
 * session read after its recording (the passes read the files more than once: a session still growing
 * would differ between them), unless the batch steps are asked for. */
static bool streams(const vq_session *session, const vq_part_filter *part, const vq_load_options *options)
{
    return !part->label && !options->rows && strcmp(session->device, "xblk") == 0 &&
           strcmp(session->status, "recording") != 0 && core_asked() != CORE_BATCH;
}

/* vq_session_load's steps; PART (label 0: the whole session) says what to keep; STREAM: the streaming passes
 * when they apply (streams). */
static vq_status load_session(const char *directory, const vq_part_filter *part, const vq_load_options *options,
                              bool stream, vq_session **out, vq_error *error)
{
    vq_session *session = calloc(1, sizeof(*session));
    vq_loader load = { .session = session, .directory = directory, .part = *part };
    vq_error meta_error;
    vq_status status = VQ_ERR_NOMEM;

    *out = NULL;
    if (!session || !(session->directory = strdup(directory))) {
        vq_error_set(error, "%s: out of memory", directory);
        goto end;
    }
    session->keep_rows = options->rows;
    session->part = part->label;
    session->name = malloc(strlen(directory) + 3);
    if (!session->name) {
        vq_error_set(error, "%s: out of memory", directory);
        goto end;
    }
    sprintf(session->name, part->label ? "%s@%c" : "%s", directory, part->label);
    if (!vq_path_exists(directory, true)) {
        vq_error_set(error, "%s: not a session directory (expected the output of `vqscope record`)", directory);
        status = VQ_ERR_IO;
        goto end;
    }
    if (core_asked() == CORE_WRONG) {
        vq_error_set(error, "VQSCOPE_CORE must be auto, batch or streaming, not '%s'", getenv("VQSCOPE_CORE"));
        status = VQ_ERR_USAGE;
        goto end;
    }
    vq_error_clear(&meta_error);
    if (vq_session_read_meta(session, directory, &meta_error) != VQ_OK) {
        vq_session_warn(session, "%s: session figures without metadata", meta_error.message);
    }
    if (stream && streams(session, part, options)) {
        bool streamed;

        status = vq_session_stream(session, directory, &streamed, error);
        if (status == VQ_OK && !streamed && core_asked() == CORE_STREAMING) {
            status = VQ_ERR_USAGE;   /* VQSCOPE_CORE=streaming: ERROR says why */
        }
        if (status != VQ_OK || streamed) {
            *out = status == VQ_OK ? session : NULL;
            session = status == VQ_OK ? NULL : session;
            goto end;
        }
        vq_error_clear(error);
        vq_session_free(session);   /* the batch steps, from the start */
        return load_session(directory, part, options, false, out, error);
    }
    load.stock_device = strcmp(session->device, "xblk") != 0 && strcmp(session->device, "demo") != 0;
    load.e2e = vq_e2e_new(load.stock_device);
    if (!load.e2e) {
        vq_error_set(error, "%s: out of memory", directory);
        goto end;
    }
    status = run_steps(&load, collect_steps, sizeof(collect_steps) / sizeof(collect_steps[0]), error);
    if (status != VQ_OK) {
        goto end;
    }
    vq_id_map_free(&load.guest_ids);   /* only the guest pass looks requests up by id */
    session->blocks = load.blocks;   /* an A/B session's (collect_guest.c) */
    session->block_count = load.block_count;
    load.blocks = NULL;
    session->ab_disk_count = load.ab_disk_count;
    memcpy(session->ab_disks, load.ab_disks, sizeof(load.ab_disks));
    session->driver_queue_count = load.driver_queue_count;
    memcpy(session->driver_completed, load.driver_completed, sizeof(load.driver_completed));
    if (!load.xblk_vdev) {
        vq_session_warn(session, "%s: %s", directory, load.stock ?
                        "no " VQ_QEMU_EVENT_VIRTIO_BLK_HANDLE_READ "/write in the QEMU trace that matches a guest "
                        "block_rq_issue: "
                        "requests cannot be stitched" :
                        "no " VQ_QEMU_EVENT_VIRTIO_XBLK_REQ_BEGIN " in the QEMU trace and no block_rq_issue in the "
                        "guest trace: "
                        "requests cannot be stitched (by id, or by sectors for stock virtio-blk)");
    }
    session->stock = load.stock;
    if (load.stock && load.stock_unmatched_qemu) {
        vq_session_warn(session, "stock virtio-blk: %" PRIu64 " QEMU " VQ_QEMU_EVENT_VIRTIO_BLK_HANDLE_READ
                        "/write events match no "
                        "guest block_rq_issue (issued before the guest trace started?)", load.stock_unmatched_qemu);
    }
    status = vq_keep_device_events(&load, error);
    if (status != VQ_OK) {
        goto end;
    }
    vq_keep_doorbell(&load);
    vq_loader_fit(&load);
    status = run_steps(&load, model_steps, sizeof(model_steps) / sizeof(model_steps[0]), error);
    if (status != VQ_OK) {
        goto end;
    }
    *out = session;
    session = NULL;
end:
    vq_loader_free(&load);
    vq_session_free(session);
    return status;
}

void vq_session_tune_malloc(void)
{
    /* glibc raises its mmap threshold each time a mapped block is freed (up to 32 MiB); after that the
     * analysis's large arrays come from the heap, whose freed middle is not given back, and the peak RSS
     * holds arrays already freed (a 2-minute tcg session: 408.6 MB peak for 368 MB of live heap). A
     * threshold set once is fixed: every block over it is mapped and unmapped when freed (367 MB). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

const char *vq_session_name(const vq_session *session)
{
    return session->name ? session->name : session->directory;
}

vq_status vq_session_load(const char *directory, vq_session **out, vq_error *error)
{
    return vq_session_load_with(directory, 0, &(vq_load_options){ .rows = true }, out, error);
}

vq_status vq_session_load_figures(const char *directory, vq_session **out, vq_error *error)
{
    return vq_session_load_with(directory, 0, &(vq_load_options){ .rows = false }, out, error);
}

vq_status vq_session_load_part(const char *directory, char part, vq_session **out, vq_error *error)
{
    return vq_session_load_with(directory, part, &(vq_load_options){ .rows = true }, out, error);
}

/* The part's blocks as windows, on the guest clock and on the host clock by WHOLE's offset, widened on
 * the host by the offset's own error and 50 us (blocks are fio runs apart: milliseconds). */
static vq_status part_windows(const vq_session *whole, vq_part_filter *filter, vq_window **guest, vq_window **host)
{
    int64_t margin = 50000 + (whole->offset.error_ns > 0 ? whole->offset.error_ns : 0);
    size_t i;

    *guest = malloc((whole->block_count + 1) * sizeof(**guest));
    *host = malloc((whole->block_count + 1) * sizeof(**host));
    if (!*guest || !*host) {
        return VQ_ERR_NOMEM;
    }
    filter->count = 0;
    for (i = 0; i < whole->block_count; i++) {
        const vq_block *block = &whole->blocks[i];
        int64_t begin = (int64_t)block->guest_begin + vq_clock_offset_at(&whole->offset, block->guest_begin);
        int64_t end = (int64_t)block->guest_end + vq_clock_offset_at(&whole->offset, block->guest_end);

        if (block->label != filter->label) {
            continue;
        }
        (*guest)[filter->count] = (vq_window){ block->guest_begin, block->guest_end };
        (*host)[filter->count++] = (vq_window){ (uint64_t)(begin > margin ? begin - margin : 0),
                                                (uint64_t)(end + margin) };
    }
    filter->guest = *guest;
    filter->host = *host;
    return VQ_OK;
}

vq_status vq_session_load_with(const char *directory, char part, const vq_load_options *options, vq_session **out,
                               vq_error *error)
{
    const vq_load_options no_rows = { .rows = false };
    vq_session *whole = NULL;
    vq_part_filter filter = { .label = part };
    vq_window *guest = NULL, *host = NULL;
    vq_status status;
    size_t i;

    if (!part) {
        return load_session(directory, &(vq_part_filter){ .label = 0 }, options, true, out, error);
    }
    *out = NULL;
    status = load_session(directory, &(vq_part_filter){ .label = 0 }, &no_rows, true, &whole, error);   /* blocks, offset */
    if (status != VQ_OK) {
        return status;
    }
    for (i = 0; i < whole->ab_disk_count && whole->ab_disks[i].label != part; i++) {
    }
    if (!whole->block_count || i == whole->ab_disk_count) {
        vq_error_set(error, "%s@%c: %s", directory, part, !whole->block_count ?
                     "not an A/B session (guest.trace has no 'vqscope-block' markers; vqscope record --ab records "
                     "one)" : "the session's guest.trace names no such disk ('# ab-disk:' lines); disks are A and B");
        status = VQ_ERR_USAGE;
        goto end;
    }
    if (!whole->offset.usable) {
        vq_error_set(error, "%s@%c: no usable clock offset: the blocks cannot be placed on the host clock",
                     directory, part);
        status = VQ_ERR_FORMAT;
        goto end;
    }
    snprintf(filter.pci, sizeof(filter.pci), "%s", whole->ab_disks[i].pci);
    status = part_windows(whole, &filter, &guest, &host);
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory", directory);
        goto end;
    }
    status = load_session(directory, &filter, options, true, out, error);
end:
    vq_session_free(whole);
    free(guest);
    free(host);
    return status;
}

const vq_clock_offset *vq_session_offset_of(const vq_session *session, uint32_t cpu)
{
    if (session->per_cpu_offsets && cpu < VQ_GUEST_MAX_CPUS && session->cpu_offset[cpu].usable) {
        return &session->cpu_offset[cpu];
    }
    return &session->offset;
}

void vq_session_free(vq_session *session)
{
    size_t i;

    if (!session) {
        return;
    }
    for (i = 0; i < session->warning_count; i++) {
        free(session->warnings[i]);
    }
    for (i = 0; i < session->exit_reason_count; i++) {
        free(session->exits[i].duration);
    }
    free(session->warnings);
    free(session->exits);
    free(session->rows);
    free(session->windows);
    free(session->blocks);
    free(session->unmatched);
    free(session->kick.requests_per_kick);
    free(session->kick.pops_per_run);
    free(session->kick.kick_to_begin);
    vq_cost_free(&session->cost);
    vq_emitted_free(&session->emitted);
    free(session->directory);
    free(session->name);
    free(session);
}

vq_summary vq_session_stage_summary(const vq_session *session, vq_stage stage)
{
    return vq_hist_summary(session->emitted.stage[stage]);
}
