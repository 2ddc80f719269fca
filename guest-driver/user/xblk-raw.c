// SPDX-License-Identifier: GPL-2.0
/*
 * xblk-raw: send ONE well-formed virtio-xblk request below the block layer (VIRTIO_XBLK_IOC_RAW) and
 * print the device's answer. Tests use it to reach the device where the block layer would stop the
 * request first, e.g. a WRITE to a read-only disk, which the device itself must refuse.
 *
 *   xblk-raw [-d /dev/xblk0-raw] write BLOCK NBLOCKS    data: bytes 0xa5
 *   xblk-raw [-d /dev/xblk0-raw] read BLOCK NBLOCKS     prints the first 16 bytes
 *   -> "xblk-raw: <op> block=<B> nblocks=<N> status=<S> used_len=<U>"; exit 0 when a status came back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/virtio_vqscope.h>
#include "virtio_xblk_ioctl.h"

static int usage(void)
{
	fprintf(stderr, "usage: xblk-raw [-d DEV] write|read BLOCK NBLOCKS\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/xblk0-raw";
	struct virtio_xblk_req_hdr hdr = { 0 };
	struct virtio_xblk_info info;
	struct virtio_xblk_raw raw;
	unsigned long long block, nblocks;
	unsigned char status = 0xff;
	unsigned char *data;
	size_t len;
	int write, fd;

	if (argc > 2 && strcmp(argv[1], "-d") == 0) {
		dev = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 4)
		return usage();
	write = strcmp(argv[1], "write") == 0;
	if (!write && strcmp(argv[1], "read") != 0)
		return usage();
	block = strtoull(argv[2], NULL, 0);
	nblocks = strtoull(argv[3], NULL, 0);

	fd = open(dev, O_RDWR);
	if (fd < 0 || ioctl(fd, VIRTIO_XBLK_IOC_INFO, &info) < 0) {
		fprintf(stderr, "xblk-raw: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	len = nblocks * info.block_size;
	if (nblocks == 0 || len > VIRTIO_XBLK_RAW_MAX_LEN) {
		fprintf(stderr, "xblk-raw: NBLOCKS must be 1..%u\n", VIRTIO_XBLK_RAW_MAX_LEN / info.block_size);
		return 2;
	}
	data = malloc(len);
	if (!data)
		return 1;
	memset(data, write ? 0xa5 : 0, len);

	hdr.id = 0x7261770000000000ull;		/* "raw" in the top bytes: not a driver id */
	hdr.block = block;
	hdr.type = write ? VIRTIO_XBLK_T_WRITE : VIRTIO_XBLK_T_READ;
	memset(&raw, 0, sizeof(raw));
	raw.segs[0] = (struct virtio_xblk_raw_seg){ (uintptr_t)&hdr, sizeof(hdr), 0 };
	raw.segs[1] = (struct virtio_xblk_raw_seg){ (uintptr_t)data, (uint32_t)len, !write };
	raw.segs[2] = (struct virtio_xblk_raw_seg){ (uintptr_t)&status, 1, 1 };
	raw.nsegs = 3;
	if (ioctl(fd, VIRTIO_XBLK_IOC_RAW, &raw) < 0) {
		fprintf(stderr, "xblk-raw: RAW ioctl: %s\n", strerror(errno));
		return 1;
	}
	printf("xblk-raw: %s block=%llu nblocks=%llu status=%u used_len=%u\n", argv[1], block, nblocks,
	       status, raw.used_len);
	if (!write && status == VIRTIO_XBLK_S_OK) {
		for (int i = 0; i < 16 && (size_t)i < len; i++)
			printf("%02x", data[i]);
		printf("\n");
	}
	return 0;
}
