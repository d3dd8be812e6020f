// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A fork whose child lacks some of its parent's regions (MADV_DONTFORK: the model follows
 * them from the madvise calls), and a child that the model must then read from the kernel:
 * it makes a call the model cannot follow (a failed move to a fixed address: the model
 * reads the kernel after any, as kernels before 6.x unmap the target before they check). `dontfork [UID [PIDFILE]]`: runs as UID (when started as root), writes the
 * child's pid to PIDFILE, and the child stops itself (SIGSTOP) until the test has compared
 * the daemon's snapshot of it with /proc; both exit when it is continued.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const long page = sysconf(_SC_PAGESIZE);
	/* Opened before giving up root: the test's directory is root's. */
	FILE *pidfile = argc > 2 ? fopen(argv[2], "w") : NULL;
	char *base;
	pid_t child;
	int st;

	if (argc > 2 && !pidfile)
		return 1;
	if (argc > 1) {
		uid_t uid = (uid_t)atoi(argv[1]);

		if (setgid(uid) || setuid(uid)) {
			perror("setuid");
			return 1;
		}
	}
	/* 32 separate regions (alternating protections keep them from merging). */
	base = mmap(NULL, 64 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return 1;
	for (int i = 0; i < 32; i++)
		mprotect(base + 2 * i * page, page, PROT_READ | PROT_WRITE);
	for (int i = 0; i < 8; i++)
		madvise(base + 8 * i * page, page, MADV_DONTFORK);
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		char *src = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		/* Onto itself: EINVAL, and the model cannot tell what a failed fixed move left. */
		if (src == MAP_FAILED ||
		    mremap(src, 2 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED, src + page) !=
			    MAP_FAILED)
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	if (pidfile) {
		fprintf(pidfile, "%d\n", (int)child);
		fclose(pidfile);
	}
	return waitpid(child, &st, 0) == child && WIFEXITED(st) ? 0 : 1;
}
