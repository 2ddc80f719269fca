/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by every guest test program (demo-client, demo-bad, xblk-bad):
 * strict number parsing, a seeded PRNG and opening the device node. The
 * virtio-demo device's own helpers are in demo-common.h.
 */
#ifndef TOOL_COMMON_H
#define TOOL_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

static inline int parse_s64(const char *s, int64_t *v)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 0);
	if (errno || end == s || *end)
		return -1;
	*v = x;
	return 0;
}

static inline int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (*s == '-')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return -1;
	*v = x;
	return 0;
}

/* splitmix64: tiny, seedable and good enough to pick test values. */
static inline uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform-ish in [lo, hi]; the modulo bias does not matter here. */
static inline uint64_t rand_range(uint64_t *state, uint64_t lo, uint64_t hi)
{
	return lo + splitmix64(state) % (hi - lo + 1);
}

/* Opens the device node PATH read-write; on failure says why, as PROG. */
static inline int tool_open(const char *prog, const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
	return fd;
}

#endif /* TOOL_COMMON_H */
