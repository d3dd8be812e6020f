// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A thread deep in recursion (Debian's default flags): DEPTH frames of about
 * 1 KiB each, then an mmap at the bottom. Its stack is far deeper than a
 * stack window, so the frames must stop cleanly where the window ends, and
 * say so.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEPTH 200

static volatile unsigned long sink;

__attribute__((noinline)) static void deep_recurse(int depth)
{
	volatile char pad[1000];

	pad[0] = (char)depth;
	if (depth) {
		deep_recurse(depth - 1);
	} else {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			abort();
		munmap(p, 4096);
	}
	sink += pad[0];
}

static void *thread_main(void *arg)
{
	(void)arg;
	deep_recurse(DEPTH);
	return NULL;
}

int main(void)
{
	pthread_t t;

	usleep(300000); /* the tracer attaches by pid first */
	if (pthread_create(&t, NULL, thread_main, NULL))
		return 1;
	pthread_join(t, NULL);
	printf("deep done\n");
	return 0;
}
