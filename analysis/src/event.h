/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vqscope analysis: the event every reader yields, status codes and error messages.
 *
 * Ownership: an event filled by a reader's next() borrows the reader's memory (name, argument names,
 * strings) and stays valid until the next call to next() or close(). vq_event_clone() makes an owned
 * copy (one allocation) for callers that keep events, such as the reorder buffer; a source whose names
 * live as long as it (stable_names, below) lets the copy borrow them.
 */
#ifndef VQSCOPE_ANALYSIS_EVENT_H
#define VQSCOPE_ANALYSIS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    VQ_OK = 0,
    VQ_END,         /* no more events: not an error */
    VQ_ERR_IO,      /* open/read failed (errno-style condition) */
    VQ_ERR_FORMAT,  /* the input is malformed; the message says where and what was expected */
    VQ_ERR_NOMEM,
    VQ_ERR_USAGE,   /* the caller passed something unusable (bad option value...) */
} vq_status;

/*
 * How a value is to be read. Simpletrace stores every non-string argument as a u64 (signed types
 * sign-extended, pointers as addresses); the declared type in trace-events-all says which of these it
 * was. CTF integer fields say so themselves (signedness, preferred display base 16 -> HEX).
 */
typedef enum {
    VQ_ARG_U64,
    VQ_ARG_S64,     /* value holds the two's complement bits */
    VQ_ARG_HEX,     /* pointers and hex-displayed integers */
    VQ_ARG_STRING,
} vq_arg_type;

typedef struct {
    const char *name;
    vq_arg_type type;
    uint64_t value;         /* VQ_ARG_U64, S64, HEX */
    const char *string;     /* VQ_ARG_STRING: NUL-terminated; may contain other NULs within length */
    uint32_t string_length; /* bytes, without the terminating NUL */
} vq_arg;

typedef struct {
    uint64_t timestamp_ns;  /* host CLOCK_MONOTONIC, ns (both QEMU backends, see README) */
    const char *name;       /* QEMU event name, without any "qemu:" provider prefix */
    uint32_t pid;
    bool has_pid;           /* CTF: only when the vpid/pid context was recorded */
    size_t arg_count;
    const vq_arg *args;
} vq_event;

#define VQ_ERROR_MAX 1024

/* One human-readable message: "FILE: offset N: what was found; expected what". */
typedef struct {
    char message[VQ_ERROR_MAX];
} vq_error;

void vq_error_clear(vq_error *error);
void vq_error_set(vq_error *error, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* fopen(PATH, MODE) for a reader; NULL, with ERROR "PATH: cannot open: WHY", when it fails. */
FILE *vq_open_input(const char *path, const char *mode, vq_error *error);
bool vq_error_is_set(const vq_error *error);

const char *vq_status_name(vq_status status);

/* Any reader's events behind one interface (each reader has a vq_<reader>_source()): for code that
 * takes events from whichever reader, such as the reorder buffer. */
typedef struct {
    vq_status (*next)(void *source, vq_event *event, vq_error *error);
    /* Optional: where the event just read sits in the input, for messages (e.g. a byte offset); the
     * reader keeps it current. */
    const uint64_t *position;
    void *source;
    const char *name;  /* the input, for messages */
    /* The events' names and argument names live as long as the reader (its catalog's): a copy may keep
     * the pointers, and one name is always at one address. */
    bool stable_names;
} vq_event_source;

/* An owned deep copy; free with vq_event_free(). Returns NULL when out of memory. */
vq_event *vq_event_clone(const vq_event *event);
/* The same, but the copy borrows EVENT's name and argument names when KEEP_NAMES (a stable_names
 * source's events): only the arguments and their string values are copied. */
vq_event *vq_event_clone_keeping_names(const vq_event *event, bool keep_names);
void vq_event_free(vq_event *event);

#endif
