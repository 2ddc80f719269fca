/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * libbpf's messages, kept (printed too with -v) so that a failed load can say which program the kernel
 * refused and why, and a failed attach what libbpf said last.
 */
#ifndef VQSCOPE_PROBE_LOG_H
#define VQSCOPE_PROBE_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Routes libbpf's messages here; PRINT_ALL: also to stderr, debug ones included. */
void libbpf_log_init(bool print_all);
void libbpf_log_reset(void);
/* The kept messages. */
const char *libbpf_log_text(void);
/* The last line of the kept log, without "libbpf: " and the newline, into BUF. */
void libbpf_log_last_line(char *buf, size_t size);
/* After a failed load: the program libbpf names in its first "prog 'X': ... fail..." warning, and why. */
bool libbpf_log_failed_program(char *name, size_t size, char *why, size_t why_size);

#endif
