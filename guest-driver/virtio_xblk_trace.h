/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the virtio_xblk driver. Event and field names are read by
 * the vqscope analyzer: keep them stable.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM virtio_xblk

#if !defined(_VIRTIO_XBLK_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VIRTIO_XBLK_TRACE_H

#include <linux/timekeeping.h>
#include <linux/tracepoint.h>

/*
 * A block layer request was added to virtqueue vq. type is
 * VIRTIO_XBLK_T_*; block and nblocks are in device blocks (0 for FLUSH and
 * GET_ID).
 */
TRACE_EVENT(virtio_xblk_submit,
	TP_PROTO(u64 id, u32 type, u64 block, u32 nblocks, u16 vq),
	TP_ARGS(id, type, block, nblocks, vq),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(u64, id)
		__field(u32, type)
		__field(u64, block)
		__field(u32, nblocks)
		__field(u16, vq)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->id = id;
		__entry->type = type;
		__entry->block = block;
		__entry->nblocks = nblocks;
		__entry->vq = vq;
	),
	TP_printk("ts_ns=%llu id=%llu type=%u block=%llu nblocks=%u vq=%u", __entry->ts_ns,
		  __entry->id, __entry->type, __entry->block, __entry->nblocks,
		  __entry->vq)
);

/*
 * The driver decided whether to notify the device about vq. id_last is the
 * id of the last block request added to vq (0 for a RAW chain); num_free is
 * the number of free descriptors left; notified says whether the device
 * needed a notification (event index suppression).
 */
TRACE_EVENT(virtio_xblk_kick,
	TP_PROTO(u16 vq, u64 id_last, u16 num_free, bool notified),
	TP_ARGS(vq, id_last, num_free, notified),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(u16, vq)
		__field(u64, id_last)
		__field(u16, num_free)
		__field(bool, notified)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->vq = vq;
		__entry->id_last = id_last;
		__entry->num_free = num_free;
		__entry->notified = notified;
	),
	TP_printk("ts_ns=%llu vq=%u id_last=%llu num_free=%u notified=%d", __entry->ts_ns,
		  __entry->vq, __entry->id_last, __entry->num_free,
		  __entry->notified)
);

/*
 * kick_hold_ns held block request id, already in virtqueue vq, from
 * start_ns to end_ns (ktime_get_ns) before its kick was considered.
 */
TRACE_EVENT(virtio_xblk_hold,
	TP_PROTO(u64 id, u16 vq, u64 start_ns, u64 end_ns),
	TP_ARGS(id, vq, start_ns, end_ns),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(u64, id)
		__field(u16, vq)
		__field(u64, start_ns)
		__field(u64, end_ns)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->id = id;
		__entry->vq = vq;
		__entry->start_ns = start_ns;
		__entry->end_ns = end_ns;
	),
	TP_printk("ts_ns=%llu id=%llu vq=%u start_ns=%llu end_ns=%llu",
		  __entry->ts_ns, __entry->id, __entry->vq, __entry->start_ns,
		  __entry->end_ns)
);

/* The virtqueue callback ran (used buffer notification or spurious). */
TRACE_EVENT(virtio_xblk_irq,
	TP_PROTO(u16 vq),
	TP_ARGS(vq),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(u16, vq)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->vq = vq;
	),
	TP_printk("ts_ns=%llu vq=%u", __entry->ts_ns, __entry->vq)
);

/*
 * The device returned a block layer request. status is the status byte as
 * the device left it (255: not written); used_len is as the device
 * reported it.
 */
TRACE_EVENT(virtio_xblk_complete,
	TP_PROTO(u64 id, u8 status, u32 used_len, u16 vq),
	TP_ARGS(id, status, used_len, vq),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(u64, id)
		__field(u8, status)
		__field(u32, used_len)
		__field(u16, vq)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->id = id;
		__entry->status = status;
		__entry->used_len = used_len;
		__entry->vq = vq;
	),
	TP_printk("ts_ns=%llu id=%llu status=%u used_len=%u vq=%u", __entry->ts_ns,
		  __entry->id, __entry->status, __entry->used_len, __entry->vq)
);

/* A RAW (possibly malformed) chain is about to be added to vq. */
TRACE_EVENT(virtio_xblk_raw_submit,
	TP_PROTO(u16 vq, u32 nsegs, u32 out_len, u32 in_len),
	TP_ARGS(vq, nsegs, out_len, in_len),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(u16, vq)
		__field(u32, nsegs)
		__field(u32, out_len)
		__field(u32, in_len)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->vq = vq;
		__entry->nsegs = nsegs;
		__entry->out_len = out_len;
		__entry->in_len = in_len;
	),
	TP_printk("ts_ns=%llu vq=%u nsegs=%u out_len=%u in_len=%u", __entry->ts_ns,
		  __entry->vq, __entry->nsegs, __entry->out_len,
		  __entry->in_len)
);

/*
 * The device returned a RAW chain. status is the last writable byte, 0
 * when there is none; used_len is clamped to in_len.
 */
TRACE_EVENT(virtio_xblk_raw_complete,
	TP_PROTO(u16 vq, u32 in_len, u8 status, u32 used_len),
	TP_ARGS(vq, in_len, status, used_len),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(u16, vq)
		__field(u32, in_len)
		__field(u8, status)
		__field(u32, used_len)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->vq = vq;
		__entry->in_len = in_len;
		__entry->status = status;
		__entry->used_len = used_len;
	),
	TP_printk("ts_ns=%llu vq=%u in_len=%u status=%u used_len=%u", __entry->ts_ns,
		  __entry->vq, __entry->in_len, __entry->status,
		  __entry->used_len)
);

#endif /* _VIRTIO_XBLK_TRACE_H */

/* Out-of-tree module: the trace header lives next to the source. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE virtio_xblk_trace
#include <trace/define_trace.h>
