// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QEMU simpletrace v4 reader. Written from QEMU 10.0's trace/simple.c (the writer) and
 * scripts/simpletrace.py (QEMU's reader); the format is described in simpletrace.h.
 */
#include "simpletrace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_TYPE_MAPPING 0
#define RECORD_TYPE_EVENT 1

typedef struct {
    char *name;                  /* NULL: no mapping record seen for this id */
    const vq_event_decl *decl;   /* NULL: the name is not in trace-events-all */
    uint64_t mapping_offset;
} id_entry;

struct vq_simpletrace {
    FILE *stream;
    char *name;
    const vq_trace_events *catalog;
    uint64_t offset;         /* bytes consumed so far */
    uint64_t record_offset;  /* where the current record (its type word) starts */
    id_entry *ids;
    size_t id_count;         /* ids[] has entries [0, id_count) */
    uint8_t *payload;        /* current record's arguments */
    size_t payload_capacity;
    char *strings;           /* NUL-terminated copies of the current record's strings */
    size_t strings_capacity;
    vq_arg *args;
    size_t args_capacity;
    vq_simpletrace_counts counts;
    /*
     * Our own read-ahead: records are 30-100 bytes and a record takes three reads, so stdio's
     * per-call locking was most of the ingest time. block[block_start, block_end) is file data not
     * consumed yet.
     */
    uint8_t *block;
    size_t block_start;
    size_t block_end;
};

#define BLOCK_SIZE (256 * 1024)

static uint64_t load_u64(const uint8_t *bytes)
{
    uint64_t value;

    memcpy(&value, bytes, sizeof(value));
    return value;
}

static uint32_t load_u32(const uint8_t *bytes)
{
    uint32_t value;

    memcpy(&value, bytes, sizeof(value));
    return value;
}

/*
 * Reads exactly SIZE bytes. Returns the number read: less than SIZE means end of file or a read error
 * (ferror tells), which the caller reports with what it was reading.
 */
static size_t read_bytes(vq_simpletrace *reader, void *buffer, size_t size)
{
    uint8_t *to = buffer;
    size_t got = 0;

    while (got < size) {
        size_t available = reader->block_end - reader->block_start;
        size_t take;

        if (available == 0) {
            if (size - got >= BLOCK_SIZE) {
                /* A large argument: straight into the caller's buffer. */
                take = fread(to + got, 1, size - got, reader->stream);
                got += take;
                break;
            }
            reader->block_start = 0;
            reader->block_end = fread(reader->block, 1, BLOCK_SIZE, reader->stream);
            if (reader->block_end == 0) {
                break;
            }
            continue;
        }
        take = size - got < available ? size - got : available;
        memcpy(to + got, reader->block + reader->block_start, take);
        reader->block_start += take;
        got += take;
    }
    reader->offset += got;
    return got;
}

static vq_status report_short_read(vq_simpletrace *reader, size_t got, size_t wanted, const char *what,
                                   uint64_t at, vq_error *error)
{
    if (ferror(reader->stream)) {
        vq_error_set(error, "%s: offset %" PRIu64 ": read error in %s: %s", reader->name, at, what,
                     strerror(errno));
        return VQ_ERR_IO;
    }
    if (at != reader->record_offset && reader->record_offset != 0) {
        vq_error_set(error, "%s: offset %" PRIu64 ": truncated %s (record at offset %" PRIu64
                     "): file ends after %zu of %zu bytes", reader->name, at, what, reader->record_offset,
                     got, wanted);
    } else {
        vq_error_set(error, "%s: offset %" PRIu64 ": truncated %s: file ends after %zu of %zu bytes",
                     reader->name, at, what, got, wanted);
    }
    return VQ_ERR_FORMAT;
}

static vq_status grow(void **buffer, size_t *capacity, size_t needed, size_t element_size)
{
    void *bigger;
    size_t capacity_new = *capacity ? *capacity : 64;

    if (needed <= *capacity) {
        return VQ_OK;
    }
    while (capacity_new < needed) {
        capacity_new *= 2;
    }
    bigger = realloc(*buffer, capacity_new * element_size);
    if (!bigger) {
        return VQ_ERR_NOMEM;
    }
    *buffer = bigger;
    *capacity = capacity_new;
    return VQ_OK;
}

static vq_status read_header(vq_simpletrace *reader, vq_error *error)
{
    uint8_t header[VQ_SIMPLETRACE_HEADER_SIZE];
    vq_status status = VQ_OK;
    size_t got = read_bytes(reader, header, sizeof(header));
    uint64_t version;

    if (got < sizeof(header)) {
        status = report_short_read(reader, got, sizeof(header), "header", 0, error);
        goto end;
    }
    if (load_u64(header) != VQ_SIMPLETRACE_HEADER_ID || load_u64(header + 8) != VQ_SIMPLETRACE_MAGIC) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error,
                     "%s: offset 0: bad magic 0x%016" PRIx64 " 0x%016" PRIx64
                     "; expected 0x%016" PRIx64 " 0x%016" PRIx64 " (a QEMU simpletrace file)",
                     reader->name, load_u64(header), load_u64(header + 8),
                     (uint64_t)VQ_SIMPLETRACE_HEADER_ID, (uint64_t)VQ_SIMPLETRACE_MAGIC);
        goto end;
    }
    version = load_u64(header + 16);
    if (version != VQ_SIMPLETRACE_VERSION) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: offset 16: simpletrace version %" PRIu64 "; expected %d (QEMU 10.0's simple backend)",
                     reader->name, version, VQ_SIMPLETRACE_VERSION);
        goto end;
    }
end:
    return status;
}

vq_status vq_simpletrace_open_stream(FILE *stream, const char *name, const vq_trace_events *catalog,
                                     vq_simpletrace **out, vq_error *error)
{
    vq_status status = VQ_OK;
    vq_simpletrace *reader = NULL;

    *out = NULL;
    reader = calloc(1, sizeof(*reader));
    if (!reader || !(reader->name = strdup(name))) {
        status = VQ_ERR_NOMEM;
        vq_error_set(error, "%s: out of memory", name);
        if (stream) {
            fclose(stream);
        }
        goto end;
    }
    reader->stream = stream;
    reader->catalog = catalog;
    reader->block = malloc(BLOCK_SIZE);
    if (!reader->block) {
        status = VQ_ERR_NOMEM;
        vq_error_set(error, "%s: out of memory", name);
        goto end;
    }
    status = read_header(reader, error);
    if (status != VQ_OK) {
        goto end;
    }
    *out = reader;
    reader = NULL;
end:
    vq_simpletrace_close(reader);
    return status;
}

vq_status vq_simpletrace_open(const char *path, const vq_trace_events *catalog, vq_simpletrace **out,
                              vq_error *error)
{
    FILE *stream = fopen(path, "rb");

    if (!stream) {
        *out = NULL;
        vq_error_set(error, "%s: cannot open simpletrace file: %s", path, strerror(errno));
        return VQ_ERR_IO;
    }
    return vq_simpletrace_open_stream(stream, path, catalog, out, error);
}

static vq_status read_mapping(vq_simpletrace *reader, vq_error *error)
{
    vq_status status = VQ_OK;
    uint8_t fixed[12];  /* u64 id, u32 name length */
    size_t got = read_bytes(reader, fixed, sizeof(fixed));
    uint64_t id;
    uint32_t length;
    char *name = NULL;

    if (got < sizeof(fixed)) {
        status = report_short_read(reader, got, sizeof(fixed), "mapping record (id, name length)",
                                   reader->record_offset + 8, error);
        goto end;
    }
    id = load_u64(fixed);
    length = load_u32(fixed + 8);
    if (id >= VQ_SIMPLETRACE_MAX_EVENT_ID) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: offset %" PRIu64 ": mapping record for event id %" PRIu64
                     "; expected an id below %u", reader->name, reader->record_offset + 8, id,
                     VQ_SIMPLETRACE_MAX_EVENT_ID);
        goto end;
    }
    if (length == 0 || length > VQ_SIMPLETRACE_MAX_NAME) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: offset %" PRIu64 ": mapping record name length %" PRIu32
                     "; expected 1 to %d", reader->name, reader->record_offset + 16, length,
                     VQ_SIMPLETRACE_MAX_NAME);
        goto end;
    }
    name = malloc((size_t)length + 1);
    if (!name) {
        status = VQ_ERR_NOMEM;
        vq_error_set(error, "%s: out of memory", reader->name);
        goto end;
    }
    got = read_bytes(reader, name, length);
    if (got < length) {
        status = report_short_read(reader, got, length, "mapping record name", reader->record_offset + 20,
                                   error);
        goto end;
    }
    name[length] = '\0';
    if (strlen(name) != length) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: offset %" PRIu64 ": NUL byte inside an event name; expected %" PRIu32
                     " name characters", reader->name, reader->record_offset + 20, length);
        goto end;
    }
    if (id >= reader->id_count) {
        size_t capacity = reader->id_count;
        size_t needed = (size_t)id + 1;

        status = grow((void **)&reader->ids, &capacity, needed, sizeof(*reader->ids));
        if (status != VQ_OK) {
            vq_error_set(error, "%s: out of memory", reader->name);
            goto end;
        }
        memset(reader->ids + reader->id_count, 0, (capacity - reader->id_count) * sizeof(*reader->ids));
        reader->id_count = capacity;
    }
    /* QEMU writes mappings again when a module registers events later: the latest wins. */
    free(reader->ids[id].name);
    reader->ids[id].name = name;
    reader->ids[id].decl = vq_trace_events_find(reader->catalog, name);
    reader->ids[id].mapping_offset = reader->record_offset;
    name = NULL;
    reader->counts.mappings++;
end:
    free(name);
    return status;
}

/* Splits the payload into arguments following DECL; every byte must be used. */
static vq_status decode_arguments(vq_simpletrace *reader, const vq_event_decl *decl, size_t payload_size,
                                  vq_error *error)
{
    vq_status status = VQ_OK;
    uint64_t payload_offset = reader->record_offset + 8 + VQ_SIMPLETRACE_RECORD_HEADER_SIZE;
    size_t used = 0, strings_used = 0, i;

    status = grow((void **)&reader->args, &reader->args_capacity, decl->arg_count + 1,
                  sizeof(*reader->args));
    if (status == VQ_OK) {
        status = grow((void **)&reader->strings, &reader->strings_capacity,
                      payload_size + decl->arg_count + 1, 1);
    }
    if (status != VQ_OK) {
        vq_error_set(error, "%s: out of memory", reader->name);
        goto end;
    }
    for (i = 0; i < decl->arg_count; i++) {
        const vq_arg_decl *arg_decl = &decl->args[i];
        vq_arg *arg = &reader->args[i];

        arg->name = arg_decl->name;
        arg->type = arg_decl->type;
        arg->string = NULL;
        arg->string_length = 0;
        arg->value = 0;
        if (arg_decl->type == VQ_ARG_STRING) {
            uint32_t length;

            if (payload_size - used < 4) {
                status = VQ_ERR_FORMAT;
                vq_error_set(error, "%s: offset %" PRIu64 ": record length %zu too short for event '%s'"
                             ": argument '%s' needs a 4-byte string length, %zu bytes left",
                             reader->name, reader->record_offset, payload_size +
                             VQ_SIMPLETRACE_RECORD_HEADER_SIZE, decl->name, arg_decl->name,
                             payload_size - used);
                goto end;
            }
            length = load_u32(reader->payload + used);
            if (length > payload_size - used - 4) {
                status = VQ_ERR_FORMAT;
                vq_error_set(error, "%s: offset %" PRIu64 ": string length %" PRIu32 " of argument '%s'"
                             " (event '%s') runs past the record end; expected at most %zu",
                             reader->name, payload_offset + used, length, arg_decl->name, decl->name,
                             payload_size - used - 4);
                goto end;
            }
            memcpy(reader->strings + strings_used, reader->payload + used + 4, length);
            reader->strings[strings_used + length] = '\0';
            arg->string = reader->strings + strings_used;
            arg->string_length = length;
            strings_used += (size_t)length + 1;
            used += 4 + (size_t)length;
        } else {
            if (payload_size - used < 8) {
                status = VQ_ERR_FORMAT;
                vq_error_set(error, "%s: offset %" PRIu64 ": record length %zu too short for event '%s'"
                             ": argument '%s' needs 8 bytes, %zu left",
                             reader->name, reader->record_offset, payload_size +
                             VQ_SIMPLETRACE_RECORD_HEADER_SIZE, decl->name, arg_decl->name,
                             payload_size - used);
                goto end;
            }
            arg->value = load_u64(reader->payload + used);
            used += 8;
        }
    }
    if (used != payload_size) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: offset %" PRIu64 ": record length %zu inconsistent with event '%s'"
                     ": its %zu arguments take %zu bytes; expected record length %zu",
                     reader->name, reader->record_offset, payload_size + VQ_SIMPLETRACE_RECORD_HEADER_SIZE,
                     decl->name, decl->arg_count, used, used + VQ_SIMPLETRACE_RECORD_HEADER_SIZE);
        goto end;
    }
end:
    return status;
}

static vq_status read_event(vq_simpletrace *reader, vq_event *event, vq_error *error)
{
    vq_status status = VQ_OK;
    uint8_t fixed[VQ_SIMPLETRACE_RECORD_HEADER_SIZE];
    size_t got = read_bytes(reader, fixed, sizeof(fixed));
    const vq_event_decl *decl;
    const char *name;
    uint64_t id;
    uint32_t length;
    size_t payload_size;

    if (got < sizeof(fixed)) {
        status = report_short_read(reader, got, sizeof(fixed), "event record header",
                                   reader->record_offset + 8, error);
        goto end;
    }
    id = load_u64(fixed);
    length = load_u32(fixed + 16);
    if (length < VQ_SIMPLETRACE_RECORD_HEADER_SIZE || length > VQ_SIMPLETRACE_MAX_RECORD) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: offset %" PRIu64 ": record length %" PRIu32 "; expected %d to %d",
                     reader->name, reader->record_offset + 8 + 16, length,
                     VQ_SIMPLETRACE_RECORD_HEADER_SIZE, VQ_SIMPLETRACE_MAX_RECORD);
        goto end;
    }
    if (id == VQ_SIMPLETRACE_DROPPED_ID) {
        decl = &vq_dropped_event_decl;
        name = decl->name;
    } else if (id >= reader->id_count || !reader->ids[id].name) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: offset %" PRIu64 ": unknown event id %" PRIu64
                     "; expected a mapping record for it earlier in the file",
                     reader->name, reader->record_offset, id);
        goto end;
    } else if (!reader->ids[id].decl) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: offset %" PRIu64 ": event '%s' (id %" PRIu64 ", mapped at offset %"
                     PRIu64 ") is not declared in the trace events file; expected the "
                     "trace-events-all of the QEMU build that wrote the trace",
                     reader->name, reader->record_offset, reader->ids[id].name, id,
                     reader->ids[id].mapping_offset);
        goto end;
    } else {
        decl = reader->ids[id].decl;
        name = decl->name;   /* the catalog's: a later mapping of the id frees its own copy */
    }
    payload_size = length - VQ_SIMPLETRACE_RECORD_HEADER_SIZE;
    status = grow((void **)&reader->payload, &reader->payload_capacity, payload_size + 1, 1);
    if (status != VQ_OK) {
        vq_error_set(error, "%s: out of memory", reader->name);
        goto end;
    }
    got = read_bytes(reader, reader->payload, payload_size);
    if (got < payload_size) {
        status = report_short_read(reader, got, payload_size, "event record arguments",
                                   reader->record_offset + 8 + VQ_SIMPLETRACE_RECORD_HEADER_SIZE, error);
        goto end;
    }
    status = decode_arguments(reader, decl, payload_size, error);
    if (status != VQ_OK) {
        goto end;
    }
    event->timestamp_ns = load_u64(fixed + 8);
    event->name = name;
    event->pid = load_u32(fixed + 20);
    event->has_pid = true;
    event->arg_count = decl->arg_count;
    event->args = reader->args;
    reader->counts.events++;
    if (id == VQ_SIMPLETRACE_DROPPED_ID) {
        reader->counts.dropped_records++;
        reader->counts.dropped_events += reader->args[0].value;
    }
end:
    return status;
}

vq_status vq_simpletrace_next(vq_simpletrace *reader, vq_event *event, vq_error *error)
{
    vq_status status = VQ_OK;

    for (;;) {
        uint8_t type_bytes[8];
        size_t got;
        uint64_t type;

        reader->record_offset = reader->offset;
        got = read_bytes(reader, type_bytes, sizeof(type_bytes));
        if (got == 0 && !ferror(reader->stream)) {
            status = VQ_END;
            goto end;
        }
        if (got < sizeof(type_bytes)) {
            status = report_short_read(reader, got, sizeof(type_bytes), "record type",
                                       reader->record_offset, error);
            goto end;
        }
        type = load_u64(type_bytes);
        if (type == RECORD_TYPE_EVENT) {
            status = read_event(reader, event, error);
            goto end;
        }
        if (type != RECORD_TYPE_MAPPING) {
            status = VQ_ERR_FORMAT;
            vq_error_set(error, "%s: offset %" PRIu64 ": record type %" PRIu64
                         "; expected 0 (mapping) or 1 (event)", reader->name, reader->record_offset, type);
            goto end;
        }
        status = read_mapping(reader, error);
        if (status != VQ_OK) {
            goto end;
        }
    }
end:
    return status;
}

uint64_t vq_simpletrace_record_offset(const vq_simpletrace *reader)
{
    return reader->record_offset;
}

const char *vq_simpletrace_name(const vq_simpletrace *reader)
{
    return reader->name;
}

static vq_status source_next(void *reader, vq_event *event, vq_error *error)
{
    return vq_simpletrace_next(reader, event, error);
}

vq_event_source vq_simpletrace_source(vq_simpletrace *reader)
{
    return (vq_event_source){ source_next, &reader->record_offset, reader, reader->name, .stable_names = true };
}

vq_simpletrace_counts vq_simpletrace_get_counts(const vq_simpletrace *reader)
{
    return reader->counts;
}

void vq_simpletrace_close(vq_simpletrace *reader)
{
    size_t i;

    if (!reader) {
        return;
    }
    if (reader->stream) {
        fclose(reader->stream);
    }
    for (i = 0; i < reader->id_count; i++) {
        free(reader->ids[i].name);
    }
    free(reader->ids);
    free(reader->block);
    free(reader->payload);
    free(reader->strings);
    free(reader->args);
    free(reader->name);
    free(reader);
}
