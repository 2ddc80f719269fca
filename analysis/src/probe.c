// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host probe stream reader: the only one (probe.h says who links it). Layout from probes/vqscope_probe.h,
 * the writer's contract; fields are read through that header's structs (their sizes are checked there)
 * after a memcpy from the bytes read, so a longer record of a newer writer costs nothing but the skip.
 */
#include "probe.h"

#include "vqscope_probe.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct vq_probe {
    FILE *stream;
    char *name;
    uint64_t offset;          /* bytes consumed */
    uint64_t record_offset;   /* start of the record last returned */
    vq_probe_header_info header;
    uint8_t *record;          /* header.record_size bytes: the record as written, tail included */
    uint64_t *drops_by_cpu;   /* header.nr_cpus entries, allocated at the first DROPS record */
    uint64_t drops_sum;       /* sum of drops_by_cpu */
    vq_arg args[VQ_PROBE_MAX_ARGS];
    vq_probe_counts counts;
    char warning[VQ_ERROR_MAX];
};


const char *vq_probe_type_name(uint32_t type)
{
    /* Event records only: drops and end records are the stream's own bookkeeping. */
    return type < VQS_REC_NR_EVENTS ? vqs_rec_type_name(type) : NULL;
}

static size_t read_bytes(vq_probe *reader, void *buffer, size_t size)
{
    size_t got = fread(buffer, 1, size, reader->stream);

    reader->offset += got;
    return got;
}

/* Byte offset of a header field, for messages. */
#define HEADER_AT(field) ((int)offsetof(struct vqs_probe_header, field))

/* VALUE of header field NAME (at OFFSET) within LO..HI, else the error naming it. */
static bool in_range(const vq_probe *reader, vq_error *error, const char *name, int offset, uint32_t value,
                     uint32_t lo, uint32_t hi)
{
    if (value >= lo && value <= hi) {
        return true;
    }
    vq_error_set(error, "%s: offset %d: %s %" PRIu32 "; expected %" PRIu32 " to %" PRIu32, reader->name, offset,
                 name, value, lo, hi);
    return false;
}

static vq_status read_header(vq_probe *reader, vq_error *error)
{
    struct vqs_probe_header header;
    uint8_t skip[256];
    size_t got;
    vq_status status = VQ_OK;

    got = read_bytes(reader, &header, sizeof(header));
    if (got < sizeof(header) && ferror(reader->stream)) {
        vq_error_set(error, "%s: offset %zu: read error in the header: %s", reader->name, got,
                     strerror(errno));
        status = VQ_ERR_IO;
        goto end;
    }
    if (got < VQS_PROBE_MAGIC_LEN || memcmp(header.magic, VQS_PROBE_MAGIC, VQS_PROBE_MAGIC_LEN) != 0) {
        vq_error_set(error, "%s: offset 0: %s; expected the magic \"" VQS_PROBE_MAGIC
                     "\" of a vqscope host probe stream", reader->name,
                     got < VQS_PROBE_MAGIC_LEN ? "file too short for a magic" : "bad magic");
        status = VQ_ERR_FORMAT;
        goto end;
    }
    if (got >= HEADER_AT(version) + sizeof(header.version) && header.version != VQS_PROBE_VERSION) {
        vq_error_set(error, "%s: offset %d: version %" PRIu32 "; expected version %d", reader->name,
                     HEADER_AT(version), header.version, VQS_PROBE_VERSION);
        status = VQ_ERR_FORMAT;
        goto end;
    }
    if (got < sizeof(header)) {
        vq_error_set(error, "%s: offset %zu: truncated header: file ends after %zu of %d bytes",
                     reader->name, got, got, VQS_PROBE_HEADER_SIZE);
        status = VQ_ERR_FORMAT;
        goto end;
    }
    /* The checks go in field order, so that a header broken in two places names the first. */
    if (!in_range(reader, error, "header_size", HEADER_AT(header_size), header.header_size, VQS_PROBE_HEADER_SIZE,
                  VQ_PROBE_MAX_HEADER_SIZE)) {
        status = VQ_ERR_FORMAT;
        goto end;
    }
    if (header.clock_id != VQS_PROBE_CLOCK_MONOTONIC) {
        vq_error_set(error, "%s: offset %d: clock_id %" PRIu32 "; expected %d (CLOCK_MONOTONIC)",
                     reader->name, HEADER_AT(clock_id), header.clock_id, VQS_PROBE_CLOCK_MONOTONIC);
        status = VQ_ERR_FORMAT;
        goto end;
    }
    if (!in_range(reader, error, "record_size", HEADER_AT(record_size), header.record_size, VQS_PROBE_RECORD_SIZE,
                  VQ_PROBE_MAX_RECORD_SIZE) ||
        !in_range(reader, error, "nr_cpus", HEADER_AT(nr_cpus), header.nr_cpus, 1, VQ_PROBE_MAX_CPUS)) {
        status = VQ_ERR_FORMAT;
        goto end;
    }
    /* A newer writer's longer header: skip the fields this reader does not know. */
    while (reader->offset < header.header_size) {
        size_t want = header.header_size - reader->offset;

        if (want > sizeof(skip)) {
            want = sizeof(skip);
        }
        got = read_bytes(reader, skip, want);
        if (got < want) {
            vq_error_set(error, "%s: offset %" PRIu64 ": truncated header: file ends before its "
                         "header_size of %" PRIu32 " bytes", reader->name, reader->offset,
                         header.header_size);
            status = VQ_ERR_FORMAT;
            goto end;
        }
    }
    reader->header = (vq_probe_header_info){
        .version = header.version,
        .header_size = header.header_size,
        .clock_id = header.clock_id,
        .record_size = header.record_size,
        .start_monotonic_ns = header.start_monotonic_ns,
        .start_realtime_ns = header.start_realtime_ns,
        .target_tgid = header.target_tgid,
        .nr_cpus = header.nr_cpus,
        .attached_mask = header.attached_mask,
    };
    memcpy(reader->header.kernel_release, header.kernel_release, VQS_PROBE_RELEASE_LEN);
    reader->header.kernel_release[VQS_PROBE_RELEASE_LEN] = '\0';
end:
    return status;
}

vq_status vq_probe_open_stream(FILE *stream, const char *name, vq_probe **out, vq_error *error)
{
    vq_probe *reader = calloc(1, sizeof(*reader));
    vq_status status = VQ_OK;

    *out = NULL;
    if (!reader || !(reader->name = strdup(name))) {
        fclose(stream);
        status = VQ_ERR_NOMEM;
        vq_error_set(error, "%s: out of memory", name);
        goto end;
    }
    reader->stream = stream;
    status = read_header(reader, error);
    if (status != VQ_OK) {
        goto end;
    }
    reader->record = malloc(reader->header.record_size);
    if (!reader->record) {
        status = VQ_ERR_NOMEM;
        vq_error_set(error, "%s: out of memory", name);
        goto end;
    }
    *out = reader;
    reader = NULL;
end:
    vq_probe_close(reader);
    return status;
}

vq_status vq_probe_open(const char *path, vq_probe **out, vq_error *error)
{
    FILE *stream = vq_open_input(path, "rb", error);

    *out = NULL;
    return stream ? vq_probe_open_stream(stream, path, out, error) : VQ_ERR_IO;
}

static void set_arg(vq_probe *reader, size_t index, const char *name, vq_arg_type type, uint64_t value)
{
    reader->args[index] = (vq_arg){ .name = name, .type = type, .value = value };
}

/* Fills the arguments of a known kernel event; returns how many. */
static size_t decode_args(vq_probe *reader, const struct vqs_probe_record *record)
{
    size_t n = 0;

    switch (record->type) {
    case VQS_REC_KVM_EXIT:
        set_arg(reader, n++, "reason", VQ_ARG_HEX, record->kvm_exit.reason);
        set_arg(reader, n++, "isa", VQ_ARG_U64, record->kvm_exit.isa);
        set_arg(reader, n++, "vcpu", VQ_ARG_U64, record->kvm_exit.vcpu_id);
        set_arg(reader, n++, "info1", VQ_ARG_HEX, record->kvm_exit.info1);
        set_arg(reader, n++, "info2", VQ_ARG_HEX, record->kvm_exit.info2);
        set_arg(reader, n++, "rip", VQ_ARG_HEX, record->kvm_exit.guest_rip);
        break;
    case VQS_REC_KVM_ENTRY:
        set_arg(reader, n++, "vcpu", VQ_ARG_U64, record->kvm_entry.vcpu_id);
        set_arg(reader, n++, "rip", VQ_ARG_HEX, record->kvm_entry.rip);
        break;
    case VQS_REC_KVM_USERSPACE_EXIT:
        set_arg(reader, n++, "reason", VQ_ARG_U64, record->kvm_userspace_exit.reason);
        set_arg(reader, n++, "error", VQ_ARG_S64, (uint64_t)(int64_t)record->kvm_userspace_exit.error);
        break;
    case VQS_REC_KVM_MMIO:
        set_arg(reader, n++, "type", VQ_ARG_U64, record->kvm_mmio.type);
        set_arg(reader, n++, "len", VQ_ARG_U64, record->kvm_mmio.len);
        set_arg(reader, n++, "gpa", VQ_ARG_HEX, record->kvm_mmio.gpa);
        set_arg(reader, n++, "val", VQ_ARG_HEX, record->kvm_mmio.val);
        break;
    case VQS_REC_KVM_PAGE_FAULT:
        set_arg(reader, n++, "vcpu", VQ_ARG_U64, record->kvm_page_fault.vcpu_id);
        set_arg(reader, n++, "gpa", VQ_ARG_HEX, record->kvm_page_fault.gpa);
        set_arg(reader, n++, "error_code", VQ_ARG_HEX, record->kvm_page_fault.error_code);
        break;
    case VQS_REC_KVM_MSI_SET_IRQ:
        set_arg(reader, n++, "address", VQ_ARG_HEX, record->kvm_msi_set_irq.address);
        set_arg(reader, n++, "data", VQ_ARG_HEX, record->kvm_msi_set_irq.data);
        set_arg(reader, n++, "vector", VQ_ARG_U64, record->kvm_msi_set_irq.data & 0xff);
        break;
    case VQS_REC_KVM_SET_IRQ:
        set_arg(reader, n++, "gsi", VQ_ARG_U64, record->kvm_set_irq.gsi);
        set_arg(reader, n++, "level", VQ_ARG_S64, (uint64_t)(int64_t)record->kvm_set_irq.level);
        break;
    case VQS_REC_KVM_APIC_ACCEPT_IRQ:
        set_arg(reader, n++, "apicid", VQ_ARG_U64, record->kvm_apic_accept_irq.apicid);
        set_arg(reader, n++, "vector", VQ_ARG_U64, record->kvm_apic_accept_irq.vector);
        break;
    case VQS_REC_KVM_INJ_VIRQ:
        set_arg(reader, n++, "vector", VQ_ARG_U64, record->kvm_inj_virq.vector);
        set_arg(reader, n++, "reinjected", VQ_ARG_U64, record->kvm_inj_virq.reinjected);
        break;
    case VQS_REC_IOEVENTFD_WRITE:
        set_arg(reader, n++, "gpa", VQ_ARG_HEX, record->ioeventfd_write.gpa);
        set_arg(reader, n++, "len", VQ_ARG_U64, record->ioeventfd_write.len);
        set_arg(reader, n++, "device", VQ_ARG_HEX, record->ioeventfd_write.device);
        break;
    case VQS_REC_IRQFD_WAKEUP:
    case VQS_REC_IRQFD_INJECT:
        set_arg(reader, n++, "irqfd", VQ_ARG_HEX, record->irqfd.irqfd);
        set_arg(reader, n++, "gsi", VQ_ARG_U64, record->irqfd.gsi);
        set_arg(reader, n++, "flags", VQ_ARG_HEX, record->irqfd.flags);
        break;
    case VQS_REC_SCHED_WAKEUP:
        set_arg(reader, n++, "woken_pid", VQ_ARG_U64, record->sched_wakeup.woken_pid);
        set_arg(reader, n++, "target_cpu", VQ_ARG_U64, record->sched_wakeup.target_cpu);
        set_arg(reader, n++, "woken_tgid", VQ_ARG_U64, record->sched_wakeup.woken_tgid);
        break;
    case VQS_REC_SCHED_SWITCH:
        set_arg(reader, n++, "prev_pid", VQ_ARG_U64, record->sched_switch.prev_pid);
        set_arg(reader, n++, "next_pid", VQ_ARG_U64, record->sched_switch.next_pid);
        set_arg(reader, n++, "prev_state", VQ_ARG_HEX, record->sched_switch.prev_state);
        set_arg(reader, n++, "prev_tgid", VQ_ARG_U64, record->sched_switch.prev_tgid);
        set_arg(reader, n++, "next_tgid", VQ_ARG_U64, record->sched_switch.next_tgid);
        if (record->sched_switch.prev_runtime_ns || record->sched_switch.next_runtime_ns) {   /* since 2026-12-03 */
            set_arg(reader, n++, "prev_runtime_ns", VQ_ARG_U64, record->sched_switch.prev_runtime_ns);
            set_arg(reader, n++, "next_runtime_ns", VQ_ARG_U64, record->sched_switch.next_runtime_ns);
        }
        break;
    default:
        break;
    }
    return n;
}

/* Why the stream ended short of a whole record, for vq_probe_warning(); GOT bytes of it were there. */
static void note_stream_end(vq_probe *reader, size_t got)
{
    if (reader->counts.end_seen) {
        if (got != 0) {
            snprintf(reader->warning, sizeof(reader->warning), "%s: offset %" PRIu64
                     ": %zu stray bytes after the END record (ignored)", reader->name,
                     reader->record_offset, got);
        }
    } else if (got != 0) {
        snprintf(reader->warning, sizeof(reader->warning), "%s: offset %" PRIu64
                 ": stream cut short: last record has %zu of %" PRIu32 " bytes and no END "
                 "record; the %" PRIu64 " whole records before it are used", reader->name,
                 reader->record_offset, got, reader->header.record_size, reader->counts.records);
    } else {
        snprintf(reader->warning, sizeof(reader->warning), "%s: offset %" PRIu64
                 ": stream cut short: no END record (the recorder was stopped before closing "
                 "it); the %" PRIu64 " records before are used", reader->name,
                 reader->record_offset, reader->counts.records);
    }
}

/* A DROPS record: its counter is cumulative per CPU, so the latest one of each CPU is what it lost. */
static vq_status count_drops(vq_probe *reader, const struct vqs_probe_record *record, vq_error *error)
{
    vq_status status = VQ_OK;

    if (record->cpu >= reader->header.nr_cpus) {
        vq_error_set(error, "%s: offset %" PRIu64 ": cpu %" PRIu32 " of a DROPS record; expected less "
                     "than the header's nr_cpus %" PRIu32, reader->name,
                     reader->record_offset + offsetof(struct vqs_probe_record, cpu), record->cpu,
                     reader->header.nr_cpus);
        status = VQ_ERR_FORMAT;
        goto end;
    }
    if (!reader->drops_by_cpu) {
        reader->drops_by_cpu = calloc(reader->header.nr_cpus, sizeof(*reader->drops_by_cpu));
        if (!reader->drops_by_cpu) {
            vq_error_set(error, "%s: out of memory", reader->name);
            status = VQ_ERR_NOMEM;
            goto end;
        }
    }
    /* Unsigned arithmetic: a counter that went down (a writer bug) still leaves the sum right. */
    reader->drops_sum += record->drops.drops_total - reader->drops_by_cpu[record->cpu];
    reader->drops_by_cpu[record->cpu] = record->drops.drops_total;
end:
    return status;
}

vq_status vq_probe_next_record(vq_probe *reader, struct vqs_probe_record *record, vq_error *error)
{
    vq_status status = VQ_OK;
    size_t got;

    reader->record_offset = reader->offset;
    got = read_bytes(reader, reader->record, reader->header.record_size);
    if (got < reader->header.record_size) {
        if (ferror(reader->stream)) {
            vq_error_set(error, "%s: offset %" PRIu64 ": read error: %s", reader->name,
                         reader->record_offset, strerror(errno));
            status = VQ_ERR_IO;
            goto end;
        }
        note_stream_end(reader, got);
        status = VQ_END;
        goto end;
    }
    /* The fields this version knows; a newer writer's longer record has its additions after them. */
    memcpy(record, reader->record, sizeof(*record));
    reader->counts.records++;
    if (reader->counts.end_seen) {
        vq_error_set(error, "%s: offset %" PRIu64 ": record of type %" PRIu32 " after the END record; "
                     "expected the end of the file (two streams concatenated?)", reader->name,
                     reader->record_offset, record->type);
        status = VQ_ERR_FORMAT;
        goto end;
    }
    switch (record->type) {
    case VQS_REC_END:
        reader->counts.end_seen = true;
        reader->counts.end_records = record->end.records;
        reader->counts.end_stop_reason = record->end.stop_reason;
        reader->counts.drops_total = record->end.drops_total;
        break;
    case VQS_REC_DROPS:
        status = count_drops(reader, record, error);
        break;
    default:
        if (!vqs_rec_type_name(record->type)) {
            /* The format lets writers add types: the caller skips what it does not know. */
            reader->counts.unknown_records++;
        }
        break;
    }
end:
    return status;
}

vq_status vq_probe_next(vq_probe *reader, vq_event *event, vq_error *error)
{
    struct vqs_probe_record record;
    vq_status status;

    do {
        status = vq_probe_next_record(reader, &record, error);
        if (status != VQ_OK) {
            goto end;
        }
    } while (!vq_probe_type_name(record.type));
    *event = (vq_event){
        .timestamp_ns = record.timestamp_ns,
        .name = vq_probe_type_name(record.type),
        .pid = record.pid,
        .has_pid = true,
        .arg_count = decode_args(reader, &record),
        .args = reader->args,
    };
end:
    return status;
}

uint64_t vq_probe_record_offset(const vq_probe *reader)
{
    return reader->record_offset;
}

static vq_status source_next(void *reader, vq_event *event, vq_error *error)
{
    return vq_probe_next(reader, event, error);
}

vq_event_source vq_probe_source(vq_probe *reader)
{
    /* names from the stream format's tables (vqs_rec_type_name, the argument names): static */
    return (vq_event_source){ source_next, &reader->record_offset, reader, reader->name, .stable_names = true };
}

const vq_probe_header_info *vq_probe_header(const vq_probe *reader)
{
    return &reader->header;
}

vq_probe_counts vq_probe_get_counts(const vq_probe *reader)
{
    vq_probe_counts counts = reader->counts;

    /* The END record carries the recorder's own total (the same sum, taken at the end); a stream cut
     * short has only the DROPS records written before the cut. */
    if (!counts.end_seen) {
        counts.drops_total = reader->drops_sum;
    }
    return counts;
}

const char *vq_probe_warning(const vq_probe *reader)
{
    return reader->warning;
}

void vq_probe_close(vq_probe *reader)
{
    if (!reader) {
        return;
    }
    if (reader->stream) {
        fclose(reader->stream);
    }
    free(reader->record);
    free(reader->drops_by_cpu);
    free(reader->name);
    free(reader);
}
