/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * End to end: each request's row extended to the application that issued it and reaped it, from the
 * guest kernel's own events (guest_trace.h: raw_syscalls, block_bio_queue/rq_issue/rq_complete,
 * io_uring_submit/complete), all on the guest clock.
 *
 *   app issue     sys_enter of the syscall in which the request's bio was queued (same task)
 *   bio queue     block_bio_queue (the task's open syscall at that moment is the issuing one)
 *   rq issue      block_rq_issue of the same sector (first in order among those waiting)
 *   driver submit xblk: virtio_xblk_submit right after that rq_issue on the same CPU (queue_rq starts the
 *                 request, then adds it to the ring; its block range must equal the issue's sectors);
 *                 stock virtio-blk: the rq_issue is the submit
 *   driver complete, then rq complete: block_rq_complete of the request's sector after the driver's
 *                 completion (stock: the rq_complete is the completion)
 *   app complete  by the API the issuing syscall belongs to:
 *     psync    (pread64/pwrite64/preadv/pwritev): the sys_exit of that same syscall
 *     libaio   (io_submit; one may queue many): the first io_getevents/io_pgetevents exit of the task
 *              that returns it; an exit returning N hands back the N oldest completions of the task not
 *              yet reaped (the AIO completion ring is a FIFO filled in completion order)
 *     io_uring (io_uring_enter): the request is named by the io_uring_submit event that precedes its
 *              bio in the task, and its CQE by io_uring_complete of the same kernel request; the
 *              application sees the CQE when the io_uring_enter it was waiting in returns, or at once
 *              when it was not in one (the CQE is posted in its task's own context: task work)
 * What cannot be matched is counted with its reason (vq_app_coverage.unmatched).
 */
#ifndef VQSCOPE_ANALYSIS_E2E_H
#define VQSCOPE_ANALYSIS_E2E_H

#include "guest_trace.h"

/* Stages outside the driver, guest clock. */
typedef enum {
    VQ_APP_ISSUE_QUEUE,      /* app issue -> bio queue (syscall entry, VFS, direct I/O setup) */
    VQ_APP_QUEUE_ISSUE,      /* bio queue -> rq issue (block layer: plugging, scheduler, dispatch) */
    VQ_APP_ISSUE_SUBMIT,     /* rq issue -> driver submit (queue_rq up to the ring add; stock: none) */
    VQ_APP_COMPLETE_DONE,    /* driver complete -> rq complete (stock: none) */
    VQ_APP_DONE_REAP,        /* rq complete -> app complete (completion to the application) */
    VQ_APP_TOTAL,            /* app issue -> app complete */
    VQ_APP_STAGE_COUNT,
} vq_app_stage;

extern const char *const vq_app_stage_names[VQ_APP_STAGE_COUNT];

/*
 * The application-visible latency (VQ_APP_TOTAL) in three layers that add up to it exactly:
 * guest above the driver = total - driver span (submit -> complete);
 * host = first host event of the request (notify exit, else the signal, handler run or backend begin)
 *        -> its interrupt's injection (else the backend's end), host clock;
 * virtio = driver span - host (the driver, the notify and the interrupt crossing the boundary).
 */
typedef enum {
    VQ_LAYER_GUEST_ABOVE,
    VQ_LAYER_VIRTIO,
    VQ_LAYER_HOST,
    VQ_LAYER_COUNT,
} vq_layer;

extern const char *const vq_layer_names[VQ_LAYER_COUNT];

typedef struct {
    bool matched;            /* every point from app issue to app complete found */
    const char *api;         /* "psync", "libaio", "io_uring" (static text); NULL unknown */
    uint32_t pid;
    uint64_t app_issue, bio_queue, rq_issue, rq_complete, app_complete;   /* guest ns, 0 unknown */
    bool has[VQ_APP_STAGE_COUNT];
    int64_t stage[VQ_APP_STAGE_COUNT];
    bool has_layers;         /* matched and the request's host span is known */
    int64_t layer[VQ_LAYER_COUNT];
} vq_app_row;

#define VQ_APP_MAX_REASONS 12

typedef struct {
    bool traced;             /* the guest trace holds application-side events */
    uint64_t ios;            /* the workload's I/Os: fio's issued count, else bios its tasks queued */
    bool ios_from_fio;
    uint64_t bios;           /* bios queued on the disk by traced syscalls */
    uint64_t matched;        /* rows matched end to end */
    uint64_t per_api[3];     /* matched: psync, libaio, io_uring */
    int64_t app_mean_ns;     /* mean VQ_APP_TOTAL over matched rows; -1 none */
    int64_t fio_mean_ns;     /* fio's own mean total latency (workload.txt), -1 unknown */
    double fio_iops;         /* fio's own IOPS (fio_output.h), NaN unknown */
    struct {
        const char *reason;  /* static text */
        uint64_t count;
    } unmatched[VQ_APP_MAX_REASONS];
    size_t unmatched_count;
    /* Clock check: the driver's events carry both a ts_ns field and ftrace's TSC column; |converted
     * column - ts_ns| over them (count 0: none). It bounds the conversion's error plus the tracepoint's
     * own time between its two clock reads (ftrace's at reserve, ts_ns in the event's assignment). */
    uint64_t clock_checks;
    int64_t clock_median_abs_ns, clock_max_abs_ns;
} vq_app_coverage;

typedef struct vq_e2e vq_e2e;

vq_e2e *vq_e2e_new(bool stock);
/* Every guest event, in trace order; stock SUBMIT/COMPLETE with their ids already given. False: out of
 * memory. */
bool vq_e2e_take(vq_e2e *e2e, const vq_guest_event *event);
/*
 * Fills APP (one per row, same order as ROWS, which name requests by id and give the driver's and host
 * times: rows_submit/complete guest ns, host_start/end host ns, 0 unknown) and COVERAGE. FIO_IOS and
 * FIO_MEAN_NS from the workload's output (-1 unknown). False: out of memory.
 */
typedef struct {
    uint64_t id;
    uint64_t submit, complete;       /* guest ns */
    uint64_t host_start, host_end;   /* host ns, 0 unknown */
} vq_e2e_driver_row;

bool vq_e2e_finish(vq_e2e *e2e, const vq_e2e_driver_row *rows, size_t row_count, vq_app_row *app,
                   int64_t fio_ios, int64_t fio_mean_ns, vq_app_coverage *coverage);
/*
 * Read as a stream instead (e2e_stream.c), for a read whose rows come in the guest's submit order and are
 * not all kept: vq_e2e_stream_row says, for each guest request (ID, in submit order), its row (NULL: none
 * among the stitched rows); each request is settled once final and its row known, its application end
 * handed to EMIT (only rows with a request of the application's: a row without one has none);
 * vq_e2e_stream_release settles what became final since and lets the settled requests go; then
 * vq_e2e_stream_finish settles the rest and fills COVERAGE as vq_e2e_finish does. False: out of memory,
 * or EMIT failed.
 */
typedef bool (*vq_e2e_emit)(void *context, const vq_app_row *app);
bool vq_e2e_stream_row(vq_e2e *e2e, uint64_t id, const vq_e2e_driver_row *row, vq_e2e_emit emit, void *context);
bool vq_e2e_stream_release(vq_e2e *e2e, vq_e2e_emit emit, void *context);
bool vq_e2e_stream_finish(vq_e2e *e2e, int64_t fio_ios, int64_t fio_mean_ns, vq_app_coverage *coverage,
                          vq_e2e_emit emit, void *context);
/* Once every event is taken: keeps of each request only what vq_e2e_finish reads, in place, and frees
 * the matching's state (its syscalls, tasks and id index). vq_e2e_finish settles when it was not. */
void vq_e2e_settle(vq_e2e *e2e);
void vq_e2e_free(vq_e2e *e2e);

#endif
