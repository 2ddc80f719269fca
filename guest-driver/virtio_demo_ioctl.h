/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ioctl ABI of /dev/virtio-demoN, shared by the virtio_demo kernel module
 * and guest user programs.
 *
 * All structures use fixed-width types and explicit padding so that 32-bit
 * and 64-bit callers see the same layout; user pointers travel as __u64.
 */
#ifndef _VIRTIO_DEMO_IOCTL_H
#define _VIRTIO_DEMO_IOCTL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VIRTIO_DEMO_IOC_MAGIC	0xD7

/*
 * One well-formed request. The driver picks the request id; the device
 * computes product and sum mod 2^64 and flags what overflowed.
 */
struct virtio_demo_calc {
	__s64 a;		/* in */
	__s64 b;		/* in */
	__u64 id;		/* out: request id sent to the device */
	__s64 product;		/* out: a * b mod 2^64 */
	__s64 sum;		/* out: a + b mod 2^64 */
	__u32 flags;		/* out: VIRTIO_DEMO_RESP_F_* */
	__u8 status;		/* out: VIRTIO_DEMO_S_* */
	__u8 pad[3];		/* out: zero */
};

/* Largest out or in part accepted by VIRTIO_DEMO_IOC_RAW. */
#define VIRTIO_DEMO_RAW_MAX	4096

/*
 * Debug path: one descriptor chain with exactly out_len device-readable
 * bytes (copied from out_ptr) and in_len device-writable bytes (copied back
 * to in_ptr, zero where the device wrote nothing). A part of length 0 is
 * left out of the chain; both being 0 is -EINVAL.
 */
struct virtio_demo_raw {
	__u64 out_ptr;		/* in: user address of out_len bytes */
	__u64 in_ptr;		/* in: user address of in_len bytes */
	__u32 out_len;		/* in: 0..VIRTIO_DEMO_RAW_MAX */
	__u32 in_len;		/* in: 0..VIRTIO_DEMO_RAW_MAX */
	__u32 used_len;		/* out: used length, clamped to in_len */
	__u32 pad;		/* in: must be zero */
};

#define VIRTIO_DEMO_IOC_CALC	_IOWR(VIRTIO_DEMO_IOC_MAGIC, 0x01, struct virtio_demo_calc)
#define VIRTIO_DEMO_IOC_RAW	_IOWR(VIRTIO_DEMO_IOC_MAGIC, 0x02, struct virtio_demo_raw)

#endif /* _VIRTIO_DEMO_IOCTL_H */
