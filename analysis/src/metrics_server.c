// SPDX-License-Identifier: GPL-2.0-or-later
/* The /metrics HTTP server on libmicrohttpd (metrics_server.h). */
#include "metrics_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_SECONDS 5u
#define DEFAULT_CONNECTION_LIMIT 32u
#define DEFAULT_MEMORY_PER_CONNECTION (32u * 1024u)
/* libmicrohttpd keeps a connection's request and its response headers in this pool: below a few KiB
 * even a plain scrape does not fit */
#define MINIMUM_MEMORY_PER_CONNECTION (4u * 1024u)
#define LISTEN_BACKLOG 64
#define URL_MAX (INET6_ADDRSTRLEN + sizeof("http://[]:65535" VQ_METRICS_PATH))

struct vq_metrics_server {
    struct MHD_Daemon *daemon;
    vq_metrics_provider provider;
    void *context;
    /* While MHD_start_daemon runs, libmicrohttpd's messages are kept for the error; afterwards they are
     * dropped (a scanner's garbage is not worth a line on stderr each). The logger runs on MHD's thread. */
    atomic_bool starting;
    char start_message[256];
    char url[URL_MAX];
};

static const char usage_hint[] = "expected ADDR:PORT: an IPv4 address, localhost or [IPv6], and a port 1 to 65535";

/* PORT_TEXT is all digits (no sign, no spaces) and 1 to 65535. */
static bool parse_port(const char *port_text, in_port_t *port)
{
    unsigned long value = 0;
    size_t i;

    for (i = 0; port_text[i]; i++) {
        if (port_text[i] < '0' || port_text[i] > '9' || i >= 5) {
            return false;
        }
        value = value * 10 + (unsigned long)(port_text[i] - '0');
    }
    if (i == 0 || value < 1 || value > 65535) {
        return false;
    }
    *port = htons((in_port_t)value);
    return true;
}

vq_status vq_metrics_parse_address(const char *address_port, struct sockaddr_storage *address, socklen_t *length,
                                   vq_error *error)
{
    char host[INET6_ADDRSTRLEN];
    const char *host_start = address_port, *host_end, *port_text;
    bool bracketed = address_port[0] == '[';
    size_t host_length;
    in_port_t port;

    memset(address, 0, sizeof(*address));
    if (!address_port[0]) {
        vq_error_set(error, "metrics address is empty; %s", usage_hint);
        return VQ_ERR_USAGE;
    }
    if (bracketed) {
        host_start = address_port + 1;
        host_end = strchr(host_start, ']');
        if (!host_end) {
            vq_error_set(error, "metrics address '%s': '[' without ']'; %s", address_port, usage_hint);
            return VQ_ERR_USAGE;
        }
        if (host_end[1] != ':') {
            vq_error_set(error, "metrics address '%s': no ':PORT' after ']'; %s", address_port, usage_hint);
            return VQ_ERR_USAGE;
        }
        port_text = host_end + 2;
    } else {
        host_end = strrchr(address_port, ':');
        if (!host_end) {
            vq_error_set(error, "metrics address '%s': no ':PORT'; %s", address_port, usage_hint);
            return VQ_ERR_USAGE;
        }
        if (strchr(address_port, ':') != host_end) {
            vq_error_set(error,
                         "metrics address '%s': more than one ':' (an IPv6 address goes in brackets, [::1]:PORT)",
                         address_port);
            return VQ_ERR_USAGE;
        }
        port_text = host_end + 1;
    }
    host_length = (size_t)(host_end - host_start);
    if (host_length == 0) {
        vq_error_set(error, "metrics address '%s': no address before the port; %s", address_port, usage_hint);
        return VQ_ERR_USAGE;
    }
    if (!parse_port(port_text, &port)) {
        vq_error_set(error, "metrics address '%s': port '%s' is not a number from 1 to 65535", address_port, port_text);
        return VQ_ERR_USAGE;
    }
    if (host_length >= sizeof(host)) {
        vq_error_set(error, "metrics address '%s': address '%.*s' is not %s", address_port, (int)host_length,
                     host_start, bracketed ? "an IPv6 address" : "an IPv4 address or localhost");
        return VQ_ERR_USAGE;
    }
    memcpy(host, host_start, host_length);
    host[host_length] = '\0';
    if (bracketed) {
        struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)address;

        ipv6->sin6_family = AF_INET6;
        ipv6->sin6_port = port;
        if (inet_pton(AF_INET6, host, &ipv6->sin6_addr) != 1) {
            vq_error_set(error, "metrics address '%s': address '%s' is not an IPv6 address", address_port, host);
            return VQ_ERR_USAGE;
        }
        *length = sizeof(*ipv6);
    } else {
        struct sockaddr_in *ipv4 = (struct sockaddr_in *)address;

        ipv4->sin_family = AF_INET;
        ipv4->sin_port = port;
        /* names other than localhost are not resolved: a scrape target's address is written down, not looked up */
        if (strcmp(host, "localhost") == 0) {
            ipv4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        } else if (inet_pton(AF_INET, host, &ipv4->sin_addr) != 1) {
            vq_error_set(error, "metrics address '%s': address '%s' is not a dotted IPv4 address or localhost "
                         "(an IPv6 one goes in brackets)", address_port, host);
            return VQ_ERR_USAGE;
        }
        *length = sizeof(*ipv4);
    }
    return VQ_OK;
}

/* A listening socket on ADDRESS, or -1 with ERROR set. Bound here rather than by libmicrohttpd so that a
 * failure says which address and why (its own message is "Failed to bind to port N"). */
static int listen_on(const struct sockaddr_storage *address, socklen_t length, const char *address_port,
                     vq_error *error)
{
    int fd = socket(address->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;

    if (fd < 0) {
        vq_error_set(error, "metrics address %s: cannot create a socket: %s", address_port, strerror(errno));
        return -1;
    }
    /* SO_REUSEADDR: a restarted server binds while the last one's connections sit in TIME_WAIT; on Linux
     * it does not let two servers listen on one port. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        (address->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0)) {
        vq_error_set(error, "metrics address %s: setsockopt: %s", address_port, strerror(errno));
        goto fail;
    }
    if (bind(fd, (const struct sockaddr *)address, length) != 0) {
        vq_error_set(error, "metrics address %s: cannot bind: %s%s", address_port, strerror(errno),
                     errno == EADDRINUSE ? " (something listens there already)" : "");
        goto fail;
    }
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        vq_error_set(error, "metrics address %s: cannot listen: %s", address_port, strerror(errno));
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

static void format_url(vq_metrics_server *server, const struct sockaddr_storage *address)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (address->ss_family == AF_INET6) {
        const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *)address;

        inet_ntop(AF_INET6, &ipv6->sin6_addr, host, sizeof(host));
        snprintf(server->url, sizeof(server->url), "http://[%s]:%u%s", host, ntohs(ipv6->sin6_port), VQ_METRICS_PATH);
    } else {
        const struct sockaddr_in *ipv4 = (const struct sockaddr_in *)address;

        inet_ntop(AF_INET, &ipv4->sin_addr, host, sizeof(host));
        snprintf(server->url, sizeof(server->url), "http://%s:%u%s", host, ntohs(ipv4->sin_port), VQ_METRICS_PATH);
    }
}

static void log_message(void *context, const char *format, va_list arguments)
{
    vq_metrics_server *server = context;
    size_t length;

    if (!atomic_load(&server->starting)) {
        return;
    }
    vsnprintf(server->start_message, sizeof(server->start_message), format, arguments);
    length = strlen(server->start_message);
    while (length > 0 && server->start_message[length - 1] == '\n') {
        server->start_message[--length] = '\0';
    }
}

/* A short text/plain answer (404, 405, 500), copied by libmicrohttpd. ALLOW: the Allow header, or NULL. */
static enum MHD_Result respond_text(struct MHD_Connection *connection, unsigned status, const char *text,
                                    const char *allow)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result result;

    if (!response) {
        return MHD_NO;   /* out of memory: libmicrohttpd closes the connection */
    }
    if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8") != MHD_YES ||
        (allow && MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
        MHD_destroy_response(response);
        return MHD_NO;
    }
    result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

/* The provider's text, written into a buffer that the response then owns (freed by libmicrohttpd). */
static enum MHD_Result respond_metrics(vq_metrics_server *server, struct MHD_Connection *connection)
{
    char *text = NULL, failure[VQ_ERROR_MAX + 64];
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    struct MHD_Response *response;
    enum MHD_Result result;
    vq_error error;
    vq_status status;

    vq_error_clear(&error);
    if (!out) {
        return respond_text(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics unavailable: out of memory\n", NULL);
    }
    status = server->provider(server->context, out, &error);
    /* a memory stream fails only for want of memory */
    if (fclose(out) != 0 && status == VQ_OK) {
        vq_error_set(&error, "out of memory");
        status = VQ_ERR_NOMEM;
    }
    if (status != VQ_OK) {
        free(text);
        snprintf(failure, sizeof(failure), "metrics unavailable: %s\n",
                 vq_error_is_set(&error) ? error.message : vq_status_name(status));
        return respond_text(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, failure, NULL);
    }
    if (size == 0) {
        free(text);   /* an empty body: nothing for the response to own */
        response = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else {
        response = MHD_create_response_from_buffer(size, text, MHD_RESPMEM_MUST_FREE);
        if (!response) {
            free(text);
        }
    }
    if (!response) {
        return MHD_NO;
    }
    if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, VQ_METRICS_CONTENT_TYPE) != MHD_YES) {
        MHD_destroy_response(response);
        return MHD_NO;
    }
    result = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return result;
}

/* libmicrohttpd calls this once the request line and headers are in (REQUEST_CONTEXT still NULL), then
 * for each piece of a body, then once more with none left. Refusals go out at once (libmicrohttpd then
 * closes the connection rather than read a body nobody waits for); the metrics go out on the last call,
 * so that the connection can stay open for the next scrape. A body is read and dropped. */
static enum MHD_Result handle_request(void *context, struct MHD_Connection *connection, const char *url,
                                      const char *method, const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **request_context)
{
    static int refused, accepted;   /* their addresses mark what the first call decided */
    vq_metrics_server *server = context;

    (void)version;
    (void)upload_data;
    if (!*request_context) {
        if (strcmp(url, VQ_METRICS_PATH) != 0) {
            *request_context = &refused;
            return respond_text(connection, MHD_HTTP_NOT_FOUND,
                                "not found: the metrics are at " VQ_METRICS_PATH "\n", NULL);
        }
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
            *request_context = &refused;
            return respond_text(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: use GET or HEAD\n",
                                "GET, HEAD");
        }
        *request_context = &accepted;
        return MHD_YES;
    }
    if (*request_context == &refused || *upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* HEAD: libmicrohttpd sends the headers of this response (its Content-Length included), not the body */
    return respond_metrics(server, connection);
}

vq_metrics_server *vq_metrics_server_start(const char *address_port, const vq_metrics_server_limits *limits,
                                           vq_metrics_provider provider, void *context, vq_error *error)
{
    static const vq_metrics_server_limits no_limits;
    struct sockaddr_storage address;
    socklen_t length = 0;
    vq_metrics_server *server = NULL;
    unsigned timeout, connection_limit;
    size_t memory;
    int listen_fd = -1;

    if (!limits) {
        limits = &no_limits;
    }
    timeout = limits->timeout_seconds ? limits->timeout_seconds : DEFAULT_TIMEOUT_SECONDS;
    connection_limit = limits->connection_limit ? limits->connection_limit : DEFAULT_CONNECTION_LIMIT;
    memory = limits->memory_per_connection ? limits->memory_per_connection : DEFAULT_MEMORY_PER_CONNECTION;
    if (!provider || memory < MINIMUM_MEMORY_PER_CONNECTION) {
        vq_error_set(error, "metrics server: %s", !provider ? "no provider" : "memory per connection below 4 KiB");
        return NULL;
    }
    if (vq_metrics_parse_address(address_port, &address, &length, error) != VQ_OK) {
        return NULL;
    }
    server = calloc(1, sizeof(*server));
    if (!server) {
        vq_error_set(error, "metrics address %s: out of memory", address_port);
        return NULL;
    }
    server->provider = provider;
    server->context = context;
    format_url(server, &address);
    listen_fd = listen_on(&address, length, address_port, error);
    if (listen_fd < 0) {
        goto fail;
    }
    atomic_store(&server->starting, true);
    /* One internal thread polls every connection with epoll (see the header: a silent or slow client
     * holds a slot, not the thread). ITC: MHD_quiesce_daemon needs it, to hand the socket back at stop. */
    server->daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                                          (address.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                                      0, NULL, NULL, handle_request, server,
                                      MHD_OPTION_EXTERNAL_LOGGER, log_message, server,
                                      MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
                                      MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                                      MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                                      MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory,
                                      MHD_OPTION_END);
    atomic_store(&server->starting, false);
    if (!server->daemon) {
        vq_error_set(error, "metrics address %s: libmicrohttpd did not start: %s", address_port,
                     server->start_message[0] ? server->start_message : "no reason given");
        /* libmicrohttpd closes the socket it was given on some of its failure paths and not on others: close
         * it only if still open (no other thread of ours opens files while the server starts) */
        if (fcntl(listen_fd, F_GETFD) != -1) {
            close(listen_fd);
        }
        goto fail;
    }
    return server;
fail:
    free(server);
    return NULL;
}

const char *vq_metrics_server_url(const vq_metrics_server *server)
{
    return server->url;
}

void vq_metrics_server_stop(vq_metrics_server *server)
{
    MHD_socket listen_fd;

    if (!server) {
        return;
    }
    /* Quiesced, libmicrohttpd hands the listening socket back instead of closing it itself, so that it is
     * closed exactly once, after its thread has ended. */
    listen_fd = MHD_quiesce_daemon(server->daemon);
    MHD_stop_daemon(server->daemon);
    if (listen_fd != MHD_INVALID_SOCKET) {
        close(listen_fd);
    }
    free(server);
}
