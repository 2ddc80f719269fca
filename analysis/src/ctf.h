/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reader for CTF traces as LTTng writes them for QEMU's "ust" trace backend (provider "qemu"),
 * through libbabeltrace2 (no CTF parsing here): source.ctf.fs -> filter.utils.muxer -> a simple sink
 * of ours, pulled one graph step at a time so memory stays one batch of messages.
 *
 * Events come in timestamp order (the muxer merges the per-CPU streams). Names lose their "qemu:"
 * prefix (other providers keep theirs). timestamp_ns is the raw clock value converted to ns, without
 * the clock class offset: for LTTng's default "monotonic" clock that is the host's CLOCK_MONOTONIC,
 * the same clock as simpletrace and bpf_ktime_get_ns(). The offset (wall time at origin) is in
 * vq_ctf_clock(). pid comes from the "vpid" (or "pid") context when it was recorded
 * (lttng add-context -u -t vpid).
 */
#ifndef VQSCOPE_ANALYSIS_CTF_H
#define VQSCOPE_ANALYSIS_CTF_H

#include "event.h"

typedef struct vq_ctf vq_ctf;

typedef struct {
    bool known;            /* false until an event with a clock snapshot was read */
    const char *name;      /* e.g. "monotonic" */
    uint64_t frequency_hz;
    int64_t offset_ns;     /* origin of the raw values, from the clock class offset (Unix epoch for LTTng) */
} vq_ctf_clock_info;

typedef struct {
    uint64_t events;
    uint64_t discarded_events;  /* lost by the tracer (LTTng ring buffer full), as babeltrace2 reports */
} vq_ctf_counts;

vq_status vq_ctf_open(const char *directory, vq_ctf **out, vq_error *error);
vq_status vq_ctf_next(vq_ctf *reader, vq_event *event, vq_error *error);
/* READER as an event source, named by its directory; no position (babeltrace2 merges the streams). */
vq_event_source vq_ctf_source(vq_ctf *reader);
vq_ctf_clock_info vq_ctf_clock(const vq_ctf *reader);
vq_ctf_counts vq_ctf_get_counts(const vq_ctf *reader);
void vq_ctf_close(vq_ctf *reader);

/* Strips a "qemu:" provider prefix (pure). */
const char *vq_ctf_event_short_name(const char *name);

#endif
