// SPDX-License-Identifier: GPL-2.0-or-later
/* A guest stream record -> vq_guest_event from its fields (see guest_record.h). Each event below is named
 * as guest_line.c's table names its text tag, and takes what that file's parser takes from its text. */
#include "guest_record.h"

#include "containers.h"

#include <stdlib.h>
#include <string.h>
#include <traceevent/event-parse.h>

/* The fields read, by their names in the events' formats. */
typedef enum {
    F_TS_NS, F_ID, F_VQ, F_ID_LAST, F_NUM_FREE, F_NOTIFIED, F_STATUS, F_BLOCK, F_NBLOCKS, F_START_NS, F_END_NS,
    F_ARGS, F_RET, F_SECTOR, F_NR_SECTOR, F_RWBS, F_ERROR, FIELD_COUNT
} field_slot;

static const char *const field_names[FIELD_COUNT] = {
    [F_TS_NS] = "ts_ns", [F_ID] = "id", [F_VQ] = "vq", [F_ID_LAST] = "id_last", [F_NUM_FREE] = "num_free",
    [F_NOTIFIED] = "notified", [F_STATUS] = "status", [F_BLOCK] = "block", [F_NBLOCKS] = "nblocks",
    [F_START_NS] = "start_ns", [F_END_NS] = "end_ns", [F_ARGS] = "args", [F_RET] = "ret", [F_SECTOR] = "sector",
    [F_NR_SECTOR] = "nr_sector", [F_RWBS] = "rwbs", [F_ERROR] = "error",
};

#define BIT(slot) (1u << (slot))

/* OURS: timed by their ts_ns field (ftrace's column kept as a check); the others by ftrace's column. */
enum { OURS, STOCK, APP };

static const struct known_event {
    const char *name;
    vq_guest_type type;
    int kind;
    unsigned required;         /* fields without which the text parser refuses the line */
} known_events[] = {
    { "virtio_xblk_submit", VQ_GUEST_SUBMIT, OURS, BIT(F_TS_NS) | BIT(F_VQ) | BIT(F_ID) },
    { "virtio_xblk_kick", VQ_GUEST_KICK, OURS, BIT(F_TS_NS) | BIT(F_VQ) | BIT(F_ID_LAST) | BIT(F_NOTIFIED) },
    { "virtio_xblk_irq", VQ_GUEST_IRQ, OURS, BIT(F_TS_NS) | BIT(F_VQ) },
    { "virtio_xblk_complete", VQ_GUEST_COMPLETE, OURS, BIT(F_TS_NS) | BIT(F_VQ) | BIT(F_ID) },
    { "virtio_xblk_hold", VQ_GUEST_HOLD, OURS,
      BIT(F_TS_NS) | BIT(F_VQ) | BIT(F_ID) | BIT(F_START_NS) | BIT(F_END_NS) },
    { "sys_enter", VQ_GUEST_SYS_ENTER, APP, BIT(F_ID) | BIT(F_ARGS) },
    { "sys_exit", VQ_GUEST_SYS_EXIT, APP, BIT(F_ID) | BIT(F_RET) },
    { "block_bio_queue", VQ_GUEST_BIO_QUEUE, APP, BIT(F_SECTOR) | BIT(F_NR_SECTOR) | BIT(F_RWBS) },
    { "block_rq_issue", VQ_GUEST_RQ_ISSUE, STOCK, BIT(F_SECTOR) | BIT(F_NR_SECTOR) | BIT(F_RWBS) },
    { "block_rq_complete", VQ_GUEST_RQ_COMPLETE, STOCK,
      BIT(F_SECTOR) | BIT(F_NR_SECTOR) | BIT(F_RWBS) | BIT(F_ERROR) },
};
#define KNOWN_COUNT (sizeof(known_events) / sizeof(known_events[0]))

/* One event format of the stream, as first met. */
typedef struct {
    int id;
    const struct known_event *known;   /* NULL: not decoded here */
    bool agreed;                       /* its first record decoded as its text parses (vq_guest_decoder_agreed) */
    struct tep_format_field *field[FIELD_COUNT];
} format_entry;

struct vq_guest_decoder {
    struct tep_handle *tep;
    bool counter_clock;
    format_entry *formats;
    size_t format_count, format_capacity;
    size_t last;                       /* the entry of the previous record (most runs are of one format) */
};

vq_guest_decoder *vq_guest_decoder_new(struct tep_handle *tep, bool counter_clock)
{
    vq_guest_decoder *decoder = calloc(1, sizeof(*decoder));

    if (decoder) {
        decoder->tep = tep;
        decoder->counter_clock = counter_clock;
    }
    return decoder;
}

void vq_guest_decoder_free(vq_guest_decoder *decoder)
{
    if (decoder) {
        free(decoder->formats);
        free(decoder);
    }
}

/* A number field's value for the record (its size 1, 2, 4 or 8, inside the record, not an array); false
 * when it cannot be read as one. SIGNED: sign-extended from its size. */
static bool number(const vq_guest_decoder *decoder, const struct tep_format_field *field,
                   const struct tep_record *record, uint64_t *value)
{
    int size = field ? field->size : 0;

    if (!field || (field->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC | TEP_FIELD_IS_STRING)) ||
        (size != 1 && size != 2 && size != 4 && size != 8) || field->offset < 0 || field->offset + size > record->size) {
        return false;
    }
    *value = tep_read_number(decoder->tep, (const char *)record->data + field->offset, size);
    if ((field->flags & TEP_FIELD_IS_SIGNED) && size < 8 && (*value >> (size * 8 - 1)) & 1) {
        *value |= ~0ull << (size * 8);
    }
    return true;
}

/* An unsigned field as the text prints it (%u, %llu, %d of a bool): a negative value would print a '-'
 * the text parser refuses. */
static bool unsigned_number(const vq_guest_decoder *decoder, const struct tep_format_field *field,
                            const struct tep_record *record, uint64_t *value)
{
    return number(decoder, field, record, value) &&
           (!(field->flags & TEP_FIELD_IS_SIGNED) || (int64_t)*value >= 0);
}

/* The entry of FORMAT, made when first met: NULL when out of memory. */
static format_entry *entry_of(vq_guest_decoder *decoder, struct tep_event *format)
{
    format_entry *entry;
    size_t i, slot;

    if (decoder->last < decoder->format_count && decoder->formats[decoder->last].id == format->id) {
        return &decoder->formats[decoder->last];
    }
    for (i = 0; i < decoder->format_count; i++) {
        if (decoder->formats[i].id == format->id) {
            decoder->last = i;
            return &decoder->formats[i];
        }
    }
    entry = VQ_PUSH(decoder->formats, decoder->format_count, decoder->format_capacity);
    if (!entry) {
        return NULL;
    }
    *entry = (format_entry){ .id = format->id };
    for (i = 0; i < KNOWN_COUNT && strcmp(known_events[i].name, format->name) != 0; i++) {
    }
    if (i < KNOWN_COUNT) {
        entry->known = &known_events[i];
        for (slot = 0; slot < FIELD_COUNT; slot++) {
            entry->field[slot] = tep_find_field(format, field_names[slot]);
            if ((known_events[i].required & BIT(slot)) && !entry->field[slot]) {
                entry->known = NULL;   /* not the format the text parser was written for */
            }
        }
    }
    decoder->last = decoder->format_count - 1;
    return entry;
}

/* The first four syscall arguments (an array of longs). */
static bool syscall_args(const vq_guest_decoder *decoder, const struct tep_format_field *field,
                         const struct tep_record *record, uint64_t *args)
{
    int size = (int)field->elementsize, i;

    if (!(field->flags & TEP_FIELD_IS_ARRAY) || (field->flags & TEP_FIELD_IS_DYNAMIC) || (size != 4 && size != 8) ||
        field->arraylen < 4 || field->offset < 0 || field->offset + 4 * size > record->size) {
        return false;
    }
    for (i = 0; i < 4; i++) {
        args[i] = tep_read_number(decoder->tep, (const char *)record->data + field->offset + i * size, size);
    }
    return true;
}

/* rwbs (a char array): whether it is a non-empty string of the record and has a 'W'. */
static bool rwbs_write(const struct tep_format_field *field, const struct tep_record *record, bool *write)
{
    const char *text = (const char *)record->data + field->offset;
    size_t length;

    if (!(field->flags & TEP_FIELD_IS_ARRAY) || (field->flags & TEP_FIELD_IS_DYNAMIC) || field->offset < 0 ||
        field->size <= 0 || field->offset + field->size > record->size) {
        return false;
    }
    length = strnlen(text, (size_t)field->size);
    if (length == 0 || length == (size_t)field->size || memchr(text, ' ', length)) {
        return false;   /* the text would print nothing, or run on, or split it */
    }
    *write = memchr(text, 'W', length) != NULL;
    return true;
}

/* The fields of one of ours (timed by ts_ns). */
static bool take_ours(const vq_guest_decoder *decoder, const format_entry *entry, const struct tep_record *record,
                      vq_guest_event *event)
{
    struct tep_format_field *const *f = entry->field;
    uint64_t value;

    if (!unsigned_number(decoder, f[F_TS_NS], record, &event->ts_ns) ||
        !unsigned_number(decoder, f[F_VQ], record, &value) || value > UINT32_MAX) {
        return false;
    }
    event->vq = (uint32_t)value;
    switch (event->type) {
    case VQ_GUEST_SUBMIT:
    case VQ_GUEST_COMPLETE:
        if (!unsigned_number(decoder, f[F_ID], record, &event->id)) {
            return false;
        }
        if (event->type == VQ_GUEST_COMPLETE && f[F_STATUS]) {
            if (!unsigned_number(decoder, f[F_STATUS], record, &value)) {
                return false;
            }
            event->status = (uint32_t)value;
        }
        if (event->type == VQ_GUEST_SUBMIT && f[F_BLOCK]) {
            if (!unsigned_number(decoder, f[F_BLOCK], record, &event->block)) {
                return false;
            }
            if (f[F_NBLOCKS]) {
                if (!unsigned_number(decoder, f[F_NBLOCKS], record, &value)) {
                    return false;
                }
                event->nblocks = value <= UINT32_MAX ? (uint32_t)value : 0;
            }
        }
        return true;
    case VQ_GUEST_KICK:
        if (!unsigned_number(decoder, f[F_ID_LAST], record, &event->id_last) ||
            !unsigned_number(decoder, f[F_NOTIFIED], record, &value) || value > 1) {
            return false;
        }
        event->notified = value == 1;
        if (f[F_NUM_FREE]) {
            if (!unsigned_number(decoder, f[F_NUM_FREE], record, &value)) {
                return false;
            }
            event->num_free = (uint32_t)value;
        }
        return true;
    case VQ_GUEST_IRQ:
        return true;
    case VQ_GUEST_HOLD:
        return unsigned_number(decoder, f[F_ID], record, &event->id) &&
               unsigned_number(decoder, f[F_START_NS], record, &event->hold_start_ns) &&
               unsigned_number(decoder, f[F_END_NS], record, &event->hold_end_ns) &&
               event->hold_end_ns >= event->hold_start_ns;
    default:
        return false;
    }
}

/* The fields of a block layer or syscall event (timed by ftrace's column). */
static bool take_kernel(const vq_guest_decoder *decoder, const format_entry *entry, const struct tep_record *record,
                        vq_guest_event *event)
{
    struct tep_format_field *const *f = entry->field;
    uint64_t value;

    switch (event->type) {
    case VQ_GUEST_SYS_ENTER:
        if (!number(decoder, f[F_ID], record, &value) || !syscall_args(decoder, f[F_ARGS], record, event->sys_args)) {
            return false;
        }
        event->sys_nr = (uint32_t)value;
        return true;
    case VQ_GUEST_SYS_EXIT:
        if (!number(decoder, f[F_ID], record, &value) || !number(decoder, f[F_RET], record, (uint64_t *)&event->sys_ret)) {
            return false;
        }
        event->sys_nr = (uint32_t)value;
        return true;
    case VQ_GUEST_RQ_COMPLETE:
        if (!number(decoder, f[F_ERROR], record, &value)) {
            return false;
        }
        event->status = value != 0;
        /* fall through */
    case VQ_GUEST_BIO_QUEUE:
    case VQ_GUEST_RQ_ISSUE:
        if (!unsigned_number(decoder, f[F_SECTOR], record, &event->sector) ||
            !unsigned_number(decoder, f[F_NR_SECTOR], record, &value) || value > UINT32_MAX ||
            !rwbs_write(f[F_RWBS], record, &event->write)) {
            return false;
        }
        event->sectors = (uint32_t)value;
        event->stock = event->type != VQ_GUEST_BIO_QUEUE;
        return true;
    default:
        return false;
    }
}

void vq_guest_decoder_agreed(vq_guest_decoder *decoder, struct tep_event *format, bool agreed)
{
    format_entry *entry = entry_of(decoder, format);

    if (entry && agreed) {
        entry->agreed = true;
    } else if (entry) {
        entry->known = NULL;   /* its print format is not the one the text parser reads: the text decides */
    }
}

bool vq_guest_decoder_take(vq_guest_decoder *decoder, struct tep_event *format, struct tep_record *record,
                           uint32_t cpu, vq_guest_event *event, bool *agreed)
{
    format_entry *entry = entry_of(decoder, format);
    int pid;

    if (!entry || !entry->known) {
        return false;
    }
    *agreed = entry->agreed;
    pid = tep_data_pid(decoder->tep, record);
    if (pid < 0) {
        return false;
    }
    memset(event, 0, sizeof(*event));
    event->type = entry->known->type;
    event->pid = (uint32_t)pid;
    event->cpu = cpu;
    if (entry->known->kind == OURS) {
        /* ftrace's column kept only when it is in TSC cycles (microseconds: no check worth making) */
        event->column_ns = decoder->counter_clock ? record->ts : 0;
        event->column_is_tsc = decoder->counter_clock;
        return take_ours(decoder, entry, record, event);
    }
    /* the column as the text shows it: cycles, or seconds.microseconds */
    event->ts_ns = decoder->counter_clock ? record->ts : record->ts / 1000 * 1000;
    event->column_tsc = decoder->counter_clock;
    return take_kernel(decoder, entry, record, event);
}

bool vq_guest_event_equal(const vq_guest_event *a, const vq_guest_event *b)
{
    return a->type == b->type && a->ts_ns == b->ts_ns && a->id == b->id && a->vq == b->vq &&
           a->id_last == b->id_last && a->num_free == b->num_free && a->notified == b->notified &&
           a->status == b->status && a->stock == b->stock && a->sector == b->sector && a->sectors == b->sectors &&
           a->write == b->write && a->hold_start_ns == b->hold_start_ns && a->hold_end_ns == b->hold_end_ns &&
           a->block == b->block && a->nblocks == b->nblocks && a->pid == b->pid && a->cpu == b->cpu &&
           a->sys_nr == b->sys_nr && memcmp(a->sys_args, b->sys_args, sizeof(a->sys_args)) == 0 &&
           a->sys_ret == b->sys_ret && a->uring_req == b->uring_req && a->user_data == b->user_data &&
           a->block_seq == b->block_seq && a->block_label == b->block_label && a->block_begin == b->block_begin &&
           a->column_tsc == b->column_tsc && a->column_ns == b->column_ns && a->column_is_tsc == b->column_is_tsc &&
           a->line == b->line;
}
