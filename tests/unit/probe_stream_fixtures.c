// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Probe stream fixtures written from probes/vqscope_probe.h itself: every size, offset and constant
 * comes from the header's structs and macros, so a layout change moves the fixtures with it and no
 * test spells the format out by hand (probes/FORMAT.md says which rules each case exercises).
 *
 *   probe_stream_fixtures DIR       writes DIR/<case>.vqp for every case of tests/unit/probe_stream
 *   probe_stream_fixtures --layout  prints the layout as JSON, for scripts that edit real streams
 *                                   (tests/fixtures/analysis/make-session-fixtures.py)
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vqscope_probe.h"

#define NR_CPUS 2
#define TARGET_TGID 4242
/* Fills what a newer writer would have put after the fields this version knows. */
#define FILLER 0xaa

/* A stream being built in memory; cases are cut and patched copies of it. */
struct blob {
	unsigned char *data;
	size_t size;
};

static void append(struct blob *blob, const void *bytes, size_t size)
{
	blob->data = realloc(blob->data, blob->size + size);
	if (!blob->data) {
		perror("probe_stream_fixtures");
		exit(1);
	}
	memcpy(blob->data + blob->size, bytes, size);
	blob->size += size;
}

static void append_filler(struct blob *blob, size_t size)
{
	unsigned char filler[256];

	memset(filler, FILLER, sizeof(filler));
	while (size) {
		size_t chunk = size < sizeof(filler) ? size : sizeof(filler);

		append(blob, filler, chunk);
		size -= chunk;
	}
}

static struct vqs_probe_header good_header(void)
{
	struct vqs_probe_header header = {
		.version = VQS_PROBE_VERSION,
		.header_size = sizeof(struct vqs_probe_header),
		.clock_id = VQS_PROBE_CLOCK_MONOTONIC,
		.record_size = sizeof(struct vqs_probe_record),
		.start_monotonic_ns = 1000,
		.start_realtime_ns = 2000,
		.target_tgid = TARGET_TGID,
		.nr_cpus = NR_CPUS,
		.attached_mask = 1ULL << VQS_REC_KVM_EXIT | 1ULL << VQS_REC_IOEVENTFD_WRITE |
				 1ULL << VQS_REC_SCHED_SWITCH,
	};

	memcpy(header.magic, VQS_PROBE_MAGIC, VQS_PROBE_MAGIC_LEN);
	strcpy(header.kernel_release, "6.1.0-test");
	return header;
}

/* The records of the good stream before its END: one of each kind the checks look at. */
static size_t good_records(struct vqs_probe_record *records)
{
	size_t n = 0;

	records[n] = (struct vqs_probe_record){ .timestamp_ns = 1100, .type = VQS_REC_KVM_EXIT, .cpu = 0,
						.pid = TARGET_TGID + 1, .tgid = TARGET_TGID };
	records[n].kvm_exit.reason = 0x400; /* SVM NPF */
	records[n].kvm_exit.isa = 2;
	records[n].kvm_exit.info1 = 0x6;
	records[n].kvm_exit.info2 = 0xfe003000;
	records[n++].kvm_exit.guest_rip = 0xffffffff81000000;
	records[n] = (struct vqs_probe_record){ .timestamp_ns = 1200, .type = VQS_REC_IOEVENTFD_WRITE, .cpu = 0,
						.pid = TARGET_TGID + 1, .tgid = TARGET_TGID };
	records[n].ioeventfd_write.gpa = 0xfe003000;
	records[n].ioeventfd_write.len = 2;
	records[n++].ioeventfd_write.device = 0xffff888001234000;
	records[n] = (struct vqs_probe_record){ .timestamp_ns = 1300, .type = VQS_REC_SCHED_SWITCH, .cpu = 1,
						.pid = TARGET_TGID + 2, .tgid = TARGET_TGID };
	records[n].sched_switch.prev_pid = TARGET_TGID + 2;
	records[n].sched_switch.prev_tgid = TARGET_TGID;
	records[n++].sched_switch.prev_state = 1;
	records[n++] = (struct vqs_probe_record){ .timestamp_ns = 1400, .type = VQS_REC_DROPS, .cpu = 0 };
	records[n] = (struct vqs_probe_record){ .timestamp_ns = 1400, .type = VQS_REC_DROPS, .cpu = 1 };
	records[n].drops.drops_total = 3;
	records[n++].drops.drops_since_last = 3;
	return n;
}

static struct vqs_probe_record end_record(uint64_t records_before, uint64_t drops_total)
{
	struct vqs_probe_record end = { .timestamp_ns = 1500, .type = VQS_REC_END };

	end.end.records = records_before;
	end.end.drops_total = drops_total;
	end.end.stop_reason = VQS_STOP_SIGNAL;
	return end;
}

/* HEADER (plus HEADER_TAIL filler bytes), RECORDS each followed by RECORD_TAIL filler bytes, and an END
 * record if WITH_END. The header's sizes are the caller's: cases that lie about them set them so. */
static struct blob stream(const struct vqs_probe_header *header, size_t header_tail,
			  const struct vqs_probe_record *records, size_t count, size_t record_tail, int with_end)
{
	struct vqs_probe_record end = end_record(count, 3);
	struct blob blob = { 0 };

	append(&blob, header, sizeof(*header));
	append_filler(&blob, header_tail);
	for (size_t i = 0; i < count + !!with_end; i++) {
		append(&blob, i < count ? &records[i] : &end, sizeof(struct vqs_probe_record));
		append_filler(&blob, record_tail);
	}
	return blob;
}

static void write_case(const char *dir, const char *name, const struct blob *blob, size_t size)
{
	char path[4096];
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s.vqp", dir, name);
	out = fopen(path, "wb");
	if (!out || fwrite(blob->data, 1, size, out) != size || fclose(out) != 0) {
		perror(path);
		exit(1);
	}
}

/* The broken-header cases: one header field set to a value the readers must refuse. */
#define HEADER_FIELD(field) offsetof(struct vqs_probe_header, field), sizeof(((struct vqs_probe_header *)0)->field)
static const struct {
	const char *name;
	size_t offset, size;
	uint64_t value;
} broken_headers[] = {
	{ "bad-version", HEADER_FIELD(version), 7 },
	{ "bad-header-size", HEADER_FIELD(header_size), sizeof(struct vqs_probe_header) - 20 },
	{ "bad-clock", HEADER_FIELD(clock_id), 0 /* CLOCK_REALTIME */ },
	{ "bad-record-size", HEADER_FIELD(record_size), sizeof(struct vqs_probe_record) - 16 },
	{ "huge-record-size", HEADER_FIELD(record_size), 1 << 20 },
	{ "bad-nr-cpus", HEADER_FIELD(nr_cpus), 0 },
};

/* Stores VALUE in the SIZE-byte little-endian field at AT (the stream's byte order). */
static void set_field(char *at, size_t size, uint64_t value)
{
	for (size_t i = 0; i < size; i++) {
		at[i] = (char)(value >> (8 * i));
	}
}

static void write_cases(const char *dir)
{
	struct vqs_probe_record records[8], doubled[16];
	struct vqs_probe_header header = good_header();
	size_t count = good_records(records);
	struct blob good = stream(&header, 0, records, count, 0, 1);
	struct blob blob;

	write_case(dir, "good", &good, good.size);
	write_case(dir, "empty", &good, 0);
	write_case(dir, "truncated-header", &good, 50);
	write_case(dir, "no-end", &good, good.size - sizeof(struct vqs_probe_record));
	write_case(dir, "truncated-record", &good, good.size - 20);

	/* A newer writer: longer header and records, whose tails this reader skips. */
	header.header_size = sizeof(header) + 8;
	blob = stream(&header, 8, records, count, 0, 1);
	write_case(dir, "longer-header", &blob, blob.size);
	free(blob.data);
	header = good_header();
	header.record_size = sizeof(struct vqs_probe_record) + 16;
	blob = stream(&header, 0, records, count, 16, 1);
	write_case(dir, "longer-record", &blob, blob.size);
	free(blob.data);

	/* A record type added after this version: counted and skipped. */
	header = good_header();
	memmove(&records[2], &records[1], (count - 1) * sizeof(records[0]));
	records[1].type = 40;
	blob = stream(&header, 0, records, count + 1, 0, 1);
	write_case(dir, "unknown-type", &blob, blob.size);
	free(blob.data);
	count = good_records(records);

	/* Broken headers: one field each. */
	for (size_t i = 0; i < sizeof(broken_headers) / sizeof(broken_headers[0]); i++) {
		header = good_header();
		set_field((char *)&header + broken_headers[i].offset, broken_headers[i].size, broken_headers[i].value);
		blob = stream(&header, 0, records, count, 0, 1);
		write_case(dir, broken_headers[i].name, &blob, blob.size);
		free(blob.data);
	}
	header = good_header();
	memcpy(header.magic, "VQSPROBX", VQS_PROBE_MAGIC_LEN);
	blob = stream(&header, 0, records, count, 0, 1);
	write_case(dir, "bad-magic", &blob, blob.size);
	free(blob.data);

	/* Broken records. */
	header = good_header();
	records[count - 1].cpu = NR_CPUS;
	blob = stream(&header, 0, records, count, 0, 1);
	write_case(dir, "bad-drops-cpu", &blob, blob.size);
	free(blob.data);
	/* Two streams concatenated: the good records, END, the good records again, END. */
	count = good_records(doubled);
	doubled[count] = end_record(count, 3);
	good_records(doubled + count + 1);
	blob = stream(&header, 0, doubled, 2 * count + 1, 0, 1);
	write_case(dir, "records-after-end", &blob, blob.size);
	free(blob.data);
	blob = (struct blob){ 0 };
	append(&blob, good.data, good.size);
	append_filler(&blob, 10);
	write_case(dir, "stray-after-end", &blob, blob.size);
	free(blob.data);
	free(good.data);
}

#define FIELD(type, field) printf("%s\"%s\": [%zu, %zu]", first++ ? ", " : "", #field, \
				  offsetof(struct type, field), sizeof(((struct type *)0)->field))

/* {"header": {field: [offset, size]}, "record": {...}, "types": {name: value}, sizes, constants} */
static void print_layout(void)
{
	int first = 0;

	printf("{\"magic\": \"%s\", \"version\": %d, \"clock_monotonic\": %d,\n", VQS_PROBE_MAGIC,
	       VQS_PROBE_VERSION, VQS_PROBE_CLOCK_MONOTONIC);
	printf(" \"header_size\": %zu, \"record_size\": %zu,\n", sizeof(struct vqs_probe_header),
	       sizeof(struct vqs_probe_record));
	printf(" \"header\": {");
	FIELD(vqs_probe_header, magic);
	FIELD(vqs_probe_header, version);
	FIELD(vqs_probe_header, header_size);
	FIELD(vqs_probe_header, clock_id);
	FIELD(vqs_probe_header, record_size);
	FIELD(vqs_probe_header, start_monotonic_ns);
	FIELD(vqs_probe_header, start_realtime_ns);
	FIELD(vqs_probe_header, target_tgid);
	FIELD(vqs_probe_header, nr_cpus);
	FIELD(vqs_probe_header, attached_mask);
	FIELD(vqs_probe_header, kernel_release);
	printf("},\n \"record\": {");
	first = 0;
	FIELD(vqs_probe_record, timestamp_ns);
	FIELD(vqs_probe_record, type);
	FIELD(vqs_probe_record, cpu);
	FIELD(vqs_probe_record, pid);
	FIELD(vqs_probe_record, tgid);
	FIELD(vqs_probe_record, raw);
	printf("},\n \"types\": {");
	first = 0;
	for (unsigned int type = 0; type <= VQS_REC_END; type++)
		if (vqs_rec_type_name(type))
			printf("%s\"%s\": %u", first++ ? ", " : "", vqs_rec_type_name(type), type);
	printf("}}\n");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: probe_stream_fixtures DIR | --layout\n");
		return 2;
	}
	if (strcmp(argv[1], "--layout") == 0)
		print_layout();
	else
		write_cases(argv[1]);
	return 0;
}
