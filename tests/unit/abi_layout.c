// SPDX-License-Identifier: BSD-3-Clause
/*
 * The request layouts in virtio_vqscope.h are a wire format shared by QEMU and the guest: their sizes
 * and offsets must not change by accident (a padding change would silently break one side).
 */
#include <stddef.h>
#include <stdio.h>
#include <linux/virtio_vqscope.h>

#define EXPECT(cond) do { if (!(cond)) { fprintf(stderr, "abi_layout: %s is false\n", #cond); failures++; } } while (0)

int main(void)
{
	int failures = 0;

	EXPECT(sizeof(struct virtio_demo_req) == 24);
	EXPECT(offsetof(struct virtio_demo_req, a) == 8);
	EXPECT(offsetof(struct virtio_demo_req, b) == 16);
	EXPECT(sizeof(struct virtio_demo_resp) == 32);
	/* The status byte must be the last byte of the writable part (virtio-blk's convention). */
	EXPECT(offsetof(struct virtio_demo_resp, status) == sizeof(struct virtio_demo_resp) - 1);
	EXPECT(offsetof(struct virtio_demo_resp, flags) == 24);
	EXPECT(sizeof(struct virtio_xblk_req_hdr) == 24);
	EXPECT(offsetof(struct virtio_xblk_req_hdr, block) == 8);
	EXPECT(offsetof(struct virtio_xblk_req_hdr, type) == 16);
	EXPECT(sizeof(struct virtio_xblk_config) == 24);
	EXPECT(offsetof(struct virtio_xblk_config, block_size) == 8);
	EXPECT(offsetof(struct virtio_xblk_config, num_queues) == 12);
	EXPECT(VIRTIO_ID_DEMO <= 0x3f && VIRTIO_ID_XBLK <= 0x3f); /* Linux's modern virtio-pci limit */
	EXPECT(VIRTIO_ID_DEMO != VIRTIO_ID_XBLK);
	printf("abi_layout: %d failures\n", failures);
	return failures != 0;
}
