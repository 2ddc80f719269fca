/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An HTTP server of one text document: Prometheus's scrape target at /metrics (issue 13), on
 * libmicrohttpd. It knows nothing of sessions: a provider writes the exposition text at each scrape.
 *
 *   GET or HEAD /metrics  200, Content-Type text/plain; version=0.0.4; charset=utf-8, the provider's
 *                         text (HEAD: its headers and Content-Length, no body); if the provider fails,
 *                         500 and its message
 *   other methods         405, Allow: GET, HEAD
 *   other paths           404
 *   malformed requests    libmicrohttpd's 4xx (400 for a bad request line, 431 for headers past the
 *                         memory limit) or a closed connection
 *
 * Hostile or broken clients: one thread polls every connection (epoll), so a client that connects and
 * says nothing, or sends a byte now and then, holds one connection slot and nothing else. The timeout is
 * of inactivity: a connection silent for timeout_seconds is closed; a client that keeps sending, however
 * slowly, is served when its request is complete (its headers must fit in memory_per_connection). At
 * most connection_limit connections are open at once; past that, new ones wait in the listen backlog
 * until a slot frees (at worst, when the timeout closes an idle one).
 *
 * Threads: the provider is called on the server's one internal thread, one scrape at a time, never
 * concurrently with itself; data it shares with other threads is its to lock.
 */
#ifndef VQSCOPE_ANALYSIS_METRICS_SERVER_H
#define VQSCOPE_ANALYSIS_METRICS_SERVER_H

#include "event.h"

#include <stdio.h>
#include <sys/socket.h>

#define VQ_METRICS_PATH "/metrics"
#define VQ_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Writes the whole exposition text to OUT. Returns VQ_OK, or another status with ERROR set (the
 * scrape then gets a 500 carrying the message). */
typedef vq_status (*vq_metrics_provider)(void *context, FILE *out, vq_error *error);

/* Zero fields take the defaults (in parentheses). */
typedef struct {
    unsigned timeout_seconds;      /* inactivity before a connection is closed (5) */
    unsigned connection_limit;     /* connections open at once (32) */
    size_t memory_per_connection;  /* bytes: request line and headers must fit (32 KiB) */
} vq_metrics_server_limits;

typedef struct vq_metrics_server vq_metrics_server;

/*
 * ADDRESS_PORT: IPV4:PORT (dotted decimal), localhost:PORT (127.0.0.1) or [IPV6]:PORT, the port 1 to
 * 65535. Fills ADDRESS and LENGTH. Errors name the text, the part that is wrong and what was expected.
 */
vq_status vq_metrics_parse_address(const char *address_port, struct sockaddr_storage *address, socklen_t *length,
                                   vq_error *error);

/* Binds ADDRESS_PORT and serves from a thread of its own until vq_metrics_server_stop(). LIMITS may be
 * NULL (all defaults). NULL with ERROR set (a bad address, the address in use...) on failure. */
vq_metrics_server *vq_metrics_server_start(const char *address_port, const vq_metrics_server_limits *limits,
                                           vq_metrics_provider provider, void *context, vq_error *error);

/* The URL scraped, e.g. "http://127.0.0.1:9464/metrics", for messages. */
const char *vq_metrics_server_url(const vq_metrics_server *server);

/* Closes the listening socket and every connection, waits for the thread, frees. NULL is a no-op. */
void vq_metrics_server_stop(vq_metrics_server *server);

#endif
