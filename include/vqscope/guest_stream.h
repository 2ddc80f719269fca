/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's binary event stream (guest.stream in a session directory): ftrace's per-CPU ring-buffer
 * pages as the guest kernel wrote them, with what a reader needs to decode them (the page header's
 * layout, the events' format files, the trace clock, the task names). Written in the guest by
 * guest-driver/user/trace-stream.c to a virtio-serial port while the workload runs; QEMU's chardev
 * puts it in the session directory; read by analysis/src/guest_stream.c with libtraceevent (the
 * format trace-cmd reads). This header is the format's one definition; bin/SESSION-FORMAT.md describes it.
 *
 * Layout, little-endian: one vq_gstream_header, then sections, each a vq_gstream_section and `length`
 * bytes of payload, to the end of the stream:
 *   VQ_GSTREAM_HEADER_PAGE  events/header_page (text): the layout of a page's header
 *   VQ_GSTREAM_CLOCK        trace_clock (text, e.g. "[x86-tsc] mono ..."): the clock of the timestamps
 *   VQ_GSTREAM_FORMAT       "SYSTEM/EVENT\n" then events/SYSTEM/EVENT/format (text), once per event
 *   VQ_GSTREAM_PAGE         one page (page_size bytes) of CPU `cpu`'s ring buffer, in read order
 *   VQ_GSTREAM_CMDLINES     saved_cmdlines (text: "PID COMM" lines), at the end
 *   VQ_GSTREAM_END          "cpu=N overrun=X\n" lines; the last section of a stream that finished
 * The pages of one CPU come in the order read; pages of different CPUs interleave in any order.
 */
#ifndef VQSCOPE_GUEST_STREAM_H
#define VQSCOPE_GUEST_STREAM_H

#include <stdint.h>

#define VQ_GSTREAM_MAGIC "vqsgstr\n"
#define VQ_GSTREAM_MAGIC_SIZE 8
#define VQ_GSTREAM_VERSION 1
/* the virtio-serial port's name (QEMU: -device virtserialport,name=...) */
#define VQ_GSTREAM_PORT_NAME "vqscope.trace"

struct vq_gstream_header {
	char magic[VQ_GSTREAM_MAGIC_SIZE];
	uint32_t version;
	uint32_t page_size;   /* bytes of every VQ_GSTREAM_PAGE payload */
	uint32_t cpus;        /* CPUs whose ring buffers the stream carries: 0 .. cpus-1 */
	uint32_t long_size;   /* the guest kernel's sizeof(long): the page header's commit field */
};

enum vq_gstream_type {
	VQ_GSTREAM_HEADER_PAGE = 1,
	VQ_GSTREAM_CLOCK = 2,
	VQ_GSTREAM_FORMAT = 3,
	VQ_GSTREAM_PAGE = 4,
	VQ_GSTREAM_CMDLINES = 5,
	VQ_GSTREAM_END = 6,
};

struct vq_gstream_section {
	uint32_t type;        /* enum vq_gstream_type */
	uint32_t cpu;         /* VQ_GSTREAM_PAGE: the page's CPU; 0 otherwise */
	uint64_t length;      /* bytes of payload that follow */
};

/* the largest payload a reader accepts (a format file, saved_cmdlines, a page) */
#define VQ_GSTREAM_MAX_PAYLOAD (1u << 20)

#endif
