// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flood NPROC ITER: NPROC processes at once, each exec'd anew (so that the
 * exec's VMA records compete for the ring buffer too), each making ITER
 * rounds of mmap, mprotect of every other page and munmap, so that VMAs are
 * split, merged and removed. Each keeps a pattern of VMAs at the end and
 * stops itself (SIGSTOP); the parent waits until all are stopped, prints
 * "flood pid=P" for each and "flood ready", and waits for them to be killed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define PAGES 16

static int child(long iter, long seed)
{
	for (long i = 0; i < iter; i++) {
		char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 1;
		for (int k = (i + seed) % 2; k < PAGES; k += 2)
			mprotect(p + k * PAGE, PAGE, PROT_READ);
		/* One in eight stays: the address space grows and holds splits at the end. */
		if ((i + seed) % 8)
			munmap(p, PAGES * PAGE);
	}
	raise(SIGSTOP);
	return 0;
}

int main(int argc, char **argv)
{
	long nproc, iter;
	pid_t *pids;

	if (argc == 4 && !strcmp(argv[1], "--child"))
		return child(atol(argv[2]), atol(argv[3]));
	nproc = argc > 1 ? atol(argv[1]) : 8;
	iter = argc > 2 ? atol(argv[2]) : 2000;
	pids = calloc(nproc, sizeof(*pids));
	if (!pids)
		return 1;
	for (long i = 0; i < nproc; i++) {
		char it[32], seed[32];

		snprintf(it, sizeof(it), "%ld", iter);
		snprintf(seed, sizeof(seed), "%ld", i);
		pids[i] = fork();
		if (pids[i] < 0)
			return 1;
		if (pids[i] == 0) {
			execl("/proc/self/exe", argv[0], "--child", it, seed, (char *)NULL);
			_exit(127);
		}
	}
	for (long i = 0; i < nproc; i++) {
		int st;

		if (waitpid(pids[i], &st, WUNTRACED) != pids[i] || !WIFSTOPPED(st)) {
			fprintf(stderr, "flood: child %d did not stop\n", (int)pids[i]);
			return 1;
		}
		printf("flood pid=%d\n", (int)pids[i]);
	}
	printf("flood ready\n");
	fflush(stdout);
	for (long i = 0; i < nproc; i++)
		waitpid(pids[i], NULL, 0);
	return 0;
}
