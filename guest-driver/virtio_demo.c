// SPDX-License-Identifier: GPL-2.0
/*
 * Driver for vqscope's virtio-demo device: the guest sends two signed 64-bit
 * integers, the device answers with their product and sum. Every device is
 * a misc character device, /dev/virtio-demoN, driven through the ioctls of
 * virtio_demo_ioctl.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_vqscope.h>
#include <linux/wait.h>

#include "virtio_demo_ioctl.h"

#define CREATE_TRACE_POINTS
#include "virtio_demo_trace.h"

static DEFINE_IDA(virtio_demo_ida);

struct virtio_demo {
	struct virtqueue *vq;
	/*
	 * Serialises every use of vq (add, kick, get_buf, detach) and
	 * 'removed'; taken from the virtqueue callback, so irq-safe.
	 */
	spinlock_t lock;
	/* Set by remove(): vq is going away, nothing may be added. */
	bool removed;
	/* Submitters waiting for free descriptors; woken as buffers return. */
	wait_queue_head_t ring_wait;
	atomic64_t next_id;
	/*
	 * Open files outlive the virtio device when it is unbound while in
	 * use, so the bound device and every open file each hold a reference.
	 */
	struct kref kref;
	struct miscdevice misc;
	int index;
	char name[32];
};

/*
 * One request. While the device owns the buffers the ring holds its own
 * reference, so a submitter killed while waiting can drop its reference
 * without freeing memory the device may still write.
 */
struct virtio_demo_ctx {
	refcount_t ref;
	struct completion done;
	int err;		/* -ENODEV when taken back at removal */
	u32 used_len;		/* as reported by the device, clamped to in_len */
	u64 id;			/* 0 for RAW requests */
	bool raw;		/* out and in were allocated separately */
	void *out;
	void *in;
	u32 out_len;
	u32 in_len;
	struct virtio_demo_req req;
	struct virtio_demo_resp resp;
};

static struct virtio_demo_ctx *virtio_demo_ctx_alloc(void)
{
	struct virtio_demo_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return NULL;
	refcount_set(&ctx->ref, 1);
	init_completion(&ctx->done);
	return ctx;
}

static void virtio_demo_ctx_put(struct virtio_demo_ctx *ctx)
{
	if (!refcount_dec_and_test(&ctx->ref))
		return;
	if (ctx->raw) {
		kfree(ctx->out);
		kfree(ctx->in);
	}
	kfree(ctx);
}

/* Called with vd->lock held, from irq or process context. */
static void virtio_demo_finish(struct virtio_demo_ctx *ctx, unsigned int len,
			       int err)
{
	u8 status = ctx->in_len ? ((u8 *)ctx->in)[ctx->in_len - 1] : 0;

	/* The used length comes from the device and cannot be trusted. */
	ctx->used_len = min_t(unsigned int, len, ctx->in_len);
	ctx->err = err;
	if (!err) {
		if (ctx->raw)
			trace_virtio_demo_raw_complete(ctx->out_len, ctx->in_len,
						       status, ctx->used_len);
		else
			trace_virtio_demo_complete(ctx->id, status,
						   ctx->used_len);
	}
	complete(&ctx->done);
	/* The ring's reference: the device no longer owns the buffers. */
	virtio_demo_ctx_put(ctx);
}

static void virtio_demo_done(struct virtqueue *vq)
{
	struct virtio_demo *vd = vq->vdev->priv;
	struct virtio_demo_ctx *ctx;
	bool returned = false;
	unsigned long flags;
	unsigned int len;

	trace_virtio_demo_irq(vq->index);

	spin_lock_irqsave(&vd->lock, flags);
	do {
		virtqueue_disable_cb(vq);
		while ((ctx = virtqueue_get_buf(vq, &len)) != NULL) {
			virtio_demo_finish(ctx, len, 0);
			returned = true;
		}
		/* enable_cb() keeps failing on a broken ring: do not spin. */
		if (unlikely(virtqueue_is_broken(vq)))
			break;
	} while (!virtqueue_enable_cb(vq));
	spin_unlock_irqrestore(&vd->lock, flags);

	if (returned)
		wake_up(&vd->ring_wait);
}

/* Called with vd->lock held. */
static int virtio_demo_add(struct virtio_demo *vd, struct virtio_demo_ctx *ctx)
{
	struct scatterlist out_sg, in_sg, *sgs[2];
	unsigned int num_out = 0, num_in = 0;
	bool notify;
	int err;

	if (vd->removed)
		return -ENODEV;

	if (ctx->out_len) {
		sg_init_one(&out_sg, ctx->out, ctx->out_len);
		sgs[num_out++] = &out_sg;
	}
	if (ctx->in_len) {
		sg_init_one(&in_sg, ctx->in, ctx->in_len);
		sgs[num_out + num_in++] = &in_sg;
	}

	err = virtqueue_add_sgs(vd->vq, sgs, num_out, num_in, ctx, GFP_ATOMIC);
	if (err)
		return err;
	refcount_inc(&ctx->ref);

	/*
	 * Kick under the lock: remove() deletes the vq once it has seen
	 * 'removed', so the vq must not be touched after the lock is dropped.
	 */
	notify = virtqueue_kick_prepare(vd->vq);
	trace_virtio_demo_kick(vd->vq->index, ctx->id, vd->vq->num_free, notify);
	if (notify)
		virtqueue_notify(vd->vq);
	return 0;
}

/* A wait_event() condition: true once the request is in or cannot go in. */
static bool virtio_demo_try_add(struct virtio_demo *vd,
				struct virtio_demo_ctx *ctx, int *err)
{
	spin_lock_irq(&vd->lock);
	*err = virtio_demo_add(vd, ctx);
	spin_unlock_irq(&vd->lock);
	return *err != -ENOSPC;
}

/*
 * Queue ctx and wait for the device to return it. Only fatal signals
 * interrupt the waits: the request is then abandoned to the ring, which
 * frees it when the device (or remove()) gives it back.
 */
static int virtio_demo_run(struct virtio_demo *vd, struct virtio_demo_ctx *ctx)
{
	int err = 0;
	int ret;

	ret = wait_event_killable(vd->ring_wait,
				  virtio_demo_try_add(vd, ctx, &err));
	if (ret)
		return ret;
	if (err)
		return err;

	ret = wait_for_completion_killable(&ctx->done);
	if (ret)
		return ret;
	return ctx->err;
}

static long virtio_demo_ioctl_calc(struct virtio_demo *vd,
				   struct virtio_demo_calc __user *uarg)
{
	struct virtio_demo_calc arg;
	struct virtio_demo_ctx *ctx;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;

	ctx = virtio_demo_ctx_alloc();
	if (!ctx)
		return -ENOMEM;

	ctx->id = atomic64_inc_return(&vd->next_id);
	ctx->req.id = cpu_to_le64(ctx->id);
	ctx->req.a = cpu_to_le64((u64)arg.a);
	ctx->req.b = cpu_to_le64((u64)arg.b);
	ctx->out = &ctx->req;
	ctx->out_len = sizeof(ctx->req);
	ctx->in = &ctx->resp;
	ctx->in_len = sizeof(ctx->resp);

	trace_virtio_demo_submit(ctx->id, arg.a, arg.b);
	ret = virtio_demo_run(vd, ctx);
	if (ret)
		goto out_put;

	if (ctx->used_len != sizeof(ctx->resp) ||
	    le64_to_cpu(ctx->resp.id) != ctx->id) {
		pr_warn_ratelimited("%s: bad response to request %llu: used length %u, id %llu, status %u\n",
				    vd->name, ctx->id, ctx->used_len,
				    le64_to_cpu(ctx->resp.id), ctx->resp.status);
		ret = -EIO;
		goto out_put;
	}

	arg.id = ctx->id;
	arg.product = (s64)le64_to_cpu(ctx->resp.product);
	arg.sum = (s64)le64_to_cpu(ctx->resp.sum);
	arg.flags = le32_to_cpu(ctx->resp.flags);
	arg.status = ctx->resp.status;
	memset(arg.pad, 0, sizeof(arg.pad));
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;

out_put:
	virtio_demo_ctx_put(ctx);
	return ret;
}

static long virtio_demo_ioctl_raw(struct virtio_demo *vd,
				  struct virtio_demo_raw __user *uarg)
{
	struct virtio_demo_raw arg;
	struct virtio_demo_ctx *ctx;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad || arg.out_len > VIRTIO_DEMO_RAW_MAX ||
	    arg.in_len > VIRTIO_DEMO_RAW_MAX || (!arg.out_len && !arg.in_len))
		return -EINVAL;

	ctx = virtio_demo_ctx_alloc();
	if (!ctx)
		return -ENOMEM;
	ctx->raw = true;

	if (arg.out_len) {
		void *out = memdup_user(u64_to_user_ptr(arg.out_ptr),
					arg.out_len);

		if (IS_ERR(out)) {
			ret = PTR_ERR(out);
			goto out_put;
		}
		ctx->out = out;
		ctx->out_len = arg.out_len;
	}
	if (arg.in_len) {
		/* Zeroed: bytes the device does not write reach user space. */
		ctx->in = kzalloc(arg.in_len, GFP_KERNEL);
		if (!ctx->in) {
			ret = -ENOMEM;
			goto out_put;
		}
		ctx->in_len = arg.in_len;
	}

	trace_virtio_demo_raw_submit(arg.out_len, arg.in_len);
	ret = virtio_demo_run(vd, ctx);
	if (ret)
		goto out_put;

	arg.used_len = ctx->used_len;
	if (arg.in_len && copy_to_user(u64_to_user_ptr(arg.in_ptr), ctx->in,
				       arg.in_len)) {
		ret = -EFAULT;
		goto out_put;
	}
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;

out_put:
	virtio_demo_ctx_put(ctx);
	return ret;
}

static long virtio_demo_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct virtio_demo *vd = file->private_data;

	switch (cmd) {
	case VIRTIO_DEMO_IOC_CALC:
		return virtio_demo_ioctl_calc(vd, (void __user *)arg);
	case VIRTIO_DEMO_IOC_RAW:
		return virtio_demo_ioctl_raw(vd, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static void virtio_demo_free(struct kref *kref)
{
	kfree(container_of(kref, struct virtio_demo, kref));
}

static int virtio_demo_open(struct inode *inode, struct file *file)
{
	/*
	 * misc_open() calls us under misc_mtx with the misc device still
	 * registered, so remove() has not dropped its reference yet.
	 */
	struct virtio_demo *vd = container_of(file->private_data,
					      struct virtio_demo, misc);

	kref_get(&vd->kref);
	file->private_data = vd;
	return stream_open(inode, file);
}

static int virtio_demo_release(struct inode *inode, struct file *file)
{
	struct virtio_demo *vd = file->private_data;

	kref_put(&vd->kref, virtio_demo_free);
	return 0;
}

static const struct file_operations virtio_demo_fops = {
	.owner		= THIS_MODULE,
	.open		= virtio_demo_open,
	.release	= virtio_demo_release,
	.unlocked_ioctl	= virtio_demo_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= no_llseek,
};

static int virtio_demo_probe(struct virtio_device *vdev)
{
	struct virtio_demo *vd;
	int err;

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return -ENOMEM;
	spin_lock_init(&vd->lock);
	init_waitqueue_head(&vd->ring_wait);
	atomic64_set(&vd->next_id, 0);
	kref_init(&vd->kref);
	vdev->priv = vd;

	vd->index = ida_alloc(&virtio_demo_ida, GFP_KERNEL);
	if (vd->index < 0) {
		err = vd->index;
		goto err_free_vd;
	}
	snprintf(vd->name, sizeof(vd->name), "virtio-demo%d", vd->index);

	vd->vq = virtio_find_single_vq(vdev, virtio_demo_done, "requests");
	if (IS_ERR(vd->vq)) {
		err = PTR_ERR(vd->vq);
		goto err_free_index;
	}

	vd->misc.minor = MISC_DYNAMIC_MINOR;
	vd->misc.name = vd->name;
	vd->misc.fops = &virtio_demo_fops;
	vd->misc.parent = &vdev->dev;

	/*
	 * Requests only arrive through the char device and the device must
	 * not be notified before DRIVER_OK, so the device is made ready
	 * before the char device appears rather than at the very end.
	 */
	virtio_device_ready(vdev);

	err = misc_register(&vd->misc);
	if (err)
		goto err_reset;

	return 0;

err_reset:
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
err_free_index:
	ida_free(&virtio_demo_ida, vd->index);
err_free_vd:
	kfree(vd);
	return err;
}

static void virtio_demo_remove(struct virtio_device *vdev)
{
	struct virtio_demo *vd = vdev->priv;
	struct virtio_demo_ctx *ctx;

	/* No new opens; files already open keep vd alive, not the vq. */
	misc_deregister(&vd->misc);

	spin_lock_irq(&vd->lock);
	vd->removed = true;
	spin_unlock_irq(&vd->lock);

	/*
	 * After the reset the device neither uses the ring nor interrupts,
	 * and the transport has flushed running callbacks, so what is still
	 * queued can be handed back to its submitters.
	 */
	virtio_reset_device(vdev);

	spin_lock_irq(&vd->lock);
	while ((ctx = virtqueue_detach_unused_buf(vd->vq)) != NULL)
		virtio_demo_finish(ctx, 0, -ENODEV);
	spin_unlock_irq(&vd->lock);
	/* Submitters waiting for ring space now see 'removed'. */
	wake_up_all(&vd->ring_wait);

	vdev->config->del_vqs(vdev);
	ida_free(&virtio_demo_ida, vd->index);
	kref_put(&vd->kref, virtio_demo_free);
}

static const unsigned int features[] = {
};

static const struct virtio_device_id id_table[] = {
	{ VIRTIO_ID_DEMO, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static struct virtio_driver virtio_demo_driver = {
	.feature_table		= features,
	.feature_table_size	= ARRAY_SIZE(features),
	.driver.name		= KBUILD_MODNAME,
	.driver.owner		= THIS_MODULE,
	.id_table		= id_table,
	.probe			= virtio_demo_probe,
	.remove			= virtio_demo_remove,
};

module_virtio_driver(virtio_demo_driver);
MODULE_DEVICE_TABLE(virtio, id_table);
MODULE_DESCRIPTION("vqscope virtio-demo driver");
MODULE_LICENSE("GPL");
