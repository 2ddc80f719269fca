// SPDX-License-Identifier: GPL-2.0-or-later
/* End to end: the application's syscalls and the block layer around each driver request (e2e.h). */
#include "e2e.h"

#include "containers.h"
#include "e2e_private.h"

#include <stdlib.h>
#include <string.h>

const char *const vq_app_stage_names[VQ_APP_STAGE_COUNT] = {
    [VQ_APP_ISSUE_QUEUE] = "app>queue",
    [VQ_APP_QUEUE_ISSUE] = "queue>issue",
    [VQ_APP_ISSUE_SUBMIT] = "issue>submit",
    [VQ_APP_COMPLETE_DONE] = "complete>done",
    [VQ_APP_DONE_REAP] = "done>app",
    [VQ_APP_TOTAL] = "app total",
};

const char *const vq_layer_names[VQ_LAYER_COUNT] = {
    [VQ_LAYER_GUEST_ABOVE] = "guest above the driver",
    [VQ_LAYER_VIRTIO] = "virtio path",
    [VQ_LAYER_HOST] = "host",
};

/* x86_64 syscall numbers the recorder traces (bin/guest-e2e-events.sh) */
enum {
    NR_PREAD64 = 17, NR_PWRITE64 = 18, NR_PREADV = 295, NR_PWRITEV = 296,
    NR_IO_GETEVENTS = 208, NR_IO_SUBMIT = 209, NR_IO_PGETEVENTS = 333, NR_IO_URING_ENTER = 426,
};

app_request *vq_e2e_request_at(vq_e2e *e2e, size_t index)
{
    return index != VQ_NO_INDEX && index >= e2e->request_base && index - e2e->request_base < e2e->request_count
               ? &e2e->requests[index - e2e->request_base] : NULL;
}

vq_e2e *vq_e2e_new(bool stock)
{
    vq_e2e *e2e = calloc(1, sizeof(*e2e));
    size_t i;

    if (!e2e) {
        return NULL;
    }
    e2e->stock = stock;
    for (i = 0; i < MAX_CPUS; i++) {
        e2e->issue_on_cpu[i] = VQ_NO_INDEX;
    }
    return e2e;
}

/* The matching's state but its requests: what settling and freeing give back. */
static void free_matching(vq_e2e *e2e)
{
    size_t i;

    for (i = 0; i < e2e->task_count; i++) {
        free(e2e->tasks[i].reap);
    }
    free(e2e->tasks);
    free(e2e->active);
    vq_id_map_free(&e2e->by_driver_id);
    e2e->tasks = NULL;
    e2e->active = NULL;
    e2e->task_count = e2e->task_capacity = e2e->active_count = e2e->active_capacity = 0;
}

_Static_assert(sizeof(app_settled) <= sizeof(app_request), "settled in place: smaller than a request");

app_settled vq_e2e_settled_of(const app_request *request)
{
    return (app_settled){ .driver_id = request->driver_id, .app_issue = request->app_issue,
                          .bio_queue = request->bio_queue, .rq_issue = request->rq_issue,
                          .rq_complete = request->rq_complete,
                          .app_complete = request->reaped ? request->app_complete : 0, .pid = request->pid,
                          .api = (uint8_t)request->api, .done = request->done, .reaped = request->reaped,
                          .cqe = request->cqe != 0 };
}

void vq_e2e_settle(vq_e2e *e2e)
{
    app_settled *settled, one;
    size_t count = 0, i;

    if (e2e->settled) {
        return;
    }
    free_matching(e2e);
    /* In place, in the order they were made: settled[count] (56 bytes) ends before request i + 1 (112
     * bytes each) begins, for count <= i, and request i is copied out before its slot is written. */
    settled = (app_settled *)(void *)e2e->requests;
    for (i = 0; i < e2e->request_count; i++) {
        const app_request *request = &e2e->requests[i];

        if (request->submitted && !request->given_up) {
            one = vq_e2e_settled_of(request);
            settled[count++] = one;
        }
    }
    e2e->settled_requests = settled;
    e2e->settled_count = count;
    e2e->requests = NULL;
    e2e->request_count = e2e->request_capacity = 0;
    e2e->settled = true;
    if (count) {   /* the rest back (kept as it is if realloc fails) */
        settled = realloc(e2e->settled_requests, count * sizeof(*settled));
        e2e->settled_requests = settled ? settled : e2e->settled_requests;
    }
}

void vq_e2e_free(vq_e2e *e2e)
{
    if (!e2e) {
        return;
    }
    free_matching(e2e);
    free(e2e->requests);
    free(e2e->settled_requests);
    free(e2e->held);
    free(e2e->clock_differences);
    free(e2e);
}

static app_task *task_of(vq_e2e *e2e, uint32_t pid)
{
    app_task *task;
    size_t i;

    for (i = e2e->task_count; i-- > 0;) {
        if (e2e->tasks[i].pid == pid) {
            return &e2e->tasks[i];
        }
    }
    task = VQ_PUSH(e2e->tasks, e2e->task_count, e2e->task_capacity);
    if (task) {
        *task = (app_task){ .pid = pid, .open = VQ_NO_INDEX };
    }
    return task;
}

static int api_of(uint32_t nr)
{
    switch (nr) {
    case NR_PREAD64:
    case NR_PWRITE64:
    case NR_PREADV:
    case NR_PWRITEV:
        return API_PSYNC;
    case NR_IO_SUBMIT:
        return API_LIBAIO;
    case NR_IO_URING_ENTER:
        return API_URING;
    default:
        return API_NONE;
    }
}

static void retire(vq_e2e *e2e, size_t position)
{
    e2e->active[position] = e2e->active[--e2e->active_count];
}

/* The oldest active request for which MATCH holds, its position in active or VQ_NO_INDEX. */
static size_t find_active(const vq_e2e *e2e, bool (*match)(const app_request *, const vq_guest_event *),
                          const vq_guest_event *event)
{
    size_t i, best = VQ_NO_INDEX;

    for (i = 0; i < e2e->active_count; i++) {
        if (match(vq_e2e_request_at((vq_e2e *)e2e, e2e->active[i]), event) &&
            (best == VQ_NO_INDEX || e2e->active[i] < e2e->active[best])) {
            best = i;
        }
    }
    return best;
}

/* Not issued yet, or issued and put back before the driver took it (queue_rq said busy: requeued). */
static bool waits_for_issue(const app_request *request, const vq_guest_event *event)
{
    return !request->submitted && !request->given_up && request->sector == event->sector &&
           request->sectors == event->sectors;
}

static bool waits_for_done(const app_request *request, const vq_guest_event *event)
{
    return request->submitted && request->driver_done && !request->done && request->sector == event->sector &&
           request->sectors == event->sectors;
}

static bool has_uring_req(const app_request *request, const vq_guest_event *event)
{
    return request->api == API_URING && request->done && !request->reaped && request->uring_req == event->uring_req;
}

static bool queue_bio(vq_e2e *e2e, const vq_guest_event *event)
{
    app_task *task = task_of(e2e, event->pid);
    app_request *request;
    size_t *slot;

    if (!task) {
        return false;
    }
    if (task->open == VQ_NO_INDEX || api_of(task->call.nr) == API_NONE) {
        vq_e2e_count_reason(e2e, "bio queued outside a traced I/O syscall of the workload (another task, or an "
                          "io_uring worker)");
        return true;
    }
    request = VQ_PUSH(e2e->requests, e2e->request_count, e2e->request_capacity);
    slot = VQ_PUSH(e2e->active, e2e->active_count, e2e->active_capacity);
    if (!request || !slot) {
        return false;
    }
    *slot = e2e->request_base + e2e->request_count - 1;
    e2e->bios++;
    *request = (app_request){ .pid = event->pid, .api = api_of(task->call.nr),
                              .app_issue = task->call.enter, .bio_queue = event->ts_ns,
                              .sector = event->sector, .sectors = event->sectors, .syscall = task->open,
                              .wait_syscall = VQ_NO_INDEX };
    if (request->api == API_URING && task->pending_sqe) {
        request->uring_req = task->pending_sqe;
        task->pending_sqe = 0;
    }
    return true;
}

/* The request starts at the block layer's issue (stock: also its driver submit, with its id). */
static bool issue(vq_e2e *e2e, const vq_guest_event *event, bool with_id)
{
    size_t position = find_active(e2e, waits_for_issue, event);
    app_request *request;

    if (event->cpu < MAX_CPUS) {
        e2e->issue_on_cpu[event->cpu] = VQ_NO_INDEX;
    }
    if (position == VQ_NO_INDEX) {
        vq_e2e_count_reason(e2e, "block request issued with no traced bio of the same sectors (merged, or queued "
                          "before the trace)");
        return true;
    }
    request = vq_e2e_request_at(e2e, e2e->active[position]);
    if (!request->issued) {
        request->rq_issue = event->ts_ns;   /* a requeued request keeps its first issue */
    }
    request->issued = true;
    if (with_id) {
        request->submitted = true;
        request->driver_id = event->id;
        return vq_id_map_put(&e2e->by_driver_id, event->id, e2e->active[position]);
    }
    if (event->cpu < MAX_CPUS) {
        e2e->issue_on_cpu[event->cpu] = e2e->active[position];
    }
    return true;
}

/* xblk: the driver's submit follows the issue of its request on the same CPU (queue_rq). */
static bool driver_submit(vq_e2e *e2e, const vq_guest_event *event)
{
    size_t index = event->cpu < MAX_CPUS ? e2e->issue_on_cpu[event->cpu] : VQ_NO_INDEX;
    app_request *request;

    if (index == VQ_NO_INDEX) {
        if (e2e->seen_app) {
            vq_e2e_count_reason(e2e, "driver submit with no block_rq_issue before it on its CPU");
        }
        return true;
    }
    e2e->issue_on_cpu[event->cpu] = VQ_NO_INDEX;
    request = vq_e2e_request_at(e2e, index);
    if (!request) {
        return true;   /* released by a streaming read (e2e_stream.c: settled requests go) */
    }
    if (event->nblocks == 0 || request->sectors % event->nblocks != 0 ||
        request->sector != event->block * (request->sectors / event->nblocks)) {
        vq_e2e_count_reason(e2e, "driver submit names other blocks than the block_rq_issue before it on its CPU");
        return true;
    }
    request->submitted = true;
    request->driver_id = event->id;
    return vq_id_map_put(&e2e->by_driver_id, event->id, index);
}

static void driver_complete(vq_e2e *e2e, const vq_guest_event *event)
{
    app_request *request = vq_e2e_request_at(e2e, vq_id_map_get(&e2e->by_driver_id, event->id));

    if (request && request->driver_id == event->id) {
        request->driver_done = true;
    }
}

static bool done(vq_e2e *e2e, app_request *request, size_t index, uint64_t ts)
{
    app_task *task;
    size_t *slot;

    request->done = true;
    request->rq_complete = ts;
    if (request->api != API_LIBAIO) {
        return true;
    }
    task = task_of(e2e, request->pid);
    if (!task) {
        return false;
    }
    if (task->reap_head > 0 && task->reap_head >= task->reap_count / 2) {   /* the reaped ones go */
        vq_drop_front(task->reap, &task->reap_count, sizeof(*task->reap), task->reap_head);
        task->reap_head = 0;
    }
    slot = VQ_PUSH(task->reap, task->reap_count, task->reap_capacity);
    if (!slot) {
        return false;
    }
    *slot = index;
    return true;
}

static void reaped(vq_e2e *e2e, size_t index, uint64_t ts)
{
    app_request *request = vq_e2e_request_at(e2e, index);
    size_t i;

    if (!request) {
        return;
    }
    request->reaped = true;
    request->app_complete = ts;
    for (i = 0; i < e2e->active_count; i++) {
        if (e2e->active[i] == index) {
            retire(e2e, i);
            return;
        }
    }
}

static bool sys_exit(vq_e2e *e2e, const vq_guest_event *event)
{
    app_task *task = task_of(e2e, event->pid);
    size_t i, syscall;
    int64_t n;

    if (!task) {
        return false;
    }
    syscall = task->open;
    task->open = VQ_NO_INDEX;
    if (syscall == VQ_NO_INDEX || task->call.nr != event->sys_nr) {
        return true;   /* entered before the trace started */
    }
    if (api_of(event->sys_nr) == API_PSYNC || event->sys_nr == NR_IO_URING_ENTER) {
        for (i = e2e->active_count; i-- > 0;) {
            app_request *request = vq_e2e_request_at(e2e, e2e->active[i]);

            if (request->api == API_PSYNC && request->syscall == syscall) {
                if (!request->done) {
                    vq_e2e_count_reason(e2e, "psync syscall returned before its request completed");
                    request->given_up = true;
                    retire(e2e, i);
                } else {
                    reaped(e2e, e2e->active[i], event->ts_ns);
                }
            } else if (request->api == API_URING && request->wait_syscall == syscall) {
                reaped(e2e, e2e->active[i], event->ts_ns);
            }
        }
        return true;
    }
    if (event->sys_nr == NR_IO_GETEVENTS || event->sys_nr == NR_IO_PGETEVENTS) {
        for (n = 0; n < event->sys_ret; n++) {
            if (task->reap_head == task->reap_count) {
                vq_e2e_count_reason(e2e, "io_getevents returned more completions than the task's traced requests");
                break;
            }
            reaped(e2e, task->reap[task->reap_head++], event->ts_ns);
        }
    }
    return true;
}

/* io_uring: the CQE is in the ring; the application reads it from there without a syscall, so the
 * moment it had it is bounded by the task's next io_uring_enter (reap before submitting again). */
static void uring_complete(vq_e2e *e2e, const vq_guest_event *event)
{
    size_t position = find_active(e2e, has_uring_req, event);
    app_request *request;
    app_task *task;

    if (position == VQ_NO_INDEX) {
        return;
    }
    request = vq_e2e_request_at(e2e, e2e->active[position]);
    request->cqe = event->ts_ns;
    task = task_of(e2e, event->pid);
    if (task && task->open != VQ_NO_INDEX && task->call.nr == NR_IO_URING_ENTER && task->call.waits) {
        request->wait_syscall = task->open;   /* it was waiting for completions: handed back at that exit */
    }
}

static void uring_enter(vq_e2e *e2e, const vq_guest_event *event)
{
    size_t i;

    for (i = e2e->active_count; i-- > 0;) {
        const app_request *request = vq_e2e_request_at(e2e, e2e->active[i]);

        if (request->api == API_URING && request->pid == event->pid && request->cqe && !request->reaped &&
            request->wait_syscall == VQ_NO_INDEX) {
            reaped(e2e, e2e->active[i], event->ts_ns);
        }
    }
}

bool vq_e2e_take(vq_e2e *e2e, const vq_guest_event *event)
{
    app_task *task;
    size_t position;

    if (event->column_ns && !event->stock) {
        /* the driver's event: its own ts_ns beside ftrace's column converted from the guest TSC */
        int64_t difference = (int64_t)(event->column_ns - event->ts_ns);

        if (!vq_hist_add_new(&e2e->clock_differences, difference < 0 ? -difference : difference)) {
            return false;
        }
    }
    switch (event->type) {
    case VQ_GUEST_SYS_ENTER:
        e2e->seen_app = true;
        task = task_of(e2e, event->pid);
        if (!task) {
            return false;
        }
        /* only the task's open syscall is read: what its requests keep of it is its number */
        task->call = (app_syscall){ .pid = event->pid, .nr = event->sys_nr, .enter = event->ts_ns,
                                    .waits = event->sys_nr == NR_IO_URING_ENTER && event->sys_args[2] > 0 &&
                                             (event->sys_args[3] & 1) };
        task->open = e2e->syscall_count++;
        if (event->sys_nr == NR_IO_URING_ENTER) {
            uring_enter(e2e, event);
        }
        return true;
    case VQ_GUEST_SYS_EXIT:
        return sys_exit(e2e, event);
    case VQ_GUEST_BIO_QUEUE:
        e2e->seen_app = true;
        return queue_bio(e2e, event);
    case VQ_GUEST_RQ_ISSUE:
        return issue(e2e, event, false);
    case VQ_GUEST_SUBMIT:
        if (event->stock) {
            return issue(e2e, event, true);
        }
        return driver_submit(e2e, event);
    case VQ_GUEST_COMPLETE:
        if (event->stock) {
            size_t index = vq_id_map_get(&e2e->by_driver_id, event->id);
            app_request *request = vq_e2e_request_at(e2e, index);

            if (request && request->driver_id == event->id && !request->done) {
                request->driver_done = true;
                return done(e2e, request, index, event->ts_ns);
            }
            return true;
        }
        driver_complete(e2e, event);
        return true;
    case VQ_GUEST_RQ_COMPLETE:
        position = find_active(e2e, waits_for_done, event);
        if (position == VQ_NO_INDEX) {
            return true;   /* a request not traced from its bio: counted at its issue */
        }
        return done(e2e, vq_e2e_request_at(e2e, e2e->active[position]), e2e->active[position], event->ts_ns);
    case VQ_GUEST_URING_SUBMIT:
        task = task_of(e2e, event->pid);
        if (!task) {
            return false;
        }
        task->pending_sqe = event->uring_req;
        task->pending_user_data = event->user_data;
        return true;
    case VQ_GUEST_URING_COMPLETE:
        uring_complete(e2e, event);
        return true;
    default:
        return true;
    }
}
