// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * vqscope-probe-dump: prints a vqscope probe stream (vqscope_probe.h) one line per record, then a summary.
 * Exit 0 for a valid stream (complete or not: a stream without its end record is reported in the summary
 * as "end record: missing" and exits 0 unless --require-end), 1 for a malformed one, 2 for usage errors.
 * Malformed input is reported with the file, the byte offset and what was expected, after the records
 * that could be read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vqscope_probe.h"

#define PROG_NAME "vqscope-probe-dump"
#define NR_TYPES 64


struct summary {
	uint64_t records;
	uint64_t per_type[NR_TYPES];
	uint64_t unknown_types;
	uint64_t drops_total; /* sum of the last DROPS record of each CPU */
	uint64_t *drops_by_cpu;
	bool end_seen;
	bool records_after_end;
	struct vqs_probe_record end;
};

static void print_record(const struct vqs_probe_record *r, uint64_t start_ns)
{
	const char *name = vqs_rec_type_name(r->type) ? vqs_rec_type_name(r->type) : "unknown";
	int64_t rel = (int64_t)(r->timestamp_ns - start_ns);

	printf("%" PRIu64 " %+.6f cpu=%u pid=%u tgid=%u %s", r->timestamp_ns, rel / 1e9, r->cpu, r->pid, r->tgid, name);
	switch (r->type) {
	case VQS_REC_KVM_EXIT:
		printf(" reason=0x%x isa=%u vcpu=%d error_code=0x%x info1=0x%" PRIx64 " info2=0x%" PRIx64
		       " rip=0x%" PRIx64, r->kvm_exit.reason, r->kvm_exit.isa, (int)r->kvm_exit.vcpu_id,
		       r->kvm_exit.error_code, r->kvm_exit.info1, r->kvm_exit.info2, r->kvm_exit.guest_rip);
		break;
	case VQS_REC_KVM_ENTRY:
		printf(" vcpu=%u rip=0x%" PRIx64, r->kvm_entry.vcpu_id, r->kvm_entry.rip);
		break;
	case VQS_REC_KVM_USERSPACE_EXIT:
		printf(" reason=%u error=%d", r->kvm_userspace_exit.reason, r->kvm_userspace_exit.error);
		break;
	case VQS_REC_KVM_MMIO:
		printf(" type=%u len=%u gpa=0x%" PRIx64 " val=0x%" PRIx64, r->kvm_mmio.type, r->kvm_mmio.len,
		       r->kvm_mmio.gpa, r->kvm_mmio.val);
		break;
	case VQS_REC_KVM_PAGE_FAULT:
		printf(" vcpu=%d gpa=0x%" PRIx64 " error_code=0x%" PRIx64, (int)r->kvm_page_fault.vcpu_id,
		       r->kvm_page_fault.gpa, r->kvm_page_fault.error_code);
		break;
	case VQS_REC_KVM_MSI_SET_IRQ:
		printf(" address=0x%" PRIx64 " data=0x%" PRIx64, r->kvm_msi_set_irq.address, r->kvm_msi_set_irq.data);
		break;
	case VQS_REC_KVM_SET_IRQ:
		printf(" gsi=%u level=%d source=%d", r->kvm_set_irq.gsi, r->kvm_set_irq.level,
		       r->kvm_set_irq.irq_source_id);
		break;
	case VQS_REC_KVM_APIC_ACCEPT_IRQ:
		printf(" apicid=%u dm=%u tm=%u vector=%u", r->kvm_apic_accept_irq.apicid,
		       r->kvm_apic_accept_irq.delivery_mode, r->kvm_apic_accept_irq.trigger_mode,
		       r->kvm_apic_accept_irq.vector);
		break;
	case VQS_REC_KVM_INJ_VIRQ:
		printf(" vector=%u soft=%u reinjected=%u", r->kvm_inj_virq.vector, r->kvm_inj_virq.soft,
		       r->kvm_inj_virq.reinjected);
		break;
	case VQS_REC_IOEVENTFD_WRITE:
		printf(" gpa=0x%" PRIx64 " len=%u device=0x%" PRIx64, r->ioeventfd_write.gpa, r->ioeventfd_write.len,
		       r->ioeventfd_write.device);
		break;
	case VQS_REC_IRQFD_WAKEUP:
	case VQS_REC_IRQFD_INJECT:
		printf(" irqfd=0x%" PRIx64 " gsi=%u flags=0x%x", r->irqfd.irqfd, r->irqfd.gsi, r->irqfd.flags);
		break;
	case VQS_REC_SCHED_WAKEUP:
		printf(" woken_pid=%u woken_tgid=%u target_cpu=%u", r->sched_wakeup.woken_pid,
		       r->sched_wakeup.woken_tgid, r->sched_wakeup.target_cpu);
		break;
	case VQS_REC_SCHED_SWITCH:
		printf(" prev_pid=%u prev_tgid=%u prev_state=0x%" PRIx64 " next_pid=%u next_tgid=%u",
		       r->sched_switch.prev_pid, r->sched_switch.prev_tgid, r->sched_switch.prev_state,
		       r->sched_switch.next_pid, r->sched_switch.next_tgid);
		break;
	case VQS_REC_DROPS:
		printf(" total=%" PRIu64 " since_last=%" PRIu64, r->drops.drops_total, r->drops.drops_since_last);
		break;
	case VQS_REC_END:
		printf(" records=%" PRIu64 " drops=%" PRIu64 " stop_reason=%u", r->end.records, r->end.drops_total,
		       r->end.stop_reason);
		break;
	default:
		printf(" type=%u", r->type);
		break;
	}
	putchar('\n');
}

static void print_summary(const char *path, const struct summary *s, const struct vqs_probe_header *h)
{
	printf("summary: %s: %" PRIu64 " records\n", path, s->records);
	for (unsigned int t = 0; t < NR_TYPES; t++) {
		if (s->per_type[t] || (t < VQS_REC_NR_EVENTS && vqs_rec_type_name(t) && (h->attached_mask >> t & 1)))
			printf("summary: count %s %" PRIu64 "%s\n", vqs_rec_type_name(t) ? vqs_rec_type_name(t) : "unknown",
			       s->per_type[t],
			       t < VQS_REC_NR_EVENTS && !(h->attached_mask >> t & 1) ? " (not attached)" : "");
	}
	for (unsigned int t = 1; t < VQS_REC_NR_EVENTS; t++)
		if (vqs_rec_type_name(t) && !(h->attached_mask >> t & 1))
			printf("summary: not attached %s\n", vqs_rec_type_name(t));
	if (s->unknown_types)
		printf("summary: records of unknown types %" PRIu64 "\n", s->unknown_types);
	printf("summary: drops %" PRIu64 "\n", s->drops_total);
	printf("summary: end record: %s\n", s->end_seen ? "present" : "missing (stream cut short)");
	if (s->end_seen && s->end.end.records + 1 != s->records)
		printf("summary: warning: end record says %" PRIu64 " records before it, file has %" PRIu64 "\n",
		       s->end.end.records, s->records - 1);
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: " PROG_NAME " [--summary] [--require-end] FILE\n"
"Prints a vqscope probe stream: the header, one line per record, a summary (counts per type, drops,\n"
"whether the end record is present). Exit 1 on malformed input (the error names the byte offset).\n"
"  -s, --summary      header and summary only\n"
"  -e, --require-end  a stream without its end record is an error\n"
"\n"
"EXAMPLES\n"
"  " PROG_NAME " host.vqsprobe | grep ioeventfd_write | head\n"
"  " PROG_NAME " --summary host.vqsprobe\n");
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "summary", no_argument, NULL, 's' },
		{ "require-end", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vqs_probe_header header = { 0 };
	struct vqs_probe_record record;
	struct summary summary = { 0 };
	bool summary_only = false, require_end = false, header_ok = false;
	unsigned char *extra = NULL;
	const char *path;
	uint64_t offset = 0;
	size_t n;
	FILE *in = NULL;
	int opt, err = 0;

	while ((opt = getopt_long(argc, argv, "seh", long_options, NULL)) != -1) {
		switch (opt) {
		case 's': summary_only = true; break;
		case 'e': require_end = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	path = argv[optind];
	in = fopen(path, "rb");
	if (!in) {
		fprintf(stderr, PROG_NAME ": %s: %s\n", path, strerror(errno));
		return 1;
	}

	/* Header: the fixed part first; a newer writer's longer header is skipped past header_size. */
	n = fread(&header, 1, sizeof(header), in);
	if (n < VQS_PROBE_MAGIC_LEN || memcmp(header.magic, VQS_PROBE_MAGIC, VQS_PROBE_MAGIC_LEN)) {
		fprintf(stderr, PROG_NAME ": %s: offset 0: expected magic \"" VQS_PROBE_MAGIC "\"%s\n", path,
			n < VQS_PROBE_MAGIC_LEN ? ", file too short" : ", found other bytes (not a vqscope probe stream)");
		err = 1;
		goto end;
	}
	if (n < 12 || header.version != VQS_PROBE_VERSION) {
		fprintf(stderr, PROG_NAME ": %s: offset 8: expected version %u, found %s%u\n", path, VQS_PROBE_VERSION,
			n < 12 ? "end of file " : "", n < 12 ? 0 : header.version);
		err = 1;
		goto end;
	}
	if (n < sizeof(header)) {
		fprintf(stderr, PROG_NAME ": %s: offset %zu: truncated header: expected %zu header bytes, file has %zu\n",
			path, n, sizeof(header), n);
		err = 1;
		goto end;
	}
	if (header.header_size < sizeof(header) || header.header_size > 65536) {
		fprintf(stderr, PROG_NAME ": %s: offset 12: expected header size >= %zu (and sane), found %u\n", path,
			sizeof(header), header.header_size);
		err = 1;
		goto end;
	}
	if (header.record_size != sizeof(record)) {
		fprintf(stderr, PROG_NAME ": %s: offset 20: expected record size %zu for version %u, found %u\n", path,
			sizeof(record), VQS_PROBE_VERSION, header.record_size);
		err = 1;
		goto end;
	}
	if (header.clock_id != VQS_PROBE_CLOCK_MONOTONIC) {
		fprintf(stderr, PROG_NAME ": %s: offset 16: expected clock id %u (CLOCK_MONOTONIC), found %u\n", path,
			VQS_PROBE_CLOCK_MONOTONIC, header.clock_id);
		err = 1;
		goto end;
	}
	offset = sizeof(header);
	if (header.header_size > sizeof(header)) {
		size_t skip = header.header_size - sizeof(header);

		extra = malloc(skip);
		if (!extra || fread(extra, 1, skip, in) != skip) {
			fprintf(stderr, PROG_NAME ": %s: offset %" PRIu64 ": truncated header: expected %u header bytes\n",
				path, offset, header.header_size);
			err = 1;
			goto end;
		}
		offset = header.header_size;
	}
	header_ok = true;
	header.kernel_release[VQS_PROBE_RELEASE_LEN - 1] = '\0';
	printf("header: version=%u header_size=%u record_size=%u clock=monotonic start_ns=%" PRIu64
	       " start_realtime_ns=%" PRIu64 " target_tgid=%u nr_cpus=%u attached_mask=0x%" PRIx64 " kernel=%s\n",
	       header.version, header.header_size, header.record_size, header.start_monotonic_ns,
	       header.start_realtime_ns, header.target_tgid, header.nr_cpus, header.attached_mask,
	       header.kernel_release);
	summary.drops_by_cpu = calloc(header.nr_cpus ? header.nr_cpus : 1, sizeof(uint64_t));
	if (!summary.drops_by_cpu) {
		fprintf(stderr, PROG_NAME ": out of memory\n");
		err = 1;
		goto end;
	}

	while ((n = fread(&record, 1, sizeof(record), in)) == sizeof(record)) {
		if (summary.end_seen)
			summary.records_after_end = true;
		summary.records++;
		if (vqs_rec_type_name(record.type))
			summary.per_type[record.type]++;
		else
			summary.unknown_types++;
		if (record.type == VQS_REC_DROPS) {
			if (record.cpu >= header.nr_cpus) {
				fprintf(stderr, PROG_NAME ": %s: offset %" PRIu64 ": drops record for cpu %u, expected < %u\n",
					path, offset, record.cpu, header.nr_cpus);
				err = 1;
				goto end;
			}
			summary.drops_by_cpu[record.cpu] = record.drops.drops_total;
		}
		if (record.type == VQS_REC_END) {
			summary.end_seen = true;
			summary.end = record;
		}
		if (!summary_only)
			print_record(&record, header.start_monotonic_ns);
		offset += sizeof(record);
	}
	if (ferror(in)) {
		fprintf(stderr, PROG_NAME ": %s: offset %" PRIu64 ": read error: %s\n", path, offset, strerror(errno));
		err = 1;
	} else if (n) {
		fprintf(stderr, PROG_NAME ": %s: offset %" PRIu64 ": truncated record: expected %zu bytes, found %zu\n",
			path, offset, sizeof(record), n);
		err = 1;
	}
	for (unsigned int cpu = 0; cpu < header.nr_cpus; cpu++)
		summary.drops_total += summary.drops_by_cpu[cpu];
	if (summary.records_after_end) {
		fprintf(stderr, PROG_NAME ": %s: records after the end record (two streams concatenated?)\n", path);
		err = 1;
	}
	if (require_end && !summary.end_seen && !err) {
		fprintf(stderr, PROG_NAME ": %s: offset %" PRIu64 ": expected an end record, found end of file\n", path,
			offset);
		err = 1;
	}

end:
	if (header_ok)
		print_summary(path, &summary, &header);
	free(summary.drops_by_cpu);
	free(extra);
	if (in)
		fclose(in);
	return err;
}
