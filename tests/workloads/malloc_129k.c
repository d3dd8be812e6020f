// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Scenario 1, the contrast: the same loop with glibc malloc of 129 KiB blocks
 * does not exhaust VMAs. Blocks above the mmap threshold are mmapped (and the
 * kernel merges adjacent ones into one VMA) until glibc has M_MMAP_MAX mmapped
 * chunks (65536 by default); past that the heap grows by brk instead. Here
 * M_MMAP_MAX is set to MMAP_MAX so that the switch comes after fewer blocks.
 * malloc_129k [N]: N blocks (default 4000), then free them all.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "checkpoint.h"

#define SIZE (129 * 1024)
#define MMAP_MAX 1000

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 4000;
	char **v = calloc(n, sizeof(*v));

	if (!v)
		return 1;
	mallopt(M_MMAP_MAX, MMAP_MAX);
	for (long i = 0; i < n; i++) {
		v[i] = malloc(SIZE);
		if (!v[i])
			return 1;
		v[i][0] = 1;
	}
	checkpoint();
	for (long i = 0; i < n; i++)
		free(v[i]);
	checkpoint();
	printf("blocks=%ld mmap_max=%d\n", n, MMAP_MAX);
	checkpoint_report(stdout);
	return 0;
}
