// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vqscope-tracedump: print every event of a QEMU trace (simpletrace file or LTTng CTF directory) or of
 * the guest's binary stream (guest.stream), one line each, then a summary line. Only option parsing and wiring here: readers in simpletrace.c /
 * ctf.c, ordering in reorder.c, formatting in dump.c.
 *
 * Exit status: 0 all read; 1 malformed or unreadable input (the events read before the error are
 * printed, then the summary, then the error on stderr); 2 usage error.
 */
#include "ctf.h"
#include "dump.h"
#include "guest_record.h"
#include "guest_stream.h"
#include "reorder.h"
#include "simpletrace.h"
#include "trace_events.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_INPUT_ERROR 1
#define EXIT_USAGE 2
#define EXIT_DECODER_DIFFERS 3

static const char usage_text[] =
    "usage: vqscope-tracedump simple FILE --events TRACE_EVENTS_ALL [--sorted [--window N]] [--count]\n"
    "       vqscope-tracedump ctf DIR [--count]\n"
    "       vqscope-tracedump guest FILE [--count | --check-decoder]\n"
    "\n"
    "Prints one line per event (simple, ctf: <timestamp_ns> <name> pid=<pid> arg=value ...), then a\n"
    "summary line starting with '#'. Their timestamps are host CLOCK_MONOTONIC ns.\n"
    "\n"
    "  simple FILE        QEMU simple trace backend file (format version 4, QEMU 10.0)\n"
    "  ctf DIR            CTF trace directory written by LTTng for QEMU's ust backend\n"
    "  guest FILE         the guest's binary event stream (guest.stream): its events as the guest's\n"
    "                     ftrace text ('TASK-PID [CPU] ..... TIMESTAMP: EVENT: FIELDS'), the CPUs merged\n"
    "                     in timestamp order (the guest's trace clock: x86-tsc cycles or s.us)\n"
    "  -e, --events PATH  trace-events-all of the QEMU build that wrote FILE (argument types)\n"
    "  -s, --sorted       timestamp order instead of file order (simple; CTF is always sorted)\n"
    "  -w, --window N     events held to reorder with --sorted (default 16384); an event older than\n"
    "                     the window allows is printed late and reported on stderr\n"
    "  -c, --count        decode every event but print only the summary line (ingest benchmark)\n"
    "      --check-decoder\n"
    "                     guest: read each event both ways the analyzer can, from its fields and from\n"
    "                     its text line, and print only where the two disagree, then a summary line\n"
    "                     (events decoded from their fields, per type, and how many differ)\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 ok, 1 malformed or unreadable input (after printing what could be read), 2 usage,\n"
    "3 --check-decoder found events the two ways read differently.\n"
    "\n"
    "EXAMPLES\n"
    "  vqscope-tracedump simple qemu.trace --events .cache/qemu/build/trace/trace-events-all --sorted\n"
    "  vqscope-tracedump ctf session/lttng\n"
    "  vqscope-tracedump guest session/guest.stream\n";

typedef struct {
    const char *format;   /* "simple" or "ctf" */
    const char *input;
    const char *events_path;
    bool sorted;
    bool count_only;      /* decode and count, print nothing per event */
    bool check_decoder;   /* guest: compare the field decoder with the text parser on every event */
    size_t window;
} options;

static int usage_error(const char *message)
{
    fprintf(stderr, "vqscope-tracedump: %s\n%s", message, usage_text);
    return EXIT_USAGE;
}

static int parse_options(int argc, char **argv, options *parsed)
{
    static const struct option long_options[] = {
        { "events", required_argument, NULL, 'e' },
        { "sorted", no_argument, NULL, 's' },
        { "window", required_argument, NULL, 'w' },
        { "count", no_argument, NULL, 'c' },
        { "check-decoder", no_argument, NULL, 'D' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int option;

    *parsed = (options){ .window = VQ_REORDER_DEFAULT_WINDOW };
    while ((option = getopt_long(argc, argv, "e:sw:ch", long_options, NULL)) != -1) {
        char *end = NULL;

        switch (option) {
        case 'e':
            parsed->events_path = optarg;
            break;
        case 's':
            parsed->sorted = true;
            break;
        case 'w':
            errno = 0;
            parsed->window = (size_t)strtoull(optarg, &end, 10);
            if (errno || !end || *end || parsed->window == 0 || optarg[0] == '-') {
                return usage_error("--window: expected a positive number of events");
            }
            break;
        case 'c':
            parsed->count_only = true;
            break;
        case 'D':
            parsed->check_decoder = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        default:
            return usage_error("unknown option");
        }
    }
    if (argc - optind != 2) {
        return usage_error("expected a format (simple or ctf) and one input");
    }
    parsed->format = argv[optind];
    parsed->input = argv[optind + 1];
    if (strcmp(parsed->format, "simple") == 0) {
        if (!parsed->events_path) {
            return usage_error("simple: --events TRACE_EVENTS_ALL is required (argument types)");
        }
    } else if (strcmp(parsed->format, "ctf") == 0 || strcmp(parsed->format, "guest") == 0) {
        if (parsed->events_path) {
            return usage_error("ctf, guest: --events does not apply (the input describes its events)");
        }
    } else {
        return usage_error("unknown format; expected 'simple', 'ctf' or 'guest'");
    }
    if (parsed->check_decoder && (strcmp(parsed->format, "guest") != 0 || parsed->count_only)) {
        return usage_error("--check-decoder: only for a guest stream, and not with --count");
    }
    return 0;
}

/* Prints SOURCE's events, or with --count only reads them; VQ_OK at the end of the input, else the error. */
static vq_status print_events(vq_event_source source, bool count_only, vq_error *error)
{
    vq_status status;
    vq_event event;

    while ((status = source.next(source.source, &event, error)) == VQ_OK) {
        if (!count_only) {
            vq_dump_event(stdout, &event);
        }
    }
    return status == VQ_END ? VQ_OK : status;
}

/* The events of a simple trace, then its summary line; VQ_OK, or the first error with ERROR set. */
static vq_status dump_simple(const options *parsed, vq_error *error)
{
    vq_status status;
    vq_trace_events *catalog = NULL;
    vq_simpletrace *reader = NULL;
    vq_reorder *reorder = NULL;
    vq_simpletrace_counts counts;

    status = vq_trace_events_load(parsed->events_path, &catalog, error);
    if (status != VQ_OK) {
        goto end;
    }
    status = vq_simpletrace_open(parsed->input, catalog, &reader, error);
    if (status != VQ_OK) {
        goto end;
    }
    if (parsed->sorted) {
        status = vq_reorder_create(vq_simpletrace_source(reader), parsed->window, &reorder, error);
        if (status != VQ_OK) {
            goto end;
        }
    }
    status = print_events(reorder ? vq_reorder_source(reorder) : vq_simpletrace_source(reader), parsed->count_only,
                          error);
    counts = vq_simpletrace_get_counts(reader);
    printf("# simple %s: events=%" PRIu64 " mappings=%" PRIu64 " dropped_records=%" PRIu64
           " dropped_events=%" PRIu64 " order=%s", parsed->input, counts.events, counts.mappings,
           counts.dropped_records, counts.dropped_events, reorder ? "timestamp" : "file");
    if (reorder) {
        printf(" window=%zu late=%" PRIu64, parsed->window, vq_reorder_late_count(reorder));
    }
    printf(" status=%s\n", status == VQ_OK ? "ok" : "error");
    if (reorder && vq_reorder_late_count(reorder) > 0) {
        fprintf(stderr, "vqscope-tracedump: warning: %" PRIu64 " events out of order; first: %s\n",
                vq_reorder_late_count(reorder), vq_reorder_late_message(reorder));
    }
end:
    vq_reorder_free(reorder);
    vq_simpletrace_close(reader);
    vq_trace_events_free(catalog);
    return status;
}

/* The events of a guest stream as ftrace text, then its summary line; VQ_OK, or the first error. */
static vq_status dump_guest(const options *parsed, vq_error *error)
{
    vq_guest_stream *stream = NULL;
    vq_status status = vq_guest_stream_open(parsed->input, &stream, error);
    uint64_t events = 0;
    const char *line;
    vq_guest_stream_state state;

    if (status != VQ_OK) {
        return status;
    }
    while ((status = vq_guest_stream_next_line(stream, &line, error)) == VQ_OK) {
        events++;
        if (!parsed->count_only) {
            fputs(line, stdout);
        }
    }
    status = status == VQ_END ? VQ_OK : status;
    state = vq_guest_stream_get_state(stream);
    printf("# guest %s: events=%" PRIu64 " overrun=%" PRIu64 " missed=%" PRIu64 " finished=%s status=%s\n",
           parsed->input, events, state.overrun, state.missed, state.finished ? "yes" : "no",
           status == VQ_OK ? "ok" : "error");
    if (state.cut_at >= 0) {
        fprintf(stderr, "vqscope-tracedump: warning: %s: cut at offset %" PRId64 " (an unfinished section, left "
                "out): the events before it are printed\n", parsed->input, state.cut_at);
    } else if (!state.finished) {
        fprintf(stderr, "vqscope-tracedump: warning: %s: no end section (the guest's streamer did not stop)\n",
                parsed->input);
    }
    vq_guest_stream_close(stream);
    return status;
}

/* One reading of an event, on one line after HOW. */
static void print_guest_event(const char *how, const vq_guest_event *event)
{
    printf("  %-6s type=%s ts_ns=%" PRIu64 " pid=%" PRIu32 " cpu=%" PRIu32 " id=%" PRIu64 " vq=%" PRIu32
           " id_last=%" PRIu64 " num_free=%" PRIu32 " notified=%d status=%" PRIu32 " stock=%d sector=%" PRIu64
           " sectors=%" PRIu32 " write=%d hold=%" PRIu64 "..%" PRIu64 " block=%" PRIu64 "+%" PRIu32 " sys_nr=%" PRIu32
           " args=%" PRIx64 ",%" PRIx64 ",%" PRIx64 ",%" PRIx64 " ret=%" PRId64 " column=%" PRIu64 "%s%s\n", how,
           vq_guest_type_name(event->type), event->ts_ns, event->pid, event->cpu, event->id, event->vq,
           event->id_last, event->num_free, event->notified, event->status, event->stock, event->sector,
           event->sectors, event->write, event->hold_start_ns, event->hold_end_ns, event->block, event->nblocks,
           event->sys_nr, event->sys_args[0], event->sys_args[1], event->sys_args[2], event->sys_args[3],
           event->sys_ret, event->column_ns, event->column_tsc ? " ts_in_cycles" : "",
           event->column_is_tsc ? " column_in_cycles" : "");
}

/* --check-decoder: every event of a guest stream read from its fields (when the decoder takes it) and
 * parsed from its text line, compared; the first events that differ printed, then the summary line.
 * *DIFFERING: how many differ. VQ_OK, or the first error. */
static vq_status check_guest_decoder(const options *parsed, uint64_t *differing, vq_error *error)
{
    vq_guest_stream *stream = NULL;
    vq_status status = vq_guest_stream_open(parsed->input, &stream, error);
    uint64_t events = 0, decoded_count = 0, by_type[VQ_GUEST_TYPE_COUNT] = { 0 };
    size_t t;

    *differing = 0;
    if (status != VQ_OK) {
        return status;
    }
    for (;;) {
        vq_guest_event fields, text;
        bool decoded, is_event, is_bar;
        vq_guest_bar bar;
        const char *line, *why;

        status = vq_guest_stream_next(stream, true, &fields, &decoded, &line, error);
        if (status != VQ_OK) {
            break;
        }
        events++;
        if (!decoded) {
            continue;
        }
        decoded_count++;
        by_type[fields.type < VQ_GUEST_TYPE_COUNT ? fields.type : 0]++;
        if (vq_guest_trace_parse_line(line, &is_event, &text, &is_bar, &bar, &why) == VQ_OK && is_event &&
            vq_guest_event_equal(&fields, &text)) {
            continue;
        }
        if (++*differing <= 10) {
            printf("differs: event %" PRIu64 ": %s", events, line);
            print_guest_event("fields", &fields);
            if (is_event) {
                print_guest_event("text", &text);
            } else {
                printf("  text   %s\n", why ? why : "not an event");
            }
        }
    }
    status = status == VQ_END ? VQ_OK : status;
    printf("# decoder %s: events=%" PRIu64 " decoded=%" PRIu64 " differing=%" PRIu64, parsed->input, events,
           decoded_count, *differing);
    for (t = 0; t < VQ_GUEST_TYPE_COUNT; t++) {
        if (by_type[t]) {
            printf(" %s=%" PRIu64, vq_guest_type_name((vq_guest_type)t), by_type[t]);
        }
    }
    printf(" status=%s\n", status == VQ_OK ? "ok" : "error");
    vq_guest_stream_close(stream);
    return status;
}

/* The events of a CTF trace, then its summary line; VQ_OK, or the first error with ERROR set. */
static vq_status dump_ctf(const options *parsed, vq_error *error)
{
    vq_status status;
    vq_ctf *reader = NULL;
    vq_ctf_counts counts;
    vq_ctf_clock_info clock;

    status = vq_ctf_open(parsed->input, &reader, error);
    if (status != VQ_OK) {
        goto end;
    }
    status = print_events(vq_ctf_source(reader), parsed->count_only, error);
    counts = vq_ctf_get_counts(reader);
    clock = vq_ctf_clock(reader);
    printf("# ctf %s: events=%" PRIu64 " discarded_events=%" PRIu64, parsed->input, counts.events,
           counts.discarded_events);
    if (clock.known) {
        printf(" clock=%s frequency_hz=%" PRIu64 " offset_ns=%" PRId64, clock.name, clock.frequency_hz,
               clock.offset_ns);
    }
    printf(" order=timestamp status=%s\n", status == VQ_OK ? "ok" : "error");
end:
    vq_ctf_close(reader);
    return status;
}

int main(int argc, char **argv)
{
    options parsed;
    int exit_code = parse_options(argc, argv, &parsed);
    vq_status status;
    vq_error error;
    uint64_t differing = 0;

    if (exit_code != 0) {
        return exit_code;
    }
    /* Millions of short lines: write them in large blocks (stdio's default is one page). */
    setvbuf(stdout, NULL, _IOFBF, 1 << 20);
    vq_error_clear(&error);
    if (strcmp(parsed.format, "simple") == 0) {
        status = dump_simple(&parsed, &error);
    } else if (strcmp(parsed.format, "guest") == 0) {
        status = parsed.check_decoder ? check_guest_decoder(&parsed, &differing, &error) : dump_guest(&parsed, &error);
    } else {
        status = dump_ctf(&parsed, &error);
    }
    /* The error comes after every line that could be read. */
    fflush(stdout);
    if (status != VQ_OK) {
        fprintf(stderr, "vqscope-tracedump: error: %s\n", error.message);
    }
    if (status == VQ_OK && differing) {
        fprintf(stderr, "vqscope-tracedump: error: %s: %" PRIu64 " events read differently from their fields than "
                "from their text\n", parsed.input, differing);
        return EXIT_DECODER_DIFFERS;
    }
    return status == VQ_OK ? 0 : status == VQ_ERR_USAGE ? EXIT_USAGE : EXIT_INPUT_ERROR;
}
