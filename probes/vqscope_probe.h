/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * vqscope host probe stream: the contract between probes/ (writer) and analysis/ (reader).
 *
 * Included by the BPF program (vqscope.bpf.c, which sees the kernel's u32/u64 from vmlinux.h) and by
 * user-space C (which sees <stdint.h>). Fixed-width types only, no pointers, no bool, explicit padding,
 * every struct size checked below. All integers are little endian (x86-64 writes them natively; a reader
 * on another architecture must convert).
 *
 * File layout:
 *   struct vqs_probe_header            (header_size bytes; readers skip bytes past the fields they know)
 *   struct vqs_probe_record * N        (record_size bytes each, no gaps, no trailer)
 * A complete stream ends with exactly one VQS_REC_END record. A stream without it was cut short (the
 * recorder was killed, the disk filled up): everything before the cut is valid, whole records only.
 *
 * Versioning: VQS_PROBE_VERSION changes when the meaning of an existing field changes or a field moves.
 * Adding a record type or using a reserved field does not change it; readers skip record types they do
 * not know (record_size tells them how far).
 */
#ifndef VQSCOPE_PROBE_H
#define VQSCOPE_PROBE_H

#ifndef __VMLINUX_H__
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
#endif

#define VQS_PROBE_MAGIC "VQSPROBE" /* 8 bytes, no terminating NUL in the file */
#define VQS_PROBE_MAGIC_LEN 8
#define VQS_PROBE_VERSION 1
#define VQS_PROBE_CLOCK_MONOTONIC 1 /* clockid_t CLOCK_MONOTONIC; bpf_ktime_get_ns() reads it */
#define VQS_PROBE_RELEASE_LEN 64

struct vqs_probe_header {
	char magic[VQS_PROBE_MAGIC_LEN]; /* "VQSPROBE" */
	u32 version;                     /* VQS_PROBE_VERSION */
	u32 header_size;                 /* sizeof(struct vqs_probe_header) of the writer; >= 120 */
	u32 clock_id;                    /* clock of every timestamp_ns: VQS_PROBE_CLOCK_MONOTONIC */
	u32 record_size;                 /* sizeof(struct vqs_probe_record) of the writer: 64 */
	u64 start_monotonic_ns;          /* CLOCK_MONOTONIC when the probes were attached */
	u64 start_realtime_ns;           /* CLOCK_REALTIME at the same moment (wall clock, for humans) */
	u32 target_tgid;                 /* the QEMU process the kernel side filters on */
	u32 nr_cpus;                     /* possible CPUs of the recording kernel (VQS_REC_DROPS.cpu < this) */
	u64 attached_mask;               /* bit (1 << type) set when that event type was attached: an event
	                                    whose bit is clear was not recorded at all, so "no records" then
	                                    means "not measured", not "did not happen" */
	char kernel_release[VQS_PROBE_RELEASE_LEN]; /* uname -r, NUL-padded, free-form text */
};

/* Record types (vqs_probe_record.type). Values are stable: never renumber, only add. */
enum vqs_probe_type {
	VQS_REC_KVM_EXIT = 1,            /* tracepoint kvm:kvm_exit (vCPU thread) */
	VQS_REC_KVM_ENTRY = 2,           /* tracepoint kvm:kvm_entry (vCPU thread) */
	VQS_REC_KVM_USERSPACE_EXIT = 3,  /* tracepoint kvm:kvm_userspace_exit (vCPU thread, KVM_RUN returns) */
	VQS_REC_KVM_MMIO = 4,            /* tracepoint kvm:kvm_mmio */
	VQS_REC_KVM_PAGE_FAULT = 5,      /* tracepoint kvm:kvm_page_fault (on SVM: every NPF, MMIO ones too) */
	VQS_REC_KVM_MSI_SET_IRQ = 6,     /* tracepoint kvm:kvm_msi_set_irq */
	VQS_REC_KVM_SET_IRQ = 7,         /* tracepoint kvm:kvm_set_irq */
	VQS_REC_KVM_APIC_ACCEPT_IRQ = 8, /* tracepoint kvm:kvm_apic_accept_irq */
	VQS_REC_KVM_INJ_VIRQ = 9,        /* tracepoint kvm:kvm_inj_virq (vCPU thread, before entry) */
	VQS_REC_IOEVENTFD_WRITE = 10,    /* fentry/kprobe ioeventfd_write: KVM matched a guest write */
	VQS_REC_IRQFD_WAKEUP = 11,       /* fentry/kprobe irqfd_wakeup: someone signalled an irqfd */
	VQS_REC_IRQFD_INJECT = 12,       /* fentry/kprobe irqfd_inject: the slow path (a kworker) */
	VQS_REC_SCHED_WAKEUP = 13,       /* raw tracepoint sched_wakeup, woken task in target_tgid */
	VQS_REC_SCHED_SWITCH = 14,       /* raw tracepoint sched_switch, prev or next in target_tgid */
	VQS_REC_NR_EVENTS = 15,          /* first value that is not a kernel event */
	VQS_REC_DROPS = 62,              /* written by the recorder: ring buffer reservations that failed */
	VQS_REC_END = 63,                /* written by the recorder: last record of a complete stream */
};

/* kvm_userspace_exit.reason values of interest: KVM_EXIT_IO 2, KVM_EXIT_MMIO 6 (see linux/kvm.h). */
/* kvm_mmio.type: 0 KVM_TRACE_MMIO_READ_UNSATISFIED, 1 READ, 2 WRITE. */
/* irqfd_wakeup.flags: the poll key (EPOLLIN 0x1 = signal, EPOLLHUP 0x10 = eventfd closed). */

struct vqs_probe_record {
	u64 timestamp_ns; /* clock_id of the header; for DROPS/END: when the recorder wrote it */
	u32 type;         /* enum vqs_probe_type */
	u32 cpu;          /* CPU the event ran on; DROPS: the CPU whose drops are counted; END: 0 */
	u32 pid;          /* kernel pid = thread id of the current task (0 for DROPS/END) */
	u32 tgid;         /* its thread group id (= target_tgid, except sched_* and irqfd_inject, see there) */
	union {           /* 40 bytes; unused bytes are zero */
		struct {
			u32 reason;    /* exit_reason (SVM: 0x400 NPF, 0x7b IOIO...; VMX: 48 EPT_VIOLATION...) */
			u32 isa;       /* 1 = VMX, 2 = SVM (KVM_ISA_*) */
			u32 vcpu_id;   /* 0xffffffff when the running kernel's tracepoint lacks it */
			u32 error_code;
			u64 info1;     /* SVM: exit_info_1 (NPF: error code); VMX: exit qualification */
			u64 info2;     /* SVM: exit_info_2 (NPF: the guest physical address); VMX: see KVM */
			u64 guest_rip;
		} kvm_exit;
		struct {
			u32 vcpu_id;
			u32 pad;
			u64 rip;
		} kvm_entry;
		struct {
			u32 reason; /* KVM_EXIT_* */
			s32 error;  /* errno of KVM_RUN, 0 on a normal exit */
		} kvm_userspace_exit;
		struct {
			u32 type; /* KVM_TRACE_MMIO_* */
			u32 len;
			u64 gpa;
			u64 val;
		} kvm_mmio;
		struct {
			u32 vcpu_id; /* 0xffffffff when the running kernel's tracepoint lacks it */
			u32 pad;
			u64 gpa;        /* fault_address */
			u64 error_code; /* SVM NPF: exit_info_1 (PFERR_* bits) */
		} kvm_page_fault;
		struct {
			u64 address;
			u64 data; /* the MSI data word: vector in the low 8 bits */
		} kvm_msi_set_irq;
		struct {
			u32 gsi;
			s32 level;
			s32 irq_source_id;
		} kvm_set_irq;
		struct {
			u32 apicid;
			u16 delivery_mode;
			u16 trigger_mode;
			u32 vector;
		} kvm_apic_accept_irq;
		struct {
			u32 vector;
			u8 soft;
			u8 reinjected; /* 0 when the running kernel's tracepoint lacks it */
			u8 pad[2];
		} kvm_inj_virq;
		struct {
			u64 gpa;    /* the address the guest wrote (the notify register) */
			u32 len;    /* bytes written */
			u32 pad;
			u64 device; /* kernel address of the ioeventfd's kvm_io_device: same value = same ioeventfd */
		} ioeventfd_write;
		struct {
			u64 irqfd;  /* kernel address of the struct kvm_kernel_irqfd: same value = same irqfd */
			u32 gsi;
			u32 flags;  /* irqfd_wakeup: the poll key (EPOLLIN/EPOLLHUP); irqfd_inject: 0 */
		} irqfd; /* IRQFD_WAKEUP and IRQFD_INJECT. irqfd_inject runs in a kworker: pid/tgid are the
		            kworker's; it is recorded when its irqfd was seen in irqfd_wakeup from target_tgid */
		struct {
			u32 woken_pid;   /* thread woken (in target_tgid) */
			u32 woken_tgid;
			u32 target_cpu;  /* CPU it will run on */
			u32 pad;
		} sched_wakeup; /* pid/tgid of the record: the waker (any process) */
		struct {
			u32 prev_pid;
			u32 prev_tgid;
			u32 next_pid;
			u32 next_tgid;
			u64 prev_state;  /* the task state of prev (0 = runnable, preempted; 1 = S; 2 = D ...) */
			u64 prev_runtime_ns; /* prev's CPU time since it started, as the kernel accounts it
			                        (se.sum_exec_runtime), including the stretch that ends here */
			u64 next_runtime_ns; /* next's, before the stretch that starts here; 0 and 0: not
			                        recorded (a stream from before 2026-12-03), or the idle task */
		} sched_switch;
		struct {
			u64 drops_total;      /* cumulative: failed reservations on this CPU since attach */
			u64 drops_since_last; /* increase since the previous DROPS record of this CPU */
		} drops; /* one per CPU, every second and at the end; a DROPS record per CPU is written at the
		            end even when 0, so a complete stream always says how much it lost */
		struct {
			u64 records;     /* records written before this one (DROPS included) */
			u64 drops_total; /* sum over CPUs */
			u32 stop_reason; /* enum vqs_probe_stop_reason */
			u32 pad;
		} end;
		u8 raw[40];
	};
};

enum vqs_probe_stop_reason {
	VQS_STOP_SIGNAL = 1,        /* SIGINT / SIGTERM */
	VQS_STOP_TARGET_EXITED = 2, /* the target process went away */
	VQS_STOP_DURATION = 3,      /* --duration elapsed */
	VQS_STOP_ERROR = 4,         /* the recorder hit an error (ring buffer poll); stream still closed */
};

/*
 * Ring buffer only, never in the file: the scheduler's events travel from the BPF side to the recorder
 * in per-CPU batches (one ring buffer reservation per batch instead of per event, the entry sized to
 * what the two events carry); the recorder writes each entry out as an ordinary 64-byte record of the
 * file (SCHED_SWITCH / SCHED_WAKEUP), so the file format does not change. A batch is sent when it is full,
 * when its first entry is VQS_SCHED_BATCH_AGE_NS old, when its CPU goes idle, and the recorder takes what
 * is left in each CPU's batch when it pauses or stops the probes. A batch that finds the ring buffer full
 * counts each of its entries as a drop.
 */
#define VQS_SCHED_BATCH 32
#define VQS_SCHED_BATCH_AGE_NS 20000000ull
#define VQS_RING_SCHED_BATCH 0x5b /* vqs_sched_batch.type: not a record type of the file */

struct vqs_sched_entry {
	u64 timestamp_ns;
	u32 type;     /* VQS_REC_SCHED_SWITCH or VQS_REC_SCHED_WAKEUP */
	u32 pid;      /* the record's pid/tgid: switch: prev (the current task); wakeup: the waker */
	u32 tgid;
	u32 other_pid;  /* switch: next; wakeup: the woken task */
	u32 other_tgid;
	u32 value;    /* switch: prev_state; wakeup: target_cpu */
	u64 prev_runtime_ns; /* switch only */
	u64 next_runtime_ns;
};

struct vqs_sched_batch {
	u64 zero;     /* where a record has its timestamp: 0 */
	u32 type;     /* VQS_RING_SCHED_BATCH, where a record has its type */
	u32 cpu;
	u32 count;    /* entries used */
	u32 pad;
	u64 tick;     /* BPF side only: the jiffy of tick_ns */
	u64 tick_ns;  /* BPF side only: CLOCK_MONOTONIC at the first scheduler event of that jiffy here */
	struct vqs_sched_entry entries[VQS_SCHED_BATCH];
};

#define VQS_SCHED_ENTRY_SIZE 48
#define VQS_SCHED_BATCH_HEADER_SIZE 40

#define VQS_PROBE_HEADER_SIZE 120
#define VQS_PROBE_RECORD_SIZE 64

_Static_assert(sizeof(struct vqs_probe_header) == VQS_PROBE_HEADER_SIZE, "header layout");
_Static_assert(sizeof(struct vqs_probe_record) == VQS_PROBE_RECORD_SIZE, "record layout");
_Static_assert(sizeof(struct vqs_sched_entry) == VQS_SCHED_ENTRY_SIZE, "sched entry layout");
_Static_assert(sizeof(struct vqs_sched_batch) == VQS_SCHED_BATCH_HEADER_SIZE + VQS_SCHED_BATCH * VQS_SCHED_ENTRY_SIZE,
	       "sched batch layout");

#if !defined(__bpf__)
/* The record type's name as the tools print it ("kvm_exit"), or NULL for a type this version does not
 * know. One table for every reader (vqscope-probe-dump, the analyzer). */
static inline const char *vqs_rec_type_name(uint32_t type)
{
	static const char *const names[VQS_REC_END + 1] = {
		[VQS_REC_KVM_EXIT] = "kvm_exit",
		[VQS_REC_KVM_ENTRY] = "kvm_entry",
		[VQS_REC_KVM_USERSPACE_EXIT] = "kvm_userspace_exit",
		[VQS_REC_KVM_MMIO] = "kvm_mmio",
		[VQS_REC_KVM_PAGE_FAULT] = "kvm_page_fault",
		[VQS_REC_KVM_MSI_SET_IRQ] = "kvm_msi_set_irq",
		[VQS_REC_KVM_SET_IRQ] = "kvm_set_irq",
		[VQS_REC_KVM_APIC_ACCEPT_IRQ] = "kvm_apic_accept_irq",
		[VQS_REC_KVM_INJ_VIRQ] = "kvm_inj_virq",
		[VQS_REC_IOEVENTFD_WRITE] = "ioeventfd_write",
		[VQS_REC_IRQFD_WAKEUP] = "irqfd_wakeup",
		[VQS_REC_IRQFD_INJECT] = "irqfd_inject",
		[VQS_REC_SCHED_WAKEUP] = "sched_wakeup",
		[VQS_REC_SCHED_SWITCH] = "sched_switch",
		[VQS_REC_DROPS] = "drops",
		[VQS_REC_END] = "end",
	};

	return type <= VQS_REC_END ? names[type] : NULL;
}
#endif

#endif /* VQSCOPE_PROBE_H */
