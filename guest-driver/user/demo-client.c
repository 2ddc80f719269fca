// SPDX-License-Identifier: GPL-2.0
/*
 * demo-client - send well-formed requests to a virtio-demo device.
 *
 *   demo-client [-d DEV] calc A B
 *   demo-client [-d DEV] random N SEED
 *
 * Printed values are the device's answers, never the expected ones, so a
 * host-side checker can verify every line on its own.
 */
#include "demo-common.h"

static const char *prog = "demo-client";

static _Noreturn void print_usage(void)
{
	fprintf(stderr,
		"usage: %s [-d DEV] calc A B\n"
		"       %s [-d DEV] random N SEED\n"
		"DEV defaults to " DEMO_DEFAULT_DEV "\n", prog, prog);
	exit(2);
}

static int cmd_calc(int fd, int argc, char **argv)
{
	struct virtio_demo_calc c;
	int64_t a, b;

	if (argc != 2 || parse_s64(argv[0], &a) || parse_s64(argv[1], &b))
		print_usage();
	if (demo_calc(fd, a, b, &c)) {
		fprintf(stderr, "%s: calc %" PRId64 " %" PRId64 ": %s\n", prog,
			a, b, strerror(errno));
		return 1;
	}
	printf("id=%" PRIu64 " a=%" PRId64 " b=%" PRId64 " product=%" PRId64
	       " sum=%" PRId64 " flags=%" PRIu32 " status=%u\n",
	       (uint64_t)c.id, a, b, (int64_t)c.product, (int64_t)c.sum,
	       (uint32_t)c.flags, c.status);
	if (!demo_check(&c, a, b)) {
		demo_report_mismatch(prog, "calc", &c, a, b);
		return 1;
	}
	return 0;
}

#define I32MIN	((int64_t)INT32_MIN)
#define I32MAX	((int64_t)INT32_MAX)
#define SQRTMAX	3037000499LL	/* floor(sqrt(INT64_MAX)) */

/* Hand-picked pairs around every overflow boundary, tried first. */
static const int64_t special_pairs[][2] = {
	{ 0, 0 }, { 1, 1 }, { -1, -1 }, { 1, -1 }, { 0, INT64_MIN },
	{ INT64_MAX, 1 },		/* sum overflows */
	{ INT64_MIN, -1 },		/* both overflow */
	{ -1, INT64_MIN },
	{ INT64_MIN, 1 }, { INT64_MAX, -1 }, { INT64_MAX, 0 },
	{ INT64_MAX, INT64_MAX }, { INT64_MIN, INT64_MIN },
	{ INT64_MAX, INT64_MIN }, { INT64_MIN + 1, -1 },
	{ I32MAX, I32MAX }, { I32MIN, I32MIN }, { I32MIN, I32MAX },
	{ I32MAX + 1, I32MAX + 1 }, { 4294967296LL, 4294967296LL },
	{ SQRTMAX, SQRTMAX },		/* largest square that fits */
	{ SQRTMAX + 1, SQRTMAX + 1 },	/* smallest square that does not */
	{ -SQRTMAX - 1, SQRTMAX + 1 }, { -SQRTMAX - 1, -SQRTMAX - 1 },
	{ 1LL << 62, 2 },		/* product is 2^63: overflows */
	{ -(1LL << 62), 2 },		/* product is -2^63: fits */
	{ INT64_MIN / 2 - 1, 2 },	/* product is -2^63 - 2: overflows */
	{ INT64_MAX / 2, 2 },		/* product is 2^63 - 2: fits */
	{ INT64_MAX, 2 },
	{ INT64_MIN, 2 }, { INT64_MAX / 3, 3 }, { INT64_MAX / 3 + 1, 3 },
	{ 1LL << 62, 1LL << 62 },	/* sum is 2^63: overflows */
	{ -(1LL << 62), -(1LL << 62) },	/* sum is -2^63: fits */
	{ INT64_MIN, INT64_MAX },
};

/* Then every combination of these. */
static const int64_t edge_values[] = {
	0, 1, -1, 2, -2, I32MAX, I32MIN, I32MAX + 1, 4294967295LL,
	4294967296LL, SQRTMAX, SQRTMAX + 1, INT64_MAX, INT64_MIN,
	INT64_MAX - 1, INT64_MIN + 1,
};

#define N_SPECIAL	ARRAY_SIZE(special_pairs)
#define N_EDGE		ARRAY_SIZE(edge_values)

static void pick_pair(uint64_t i, uint64_t *state, int64_t *a, int64_t *b)
{
	if (i < N_SPECIAL) {
		*a = special_pairs[i][0];
		*b = special_pairs[i][1];
		return;
	}
	i -= N_SPECIAL;
	if (i < N_EDGE * N_EDGE) {
		*a = edge_values[i / N_EDGE];
		*b = edge_values[i % N_EDGE];
		return;
	}
	*a = rand_operand(state);
	*b = rand_operand(state);
}

static int cmd_random(int fd, int argc, char **argv)
{
	uint64_t n, seed, i, bad = 0, last_id = 0;

	if (argc != 2 || parse_u64(argv[0], &n) || parse_u64(argv[1], &seed))
		print_usage();

	for (i = 0; i < n; i++) {
		struct virtio_demo_calc c;
		int64_t a, b;

		pick_pair(i, &seed, &a, &b);
		if (demo_calc(fd, a, b, &c)) {
			fprintf(stderr, "%s: pair %" PRIu64 " a=%" PRId64
				" b=%" PRId64 ": %s\n", prog, i, a, b,
				strerror(errno));
			bad++;
			continue;
		}
		printf("pair %" PRIu64 " a=%" PRId64 " b=%" PRId64
		       " product=%" PRId64 " sum=%" PRId64 " flags=%" PRIu32
		       " status=%u\n", i, a, b, (int64_t)c.product,
		       (int64_t)c.sum, (uint32_t)c.flags, c.status);
		if (!demo_check(&c, a, b)) {
			demo_report_mismatch(prog, "random", &c, a, b);
			bad++;
		} else if (c.id <= last_id) {
			fprintf(stderr, "%s: pair %" PRIu64 ": id %" PRIu64
				" not above previous id %" PRIu64 "\n", prog,
				i, (uint64_t)c.id, last_id);
			bad++;
		}
		if (c.id > last_id)
			last_id = c.id;
	}
	printf("%s: %" PRIu64 " pairs, %" PRIu64 " mismatches\n", prog, n, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *dev = DEMO_DEFAULT_DEV;
	int opt, fd, ret;

	/* '+': stop at the subcommand, so negative operands are not options. */
	while ((opt = getopt(argc, argv, "+d:h")) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		default:
			print_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		print_usage();

	if (strcmp(argv[0], "calc") && strcmp(argv[0], "random"))
		print_usage();
	fd = tool_open(prog, dev);
	if (fd < 0)
		return 1;
	if (!strcmp(argv[0], "calc"))
		ret = cmd_calc(fd, argc - 1, argv + 1);
	else
		ret = cmd_random(fd, argc - 1, argv + 1);
	close(fd);
	return ret;
}
