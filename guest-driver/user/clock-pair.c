// SPDX-License-Identifier: GPL-2.0
/*
 * clock-pair: prints one (TSC, CLOCK_MONOTONIC) pair of this machine, for the TSC cross-check of the
 * analyzer's clock alignment. Run in the guest and on the host that runs it (in the lab: in L1); with
 * KVM's tsc-offset of the guest (debugfs) the pairs predict the guest-to-host clock offset.
 *
 *   clock-pair [--cpu N] [LABEL [SAMPLES]]
 *
 * Prints "LABEL tsc=<cycles> mono_ns=<ns> bracket=<cycles>": of SAMPLES (default 2000) readings
 * rdtsc; clock_gettime(CLOCK_MONOTONIC); rdtsc, the one with the narrowest bracket, its TSC taken at
 * the middle of the bracket. With --cpu N the readings are taken on CPU N only (the process is pinned
 * there first; under KVM each vCPU has its own tsc-offset) and the line ends with " cpu=N". Exit status
 * 1 if the clock cannot be read or the CPU cannot be used, 2 for wrong arguments.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t tsc_now(void)
{
	_mm_lfence();
	return __rdtsc();
}

int main(int argc, char **argv)
{
	const char *label;
	char *end = NULL;
	long samples, cpu = -1;
	uint64_t best_tsc = 0, best_ns = 0, best_bracket = UINT64_MAX;

	if (argc > 1 && strcmp(argv[1], "--cpu") == 0) {
		cpu = argc > 2 ? strtol(argv[2], &end, 10) : -1;
		if (argc <= 2 || end == argv[2] || *end || cpu < 0 || cpu >= CPU_SETSIZE) {
			fprintf(stderr, "clock-pair: --cpu needs a CPU number 0..%d, not '%s'\n", CPU_SETSIZE - 1,
				argc > 2 ? argv[2] : "");
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	label = argc > 1 ? argv[1] : "pair";
	samples = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
	if (samples < 1 || samples > 10000000) {
		fprintf(stderr, "clock-pair: SAMPLES must be 1..10000000, not '%s'\n", argv[2]);
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "clock-pair: cannot run on CPU %ld: %s\n", cpu, strerror(errno));
			return 1;
		}
	}
	for (long i = 0; i < samples; i++) {
		struct timespec now;
		uint64_t before = tsc_now(), after;

		if (clock_gettime(CLOCK_MONOTONIC, &now)) {
			perror("clock-pair: clock_gettime(CLOCK_MONOTONIC)");
			return 1;
		}
		after = tsc_now();
		if (after >= before && after - before < best_bracket) {
			best_bracket = after - before;
			best_tsc = before + best_bracket / 2;
			best_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
		}
	}
	if (best_bracket == UINT64_MAX) {
		fprintf(stderr, "clock-pair: the TSC never advanced across clock_gettime\n");
		return 1;
	}
	printf("%s tsc=%llu mono_ns=%llu bracket=%llu", label, (unsigned long long)best_tsc,
	       (unsigned long long)best_ns, (unsigned long long)best_bracket);
	if (cpu >= 0)
		printf(" cpu=%ld", cpu);
	printf("\n");
	return 0;
}
