/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reader of the guest's binary event stream (guest.stream: ftrace's ring-buffer pages sent by the guest
 * while the workload ran; format in include/vqscope/guest_stream.h). The pages are decoded with
 * libtraceevent (kbuffer for the pages, the event formats the stream carries for the fields) and the
 * CPUs merged in timestamp order; each event comes out as the line ftrace's `trace` file would have
 * shown (TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS), so that one parser (guest_line.c) owns what
 * the events mean, whichever way they came out of the guest; the events read most are read from their
 * fields instead, as that parser would take them from the line (guest_record.h). Memory: an index of
 * the pages (16 bytes each) and one page per CPU.
 */
#ifndef VQSCOPE_ANALYSIS_GUEST_STREAM_H
#define VQSCOPE_ANALYSIS_GUEST_STREAM_H

#include "event.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct vq_guest_stream vq_guest_stream;

/* Reads PATH's sections (formats, page index). Errors name the file, the offset and the field. A stream
 * cut short (the recording killed) is read up to its last whole section: vq_guest_stream_cut_at. */
vq_status vq_guest_stream_open(const char *path, vq_guest_stream **out, vq_error *error);
/* The same on FILE (seekable; owned from now on, closed by vq_guest_stream_close or on failure); PATH
 * names it in messages. */
vq_status vq_guest_stream_open_file(FILE *file, const char *path, vq_guest_stream **out, vq_error *error);
/* The next event, as a '\n'-ended ftrace text line valid until the next call; VQ_END after the last. */
vq_status vq_guest_stream_next_line(vq_guest_stream *stream, const char **line, vq_error *error);
/* The next event, read from its fields into EVENT when it is one guest_record.h decodes (*DECODED true),
 * and as next_line's text line (*LINE) when it is not or WANT_LINE asks for it too (else *LINE NULL).
 * EVENT NULL: the line only. The event is as vq_guest_trace_parse_line makes it from that line. */
struct vq_guest_event;
vq_status vq_guest_stream_next(vq_guest_stream *stream, bool want_line, struct vq_guest_event *event, bool *decoded,
                               const char **line, vq_error *error);
/* What the stream says of itself, after its last event: whether it has its end section (the guest's
 * streamer stopped cleanly), where a cut stream's unfinished last section begins (-1: none; left out),
 * the overrun its end section reports (events the guest's ring buffers lost before they were read,
 * summed over CPUs), and the events pages flag as missed. */
typedef struct {
    bool finished;
    int64_t cut_at;
    uint64_t overrun, missed;
} vq_guest_stream_state;

vq_guest_stream_state vq_guest_stream_get_state(const vq_guest_stream *stream);
void vq_guest_stream_close(vq_guest_stream *stream);

#endif
