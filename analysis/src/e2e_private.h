/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The end-to-end collector's state, shared by its two halves: e2e.c takes the guest's events and matches
 * them into requests, e2e_rows.c turns the matched requests into rows and the coverage summary.
 */
#ifndef VQSCOPE_ANALYSIS_E2E_PRIVATE_H
#define VQSCOPE_ANALYSIS_E2E_PRIVATE_H

#include "containers.h"
#include "e2e.h"
#include "histogram.h"

enum { API_PSYNC, API_LIBAIO, API_URING, API_NONE };
/* What a streaming read knows of a request's row: not yet, none among the stitched rows, held. */
enum { ROW_UNKNOWN, ROW_NONE, ROW_HELD };

typedef struct {
    uint32_t pid;
    int api;
    uint64_t app_issue, bio_queue, rq_issue, rq_complete, app_complete, cqe;
    uint64_t sector;
    uint32_t sectors;
    uint64_t driver_id;
    bool issued, submitted, driver_done, done, reaped;
    bool given_up;              /* counted unmatched already (its reason given then) */
    uint8_t row;                /* a streaming read's (e2e_stream.c): ROW_* */
    bool settled;               /* and it is settled (counted, its row extended) */
    size_t syscall;             /* the issuing syscall (its number) */
    uint64_t uring_req;
    size_t wait_syscall;        /* io_uring: the waiting io_uring_enter its CQE came in, VQ_NO_INDEX none */
} app_request;

/* A request once every event is taken (vq_e2e_settle), of those submitted to the driver and not given
 * up: what the rows read, 56 bytes of the 112 a request takes while it is matched. */
typedef struct {
    uint64_t driver_id;
    uint64_t app_issue, bio_queue, rq_issue, rq_complete, app_complete;   /* app_complete: 0 unless reaped */
    uint32_t pid;
    uint8_t api;
    bool done, reaped, cqe;
} app_settled;

typedef struct {
    uint32_t pid, nr;
    uint64_t enter;
    bool waits;                 /* io_uring_enter with IORING_ENTER_GETEVENTS and min_complete > 0 */
} app_syscall;

typedef struct {
    uint32_t pid;
    size_t open;                /* open syscall (its number, vq_e2e.syscall_count), VQ_NO_INDEX none */
    app_syscall call;           /* that syscall */
    uint64_t pending_sqe;       /* io_uring: request pointer of the last SQE taken, 0 none */
    uint64_t pending_user_data;
    size_t *reap;               /* libaio: completed, not yet reaped, in completion order */
    size_t reap_head, reap_count, reap_capacity;
} app_task;

#define MAX_CPUS 256

struct vq_e2e {
    bool stock;
    bool seen_app;
    /* The requests, a window from request_base (every index absolute: vq_e2e_request_at): a streaming
     * read releases them once settled (e2e_stream.c); the batch's base stays 0. */
    app_request *requests;
    size_t request_count, request_capacity, request_base;
    size_t *active;             /* requests not reaped and not given up */
    size_t active_count, active_capacity;
    size_t syscall_count;       /* syscalls entered: the next one's number */
    app_task *tasks;
    size_t task_count, task_capacity;
    size_t issue_on_cpu[MAX_CPUS];   /* xblk: the request block_rq_issue started on the CPU, for its submit */
    vq_id_map by_driver_id;
    bool settled;               /* the matching's state above is freed, the requests are in settled */
    app_settled *settled_requests;
    size_t settled_count;
    size_t bios;                /* requests made from bios (the matching's request_count) */
    vq_hist *clock_differences;  /* |converted TSC column - ts_ns| of the driver's events (NULL: none) */
    struct {
        const char *reason;
        uint64_t count;
    } reasons[VQ_APP_MAX_REASONS];
    size_t reason_count;
    /* The settling (vq_e2e_settle_one): rows matched end to end, per API, their totals' sum, and the
     * reasons of those not matched with the first request (its index) that gave each: they follow the
     * matching's own in the coverage, in that order, as if settled in the order the requests were made. */
    uint64_t matched, per_api[3];
    double total_sum;
    struct {
        const char *reason;
        uint64_t count;
        size_t first;
    } settle_reasons[VQ_APP_MAX_REASONS];
    size_t settle_reason_count;
    /* A streaming read's rows not settled yet (e2e_stream.c): each with its request's index. */
    struct held_row *held;
    size_t held_count, held_capacity;
};

struct held_row {
    size_t request;
    vq_e2e_driver_row row;
};

/* Counts one request that cannot be matched, under REASON (static text; the first VQ_APP_MAX_REASONS). */
void vq_e2e_count_reason(vq_e2e *e2e, const char *reason);
/* The request at absolute INDEX, NULL when released (or VQ_NO_INDEX). */
app_request *vq_e2e_request_at(vq_e2e *e2e, size_t index);
/* What settling keeps of REQUEST (vq_e2e_settle). */
app_settled vq_e2e_settled_of(const app_request *request);
/* One settled request (ORDER: its index among the requests made) with its row (DRIVER; NULL: not among
 * the stitched rows) into APP (left alone without a row) and the settling's counts. */
void vq_e2e_settle_one(vq_e2e *e2e, const app_settled *request, size_t order, const vq_e2e_driver_row *driver,
                       vq_app_row *app);
/* The coverage from the matching's and the settling's counts. */
void vq_e2e_coverage(vq_e2e *e2e, int64_t fio_ios, int64_t fio_mean_ns, vq_app_coverage *coverage);

#endif
