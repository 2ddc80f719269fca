// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the simpletrace reader (file order, then through a small reorder window) and the
 * text reporter, on arbitrary bytes. Argument types come from the fixtures' trace-events (which has
 * string, signed, unsigned and pointer arguments). Any crash, sanitizer report or leak is a bug.
 */
#include "dump.h"
#include "reorder.h"
#include "simpletrace.h"
#include "trace_events.h"

#include "fuzz_input.h"

#include <stdlib.h>

static vq_trace_events *catalog;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    vq_error error;

    (void)argc;
    (void)argv;
    if (vq_trace_events_load(FIXTURES "/trace-events", &catalog, &error) != VQ_OK) {
        fprintf(stderr, "fuzz_simpletrace: %s\n", error.message);
        abort();
    }
    sink = fopen("/dev/null", "w");
    return 0;
}

static void read_everything(const uint8_t *data, size_t size, bool sorted)
{
    vq_simpletrace *reader = NULL;
    vq_reorder *reorder = NULL;
    vq_error error;
    vq_event event;
    vq_event_source source;
    FILE *stream = fmemopen((void *)data, size, "rb");

    if (!stream || vq_simpletrace_open_stream(stream, "fuzz", catalog, &reader, &error) != VQ_OK) {
        goto end;
    }
    if (sorted && vq_reorder_create(vq_simpletrace_source(reader), 4, &reorder, &error) != VQ_OK) {
        goto end;
    }
    source = reorder ? vq_reorder_source(reorder) : vq_simpletrace_source(reader);
    while (source.next(source.source, &event, &error) == VQ_OK) {
        vq_dump_event(sink, &event);
    }
end:
    vq_reorder_free(reorder);
    vq_simpletrace_close(reader);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;  /* fmemopen refuses an empty buffer */
    }
    read_everything(data, size, false);
    read_everything(data, size, true);
    return 0;
}
