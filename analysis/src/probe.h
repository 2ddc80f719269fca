/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Streaming reader for the host probe stream (host-probe.vqp) written by probes/vqscope-probe. The
 * format is probes/vqscope_probe.h (the contract; documented in probes/README.md): a header of
 * header_size bytes, then records of record_size bytes, ending with one END record.
 *
 * Each record is yielded as a vq_event (name = the probe event name, e.g. "kvm_exit"; pid = the
 * thread id; arguments named as in vqscope-probe-dump) so that the reorder buffer and the stitcher
 * treat it like a QEMU event. Memory: one record.
 *
 * Cut-short streams (no END record, or a partial last record) are not errors: the whole records
 * before the cut are valid. vq_probe_warning() says what was missing once VQ_END was returned.
 */
#ifndef VQSCOPE_ANALYSIS_PROBE_H
#define VQSCOPE_ANALYSIS_PROBE_H

#include "event.h"

#define VQ_PROBE_MAX_ARGS 8

typedef struct vq_probe vq_probe;

typedef struct {
    uint32_t version;
    uint32_t header_size;
    uint32_t record_size;
    uint64_t start_monotonic_ns;
    uint32_t target_tgid;
    uint64_t attached_mask;   /* bit (1 << type): that event type was attached */
    char kernel_release[65];
} vq_probe_header_info;

typedef struct {
    uint64_t records;         /* records read, END included */
    uint64_t unknown_records; /* types this reader does not know: skipped */
    uint64_t drops_total;     /* the END record's (or the sum of the last DROPS per CPU) */
    bool end_seen;
} vq_probe_counts;

vq_status vq_probe_open(const char *path, vq_probe **out, vq_error *error);
vq_status vq_probe_open_stream(FILE *stream, const char *name, vq_probe **out, vq_error *error);
/* VQ_OK with *EVENT filled (valid until the next call), VQ_END, or an error. DROPS and END records
 * are consumed here (counted), not yielded. */
vq_status vq_probe_next(vq_probe *reader, vq_event *event, vq_error *error);
uint64_t vq_probe_record_offset(const vq_probe *reader);
const vq_probe_header_info *vq_probe_header(const vq_probe *reader);
vq_probe_counts vq_probe_get_counts(const vq_probe *reader);
/* After VQ_END: empty for a complete stream, else why it is considered cut short. */
const char *vq_probe_warning(const vq_probe *reader);
void vq_probe_close(vq_probe *reader);

/* Name of a record type, NULL when unknown (pure). */
const char *vq_probe_type_name(uint32_t type);

#endif
