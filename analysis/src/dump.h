/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Text reporter for events: one line each, `<ts_ns> <name> pid=<pid> arg=value ...`. */
#ifndef VQSCOPE_ANALYSIS_DUMP_H
#define VQSCOPE_ANALYSIS_DUMP_H

#include "event.h"

/*
 * Values: unsigned in decimal, signed in decimal with '-', pointers/hex fields as 0x..., strings in
 * double quotes with C escapes (\" \\ \n \t \xHH) so that one event stays one line. pid=- when the
 * trace did not record it.
 */
void vq_dump_event(FILE *out, const vq_event *event);
void vq_dump_quoted(FILE *out, const char *text, size_t length);

#endif
