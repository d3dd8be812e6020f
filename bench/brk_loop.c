// SPDX-License-Identifier: GPL-2.0
/*
 * brk_loop: grow the heap break by 64 KiB, touch the new memory, shrink it
 * back, N times, and print the cost of one iteration. Only the loop is timed,
 * so process start-up and a tracer's attach time are not part of the figure.
 *
 * usage: brk_loop [-n ITERATIONS] [--wait-start]
 *
 * --wait-start: see loop_common.h.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop_common.h"

#define STEP_BYTES (64 * 1024)

int main(int argc, char **argv)
{
	struct loop_clock clock;
	int status;
	unsigned long iterations = loop_start(
		argc, argv, "brk_loop", "sbrk(+64 KiB), touch, sbrk(-64 KiB)", &clock, &status);

	if (!iterations)
		return status;
	for (unsigned long i = 0; i < iterations; i++) {
		volatile char *p = sbrk(STEP_BYTES);

		if (p == (void *)-1) {
			fprintf(stderr, "brk_loop: sbrk(+%d) failed at iteration %lu: %s\n",
				STEP_BYTES, i, strerror(errno));
			return 1;
		}
		p[0] = 1; /* fault a page in, so that the shrink has something to free */
		if (sbrk(-STEP_BYTES) == (void *)-1) {
			fprintf(stderr, "brk_loop: sbrk(-%d) failed at iteration %lu: %s\n",
				STEP_BYTES, i, strerror(errno));
			return 1;
		}
		loop_clock_tick(&clock, i);
	}
	loop_clock_report(&clock, iterations);
	return 0;
}
