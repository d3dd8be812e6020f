// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * threads T M: T threads each map and unmap M times a region whose length
 * identifies the thread ((index + 7) pages). Prints "thread I tid=N len=L".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct worker {
	pthread_t th;
	int index;
	long iters;
	pid_t tid;
	int errors;
};

static pthread_barrier_t start;

static void *work(void *arg)
{
	struct worker *w = arg;
	size_t len = (size_t)(w->index + 7) * 4096;

	w->tid = syscall(SYS_gettid);
	pthread_barrier_wait(&start);
	for (long i = 0; i < w->iters; i++) {
		void *p =
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || munmap(p, len))
			w->errors++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int t = argc > 1 ? atoi(argv[1]) : 4;
	long m = argc > 2 ? atol(argv[2]) : 200;
	struct worker *w = calloc(t, sizeof(*w));
	int errors = 0;

	if (!w || t < 1)
		return 1;
	pthread_barrier_init(&start, NULL, t);
	for (int i = 0; i < t; i++) {
		w[i].index = i;
		w[i].iters = m;
		if (pthread_create(&w[i].th, NULL, work, &w[i]))
			return 1;
	}
	for (int i = 0; i < t; i++) {
		pthread_join(w[i].th, NULL);
		errors += w[i].errors;
		printf("thread %d tid=%d len=%d\n", i, (int)w[i].tid, (i + 7) * 4096);
	}
	return errors ? 1 : 0;
}
