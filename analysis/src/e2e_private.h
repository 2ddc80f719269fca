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

typedef struct {
    uint32_t pid;
    int api;
    uint64_t app_issue, bio_queue, rq_issue, rq_complete, app_complete, cqe;
    uint64_t sector;
    uint32_t sectors;
    uint64_t driver_id;
    bool issued, submitted, driver_done, done, reaped;
    bool given_up;              /* counted unmatched already (its reason given then) */
    size_t syscall;             /* the issuing syscall (index into syscalls) */
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
    size_t open;                /* open syscall (index), VQ_NO_INDEX none */
    uint64_t pending_sqe;       /* io_uring: request pointer of the last SQE taken, 0 none */
    uint64_t pending_user_data;
    size_t *reap;               /* libaio: completed, not yet reaped, in completion order */
    size_t reap_head, reap_count, reap_capacity;
} app_task;

#define MAX_CPUS 256

struct vq_e2e {
    bool stock;
    bool seen_app;
    app_request *requests;
    size_t request_count, request_capacity;
    size_t *active;             /* requests not reaped and not given up */
    size_t active_count, active_capacity;
    app_syscall *syscalls;
    size_t syscall_count, syscall_capacity;
    app_task *tasks;
    size_t task_count, task_capacity;
    size_t issue_on_cpu[MAX_CPUS];   /* xblk: the request block_rq_issue started on the CPU, for its submit */
    vq_id_map by_driver_id;
    bool settled;               /* the matching's state above is freed, the requests are in settled */
    app_settled *settled_requests;
    size_t settled_count;
    size_t bios;                /* requests made from bios (the matching's request_count) */
    vq_hist *clock_differences;  /* |converted TSC column - ts_ns| of the driver's events (NULL: none) */
    vq_app_coverage *coverage;  /* during finish */
    struct {
        const char *reason;
        uint64_t count;
    } reasons[VQ_APP_MAX_REASONS];
    size_t reason_count;
};

/* Counts one request that cannot be matched, under REASON (static text; the first VQ_APP_MAX_REASONS). */
void vq_e2e_count_reason(vq_e2e *e2e, const char *reason);

#endif
