// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * trace-events-all reader. Grammar (QEMU's scripts/tracetool/__init__.py, Event._CRE):
 *   [props...] name(type name, ...) "format"
 * with props in {disable, vcpu}, "void" for no arguments, blank lines and '#' comments ignored.
 * An argument containing '*' splits at its last '*' (type keeps the '*'); otherwise at its last blank.
 */
#include "trace_events.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct vq_trace_events {
    vq_event_decl *decls;
    size_t count;
    size_t capacity;
    /* Open addressing, linear probing: slot holds index + 1 into decls, 0 = empty. */
    size_t *slots;
    size_t slot_count;  /* power of two, >= 2 * count */
};

static vq_arg_decl dropped_args[] = { { "num_events_dropped", VQ_ARG_U64 } };
const vq_event_decl vq_dropped_event_decl = { "dropped", 1, dropped_args };

static uint64_t hash_name(const char *name)
{
    uint64_t hash = 0xcbf29ce484222325ULL;  /* FNV-1a */

    for (; *name; name++) {
        hash = (hash ^ (unsigned char)*name) * 0x100000001b3ULL;
    }
    return hash;
}

static char *copy_range(const char *begin, const char *end)
{
    size_t length = (size_t)(end - begin);
    char *copy = malloc(length + 1);

    if (copy) {
        memcpy(copy, begin, length);
        copy[length] = '\0';
    }
    return copy;
}

static const char *skip_blanks(const char *cursor)
{
    while (*cursor && isspace((unsigned char)*cursor)) {
        cursor++;
    }
    return cursor;
}

static const char *trim_end(const char *begin, const char *end)
{
    while (end > begin && isspace((unsigned char)end[-1])) {
        end--;
    }
    return end;
}

static bool is_identifier_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

vq_arg_type vq_trace_events_classify_type(const char *type)
{
    static const char *const string_prefixes[] = { "const char*", "char*", "const char *", "char *" };
    static const char *const signed_types[] = {
        "int", "signed", "signed int", "long", "long int", "signed long", "long long", "long long int",
        "short", "short int", "int8_t", "int16_t", "int32_t", "int64_t", "ssize_t", "off_t",
        "intptr_t", "ptrdiff_t", "gint", "glong",
    };
    const char *stripped = skip_blanks(type);
    char normal[64];
    size_t length = 0, i;
    bool blank = false;

    /* tracetool: a string is one of these prefixes with exactly one '*' in the whole type. */
    for (i = 0; i < sizeof(string_prefixes) / sizeof(string_prefixes[0]); i++) {
        if (strncmp(stripped, string_prefixes[i], strlen(string_prefixes[i])) == 0 &&
            strchr(stripped, '*') == strrchr(stripped, '*')) {
            return VQ_ARG_STRING;
        }
    }
    if (strchr(stripped, '*')) {
        return VQ_ARG_HEX;
    }
    /* Normalize blanks and drop a leading "const" before comparing with the signed list. */
    if (strncmp(stripped, "const", 5) == 0 && isspace((unsigned char)stripped[5])) {
        stripped = skip_blanks(stripped + 5);
    }
    for (; *stripped && length + 1 < sizeof(normal); stripped++) {
        if (isspace((unsigned char)*stripped)) {
            blank = true;
            continue;
        }
        if (blank && length > 0) {
            normal[length++] = ' ';
        }
        blank = false;
        if (length + 1 < sizeof(normal)) {
            normal[length++] = *stripped;
        }
    }
    normal[length] = '\0';
    for (i = 0; i < sizeof(signed_types) / sizeof(signed_types[0]); i++) {
        if (strcmp(normal, signed_types[i]) == 0) {
            return VQ_ARG_S64;
        }
    }
    return VQ_ARG_U64;
}

void vq_event_decl_clear(vq_event_decl *decl)
{
    size_t i;

    for (i = 0; i < decl->arg_count; i++) {
        free(decl->args[i].name);
    }
    free(decl->args);
    free(decl->name);
    decl->name = NULL;
    decl->args = NULL;
    decl->arg_count = 0;
}

/* One "type name" between commas; [begin, end) already trimmed and not "void". */
static vq_status parse_argument(const char *begin, const char *end, vq_arg_decl *arg, const char **why)
{
    vq_status status = VQ_ERR_FORMAT;
    const char *split = NULL, *cursor;
    char *type = NULL;

    for (cursor = begin; cursor < end; cursor++) {
        if (*cursor == '*') {
            split = cursor + 1;  /* type keeps its '*' */
        }
    }
    if (!split) {
        for (cursor = end; cursor > begin; cursor--) {
            if (isspace((unsigned char)cursor[-1])) {
                split = cursor - 1;
                break;
            }
        }
    }
    if (!split || split == begin) {
        *why = "expected 'type name' for each argument";
        goto end;
    }
    cursor = skip_blanks(split);
    if (cursor >= end) {
        *why = "expected an argument name after its type";
        goto end;
    }
    for (const char *c = cursor; c < end; c++) {
        if (!is_identifier_char(*c)) {
            *why = "expected an identifier as argument name";
            goto end;
        }
    }
    type = copy_range(begin, trim_end(begin, split));
    arg->name = copy_range(cursor, end);
    if (!type || !arg->name) {
        free(arg->name);
        arg->name = NULL;
        status = VQ_ERR_NOMEM;
        *why = "out of memory";
        goto end;
    }
    arg->type = vq_trace_events_classify_type(type);
    status = VQ_OK;
end:
    free(type);
    return status;
}

vq_status vq_trace_events_parse_line(const char *line, bool *is_event, vq_event_decl *decl,
                                     const char **why)
{
    vq_status status = VQ_ERR_FORMAT;
    const char *cursor = skip_blanks(line), *open, *close, *name_begin, *name_end, *arg_begin;
    vq_event_decl result = { NULL, 0, NULL };
    size_t commas = 0;

    *is_event = false;
    *why = NULL;
    if (*cursor == '\0' || *cursor == '#') {
        status = VQ_OK;
        goto end;
    }
    open = strchr(cursor, '(');
    close = open ? strchr(open, ')') : NULL;
    if (!open || !close) {
        *why = "expected 'name(type arg, ...) \"format\"'";
        goto end;
    }
    /* The name is the last word before '('; earlier words are properties. */
    name_end = trim_end(cursor, open);
    name_begin = name_end;
    while (name_begin > cursor && is_identifier_char(name_begin[-1])) {
        name_begin--;
    }
    if (name_begin == name_end || (name_begin > cursor && !isspace((unsigned char)name_begin[-1]))) {
        *why = "expected an event name (letters, digits, '_') before '('";
        goto end;
    }
    for (const char *c = cursor; c < name_begin; c++) {
        if (!is_identifier_char(*c) && !isspace((unsigned char)*c)) {
            *why = "expected only properties (disable, vcpu) before the event name";
            goto end;
        }
    }
    result.name = copy_range(name_begin, name_end);
    if (!result.name) {
        status = VQ_ERR_NOMEM;
        *why = "out of memory";
        goto end;
    }
    for (const char *c = open + 1; c < close; c++) {
        commas += (*c == ',');
    }
    result.args = calloc(commas + 1, sizeof(*result.args));
    if (!result.args) {
        status = VQ_ERR_NOMEM;
        *why = "out of memory";
        goto end;
    }
    arg_begin = open + 1;
    while (arg_begin <= close) {
        const char *arg_end = memchr(arg_begin, ',', (size_t)(close - arg_begin));
        const char *begin, *end_trimmed;

        if (!arg_end) {
            arg_end = close;
        }
        begin = skip_blanks(arg_begin);
        if (begin > arg_end) {
            begin = arg_end;
        }
        end_trimmed = trim_end(begin, arg_end);
        if (begin == end_trimmed) {
            *why = "expected an argument between commas (use 'void' for none)";
            goto end;
        }
        if (!(end_trimmed - begin == 4 && strncmp(begin, "void", 4) == 0)) {
            status = parse_argument(begin, end_trimmed, &result.args[result.arg_count], why);
            if (status != VQ_OK) {
                goto end;
            }
            result.arg_count++;
            status = VQ_ERR_FORMAT;
        }
        arg_begin = arg_end + 1;
    }
    *decl = result;
    result.name = NULL;
    result.args = NULL;
    result.arg_count = 0;
    *is_event = true;
    status = VQ_OK;
end:
    vq_event_decl_clear(&result);
    return status;
}

static vq_status catalog_rehash(vq_trace_events *catalog, size_t slot_count)
{
    size_t *slots = calloc(slot_count, sizeof(*slots));
    size_t i;

    if (!slots) {
        return VQ_ERR_NOMEM;
    }
    for (i = 0; i < catalog->count; i++) {
        size_t slot = hash_name(catalog->decls[i].name) & (slot_count - 1);

        while (slots[slot]) {
            slot = (slot + 1) & (slot_count - 1);
        }
        slots[slot] = i + 1;
    }
    free(catalog->slots);
    catalog->slots = slots;
    catalog->slot_count = slot_count;
    return VQ_OK;
}

/* Takes DECL's contents. A later declaration of the same name replaces the earlier one. */
static vq_status catalog_add(vq_trace_events *catalog, vq_event_decl *decl)
{
    vq_status status = VQ_OK;
    size_t slot;

    if (catalog->slot_count < 2 * (catalog->count + 1)) {
        status = catalog_rehash(catalog, catalog->slot_count ? 2 * catalog->slot_count : 1024);
        if (status != VQ_OK) {
            goto end;
        }
    }
    slot = hash_name(decl->name) & (catalog->slot_count - 1);
    while (catalog->slots[slot]) {
        vq_event_decl *existing = &catalog->decls[catalog->slots[slot] - 1];

        if (strcmp(existing->name, decl->name) == 0) {
            vq_event_decl_clear(existing);
            *existing = *decl;
            goto end;
        }
        slot = (slot + 1) & (catalog->slot_count - 1);
    }
    if (catalog->count == catalog->capacity) {
        size_t capacity = catalog->capacity ? 2 * catalog->capacity : 1024;
        vq_event_decl *decls = realloc(catalog->decls, capacity * sizeof(*decls));

        if (!decls) {
            status = VQ_ERR_NOMEM;
            goto end;
        }
        catalog->decls = decls;
        catalog->capacity = capacity;
    }
    catalog->decls[catalog->count] = *decl;
    catalog->slots[slot] = ++catalog->count;
end:
    if (status == VQ_OK) {
        decl->name = NULL;
        decl->args = NULL;
        decl->arg_count = 0;
    }
    return status;
}

vq_status vq_trace_events_load(const char *path, vq_trace_events **out, vq_error *error)
{
    vq_status status = VQ_OK;
    vq_trace_events *catalog = NULL;
    FILE *file = NULL;
    char *line = NULL;
    size_t line_capacity = 0;
    unsigned long line_number = 0;

    *out = NULL;
    catalog = calloc(1, sizeof(*catalog));
    if (!catalog) {
        status = VQ_ERR_NOMEM;
        vq_error_set(error, "%s: out of memory", path);
        goto end;
    }
    file = fopen(path, "r");
    if (!file) {
        status = VQ_ERR_IO;
        vq_error_set(error, "%s: cannot open trace events file: %s", path, strerror(errno));
        goto end;
    }
    errno = 0;
    while (getline(&line, &line_capacity, file) != -1) {
        vq_event_decl decl = { NULL, 0, NULL };
        const char *why = NULL;
        bool is_event = false;

        line_number++;
        status = vq_trace_events_parse_line(line, &is_event, &decl, &why);
        if (status != VQ_OK) {
            line[strcspn(line, "\n")] = '\0';
            vq_error_set(error, "%s:%lu: %s; found '%.80s'", path, line_number, why, line);
            goto end;
        }
        if (!is_event) {
            continue;
        }
        status = catalog_add(catalog, &decl);
        vq_event_decl_clear(&decl);
        if (status != VQ_OK) {
            vq_error_set(error, "%s:%lu: out of memory", path, line_number);
            goto end;
        }
    }
    if (ferror(file)) {
        status = VQ_ERR_IO;
        vq_error_set(error, "%s: read error after line %lu: %s", path, line_number, strerror(errno));
        goto end;
    }
    if (catalog->count == 0) {
        status = VQ_ERR_FORMAT;
        vq_error_set(error, "%s: no event declaration found; expected QEMU's trace-events-all", path);
        goto end;
    }
    *out = catalog;
    catalog = NULL;
end:
    free(line);
    if (file) {
        fclose(file);
    }
    vq_trace_events_free(catalog);
    return status;
}

const vq_event_decl *vq_trace_events_find(const vq_trace_events *catalog, const char *name)
{
    size_t slot;

    if (!catalog || catalog->slot_count == 0) {
        return NULL;
    }
    slot = hash_name(name) & (catalog->slot_count - 1);
    while (catalog->slots[slot]) {
        const vq_event_decl *decl = &catalog->decls[catalog->slots[slot] - 1];

        if (strcmp(decl->name, name) == 0) {
            return decl;
        }
        slot = (slot + 1) & (catalog->slot_count - 1);
    }
    return NULL;
}

size_t vq_trace_events_count(const vq_trace_events *catalog)
{
    return catalog ? catalog->count : 0;
}

void vq_trace_events_free(vq_trace_events *catalog)
{
    size_t i;

    if (!catalog) {
        return;
    }
    for (i = 0; i < catalog->count; i++) {
        vq_event_decl_clear(&catalog->decls[i]);
    }
    free(catalog->decls);
    free(catalog->slots);
    free(catalog);
}
