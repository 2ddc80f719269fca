// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libbpf's messages for vqscope-probe (probe_log.h). */
#define _GNU_SOURCE
#include "probe_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

/* libbpf's warnings are kept (not printed unless -v) so that a failed load can say which program the
 * kernel refused and why; attach failures of events we then skip would otherwise flood stderr. */
#define LIBBPF_LOG_SIZE 8192

static char libbpf_log[LIBBPF_LOG_SIZE];
static bool verbose;
static size_t libbpf_log_len;

static int libbpf_print(enum libbpf_print_level level, const char *format, va_list args)
{
	va_list copy;
	int n;

	if (verbose) {
		va_copy(copy, args);
		vfprintf(stderr, format, copy);
		va_end(copy);
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	if (libbpf_log_len >= LIBBPF_LOG_SIZE - 256) /* keep the latest messages */
		libbpf_log_len = 0;
	n = vsnprintf(libbpf_log + libbpf_log_len, LIBBPF_LOG_SIZE - libbpf_log_len, format, args);
	if (n > 0)
		libbpf_log_len += (size_t)n < LIBBPF_LOG_SIZE - libbpf_log_len ? (size_t)n :
				  LIBBPF_LOG_SIZE - libbpf_log_len - 1;
	return 0;
}

void libbpf_log_reset(void)
{
	libbpf_log_len = 0;
	libbpf_log[0] = '\0';
}

/* The last line of the kept libbpf log, without "libbpf: " and the newline, into buf. */
void libbpf_log_last_line(char *buf, size_t size)
{
	char *end = libbpf_log + libbpf_log_len, *start;

	while (end > libbpf_log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	start = end;
	while (start > libbpf_log && start[-1] != '\n')
		start--;
	if (!strncmp(start, "libbpf: ", 8) && end - start >= 8)
		start += 8;
	snprintf(buf, size, "%.*s", (int)(end - start), start);
}

/* After a failed load: the program libbpf names in its first "prog 'X': ... fail..." warning (the first
 * one carries the kernel's reason, the later ones only repeat the failure), and that reason. */
bool libbpf_log_failed_program(char *name, size_t size, char *why, size_t why_size)
{
	for (char *line = libbpf_log; line && *line;) {
		char *next = strchr(line, '\n');
		size_t length = next ? (size_t)(next - line) : strlen(line);
		char *prog = memmem(line, length, "prog '", 6);
		char *quote;

		if (prog && memmem(line, length, "fail", 4) && (quote = memchr(prog + 6, '\'', line + length - prog - 6))) {
			char *reason = quote + 1;

			if (*reason == ':')
				reason++;
			while (*reason == ' ')
				reason++;
			snprintf(name, size, "%.*s", (int)(quote - prog - 6), prog + 6);
			snprintf(why, why_size, "%.*s", (int)(line + length - reason), reason);
			return name[0] != '\0';
		}
		line = next ? next + 1 : NULL;
	}
	return false;
}

void libbpf_log_init(bool print_all)
{
	verbose = print_all;
	libbpf_set_print(libbpf_print);
}

const char *libbpf_log_text(void)
{
	return libbpf_log;
}
