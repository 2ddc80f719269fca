// SPDX-License-Identifier: GPL-2.0
/*
 * Driver for vqscope's virtio-xblk device: a disk addressed in device blocks
 * of block_size bytes. Every device is a blk-mq disk, /dev/xblkN, with one
 * hardware queue per request virtqueue, and a debug character device,
 * /dev/xblkN-raw, that sends hand-made (possibly malformed) descriptor
 * chains through the ioctls of virtio_xblk_ioctl.h.
 *
 * This file: probe and remove, the gendisk and module init; the request
 * paths are virtio_xblk_mq.c and virtio_xblk_raw.c (see virtio_xblk.h).
 */

#include "virtio_xblk.h"

#define CREATE_TRACE_POINTS
#include "virtio_xblk_trace.h"

static int virtio_xblk_major;
static DEFINE_IDA(virtio_xblk_ida);

/*
 * Block request ids, one sequence for every xblk disk of the guest: the
 * analyzer stitches guest and device events by id alone, so two disks must
 * never hand out the same one.
 */
atomic64_t virtio_xblk_next_id = ATOMIC64_INIT(0);

void virtio_xblk_free(struct kref *kref)
{
	struct virtio_xblk *vx = container_of(kref, struct virtio_xblk, kref);

	/* Only now can the minors and the name be reused. */
	if (vx->index >= 0)
		ida_free(&virtio_xblk_ida, vx->index);
	kfree(vx->vqs);
	kfree(vx);
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
