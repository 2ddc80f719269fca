// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest trace reader (see guest_trace.h): guest.trace's header and lines, then, after '# events: FILE',
 * the lines of that guest stream (guest_stream.c); each line through vq_guest_trace_parse_line
 * (guest_line.c); ftrace's TSC column converted to guest CLOCK_MONOTONIC with the header's clock pairs. */
#define _GNU_SOURCE
#include "guest_trace.h"

#include "guest_header.h"
#include "guest_stream.h"

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
    bool line_valid;          /* the TSC -> mono slope below is that of the pairs (tsc, mono_ns) FROM, TO */
    uint64_t line_from[2], line_to[2];
    long double line_slope;
    vq_guest_stream *events;  /* after the text: the events of the header's '# events:' file */
    bool events_done;
};

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
    FILE *stream = vq_open_input(path, "r", error);

    *out = NULL;
    return stream ? vq_guest_trace_open_stream(stream, path, out, error) : VQ_ERR_IO;
}

/* The line through the header's first and last clock pair, computed once per pair of pairs (the header
 * may still grow while events are read: '# clock-pair:' lines of a live session). */
static bool clock_line(vq_guest_trace *reader, const vq_clock_pair **first, long double *slope)
{
    const vq_clock_pair *last;

    if (reader->header.pair_count < 2) {
        return false;
    }
    *first = &reader->header.pairs[0];
    last = &reader->header.pairs[reader->header.pair_count - 1];
    if (last->tsc == (*first)->tsc) {
        return false;
    }
    if (!reader->line_valid || reader->line_from[0] != (*first)->tsc || reader->line_from[1] != (*first)->mono_ns ||
        reader->line_to[0] != last->tsc || reader->line_to[1] != last->mono_ns) {
        reader->line_from[0] = (*first)->tsc;
        reader->line_from[1] = (*first)->mono_ns;
        reader->line_to[0] = last->tsc;
        reader->line_to[1] = last->mono_ns;
        reader->line_slope = (long double)((int64_t)(last->mono_ns - (*first)->mono_ns)) /
                             (long double)((int64_t)(last->tsc - (*first)->tsc));
        reader->line_valid = true;
    }
    *slope = reader->line_slope;
    return true;
}

/* Guest TSC cycles -> guest CLOCK_MONOTONIC ns, on the line through the first and last clock pairs. */
static bool cycles_to_mono(vq_guest_trace *reader, uint64_t *value)
{
    const vq_clock_pair *first;
    long double slope, mono;

    if (!clock_line(reader, &first, &slope)) {
        return false;
    }
    mono = (long double)first->mono_ns + slope * (long double)((int64_t)(*value - first->tsc));
    *value = mono < 0 ? 0 : (uint64_t)(mono + 0.5L);
    return true;
}

static bool tsc_to_mono(vq_guest_trace *reader, vq_guest_event *event)
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
    char *path;
    vq_status status;

    if (asprintf(&path, "%.*s%s", directory, reader->name, reader->header.events_file) < 0) {
        vq_error_set(error, "%s: out of memory", reader->name);
        return VQ_ERR_NOMEM;
    }
    status = vq_guest_stream_open(path, &reader->events, error);
    if (status == VQ_OK) {
        free(reader->name);   /* errors from here on name the stream and its event number */
        reader->name = path;
        reader->line_number = 0;
    } else {
        free(path);
    }
    return status;
}

/* The next line into reader->line (LENGTH bytes): the text's, then the event stream's. VQ_END after both.
 * An event of the stream read from its fields goes to EVENT instead (*DECODED true, no line). */
static vq_status next_line(vq_guest_trace *reader, ssize_t *length, vq_guest_event *event, bool *decoded,
                           vq_error *error)
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
    }
    status = vq_guest_stream_next(reader->events, false, event, decoded, &line, error);
    if (status == VQ_END) {
        reader->events_done = true;
        return VQ_END;
    }
    if (status != VQ_OK) {
        return status;
    }
    if (*decoded) {
        reader->line_number++;
        return VQ_OK;
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

/* The text line in reader->line (LENGTH bytes): a header line taken, an event into EVENT (*IS_EVENT). */
static vq_status take_line(vq_guest_trace *reader, ssize_t length, vq_guest_event *event, bool *is_event,
                           vq_error *error)
{
    bool is_bar;
    vq_guest_bar bar;
    const char *why;
    char why_text[VQ_ERROR_MAX];
    vq_status status;

    if (strlen(reader->line) != (size_t)length) {
        vq_error_set(error, "%s:%" PRIu64 ": NUL byte in a line; expected ftrace text", reader->name,
                     reader->line_number);
        return VQ_ERR_FORMAT;
    }
    status = vq_guest_trace_parse_line(reader->line, is_event, event, &is_bar, &bar, &why);
    if (status != VQ_OK) {
        reader->line[strcspn(reader->line, "\n")] = '\0';
        vq_error_set(error, "%s:%" PRIu64 ": %s; found '%.120s'", reader->name, reader->line_number,
                     why, reader->line);
        return status;
    }
    if (is_bar && reader->header.bar_count < VQ_GUEST_MAX_BARS) {
        reader->header.bars[reader->header.bar_count++] = bar;
    }
    if (reader->line[0] == '#' && vq_guest_header_take(&reader->header, reader->line, why_text,
                                                       sizeof(why_text)) != VQ_OK) {
        reader->line[strcspn(reader->line, "\n")] = '\0';
        vq_error_set(error, "%s:%" PRIu64 ": %s; found '%.120s'", reader->name, reader->line_number, why_text,
                     reader->line);
        return VQ_ERR_FORMAT;
    }
    return VQ_OK;
}

vq_status vq_guest_trace_next(vq_guest_trace *reader, vq_guest_event *event, vq_error *error)
{
    vq_status status;
    bool is_event = false;

    while (!is_event) {
        ssize_t length = 0;
        bool decoded = false;

        if ((status = next_line(reader, &length, event, &decoded, error)) != VQ_OK) {
            return status;
        }
        is_event = decoded;
        if (!decoded && (status = take_line(reader, length, event, &is_event, error)) != VQ_OK) {
            return status;
        }
    }
    event->line = reader->line_number;
    if ((event->column_tsc || event->column_is_tsc) && !tsc_to_mono(reader, event)) {
        vq_error_set(error, "%s:%" PRIu64 ": ftrace's column is in TSC cycles (trace_clock x86-tsc), "
                     "but the header has no two '# clock-pair:' lines (start, end) with different TSCs "
                     "to convert it to guest CLOCK_MONOTONIC", reader->name, reader->line_number);
        return VQ_ERR_FORMAT;
    }
    return VQ_OK;
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

bool vq_guest_trace_stream_state(const vq_guest_trace *reader, const char **name, vq_guest_stream_state *state)
{
    if (reader->events) {
        *name = reader->name;
        *state = vq_guest_stream_get_state(reader->events);
    }
    return reader->events != NULL;
}

void vq_guest_trace_close(vq_guest_trace *reader)
{
    if (!reader) {
        return;
    }
    if (reader->events) {
        vq_guest_stream_close(reader->events);
    }
    if (reader->stream) {
        fclose(reader->stream);
    }
    free(reader->line);
    free(reader->name);
    free(reader);
}
