/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the virtio-demo guest test programs (demo-client, demo-bad): the
 * CALC ioctl, random operands and the user-space reference computation. The
 * parsing and the PRNG every guest program uses are in tool-common.h.
 */
#ifndef DEMO_COMMON_H
#define DEMO_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/virtio_vqscope.h>
#include "virtio_demo_ioctl.h"
#include "tool-common.h"

#define DEMO_DEFAULT_DEV	"/dev/virtio-demo0"

/*
 * A random operand whose magnitude is itself random, so that small values,
 * 32-bit values, values near the 64-bit limits and values near sqrt(2^63)
 * (where products start to overflow) all occur.
 */
static inline int64_t rand_operand(uint64_t *state)
{
	uint64_t r = splitmix64(state);
	uint64_t m = splitmix64(state);
	uint64_t small = (m >> 8) % 1000;
	uint64_t v;

	switch (r % 7) {
	case 0:
		return (int64_t)(m % 2001) - 1000;
	case 1:
		return (int32_t)(uint32_t)m;
	case 2:
		return (int64_t)m;
	case 3:
		/* Random bit width 0..63, random sign. */
		v = m >> (r >> 8) % 64;
		return (int64_t)((r & (1ULL << 40)) ? 0 - v : v);
	case 4:
		return (r & (1ULL << 40)) ? (int64_t)(INT64_MAX - small)
					  : (int64_t)(INT64_MIN + (int64_t)small);
	case 5:
		/* Power of two, plus or minus a little, either sign. */
		v = (1ULL << (r >> 8) % 63) + small - 500;
		return (int64_t)((r & (1ULL << 40)) ? 0 - v : v);
	default:
		/* 3037000499 is floor(sqrt(INT64_MAX)). */
		v = 3037000499ULL + small - 500;
		return (int64_t)((r & (1ULL << 40)) ? 0 - v : v);
	}
}

struct demo_expect {
	int64_t product;
	int64_t sum;
	uint32_t flags;
};

/* The builtins store the result mod 2^64, exactly what the device returns. */
static inline struct demo_expect demo_expected(int64_t a, int64_t b)
{
	struct demo_expect e = { 0, 0, 0 };

	if (__builtin_mul_overflow(a, b, &e.product))
		e.flags |= VIRTIO_DEMO_RESP_F_PRODUCT_OVERFLOW;
	if (__builtin_add_overflow(a, b, &e.sum))
		e.flags |= VIRTIO_DEMO_RESP_F_SUM_OVERFLOW;
	return e;
}

static inline int demo_calc(int fd, int64_t a, int64_t b,
			    struct virtio_demo_calc *c)
{
	memset(c, 0, sizeof(*c));
	c->a = a;
	c->b = b;
	return ioctl(fd, VIRTIO_DEMO_IOC_CALC, c);
}

/* Returns true when the device's answer is the right one. */
static inline bool demo_check(const struct virtio_demo_calc *c, int64_t a,
			      int64_t b)
{
	struct demo_expect e = demo_expected(a, b);

	return c->status == VIRTIO_DEMO_S_OK && c->product == e.product &&
	       c->sum == e.sum && c->flags == e.flags;
}

static inline void demo_report_mismatch(const char *prog, const char *what,
					const struct virtio_demo_calc *c,
					int64_t a, int64_t b)
{
	struct demo_expect e = demo_expected(a, b);

	fprintf(stderr,
		"%s: %s: MISMATCH id=%" PRIu64 " a=%" PRId64 " b=%" PRId64
		": got product=%" PRId64 " sum=%" PRId64 " flags=%" PRIu32
		" status=%u, expected product=%" PRId64 " sum=%" PRId64
		" flags=%" PRIu32 " status=0\n",
		prog, what, (uint64_t)c->id, a, b, (int64_t)c->product,
		(int64_t)c->sum, (uint32_t)c->flags, c->status, e.product,
		e.sum, e.flags);
}

#endif /* DEMO_COMMON_H */
