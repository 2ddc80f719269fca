/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Timestamp-order merge of an event stream that is only nearly sorted, in bounded memory.
 *
 * Why: QEMU's simple backend takes the timestamp (get_clock()) before it reserves its slot in the
 * shared trace buffer, so a thread preempted between the two lands after records of other threads
 * stamped later; and its "dropped" record is stamped when the writer thread flushes, then written
 * before the older records still in the buffer. The file order is therefore not timestamp order.
 *
 * Choice: a min-heap of at most WINDOW events (owned copies; the names borrowed from a source with
 * stable_names), keyed by (timestamp, arrival number) so
 * that equal timestamps keep file order; the events that arrive in order wait in a FIFO beside it
 * instead (the same events held, the same order out, without the heap's log(WINDOW) per event). An event is released when the heap is full or the input
 * ended. Memory is WINDOW events, whatever the file size. An event that arrives older than one
 * already released cannot be put in order any more: it is released next (out of order), counted as
 * late, and the first one is described (vq_reorder_late_message) so the caller can warn and suggest a
 * larger window. Output is exactly sorted whenever no event is late.
 */
#ifndef VQSCOPE_ANALYSIS_REORDER_H
#define VQSCOPE_ANALYSIS_REORDER_H

#include "event.h"

#define VQ_REORDER_DEFAULT_WINDOW 16384

typedef struct vq_reorder vq_reorder;

vq_status vq_reorder_create(vq_event_source source, size_t window, vq_reorder **out, vq_error *error);
/* Like a reader's next(): the event is valid until the next call. Errors from the source pass through
 * once the events read before them have been released in order. */
vq_status vq_reorder_next(vq_reorder *reorder, vq_event *event, vq_error *error);
/* The sorted events as a source in their turn, under the input's name; no position (a released event
 * comes from anywhere in the window). */
vq_event_source vq_reorder_source(vq_reorder *reorder);
uint64_t vq_reorder_late_count(const vq_reorder *reorder);
/* Empty while nothing was late. */
const char *vq_reorder_late_message(const vq_reorder *reorder);
void vq_reorder_free(vq_reorder *reorder);

#endif
