// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Scenario 2 (the OOM killer kills MySQL): allocate 1 MiB at a time and touch
 * every page, until the kernel kills us. Run it inside a memory cgroup with
 * a small limit; it never stops by itself before MAX_MB. The first argument,
 * in milliseconds, paces it: a pause after each MiB (5 ms in a 64 MiB cgroup:
 * killed after about 0.3 s). The second is how many threads allocate (1): a
 * database's threads go on allocating while the kernel kills their process.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_MB 4096
#define MAX_THREADS 64

static long pause_ms;

static void *hog(void *arg)
{
	struct timespec pause = { .tv_sec = pause_ms / 1000, .tv_nsec = pause_ms % 1000 * 1000000 };

	(void)arg;
	for (int i = 0; i < MAX_MB; i++) {
		char *p = malloc(1 << 20);

		if (!p)
			exit(1);
		memset(p, 1, 1 << 20);
		if (pause_ms)
			nanosleep(&pause, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 2 ? atoi(argv[2]) : 1;
	pthread_t t[MAX_THREADS];

	pause_ms = argc > 1 ? atol(argv[1]) : 0;
	if (threads < 1 || threads > MAX_THREADS)
		threads = 1;
	for (int i = 1; i < threads; i++)
		if (pthread_create(&t[i], NULL, hog, NULL))
			return 1;
	hog(NULL);
	fprintf(stderr, "oom_hog: allocated %d MiB and was not killed\n", MAX_MB);
	return 2;
}
