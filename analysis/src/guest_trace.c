// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest trace reader: ftrace text lines of the virtio_xblk tracepoints, or of the block layer and our
 * kprobes for stock virtio-blk (see guest_trace.h). */
#include "guest_trace.h"

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
    vq_guest_bar bars[VQ_GUEST_MAX_BARS];
    size_t bar_count;
    vq_clock_pair pairs[VQ_GUEST_MAX_CLOCK_PAIRS];
    size_t pair_count;
};

bool vq_clock_pair_parse(const char *text, vq_clock_pair *pair)
{
    unsigned long long tsc, mono, bracket = 0;
    int consumed = 0;

    text += strspn(text, " \t");
    if (sscanf(text, "%15s tsc=%llu mono_ns=%llu%n", pair->label, &tsc, &mono, &consumed) != 3 || consumed == 0) {
        return false;
    }
    if (sscanf(text + consumed, " bracket=%llu", &bracket) != 1) {
        bracket = 0;
    }
    pair->tsc = tsc;
    pair->mono_ns = mono;
    pair->bracket = bracket;
    return true;
}

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
    return VQ_OK;
}

/* ftrace's SECONDS column ("  12.345678: " right before TAG_AT) in ns; false if it is not there. */
static bool ftrace_seconds(const char *line, const char *tag_at, uint64_t *ns)
{
    const char *start = tag_at;
    unsigned long long seconds, micros;
    int consumed = 0;

    while (start > line && start[-1] != ' ') {
        start--;
    }
    if (sscanf(start, "%llu.%6llu%n", &seconds, &micros, &consumed) != 2 || start + consumed != tag_at ||
        tag_at - start < 8 || tag_at[-7] != '.') {
        return false;
    }
    *ns = (uint64_t)seconds * 1000000000ULL + (uint64_t)micros * 1000ULL;
    return true;
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

    event->stock = true;
    if (!ftrace_seconds(line, tag_at, &event->ts_ns)) {
        *why = "expected ftrace's 'SECONDS.MICROS:' column (trace_clock mono) before a stock virtio-blk event";
        return VQ_ERR_FORMAT;
    }
    /* "(CMD)" may be empty, which scanf's %[ cannot match: skip it by hand. */
    cmd_end = strchr(fields, ')');
    switch (event->type) {
    case VQ_GUEST_SUBMIT:
        if (!cmd_end || sscanf(fields, "%u,%u %15s %u (", &major, &minor, rwbs, &bytes) != 4 ||
            sscanf(cmd_end + 1, " %llu + %u", &sector, &sectors) != 2) {
            *why = "expected 'MAJ,MIN RWBS BYTES (CMD) SECTOR + SECTORS [COMM]' in block_rq_issue";
            return VQ_ERR_FORMAT;
        }
        break;
    case VQ_GUEST_COMPLETE:
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
    case VQ_GUEST_HOLD:
        *why = "no stock event is a hold";   /* not in the stock table: unreachable */
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
    static const struct {
        const char *tag;
        vq_guest_type type;
        bool stock;
    } kinds[] = {
        { ": virtio_xblk_submit: ", VQ_GUEST_SUBMIT, false },
        { ": virtio_xblk_kick: ", VQ_GUEST_KICK, false },
        { ": virtio_xblk_irq: ", VQ_GUEST_IRQ, false },
        { ": virtio_xblk_complete: ", VQ_GUEST_COMPLETE, false },
        { ": virtio_xblk_hold: ", VQ_GUEST_HOLD, false },
        { ": block_rq_issue: ", VQ_GUEST_SUBMIT, true },
        { ": block_rq_complete: ", VQ_GUEST_COMPLETE, true },
        { ": vqscope_blk_kick: ", VQ_GUEST_KICK, true },
        { ": vqscope_blk_irq: ", VQ_GUEST_IRQ, true },
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
            if (kinds[i].stock) {
                status = parse_stock(line, fields, fields + strlen(kinds[i].tag), event, why);
                *is_event = status == VQ_OK;
                goto end;
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

vq_status vq_guest_trace_next(vq_guest_trace *reader, vq_guest_event *event, vq_error *error)
{
    vq_status status = VQ_END;

    for (;;) {
        ssize_t length = getline(&reader->line, &reader->line_capacity, reader->stream);
        bool is_event, is_bar;
        vq_guest_bar bar;
        const char *why;

        if (length < 0) {
            if (ferror(reader->stream)) {
                vq_error_set(error, "%s:%" PRIu64 ": read error: %s", reader->name, reader->line_number + 1,
                             strerror(errno));
                status = VQ_ERR_IO;
            }
            goto end;
        }
        reader->line_number++;
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
        if (is_bar && reader->bar_count < VQ_GUEST_MAX_BARS) {
            reader->bars[reader->bar_count++] = bar;
        }
        if (strncmp(reader->line, "# clock-pair:", 13) == 0 && reader->pair_count < VQ_GUEST_MAX_CLOCK_PAIRS &&
            vq_clock_pair_parse(reader->line + 13, &reader->pairs[reader->pair_count])) {
            reader->pair_count++;   /* a pair the guest could not take ("clock-pair: ...") is skipped */
        }
        if (is_event) {
            event->line = reader->line_number;
            goto end;
        }
    }
end:
    return status;
}

size_t vq_guest_trace_bars(const vq_guest_trace *reader, const vq_guest_bar **bars)
{
    *bars = reader->bars;
    return reader->bar_count;
}

size_t vq_guest_trace_clock_pairs(const vq_guest_trace *reader, const vq_clock_pair **pairs)
{
    *pairs = reader->pairs;
    return reader->pair_count;
}

void vq_guest_trace_close(vq_guest_trace *reader)
{
    if (!reader) {
        return;
    }
    if (reader->stream) {
        fclose(reader->stream);
    }
    free(reader->line);
    free(reader->name);
    free(reader);
}
