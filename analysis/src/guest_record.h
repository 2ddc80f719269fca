/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest stream's records of the events the analyzer reads most (the xblk driver's five tracepoints,
 * raw_syscalls, block_bio_queue, block_rq_issue/complete: ~99 % of a session's events) taken into a
 * vq_guest_event straight from their fields, instead of being printed as ftrace text and parsed back
 * (the two took ~75 % of an analysis's CPU). The text path (guest_line.c) stays the owner of what the
 * events mean: an event is decoded here only when its format has the fields the text parser reads, and
 * anything else (another event, a field missing or out of the record, a value the text parser would
 * refuse) is handed to the text path, which takes it or names what is wrong. And a format is decoded
 * from its fields only once its first record decoded so is what the text parser makes of its line
 * (vq_guest_decoder_agreed, by the stream's reader): a kernel whose print format the parser does not
 * read (another layout of block_rq_complete, say) goes through the text, as before. The two must agree
 * on every event: `vqscope-tracedump guest FILE --check-decoder` reads a stream both ways.
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
 * the line). False: not one decoded here, the caller goes through the text. *AGREED: the format's first
 * record was checked against its text and agreed; when false the caller checks this one and says how
 * it went (vq_guest_decoder_agreed). */
bool vq_guest_decoder_take(vq_guest_decoder *decoder, struct tep_event *format, struct tep_record *record,
                           uint32_t cpu, vq_guest_event *event, bool *agreed);
/* FORMAT's record decoded from its fields was (AGREED) or was not what its text line parses to: from now
 * on its records are decoded without a check, or always go through the text. */
void vq_guest_decoder_agreed(vq_guest_decoder *decoder, struct tep_event *format, bool agreed);
void vq_guest_decoder_free(vq_guest_decoder *decoder);

/* Whether A and B say the same, member by member (what --check-decoder compares). */
bool vq_guest_event_equal(const vq_guest_event *a, const vq_guest_event *b);

#endif
