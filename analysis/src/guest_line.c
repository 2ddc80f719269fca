// SPDX-License-Identifier: GPL-2.0-or-later
/* One guest trace line -> vq_guest_event (vq_guest_trace_parse_line, guest_trace.h): ftrace's text of the
 * virtio_xblk tracepoints, of the block layer and our kprobes for stock virtio-blk, of the workload's
 * syscalls and io_uring, and the trace markers. The reader (guest_trace.c) feeds it the lines of
 * guest.trace, or of the guest's binary stream decoded into the same text (guest_stream.c). */
#include "guest_trace.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Value of KEY=... in the fields after the event name; false when absent or not a number. */
static bool field_u64(const char *fields, const char *key, uint64_t *value, bool *present)
{
    size_t key_length = strlen(key);
    const char *cursor = fields;
    char *end;

    *present = false;
    while ((cursor = strstr(cursor, key)) != NULL) {
        bool at_start = cursor == fields || cursor[-1] == ' ';

        if (at_start && cursor[key_length] == '=') {
            const char *digits = cursor + key_length + 1;

            *present = true;
            if (*digits < '0' || *digits > '9') {
                return false;
            }
            errno = 0;
            *value = strtoull(digits, &end, 0);
            return errno == 0 && (*end == '\0' || *end == ' ' || *end == '\n' || *end == '\r');
        }
        cursor += key_length;
    }
    return false;
}

static vq_status parse_bar(const char *text, vq_guest_bar *bar, const char **why)
{
    char address[64];
    unsigned bar_number;
    unsigned long long start, end;

    if (sscanf(text, " %63s bar%u %llx %llx", address, &bar_number, &start, &end) != 4 || end < start) {
        *why = "expected '# device-bar: PCIADDR barN START END' with START <= END (hex)";
        return VQ_ERR_FORMAT;
    }
    *bar = (vq_guest_bar){ .start = start, .end = end, .bar = bar_number };
    snprintf(bar->pci, sizeof(bar->pci), "%.15s", address);
    return VQ_OK;
}

/* The fields of a "vqscope-block" trace_marker line (after the tag): "seq=K disk=L dev=NAME begin|end". */
static vq_status parse_block_mark(const char *fields, vq_guest_event *event, const char **why)
{
    unsigned seq;
    char label[4], dev[32], edge[8];

    if (sscanf(fields, "seq=%u disk=%3s dev=%31s %7s", &seq, label, dev, edge) != 4 || seq == 0 ||
        strlen(label) != 1 || (label[0] != 'A' && label[0] != 'B') ||
        (strcmp(edge, "begin") != 0 && strcmp(edge, "end") != 0)) {
        *why = "expected 'vqscope-block seq=K disk=A|B dev=NAME begin|end' (K from 1) in the trace marker";
        return VQ_ERR_FORMAT;
    }
    event->block_seq = seq;
    event->block_label = label[0];
    event->block_begin = strcmp(edge, "begin") == 0;
    return VQ_OK;
}

/*
 * ftrace's time column right before TAG_AT: "12.345678" (trace_clock mono: SECONDS.MICROS, to ns here)
 * or "123456789012" (trace_clock x86-tsc: cycles, *TSC set; the reader converts them). False if it is
 * neither.
 */
static bool ftrace_column(const char *line, const char *tag_at, uint64_t *value, bool *tsc)
{
    const char *start = tag_at;
    unsigned long long seconds, micros;
    int consumed = 0;
    char *end;

    while (start > line && start[-1] != ' ') {
        start--;
    }
    *tsc = false;
    if (start < tag_at && memchr(start, '.', (size_t)(tag_at - start)) == NULL) {
        if (*start < '0' || *start > '9') {
            return false;
        }
        errno = 0;
        *value = strtoull(start, &end, 10);
        *tsc = true;
        return errno == 0 && end == tag_at;
    }
    if (sscanf(start, "%llu.%6llu%n", &seconds, &micros, &consumed) != 2 || start + consumed != tag_at ||
        tag_at - start < 8 || tag_at[-7] != '.') {
        return false;
    }
    *value = (uint64_t)seconds * 1000000000ULL + (uint64_t)micros * 1000ULL;
    return true;
}

/* "TASK-PID [CPU] ...": the pid and CPU of an ftrace event line (task names may hold '-' and ' '). */
static bool task_and_cpu(const char *line, const char *tag_at, uint32_t *pid, uint32_t *cpu)
{
    const char *open = line;

    while ((open = strchr(open, '[')) != NULL && open < tag_at) {
        const char *digits = open + 1, *back = open;
        unsigned long value = 0, task = 0, scale = 1;

        while (*digits >= '0' && *digits <= '9') {
            value = value * 10 + (unsigned long)(*digits++ - '0');
        }
        if (*digits == ']' && digits > open + 1) {
            while (back > line && back[-1] == ' ') {
                back--;
            }
            while (back > line && back[-1] >= '0' && back[-1] <= '9' && scale < 10000000000UL) {
                task += scale * (unsigned long)(back[-1] - '0');
                scale *= 10;
                back--;
            }
            if (back > line && back[-1] == '-' && scale > 1 && task <= UINT32_MAX && value <= UINT32_MAX) {
                *pid = (uint32_t)task;
                *cpu = (uint32_t)value;
                return true;
            }
        }
        open++;
    }
    return false;
}

/* "KEY 0xHEX" or "KEY HEX" (a %p or %llx of the io_uring events) after KEY in FIELDS. */
static bool field_hex(const char *fields, const char *key, uint64_t *value)
{
    const char *at = strstr(fields, key);
    char *end;

    if (!at) {
        return false;
    }
    at += strlen(key);
    if (*at != ' ') {
        return false;
    }
    errno = 0;
    *value = strtoull(at + 1, &end, 16);
    return errno == 0 && end != at + 1;
}

/* The application-side events (see guest_trace.h); FIELDS follow the tag. */
static vq_status parse_app(const char *fields, vq_guest_event *event, const char **why)
{
    unsigned long long nr, args[4] = { 0 }, sector;
    long long ret;
    unsigned major, minor, sectors;
    char rwbs[16];
    const char *at;

    switch (event->type) {
    case VQ_GUEST_SYS_ENTER:
        if (sscanf(fields, "NR %llu (%llx, %llx, %llx, %llx", &nr, &args[0], &args[1], &args[2], &args[3]) < 2) {
            *why = "expected 'NR N (ARG0, ...)' (hex arguments) in sys_enter";
            return VQ_ERR_FORMAT;
        }
        event->sys_nr = (uint32_t)nr;
        memcpy(event->sys_args, args, sizeof(event->sys_args));
        return VQ_OK;
    case VQ_GUEST_SYS_EXIT:
        if (sscanf(fields, "NR %llu = %lld", &nr, &ret) != 2) {
            *why = "expected 'NR N = RET' in sys_exit";
            return VQ_ERR_FORMAT;
        }
        event->sys_nr = (uint32_t)nr;
        event->sys_ret = ret;
        return VQ_OK;
    case VQ_GUEST_BIO_QUEUE:
        if (sscanf(fields, "%u,%u %15s %llu + %u", &major, &minor, rwbs, &sector, &sectors) != 5) {
            *why = "expected 'MAJ,MIN RWBS SECTOR + SECTORS [COMM]' in block_bio_queue";
            return VQ_ERR_FORMAT;
        }
        event->sector = sector;
        event->sectors = sectors;
        event->write = strchr(rwbs, 'W') != NULL;
        return VQ_OK;
    case VQ_GUEST_URING_SUBMIT:
    case VQ_GUEST_URING_COMPLETE:
        if (!field_hex(fields, "req", &event->uring_req) || !field_hex(fields, "user_data", &event->user_data)) {
            *why = "expected 'req PTR' and 'user_data 0xN' in the io_uring event";
            return VQ_ERR_FORMAT;
        }
        if (event->type == VQ_GUEST_URING_COMPLETE) {
            at = strstr(fields, "result ");
            if (!at || sscanf(at, "result %lld", &ret) != 1) {
                *why = "expected 'result N' in io_uring_complete";
                return VQ_ERR_FORMAT;
            }
            event->sys_ret = ret;
        }
        return VQ_OK;
    default:
        *why = "not an application-side event";   /* unreachable: the table decides */
        return VQ_ERR_FORMAT;
    }
}

/* The fields of a stock virtio-blk event (see guest_trace.h): its tag is at TAG_AT, FIELDS follow. */
static vq_status parse_stock(const char *line, const char *tag_at, const char *fields, vq_guest_event *event,
                             const char **why)
{
    const char *cmd_end;
    char rwbs[16];
    unsigned major, minor, sectors, bytes;
    unsigned long long sector;
    uint64_t value;
    bool present;
    int error_code;

    (void)line;
    (void)tag_at;
    event->stock = true;
    /* "(CMD)" may be empty, which scanf's %[ cannot match: skip it by hand. */
    cmd_end = strchr(fields, ')');
    switch (event->type) {
    case VQ_GUEST_RQ_ISSUE:
        if (!cmd_end || sscanf(fields, "%u,%u %15s %u (", &major, &minor, rwbs, &bytes) != 4 ||
            sscanf(cmd_end + 1, " %llu + %u", &sector, &sectors) != 2) {
            *why = "expected 'MAJ,MIN RWBS BYTES (CMD) SECTOR + SECTORS [COMM]' in block_rq_issue";
            return VQ_ERR_FORMAT;
        }
        break;
    case VQ_GUEST_RQ_COMPLETE:
        if (!cmd_end || sscanf(fields, "%u,%u %15s (", &major, &minor, rwbs) != 3 ||
            sscanf(cmd_end + 1, " %llu + %u [%d]", &sector, &sectors, &error_code) != 3) {
            *why = "expected 'MAJ,MIN RWBS (CMD) SECTOR + SECTORS [ERROR]' in block_rq_complete";
            return VQ_ERR_FORMAT;
        }
        event->status = error_code != 0;
        break;
    case VQ_GUEST_KICK:
    case VQ_GUEST_IRQ:
        if (!field_u64(fields, "vq", &value, &present) || value > UINT32_MAX) {
            *why = "expected vq=<queue index> in the kprobe event's fields";
            return VQ_ERR_FORMAT;
        }
        event->vq = (uint32_t)value;
        event->notified = true;   /* virtqueue_notify: only kicks that write the doorbell */
        return VQ_OK;
    default:
        *why = "not a stock virtio-blk event";   /* unreachable: the table decides */
        return VQ_ERR_FORMAT;
    }
    event->sector = sector;
    event->sectors = sectors;
    event->write = strchr(rwbs, 'W') != NULL;
    return VQ_OK;
}

const char *vq_guest_type_name(vq_guest_type type)
{
    static const char *const names[] = {
        [VQ_GUEST_SUBMIT] = "submit", [VQ_GUEST_KICK] = "kick", [VQ_GUEST_IRQ] = "irq",
        [VQ_GUEST_COMPLETE] = "complete", [VQ_GUEST_HOLD] = "hold", [VQ_GUEST_RQ_ISSUE] = "rq_issue",
        [VQ_GUEST_RQ_COMPLETE] = "rq_complete", [VQ_GUEST_BIO_QUEUE] = "bio_queue",
        [VQ_GUEST_SYS_ENTER] = "sys_enter", [VQ_GUEST_SYS_EXIT] = "sys_exit",
        [VQ_GUEST_URING_SUBMIT] = "uring_submit", [VQ_GUEST_URING_COMPLETE] = "uring_complete",
        [VQ_GUEST_BLOCK] = "block",
    };

    return (size_t)type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "unknown";
}

vq_status vq_guest_trace_parse_line(const char *line, bool *is_event, vq_guest_event *event, bool *is_bar,
                                    vq_guest_bar *bar, const char **why)
{
    /* Ours first: a virtio_xblk line costs no more strstr() than before stock virtio-blk existed. */
    enum { OURS, STOCK, APP };   /* ts_ns field; ftrace's column (stock parser); column (app parser) */
    static const struct {
        const char *tag;
        vq_guest_type type;
        int kind;
    } kinds[] = {
        { ": virtio_xblk_submit: ", VQ_GUEST_SUBMIT, OURS },
        { ": virtio_xblk_kick: ", VQ_GUEST_KICK, OURS },
        { ": virtio_xblk_irq: ", VQ_GUEST_IRQ, OURS },
        { ": virtio_xblk_complete: ", VQ_GUEST_COMPLETE, OURS },
        { ": virtio_xblk_hold: ", VQ_GUEST_HOLD, OURS },
        { ": sys_enter: ", VQ_GUEST_SYS_ENTER, APP },
        { ": sys_exit: ", VQ_GUEST_SYS_EXIT, APP },
        { ": block_bio_queue: ", VQ_GUEST_BIO_QUEUE, APP },
        { ": block_rq_issue: ", VQ_GUEST_RQ_ISSUE, STOCK },
        { ": block_rq_complete: ", VQ_GUEST_RQ_COMPLETE, STOCK },
        { ": vqscope_blk_kick: ", VQ_GUEST_KICK, STOCK },
        { ": vqscope_blk_irq: ", VQ_GUEST_IRQ, STOCK },
        { ": io_uring_submit_sqe: ", VQ_GUEST_URING_SUBMIT, APP },
        { ": io_uring_submit_req: ", VQ_GUEST_URING_SUBMIT, APP },
        { ": io_uring_complete: ", VQ_GUEST_URING_COMPLETE, APP },
        { ": tracing_mark_write: vqscope-block ", VQ_GUEST_BLOCK, APP },
    };
    const char *fields = NULL;
    uint64_t value = 0;
    bool present;
    size_t i;
    vq_status status = VQ_OK;

    *is_event = false;
    *is_bar = false;
    *why = NULL;
    if (line[0] == '#') {
        const char *tag = "# device-bar:";

        if (strncmp(line, tag, strlen(tag)) == 0) {
            status = parse_bar(line + strlen(tag), bar, why);
            *is_bar = status == VQ_OK;
        }
        goto end;
    }
    if (line[strspn(line, " \t\r\n")] == '\0') {
        goto end;
    }
    *event = (vq_guest_event){ 0 };
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        fields = strstr(line, kinds[i].tag);
        if (fields) {
            event->type = kinds[i].type;
            if (!task_and_cpu(line, fields, &event->pid, &event->cpu)) {
                *why = "expected 'TASK-PID [CPU]' before the event";
                status = VQ_ERR_FORMAT;
                goto end;
            }
            if (kinds[i].kind != OURS) {
                if (!ftrace_column(line, fields, &event->ts_ns, &event->column_tsc)) {
                    *why = "expected ftrace's time column ('SECONDS.MICROS:' with trace_clock mono, "
                           "'CYCLES:' with x86-tsc) before the event";
                    status = VQ_ERR_FORMAT;
                    goto end;
                }
                status = kinds[i].kind == STOCK ?
                         parse_stock(line, fields, fields + strlen(kinds[i].tag), event, why) :
                         kinds[i].type == VQ_GUEST_BLOCK ?
                         parse_block_mark(fields + strlen(kinds[i].tag), event, why) :
                         parse_app(fields + strlen(kinds[i].tag), event, why);
                *is_event = status == VQ_OK;
                goto end;
            }
            if (ftrace_column(line, fields, &event->column_ns, &event->column_is_tsc) && !event->column_is_tsc) {
                event->column_ns = 0;   /* microseconds: no check of ts_ns worth making */
            }
            fields += strlen(kinds[i].tag);
            break;
        }
    }
    if (!fields) {
        /* Another tracepoint (virtio_xblk_raw_*...): a well-formed ftrace line is skipped. */
        if (!strstr(line, "]") || !strstr(line, ": ")) {
            *why = "expected an ftrace event line 'TASK-PID [CPU] FLAGS SECONDS: EVENT: fields' or a "
                   "'#' comment";
            status = VQ_ERR_FORMAT;
        }
        goto end;
    }
    if (!field_u64(fields, "ts_ns", &event->ts_ns, &present)) {
        *why = "expected ts_ns=<guest CLOCK_MONOTONIC ns> (a decimal number) in the event fields";
        status = VQ_ERR_FORMAT;
        goto end;
    }
    if (!field_u64(fields, "vq", &value, &present) || value > UINT32_MAX) {
        *why = "expected vq=<queue index> in the event fields";
        status = VQ_ERR_FORMAT;
        goto end;
    }
    event->vq = (uint32_t)value;
    switch (event->type) {
    case VQ_GUEST_SUBMIT:
    case VQ_GUEST_COMPLETE:
        if (!field_u64(fields, "id", &event->id, &present)) {
            *why = "expected id=<request id> in the event fields";
            status = VQ_ERR_FORMAT;
            goto end;
        }
        if (event->type == VQ_GUEST_COMPLETE && field_u64(fields, "status", &value, &present)) {
            event->status = (uint32_t)value;
        }
        if (event->type == VQ_GUEST_SUBMIT && field_u64(fields, "block", &event->block, &present) &&
            field_u64(fields, "nblocks", &value, &present) && value <= UINT32_MAX) {
            event->nblocks = (uint32_t)value;
        }
        break;
    case VQ_GUEST_KICK:
        if (!field_u64(fields, "id_last", &event->id_last, &present) ||
            !field_u64(fields, "notified", &value, &present) || value > 1) {
            *why = "expected id_last=<id> and notified=0|1 in the kick fields";
            status = VQ_ERR_FORMAT;
            goto end;
        }
        event->notified = value == 1;
        if (field_u64(fields, "num_free", &value, &present)) {
            event->num_free = (uint32_t)value;
        }
        break;
    case VQ_GUEST_IRQ:
        break;
    case VQ_GUEST_HOLD:
        if (!field_u64(fields, "id", &event->id, &present) ||
            !field_u64(fields, "start_ns", &event->hold_start_ns, &present) ||
            !field_u64(fields, "end_ns", &event->hold_end_ns, &present) || event->hold_end_ns < event->hold_start_ns) {
            *why = "expected id=<request id>, start_ns=<ns> and end_ns=<ns, not before start_ns> in the hold fields";
            status = VQ_ERR_FORMAT;
            goto end;
        }
        break;
    default:
        break;   /* the column-timed kinds returned above */
    }
    *is_event = true;
end:
    return status;
}
