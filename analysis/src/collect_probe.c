// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The probe pass: host-probe.vqp (host clock) into the loader's VM exits (each with its duration to the
 * next kvm_entry of its thread), the device's doorbell writes (kvm_mmio or ioeventfd_write inside the
 * device BARs, with the exit before and the signal after them), injections (kvm_msi_set_irq,
 * irqfd_wakeup) and kvm_inj_virq. Per-thread state follows each vCPU through exit, write and entry.
 * sched_switch and sched_wakeup go to the scheduler log of the cost figures (cost.c). The rest of the
 * stream (page faults...) is dropped as read.
 */
#include "loader.h"

#include "probe.h"
#include "session_dir.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static bool in_device_bar(const vq_loader *load, uint64_t gpa)
{
    size_t i;

    for (i = 0; i < load->bar_count; i++) {
        if (gpa >= load->bars[i].start && gpa <= load->bars[i].end) {
            return true;
        }
    }
    return false;
}

static vq_thread_state *thread_of(vq_loader *load, uint32_t tid)
{
    size_t i;

    for (i = 0; i < load->thread_count; i++) {
        if (load->threads[i].tid == tid) {
            return &load->threads[i];
        }
    }
    if (load->thread_count == VQ_LOADER_MAX_THREADS) {
        return NULL;
    }
    load->threads[load->thread_count] = (vq_thread_state){ .tid = tid, .open_notify = VQ_NO_INDEX };
    return &load->threads[load->thread_count++];
}

/* The events the pass takes (vq_kind_of). */
enum {
    PROBE_OTHER, PROBE_SCHED, PROBE_KVM_EXIT, PROBE_KVM_ENTRY, PROBE_KVM_MMIO, PROBE_IOEVENTFD, PROBE_USERSPACE_EXIT,
    PROBE_MSI, PROBE_IRQFD, PROBE_INJ_VIRQ,
};

static int probe_kind(const char *name)
{
    static const struct {
        const char *name;
        int kind;
    } names[] = {
        { "kvm_exit", PROBE_KVM_EXIT }, { "kvm_entry", PROBE_KVM_ENTRY }, { "kvm_mmio", PROBE_KVM_MMIO },
        { "ioeventfd_write", PROBE_IOEVENTFD }, { "kvm_userspace_exit", PROBE_USERSPACE_EXIT },
        { "kvm_msi_set_irq", PROBE_MSI }, { "irqfd_wakeup", PROBE_IRQFD }, { "kvm_inj_virq", PROBE_INJ_VIRQ },
    };
    size_t i;

    if (strncmp(name, "sched_", 6) == 0) {
        return PROBE_SCHED;
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            return names[i].kind;
        }
    }
    return PROBE_OTHER;
}

static vq_status take_probe_event(vq_loader *load, const vq_event *event)
{
    vq_thread_state *thread;
    uint64_t value = 0, gpa = 0;
    int kind = vq_kind_of(&load->probe_kinds, event->name, probe_kind);

    if (event->timestamp_ns > load->sched.last_ts) {
        load->sched.last_ts = event->timestamp_ns;
    }
    /* Before the thread table: a sched record's pid is any process's (the waker, the task switched
     * out), which would fill the table with threads that are not QEMU's. */
    if (kind == PROBE_SCHED) {
        return vq_sched_take(load, event);
    }
    thread = thread_of(load, event->pid);
    if (!thread) {
        return VQ_OK;  /* more threads than a QEMU has: ignore the rest rather than fail */
    }
    /* Indexes are absolute (loader.h: the records are a window, base 0 in a batch load). */
    if (kind == PROBE_KVM_EXIT) {
        vq_host_exit *exit_record = VQ_PUSH(load->exits, load->exit_count, load->exit_capacity);
        uint64_t isa = 0;

        if (!exit_record) {
            return VQ_ERR_NOMEM;
        }
        vq_event_arg(event, "reason", &value);
        vq_event_arg(event, "isa", &isa);
        *exit_record = (vq_host_exit){ .ts = event->timestamp_ns, .isa = (uint32_t)isa, .reason = (uint32_t)value,
                                    .duration = -1 };
        thread->in_exit = true;
        thread->vcpu = true;
        thread->exit = load->exit_base + load->exit_count - 1;
        thread->open_notify = VQ_NO_INDEX;
        load->session->has_kvm = true;
    } else if (kind == PROBE_KVM_ENTRY) {
        if (thread->in_exit) {
            vq_host_exit *exit_record = vq_exit_at(load, thread->exit);

            if (exit_record) {
                exit_record->duration = (int64_t)(event->timestamp_ns - exit_record->ts);
            } else {
                load->released_late++;
            }
        }
        thread->in_exit = false;
        thread->open_notify = VQ_NO_INDEX;
    } else if ((kind == PROBE_KVM_MMIO && vq_event_arg(event, "type", &value) && value == 2) ||
               kind == PROBE_IOEVENTFD) {
        bool is_ioeventfd = kind == PROBE_IOEVENTFD;
        vq_host_notify *notify;

        vq_event_arg(event, "gpa", &gpa);
        if (!in_device_bar(load, gpa)) {
            return VQ_OK;
        }
        notify = vq_notify_at(load, thread->open_notify);
        load->released_late += thread->open_notify != VQ_NO_INDEX && !notify;
        if (is_ioeventfd && notify && !notify->signal_ts) {
            notify->signal_ts = event->timestamp_ns;
            return VQ_OK;
        }
        notify = VQ_PUSH(load->notifies, load->notify_count, load->notify_capacity);
        if (!notify) {
            return VQ_ERR_NOMEM;
        }
        *notify = (vq_host_notify){ .mmio_ts = event->timestamp_ns, .gpa = gpa, .tid = event->pid,
                                    .queue = VQ_NO_QUEUE, .kick = VQ_NO_INDEX, .exit = VQ_NO_INDEX };
        /* A virtio-pci notify writes the queue's index (16 bits, no notification data) */
        if (!is_ioeventfd && vq_event_arg(event, "len", &value) && value == 2 && vq_event_arg(event, "val", &value) &&
            value < 0x10000) {
            notify->queue = (uint32_t)value;
        }
        if (thread->in_exit && vq_exit_at(load, thread->exit)) {
            notify->exit_ts = vq_exit_at(load, thread->exit)->ts;
            notify->exit = thread->exit;
        } else if (thread->in_exit) {
            load->released_late++;
        }
        if (is_ioeventfd) {
            notify->signal_ts = event->timestamp_ns;
        }
        thread->open_notify = load->notify_base + load->notify_count - 1;
    } else if (kind == PROBE_USERSPACE_EXIT) {
        /* KVM_EXIT_MMIO: QEMU's vCPU thread handles the write itself (ioeventfd off). */
        vq_host_notify *notify = vq_notify_at(load, thread->open_notify);
        vq_host_exit *exit_record = thread->in_exit ? vq_exit_at(load, thread->exit) : NULL;

        if (vq_event_arg(event, "reason", &value) && value == 6 && notify && !notify->signal_ts) {
            notify->signal_ts = event->timestamp_ns;
        }
        /* The exit goes on in user space: its duration runs to the next kvm_entry, the time the vCPU was
         * out of the guest (as perf kvm stat counts it). */
        if (exit_record) {
            exit_record->userspace = true;
        }
        load->released_late += (thread->in_exit && !exit_record) || (thread->open_notify != VQ_NO_INDEX && !notify);
    } else if (kind == PROBE_MSI || (kind == PROBE_IRQFD && vq_event_arg(event, "flags", &value) && (value & 1))) {
        vq_host_injection *injection = VQ_PUSH(load->injections, load->injection_count, load->injection_capacity);

        if (!injection) {
            return VQ_ERR_NOMEM;
        }
        *injection = (vq_host_injection){ .ts = event->timestamp_ns, .vector = UINT32_MAX, .tid = event->pid };
        if (kind == PROBE_MSI && vq_event_arg(event, "vector", &value)) {
            injection->vector = (uint32_t)value;
        }
    } else if (kind == PROBE_INJ_VIRQ) {
        vq_host_virq *virq = VQ_PUSH(load->virqs, load->virq_count, load->virq_capacity);

        if (!virq) {
            return VQ_ERR_NOMEM;
        }
        vq_event_arg(event, "vector", &value);
        *virq = (vq_host_virq){ .ts = event->timestamp_ns, .vector = (uint32_t)value };
    }
    return VQ_OK;
}

/* The pass's state between steps (loader.h); no reader when the session has no probe stream. */
typedef struct {
    char *path;
    vq_probe *reader;
    vq_sorted_cursor cursor;
} probe_pass;

static vq_status probe_open(vq_loader *load, void *state, vq_error *error)
{
    probe_pass *pass = state;
    vq_status status;

    pass->path = vq_session_path(load->directory, "host-probe.vqp");
    if (!pass->path) {
        vq_error_set(error, "%s: out of memory", load->directory);
        return VQ_ERR_NOMEM;
    }
    if (!vq_path_exists(pass->path, false)) {
        vq_session_warn(load->session, "%s: absent: no host kernel events (stages through KVM are missing)",
                        pass->path);
        return VQ_OK;
    }
    status = vq_probe_open(pass->path, &pass->reader, error);
    if (status != VQ_OK) {
        return status;
    }
    load->sched.target_tgid = vq_probe_header(pass->reader)->target_tgid;
    load->sched.attached_mask = vq_probe_header(pass->reader)->attached_mask;
    load->sched.stream_start = load->sched.last_ts = vq_probe_header(pass->reader)->start_monotonic_ns;
    vq_kind_reset(&load->probe_kinds, vq_probe_source(pass->reader).stable_names);
    return vq_sorted_open(&pass->cursor, vq_probe_source(pass->reader), error);
}

static vq_status probe_until(vq_loader *load, void *state, uint64_t limit, uint64_t *next, vq_error *error)
{
    probe_pass *pass = state;

    return pass->reader ? vq_sorted_until(load, &pass->cursor, limit, next, take_probe_event, error) : VQ_END;
}

/* The scheduler's stretches still open, late events, the reader's warning and the probe's drops. */
static vq_status probe_finish(vq_loader *load, void *state, vq_error *error)
{
    probe_pass *pass = state;

    (void)error;
    if (!pass->reader) {
        return VQ_OK;
    }
    vq_sorted_finish(load, &pass->cursor);
    vq_sched_finish(load);
    if (vq_probe_warning(pass->reader)[0]) {
        vq_session_warn(load->session, "%s", vq_probe_warning(pass->reader));
    }
    load->session->probe_drops = vq_probe_get_counts(pass->reader).drops_total;
    if (vq_probe_get_counts(pass->reader).drops_total) {
        vq_session_warn(load->session, "%s: the probe lost %" PRIu64 " records (ring buffer full)", pass->path,
                        vq_probe_get_counts(pass->reader).drops_total);
    }
    return VQ_OK;
}

static void probe_close(void *state)
{
    probe_pass *pass = state;

    vq_sorted_close(&pass->cursor);
    vq_probe_close(pass->reader);
    free(pass->path);
}

const vq_pass_ops vq_probe_pass = {
    .name = "probe", .state_size = sizeof(probe_pass), .open = probe_open, .until = probe_until,
    .finish = probe_finish, .close = probe_close,
};

static int compare_u64(const void *left, const void *right)
{
    uint64_t a = *(const uint64_t *)left, b = *(const uint64_t *)right;

    return (a > b) - (a < b);
}

/* The doorbell is the most written guest physical address in the device's BARs, and the addresses of
 * the other queues' doorbells beside it, in the same 4 KiB page (the notify region: QEMU puts each
 * queue's at its own offset, 4 bytes apart): keeps only writes to that page (common-configuration
 * writes during driver start, in another page, are not notifies). */
void vq_keep_doorbell(vq_loader *load)
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
        if (load->notifies[i].gpa >> 12 == best >> 12) {
            load->notifies[kept++] = load->notifies[i];
        }
    }
    load->notify_count = kept;
    free(gpas);
}
