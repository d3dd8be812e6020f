// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Two known call sites in two threads, built with Debian's default flags
 * (dpkg-buildflags: -O2, no frame pointers), like most of Debian:
 *   alpha_maps():  maps ALPHA_N separate anonymous regions (+1 VMA each, kept apart
 *                  by PROT_NONE guards so the kernel cannot merge them);
 *   beta_splits(): maps one region and unmaps every other page of it
 *                  (+1 VMA per munmap after the first).
 * Each alpha mmap merges with the previous region and its mprotect splits it in three, so
 * alpha makes 2 VMAs per round (about 600) and beta 1 per munmap (about 100).
 * argv[1] (optional): seconds to stay alive afterwards (default 0: exit at once).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALPHA_N 300
#define BETA_N 100
#define PAGE 4096

static volatile unsigned long sink;

__attribute__((noinline)) static void *alpha_maps(void *arg)
{
	(void)arg;
	for (int i = 0; i < ALPHA_N; i++) {
		/* A region and a guard after it: the guard keeps the next region apart. */
		char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			abort();
		if (mprotect(p + PAGE, PAGE, PROT_NONE))
			abort();
		sink += (unsigned long)p;
	}
	return NULL;
}

__attribute__((noinline)) static void *beta_splits(void *arg)
{
	char *p = mmap(NULL, 2 * BETA_N * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	(void)arg;
	if (p == MAP_FAILED)
		abort();
	for (int i = 0; i < BETA_N; i++)
		if (munmap(p + (2 * i + 1) * PAGE, PAGE))
			abort();
	sink += (unsigned long)p;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t a, b;

	/* Wait for the tracer: it attaches to this pid before the threads start. */
	usleep(300000);
	/* Both threads at once (VMATRACE_SEQUENTIAL=1: one after the other). */
	if (!getenv("VMATRACE_SEQUENTIAL")) {
		if (pthread_create(&a, NULL, alpha_maps, NULL) ||
		    pthread_create(&b, NULL, beta_splits, NULL))
			return 1;
		pthread_join(a, NULL);
		pthread_join(b, NULL);
	} else if (pthread_create(&a, NULL, alpha_maps, NULL) || pthread_join(a, NULL) ||
		   pthread_create(&b, NULL, beta_splits, NULL) || pthread_join(b, NULL)) {
		return 1;
	}
	printf("done alpha=%d beta=%d\n", ALPHA_N, BETA_N);
	fflush(stdout);
	if (argc > 1)
		sleep(atoi(argv[1]));
	return 0;
}
