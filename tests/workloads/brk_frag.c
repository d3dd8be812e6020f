// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Scenario 4 (freed memory never goes back to the OS): many small malloc
 * blocks grow the heap with brk; freeing all but the topmost one returns
 * nothing (one live chunk at the top pins the heap); freeing that last one
 * lets glibc trim the heap. Prints the break at each phase. With VMATRACE_HOLD_MS the
 * last block stays: the heap holds at its high-water mark that long, to the exit.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "checkpoint.h"

#define BLOCKS 4096
#define SIZE 4000 /* below the mmap threshold: served from the brk heap */

int main(void)
{
	static char *blocks[BLOCKS];
	void *start = sbrk(0), *peak, *after_free, *after_last;

	for (int i = 0; i < BLOCKS; i++) {
		blocks[i] = malloc(SIZE);
		if (!blocks[i])
			return 1;
		blocks[i][0] = 1;
	}
	peak = sbrk(0);
	checkpoint();
	for (int i = 0; i < BLOCKS - 1; i++)
		free(blocks[i]);
	after_free = sbrk(0);
	checkpoint();
	if (getenv("VMATRACE_HOLD_MS")) {
		/* The service runs on, its heap pinned at the high-water mark, to its exit. */
		workload_hold();
		after_last = sbrk(0);
	} else {
		free(blocks[BLOCKS - 1]);
		malloc_trim(0);
		after_last = sbrk(0);
	}
	checkpoint();
	printf("start=%p peak=%p after_free=%p after_last=%p\n", start, peak, after_free,
	       after_last);
	checkpoint_report(stdout);
	return 0;
}
