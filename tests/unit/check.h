/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The C unit tests' one assertion: CHECK(condition) counts, and prints FILE:LINE and the condition of
 * each that fails; check_summary(NAME) prints the result line and gives the exit status.
 */
#ifndef VQSCOPE_TESTS_CHECK_H
#define VQSCOPE_TESTS_CHECK_H

#include <stdio.h>

static int checks, failures;

#define CHECK(condition)                                                                  \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(condition)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)

/* A repeatable pseudo-random sequence for the tests that draw their input (xorshift64; STATE not 0). */
static inline unsigned long long check_random(unsigned long long *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static inline int check_summary(const char *name)
{
    if (failures) {
        fprintf(stderr, "%s: %d of %d checks failed\n", name, failures, checks);
        return 1;
    }
    printf("%s: all %d checks passed\n", name, checks);
    return 0;
}

#endif
