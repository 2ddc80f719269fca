// SPDX-License-Identifier: GPL-2.0-or-later
/* The header lines of a guest trace (guest_header.h). */
#include "guest_header.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool vq_clock_pair_parse(const char *text, vq_clock_pair *pair)
{
    unsigned long long tsc, mono, bracket = 0;
    const char *cpu_at;
    int consumed = 0, cpu = -1;

    text += strspn(text, " \t");
    if (sscanf(text, "%15s tsc=%llu mono_ns=%llu%n", pair->label, &tsc, &mono, &consumed) != 3 || consumed == 0) {
        return false;
    }
    if (sscanf(text + consumed, " bracket=%llu", &bracket) != 1) {
        bracket = 0;
    }
    cpu_at = strstr(text + consumed, " cpu=");
    if (cpu_at && (sscanf(cpu_at, " cpu=%d", &cpu) != 1 || cpu < 0)) {
        return false;
    }
    pair->tsc = tsc;
    pair->mono_ns = mono;
    pair->bracket = bracket;
    pair->cpu = cpu;
    return true;
}

/* "# ab-disk: LABEL NAME PCIADDR" (after the tag). */
static vq_status parse_ab_disk(const char *text, vq_guest_ab_disk *disk, const char **why)
{
    char label[4];

    if (sscanf(text, " %3s %31s %15s", label, disk->name, disk->pci) != 3 || strlen(label) != 1 ||
        (label[0] != 'A' && label[0] != 'B')) {
        *why = "expected '# ab-disk: LABEL NAME PCIADDR' with LABEL A or B";
        return VQ_ERR_FORMAT;
    }
    disk->label = label[0];
    return VQ_OK;
}

bool vq_cpu_list_parse(const char *text, uint32_t queue, uint32_t *queue_of)
{
    while (*text) {
        char *end;
        unsigned long first = strtoul(text, &end, 10), last;

        if (end == text || !isdigit((unsigned char)*text)) {
            return false;
        }
        last = first;
        if (*end == '-') {
            text = end + 1;
            last = strtoul(text, &end, 10);
            if (end == text || !isdigit((unsigned char)*text)) {
                return false;
            }
        }
        if (last < first || last >= VQ_GUEST_MAX_CPUS || (*end != ',' && *end != '\0') ||
            (*end == ',' && end[1] == '\0')) {
            return false;
        }
        for (; first <= last; first++) {
            queue_of[first] = queue;
        }
        text = *end == ',' ? end + 1 : end;
    }
    return true;
}

/* "TAG ..." at the start of LINE: where its text begins, else NULL. */
static const char *after_tag(const char *line, const char *tag)
{
    size_t length = strlen(tag);

    return strncmp(line, tag, length) == 0 ? line + length : NULL;
}

/* Nothing but the line's end after TEXT + CONSUMED. */
static bool ends_at(const char *text, int consumed)
{
    return text[consumed] == '\n' || text[consumed] == '\0';
}

void vq_guest_header_init(vq_guest_header *header)
{
    size_t q;

    *header = (vq_guest_header){ 0 };
    for (q = 0; q < VQ_GUEST_MAX_QUEUES; q++) {
        header->queue_completed[q] = -1;
    }
}

vq_status vq_guest_header_take(vq_guest_header *header, const char *line, char *why, size_t why_size)
{
    const char *text, *static_why = NULL;
    char disk[32], list[256];
    unsigned queue;
    long long count;
    int consumed = 0;

    if ((text = after_tag(line, "# events:"))) {
        char name[sizeof(header->events_file)];

        if (sscanf(text, " %63s%n", name, &consumed) != 1 || !ends_at(text, consumed) || strchr(name, '/') ||
            name[0] == '.' || header->events_file[0]) {
            snprintf(why, why_size, "expected one '# events: FILE' line, FILE a name in the session directory "
                     "(up to %zu characters)", sizeof(header->events_file) - 1);
            return VQ_ERR_FORMAT;
        }
        strcpy(header->events_file, name);
    } else if ((text = after_tag(line, "# ab-disk:"))) {
        vq_guest_ab_disk ab;

        if (parse_ab_disk(text, &ab, &static_why) != VQ_OK || header->ab_disk_count == VQ_GUEST_MAX_AB_DISKS) {
            snprintf(why, why_size, "%s", static_why ? static_why
                     : "more than two '# ab-disk:' lines (an A/B session has disks A and B)");
            return VQ_ERR_FORMAT;
        }
        header->ab_disks[header->ab_disk_count++] = ab;
    } else if ((text = after_tag(line, "# queue-completed:"))) {
        if (sscanf(text, " %31s %u %lld%n", disk, &queue, &count, &consumed) != 3 || !ends_at(text, consumed) ||
            queue >= VQ_GUEST_MAX_QUEUES || count < 0) {
            snprintf(why, why_size, "expected '# queue-completed: DISK N COUNT' (N < %d, COUNT >= 0)",
                     VQ_GUEST_MAX_QUEUES);
            return VQ_ERR_FORMAT;
        }
        header->queue_completed[queue] = count;
        if (queue + 1 > header->queue_count) {
            header->queue_count = queue + 1;
        }
    } else if ((text = after_tag(line, "# queue-cpus:"))) {
        if (sscanf(text, " %31s %u %255s%n", disk, &queue, list, &consumed) != 3 || !ends_at(text, consumed) ||
            queue >= VQ_GUEST_MAX_QUEUES || !vq_cpu_list_parse(list, queue, header->cpu_queue)) {
            snprintf(why, why_size, "expected '# queue-cpus: DISK N CPULIST' (N < %d, CPUs < %d as '0,2-3')",
                     VQ_GUEST_MAX_QUEUES, VQ_GUEST_MAX_CPUS);
            return VQ_ERR_FORMAT;
        }
    } else if ((text = after_tag(line, "# clock-pair:"))) {
        vq_clock_pair pair;

        /* a pair the guest could not take ("clock-pair: ...") is skipped */
        if (vq_clock_pair_parse(text, &pair)) {
            if (pair.cpu <= 0 && header->pair_count < VQ_GUEST_MAX_CLOCK_PAIRS) {
                header->pairs[header->pair_count++] = pair;
            }
            if (pair.cpu >= 0 && header->cpu_pair_count < VQ_GUEST_MAX_CPU_PAIRS) {
                header->cpu_pairs[header->cpu_pair_count++] = pair;
            }
        }
    }
    return VQ_OK;
}
