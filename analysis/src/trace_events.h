/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU's trace-events-all: the declaration of every event (name, argument types and names). The
 * simpletrace file carries only ids, names and raw argument bytes; decoding the bytes needs the types,
 * read from the trace-events-all of the QEMU build that wrote the trace.
 */
#ifndef VQSCOPE_ANALYSIS_TRACE_EVENTS_H
#define VQSCOPE_ANALYSIS_TRACE_EVENTS_H

#include "event.h"

typedef struct {
    char *name;
    vq_arg_type type;   /* VQ_ARG_STRING: length-prefixed bytes in the record; else one u64 */
} vq_arg_decl;

typedef struct {
    char *name;
    size_t arg_count;
    vq_arg_decl *args;
} vq_event_decl;

typedef struct vq_trace_events vq_trace_events;

/* Reads PATH; errors name the file and line. */
vq_status vq_trace_events_load(const char *path, vq_trace_events **out, vq_error *error);

/*
 * Parses one line of a trace-events file (pure). Sets *is_event to false for blank and comment lines.
 * On success with *is_event, DECL owns its strings: release with vq_event_decl_clear().
 * On VQ_ERR_FORMAT, WHY (static text) says what was expected.
 */
vq_status vq_trace_events_parse_line(const char *line, bool *is_event, vq_event_decl *decl,
                                     const char **why);
void vq_event_decl_clear(vq_event_decl *decl);

/* Type of one declared argument, as tracetool's simple backend encodes it (pure). */
vq_arg_type vq_trace_events_classify_type(const char *type);

const vq_event_decl *vq_trace_events_find(const vq_trace_events *catalog, const char *name);
size_t vq_trace_events_count(const vq_trace_events *catalog);
void vq_trace_events_free(vq_trace_events *catalog);

/* The record QEMU writes when its buffer overflowed: "dropped", one u64 (number of events lost). */
extern const vq_event_decl vq_dropped_event_decl;

#endif
