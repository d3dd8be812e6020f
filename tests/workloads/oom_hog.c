// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Scenario 2 (the OOM killer kills MySQL): allocate 1 MiB at a time and touch
 * every page, until the kernel kills us. Run it inside a memory cgroup with
 * a small limit; it never stops by itself before MAX_MB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MB 4096

int main(void)
{
	for (int i = 0; i < MAX_MB; i++) {
		char *p = malloc(1 << 20);

		if (!p)
			return 1;
		memset(p, 1, 1 << 20);
	}
	fprintf(stderr, "oom_hog: allocated %d MiB and was not killed\n", MAX_MB);
	return 2;
}
