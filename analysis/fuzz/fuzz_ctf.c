// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the CTF reader on an arbitrary data stream file. The input becomes the single
 * stream file of a trace whose metadata is the fixture's (ctf-demo, LTTng 2.13 + QEMU's ust events),
 * so the bytes reach babeltrace2's packet/event decoding and our conversion of what it returns.
 * babeltrace2 itself is not instrumented: coverage guides through our code and its return values.
 */
#include "ctf.h"
#include "dump.h"

#include "fuzz_input.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Under $TMPDIR (fuzz/run.sh points it into the build directory and removes it afterwards). */
static char trace_directory[4096];
static char stream_path[sizeof(trace_directory) + 32];

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buffer[8192];
    size_t got;

    if (!in || !out) {
        fprintf(stderr, "fuzz_ctf: cannot copy %s to %s\n", from, to);
        abort();
    }
    while ((got = fread(buffer, 1, sizeof(buffer), in)) > 0) {
        fwrite(buffer, 1, got, out);
    }
    fclose(in);
    fclose(out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char metadata[sizeof(trace_directory) + 32];

    const char *temporary = getenv("TMPDIR");

    (void)argc;
    (void)argv;
    snprintf(trace_directory, sizeof(trace_directory), "%s/vqscope-fuzz-ctf-XXXXXX",
             temporary && *temporary ? temporary : "/tmp");
    if (!mkdtemp(trace_directory)) {
        abort();
    }
    snprintf(metadata, sizeof(metadata), "%s/metadata", trace_directory);
    snprintf(stream_path, sizeof(stream_path), "%s/channel0_0", trace_directory);
    copy_file(FIXTURES "/ctf-demo/ust/uid/0/64-bit/metadata", metadata);
    sink = fopen("/dev/null", "w");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *stream = fopen(stream_path, "wb");
    vq_ctf *reader = NULL;
    vq_error error;
    vq_event event;

    if (!stream) {
        abort();
    }
    fwrite(data, 1, size, stream);
    fclose(stream);
    if (vq_ctf_open(trace_directory, &reader, &error) == VQ_OK) {
        while (vq_ctf_next(reader, &event, &error) == VQ_OK) {
            vq_dump_event(sink, &event);
        }
    }
    vq_ctf_close(reader);
    return 0;
}
