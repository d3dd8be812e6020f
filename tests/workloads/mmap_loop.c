// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mmap_loop N: N times map 5 pages read-only, then unmap them. Prints every
 * address the kernel returned and every munmap result, in order, so the test
 * can check that vmatrace saw each call with the right return value.
 * The 5-page length marks these calls among the C library's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "checkpoint.h"

#define LEN (5 * 4096)

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	void **addrs = calloc(n, sizeof(*addrs));
	int *rets = calloc(n, sizeof(*rets));

	if (!addrs || !rets)
		return 1;
	checkpoint();
	for (long i = 0; i < n; i++) {
		addrs[i] = mmap(NULL, LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (addrs[i] == MAP_FAILED)
			return 1;
		if (i == n / 2)
			checkpoint();
		rets[i] = munmap(addrs[i], LEN);
	}
	checkpoint();
	for (long i = 0; i < n; i++)
		printf("mmap %p\nmunmap %d\n", addrs[i], rets[i]);
	checkpoint_report(stdout);
	return 0;
}
