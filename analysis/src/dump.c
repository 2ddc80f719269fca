// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE  /* fwrite_unlocked: one writer per stream here */
#include "dump.h"

#include <inttypes.h>
#include <string.h>

/* Writes byte C as it stands between the quotes (1, 2 or 4 bytes at TO); returns how many. */
static size_t escape(unsigned char c, char *to)
{
    static const char hex[] = "0123456789abcdef";

    switch (c) {
    case '"':
    case '\\':
        to[0] = '\\';
        to[1] = (char)c;
        return 2;
    case '\n':
    case '\t':
        to[0] = '\\';
        to[1] = c == '\n' ? 'n' : 't';
        return 2;
    default:
        if (c < 0x20 || c >= 0x7f) {
            to[0] = '\\';
            to[1] = 'x';
            to[2] = hex[c >> 4];
            to[3] = hex[c & 15];
            return 4;
        }
        to[0] = (char)c;
        return 1;
    }
}

void vq_dump_quoted(FILE *out, const char *text, size_t length)
{
    char escaped[4];
    size_t i;

    fputc('"', out);
    for (i = 0; i < length; i++) {
        fwrite(escaped, 1, escape((unsigned char)text[i], escaped), out);
    }
    fputc('"', out);
}

/*
 * One event line is built in a local buffer with our own integer formatting and written with one
 * fwrite: printf's format parsing was 55 % of a 100 MB dump's time. The output is byte-for-byte
 * what the printf version wrote (the reader goldens check it).
 */
#define LINE_CAPACITY 4096
#define LINE_ROOM 64   /* the longest integer field, with its separator */

typedef struct {
    FILE *out;
    size_t used;
    char text[LINE_CAPACITY];
} line_buffer;

static void line_flush(line_buffer *line)
{
    fwrite_unlocked(line->text, 1, line->used, line->out);
    line->used = 0;
}

/* Makes room for SIZE more bytes (SIZE <= LINE_CAPACITY). */
static char *line_reserve(line_buffer *line, size_t size)
{
    if (LINE_CAPACITY - line->used < size) {
        line_flush(line);
    }
    return line->text + line->used;
}

/* Names are short: copied byte by byte into reserved room rather than strlen + memcpy. */
static void line_text(line_buffer *line, const char *text)
{
    while (*text) {
        char *to = line_reserve(line, LINE_ROOM);
        char *limit = to + LINE_ROOM;

        while (*text && to < limit) {
            *to++ = *text++;
        }
        line->used = (size_t)(to - line->text);
    }
}

/* Decimal and hexadecimal apart: a division by a constant compiles to a multiplication. */
static void line_decimal(line_buffer *line, uint64_t value)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char digits[24];
    size_t start = sizeof(digits);

    /* Two digits per division, written from the end. */
    while (value >= 100) {
        unsigned pair = (unsigned)(value % 100);

        value /= 100;
        start -= 2;
        memcpy(digits + start, pairs + 2 * pair, 2);
    }
    if (value >= 10) {
        start -= 2;
        memcpy(digits + start, pairs + 2 * value, 2);
    } else {
        digits[--start] = (char)('0' + value);
    }
    memcpy(line_reserve(line, LINE_ROOM), digits + start, sizeof(digits) - start);
    line->used += sizeof(digits) - start;
}

static void line_hex(line_buffer *line, uint64_t value)
{
    static const char digits[] = "0123456789abcdef";
    char reversed[24];
    size_t count = 0;
    char *to = line_reserve(line, LINE_ROOM);

    do {
        reversed[count++] = digits[value & 15];
        value >>= 4;
    } while (value);
    while (count) {
        *to++ = reversed[--count];
    }
    line->used = (size_t)(to - line->text);
}

static void line_char(line_buffer *line, char c)
{
    *line_reserve(line, 1) = c;
    line->used++;
}

/* vq_dump_quoted into the line buffer. */
static void line_quoted(line_buffer *line, const char *text, size_t length)
{
    size_t i;

    line_char(line, '"');
    for (i = 0; i < length; i++) {
        char *to = line_reserve(line, 4);   /* may flush: used changes */

        line->used += escape((unsigned char)text[i], to);
    }
    line_char(line, '"');
}

void vq_dump_event(FILE *out, const vq_event *event)
{
    line_buffer line;
    size_t i;

    line.out = out;
    line.used = 0;
    line_decimal(&line, event->timestamp_ns);
    line_char(&line, ' ');
    line_text(&line, event->name);
    line_text(&line, " pid=");
    if (event->has_pid) {
        line_decimal(&line, event->pid);
    } else {
        line_char(&line, '-');
    }
    for (i = 0; i < event->arg_count; i++) {
        const vq_arg *arg = &event->args[i];

        line_char(&line, ' ');
        line_text(&line, arg->name);
        line_char(&line, '=');
        switch (arg->type) {
        case VQ_ARG_U64:
            line_decimal(&line, arg->value);
            break;
        case VQ_ARG_S64:
            if ((int64_t)arg->value < 0) {
                line_char(&line, '-');
                line_decimal(&line, -arg->value);  /* unsigned negation: INT64_MIN too */
            } else {
                line_decimal(&line, arg->value);
            }
            break;
        case VQ_ARG_HEX:
            line_text(&line, "0x");
            line_hex(&line, arg->value);
            break;
        case VQ_ARG_STRING:
            line_quoted(&line, arg->string, arg->string_length);
            break;
        }
    }
    line_char(&line, '\n');
    line_flush(&line);
}
