// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The model: reads a session directory into requests, stages, alignment, per-kick figures and VM exit
 * statistics (see session.h). Three streaming passes (guest, QEMU, probe) fill compact arrays; the
 * alignment and the stitching then work on those arrays, all sorted by time.
 */
#include "session.h"

#include "ctf.h"
#include "guest_trace.h"
#include "probe.h"
#include "reorder.h"
#include "simpletrace.h"
#include "trace_events.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Pairing tolerances (ns). SLACK lets a pair fall on the wrong side of the preliminary estimate, so
 * that a wrong pairing shows up as a contradiction instead of being hidden; WINDOW is the longest
 * kick -> exit or injection -> irq accepted as the same event (nested virtualisation is slow). */
#define PAIR_SLACK_NS 50000
#define PAIR_WINDOW_NS 5000000
#define MAX_THREADS 256
#define MAX_EXIT_REASONS 128
#define NO_INDEX SIZE_MAX

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

/* ---- small containers ---- */

static bool grow(void **array, size_t element, size_t count, size_t *capacity)
{
    void *bigger;
    size_t wanted;

    if (count < *capacity) {
        return true;
    }
    wanted = *capacity ? *capacity * 2 : 64;
    bigger = realloc(*array, wanted * element);
    if (!bigger) {
        return false;
    }
    *array = bigger;
    *capacity = wanted;
    return true;
}

#define PUSH(array, count, capacity) \
    (grow((void **)&(array), sizeof(*(array)), (count), &(capacity)) ? &(array)[(count)++] : NULL)

/* id -> index, open addressing; ids are request ids (any u64 but UINT64_MAX). */
typedef struct {
    uint64_t *keys;
    size_t *values;
    size_t capacity, count;
} id_map;

static size_t hash_id(uint64_t id, size_t capacity)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 17) & (capacity - 1);
}

static bool id_map_put(id_map *map, uint64_t id, size_t value)
{
    size_t slot;

    if ((map->count + 1) * 2 > map->capacity) {
        id_map bigger = { .capacity = map->capacity ? map->capacity * 2 : 1024 };
        size_t i;

        bigger.keys = malloc(bigger.capacity * sizeof(*bigger.keys));
        bigger.values = malloc(bigger.capacity * sizeof(*bigger.values));
        if (!bigger.keys || !bigger.values) {
            free(bigger.keys);
            free(bigger.values);
            return false;
        }
        memset(bigger.keys, 0xff, bigger.capacity * sizeof(*bigger.keys));
        for (i = 0; i < map->capacity; i++) {
            if (map->keys[i] != UINT64_MAX) {
                id_map_put(&bigger, map->keys[i], map->values[i]);
            }
        }
        free(map->keys);
        free(map->values);
        *map = bigger;
    }
    for (slot = hash_id(id, map->capacity); map->keys[slot] != UINT64_MAX && map->keys[slot] != id;
         slot = (slot + 1) & (map->capacity - 1)) {
    }
    if (map->keys[slot] == UINT64_MAX) {
        map->count++;
    }
    map->keys[slot] = id;
    map->values[slot] = value;
    return true;
}

static size_t id_map_get(const id_map *map, uint64_t id)
{
    size_t slot;

    if (!map->capacity) {
        return NO_INDEX;
    }
    for (slot = hash_id(id, map->capacity); map->keys[slot] != UINT64_MAX;
         slot = (slot + 1) & (map->capacity - 1)) {
        if (map->keys[slot] == id) {
            return map->values[slot];
        }
    }
    return NO_INDEX;
}

static void id_map_free(id_map *map)
{
    free(map->keys);
    free(map->values);
}

/* ---- what the passes keep ---- */

typedef struct {
    uint64_t id;
    uint32_t vq;
    uint64_t submit, complete;  /* guest ns; complete 0 = none */
    size_t kick, irq;           /* indexes, NO_INDEX = none */
    /* Stock virtio-blk: what names the request on both sides, and the next request with the same. */
    uint64_t sector;
    uint32_t sectors;
    bool write;
    size_t next_same;
    /* The driver's own hold of it between ring add and kick (kick_hold_ns), guest ns; kick_held false:
     * none. */
    bool kick_held;
    uint64_t kick_hold_start, kick_hold_end;
} guest_request;

typedef struct {
    uint64_t ts, id_last;
    uint32_t vq;
    bool notified;
    size_t requests;            /* requests it covers */
    uint64_t last_hold_end;     /* the latest end of a driver hold among them (kick_hold_ns), 0 none */
    size_t notify;              /* paired host notify, NO_INDEX = none */
} guest_kick;

typedef struct {
    uint64_t ts;
    size_t injection;           /* paired host injection */
} guest_irq;

/* The device's doorbell as the host saw it. */
typedef struct {
    uint64_t exit_ts;           /* kvm_exit before the MMIO write (0: not seen) */
    uint64_t mmio_ts;           /* kvm_mmio write, or ioeventfd_write if no kvm_mmio */
    uint64_t signal_ts;         /* ioeventfd_write (on) or kvm_userspace_exit MMIO (off); 0 = none */
    uint64_t gpa;
    uint32_t tid;
    size_t kick;                /* paired guest kick */
} host_notify;

typedef struct {
    uint64_t ts;
    uint64_t vdev;
} qemu_mark;                    /* virtio_queue_notify, virtio_notify[_irqfd] */

typedef struct {
    uint64_t id, vdev, begin, end;
    uint32_t vq;
    int64_t serve_hold_ns;      /* the device's delay-ns hold between serving and pushing it; -1 none */
} qemu_request;

/* The device held its interrupt after pushing (notify-delay-ns): the hold starts after a handler run
 * pushed its requests and ends with the notify at END, which delivers every request pushed on VQ since
 * the previous notify (those pushed during the hold ride it). */
typedef struct {
    uint64_t start, end;
    uint32_t vq;
} notify_hold;

typedef struct {
    uint64_t ts;
    uint32_t vector;            /* MSI vector; UINT32_MAX for an irqfd */
    uint32_t tid;
} host_injection;

typedef struct {
    uint64_t ts;
    uint32_t vector;
} host_virq;

typedef struct {
    uint64_t ts;
    uint32_t isa, reason;
    int64_t duration;           /* -1: no entry seen */
} host_exit;

typedef struct {
    uint32_t tid;
    bool in_exit;
    size_t exit;                /* index in exits */
    size_t open_notify;         /* notify waiting for its signal on this thread */
} thread_state;

typedef struct {
    vq_session *session;
    const char *directory;
    guest_request *requests;
    size_t request_count, request_capacity;
    guest_kick *kicks;
    size_t kick_count, kick_capacity;
    guest_irq *irqs;
    size_t irq_count, irq_capacity;
    vq_guest_bar bars[VQ_GUEST_MAX_BARS];
    size_t bar_count;
    vq_clock_pair guest_pairs[VQ_GUEST_MAX_CLOCK_PAIRS];
    size_t guest_pair_count;
    id_map guest_ids, qemu_ids;
    host_notify *notifies;
    size_t notify_count, notify_capacity;
    qemu_mark *handlers, *device_notifies;
    size_t handler_count, handler_capacity, device_notify_count, device_notify_capacity;
    qemu_request *qemu_requests;
    size_t qemu_request_count, qemu_request_capacity;
    host_injection *injections;
    size_t injection_count, injection_capacity;
    host_virq *virqs;
    size_t virq_count, virq_capacity;
    host_exit *exits;
    size_t exit_count, exit_capacity;
    thread_state threads[MAX_THREADS];
    size_t thread_count;
    uint64_t xblk_vdev;         /* the traced device's vdev (xblk, or stock virtio-blk) */
    /*
     * Stock virtio-blk (no request ids): the guest's block_rq_issue gets an id here (1, 2, ...); its
     * block_rq_complete and QEMU's virtio_blk_handle_read/write are matched to it by (sector, sectors,
     * write) in order, each through its own queue of requests with that key (heads below, linked by
     * guest_request.next_same); QEMU's req pointer then names the request up to virtio_blk_req_complete.
     */
    bool stock;
    uint64_t stock_ids;
    id_map stock_tail, stock_complete_head, stock_qemu_head, stock_req;
    uint64_t stock_unmatched_qemu;
    /* After filtering: */
    uint64_t *notify_times;     /* host time of each notify used for pairing */
    size_t *device_injections;  /* indexes into injections that answer the device's virtio_notify */
    size_t device_injection_count;
    notify_hold *notify_holds;   /* in time order */
    size_t notify_hold_count, notify_hold_capacity;
    vq_constraint *constraints;  /* the causal bounds, kept to check the chosen offset against */
    size_t constraint_count;
} loader;

static void add_warning(vq_session *session, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void add_warning(vq_session *session, const char *format, ...)
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

static char *join_path(const char *directory, const char *name)
{
    size_t length = strlen(directory) + strlen(name) + 2;
    char *path = malloc(length);

    if (path) {
        snprintf(path, length, "%s/%s", directory, name);
    }
    return path;
}

static bool path_exists(const char *path, bool directory)
{
    struct stat info;

    return stat(path, &info) == 0 && (directory ? S_ISDIR(info.st_mode) : S_ISREG(info.st_mode));
}

/* ---- meta.json: the few scalar fields the report shows (a flat search, not a JSON parser) ---- */

static void meta_string(const char *text, const char *key, char *out, size_t size)
{
    char pattern[64];
    const char *at;
    size_t length = 0;

    snprintf(out, size, "?");
    snprintf(pattern, sizeof(pattern), "\"%s\":", key);
    at = strstr(text, pattern);
    if (!at) {
        return;
    }
    at += strlen(pattern);
    at += strspn(at, " \t");
    if (*at == '"') {
        at++;
        while (at[length] && at[length] != '"' && length + 1 < size) {
            length++;
        }
    } else {
        while (at[length] && strchr(",}\n", at[length]) == NULL && length + 1 < size) {
            length++;
        }
    }
    memcpy(out, at, length);
    out[length] = '\0';
}

static void read_meta(vq_session *session, const char *directory)
{
    char *path = join_path(directory, "meta.json");
    char *text = NULL;
    char delay[32];
    FILE *stream = path ? fopen(path, "r") : NULL;
    size_t size = 0;

    if (!stream) {
        add_warning(session, "%s: cannot open (%s): session figures without metadata", path ? path : "meta.json",
                    strerror(errno));
        goto end;
    }
    text = calloc(1, 1 << 20);
    if (!text) {
        goto end;
    }
    size = fread(text, 1, (1 << 20) - 1, stream);
    text[size] = '\0';
    meta_string(text, "ioeventfd", session->ioeventfd, sizeof(session->ioeventfd));
    meta_string(text, "mode", session->mode, sizeof(session->mode));
    meta_string(text, "device", session->device, sizeof(session->device));
    meta_string(text, "delay_ns", delay, sizeof(delay));
    session->delay_ns = strtoll(delay, NULL, 10);
end:
    if (stream) {
        fclose(stream);
    }
    free(text);
    free(path);
}

/* ---- stock virtio-blk: requests named by (sector, sectors, write) ---- */

static uint64_t stock_key(uint64_t sector, uint32_t sectors, bool write)
{
    uint64_t key = sector * 0x9e3779b97f4a7c15ULL ^ (((uint64_t)sectors << 1) | write) * 0xc2b2ae3d27d4eb4fULL;

    key ^= key >> 29;
    return key == UINT64_MAX ? key - 1 : key;
}

static bool stock_same(const guest_request *request, uint64_t sector, uint32_t sectors, bool write)
{
    return request->sector == sector && request->sectors == sectors && request->write == write;
}

/* QEMU's req pointer as an id_map key (UINT64_MAX is the map's empty slot). */
static uint64_t stock_req_key(uint64_t req)
{
    return req == UINT64_MAX ? req - 1 : req;
}

/* Appends request INDEX (next_same already NO_INDEX) to the queues of its key. */
static bool stock_append(loader *load, size_t index)
{
    guest_request *request = &load->requests[index];
    uint64_t key = stock_key(request->sector, request->sectors, request->write);
    size_t tail = id_map_get(&load->stock_tail, key);
    size_t head = id_map_get(&load->stock_complete_head, key);

    if (tail != NO_INDEX) {
        load->requests[tail].next_same = index;
    }
    if (id_map_get(&load->stock_qemu_head, key) == NO_INDEX && !id_map_put(&load->stock_qemu_head, key, index)) {
        return false;
    }
    return id_map_put(&load->stock_tail, key, index) &&
           (head != NO_INDEX || id_map_put(&load->stock_complete_head, key, index));
}

/* Takes the oldest request of HEADS' queue for the key; NO_INDEX if none (or a key collision). */
static size_t stock_take(loader *load, id_map *heads, uint64_t sector, uint32_t sectors, bool write)
{
    uint64_t key = stock_key(sector, sectors, write);
    size_t index = id_map_get(heads, key);

    if (index == NO_INDEX || !stock_same(&load->requests[index], sector, sectors, write)) {
        return NO_INDEX;
    }
    if (!id_map_put(heads, key, load->requests[index].next_same)) {
        return NO_INDEX;
    }
    return index;
}

/* ---- pass 1: guest trace ---- */

static vq_status read_guest(loader *load, vq_error *error)
{
    char *path = join_path(load->directory, "guest.trace");
    vq_guest_trace *reader = NULL;
    vq_guest_event event;
    const vq_guest_bar *bars;
    size_t pending_first[64] = { 0 };   /* per vq: first request not covered by a kick yet */
    size_t last_irq[64];
    vq_status status;
    size_t i;

    for (i = 0; i < 64; i++) {
        last_irq[i] = NO_INDEX;
    }
    if (!path) {
        status = VQ_ERR_NOMEM;
        goto end;
    }
    status = vq_guest_trace_open(path, &reader, error);
    if (status != VQ_OK) {
        goto end;
    }
    while ((status = vq_guest_trace_next(reader, &event, error)) == VQ_OK) {
        guest_request *request;
        guest_kick *kick;
        guest_irq *irq;
        size_t index;

        if (event.vq >= 64) {
            vq_error_set(error, "%s:%" PRIu64 ": vq=%" PRIu32 "; expected a queue index below 64", path,
                         event.line, event.vq);
            status = VQ_ERR_FORMAT;
            goto end;
        }
        if (event.stock) {
            load->stock = true;
            if (event.type == VQ_GUEST_SUBMIT) {
                event.id = ++load->stock_ids;
            } else if (event.type == VQ_GUEST_KICK) {
                event.id_last = load->stock_ids;
            } else if (event.type == VQ_GUEST_COMPLETE) {
                index = stock_take(load, &load->stock_complete_head, event.sector, event.sectors, event.write);
                if (index == NO_INDEX) {
                    continue;   /* issued before the trace started */
                }
                event.id = load->requests[index].id;
            }
        }
        switch (event.type) {
        case VQ_GUEST_SUBMIT:
            request = PUSH(load->requests, load->request_count, load->request_capacity);
            if (!request) {
                status = VQ_ERR_NOMEM;
                goto end;
            }
            *request = (guest_request){ .id = event.id, .vq = event.vq, .submit = event.ts_ns,
                                        .kick = NO_INDEX, .irq = NO_INDEX, .sector = event.sector,
                                        .sectors = event.sectors, .write = event.write, .next_same = NO_INDEX,
                                        .kick_held = false };
            if (event.stock && !stock_append(load, load->request_count - 1)) {
                status = VQ_ERR_NOMEM;
                goto end;
            }
            if (id_map_get(&load->guest_ids, event.id) != NO_INDEX) {
                add_warning(load->session, "%s:%" PRIu64 ": request id %" PRIu64 " submitted again; the "
                            "later one is stitched", path, event.line, event.id);
            }
            if (!id_map_put(&load->guest_ids, event.id, load->request_count - 1)) {
                status = VQ_ERR_NOMEM;
                goto end;
            }
            break;
        case VQ_GUEST_KICK:
            kick = PUSH(load->kicks, load->kick_count, load->kick_capacity);
            if (!kick) {
                status = VQ_ERR_NOMEM;
                goto end;
            }
            *kick = (guest_kick){ .ts = event.ts_ns, .id_last = event.id_last, .vq = event.vq,
                                  .notified = event.notified, .notify = NO_INDEX };
            /* The kick covers every request of its vq submitted since the previous kick. */
            for (i = pending_first[event.vq]; i < load->request_count; i++) {
                if (load->requests[i].vq == event.vq && load->requests[i].kick == NO_INDEX) {
                    load->requests[i].kick = load->kick_count - 1;
                    kick->requests++;
                }
            }
            pending_first[event.vq] = load->request_count;
            break;
        case VQ_GUEST_IRQ:
            irq = PUSH(load->irqs, load->irq_count, load->irq_capacity);
            if (!irq) {
                status = VQ_ERR_NOMEM;
                goto end;
            }
            *irq = (guest_irq){ .ts = event.ts_ns, .injection = NO_INDEX };
            last_irq[event.vq] = load->irq_count - 1;
            break;
        case VQ_GUEST_COMPLETE:
            index = id_map_get(&load->guest_ids, event.id);
            if (index == NO_INDEX) {
                /* Submitted before the trace started: nothing to stitch. */
                break;
            }
            load->requests[index].complete = event.ts_ns;
            load->requests[index].irq = last_irq[event.vq];
            break;
        case VQ_GUEST_HOLD:
            index = id_map_get(&load->guest_ids, event.id);
            if (index != NO_INDEX) {
                load->requests[index].kick_held = true;
                load->requests[index].kick_hold_start = event.hold_start_ns;
                load->requests[index].kick_hold_end = event.hold_end_ns;
            }
            break;
        }
    }
    if (status != VQ_END) {
        goto end;
    }
    status = VQ_OK;
    {
        const vq_clock_pair *pairs;

        load->guest_pair_count = vq_guest_trace_clock_pairs(reader, &pairs);
        memcpy(load->guest_pairs, pairs, load->guest_pair_count * sizeof(*pairs));
    }
    load->bar_count = vq_guest_trace_bars(reader, &bars);
    memcpy(load->bars, bars, load->bar_count * sizeof(*bars));
    if (load->bar_count == 0) {
        add_warning(load->session, "%s: no '# device-bar:' header line: host MMIO cannot be attributed "
                    "to the device", path);
    }
end:
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory", path ? path : "guest.trace");
    }
    vq_guest_trace_close(reader);
    free(path);
    return status;
}

/* ---- pass 2: QEMU trace ---- */

static bool event_arg(const vq_event *event, const char *name, uint64_t *value)
{
    size_t i;

    for (i = 0; i < event->arg_count; i++) {
        if (strcmp(event->args[i].name, name) == 0 && event->args[i].type != VQ_ARG_STRING) {
            *value = event->args[i].value;
            return true;
        }
    }
    return false;
}

static vq_status take_qemu_event(loader *load, const vq_event *event)
{
    uint64_t vdev = 0, id = 0;
    qemu_mark *mark;
    qemu_request *request;
    size_t index;

    if (strcmp(event->name, "virtio_queue_notify") == 0) {
        event_arg(event, "vdev", &vdev);
        mark = PUSH(load->handlers, load->handler_count, load->handler_capacity);
        if (!mark) {
            return VQ_ERR_NOMEM;
        }
        *mark = (qemu_mark){ .ts = event->timestamp_ns, .vdev = vdev };
    } else if (strcmp(event->name, "virtio_notify") == 0 || strcmp(event->name, "virtio_notify_irqfd") == 0) {
        event_arg(event, "vdev", &vdev);
        mark = PUSH(load->device_notifies, load->device_notify_count, load->device_notify_capacity);
        if (!mark) {
            return VQ_ERR_NOMEM;
        }
        *mark = (qemu_mark){ .ts = event->timestamp_ns, .vdev = vdev };
    } else if (strcmp(event->name, "virtio_xblk_req_begin") == 0) {
        event_arg(event, "vdev", &vdev);
        event_arg(event, "id", &id);
        if (!load->xblk_vdev) {
            load->xblk_vdev = vdev;
        }
        request = PUSH(load->qemu_requests, load->qemu_request_count, load->qemu_request_capacity);
        if (!request) {
            return VQ_ERR_NOMEM;
        }
        *request = (qemu_request){ .id = id, .vdev = vdev, .begin = event->timestamp_ns, .serve_hold_ns = -1 };
        if (!id_map_put(&load->qemu_ids, id, load->qemu_request_count - 1)) {
            return VQ_ERR_NOMEM;
        }
    } else if (strcmp(event->name, "virtio_xblk_req_end") == 0) {
        event_arg(event, "id", &id);
        index = id_map_get(&load->qemu_ids, id);
        if (index != NO_INDEX && !load->qemu_requests[index].end) {
            uint64_t vq = 0;

            event_arg(event, "vq", &vq);
            load->qemu_requests[index].end = event->timestamp_ns;
            load->qemu_requests[index].vq = (uint32_t)vq;
        }
    } else if (strcmp(event->name, "virtio_xblk_hold") == 0) {
        uint64_t start = 0, end = 0;

        event_arg(event, "id", &id);
        index = id_map_get(&load->qemu_ids, id);
        if (index != NO_INDEX && event_arg(event, "start_ns", &start) && event_arg(event, "end_ns", &end) &&
            end >= start) {
            load->qemu_requests[index].serve_hold_ns = (int64_t)(end - start);
        }
    } else if (strcmp(event->name, "virtio_xblk_notify_hold") == 0) {
        notify_hold *hold;
        uint64_t vq = 0;

        hold = PUSH(load->notify_holds, load->notify_hold_count, load->notify_hold_capacity);
        if (!hold) {
            return VQ_ERR_NOMEM;
        }
        event_arg(event, "vq", &vq);
        *hold = (notify_hold){ .vq = (uint32_t)vq };
        if (!event_arg(event, "start_ns", &hold->start) || !event_arg(event, "end_ns", &hold->end) ||
            hold->end < hold->start) {
            load->notify_hold_count--;   /* malformed: no hold to attribute */
        }
    } else if (load->stock && (strcmp(event->name, "virtio_blk_handle_read") == 0 ||
                               strcmp(event->name, "virtio_blk_handle_write") == 0)) {
        uint64_t req = 0, sector = 0, sectors = 0;
        size_t guest;

        event_arg(event, "vdev", &vdev);
        event_arg(event, "req", &req);
        event_arg(event, "sector", &sector);
        event_arg(event, "nsectors", &sectors);
        guest = stock_take(load, &load->stock_qemu_head, sector, (uint32_t)sectors, event->name[18] == 'w');
        if (guest == NO_INDEX) {
            load->stock_unmatched_qemu++;   /* issued before the guest trace started, or not ours */
            return VQ_OK;
        }
        if (!load->xblk_vdev) {
            load->xblk_vdev = vdev;
        }
        request = PUSH(load->qemu_requests, load->qemu_request_count, load->qemu_request_capacity);
        if (!request) {
            return VQ_ERR_NOMEM;
        }
        *request = (qemu_request){ .id = load->requests[guest].id, .vdev = vdev, .begin = event->timestamp_ns,
                                   .serve_hold_ns = -1 };
        if (!id_map_put(&load->qemu_ids, request->id, load->qemu_request_count - 1) ||
            !id_map_put(&load->stock_req, stock_req_key(req), load->qemu_request_count - 1)) {
            return VQ_ERR_NOMEM;
        }
    } else if (load->stock && strcmp(event->name, "virtio_blk_req_complete") == 0) {
        uint64_t req = 0;

        event_arg(event, "req", &req);
        index = id_map_get(&load->stock_req, stock_req_key(req));
        if (index != NO_INDEX && !load->qemu_requests[index].end) {
            load->qemu_requests[index].end = event->timestamp_ns;
        }
        /* QEMU frees the request: its address can name a later one. */
        if (index != NO_INDEX && !id_map_put(&load->stock_req, stock_req_key(req), NO_INDEX)) {
            return VQ_ERR_NOMEM;
        }
    }
    return VQ_OK;
}

static vq_status simple_next(void *source, vq_event *event, vq_error *error)
{
    return vq_simpletrace_next(source, event, error);
}

static vq_status ctf_next(void *source, vq_event *event, vq_error *error)
{
    return vq_ctf_next(source, event, error);
}

static vq_status probe_next(void *source, vq_event *event, vq_error *error)
{
    return vq_probe_next(source, event, error);
}

static uint64_t simple_position(const void *source)
{
    return vq_simpletrace_record_offset(source);
}

static uint64_t probe_position(const void *source)
{
    return vq_probe_record_offset(source);
}

/* Runs a reader through the reorder buffer, handing each event to TAKE in timestamp order. */
static vq_status drain_sorted(loader *load, vq_event_source source,
                              vq_status (*take)(loader *, const vq_event *), vq_error *error)
{
    vq_reorder *reorder = NULL;
    vq_event event;
    vq_status status;

    status = vq_reorder_create(source, VQ_REORDER_DEFAULT_WINDOW, &reorder, error);
    if (status != VQ_OK) {
        goto end;
    }
    while ((status = vq_reorder_next(reorder, &event, error)) == VQ_OK) {
        status = take(load, &event);
        if (status != VQ_OK) {
            vq_error_set(error, "%s: out of memory", source.name);
            goto end;
        }
    }
    if (status == VQ_END) {
        status = VQ_OK;
        if (vq_reorder_late_count(reorder)) {
            add_warning(load->session, "%s: %" PRIu64 " events older than the reorder window allows: %s",
                        source.name, vq_reorder_late_count(reorder), vq_reorder_late_message(reorder));
        }
    }
end:
    vq_reorder_free(reorder);
    return status;
}

static vq_status read_qemu(loader *load, vq_error *error)
{
    char *simple_path = join_path(load->directory, "qemu.simpletrace");
    char *events_path = join_path(load->directory, "qemu-trace-events");
    char *ctf_path = join_path(load->directory, "qemu-ctf");
    vq_trace_events *catalog = NULL;
    vq_simpletrace *simple = NULL;
    vq_ctf *ctf = NULL;
    vq_status status = VQ_OK;

    if (!simple_path || !events_path || !ctf_path) {
        status = VQ_ERR_NOMEM;
        goto end;
    }
    if (path_exists(simple_path, false)) {
        snprintf(load->session->qemu_trace, sizeof(load->session->qemu_trace), "simple");
        status = vq_trace_events_load(events_path, &catalog, error);
        if (status != VQ_OK) {
            goto end;
        }
        status = vq_simpletrace_open(simple_path, catalog, &simple, error);
        if (status != VQ_OK) {
            goto end;
        }
        status = drain_sorted(load, (vq_event_source){ simple_next, simple_position, simple, simple_path },
                              take_qemu_event, error);
        if (status == VQ_OK && vq_simpletrace_get_counts(simple).dropped_events) {
            add_warning(load->session, "%s: QEMU dropped %" PRIu64 " trace events", simple_path,
                        vq_simpletrace_get_counts(simple).dropped_events);
        }
    } else if (path_exists(ctf_path, true)) {
        snprintf(load->session->qemu_trace, sizeof(load->session->qemu_trace), "ctf");
        status = vq_ctf_open(ctf_path, &ctf, error);
        if (status != VQ_OK) {
            goto end;
        }
        /* Already in timestamp order (babeltrace2's muxer); the reorder buffer costs nothing more. */
        status = drain_sorted(load, (vq_event_source){ ctf_next, NULL, ctf, ctf_path }, take_qemu_event, error);
        if (status == VQ_OK && vq_ctf_get_counts(ctf).discarded_events) {
            add_warning(load->session, "%s: LTTng discarded %" PRIu64 " events", ctf_path,
                        vq_ctf_get_counts(ctf).discarded_events);
        }
    } else {
        vq_error_set(error, "%s: no QEMU trace: expected qemu.simpletrace (with qemu-trace-events) or "
                     "a qemu-ctf/ directory", load->directory);
        status = VQ_ERR_FORMAT;
    }
end:
    if (status == VQ_ERR_NOMEM && !vq_error_is_set(error)) {
        vq_error_set(error, "%s: out of memory", load->directory);
    }
    vq_simpletrace_close(simple);
    vq_ctf_close(ctf);
    vq_trace_events_free(catalog);
    free(simple_path);
    free(events_path);
    free(ctf_path);
    return status;
}

/* ---- pass 3: host probe stream ---- */

static bool in_device_bar(const loader *load, uint64_t gpa)
{
    size_t i;

    for (i = 0; i < load->bar_count; i++) {
        if (gpa >= load->bars[i].start && gpa <= load->bars[i].end) {
            return true;
        }
    }
    return false;
}

static thread_state *thread_of(loader *load, uint32_t tid)
{
    size_t i;

    for (i = 0; i < load->thread_count; i++) {
        if (load->threads[i].tid == tid) {
            return &load->threads[i];
        }
    }
    if (load->thread_count == MAX_THREADS) {
        return NULL;
    }
    load->threads[load->thread_count] = (thread_state){ .tid = tid, .open_notify = NO_INDEX };
    return &load->threads[load->thread_count++];
}

static vq_status take_probe_event(loader *load, const vq_event *event)
{
    thread_state *thread = thread_of(load, event->pid);
    uint64_t value = 0, gpa = 0;
    const char *name = event->name;

    if (!thread) {
        return VQ_OK;  /* more threads than a QEMU has: ignore the rest rather than fail */
    }
    if (strcmp(name, "kvm_exit") == 0) {
        host_exit *exit_record = PUSH(load->exits, load->exit_count, load->exit_capacity);
        uint64_t isa = 0;

        if (!exit_record) {
            return VQ_ERR_NOMEM;
        }
        event_arg(event, "reason", &value);
        event_arg(event, "isa", &isa);
        *exit_record = (host_exit){ .ts = event->timestamp_ns, .isa = (uint32_t)isa, .reason = (uint32_t)value,
                                    .duration = -1 };
        thread->in_exit = true;
        thread->exit = load->exit_count - 1;
        thread->open_notify = NO_INDEX;
        load->session->has_kvm = true;
    } else if (strcmp(name, "kvm_entry") == 0) {
        if (thread->in_exit) {
            load->exits[thread->exit].duration = (int64_t)(event->timestamp_ns - load->exits[thread->exit].ts);
        }
        thread->in_exit = false;
        thread->open_notify = NO_INDEX;
    } else if ((strcmp(name, "kvm_mmio") == 0 && event_arg(event, "type", &value) && value == 2) ||
               strcmp(name, "ioeventfd_write") == 0) {
        bool is_ioeventfd = name[0] == 'i';
        host_notify *notify;

        event_arg(event, "gpa", &gpa);
        if (!in_device_bar(load, gpa)) {
            return VQ_OK;
        }
        if (is_ioeventfd && thread->open_notify != NO_INDEX && !load->notifies[thread->open_notify].signal_ts) {
            load->notifies[thread->open_notify].signal_ts = event->timestamp_ns;
            return VQ_OK;
        }
        notify = PUSH(load->notifies, load->notify_count, load->notify_capacity);
        if (!notify) {
            return VQ_ERR_NOMEM;
        }
        *notify = (host_notify){ .mmio_ts = event->timestamp_ns, .gpa = gpa, .tid = event->pid, .kick = NO_INDEX };
        if (thread->in_exit) {
            notify->exit_ts = load->exits[thread->exit].ts;
        }
        if (is_ioeventfd) {
            notify->signal_ts = event->timestamp_ns;
        }
        thread->open_notify = load->notify_count - 1;
    } else if (strcmp(name, "kvm_userspace_exit") == 0) {
        /* KVM_EXIT_MMIO: QEMU's vCPU thread handles the write itself (ioeventfd off). */
        if (event_arg(event, "reason", &value) && value == 6 && thread->open_notify != NO_INDEX &&
            !load->notifies[thread->open_notify].signal_ts) {
            load->notifies[thread->open_notify].signal_ts = event->timestamp_ns;
        }
        /* The exit goes on in user space: its duration runs to the next kvm_entry, the time the vCPU was
         * out of the guest (as perf kvm stat counts it). */
    } else if (strcmp(name, "kvm_msi_set_irq") == 0 ||
               (strcmp(name, "irqfd_wakeup") == 0 && event_arg(event, "flags", &value) && (value & 1))) {
        host_injection *injection = PUSH(load->injections, load->injection_count, load->injection_capacity);

        if (!injection) {
            return VQ_ERR_NOMEM;
        }
        *injection = (host_injection){ .ts = event->timestamp_ns, .vector = UINT32_MAX, .tid = event->pid };
        if (name[0] == 'k' && event_arg(event, "vector", &value)) {
            injection->vector = (uint32_t)value;
        }
    } else if (strcmp(name, "kvm_inj_virq") == 0) {
        host_virq *virq = PUSH(load->virqs, load->virq_count, load->virq_capacity);

        if (!virq) {
            return VQ_ERR_NOMEM;
        }
        event_arg(event, "vector", &value);
        *virq = (host_virq){ .ts = event->timestamp_ns, .vector = (uint32_t)value };
    }
    return VQ_OK;
}

static vq_status read_probe(loader *load, vq_error *error)
{
    char *path = join_path(load->directory, "host-probe.vqp");
    vq_probe *reader = NULL;
    vq_status status;

    if (!path) {
        vq_error_set(error, "%s: out of memory", load->directory);
        status = VQ_ERR_NOMEM;
        goto end;
    }
    if (!path_exists(path, false)) {
        add_warning(load->session, "%s: absent: no host kernel events (stages through KVM are missing)", path);
        status = VQ_OK;
        goto end;
    }
    status = vq_probe_open(path, &reader, error);
    if (status != VQ_OK) {
        goto end;
    }
    status = drain_sorted(load, (vq_event_source){ probe_next, probe_position, reader, path }, take_probe_event,
                          error);
    if (status == VQ_OK && vq_probe_warning(reader)[0]) {
        add_warning(load->session, "%s", vq_probe_warning(reader));
    }
    if (status == VQ_OK && vq_probe_get_counts(reader).drops_total) {
        add_warning(load->session, "%s: the probe lost %" PRIu64 " records (ring buffer full)", path,
                    vq_probe_get_counts(reader).drops_total);
    }
end:
    vq_probe_close(reader);
    free(path);
    return status;
}

/* ---- helpers on sorted arrays ---- */

/* Index of the last handler run of the device at or before TS, NO_INDEX if none. */
static size_t last_handler_at(const loader *load, uint64_t ts)
{
    size_t low = 0, high = load->handler_count;

    while (low < high) {
        size_t middle = low + (high - low) / 2;

        if (load->handlers[middle].ts <= ts) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low ? low - 1 : NO_INDEX;
}

/* Index of the first handler run at or after TS. */
static size_t first_handler_from(const loader *load, uint64_t ts)
{
    size_t low = 0, high = load->handler_count;

    while (low < high) {
        size_t middle = low + (high - low) / 2;

        if (load->handlers[middle].ts < ts) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low < load->handler_count ? low : NO_INDEX;
}

static int compare_u64(const void *left, const void *right)
{
    uint64_t a = *(const uint64_t *)left, b = *(const uint64_t *)right;

    return (a > b) - (a < b);
}

/* Keeps only the marks of the xblk device (QEMU events of other virtio devices are in the trace). */
static void keep_device_marks(qemu_mark *marks, size_t *count, uint64_t vdev)
{
    size_t kept = 0, i;

    for (i = 0; i < *count; i++) {
        if (marks[i].vdev == vdev) {
            marks[kept++] = marks[i];
        }
    }
    *count = kept;
}

/* The doorbell is the most written guest physical address in the device's BARs: keeps only writes
 * to it (common-configuration writes during driver start are not notifies). */
static void keep_doorbell(loader *load)
{
    uint64_t best = 0, *gpas = malloc((load->notify_count + 1) * sizeof(*gpas));
    size_t best_run = 0, run = 0, kept = 0, i;

    if (!gpas || load->notify_count == 0) {
        free(gpas);
        return;
    }
    for (i = 0; i < load->notify_count; i++) {
        gpas[i] = load->notifies[i].gpa;
    }
    qsort(gpas, load->notify_count, sizeof(*gpas), compare_u64);
    for (i = 0; i < load->notify_count; i++) {
        run = (i && gpas[i] == gpas[i - 1]) ? run + 1 : 1;
        if (run > best_run) {
            best_run = run;
            best = gpas[i];
        }
    }
    for (i = 0; i < load->notify_count; i++) {
        if (load->notifies[i].gpa == best) {
            load->notifies[kept++] = load->notifies[i];
        }
    }
    load->notify_count = kept;
    free(gpas);
}

static uint64_t notify_time(const host_notify *notify)
{
    return notify->exit_ts ? notify->exit_ts : notify->mmio_ts;
}

/* Latest host time of a notify before QEMU's handler can run. */
static uint64_t notify_last(const host_notify *notify)
{
    return notify->signal_ts ? notify->signal_ts : notify->mmio_ts;
}

/* ---- alignment ---- */

static vq_status align_clocks(loader *load, vq_error *error)
{
    vq_session *session = load->session;
    vq_constraint *constraints = NULL;
    size_t constraint_count = 0, constraint_capacity = 0, i, j;
    uint64_t *kick_times = NULL, *irq_times = NULL, *injection_times = NULL;
    size_t *kick_of = NULL;
    ssize_t *pairs = NULL;
    size_t notified = 0, host_count;
    bool have_estimate = false;
    int64_t estimate = 0, upper_estimate = 0;
    vq_status status = VQ_ERR_NOMEM;
    bool tcg = load->notify_count == 0;

    /* Strict, pairing-free lower bounds: the device ends id X before the guest completes id X. */
    for (i = 0; i < load->request_count; i++) {
        const guest_request *request = &load->requests[i];
        size_t q = id_map_get(&load->qemu_ids, request->id);
        vq_constraint *c;

        if (!request->complete || q == NO_INDEX || !load->qemu_requests[q].end) {
            continue;
        }
        c = PUSH(constraints, constraint_count, constraint_capacity);
        if (!c) {
            goto end;
        }
        *c = (vq_constraint){ .guest_ns = request->complete,
                              .value = (int64_t)(load->qemu_requests[q].end - request->complete), .upper = false,
                              .source = VQ_BOUND_END_COMPLETE };
        if (!have_estimate || c->value > estimate) {
            estimate = c->value;
            have_estimate = true;
        }
        session->lower_from_ids++;
    }

    /* Upper bounds: notified kicks -> host notifies (KVM exits at the doorbell, or under TCG QEMU's
     * queue handler), paired in order. */
    host_count = tcg ? load->handler_count : load->notify_count;
    load->notify_times = malloc((host_count + 1) * sizeof(*load->notify_times));
    kick_times = malloc((load->kick_count + 1) * sizeof(*kick_times));
    kick_of = malloc((load->kick_count + 1) * sizeof(*kick_of));
    pairs = malloc((load->kick_count + load->irq_count + 1) * sizeof(*pairs));
    if (!load->notify_times || !kick_times || !kick_of || !pairs) {
        goto end;
    }
    for (i = 0; i < host_count; i++) {
        load->notify_times[i] = tcg ? load->handlers[i].ts : notify_time(&load->notifies[i]);
    }
    for (i = 0; i < load->kick_count; i++) {
        if (load->kicks[i].notified) {
            kick_of[notified] = i;
            kick_times[notified++] = load->kicks[i].ts;
        }
    }
    if (!have_estimate && notified && host_count) {
        /* No ids: start from the first notified kick and the first notify. */
        estimate = (int64_t)(load->notify_times[0] - kick_times[0]);
        have_estimate = true;
    }
    session->kick.host_notifies = host_count;
    if (have_estimate) {
        vq_pair_forward(kick_times, notified, load->notify_times, host_count, estimate, PAIR_SLACK_NS,
                        PAIR_WINDOW_NS, pairs);
        for (i = 0; i < notified; i++) {
            vq_constraint *c;

            if (pairs[i] < 0) {
                continue;
            }
            load->kicks[kick_of[i]].notify = (size_t)pairs[i];
            if (!tcg) {
                load->notifies[pairs[i]].kick = kick_of[i];
            }
            c = PUSH(constraints, constraint_count, constraint_capacity);
            if (!c) {
                goto end;
            }
            *c = (vq_constraint){ .guest_ns = kick_times[i],
                                  .value = (int64_t)(load->notify_times[pairs[i]] - kick_times[i]), .upper = true,
                                  .source = VQ_BOUND_KICK_EXIT };
            if (!session->upper_from_kicks || c->value < upper_estimate) {
                upper_estimate = c->value;
            }
            session->upper_from_kicks++;
            session->kick.kicks_paired++;
        }
    }

    /* Without KVM (TCG) QEMU raises the interrupt itself: its virtio_notify is the injection. */
    if (!session->has_kvm && load->injection_count == 0) {
        for (i = 0; i < load->device_notify_count; i++) {
            host_injection *injection = PUSH(load->injections, load->injection_count, load->injection_capacity);

            if (!injection) {
                goto end;
            }
            *injection = (host_injection){ .ts = load->device_notifies[i].ts, .vector = UINT32_MAX };
        }
    }

    /* Lower bounds: the device's injections -> guest irqs, paired in order, starting from the upper
     * estimate (the irq's host time is at most guest + hi). An injection counts when it follows a
     * virtio_notify[_irqfd] of the device: the first one after it. */
    load->device_injections = malloc((load->device_notify_count + 1) * sizeof(*load->device_injections));
    injection_times = malloc((load->device_notify_count + 1) * sizeof(*injection_times));
    irq_times = malloc((load->irq_count + 1) * sizeof(*irq_times));
    if (!load->device_injections || !injection_times || !irq_times) {
        goto end;
    }
    for (i = 0, j = 0; i < load->device_notify_count; i++) {
        while (j < load->injection_count && load->injections[j].ts < load->device_notifies[i].ts) {
            j++;
        }
        if (j < load->injection_count && (i + 1 == load->device_notify_count ||
                                          load->injections[j].ts < load->device_notifies[i + 1].ts)) {
            injection_times[load->device_injection_count] = load->injections[j].ts;
            load->device_injections[load->device_injection_count++] = j++;
        }
    }
    session->kick.host_injections = load->device_injection_count;
    for (i = 0; i < load->irq_count; i++) {
        irq_times[i] = load->irqs[i].ts;
    }
    if (session->upper_from_kicks && load->device_injection_count) {
        size_t virq = 0;

        vq_pair_backward(irq_times, load->irq_count, injection_times, load->device_injection_count,
                         upper_estimate, PAIR_SLACK_NS, PAIR_WINDOW_NS, pairs);
        for (i = 0; i < load->irq_count; i++) {
            const host_injection *injection;
            uint64_t bound;
            vq_constraint *c;

            if (pairs[i] < 0) {
                continue;
            }
            load->irqs[i].injection = (size_t)pairs[i];
            injection = &load->injections[load->device_injections[pairs[i]]];
            bound = injection->ts;
            /* Tighter: the vCPU's kvm_inj_virq of the same MSI vector, when it follows within the window. */
            while (virq < load->virq_count && load->virqs[virq].ts < injection->ts) {
                virq++;
            }
            for (j = virq; j < load->virq_count && load->virqs[j].ts <= injection->ts + PAIR_WINDOW_NS; j++) {
                if (injection->vector != UINT32_MAX && load->virqs[j].vector == injection->vector) {
                    if (load->virqs[j].ts <= irq_times[i] + (uint64_t)upper_estimate) {
                        bound = load->virqs[j].ts;
                    }
                    break;
                }
            }
            /* A true lower bound never exceeds a true upper bound: one above the tightest kick bound
             * comes from an injection paired with the wrong irq (e.g. a delayed completion harvested
             * by an earlier interrupt). Drop it rather than let it contradict the interval. The
             * bounds by request id (above) need no pairing and are always kept. */
            if ((int64_t)(bound - irq_times[i]) > upper_estimate) {
                session->lower_irqs_rejected++;
                load->irqs[i].injection = NO_INDEX;
                continue;
            }
            c = PUSH(constraints, constraint_count, constraint_capacity);
            if (!c) {
                goto end;
            }
            *c = (vq_constraint){ .guest_ns = irq_times[i], .value = (int64_t)(bound - irq_times[i]), .upper = false,
                                  .source = VQ_BOUND_INJECT_IRQ };
            session->lower_from_irqs++;
            session->kick.irqs_paired++;
        }
    }
    session->alignment = vq_align_solve(constraints, constraint_count);
    if (session->lower_irqs_rejected) {
        add_warning(session, "%" PRIu64 " injection -> irq pairings dropped: their bound exceeded the "
                    "kick bounds (wrong pairing)", session->lower_irqs_rejected);
    }
    status = VQ_OK;
end:
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory during clock alignment", load->directory);
    }
    load->constraints = constraints;
    load->constraint_count = constraint_count;
    free(kick_times);
    free(kick_of);
    free(pairs);
    free(irq_times);
    free(injection_times);
    return status;
}

/* ---- the offset the stages use: TSC when recorded, else the causal midpoint ---- */

static void check_offset(vq_session *session, const loader *load, const char *what)
{
    const vq_offset_check *check = &session->offset_check;

    session->offset_check = vq_offset_check_bounds(&session->offset, load->constraints, load->constraint_count);
    if (check->has_lower && check->lower_margin < 0) {
        add_warning(session, "%s is below the causal LOWER bound (%s) by %" PRId64 " ns at guest %" PRIu64
                    " ns (%zu lower bounds violated): a wrong pairing, or a TSC the guest rewrote", what,
                    vq_bound_source_name(check->lower_source), -check->lower_margin, check->lower_guest_ns,
                    check->lower_violations);
    }
    if (check->has_upper && check->upper_margin < 0) {
        add_warning(session, "%s is above the causal UPPER bound (%s) by %" PRId64 " ns at guest %" PRIu64
                    " ns (%zu upper bounds violated): a wrong pairing, or a TSC the guest rewrote", what,
                    vq_bound_source_name(check->upper_source), -check->upper_margin, check->upper_guest_ns,
                    check->upper_violations);
    }
}

/*
 * KVM's tsc-offset and both sides' clock pairs give the offset exactly (to the pairs' read uncertainty)
 * and independently of any event pairing: when they are there the stages use it, as a line between the
 * start and end predictions, and the causal bounds become its check. Without them (TCG, no debugfs, an
 * older session) the stages use the causal midpoint. A malformed TSC file is reported (FILE:LINE) and
 * the session falls back to causality rather than failing: the TSC data are a refinement.
 */
static vq_status choose_offset(loader *load, vq_error *error)
{
    vq_session *session = load->session;
    vq_tsc_check *t = &session->tsc;
    const vq_alignment *alignment = &session->alignment;
    vq_tsc_files files;
    vq_error tsc_error;
    vq_status status;

    vq_error_clear(&tsc_error);
    status = vq_tsc_read(load->directory, &files, &tsc_error);
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s", tsc_error.message);
        goto end;
    }
    if (status != VQ_OK) {
        add_warning(session, "%s (TSC data not used)", tsc_error.message);
        snprintf(t->why, sizeof(t->why), "%s", tsc_error.message);
    } else if (!files.has_offset) {
        snprintf(t->why, sizeof(t->why), "%s", strcmp(session->mode, "tcg") == 0 ? "TCG session: no KVM tsc-offset"
                 : "no tsc-offset.txt: KVM's debugfs not readable while recording, or an older session");
    } else {
        vq_tsc_predict(&files, load->guest_pairs, load->guest_pair_count, t);
    }
    status = VQ_OK;
    if (t->present) {
        session->offset = (vq_clock_offset){ .usable = true, .method = VQ_OFFSET_TSC,
                                             .from_guest_ns = t->predicted_guest_ns[0],
                                             .to_guest_ns = t->predicted_guest_ns[t->predictions - 1],
                                             .from_offset = t->predicted[0],
                                             .to_offset = t->predicted[t->predictions - 1],
                                             .error_ns = t->error_ns };
        check_offset(session, load, "the TSC offset (KVM tsc-offset)");
        if (session->offset_check.has_lower && session->offset_check.lower_margin < 0) {
            t->distance_ns = session->offset_check.lower_margin;
        } else if (session->offset_check.has_upper && session->offset_check.upper_margin < 0) {
            t->distance_ns = -session->offset_check.upper_margin;
        }
        if (!alignment->usable) {
            add_warning(session, "causal bounds incomplete (%" PRIu64 " upper, %" PRIu64 " lower): the TSC offset "
                        "is checked on one side at most", session->upper_from_kicks,
                        session->lower_from_ids + session->lower_from_irqs);
        } else if (alignment->contradiction) {
            add_warning(session, "clock constraints contradict: lo exceeds hi by %" PRId64 " ns (a wrong "
                        "pairing or clock drift); the TSC offset is used", alignment->contradiction_ns);
        }
    } else if (alignment->usable) {
        int64_t width = alignment->whole.hi - alignment->whole.lo;

        /* The true offset is somewhere in [lo, hi]: the midpoint is within half the width of it. */
        session->offset = vq_clock_offset_constant(VQ_OFFSET_CAUSAL, alignment->offset,
                                                   (width < 0 ? -width : width) / 2);
        session->offset_check = vq_offset_check_bounds(&session->offset, load->constraints, load->constraint_count);
        if (alignment->contradiction) {
            add_warning(session, "clock constraints contradict: lo exceeds hi by %" PRId64 " ns (a wrong "
                        "pairing or clock drift); cross-clock stages may come out negative",
                        alignment->contradiction_ns);
        }
    } else {
        session->offset.method = VQ_OFFSET_CAUSAL;   /* not usable: cross-clock stages are left out */
        add_warning(session, "clock alignment impossible: %" PRIu64 " upper and %" PRIu64 " lower bounds and no "
                    "TSC data; cross-clock stages are left out", session->upper_from_kicks,
                    session->lower_from_ids + session->lower_from_irqs);
    }
end:
    return status;
}

/* ---- stitching ---- */

static vq_status add_unmatched(vq_session *session, uint64_t id, const char *reason, size_t *capacity)
{
    vq_unmatched *entry = PUSH(session->unmatched, session->unmatched_count, *capacity);

    if (!entry) {
        return VQ_ERR_NOMEM;
    }
    *entry = (vq_unmatched){ .id = id, .reason = reason };
    return VQ_OK;
}

static void set_stage(vq_request_row *row, vq_stage stage, int64_t value)
{
    row->has[stage] = true;
    row->stage[stage] = value;
}

/* The notify hold whose notify delivered a request pushed on VQ at END_TS: the first hold of VQ that
 * ends after it, or NULL. Holds are in time order; holds of other queues may interleave, so a few
 * following ones are looked at too. */
static const notify_hold *notify_hold_of(const loader *load, uint32_t vq, uint64_t end_ts)
{
    size_t lo = 0, hi = load->notify_hold_count, i;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (load->notify_holds[mid].end < end_ts) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (i = lo; i < load->notify_hold_count && i < lo + 64; i++) {
        const notify_hold *hold = &load->notify_holds[i];

        if (hold->vq == vq && end_ts <= hold->end) {
            return hold;
        }
    }
    return NULL;
}

/* A negative stage is never clamped: it means the pairing, or the clock offset for a cross stage, is
 * wrong. Say which stages and how many, and under which offset. */
static void warn_negative_stages(vq_session *session)
{
    char list[512] = "";
    size_t used = 0, s;

    if (!session->negative_requests) {
        return;
    }
    for (s = 0; s < VQ_STAGE_COUNT && used < sizeof(list); s++) {
        if (session->negative_stages[s]) {
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s %" PRIu64, used ? ", " : "",
                                     vq_stage_names[s], session->negative_stages[s]);
        }
    }
    add_warning(session, "%" PRIu64 " requests with a negative stage under the %s offset (%s): a negative stage "
                "means the clock offset (cross-clock stages) or the pairing is wrong", session->negative_requests,
                session->offset.method == VQ_OFFSET_TSC ? "TSC" : "causal", list);
}

static vq_status stitch(loader *load, vq_error *error)
{
    vq_session *session = load->session;
    const vq_clock_offset *offset = &session->offset;
    size_t row_capacity = 0, unmatched_capacity = 0, i, s;
    bool negative;
    bool tcg = load->notify_count == 0;
    vq_status status = VQ_OK;

    /* The driver's holds end before its kick, but their events may follow it: collect them now. */
    for (i = 0; i < load->request_count; i++) {
        const guest_request *request = &load->requests[i];

        if (request->kick_held && request->kick != NO_INDEX &&
            request->kick_hold_end > load->kicks[request->kick].last_hold_end) {
            load->kicks[request->kick].last_hold_end = request->kick_hold_end;
        }
    }
    for (i = 0; i < load->request_count; i++) {
        const guest_request *request = &load->requests[i];
        size_t q = id_map_get(&load->qemu_ids, request->id);
        const qemu_request *device;
        const guest_kick *kick;
        vq_request_row *row;
        size_t handler;

        session->guest_requests++;
        if (!request->complete) {
            status = add_unmatched(session, request->id, load->stock ? "no block_rq_complete of its sectors in "
                                   "the guest trace (in flight when recording stopped?)" : "no virtio_xblk_complete "
                                   "in the guest trace (in flight when recording stopped?)", &unmatched_capacity);
        } else if (request->kick == NO_INDEX) {
            status = add_unmatched(session, request->id, load->stock ? "no vqscope_blk_kick (virtqueue_notify) "
                                   "after its block_rq_issue" : "no virtio_xblk_kick after its submit",
                                   &unmatched_capacity);
        } else if (q == NO_INDEX || !load->qemu_requests[q].end) {
            status = add_unmatched(session, request->id,
                                   load->stock ? (request->sectors == 0 ? "no sectors (a flush): QEMU's "
                                                  "virtio_blk_handle_read/write cannot name it"
                                                  : "no virtio_blk_handle_read/write + virtio_blk_req_complete "
                                                  "of its sectors in the QEMU trace")
                                               : "no virtio_xblk_req_begin/end with this id in the QEMU trace",
                                   &unmatched_capacity);
        } else if (request->irq == NO_INDEX) {
            status = add_unmatched(session, request->id, load->stock ? "no vqscope_blk_irq (vring_interrupt) "
                                   "before its completion" : "no virtio_xblk_irq before its completion",
                                   &unmatched_capacity);
        } else {
            goto stitchable;
        }
        if (status != VQ_OK) {
            goto end;
        }
        continue;
stitchable:
        device = &load->qemu_requests[q];
        kick = &load->kicks[request->kick];
        row = PUSH(session->rows, session->row_count, row_capacity);
        if (!row) {
            status = VQ_ERR_NOMEM;
            goto end;
        }
        *row = (vq_request_row){ .id = request->id, .vq = request->vq, .submit_guest = request->submit,
                                 .kick_guest = kick->ts, .irq_guest = load->irqs[request->irq].ts,
                                 .complete_guest = request->complete, .begin_host = device->begin,
                                 .end_host = device->end, .hold_ns = -1, .irq_seq = request->irq };
        if (request->kick_held) {
            /* Held by the driver from its own hold's start until the last hold before its kick: a
             * request that was not the last of its dispatch batch also waits out the holds of the
             * requests after it (the driver kicks once, after the last). */
            row->hold_ns = (int64_t)((kick->last_hold_end > request->kick_hold_end ? kick->last_hold_end
                                                                                    : request->kick_hold_end) -
                                     request->kick_hold_start);
            row->hold_at = "kick";
        } else if (device->serve_hold_ns >= 0) {
            row->hold_ns = device->serve_hold_ns;
            row->hold_at = "serve";
        } else {
            const notify_hold *hold = notify_hold_of(load, device->vq, device->end);

            if (hold) {
                /* Pushed before the hold began (same handler run): it waited the whole hold; pushed
                 * during it: from its push on. The time from its push to the hold's start is the
                 * handler finishing its run, part of end>inject without any hold too. */
                row->hold_ns = (int64_t)(hold->end - (device->end > hold->start ? device->end : hold->start));
                row->hold_at = "notify";
            }
        }
        set_stage(row, VQ_STAGE_SUBMIT_KICK, (int64_t)(kick->ts - request->submit));
        set_stage(row, VQ_STAGE_BEGIN_END, (int64_t)(device->end - device->begin));
        set_stage(row, VQ_STAGE_IRQ_COMPLETE, (int64_t)(request->complete - row->irq_guest));
        set_stage(row, VQ_STAGE_TOTAL, (int64_t)(request->complete - request->submit));

        /* The handler run that popped it, and whose doorbell started that run. */
        handler = last_handler_at(load, device->begin);
        if (handler != NO_INDEX) {
            row->handler_host = load->handlers[handler].ts;
            set_stage(row, VQ_STAGE_HANDLER_BEGIN, (int64_t)(device->begin - row->handler_host));
        }
        row->batched = true;
        if (kick->notified && kick->notify != NO_INDEX && handler != NO_INDEX) {
            if (tcg) {
                row->batched = kick->notify != handler;
            } else {
                const host_notify *notify = &load->notifies[kick->notify];

                row->batched = first_handler_from(load, notify_last(notify)) != handler;
            }
        }
        if (!row->batched) {
            row->kick_id = kick->id_last;
            if (tcg) {
                if (offset->usable) {
                    set_stage(row, VQ_STAGE_KICK_EXIT, (int64_t)row->handler_host -
                              ((int64_t)kick->ts + vq_clock_offset_at(offset, kick->ts)));
                }
            } else {
                const host_notify *notify = &load->notifies[kick->notify];

                row->exit_host = notify_time(notify);
                row->signal_host = notify->signal_ts;
                row->vcpu_tid = notify->tid;
                if (offset->usable) {
                    set_stage(row, VQ_STAGE_KICK_EXIT, (int64_t)row->exit_host -
                              ((int64_t)kick->ts + vq_clock_offset_at(offset, kick->ts)));
                }
                if (notify->exit_ts && notify->signal_ts) {
                    set_stage(row, VQ_STAGE_EXIT_SIGNAL, (int64_t)(notify->signal_ts - notify->exit_ts));
                }
                set_stage(row, VQ_STAGE_SIGNAL_HANDLER, (int64_t)(row->handler_host - notify_last(notify)));
            }
        } else if (handler != NO_INDEX) {
            /* Shared: the kick paired with the latest notify at or before the run's start. */
            size_t k = request->kick + 1;

            while (k-- > 0) {
                const guest_kick *other = &load->kicks[k];

                if (other->notify != NO_INDEX &&
                    (tcg ? load->handlers[other->notify].ts
                         : notify_time(&load->notifies[other->notify])) <= row->handler_host) {
                    row->kick_id = other->id_last;
                    break;
                }
            }
        }

        /* The interrupt that delivered it: the injection paired with its guest irq. */
        if (load->irqs[request->irq].injection != NO_INDEX) {
            const host_injection *injection =
                &load->injections[load->device_injections[load->irqs[request->irq].injection]];

            if (injection->ts >= device->end) {
                row->inject_host = injection->ts;
                set_stage(row, VQ_STAGE_END_INJECT, (int64_t)(injection->ts - device->end));
                if (offset->usable) {
                    int64_t irq_host = (int64_t)row->irq_guest + vq_clock_offset_at(offset, row->irq_guest);

                    set_stage(row, VQ_STAGE_INJECT_IRQ, irq_host - (int64_t)injection->ts);
                }
            } else {
                row->harvested = true;
            }
        } else if (offset->usable &&
                   (int64_t)row->irq_guest + vq_clock_offset_at(offset, row->irq_guest) < (int64_t)device->end) {
            /* Its irq's injection pairing was dropped (or never made), but on the aligned clock that irq
             * came before the device ended the request: an interrupt handler already running took it
             * from the used ring. Without this its flow would return to the guest before the host. */
            row->harvested = true;
        }
        negative = false;
        for (s = 0; s < VQ_STAGE_COUNT; s++) {
            if (row->has[s] && row->stage[s] < 0) {
                session->negative_stages[s]++;
                negative = true;
            }
        }
        session->negative_requests += negative;
    }
    warn_negative_stages(session);
end:
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory while stitching", load->directory);
    }
    return status;
}

/* ---- per-kick figures and the exit table ---- */

static vq_status summarize_kicks_and_exits(loader *load, vq_error *error)
{
    vq_session *session = load->session;
    vq_kick_stats *kick = &session->kick;
    size_t capacity = 0, i, j, begin = 0;
    uint64_t first_guest = UINT64_MAX, last_guest = 0;
    vq_status status = VQ_ERR_NOMEM;

    kick->kicks = load->kick_count;
    kick->guest_irqs = load->irq_count;
    for (i = 0; i < load->kick_count; i++) {
        kick->notified += load->kicks[i].notified;
        kick->suppressed += !load->kicks[i].notified;
        if (load->kicks[i].requests) {
            int64_t *value = PUSH(kick->requests_per_kick, kick->requests_per_kick_count, capacity);

            if (!value) {
                goto end;
            }
            *value = (int64_t)load->kicks[i].requests;
        }
    }
    capacity = 0;
    for (i = 0; i < session->row_count; i++) {
        const vq_request_row *row = &session->rows[i];

        kick->completions++;
        if (row->submit_guest < first_guest) {
            first_guest = row->submit_guest;
        }
        if (row->complete_guest > last_guest) {
            last_guest = row->complete_guest;
        }
        /* kick -> begin of the first request a notified kick led to (kick ids are unique per kick). */
        if (!row->batched && session->offset.usable && (i == 0 || session->rows[i - 1].kick_id != row->kick_id)) {
            int64_t *value = PUSH(kick->kick_to_begin, kick->kick_to_begin_count, capacity);

            if (!value) {
                goto end;
            }
            *value = (int64_t)row->begin_host -
                     ((int64_t)row->kick_guest + vq_clock_offset_at(&session->offset, row->kick_guest));
        }
    }
    /* Begins per handler run of the device (QEMU events of the xblk device, in host order). */
    capacity = 0;
    for (i = 0; i < load->handler_count; i++) {
        uint64_t until = i + 1 < load->handler_count ? load->handlers[i + 1].ts : UINT64_MAX;
        int64_t *value;
        size_t pops = 0;

        while (begin < load->qemu_request_count && load->qemu_requests[begin].begin < load->handlers[i].ts) {
            begin++;
        }
        while (begin < load->qemu_request_count && load->qemu_requests[begin].begin < until) {
            begin++;
            pops++;
        }
        value = PUSH(kick->pops_per_run, kick->pops_per_run_count, capacity);
        if (!value) {
            goto end;
        }
        *value = (int64_t)pops;
        kick->handler_runs++;
        kick->empty_runs += pops == 0;
    }

    /* VM exits: per reason, duration to the next entry; counts inside the workload window. */
    if (session->offset.usable && first_guest <= last_guest) {
        session->window_host_start = first_guest + (uint64_t)vq_clock_offset_at(&session->offset, first_guest);
        session->window_host_end = last_guest + (uint64_t)vq_clock_offset_at(&session->offset, last_guest);
    }
    session->exits = calloc(MAX_EXIT_REASONS, sizeof(*session->exits));
    if (!session->exits) {
        goto end;
    }
    for (i = 0; i < load->exit_count; i++) {
        const host_exit *exit_record = &load->exits[i];
        vq_exit_reason *reason = NULL;

        for (j = 0; j < session->exit_reason_count; j++) {
            if (session->exits[j].reason == exit_record->reason && session->exits[j].isa == exit_record->isa) {
                reason = &session->exits[j];
                break;
            }
        }
        if (!reason) {
            if (session->exit_reason_count == MAX_EXIT_REASONS) {
                continue;
            }
            reason = &session->exits[session->exit_reason_count++];
            reason->reason = exit_record->reason;
            reason->isa = exit_record->isa;
        }
        reason->total++;
        if (exit_record->ts >= session->window_host_start && exit_record->ts <= session->window_host_end) {
            reason->in_window++;
        }
        if (exit_record->duration >= 0) {
            int64_t *value = PUSH(reason->durations, reason->count, reason->duration_capacity);

            if (!value) {
                goto end;
            }
            *value = exit_record->duration;
        }
    }
    status = VQ_OK;
end:
    if (status != VQ_OK) {
        vq_error_set(error, "%s: out of memory", load->directory);
    }
    return status;
}

static void loader_free(loader *load)
{
    id_map_free(&load->guest_ids);
    id_map_free(&load->qemu_ids);
    id_map_free(&load->stock_tail);
    id_map_free(&load->stock_complete_head);
    id_map_free(&load->stock_qemu_head);
    id_map_free(&load->stock_req);
    free(load->requests);
    free(load->kicks);
    free(load->irqs);
    free(load->notifies);
    free(load->handlers);
    free(load->device_notifies);
    free(load->qemu_requests);
    free(load->injections);
    free(load->virqs);
    free(load->exits);
    free(load->notify_times);
    free(load->device_injections);
    free(load->constraints);
    free(load->notify_holds);
}

static int compare_qemu_request(const void *left, const void *right)
{
    const qemu_request *a = left, *b = right;

    return (a->begin > b->begin) - (a->begin < b->begin);
}

vq_status vq_session_load(const char *directory, vq_session **out, vq_error *error)
{
    vq_session *session = calloc(1, sizeof(*session));
    loader load = { .session = session, .directory = directory };
    vq_status status = VQ_ERR_NOMEM;
    size_t i;

    *out = NULL;
    if (!session || !(session->directory = strdup(directory))) {
        vq_error_set(error, "%s: out of memory", directory);
        goto end;
    }
    if (!path_exists(directory, true)) {
        vq_error_set(error, "%s: not a session directory (expected the output of `vqscope record`)", directory);
        status = VQ_ERR_IO;
        goto end;
    }
    read_meta(session, directory);
    status = read_guest(&load, error);
    if (status == VQ_OK) {
        status = read_qemu(&load, error);
    }
    if (status == VQ_OK) {
        status = read_probe(&load, error);
    }
    if (status != VQ_OK) {
        goto end;
    }
    if (!load.xblk_vdev) {
        add_warning(session, "%s: %s", directory, load.stock ?
                    "no virtio_blk_handle_read/write in the QEMU trace that matches a guest block_rq_issue: "
                    "requests cannot be stitched" :
                    "no virtio_xblk_req_begin in the QEMU trace and no block_rq_issue in the guest trace: "
                    "requests cannot be stitched (by id, or by sectors for stock virtio-blk)");
    }
    session->stock = load.stock;
    if (load.stock && load.stock_unmatched_qemu) {
        add_warning(session, "stock virtio-blk: %" PRIu64 " QEMU virtio_blk_handle_read/write events match no "
                    "guest block_rq_issue (issued before the guest trace started?)", load.stock_unmatched_qemu);
    }
    keep_device_marks(load.handlers, &load.handler_count, load.xblk_vdev);
    keep_device_marks(load.device_notifies, &load.device_notify_count, load.xblk_vdev);
    /* Begins come in host order; re-sort anyway (late events) and rebuild the id index. */
    qsort(load.qemu_requests, load.qemu_request_count, sizeof(*load.qemu_requests), compare_qemu_request);
    for (i = 0; i < load.qemu_request_count; i++) {
        if (!id_map_put(&load.qemu_ids, load.qemu_requests[i].id, i)) {
            status = VQ_ERR_NOMEM;
            vq_error_set(error, "%s: out of memory", directory);
            goto end;
        }
    }
    keep_doorbell(&load);
    status = align_clocks(&load, error);
    if (status == VQ_OK) {
        status = choose_offset(&load, error);
    }
    if (status == VQ_OK) {
        status = stitch(&load, error);
    }
    if (status == VQ_OK) {
        status = summarize_kicks_and_exits(&load, error);
    }
    if (status != VQ_OK) {
        goto end;
    }
    *out = session;
    session = NULL;
end:
    loader_free(&load);
    vq_session_free(session);
    return status;
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
        free(session->exits[i].durations);
    }
    free(session->warnings);
    free(session->exits);
    free(session->rows);
    free(session->unmatched);
    free(session->kick.requests_per_kick);
    free(session->kick.pops_per_run);
    free(session->kick.kick_to_begin);
    free(session->directory);
    free(session);
}

int64_t *vq_session_stage_values(const vq_session *session, vq_stage stage, size_t *count)
{
    int64_t *values = malloc((session->row_count + 1) * sizeof(*values));
    size_t i;

    *count = 0;
    if (!values) {
        return NULL;
    }
    for (i = 0; i < session->row_count; i++) {
        if (session->rows[i].has[stage]) {
            values[(*count)++] = session->rows[i].stage[stage];
        }
    }
    return values;
}

const char *vq_exit_reason_name(uint32_t isa, uint32_t reason)
{
    if (isa == 2) {
        switch (reason) {
        case 0x060: return "INTR";
        case 0x061: return "NMI";
        case 0x062: return "SMI";
        case 0x063: return "INIT";
        case 0x064: return "VINTR";
        case 0x06e: return "RDTSC";
        case 0x072: return "CPUID";
        case 0x077: return "PAUSE";
        case 0x078: return "HLT";
        case 0x07b: return "IOIO";
        case 0x07c: return "MSR";
        case 0x081: return "VMMCALL";
        case 0x08b: return "WBINVD";
        case 0x400: return "NPF";
        case 0x401: return "AVIC_INCOMPLETE_IPI";
        case 0x402: return "AVIC_UNACCELERATED_ACCESS";
        default:
            if (reason < 0x10) {
                return "READ_CR";
            }
            if (reason < 0x20) {
                return "WRITE_CR";
            }
            if (reason >= 0x40 && reason < 0x60) {
                return "EXCEPTION";
            }
            return NULL;
        }
    }
    if (isa == 1) {
        switch (reason) {
        case 0: return "EXCEPTION_NMI";
        case 1: return "EXTERNAL_INTERRUPT";
        case 7: return "INTERRUPT_WINDOW";
        case 10: return "CPUID";
        case 12: return "HLT";
        case 28: return "CR_ACCESS";
        case 30: return "IO_INSTRUCTION";
        case 31: return "MSR_READ";
        case 32: return "MSR_WRITE";
        case 40: return "PAUSE_INSTRUCTION";
        case 48: return "EPT_VIOLATION";
        case 49: return "EPT_MISCONFIG";
        case 52: return "PREEMPTION_TIMER";
        default: return NULL;
        }
    }
    return NULL;
}
