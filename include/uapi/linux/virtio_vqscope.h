/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_vqscope.h - the contract between vqscope's QEMU devices (device/) and their Linux drivers
 * (guest-driver/): device ids, feature bits, config space and request layouts of virtio-demo and
 * virtio-xblk. Included unchanged by QEMU (as standard-headers/linux/virtio_vqscope.h), by the guest
 * kernel modules and by guest user programs. All multi-byte fields are little endian.
 *
 * Both devices follow virtio-blk's convention for errors: the status byte is the LAST byte of the
 * device-writable (in) part of the descriptor chain, so a device can always report an error as long as
 * the driver gave it at least one writable byte, whatever else is wrong with the request.
 */
#ifndef _LINUX_VIRTIO_VQSCOPE_H
#define _LINUX_VIRTIO_VQSCOPE_H

#include <linux/types.h>

/*
 * Device ids. Modern virtio-pci device ids are 0x1040 + id and Linux accepts ids up to 0x3f; 60 and 61
 * are not assigned by the virtio specification (1.3) nor used by Linux 6.1 or QEMU 10.0.
 */
#ifndef VIRTIO_ID_DEMO
#define VIRTIO_ID_DEMO			60
#endif
#ifndef VIRTIO_ID_XBLK
#define VIRTIO_ID_XBLK			61
#endif

/* ---- virtio-demo: the guest sends two integers, the device returns their product and sum ---- */

/* Request status, last byte of the in part. */
#define VIRTIO_DEMO_S_OK		0
#define VIRTIO_DEMO_S_BADREQ		1	/* malformed request: sizes, missing parts */

/* virtio_demo_resp.flags: the exact result did not fit in 64 bits; the field holds it mod 2^64. */
#define VIRTIO_DEMO_RESP_F_PRODUCT_OVERFLOW	(1u << 0)
#define VIRTIO_DEMO_RESP_F_SUM_OVERFLOW		(1u << 1)

/*
 * One request is one descriptor chain: exactly sizeof(struct virtio_demo_req) device-readable bytes
 * followed by exactly sizeof(struct virtio_demo_resp) device-writable bytes. Anything else is answered
 * with VIRTIO_DEMO_S_BADREQ in the last writable byte (used length 1), or, with no writable byte at all,
 * returned with used length 0.
 */
struct virtio_demo_req {
	__le64 id;		/* request id chosen by the driver, echoed and traced by the device */
	__le64 a;		/* operands: two's complement signed 64-bit integers */
	__le64 b;
};

struct virtio_demo_resp {
	__le64 id;		/* copy of virtio_demo_req.id */
	__le64 product;		/* a * b mod 2^64 (signed); see RESP_F_PRODUCT_OVERFLOW */
	__le64 sum;		/* a + b mod 2^64 (signed); see RESP_F_SUM_OVERFLOW */
	__le32 flags;		/* VIRTIO_DEMO_RESP_F_* */
	__u8 reserved[3];
	__u8 status;		/* VIRTIO_DEMO_S_*; must stay the last byte */
};

/* ---- virtio-xblk: a disk addressed by block number, backed by a host file ---- */

/* Feature bits */
#define VIRTIO_XBLK_F_RO		0	/* device is read-only: writes get S_IOERR */
#define VIRTIO_XBLK_F_FLUSH		1	/* device supports VIRTIO_XBLK_T_FLUSH */
#define VIRTIO_XBLK_F_MQ		2	/* num_queues in config space is valid */

struct virtio_xblk_config {
	__le64 capacity;		/* in blocks of block_size bytes */
	__le32 block_size;		/* bytes, power of two, 512..65536 */
	__le16 num_queues;		/* request virtqueues */
	__le16 reserved;
	__le32 max_blocks;		/* largest request, in blocks */
	__le32 max_segments;		/* largest number of data descriptors in one request */
};

/* Request types */
#define VIRTIO_XBLK_T_READ		0
#define VIRTIO_XBLK_T_WRITE		1
#define VIRTIO_XBLK_T_FLUSH		4
#define VIRTIO_XBLK_T_GET_ID		8	/* in data: VIRTIO_XBLK_ID_BYTES of id string */

#define VIRTIO_XBLK_ID_BYTES		20

/* Request status, last byte of the in part */
#define VIRTIO_XBLK_S_OK		0
#define VIRTIO_XBLK_S_IOERR		1	/* backend error or write to a read-only device */
#define VIRTIO_XBLK_S_UNSUPP		2	/* unknown type */
#define VIRTIO_XBLK_S_BADREQ		3	/* malformed: lengths, range, directions */

/*
 * Layout of one request: the header (device-readable), then for WRITE the data (device-readable, a
 * whole number of blocks), then for READ/GET_ID the data (device-writable), then the status byte
 * (device-writable, last). The data length gives the number of blocks.
 */
struct virtio_xblk_req_hdr {
	__le64 id;		/* request id chosen by the driver, traced on both sides */
	__le64 block;		/* first block; byte offset in the backing file = block * block_size */
	__le32 type;		/* VIRTIO_XBLK_T_* */
	__le32 reserved;
};

#endif /* _LINUX_VIRTIO_VQSCOPE_H */
