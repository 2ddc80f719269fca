/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_xblk's own header: what the three parts of the module share.
 *   virtio_xblk_main.c  probe and remove, the gendisk (GET_ID, sysfs), module init
 *   virtio_xblk_mq.c    block layer requests: queue_rq, the kick, completions (the
 *                       virtqueue callback, which also completes RAW requests)
 *   virtio_xblk_raw.c   RAW requests: /dev/xblkN-raw and its ioctls
 */
#ifndef VIRTIO_XBLK_H
#define VIRTIO_XBLK_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/blk-mq.h>
#include <linux/blk-mq-virtio.h>
#include <linux/blkdev.h>
#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/ktime.h>
#include <linux/kref.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/numa.h>
#include <linux/refcount.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/string_helpers.h>
#include <linux/uaccess.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_vqscope.h>
#include <linux/wait.h>

#include "virtio_xblk_ioctl.h"

/* Minors per disk: the whole disk and 15 partitions, as virtio_blk. */
#define VIRTIO_XBLK_PART_BITS		4
#define VIRTIO_XBLK_MAX_INDEX		((1 << MINORBITS) >> VIRTIO_XBLK_PART_BITS)

#define VIRTIO_XBLK_VQ_NAME_LEN		16

/* Largest number of data descriptors, as virtio_blk: fits in any ring. */
#define VIRTIO_XBLK_MAX_SG_ELEMS	(32768 - 2)

/* blk_queue_max_hw_sectors() computes sectors << 9 in 32 bits. */
#define VIRTIO_XBLK_MAX_HW_SECTORS	(UINT_MAX >> SECTOR_SHIFT)

#ifdef CONFIG_ARCH_NO_SG_CHAIN
#define VIRTIO_XBLK_INLINE_SG_CNT	0
#else
#define VIRTIO_XBLK_INLINE_SG_CNT	2
#endif

/* Status byte value before the device writes it; not a VIRTIO_XBLK_S_*. */
#define VIRTIO_XBLK_S_UNSET		0xff

struct virtio_xblk_vq {
	struct virtqueue *vq;
	/*
	 * Serialises every use of vq (add, kick_prepare, get_buf, detach) and
	 * last_id; taken from the virtqueue callback, so irq-safe. The lock
	 * of queue 0 also protects virtio_xblk.removed.
	 */
	spinlock_t lock;
	/* Id of the last block request added, for the kick tracepoint. */
	u64 last_id;
	/*
	 * Block requests the device returned on this queue: the driver's own
	 * per-queue count (sysfs queue_completed), which the analyzer's
	 * per-queue figures from the trace must equal.
	 */
	u64 completed;
	char name[VIRTIO_XBLK_VQ_NAME_LEN];
} ____cacheline_aligned_in_smp;

struct virtio_xblk {
	struct virtio_device *vdev;
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;

	/* Freed with the structure: RAW files may still take vqs[0].lock. */
	struct virtio_xblk_vq *vqs;
	unsigned int nr_vqs;

	/* Set by remove(), under vqs[0].lock: no more RAW requests. */
	bool removed;
	/*
	 * Set by remove() under every vq lock once del_gendisk() returned:
	 * the callbacks must not restart the hardware queues any more.
	 */
	bool disk_gone;
	/* RAW submitters waiting for free descriptors in queue 0. */
	wait_queue_head_t ring_wait;

	/* Geometry as the device reported it at probe time. */
	u64 capacity;
	u32 block_size;
	u32 max_blocks;
	u32 max_segments;
	u16 num_queues;
	/* Negotiated, as 1 << VIRTIO_XBLK_F_*: vdev may be gone before vx. */
	u32 features;
	unsigned int block_shift;
	/* Descriptors of queue 0 and whether chains can be indirect. */
	unsigned int ring_size;
	bool indirect;

	/*
	 * The bound virtio device, the added gendisk (dropped in free_disk)
	 * and every open RAW file each hold a reference: the disk and the
	 * files can outlive the device.
	 */
	struct kref kref;
	struct miscdevice misc;
	bool misc_registered;
	int index;
	char raw_name[32];
};

/*
 * Virtqueue tokens point at either a blk-mq request's pdu or a RAW context;
 * both start with a kind byte.
 */
enum virtio_xblk_kind {
	VIRTIO_XBLK_KIND_BLK = 1,
	VIRTIO_XBLK_KIND_RAW,
};

/* Per block layer request data (tag_set.cmd_size). */
struct virtio_xblk_req {
	u8 kind;		/* VIRTIO_XBLK_KIND_BLK; must stay first */
	u8 status;		/* device-writable; VIRTIO_XBLK_S_UNSET until then */
	u32 nblocks;
	u32 used_len;
	u64 id;
	struct virtio_xblk_req_hdr hdr;
	struct sg_table sg_table;
	struct scatterlist sg[];
};

/*
 * One RAW request. While the device owns the buffers the ring holds its own
 * reference, so a submitter killed while waiting can drop its reference
 * without freeing memory the device may still write.
 */
struct virtio_xblk_raw_ctx {
	u8 kind;		/* VIRTIO_XBLK_KIND_RAW; must stay first */
	refcount_t ref;
	struct completion done;
	int err;		/* -ENODEV when taken back at removal */
	u32 used_len;		/* as reported by the device, clamped to in_len */
	u32 out_len;
	u32 in_len;
	unsigned int nsegs;
	unsigned int num_out;
	void *buf[VIRTIO_XBLK_RAW_MAX_SEGS];
	u32 len[VIRTIO_XBLK_RAW_MAX_SEGS];
};

static_assert(offsetof(struct virtio_xblk_req, kind) == 0);
static_assert(offsetof(struct virtio_xblk_raw_ctx, kind) == 0);

/* virtio_xblk_main.c */
extern atomic64_t virtio_xblk_next_id;
void virtio_xblk_free(struct kref *kref);

/* virtio_xblk_mq.c */
extern const struct blk_mq_ops virtio_xblk_mq_ops;
blk_status_t virtio_xblk_result(u8 status);
void virtio_xblk_done(struct virtqueue *vq);

/* virtio_xblk_raw.c */
extern const struct file_operations virtio_xblk_raw_fops;
void virtio_xblk_raw_finish(struct virtio_xblk_raw_ctx *ctx, unsigned int len,
			    int err);

#endif
