// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * brk_cycle: move the heap break up and down with the raw syscall (glibc's
 * sbrk caches the break) and print every value the kernel returned, in order.
 */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "checkpoint.h"

static unsigned long raw_brk(unsigned long addr)
{
	return syscall(SYS_brk, addr);
}

int main(void)
{
	static const long steps[] = { 132 << 10,    4096,    1 << 20,	 -(1 << 20),  64 << 10,
				      -(132 << 10), 3 << 20, -(3 << 20), -(64 << 10), -4096 };
	static unsigned long seen[64];
	unsigned long cur = raw_brk(0);
	int n = 0;

	seen[n++] = cur;
	for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		cur = raw_brk(cur + steps[i]);
		seen[n++] = cur;
		if (i == 2)
			checkpoint();
	}
	checkpoint();
	for (int i = 0; i < n; i++)
		printf("brk %#lx\n", seen[i]);
	checkpoint_report(stdout);
	return 0;
}
