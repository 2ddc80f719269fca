/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `vqscope-top` shows of a session (pure: no curses, no threads): a value built from one analysis
 * (vq_top_view_build) and drawn as plain text lines (vq_top_view_render), the same lines the terminal
 * screen shows, so that they can be tested without one.
 *
 * "Last second" is the stitched requests that completed within the second before the latest guest
 * completion of the session: the requests per second and each stage's p50 / p99 over them. It is
 * measured on the guest clock from the session's own last completion, not the wall clock, so that a
 * session analyzed a while after its files were written still shows its last second of work, and a
 * session that stopped shows its final rate rather than 0. "Since start" is each stage over every
 * stitched request (the session's stage histograms, as the text report prints them).
 */
#ifndef VQSCOPE_ANALYSIS_TOP_VIEW_H
#define VQSCOPE_ANALYSIS_TOP_VIEW_H

#include "session.h"
#include "stats.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VQ_TOP_WINDOW_NS VQ_RECENT_WINDOW_NS   /* the "last second": what the session keeps as recent */
#define VQ_TOP_EXITS 5                   /* exit reasons shown: the most frequent */
#define VQ_TOP_NAME_MAX 1024

typedef struct {
    char label[32];                      /* vq_exit_label: "NPF", "WRITE_CR3(0x...)" */
    uint64_t total;                      /* every exit of this reason in the stream */
    double per_request;                  /* exits during the workload / stitched requests */
} vq_top_exit;

/* A plain value (no pointers): a consumer builds one and copies it under its lock. */
typedef struct {
    char name[VQ_TOP_NAME_MAX];          /* vq_session_name, cut to fit */
    char status[16];                     /* meta.json's: recording, complete, partial; "" unknown */
    char mode[16], device[16], ioeventfd[16], level[16];
    bool stock;                          /* stock virtio-blk: suppressed kicks are not traced */
    uint64_t guest_requests;             /* submits in the guest trace */
    uint64_t stitched;                   /* stitched requests */
    size_t unmatched;
    uint64_t latest_complete_guest;      /* guest ns of the latest completion of a stitched request; 0 none */
    size_t last_second_requests;         /* rows completed in (latest - 1 s, latest]: requests per second */
    vq_summary last_second[VQ_STAGE_COUNT];
    vq_summary since_start[VQ_STAGE_COUNT];
    uint64_t kicks, notified, suppressed;
    bool has_kvm;                        /* KVM events in the probe stream (none under TCG) */
    vq_top_exit exits[VQ_TOP_EXITS];
    size_t exit_count;
    uint64_t probe_drops;
    size_t warning_count;
} vq_top_view;

/* OUT from SESSION. VQ_ERR_NOMEM (ERROR says so) when the scratch histogram cannot be had. */
vq_status vq_top_view_build(const vq_session *session, vq_top_view *out, vq_error *error);

/* The view as text lines, each cut to WIDTH columns (WIDTH <= 0: not cut). Times in us, one decimal. */
void vq_top_view_render(const vq_top_view *view, FILE *out, int width);

#endif
