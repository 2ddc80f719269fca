// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CTF reader over libbabeltrace2 2.0 (see ctf.h). The graph is the one `babeltrace2 DIR` builds:
 * source.ctf.fs (inputs: every directory under DIR that holds a 'metadata' file, see ctf_find.h) with
 * one output port per stream, all connected to filter.utils.muxer, whose output feeds our simple sink.
 * vq_ctf_next() runs the graph one step at a time: each step makes our sink take one batch of messages
 * from the muxer, which we then convert one by one.
 */
#include "ctf.h"

#include "ctf_find.h"

#include <babeltrace2/babeltrace.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct vq_ctf {
    char *directory;
    bt_graph *graph;
    const bt_plugin *ctf_plugin;
    const bt_plugin *utils_plugin;
    /* Messages of the current batch; we own one reference on each from batch_index on. */
    const bt_message **batch;
    uint64_t batch_count;
    uint64_t batch_index;
    size_t batch_capacity;
    bool sink_ended;
    bool sink_out_of_memory;
    /* The event message last returned: the event's strings and names live as long as it does. */
    const bt_message *current;
    vq_arg *args;
    size_t args_capacity;
    char real_text[32];  /* at most one real-number argument shown per event; rare in QEMU's events */
    vq_ctf_clock_info clock;
    char *clock_name;
    vq_ctf_counts counts;
};

const char *vq_ctf_event_short_name(const char *name)
{
    static const char prefix[] = "qemu:";

    if (strncmp(name, prefix, sizeof(prefix) - 1) == 0) {
        return name + sizeof(prefix) - 1;
    }
    return name;
}

/*
 * babeltrace2's messages carry object addresses ("msg-it-addr=0x55..., "): they differ from run to
 * run and mean nothing to a user. Removes every "<key>addr=0x<hex>" item and its ", " separator.
 */
static void strip_addresses(char *text)
{
    char *found;

    while ((found = strstr(text, "addr=0x")) != NULL) {
        char *begin = found, *end = found + strlen("addr=0x");

        while (begin > text && (isalnum((unsigned char)begin[-1]) || begin[-1] == '-' || begin[-1] == '_')) {
            begin--;
        }
        while (isxdigit((unsigned char)*end)) {
            end++;
        }
        if (strncmp(end, ", ", 2) == 0) {
            end += 2;
        } else if (begin - text >= 2 && strncmp(begin - 2, ", ", 2) == 0) {
            begin -= 2;
        }
        memmove(begin, end, strlen(end) + 1);
    }
}

/*
 * Takes the thread's babeltrace2 error and appends its root cause (index 0, the first one appended:
 * the most specific; the later ones wrap it with component addresses) to MESSAGE.
 */
static void append_babeltrace_cause(char *message, size_t size)
{
    const bt_error *bt_error = bt_current_thread_take_error();
    size_t used = strlen(message);

    if (!bt_error) {
        return;
    }
    if (bt_error_get_cause_count(bt_error) > 0 && used + 1 < size) {
        const bt_error_cause *cause = bt_error_borrow_cause_by_index(bt_error, 0);

        snprintf(message + used, size - used, " (babeltrace2: %s)", bt_error_cause_get_message(cause));
        strip_addresses(message + used);
    }
    for (char *c = message; *c; c++) {
        if (*c == '\n') {
            *c = ' ';
        }
    }
    bt_error_release(bt_error);
}

static void release_batch(vq_ctf *reader)
{
    for (; reader->batch_index < reader->batch_count; reader->batch_index++) {
        bt_message_put_ref(reader->batch[reader->batch_index]);
    }
    reader->batch_index = reader->batch_count = 0;
}

static bt_graph_simple_sink_component_consume_func_status consume(bt_message_iterator *iterator,
                                                                  void *user_data)
{
    vq_ctf *reader = user_data;
    bt_graph_simple_sink_component_consume_func_status status;
    bt_message_array_const messages;
    uint64_t count = 0, i;

    switch (bt_message_iterator_next(iterator, &messages, &count)) {
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
        break;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
        reader->sink_ended = true;
        status = BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
        goto end;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
        status = BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
        goto end;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
        status = BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
        goto end;
    default:
        status = BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
        goto end;
    }
    /* The array belongs to the iterator (valid until its next call); the references are ours. */
    if (count > reader->batch_capacity) {
        const bt_message **bigger = realloc(reader->batch, count * sizeof(*bigger));

        if (!bigger) {
            for (i = 0; i < count; i++) {
                bt_message_put_ref(messages[i]);
            }
            reader->sink_out_of_memory = true;
            status = BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
            goto end;
        }
        reader->batch = bigger;
        reader->batch_capacity = count;
    }
    memcpy(reader->batch, messages, count * sizeof(*messages));
    reader->batch_count = count;
    reader->batch_index = 0;
    status = BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
end:
    return status;
}

static vq_status find_component_classes(vq_ctf *reader, const bt_component_class_source **source_class,
                                        const bt_component_class_filter **muxer_class, vq_error *error)
{
    vq_status status = VQ_ERR_IO;

    if (bt_plugin_find("ctf", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, &reader->ctf_plugin) !=
            BT_PLUGIN_FIND_STATUS_OK ||
        !(*source_class = bt_plugin_borrow_source_component_class_by_name_const(reader->ctf_plugin, "fs"))) {
        vq_error_set(error, "%s: babeltrace2 plugin 'ctf' (component source.ctf.fs) not found; expected "
                     "the babeltrace2 plugins (Debian: babeltrace2 / libbabeltrace2-0)", reader->directory);
        append_babeltrace_cause(error->message, sizeof(error->message));
        goto end;
    }
    if (bt_plugin_find("utils", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, &reader->utils_plugin) !=
            BT_PLUGIN_FIND_STATUS_OK ||
        !(*muxer_class = bt_plugin_borrow_filter_component_class_by_name_const(reader->utils_plugin,
                                                                                "muxer"))) {
        vq_error_set(error, "%s: babeltrace2 plugin 'utils' (component filter.utils.muxer) not found; "
                     "expected the babeltrace2 plugins", reader->directory);
        append_babeltrace_cause(error->message, sizeof(error->message));
        goto end;
    }
    status = VQ_OK;
end:
    return status;
}

static bt_logging_level source_log_level(void)
{
    const char *setting = getenv("VQSCOPE_BABELTRACE_LOG");

    return setting && *setting && strcmp(setting, "0") != 0 ? BT_LOGGING_LEVEL_WARNING : BT_LOGGING_LEVEL_NONE;
}

static vq_status build_graph(vq_ctf *reader, vq_error *error)
{
    vq_status status = VQ_ERR_NOMEM;
    const bt_component_class_source *source_class = NULL;
    const bt_component_class_filter *muxer_class = NULL;
    const bt_component_source *source = NULL;
    const bt_component_filter *muxer = NULL;
    const bt_component_sink *sink = NULL;
    bt_value *params = NULL, *inputs = NULL;
    vq_ctf_trace_list traces = { NULL, 0, 0 };
    uint64_t port_count, i;

    status = find_component_classes(reader, &source_class, &muxer_class, error);
    if (status != VQ_OK) {
        goto end;
    }
    status = vq_ctf_find_traces(reader->directory, &traces);
    if (status != VQ_OK) {
        vq_error_set(error, "%s: out of memory", reader->directory);
        goto end;
    }
    if (traces.count == 0) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: no CTF trace found (no 'metadata' file in it or its subdirectories); "
                     "expected a CTF trace directory or an lttng session output", reader->directory);
        goto end;
    }
    status = VQ_ERR_NOMEM;
    reader->graph = bt_graph_create(0);
    params = bt_value_map_create();
    if (!reader->graph || !params ||
        bt_value_map_insert_empty_array_entry(params, "inputs", &inputs) != BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK) {
        vq_error_set(error, "%s: out of memory building the babeltrace2 graph", reader->directory);
        goto end;
    }
    for (i = 0; i < traces.count; i++) {
        if (bt_value_array_append_string_element(inputs, traces.paths[i]) !=
            BT_VALUE_ARRAY_APPEND_ELEMENT_STATUS_OK) {
            vq_error_set(error, "%s: out of memory building the babeltrace2 graph", reader->directory);
            goto end;
        }
    }
    /*
     * Logging off by default: failures come back as error causes, which we put in our message. Some
     * details (a metadata syntax error's line) are only logged: VQSCOPE_BABELTRACE_LOG=1 shows them.
     */
    if (bt_graph_add_source_component(reader->graph, source_class, "source", params, source_log_level(),
                                      &source) != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: not a readable CTF trace; expected a directory holding a CTF trace "
                     "(a 'metadata' file and its stream files, e.g. an lttng session's output; "
                     "VQSCOPE_BABELTRACE_LOG=1 shows babeltrace2's diagnostics)",
                     reader->directory);
        append_babeltrace_cause(error->message, sizeof(error->message));
        goto end;
    }
    port_count = bt_component_source_get_output_port_count(source);
    if (port_count == 0) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: CTF trace without any stream; expected at least one data stream file",
                     reader->directory);
        goto end;
    }
    if (bt_graph_add_filter_component(reader->graph, muxer_class, "muxer", NULL, BT_LOGGING_LEVEL_NONE,
                                      &muxer) != BT_GRAPH_ADD_COMPONENT_STATUS_OK ||
        bt_graph_add_simple_sink_component(reader->graph, "vqscope", NULL, consume, NULL, reader, &sink) !=
            BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        status = VQ_ERR_IO;
        vq_error_set(error, "%s: cannot add the babeltrace2 muxer or sink", reader->directory);
        append_babeltrace_cause(error->message, sizeof(error->message));
        goto end;
    }
    /* The muxer adds a new input port each time one gets connected: port i exists when we reach it. */
    for (i = 0; i < port_count; i++) {
        if (bt_graph_connect_ports(reader->graph, bt_component_source_borrow_output_port_by_index_const(source, i),
                                   bt_component_filter_borrow_input_port_by_index_const(muxer, i), NULL) !=
            BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
            status = VQ_ERR_IO;
            vq_error_set(error, "%s: cannot connect stream port %" PRIu64 " to the muxer", reader->directory, i);
            append_babeltrace_cause(error->message, sizeof(error->message));
            goto end;
        }
    }
    if (bt_graph_connect_ports(reader->graph, bt_component_filter_borrow_output_port_by_index_const(muxer, 0),
                               bt_component_sink_borrow_input_port_by_index_const(sink, 0), NULL) !=
        BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
        status = VQ_ERR_IO;
        vq_error_set(error, "%s: cannot connect the muxer to our sink", reader->directory);
        append_babeltrace_cause(error->message, sizeof(error->message));
        goto end;
    }
    status = VQ_OK;
end:
    vq_ctf_trace_list_clear(&traces);
    bt_value_put_ref(params);
    return status;
}

vq_status vq_ctf_open(const char *directory, vq_ctf **out, vq_error *error)
{
    vq_status status = VQ_OK;
    vq_ctf *reader = NULL;
    struct stat info;

    *out = NULL;
    if (stat(directory, &info) != 0) {
        status = VQ_ERR_IO;
        vq_error_set(error, "%s: %s; expected a CTF trace directory", directory, strerror(errno));
        goto end;
    }
    if (!S_ISDIR(info.st_mode)) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: not a directory; expected a CTF trace directory", directory);
        goto end;
    }
    reader = calloc(1, sizeof(*reader));
    if (!reader || !(reader->directory = strdup(directory))) {
        status = VQ_ERR_NOMEM;
        vq_error_set(error, "%s: out of memory", directory);
        goto end;
    }
    status = build_graph(reader, error);
    if (status != VQ_OK) {
        goto end;
    }
    *out = reader;
    reader = NULL;
end:
    vq_ctf_close(reader);
    return status;
}

static bool find_pid(const bt_field *context, uint32_t *pid)
{
    static const char *const names[] = { "vpid", "pid" };
    size_t i;

    if (!context || bt_field_get_class_type(context) != BT_FIELD_CLASS_TYPE_STRUCTURE) {
        return false;
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const bt_field *field = bt_field_structure_borrow_member_field_by_name_const(context, names[i]);

        if (!field) {
            continue;
        }
        if (bt_field_class_type_is(bt_field_get_class_type(field), BT_FIELD_CLASS_TYPE_SIGNED_INTEGER)) {
            *pid = (uint32_t)bt_field_integer_signed_get_value(field);  /* LTTng: pid_t, signed */
            return true;
        }
        if (bt_field_class_type_is(bt_field_get_class_type(field), BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER)) {
            *pid = (uint32_t)bt_field_integer_unsigned_get_value(field);
            return true;
        }
    }
    return false;
}

static void convert_field(vq_ctf *reader, const bt_field *field, vq_arg *arg)
{
    bt_field_class_type type = bt_field_get_class_type(field);

    arg->value = 0;
    arg->string = NULL;
    arg->string_length = 0;
    if (bt_field_class_type_is(type, BT_FIELD_CLASS_TYPE_INTEGER)) {
        bool signed_integer = bt_field_class_type_is(type, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER);

        if (bt_field_class_integer_get_preferred_display_base(bt_field_borrow_class_const(field)) ==
            BT_FIELD_CLASS_INTEGER_PREFERRED_DISPLAY_BASE_HEXADECIMAL) {
            arg->type = VQ_ARG_HEX;
        } else {
            arg->type = signed_integer ? VQ_ARG_S64 : VQ_ARG_U64;
        }
        arg->value = signed_integer ? (uint64_t)bt_field_integer_signed_get_value(field)
                                    : bt_field_integer_unsigned_get_value(field);
    } else if (type == BT_FIELD_CLASS_TYPE_BOOL) {
        arg->type = VQ_ARG_U64;
        arg->value = bt_field_bool_get_value(field) ? 1 : 0;
    } else if (type == BT_FIELD_CLASS_TYPE_STRING) {
        uint64_t length = bt_field_string_get_length(field);

        arg->type = VQ_ARG_STRING;
        arg->string = bt_field_string_get_value(field);
        arg->string_length = length > UINT32_MAX ? UINT32_MAX : (uint32_t)length;
    } else if (bt_field_class_type_is(type, BT_FIELD_CLASS_TYPE_REAL)) {
        double value = type == BT_FIELD_CLASS_TYPE_SINGLE_PRECISION_REAL
                           ? bt_field_real_single_precision_get_value(field)
                           : bt_field_real_double_precision_get_value(field);

        snprintf(reader->real_text, sizeof(reader->real_text), "%.17g", value);
        arg->type = VQ_ARG_STRING;
        arg->string = reader->real_text;
        arg->string_length = (uint32_t)strlen(reader->real_text);
    } else {
        /* Arrays, structures, variants: none in QEMU's tracepoints. Shown, not decoded. */
        arg->type = VQ_ARG_STRING;
        arg->string = "(unsupported CTF field type)";
        arg->string_length = (uint32_t)strlen(arg->string);
    }
}

static uint64_t cycles_to_ns(uint64_t cycles, uint64_t frequency_hz)
{
    if (frequency_hz == 1000000000ULL || frequency_hz == 0) {
        return cycles;
    }
    return (uint64_t)((unsigned __int128)cycles * 1000000000ULL / frequency_hz);
}

static vq_status convert_event(vq_ctf *reader, const bt_message *message, vq_event *event, vq_error *error)
{
    vq_status status = VQ_OK;
    const bt_event *bt_event = bt_message_event_borrow_event_const(message);
    const bt_event_class *event_class = bt_event_borrow_class_const(bt_event);
    const char *name = bt_event_class_get_name(event_class);
    const bt_clock_class *clock_class = bt_message_event_borrow_stream_class_default_clock_class_const(message);
    const bt_field *payload = bt_event_borrow_payload_field_const(bt_event);
    uint64_t member_count = 0, i, cycles, frequency;

    if (!name) {
        name = "(unnamed)";
    }
    if (!clock_class) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: event '%s' has no timestamp; expected streams with a default clock "
                     "(LTTng always records one)", reader->directory, name);
        goto end;
    }
    frequency = bt_clock_class_get_frequency(clock_class);
    cycles = bt_clock_snapshot_get_value(bt_message_event_borrow_default_clock_snapshot_const(message));
    if (!reader->clock.known) {
        int64_t offset_seconds;
        uint64_t offset_cycles;
        const char *clock_name = bt_clock_class_get_name(clock_class);

        bt_clock_class_get_offset(clock_class, &offset_seconds, &offset_cycles);
        reader->clock_name = strdup(clock_name ? clock_name : "(unnamed)");
        if (!reader->clock_name) {
            status = VQ_ERR_NOMEM;
            vq_error_set(error, "%s: out of memory", reader->directory);
            goto end;
        }
        reader->clock.known = true;
        reader->clock.name = reader->clock_name;
        reader->clock.frequency_hz = frequency;
        reader->clock.offset_ns = offset_seconds * 1000000000LL + (int64_t)cycles_to_ns(offset_cycles, frequency);
    }
    if (payload && bt_field_get_class_type(payload) == BT_FIELD_CLASS_TYPE_STRUCTURE) {
        member_count = bt_field_class_structure_get_member_count(bt_field_borrow_class_const(payload));
    }
    if (member_count > reader->args_capacity) {
        vq_arg *bigger = realloc(reader->args, member_count * sizeof(*bigger));

        if (!bigger) {
            status = VQ_ERR_NOMEM;
            vq_error_set(error, "%s: out of memory", reader->directory);
            goto end;
        }
        reader->args = bigger;
        reader->args_capacity = member_count;
    }
    for (i = 0; i < member_count; i++) {
        const bt_field_class_structure_member *member =
            bt_field_class_structure_borrow_member_by_index_const(bt_field_borrow_class_const(payload), i);

        reader->args[i].name = bt_field_class_structure_member_get_name(member);
        convert_field(reader, bt_field_structure_borrow_member_field_by_index_const(payload, i),
                      &reader->args[i]);
    }
    event->timestamp_ns = cycles_to_ns(cycles, frequency);
    event->name = vq_ctf_event_short_name(name);
    event->has_pid = find_pid(bt_event_borrow_common_context_field_const(bt_event), &event->pid) ||
                     find_pid(bt_event_borrow_specific_context_field_const(bt_event), &event->pid);
    if (!event->has_pid) {
        event->pid = 0;
    }
    event->arg_count = member_count;
    event->args = reader->args;
    reader->counts.events++;
end:
    return status;
}

vq_status vq_ctf_next(vq_ctf *reader, vq_event *event, vq_error *error)
{
    vq_status status = VQ_OK;

    bt_message_put_ref(reader->current);
    reader->current = NULL;
    for (;;) {
        while (reader->batch_index < reader->batch_count) {
            const bt_message *message = reader->batch[reader->batch_index++];
            uint64_t discarded = 0;

            switch (bt_message_get_type(message)) {
            case BT_MESSAGE_TYPE_EVENT:
                reader->current = message;
                status = convert_event(reader, message, event, error);
                goto end;
            case BT_MESSAGE_TYPE_DISCARDED_EVENTS:
                if (bt_message_discarded_events_get_count(message, &discarded) ==
                    BT_PROPERTY_AVAILABILITY_AVAILABLE) {
                    reader->counts.discarded_events += discarded;
                }
                break;
            default:
                break;
            }
            bt_message_put_ref(message);
        }
        reader->batch_index = reader->batch_count = 0;
        if (reader->sink_ended) {
            status = VQ_END;
            goto end;
        }
        switch (bt_graph_run_once(reader->graph)) {
        case BT_GRAPH_RUN_ONCE_STATUS_OK:
        case BT_GRAPH_RUN_ONCE_STATUS_AGAIN:
            break;
        case BT_GRAPH_RUN_ONCE_STATUS_END:
            reader->sink_ended = true;
            break;
        case BT_GRAPH_RUN_ONCE_STATUS_MEMORY_ERROR:
            status = VQ_ERR_NOMEM;
            vq_error_set(error, "%s: out of memory reading the trace", reader->directory);
            goto end;
        default:
            status = VQ_ERR_FORMAT;
            vq_error_set(error, "%s: babeltrace2 failed after %" PRIu64 " events; expected a well-formed "
                         "CTF trace", reader->directory, reader->counts.events);
            append_babeltrace_cause(error->message, sizeof(error->message));
            goto end;
        }
    }
end:
    return status;
}

static vq_status source_next(void *reader, vq_event *event, vq_error *error)
{
    return vq_ctf_next(reader, event, error);
}

vq_event_source vq_ctf_source(vq_ctf *reader)
{
    return (vq_event_source){ source_next, NULL, reader, reader->directory, .stable_names = false };
}

vq_ctf_clock_info vq_ctf_clock(const vq_ctf *reader)
{
    return reader->clock;
}

vq_ctf_counts vq_ctf_get_counts(const vq_ctf *reader)
{
    return reader->counts;
}

void vq_ctf_close(vq_ctf *reader)
{
    if (!reader) {
        return;
    }
    bt_message_put_ref(reader->current);
    release_batch(reader);
    /* The graph holds the component classes, which hold the plugins' shared objects: graph first. */
    bt_graph_put_ref(reader->graph);
    bt_plugin_put_ref(reader->ctf_plugin);
    bt_plugin_put_ref(reader->utils_plugin);
    free(reader->batch);
    free(reader->args);
    free(reader->clock_name);
    free(reader->directory);
    free(reader);
    /*
     * babeltrace2 sometimes appends an error cause and then carries on (status OK or END): the
     * thread's error object would outlive the reader (found by fuzz_ctf as a leak). Drop it.
     */
    bt_current_thread_clear_error();
}
