/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Building a loader by hand for the unit tests of the analyzer's load steps (analysis_steps.c,
 * analysis_align.c): requests, kicks, irqs, notifies, handler runs, injections; a temporary session
 * directory for the files a step reads. Times: guest ns are small numbers, host ones H + the guest time
 * (a true offset of H, defined by the includer).
 */
#ifndef VQSCOPE_TESTS_STEPS_FIXTURE_H
#define VQSCOPE_TESTS_STEPS_FIXTURE_H

/* ---- building a loader by hand ---- */

static inline void *must(void *pointer)
{
    if (!pointer) {
        fprintf(stderr, "analysis_steps: out of memory\n");
        exit(1);
    }
    return pointer;
}

static inline void loader_init(vq_loader *load, const char *directory)
{
    *load = (vq_loader){ .session = must(calloc(1, sizeof(vq_session))), .directory = directory };
    load->session->keep_rows = true;   /* the tests read the rows; analysis_steps checks the load without */
}

static inline void loader_done(vq_loader *load)
{
    vq_session *session = load->session;

    vq_loader_free(load);
    vq_session_free(session);
}

static inline void add_request(vq_loader *load, uint64_t id, uint64_t submit, uint64_t complete, size_t kick, size_t irq)
{
    vq_guest_request *request = must(VQ_PUSH(load->requests, load->request_count, load->request_capacity));

    *request = (vq_guest_request){ .id = id, .submit = submit, .complete = complete, .kick = kick, .irq = irq,
                                   .next_same = VQ_NO_INDEX };
}

static inline void add_kick(vq_loader *load, uint64_t ts, uint64_t id_last, bool notified, size_t notify)
{
    vq_guest_kick *kick = must(VQ_PUSH(load->kicks, load->kick_count, load->kick_capacity));

    *kick = (vq_guest_kick){ .ts = ts, .id_last = id_last, .notified = notified, .notify = notify };
}

static inline void add_irq(vq_loader *load, uint64_t ts, size_t injection)
{
    vq_guest_irq *irq = must(VQ_PUSH(load->irqs, load->irq_count, load->irq_capacity));

    *irq = (vq_guest_irq){ .ts = ts, .injection = injection };
}

static inline void add_notify(vq_loader *load, uint64_t exit_ts, uint64_t mmio_ts, uint64_t signal_ts, uint32_t tid,
                       size_t kick)
{
    vq_host_notify *notify = must(VQ_PUSH(load->notifies, load->notify_count, load->notify_capacity));

    *notify = (vq_host_notify){ .exit_ts = exit_ts, .mmio_ts = mmio_ts, .signal_ts = signal_ts, .tid = tid,
                                .kick = kick, .exit = VQ_NO_INDEX };
}

static inline void add_handler(vq_loader *load, uint64_t ts)
{
    vq_qemu_mark *mark = must(VQ_PUSH(load->handlers, load->handler_count, load->handler_capacity));

    *mark = (vq_qemu_mark){ .ts = ts };
}

static inline void add_device_notify(vq_loader *load, uint64_t ts)
{
    vq_qemu_mark *mark = must(VQ_PUSH(load->device_notifies, load->device_notify_count,
                                      load->device_notify_capacity));

    *mark = (vq_qemu_mark){ .ts = ts };
}

/* The device's begin and end of request ID, indexed by id as the QEMU pass leaves it. */
static inline vq_qemu_request *add_device_request(vq_loader *load, uint64_t id, uint64_t begin, uint64_t end)
{
    vq_qemu_request *request = must(VQ_PUSH(load->qemu_requests, load->qemu_request_count,
                                            load->qemu_request_capacity));

    *request = (vq_qemu_request){ .id = id, .begin = begin, .end = end, .serve_hold_ns = -1 };
    if (!vq_id_map_put(&load->qemu_ids, id, load->qemu_request_count - 1)) {
        must(NULL);
    }
    return request;
}

static inline void add_injection(vq_loader *load, uint64_t ts, uint32_t vector)
{
    vq_host_injection *injection = must(VQ_PUSH(load->injections, load->injection_count,
                                                load->injection_capacity));

    *injection = (vq_host_injection){ .ts = ts, .vector = vector };
}

static inline void add_virq(vq_loader *load, uint64_t ts, uint32_t vector)
{
    vq_host_virq *virq = must(VQ_PUSH(load->virqs, load->virq_count, load->virq_capacity));

    *virq = (vq_host_virq){ .ts = ts, .vector = vector };
}

/* What vq_align_clocks leaves for stitching when it is not run: injection I answers device notify I. */
static inline void identity_device_injections(vq_loader *load)
{
    size_t i;

    load->device_injections = must(malloc((load->injection_count + 1) * sizeof(*load->device_injections)));
    for (i = 0; i < load->injection_count; i++) {
        load->device_injections[i] = i;
    }
    load->device_injection_count = load->injection_count;
}

static inline void set_offset(vq_loader *load, int64_t offset)
{
    load->session->offset = vq_clock_offset_constant(VQ_OFFSET_CAUSAL, offset, 0);
}

static inline bool has_stage(const vq_request_row *row, vq_stage stage, int64_t value)
{
    return row->has[stage] && row->stage[stage] == value;
}

static inline bool warned(const vq_session *session, const char *text)
{
    size_t i;

    for (i = 0; i < session->warning_count; i++) {
        if (strstr(session->warnings[i], text)) {
            return true;
        }
    }
    return false;
}

static inline char *make_directory(void)
{
    char *directory = must(strdup("/tmp/vqscope-analysis-steps.XXXXXX"));

    must(mkdtemp(directory));
    return directory;
}

static inline void write_file(const char *directory, const char *name, const char *text)
{
    char *path = must(vq_session_path(directory, name));
    FILE *stream = must(fopen(path, "w"));

    fputs(text, stream);
    fclose(stream);
    free(path);
}

static inline void remove_directory(char *directory)
{
    static const char *const names[] = { "meta.json", "tsc-offset.txt", "host-clock.txt", "guest.trace" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *path = must(vq_session_path(directory, names[i]));

        unlink(path);
        free(path);
    }
    rmdir(directory);
    free(directory);
}

/* The usual ending: one interrupt (injected at H+7000 on VECTOR, UINT32_MAX an irqfd; the guest's irq
 * at 8000) delivers the requests; the offset is H; then stitch. */
static inline vq_status deliver_and_stitch(vq_loader *load, uint32_t vector)
{
    add_injection(load, H + 7000, vector);
    add_irq(load, 8000, 0);
    identity_device_injections(load);
    set_offset(load, H);
    return vq_stitch(load, NULL);
}

/* One xblk request through KVM with ioeventfd, every event of its path (guest at 1000.., host at H..). */
static inline void one_kvm_request(vq_loader *load, const char *name)
{
    loader_init(load, name);
    add_request(load, 7, 1000, 9000, 0, 0);
    add_kick(load, 1500, 7, true, 0);
    add_notify(load, H + 2000, H + 2100, H + 2300, 42, 0);
    add_handler(load, H + 2600);
    add_device_request(load, 7, H + 3000, H + 6000);
    add_injection(load, H + 7000, 33);
    add_irq(load, 8000, 0);
    identity_device_injections(load);
}

#endif
