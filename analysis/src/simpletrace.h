/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reader for QEMU's simple trace backend, file format version 4 (QEMU 10.0's trace/simple.c).
 *
 * File layout (host byte order, little-endian on x86; no padding):
 *   header   u64 0xffffffffffffffff, u64 magic 0xf2b177cb0aa429b4, u64 version 4
 *   then records, each starting with a u64 type:
 *   0 mapping  u64 event id, u32 name length, name bytes (no NUL)    id -> name, for this file
 *   1 event    u64 event id, u64 timestamp ns, u32 record length, u32 pid, arguments
 *              record length counts the 24 bytes from the event id to the pid plus the arguments;
 *              each argument is a u64, or a u32 length + bytes for strings (types: trace-events-all).
 *   Event id 0xfffffffffffffffe is QEMU's "dropped" record: one u64, the number of events lost.
 *
 * Streaming: memory is one record plus the id -> name table, never the file. Events come in file
 * order, which is not timestamp order (see reorder.h).
 */
#ifndef VQSCOPE_ANALYSIS_SIMPLETRACE_H
#define VQSCOPE_ANALYSIS_SIMPLETRACE_H

#include "event.h"
#include "trace_events.h"

#define VQ_SIMPLETRACE_MAGIC 0xf2b177cb0aa429b4ULL
#define VQ_SIMPLETRACE_HEADER_ID UINT64_MAX
#define VQ_SIMPLETRACE_DROPPED_ID (UINT64_MAX - 1)
#define VQ_SIMPLETRACE_VERSION 4
#define VQ_SIMPLETRACE_HEADER_SIZE 24
#define VQ_SIMPLETRACE_RECORD_HEADER_SIZE 24
/* QEMU's whole trace buffer is 256 KiB (TRACE_BUF_LEN): no record can be longer. */
#define VQ_SIMPLETRACE_MAX_RECORD (4096 * 64)
/* QEMU numbers events from 0 in registration order (~5,100 in our build, ~6,000 in a full one): the
 * id -> name table is an array, so ids are bounded to keep a corrupt id from costing memory. */
#define VQ_SIMPLETRACE_MAX_EVENT_ID (1u << 16)
#define VQ_SIMPLETRACE_MAX_NAME 1024

typedef struct vq_simpletrace vq_simpletrace;

typedef struct {
    uint64_t events;          /* event records returned, the dropped records included */
    uint64_t mappings;        /* mapping records read */
    uint64_t dropped_records;
    uint64_t dropped_events;  /* sum of their counts: events QEMU lost */
} vq_simpletrace_counts;

/*
 * CATALOG (trace-events-all) must outlive the reader. NAME is used in messages. The header is read
 * and checked here.
 */
vq_status vq_simpletrace_open(const char *path, const vq_trace_events *catalog, vq_simpletrace **out,
                              vq_error *error);
/* Same on an open stream (fuzzing, pipes); the reader closes STREAM. */
vq_status vq_simpletrace_open_stream(FILE *stream, const char *name, const vq_trace_events *catalog,
                                     vq_simpletrace **out, vq_error *error);

/* VQ_OK with *EVENT filled (valid until the next call), VQ_END at a clean end of file, or an error. */
vq_status vq_simpletrace_next(vq_simpletrace *reader, vq_event *event, vq_error *error);

/* Byte offset of the record last returned (or failed), and of the end of what was consumed. */
uint64_t vq_simpletrace_record_offset(const vq_simpletrace *reader);
const char *vq_simpletrace_name(const vq_simpletrace *reader);
/* READER as an event source (for the reorder buffer), positioned by record offset. */
vq_event_source vq_simpletrace_source(vq_simpletrace *reader);
vq_simpletrace_counts vq_simpletrace_get_counts(const vq_simpletrace *reader);

void vq_simpletrace_close(vq_simpletrace *reader);

#endif
