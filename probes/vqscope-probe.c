// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * vqscope-probe: records the host side of virtio requests (KVM exits and injections, ioeventfd and
 * irqfd signals, scheduler wakeups and switches) for one QEMU process into a vqscope probe stream
 * (vqscope_probe.h).
 *
 * Order: open -> set rodata -> load -> attach -> poll the ring buffer -> write records. Events that
 * cannot be recorded on this kernel are reported and skipped; the rest is recorded. Loading is retried
 * without each program the kernel refuses, attaching falls back from fentry to kprobe and from tp_btf
 * to raw_tp (probe_attach.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe_attach.h"
#include "probe_log.h"
#include "vqscope_probe.h"
#include "vqscope.skel.h"

#define PROG_NAME "vqscope-probe"
#define MAX_LOAD_ATTEMPTS 32
#define POLL_TIMEOUT_MS 100

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
/* The run-time switch (vqscope record --sources): SIGUSR1 detaches the events, SIGUSR2 attaches them
 * again; the last one received wins. */
static volatile sig_atomic_t switch_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_switch_signal(int sig)
{
	switch_signal = sig;
}

/* Carries out a pending SIGUSR1 / SIGUSR2 and says so on stderr, one line each (the recorder's
 * switcher waits for it: after that line, no record of a detached event can be taken any more, and
 * the reattached events are recording). */
struct stream;
static int take_pending(struct stream *stream, struct ring_buffer *ring, int sched_batches_fd);

/* SIGUSR1 detaches the probes (and takes the events still in flight), SIGUSR2 attaches them again.
 * Returns -1 when writing the stream failed. */
static int apply_switch(struct bpf_object *obj, struct stream *stream, struct ring_buffer *ring,
			int sched_batches_fd, bool *paused)
{
	int sig = switch_signal, result = 0;

	if (!sig)
		return 0;
	switch_signal = 0;
	if (sig == SIGUSR1 && !*paused) {
		probe_detach_all();
		result = take_pending(stream, ring, sched_batches_fd);
		*paused = true;
	} else if (sig == SIGUSR2 && *paused) {
		probe_reattach(obj);
		*paused = false;
	}
	fprintf(stderr, PROG_NAME ": switched %s (%s)\n", *paused ? "off" : "on", sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
	fflush(stderr);
	return result;
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
"SIGUSR1 detaches the events and SIGUSR2 attaches them again (the recorder's run-time switch); each\n"
"prints 'switched off' or 'switched on' on stderr once done.\n"
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

/* A batch of scheduler events (vqscope_probe.h) as the file's records, one per entry. */
static int write_sched_batch(struct stream *stream, const struct vqs_sched_batch *batch)
{
	for (u32 i = 0; i < batch->count && i < VQS_SCHED_BATCH; i++) {
		const struct vqs_sched_entry *entry = &batch->entries[i];
		struct vqs_probe_record record = {
			.timestamp_ns = entry->timestamp_ns, .type = entry->type, .cpu = batch->cpu,
			.pid = entry->pid, .tgid = entry->tgid,
		};

		if (entry->type == VQS_REC_SCHED_SWITCH) {
			record.sched_switch.prev_pid = entry->pid;
			record.sched_switch.prev_tgid = entry->tgid;
			record.sched_switch.next_pid = entry->other_pid;
			record.sched_switch.next_tgid = entry->other_tgid;
			record.sched_switch.prev_state = entry->value;
			record.sched_switch.prev_runtime_ns = entry->prev_runtime_ns;
			record.sched_switch.next_runtime_ns = entry->next_runtime_ns;
		} else if (entry->type == VQS_REC_SCHED_WAKEUP) {
			record.sched_wakeup.woken_pid = entry->other_pid;
			record.sched_wakeup.woken_tgid = entry->other_tgid;
			record.sched_wakeup.target_cpu = entry->value;
		} else {
			continue; /* cannot happen with one BPF object */
		}
		if (stream_write(stream, &record, sizeof(record)))
			return -1;
		stream->records++;
	}
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct stream *stream = ctx;
	const struct vqs_sched_batch *batch = data;

	if (size >= VQS_SCHED_BATCH_HEADER_SIZE && batch->type == VQS_RING_SCHED_BATCH &&
	    size == VQS_SCHED_BATCH_HEADER_SIZE + (size_t)batch->count * VQS_SCHED_ENTRY_SIZE)
		return write_sched_batch(stream, batch); /* -1 stops ring_buffer__poll */
	if (size != sizeof(struct vqs_probe_record))
		return 0; /* cannot happen with one BPF object; never write a record of another size */
	if (stream_write(stream, data, size))
		return -1; /* stops ring_buffer__poll */
	stream->records++;
	return 0;
}

/* Every CPU's value of the one-entry per-CPU map MAP_FD, each SIZE bytes rounded up to 8 (how the kernel
 * copies them out), in a new buffer; NULL (said, naming WHAT) when it cannot be read. */
static void *read_per_cpu(int map_fd, unsigned int nr_cpus, size_t size, const char *what)
{
	void *values = calloc(nr_cpus, (size + 7) & ~(size_t)7);
	u32 zero = 0;

	if (values && bpf_map_lookup_elem(map_fd, &zero, values)) {
		fprintf(stderr, PROG_NAME ": reading %s: %s\n", what, strerror(errno));
		free(values);
		values = NULL;
	}
	return values;
}

/* With the probes detached: the scheduler events still in each CPU's batch (the BPF side sends a batch
 * only when an event fills or ages it), written out, and the batches emptied. */
static int take_sched_batches(struct stream *stream, int map_fd)
{
	size_t stride = (sizeof(struct vqs_sched_batch) + 7) & ~(size_t)7;
	char *values = read_per_cpu(map_fd, stream->nr_cpus, sizeof(struct vqs_sched_batch), "the scheduler batches");
	u32 zero = 0;
	int result = 0;

	if (!values)
		return -1;
	for (unsigned int cpu = 0; cpu < stream->nr_cpus && !result; cpu++) {
		struct vqs_sched_batch *batch = (struct vqs_sched_batch *)(values + cpu * stride);

		batch->cpu = cpu;
		result = write_sched_batch(stream, batch);
	}
	memset(values, 0, stream->nr_cpus * stride);
	if (!result && bpf_map_update_elem(map_fd, &zero, values, BPF_ANY)) {
		fprintf(stderr, PROG_NAME ": emptying the scheduler batches: %s\n", strerror(errno));
		result = -1;
	}
	free(values);
	return result;
}

/* With the probes detached: what is left in the ring buffer, then in the scheduler batches. */
static int take_pending(struct stream *stream, struct ring_buffer *ring, int sched_batches_fd)
{
	if (ring_buffer__consume(ring) < 0 && !stream->failed) {
		fprintf(stderr, PROG_NAME ": draining the ring buffer failed\n");
		return -1;
	}
	return take_sched_batches(stream, sched_batches_fd);
}

/* One DROPS record per CPU: cumulative and since the previous one. Returns the total, or -1. */
static long long write_drops(struct stream *stream, int drops_map_fd)
{
	u64 *values = read_per_cpu(drops_map_fd, stream->nr_cpus, sizeof(u64), "the drop counters");
	u64 total = 0, now = monotonic_ns(CLOCK_MONOTONIC);
	long long result = 0;

	if (!values)
		return -1;
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
		fprintf(out, "%s\n  {\"name\": \"%s\", \"id\": %u, \"run_cnt\": %llu, \"run_time_ns\": %llu, "
			"\"recursion_misses\": %llu}", first ? "" : ",", bpf_program__name(prog), info.id,
			(unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns,
			(unsigned long long)info.recursion_misses);
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
	bool paused = false;
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
	if (!probe_select_events(options.events))
		return 2;

	libbpf_log_init(options.verbose);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_switch_signal);
	signal(SIGUSR2, on_switch_signal);

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
	probe_ensure_tracefs();
	probe_check_events_present();

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
		probe_apply_autoload(skel->obj, options.floor);
		libbpf_log_reset();
		if (!vqscope_bpf__load(skel))
			break;
		if (attempt >= MAX_LOAD_ATTEMPTS || !libbpf_log_failed_program(refused, sizeof(refused), why, sizeof(why)) ||
		    !probe_disable_refused_program(refused, why)) {
			fprintf(stderr, PROG_NAME ": loading the BPF object failed; libbpf said:\n%s", libbpf_log_text());
			err = 1;
			goto cleanup;
		}
		if (options.verbose)
			fprintf(stderr, PROG_NAME ": kernel refused %s (%s); loading without it\n", refused, why);
		vqscope_bpf__destroy(skel);
		skel = NULL;
	}

	attached = probe_attach_all(skel->obj, options.floor, &attached_mask);
	if (options.report && probe_write_report(options.report, options.pid, uts.release)) {
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
		if (apply_switch(skel->obj, &stream, ring, bpf_map__fd(skel->maps.sched_batches), &paused)) {
			stop_reason = VQS_STOP_ERROR;
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

	/* Stop the events, take what is left in the ring buffer and the batches, then the drops and the
	 * end record. */
	probe_detach_all();
	take_pending(&stream, ring, bpf_map__fd(skel->maps.sched_batches));
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
	probe_detach_all();
	vqscope_bpf__destroy(skel);
	return err ? 1 : 0;
}
