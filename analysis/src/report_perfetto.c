// SPDX-License-Identifier: GPL-2.0-or-later
/* Chrome trace event JSON of a session's requests, for Perfetto (report.h). */
#include "report.h"

#include "report_format.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { PID_GUEST = 1, PID_HOST = 2, PID_QEMU = 3 };

static void perfetto_slice(FILE *out, bool *first, int pid, uint64_t tid, const char *name, uint64_t id,
                           int64_t start_host, int64_t end_host)
{
    if (end_host < start_host) {
        return;
    }
    fprintf(out, "%s\n{\"ph\":\"X\",\"pid\":%d,\"tid\":%" PRIu64 ",\"name\":\"%s\",\"ts\":%.3f,\"dur\":%.3f,"
            "\"args\":{\"id\":%" PRIu64 "}}", *first ? "" : ",", pid, tid, name, (double)start_host / 1000.0,
            (double)(end_host - start_host) / 1000.0, id);
    *first = false;
}

static void perfetto_flow(FILE *out, bool *first, const char *phase, int pid, uint64_t tid, uint64_t id,
                          int64_t at_host)
{
    fprintf(out, "%s\n{\"ph\":\"%s\",\"pid\":%d,\"tid\":%" PRIu64 ",\"name\":\"request\",\"cat\":\"request\","
            "\"id\":%" PRIu64 ",\"ts\":%.3f%s}", *first ? "" : ",", phase, pid, tid, id, (double)at_host / 1000.0,
            phase[0] == 'f' ? ",\"bp\":\"e\"" : "");
    *first = false;
}

vq_status vq_report_perfetto(FILE *out, const vq_session *session)
{
    const vq_clock_offset *offset = &session->offset;
    bool first = true;
    size_t i;

    if (!offset->usable) {
        return VQ_ERR_USAGE;
    }
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
    fprintf(out, "\n{\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\",\"args\":{\"name\":\"guest (aligned, "
            "offset %" PRId64 " ns, %s)\"}},", PID_GUEST, offset->from_offset, vq_offset_method_name(offset));
    fprintf(out, "\n{\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\",\"args\":{\"name\":\"host kernel "
            "(vCPU threads)\"}},", PID_HOST);
    fprintf(out, "\n{\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\",\"args\":{\"name\":\"QEMU device\"}}",
            PID_QEMU);
    first = false;
    for (i = 0; i < session->row_count; i++) {
        const vq_request_row *r = &session->rows[i];
        /* One offset per request, taken at its submit: the drift over one request is a fraction of a ns,
         * and one offset keeps each guest slice exactly as long as the guest measured it (per-event
         * offsets would round differently at its two ends). */
        int64_t request_offset = vq_clock_offset_at(offset, r->submit_guest);
        int64_t submit = (int64_t)r->submit_guest + request_offset;
        int64_t kick = (int64_t)r->kick_guest + request_offset;
        int64_t irq = (int64_t)r->irq_guest + request_offset;
        int64_t complete = (int64_t)r->complete_guest + request_offset;
        uint64_t guest_track = r->vq;

        perfetto_slice(out, &first, PID_GUEST, guest_track, "submit>kick", r->id, submit, kick);
        perfetto_flow(out, &first, "s", PID_GUEST, guest_track, r->id, submit);
        if (!r->batched && r->exit_host) {
            perfetto_slice(out, &first, PID_HOST, r->vcpu_tid, "exit>signal", r->id, (int64_t)r->exit_host,
                           (int64_t)(r->signal_host ? r->signal_host : r->exit_host));
            perfetto_flow(out, &first, "t", PID_HOST, r->vcpu_tid, r->id, (int64_t)r->exit_host);
        }
        if (r->handler_host) {
            perfetto_slice(out, &first, PID_QEMU, 1, "handler>begin", r->id, (int64_t)r->handler_host,
                           (int64_t)r->begin_host);
        }
        perfetto_slice(out, &first, PID_QEMU, 2, "begin>end", r->id, (int64_t)r->begin_host, (int64_t)r->end_host);
        perfetto_flow(out, &first, "t", PID_QEMU, 2, r->id, (int64_t)r->begin_host);
        if (r->inject_host) {
            perfetto_slice(out, &first, PID_QEMU, 3, "end>inject", r->id, (int64_t)r->end_host,
                           (int64_t)r->inject_host);
        }
        perfetto_slice(out, &first, PID_GUEST, 100 + guest_track, "irq>complete", r->id, irq, complete);
        perfetto_flow(out, &first, "f", PID_GUEST, 100 + guest_track, r->id, irq);
    }
    fputs("\n]}\n", out);
    return ferror(out) ? VQ_ERR_IO : VQ_OK;
}
