// SPDX-License-Identifier: GPL-2.0
/*
 * vqscope host probes: one program per event, filtered in the kernel to one QEMU process, writing
 * struct vqs_probe_record (vqscope_probe.h) to a ring buffer.
 *
 * Attach points and why:
 * - KVM tracepoints as classic "tracepoint/kvm/..." programs (they carry the fields KVM computes for
 *   the event, e.g. kvm_exit's vendor-neutral reason and info words, which a raw tracepoint would have
 *   to dig out of vcpu_svm / vcpu_vmx). Every one returns LET_EVENT_THROUGH (below): vqscope only
 *   observes and must not hide these events from perf. kvm is built in on some kernels and a
 *   module (kvm.ko, its types in /sys/kernel/btf/kvm) on others; the record layouts below are local CO-RE
 *   flavors (___vqs) that libbpf matches against vmlinux or module BTF, whichever has them. Fields that
 *   not every kernel has (kvm_exit.vcpu_id, kvm_page_fault.vcpu_id, kvm_inj_virq.reinjected) are read
 *   only if bpf_core_field_exists() says so.
 * - sched_wakeup / sched_switch as raw tracepoints: their classic records carry pids but no tgids, and
 *   the filter needs the tgid of the woken / switched task.
 * - ioeventfd_write, irqfd_wakeup, irqfd_inject are static functions of KVM with no tracepoint: fentry
 *   where trampolines work, kprobe otherwise. The loader picks per function and autoloads only one.
 *
 * Filtering: a record is written when the current task belongs to target_tgid, with two exceptions.
 * sched_wakeup passes when the woken task belongs to it, sched_switch when prev or next does. And
 * irqfd_inject runs in a kworker (the slow path of an irqfd signalled by QEMU): it passes when its irqfd
 * was seen in irqfd_wakeup from target_tgid, and while it runs the KVM injection tracepoints it causes
 * (kvm_set_irq, kvm_msi_set_irq, kvm_apic_accept_irq) pass too, marked per CPU by entry/exit programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "vqscope_probe.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * The return value of a classic tracepoint or kprobe program is a verdict, not a status: 0 makes the
 * kernel drop the event for every perf listener of that tracepoint (perf_trace_run_bpf_submit(),
 * kprobe_perf_func()), so `perf kvm stat record`, `perf trace` and any other perf-event user of the
 * same tracepoint would see nothing while vqscope records. Non-zero lets the event go on to them.
 * raw_tp and fentry/fexit programs have no such verdict (the verifier requires fentry/fexit to return 0).
 * tests/unit/probe_let_through checks that no tracepoint or kprobe program returns anything else.
 */
#define LET_EVENT_THROUGH 1

/* Set by the loader before load; 0 would match the idle task, so the loader refuses it. */
const volatile u32 target_tgid = 0;
/* Wake the reader only after this many records on one CPU since its last wakeup there (the reader also
 * drains the buffer every 100 ms). Waking it per record would make every record cause a wakeup and a
 * context switch of the reader, often against a QEMU thread: a sched_switch record, another wakeup... a
 * feedback loop. Counted per CPU in a map rather than asking the ring buffer how full it is
 * (bpf_ringbuf_query): one helper call less per record. */
const volatile u64 wakeup_records = 16384;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* bytes; the loader may resize (power of 2, page multiple) */
} events SEC(".maps");

/* Failed ring buffer reservations, per CPU, cumulative since load. Read by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} drops SEC(".maps");

/* Records written per CPU since that CPU last woke the reader. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} since_wakeup SEC(".maps");

/* irqfds (struct kvm_kernel_irqfd addresses) that target_tgid signalled: lets irqfd_inject, which runs
 * in a kworker, be attributed to the target. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u8);
} target_irqfds SEC(".maps");

/* Per CPU: the kworker pid currently running irqfd_inject for a target irqfd, 0 when none. */
struct inject_marker {
	u32 pid;
	u32 pad;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct inject_marker);
} injecting SEC(".maps");

/* --- KVM tracepoint records, as CO-RE flavors (see the top comment) --- */
struct trace_event_raw_kvm_exit___vqs {
	unsigned int exit_reason;
	unsigned long guest_rip;
	u32 isa;
	u64 info1;
	u64 info2;
	u32 intr_info;
	u32 error_code;
	unsigned int vcpu_id;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_entry___vqs {
	unsigned int vcpu_id;
	unsigned long rip;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_userspace_exit___vqs {
	u32 reason;
	int errno;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_mmio___vqs {
	u32 type;
	u32 len;
	u64 gpa;
	u64 val;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_page_fault___vqs {
	unsigned int vcpu_id;
	u64 fault_address;
	u64 error_code;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_msi_set_irq___vqs {
	u64 address;
	u64 data;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_set_irq___vqs {
	unsigned int gsi;
	int level;
	int irq_source_id;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_apic_accept_irq___vqs {
	u32 apicid;
	u16 dm;
	u16 tm;
	u8 vec;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_inj_virq___vqs {
	unsigned int vector;
	u8 soft;
	u8 reinjected;
} __attribute__((preserve_access_index));

/* include/linux/kvm_irqfd.h: only the members we need, matched by name. */
struct kvm_kernel_irqfd___vqs {
	wait_queue_entry_t wait;
	int gsi;
	struct work_struct inject;
} __attribute__((preserve_access_index));

static __always_inline bool current_is_target(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

/* True when a KVM injection event on this CPU was caused by the target's irqfd (kworker path). */
static __always_inline bool injecting_for_target(void)
{
	u32 zero = 0;
	struct inject_marker *marker = bpf_map_lookup_elem(&injecting, &zero);

	return marker && marker->pid && marker->pid == (u32)bpf_get_current_pid_tgid();
}

static __always_inline void record_submit(struct vqs_probe_record *record)
{
	u32 zero = 0;
	u64 *since = bpf_map_lookup_elem(&since_wakeup, &zero);
	u64 flags = BPF_RB_NO_WAKEUP;

	if (since && ++*since >= wakeup_records) { /* per-CPU value: no other writer */
		*since = 0;
		flags = BPF_RB_FORCE_WAKEUP;
	}
	bpf_ringbuf_submit(record, flags);
}

static __always_inline struct vqs_probe_record *record_reserve(u32 type)
{
	struct vqs_probe_record *record;
	u64 pid_tgid;

	record = bpf_ringbuf_reserve(&events, sizeof(*record), 0);
	if (!record) {
		u32 zero = 0;
		u64 *count = bpf_map_lookup_elem(&drops, &zero);

		if (count)
			*count += 1; /* per-CPU value: no other writer */
		return NULL;
	}
	pid_tgid = bpf_get_current_pid_tgid();
	record->timestamp_ns = bpf_ktime_get_ns();
	record->type = type;
	record->cpu = bpf_get_smp_processor_id();
	record->pid = (u32)pid_tgid;
	record->tgid = pid_tgid >> 32;
	__builtin_memset(record->raw, 0, sizeof(record->raw));
	return record;
}

/* ------------------------------------------------------------------ KVM tracepoints */

SEC("tracepoint/kvm/kvm_exit")
int tp_kvm_exit(struct trace_event_raw_kvm_exit___vqs *ctx)
{
	struct vqs_probe_record *record;

	if (!current_is_target())
		return LET_EVENT_THROUGH;
	record = record_reserve(VQS_REC_KVM_EXIT);
	if (!record)
		return LET_EVENT_THROUGH;
	record->kvm_exit.reason = ctx->exit_reason;
	record->kvm_exit.isa = ctx->isa;
	record->kvm_exit.vcpu_id = 0xffffffff;
	if (bpf_core_field_exists(ctx->vcpu_id))
		record->kvm_exit.vcpu_id = ctx->vcpu_id;
	record->kvm_exit.error_code = ctx->error_code;
	record->kvm_exit.info1 = ctx->info1;
	record->kvm_exit.info2 = ctx->info2;
	record->kvm_exit.guest_rip = ctx->guest_rip;
	record_submit(record);
	return LET_EVENT_THROUGH;
}

SEC("tracepoint/kvm/kvm_entry")
int tp_kvm_entry(struct trace_event_raw_kvm_entry___vqs *ctx)
{
	struct vqs_probe_record *record;

	if (!current_is_target())
		return LET_EVENT_THROUGH;
	record = record_reserve(VQS_REC_KVM_ENTRY);
	if (!record)
		return LET_EVENT_THROUGH;
	record->kvm_entry.vcpu_id = ctx->vcpu_id;
	record->kvm_entry.rip = ctx->rip;
	record_submit(record);
	return LET_EVENT_THROUGH;
}

SEC("tracepoint/kvm/kvm_userspace_exit")
int tp_kvm_userspace_exit(struct trace_event_raw_kvm_userspace_exit___vqs *ctx)
{
	struct vqs_probe_record *record;

	if (!current_is_target())
		return LET_EVENT_THROUGH;
	record = record_reserve(VQS_REC_KVM_USERSPACE_EXIT);
	if (!record)
		return LET_EVENT_THROUGH;
	record->kvm_userspace_exit.reason = ctx->reason;
	record->kvm_userspace_exit.error = ctx->errno;
	record_submit(record);
	return LET_EVENT_THROUGH;
}

SEC("tracepoint/kvm/kvm_mmio")
int tp_kvm_mmio(struct trace_event_raw_kvm_mmio___vqs *ctx)
{
	struct vqs_probe_record *record;

	if (!current_is_target())
		return LET_EVENT_THROUGH;
	record = record_reserve(VQS_REC_KVM_MMIO);
	if (!record)
		return LET_EVENT_THROUGH;
	record->kvm_mmio.type = ctx->type;
	record->kvm_mmio.len = ctx->len;
	record->kvm_mmio.gpa = ctx->gpa;
	record->kvm_mmio.val = ctx->val;
	record_submit(record);
	return LET_EVENT_THROUGH;
}

SEC("tracepoint/kvm/kvm_page_fault")
int tp_kvm_page_fault(struct trace_event_raw_kvm_page_fault___vqs *ctx)
{
	struct vqs_probe_record *record;

	if (!current_is_target())
		return LET_EVENT_THROUGH;
	record = record_reserve(VQS_REC_KVM_PAGE_FAULT);
	if (!record)
		return LET_EVENT_THROUGH;
	record->kvm_page_fault.vcpu_id = 0xffffffff;
	if (bpf_core_field_exists(ctx->vcpu_id))
		record->kvm_page_fault.vcpu_id = ctx->vcpu_id;
	record->kvm_page_fault.gpa = ctx->fault_address;
	record->kvm_page_fault.error_code = ctx->error_code;
	record_submit(record);
	return LET_EVENT_THROUGH;
}

SEC("tracepoint/kvm/kvm_msi_set_irq")
int tp_kvm_msi_set_irq(struct trace_event_raw_kvm_msi_set_irq___vqs *ctx)
{
	struct vqs_probe_record *record;

	if (!current_is_target() && !injecting_for_target())
		return LET_EVENT_THROUGH;
	record = record_reserve(VQS_REC_KVM_MSI_SET_IRQ);
	if (!record)
		return LET_EVENT_THROUGH;
	record->kvm_msi_set_irq.address = ctx->address;
	record->kvm_msi_set_irq.data = ctx->data;
	record_submit(record);
	return LET_EVENT_THROUGH;
}

SEC("tracepoint/kvm/kvm_set_irq")
int tp_kvm_set_irq(struct trace_event_raw_kvm_set_irq___vqs *ctx)
{
	struct vqs_probe_record *record;

	if (!current_is_target() && !injecting_for_target())
		return LET_EVENT_THROUGH;
	record = record_reserve(VQS_REC_KVM_SET_IRQ);
	if (!record)
		return LET_EVENT_THROUGH;
	record->kvm_set_irq.gsi = ctx->gsi;
	record->kvm_set_irq.level = ctx->level;
	record->kvm_set_irq.irq_source_id = ctx->irq_source_id;
	record_submit(record);
	return LET_EVENT_THROUGH;
}

SEC("tracepoint/kvm/kvm_apic_accept_irq")
int tp_kvm_apic_accept_irq(struct trace_event_raw_kvm_apic_accept_irq___vqs *ctx)
{
	struct vqs_probe_record *record;

	if (!current_is_target() && !injecting_for_target())
		return LET_EVENT_THROUGH;
	record = record_reserve(VQS_REC_KVM_APIC_ACCEPT_IRQ);
	if (!record)
		return LET_EVENT_THROUGH;
	record->kvm_apic_accept_irq.apicid = ctx->apicid;
	record->kvm_apic_accept_irq.delivery_mode = ctx->dm;
	record->kvm_apic_accept_irq.trigger_mode = ctx->tm;
	record->kvm_apic_accept_irq.vector = ctx->vec;
	record_submit(record);
	return LET_EVENT_THROUGH;
}

SEC("tracepoint/kvm/kvm_inj_virq")
int tp_kvm_inj_virq(struct trace_event_raw_kvm_inj_virq___vqs *ctx)
{
	struct vqs_probe_record *record;

	if (!current_is_target())
		return LET_EVENT_THROUGH;
	record = record_reserve(VQS_REC_KVM_INJ_VIRQ);
	if (!record)
		return LET_EVENT_THROUGH;
	record->kvm_inj_virq.vector = ctx->vector;
	if (bpf_core_field_exists(ctx->soft))
		record->kvm_inj_virq.soft = ctx->soft;
	if (bpf_core_field_exists(ctx->reinjected))
		record->kvm_inj_virq.reinjected = ctx->reinjected;
	record_submit(record);
	return LET_EVENT_THROUGH;
}

/* ------------------------------------------------------------------ KVM functions (fentry / kprobe) */

/* ioeventfd_write(struct kvm_vcpu *vcpu, struct kvm_io_device *this, gpa_t addr, int len, const void *val) */
static __always_inline int on_ioeventfd_write(void *device, u64 gpa, int len)
{
	struct vqs_probe_record *record;

	if (!current_is_target())
		return 0;
	record = record_reserve(VQS_REC_IOEVENTFD_WRITE);
	if (!record)
		return 0;
	record->ioeventfd_write.gpa = gpa;
	record->ioeventfd_write.len = len;
	record->ioeventfd_write.device = (u64)device;
	record_submit(record);
	return 0;
}

/* irqfd_wakeup(wait_queue_entry_t *wait, unsigned mode, int sync, void *key) */
static __always_inline int on_irqfd_wakeup(void *wait, u64 key)
{
	struct kvm_kernel_irqfd___vqs *irqfd;
	struct vqs_probe_record *record;
	u64 irqfd_address;
	u8 seen = 1;

	if (!current_is_target())
		return 0;
	irqfd_address = (u64)wait - bpf_core_field_offset(struct kvm_kernel_irqfd___vqs, wait);
	irqfd = (void *)irqfd_address;
	bpf_map_update_elem(&target_irqfds, &irqfd_address, &seen, BPF_ANY);
	record = record_reserve(VQS_REC_IRQFD_WAKEUP);
	if (!record)
		return 0;
	record->irqfd.irqfd = irqfd_address;
	record->irqfd.gsi = BPF_CORE_READ(irqfd, gsi);
	record->irqfd.flags = (u32)key;
	record_submit(record);
	return 0;
}

/* irqfd_inject(struct work_struct *work): entry */
static __always_inline int on_irqfd_inject(void *work)
{
	struct kvm_kernel_irqfd___vqs *irqfd;
	struct vqs_probe_record *record;
	struct inject_marker *marker;
	u64 irqfd_address;
	u32 zero = 0;

	irqfd_address = (u64)work - bpf_core_field_offset(struct kvm_kernel_irqfd___vqs, inject);
	if (!bpf_map_lookup_elem(&target_irqfds, &irqfd_address))
		return 0;
	marker = bpf_map_lookup_elem(&injecting, &zero);
	if (marker)
		marker->pid = (u32)bpf_get_current_pid_tgid();
	irqfd = (void *)irqfd_address;
	record = record_reserve(VQS_REC_IRQFD_INJECT);
	if (!record)
		return 0;
	record->irqfd.irqfd = irqfd_address;
	record->irqfd.gsi = BPF_CORE_READ(irqfd, gsi);
	record_submit(record);
	return 0;
}

/* irqfd_inject: return; ends the window in which kworker injections count as the target's. */
static __always_inline int on_irqfd_inject_return(void)
{
	struct inject_marker *marker;
	u32 zero = 0;

	marker = bpf_map_lookup_elem(&injecting, &zero);
	if (marker)
		marker->pid = 0;
	return 0;
}

SEC("fentry/ioeventfd_write")
int BPF_PROG(fentry_ioeventfd_write, void *vcpu, void *device, u64 gpa, int len)
{
	return on_ioeventfd_write(device, gpa, len);
}

SEC("kprobe/ioeventfd_write")
int BPF_KPROBE(kprobe_ioeventfd_write, void *vcpu, void *device, u64 gpa, int len)
{
	on_ioeventfd_write(device, gpa, len);
	return LET_EVENT_THROUGH;
}

SEC("fentry/irqfd_wakeup")
int BPF_PROG(fentry_irqfd_wakeup, void *wait, unsigned int mode, int sync, void *key)
{
	return on_irqfd_wakeup(wait, (u64)key);
}

SEC("kprobe/irqfd_wakeup")
int BPF_KPROBE(kprobe_irqfd_wakeup, void *wait, unsigned int mode, int sync, void *key)
{
	on_irqfd_wakeup(wait, (u64)key);
	return LET_EVENT_THROUGH;
}

SEC("fentry/irqfd_inject")
int BPF_PROG(fentry_irqfd_inject, void *work)
{
	return on_irqfd_inject(work);
}

SEC("fexit/irqfd_inject")
int BPF_PROG(fexit_irqfd_inject, void *work)
{
	return on_irqfd_inject_return();
}

SEC("kprobe/irqfd_inject")
int BPF_KPROBE(kprobe_irqfd_inject, void *work)
{
	on_irqfd_inject(work);
	return LET_EVENT_THROUGH;
}

SEC("kretprobe/irqfd_inject")
int BPF_KRETPROBE(kretprobe_irqfd_inject)
{
	on_irqfd_inject_return();
	return LET_EVENT_THROUGH;
}

/* ------------------------------------------------------------------ scheduler (raw tracepoints) */

/* x86 kept the task's CPU in task_struct.cpu from 5.16 to 6.1 at least, in thread_info.cpu before and
 * again later (6.18 has it there). */
struct task_struct___cpu {
	unsigned int cpu;
} __attribute__((preserve_access_index));

/* Per CPU: the scheduler events not yet sent (struct vqs_sched_batch, vqscope_probe.h). The recorder
 * reads what is left in them when it pauses or stops the probes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct vqs_sched_batch);
} sched_batches SEC(".maps");

/* Sends BATCH's first COUNT entries in one ring buffer record; a full ring buffer drops them all. */
static __always_inline void sched_flush(struct vqs_sched_batch *batch, u32 count)
{
	u32 zero = 0;
	u64 *since = bpf_map_lookup_elem(&since_wakeup, &zero);
	u64 flags = BPF_RB_NO_WAKEUP, size;

	if (since) {
		*since += count; /* per-CPU value: no other writer */
		if (*since >= wakeup_records) {
			*since = 0;
			flags = BPF_RB_FORCE_WAKEUP;
		}
	}
	batch->type = VQS_RING_SCHED_BATCH;
	batch->cpu = bpf_get_smp_processor_id();
	batch->count = count;
	size = VQS_SCHED_BATCH_HEADER_SIZE + (u64)count * VQS_SCHED_ENTRY_SIZE;
	/* the caller's count is <= VQS_SCHED_BATCH; hidden from the compiler, so that the check stays for
	 * the verifier, which lost the bound of a size the compiler built with shifts and ors */
	asm volatile("" : "+r"(size));
	if (size > sizeof(*batch))
		return;
	if (bpf_ringbuf_output(&events, batch, size, flags)) {
		u64 *drops_here = bpf_map_lookup_elem(&drops, &zero);

		if (drops_here)
			*drops_here += count;
	}
	batch->count = 0;
}

/* One scheduler event into this CPU's batch, once the filter passed; sent when the batch is full, its
 * first entry is VQS_SCHED_BATCH_AGE_NS old, or SEND_NOW (the CPU goes idle: nothing would send it). */
static __always_inline void sched_add(u32 type, u32 pid, u32 tgid, u32 other_pid, u32 other_tgid, u32 value,
				      u64 prev_runtime, u64 next_runtime, bool send_now)
{
	u32 zero = 0, count;
	struct vqs_sched_batch *batch = bpf_map_lookup_elem(&sched_batches, &zero);
	u64 tick = bpf_jiffies64(), now;

	if (!batch)
		return;
	/* The clock once per tick and CPU: reading it costs more than the rest of the program (~85 ns per
	 * call measured on this project's host, 2026-12-03), so scheduler records carry the time of the
	 * first scheduler event of the current jiffy on this CPU (up to 1/HZ early); the CPU time of a
	 * stretch comes exact from the kernel's own accounting (sum_exec_runtime). */
	if (tick != batch->tick) {
		batch->tick = tick;
		batch->tick_ns = bpf_ktime_get_ns();
	}
	now = batch->tick_ns;
	count = batch->count;
	if (count >= VQS_SCHED_BATCH) /* cannot happen: sent when full */
		count = 0;
	batch->entries[count] = (struct vqs_sched_entry){
		.timestamp_ns = now, .type = type, .pid = pid, .tgid = tgid, .other_pid = other_pid,
		.other_tgid = other_tgid, .value = value, .prev_runtime_ns = prev_runtime, .next_runtime_ns = next_runtime,
	};
	batch->count = ++count;
	if (send_now || count == VQS_SCHED_BATCH || now - batch->entries[0].timestamp_ns >= VQS_SCHED_BATCH_AGE_NS)
		sched_flush(batch, count);
}

static __always_inline void submit_wakeup(u32 woken_pid, u32 woken_tgid, u32 target_cpu)
{
	u64 waker = bpf_get_current_pid_tgid();

	sched_add(VQS_REC_SCHED_WAKEUP, (u32)waker, waker >> 32, woken_pid, woken_tgid, target_cpu, 0, 0, false);
}

/* At sched_switch the current task is still PREV: the record's pid/tgid are prev's. The kernel has
 * brought prev's CPU time up to date before the tracepoint (put_prev_task / dequeue_task). */
static __always_inline void submit_switch(u32 prev_pid, u32 prev_tgid, u32 next_pid, u32 next_tgid, u32 prev_state,
					  u64 prev_runtime, u64 next_runtime)
{
	sched_add(VQS_REC_SCHED_SWITCH, prev_pid, prev_tgid, next_pid, next_tgid, prev_state, prev_runtime,
		  next_runtime, next_pid == 0);
}

/*
 * Each event twice: tp_btf, with BTF-typed arguments read by plain loads, and raw_tp, reading each field
 * with a bpf_probe_read_kernel() call (BPF_CORE_READ). Most scheduler events are not the target's: the
 * filter is what every run pays. The loader attaches the tp_btf one when the kernel takes it, else the
 * raw_tp one. Fields beyond the tgids are read only once the filter passed.
 */

/* sched_wakeup(struct task_struct *p); runs in the waker's context. */
SEC("tp_btf/sched_wakeup")
int BPF_PROG(btf_sched_wakeup, struct task_struct *task)
{
	u32 woken_tgid = task->tgid;

	if (woken_tgid != target_tgid)
		return 0;
	submit_wakeup(task->pid, woken_tgid,
		      bpf_core_field_exists(task->thread_info.cpu) ? task->thread_info.cpu
								 : ((struct task_struct___cpu *)task)->cpu);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(raw_sched_wakeup, struct task_struct *task)
{
	u32 woken_tgid = BPF_CORE_READ(task, tgid);

	if (woken_tgid != target_tgid)
		return 0;
	submit_wakeup(BPF_CORE_READ(task, pid), woken_tgid,
		      bpf_core_field_exists(task->thread_info.cpu) ? BPF_CORE_READ(task, thread_info.cpu)
		      : BPF_CORE_READ((struct task_struct___cpu *)task, cpu));
	return 0;
}

/* sched_switch(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state):
 * prev_state is an argument since 5.18 (both kernels we run on). */
SEC("tp_btf/sched_switch")
int BPF_PROG(btf_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	u32 prev_tgid = prev->tgid, next_tgid = next->tgid;

	if (prev_tgid != target_tgid && next_tgid != target_tgid)
		return 0;
	submit_switch(prev->pid, prev_tgid, next->pid, next_tgid, prev_state, prev->se.sum_exec_runtime,
		      next->se.sum_exec_runtime);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(raw_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	u32 prev_tgid = BPF_CORE_READ(prev, tgid), next_tgid = BPF_CORE_READ(next, tgid);

	if (prev_tgid != target_tgid && next_tgid != target_tgid)
		return 0;
	submit_switch(BPF_CORE_READ(prev, pid), prev_tgid, BPF_CORE_READ(next, pid), next_tgid, prev_state,
		      BPF_CORE_READ(prev, se.sum_exec_runtime), BPF_CORE_READ(next, se.sum_exec_runtime));
	return 0;
}

/* ------------------------------------------------------------------ the floor (--floor) */

/* Programs that do nothing, on the attach points of our events, for the overhead benchmark: what the
 * kernel charges for running any program there (its dispatch, and bpf_stats' own clock reads), against
 * which our programs' run time is judged. Loaded and attached only with --floor. */
#define FLOOR_TRACEPOINT(event_name)                                                                     \
	SEC("tracepoint/kvm/" #event_name)                                                               \
	int floor_tp_##event_name(void *ctx)                                                             \
	{                                                                                                \
		return LET_EVENT_THROUGH;                                                                \
	}
FLOOR_TRACEPOINT(kvm_exit)
FLOOR_TRACEPOINT(kvm_entry)
FLOOR_TRACEPOINT(kvm_userspace_exit)
FLOOR_TRACEPOINT(kvm_mmio)
FLOOR_TRACEPOINT(kvm_page_fault)
FLOOR_TRACEPOINT(kvm_msi_set_irq)
FLOOR_TRACEPOINT(kvm_set_irq)
FLOOR_TRACEPOINT(kvm_apic_accept_irq)
FLOOR_TRACEPOINT(kvm_inj_virq)

SEC("raw_tp/sched_wakeup")
int floor_raw_sched_wakeup(void *ctx)
{
	return 0;
}

SEC("raw_tp/sched_switch")
int floor_raw_sched_switch(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(floor_btf_sched_wakeup, struct task_struct *task)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(floor_btf_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	return 0;
}
