/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ioctl ABI of /dev/xblkN-raw, the debug character device of the
 * virtio_xblk kernel module, shared with guest user programs.
 *
 * All structures use fixed-width types and explicit padding so that 32-bit
 * and 64-bit callers see the same layout; user pointers travel as __u64.
 */
#ifndef _VIRTIO_XBLK_IOCTL_H
#define _VIRTIO_XBLK_IOCTL_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* 0xD7 is virtio_demo_ioctl.h; 0xD8 is unassigned in ioctl-number.rst. */
#define VIRTIO_XBLK_IOC_MAGIC	0xD8

/*
 * Geometry as the device reported it at probe time (config space and
 * negotiated features), not as clamped by the driver for the block layer.
 */
struct virtio_xblk_info {
	__u64 capacity;		/* out: in blocks of block_size bytes */
	__u32 block_size;	/* out: bytes */
	__u32 max_blocks;	/* out: largest request, in blocks */
	__u32 max_segments;	/* out: largest number of data descriptors */
	__u16 num_queues;	/* out: config num_queues, 1 without F_MQ */
	__u16 nr_vqs;		/* out: request virtqueues the driver uses */
	__u32 features;		/* out: negotiated bits, 1 << VIRTIO_XBLK_F_* */
	__u32 read_only;	/* out: 1 if VIRTIO_XBLK_F_RO was negotiated */
};

/* Limits of VIRTIO_XBLK_IOC_RAW. */
#define VIRTIO_XBLK_RAW_MAX_SEGS	8
#define VIRTIO_XBLK_RAW_MAX_LEN		65536

struct virtio_xblk_raw_seg {
	__u64 ptr;		/* in: user address of len bytes */
	__u32 len;		/* in: 0..VIRTIO_XBLK_RAW_MAX_LEN */
	__u32 writable;		/* in: 0 device-readable, 1 device-writable */
};

/*
 * Debug path: exactly one descriptor per segment, in the given order, on
 * virtqueue 0. Readable segments are copied from user space first; all
 * device-writable segments must come after the readable ones. Every segment
 * is copied in from user space, and the whole of every writable segment is
 * copied back after the device returned the chain, so bytes the device did
 * not write come back as the caller left them. Segments of length 0 become
 * zero-length descriptors.
 */
struct virtio_xblk_raw {
	struct virtio_xblk_raw_seg segs[VIRTIO_XBLK_RAW_MAX_SEGS];
	__u32 nsegs;		/* in: 1..VIRTIO_XBLK_RAW_MAX_SEGS */
	__u32 used_len;		/* out: used length, clamped to the writable total */
	__u32 flags;		/* in: must be zero */
	__u32 pad;		/* in: must be zero */
};

#define VIRTIO_XBLK_IOC_INFO	_IOR(VIRTIO_XBLK_IOC_MAGIC, 0x01, struct virtio_xblk_info)
#define VIRTIO_XBLK_IOC_RAW	_IOWR(VIRTIO_XBLK_IOC_MAGIC, 0x02, struct virtio_xblk_raw)

#endif /* _VIRTIO_XBLK_IOCTL_H */
