// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_xblk, RAW requests: /dev/xblkN-raw sends hand-made (possibly
 * malformed) descriptor chains on queue 0 through the ioctls of
 * virtio_xblk_ioctl.h, to test the device's checks.
 */

#include "virtio_xblk.h"
#include "virtio_xblk_trace.h"

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
void virtio_xblk_raw_finish(struct virtio_xblk_raw_ctx *ctx, unsigned int len,
			    int err)
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

const struct file_operations virtio_xblk_raw_fops = {
	.owner		= THIS_MODULE,
	.open		= virtio_xblk_raw_open,
	.release	= virtio_xblk_raw_release,
	.unlocked_ioctl	= virtio_xblk_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= no_llseek,
};
