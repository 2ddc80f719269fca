// SPDX-License-Identifier: GPL-2.0
/*
 * trace-stream: streams the guest's ftrace ring buffers out while the workload runs, in binary (the
 * pages as the kernel wrote them: nothing is formatted in the guest), to a virtio-serial port that
 * QEMU writes into the session directory (guest.stream; the format: include/vqscope/guest_stream.h).
 *
 *   trace-stream --port DEV [--tracefs DIR] [--interval-ms N] [--ready FILE]
 *
 * Sends the page header's layout, the trace clock and the format of every event enabled now (and
 * ftrace's print, the trace markers), then, every N ms (default 200), reads each CPU's
 * per_cpu/cpuK/trace_pipe_raw until it has no more pages and writes what it read in writes of up to
 * 256 KiB (batches: the port's host side is QEMU's main loop); while a buffer still has pages after a
 * batch, it goes round again without waiting. On SIGTERM or SIGINT it reads the buffers dry
 * once more, sends saved_cmdlines and each CPU's overrun count, and exits 0. With --ready FILE it
 * creates FILE once the formats are sent and the buffers open (the recorder waits for it before
 * turning tracing on). Exit status 1 if a file cannot be read or the port written, 2 for wrong
 * arguments.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vqscope/guest_stream.h"

#define MAX_CPUS 64
#define BATCH_BYTES (256 * 1024)
#define PATH_BYTES 1024

static volatile sig_atomic_t stopping;
static int port_fd = -1;
static const char *port_name;
static char *batch;
static size_t batch_used;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int write_all(const void *data, size_t length)
{
	const char *p = data;

	while (length) {
		ssize_t n = write(port_fd, p, length);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "trace-stream: writing %s: %s\n", port_name, strerror(errno));
			return -1;
		}
		p += n;
		length -= (size_t)n;
	}
	return 0;
}

static int flush_batch(void)
{
	int ret = batch_used ? write_all(batch, batch_used) : 0;

	batch_used = 0;
	return ret;
}

/* Appends one section (header and payload) to the batch, flushing first when it would not fit. */
static int put_section(uint32_t type, uint32_t cpu, const void *payload, size_t length)
{
	struct vq_gstream_section s = { .type = type, .cpu = cpu, .length = length };

	if (batch_used + sizeof(s) + length > BATCH_BYTES && flush_batch())
		return -1;
	if (sizeof(s) + length > BATCH_BYTES)   /* larger than a batch: straight out */
		return write_all(&s, sizeof(s)) || write_all(payload, length) ? -1 : 0;
	memcpy(batch + batch_used, &s, sizeof(s));
	memcpy(batch + batch_used + sizeof(s), payload, length);
	batch_used += sizeof(s) + length;
	return 0;
}

/* The whole of a (tracefs) text file, NUL-terminated; NULL (and a message) when it cannot be read. */
static char *read_text(const char *path, size_t *length)
{
	size_t capacity = 4096, used = 0;
	char *text = malloc(capacity);
	int fd = open(path, O_RDONLY);

	if (fd < 0 || !text) {
		fprintf(stderr, "trace-stream: cannot read %s: %s\n", path, strerror(errno));
		free(text);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (used + 1 >= capacity) {
			char *bigger = realloc(text, capacity * 2);

			if (!bigger)
				break;
			text = bigger;
			capacity *= 2;
		}
		n = read(fd, text + used, capacity - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				fprintf(stderr, "trace-stream: reading %s: %s\n", path, strerror(errno));
				free(text);
				close(fd);
				return NULL;
			}
			break;
		}
		used += (size_t)n;
	}
	close(fd);
	text[used] = '\0';
	*length = used;
	return text;
}

static int put_file(uint32_t type, const char *path)
{
	size_t length;
	char *text = read_text(path, &length);
	int ret;

	if (!text)
		return -1;
	ret = put_section(type, 0, text, length);
	free(text);
	return ret;
}

/* One VQ_GSTREAM_FORMAT section: "SYSTEM/EVENT\n" then the event's format file. */
static int put_format(const char *tracefs, const char *system, const char *event)
{
	char path[PATH_BYTES], *format, *payload;
	size_t length;
	int head, ret;

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tracefs, system, event);
	format = read_text(path, &length);
	if (!format)
		return -1;
	head = snprintf(NULL, 0, "%s/%s\n", system, event);
	payload = malloc((size_t)head + length + 1);
	if (!payload) {
		free(format);
		return -1;
	}
	snprintf(payload, (size_t)head + 1, "%s/%s\n", system, event);
	memcpy(payload + head, format, length);
	ret = put_section(VQ_GSTREAM_FORMAT, 0, payload, (size_t)head + length);
	free(payload);
	free(format);
	return ret;
}

static int is_enabled(const char *tracefs, const char *system, const char *event)
{
	char path[PATH_BYTES], flag = '0';
	int fd;

	snprintf(path, sizeof(path), "%s/events/%s/%s/enable", tracefs, system, event);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	if (read(fd, &flag, 1) != 1)
		flag = '0';
	close(fd);
	return flag == '1';
}

/* The formats of every event enabled now, and ftrace/print (trace_marker), which is never "enabled". */
static int put_formats(const char *tracefs)
{
	char path[PATH_BYTES];
	DIR *systems;
	struct dirent *s;
	int ret = put_format(tracefs, "ftrace", "print");

	snprintf(path, sizeof(path), "%s/events", tracefs);
	systems = opendir(path);
	if (!systems) {
		fprintf(stderr, "trace-stream: cannot list %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (!ret && (s = readdir(systems)) != NULL) {
		DIR *events;
		struct dirent *e;

		if (s->d_name[0] == '.' || s->d_type != DT_DIR || strcmp(s->d_name, "ftrace") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/events/%s", tracefs, s->d_name);
		events = opendir(path);
		if (!events)
			continue;
		while (!ret && (e = readdir(events)) != NULL) {
			if (e->d_name[0] != '.' && e->d_type == DT_DIR &&
			    is_enabled(tracefs, s->d_name, e->d_name))
				ret = put_format(tracefs, s->d_name, e->d_name);
		}
		closedir(events);
	}
	closedir(systems);
	return ret;
}

/* Reads CPU's buffer until it is empty (or, when not stopping, a batch's worth), into the batch.
 * Returns 0 when the buffer is empty, 1 when it stopped at a batch's worth (more to read: the caller
 * goes round again at once), -1 on error. */
static int drain_cpu(int fd, uint32_t cpu, char *page, size_t page_size)
{
	size_t taken = 0;

	for (;;) {
		ssize_t n = read(fd, page, page_size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			fprintf(stderr, "trace-stream: reading cpu%u's trace_pipe_raw: %s\n", cpu, strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		if ((size_t)n != page_size) {
			fprintf(stderr, "trace-stream: cpu%u's trace_pipe_raw gave %zd bytes, not a page (%zu)\n",
				cpu, n, page_size);
			return -1;
		}
		if (put_section(VQ_GSTREAM_PAGE, cpu, page, page_size))
			return -1;
		taken += page_size;
		if (!stopping && taken >= BATCH_BYTES)
			return 1;   /* the other CPUs' turn; the rest right after */
	}
}

static int put_end(const char *tracefs, unsigned int cpus)
{
	char path[PATH_BYTES], text[64 * MAX_CPUS] = "";
	size_t used = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < cpus; cpu++) {
		size_t length;
		char *stats, *line;
		unsigned long long overrun = 0;

		snprintf(path, sizeof(path), "%s/per_cpu/cpu%u/stats", tracefs, cpu);
		stats = read_text(path, &length);
		if (!stats)
			return -1;
		line = strstr(stats, "overrun: ");
		if (line)
			overrun = strtoull(line + strlen("overrun: "), NULL, 10);
		free(stats);
		used += (size_t)snprintf(text + used, sizeof(text) - used, "cpu=%u overrun=%llu\n", cpu, overrun);
	}
	return put_section(VQ_GSTREAM_END, 0, text, used);
}

static int usage(void)
{
	fprintf(stderr, "usage: trace-stream --port DEV [--tracefs DIR] [--interval-ms N] [--ready FILE]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *tracefs = "/sys/kernel/tracing", *ready = NULL;
	long interval_ms = 200;
	struct vq_gstream_header header = { .magic = VQ_GSTREAM_MAGIC, .version = VQ_GSTREAM_VERSION };
	int fds[MAX_CPUS];
	unsigned int cpus = 0, cpu;
	char path[PATH_BYTES], *page;
	struct sigaction sa = { .sa_handler = on_stop };
	long page_size = sysconf(_SC_PAGESIZE);
	int i, ret = 1;

	for (i = 1; i < argc; i++) {
		char *end;

		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--port") == 0) {
			port_name = argv[++i];
		} else if (strcmp(argv[i], "--tracefs") == 0) {
			tracefs = argv[++i];
		} else if (strcmp(argv[i], "--ready") == 0) {
			ready = argv[++i];
		} else if (strcmp(argv[i], "--interval-ms") == 0) {
			interval_ms = strtol(argv[++i], &end, 10);
			if (*end || interval_ms < 1 || interval_ms > 10000) {
				fprintf(stderr, "trace-stream: --interval-ms takes 1-10000, not '%s'\n", argv[i]);
				return 2;
			}
		} else {
			return usage();
		}
	}
	if (!port_name)
		return usage();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	batch = malloc(BATCH_BYTES);
	page = malloc((size_t)page_size);
	if (!batch || !page)
		return 1;
	port_fd = open(port_name, O_WRONLY);
	if (port_fd < 0) {
		fprintf(stderr, "trace-stream: cannot open %s: %s\n", port_name, strerror(errno));
		return 1;
	}
	for (cpus = 0; cpus < MAX_CPUS; cpus++) {
		snprintf(path, sizeof(path), "%s/per_cpu/cpu%u/trace_pipe_raw", tracefs, cpus);
		fds[cpus] = open(path, O_RDONLY | O_NONBLOCK);
		if (fds[cpus] < 0)
			break;
	}
	if (cpus == 0) {
		fprintf(stderr, "trace-stream: cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	header.page_size = (uint32_t)page_size;
	header.cpus = cpus;
	header.long_size = sizeof(long);
	snprintf(path, sizeof(path), "%s/events/header_page", tracefs);
	memcpy(batch, &header, sizeof(header));   /* the stream's first bytes */
	batch_used = sizeof(header);
	if (put_file(VQ_GSTREAM_HEADER_PAGE, path))
		goto out;
	snprintf(path, sizeof(path), "%s/trace_clock", tracefs);
	if (put_file(VQ_GSTREAM_CLOCK, path) || put_formats(tracefs) || flush_batch())
		goto out;
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0) {
			fprintf(stderr, "trace-stream: cannot create %s: %s\n", ready, strerror(errno));
			goto out;
		}
		close(fd);
	}
	for (;;) {
		int last = stopping, more = 0;
		struct timespec pause = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };

		for (cpu = 0; cpu < cpus; cpu++) {
			int drained = drain_cpu(fds[cpu], cpu, page, (size_t)page_size);

			if (drained < 0)
				goto out;
			more |= drained;
		}
		if (flush_batch())
			goto out;
		if (last)
			break;
		/* the interval only once every buffer is empty: a busy guest is read as fast as it writes */
		if (!more)
			nanosleep(&pause, NULL);   /* a signal cuts it short: then the last round */
	}
	/* task names: the top instance's only (a pid without one reads as "<...>") */
	snprintf(path, sizeof(path), "%s/saved_cmdlines", tracefs);
	if ((access(path, R_OK) == 0 && put_file(VQ_GSTREAM_CMDLINES, path)) || put_end(tracefs, cpus) ||
	    flush_batch())
		goto out;
	ret = 0;
out:
	for (cpu = 0; cpu < cpus; cpu++)
		close(fds[cpu]);
	close(port_fd);
	return ret;
}
