/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the CTF traces of a session directory are: LTTng nests them as DIR/ust/uid/<uid>/<bits>/,
 * DIR/ust/pid/<name-pid-date>/ or DIR/kernel/, and babeltrace2 2.0's source.ctf.fs does not search
 * subdirectories itself (its CLI does). Used by the CTF reader (ctf.c) to build its source's inputs.
 */
#ifndef VQSCOPE_ANALYSIS_CTF_FIND_H
#define VQSCOPE_ANALYSIS_CTF_FIND_H

#include "event.h"

#include <stddef.h>

typedef struct {
    char **paths;   /* sorted: the port order, hence the order of equal-timestamp events, does not depend on readdir */
    size_t count;
    size_t capacity;
} vq_ctf_trace_list;

/*
 * Collects DIRECTORY and its subdirectories (at most 8 deep, not following symbolic links) that hold a
 * regular file named "metadata". Unreadable subdirectories are skipped; only memory errors fail
 * (VQ_ERR_NOMEM). The caller frees the list with vq_ctf_trace_list_clear() in every case.
 */
vq_status vq_ctf_find_traces(const char *directory, vq_ctf_trace_list *found);
void vq_ctf_trace_list_clear(vq_ctf_trace_list *list);

#endif
