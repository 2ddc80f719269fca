// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The session directory: paths in it, and meta.json read with jansson. The recorder (bin/) writes
 * meta.json with Python's json module; the fields kept here are the ones the report shows and the
 * loader needs (which device: xblk, demo, or stock virtio-blk).
 */
#include "session_dir.h"

#include "loader.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *vq_session_path(const char *directory, const char *name)
{
    size_t length = strlen(directory) + strlen(name) + 2;
    char *path = malloc(length);

    if (path) {
        snprintf(path, length, "%s/%s", directory, name);
    }
    return path;
}

bool vq_path_exists(const char *path, bool directory)
{
    struct stat info;

    return stat(path, &info) == 0 && (directory ? S_ISDIR(info.st_mode) : S_ISREG(info.st_mode));
}

static const char *json_type_name(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* KEY of ROOT as text into OUT (SIZE bytes, truncated): a string as is, anything else as JSON writes it
 * (true, null, 200000); left "?" when absent. */
static vq_status meta_text(const json_t *root, const char *key, char *out, size_t size)
{
    const json_t *value = json_object_get(root, key);
    char *encoded;

    if (!value) {
        return VQ_OK;
    }
    if (json_is_string(value)) {
        snprintf(out, size, "%s", json_string_value(value));
        return VQ_OK;
    }
    encoded = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!encoded) {
        return VQ_ERR_NOMEM;
    }
    snprintf(out, size, "%s", encoded);
    free(encoded);
    return VQ_OK;
}

/* An A/B session read for one disk: its ioeventfd is the disk's, "ab": {"disks": [{"label": "A",
 * "ioeventfd": "on"}, ...]}; the top-level one names both ("on,off"). */
static vq_status meta_part_ioeventfd(vq_session *session, const json_t *root)
{
    const json_t *disks = json_object_get(json_object_get(root, "ab"), "disks");
    size_t i;

    for (i = 0; i < json_array_size(disks); i++) {
        const json_t *disk = json_array_get(disks, i);
        const char *label = json_string_value(json_object_get(disk, "label"));

        if (label && label[0] == session->part && label[1] == '\0') {
            return meta_text(disk, "ioeventfd", session->ioeventfd, sizeof(session->ioeventfd));
        }
    }
    vq_session_warn(session, "%s: meta.json's ab.disks has no disk %c: its ioeventfd is unknown",
                    session->directory, session->part);
    snprintf(session->ioeventfd, sizeof(session->ioeventfd), "?");
    return VQ_OK;
}

/* delay_ns: the device's hold (`--delay-ns`), an integer; a numeric string is taken too. */
static int64_t meta_integer(const json_t *root, const char *key)
{
    const json_t *value = json_object_get(root, key);

    if (json_is_integer(value)) {
        return (int64_t)json_integer_value(value);
    }
    if (json_is_real(value)) {
        return (int64_t)json_real_value(value);
    }
    if (json_is_string(value)) {
        return strtoll(json_string_value(value), NULL, 10);
    }
    return 0;
}

/* FOUND as the message gives it: a string quoted, another value as JSON writes it, "none" when absent. */
static void describe_value(const json_t *value, char *out, size_t size)
{
    char *encoded;

    if (!value) {
        snprintf(out, size, "none");
    } else if (json_is_string(value)) {
        snprintf(out, size, "\"%s\"", json_string_value(value));
    } else if ((encoded = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT))) {
        snprintf(out, size, "%s (%s)", encoded, json_type_name(value));
        free(encoded);
    } else {
        snprintf(out, size, "%s", json_type_name(value));
    }
}

/* The schema meta.json names ("format", "version") against the one this reader knows: a warning when
 * they differ, since the keys read here may have moved or changed meaning. */
static void check_schema(vq_session *session, const char *path, const json_t *root)
{
    const json_t *format = json_object_get(root, "format");
    const json_t *version = json_object_get(root, "version");
    char found[64];

    if (!json_is_string(format) || strcmp(json_string_value(format), VQ_SESSION_FORMAT) != 0) {
        describe_value(format, found, sizeof(found));
        vq_session_warn(session, "%s: format: expected \"%s\", found %s; read as a version %d session", path,
                        VQ_SESSION_FORMAT, found, VQ_SESSION_VERSION);
    }
    if (json_is_integer(version) && json_integer_value(version) > VQ_SESSION_VERSION) {
        vq_session_warn(session, "%s: version: expected %d (the newest this analyzer reads), found %"
                        JSON_INTEGER_FORMAT ": a newer recorder wrote it; read for what version %d defines", path,
                        VQ_SESSION_VERSION, json_integer_value(version), VQ_SESSION_VERSION);
    } else if (!json_is_integer(version) || json_integer_value(version) < 1) {
        describe_value(version, found, sizeof(found));
        vq_session_warn(session, "%s: version: expected %d, found %s; read as version %d", path,
                        VQ_SESSION_VERSION, found, VQ_SESSION_VERSION);
    }
}

vq_status vq_session_read_meta(vq_session *session, const char *directory, vq_error *error)
{
    char *path = vq_session_path(directory, "meta.json");
    FILE *stream = path ? fopen(path, "r") : NULL;
    json_t *root = NULL;
    json_error_t parse_error;
    vq_status status;

    if (!stream) {
        vq_error_set(error, "%s: cannot open (%s)", path ? path : "meta.json", strerror(errno));
        status = path ? VQ_ERR_IO : VQ_ERR_NOMEM;
        goto end;
    }
    snprintf(session->ioeventfd, sizeof(session->ioeventfd), "?");
    snprintf(session->mode, sizeof(session->mode), "?");
    snprintf(session->device, sizeof(session->device), "?");
    /* sessions recorded before `vqscope record --level` recorded everything: its full level */
    snprintf(session->level, sizeof(session->level), "full");
    session->delay_ns = 0;
    root = json_loadf(stream, 0, &parse_error);
    if (!root) {
        if (json_error_code(&parse_error) == json_error_out_of_memory) {
            vq_error_set(error, "%s: out of memory", path);
            status = VQ_ERR_NOMEM;
        } else if (parse_error.line > 0) {
            vq_error_set(error, "%s:%d:%d: not valid JSON: %s", path, parse_error.line, parse_error.column,
                         parse_error.text);
            status = VQ_ERR_FORMAT;
        } else {
            vq_error_set(error, "%s: not valid JSON: %s", path, parse_error.text);
            status = VQ_ERR_FORMAT;
        }
        goto end;
    }
    if (!json_is_object(root)) {
        vq_error_set(error, "%s: %s at the top level; expected an object", path, json_type_name(root));
        status = VQ_ERR_FORMAT;
        goto end;
    }
    status = meta_text(root, "ioeventfd", session->ioeventfd, sizeof(session->ioeventfd));
    if (status == VQ_OK) {
        status = meta_text(root, "mode", session->mode, sizeof(session->mode));
    }
    if (status == VQ_OK) {
        status = meta_text(root, "device", session->device, sizeof(session->device));
    }
    if (status == VQ_OK) {
        status = meta_text(root, "level", session->level, sizeof(session->level));
    }
    if (status == VQ_OK) {
        status = meta_text(root, "status", session->status, sizeof(session->status));
    }
    if (status == VQ_OK && session->part) {
        status = meta_part_ioeventfd(session, root);
    }
    if (status != VQ_OK) {
        vq_error_set(error, "%s: out of memory", path);
        goto end;
    }
    session->delay_ns = meta_integer(root, "delay_ns");
    check_schema(session, path, root);
    if (json_is_object(json_object_get(root, "sources"))) {
        /* record --sources: each block had one set of sources on; only the 'A' blocks had all */
        vq_session_warn(session, "%s: a --sources session (the overhead benchmark's): each block had only some trace "
                        "sources on, so most requests cannot be stitched; its figures are in "
                        "bench/source-overhead-report.py, not in this report", path);
    }
end:
    json_decref(root);
    if (stream) {
        fclose(stream);
    }
    free(path);
    return status;
}
