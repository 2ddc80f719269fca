// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the guest trace reader (ftrace text with `# device-bar:` header lines) on
 * arbitrary bytes: every line through vq_guest_trace_next until the end or the first error, and the
 * BAR table it collected. Any crash, sanitizer report or leak is a bug.
 */
#include "guest_trace.h"

#include "fuzz_input.h"

#include <inttypes.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vq_guest_trace *reader = NULL;
    const vq_guest_bar *bars;
    vq_guest_event event;
    vq_error error;
    size_t bar_count;
    FILE *stream;

    stream = fuzz_input(data, size);
    if (!stream || vq_guest_trace_open_stream(stream, "fuzz", &reader, &error) != VQ_OK) {
        goto end;
    }
    while (vq_guest_trace_next(reader, &event, &error) == VQ_OK) {
        fprintf(sink, "%d %" PRIu64 " %" PRIu64 " %u %" PRIu64 " %" PRIu64 "\n", (int)event.type, event.ts_ns,
                event.id, event.vq, event.id_last, event.line);
    }
    bar_count = vq_guest_trace_bars(reader, &bars);
    for (size_t i = 0; i < bar_count; i++) {
        fprintf(sink, "%u %" PRIx64 " %" PRIx64 "\n", bars[i].bar, bars[i].start, bars[i].end);
    }
end:
    vq_guest_trace_close(reader);
    return 0;
}
