/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every libFuzzer target here shares: libFuzzer's entry points declared (-Wmissing-prototypes),
 * the sink the reporters write to (/dev/null: what is printed does not matter, that it can be printed
 * does), and the input as a read-only FILE (NULL for an empty input, which fmemopen refuses).
 */
#ifndef VQSCOPE_FUZZ_INPUT_H
#define VQSCOPE_FUZZ_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

static inline FILE *fuzz_input(const uint8_t *data, size_t size)
{
    if (!sink && !(sink = fopen("/dev/null", "w"))) {
        abort();
    }
    return size ? fmemopen((void *)data, size, "rb") : NULL;
}

#endif
