/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest stream's records of the events the analyzer reads most (the xblk driver's five tracepoints,
 * raw_syscalls, block_bio_queue, block_rq_issue/complete: ~99 % of a session's events) taken into a
 * vq_guest_event straight from their fields, instead of being printed as ftrace text and parsed back
 * (the two took ~40 % of an analysis's CPU). The text path (guest_line.c) stays the owner of what the
 * events mean: an event is decoded here only when its format has every field the text would show with
 * the same value, and anything else (another event, a field missing or out of the record, a value the
 * text parser would refuse) is handed to the text path, which takes it or names what is wrong. The two
 * must agree on every event: `vqscope-tracedump guest FILE --check-decoder` decodes a stream both ways.
 */
#ifndef VQSCOPE_ANALYSIS_GUEST_RECORD_H
#define VQSCOPE_ANALYSIS_GUEST_RECORD_H

#include "guest_trace.h"

#include <stdbool.h>

struct tep_handle;
struct tep_event;
struct tep_record;

typedef struct vq_guest_decoder vq_guest_decoder;

/* A decoder for TEP's events (it keeps a look-up per event format, filled as they are first met);
 * COUNTER_CLOCK: the stream's timestamps are TSC cycles (x86-tsc), else nanoseconds. NULL: no memory. */
vq_guest_decoder *vq_guest_decoder_new(struct tep_handle *tep, bool counter_clock);
/* EVENT from RECORD (on CPU) of format FORMAT, as vq_guest_trace_parse_line would have made it from the
 * record's text line (ftrace's column as that line shows it; the caller converts TSC cycles and numbers
 * the line). False: not one decoded here, the caller goes through the text. */
bool vq_guest_decoder_take(vq_guest_decoder *decoder, struct tep_event *format, struct tep_record *record,
                           uint32_t cpu, vq_guest_event *event);
void vq_guest_decoder_free(vq_guest_decoder *decoder);

/* Whether A and B say the same, member by member (what --check-decoder compares). */
bool vq_guest_event_equal(const vq_guest_event *a, const vq_guest_event *b);

#endif
