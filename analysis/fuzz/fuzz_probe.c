// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the host probe stream reader (probes/vqscope_probe.h) on arbitrary bytes, then the
 * text reporter on every event it yields and the header/counts accessors. The header's own sizes
 * (header_size, record_size) come from the input, so this reaches the size checks as well as the
 * record decoding. Any crash, sanitizer report or leak is a bug.
 */
#include "dump.h"
#include "probe.h"

#include "fuzz_input.h"

#include <inttypes.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vq_probe *reader = NULL;
    vq_error error;
    vq_event event;
    FILE *stream;

    stream = fuzz_input(data, size);
    if (!stream || vq_probe_open_stream(stream, "fuzz", &reader, &error) != VQ_OK) {
        goto end;
    }
    fprintf(sink, "%s\n", vq_probe_header(reader)->kernel_release);
    while (vq_probe_next(reader, &event, &error) == VQ_OK) {
        vq_dump_event(sink, &event);
        fprintf(sink, "%" PRIu64 "\n", vq_probe_record_offset(reader));
    }
    fprintf(sink, "%" PRIu64 " %s\n", vq_probe_get_counts(reader).records, vq_probe_warning(reader));
end:
    vq_probe_close(reader);
    return 0;
}
