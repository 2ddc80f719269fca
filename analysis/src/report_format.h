/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Formatting shared by the reporters: microseconds for people, JSON numbers (one decimal, null for NaN)
 * and strings, a stage summary as a text row or a JSON object, exit reasons by count and their labels.
 */
#ifndef VQSCOPE_ANALYSIS_REPORT_FORMAT_H
#define VQSCOPE_ANALYSIS_REPORT_FORMAT_H

#include "session.h"
#include "stats.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

double vq_us(double ns);
void vq_json_number(FILE *out, double value);
void vq_json_string(FILE *out, const char *text);
/* "  NAME  count mean p50 p90 p99 p99.9 neg" in us, of a summary. */
void vq_text_summary(FILE *out, const char *name, const vq_summary *s);
void vq_json_summary(FILE *out, const vq_summary *s);
/* The summary of a copy of VALUES (VALUES untouched). */
vq_summary vq_summary_of_copy(const int64_t *values, size_t count);
/* VALUE, or null when not PRESENT. */
void vq_json_optional(FILE *out, bool present, int64_t value);

/* "tsc" or "causal": how the session's clock offset was found. */
const char *vq_offset_method_name(const vq_clock_offset *offset);
/* The session's exit reasons sorted by count, in a copy to free (NULL when out of memory). */
vq_exit_reason *vq_sorted_exits(const vq_session *session);
/* "NPF", "WRITE_CR3(0x...)" or the code in hex. */
void vq_exit_label(char *buffer, size_t size, const vq_exit_reason *reason);

#endif
