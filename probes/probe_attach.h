/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * vqscope-probe's events and how they are attached: each event's programs (classic tracepoint; tp_btf
 * else raw_tp; fentry(+fexit) else kprobe(+kretprobe)), the checks of what this kernel has, the
 * programs to load, dropping one the kernel refused, attaching with fallbacks, --floor's do-nothing
 * programs, and the JSON attach report (probes/README.md).
 */
#ifndef VQSCOPE_PROBE_ATTACH_H
#define VQSCOPE_PROBE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include "vqscope_probe.h"

enum attach_kind {
	KIND_TRACEPOINT, /* classic tracepoint; category/name checked in tracefs first */
	KIND_RAW_TP,     /* scheduler events: tp_btf (BTF-typed arguments), else raw_tp (always present) */
	KIND_FUNCTION,   /* a kernel function: fentry(+fexit), else kprobe(+kretprobe) */
};

struct event {
	const char *name;
	u32 type;
	enum attach_kind kind;
	const char *group;          /* for --events: kvm, eventfd, sched */
	const char *tracepoint;     /* KIND_TRACEPOINT: "kvm/kvm_exit" */
	const char *program;        /* KIND_TRACEPOINT, KIND_RAW_TP (its raw_tp program) */
	const char *btf;            /* KIND_RAW_TP: its tp_btf program, tried first */
	const char *fentry, *fexit; /* KIND_FUNCTION; fexit optional */
	const char *kprobe, *kretprobe;
	/* state */
	bool wanted;
	bool fentry_ok, kprobe_ok;  /* still candidates (cleared when the kernel refuses them) */
	bool btf_ok;
	bool unavailable;           /* cannot be recorded at all; why in error */
	bool attached;
	const char *method;         /* attach point used: tracepoint, tp_btf, raw_tp, fentry, kprobe */
	char error[512];
	struct bpf_link *links[2];
};

/* --events LIST: marks the events named (names, groups or "all"); false on an unknown one (said). */
bool probe_select_events(const char *list);
/* Mounts tracefs when it is not (tracepoint ids and our checks come from it). */
void probe_ensure_tracefs(void);
/* Before the first load: drops what this kernel clearly lacks (tracefs, kallsyms). */
void probe_check_events_present(void);
/* Every program off, then on for the events and attach methods still candidates (FLOOR: and theirs). */
void probe_apply_autoload(struct bpf_object *obj, bool floor);
/* The kernel refused program NAME at load (WHY): drops that program's event or attach method; false
 * when it is none of ours. */
bool probe_disable_refused_program(const char *name, const char *why);
/* Attaches every wanted event (and with FLOOR its do-nothing program), says each on stderr; returns how
 * many attached, their record types added to ATTACHED_MASK. */
size_t probe_attach_all(struct bpf_object *obj, bool floor, u64 *attached_mask);
/* Detaches everything attached. The events stay marked attached, with the method they used. */
void probe_detach_all(void);
/* Attaches again, each by the method it used before, the events probe_detach_all() detached (not the
 * floor): the recorder's run-time switch (SIGUSR2). Returns how many attached; each failure said. */
size_t probe_reattach(struct bpf_object *obj);
/* The JSON attach report: per wanted event attached, attach_point, error. */
int probe_write_report(const char *path, unsigned int tgid, const char *release);

#endif
