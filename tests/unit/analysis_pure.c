// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the analysis library's pure parts: trace-events line parsing and type classes,
 * the reorder buffer, event copies, quoting, CTF names, the simpletrace decoder on records built in
 * memory, and the id map against a plain list. Exit 0 when all pass; each failure prints file:line and
 * the check.
 */
#include "containers.h"
#include "ctf.h"
#include "dump.h"
#include "reorder.h"
#include "simpletrace.h"
#include "trace_events.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static void test_classify_type(void)
{
    CHECK(vq_trace_events_classify_type("const char *") == VQ_ARG_STRING);
    CHECK(vq_trace_events_classify_type("const char*") == VQ_ARG_STRING);
    CHECK(vq_trace_events_classify_type("char *") == VQ_ARG_STRING);
    CHECK(vq_trace_events_classify_type("const char **") == VQ_ARG_HEX);
    CHECK(vq_trace_events_classify_type("void *") == VQ_ARG_HEX);
    CHECK(vq_trace_events_classify_type("VirtIODevice *") == VQ_ARG_HEX);
    CHECK(vq_trace_events_classify_type("int") == VQ_ARG_S64);
    CHECK(vq_trace_events_classify_type("int64_t") == VQ_ARG_S64);
    CHECK(vq_trace_events_classify_type("long  long") == VQ_ARG_S64);
    CHECK(vq_trace_events_classify_type("const int") == VQ_ARG_S64);
    CHECK(vq_trace_events_classify_type("unsigned int") == VQ_ARG_U64);
    CHECK(vq_trace_events_classify_type("uint64_t") == VQ_ARG_U64);
    CHECK(vq_trace_events_classify_type("size_t") == VQ_ARG_U64);
    CHECK(vq_trace_events_classify_type("bool") == VQ_ARG_U64);
}

static void test_parse_line(void)
{
    vq_event_decl decl;
    const char *why = NULL;
    bool is_event = true;

    CHECK(vq_trace_events_parse_line("# comment\n", &is_event, &decl, &why) == VQ_OK && !is_event);
    CHECK(vq_trace_events_parse_line("   \n", &is_event, &decl, &why) == VQ_OK && !is_event);

    CHECK(vq_trace_events_parse_line("virtqueue_pop(void *vq, void *elem, unsigned int in_num, "
                                     "unsigned int out_num) \"vq %p elem %p in_num %u out_num %u\"\n",
                                     &is_event, &decl, &why) == VQ_OK);
    CHECK(is_event && strcmp(decl.name, "virtqueue_pop") == 0 && decl.arg_count == 4);
    if (is_event && decl.arg_count == 4) {
        CHECK(strcmp(decl.args[0].name, "vq") == 0 && decl.args[0].type == VQ_ARG_HEX);
        CHECK(strcmp(decl.args[3].name, "out_num") == 0 && decl.args[3].type == VQ_ARG_U64);
        vq_event_decl_clear(&decl);
    }

    CHECK(vq_trace_events_parse_line("disable qxl_io_write_vga(int qid, const char *mode, uint32_t addr) "
                                     "\"%d %s addr=%u\"\n", &is_event, &decl, &why) == VQ_OK);
    CHECK(is_event && strcmp(decl.name, "qxl_io_write_vga") == 0 && decl.arg_count == 3);
    if (is_event && decl.arg_count == 3) {
        CHECK(decl.args[0].type == VQ_ARG_S64 && decl.args[1].type == VQ_ARG_STRING);
        CHECK(strcmp(decl.args[1].name, "mode") == 0);
        vq_event_decl_clear(&decl);
    }

    CHECK(vq_trace_events_parse_line("gdbstub_op_continue(void) \"Continuing all CPUs\"", &is_event, &decl,
                                     &why) == VQ_OK);
    CHECK(is_event && decl.arg_count == 0);
    if (is_event) {
        vq_event_decl_clear(&decl);
    }

    CHECK(vq_trace_events_parse_line("broken_event \"no parentheses\"\n", &is_event, &decl, &why) ==
          VQ_ERR_FORMAT && why != NULL);
    CHECK(vq_trace_events_parse_line("empty_args() \"x\"\n", &is_event, &decl, &why) == VQ_ERR_FORMAT);
    CHECK(vq_trace_events_parse_line("no_name_arg(int) \"x\"\n", &is_event, &decl, &why) == VQ_ERR_FORMAT);
    CHECK(vq_trace_events_parse_line("two_commas(int a,, int b) \"x\"\n", &is_event, &decl, &why) ==
          VQ_ERR_FORMAT);
}

/* A source of events from an array of timestamps, for the reorder buffer. */
typedef struct {
    const uint64_t *timestamps;
    size_t count;
    size_t next;
    uint64_t position;   /* index of the event last returned */
    vq_status final_status;
} array_source;

static const char tick_name[] = "tick";

static vq_status array_next(void *opaque, vq_event *event, vq_error *error)
{
    array_source *source = opaque;

    if (source->next == source->count) {
        if (source->final_status != VQ_END) {
            vq_error_set(error, "array: synthetic error");
        }
        return source->final_status;
    }
    *event = (vq_event){ .timestamp_ns = source->timestamps[source->next], .name = tick_name,
                         .pid = (uint32_t)source->next, .has_pid = true };
    source->position = source->next++;
    return VQ_OK;
}

/* Runs TIMESTAMPS through a reorder window; writes the output timestamps and returns how many. */
static size_t run_reorder(const uint64_t *timestamps, size_t count, size_t window, uint64_t *output,
                          uint32_t *pids, uint64_t *late, vq_status *final_status, vq_status source_end)
{
    array_source source = { timestamps, count, 0, 0, source_end };
    /* names the reader keeps (a catalog's) are kept by address in the copies, other names are copied:
     * both ways, by the window's parity */
    vq_event_source wrapped = { array_next, &source.position, &source, "array", .stable_names = window % 2 == 0 };
    vq_reorder *reorder = NULL;
    vq_error error;
    vq_event event;
    size_t produced = 0;

    vq_error_clear(&error);
    if (vq_reorder_create(wrapped, window, &reorder, &error) != VQ_OK) {
        return 0;
    }
    while ((*final_status = vq_reorder_next(reorder, &event, &error)) == VQ_OK) {
        output[produced] = event.timestamp_ns;
        pids[produced] = event.pid;
        CHECK(strcmp(event.name, "tick") == 0 && (event.name == tick_name) == wrapped.stable_names);
        produced++;
    }
    *late = vq_reorder_late_count(reorder);
    vq_reorder_free(reorder);
    return produced;
}

/* The window's rule itself, one event at a time: hold up to WINDOW, release the smallest (timestamp,
 * arrival) when full or at the end. Writes the arrival order of the releases. */
static void reorder_model(const uint64_t *timestamps, size_t count, size_t window, uint32_t *order)
{
    static size_t held[64];
    size_t held_count = 0, next = 0, out = 0, i, best;

    while (out < count) {
        while (next < count && held_count < window) {
            held[held_count++] = next++;
        }
        for (best = 0, i = 1; i < held_count; i++) {
            if (timestamps[held[i]] < timestamps[held[best]] ||
                (timestamps[held[i]] == timestamps[held[best]] && held[i] < held[best])) {
                best = i;
            }
        }
        order[out++] = (uint32_t)held[best];
        held[best] = held[--held_count];
    }
}

/* The buffer against its rule on random input: mostly in order, with ties, stragglers and a few events
 * far behind (late for small windows), for windows 1-40. */
static void test_reorder_model(void)
{
    enum { N = 400 };
    static uint64_t timestamps[N], output[N];
    static uint32_t pids[N], expected[N];
    unsigned long long state = 0x9e3779b97f4a7c15ULL;
    uint64_t t = 1000, late;
    vq_status final_status;
    size_t trial, i, wrong = 0, produced;

    for (trial = 0; trial < 60; trial++) {
        for (i = 0; i < N; i++) {
            check_random(&state);
            t += state % 4;                                        /* ties: a step of 0 */
            timestamps[i] = state % 10 == 0 ? t - state % 50      /* a straggler */
                            : state % 97 == 0 ? t - 2000 : t;      /* far behind */
        }
        reorder_model(timestamps, N, 1 + trial % 40, expected);
        produced = run_reorder(timestamps, N, 1 + trial % 40, output, pids, &late, &final_status, VQ_END);
        wrong += produced != N || final_status != VQ_END || memcmp(pids, expected, sizeof(expected)) != 0;
    }
    CHECK(wrong == 0);
}

static void test_reorder(void)
{
    static const uint64_t nearly[] = { 10, 30, 20, 40, 35, 50, 50, 45, 60 };
    static const uint64_t sorted[] = { 10, 20, 30, 35, 40, 45, 50, 50, 60 };
    static const uint64_t far[] = { 100, 200, 300, 400, 5 };
    uint64_t output[16], late = 0;
    uint32_t pids[16];
    vq_status final_status = VQ_OK;
    vq_error error;
    vq_reorder *reorder = NULL;
    size_t count;

    count = run_reorder(nearly, 9, 3, output, pids, &late, &final_status, VQ_END);
    CHECK(count == 9 && final_status == VQ_END && late == 0);
    CHECK(memcmp(output, sorted, sizeof(sorted)) == 0);
    CHECK(pids[6] == 5 && pids[7] == 6);  /* equal timestamps keep input order */

    /* Window 2 cannot bring 5 before four earlier-read events: it comes out as soon as it is read
     * (after 300, before 400), counted late. */
    count = run_reorder(far, 5, 2, output, pids, &late, &final_status, VQ_END);
    CHECK(count == 5 && late == 1 && output[2] == 300 && output[3] == 5 && output[4] == 400);
    /* A window as large as the input sorts it completely. */
    count = run_reorder(far, 5, 5, output, pids, &late, &final_status, VQ_END);
    CHECK(count == 5 && late == 0 && output[0] == 5 && output[4] == 400);

    /* A source error comes after the events read before it. */
    count = run_reorder(nearly, 4, 8, output, pids, &late, &final_status, VQ_ERR_FORMAT);
    CHECK(count == 4 && final_status == VQ_ERR_FORMAT && output[3] == 40);

    vq_error_clear(&error);
    CHECK(vq_reorder_create((vq_event_source){ array_next, NULL, NULL, "x", false }, 0, &reorder, &error) ==
          VQ_ERR_USAGE && reorder == NULL && vq_error_is_set(&error));
    test_reorder_model();
}

static void test_clone_and_dump(void)
{
    vq_arg args[3] = {
        { "vq", VQ_ARG_HEX, 0x55aa, NULL, 0 },
        { "delta", VQ_ARG_S64, (uint64_t)-3, NULL, 0 },
        { "why", VQ_ARG_STRING, 0, "a \"b\"\n\x01", 7 },
    };
    vq_event event = { 1234, "virtio_test", 42, true, 3, args };
    vq_event *copy = vq_event_clone(&event);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    CHECK(copy != NULL);
    if (!copy || !out) {
        return;
    }
    CHECK(copy->name != event.name && strcmp(copy->name, "virtio_test") == 0);
    CHECK(copy->args[2].string != args[2].string && memcmp(copy->args[2].string, args[2].string, 7) == 0);
    vq_dump_event(out, copy);
    copy->has_pid = false;
    copy->arg_count = 0;
    vq_dump_event(out, copy);
    fclose(out);
    CHECK(strcmp(text, "1234 virtio_test pid=42 vq=0x55aa delta=-3 why=\"a \\\"b\\\"\\n\\x01\"\n"
                       "1234 virtio_test pid=-\n") == 0);
    free(text);
    vq_event_free(copy);
}

static void test_ctf_names(void)
{
    CHECK(strcmp(vq_ctf_event_short_name("qemu:virtqueue_pop"), "virtqueue_pop") == 0);
    CHECK(strcmp(vq_ctf_event_short_name("lttng_ust_statedump:start"), "lttng_ust_statedump:start") == 0);
}

/* Little-endian writers for in-memory simpletrace files. */
static size_t put_u64(uint8_t *at, uint64_t value)
{
    memcpy(at, &value, 8);
    return 8;
}

static size_t put_u32(uint8_t *at, uint32_t value)
{
    memcpy(at, &value, 4);
    return 4;
}

static size_t put_mapping(uint8_t *at, uint64_t id, const char *name)
{
    size_t used = put_u64(at, 0);

    used += put_u64(at + used, id);
    used += put_u32(at + used, (uint32_t)strlen(name));
    memcpy(at + used, name, strlen(name));
    return used + strlen(name);
}

static size_t put_event_header(uint8_t *at, uint64_t id, uint64_t timestamp, uint32_t payload, uint32_t pid)
{
    size_t used = put_u64(at, 1);

    used += put_u64(at + used, id);
    used += put_u64(at + used, timestamp);
    used += put_u32(at + used, 24 + payload);
    used += put_u32(at + used, pid);
    return used;
}

static vq_status read_all(uint8_t *bytes, size_t size, vq_trace_events *catalog, vq_event *last,
                          size_t *events, char *last_name, uint64_t *last_value, vq_error *error)
{
    vq_simpletrace *reader = NULL;
    vq_status status = vq_simpletrace_open_stream(fmemopen(bytes, size, "rb"), "mem", catalog, &reader, error);

    *events = 0;
    while (status == VQ_OK && (status = vq_simpletrace_next(reader, last, error)) == VQ_OK) {
        (*events)++;
        if (*events == 2) {
            /* Check here: the event borrows the reader's memory. */
            CHECK(strcmp(last->name, "test_str") == 0 && last->arg_count == 2);
            CHECK(last->args[0].string_length == 5 && strcmp(last->args[0].string, "hello") == 0);
            CHECK(last->args[1].type == VQ_ARG_S64 && (int64_t)last->args[1].value == -7);
        }
    }
    if (*events) {   /* the last event borrows the reader's memory too: copied out before it goes */
        snprintf(last_name, 32, "%s", last->name);
        *last_value = last->arg_count ? last->args[0].value : 0;
    }
    vq_simpletrace_close(reader);
    return status;
}

static void test_simpletrace_memory(void)
{
    static const char events_text[] =
        "test_u64(uint64_t value) \"%\" PRIu64\n"
        "test_str(const char *what, int delta) \"%s %d\"\n";
    char events_path[] = "/tmp/vqscope-analysis-pure-XXXXXX";
    int fd = mkstemp(events_path);
    vq_trace_events *catalog = NULL;
    uint8_t bytes[512];
    size_t used = 0, events = 0, string_record;
    vq_event last;
    char last_name[32] = "";
    uint64_t last_value = 0;
    vq_error error;

    vq_error_clear(&error);
    CHECK(fd >= 0 && write(fd, events_text, sizeof(events_text) - 1) == (ssize_t)(sizeof(events_text) - 1));
    close(fd);
    CHECK(vq_trace_events_load(events_path, &catalog, &error) == VQ_OK);
    unlink(events_path);
    if (!catalog) {
        return;
    }
    CHECK(vq_trace_events_count(catalog) == 2);

    used += put_u64(bytes + used, UINT64_MAX);
    used += put_u64(bytes + used, VQ_SIMPLETRACE_MAGIC);
    used += put_u64(bytes + used, 4);
    used += put_mapping(bytes + used, 0, "test_u64");
    used += put_mapping(bytes + used, 7, "test_str");
    used += put_event_header(bytes + used, 0, 100, 8, 9);
    used += put_u64(bytes + used, 77);
    string_record = used;
    used += put_event_header(bytes + used, 7, 90, 4 + 5 + 8, 9);
    used += put_u32(bytes + used, 5);
    memcpy(bytes + used, "hello", 5);
    used += 5;
    used += put_u64(bytes + used, (uint64_t)-7);
    used += put_event_header(bytes + used, VQ_SIMPLETRACE_DROPPED_ID, 200, 8, 9);
    used += put_u64(bytes + used, 3);

    CHECK(read_all(bytes, used, catalog, &last, &events, last_name, &last_value, &error) == VQ_END && events == 3);
    CHECK(strcmp(last_name, "dropped") == 0 && last_value == 3);

    /* The string length runs past the record: the message gives the offset of the length field. */
    put_u32(bytes + string_record + 32, 50);
    CHECK(read_all(bytes, used, catalog, &last, &events, last_name, &last_value, &error) == VQ_ERR_FORMAT && events == 1);
    CHECK(strstr(error.message, "string length 50") != NULL);
    put_u32(bytes + string_record + 32, 5);

    /* Cut inside the last record: truncated. */
    CHECK(read_all(bytes, used - 3, catalog, &last, &events, last_name, &last_value, &error) == VQ_ERR_FORMAT && events == 2);
    CHECK(strstr(error.message, "truncated event record arguments") != NULL);

    /* Unmapped id. */
    put_u64(bytes + string_record + 8, 5);
    CHECK(read_all(bytes, used, catalog, &last, &events, last_name, &last_value, &error) == VQ_ERR_FORMAT && events == 1);
    CHECK(strstr(error.message, "unknown event id 5") != NULL);
    vq_trace_events_free(catalog);
}

/* The id map (containers.h) against a plain list of pairs, over the key patterns the analyzer sees:
 * request ids in order, out of order and reversed, sparse keys (stock virtio-blk's sector keys), ids
 * that start in the hash and end inside the array's run, VQ_NO_INDEX as a value, ids at the top. */
typedef struct {
    uint64_t id;
    size_t value;
} pair;

static size_t list_get(const pair *list, size_t count, uint64_t id)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (list[i].id == id) {
            return list[i].value;
        }
    }
    return VQ_NO_INDEX;
}

static void list_put(pair *list, size_t *count, uint64_t id, size_t value)
{
    size_t i;

    for (i = 0; i < *count && list[i].id != id; i++) {
    }
    list[i] = (pair){ id, value };
    *count += i == *count;
}

static void test_id_map(void)
{
    enum { N = 6000 };
    static pair list[6 * N];
    unsigned long long state = 0x2545f4914f6cdd1dULL;
    uint64_t id;
    vq_id_map map = { 0 };
    size_t count = 0, i, wrong = 0, pattern;

    for (pattern = 0; pattern < 6; pattern++) {
        for (i = 0; i < N; i++) {
            switch (pattern) {
            case 0: id = 1000 + i; break;                                   /* in order */
            case 1: id = 1000 + N + (i ^ 7); break;                         /* out of order by a little */
            case 2: id = 500 - (i % 500) + (i / 500) * 100000; break;       /* runs, some reversed */
            case 3: id = check_random(&state) | 1; break;                   /* sparse: the hash */
            case 4: id = 20000 + N - i; break;                              /* reversed, far below */
            default: id = UINT64_MAX - 1 - (check_random(&state) % 50); break;   /* at the top */
            }
            if (id == UINT64_MAX) {
                continue;
            }
            wrong += !vq_id_map_put(&map, id, i % 97 == 0 ? VQ_NO_INDEX : i * 3 + pattern);
            list_put(list, &count, id, i % 97 == 0 ? VQ_NO_INDEX : i * 3 + pattern);
        }
        if (pattern == 2) {
            vq_id_map_fit(&map);   /* then more ids above and below it */
        }
        for (i = 0; i < count; i++) {
            wrong += vq_id_map_get(&map, list[i].id) != list[i].value;
        }
        CHECK(wrong == 0);
    }
    /* Ids never put: absent, whichever part would hold them. */
    for (i = 0; i < 2000; i++) {
        id = i % 2 ? check_random(&state) : 900 + i;
        if (id != UINT64_MAX) {
            wrong += vq_id_map_get(&map, id) != list_get(list, count, id);
        }
    }
    CHECK(wrong == 0);
    /* Dense ids cost a slot each, not a hashed pair at a load of at most 1/2. */
    vq_id_map_free(&map);
    for (i = 1; i <= 100000; i++) {
        wrong += !vq_id_map_put(&map, i, i);
    }
    CHECK(wrong == 0);
    vq_id_map_fit(&map);
    CHECK(map.dense_capacity == 100000 && map.capacity == 0);
    CHECK(vq_id_map_get(&map, 0) == VQ_NO_INDEX && vq_id_map_get(&map, 100001) == VQ_NO_INDEX);
    vq_id_map_free(&map);
    CHECK(vq_id_map_get(&map, 1) == VQ_NO_INDEX);
}

/* A window of ids moving on (vq_id_map_drop_below): the ids below the floor gone from both parts, the
 * others kept, and the array part the size of the window, not of every id put. */
static void test_id_map_window(void)
{
    enum { N = 300000, WINDOW = 5000 };
    unsigned long long state = 99;
    vq_id_map map = { 0 };
    size_t most = 0, wrong = 0, i;
    uint64_t id;

    for (i = 1; i <= N; i++) {
        wrong += !vq_id_map_put(&map, i, i * 2);
        if (i % 1000 == 0) {   /* a few stray ids in the hash, some below the floor to come */
            wrong += !vq_id_map_put(&map, (check_random(&state) | 1ULL << 62) + i, i);
            wrong += !vq_id_map_put(&map, 1ULL << 40 | i, i);
        }
        if (i % 700 == 0 && i > WINDOW) {
            wrong += !vq_id_map_drop_below(&map, i - WINDOW);
            most = map.dense_capacity > most ? map.dense_capacity : most;
        }
    }
    CHECK(wrong == 0);
    CHECK(most <= 4 * WINDOW + 4096);   /* bounded by the window, not by N */
    /* the floor of the last drop: N - N % 700 - WINDOW */
    for (id = 1; id <= N; id++) {
        size_t want = id >= (N - N % 700) - WINDOW ? id * 2 : VQ_NO_INDEX;

        wrong += vq_id_map_get(&map, id) != want;
    }
    CHECK(wrong == 0);
    CHECK(vq_id_map_get(&map, 1ULL << 40 | 1000) == 1000);   /* above the floor: kept */
    CHECK(vq_id_map_drop_below(&map, UINT64_MAX) && map.count == 0 && map.dense_count == 0);
    CHECK(vq_id_map_get(&map, N) == VQ_NO_INDEX && vq_id_map_put(&map, N + 1, 7) && vq_id_map_get(&map, N + 1) == 7);
    vq_id_map_free(&map);
    /* an id past a sparse run is hashed; the run sliding over it takes it along (found in this session's
     * own test of the windows: the run covered it and its hashed value was no longer read) */
    for (id = 1000; id < 1010; id++) {
        wrong += !vq_id_map_put(&map, id, id);
    }
    wrong += !vq_id_map_put(&map, 11000, 77);
    CHECK(wrong == 0 && map.count == 1);   /* in the hash */
    CHECK(vq_id_map_drop_below(&map, 10990));
    CHECK(vq_id_map_get(&map, 11000) == 77 && map.count == 0 && map.dense_count == 1);
    CHECK(vq_id_map_get(&map, 1005) == VQ_NO_INDEX);
    vq_id_map_free(&map);
}

int main(void)
{
    test_classify_type();
    test_parse_line();
    test_reorder();
    test_clone_and_dump();
    test_ctf_names();
    test_simpletrace_memory();
    test_id_map();
    test_id_map_window();
    return check_summary("analysis_pure");
}
