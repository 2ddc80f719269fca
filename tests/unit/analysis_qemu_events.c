// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every event of device/qemu-events.list (as the analyzer was built with it: qemu_events.h) must be
 * declared in a QEMU build's trace-events-all, read with the analyzer's own trace-events reader.
 *
 *   analysis_qemu_events TRACE_EVENTS
 *
 * Prints one line per event missing from TRACE_EVENTS, naming the list's line; exit 0 when none is
 * missing, 1 when some are (or TRACE_EVENTS cannot be read), 2 on a usage error.
 */
#include "qemu_events.h"
#include "trace_events.h"

#include <stdio.h>

typedef struct {
    const char *name;
    int line;   /* in the list, for the message */
} listed_event;

#define LISTED_EVENT(constant, name, line) { name, line },
static const listed_event listed[] = { VQ_QEMU_EVENTS(LISTED_EVENT) };
#undef LISTED_EVENT

int main(int argc, char **argv)
{
    vq_trace_events *catalog = NULL;
    vq_error error;
    size_t i, missing = 0;
    int exit_code = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: analysis_qemu_events TRACE_EVENTS\n");
        return 2;
    }
    vq_error_clear(&error);
    if (vq_trace_events_load(argv[1], &catalog, &error) != VQ_OK) {
        fprintf(stderr, "%s\n", error.message);
        goto end;
    }
    for (i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
        if (!vq_trace_events_find(catalog, listed[i].name)) {
            printf("%s:%d: %s is not declared in %s\n", VQ_QEMU_EVENTS_LIST, listed[i].line, listed[i].name,
                   argv[1]);
            missing++;
        }
    }
    printf("%zu of %zu listed events declared in %s\n", sizeof(listed) / sizeof(listed[0]) - missing,
           sizeof(listed) / sizeof(listed[0]), argv[1]);
    exit_code = missing ? 1 : 0;
end:
    vq_trace_events_free(catalog);
    return exit_code;
}
