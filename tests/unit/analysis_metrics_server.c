// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The /metrics server (analysis/src/metrics_server.c) on 127.0.0.1, a free port, with a provider whose
 * text is known (a scrape counter, optional padding lines, a failure on demand), through raw sockets:
 *
 * - GET /metrics: 200, the content type, Content-Length = the body, the provider called per scrape; a
 *   700 KB body whole; HEAD: the same headers, no body; a query string ignored; a GET's body dropped; two
 *   requests on one HTTP/1.1 connection; the provider's failure: 500 with its message, then 200 again
 * - other paths 404; POST, PUT, DELETE 405 with Allow: GET, HEAD
 * - malformed: "GARBAGE", a 64 KB header, a 16 KB URL, binary bytes: a 4xx or a closed connection within a
 *   second (well before the timeout: an answer, not a timeout), and the server still serves
 * - a client that connects and says nothing: a second client is served at once, and the server closes
 *   the silent one after the inactivity timeout (2 s here), not before;
 *   a client that sends its request one byte every 100 ms (2.5 s, longer than the timeout): served,
 *   since the timeout is of inactivity (the choice metrics_server.h documents), while other clients are
 *   served at once all along
 * - the connection limit (2, timeout 1 s): a third client waits until the timeout frees a slot, then
 *   is served
 * - addresses: valid forms parse; each malformed one is refused naming the part; a port in use gives an
 *   error naming the address; stop releases the port; [::1] serves (when the host has IPv6 loopback)
 */
#include "metrics_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define TIMEOUT_SECONDS 2
#define PADDING_LINES 20000u

typedef struct {
    atomic_uint scrapes;
    atomic_bool fail;
    atomic_uint padding_lines;
} test_provider;

typedef struct {
    char *data;
    size_t size;
    int status;           /* 0: no status line came */
    size_t header_size;   /* up to and including the blank line; 0: not seen */
    bool closed;          /* the server closed the connection (end of file or reset) */
    bool timed_out;
    double seconds;       /* from the call to the end of the response */
} response;

static vq_status provide(void *context, FILE *out, vq_error *error)
{
    test_provider *provider = context;
    unsigned scrape = atomic_fetch_add(&provider->scrapes, 1) + 1, lines = atomic_load(&provider->padding_lines), i;

    if (atomic_load(&provider->fail)) {
        vq_error_set(error, "session/guest.trace:12: broken on purpose");
        return VQ_ERR_FORMAT;
    }
    fprintf(out, "# TYPE vqscope_test_scrapes_total counter\nvqscope_test_scrapes_total %u\n", scrape);
    for (i = 0; i < lines; i++) {
        fprintf(out, "vqscope_test_padding{line=\"%06u\"} 1\n", i);
    }
    return VQ_OK;
}

static double now(void)
{
    struct timespec time;

    clock_gettime(CLOCK_MONOTONIC, &time);
    return (double)time.tv_sec + (double)time.tv_nsec / 1e9;
}

static void sleep_seconds(double seconds)
{
    struct timespec time = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };

    nanosleep(&time, NULL);
}

/* A free port on 127.0.0.1 (the kernel's pick, released again: the server binds it right after). */
static unsigned free_port(void)
{
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t length = sizeof(address);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    unsigned port = 0;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&address, sizeof(address)) == 0 &&
        getsockname(fd, (struct sockaddr *)&address, &length) == 0) {
        port = ntohs(address.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

static vq_metrics_server *start_on_free_port(const vq_metrics_server_limits *limits, test_provider *provider,
                                             unsigned *port)
{
    vq_metrics_server *server = NULL;
    char address[32];
    vq_error error;
    int attempt;

    for (attempt = 0; attempt < 5 && !server; attempt++) {   /* another process may take the port first */
        *port = free_port();
        snprintf(address, sizeof(address), "127.0.0.1:%u", *port);
        vq_error_clear(&error);
        server = vq_metrics_server_start(address, limits, provide, provider, &error);
        if (!server) {
            fprintf(stderr, "start on %s: %s\n", address, error.message);
        }
    }
    return server;
}

static int connect_to(int family, unsigned port)
{
    struct sockaddr_storage address = { 0 };
    socklen_t length;
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (family == AF_INET6) {
        struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)&address;

        ipv6->sin6_family = AF_INET6;
        ipv6->sin6_port = htons((in_port_t)port);
        ipv6->sin6_addr = in6addr_loopback;
        length = sizeof(*ipv6);
    } else {
        struct sockaddr_in *ipv4 = (struct sockaddr_in *)&address;

        ipv4->sin_family = AF_INET;
        ipv4->sin_port = htons((in_port_t)port);
        ipv4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        length = sizeof(*ipv4);
    }
    if (fd >= 0 && connect(fd, (struct sockaddr *)&address, length) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* All of DATA, or false (the server may close first: a refused request). */
static bool send_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);

        if (sent <= 0) {
            return false;
        }
        data += sent;
        size -= (size_t)sent;
    }
    return true;
}

static const char *header_value(const response *answer, const char *name, char *value, size_t value_size)
{
    size_t name_length = strlen(name), position;

    for (position = 0; position + name_length + 2 < answer->header_size; position++) {
        if ((position == 0 || answer->data[position - 1] == '\n') &&
            strncasecmp(answer->data + position, name, name_length) == 0 && answer->data[position + name_length] == ':') {
            const char *start = answer->data + position + name_length + 1, *end;

            while (*start == ' ') {
                start++;
            }
            end = strstr(start, "\r\n");
            if (!end || (size_t)(end - start) >= value_size) {
                return NULL;
            }
            memcpy(value, start, (size_t)(end - start));
            value[end - start] = '\0';
            return value;
        }
    }
    return NULL;
}

/* Reads one response: to the end of its Content-Length (a GET), or until the server closes (HEAD, a
 * refusal, HTTP/1.0), or until TIMEOUT seconds passed. */
static void read_response(int fd, bool head, double timeout, response *answer)
{
    double start = now(), deadline = start + timeout;
    size_t capacity = 0;

    *answer = (response){ 0 };
    for (;;) {
        struct pollfd ready = { .fd = fd, .events = POLLIN };
        char content_length[32];
        double left = deadline - now();
        ssize_t got;

        if (answer->header_size && !head && header_value(answer, "Content-Length", content_length, sizeof(content_length)) &&
            answer->size >= answer->header_size + strtoull(content_length, NULL, 10)) {
            break;
        }
        if (left <= 0 || poll(&ready, 1, (int)(left * 1000) + 1) == 0) {
            answer->timed_out = true;
            break;
        }
        if (answer->size + 65536 > capacity) {
            capacity = 2 * capacity + 65536;
            answer->data = realloc(answer->data, capacity + 1);
        }
        got = recv(fd, answer->data + answer->size, capacity - answer->size, 0);
        if (got <= 0) {
            answer->closed = true;
            break;
        }
        answer->size += (size_t)got;
        answer->data[answer->size] = '\0';
        if (!answer->header_size) {
            char *blank = strstr(answer->data, "\r\n\r\n");

            if (blank) {
                answer->header_size = (size_t)(blank + 4 - answer->data);
            }
        }
    }
    if (answer->data && answer->size >= 12 && strncmp(answer->data, "HTTP/1.", 7) == 0) {
        answer->status = atoi(answer->data + 9);
    }
    answer->seconds = now() - start;
}

/* One request on a connection of its own: RAW sent whole, then its response. */
static void request(int family, unsigned port, const char *raw, size_t raw_size, response *answer)
{
    int fd = connect_to(family, port);

    if (fd < 0) {
        *answer = (response){ 0 };
        return;
    }
    send_all(fd, raw, raw_size);
    read_response(fd, strncmp(raw, "HEAD ", 5) == 0, 5, answer);
    close(fd);
}

static void get(unsigned port, const char *raw, response *answer)
{
    request(AF_INET, port, raw, strlen(raw), answer);
}

static const char *body(const response *answer)
{
    return answer->header_size ? answer->data + answer->header_size : "";
}

static size_t body_size(const response *answer)
{
    return answer->header_size ? answer->size - answer->header_size : 0;
}

static void test_answers(unsigned port, test_provider *provider)
{
    static const char *const refused_methods[] = { "POST", "PUT", "DELETE", "OPTIONS" };
    char value[256], expected[128], line[64];
    response answer, again, head;
    unsigned scrape, i;
    size_t length;
    int fd;

    get(port, "GET /metrics HTTP/1.0\r\n\r\n", &answer);
    CHECK(answer.status == 200);
    CHECK(header_value(&answer, "Content-Type", value, sizeof(value)) && strcmp(value, VQ_METRICS_CONTENT_TYPE) == 0);
    CHECK(header_value(&answer, "Content-Length", value, sizeof(value)) && strtoull(value, NULL, 10) == body_size(&answer));
    CHECK(sscanf(body(&answer), "# TYPE vqscope_test_scrapes_total counter\nvqscope_test_scrapes_total %u\n", &scrape) == 1);
    snprintf(expected, sizeof(expected), "# TYPE vqscope_test_scrapes_total counter\nvqscope_test_scrapes_total %u\n",
             scrape);
    CHECK(body_size(&answer) == strlen(expected) && strcmp(body(&answer), expected) == 0);
    /* the provider runs for every scrape */
    get(port, "GET /metrics?from=test HTTP/1.0\r\n\r\n", &again);
    snprintf(expected, sizeof(expected), "vqscope_test_scrapes_total %u\n", scrape + 1);
    CHECK(again.status == 200 && strstr(body(&again), expected) != NULL);
    free(again.data);

    get(port, "HEAD /metrics HTTP/1.0\r\n\r\n", &head);
    CHECK(head.status == 200 && head.closed);
    CHECK(header_value(&head, "Content-Type", value, sizeof(value)) && strcmp(value, VQ_METRICS_CONTENT_TYPE) == 0);
    CHECK(header_value(&head, "Content-Length", value, sizeof(value)) && strtoull(value, NULL, 10) == body_size(&answer));
    CHECK(head.header_size > 0 && body_size(&head) == 0);
    free(head.data);
    free(answer.data);

    /* a large text, whole */
    atomic_store(&provider->padding_lines, PADDING_LINES);
    get(port, "GET /metrics HTTP/1.0\r\n\r\n", &answer);
    snprintf(line, sizeof(line), "vqscope_test_padding{line=\"%06u\"} 1\n", PADDING_LINES - 1);
    length = body_size(&answer);
    CHECK(answer.status == 200 && length > 700000);
    CHECK(length > strlen(line) && strcmp(body(&answer) + length - strlen(line), line) == 0);
    CHECK(!answer.timed_out);
    free(answer.data);
    atomic_store(&provider->padding_lines, 0);

    /* two scrapes on one HTTP/1.1 connection (Prometheus keeps its connection open) */
    fd = connect_to(AF_INET, port);
    CHECK(fd >= 0);
    if (fd >= 0) {
        send_all(fd, "GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n", 37);
        read_response(fd, false, 5, &answer);
        CHECK(answer.status == 200 && !answer.closed && !answer.timed_out);
        free(answer.data);
        send_all(fd, "GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n", 37);
        read_response(fd, false, 5, &answer);
        CHECK(answer.status == 200 && !answer.timed_out);
        free(answer.data);
        close(fd);
    }

    /* the provider fails: 500 with its message; then it serves again */
    atomic_store(&provider->fail, true);
    get(port, "GET /metrics HTTP/1.0\r\n\r\n", &answer);
    CHECK(answer.status == 500 && strstr(body(&answer), "broken on purpose") != NULL);
    free(answer.data);
    atomic_store(&provider->fail, false);
    get(port, "GET /metrics HTTP/1.0\r\n\r\n", &answer);
    CHECK(answer.status == 200);
    free(answer.data);

    /* a body on a GET is read and dropped */
    get(port, "GET /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", &answer);
    CHECK(answer.status == 200 && strstr(body(&answer), "vqscope_test_scrapes_total") != NULL);
    free(answer.data);

    get(port, "GET / HTTP/1.0\r\n\r\n", &answer);
    CHECK(answer.status == 404);
    free(answer.data);
    get(port, "GET /metricsx HTTP/1.0\r\n\r\n", &answer);
    CHECK(answer.status == 404);
    free(answer.data);
    get(port, "GET /metrics/ HTTP/1.0\r\n\r\n", &answer);
    CHECK(answer.status == 404);
    free(answer.data);
    for (i = 0; i < sizeof(refused_methods) / sizeof(refused_methods[0]); i++) {
        char raw[128];

        snprintf(raw, sizeof(raw), "%s /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", refused_methods[i]);
        get(port, raw, &answer);
        CHECK(answer.status == 405);
        CHECK(header_value(&answer, "Allow", value, sizeof(value)) && strcmp(value, "GET, HEAD") == 0);
        free(answer.data);
    }
}

/* A refusal: a 4xx, or the connection closed without an answer, within a second (an answer, not the
 * inactivity timeout). */
static void check_refused(const char *what, const response *answer)
{
    bool refused = (answer->status >= 400 && answer->status < 500) || (answer->status == 0 && answer->closed);

    printf("  %-22s -> %s %d after %.2f s\n", what, answer->status ? "status" : "closed", answer->status,
           answer->seconds);
    CHECK(refused);
    CHECK(!answer->timed_out && answer->seconds < 1.0);
}

static void test_malformed(unsigned port, test_provider *provider)
{
    static const char binary[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\0\0\xff\xfe\r\n\r\n";
    size_t big = 64 * 1024;
    char *raw = malloc(big + 128);
    unsigned before = atomic_load(&provider->scrapes);
    response answer;

    get(port, "GARBAGE\r\n\r\n", &answer);
    check_refused("GARBAGE", &answer);
    free(answer.data);

    snprintf(raw, 128, "GET /metrics HTTP/1.0\r\nX-Big: ");
    memset(raw + strlen(raw), 'a', big);
    strcpy(raw + strlen("GET /metrics HTTP/1.0\r\nX-Big: ") + big, "\r\n\r\n");
    get(port, raw, &answer);
    check_refused("64 KB header", &answer);
    free(answer.data);

    strcpy(raw, "GET /");
    memset(raw + 5, 'u', 16 * 1024);
    strcpy(raw + 5 + 16 * 1024, " HTTP/1.0\r\n\r\n");
    get(port, raw, &answer);
    check_refused("16 KB URL", &answer);
    free(answer.data);

    request(AF_INET, port, binary, sizeof(binary) - 1, &answer);   /* a TLS ClientHello's start, NULs */
    check_refused("binary", &answer);
    free(answer.data);
    free(raw);

    /* none of them reached the provider, and the server still serves */
    CHECK(atomic_load(&provider->scrapes) == before);
    get(port, "GET /metrics HTTP/1.0\r\n\r\n", &answer);
    CHECK(answer.status == 200);
    free(answer.data);
}

typedef struct {
    unsigned port;
    response answer;
    double seconds;
} slow_client;

static void *send_slowly(void *context)
{
    static const char raw[] = "GET /metrics HTTP/1.0\r\n\r\n";
    slow_client *client = context;
    double start = now();
    int fd = connect_to(AF_INET, client->port);
    size_t i;

    for (i = 0; fd >= 0 && i < sizeof(raw) - 1; i++) {
        if (!send_all(fd, raw + i, 1)) {
            break;
        }
        sleep_seconds(0.1);
    }
    if (fd >= 0) {
        read_response(fd, false, 5, &client->answer);
        close(fd);
    }
    client->seconds = now() - start;
    return NULL;
}

static void test_silent_and_slow(unsigned port)
{
    slow_client slow = { .port = port };
    int silent = connect_to(AF_INET, port), served = 0, slow_scrapes = 0;
    double start = now(), closed_after = -1, slowest = 0;
    pthread_t thread;
    response answer;

    CHECK(silent >= 0);
    /* a second client, at once */
    get(port, "GET /metrics HTTP/1.0\r\n\r\n", &answer);
    CHECK(answer.status == 200 && answer.seconds < 0.5);
    free(answer.data);
    CHECK(pthread_create(&thread, NULL, send_slowly, &slow) == 0);
    /* while the slow one sends and the silent one waits, others are served at once */
    while (now() - start < 2.0 + TIMEOUT_SECONDS + 2.0 && (closed_after < 0 || served < 10)) {
        struct pollfd ready = { .fd = silent, .events = POLLIN };
        char byte;

        get(port, "GET /metrics HTTP/1.0\r\n\r\n", &answer);
        served += answer.status == 200;
        slow_scrapes += answer.status != 200 || answer.seconds >= 0.5;
        slowest = answer.seconds > slowest ? answer.seconds : slowest;
        free(answer.data);
        if (closed_after < 0 && poll(&ready, 1, 0) == 1 && recv(silent, &byte, 1, MSG_DONTWAIT) <= 0) {
            closed_after = now() - start;
        }
        sleep_seconds(0.2);
    }
    pthread_join(thread, NULL);
    printf("  silent client closed by the server after %.2f s (timeout %d s); %d other scrapes meanwhile, "
           "slowest %.3f s\n", closed_after, TIMEOUT_SECONDS, served, slowest);
    printf("  slow client (a byte every 100 ms): status %d after %.2f s\n", slow.answer.status, slow.seconds);
    CHECK(closed_after >= TIMEOUT_SECONDS - 0.5 && closed_after <= TIMEOUT_SECONDS + 2.0);
    CHECK(served >= 10 && slow_scrapes == 0);
    /* served: the timeout is of inactivity, and it sent more than the timeout's worth of time */
    CHECK(slow.answer.status == 200 && slow.seconds > TIMEOUT_SECONDS);
    CHECK(strstr(body(&slow.answer), "vqscope_test_scrapes_total") != NULL);
    free(slow.answer.data);
    close(silent);
}

static void test_connection_limit(test_provider *provider)
{
    vq_metrics_server_limits limits = { .timeout_seconds = 1, .connection_limit = 2 };
    unsigned port = 0;
    vq_metrics_server *server = start_on_free_port(&limits, provider, &port);
    int first, second;
    response answer;

    CHECK(server != NULL);
    if (!server) {
        return;
    }
    first = connect_to(AF_INET, port);
    second = connect_to(AF_INET, port);
    CHECK(first >= 0 && second >= 0);
    sleep_seconds(0.1);   /* both accepted before the third comes */
    get(port, "GET /metrics HTTP/1.0\r\n\r\n", &answer);
    printf("  third client with two silent ones at a limit of 2 (timeout 1 s): status %d after %.2f s\n",
           answer.status, answer.seconds);
    CHECK(answer.status == 200 && answer.seconds >= 0.5 && answer.seconds <= 1 + 2.5);
    free(answer.data);
    close(first);
    close(second);
    vq_metrics_server_stop(server);
}

typedef struct {
    const char *text;
    const char *expected;   /* in the message */
} bad_address;

static void test_addresses(test_provider *provider)
{
    static const bad_address bad[] = {
        { "", "empty" },
        { "127.0.0.1", "no ':PORT'" },
        { "127.0.0.1:", "port '' is not a number from 1 to 65535" },
        { "127.0.0.1:0", "port '0' is not" },
        { "127.0.0.1:65536", "port '65536' is not" },
        { "127.0.0.1:080080", "port '080080' is not" },
        { "127.0.0.1:80x", "port '80x' is not" },
        { "127.0.0.1:+80", "port '+80' is not" },
        { "127.0.0.1: 80", "port ' 80' is not" },
        { ":80", "no address before the port" },
        { "1.2.3:80", "address '1.2.3' is not a dotted IPv4 address or localhost" },
        { "256.1.1.1:80", "address '256.1.1.1' is not" },
        { "metrics.example:80", "address 'metrics.example' is not" },
        { "::1:80", "more than one ':'" },
        { "[::1]80", "no ':PORT' after ']'" },
        { "[::1:80", "'[' without ']'" },
        { "[1.2.3.4]:80", "address '1.2.3.4' is not an IPv6 address" },
        { "[]:80", "no address before the port" },
    };
    struct sockaddr_storage address;
    socklen_t length = 0;
    vq_metrics_server *server, *again;
    char text[64];
    unsigned port = 0;
    response answer;
    vq_error error;
    size_t i;
    int busy;

    CHECK(vq_metrics_parse_address("127.0.0.1:9464", &address, &length, &error) == VQ_OK);
    CHECK(address.ss_family == AF_INET && length == sizeof(struct sockaddr_in) &&
          ntohs(((struct sockaddr_in *)&address)->sin_port) == 9464);
    CHECK(vq_metrics_parse_address("localhost:1", &address, &length, &error) == VQ_OK);
    CHECK(((struct sockaddr_in *)&address)->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(vq_metrics_parse_address("0.0.0.0:65535", &address, &length, &error) == VQ_OK);
    CHECK(ntohs(((struct sockaddr_in *)&address)->sin_port) == 65535);
    CHECK(vq_metrics_parse_address("[::1]:9464", &address, &length, &error) == VQ_OK);
    CHECK(address.ss_family == AF_INET6 && length == sizeof(struct sockaddr_in6));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vq_error_clear(&error);
        snprintf(text, sizeof(text), "'%s'", bad[i].text);
        if (vq_metrics_parse_address(bad[i].text, &address, &length, &error) != VQ_ERR_USAGE ||
            !strstr(error.message, bad[i].expected) || (bad[i].text[0] && !strstr(error.message, text))) {
            fprintf(stderr, "address '%s': message '%s', expected '%s'\n", bad[i].text, error.message, bad[i].expected);
            CHECK(!"a malformed address refused, naming the part");
        }
    }
    vq_error_clear(&error);
    CHECK(vq_metrics_server_start("127.0.0.1:99999", NULL, provide, provider, &error) == NULL);
    CHECK(strstr(error.message, "port '99999'") != NULL);

    /* a port in use: the error names the address and says so */
    port = free_port();
    busy = socket(AF_INET, SOCK_STREAM, 0);
    {
        struct sockaddr_in taken = { .sin_family = AF_INET, .sin_port = htons((in_port_t)port),
                                     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

        CHECK(busy >= 0 && bind(busy, (struct sockaddr *)&taken, sizeof(taken)) == 0 && listen(busy, 1) == 0);
    }
    snprintf(text, sizeof(text), "127.0.0.1:%u", port);
    vq_error_clear(&error);
    server = vq_metrics_server_start(text, NULL, provide, provider, &error);
    printf("  port in use: %s\n", error.message);
    CHECK(server == NULL && strstr(error.message, text) && strstr(error.message, "Address already in use"));
    vq_metrics_server_stop(server);
    close(busy);

    /* stop releases the port: the same address again, then nothing listens */
    server = start_on_free_port(NULL, provider, &port);
    CHECK(server != NULL);
    snprintf(text, sizeof(text), "http://127.0.0.1:%u/metrics", port);
    CHECK(server && strcmp(vq_metrics_server_url(server), text) == 0);
    vq_metrics_server_stop(server);
    snprintf(text, sizeof(text), "127.0.0.1:%u", port);
    again = vq_metrics_server_start(text, NULL, provide, provider, &error);
    CHECK(again != NULL);
    get(port, "GET /metrics HTTP/1.0\r\n\r\n", &answer);
    CHECK(answer.status == 200);
    free(answer.data);
    vq_metrics_server_stop(again);
    CHECK(connect_to(AF_INET, port) < 0);

    /* IPv6 loopback, when the host has it */
    snprintf(text, sizeof(text), "[::1]:%u", port);
    vq_error_clear(&error);
    server = vq_metrics_server_start(text, NULL, provide, provider, &error);
    if (!server && (strstr(error.message, "Cannot assign requested address") ||
                    strstr(error.message, "Address family not supported"))) {
        printf("  [::1]: no IPv6 loopback here (%s): not checked\n", error.message);
        return;
    }
    CHECK(server != NULL);
    snprintf(text, sizeof(text), "http://[::1]:%u/metrics", port);
    CHECK(server && strcmp(vq_metrics_server_url(server), text) == 0);
    request(AF_INET6, port, "GET /metrics HTTP/1.0\r\n\r\n", 25, &answer);
    CHECK(answer.status == 200);
    free(answer.data);
    vq_metrics_server_stop(server);
}

int main(void)
{
    vq_metrics_server_limits limits = { .timeout_seconds = TIMEOUT_SECONDS };
    test_provider provider = { 0 };
    vq_metrics_server *server;
    unsigned port = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    server = start_on_free_port(&limits, &provider, &port);
    CHECK(server != NULL);
    if (server) {
        printf("serving on %s\n", vq_metrics_server_url(server));
        test_answers(port, &provider);
        test_malformed(port, &provider);
        test_silent_and_slow(port);
        vq_metrics_server_stop(server);
    }
    test_connection_limit(&provider);
    test_addresses(&provider);
    return check_summary("analysis_metrics_server");
}
