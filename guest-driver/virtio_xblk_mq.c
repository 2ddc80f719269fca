// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_xblk, block layer requests: each blk-mq request becomes one
 * descriptor chain (header, data, status) on the virtqueue of its hardware
 * queue; the virtqueue callback completes them (and RAW requests).
 */

#include "virtio_xblk.h"
#include "virtio_xblk_trace.h"

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

blk_status_t virtio_xblk_result(u8 status)
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

const struct blk_mq_ops virtio_xblk_mq_ops = {
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

void virtio_xblk_done(struct virtqueue *vq)
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
