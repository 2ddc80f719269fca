/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VM exit reason names (pure): the exit table's labels. */
#ifndef VQSCOPE_ANALYSIS_EXIT_REASON_H
#define VQSCOPE_ANALYSIS_EXIT_REASON_H

#include <stddef.h>
#include <stdint.h>

/* "NPF", "EXTERNAL_INTERRUPT"... or NULL when unknown (pure). isa: 1 VMX, 2 SVM (kvm_exit's). */
const char *vq_exit_reason_name(uint32_t isa, uint32_t reason);

#endif
