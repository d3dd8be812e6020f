// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Scenario 1, the contrast: the same loop with glibc malloc of 129 KiB blocks
 * does not exhaust VMAs: glibc's mmap threshold rises after the first free
 * and the heap grows by brk instead. Prints the number of blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"

#define SIZE (129 * 1024)

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 4000;
	char **v = calloc(n, sizeof(*v));

	if (!v)
		return 1;
	/* One block freed first: glibc raises its mmap threshold above 129 KiB. */
	free(malloc(SIZE));
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
	printf("blocks=%ld\n", n);
	checkpoint_report(stdout);
	return 0;
}
