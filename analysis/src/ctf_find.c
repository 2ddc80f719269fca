// SPDX-License-Identifier: GPL-2.0-or-later
/* Finding the CTF traces under a session directory (see ctf_find.h). */
#define _GNU_SOURCE /* asprintf */
#include "ctf_find.h"

#include "containers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* LTTng nests traces as DIR/ust/uid/<uid>/<bits>/ or DIR/ust/pid/<name-pid-date>/, DIR/kernel/. */
#define TRACE_SEARCH_DEPTH 8

void vq_ctf_trace_list_clear(vq_ctf_trace_list *list)
{
    size_t i;

    for (i = 0; i < list->count; i++) {
        free(list->paths[i]);
    }
    free(list->paths);
    *list = (vq_ctf_trace_list){ NULL, 0, 0 };
}

static vq_status find_traces(const char *directory, int depth, vq_ctf_trace_list *found)
{
    vq_status status = VQ_OK;
    DIR *stream = opendir(directory);
    struct dirent *entry;
    char *child = NULL;

    if (!stream) {
        goto end;
    }
    while ((entry = readdir(stream)) != NULL) {
        struct stat info;

        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        free(child);
        if (asprintf(&child, "%s/%s", directory, entry->d_name) < 0) {
            child = NULL;
            status = VQ_ERR_NOMEM;
            goto end;
        }
        if (lstat(child, &info) != 0) {
            continue;
        }
        if (S_ISREG(info.st_mode) && strcmp(entry->d_name, "metadata") == 0) {
            char **slot = VQ_PUSH(found->paths, found->count, found->capacity);

            if (!slot || !(*slot = strdup(directory))) {
                if (slot) {
                    found->count--;
                }
                status = VQ_ERR_NOMEM;
                goto end;
            }
        } else if (S_ISDIR(info.st_mode) && depth < TRACE_SEARCH_DEPTH) {
            status = find_traces(child, depth + 1, found);
            if (status != VQ_OK) {
                goto end;
            }
        }
    }
end:
    free(child);
    if (stream) {
        closedir(stream);
    }
    return status;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

vq_status vq_ctf_find_traces(const char *directory, vq_ctf_trace_list *found)
{
    vq_status status = find_traces(directory, 0, found);

    if (status == VQ_OK && found->count > 1) {
        qsort(found->paths, found->count, sizeof(*found->paths), compare_paths);
    }
    return status;
}
