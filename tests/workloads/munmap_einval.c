// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Failed calls that are not ENOMEM: munmap of an address that is not
 * page-aligned fails with EINVAL (a bug in the caller, not a full address
 * space). Every errno must be counted and exported, not only the one that
 * alerts. Prints what failed, for the test to compare.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 3, einval = 0, other = 0;
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		if (munmap(p + 1, 4096) == 0)
			return 1; /* the kernel accepted an unaligned address: nothing to test */
		if (errno == EINVAL)
			einval++;
		else
			other++;
	}
	printf("munmap_einval=%ld munmap_other=%ld\n", einval, other);
	return 0;
}
