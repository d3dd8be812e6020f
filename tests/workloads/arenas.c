// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Scenario 3 (where did 110 MiB of virtual memory come from?): worker
 * threads that each malloc make glibc create per-thread arenas, each a 64 MiB
 * PROT_NONE reservation (mapped as 128 MiB and trimmed), and every thread has
 * an 8 MiB stack. A 2 MiB region is mapped and immediately unmapped, the way
 * jemalloc did, so that only mmap + munmap together explain the address space.
 * Prints "threads=T", then waits on stdin if given "wait".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "checkpoint.h"

#define THREADS 3

static pthread_barrier_t done;
/* Published, so the compiler cannot drop the malloc/free pair. */
static char *volatile blocks[THREADS];

static void *worker(void *arg)
{
	char *p = malloc(1000);

	blocks[(long)arg] = p;
	if (p)
		memset(p, 0, 1000);
	/* Keep the arena busy until every thread allocated, so each gets its own. */
	pthread_barrier_wait(&done);
	pthread_barrier_wait(&done);
	free(p);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[THREADS];
	void *tmp;

	pthread_barrier_init(&done, NULL, THREADS + 1);
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(long)i))
			return 1;
	pthread_barrier_wait(&done);
	tmp = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (tmp != MAP_FAILED)
		munmap(tmp, 2 << 20);
	checkpoint();
	printf("threads=%d\n", THREADS);
	checkpoint_report(stdout);
	if (argc > 1 && !strcmp(argv[1], "wait")) {
		char c;

		if (read(0, &c, 1) < 0)
			return 1;
	}
	pthread_barrier_wait(&done);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	return 0;
}
