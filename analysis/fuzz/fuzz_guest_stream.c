// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the guest's binary stream reader (guest.stream: ftrace pages decoded with
 * libtraceevent) on arbitrary bytes: every event through vq_guest_stream_next until the end or the first
 * error, both ways: read from its fields (guest_record.c, when it decodes it) and as its text line. Any
 * crash, sanitizer report or leak is a bug (ours, or libtraceevent's on input we let through unchecked).
 */
#include "guest_stream.h"
#include "guest_trace.h"

#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vq_guest_stream *stream = NULL;
    const char *line;
    vq_guest_event event;
    bool decoded;
    vq_guest_stream_state state;
    vq_error error;
    FILE *file = fuzz_input(data, size);

    if (!file || vq_guest_stream_open_file(file, "fuzz", &stream, &error) != VQ_OK) {
        goto end;
    }
    while (vq_guest_stream_next(stream, true, &event, &decoded, &line, &error) == VQ_OK) {
        fputs(line, sink);
        if (decoded) {
            fprintf(sink, "%d %llu\n", (int)event.type, (unsigned long long)event.ts_ns);
        }
    }
    state = vq_guest_stream_get_state(stream);
    fprintf(sink, "%d %lld\n", (int)state.finished, (long long)state.cut_at);
end:
    vq_guest_stream_close(stream);
    return 0;
}
