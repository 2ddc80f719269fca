// SPDX-License-Identifier: GPL-2.0-or-later
/* vqscope analysis: status names, error messages, owned event copies. */
#include "event.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void vq_error_clear(vq_error *error)
{
    if (error) {
        error->message[0] = '\0';
    }
}

void vq_error_set(vq_error *error, const char *format, ...)
{
    va_list ap;

    if (!error) {
        return;
    }
    va_start(ap, format);
    vsnprintf(error->message, sizeof(error->message), format, ap);
    va_end(ap);
}

FILE *vq_open_input(const char *path, const char *mode, vq_error *error)
{
    FILE *file = fopen(path, mode);

    if (!file) {
        vq_error_set(error, "%s: cannot open: %s", path, strerror(errno));
    }
    return file;
}

bool vq_error_is_set(const vq_error *error)
{
    return error && error->message[0] != '\0';
}

const char *vq_status_name(vq_status status)
{
    switch (status) {
    case VQ_OK:
        return "ok";
    case VQ_END:
        return "end";
    case VQ_ERR_IO:
        return "I/O error";
    case VQ_ERR_FORMAT:
        return "malformed input";
    case VQ_ERR_NOMEM:
        return "out of memory";
    case VQ_ERR_USAGE:
        return "usage error";
    }
    return "unknown status";
}

/*
 * Layout of the single allocation: the vq_event, its vq_arg array, then every string (event name,
 * argument names, string values) NUL-terminated, so that one free() releases it all; with KEEP_NAMES the
 * names are the source's (its catalog's), only the string values are copied.
 */
vq_event *vq_event_clone_keeping_names(const vq_event *event, bool keep_names)
{
    size_t size = sizeof(vq_event) + event->arg_count * sizeof(vq_arg) + (keep_names ? 0 : strlen(event->name) + 1);
    vq_event *copy = NULL;
    vq_arg *args;
    char *cursor;
    size_t i;

    for (i = 0; i < event->arg_count; i++) {
        size += keep_names ? 0 : strlen(event->args[i].name) + 1;
        if (event->args[i].type == VQ_ARG_STRING) {
            size += (size_t)event->args[i].string_length + 1;
        }
    }
    copy = malloc(size);
    if (!copy) {
        goto end;
    }
    *copy = *event;
    args = (vq_arg *)(copy + 1);
    cursor = (char *)(args + event->arg_count);
    copy->args = args;

    if (!keep_names) {
        copy->name = strcpy(cursor, event->name);
        cursor += strlen(event->name) + 1;
    }
    for (i = 0; i < event->arg_count; i++) {
        const vq_arg *from = &event->args[i];

        args[i] = *from;
        if (!keep_names) {
            args[i].name = strcpy(cursor, from->name);
            cursor += strlen(from->name) + 1;
        }
        if (from->type == VQ_ARG_STRING) {
            memcpy(cursor, from->string, from->string_length);
            cursor[from->string_length] = '\0';
            args[i].string = cursor;
            cursor += (size_t)from->string_length + 1;
        } else {
            args[i].string = NULL;
        }
    }
end:
    return copy;
}

vq_event *vq_event_clone(const vq_event *event)
{
    return vq_event_clone_keeping_names(event, false);
}

void vq_event_free(vq_event *event)
{
    free(event);
}
