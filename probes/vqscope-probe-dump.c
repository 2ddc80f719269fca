// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * vqscope-probe-dump: prints a vqscope probe stream (probes/FORMAT.md) one line per record, then a summary.
 *
 * The stream is read by the analyzer's reader (analysis/src/probe.c, linked in: one reader, one set of
 * rules and messages for every tool); this file only prints. Exit 0 for a valid stream, complete or cut
 * short (no end record, or a partial last record: the reader's warning goes to stderr and the summary
 * says "end record: missing"; --require-end makes that exit 1), 1 for a malformed or unreadable one,
 * 2 for usage errors. Malformed input is reported with the file, the byte offset and the field, after
 * the records that could be read.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include "probe.h" /* analysis/src */
#include "vqscope_probe.h"

#define PROG_NAME "vqscope-probe-dump"
#define NR_TYPES (VQS_REC_END + 1)

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
		if (r->sched_switch.prev_runtime_ns || r->sched_switch.next_runtime_ns)
			printf(" prev_runtime_ns=%" PRIu64 " next_runtime_ns=%" PRIu64, r->sched_switch.prev_runtime_ns,
			       r->sched_switch.next_runtime_ns);
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

static void print_header(const vq_probe_header_info *h)
{
	printf("header: version=%u header_size=%u record_size=%u clock=monotonic start_ns=%" PRIu64
	       " start_realtime_ns=%" PRIu64 " target_tgid=%u nr_cpus=%u attached_mask=0x%" PRIx64 " kernel=%s\n",
	       h->version, h->header_size, h->record_size, h->start_monotonic_ns, h->start_realtime_ns,
	       h->target_tgid, h->nr_cpus, h->attached_mask, h->kernel_release);
}

/* PER_TYPE: records of each known type. COMPLETE: the whole stream was read (no error). */
static void print_summary(const char *path, const uint64_t *per_type, const vq_probe_header_info *h,
			  const vq_probe_counts *counts, bool complete)
{
	printf("summary: %s: %" PRIu64 " records\n", path, counts->records);
	for (unsigned int t = 0; t < NR_TYPES; t++) {
		if (per_type[t] || (t < VQS_REC_NR_EVENTS && vqs_rec_type_name(t) && (h->attached_mask >> t & 1)))
			printf("summary: count %s %" PRIu64 "%s\n", vqs_rec_type_name(t), per_type[t],
			       t < VQS_REC_NR_EVENTS && !(h->attached_mask >> t & 1) ? " (not attached)" : "");
	}
	for (unsigned int t = 1; t < VQS_REC_NR_EVENTS; t++)
		if (vqs_rec_type_name(t) && !(h->attached_mask >> t & 1))
			printf("summary: not attached %s\n", vqs_rec_type_name(t));
	if (counts->unknown_records)
		printf("summary: records of unknown types %" PRIu64 "\n", counts->unknown_records);
	printf("summary: drops %" PRIu64 "\n", counts->drops_total);
	printf("summary: end record: %s\n", counts->end_seen ? "present" : "missing (stream cut short)");
	if (complete && counts->end_seen && counts->end_records + 1 != counts->records)
		printf("summary: warning: end record says %" PRIu64 " records before it, file has %" PRIu64 "\n",
		       counts->end_records, counts->records - 1);
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: " PROG_NAME " [--summary] [--require-end] FILE\n"
"Prints a vqscope probe stream (.vqp, format: probes/FORMAT.md): the header, one line per record, a\n"
"summary (counts per type, drops, whether the end record is present). Exit 1 on malformed input (the\n"
"error names the byte offset and the field); a stream cut short is only a warning.\n"
"  -s, --summary      header and summary only\n"
"  -e, --require-end  a stream without its end record is an error\n"
"\n"
"EXAMPLES\n"
"  " PROG_NAME " host-probe.vqp | grep ioeventfd_write | head\n"
"  " PROG_NAME " --summary --require-end session/host-probe.vqp\n");
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "summary", no_argument, NULL, 's' },
		{ "require-end", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const vq_probe_header_info *header;
	struct vqs_probe_record record;
	uint64_t per_type[NR_TYPES] = { 0 };
	bool summary_only = false, require_end = false;
	vq_probe_counts counts;
	vq_probe *reader = NULL;
	vq_status status;
	vq_error error;
	const char *path;
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

	status = vq_probe_open(path, &reader, &error);
	if (status != VQ_OK) {
		fprintf(stderr, PROG_NAME ": %s\n", error.message);
		err = 1;
		goto cleanup;
	}
	header = vq_probe_header(reader);
	print_header(header);
	while ((status = vq_probe_next_record(reader, &record, &error)) == VQ_OK) {
		/* vqs_rec_type_name() knows no type >= NR_TYPES; the reader counts the unknown ones. */
		if (vqs_rec_type_name(record.type))
			per_type[record.type]++;
		if (!summary_only)
			print_record(&record, header->start_monotonic_ns);
	}
	counts = vq_probe_get_counts(reader);
	fflush(stdout); /* the records read come before what stopped the reading, also in a shared log */
	if (status != VQ_END) {
		fprintf(stderr, PROG_NAME ": %s\n", error.message);
		err = 1;
	} else if (vq_probe_warning(reader)[0]) {
		fprintf(stderr, PROG_NAME ": warning: %s\n", vq_probe_warning(reader));
	}
	if (status == VQ_END && require_end && !counts.end_seen) {
		fprintf(stderr, PROG_NAME ": %s: offset %" PRIu64 ": expected an END record (--require-end), found "
			"the end of the file\n", path, vq_probe_record_offset(reader));
		err = 1;
	}
	print_summary(path, per_type, header, &counts, status == VQ_END);

cleanup:
	vq_probe_close(reader);
	return err;
}
