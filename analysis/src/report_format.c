// SPDX-License-Identifier: GPL-2.0-or-later
/* Number and table formatting shared by the reporters (report_format.h). */
#include "report_format.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double vq_us(double ns)
{
    return ns / 1000.0;
}

void vq_json_number(FILE *out, double value)
{
    if (isnan(value)) {
        fputs("null", out);
    } else {
        fprintf(out, "%.1f", value);
    }
}

void vq_json_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (; *text; text++) {
        if (*text == '"' || *text == '\\') {
            fprintf(out, "\\%c", *text);
        } else if ((unsigned char)*text < 0x20) {
            fprintf(out, "\\u%04x", *text);
        } else {
            fputc(*text, out);
        }
    }
    fputc('"', out);
}

void vq_text_summary(FILE *out, const char *name, const vq_summary *s)
{
    if (s->count == 0) {
        fprintf(out, "  %-15s %7s\n", name, "0");
        return;
    }
    fprintf(out, "  %-15s %7zu %10.1f %10.1f %10.1f %10.1f %10.1f %6zu\n", name, s->count, vq_us(s->mean),
            vq_us(s->p50), vq_us(s->p90), vq_us(s->p99), vq_us(s->p999), s->negative);
}

void vq_json_summary(FILE *out, const vq_summary *s)
{
    fprintf(out, "{\"count\": %zu, \"mean\": ", s->count);
    vq_json_number(out, s->mean);
    fputs(", \"p50\": ", out);
    vq_json_number(out, s->p50);
    fputs(", \"p90\": ", out);
    vq_json_number(out, s->p90);
    fputs(", \"p99\": ", out);
    vq_json_number(out, s->p99);
    fputs(", \"p99.9\": ", out);
    vq_json_number(out, s->p999);
    fprintf(out, ", \"negative\": %zu}", s->negative);
}

vq_summary vq_summary_of_copy(const int64_t *values, size_t count)
{
    int64_t *copy = malloc((count + 1) * sizeof(*copy));
    vq_summary s = { 0 };

    if (copy) {
        memcpy(copy, values, count * sizeof(*copy));
        s = vq_summarize(copy, count);
        free(copy);
    }
    return s;
}

void vq_json_optional(FILE *out, bool present, int64_t value)
{
    if (present) {
        fprintf(out, "%" PRId64, value);
    } else {
        fputs("null", out);
    }
}

const char *vq_offset_method_name(const vq_clock_offset *offset)
{
    return offset->method == VQ_OFFSET_TSC ? "tsc" : "causal";
}

static int compare_reason_count(const void *left, const void *right)
{
    const vq_exit_reason *a = left, *b = right;

    return (a->total < b->total) - (a->total > b->total);
}

/* Exit reasons sorted by count, in a copy (the session stays const). */
vq_exit_reason *vq_sorted_exits(const vq_session *session)
{
    vq_exit_reason *copy = malloc((session->exit_reason_count + 1) * sizeof(*copy));

    if (copy) {
        memcpy(copy, session->exits, session->exit_reason_count * sizeof(*copy));
        qsort(copy, session->exit_reason_count, sizeof(*copy), compare_reason_count);
    }
    return copy;
}

void vq_exit_label(char *buffer, size_t size, const vq_exit_reason *reason)
{
    const char *name = vq_exit_reason_name(reason->isa, reason->reason);

    if (name && (strstr(name, "_CR") || strcmp(name, "EXCEPTION") == 0)) {
        snprintf(buffer, size, "%s(0x%" PRIx32 ")", name, reason->reason);
    } else if (name) {
        snprintf(buffer, size, "%s", name);
    } else {
        snprintf(buffer, size, "0x%" PRIx32, reason->reason);
    }
}
