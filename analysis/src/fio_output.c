// SPDX-License-Identifier: GPL-2.0-or-later
/* fio's normal output: issued I/Os and mean total latency (fio_output.h). */
#include "fio_output.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

bool vq_fio_lat_line(const char *line, double *mean_ns)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = { { "nsec", 1 }, { "usec", 1e3 }, { "msec", 1e6 }, { "sec", 1e9 } };
    char unit[8];
    const char *avg;
    double value;
    size_t i;

    line += strspn(line, " \t");
    if (sscanf(line, "lat (%7[a-z]): min=", unit) != 1 || !(avg = strstr(line, " avg=")) ||
        sscanf(avg, " avg=%lf", &value) != 1) {
        return false;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(unit, units[i].unit) == 0) {
            *mean_ns = value * units[i].ns;
            return true;
        }
    }
    return false;
}

/* "IOPS=1234," or "IOPS=12.3k," in a direction's first line; false without one. */
static bool iops_of(const char *text, double *iops)
{
    const char *at = strstr(text, "IOPS=");
    char *end;

    if (!at) {
        return false;
    }
    errno = 0;
    *iops = strtod(at + 5, &end);
    if (errno || end == at + 5) {
        return false;
    }
    *iops *= *end == 'k' ? 1e3 : *end == 'M' ? 1e6 : 1;
    return true;
}

vq_status vq_fio_output_read(const char *path, char part, vq_fio_figures *figures, vq_error *error)
{
    double job_iops = 0, seconds = 0;       /* this job's IOPS (its directions'); all jobs' time */
    bool iops_known = true;
    char block_disk = 0;                    /* A/B: the disk of the block whose output is being read */
    FILE *stream = fopen(path, "r");
    char *line = NULL;
    size_t capacity = 0, line_number = 0;
    double means[3] = { 0 }, weighted = 0;  /* this job's read, write, trim lat means (ns) */
    int direction = -1;                     /* the section being read: 0 read, 1 write, 2 trim */
    bool seen[3] = { false };
    uint64_t total = 0;
    vq_status status = VQ_OK;

    *figures = (vq_fio_figures){ .ios = -1, .mean_ns = -1, .iops = NAN };
    if (!stream) {
        vq_error_set(error, "%s: cannot open: %s", path, strerror(errno));
        return VQ_ERR_IO;
    }
    while (getline(&line, &capacity, stream) >= 0) {
        const char *text = line + strspn(line, " \t");
        unsigned long long counts[3];
        double mean;
        int d;

        line_number++;
        if (strncmp(text, "vqscope-block ", 14) == 0) {
            const char *disk = strstr(text, " disk=");

            block_disk = disk ? disk[6] : '?';
            continue;
        }
        if (part && block_disk != part) {
            continue;   /* the other disk's block */
        }
        if (strncmp(text, "read:", 5) == 0 || strncmp(text, "write:", 6) == 0 || strncmp(text, "trim:", 5) == 0) {
            double iops;

            direction = text[0] == 'r' ? 0 : text[0] == 'w' ? 1 : 2;
            if (iops_of(text, &iops)) {
                job_iops += iops;
            }
        } else if (direction >= 0 && strncmp(text, "lat (", 5) == 0 && strstr(text, "min=")) {
            if (!vq_fio_lat_line(text, &mean)) {
                vq_error_set(error, "%s:%zu: expected 'lat (nsec|usec|msec): min=N, max=N, avg=N' in fio's output",
                             path, line_number);
                status = VQ_ERR_FORMAT;
                goto end;
            }
            means[direction] = mean;
            seen[direction] = true;
        } else if (strncmp(text, "issued rwts:", 12) == 0) {
            if (sscanf(text, "issued rwts: total=%llu,%llu,%llu", &counts[0], &counts[1], &counts[2]) != 3) {
                vq_error_set(error, "%s:%zu: expected 'issued rwts: total=R,W,T,S' in fio's output", path,
                             line_number);
                status = VQ_ERR_FORMAT;
                goto end;
            }
            if (job_iops > 0) {
                seconds += (double)(counts[0] + counts[1] + counts[2]) / job_iops;
            } else {
                iops_known = false;
            }
            job_iops = 0;
            for (d = 0; d < 3; d++) {
                if (counts[d] && !seen[d]) {
                    vq_error_set(error, "%s:%zu: fio issued %llu %s but its output has no 'lat (...)' line for "
                                 "them", path, line_number, counts[d], d == 0 ? "reads" : d == 1 ? "writes" : "trims");
                    status = VQ_ERR_FORMAT;
                    goto end;
                }
                weighted += means[d] * (double)counts[d];
                total += counts[d];
                seen[d] = false;
                means[d] = 0;
            }
            direction = -1;
        }
    }
    if (total == 0) {
        vq_error_set(error, part ? "%s: no 'issued rwts: total=' line with I/Os after a 'vqscope-block ... disk=%c' "
                     "line: no finished fio job of that disk" : "%s: no 'issued rwts: total=' line with I/Os: not "
                     "fio's normal output of a finished job", path, part);
        status = VQ_ERR_FORMAT;
        goto end;
    }
    figures->ios = (int64_t)total;
    figures->mean_ns = (int64_t)(weighted / (double)total + 0.5);
    figures->iops = iops_known && seconds > 0 ? (double)total / seconds : NAN;
end:
    free(line);
    fclose(stream);
    return status;
}
