// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest binary event stream reader (see guest_stream.h; the format: include/vqscope/guest_stream.h). */
#define _FILE_OFFSET_BITS 64
#include "guest_stream.h"

#include "guest_record.h"
#include "guest_trace.h"

#include "vqscope/guest_stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <traceevent/event-parse.h>
#include <traceevent/kbuffer.h>
#include <traceevent/trace-seq.h>

#define MAX_CPUS 64
#define PAGE_SLACK (2u << 16)

typedef struct {
    off_t *pages;             /* file offsets of this CPU's pages found and not loaded yet: pages[next_page..] */
    size_t page_count, page_capacity;
    size_t next_page;         /* the next page to load */
    struct kbuffer *kbuf;
    unsigned char *page;      /* the loaded page */
    off_t page_offset;
    void *event;              /* the current event in the loaded page, NULL when none */
    unsigned long long ts;
} cpu_cursor;

struct vq_guest_stream {
    FILE *file;
    char *path;
    struct vq_gstream_header header;
    struct tep_handle *tep;
    cpu_cursor cpus[MAX_CPUS];
    bool counter_clock;       /* timestamps are counts (x86-tsc, counter), not nanoseconds */
    bool finished;
    off_t cut_at;             /* where a cut stream's unfinished section begins; -1 when none */
    /* Pages are found as the CPUs need them (find_pages), not all at open: the index holds what lies
     * between the CPUs' read positions, whatever the stream's length. */
    off_t find_offset;        /* the next section to look at */
    off_t sections_end;       /* where the whole sections end (the cut, or the end of the stream) */
    uint64_t overrun, missed;
    vq_guest_decoder *decoder; /* the events read from their fields (guest_record.h) */
    struct trace_seq seq;
    char *line;
    size_t line_capacity;
};

static const char *type_name(uint32_t type)
{
    switch (type) {
    case VQ_GSTREAM_HEADER_PAGE: return "header_page";
    case VQ_GSTREAM_CLOCK: return "clock";
    case VQ_GSTREAM_FORMAT: return "format";
    case VQ_GSTREAM_PAGE: return "page";
    case VQ_GSTREAM_CMDLINES: return "cmdlines";
    case VQ_GSTREAM_END: return "end";
    default: return "unknown";
    }
}

static vq_status add_page(vq_guest_stream *stream, uint32_t cpu, off_t offset)
{
    cpu_cursor *c = &stream->cpus[cpu];

    if (c->page_count == c->page_capacity && c->next_page > 0) {   /* the loaded ones make room */
        memmove(c->pages, c->pages + c->next_page, (c->page_count - c->next_page) * sizeof(*c->pages));
        c->page_count -= c->next_page;
        c->next_page = 0;
    }
    if (c->page_count == c->page_capacity) {
        size_t capacity = c->page_capacity ? c->page_capacity * 2 : 256;
        off_t *bigger = realloc(c->pages, capacity * sizeof(*bigger));

        if (!bigger) {
            return VQ_ERR_NOMEM;
        }
        c->pages = bigger;
        c->page_capacity = capacity;
    }
    c->pages[c->page_count++] = offset;
    return VQ_OK;
}

/* "[x86-tsc] mono ...": whether the selected clock counts cycles rather than nanoseconds. */
static void take_clock(vq_guest_stream *stream, const char *text)
{
    const char *open = strchr(text, '['), *close = open ? strchr(open, ']') : NULL;
    size_t length = open && close ? (size_t)(close - open - 1) : 0;

    stream->counter_clock = (length == 7 && strncmp(open + 1, "x86-tsc", 7) == 0) ||
                            (length == 7 && strncmp(open + 1, "counter", 7) == 0);
}

static vq_status take_end(vq_guest_stream *stream, const char *text)
{
    const char *line = text;

    while (line && *line) {
        unsigned cpu;
        unsigned long long overrun;

        if (sscanf(line, "cpu=%u overrun=%llu", &cpu, &overrun) != 2) {
            return VQ_ERR_FORMAT;
        }
        stream->overrun += overrun;
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    stream->finished = true;
    return VQ_OK;
}

/* Whether TEXT has the shape of an event's format file: "name: N", "ID: N", "format:", field lines
 * ("\tfield:...;\toffset:N;\tsize:N;\tsigned:N;"), blank lines, one "print fmt: \"...\"..." line.
 * libtraceevent's parser trusts its input (it crashes on some malformed files): only this shape reaches
 * it. On failure LINE is the 1-based line that broke it. */
static bool format_shape(const char *text, const char *name, unsigned *line)
{
    const char *cursor = text;
    unsigned number = 0, offset, size, is_signed;
    bool seen_print = false;

    *line = 1;
    while (*cursor) {
        const char *end = strchr(cursor, '\n');
        size_t length = end ? (size_t)(end - cursor) : strlen(cursor);
        char field[512];
        int consumed = 0;

        number++;
        *line = number;
        if (number == 1) {
            if (length != strlen("name: ") + strlen(name) || strncmp(cursor, "name: ", 6) != 0 ||
                strncmp(cursor + 6, name, strlen(name)) != 0) {
                return false;
            }
        } else if (number == 2) {
            if (sscanf(cursor, "ID: %u%n", &offset, &consumed) != 1 || (size_t)consumed != length) {
                return false;
            }
        } else if (number == 3) {
            if (length != 7 || strncmp(cursor, "format:", 7) != 0) {
                return false;
            }
        } else if (length == 0) {
            /* a blank line between the common fields and the event's */
        } else if (seen_print) {
            return false;   /* nothing after the print fmt line */
        } else if (strncmp(cursor, "print fmt: \"", 12) == 0) {
            seen_print = true;
        } else if (length >= sizeof(field) ||
                   sscanf(cursor, "\tfield:%511[^;];\toffset:%u;\tsize:%u;\tsigned:%u;%n", field, &offset, &size,
                          &is_signed, &consumed) != 4 || (size_t)consumed != length || is_signed > 1 ||
                   memchr(field, '\t', strlen(field))) {
            return false;
        }
        if (!end) {
            break;
        }
        cursor = end + 1;
    }
    return seen_print;
}

/* A section other than a page: its payload read whole and given to libtraceevent or kept. */
static vq_status take_section(vq_guest_stream *stream, const struct vq_gstream_section *section, char *payload,
                              off_t offset, vq_error *error)
{
    const char *path = stream->path;

    switch (section->type) {
    case VQ_GSTREAM_HEADER_PAGE:
        if (tep_parse_header_page(stream->tep, payload, section->length, (int)stream->header.long_size) != 0) {
            vq_error_set(error, "%s: offset %jd: the header_page section is not ftrace's page header format",
                         path, (intmax_t)offset);
            return VQ_ERR_FORMAT;
        }
        break;
    case VQ_GSTREAM_CLOCK:
        take_clock(stream, payload);
        break;
    case VQ_GSTREAM_FORMAT: {
        char *newline = strchr(payload, '\n'), *slash = strchr(payload, '/');
        enum tep_errno status;
        unsigned line;

        if (!newline || !slash || slash > newline) {
            vq_error_set(error, "%s: offset %jd: a format section starts with 'SYSTEM/EVENT\\n'", path,
                         (intmax_t)offset);
            return VQ_ERR_FORMAT;
        }
        *newline = '\0';
        *slash = '\0';
        if (!format_shape(newline + 1, slash + 1, &line)) {
            vq_error_set(error, "%s: offset %jd: the format of %s/%s, line %u: not ftrace's format file "
                         "(name, ID, format:, field lines, print fmt)", path, (intmax_t)offset, payload, slash + 1,
                         line);
            return VQ_ERR_FORMAT;
        }
        status = tep_parse_event(stream->tep, newline + 1, section->length - (size_t)(newline + 1 - payload),
                                 payload);
        if (status != 0) {
            char why[128] = "";

            tep_strerror(stream->tep, status, why, sizeof(why));
            vq_error_set(error, "%s: offset %jd: the format of %s/%s does not parse: %s", path, (intmax_t)offset,
                         payload, slash + 1, why);
            return VQ_ERR_FORMAT;
        }
        break;
    }
    case VQ_GSTREAM_CMDLINES:
        tep_parse_saved_cmdlines(stream->tep, payload);
        break;
    case VQ_GSTREAM_END:
        if (take_end(stream, payload) != VQ_OK) {
            vq_error_set(error, "%s: offset %jd: the end section has 'cpu=N overrun=X' lines", path,
                         (intmax_t)offset);
            return VQ_ERR_FORMAT;
        }
        break;
    default:
        break;
    }
    return VQ_OK;
}

/* Reads every section once, at open: checks each one, the formats into libtraceevent, the end section's
 * figures, where a cut stream's whole sections end. The pages are found again as they are read. */
static vq_status scan(vq_guest_stream *stream, vq_error *error)
{
    const char *path = stream->path;
    off_t offset = (off_t)sizeof(stream->header), last_page = -1;
    char *payload = NULL;
    vq_status status = VQ_OK;

    for (;;) {
        struct vq_gstream_section section;
        size_t got = fread(&section, 1, sizeof(section), stream->file);

        if (got == 0 && feof(stream->file)) {
            break;
        }
        if (got != sizeof(section)) {
            stream->cut_at = offset;   /* cut inside a section's header: the sections before it stand */
            break;
        }
        if (stream->finished) {
            vq_error_set(error, "%s: offset %jd: a %s section after the end section", path, (intmax_t)offset,
                         type_name(section.type));
            status = VQ_ERR_FORMAT;
            goto end;
        }
        if (section.type < VQ_GSTREAM_HEADER_PAGE || section.type > VQ_GSTREAM_END ||
            section.length > VQ_GSTREAM_MAX_PAYLOAD) {
            vq_error_set(error, "%s: offset %jd: section type %" PRIu32 " length %" PRIu64 ": expected a type "
                         "1-6 and a length up to %u", path, (intmax_t)offset, section.type, section.length,
                         VQ_GSTREAM_MAX_PAYLOAD);
            status = VQ_ERR_FORMAT;
            goto end;
        }
        if (section.type == VQ_GSTREAM_PAGE) {
            if (section.cpu >= stream->header.cpus || section.length != stream->header.page_size) {
                vq_error_set(error, "%s: offset %jd: a page section of cpu %" PRIu32 " with %" PRIu64 " bytes; "
                             "expected a cpu below %" PRIu32 " and %" PRIu32 " bytes", path, (intmax_t)offset,
                             section.cpu, section.length, stream->header.cpus, stream->header.page_size);
                status = VQ_ERR_FORMAT;
                goto end;
            }
            last_page = offset;
            if (fseeko(stream->file, (off_t)section.length, SEEK_CUR) != 0) {
                vq_error_set(error, "%s: offset %jd: cannot seek: %s", path, (intmax_t)offset, strerror(errno));
                status = VQ_ERR_IO;
                goto end;
            }
        } else {
            free(payload);
            payload = malloc(section.length + 1);
            if (!payload) {
                vq_error_set(error, "%s: out of memory", path);
                status = VQ_ERR_NOMEM;
                goto end;
            }
            if (fread(payload, 1, section.length, stream->file) != section.length) {
                stream->cut_at = offset;
                break;
            }
            payload[section.length] = '\0';
            if ((status = take_section(stream, &section, payload, offset, error)) != VQ_OK) {
                goto end;
            }
        }
        offset += (off_t)(sizeof(section) + section.length);
    }
    /* a page section's seek goes past the end without complaint: the last page may be the cut one */
    if (stream->cut_at < 0 && last_page >= 0 && fseeko(stream->file, 0, SEEK_END) == 0 &&
        ftello(stream->file) < offset) {
        stream->cut_at = last_page;
    }
    stream->sections_end = stream->cut_at >= 0 ? stream->cut_at : offset;
    stream->find_offset = (off_t)sizeof(stream->header);
end:
    free(payload);
    return status;
}

/* Whether the data a page's header claims (commit, without the missed-events flags in its top bits)
 * fits in the page after the header (u64 timestamp, long commit): kbuffer trusts it. */
static bool page_fits(const vq_guest_stream *stream, const unsigned char *page)
{
    uint64_t commit = 0;

    memcpy(&commit, page + 8, stream->header.long_size);   /* little-endian, as the stream's header says */
    commit &= (1u << 30) - 1;
    return commit <= stream->header.page_size - 8 - stream->header.long_size;
}

/* Finds the next page section (checked by scan) for its CPU's index; false at the whole sections' end. */
static vq_status find_page(vq_guest_stream *stream, bool *found, vq_error *error)
{
    *found = false;
    while (!*found && stream->find_offset < stream->sections_end) {
        struct vq_gstream_section section;

        if (fseeko(stream->file, stream->find_offset, SEEK_SET) != 0 ||
            fread(&section, 1, sizeof(section), stream->file) != sizeof(section)) {
            vq_error_set(error, "%s: offset %jd: cannot read a section header again: %s", stream->path,
                         (intmax_t)stream->find_offset, ferror(stream->file) ? strerror(errno) : "end of file");
            return VQ_ERR_IO;
        }
        if (section.type == VQ_GSTREAM_PAGE) {
            if (add_page(stream, section.cpu, stream->find_offset + (off_t)sizeof(section)) != VQ_OK) {
                vq_error_set(error, "%s: out of memory", stream->path);
                return VQ_ERR_NOMEM;
            }
            *found = true;
        }
        stream->find_offset += (off_t)(sizeof(section) + section.length);
    }
    return VQ_OK;
}

/* Loads pages of CPU until one has an event (or none is left: event NULL), finding the stream's pages
 * as far as this CPU's next one. */
static vq_status advance_page(vq_guest_stream *stream, cpu_cursor *c, uint32_t cpu, vq_error *error)
{
    bool found;
    vq_status status;

    c->event = NULL;
    for (;;) {
        while (c->next_page == c->page_count) {
            if ((status = find_page(stream, &found, error)) != VQ_OK) {
                return status;
            }
            if (!found) {
                return VQ_OK;   /* no page of this CPU is left */
            }
        }
        c->page_offset = c->pages[c->next_page++];
        if (fseeko(stream->file, c->page_offset, SEEK_SET) != 0 ||
            fread(c->page, 1, stream->header.page_size, stream->file) != stream->header.page_size) {
            vq_error_set(error, "%s: offset %jd: cannot read cpu %" PRIu32 "'s page: %s", stream->path,
                         (intmax_t)c->page_offset, cpu, ferror(stream->file) ? strerror(errno) : "end of file");
            return VQ_ERR_IO;
        }
        if (!page_fits(stream, c->page)) {
            vq_error_set(error, "%s: offset %jd: cpu %" PRIu32 "'s page says it holds more data than a page "
                         "(its header's commit field)", stream->path, (intmax_t)c->page_offset, cpu);
            return VQ_ERR_FORMAT;
        }
        if (kbuffer_load_subbuffer(c->kbuf, c->page) < 0) {
            vq_error_set(error, "%s: offset %jd: cpu %" PRIu32 "'s page does not decode (ftrace's page format)",
                         stream->path, (intmax_t)c->page_offset, cpu);
            return VQ_ERR_FORMAT;
        }
        if (kbuffer_missed_events(c->kbuf) > 0) {
            stream->missed += (uint64_t)kbuffer_missed_events(c->kbuf);
        }
        c->event = kbuffer_read_event(c->kbuf, &c->ts);
        if (c->event) {
            break;
        }
    }
    return VQ_OK;
}

vq_status vq_guest_stream_open(const char *path, vq_guest_stream **out, vq_error *error)
{
    FILE *file = vq_open_input(path, "rb", error);

    *out = NULL;
    return file ? vq_guest_stream_open_file(file, path, out, error) : VQ_ERR_IO;
}

vq_status vq_guest_stream_open_file(FILE *file, const char *path, vq_guest_stream **out, vq_error *error)
{
    vq_guest_stream *stream = calloc(1, sizeof(*stream));
    vq_status status = VQ_OK;
    uint32_t cpu;

    *out = NULL;
    if (!stream || !(stream->path = strdup(path)) || !(stream->tep = tep_alloc())) {
        vq_error_set(error, "%s: out of memory", path);
        status = VQ_ERR_NOMEM;
        if (stream) {
            stream->file = file;
        } else {
            fclose(file);
        }
        goto end;
    }
    trace_seq_init(&stream->seq);
    stream->cut_at = -1;
    stream->file = file;
    if (fread(&stream->header, 1, sizeof(stream->header), stream->file) != sizeof(stream->header) ||
        memcmp(stream->header.magic, VQ_GSTREAM_MAGIC, VQ_GSTREAM_MAGIC_SIZE) != 0) {
        vq_error_set(error, "%s: offset 0: not a vqscope guest stream (expected the magic \"vqsgstr\\n\" and a "
                     "%zu-byte header)", path, sizeof(stream->header));
        status = VQ_ERR_FORMAT;
        goto end;
    }
    if (stream->header.version != VQ_GSTREAM_VERSION) {
        vq_error_set(error, "%s: offset 8: version %" PRIu32 "; this reader reads version %d", path,
                     stream->header.version, VQ_GSTREAM_VERSION);
        status = VQ_ERR_FORMAT;
        goto end;
    }
    if (stream->header.page_size < 4096 || stream->header.page_size > 65536 ||
        (stream->header.page_size & (stream->header.page_size - 1)) != 0 || stream->header.cpus == 0 ||
        stream->header.cpus > MAX_CPUS || (stream->header.long_size != 4 && stream->header.long_size != 8)) {
        vq_error_set(error, "%s: offset 12: page_size %" PRIu32 ", cpus %" PRIu32 ", long_size %" PRIu32
                     ": expected a power of two 4096-65536, 1-%d CPUs and 4 or 8", path, stream->header.page_size,
                     stream->header.cpus, stream->header.long_size, MAX_CPUS);
        status = VQ_ERR_FORMAT;
        goto end;
    }
    tep_set_loglevel(TEP_LOG_ERROR);
    tep_set_long_size(stream->tep, (int)stream->header.long_size);
    tep_set_page_size(stream->tep, (int)stream->header.page_size);
    tep_set_file_bigendian(stream->tep, TEP_LITTLE_ENDIAN);
    tep_set_local_bigendian(stream->tep, TEP_LITTLE_ENDIAN);
    if ((status = scan(stream, error)) != VQ_OK) {
        goto end;
    }
    if (!(stream->decoder = vq_guest_decoder_new(stream->tep, stream->counter_clock))) {
        vq_error_set(error, "%s: out of memory", path);
        status = VQ_ERR_NOMEM;
        goto end;
    }
    for (cpu = 0; cpu < stream->header.cpus; cpu++) {
        cpu_cursor *c = &stream->cpus[cpu];

        c->kbuf = kbuffer_alloc(stream->header.long_size == 8 ? KBUFFER_LSIZE_8 : KBUFFER_LSIZE_4,
                                KBUFFER_ENDIAN_LITTLE);
        /* zeroed slack after the page: a dynamic field's (offset, length) of up to 64 KiB each, read by
         * libtraceevent without checking them against the event, stays inside this buffer */
        c->page = calloc(1, stream->header.page_size + PAGE_SLACK);
        if (!c->kbuf || !c->page) {
            vq_error_set(error, "%s: out of memory", path);
            status = VQ_ERR_NOMEM;
            goto end;
        }
        if ((status = advance_page(stream, c, cpu, error)) != VQ_OK) {
            goto end;
        }
    }
    *out = stream;
    stream = NULL;
end:
    vq_guest_stream_close(stream);
    return status;
}

/* The text of a trace_marker write (ftrace/print's buf), without its newline. */
static vq_status marker_text(vq_guest_stream *stream, struct tep_event *event, struct tep_record *record)
{
    struct tep_format_field *field = tep_find_field(event, "buf");
    const char *text;
    size_t length;

    if (!field || field->offset < 0 || field->offset >= record->size) {
        return VQ_ERR_FORMAT;
    }
    text = (const char *)record->data + field->offset;
    length = strnlen(text, (size_t)(record->size - field->offset));
    while (length > 0 && text[length - 1] == '\n') {
        length--;
    }
    trace_seq_printf(&stream->seq, "%.*s", (int)length, text);
    return VQ_OK;
}

/* RECORD (of FORMAT, on CPU) as ftrace's text line into stream->line. */
static vq_status format_line(vq_guest_stream *stream, const cpu_cursor *c, uint32_t cpu, struct tep_event *format,
                             struct tep_record *record, vq_error *error)
{
    const char *name = format->name, *comm;
    char stamp[48];
    int pid, length;

    trace_seq_reset(&stream->seq);
    if (strcmp(format->system, "ftrace") == 0 && strcmp(format->name, "print") == 0) {
        name = "tracing_mark_write";   /* what the trace file calls a trace_marker write */
        if (marker_text(stream, format, record) != VQ_OK) {
            vq_error_set(error, "%s: offset %jd: a trace_marker event without its text", stream->path,
                         (intmax_t)(c->page_offset + kbuffer_curr_offset(c->kbuf)));
            return VQ_ERR_FORMAT;
        }
    } else {
        tep_print_event(stream->tep, &stream->seq, record, "%s", TEP_PRINT_INFO);
    }
    trace_seq_terminate(&stream->seq);
    pid = tep_data_pid(stream->tep, record);
    comm = tep_data_comm_from_pid(stream->tep, pid);
    /* the trace file's column: cycles for a counter clock, else seconds.microseconds */
    if (stream->counter_clock) {
        snprintf(stamp, sizeof(stamp), "%llu", record->ts);
    } else {
        snprintf(stamp, sizeof(stamp), "%llu.%06llu", record->ts / 1000000000ULL, record->ts % 1000000000ULL / 1000);
    }
    for (;;) {
        length = snprintf(stream->line, stream->line_capacity, "%16s-%-7d [%03" PRIu32 "] ..... %s: %s: %s\n",
                          comm ? comm : "<...>", pid, cpu, stamp, name, stream->seq.buffer);
        if (length >= 0 && (size_t)length < stream->line_capacity) {
            return VQ_OK;
        }
        free(stream->line);
        stream->line_capacity = length > 0 ? (size_t)length + 1 : 4096;
        if (!(stream->line = malloc(stream->line_capacity))) {
            stream->line_capacity = 0;
            vq_error_set(error, "%s: out of memory", stream->path);
            return VQ_ERR_NOMEM;
        }
    }
}

vq_status vq_guest_stream_next(vq_guest_stream *stream, bool want_line, vq_guest_event *event, bool *decoded,
                               const char **line, vq_error *error)
{
    cpu_cursor *c = NULL;
    uint32_t cpu, best = 0;
    struct tep_record record;
    struct tep_event *format;
    bool taken, agreed = true;
    vq_status status;

    *line = NULL;
    if (decoded) {
        *decoded = false;
    }
    for (cpu = 0; cpu < stream->header.cpus; cpu++) {
        if (stream->cpus[cpu].event && (!c || stream->cpus[cpu].ts < c->ts)) {
            c = &stream->cpus[cpu];
            best = cpu;
        }
    }
    if (!c) {
        return VQ_END;
    }
    record = (struct tep_record){ .ts = c->ts, .cpu = (int)best, .data = c->event,
                                  .size = kbuffer_event_size(c->kbuf) };
    if (record.size < 8 || (unsigned char *)c->event + record.size > c->page + stream->header.page_size) {
        vq_error_set(error, "%s: offset %jd: cpu %" PRIu32 "'s event of %d bytes does not fit in its page",
                     stream->path, (intmax_t)(c->page_offset + kbuffer_curr_offset(c->kbuf)), best, record.size);
        return VQ_ERR_FORMAT;
    }
    format = tep_find_event_by_record(stream->tep, &record);
    if (!format) {
        vq_error_set(error, "%s: offset %jd: cpu %" PRIu32 "'s page has an event of type %d, whose format the "
                     "stream does not carry", stream->path,
                     (intmax_t)(c->page_offset + kbuffer_curr_offset(c->kbuf)), best,
                     tep_data_type(stream->tep, &record));
        return VQ_ERR_FORMAT;
    }
    taken = event && vq_guest_decoder_take(stream->decoder, format, &record, best, event, &agreed);
    if (want_line || !taken || !agreed) {
        if ((status = format_line(stream, c, best, format, &record, error)) != VQ_OK) {
            return status;
        }
        *line = stream->line;
    }
    if (taken && !agreed) {
        /* the format's first record: read from its fields from now on only if that is what its text says */
        vq_guest_event text;
        vq_guest_bar bar;
        bool is_event, is_bar;
        const char *why;

        taken = vq_guest_trace_parse_line(*line, &is_event, &text, &is_bar, &bar, &why) == VQ_OK && is_event &&
                vq_guest_event_equal(event, &text);
        vq_guest_decoder_agreed(stream->decoder, format, taken);
    }
    if (taken && !want_line) {
        *line = NULL;
    }
    if (decoded) {
        *decoded = taken;
    }
    c->event = kbuffer_next_event(c->kbuf, &c->ts);
    if (!c->event && (status = advance_page(stream, c, best, error)) != VQ_OK) {
        return status;
    }
    return VQ_OK;
}

vq_status vq_guest_stream_next_line(vq_guest_stream *stream, const char **line, vq_error *error)
{
    return vq_guest_stream_next(stream, true, NULL, NULL, line, error);
}

vq_guest_stream_state vq_guest_stream_get_state(const vq_guest_stream *stream)
{
    return (vq_guest_stream_state){ .finished = stream->finished, .cut_at = (int64_t)stream->cut_at,
                                    .overrun = stream->overrun, .missed = stream->missed };
}

void vq_guest_stream_close(vq_guest_stream *stream)
{
    uint32_t cpu;

    if (!stream) {
        return;
    }
    for (cpu = 0; cpu < MAX_CPUS; cpu++) {
        free(stream->cpus[cpu].pages);
        free(stream->cpus[cpu].page);
        if (stream->cpus[cpu].kbuf) {
            kbuffer_free(stream->cpus[cpu].kbuf);
        }
    }
    vq_guest_decoder_free(stream->decoder);
    if (stream->tep) {
        trace_seq_destroy(&stream->seq);
        tep_free(stream->tep);
    }
    free(stream->line);
    free(stream->path);
    if (stream->file) {
        fclose(stream->file);
    }
    free(stream);
}
