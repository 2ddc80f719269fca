// SPDX-License-Identifier: GPL-2.0-or-later
/* A session's metrics served over HTTP, analyzed again when its files change (serve_metrics.h). */
#include "serve_metrics.h"

#include "live_session.h"
#include "metrics_server.h"
#include "report_metrics.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* How long a scrape waits for an analysis of files that changed before it serves the last one's text:
 * below Prometheus's shortest usual scrape timeout (1 s). */
#define SCRAPE_WAIT_MS 500

typedef struct {
    const char *argument;
    bool follow;              /* --follow: the session is being recorded; failures are served, not fatal */
    vq_live *live;
    pthread_mutex_t lock;     /* the fields below: written on the live thread, read on the server's */
    bool analyzed;            /* an analysis ended: TEXT or FAILURE is its outcome */
    char *text;               /* the last analysis's exposition text; NULL when it failed */
    size_t size;
    vq_error failure;         /* why the last analysis failed */
    char status[16];          /* the analyzed session's meta.json status */
    bool final_said;          /* the text of a finished session was served (said once on stderr) */
} served_session;

/* The live thread's consumer: the session's exposition text, or why there is none. */
static void keep(void *context, const vq_session *session, const vq_error *failure, double seconds, bool first)
{
    served_session *served = context;
    bool recording = session && strcmp(session->status, "recording") == 0;   /* its warnings: of a cut */
    char *text = NULL;
    size_t size = 0;
    vq_error error;
    FILE *out;
    size_t w;

    vq_error_clear(&error);
    if (!first && !served->follow) {
        fprintf(stderr, "vqscope-analyze: %s changed: analyzed it again in %.2f s\n", served->argument, seconds);
    }
    if (!session) {
        error = *failure;
        goto failed;
    }
    for (w = 0; w < session->warning_count && !recording; w++) {
        fprintf(stderr, "vqscope-analyze: warning: %s\n", session->warnings[w]);
    }
    out = open_memstream(&text, &size);
    if (!out) {
        vq_error_set(&error, "%s: out of memory", served->argument);
        goto failed;
    }
    vq_report_metrics(out, session);
    /* a memory stream fails only for want of memory */
    if ((ferror(out) | fclose(out)) != 0) {
        vq_error_set(&error, "%s: out of memory for the metrics text", served->argument);
        free(text);
        text = NULL;
        goto failed;
    }
failed:
    pthread_mutex_lock(&served->lock);
    /* each new failure gets a line (a scrape a second must not repeat it); the first analysis's is the
     * command's error unless it follows a recording */
    if (!text && (!first || served->follow) && strcmp(error.message, served->failure.message) != 0) {
        fprintf(stderr, "vqscope-analyze: %s\n", error.message);
    }
    served->analyzed = true;
    free(served->text);
    served->text = text;
    served->size = size;
    served->failure = error;
    snprintf(served->status, sizeof(served->status), "%s", session ? session->status : "");
    pthread_mutex_unlock(&served->lock);
}

/* The server's provider (on the server's thread): the text of the files as they are now, or of the last
 * analysis when a new one takes longer than SCRAPE_WAIT_MS. */
static vq_status provide(void *context, FILE *out, vq_error *error)
{
    served_session *served = context;
    vq_status status = VQ_OK;

    vq_live_refresh(served->live, SCRAPE_WAIT_MS);
    pthread_mutex_lock(&served->lock);
    if (!served->analyzed) {
        vq_error_set(error, "%s: the first analysis is still running", served->argument);
        status = VQ_ERR_FORMAT;
    } else if (!served->text) {
        *error = served->failure;
        status = VQ_ERR_FORMAT;
    } else if (fwrite(served->text, 1, served->size, out) != served->size) {
        status = VQ_ERR_NOMEM;
    } else if (served->follow && !served->final_said && strcmp(served->status, "recording") != 0) {
        /* `vqscope record --metrics` waits for this line before it stops the server */
        fprintf(stderr, "vqscope-analyze: served the analysis of the finished session (status %s)\n",
                served->status[0] ? served->status : "unknown");
        served->final_said = true;
    }
    pthread_mutex_unlock(&served->lock);
    return status;
}

vq_status vq_serve_session_metrics(const char *argument, const char *address_port, vq_session_loader load,
                                   bool follow, vq_error *error)
{
    served_session served = { .argument = argument, .follow = follow };
    vq_metrics_server *server = NULL;
    sigset_t stop_signals, blocked, previous;
    vq_status status = VQ_OK;
    int signal_number = 0;

    vq_error_clear(&served.failure);
    pthread_mutex_init(&served.lock, NULL);
    /* Blocked before any thread exists, so that the threads inherit the mask and the signals reach
     * sigwait() here. SIGPIPE too: a client gone mid-answer must not end the process (libmicrohttpd sends
     * with MSG_NOSIGNAL on Linux; this covers anything else). */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    blocked = stop_signals;
    sigaddset(&blocked, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &blocked, &previous);
    served.live = vq_live_start(argument, load, keep, &served, error);
    if (!served.live) {
        status = VQ_ERR_NOMEM;
        goto restore;
    }
    if (!follow) {
        /* a finished session: the first analysis decides whether there is anything to serve */
        vq_live_refresh(served.live, UINT_MAX);
        pthread_mutex_lock(&served.lock);
        if (!served.text) {
            *error = served.failure;
            status = VQ_ERR_FORMAT;
        }
        pthread_mutex_unlock(&served.lock);
        if (status != VQ_OK) {
            goto restore;
        }
    }
    server = vq_metrics_server_start(address_port, NULL, provide, &served, error);
    if (!server) {
        status = VQ_ERR_IO;
        goto restore;
    }
    fprintf(stderr, "vqscope-analyze: serving the metrics of %s at %s%s (SIGINT or SIGTERM stops)\n", argument,
            vq_metrics_server_url(server), follow ? ", following its recording" : "");
    while (sigwait(&stop_signals, &signal_number) != 0) {
    }
    vq_metrics_server_stop(server);
    fprintf(stderr, "vqscope-analyze: %s: stopped serving\n", strsignal(signal_number));
restore:
    vq_live_stop(served.live);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_mutex_destroy(&served.lock);
    free(served.text);
    return status;
}
