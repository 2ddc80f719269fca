// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Which programs vqscope-probe loads and attaches (probe_attach.h): the events, what this kernel has of
 * them, the fallbacks when it refuses a program (fentry -> kprobe, tp_btf -> raw_tp), the floor, and the
 * attach report.
 */
#define _GNU_SOURCE
#include "probe_attach.h"

#include "probe_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#define PROG_NAME "vqscope-probe"

#define KVM_TRACEPOINT(event_name, record_type)                                                      \
	{ .name = #event_name, .type = record_type, .kind = KIND_TRACEPOINT, .group = "kvm",         \
	  .tracepoint = "kvm/" #event_name, .program = "tp_" #event_name }
#define RAW_TRACEPOINT(event_name, record_type)                                                      \
	{ .name = #event_name, .type = record_type, .kind = KIND_RAW_TP, .group = "sched",            \
	  .program = "raw_" #event_name, .btf = "btf_" #event_name }
#define FUNCTION(event_name, record_type, exit_programs)                                             \
	{ .name = #event_name, .type = record_type, .kind = KIND_FUNCTION, .group = "eventfd",       \
	  .fentry = "fentry_" #event_name, .kprobe = "kprobe_" #event_name,                          \
	  .fexit = (exit_programs) ? "fexit_" #event_name : NULL,                                    \
	  .kretprobe = (exit_programs) ? "kretprobe_" #event_name : NULL }
static struct event events[] = {
	KVM_TRACEPOINT(kvm_exit, VQS_REC_KVM_EXIT),
	KVM_TRACEPOINT(kvm_entry, VQS_REC_KVM_ENTRY),
	KVM_TRACEPOINT(kvm_userspace_exit, VQS_REC_KVM_USERSPACE_EXIT),
	KVM_TRACEPOINT(kvm_mmio, VQS_REC_KVM_MMIO),
	KVM_TRACEPOINT(kvm_page_fault, VQS_REC_KVM_PAGE_FAULT),
	KVM_TRACEPOINT(kvm_msi_set_irq, VQS_REC_KVM_MSI_SET_IRQ),
	KVM_TRACEPOINT(kvm_set_irq, VQS_REC_KVM_SET_IRQ),
	KVM_TRACEPOINT(kvm_apic_accept_irq, VQS_REC_KVM_APIC_ACCEPT_IRQ),
	KVM_TRACEPOINT(kvm_inj_virq, VQS_REC_KVM_INJ_VIRQ),
	FUNCTION(ioeventfd_write, VQS_REC_IOEVENTFD_WRITE, false),
	FUNCTION(irqfd_wakeup, VQS_REC_IRQFD_WAKEUP, false),
	/* irqfd_inject's exit program ends the window in which the kworker's injections are the target's */
	FUNCTION(irqfd_inject, VQS_REC_IRQFD_INJECT, true),
	RAW_TRACEPOINT(sched_wakeup, VQS_REC_SCHED_WAKEUP),
	RAW_TRACEPOINT(sched_switch, VQS_REC_SCHED_SWITCH),
};
#define NR_EVENTS (sizeof(events) / sizeof(events[0]))

bool probe_select_events(const char *list)
{
	char *copy = strdup(list), *token, *save = NULL;
	bool ok = true;

	if (!copy)
		return false;
	for (token = strtok_r(copy, ",", &save); token; token = strtok_r(NULL, ",", &save)) {
		bool matched = false;

		for (size_t i = 0; i < NR_EVENTS; i++) {
			if (!strcmp(token, "all") || !strcmp(token, events[i].name) ||
			    !strcmp(token, events[i].group)) {
				events[i].wanted = true;
				matched = true;
			}
		}
		if (!matched) {
			fprintf(stderr, PROG_NAME ": unknown event '%s' in --events (see --help)\n", token);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

static bool tracepoint_exists(const char *tracepoint)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events" };
	char path[256];
	struct stat st;

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", roots[i], tracepoint);
		if (!stat(path, &st))
			return true;
	}
	return false;
}

/*
 * Tracepoint ids (libbpf's perf-event attach) and our presence checks come from tracefs. A freshly
 * booted host may have it unmounted: mount it where the kernel provides the mount point, and say so.
 */
void probe_ensure_tracefs(void)
{
	struct stat st;

	if (!stat("/sys/kernel/tracing/events", &st) || !stat("/sys/kernel/debug/tracing/events", &st))
		return;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		fprintf(stderr, "vqscope-probe: tracefs was not mounted: mounted it at /sys/kernel/tracing\n");
	else
		fprintf(stderr, "vqscope-probe: tracefs is not mounted and mounting it at /sys/kernel/tracing "
				"failed (%s): tracepoint events will be reported missing\n", strerror(errno));
}

/* /proc/kallsyms: "ffffffffc0a1b2c0 t ioeventfd_write\t[kvm]". */
static bool kernel_function_exists(const char *function)
{
	FILE *kallsyms = fopen("/proc/kallsyms", "r");
	char line[512];
	bool found = false;
	size_t length = strlen(function);

	if (!kallsyms)
		return true; /* cannot tell: let the attach say */
	while (!found && fgets(line, sizeof(line), kallsyms)) {
		char *name = strchr(line, ' ');

		if (name)
			name = strchr(name + 1, ' ');
		if (name && !strncmp(name + 1, function, length) &&
		    (name[1 + length] == '\n' || name[1 + length] == '\t' || name[1 + length] == ' '))
			found = true;
	}
	fclose(kallsyms);
	return found;
}

static void mark_unavailable(struct event *event, const char *fmt, ...)
{
	va_list args;

	event->unavailable = true;
	va_start(args, fmt);
	vsnprintf(event->error, sizeof(event->error), fmt, args);
	va_end(args);
}

/* Before the first load: drop what this kernel clearly lacks. */
void probe_check_events_present(void)
{
	for (size_t i = 0; i < NR_EVENTS; i++) {
		struct event *event = &events[i];

		if (!event->wanted)
			continue;
		event->fentry_ok = event->kprobe_ok = event->kind == KIND_FUNCTION;
		event->btf_ok = event->kind == KIND_RAW_TP && event->btf;
		if (event->kind == KIND_TRACEPOINT && !tracepoint_exists(event->tracepoint))
			mark_unavailable(event, "tracepoint %s not in tracefs (kvm not loaded?)", event->tracepoint);
		if (event->kind == KIND_FUNCTION && !kernel_function_exists(event->name))
			mark_unavailable(event, "function %s not in /proc/kallsyms (kvm not loaded?)", event->name);
	}
}

static void set_autoload(struct bpf_object *obj, const char *program, bool on)
{
	struct bpf_program *prog;

	if (!program)
		return;
	prog = bpf_object__find_program_by_name(obj, program);
	if (prog)
		bpf_program__set_autoload(prog, on);
}

/* --floor: the do-nothing programs of an event: "floor_tp_NAME" of a tracepoint, "floor_raw_NAME" and
 * "floor_btf_NAME" (while tp_btf is a candidate) of a scheduler event, unless the kernel refused them.
 * None for the eventfd functions (fentry and kprobe costs differ in kind from the rest). */
static char floor_refused[NR_EVENTS * 2][64];

static bool floor_is_refused(const char *name)
{
	for (size_t i = 0; i < sizeof(floor_refused) / sizeof(floor_refused[0]); i++)
		if (!strcmp(floor_refused[i], name))
			return true;
	return false;
}

static void set_floor_autoload(struct bpf_object *obj, const struct event *event)
{
	char name[64];

	if (event->kind == KIND_TRACEPOINT) {
		snprintf(name, sizeof(name), "floor_tp_%s", event->name);
		if (!floor_is_refused(name))
			set_autoload(obj, name, true);
		return;
	}
	snprintf(name, sizeof(name), "floor_raw_%s", event->name);
	if (!floor_is_refused(name))
		set_autoload(obj, name, true);
	snprintf(name, sizeof(name), "floor_btf_%s", event->name);
	if (event->btf_ok && !floor_is_refused(name))
		set_autoload(obj, name, true);
}

/* Every program off, then on for the events and attach methods still candidates. */
void probe_apply_autoload(struct bpf_object *obj, bool floor)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	for (size_t i = 0; i < NR_EVENTS; i++) {
		struct event *event = &events[i];

		if (!event->wanted || event->unavailable)
			continue;
		set_autoload(obj, event->program, true);
		if (event->btf_ok)
			set_autoload(obj, event->btf, true);
		if (floor && event->kind != KIND_FUNCTION)
			set_floor_autoload(obj, event);
		if (event->fentry_ok) {
			set_autoload(obj, event->fentry, true);
			set_autoload(obj, event->fexit, true);
		}
		if (event->kprobe_ok) {
			set_autoload(obj, event->kprobe, true);
			set_autoload(obj, event->kretprobe, true);
		}
	}
}

static bool name_is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* The kernel refused program `name` at load: drop that program's event or attach method. */
bool probe_disable_refused_program(const char *name, const char *why)
{
	if (!strncmp(name, "floor_", 6)) {
		for (size_t i = 0; i < sizeof(floor_refused) / sizeof(floor_refused[0]); i++) {
			if (!floor_refused[i][0]) {
				snprintf(floor_refused[i], sizeof(floor_refused[i]), "%.63s", name);
				fprintf(stderr, PROG_NAME ": floor program %s refused: %s\n", name, why);
				return true;
			}
		}
		return false;
	}
	for (size_t i = 0; i < NR_EVENTS; i++) {
		struct event *event = &events[i];

		if (!event->wanted || event->unavailable)
			continue;
		if (event->btf_ok && name_is(name, event->btf)) {
			/* tp_btf is BPF_PROG_TYPE_TRACING: refused where fentry is (no BTF, lockdown) */
			event->btf_ok = false;
			snprintf(event->error, sizeof(event->error), "tp_btf load refused: %s", why);
			return true;
		}
		if (name_is(name, event->program)) {
			mark_unavailable(event, "load refused: %s", why);
			return true;
		}
		if (event->fentry_ok && (name_is(name, event->fentry) || name_is(name, event->fexit))) {
			/* No trampolines on this kernel (EPERM under lockdown, ENOTSUPP without the arch
			 * support): no fentry will load, so do not try them one by one. */
			bool none_will = strstr(why, "not permitted") || strstr(why, "not supported");

			for (size_t j = 0; j < NR_EVENTS; j++) {
				if (j == i || (none_will && events[j].fentry_ok)) {
					events[j].fentry_ok = false;
					snprintf(events[j].error, sizeof(events[j].error), "fentry load refused: %s", why);
				}
			}
			return true;
		}
		if (event->kprobe_ok && (name_is(name, event->kprobe) || name_is(name, event->kretprobe))) {
			event->kprobe_ok = false;
			if (!event->fentry_ok)
				mark_unavailable(event, "%s; kprobe load refused: %s", event->error, why);
			return true;
		}
	}
	return false;
}

static struct bpf_link *attach_program(struct bpf_object *obj, const char *program, char *why, size_t size)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, program);
	struct bpf_link *link;

	libbpf_log_reset();
	if (!prog || bpf_program__fd(prog) < 0) {
		snprintf(why, size, "program %s not loaded", program);
		return NULL;
	}
	link = bpf_program__attach(prog);
	if (!link) {
		int error = errno;
		char detail[256];

		libbpf_log_last_line(detail, sizeof(detail));
		snprintf(why, size, "%s%s%s", strerror(error), detail[0] ? " - " : "", detail);
	}
	return link;
}

/* Entry (and exit, when the event has one) program; both or nothing. */
static bool attach_pair(struct bpf_object *obj, struct event *event, const char *entry, const char *exit_program,
			char *why, size_t size)
{
	event->links[0] = attach_program(obj, entry, why, size);
	if (!event->links[0])
		return false;
	if (!exit_program)
		return true;
	event->links[1] = attach_program(obj, exit_program, why, size);
	if (event->links[1])
		return true;
	bpf_link__destroy(event->links[0]);
	event->links[0] = NULL;
	return false;
}

/* --floor: each event's do-nothing program on the attach point the event itself uses. */
static struct bpf_link *floor_links[NR_EVENTS];

static void attach_floor(struct bpf_object *obj)
{
	for (size_t i = 0; i < NR_EVENTS; i++) {
		const struct event *event = &events[i];
		char name[64], why[256];

		if (event->kind == KIND_FUNCTION || !event->attached)
			continue;
		snprintf(name, sizeof(name), "floor_%s_%s",
			 event->kind == KIND_TRACEPOINT ? "tp" : strcmp(event->method, "tp_btf") ? "raw" : "btf", event->name);
		floor_links[i] = attach_program(obj, name, why, sizeof(why));
		if (floor_links[i])
			fprintf(stderr, PROG_NAME ": %-20s attached (%s)\n", name, event->method);
		else
			fprintf(stderr, PROG_NAME ": %-20s NOT attached: %s\n", name, why);
	}
}

static void detach_floor(void)
{
	for (size_t i = 0; i < NR_EVENTS; i++) {
		bpf_link__destroy(floor_links[i]);
		floor_links[i] = NULL;
	}
}

static void attach_event(struct bpf_object *obj, struct event *event)
{
	char fentry_why[256] = "", kprobe_why[256] = "";

	/*
	 * A classic tracepoint program shares its tracepoint with every perf user of it (perf kvm stat,
	 * perf trace): the kernel drops the event for all of them when a program returns 0. Ours return
	 * LET_EVENT_THROUGH (vqscope.bpf.c; tests/unit/probe_let_through guards it), so attaching here
	 * hides nothing. raw_tp programs have no such verdict. Kprobes attached through libbpf's perf
	 * PMU are private to us, and let events through as well.
	 */
	if (event->kind == KIND_RAW_TP && event->btf_ok &&
	    attach_pair(obj, event, event->btf, NULL, fentry_why, sizeof(fentry_why))) {
		event->method = "tp_btf";
		event->attached = true;
		event->error[0] = '\0';
		return;
	}
	if (event->kind == KIND_RAW_TP && event->btf_ok)
		snprintf(event->error, sizeof(event->error), "tp_btf attach failed: %s", fentry_why);
	if (event->kind != KIND_FUNCTION) {
		char why[sizeof(event->error)] = "";

		event->method = event->kind == KIND_TRACEPOINT ? "tracepoint" : "raw_tp";
		event->attached = attach_pair(obj, event, event->program, NULL, why, sizeof(why));
		if (!event->attached)
			snprintf(event->error + strlen(event->error), sizeof(event->error) - strlen(event->error), "%s%s",
				 event->error[0] ? "; " : "", why);
		return;
	}
	if (event->fentry_ok && attach_pair(obj, event, event->fentry, event->fexit, fentry_why, sizeof(fentry_why))) {
		event->method = "fentry";
		event->attached = true;
		event->error[0] = '\0';
		return;
	}
	if (!event->fentry_ok)
		snprintf(fentry_why, sizeof(fentry_why), "%.255s", event->error[0] ? event->error : "not loaded");
	if (event->kprobe_ok && attach_pair(obj, event, event->kprobe, event->kretprobe, kprobe_why, sizeof(kprobe_why))) {
		event->method = "kprobe";
		event->attached = true;
		snprintf(event->error, sizeof(event->error), "fentry failed: %s", fentry_why);
		return;
	}
	if (!event->kprobe_ok)
		snprintf(kprobe_why, sizeof(kprobe_why), "not loaded");
	snprintf(event->error, sizeof(event->error), "fentry: %s; kprobe: %s", fentry_why, kprobe_why);
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

int probe_write_report(const char *path, unsigned int tgid, const char *release)
{
	FILE *out = fopen(path, "w");
	bool first = true;

	if (!out) {
		fprintf(stderr, PROG_NAME ": cannot write report %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(out, "{\n  \"target_tgid\": %u,\n  \"kernel_release\": ", tgid);
	json_string(out, release);
	fprintf(out, ",\n  \"events\": {\n");
	for (size_t i = 0; i < NR_EVENTS; i++) {
		struct event *event = &events[i];

		if (!event->wanted)
			continue;
		fprintf(out, "%s    \"%s\": {\"attached\": %s, \"attach_point\": ", first ? "" : ",\n", event->name,
			event->attached ? "true" : "false");
		if (event->attached)
			json_string(out, event->method);
		else
			fputs("null", out);
		fputs(", \"error\": ", out);
		if (event->error[0])
			json_string(out, event->error);
		else
			fputs("null", out);
		fputc('}', out);
		first = false;
	}
	fprintf(out, "\n  }\n}\n");
	if (fclose(out)) {
		fprintf(stderr, PROG_NAME ": cannot write report %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

size_t probe_attach_all(struct bpf_object *obj, bool floor, u64 *attached_mask)
{
	size_t attached = 0;

	for (size_t i = 0; i < NR_EVENTS; i++) {
		struct event *event = &events[i];

		if (!event->wanted)
			continue;
		if (!event->unavailable)
			attach_event(obj, event);
		if (event->attached) {
			attached++;
			*attached_mask |= 1ull << event->type;
			fprintf(stderr, PROG_NAME ": %-20s attached (%s)%s%s\n", event->name, event->method,
				event->error[0] ? "; " : "", event->error);
		} else {
			fprintf(stderr, PROG_NAME ": %-20s NOT attached: %s\n", event->name, event->error);
		}
	}
	if (floor)
		attach_floor(obj);
	return attached;
}

void probe_detach_all(void)
{
	for (size_t i = 0; i < NR_EVENTS; i++) {
		bpf_link__destroy(events[i].links[0]);
		bpf_link__destroy(events[i].links[1]);
		events[i].links[0] = events[i].links[1] = NULL;
	}
	detach_floor();
}

size_t probe_reattach(struct bpf_object *obj)
{
	size_t attached = 0;

	for (size_t i = 0; i < NR_EVENTS; i++) {
		struct event *event = &events[i];
		const char *entry = NULL, *exit_program = NULL;
		char why[256] = "";

		if (!event->attached || event->links[0])
			continue;
		if (strcmp(event->method, "tp_btf") == 0) {
			entry = event->btf;
		} else if (strcmp(event->method, "fentry") == 0) {
			entry = event->fentry;
			exit_program = event->fexit;
		} else if (strcmp(event->method, "kprobe") == 0) {
			entry = event->kprobe;
			exit_program = event->kretprobe;
		} else {
			entry = event->program;
		}
		if (attach_pair(obj, event, entry, exit_program, why, sizeof(why)))
			attached++;
		else
			fprintf(stderr, PROG_NAME ": %s could not be attached again (%s): %s\n", event->name,
				event->method, why);
	}
	return attached;
}
