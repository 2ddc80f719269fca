// SPDX-License-Identifier: GPL-2.0
/*
 * demo-bad - send malformed requests to a virtio-demo device through the
 * RAW ioctl and check that each is answered with an error, and that the
 * device still answers good requests afterwards.
 *
 *   demo-bad [-d DEV] [-v] N SEED
 */
#include "demo-common.h"

static const char *prog = "demo-bad";

#define REQ_LEN		((uint32_t)sizeof(struct virtio_demo_req))
#define RESP_LEN	((uint32_t)sizeof(struct virtio_demo_resp))

enum part_kind { PART_OK, PART_MISSING, PART_SHORT, PART_LONG, PART_KINDS };

static const char *const kind_name[PART_KINDS] = {
	"ok", "missing", "short", "long",
};

static uint32_t part_len(uint64_t *state, enum part_kind kind, uint32_t good)
{
	switch (kind) {
	case PART_OK:
		return good;
	case PART_MISSING:
		return 0;
	case PART_SHORT:
		return (uint32_t)rand_range(state, 1, good - 1);
	default:
		/* Mostly just too long, sometimes up to the limit. */
		if (splitmix64(state) & 1)
			return (uint32_t)rand_range(state, good + 1, 2 * good);
		return (uint32_t)rand_range(state, good + 1, VIRTIO_DEMO_RAW_MAX);
	}
}

static int raw(int fd, void *out, uint32_t out_len, void *in, uint32_t in_len,
	       uint32_t *used_len)
{
	struct virtio_demo_raw r;

	memset(&r, 0, sizeof(r));
	r.out_ptr = (uintptr_t)out;
	r.in_ptr = (uintptr_t)in;
	r.out_len = out_len;
	r.in_len = in_len;
	if (ioctl(fd, VIRTIO_DEMO_IOC_RAW, &r))
		return -1;
	*used_len = r.used_len;
	return 0;
}

/* Sizes the driver itself must refuse, without involving the device. */
static int check_driver_limits(int fd)
{
	static uint8_t out[VIRTIO_DEMO_RAW_MAX + 1], in[VIRTIO_DEMO_RAW_MAX + 1];
	static const uint32_t sizes[][2] = {
		{ 0, 0 }, { VIRTIO_DEMO_RAW_MAX + 1, 32 },
		{ 24, VIRTIO_DEMO_RAW_MAX + 1 },
	};
	uint32_t used;
	unsigned int i;
	int fails = 0;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (!raw(fd, out, sizes[i][0], in, sizes[i][1], &used) ||
		    errno != EINVAL) {
			fprintf(stderr, "%s: RAW out_len=%u in_len=%u was not refused with EINVAL\n",
				prog, sizes[i][0], sizes[i][1]);
			fails++;
		}
	}
	return fails;
}

/* One good request; returns true if it was answered right. */
static bool good_request(int fd, uint64_t *state)
{
	struct virtio_demo_calc c;
	int64_t a = rand_operand(state), b = rand_operand(state);

	if (demo_calc(fd, a, b, &c)) {
		fprintf(stderr, "%s: good request a=%" PRId64 " b=%" PRId64
			": %s\n", prog, a, b, strerror(errno));
		return false;
	}
	if (!demo_check(&c, a, b)) {
		demo_report_mismatch(prog, "good request", &c, a, b);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	static uint8_t out[VIRTIO_DEMO_RAW_MAX], in[VIRTIO_DEMO_RAW_MAX];
	const char *dev = DEMO_DEFAULT_DEV;
	uint64_t n, seed, i, errors = 0, wrong = 0, good_ok = 0, good_fail = 0;
	bool verbose = false;
	int opt, fd, limit_fails;

	while ((opt = getopt(argc, argv, "+d:vh")) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2 || parse_u64(argv[optind], &n) ||
	    parse_u64(argv[optind + 1], &seed))
		goto usage;

	fd = tool_open(prog, dev);
	if (fd < 0)
		return 1;

	limit_fails = check_driver_limits(fd);

	for (i = 0; i < n; i++) {
		enum part_kind ok, ik;
		uint32_t out_len, in_len, used = 0, k;
		uint8_t status = 0;
		bool right;

		/* Any combination but "both ok" and "both missing". */
		do {
			ok = (enum part_kind)(splitmix64(&seed) % PART_KINDS);
			ik = (enum part_kind)(splitmix64(&seed) % PART_KINDS);
		} while ((ok == PART_OK && ik == PART_OK) ||
			 (ok == PART_MISSING && ik == PART_MISSING));
		out_len = part_len(&seed, ok, REQ_LEN);
		in_len = part_len(&seed, ik, RESP_LEN);

		for (k = 0; k < out_len; k++)
			out[k] = (uint8_t)splitmix64(&seed);
		/* Sometimes start with a plausible request header. */
		if (out_len >= REQ_LEN && (splitmix64(&seed) & 1)) {
			struct virtio_demo_req req = {
				.id = splitmix64(&seed),
				.a = (uint64_t)rand_operand(&seed),
				.b = (uint64_t)rand_operand(&seed),
			};

			memcpy(out, &req, sizeof(req));
		}
		/* Poison: only bytes copied back by the driver can pass for a status. */
		memset(in, 0xa5, in_len);

		if (raw(fd, out, out_len, in, in_len, &used)) {
			fprintf(stderr, "%s: bad %" PRIu64 " out=%s(%u) in=%s(%u): %s\n",
				prog, i, kind_name[ok], out_len, kind_name[ik],
				in_len, strerror(errno));
			wrong++;
			right = false;
		} else {
			if (in_len) {
				status = in[in_len - 1];
				right = used == 1 &&
					status == VIRTIO_DEMO_S_BADREQ;
			} else {
				right = used == 0;
			}
			if (right) {
				errors++;
			} else {
				wrong++;
				fprintf(stderr, "%s: bad %" PRIu64 " out=%s(%u) in=%s(%u): WRONG ANSWER used_len=%u status=%u\n",
					prog, i, kind_name[ok], out_len,
					kind_name[ik], in_len, used, status);
			}
		}
		if (verbose)
			printf("bad %" PRIu64 " out_len=%u in_len=%u used_len=%u status=%u %s\n",
			       i, out_len, in_len, used, status,
			       right ? "error" : "WRONG");

		if ((i + 1) % 100 == 0 && i + 1 < n) {
			if (good_request(fd, &seed))
				good_ok++;
			else
				good_fail++;
		}
	}
	if (good_request(fd, &seed))
		good_ok++;
	else
		good_fail++;

	printf("%s: %" PRIu64 " bad requests, %" PRIu64
	       " answered with error, %" PRIu64
	       " wrong answers; good requests after: %" PRIu64 " ok, %" PRIu64
	       " failed\n", prog, n, errors, wrong, good_ok, good_fail);
	close(fd);
	return (wrong || good_fail || limit_fails || errors != n) ? 1 : 0;

usage:
	fprintf(stderr, "usage: %s [-d DEV] [-v] N SEED\n"
		"DEV defaults to " DEMO_DEFAULT_DEV "\n", prog);
	return 2;
}
