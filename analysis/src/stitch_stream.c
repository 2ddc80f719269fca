// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming analyzer's last pass (stream_align.h, STREAMING.md "E, emission"): each request stitched
 * (stitch.c's vq_stitch_request) and emitted under the chosen offset, the three sources read in step
 * through the loader's windows, with the pairs the kick and irq pairings kept, read back from where their
 * replays spilled them (a temporary file each, in the guest events' order: disk, not memory). A request is
 * emitted in submit order once complete and the host side is read a margin past its completion; every
 * record is released once no request left can look it up.
 */
#include "stream_align.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A pair as spilled: the guest event's absolute index, its host event's index, time and tag. */
typedef struct {
    uint64_t index, host_index, host_ts;
    uint32_t tag;
} spilled_pair;

/* A sink that writes the pairs of a replay to a temporary file (the bounds themselves are not wanted), and
 * gives the device injections' threads to the figures. */
typedef struct {
    vq_bound_sink sink;
    FILE *file;
    uint64_t count;
    vq_stream_figures *figures;
} spill_sink;

static bool spill_bound(vq_bound_sink *sink, const vq_constraint *bound, uint64_t order)
{
    (void)sink;
    (void)bound;
    (void)order;
    return true;
}

static bool spill_pair(vq_bound_sink *sink, uint64_t order, const vq_pair_host *host)
{
    spill_sink *spill = (spill_sink *)sink;
    spilled_pair pair = { .index = order & ((1ULL << 56) - 1), .host_index = host->index, .host_ts = host->ts,
                          .tag = host->tag };

    spill->count++;
    return fwrite(&pair, sizeof(pair), 1, spill->file) == 1;
}

static bool spill_injection(vq_bound_sink *sink, const vq_pair_host *made)
{
    return vq_stream_figures_injection(((spill_sink *)sink)->figures, made->tid);
}

/* A spilled file read back in order: NEXT is the pair to come (HAS false: none left). */
typedef struct {
    FILE *file;
    spilled_pair next;
    bool has;
} pair_reader;

static void reader_advance(pair_reader *reader)
{
    reader->has = reader->file && fread(&reader->next, sizeof(reader->next), 1, reader->file) == 1;
}

/* The pair of the guest event at absolute INDEX (the events are asked for in order), or NULL. */
static const spilled_pair *reader_take(pair_reader *reader, size_t index)
{
    while (reader->has && reader->next.index < index) {
        reader_advance(reader);
    }
    return reader->has && reader->next.index == index ? &reader->next : NULL;
}

/* Replays the kick pairing's last round (KICK_PAIRS) or the irq pairing's last read into a temporary file,
 * rewound for reading. */
static vq_status spill(const char *directory, vq_id_bounds *ids, vq_kick_pairs *kicks, vq_irq_pairs *irqs,
                       bool kick_pairs, vq_stream_figures *figures, pair_reader *reader, uint64_t *count,
                       vq_error *error)
{
    spill_sink sink = { .sink = { .add = spill_bound, .pair = spill_pair, .injection = spill_injection },
                        .file = tmpfile(), .figures = figures };
    vq_status status;

    if (!sink.file) {
        vq_error_set(error, "%s: cannot make a temporary file for the %s pairs (stitching)", directory,
                     kick_pairs ? "kick" : "irq");
        return VQ_ERR_IO;
    }
    status = kick_pairs ? vq_kick_pairs_replay(directory, ids, kicks, &sink.sink, error)
                        : vq_irq_pairs_replay(directory, ids, kicks, irqs, &sink.sink, error);
    if (status == VQ_ERR_NOMEM && (ferror(sink.file) || fflush(sink.file) != 0)) {
        vq_error_set(error, "%s: cannot write the %s pairs to a temporary file (stitching)", directory,
                     kick_pairs ? "kick" : "irq");
        status = VQ_ERR_IO;
    }
    if (status == VQ_OK && (fflush(sink.file) != 0 || fseek(sink.file, 0, SEEK_SET) != 0)) {
        vq_error_set(error, "%s: cannot read back the %s pairs (stitching)", directory, kick_pairs ? "kick" : "irq");
        status = VQ_ERR_IO;
    }
    *count = sink.count;
    reader->file = sink.file;
    reader_advance(reader);
    return status;
}

/* An irq's paired injection, kept while the irq is in the guest's window (irq: its absolute index). */
typedef struct {
    size_t irq;
    vq_host_injection injection;
} held_injection;

/* The state of the read. */
typedef struct {
    const char *directory;
    vq_session *session;
    vq_loader *load;
    vq_pass *guest, *qemu, *probe;
    bool guest_ended, qemu_ended, probe_ended;
    pair_reader kick_pairs, irq_pairs;
    held_injection *injections;
    size_t injection_count, injection_capacity, injection_base;
    size_t kick_taken, irq_taken;    /* absolute indexes of the next kick and irq to take a pair for */
    size_t next;                     /* absolute index of the next request to stitch */
    size_t hold_from;                /* requests before it have their hold on their kick (or are stitched) */
    int64_t shift, shift_error;      /* host = guest + shift (+- shift_error): where the host side is read to */
    vq_stitcher stitcher;
    vq_stream_figures figures;
} stitch_read;

/* The pairs of the kicks and irqs read since the last step. */
static bool take_pairs(stitch_read *read)
{
    vq_loader *load = read->load;

    for (; read->kick_taken < load->kick_base + load->kick_count; read->kick_taken++) {
        const spilled_pair *pair = reader_take(&read->kick_pairs, read->kick_taken);

        if (pair) {
            vq_kick_at(load, read->kick_taken)->notify = (size_t)pair->host_index;
        }
    }
    for (; read->irq_taken < load->irq_base + load->irq_count; read->irq_taken++) {
        const spilled_pair *pair = reader_take(&read->irq_pairs, read->irq_taken);
        held_injection *held;

        if (!pair) {
            continue;
        }
        held = VQ_PUSH(read->injections, read->injection_count, read->injection_capacity);
        if (!held) {
            return false;
        }
        *held = (held_injection){ .irq = read->irq_taken,
                                  .injection = { .ts = pair->host_ts, .vector = pair->tag } };
        vq_irq_at(load, read->irq_taken)->injection = read->injection_base + read->injection_count - 1;
    }
    return true;
}

/* The driver's holds end before its kick, but their events may follow it: each request's hold goes on its
 * kick once the kick is read (a max: taken again harmlessly). */
static void take_holds(stitch_read *read)
{
    vq_loader *load = read->load;
    size_t i = read->hold_from > read->next ? read->hold_from : read->next;
    bool waiting = false;

    for (; i < load->request_base + load->request_count; i++) {
        const vq_guest_request *request = vq_request_at(load, i);
        vq_guest_kick *kick = vq_kick_at(load, request->kick);

        if (request->kick == VQ_NO_INDEX) {
            read->hold_from = waiting ? read->hold_from : i;
            waiting = true;
        } else if (request->kick_held && kick && request->kick_hold_end > kick->last_hold_end) {
            kick->last_hold_end = request->kick_hold_end;
        }
    }
    read->hold_from = waiting ? read->hold_from : i;
}

/* Whether every source is read past host time AT plus the margin (or to its end). */
static bool host_read_past(const stitch_read *read, int64_t at)
{
    int64_t past = at + (int64_t)VQ_ID_BOUNDS_MARGIN_NS;

    return (read->qemu_ended || (int64_t)vq_pass_next(read->qemu) > past) &&
           (!read->probe || read->probe_ended || (int64_t)vq_pass_next(read->probe) > past);
}

/* The requests ready, in order: complete, with the guest read past their completion by the disorder
 * margin and the host side past it by the pairing margin; or given up (never complete within the timeout;
 * counted); every one at the sources' end. */
static vq_status stitch_ready(stitch_read *read, vq_stitch_streamed *out)
{
    vq_loader *load = read->load;
    bool ended = read->guest_ended && read->qemu_ended && (!read->probe || read->probe_ended);
    uint64_t guest_next = vq_stream_next(read->guest, read->guest_ended);
    vq_status status = VQ_OK;

    for (; status == VQ_OK && read->next < load->request_base + load->request_count; read->next++) {
        const vq_guest_request *request = vq_request_at(load, read->next);
        const vq_guest_irq *irq = vq_irq_at(load, request->irq);
        const vq_qemu_request *device;

        if (!ended && request->complete &&
            (guest_next <= request->complete + VQ_STREAM_DISORDER_NS ||
             !host_read_past(read, (int64_t)request->complete + read->shift + read->shift_error))) {
            break;
        }
        if (!ended && !request->complete) {
            if (request->submit + VQ_ID_BOUNDS_TIMEOUT_NS >= guest_next) {
                break;
            }
            out->given_up++;
        }
        device = vq_qemu_request_at(load, vq_id_map_get(&load->qemu_ids, request->id));
        status = vq_stitch_request(&read->stitcher, request, device,
                                   irq && irq->injection != VQ_NO_INDEX
                                       ? &read->injections[irq->injection - read->injection_base].injection : NULL);
        out->requests++;
        if (status == VQ_OK && load->e2e) {   /* its application end, with its row (none: not stitched) */
            vq_emitted *emitted = &read->session->emitted;

            if (!vq_e2e_stream_row(load->e2e, request->id, emitted->has_last_driver ? &emitted->last_driver : NULL,
                                   vq_session_emit_app_to, read->session)) {
                status = VQ_ERR_NOMEM;
            }
            emitted->has_last_driver = false;
        }
    }
    return status;
}

/* The host time of guest time GUEST on the session's offset (as the workload window takes it), 0 below. */
static uint64_t host_of(const vq_clock_offset *offset, uint64_t guest)
{
    int64_t host = (int64_t)guest + vq_clock_offset_at(offset, guest);

    return host > 0 ? (uint64_t)host : 0;
}

/* The workload window as the requests emitted so far set it (ENDED: all are), and what it decides of the
 * records the figures hold. */
static bool decide(stitch_read *read, bool ended)
{
    const vq_emitted *emitted = &read->session->emitted;
    const vq_clock_offset *offset = &read->session->offset;
    const vq_guest_request *first = vq_request_at(read->load, read->next);
    uint64_t future = first ? first->submit : vq_stream_next(read->guest, read->guest_ended), lower;
    vq_stream_window window = { .ended = ended };

    if (!ended && future != UINT64_MAX) {   /* no request to come was submitted before it */
        uint64_t watermark = vq_stream_next(read->guest, read->guest_ended);

        future = watermark < future ? watermark : future;
        future = future > VQ_STREAM_DISORDER_NS ? future - VQ_STREAM_DISORDER_NS : 0;
    }
    window.usable = offset->usable && emitted->has_previous &&
                    emitted->first_submit_guest <= emitted->last_complete_guest;
    if (window.usable) {
        window.start = host_of(offset, emitted->first_submit_guest);
        window.end = host_of(offset, emitted->last_complete_guest);
    }
    window.start_final = ended || (emitted->has_previous && future >= emitted->first_submit_guest);
    lower = emitted->has_previous && emitted->first_submit_guest < future ? emitted->first_submit_guest : future;
    window.before = !offset->usable || lower == UINT64_MAX ? UINT64_MAX : host_of(offset, lower);
    return vq_stream_figures_decide(&read->figures, read->load, &window);
}

/*
 * What no request left can look up goes: the requests stitched; the kicks and irqs a margin before the
 * first request left (a request's kick follows its submit, its irq nearly so; a batched request looks back
 * at the kicks before its own); on the host side the same time less the offset's error and the margin:
 * QEMU's requests and handler runs before it, the holds ended before it, the doorbell writes and exits
 * before it (not those a vCPU thread is still in), every device notify, injection and virq (the pairs
 * carry what stitching reads of them).
 */
static bool release(stitch_read *read)
{
    vq_loader *load = read->load;
    const vq_guest_request *first = vq_request_at(load, read->next);
    uint64_t at = first ? first->submit : vq_stream_next(read->guest, read->guest_ended);
    uint64_t guest_floor = at > VQ_ID_BOUNDS_MARGIN_NS ? at - VQ_ID_BOUNDS_MARGIN_NS : 0;
    int64_t host_floor = (int64_t)guest_floor + read->shift - read->shift_error - (int64_t)VQ_ID_BOUNDS_MARGIN_NS;
    size_t kicks = 0, irqs = 0, qemu = 0, handlers = 0, holds = 0, held = 0, keep_from;

    if (at == UINT64_MAX) {
        return decide(read, false);   /* the guest is read and every request stitched: the end is near */
    }
    while (kicks < load->kick_count && kicks + load->kick_base < read->kick_taken &&
           load->kicks[kicks].ts < guest_floor) {
        if (!vq_stitch_forget_kick(&read->stitcher, &load->kicks[kicks])) {
            return false;
        }
        kicks++;
    }
    while (irqs < load->irq_count && irqs + load->irq_base < read->irq_taken && load->irqs[irqs].ts < guest_floor) {
        irqs++;
    }
    if (!vq_stream_figures_guest(&read->figures, load, kicks, irqs) ||
        !vq_loader_release_guest(load, read->next, load->kick_base + kicks, load->irq_base + irqs) ||
        (load->e2e && !vq_e2e_stream_release(load->e2e, vq_session_emit_app_to, read->session))) {
        return false;
    }
    while (held < read->injection_count && read->injections[held].irq < load->irq_base) {
        held++;
    }
    vq_drop_front(read->injections, &read->injection_count, sizeof(*read->injections), held);
    read->injection_base += held;
    if (!vq_stream_figures_qemu(&read->figures, load, false, &keep_from)) {
        return false;
    }
    if (host_floor <= 0) {
        return decide(read, false);
    }
    while (qemu < load->qemu_request_count && load->qemu_request_base + qemu < keep_from) {
        const vq_qemu_request *device = &load->qemu_requests[qemu];

        if ((int64_t)(device->end ? device->end : device->begin + VQ_ID_BOUNDS_TIMEOUT_NS) >= host_floor) {
            break;
        }
        qemu++;
    }
    while (handlers < load->handler_count && (int64_t)load->handlers[handlers].ts < host_floor) {
        vq_stitch_forget_run(&read->stitcher, load->handler_base + handlers, &load->handlers[handlers]);
        handlers++;
    }
    while (holds < load->notify_hold_count && (int64_t)load->notify_holds[holds].end < host_floor) {
        holds++;
    }
    vq_loader_release_holds(load, holds);
    if (!vq_stream_figures_probe(&read->figures, load, vq_loader_exits_before(load, (uint64_t)host_floor))) {
        return false;
    }
    vq_loader_release_probe_before(load, (uint64_t)host_floor);
    return vq_loader_release_qemu(load, load->qemu_request_base + qemu, load->handler_base + handlers,
                                  load->device_notify_base + load->device_notify_count) &&
           decide(read, false);
}

/* host = guest + shift: the chosen offset at TS (with its error), else the largest id bound, else QEMU's
 * first event against the guest's (QEMU's trace starts first: ahead). */
static void set_shift(stitch_read *read, const vq_id_bounds *ids, uint64_t ts)
{
    const vq_clock_offset *offset = &read->session->offset;

    if (offset->usable) {
        read->shift = vq_clock_offset_at(offset, ts);
        read->shift_error = offset->error_ns > 0 ? offset->error_ns : 0;
    } else if (ids->bounds) {
        read->shift = ids->largest;
    } else if (!read->qemu_ended && ts) {
        read->shift = (int64_t)vq_pass_next(read->qemu) - (int64_t)ts;
    }
}

/* The warnings the pass WHICH (VQ_STREAM_GUEST...) has just added to the loader's session, moved to its
 * list: the load puts each pass's together, as the batch's passes read one after the other add them. */
static vq_status take_warnings(stitch_read *read, vq_stitch_streamed *out, int which, vq_status status)
{
    vq_session *scratch = read->load->session;
    vq_warning_list *list = &out->pass_warnings[which];
    char **bigger;

    if (!scratch->warning_count) {
        return status;
    }
    bigger = realloc(list->items, (list->count + scratch->warning_count) * sizeof(*bigger));
    if (!bigger) {
        return VQ_ERR_NOMEM;
    }
    memcpy(bigger + list->count, scratch->warnings, scratch->warning_count * sizeof(*bigger));
    list->items = bigger;
    list->count += scratch->warning_count;
    scratch->warning_count = 0;
    return status;
}

static vq_status step_pass(stitch_read *read, vq_stitch_streamed *out, int which, uint64_t limit, vq_error *error)
{
    vq_pass *pass = which == VQ_STREAM_GUEST ? read->guest : which == VQ_STREAM_QEMU ? read->qemu : read->probe;
    bool *ended = which == VQ_STREAM_GUEST ? &read->guest_ended
                  : which == VQ_STREAM_QEMU ? &read->qemu_ended : &read->probe_ended;

    return take_warnings(read, out, which, vq_pass_step(pass, limit, ended, error));
}

static vq_status open_read(stitch_read *read, vq_stitch_streamed *out, vq_error *error)
{
    vq_status status = take_warnings(read, out, VQ_STREAM_GUEST,
                                     vq_pass_open(read->load, &vq_guest_pass, &read->guest, error));

    if (status == VQ_OK) {
        status = take_warnings(read, out, VQ_STREAM_QEMU, vq_pass_open(read->load, &vq_qemu_pass, &read->qemu, error));
    }
    if (status == VQ_OK) {   /* the doorbell's writes and exits (KVM), the scheduler's records */
        status = take_warnings(read, out, VQ_STREAM_PROBE,
                               vq_pass_open(read->load, &vq_probe_pass, &read->probe, error));
    }
    if (status == VQ_OK) {
        status = step_pass(read, out, VQ_STREAM_GUEST, 0, error);
    }
    if (status == VQ_OK) {
        status = step_pass(read, out, VQ_STREAM_QEMU, 0, error);
    }
    if (status == VQ_OK) {
        status = step_pass(read, out, VQ_STREAM_PROBE, 0, error);
    }
    return status;
}

/* Every request is stitched: the figures take what the windows still hold, and the window is final. */
static vq_status finish_figures(stitch_read *read)
{
    vq_loader *load = read->load;
    size_t keep_from;

    if (!vq_stream_figures_guest(&read->figures, load, load->kick_count, load->irq_count) ||
        !vq_stream_figures_qemu(&read->figures, load, true, &keep_from) ||
        !vq_stream_figures_probe(&read->figures, load, load->exit_count) || !decide(read, true) ||
        !vq_stream_figures_finish(&read->figures, load)) {
        return VQ_ERR_NOMEM;
    }
    return VQ_OK;
}

/* The read itself: the guest a step at a time, the host side ahead of it by the offset and the margin. */
static vq_status run_read(stitch_read *read, const vq_id_bounds *ids, vq_stitch_streamed *out, vq_error *error)
{
    vq_status status = open_read(read, out, error);
    uint64_t guest_limit = status == VQ_OK && !read->guest_ended ? vq_pass_next(read->guest) : 0;

    while (status == VQ_OK) {
        int64_t host_limit;

        set_shift(read, ids, guest_limit);
        if (!read->guest_ended) {
            guest_limit += VQ_ID_BOUNDS_STEP_NS;
            status = step_pass(read, out, VQ_STREAM_GUEST, guest_limit, error);
        }
        host_limit = (int64_t)guest_limit + read->shift + read->shift_error + 2 * (int64_t)VQ_ID_BOUNDS_MARGIN_NS;
        if (read->guest_ended) {   /* then the host side goes on a step at a time */
            uint64_t qemu = vq_stream_next(read->qemu, read->qemu_ended);
            uint64_t probe = read->probe ? vq_stream_next(read->probe, read->probe_ended) : UINT64_MAX;

            host_limit = (int64_t)((qemu < probe ? qemu : probe) + VQ_ID_BOUNDS_STEP_NS);
        }
        if (status == VQ_OK && !read->qemu_ended) {
            status = step_pass(read, out, VQ_STREAM_QEMU, host_limit > 0 ? (uint64_t)host_limit : 0, error);
        }
        if (status == VQ_OK && read->probe && !read->probe_ended) {
            status = step_pass(read, out, VQ_STREAM_PROBE, host_limit > 0 ? (uint64_t)host_limit : 0, error);
        }
        if (status != VQ_OK) {
            break;
        }
        out->steps++;
        if (!take_pairs(read)) {
            status = VQ_ERR_NOMEM;
            break;
        }
        take_holds(read);
        out->most_requests = read->load->request_count > out->most_requests ? read->load->request_count
                                                                            : out->most_requests;
        out->most_host = read->load->handler_count + read->load->qemu_request_count + read->load->notify_count +
                         read->load->exit_count > out->most_host
                             ? read->load->handler_count + read->load->qemu_request_count +
                                   read->load->notify_count + read->load->exit_count
                             : out->most_host;
        status = stitch_ready(read, out);
        if (status != VQ_OK) {
            break;
        }
        if (read->guest_ended && read->qemu_ended && (!read->probe || read->probe_ended)) {
            status = finish_figures(read);
            break;
        }
        if (!release(read)) {
            status = VQ_ERR_NOMEM;
        }
    }
    if (status == VQ_ERR_NOMEM) {
        vq_error_set(error, "%s: out of memory (stitching)", read->directory);
    }
    return status;
}

vq_status vq_stitch_stream(const char *directory, vq_id_bounds *ids, vq_kick_pairs *kicks, vq_irq_pairs *irqs,
                           vq_session *session, vq_e2e *e2e, vq_stitch_streamed *out, vq_error *error)
{
    stitch_read read = { .directory = directory, .session = session };
    vq_status status;

    memset(out, 0, sizeof(*out));
    if (!vq_stream_figures_init(&read.figures, session)) {
        vq_error_set(error, "%s: out of memory (stitching)", directory);
        return VQ_ERR_NOMEM;
    }
    status = spill(directory, ids, kicks, irqs, true, &read.figures, &read.kick_pairs, &out->kick_pairs, error);
    if (status == VQ_OK) {
        status = spill(directory, ids, kicks, irqs, false, &read.figures, &read.irq_pairs, &out->irq_pairs, error);
    }
    read.load = status == VQ_OK ? vq_stream_loader_new(directory, &ids->facts) : NULL;
    if (status == VQ_OK && !read.load) {
        vq_error_set(error, "%s: out of memory (stitching)", directory);
        status = VQ_ERR_NOMEM;
    }
    if (status == VQ_OK) {
        size_t i;

        for (i = 0; i < read.load->session->warning_count; i++) {   /* meta.json's: SESSION has its own */
            free(read.load->session->warnings[i]);
        }
        read.load->session->warning_count = 0;
        read.load->xblk_vdev = ids->facts.xblk_vdev;   /* the traced device's runs, from the first */
        read.load->e2e = e2e;
        session->emitted.drivers_streamed = e2e != NULL;   /* each row to the application end as it goes */
        session->has_kvm = ids->facts.has_kvm;
        read.stitcher = (vq_stitcher){ .session = session, .load = read.load,
                                       .tcg = ids->facts.doorbell_writes == 0,
                                       .paired_per_queue = kicks->paired && kicks->per_queue &&
                                                           (!irqs->paired || irqs->per_queue) };
        status = run_read(&read, ids, out, error);
    }
    if (status == VQ_OK && !vq_stitch_finish(&read.stitcher)) {
        vq_error_set(error, "%s: out of memory (stitching)", directory);
        status = VQ_ERR_NOMEM;
    }
    if (status == VQ_OK) {
        out->released_late = read.load->released_late;
    }
    vq_pass_close(read.guest);
    vq_pass_close(read.qemu);
    vq_pass_close(read.probe);
    if (status == VQ_OK && e2e) {
        out->load = read.load;   /* the caller's: what the passes leave (e2e's matching, header figures) */
    } else {
        if (read.load && read.load->e2e == e2e) {
            read.load->e2e = NULL;   /* the caller's */
        }
        vq_stream_loader_delete(read.load);
    }
    free(read.injections);
    vq_stream_figures_free(&read.figures);
    if (read.kick_pairs.file) {
        fclose(read.kick_pairs.file);
    }
    if (read.irq_pairs.file) {
        fclose(read.irq_pairs.file);
    }
    return status;
}

void vq_stitch_streamed_free(vq_stitch_streamed *out)
{
    size_t p, i;

    for (p = 0; p < VQ_STREAM_PASSES; p++) {
        for (i = 0; i < out->pass_warnings[p].count; i++) {
            free(out->pass_warnings[p].items[i]);
        }
        free(out->pass_warnings[p].items);
    }
    vq_stream_loader_delete(out->load);
    memset(out, 0, sizeof(*out));
}
