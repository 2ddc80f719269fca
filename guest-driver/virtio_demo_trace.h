/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the virtio_demo driver. Event and field names are read by
 * the vqscope analyzer: keep them stable.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM virtio_demo

#if !defined(_VIRTIO_DEMO_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VIRTIO_DEMO_TRACE_H

#include <linux/timekeeping.h>
#include <linux/tracepoint.h>

/* A CALC request is about to be added to the ring. */
TRACE_EVENT(virtio_demo_submit,
	TP_PROTO(u64 id, s64 a, s64 b),
	TP_ARGS(id, a, b),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(u64, id)
		__field(s64, a)
		__field(s64, b)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->id = id;
		__entry->a = a;
		__entry->b = b;
	),
	TP_printk("ts_ns=%llu id=%llu a=%lld b=%lld", __entry->ts_ns,
		  __entry->id, __entry->a, __entry->b)
);

/*
 * A chain was added; id is 0 for RAW requests. notify says whether the
 * device actually needed a notification (event index suppression).
 */
TRACE_EVENT(virtio_demo_kick,
	TP_PROTO(unsigned int vq, u64 id, unsigned int num_free, bool notify),
	TP_ARGS(vq, id, num_free, notify),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(unsigned int, vq)
		__field(u64, id)
		__field(unsigned int, num_free)
		__field(bool, notify)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->vq = vq;
		__entry->id = id;
		__entry->num_free = num_free;
		__entry->notify = notify;
	),
	TP_printk("ts_ns=%llu vq=%u id=%llu num_free=%u notify=%d", __entry->ts_ns,
		  __entry->vq, __entry->id, __entry->num_free, __entry->notify)
);

/* The virtqueue callback ran (used buffer notification or spurious). */
TRACE_EVENT(virtio_demo_irq,
	TP_PROTO(unsigned int vq),
	TP_ARGS(vq),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(unsigned int, vq)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->vq = vq;
	),
	TP_printk("ts_ns=%llu vq=%u", __entry->ts_ns, __entry->vq)
);

/*
 * The device returned a CALC request. status is the last byte of the
 * response buffer as the device left it; used_len is clamped to the
 * response size.
 */
TRACE_EVENT(virtio_demo_complete,
	TP_PROTO(u64 id, u8 status, u32 used_len),
	TP_ARGS(id, status, used_len),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(u64, id)
		__field(u8, status)
		__field(u32, used_len)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->id = id;
		__entry->status = status;
		__entry->used_len = used_len;
	),
	TP_printk("ts_ns=%llu id=%llu status=%u used_len=%u", __entry->ts_ns,
		  __entry->id, __entry->status, __entry->used_len)
);

/* A RAW (possibly malformed) chain is about to be added to the ring. */
TRACE_EVENT(virtio_demo_raw_submit,
	TP_PROTO(u32 out_len, u32 in_len),
	TP_ARGS(out_len, in_len),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(u32, out_len)
		__field(u32, in_len)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->out_len = out_len;
		__entry->in_len = in_len;
	),
	TP_printk("ts_ns=%llu out_len=%u in_len=%u", __entry->ts_ns,
		  __entry->out_len, __entry->in_len)
);

/*
 * The device returned a RAW chain. status is the last byte of the in part,
 * 0 when there is none; used_len is clamped to in_len.
 */
TRACE_EVENT(virtio_demo_raw_complete,
	TP_PROTO(u32 out_len, u32 in_len, u8 status, u32 used_len),
	TP_ARGS(out_len, in_len, status, used_len),
	TP_STRUCT__entry(
		__field(u64, ts_ns)
		__field(u32, out_len)
		__field(u32, in_len)
		__field(u8, status)
		__field(u32, used_len)
	),
	TP_fast_assign(
		__entry->ts_ns = ktime_get_ns();
		__entry->out_len = out_len;
		__entry->in_len = in_len;
		__entry->status = status;
		__entry->used_len = used_len;
	),
	TP_printk("ts_ns=%llu out_len=%u in_len=%u status=%u used_len=%u", __entry->ts_ns,
		  __entry->out_len, __entry->in_len, __entry->status,
		  __entry->used_len)
);

#endif /* _VIRTIO_DEMO_TRACE_H */

/* Out-of-tree module: the trace header lives next to the source. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE virtio_demo_trace
#include <trace/define_trace.h>
