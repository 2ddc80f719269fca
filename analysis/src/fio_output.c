// SPDX-License-Identifier: GPL-2.0-or-later
/* fio's normal output: issued I/Os and mean total latency (fio_output.h). */
#include "fio_output.h"

#include <errno.h>
#include <inttypes.h>
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

vq_status vq_fio_output_read(const char *path, int64_t *ios, int64_t *mean_ns, vq_error *error)
{
    FILE *stream = fopen(path, "r");
    char *line = NULL;
    size_t capacity = 0, line_number = 0;
    double means[3] = { 0 }, weighted = 0;  /* this job's read, write, trim lat means (ns) */
    int direction = -1;                     /* the section being read: 0 read, 1 write, 2 trim */
    bool seen[3] = { false };
    uint64_t total = 0;
    vq_status status = VQ_OK;

    *ios = -1;
    *mean_ns = -1;
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
        if (strncmp(text, "read:", 5) == 0 || strncmp(text, "write:", 6) == 0 || strncmp(text, "trim:", 5) == 0) {
            direction = text[0] == 'r' ? 0 : text[0] == 'w' ? 1 : 2;
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
        vq_error_set(error, "%s: no 'issued rwts: total=' line with I/Os: not fio's normal output of a finished job",
                     path);
        status = VQ_ERR_FORMAT;
        goto end;
    }
    *ios = (int64_t)total;
    *mean_ns = (int64_t)(weighted / (double)total + 0.5);
end:
    free(line);
    fclose(stream);
    return status;
}
