/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cost side of a session: what the host spent to serve its requests, from the probe stream alone
 * (probes/FORMAT.md), over the workload window (first submit .. last completion, host clock):
 *  - the vCPU's time in the notify exit of each notified kick (kvm_exit -> kvm_entry of the exit its
 *    doorbell write caused: with ioeventfd on KVM signals an eventfd and re-enters, with it off QEMU's
 *    vCPU thread serves the write, the queue handler included, before it re-enters);
 *  - VM exits, and those that went on to user space (a kvm_userspace_exit before the next kvm_entry),
 *    with their vCPU time;
 *  - on-CPU time of QEMU's threads (sched_switch) and their wakeups (sched_wakeup), by thread class.
 *
 * Thread classes. The probe stream carries no thread names (sched records have ids only, and QEMU's
 * simpletrace records the process id, not the thread's), so the classes come from what each thread did:
 * a vCPU thread ran kvm_exit; the main loop is the thread whose id is the process id; an IOThread raised
 * the device's interrupts (the injections that answer its notifies) and is neither; every other QEMU
 * thread (thread-pool workers, RCU, the trace writer) is "other". Without KVM events (TCG) vCPU threads
 * and IOThreads cannot be told apart from the rest: they count as other (classes_by_kvm false).
 */
#ifndef VQSCOPE_ANALYSIS_COST_H
#define VQSCOPE_ANALYSIS_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    VQ_THREAD_VCPU,
    VQ_THREAD_MAIN_LOOP,
    VQ_THREAD_IOTHREAD,
    VQ_THREAD_OTHER,
    VQ_THREAD_CLASS_COUNT,
} vq_thread_class;

/* "vcpu", "main_loop", "iothread", "other": the JSON keys */
extern const char *const vq_thread_class_names[VQ_THREAD_CLASS_COUNT];

/* One block of one disk of an A/B session (session.h): the cost's sums over that block's window alone,
 * for intervals that resample blocks (report_cost.c). */
typedef struct {
    uint32_t seq;
    size_t requests;          /* rows submitted in the block */
    int64_t notify_exit_total_ns;
    uint64_t exits, userspace_exits;
    int64_t exit_ns, userspace_exit_ns;
    int64_t cpu_ns[VQ_THREAD_CLASS_COUNT];
    uint64_t wakeups[VQ_THREAD_CLASS_COUNT];
} vq_cost_block;

typedef struct {
    bool measured;            /* a probe stream and a workload window (a usable clock offset) */
    bool has_exits;           /* kvm_exit recorded (KVM modes) */
    bool has_userspace;       /* kvm_userspace_exit recorded */
    bool has_switches;        /* sched_switch recorded: cpu_ns */
    bool has_wakeups;         /* sched_wakeup recorded: wakeups */
    bool classes_by_kvm;      /* vCPUs and IOThreads told apart (KVM events present) */
    uint64_t window_ns;
    size_t requests;          /* stitched rows: the "per request" divisor */
    /* One per notify exit that served a row (rows of one kick share it), ns, in time order. */
    int64_t *notify_exits;
    size_t notify_exit_count;
    int64_t notify_exit_total_ns;
    /* VM exits of the QEMU process in the window; those that went on to user space; their vCPU time
     * (kvm_exit -> kvm_entry; an exit without an entry counts, without time). */
    uint64_t exits, userspace_exits;
    int64_t exit_ns, userspace_exit_ns;
    /* Per class: QEMU threads on a CPU or woken in the window, their on-CPU time in it, their wakeups. */
    size_t threads[VQ_THREAD_CLASS_COUNT];
    int64_t cpu_ns[VQ_THREAD_CLASS_COUNT];
    uint64_t wakeups[VQ_THREAD_CLASS_COUNT];
    /* One disk of an A/B session: the same per block, in the order of the session's windows. */
    vq_cost_block *blocks;
    size_t block_count;
} vq_cost;

/* COST with its sums (requests, notify exit time, exits, CPU, wakeups) those of the COUNT blocks at
 * indexes PICKED (repeats allowed): a resample of the blocks. The notify exit durations are left out. */
vq_cost vq_cost_of_blocks(const vq_cost *cost, const size_t *picked, size_t count);

/* The COUNT costs at indexes PICKED of COSTS (repeats allowed) as one: several boots of one setting
 * pooled, or a resample of them. Sums add up, flags hold when they hold in every cost; no notify exit
 * durations, no blocks. */
vq_cost vq_cost_of_sessions(const vq_cost *const *costs, const size_t *picked, size_t count);

/*
 * The per-request figures of a cost (each divided by its requests; NaN when not measured): what the
 * report prints and the compare shifts. Index VQ_THREAD_CLASS_COUNT of cpu_ns and wakeups is all the
 * classes together.
 */
typedef struct {
    double notify_exit_ns;    /* vCPU time in notify exits */
    double exits, userspace_exits;
    double exit_ns, userspace_exit_ns;
    double cpu_ns[VQ_THREAD_CLASS_COUNT + 1];
    double wakeups[VQ_THREAD_CLASS_COUNT + 1];
} vq_cost_per_request;

vq_cost_per_request vq_cost_per_request_of(const vq_cost *cost);
void vq_cost_free(vq_cost *cost);

#endif
