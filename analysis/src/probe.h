/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one reader of the host probe stream (host-probe.vqp) written by probes/vqscope-probe. Its format
 * is probes/vqscope_probe.h (the contract), written down in probes/FORMAT.md; every tool that reads a
 * stream links this file: the analyzer (libvqanalysis) and probes/vqscope-probe-dump. Validation, the
 * size rules and the error messages live here and nowhere else.
 *
 * Two levels over one open stream:
 *  - vq_probe_next_record(): every record as written (DROPS, END and types this reader does not know
 *    included), for tools that print the stream;
 *  - vq_probe_next(): the kernel events only, each as a vq_event (name = the probe event name, e.g.
 *    "kvm_exit"; pid = the thread id; arguments named as in vqscope-probe-dump) so that the reorder
 *    buffer and the stitcher treat it like a QEMU event. DROPS and END records are consumed (counted).
 * Memory: one record and, once a DROPS record is read, one u64 per possible CPU of the recording host.
 *
 * Errors read "FILE: offset N: FIELD VALUE; expected WHAT", N being the byte offset of the field.
 * Cut-short streams (no END record, or a partial last record) are not errors: the whole records before
 * the cut are valid. vq_probe_warning() says what was missing once VQ_END was returned.
 */
#ifndef VQSCOPE_ANALYSIS_PROBE_H
#define VQSCOPE_ANALYSIS_PROBE_H

#include "event.h"

#define VQ_PROBE_MAX_ARGS 8

/* Size bounds of the reader (probes/FORMAT.md): at least what version 1 defines (a longer header or
 * record comes from a newer writer and its tail is skipped), at most these, so that a corrupt size
 * field reads as an error instead of as one huge header or record. */
#define VQ_PROBE_MAX_HEADER_SIZE 4096
#define VQ_PROBE_MAX_RECORD_SIZE 4096
/* Above any Linux NR_CPUS (8192 at most on x86); bounds the per-CPU drop table. */
#define VQ_PROBE_MAX_CPUS 65536

struct vqs_probe_record; /* probes/vqscope_probe.h */

typedef struct vq_probe vq_probe;

typedef struct {
    uint32_t version;
    uint32_t header_size;
    uint32_t clock_id;
    uint32_t record_size;
    uint64_t start_monotonic_ns;
    uint64_t start_realtime_ns;
    uint32_t target_tgid;
    uint32_t nr_cpus;
    uint64_t attached_mask;   /* bit (1 << type): that event type was attached */
    char kernel_release[65];  /* NUL-terminated */
} vq_probe_header_info;

typedef struct {
    uint64_t records;         /* records read, DROPS and END included */
    uint64_t unknown_records; /* types this reader does not know: skipped */
    uint64_t drops_total;     /* the END record's; without one, the sum of the last DROPS per CPU */
    bool end_seen;
    uint64_t end_records;     /* the END record's count of the records written before it */
    uint32_t end_stop_reason; /* the END record's enum vqs_probe_stop_reason */
} vq_probe_counts;

/* Opens and validates the header. vq_probe_open_stream() takes STREAM over (closed on every path). */
vq_status vq_probe_open(const char *path, vq_probe **out, vq_error *error);
vq_status vq_probe_open_stream(FILE *stream, const char *name, vq_probe **out, vq_error *error);
/* VQ_OK with *RECORD filled (the fields this version knows; a longer record's tail skipped), VQ_END
 * (see vq_probe_warning), or an error (a record after END, a DROPS record for a CPU the header does
 * not have, a read error). */
vq_status vq_probe_next_record(vq_probe *reader, struct vqs_probe_record *record, vq_error *error);
/* VQ_OK with *EVENT filled (valid until the next call), VQ_END, or an error. DROPS and END records
 * are consumed here (counted), not yielded, and so are types this reader does not know. */
vq_status vq_probe_next(vq_probe *reader, vq_event *event, vq_error *error);
/* Byte offset of the record last returned; after VQ_END, where the stream ends or was cut. */
uint64_t vq_probe_record_offset(const vq_probe *reader);
/* READER's kernel events (vq_probe_next) as an event source, positioned by record offset. */
vq_event_source vq_probe_source(vq_probe *reader);
const vq_probe_header_info *vq_probe_header(const vq_probe *reader);
vq_probe_counts vq_probe_get_counts(const vq_probe *reader);
/* After VQ_END: empty for a complete stream, else why it is considered cut short. */
const char *vq_probe_warning(const vq_probe *reader);
void vq_probe_close(vq_probe *reader);

/* Name of a kernel event record type, NULL for DROPS, END and unknown types (pure). */
const char *vq_probe_type_name(uint32_t type);

#endif
