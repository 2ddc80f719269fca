// SPDX-License-Identifier: GPL-2.0-or-later
/* The clock offset from KVM's tsc-offset and clock pairs (see tsc.h). */
#include "tsc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Strips the line end in place; true when nothing but blanks is left. */
static bool blank_line(char *line)
{
    line[strcspn(line, "\r\n")] = '\0';
    return line[strspn(line, " \t")] == '\0';
}

/* "KEY VALUE" with VALUE a whole decimal integer; false if the line is not that. */
static bool key_value(const char *line, char *key, size_t key_size, const char **value)
{
    size_t length;

    line += strspn(line, " \t");
    length = strcspn(line, " \t");
    if (length == 0 || length >= key_size) {
        return false;
    }
    memcpy(key, line, length);
    key[length] = '\0';
    *value = line + length + strspn(line + length, " \t");
    return true;
}

/* After strtoll() or strtoull() from TEXT to END, errno cleared before: a number, then only blanks. */
static bool number_then_blanks(const char *text, const char *end)
{
    return end != text && errno == 0 && end[strspn(end, " \t")] == '\0';
}

static bool parse_signed(const char *text, int64_t *value)
{
    char *end;

    errno = 0;
    *value = strtoll(text, &end, 10);
    return number_then_blanks(text, end);
}

static bool parse_unsigned(const char *text, uint64_t *value)
{
    char *end;

    errno = 0;
    *value = strtoull(text, &end, 10);
    return *text != '-' && number_then_blanks(text, end);
}

vq_status vq_tsc_read_offset_stream(FILE *stream, const char *name, vq_tsc_files *files, vq_error *error)
{
    char *line = NULL;
    size_t capacity = 0, line_number = 0;
    bool has_ratio = false, has_frac_bits = false;
    vq_status status = VQ_ERR_FORMAT;

    while (getline(&line, &capacity, stream) >= 0) {
        char key[32];
        const char *value;
        uint64_t number;

        line_number++;
        if (blank_line(line)) {
            continue;
        }
        if (!key_value(line, key, sizeof(key), &value)) {
            vq_error_set(error, "%s:%zu: expected 'tsc_offset N', 'tsc_scaling_ratio N', 'tsc_scaling_frac_bits N' or "
                         "'vcpu_tsc_offset K N'; found '%.120s'", name, line_number, line);
            goto end;
        }
        if (strcmp(key, "tsc_offset") == 0) {
            if (!parse_signed(value, &files->tsc_offset)) {
                vq_error_set(error, "%s:%zu: expected a signed integer after tsc_offset; found '%.120s'", name,
                             line_number, line);
                goto end;
            }
            files->has_offset = true;
        } else if (strcmp(key, "tsc_scaling_ratio") == 0) {
            if (!parse_unsigned(value, &number) || number == 0) {
                vq_error_set(error, "%s:%zu: expected a positive integer after tsc_scaling_ratio; found '%.120s'",
                             name, line_number, line);
                goto end;
            }
            files->scaling_ratio = number;
            has_ratio = true;
        } else if (strcmp(key, "tsc_scaling_frac_bits") == 0) {
            if (!parse_unsigned(value, &number) || number == 0 || number > 63) {
                vq_error_set(error, "%s:%zu: expected 1..63 after tsc_scaling_frac_bits; found '%.120s'", name,
                             line_number, line);
                goto end;
            }
            files->scaling_frac_bits = (unsigned)number;
            has_frac_bits = true;
        } else if (strcmp(key, "vcpu_tsc_offset") == 0) {
            char *after;
            unsigned long vcpu;

            errno = 0;
            vcpu = strtoul(value, &after, 10);
            if (after == value || *value == '-' || errno || vcpu >= VQ_GUEST_MAX_CPUS ||
                (*after != ' ' && *after != '\t') ||
                !parse_signed(after + strspn(after, " \t"), &files->vcpu_offset[vcpu])) {
                vq_error_set(error, "%s:%zu: expected 'vcpu_tsc_offset K N' (vCPU K < %d, N a signed integer); found "
                             "'%.120s'", name, line_number, VQ_GUEST_MAX_CPUS, line);
                goto end;
            }
            files->vcpu_has[vcpu] = true;
        } else {
            vq_error_set(error, "%s:%zu: expected tsc_offset, tsc_scaling_ratio, tsc_scaling_frac_bits or "
                         "vcpu_tsc_offset; found key '%s'", name, line_number, key);
            goto end;
        }
    }
    if (ferror(stream)) {
        vq_error_set(error, "%s: read error after line %zu", name, line_number);
        status = VQ_ERR_IO;
        goto end;
    }
    /* KVM's debugfs has both files or neither: a ratio alone cannot be applied. */
    if (has_ratio != has_frac_bits) {
        vq_error_set(error, "%s: %s without %s; expected both (KVM reports the ratio with its fractional bits)",
                     name, has_ratio ? "tsc_scaling_ratio" : "tsc_scaling_frac_bits",
                     has_ratio ? "tsc_scaling_frac_bits" : "tsc_scaling_ratio");
        goto end;
    }
    if (!files->has_offset) {
        vq_error_set(error, "%s: no tsc_offset line; expected 'tsc_offset N'", name);
        goto end;
    }
    status = VQ_OK;
end:
    free(line);
    return status;
}

vq_status vq_tsc_read_host_clock_stream(FILE *stream, const char *name, vq_tsc_files *files, vq_error *error)
{
    char *line = NULL;
    size_t capacity = 0, line_number = 0;
    vq_status status = VQ_ERR_FORMAT;

    while (getline(&line, &capacity, stream) >= 0) {
        vq_clock_pair pair;

        line_number++;
        if (blank_line(line)) {
            continue;
        }
        if (strncmp(line, "clock-pair:", 11) == 0) {
            /* The tool ran and failed (its stderr goes to the same file): a recorded fact, not damage. */
            if (!files->host_failure[0]) {
                snprintf(files->host_failure, sizeof(files->host_failure), "%s:%zu: %.80s", name, line_number, line);
            }
            continue;
        }
        if (!vq_clock_pair_parse(line, &pair)) {
            vq_error_set(error, "%s:%zu: expected a clock-pair line 'LABEL tsc=N mono_ns=N bracket=N'; found '%.120s'",
                         name, line_number, line);
            goto end;
        }
        files->host[files->host_count ? 1 : 0] = pair;
        files->host_count++;
    }
    if (ferror(stream)) {
        vq_error_set(error, "%s: read error after line %zu", name, line_number);
        status = VQ_ERR_IO;
        goto end;
    }
    status = VQ_OK;
end:
    free(line);
    return status;
}

/* Opens DIRECTORY/NAME; *STREAM NULL (and VQ_OK) when it does not exist. */
static vq_status open_in(const char *directory, const char *name, FILE **stream, char *path, size_t path_size,
                         vq_error *error)
{
    snprintf(path, path_size, "%s/%s", directory, name);
    *stream = fopen(path, "r");
    if (!*stream && errno != ENOENT) {
        vq_error_set(error, "%s: cannot open (%s)", path, strerror(errno));
        return VQ_ERR_IO;
    }
    return VQ_OK;
}

vq_status vq_tsc_read(const char *directory, vq_tsc_files *files, vq_error *error)
{
    char path[4096];
    FILE *stream = NULL;
    vq_status status;

    *files = (vq_tsc_files){ 0 };
    status = open_in(directory, "tsc-offset.txt", &stream, path, sizeof(path), error);
    if (status != VQ_OK || !stream) {
        goto end;
    }
    status = vq_tsc_read_offset_stream(stream, path, files, error);
    fclose(stream);
    stream = NULL;
    if (status != VQ_OK) {
        goto end;
    }
    status = open_in(directory, "host-clock.txt", &stream, path, sizeof(path), error);
    if (status != VQ_OK || !stream) {
        goto end;
    }
    status = vq_tsc_read_host_clock_stream(stream, path, files, error);
end:
    if (stream) {
        fclose(stream);
    }
    return status;
}

static bool scaled(const vq_tsc_files *files)
{
    return files->scaling_ratio && files->scaling_frac_bits &&
           files->scaling_ratio != (uint64_t)1 << files->scaling_frac_bits;
}

bool vq_tsc_predict(const vq_tsc_files *files, const vq_clock_pair *guest, size_t guest_count, vq_tsc_check *check)
{
    const vq_clock_pair *h = files->host;
    /* guest cycles per host cycle: ratio / 2^frac_bits (1 without scaling) */
    long double guest_per_host = scaled(files) ? (long double)files->scaling_ratio /
                                                 (long double)((uint64_t)1 << files->scaling_frac_bits) : 1.0L;
    long double per_ns, host_bracket = 0, guest_bracket = 0;
    const vq_clock_pair *used[2];
    size_t i;

    *check = (vq_tsc_check){ .tsc_offset = files->tsc_offset, .scaling_ratio = files->scaling_ratio,
                             .scaling_frac_bits = files->scaling_frac_bits };
    if (!files->has_offset) {
        snprintf(check->why, sizeof(check->why), "no KVM tsc-offset");
        goto end;
    }
    if (files->host_count == 0 || guest_count == 0) {
        snprintf(check->why, sizeof(check->why), "tsc-offset.txt is there but %s has no clock pair%s%s",
                 files->host_count == 0 ? "host-clock.txt" : "the guest trace header",
                 files->host_count == 0 && files->host_failure[0] ? ": " : "",
                 files->host_count == 0 ? files->host_failure : "");
        goto end;
    }
    used[0] = &guest[0];
    used[1] = &guest[guest_count - 1];
    if (files->host_count >= 2 && h[1].mono_ns > h[0].mono_ns && h[1].tsc > h[0].tsc) {
        per_ns = (long double)(h[1].tsc - h[0].tsc) / (long double)(h[1].mono_ns - h[0].mono_ns);
    } else if (guest_count >= 2 && used[1]->mono_ns > used[0]->mono_ns && used[1]->tsc > used[0]->tsc) {
        per_ns = (long double)(used[1]->tsc - used[0]->tsc) / (long double)(used[1]->mono_ns - used[0]->mono_ns) /
                 guest_per_host;
    } else {
        snprintf(check->why, sizeof(check->why), "two clock pairs of one side are needed to measure the TSC rate");
        goto end;
    }
    check->cycles_per_ns = (double)per_ns;
    check->predictions = guest_count >= 2 ? 2 : 1;
    for (i = 0; i < check->predictions; i++) {
        /* guest TSC = host TSC * ratio / 2^frac_bits + offset: back to the host's TSC, then to its clock */
        long double host_tsc = ((long double)used[i]->tsc - (long double)files->tsc_offset) / guest_per_host;
        long double host_ns = (long double)h[0].mono_ns + (host_tsc - (long double)h[0].tsc) / per_ns;
        long double offset = host_ns - (long double)used[i]->mono_ns;

        check->predicted_guest_ns[i] = used[i]->mono_ns;
        check->predicted[i] = (int64_t)(offset < 0 ? offset - 0.5L : offset + 0.5L);
        if ((long double)used[i]->bracket > guest_bracket) {
            guest_bracket = (long double)used[i]->bracket;
        }
    }
    for (i = 0; i < files->host_count && i < 2; i++) {
        if ((long double)h[i].bracket > host_bracket) {
            host_bracket = (long double)h[i].bracket;
        }
    }
    /* Half brackets, in ns of each side's TSC rate (rounded up: an error bound). */
    check->read_uncertainty_ns = (int64_t)(host_bracket / 2 / per_ns + 0.999L) +
                                 (int64_t)(guest_bracket / 2 / (per_ns * guest_per_host) + 0.999L);
    check->error_ns = (check->predictions == 2 ? llabs(check->predicted[1] - check->predicted[0]) : 0) / 2 +
                      check->read_uncertainty_ns;
    check->present = true;
end:
    return check->present;
}

void vq_tsc_check_vcpus(const vq_tsc_files *files, const vq_clock_pair *pairs, size_t count, vq_tsc_check *check)
{
    bool seen[VQ_GUEST_MAX_CPUS] = { false };
    int64_t offset_min = 0, offset_max = 0, predicted_min = 0, predicted_max = 0;
    size_t offsets = 0, i;

    check->vcpus = 0;
    check->vcpu_offset_spread = 0;
    check->vcpu_prediction_spread_ns = 0;
    for (i = 0; i < VQ_GUEST_MAX_CPUS; i++) {
        if (files->vcpu_has[i]) {
            offset_min = offsets == 0 || files->vcpu_offset[i] < offset_min ? files->vcpu_offset[i] : offset_min;
            offset_max = offsets == 0 || files->vcpu_offset[i] > offset_max ? files->vcpu_offset[i] : offset_max;
            offsets++;
        }
    }
    check->vcpu_offset_spread = offset_max - offset_min;
    for (i = 0; i < count; i++) {
        vq_tsc_files own = *files;
        vq_tsc_check one;
        int cpu = pairs[i].cpu;

        if (cpu < 0 || cpu >= VQ_GUEST_MAX_CPUS || seen[cpu] || !files->vcpu_has[cpu]) {
            continue;
        }
        seen[cpu] = true;
        own.tsc_offset = files->vcpu_offset[cpu];
        if (!vq_tsc_predict(&own, &pairs[i], 1, &one)) {
            continue;
        }
        predicted_min = check->vcpus == 0 || one.predicted[0] < predicted_min ? one.predicted[0] : predicted_min;
        predicted_max = check->vcpus == 0 || one.predicted[0] > predicted_max ? one.predicted[0] : predicted_max;
        check->vcpus++;
    }
    check->vcpu_prediction_spread_ns = predicted_max - predicted_min;
}
