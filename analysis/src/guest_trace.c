// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest trace reader: ftrace text lines of the virtio_xblk tracepoints, or of the block layer and our
 * kprobes for stock virtio-blk (see guest_trace.h). */
#define _GNU_SOURCE
#include "guest_trace.h"

#include "guest_header.h"
#include "guest_stream.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct vq_guest_trace {
    FILE *stream;
    char *name;
    char *line;
    size_t line_capacity;
    uint64_t line_number;
    vq_guest_header header;   /* what the '#' lines read so far said */
    vq_guest_stream *events;  /* after the text: the events of the header's '# events:' file */
    char *events_path;
    bool events_done;
};

/* Value of KEY=... in the fields after the event name; false when absent or not a number. */
static bool field_u64(const char *fields, const char *key, uint64_t *value, bool *present)
{
    size_t key_length = strlen(key);
    const char *cursor = fields;
    char *end;

    *present = false;
    while ((cursor = strstr(cursor, key)) != NULL) {
        bool at_start = cursor == fields || cursor[-1] == ' ';

        if (at_start && cursor[key_length] == '=') {
            const char *digits = cursor + key_length + 1;

            *present = true;
            if (*digits < '0' || *digits > '9') {
                return false;
            }
            errno = 0;
            *value = strtoull(digits, &end, 0);
            return errno == 0 && (*end == '\0' || *end == ' ' || *end == '\n' || *end == '\r');
        }
        cursor += key_length;
    }
    return false;
}

static vq_status parse_bar(const char *text, vq_guest_bar *bar, const char **why)
{
    char address[64];
    unsigned bar_number;
    unsigned long long start, end;

    if (sscanf(text, " %63s bar%u %llx %llx", address, &bar_number, &start, &end) != 4 || end < start) {
        *why = "expected '# device-bar: PCIADDR barN START END' with START <= END (hex)";
        return VQ_ERR_FORMAT;
    }
    *bar = (vq_guest_bar){ .start = start, .end = end, .bar = bar_number };
    snprintf(bar->pci, sizeof(bar->pci), "%.15s", address);
    return VQ_OK;
}

/* The fields of a "vqscope-block" trace_marker line (after the tag): "seq=K disk=L dev=NAME begin|end". */
static vq_status parse_block_mark(const char *fields, vq_guest_event *event, const char **why)
{
    unsigned seq;
    char label[4], dev[32], edge[8];

    if (sscanf(fields, "seq=%u disk=%3s dev=%31s %7s", &seq, label, dev, edge) != 4 || seq == 0 ||
        strlen(label) != 1 || (label[0] != 'A' && label[0] != 'B') ||
        (strcmp(edge, "begin") != 0 && strcmp(edge, "end") != 0)) {
        *why = "expected 'vqscope-block seq=K disk=A|B dev=NAME begin|end' (K from 1) in the trace marker";
        return VQ_ERR_FORMAT;
    }
    event->block_seq = seq;
    event->block_label = label[0];
    event->block_begin = strcmp(edge, "begin") == 0;
    return VQ_OK;
}

/*
 * ftrace's time column right before TAG_AT: "12.345678" (trace_clock mono: SECONDS.MICROS, to ns here)
 * or "123456789012" (trace_clock x86-tsc: cycles, *TSC set; the reader converts them). False if it is
 * neither.
 */
static bool ftrace_column(const char *line, const char *tag_at, uint64_t *value, bool *tsc)
{
    const char *start = tag_at;
    unsigned long long seconds, micros;
    int consumed = 0;
    char *end;

    while (start > line && start[-1] != ' ') {
        start--;
    }
    *tsc = false;
    if (start < tag_at && memchr(start, '.', (size_t)(tag_at - start)) == NULL) {
        if (*start < '0' || *start > '9') {
            return false;
        }
        errno = 0;
        *value = strtoull(start, &end, 10);
        *tsc = true;
        return errno == 0 && end == tag_at;
    }
    if (sscanf(start, "%llu.%6llu%n", &seconds, &micros, &consumed) != 2 || start + consumed != tag_at ||
        tag_at - start < 8 || tag_at[-7] != '.') {
        return false;
    }
    *value = (uint64_t)seconds * 1000000000ULL + (uint64_t)micros * 1000ULL;
    return true;
}

/* "TASK-PID [CPU] ...": the pid and CPU of an ftrace event line (task names may hold '-' and ' '). */
static bool task_and_cpu(const char *line, const char *tag_at, uint32_t *pid, uint32_t *cpu)
{
    const char *open = line;

    while ((open = strchr(open, '[')) != NULL && open < tag_at) {
        const char *digits = open + 1, *back = open;
        unsigned long value = 0, task = 0, scale = 1;

        while (*digits >= '0' && *digits <= '9') {
            value = value * 10 + (unsigned long)(*digits++ - '0');
        }
        if (*digits == ']' && digits > open + 1) {
            while (back > line && back[-1] == ' ') {
                back--;
            }
            while (back > line && back[-1] >= '0' && back[-1] <= '9' && scale < 10000000000UL) {
                task += scale * (unsigned long)(back[-1] - '0');
                scale *= 10;
                back--;
            }
            if (back > line && back[-1] == '-' && scale > 1 && task <= UINT32_MAX && value <= UINT32_MAX) {
                *pid = (uint32_t)task;
                *cpu = (uint32_t)value;
                return true;
            }
        }
        open++;
    }
    return false;
}

/* "KEY 0xHEX" or "KEY HEX" (a %p or %llx of the io_uring events) after KEY in FIELDS. */
static bool field_hex(const char *fields, const char *key, uint64_t *value)
{
    const char *at = strstr(fields, key);
    char *end;

    if (!at) {
        return false;
    }
    at += strlen(key);
    if (*at != ' ') {
        return false;
    }
    errno = 0;
    *value = strtoull(at + 1, &end, 16);
    return errno == 0 && end != at + 1;
}

/* The application-side events (see guest_trace.h); FIELDS follow the tag. */
static vq_status parse_app(const char *fields, vq_guest_event *event, const char **why)
{
    unsigned long long nr, args[4] = { 0 }, sector;
    long long ret;
    unsigned major, minor, sectors;
    char rwbs[16];
    const char *at;

    switch (event->type) {
    case VQ_GUEST_SYS_ENTER:
        if (sscanf(fields, "NR %llu (%llx, %llx, %llx, %llx", &nr, &args[0], &args[1], &args[2], &args[3]) < 2) {
            *why = "expected 'NR N (ARG0, ...)' (hex arguments) in sys_enter";
            return VQ_ERR_FORMAT;
        }
        event->sys_nr = (uint32_t)nr;
        memcpy(event->sys_args, args, sizeof(event->sys_args));
        return VQ_OK;
    case VQ_GUEST_SYS_EXIT:
        if (sscanf(fields, "NR %llu = %lld", &nr, &ret) != 2) {
            *why = "expected 'NR N = RET' in sys_exit";
            return VQ_ERR_FORMAT;
        }
        event->sys_nr = (uint32_t)nr;
        event->sys_ret = ret;
        return VQ_OK;
    case VQ_GUEST_BIO_QUEUE:
        if (sscanf(fields, "%u,%u %15s %llu + %u", &major, &minor, rwbs, &sector, &sectors) != 5) {
            *why = "expected 'MAJ,MIN RWBS SECTOR + SECTORS [COMM]' in block_bio_queue";
            return VQ_ERR_FORMAT;
        }
        event->sector = sector;
        event->sectors = sectors;
        event->write = strchr(rwbs, 'W') != NULL;
        return VQ_OK;
    case VQ_GUEST_URING_SUBMIT:
    case VQ_GUEST_URING_COMPLETE:
        if (!field_hex(fields, "req", &event->uring_req) || !field_hex(fields, "user_data", &event->user_data)) {
            *why = "expected 'req PTR' and 'user_data 0xN' in the io_uring event";
            return VQ_ERR_FORMAT;
        }
        if (event->type == VQ_GUEST_URING_COMPLETE) {
            at = strstr(fields, "result ");
            if (!at || sscanf(at, "result %lld", &ret) != 1) {
                *why = "expected 'result N' in io_uring_complete";
                return VQ_ERR_FORMAT;
            }
            event->sys_ret = ret;
        }
        return VQ_OK;
    default:
        *why = "not an application-side event";   /* unreachable: the table decides */
        return VQ_ERR_FORMAT;
    }
}

/* The fields of a stock virtio-blk event (see guest_trace.h): its tag is at TAG_AT, FIELDS follow. */
static vq_status parse_stock(const char *line, const char *tag_at, const char *fields, vq_guest_event *event,
                             const char **why)
{
    const char *cmd_end;
    char rwbs[16];
    unsigned major, minor, sectors, bytes;
    unsigned long long sector;
    uint64_t value;
    bool present;
    int error_code;

    (void)line;
    (void)tag_at;
    event->stock = true;
    /* "(CMD)" may be empty, which scanf's %[ cannot match: skip it by hand. */
    cmd_end = strchr(fields, ')');
    switch (event->type) {
    case VQ_GUEST_RQ_ISSUE:
        if (!cmd_end || sscanf(fields, "%u,%u %15s %u (", &major, &minor, rwbs, &bytes) != 4 ||
            sscanf(cmd_end + 1, " %llu + %u", &sector, &sectors) != 2) {
            *why = "expected 'MAJ,MIN RWBS BYTES (CMD) SECTOR + SECTORS [COMM]' in block_rq_issue";
            return VQ_ERR_FORMAT;
        }
        break;
    case VQ_GUEST_RQ_COMPLETE:
        if (!cmd_end || sscanf(fields, "%u,%u %15s (", &major, &minor, rwbs) != 3 ||
            sscanf(cmd_end + 1, " %llu + %u [%d]", &sector, &sectors, &error_code) != 3) {
            *why = "expected 'MAJ,MIN RWBS (CMD) SECTOR + SECTORS [ERROR]' in block_rq_complete";
            return VQ_ERR_FORMAT;
        }
        event->status = error_code != 0;
        break;
    case VQ_GUEST_KICK:
    case VQ_GUEST_IRQ:
        if (!field_u64(fields, "vq", &value, &present) || value > UINT32_MAX) {
            *why = "expected vq=<queue index> in the kprobe event's fields";
            return VQ_ERR_FORMAT;
        }
        event->vq = (uint32_t)value;
        event->notified = true;   /* virtqueue_notify: only kicks that write the doorbell */
        return VQ_OK;
    default:
        *why = "not a stock virtio-blk event";   /* unreachable: the table decides */
        return VQ_ERR_FORMAT;
    }
    event->sector = sector;
    event->sectors = sectors;
    event->write = strchr(rwbs, 'W') != NULL;
    return VQ_OK;
}

vq_status vq_guest_trace_parse_line(const char *line, bool *is_event, vq_guest_event *event, bool *is_bar,
                                    vq_guest_bar *bar, const char **why)
{
    /* Ours first: a virtio_xblk line costs no more strstr() than before stock virtio-blk existed. */
    enum { OURS, STOCK, APP };   /* ts_ns field; ftrace's column (stock parser); column (app parser) */
    static const struct {
        const char *tag;
        vq_guest_type type;
        int kind;
    } kinds[] = {
        { ": virtio_xblk_submit: ", VQ_GUEST_SUBMIT, OURS },
        { ": virtio_xblk_kick: ", VQ_GUEST_KICK, OURS },
        { ": virtio_xblk_irq: ", VQ_GUEST_IRQ, OURS },
        { ": virtio_xblk_complete: ", VQ_GUEST_COMPLETE, OURS },
        { ": virtio_xblk_hold: ", VQ_GUEST_HOLD, OURS },
        { ": sys_enter: ", VQ_GUEST_SYS_ENTER, APP },
        { ": sys_exit: ", VQ_GUEST_SYS_EXIT, APP },
        { ": block_bio_queue: ", VQ_GUEST_BIO_QUEUE, APP },
        { ": block_rq_issue: ", VQ_GUEST_RQ_ISSUE, STOCK },
        { ": block_rq_complete: ", VQ_GUEST_RQ_COMPLETE, STOCK },
        { ": vqscope_blk_kick: ", VQ_GUEST_KICK, STOCK },
        { ": vqscope_blk_irq: ", VQ_GUEST_IRQ, STOCK },
        { ": io_uring_submit_sqe: ", VQ_GUEST_URING_SUBMIT, APP },
        { ": io_uring_submit_req: ", VQ_GUEST_URING_SUBMIT, APP },
        { ": io_uring_complete: ", VQ_GUEST_URING_COMPLETE, APP },
        { ": tracing_mark_write: vqscope-block ", VQ_GUEST_BLOCK, APP },
    };
    const char *fields = NULL;
    uint64_t value = 0;
    bool present;
    size_t i;
    vq_status status = VQ_OK;

    *is_event = false;
    *is_bar = false;
    *why = NULL;
    if (line[0] == '#') {
        const char *tag = "# device-bar:";

        if (strncmp(line, tag, strlen(tag)) == 0) {
            status = parse_bar(line + strlen(tag), bar, why);
            *is_bar = status == VQ_OK;
        }
        goto end;
    }
    if (line[strspn(line, " \t\r\n")] == '\0') {
        goto end;
    }
    *event = (vq_guest_event){ 0 };
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        fields = strstr(line, kinds[i].tag);
        if (fields) {
            event->type = kinds[i].type;
            if (!task_and_cpu(line, fields, &event->pid, &event->cpu)) {
                *why = "expected 'TASK-PID [CPU]' before the event";
                status = VQ_ERR_FORMAT;
                goto end;
            }
            if (kinds[i].kind != OURS) {
                if (!ftrace_column(line, fields, &event->ts_ns, &event->column_tsc)) {
                    *why = "expected ftrace's time column ('SECONDS.MICROS:' with trace_clock mono, "
                           "'CYCLES:' with x86-tsc) before the event";
                    status = VQ_ERR_FORMAT;
                    goto end;
                }
                status = kinds[i].kind == STOCK ?
                         parse_stock(line, fields, fields + strlen(kinds[i].tag), event, why) :
                         kinds[i].type == VQ_GUEST_BLOCK ?
                         parse_block_mark(fields + strlen(kinds[i].tag), event, why) :
                         parse_app(fields + strlen(kinds[i].tag), event, why);
                *is_event = status == VQ_OK;
                goto end;
            }
            if (ftrace_column(line, fields, &event->column_ns, &event->column_is_tsc) && !event->column_is_tsc) {
                event->column_ns = 0;   /* microseconds: no check of ts_ns worth making */
            }
            fields += strlen(kinds[i].tag);
            break;
        }
    }
    if (!fields) {
        /* Another tracepoint (virtio_xblk_raw_*...): a well-formed ftrace line is skipped. */
        if (!strstr(line, "]") || !strstr(line, ": ")) {
            *why = "expected an ftrace event line 'TASK-PID [CPU] FLAGS SECONDS: EVENT: fields' or a "
                   "'#' comment";
            status = VQ_ERR_FORMAT;
        }
        goto end;
    }
    if (!field_u64(fields, "ts_ns", &event->ts_ns, &present)) {
        *why = "expected ts_ns=<guest CLOCK_MONOTONIC ns> (a decimal number) in the event fields";
        status = VQ_ERR_FORMAT;
        goto end;
    }
    if (!field_u64(fields, "vq", &value, &present) || value > UINT32_MAX) {
        *why = "expected vq=<queue index> in the event fields";
        status = VQ_ERR_FORMAT;
        goto end;
    }
    event->vq = (uint32_t)value;
    switch (event->type) {
    case VQ_GUEST_SUBMIT:
    case VQ_GUEST_COMPLETE:
        if (!field_u64(fields, "id", &event->id, &present)) {
            *why = "expected id=<request id> in the event fields";
            status = VQ_ERR_FORMAT;
            goto end;
        }
        if (event->type == VQ_GUEST_COMPLETE && field_u64(fields, "status", &value, &present)) {
            event->status = (uint32_t)value;
        }
        if (event->type == VQ_GUEST_SUBMIT && field_u64(fields, "block", &event->block, &present) &&
            field_u64(fields, "nblocks", &value, &present) && value <= UINT32_MAX) {
            event->nblocks = (uint32_t)value;
        }
        break;
    case VQ_GUEST_KICK:
        if (!field_u64(fields, "id_last", &event->id_last, &present) ||
            !field_u64(fields, "notified", &value, &present) || value > 1) {
            *why = "expected id_last=<id> and notified=0|1 in the kick fields";
            status = VQ_ERR_FORMAT;
            goto end;
        }
        event->notified = value == 1;
        if (field_u64(fields, "num_free", &value, &present)) {
            event->num_free = (uint32_t)value;
        }
        break;
    case VQ_GUEST_IRQ:
        break;
    case VQ_GUEST_HOLD:
        if (!field_u64(fields, "id", &event->id, &present) ||
            !field_u64(fields, "start_ns", &event->hold_start_ns, &present) ||
            !field_u64(fields, "end_ns", &event->hold_end_ns, &present) || event->hold_end_ns < event->hold_start_ns) {
            *why = "expected id=<request id>, start_ns=<ns> and end_ns=<ns, not before start_ns> in the hold fields";
            status = VQ_ERR_FORMAT;
            goto end;
        }
        break;
    default:
        break;   /* the column-timed kinds returned above */
    }
    *is_event = true;
end:
    return status;
}

vq_status vq_guest_trace_open_stream(FILE *stream, const char *name, vq_guest_trace **out, vq_error *error)
{
    vq_guest_trace *reader = calloc(1, sizeof(*reader));
    vq_status status = VQ_OK;

    *out = NULL;
    if (!reader || !(reader->name = strdup(name))) {
        fclose(stream);
        vq_error_set(error, "%s: out of memory", name);
        status = VQ_ERR_NOMEM;
        goto end;
    }
    reader->stream = stream;
    vq_guest_header_init(&reader->header);
    *out = reader;
    reader = NULL;
end:
    vq_guest_trace_close(reader);
    return status;
}

vq_status vq_guest_trace_open(const char *path, vq_guest_trace **out, vq_error *error)
{
    FILE *stream = fopen(path, "r");

    *out = NULL;
    if (!stream) {
        vq_error_set(error, "%s: cannot open: %s", path, strerror(errno));
        return VQ_ERR_IO;
    }
    return vq_guest_trace_open_stream(stream, path, out, error);
}

/* Guest TSC cycles -> guest CLOCK_MONOTONIC ns, on the line through the first and last clock pairs. */
static bool cycles_to_mono(const vq_guest_trace *reader, uint64_t *value)
{
    const vq_clock_pair *first, *last;
    long double slope, mono;

    if (reader->header.pair_count < 2) {
        return false;
    }
    first = &reader->header.pairs[0];
    last = &reader->header.pairs[reader->header.pair_count - 1];
    if (last->tsc == first->tsc) {
        return false;
    }
    slope = (long double)((int64_t)(last->mono_ns - first->mono_ns)) / (long double)((int64_t)(last->tsc - first->tsc));
    mono = (long double)first->mono_ns + slope * (long double)((int64_t)(*value - first->tsc));
    *value = mono < 0 ? 0 : (uint64_t)(mono + 0.5L);
    return true;
}

static bool tsc_to_mono(const vq_guest_trace *reader, vq_guest_event *event)
{
    if (event->column_tsc && !cycles_to_mono(reader, &event->ts_ns)) {
        return false;
    }
    event->column_tsc = false;
    if (event->column_is_tsc && !cycles_to_mono(reader, &event->column_ns)) {
        event->column_ns = 0;   /* a check only: without pairs there is none */
    }
    event->column_is_tsc = false;
    return true;
}

/* The events of the header's '# events:' file (a guest stream beside the trace), opened at the end of
 * the text. */
static vq_status open_events(vq_guest_trace *reader, vq_error *error)
{
    const char *slash = strrchr(reader->name, '/');
    int directory = slash ? (int)(slash - reader->name + 1) : 0;

    if (asprintf(&reader->events_path, "%.*s%s", directory, reader->name, reader->header.events_file) < 0) {
        reader->events_path = NULL;
        vq_error_set(error, "%s: out of memory", reader->name);
        return VQ_ERR_NOMEM;
    }
    return vq_guest_stream_open(reader->events_path, &reader->events, error);
}

/* The next line into reader->line (LENGTH bytes): the text's, then the event stream's. VQ_END after both. */
static vq_status next_line(vq_guest_trace *reader, ssize_t *length, vq_error *error)
{
    const char *line;
    vq_status status;

    if (!reader->events) {
        *length = getline(&reader->line, &reader->line_capacity, reader->stream);
        if (*length >= 0) {
            reader->line_number++;
            return VQ_OK;
        }
        if (ferror(reader->stream)) {
            vq_error_set(error, "%s:%" PRIu64 ": read error: %s", reader->name, reader->line_number + 1,
                         strerror(errno));
            return VQ_ERR_IO;
        }
        if (!reader->header.events_file[0] || reader->events_done) {
            return VQ_END;
        }
        if ((status = open_events(reader, error)) != VQ_OK) {
            return status;
        }
        reader->line_number = 0;
        free(reader->name);   /* errors from here on name the stream and its event number */
        reader->name = reader->events_path;
        reader->events_path = NULL;
    }
    status = vq_guest_stream_next_line(reader->events, &line, error);
    if (status == VQ_END) {
        reader->events_done = true;
        return VQ_END;
    }
    if (status != VQ_OK) {
        return status;
    }
    *length = (ssize_t)strlen(line);
    if ((size_t)*length + 1 > reader->line_capacity) {
        char *bigger = realloc(reader->line, (size_t)*length + 1);

        if (!bigger) {
            vq_error_set(error, "%s: out of memory", reader->name);
            return VQ_ERR_NOMEM;
        }
        reader->line = bigger;
        reader->line_capacity = (size_t)*length + 1;
    }
    memcpy(reader->line, line, (size_t)*length + 1);
    reader->line_number++;
    return VQ_OK;
}

vq_status vq_guest_trace_next(vq_guest_trace *reader, vq_guest_event *event, vq_error *error)
{
    vq_status status = VQ_END;

    for (;;) {
        ssize_t length;
        bool is_event, is_bar;
        vq_guest_bar bar;
        const char *why;
        char why_text[VQ_ERROR_MAX];

        if ((status = next_line(reader, &length, error)) != VQ_OK) {
            goto end;
        }
        if (strlen(reader->line) != (size_t)length) {
            vq_error_set(error, "%s:%" PRIu64 ": NUL byte in a line; expected ftrace text", reader->name,
                         reader->line_number);
            status = VQ_ERR_FORMAT;
            goto end;
        }
        status = vq_guest_trace_parse_line(reader->line, &is_event, event, &is_bar, &bar, &why);
        if (status != VQ_OK) {
            reader->line[strcspn(reader->line, "\n")] = '\0';
            vq_error_set(error, "%s:%" PRIu64 ": %s; found '%.120s'", reader->name, reader->line_number,
                         why, reader->line);
            goto end;
        }
        if (is_bar && reader->header.bar_count < VQ_GUEST_MAX_BARS) {
            reader->header.bars[reader->header.bar_count++] = bar;
        }
        if (reader->line[0] == '#' && vq_guest_header_take(&reader->header, reader->line, why_text,
                                                           sizeof(why_text)) != VQ_OK) {
            reader->line[strcspn(reader->line, "\n")] = '\0';
            vq_error_set(error, "%s:%" PRIu64 ": %s; found '%.120s'", reader->name, reader->line_number, why_text,
                         reader->line);
            status = VQ_ERR_FORMAT;
            goto end;
        }
        if (is_event) {
            event->line = reader->line_number;
            if ((event->column_tsc || event->column_is_tsc) && !tsc_to_mono(reader, event)) {
                vq_error_set(error, "%s:%" PRIu64 ": ftrace's column is in TSC cycles (trace_clock x86-tsc), "
                             "but the header has no two '# clock-pair:' lines (start, end) with different TSCs "
                             "to convert it to guest CLOCK_MONOTONIC", reader->name, reader->line_number);
                status = VQ_ERR_FORMAT;
            }
            goto end;
        }
    }
end:
    return status;
}

size_t vq_guest_trace_bars(const vq_guest_trace *reader, const vq_guest_bar **bars)
{
    *bars = reader->header.bars;
    return reader->header.bar_count;
}

size_t vq_guest_trace_ab_disks(const vq_guest_trace *reader, const vq_guest_ab_disk **disks)
{
    *disks = reader->header.ab_disks;
    return reader->header.ab_disk_count;
}

size_t vq_guest_trace_queue_completed(const vq_guest_trace *reader, const int64_t **counts)
{
    *counts = reader->header.queue_completed;
    return reader->header.queue_count;
}

uint32_t vq_guest_trace_cpu_queue(const vq_guest_trace *reader, uint32_t cpu)
{
    return cpu < VQ_GUEST_MAX_CPUS ? reader->header.cpu_queue[cpu] : 0;
}

size_t vq_guest_trace_clock_pairs(const vq_guest_trace *reader, const vq_clock_pair **pairs)
{
    *pairs = reader->header.pairs;
    return reader->header.pair_count;
}

size_t vq_guest_trace_cpu_pairs(const vq_guest_trace *reader, const vq_clock_pair **pairs)
{
    *pairs = reader->header.cpu_pairs;
    return reader->header.cpu_pair_count;
}

bool vq_guest_trace_stream_state(const vq_guest_trace *reader, const char **name, bool *finished,
                                 uint64_t *overrun, uint64_t *missed)
{
    if (!reader->events) {
        return false;
    }
    *name = reader->name;
    *finished = vq_guest_stream_finished(reader->events, overrun);
    *missed = vq_guest_stream_missed(reader->events);
    return true;
}

void vq_guest_trace_close(vq_guest_trace *reader)
{
    if (!reader) {
        return;
    }
    if (reader->stream) {
        fclose(reader->stream);
    }
    vq_guest_stream_close(reader->events);
    free(reader->events_path);
    free(reader->line);
    free(reader->name);
    free(reader);
}
