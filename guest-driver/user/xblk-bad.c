// SPDX-License-Identifier: GPL-2.0
/*
 * xblk-bad - send malformed requests to a virtio-xblk device through the
 * RAW ioctl of /dev/xblkN-raw and check that each is answered with an
 * error, and that the device still answers good requests afterwards.
 *
 *   xblk-bad [-d DEV] [-v] [-z] N SEED
 *
 * It never sends a well-formed WRITE. Malformed WRITEs either name blocks
 * outside the disk (or whose byte offset wraps to 0 mod 2^64) or carry, for
 * block 0, at most one block of block 0's own content as read at the start,
 * so that even a device that wrongly executed them would leave the disk
 * unchanged. Later reads of block 0 check that it did not change.
 */
#include <endian.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/virtio_vqscope.h>
#include "tool-common.h"
#include "virtio_xblk_ioctl.h"

#define XBLK_DEFAULT_DEV	"/dev/xblk0-raw"

static const char *prog = "xblk-bad";

#define HDR_LEN		((uint32_t)sizeof(struct virtio_xblk_req_hdr))
#define MAX_SEGS	VIRTIO_XBLK_RAW_MAX_SEGS
#define SEG_MAX		VIRTIO_XBLK_RAW_MAX_LEN
/* Request ids chosen here have the top bit set: the driver counts from 1. */
#define ID_BASE		(1ULL << 63)
/* Status poison: an unwritten status byte reads as S_OK, i.e. wrong. */
#define POISON		0xa5

enum kind {
	K_HDR_MISSING,		/* no readable byte at all */
	K_HDR_SHORT,		/* 1..23 readable bytes */
	K_HDR_WRITABLE,		/* a good header, but device-writable */
	K_NO_STATUS,		/* no writable byte */
	K_BAD_TYPE,		/* unknown request type */
	K_OUT_OF_RANGE,		/* block >= capacity */
	K_OVERFLOW,		/* block * block_size or block + n overflows */
	K_PAST_END,		/* starts inside, ends past capacity */
	K_PARTIAL,		/* data not a whole number of blocks */
	K_ZERO_DATA,		/* READ/WRITE without data */
	K_TOO_LONG,		/* more than max_blocks */
	K_TOO_MANY_SEGS,	/* more than max_segments data descriptors */
	K_WRITE_WRITABLE,	/* WRITE whose data is device-writable */
	K_READ_READABLE,	/* READ whose data is device-readable */
	K_FLUSH_DATA,		/* FLUSH with data */
	K_GET_ID_SHORT,		/* GET_ID buffer under VIRTIO_XBLK_ID_BYTES */
	K_KINDS
};

static const char *const kind_name[K_KINDS] = {
	"hdr-missing", "hdr-short", "hdr-writable", "no-status", "bad-type",
	"out-of-range", "overflow", "past-end", "partial-block", "zero-data",
	"too-long", "too-many-segs", "write-writable-data",
	"read-readable-data", "flush-with-data", "get-id-short",
};

/* Types no version of the ABI (nor virtio-blk) gives a meaning. */
static const uint32_t unknown_types[] = {
	2, 3, 5, 6, 7, 9, 0x100, 0x7fffffff, 0xffffffff,
};

/* The requests K_NO_STATUS sends without their status byte. */
static const uint32_t no_status_types[] = {
	VIRTIO_XBLK_T_READ, VIRTIO_XBLK_T_GET_ID, VIRTIO_XBLK_T_FLUSH,
	VIRTIO_XBLK_T_WRITE,
};

static struct virtio_xblk_info info;
static bool kind_ok[K_KINDS];
/* Block 0 as read at the start; what "safe" WRITE data is made of. */
static uint8_t *block0;
static bool have_block0;
static uint64_t next_id = ID_BASE;
/*
 * -z: also send zero-length descriptors. QEMU's virtqueue code does not
 * hand them to the device: it marks the whole device broken ("zero sized
 * buffers are not allowed"), after which nothing is answered any more.
 */
static bool zero_len_descs;

/* One descriptor chain being built, with its own buffers. */
struct chain {
	struct virtio_xblk_raw r;
	uint8_t *buf[MAX_SEGS];
};

static uint8_t seg_pool[MAX_SEGS][SEG_MAX];

static void chain_init(struct chain *c)
{
	memset(&c->r, 0, sizeof(c->r));
}

static uint8_t *chain_add(struct chain *c, uint32_t len, bool writable)
{
	unsigned int n = c->r.nsegs;

	if (n >= MAX_SEGS || len > SEG_MAX) {
		fprintf(stderr, "%s: internal error: segment %u of %u bytes\n",
			prog, n, len);
		exit(3);
	}
	c->buf[n] = seg_pool[n];
	memset(c->buf[n], writable ? POISON : 0, len);
	c->r.segs[n].ptr = (uintptr_t)c->buf[n];
	c->r.segs[n].len = len;
	c->r.segs[n].writable = writable;
	c->r.nsegs = n + 1;
	return c->buf[n];
}

static unsigned int chain_free_segs(const struct chain *c)
{
	return MAX_SEGS - c->r.nsegs;
}

static void put_hdr(uint8_t *p, uint32_t len, uint64_t block, uint32_t type)
{
	struct virtio_xblk_req_hdr h = {
		.id = htole64(next_id++),
		.block = htole64(block),
		.type = htole32(type),
		.reserved = 0,
	};

	memcpy(p, &h, len < HDR_LEN ? len : HDR_LEN);
}

static void add_hdr(struct chain *c, uint64_t block, uint32_t type)
{
	put_hdr(chain_add(c, HDR_LEN, false), HDR_LEN, block, type);
}

/* A READ header cut short: 1 to HDR_LEN - 1 bytes, maybe in two pieces. */
static void add_short_hdr(struct chain *c, uint64_t *st)
{
	uint32_t len = (uint32_t)rand_range(st, 1, HDR_LEN - 1);

	if (len >= 2 && (splitmix64(st) & 1)) {
		/* Split over two readable descriptors. */
		uint8_t tmp[sizeof(struct virtio_xblk_req_hdr)];
		uint32_t first = (uint32_t)rand_range(st, 1, len - 1);

		put_hdr(tmp, HDR_LEN, 0, VIRTIO_XBLK_T_READ);
		memcpy(chain_add(c, first, false), tmp, first);
		memcpy(chain_add(c, len - first, false), tmp + first,
		       len - first);
	} else {
		put_hdr(chain_add(c, len, false), len, 0, VIRTIO_XBLK_T_READ);
	}
}

/* The status byte, poisoned with S_OK: the device must overwrite it. */
static void add_status(struct chain *c)
{
	*chain_add(c, 1, true) = VIRTIO_XBLK_S_OK;
}

/*
 * len bytes of data in nseg segments (0: pick), each at least one byte
 * unless len is 0. Readable data is random unless safe is set, in which
 * case it is block 0's content (len must not exceed a block).
 */
static void add_data(struct chain *c, uint64_t *st, uint32_t len,
		     bool writable, unsigned int nseg, bool safe)
{
	unsigned int room = chain_free_segs(c), i, need;
	uint32_t left = len, off = 0;

	need = (len + SEG_MAX - 1) / SEG_MAX;
	if (!len) {
		nseg = 1;
	} else if (!nseg) {
		/* Leave one for the status; stay within max_segments. */
		unsigned int hi = room - 1;

		if (info.max_segments && hi > info.max_segments)
			hi = info.max_segments;
		if (hi > len)
			hi = len;
		if (hi < need)
			hi = need;
		nseg = (unsigned int)rand_range(st, need, hi);
	}
	if (safe && len > info.block_size) {
		fprintf(stderr, "%s: internal error: unsafe write data\n", prog);
		exit(3);
	}

	for (i = 0; i < nseg; i++) {
		uint32_t max_here, min_here, l;
		uint8_t *p;

		/* Leave at least one byte for each later segment. */
		max_here = left - (nseg - 1 - i);
		if (max_here > SEG_MAX)
			max_here = SEG_MAX;
		/* ... and no more than the later segments can carry. */
		min_here = left > (uint64_t)(nseg - 1 - i) * SEG_MAX ?
			   left - (nseg - 1 - i) * SEG_MAX : (len ? 1 : 0);
		l = i == nseg - 1 ? left :
		    (uint32_t)rand_range(st, min_here, max_here);
		p = chain_add(c, l, writable);
		if (!writable || safe) {
			uint32_t k;

			for (k = 0; k < l; k++)
				p[k] = safe ? block0[off + k] :
					      (uint8_t)splitmix64(st);
		}
		left -= l;
		off += l;
	}
}

static uint64_t rand_blocks(uint64_t *st, uint64_t max)
{
	uint64_t hi = info.max_blocks;

	if (hi > max)
		hi = max;
	return rand_range(st, 1, hi ? hi : 1);
}

/* Largest data length one chain can carry next to a header and status. */
#define DATA_ROOM	((uint64_t)(MAX_SEGS - 2) * SEG_MAX)

/* Blocks of data that fit in one chain. */
static uint64_t room_blocks(void)
{
	return DATA_ROOM / info.block_size;
}

static void build(struct chain *c, enum kind k, uint64_t *st)
{
	uint32_t bs = info.block_size;
	uint64_t cap = info.capacity, b, n;
	uint32_t len, type;

	chain_init(c);
	switch (k) {
	case K_HDR_MISSING:
		/* Only writable segments: data of a READ, then status. */
		n = splitmix64(st) % 3;
		if (n)
			add_data(c, st, (uint32_t)n * bs, true, 0, false);
		add_status(c);
		break;
	case K_HDR_SHORT:
	case K_HDR_WRITABLE:
		/* A one-block READ whose header is too short, or writable. */
		if (k == K_HDR_SHORT)
			add_short_hdr(c, st);
		else
			put_hdr(chain_add(c, HDR_LEN, true), HDR_LEN, 0,
				VIRTIO_XBLK_T_READ);
		add_data(c, st, bs, true, 0, false);
		add_status(c);
		break;
	case K_NO_STATUS:
		type = no_status_types[splitmix64(st) %
				       ARRAY_SIZE(no_status_types)];
		add_hdr(c, 0, type);
		/* A WRITE of block 0 with its own content. */
		if (type == VIRTIO_XBLK_T_WRITE)
			add_data(c, st, bs, false, 0, true);
		break;
	case K_BAD_TYPE:
		type = unknown_types[splitmix64(st) % ARRAY_SIZE(unknown_types)];
		add_hdr(c, 0, type);
		/* Data either way, all of it block 0's own content. */
		switch (splitmix64(st) % 3) {
		case 0:
			add_data(c, st, bs, true, 0, true);
			break;
		case 1:
			add_data(c, st, bs, false, 0, true);
			break;
		default:
			break;
		}
		add_status(c);
		break;
	case K_OUT_OF_RANGE:
		n = rand_blocks(st, room_blocks());
		/* Just past the end, or anywhere up to where offsets wrap. */
		if ((splitmix64(st) & 1) || cap >= UINT64_MAX / bs - n)
			b = cap + splitmix64(st) % 1024;
		else
			b = rand_range(st, cap, UINT64_MAX / bs - n);
		if (splitmix64(st) & 1) {
			add_hdr(c, b, VIRTIO_XBLK_T_READ);
			add_data(c, st, (uint32_t)n * bs, true, 0, false);
		} else {
			add_hdr(c, b, VIRTIO_XBLK_T_WRITE);
			add_data(c, st, (uint32_t)n * bs, false, 0, false);
		}
		add_status(c);
		break;
	case K_OVERFLOW:
		if (splitmix64(st) & 1) {
			/*
			 * block * block_size is k * 2^64: a device computing
			 * the offset in 64 bits would land on block 0, which
			 * gets its own content.
			 */
			unsigned int shift = 0;

			while ((1u << shift) < bs)
				shift++;
			b = rand_range(st, 1, bs - 1) << (64 - shift);
			add_hdr(c, b, VIRTIO_XBLK_T_WRITE);
			add_data(c, st, bs, false, 0, true);
		} else {
			/* Near 2^64: offset and block + n both overflow. */
			n = rand_blocks(st, room_blocks());
			if (splitmix64(st) & 1)
				b = UINT64_MAX - splitmix64(st) % 16;
			else
				b = rand_range(st, UINT64_MAX / bs + 1,
					       UINT64_MAX);
			add_hdr(c, b, VIRTIO_XBLK_T_READ);
			add_data(c, st, (uint32_t)n * bs, true, 0, false);
		}
		add_status(c);
		break;
	case K_PAST_END:
		/* READ only: a WRITE would reach the last blocks. */
		n = rand_range(st, 2, info.max_blocks < room_blocks() ?
				      info.max_blocks : room_blocks());
		if (n > cap + 1)
			n = cap + 1;
		b = cap - rand_range(st, 1, n - 1);
		add_hdr(c, b, VIRTIO_XBLK_T_READ);
		add_data(c, st, (uint32_t)n * bs, true, 0, false);
		add_status(c);
		break;
	case K_PARTIAL:
		if (splitmix64(st) & 1) {
			n = rand_blocks(st, room_blocks() - 1);
			len = (uint32_t)(n * bs) + (uint32_t)rand_range(st, 1, bs - 1);
			if (splitmix64(st) & 1)
				len -= bs;	/* also less than one block */
			add_hdr(c, 0, VIRTIO_XBLK_T_READ);
			add_data(c, st, len, true, 0, false);
		} else {
			/* Less than a block: a prefix of block 0 itself. */
			len = (uint32_t)rand_range(st, 1, bs - 1);
			add_hdr(c, 0, VIRTIO_XBLK_T_WRITE);
			add_data(c, st, len, false, 0, true);
		}
		add_status(c);
		break;
	case K_ZERO_DATA: {
		bool wr = splitmix64(st) & 1;

		add_hdr(c, 0, wr ? VIRTIO_XBLK_T_WRITE : VIRTIO_XBLK_T_READ);
		/* No data at all, or a zero-length data descriptor (-z). */
		if (zero_len_descs && (splitmix64(st) & 1))
			chain_add(c, 0, !wr);
		add_status(c);
		break;
	}
	case K_TOO_LONG:
		n = rand_range(st, (uint64_t)info.max_blocks + 1, room_blocks());
		add_hdr(c, 0, VIRTIO_XBLK_T_READ);
		add_data(c, st, (uint32_t)n * bs, true, 0, false);
		add_status(c);
		break;
	case K_TOO_MANY_SEGS: {
		unsigned int nseg = (unsigned int)rand_range(st,
					info.max_segments + 1, MAX_SEGS - 2);

		/* As few blocks as the segments allow, within max_blocks. */
		n = info.max_blocks < nseg ? info.max_blocks : nseg;
		add_hdr(c, 0, VIRTIO_XBLK_T_READ);
		add_data(c, st, (uint32_t)n * bs, true, nseg, false);
		add_status(c);
		break;
	}
	case K_WRITE_WRITABLE:
		/* Block 0's content in a writable buffer. */
		add_hdr(c, 0, VIRTIO_XBLK_T_WRITE);
		add_data(c, st, bs, true, 0, true);
		add_status(c);
		break;
	case K_READ_READABLE:
		add_hdr(c, 0, VIRTIO_XBLK_T_READ);
		add_data(c, st, bs, false, 0, false);
		add_status(c);
		break;
	case K_FLUSH_DATA:
		add_hdr(c, 0, VIRTIO_XBLK_T_FLUSH);
		add_data(c, st, (uint32_t)rand_range(st, 1, bs),
			 splitmix64(st) & 1, 0, true);
		add_status(c);
		break;
	case K_GET_ID_SHORT:
		add_hdr(c, 0, VIRTIO_XBLK_T_GET_ID);
		len = (uint32_t)rand_range(st, 0, VIRTIO_XBLK_ID_BYTES - 1);
		if (len)
			add_data(c, st, len, true, 0, false);
		add_status(c);
		break;
	default:
		break;
	}
}

static int raw(int fd, struct chain *c)
{
	return ioctl(fd, VIRTIO_XBLK_IOC_RAW, &c->r);
}

static uint32_t writable_total(const struct chain *c)
{
	uint32_t i, t = 0;

	for (i = 0; i < c->r.nsegs; i++)
		if (c->r.segs[i].writable)
			t += c->r.segs[i].len;
	return t;
}

/* The last writable byte as the device left it; false if there is none. */
static bool chain_status(const struct chain *c, uint8_t *status)
{
	uint32_t i;

	for (i = c->r.nsegs; i > 0; i--) {
		const struct virtio_xblk_raw_seg *s = &c->r.segs[i - 1];

		if (!s->writable)
			break;
		if (s->len) {
			*status = c->buf[i - 1][s->len - 1];
			return true;
		}
	}
	return false;
}

static void describe(const struct chain *c, char *out, size_t size)
{
	size_t used = 0;
	uint32_t i;

	out[0] = '\0';
	for (i = 0; i < c->r.nsegs && used < size; i++)
		used += snprintf(out + used, size - used, "%s%c%u",
				 i ? "," : "", c->r.segs[i].writable ? 'w' : 'r',
				 c->r.segs[i].len);
}

/* Sizes and layouts the driver itself must refuse with EINVAL. */
static int check_driver_limits(int fd)
{
	static const char *const what[] = {
		"no segment", "9 segments", "segment of 65537 bytes",
		"writable = 2", "readable after writable", "flags set",
	};
	struct chain c;
	unsigned int i, j;
	int fails = 0;

	for (i = 0; i < ARRAY_SIZE(what); i++) {
		chain_init(&c);
		switch (i) {
		case 0:
			break;
		case 1:
			for (j = 0; j < MAX_SEGS; j++)
				chain_add(&c, 1, false);
			c.r.nsegs = MAX_SEGS + 1;
			break;
		case 2:
			chain_add(&c, HDR_LEN, false);
			add_status(&c);
			c.r.segs[0].len = SEG_MAX + 1;
			break;
		case 3:
			chain_add(&c, HDR_LEN, false);
			add_status(&c);
			c.r.segs[1].writable = 2;
			break;
		case 4:
			add_status(&c);
			chain_add(&c, HDR_LEN, false);
			break;
		default:
			chain_add(&c, HDR_LEN, false);
			add_status(&c);
			c.r.flags = 1;
			break;
		}
		if (!raw(fd, &c) || errno != EINVAL) {
			fprintf(stderr, "%s: RAW with %s was not refused with EINVAL\n",
				prog, what[i]);
			fails++;
		}
	}
	return fails;
}

/* A good READ of block 0; keeps the first content, then compares. */
static bool good_read(int fd)
{
	struct chain c;
	uint8_t *data, status = 0;

	if (!info.capacity)
		return true;	/* no block 0 to read */
	chain_init(&c);
	add_hdr(&c, 0, VIRTIO_XBLK_T_READ);
	data = chain_add(&c, info.block_size, true);
	*chain_add(&c, 1, true) = POISON;
	if (raw(fd, &c)) {
		fprintf(stderr, "%s: good READ of block 0: %s\n", prog,
			strerror(errno));
		return false;
	}
	chain_status(&c, &status);
	if (status != VIRTIO_XBLK_S_OK || c.r.used_len != info.block_size + 1) {
		fprintf(stderr, "%s: good READ of block 0: status=%u used_len=%u, expected status=0 used_len=%u\n",
			prog, status, c.r.used_len, info.block_size + 1);
		return false;
	}
	if (!have_block0) {
		memcpy(block0, data, info.block_size);
		have_block0 = true;
	} else if (memcmp(block0, data, info.block_size)) {
		fprintf(stderr, "%s: block 0 CHANGED since the first read\n",
			prog);
		return false;
	}
	return true;
}

static bool good_get_id(int fd)
{
	struct chain c;
	uint8_t status = 0;

	chain_init(&c);
	add_hdr(&c, 0, VIRTIO_XBLK_T_GET_ID);
	chain_add(&c, VIRTIO_XBLK_ID_BYTES, true);
	*chain_add(&c, 1, true) = POISON;
	if (raw(fd, &c)) {
		fprintf(stderr, "%s: good GET_ID: %s\n", prog, strerror(errno));
		return false;
	}
	chain_status(&c, &status);
	if (status != VIRTIO_XBLK_S_OK || c.r.used_len < 1) {
		fprintf(stderr, "%s: good GET_ID: status=%u used_len=%u, expected status=0\n",
			prog, status, c.r.used_len);
		return false;
	}
	return true;
}

/* One good READ of block 0 and one good GET_ID. */
static void good_requests(int fd, uint64_t *ok, uint64_t *failed)
{
	if (good_read(fd))
		(*ok)++;
	else
		(*failed)++;
	if (good_get_id(fd))
		(*ok)++;
	else
		(*failed)++;
}

/* Which kinds this geometry allows; says which are left out. */
static void pick_kinds(void)
{
	uint64_t room = room_blocks();
	unsigned int k;

	for (k = 0; k < K_KINDS; k++)
		kind_ok[k] = true;
	/* (max_blocks + 1) blocks must fit in 6 segments of 64 KiB. */
	if ((uint64_t)info.max_blocks + 1 > room)
		kind_ok[K_TOO_LONG] = false;
	/* max_segments + 1 data segments next to header and status. */
	if (info.max_segments + 1 > MAX_SEGS - 2)
		kind_ok[K_TOO_MANY_SEGS] = false;
	/* A READ of 2+ blocks straddling the end. */
	if (!info.capacity || info.max_blocks < 2 || room < 2)
		kind_ok[K_PAST_END] = false;
	for (k = 0; k < K_KINDS; k++)
		if (!kind_ok[k])
			fprintf(stderr, "%s: note: geometry does not allow %s requests, skipped\n",
				prog, kind_name[k]);
}

static enum kind random_kind(uint64_t *st)
{
	enum kind k;

	do {
		k = (enum kind)(splitmix64(st) % K_KINDS);
	} while (!kind_ok[k]);
	return k;
}

int main(int argc, char **argv)
{
	const char *dev = XBLK_DEFAULT_DEV;
	uint64_t n, seed, i, errors = 0, wrong = 0, good_ok = 0, good_fail = 0;
	bool verbose = false;
	int opt, fd, limit_fails;
	static struct chain c;

	while ((opt = getopt(argc, argv, "+d:vzh")) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'z':
			zero_len_descs = true;
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
	if (ioctl(fd, VIRTIO_XBLK_IOC_INFO, &info)) {
		fprintf(stderr, "%s: %s: INFO: %s\n", prog, dev, strerror(errno));
		return 1;
	}
	if (info.block_size < 512 || info.block_size > SEG_MAX ||
	    (info.block_size & (info.block_size - 1)) || !info.max_blocks) {
		fprintf(stderr, "%s: unusable geometry: block_size=%u max_blocks=%u\n",
			prog, info.block_size, info.max_blocks);
		return 1;
	}
	if (verbose)
		printf("geometry capacity=%" PRIu64 " block_size=%u max_blocks=%u max_segments=%u num_queues=%u nr_vqs=%u features=0x%x read_only=%u\n",
		       (uint64_t)info.capacity, info.block_size, info.max_blocks,
		       info.max_segments, info.num_queues, info.nr_vqs,
		       info.features, info.read_only);
	pick_kinds();

	block0 = calloc(1, info.block_size);
	if (!block0)
		return 1;
	/* Block 0's content is what malformed WRITEs may carry. */
	if (!good_read(fd)) {
		fprintf(stderr, "%s: cannot read block 0, giving up\n", prog);
		return 1;
	}

	limit_fails = check_driver_limits(fd);

	for (i = 0; i < n; i++) {
		enum kind k = random_kind(&seed);
		uint32_t in_total;
		uint8_t status = 0;
		char segs[128];
		bool right, has_status;

		build(&c, k, &seed);
		in_total = writable_total(&c);
		describe(&c, segs, sizeof(segs));

		if (raw(fd, &c)) {
			fprintf(stderr, "%s: bad %" PRIu64 " %s [%s]: %s\n",
				prog, i, kind_name[k], segs, strerror(errno));
			wrong++;
			right = false;
		} else {
			has_status = chain_status(&c, &status);
			if (in_total && has_status)
				right = c.r.used_len >= 1 &&
					status != VIRTIO_XBLK_S_OK;
			else
				right = c.r.used_len == 0;
			if (right) {
				errors++;
			} else {
				wrong++;
				fprintf(stderr, "%s: bad %" PRIu64 " %s [%s]: WRONG ANSWER used_len=%u status=%u\n",
					prog, i, kind_name[k], segs,
					c.r.used_len, status);
			}
		}
		if (verbose)
			printf("bad %" PRIu64 " kind=%s segs=%s used_len=%u status=%u %s\n",
			       i, kind_name[k], segs, c.r.used_len, status,
			       right ? "error" : "WRONG");

		if ((i + 1) % 100 == 0 && i + 1 < n)
			good_requests(fd, &good_ok, &good_fail);
	}
	good_requests(fd, &good_ok, &good_fail);

	printf("%s: %" PRIu64 " bad requests, %" PRIu64
	       " answered with error, %" PRIu64
	       " wrong answers; good requests after: %" PRIu64 " ok, %" PRIu64
	       " failed\n", prog, n, errors, wrong, good_ok, good_fail);
	close(fd);
	free(block0);
	return (wrong || good_fail || limit_fails || errors != n) ? 1 : 0;

usage:
	fprintf(stderr, "usage: %s [-d DEV] [-v] [-z] N SEED\n"
		"DEV defaults to " XBLK_DEFAULT_DEV "\n"
		"-z also sends zero-length descriptors (QEMU then marks the device broken)\n",
		prog);
	return 2;
}
