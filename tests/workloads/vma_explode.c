// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Scenario 1 (MySQL + jemalloc, "munmap(): Cannot allocate memory"):
 * map 2 x vm.max_map_count single anonymous pages one by one (the kernel merges
 * them into a few VMAs), then unmap every other page. Each munmap splits a VMA,
 * the count climbs by one per call, and once it reaches vm.max_map_count even
 * munmap fails with ENOMEM. VMATRACE_HOLD_MS: stay at the limit that long before exiting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "checkpoint.h"

int main(void)
{
	long max = 65530, n, failed = 0, first_fail = -1;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	char **pages;

	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 65530;
		fclose(f);
	}
	n = 2 * max;
	pages = calloc(n, sizeof(*pages));
	if (!pages)
		return 1;
	for (long i = 0; i < n; i++) {
		pages[i] = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
				0);
		if (pages[i] == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
	}
	checkpoint();
	for (long i = 0; i < n; i += 2) {
		if (munmap(pages[i], 4096)) {
			if (errno != ENOMEM) {
				perror("munmap");
				return 1;
			}
			if (first_fail < 0)
				first_fail = i / 2;
			failed++;
		}
	}
	checkpoint();
	/* At the limit: a database that lives on there until it aborts. */
	workload_hold();
	printf("max_map_count=%ld munmaps=%ld munmap_enomem=%ld first_failure=%ld\n", max,
	       (n + 1) / 2, failed, first_fail);
	checkpoint_report(stdout);
	return 0;
}
