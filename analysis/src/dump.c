// SPDX-License-Identifier: GPL-2.0-or-later
#include "dump.h"

#include <inttypes.h>

void vq_dump_quoted(FILE *out, const char *text, size_t length)
{
    size_t i;

    fputc('"', out);
    for (i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];

        switch (c) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (c < 0x20 || c >= 0x7f) {
                fprintf(out, "\\x%02x", c);
            } else {
                fputc(c, out);
            }
        }
    }
    fputc('"', out);
}

void vq_dump_event(FILE *out, const vq_event *event)
{
    size_t i;

    fprintf(out, "%" PRIu64 " %s pid=", event->timestamp_ns, event->name);
    if (event->has_pid) {
        fprintf(out, "%" PRIu32, event->pid);
    } else {
        fputc('-', out);
    }
    for (i = 0; i < event->arg_count; i++) {
        const vq_arg *arg = &event->args[i];

        fprintf(out, " %s=", arg->name);
        switch (arg->type) {
        case VQ_ARG_U64:
            fprintf(out, "%" PRIu64, arg->value);
            break;
        case VQ_ARG_S64:
            fprintf(out, "%" PRId64, (int64_t)arg->value);
            break;
        case VQ_ARG_HEX:
            fprintf(out, "0x%" PRIx64, arg->value);
            break;
        case VQ_ARG_STRING:
            vq_dump_quoted(out, arg->string, arg->string_length);
            break;
        }
    }
    fputc('\n', out);
}
