// SPDX-License-Identifier: GPL-2.0
/*
 * Driver for vqscope's virtio-xblk device: a disk addressed in device blocks
 * of block_size bytes. Every device is a blk-mq disk, /dev/xblkN, with one
 * hardware queue per request virtqueue, and a debug character device,
 * /dev/xblkN-raw, that sends hand-made (possibly malformed) descriptor
 * chains through the ioctls of virtio_xblk_ioctl.h.
 */

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

#define CREATE_TRACE_POINTS
#include "virtio_xblk_trace.h"

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

static int virtio_xblk_major;
static DEFINE_IDA(virtio_xblk_ida);

/*
 * Block request ids, one sequence for every xblk disk of the guest: the
 * analyzer stitches guest and device events by id alone, so two disks must
 * never hand out the same one.
 */
static atomic64_t virtio_xblk_next_id = ATOMIC64_INIT(0);

/* Longest kick_hold_ns accepted: the hold busy-waits in the dispatch path. */
#define VIRTIO_XBLK_MAX_KICK_HOLD_NS	10000000U

/*
 * An injected delay for the analyzer's checks: each block request waits
 * this long between its add to the ring and the kick. 0: no hold.
 */
static unsigned int kick_hold_ns;

static int virtio_xblk_set_kick_hold_ns(const char *val,
					const struct kernel_param *kp)
{
	unsigned int ns;
	int err;

	err = kstrtouint(val, 0, &ns);
	if (err)
		return err;
	if (ns > VIRTIO_XBLK_MAX_KICK_HOLD_NS) {
		pr_warn("kick_hold_ns=%u refused: at most %u (10 ms)\n", ns,
			VIRTIO_XBLK_MAX_KICK_HOLD_NS);
		return -EINVAL;
	}
	WRITE_ONCE(*(unsigned int *)kp->arg, ns);
	return 0;
}

static const struct kernel_param_ops virtio_xblk_kick_hold_ns_ops = {
	.set	= virtio_xblk_set_kick_hold_ns,
	.get	= param_get_uint,
};

module_param_cb(kick_hold_ns, &virtio_xblk_kick_hold_ns_ops, &kick_hold_ns,
		0644);
MODULE_PARM_DESC(kick_hold_ns,
		 "Busy-wait this long (ns, at most 10000000) between adding each block request to the ring and the kick (default 0: no hold)");

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

static void virtio_xblk_free(struct kref *kref)
{
	struct virtio_xblk *vx = container_of(kref, struct virtio_xblk, kref);

	/* Only now can the minors and the name be reused. */
	if (vx->index >= 0)
		ida_free(&virtio_xblk_ida, vx->index);
	kfree(vx->vqs);
	kfree(vx);
}

/* ---- RAW requests ---- */

static struct virtio_xblk_raw_ctx *virtio_xblk_raw_alloc(void)
{
	struct virtio_xblk_raw_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return NULL;
	ctx->kind = VIRTIO_XBLK_KIND_RAW;
	refcount_set(&ctx->ref, 1);
	init_completion(&ctx->done);
	return ctx;
}

static void virtio_xblk_raw_put(struct virtio_xblk_raw_ctx *ctx)
{
	unsigned int i;

	if (!refcount_dec_and_test(&ctx->ref))
		return;
	for (i = 0; i < ctx->nsegs; i++)
		kfree(ctx->buf[i]);
	kfree(ctx);
}

/* The last writable byte, 0 when there is none. */
static u8 virtio_xblk_raw_status(const struct virtio_xblk_raw_ctx *ctx)
{
	unsigned int i;

	for (i = ctx->nsegs; i > ctx->num_out; i--) {
		if (ctx->len[i - 1])
			return ((u8 *)ctx->buf[i - 1])[ctx->len[i - 1] - 1];
	}
	return 0;
}

/* Called with vqs[0].lock held, from irq or process context. */
static void virtio_xblk_raw_finish(struct virtio_xblk_raw_ctx *ctx,
				   unsigned int len, int err)
{
	/* The used length comes from the device and cannot be trusted. */
	ctx->used_len = min_t(unsigned int, len, ctx->in_len);
	ctx->err = err;
	if (!err)
		trace_virtio_xblk_raw_complete(0, ctx->in_len,
					       virtio_xblk_raw_status(ctx),
					       ctx->used_len);
	complete(&ctx->done);
	/* The ring's reference: the device no longer owns the buffers. */
	virtio_xblk_raw_put(ctx);
}

/*
 * Called with vqs[0].lock held. Kicks under the lock: remove() deletes the
 * vq once it has seen 'removed', and RAW submitters are not fenced off by
 * the block layer, so the vq must not be touched after the lock is dropped.
 */
static int virtio_xblk_raw_add(struct virtio_xblk *vx,
			       struct virtio_xblk_raw_ctx *ctx)
{
	struct scatterlist sg[VIRTIO_XBLK_RAW_MAX_SEGS];
	struct scatterlist *sgs[VIRTIO_XBLK_RAW_MAX_SEGS];
	struct virtqueue *vq = vx->vqs[0].vq;
	unsigned int i;
	bool notify;
	int err;

	if (vx->removed)
		return -ENODEV;

	for (i = 0; i < ctx->nsegs; i++) {
		sg_init_one(&sg[i], ctx->buf[i], ctx->len[i]);
		sgs[i] = &sg[i];
	}
	err = virtqueue_add_sgs(vq, sgs, ctx->num_out, ctx->nsegs - ctx->num_out,
				ctx, GFP_ATOMIC);
	if (err)
		return err;
	refcount_inc(&ctx->ref);

	notify = virtqueue_kick_prepare(vq);
	trace_virtio_xblk_kick(0, 0, vq->num_free, notify);
	if (notify)
		virtqueue_notify(vq);
	return 0;
}

/* A wait_event() condition: true once the request is in or cannot go in. */
static bool virtio_xblk_raw_try_add(struct virtio_xblk *vx,
				    struct virtio_xblk_raw_ctx *ctx, int *err)
{
	spin_lock_irq(&vx->vqs[0].lock);
	*err = virtio_xblk_raw_add(vx, ctx);
	spin_unlock_irq(&vx->vqs[0].lock);
	return *err != -ENOSPC;
}

/*
 * Queue ctx and wait for the device to return it. Only fatal signals
 * interrupt the waits: the request is then abandoned to the ring, which
 * frees it when the device (or remove()) gives it back.
 */
static int virtio_xblk_raw_run(struct virtio_xblk *vx,
			       struct virtio_xblk_raw_ctx *ctx)
{
	int err = 0;
	int ret;

	ret = wait_event_killable(vx->ring_wait,
				  virtio_xblk_raw_try_add(vx, ctx, &err));
	if (ret)
		return ret;
	if (err)
		return err;

	ret = wait_for_completion_killable(&ctx->done);
	if (ret)
		return ret;
	return ctx->err;
}

static long virtio_xblk_ioctl_raw(struct virtio_xblk *vx,
				  struct virtio_xblk_raw __user *uarg)
{
	struct virtio_xblk_raw arg;
	struct virtio_xblk_raw_ctx *ctx;
	bool seen_writable = false;
	unsigned int i;
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.pad || !arg.nsegs ||
	    arg.nsegs > VIRTIO_XBLK_RAW_MAX_SEGS)
		return -EINVAL;
	for (i = 0; i < arg.nsegs; i++) {
		const struct virtio_xblk_raw_seg *seg = &arg.segs[i];

		if (seg->len > VIRTIO_XBLK_RAW_MAX_LEN || seg->writable > 1)
			return -EINVAL;
		/* virtqueue_add_sgs() puts all readable parts first. */
		if (seg->writable)
			seen_writable = true;
		else if (seen_writable)
			return -EINVAL;
	}
	/* Without indirect descriptors a longer chain would never fit. */
	if (!vx->indirect && arg.nsegs > vx->ring_size)
		return -EINVAL;

	ctx = virtio_xblk_raw_alloc();
	if (!ctx)
		return -ENOMEM;

	for (i = 0; i < arg.nsegs; i++) {
		const struct virtio_xblk_raw_seg *seg = &arg.segs[i];
		/* Zero-length descriptors still need a mappable address. */
		size_t size = max_t(size_t, seg->len, 1);

		ctx->buf[i] = kzalloc(size, GFP_KERNEL);
		if (!ctx->buf[i]) {
			ret = -ENOMEM;
			goto out_put;
		}
		ctx->nsegs = i + 1;
		ctx->len[i] = seg->len;
		/*
		 * Writable segments are copied in as well: what the device
		 * does not overwrite goes back unchanged, so the caller
		 * chooses the poison.
		 */
		if (copy_from_user(ctx->buf[i], u64_to_user_ptr(seg->ptr),
				   seg->len)) {
			ret = -EFAULT;
			goto out_put;
		}
		if (seg->writable) {
			ctx->in_len += seg->len;
		} else {
			ctx->out_len += seg->len;
			ctx->num_out++;
		}
	}

	trace_virtio_xblk_raw_submit(0, ctx->nsegs, ctx->out_len, ctx->in_len);
	ret = virtio_xblk_raw_run(vx, ctx);
	if (ret)
		goto out_put;

	arg.used_len = ctx->used_len;
	for (i = ctx->num_out; i < ctx->nsegs; i++) {
		if (ctx->len[i] &&
		    copy_to_user(u64_to_user_ptr(arg.segs[i].ptr), ctx->buf[i],
				 ctx->len[i])) {
			ret = -EFAULT;
			goto out_put;
		}
	}
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;

out_put:
	virtio_xblk_raw_put(ctx);
	return ret;
}

static long virtio_xblk_ioctl_info(struct virtio_xblk *vx,
				   struct virtio_xblk_info __user *uarg)
{
	struct virtio_xblk_info info;

	memset(&info, 0, sizeof(info));
	info.capacity = vx->capacity;
	info.block_size = vx->block_size;
	info.max_blocks = vx->max_blocks;
	info.max_segments = vx->max_segments;
	info.num_queues = vx->num_queues;
	info.nr_vqs = vx->nr_vqs;
	info.features = vx->features;
	info.read_only = !!(vx->features & (1u << VIRTIO_XBLK_F_RO));

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long virtio_xblk_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct virtio_xblk *vx = file->private_data;

	switch (cmd) {
	case VIRTIO_XBLK_IOC_INFO:
		return virtio_xblk_ioctl_info(vx, (void __user *)arg);
	case VIRTIO_XBLK_IOC_RAW:
		return virtio_xblk_ioctl_raw(vx, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int virtio_xblk_raw_open(struct inode *inode, struct file *file)
{
	/*
	 * misc_open() calls us under misc_mtx with the misc device still
	 * registered, so remove() has not dropped its reference yet.
	 */
	struct virtio_xblk *vx = container_of(file->private_data,
					      struct virtio_xblk, misc);

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	kref_get(&vx->kref);
	file->private_data = vx;
	return stream_open(inode, file);
}

static int virtio_xblk_raw_release(struct inode *inode, struct file *file)
{
	struct virtio_xblk *vx = file->private_data;

	kref_put(&vx->kref, virtio_xblk_free);
	return 0;
}

static const struct file_operations virtio_xblk_raw_fops = {
	.owner		= THIS_MODULE,
	.open		= virtio_xblk_raw_open,
	.release	= virtio_xblk_raw_release,
	.unlocked_ioctl	= virtio_xblk_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= no_llseek,
};

/* ---- block layer requests ---- */

static blk_status_t virtio_xblk_result(u8 status)
{
	switch (status) {
	case VIRTIO_XBLK_S_OK:
		return BLK_STS_OK;
	case VIRTIO_XBLK_S_UNSUPP:
		return BLK_STS_NOTSUPP;
	default:
		/* S_IOERR, S_BADREQ, or a status the device never wrote */
		return BLK_STS_IOERR;
	}
}

static blk_status_t virtio_xblk_setup_cmd(struct virtio_xblk *vx,
					  struct request *rq,
					  struct virtio_xblk_req *vbr)
{
	u64 block = 0;
	u32 nblocks = 0;
	u32 type;

	switch (req_op(rq)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		type = req_op(rq) == REQ_OP_READ ? VIRTIO_XBLK_T_READ :
						   VIRTIO_XBLK_T_WRITE;
		/* Aligned to the logical block size by the block layer. */
		block = blk_rq_pos(rq) >> (vx->block_shift - SECTOR_SHIFT);
		nblocks = blk_rq_bytes(rq) >> vx->block_shift;
		if (WARN_ON_ONCE(!nblocks))
			return BLK_STS_IOERR;
		break;
	case REQ_OP_FLUSH:
		type = VIRTIO_XBLK_T_FLUSH;
		break;
	case REQ_OP_DRV_IN:
		type = VIRTIO_XBLK_T_GET_ID;
		break;
	default:
		return BLK_STS_NOTSUPP;
	}

	vbr->kind = VIRTIO_XBLK_KIND_BLK;
	vbr->status = VIRTIO_XBLK_S_UNSET;
	vbr->nblocks = nblocks;
	vbr->used_len = 0;
	vbr->id = atomic64_inc_return(&virtio_xblk_next_id);
	vbr->hdr.id = cpu_to_le64(vbr->id);
	vbr->hdr.block = cpu_to_le64(block);
	vbr->hdr.type = cpu_to_le32(type);
	vbr->hdr.reserved = 0;
	return BLK_STS_OK;
}

static void virtio_xblk_unmap_data(struct request *rq,
				   struct virtio_xblk_req *vbr)
{
	if (blk_rq_nr_phys_segments(rq))
		sg_free_table_chained(&vbr->sg_table,
				      VIRTIO_XBLK_INLINE_SG_CNT);
}

static int virtio_xblk_map_data(struct blk_mq_hw_ctx *hctx,
				struct request *rq,
				struct virtio_xblk_req *vbr)
{
	int err;

	if (!blk_rq_nr_phys_segments(rq))
		return 0;

	vbr->sg_table.sgl = vbr->sg;
	err = sg_alloc_table_chained(&vbr->sg_table,
				     blk_rq_nr_phys_segments(rq),
				     vbr->sg_table.sgl,
				     VIRTIO_XBLK_INLINE_SG_CNT);
	if (unlikely(err))
		return -ENOMEM;

	return blk_rq_map_sg(hctx->queue, rq, vbr->sg_table.sgl);
}

/* Header (readable), data (readable for WRITE), status (writable, last). */
static int virtio_xblk_add_req(struct virtqueue *vq,
			       struct virtio_xblk_req *vbr)
{
	struct scatterlist hdr, status, *sgs[3];
	unsigned int num_out = 0, num_in = 0;

	sg_init_one(&hdr, &vbr->hdr, sizeof(vbr->hdr));
	sgs[num_out++] = &hdr;

	if (vbr->sg_table.nents) {
		if (vbr->hdr.type == cpu_to_le32(VIRTIO_XBLK_T_WRITE))
			sgs[num_out++] = vbr->sg_table.sgl;
		else
			sgs[num_out + num_in++] = vbr->sg_table.sgl;
	}

	sg_init_one(&status, &vbr->status, sizeof(vbr->status));
	sgs[num_out + num_in++] = &status;

	return virtqueue_add_sgs(vq, sgs, num_out, num_in, vbr, GFP_ATOMIC);
}

/*
 * kick_hold_ns: busy-waits until hold_ns have passed since start_ns (taken
 * right after the request went into the ring) and returns the hold's end.
 * Called without the vq lock and with interrupts enabled, so that the hold
 * delays neither other submitters nor the completion interrupts: only the
 * kick stage of this request may grow. The interrupts that arrived while
 * the lock was held are served when it is dropped, inside the hold.
 */
static u64 virtio_xblk_kick_hold(unsigned int hold_ns, u64 start_ns)
{
	u64 now_ns = ktime_get_ns();

	while (now_ns - start_ns < hold_ns) {
		cpu_relax();
		now_ns = ktime_get_ns();
	}
	return now_ns;
}

static blk_status_t virtio_xblk_queue_rq(struct blk_mq_hw_ctx *hctx,
					 const struct blk_mq_queue_data *bd)
{
	struct virtio_xblk *vx = hctx->queue->queuedata;
	struct virtio_xblk_vq *xvq = &vx->vqs[hctx->queue_num];
	struct request *rq = bd->rq;
	struct virtio_xblk_req *vbr = blk_mq_rq_to_pdu(rq);
	unsigned int hold_ns = READ_ONCE(kick_hold_ns);
	u64 hold_id = 0, hold_start_ns = 0, hold_end_ns = 0;
	u16 qid = hctx->queue_num;
	bool notify = false;
	blk_status_t status;
	unsigned long flags;
	int num, err;

	status = virtio_xblk_setup_cmd(vx, rq, vbr);
	if (unlikely(status))
		return status;

	num = virtio_xblk_map_data(hctx, rq, vbr);
	if (unlikely(num < 0))
		return BLK_STS_RESOURCE;
	vbr->sg_table.nents = num;

	blk_mq_start_request(rq);

	/*
	 * Before the add: once in the ring, a handler that is already running
	 * on the host may serve the request at once. If the add fails, the
	 * request is requeued and gets a new id; this one never completes.
	 */
	trace_virtio_xblk_submit(vbr->id, le32_to_cpu(vbr->hdr.type),
				 le64_to_cpu(vbr->hdr.block), vbr->nblocks,
				 qid);
	spin_lock_irqsave(&xvq->lock, flags);
	err = virtio_xblk_add_req(xvq->vq, vbr);
	if (unlikely(err)) {
		/* Let the device see what is already queued. */
		notify = virtqueue_kick_prepare(xvq->vq);
		trace_virtio_xblk_kick(qid, xvq->last_id, xvq->vq->num_free,
				       notify);
		/*
		 * Restarted by the callback, which runs under the same lock,
		 * once descriptors are free again. Not for -ENOMEM: that can
		 * be a global shortage with nothing in this ring.
		 */
		if (err == -ENOSPC)
			blk_mq_stop_hw_queue(hctx);
		spin_unlock_irqrestore(&xvq->lock, flags);
		if (notify)
			virtqueue_notify(xvq->vq);
		virtio_xblk_unmap_data(rq, vbr);
		switch (err) {
		case -ENOSPC:
			return BLK_STS_DEV_RESOURCE;
		case -ENOMEM:
			return BLK_STS_RESOURCE;
		default:
			/* -EIO: the virtqueue is broken */
			return BLK_STS_IOERR;
		}
	}

	xvq->last_id = vbr->id;
	if (hold_ns) {
		/*
		 * Once the lock is dropped the device may complete the
		 * request and the block layer reuse vbr: keep the id.
		 */
		hold_id = vbr->id;
		hold_start_ns = ktime_get_ns();
		spin_unlock_irqrestore(&xvq->lock, flags);
		hold_end_ns = virtio_xblk_kick_hold(hold_ns, hold_start_ns);
		if (!bd->last) {
			trace_virtio_xblk_hold(hold_id, qid, hold_start_ns,
					       hold_end_ns);
			return BLK_STS_OK;
		}
		spin_lock_irqsave(&xvq->lock, flags);
		notify = virtqueue_kick_prepare(xvq->vq);
		/*
		 * The hold ends here, ready to kick: retaking the lock, and
		 * whatever the hold's length made the guest owe (an emulated
		 * one catches up after a long busy-wait), is part of it, not of
		 * the request's own submit>kick.
		 */
		hold_end_ns = ktime_get_ns();
		/* last_id: other submitters may have added during the hold. */
		trace_virtio_xblk_kick(qid, xvq->last_id, xvq->vq->num_free,
				       notify);
	} else if (bd->last) {
		notify = virtqueue_kick_prepare(xvq->vq);
		trace_virtio_xblk_kick(qid, vbr->id, xvq->vq->num_free, notify);
	}
	spin_unlock_irqrestore(&xvq->lock, flags);

	/*
	 * Outside the lock: the block layer keeps remove() from deleting the
	 * vq until this dispatch has returned.
	 */
	if (notify)
		virtqueue_notify(xvq->vq);
	/*
	 * The hold's event after the kick: the cost of writing it (several us
	 * in an emulated guest) stays out of this request's submit>kick.
	 */
	if (hold_ns)
		trace_virtio_xblk_hold(hold_id, qid, hold_start_ns, hold_end_ns);
	return BLK_STS_OK;
}

/* The block layer ended a batch without a bd->last request: kick now. */
static void virtio_xblk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct virtio_xblk *vx = hctx->queue->queuedata;
	struct virtio_xblk_vq *xvq = &vx->vqs[hctx->queue_num];
	bool notify;

	spin_lock_irq(&xvq->lock);
	notify = virtqueue_kick_prepare(xvq->vq);
	trace_virtio_xblk_kick(hctx->queue_num, xvq->last_id,
			       xvq->vq->num_free, notify);
	spin_unlock_irq(&xvq->lock);

	if (notify)
		virtqueue_notify(xvq->vq);
}

/* blk_mq_complete_request() runs this, on the submitting CPU if needed. */
static void virtio_xblk_complete_rq(struct request *rq)
{
	struct virtio_xblk_req *vbr = blk_mq_rq_to_pdu(rq);

	virtio_xblk_unmap_data(rq, vbr);
	blk_mq_end_request(rq, virtio_xblk_result(vbr->status));
}

static void virtio_xblk_map_queues(struct blk_mq_tag_set *set)
{
	struct virtio_xblk *vx = set->driver_data;

	/* Follows the interrupt affinity of the vqs, else the default map. */
	blk_mq_virtio_map_queues(&set->map[HCTX_TYPE_DEFAULT], vx->vdev, 0);
}

static const struct blk_mq_ops virtio_xblk_mq_ops = {
	.queue_rq	= virtio_xblk_queue_rq,
	.commit_rqs	= virtio_xblk_commit_rqs,
	.complete	= virtio_xblk_complete_rq,
	.map_queues	= virtio_xblk_map_queues,
};

/* Called with the vq lock held, from the virtqueue callback. */
static void virtio_xblk_returned(struct virtio_xblk_vq *xvq, u16 qid,
				 void *token, unsigned int len)
{
	struct virtio_xblk_req *vbr;
	struct request *rq;

	if (*(u8 *)token == VIRTIO_XBLK_KIND_RAW) {
		virtio_xblk_raw_finish(token, len, 0);
		return;
	}

	vbr = token;
	rq = blk_mq_rq_from_pdu(vbr);
	vbr->used_len = len;
	WRITE_ONCE(xvq->completed, xvq->completed + 1);
	trace_virtio_xblk_complete(vbr->id, vbr->status, len, qid);
	if (likely(!blk_should_fake_timeout(rq->q)))
		blk_mq_complete_request(rq);
}

static void virtio_xblk_done(struct virtqueue *vq)
{
	struct virtio_xblk *vx = vq->vdev->priv;
	struct virtio_xblk_vq *xvq = &vx->vqs[vq->index];
	bool returned = false;
	unsigned long flags;
	unsigned int len;
	void *token;

	trace_virtio_xblk_irq(vq->index);

	spin_lock_irqsave(&xvq->lock, flags);
	do {
		virtqueue_disable_cb(vq);
		while ((token = virtqueue_get_buf(vq, &len)) != NULL) {
			virtio_xblk_returned(xvq, vq->index, token, len);
			returned = true;
		}
		/* enable_cb() keeps failing on a broken ring: do not spin. */
		if (unlikely(virtqueue_is_broken(vq)))
			break;
	} while (!virtqueue_enable_cb(vq));

	/*
	 * In case queue_rq() stopped a hardware queue for lack of
	 * descriptors; under the lock so that it cannot stop it just after.
	 */
	if (returned && !vx->disk_gone)
		blk_mq_start_stopped_hw_queues(vx->disk->queue, true);
	spin_unlock_irqrestore(&xvq->lock, flags);

	if (returned && vq->index == 0)
		wake_up(&vx->ring_wait);
}

/* GET_ID through the block layer, for the sysfs 'serial' attribute. */
static int virtio_xblk_get_id(struct gendisk *disk, char *id_str)
{
	struct request_queue *q = disk->queue;
	struct request *rq;
	blk_status_t status;
	int err;

	rq = blk_mq_alloc_request(q, REQ_OP_DRV_IN, 0);
	if (IS_ERR(rq))
		return PTR_ERR(rq);

	err = blk_rq_map_kern(q, rq, id_str, VIRTIO_XBLK_ID_BYTES, GFP_KERNEL);
	if (err)
		goto out;

	blk_execute_rq(rq, false);
	status = virtio_xblk_result(((struct virtio_xblk_req *)
				     blk_mq_rq_to_pdu(rq))->status);
	err = blk_status_to_errno(status);
out:
	blk_mq_free_request(rq);
	return err;
}

static ssize_t serial_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct gendisk *disk = dev_to_disk(dev);
	int err;

	/* sysfs gives us a PAGE_SIZE buffer */
	BUILD_BUG_ON(VIRTIO_XBLK_ID_BYTES + 1 > PAGE_SIZE);

	buf[VIRTIO_XBLK_ID_BYTES] = '\0';
	err = virtio_xblk_get_id(disk, buf);
	if (!err)
		return strlen(buf);
	/* Not supported or failed: make it empty, as virtio_blk. */
	if (err == -EIO || err == -EOPNOTSUPP)
		return 0;
	return err;
}

static DEVICE_ATTR_RO(serial);

/* One line per virtqueue: "QUEUE COMPLETED" (block requests returned). */
static ssize_t queue_completed_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct virtio_xblk *vx = dev_to_disk(dev)->private_data;
	ssize_t len = 0;
	unsigned int q;

	for (q = 0; q < vx->nr_vqs; q++)
		len += sysfs_emit_at(buf, len, "%u %llu\n", q,
				     READ_ONCE(vx->vqs[q].completed));
	return len;
}

static DEVICE_ATTR_RO(queue_completed);

static struct attribute *virtio_xblk_attrs[] = {
	&dev_attr_serial.attr,
	&dev_attr_queue_completed.attr,
	NULL,
};
ATTRIBUTE_GROUPS(virtio_xblk);

static void virtio_xblk_free_disk(struct gendisk *disk)
{
	struct virtio_xblk *vx = disk->private_data;

	kref_put(&vx->kref, virtio_xblk_free);
}

static const struct block_device_operations virtio_xblk_fops = {
	.owner		= THIS_MODULE,
	.free_disk	= virtio_xblk_free_disk,
};

/* ---- probe and remove ---- */

static int virtio_xblk_read_config(struct virtio_xblk *vx)
{
	struct virtio_device *vdev = vx->vdev;

	virtio_cread_le(vdev, struct virtio_xblk_config, capacity,
			&vx->capacity);
	virtio_cread_le(vdev, struct virtio_xblk_config, block_size,
			&vx->block_size);
	virtio_cread_le(vdev, struct virtio_xblk_config, max_blocks,
			&vx->max_blocks);
	virtio_cread_le(vdev, struct virtio_xblk_config, max_segments,
			&vx->max_segments);
	if (virtio_has_feature(vdev, VIRTIO_XBLK_F_MQ))
		virtio_cread_le(vdev, struct virtio_xblk_config, num_queues,
				&vx->num_queues);
	else
		vx->num_queues = 1;

	if (virtio_has_feature(vdev, VIRTIO_XBLK_F_RO))
		vx->features |= 1u << VIRTIO_XBLK_F_RO;
	if (virtio_has_feature(vdev, VIRTIO_XBLK_F_FLUSH))
		vx->features |= 1u << VIRTIO_XBLK_F_FLUSH;
	if (virtio_has_feature(vdev, VIRTIO_XBLK_F_MQ))
		vx->features |= 1u << VIRTIO_XBLK_F_MQ;

	if (vx->block_size < 512 || vx->block_size > 65536 ||
	    !is_power_of_2(vx->block_size)) {
		dev_err(&vdev->dev, "invalid block size %u\n", vx->block_size);
		return -EINVAL;
	}
	/* Linux 6.1 supports logical blocks of 512 bytes to PAGE_SIZE. */
	if (blk_validate_block_size(vx->block_size)) {
		dev_err(&vdev->dev, "block size %u is larger than the page size, not supported\n",
			vx->block_size);
		return -EINVAL;
	}
	vx->block_shift = ilog2(vx->block_size);
	/*
	 * The block layer sends requests of at least a page whatever the
	 * limit; a device refusing them would fail ordinary I/O.
	 */
	if ((u64)vx->max_blocks * vx->block_size < PAGE_SIZE) {
		dev_err(&vdev->dev, "max_blocks %u of %u bytes is less than a page\n",
			vx->max_blocks, vx->block_size);
		return -EINVAL;
	}
	if (!vx->num_queues) {
		dev_err(&vdev->dev, "MQ advertised but zero queues reported\n");
		return -EINVAL;
	}
	return 0;
}

static int virtio_xblk_init_vqs(struct virtio_xblk *vx)
{
	struct virtio_device *vdev = vx->vdev;
	struct irq_affinity desc = { 0, };
	vq_callback_t **callbacks;
	struct virtqueue **vqs;
	const char **names;
	unsigned int i, nr;
	int err;

	/* More queues than CPUs would only leave some idle. */
	nr = min_t(unsigned int, vx->num_queues, nr_cpu_ids);

	vx->vqs = kcalloc(nr, sizeof(*vx->vqs), GFP_KERNEL);
	names = kmalloc_array(nr, sizeof(*names), GFP_KERNEL);
	callbacks = kmalloc_array(nr, sizeof(*callbacks), GFP_KERNEL);
	vqs = kmalloc_array(nr, sizeof(*vqs), GFP_KERNEL);
	if (!vx->vqs || !names || !callbacks || !vqs) {
		err = -ENOMEM;
		goto out;
	}

	for (i = 0; i < nr; i++) {
		callbacks[i] = virtio_xblk_done;
		snprintf(vx->vqs[i].name, VIRTIO_XBLK_VQ_NAME_LEN, "req.%u", i);
		names[i] = vx->vqs[i].name;
	}

	err = virtio_find_vqs(vdev, nr, vqs, callbacks, names, &desc);
	if (err)
		goto out;

	for (i = 0; i < nr; i++) {
		spin_lock_init(&vx->vqs[i].lock);
		vx->vqs[i].vq = vqs[i];
	}
	vx->nr_vqs = nr;

out:
	kfree(vqs);
	kfree(callbacks);
	kfree(names);
	return err;
}

static int virtio_xblk_probe(struct virtio_device *vdev)
{
	struct virtio_xblk *vx;
	struct request_queue *q;
	unsigned int sg_elems, queue_depth;
	u64 max_hw_sectors;
	size_t max_size;
	char cap_str[32];
	int err;

	if (!vdev->config->get) {
		dev_err(&vdev->dev, "config access disabled\n");
		return -EINVAL;
	}

	vx = kzalloc(sizeof(*vx), GFP_KERNEL);
	if (!vx)
		return -ENOMEM;
	vx->vdev = vdev;
	vx->index = -1;
	init_waitqueue_head(&vx->ring_wait);
	kref_init(&vx->kref);
	vdev->priv = vx;

	err = ida_alloc_max(&virtio_xblk_ida, VIRTIO_XBLK_MAX_INDEX - 1,
			    GFP_KERNEL);
	if (err < 0)
		goto err_free;
	vx->index = err;

	err = virtio_xblk_read_config(vx);
	if (err)
		goto err_free;

	err = virtio_xblk_init_vqs(vx);
	if (err)
		goto err_free;

	vx->ring_size = virtqueue_get_vring_size(vx->vqs[0].vq);
	vx->indirect = virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC);

	/* At least one data descriptor, whatever the device says. */
	sg_elems = clamp_t(u32, vx->max_segments, 1, VIRTIO_XBLK_MAX_SG_ELEMS);
	/* Without indirect descriptors a request must fit in the ring. */
	if (!vx->indirect && vx->ring_size > 2)
		sg_elems = min(sg_elems, vx->ring_size - 2);

	/* Fill the ring; without indirect descriptors a request takes 2+. */
	queue_depth = vx->vqs[0].vq->num_free;
	if (!vx->indirect)
		queue_depth /= 2;
	queue_depth = max(queue_depth, 1u);

	vx->tag_set.ops = &virtio_xblk_mq_ops;
	vx->tag_set.queue_depth = queue_depth;
	vx->tag_set.numa_node = NUMA_NO_NODE;
	vx->tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	vx->tag_set.cmd_size = sizeof(struct virtio_xblk_req) +
		sizeof(struct scatterlist) * VIRTIO_XBLK_INLINE_SG_CNT;
	vx->tag_set.driver_data = vx;
	vx->tag_set.nr_hw_queues = vx->nr_vqs;
	vx->tag_set.nr_maps = 1;

	err = blk_mq_alloc_tag_set(&vx->tag_set);
	if (err)
		goto err_del_vqs;

	vx->disk = blk_mq_alloc_disk(&vx->tag_set, vx);
	if (IS_ERR(vx->disk)) {
		err = PTR_ERR(vx->disk);
		goto err_free_tags;
	}
	q = vx->disk->queue;

	snprintf(vx->disk->disk_name, DISK_NAME_LEN, "xblk%d", vx->index);
	vx->disk->major = virtio_xblk_major;
	vx->disk->first_minor = vx->index << VIRTIO_XBLK_PART_BITS;
	vx->disk->minors = 1 << VIRTIO_XBLK_PART_BITS;
	vx->disk->private_data = vx;
	vx->disk->fops = &virtio_xblk_fops;

	blk_queue_logical_block_size(q, vx->block_size);
	blk_queue_physical_block_size(q, vx->block_size);
	blk_queue_max_segments(q, sg_elems);

	max_size = virtio_max_dma_size(vdev);
	blk_queue_max_segment_size(q, min_t(size_t, max_size, U32_MAX));

	/* After the logical block size: rounded down to a whole block. */
	max_hw_sectors = (u64)vx->max_blocks <<
			 (vx->block_shift - SECTOR_SHIFT);
	blk_queue_max_hw_sectors(q, min_t(u64, max_hw_sectors,
					  VIRTIO_XBLK_MAX_HW_SECTORS));

	/* REQ_OP_FLUSH only reaches drivers with a volatile write cache. */
	if (virtio_has_feature(vdev, VIRTIO_XBLK_F_FLUSH))
		blk_queue_write_cache(q, true, false);
	if (virtio_has_feature(vdev, VIRTIO_XBLK_F_RO))
		set_disk_ro(vx->disk, true);

	if (vx->capacity > (U64_MAX >> (vx->block_shift - SECTOR_SHIFT))) {
		dev_warn(&vdev->dev, "capacity %llu blocks does not fit in sector_t, clamped\n",
			 vx->capacity);
		set_capacity(vx->disk, U64_MAX);
	} else {
		set_capacity(vx->disk, vx->capacity <<
			     (vx->block_shift - SECTOR_SHIFT));
	}

	/* The partition scan in device_add_disk() already does I/O. */
	virtio_device_ready(vdev);

	err = device_add_disk(&vdev->dev, vx->disk, virtio_xblk_groups);
	if (err)
		goto err_reset;
	/* The gendisk's reference, dropped by virtio_xblk_free_disk(). */
	kref_get(&vx->kref);

	string_get_size(vx->capacity, vx->block_size, STRING_UNITS_2,
			cap_str, sizeof(cap_str));
	dev_info(&vdev->dev, "%s: %llu %u-byte blocks (%s), %u/%u queues, max %u blocks x %u segments%s%s\n",
		 vx->disk->disk_name, vx->capacity, vx->block_size, cap_str,
		 vx->nr_vqs, vx->num_queues, vx->max_blocks, sg_elems,
		 virtio_has_feature(vdev, VIRTIO_XBLK_F_RO) ? ", read-only" : "",
		 virtio_has_feature(vdev, VIRTIO_XBLK_F_FLUSH) ? ", flush" : "");

	/* The debug device is optional: the disk works without it. */
	snprintf(vx->raw_name, sizeof(vx->raw_name), "xblk%d-raw", vx->index);
	vx->misc.minor = MISC_DYNAMIC_MINOR;
	vx->misc.name = vx->raw_name;
	vx->misc.fops = &virtio_xblk_raw_fops;
	vx->misc.parent = &vdev->dev;
	vx->misc.mode = 0600;
	err = misc_register(&vx->misc);
	if (err)
		dev_warn(&vdev->dev, "no /dev/%s: error %d\n", vx->raw_name,
			 err);
	else
		vx->misc_registered = true;

	return 0;

err_reset:
	virtio_reset_device(vdev);
	put_disk(vx->disk);
err_free_tags:
	blk_mq_free_tag_set(&vx->tag_set);
err_del_vqs:
	vdev->config->del_vqs(vdev);
err_free:
	kref_put(&vx->kref, virtio_xblk_free);
	return err;
}

static bool virtio_xblk_cancel_rq(struct request *rq, void *data)
{
	struct virtio_xblk_req *vbr = blk_mq_rq_to_pdu(rq);

	vbr->status = VIRTIO_XBLK_S_IOERR;
	if (blk_mq_request_started(rq) && !blk_mq_request_completed(rq))
		blk_mq_complete_request(rq);
	return true;
}

/*
 * Surprise removal: virtio-pci marks the device broken when it is gone
 * from the bus, and requests in the rings will never come back, which
 * would keep del_gendisk() waiting forever. Fail them instead (the same
 * sequence as later virtio_blk versions).
 */
static void virtio_xblk_cleanup_broken(struct virtio_xblk *vx)
{
	struct request_queue *q = vx->disk->queue;

	if (!virtqueue_is_broken(vx->vqs[0].vq))
		return;

	dev_warn(&vx->vdev->dev, "device is gone, failing outstanding I/O\n");
	/* New requests wait at the door; in-flight ones are still counted. */
	blk_freeze_queue_start(q);
	/* No dispatch is running or will start. */
	blk_mq_quiesce_queue(q);
	/* Broken vqs run no callback; wait for those already running. */
	virtio_synchronize_cbs(vx->vdev);
	blk_mq_tagset_busy_iter(&vx->tag_set, virtio_xblk_cancel_rq, vx);
	blk_mq_tagset_wait_completed_request(&vx->tag_set);
	/* Whatever is dispatched now fails in queue_rq() (-EIO). */
	blk_mq_start_stopped_hw_queues(q, true);
	blk_mq_unquiesce_queue(q);
	blk_mq_freeze_queue_wait(q);
	/* Requests waiting at the door are failed once unfrozen. */
	blk_mark_disk_dead(vx->disk);
	blk_mq_unfreeze_queue(q);
}

static void virtio_xblk_remove(struct virtio_device *vdev)
{
	struct virtio_xblk *vx = vdev->priv;
	unsigned int i;
	void *token;

	/* No new opens; files already open keep vx alive, not the vqs. */
	if (vx->misc_registered)
		misc_deregister(&vx->misc);

	spin_lock_irq(&vx->vqs[0].lock);
	vx->removed = true;
	spin_unlock_irq(&vx->vqs[0].lock);
	/* RAW submitters waiting for ring space now see 'removed'. */
	wake_up_all(&vx->ring_wait);

	virtio_xblk_cleanup_broken(vx);

	/* Waits for every block request: the device still answers. */
	del_gendisk(vx->disk);

	for (i = 0; i < vx->nr_vqs; i++) {
		spin_lock_irq(&vx->vqs[i].lock);
		vx->disk_gone = true;
		spin_unlock_irq(&vx->vqs[i].lock);
	}

	/*
	 * After the reset the device neither uses the rings nor interrupts,
	 * and the transport has flushed running callbacks, so what is still
	 * queued can be taken back: RAW requests are failed, block requests
	 * can only be ones already failed by virtio_xblk_cleanup_broken().
	 */
	virtio_reset_device(vdev);

	for (i = 0; i < vx->nr_vqs; i++) {
		spin_lock_irq(&vx->vqs[i].lock);
		while ((token = virtqueue_detach_unused_buf(vx->vqs[i].vq))) {
			if (*(u8 *)token == VIRTIO_XBLK_KIND_RAW)
				virtio_xblk_raw_finish(token, 0, -ENODEV);
		}
		spin_unlock_irq(&vx->vqs[i].lock);
	}

	blk_mq_free_tag_set(&vx->tag_set);
	vdev->config->del_vqs(vdev);
	put_disk(vx->disk);
	kref_put(&vx->kref, virtio_xblk_free);
}

static const unsigned int features[] = {
	VIRTIO_XBLK_F_RO, VIRTIO_XBLK_F_FLUSH, VIRTIO_XBLK_F_MQ,
};

static const struct virtio_device_id id_table[] = {
	{ VIRTIO_ID_XBLK, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static struct virtio_driver virtio_xblk_driver = {
	.feature_table		= features,
	.feature_table_size	= ARRAY_SIZE(features),
	.driver.name		= KBUILD_MODNAME,
	.driver.owner		= THIS_MODULE,
	.id_table		= id_table,
	.probe			= virtio_xblk_probe,
	.remove			= virtio_xblk_remove,
};

static int __init virtio_xblk_init(void)
{
	int err;

	virtio_xblk_major = register_blkdev(0, "xblk");
	if (virtio_xblk_major < 0)
		return virtio_xblk_major;

	err = register_virtio_driver(&virtio_xblk_driver);
	if (err)
		unregister_blkdev(virtio_xblk_major, "xblk");
	return err;
}

static void __exit virtio_xblk_exit(void)
{
	unregister_virtio_driver(&virtio_xblk_driver);
	unregister_blkdev(virtio_xblk_major, "xblk");
	ida_destroy(&virtio_xblk_ida);
}

module_init(virtio_xblk_init);
module_exit(virtio_xblk_exit);
MODULE_DEVICE_TABLE(virtio, id_table);
MODULE_DESCRIPTION("vqscope virtio-xblk driver");
MODULE_LICENSE("GPL");
