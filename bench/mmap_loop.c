// SPDX-License-Identifier: GPL-2.0
/*
 * mmap_loop: map a 4 KiB anonymous page, touch it, unmap it, N times, and
 * print the cost of one iteration. Only the loop is timed, so process start-up
 * and a tracer's attach time are not part of the figure.
 *
 * usage: mmap_loop [-n ITERATIONS] [--hold-vmas N] [--wait-start]
 *
 * --hold-vmas, --wait-start: see loop_common.h.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "loop_common.h"

#define PAGE_BYTES 4096

int main(int argc, char **argv)
{
	struct loop_clock clock;
	int status;
	unsigned long iterations = loop_start(argc, argv, "mmap_loop",
					      "mmap(4 KiB, anonymous, read/write), touch, munmap",
					      &clock, &status);

	if (!iterations)
		return status;
	for (unsigned long i = 0; i < iterations; i++) {
		volatile char *p = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			fprintf(stderr, "mmap_loop: mmap failed at iteration %lu: %s\n", i,
				strerror(errno));
			return 1;
		}
		p[0] = 1; /* fault the page in, as a real allocation would */
		if (munmap((void *)p, PAGE_BYTES)) {
			fprintf(stderr, "mmap_loop: munmap failed at iteration %lu: %s\n", i,
				strerror(errno));
			return 1;
		}
		loop_clock_tick(&clock, i);
	}
	loop_clock_report(&clock, iterations);
	return 0;
}
