// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * vqscope-probe: records the host side of virtio requests (KVM exits and injections, ioeventfd and
 * irqfd signals, scheduler wakeups and switches) for one QEMU process into a vqscope probe stream
 * (vqscope_probe.h).
 *
 * Order: open -> set rodata -> load -> attach -> poll the ring buffer -> write records. Events that
 * cannot be recorded on this kernel are reported and skipped; the rest is recorded. Loading is retried
 * without each program the kernel refuses, attaching falls back from fentry to kprobe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "vqscope_probe.h"
#include "vqscope.skel.h"

#define PROG_NAME "vqscope-probe"
#define MAX_LOAD_ATTEMPTS 32
#define POLL_TIMEOUT_MS 100
#define LIBBPF_LOG_SIZE 8192

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

static struct options {
	unsigned int pid;
	const char *pid_file;
	bool wait_for_pid_file;
	const char *output;
	const char *report;
	const char *prog_stats;
	unsigned int duration_sec; /* 0: until signal or target exit */
	const char *events;
	unsigned int ringbuf_mb;
	bool floor;
	bool verbose;
} options = { .events = "all", .ringbuf_mb = 16 };

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: " PROG_NAME " (--pid TGID | --pid-file FILE [--wait]) --output FILE [options]\n"
"\n"
"Records the host side of virtio requests for one QEMU process into a vqscope probe stream\n"
"(format: probes/README.md). Runs until SIGINT/SIGTERM, until the process exits, or --duration.\n"
"\n"
"  -p, --pid TGID         the QEMU process to record (required, or --pid-file)\n"
"  -P, --pid-file FILE    read the TGID from FILE\n"
"  -w, --wait             with --pid-file: wait until FILE exists and names a live process\n"
"  -o, --output FILE      the stream to write (required)\n"
"  -d, --duration SEC     stop after SEC seconds\n"
"  -e, --events LIST      comma-separated events or groups (default: all)\n"
"  -r, --report FILE      JSON attach report: per event attached or not, attach point, error\n"
"  -s, --prog-stats FILE  at the end, JSON run count and run time of each program (counted while\n"
"                         kernel.bpf_stats_enabled is 1), like `bpftool --json prog show`\n"
"  -b, --ringbuf-mb N     ring buffer size in MiB, a power of 2 (default 16)\n"
"  -F, --floor            also attach do-nothing programs (floor_*) beside the tracepoint and scheduler\n"
"                         events, by the same attach point, for --prog-stats: what any program costs there\n"
"  -v, --verbose          libbpf's messages on stderr\n"
"  -h, --help\n"
"\n"
"Events (group: names):\n"
"  kvm:     kvm_exit kvm_entry kvm_userspace_exit kvm_mmio kvm_page_fault kvm_msi_set_irq\n"
"           kvm_set_irq kvm_apic_accept_irq kvm_inj_virq          (tracepoints)\n"
"  eventfd: ioeventfd_write irqfd_wakeup irqfd_inject             (fentry, else kprobe)\n"
"  sched:   sched_wakeup sched_switch                             (tp_btf, else raw_tp)\n"
"Events that cannot be attached on this kernel are reported on stderr (and in --report) and skipped;\n"
"the exit status is non-zero only if nothing could be attached or the stream could not be written.\n"
"\n"
"EXAMPLES\n"
"  " PROG_NAME " --pid $(pgrep -o qemu-system) --output host.vqp\n"
"      record everything until Ctrl-C or until QEMU exits\n"
"  " PROG_NAME " --pid 4242 --events kvm,ioeventfd_write --duration 10 --output kick.vqp\n"
"      KVM tracepoints and ioeventfd signals for 10 seconds\n"
"  " PROG_NAME " --pid-file /tmp/l2-qemu.pid --wait --output /share/host.vqp --report /share/attach.json &\n"
"      lab --l1-pre hook: start before QEMU, record it from its start; stop with kill -INT\n"
"  vqscope-probe-dump host.vqp\n"
"      print the records and a summary\n");
}

/* ---------------------------------------------------------------- libbpf messages */

/* libbpf's warnings are kept (not printed unless -v) so that a failed load can say which program the
 * kernel refused and why; attach failures of events we then skip would otherwise flood stderr. */
static char libbpf_log[LIBBPF_LOG_SIZE];
static size_t libbpf_log_len;

static int libbpf_print(enum libbpf_print_level level, const char *format, va_list args)
{
	va_list copy;
	int n;

	if (options.verbose) {
		va_copy(copy, args);
		vfprintf(stderr, format, copy);
		va_end(copy);
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	if (libbpf_log_len >= LIBBPF_LOG_SIZE - 256) /* keep the latest messages */
		libbpf_log_len = 0;
	n = vsnprintf(libbpf_log + libbpf_log_len, LIBBPF_LOG_SIZE - libbpf_log_len, format, args);
	if (n > 0)
		libbpf_log_len += (size_t)n < LIBBPF_LOG_SIZE - libbpf_log_len ? (size_t)n :
				  LIBBPF_LOG_SIZE - libbpf_log_len - 1;
	return 0;
}

static void libbpf_log_reset(void)
{
	libbpf_log_len = 0;
	libbpf_log[0] = '\0';
}

/* The last line of the kept libbpf log, without "libbpf: " and the newline, into buf. */
static void libbpf_log_last_line(char *buf, size_t size)
{
	char *end = libbpf_log + libbpf_log_len, *start;

	while (end > libbpf_log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	start = end;
	while (start > libbpf_log && start[-1] != '\n')
		start--;
	if (!strncmp(start, "libbpf: ", 8) && end - start >= 8)
		start += 8;
	snprintf(buf, size, "%.*s", (int)(end - start), start);
}

/* After a failed load: the program libbpf names in its first "prog 'X': ... fail..." warning (the first
 * one carries the kernel's reason, the later ones only repeat the failure), and that reason. */
static bool libbpf_log_failed_program(char *name, size_t size, char *why, size_t why_size)
{
	for (char *line = libbpf_log; line && *line;) {
		char *next = strchr(line, '\n');
		size_t length = next ? (size_t)(next - line) : strlen(line);
		char *prog = memmem(line, length, "prog '", 6);
		char *quote;

		if (prog && memmem(line, length, "fail", 4) && (quote = memchr(prog + 6, '\'', line + length - prog - 6))) {
			char *reason = quote + 1;

			if (*reason == ':')
				reason++;
			while (*reason == ' ')
				reason++;
			snprintf(name, size, "%.*s", (int)(quote - prog - 6), prog + 6);
			snprintf(why, why_size, "%.*s", (int)(line + length - reason), reason);
			return name[0] != '\0';
		}
		line = next ? next + 1 : NULL;
	}
	return false;
}

/* ---------------------------------------------------------------- events */

static bool select_events(const char *list)
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
static void ensure_tracefs(void)
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
static void check_events_present(void)
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
static void apply_autoload(struct bpf_object *obj)
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
		if (options.floor && event->kind != KIND_FUNCTION)
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
static bool disable_refused_program(const char *name, const char *why)
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
		snprintf(fentry_why, sizeof(fentry_why), "%s", event->error[0] ? event->error : "not loaded");
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

static int write_report(const char *path, unsigned int tgid, const char *release)
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

/* ---------------------------------------------------------------- target process */

/* Alive = /proc/PID exists and is not a zombie (an exited QEMU whose parent has not reaped it yet). */
static bool process_alive(unsigned int pid)
{
	char path[64], stat_line[512], *state;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(stat_line, sizeof(stat_line), f)) {
		fclose(f);
		return false;
	}
	fclose(f);
	state = strrchr(stat_line, ')'); /* comm may contain spaces and parentheses */
	return state && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

static int read_pid_file(const char *path, unsigned int *pid)
{
	FILE *f = fopen(path, "r");
	unsigned int value;
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%u", &value);
	fclose(f);
	if (n != 1 || value == 0)
		return -EINVAL;
	*pid = value;
	return 0;
}

static int wait_for_pid(const char *path, bool wait, unsigned int *pid)
{
	bool said = false;
	int err;

	for (;;) {
		err = read_pid_file(path, pid);
		if (!err && process_alive(*pid))
			return 0;
		if (!wait) {
			fprintf(stderr, PROG_NAME ": %s: %s\n", path,
				err == -EINVAL ? "does not hold a pid" : err ? strerror(-err) : "process not running");
			return -1;
		}
		if (stop_signal) {
			fprintf(stderr, PROG_NAME ": stopped while waiting for %s\n", path);
			return -1;
		}
		if (!said && options.verbose)
			fprintf(stderr, PROG_NAME ": waiting for %s\n", path);
		said = true;
		usleep(20 * 1000);
	}
}

/* ---------------------------------------------------------------- stream output */

struct stream {
	FILE *file;
	const char *path;
	u64 records;
	bool failed;
	unsigned int nr_cpus;
	u64 *drops_last; /* per CPU, total at the previous DROPS record */
};

static u64 monotonic_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int stream_write(struct stream *stream, const void *data, size_t size)
{
	if (stream->failed)
		return -1;
	if (fwrite(data, size, 1, stream->file) != 1) {
		fprintf(stderr, PROG_NAME ": writing %s: %s\n", stream->path, strerror(errno));
		stream->failed = true;
		return -1;
	}
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct stream *stream = ctx;

	if (size != sizeof(struct vqs_probe_record))
		return 0; /* cannot happen with one BPF object; never write a record of another size */
	if (stream_write(stream, data, size))
		return -1; /* stops ring_buffer__poll */
	stream->records++;
	return 0;
}

/* One DROPS record per CPU: cumulative and since the previous one. Returns the total, or -1. */
static long long write_drops(struct stream *stream, int drops_map_fd)
{
	u64 *values = calloc(stream->nr_cpus, sizeof(u64));
	u64 total = 0, now = monotonic_ns(CLOCK_MONOTONIC);
	u32 zero = 0;
	long long result = 0;

	if (!values)
		return -1;
	if (bpf_map_lookup_elem(drops_map_fd, &zero, values)) {
		fprintf(stderr, PROG_NAME ": reading the drop counters: %s\n", strerror(errno));
		free(values);
		return -1;
	}
	for (unsigned int cpu = 0; cpu < stream->nr_cpus; cpu++) {
		struct vqs_probe_record record = { .timestamp_ns = now, .type = VQS_REC_DROPS, .cpu = cpu };

		record.drops.drops_total = values[cpu];
		record.drops.drops_since_last = values[cpu] - stream->drops_last[cpu];
		stream->drops_last[cpu] = values[cpu];
		total += values[cpu];
		if (stream_write(stream, &record, sizeof(record))) {
			result = -1;
			break;
		}
		stream->records++;
	}
	free(values);
	return result < 0 ? result : (long long)total;
}

/*
 * Run count and run time of each loaded program, in the shape of `bpftool --json prog show` entries (name,
 * id, run_cnt, run_time_ns), which bench/record-overhead.sh reads. The probe writes them itself, after
 * detaching and before unloading: once it exits its programs are gone, and in lab mode it exits (its
 * QEMU did) before the recorder's stop script could ask bpftool.
 */
static int write_prog_stats(const char *path, struct bpf_object *obj)
{
	struct bpf_program *prog;
	FILE *out = fopen(path, "w");
	bool first = true;

	if (!out) {
		fprintf(stderr, PROG_NAME ": cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fputc('[', out);
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = { 0 };
		__u32 length = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &length))
			continue; /* not loaded (the other attach method of its event) */
		fprintf(out, "%s\n  {\"name\": \"%s\", \"id\": %u, \"run_cnt\": %llu, \"run_time_ns\": %llu}",
			first ? "" : ",", bpf_program__name(prog), info.id, (unsigned long long)info.run_cnt,
			(unsigned long long)info.run_time_ns);
		first = false;
	}
	fputs("\n]\n", out);
	if (fclose(out)) {
		fprintf(stderr, PROG_NAME ": writing %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "wait", no_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "events", required_argument, NULL, 'e' },
		{ "report", required_argument, NULL, 'r' },
		{ "prog-stats", required_argument, NULL, 's' },
		{ "ringbuf-mb", required_argument, NULL, 'b' },
		{ "floor", no_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vqscope_bpf *skel = NULL;
	struct ring_buffer *ring = NULL;
	struct stream stream = { 0 };
	struct vqs_probe_header header = { 0 };
	struct utsname uts;
	char refused[128], why[256];
	unsigned int attached = 0, stop_reason = 0;
	u64 attached_mask = 0, start_ns, last_tick_ns, now_ns;
	long long drops_total;
	int opt, err = 0, nr_cpus;
	char *end;

	while ((opt = getopt_long(argc, argv, "p:P:wo:d:e:r:s:b:Fvh", long_options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			errno = 0;
			options.pid = strtoul(optarg, &end, 10);
			if (errno || *end || !options.pid) {
				fprintf(stderr, PROG_NAME ": --pid wants a process id, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'P': options.pid_file = optarg; break;
		case 'w': options.wait_for_pid_file = true; break;
		case 'o': options.output = optarg; break;
		case 'd':
			errno = 0;
			options.duration_sec = strtoul(optarg, &end, 10);
			if (errno || *end || !options.duration_sec) {
				fprintf(stderr, PROG_NAME ": --duration wants seconds > 0, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'e': options.events = optarg; break;
		case 'r': options.report = optarg; break;
		case 's': options.prog_stats = optarg; break;
		case 'b':
			options.ringbuf_mb = strtoul(optarg, &end, 10);
			if (*end || !options.ringbuf_mb || (options.ringbuf_mb & (options.ringbuf_mb - 1))) {
				fprintf(stderr, PROG_NAME ": --ringbuf-mb wants a power of 2, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'F': options.floor = true; break;
		case 'v': options.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || !options.output || !options.pid == !options.pid_file ||
	    (options.wait_for_pid_file && !options.pid_file)) {
		fprintf(stderr, PROG_NAME ": need --output and exactly one of --pid / --pid-file"
				" (--wait only with --pid-file)\n\n");
		usage(stderr);
		return 2;
	}
	if (!select_events(options.events))
		return 2;

	libbpf_set_print(libbpf_print);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (options.pid_file) {
		if (wait_for_pid(options.pid_file, options.wait_for_pid_file, &options.pid)) {
			err = 1;
			goto cleanup;
		}
	} else if (!process_alive(options.pid)) {
		fprintf(stderr, PROG_NAME ": process %u is not running\n", options.pid);
		err = 1;
		goto cleanup;
	}
	uname(&uts);
	ensure_tracefs();
	check_events_present();

	/* Load, dropping each program the kernel refuses (a function without fentry support, a tracepoint
	 * whose record lacks a field we read), until the rest loads. */
	for (int attempt = 0;; attempt++) {
		skel = vqscope_bpf__open();
		if (!skel) {
			fprintf(stderr, PROG_NAME ": opening the BPF object: %s\n", strerror(errno));
			err = 1;
			goto cleanup;
		}
		skel->rodata->target_tgid = options.pid;
		/* 1/8 of the ring buffer's records, shared by the CPUs */
		skel->rodata->wakeup_records = ((u64)options.ringbuf_mb << 17) / sizeof(struct vqs_probe_record) /
					       (libbpf_num_possible_cpus() > 0 ? libbpf_num_possible_cpus() : 1) + 1;
		if (bpf_map__set_max_entries(skel->maps.events, options.ringbuf_mb << 20)) {
			fprintf(stderr, PROG_NAME ": ring buffer of %u MiB refused\n", options.ringbuf_mb);
			err = 1;
			goto cleanup;
		}
		apply_autoload(skel->obj);
		libbpf_log_reset();
		if (!vqscope_bpf__load(skel))
			break;
		if (attempt >= MAX_LOAD_ATTEMPTS || !libbpf_log_failed_program(refused, sizeof(refused), why, sizeof(why)) ||
		    !disable_refused_program(refused, why)) {
			fprintf(stderr, PROG_NAME ": loading the BPF object failed; libbpf said:\n%s", libbpf_log);
			err = 1;
			goto cleanup;
		}
		if (options.verbose)
			fprintf(stderr, PROG_NAME ": kernel refused %s (%s); loading without it\n", refused, why);
		vqscope_bpf__destroy(skel);
		skel = NULL;
	}

	for (size_t i = 0; i < NR_EVENTS; i++) {
		struct event *event = &events[i];

		if (!event->wanted)
			continue;
		if (!event->unavailable)
			attach_event(skel->obj, event);
		if (event->attached) {
			attached++;
			attached_mask |= 1ull << event->type;
			fprintf(stderr, PROG_NAME ": %-20s attached (%s)%s%s\n", event->name, event->method,
				event->error[0] ? "; " : "", event->error);
		} else {
			fprintf(stderr, PROG_NAME ": %-20s NOT attached: %s\n", event->name, event->error);
		}
	}
	if (options.floor)
		attach_floor(skel->obj);
	if (options.report && write_report(options.report, options.pid, uts.release)) {
		err = 1;
		goto cleanup;
	}
	if (!attached) {
		fprintf(stderr, PROG_NAME ": no event could be attached\n");
		err = 1;
		goto cleanup;
	}

	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus <= 0) {
		fprintf(stderr, PROG_NAME ": cannot count possible CPUs: %s\n", strerror(-nr_cpus));
		err = 1;
		goto cleanup;
	}
	stream.nr_cpus = nr_cpus;
	stream.drops_last = calloc(nr_cpus, sizeof(u64));
	stream.path = options.output;
	stream.file = fopen(options.output, "w");
	if (!stream.drops_last || !stream.file) {
		fprintf(stderr, PROG_NAME ": cannot write %s: %s\n", options.output, strerror(errno));
		err = 1;
		goto cleanup;
	}
	setvbuf(stream.file, NULL, _IOFBF, 1 << 20);

	memcpy(header.magic, VQS_PROBE_MAGIC, VQS_PROBE_MAGIC_LEN);
	header.version = VQS_PROBE_VERSION;
	header.header_size = sizeof(header);
	header.clock_id = VQS_PROBE_CLOCK_MONOTONIC;
	header.record_size = sizeof(struct vqs_probe_record);
	header.start_monotonic_ns = start_ns = monotonic_ns(CLOCK_MONOTONIC);
	header.start_realtime_ns = monotonic_ns(CLOCK_REALTIME);
	header.target_tgid = options.pid;
	header.nr_cpus = nr_cpus;
	header.attached_mask = attached_mask;
	/* uname releases are < 65 bytes; the field keeps 63 and a NUL */
	snprintf(header.kernel_release, sizeof(header.kernel_release), "%.63s", uts.release);
	if (stream_write(&stream, &header, sizeof(header)) || fflush(stream.file)) {
		err = 1;
		goto cleanup;
	}

	ring = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, &stream, NULL);
	if (!ring) {
		fprintf(stderr, PROG_NAME ": creating the ring buffer reader: %s\n", strerror(errno));
		err = 1;
		goto cleanup;
	}
	fprintf(stderr, PROG_NAME ": recording %u events of process %u into %s\n", attached, options.pid,
		options.output);

	last_tick_ns = start_ns;
	while (!stop_reason) {
		/* The BPF side wakes us only now and then (see wakeup_records): poll, then drain
		 * whatever is there anyway. */
		int n = ring_buffer__poll(ring, POLL_TIMEOUT_MS);

		if (n >= 0 || n == -EINTR)
			n = ring_buffer__consume(ring);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, PROG_NAME ": polling the ring buffer: %s\n", strerror(-n));
			stop_reason = VQS_STOP_ERROR;
			break;
		}
		if (stream.failed) {
			stop_reason = VQS_STOP_ERROR;
			break;
		}
		if (stop_signal) {
			stop_reason = VQS_STOP_SIGNAL;
			break;
		}
		now_ns = monotonic_ns(CLOCK_MONOTONIC);
		if (options.duration_sec && now_ns - start_ns >= options.duration_sec * 1000000000ull)
			stop_reason = VQS_STOP_DURATION;
		if (now_ns - last_tick_ns >= 1000000000ull) {
			last_tick_ns = now_ns;
			if (write_drops(&stream, bpf_map__fd(skel->maps.drops)) < 0 || fflush(stream.file)) {
				stop_reason = VQS_STOP_ERROR;
				break;
			}
			if (!process_alive(options.pid))
				stop_reason = VQS_STOP_TARGET_EXITED;
		}
	}

	/* Stop the events, take what is left in the ring buffer, then the drops and the end record. */
	for (size_t i = 0; i < NR_EVENTS; i++) {
		bpf_link__destroy(events[i].links[0]);
		bpf_link__destroy(events[i].links[1]);
		events[i].links[0] = events[i].links[1] = NULL;
	}
	detach_floor();
	if (ring_buffer__consume(ring) < 0 && !stream.failed)
		fprintf(stderr, PROG_NAME ": draining the ring buffer failed\n");
	drops_total = write_drops(&stream, bpf_map__fd(skel->maps.drops));
	if (drops_total >= 0) {
		struct vqs_probe_record record = {
			.timestamp_ns = monotonic_ns(CLOCK_MONOTONIC),
			.type = VQS_REC_END,
		};

		record.end.records = stream.records;
		record.end.drops_total = drops_total;
		record.end.stop_reason = stop_reason;
		stream_write(&stream, &record, sizeof(record));
	}
	if (options.prog_stats && write_prog_stats(options.prog_stats, skel->obj))
		err = 1;
	fprintf(stderr, PROG_NAME ": stopped (%s): %llu records, %lld dropped\n",
		stop_reason == VQS_STOP_SIGNAL ? "signal" : stop_reason == VQS_STOP_TARGET_EXITED ? "target exited" :
		stop_reason == VQS_STOP_DURATION ? "duration" : "error",
		(unsigned long long)stream.records, drops_total);
	if (drops_total > 0)
		fprintf(stderr, PROG_NAME ": warning: %lld records dropped (ring buffer full); try --ringbuf-mb\n",
			drops_total);
	err = err || stream.failed || stop_reason == VQS_STOP_ERROR || drops_total < 0;

cleanup:
	ring_buffer__free(ring);
	if (stream.file && fclose(stream.file) && !err) {
		fprintf(stderr, PROG_NAME ": closing %s: %s\n", options.output, strerror(errno));
		err = 1;
	}
	free(stream.drops_last);
	for (size_t i = 0; i < NR_EVENTS; i++) {
		bpf_link__destroy(events[i].links[0]);
		bpf_link__destroy(events[i].links[1]);
	}
	detach_floor();
	vqscope_bpf__destroy(skel);
	return err ? 1 : 0;
}
