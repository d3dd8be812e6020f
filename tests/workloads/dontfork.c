// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A fork whose child's VMA count the model cannot know from the fork record: some regions
 * are MADV_DONTFORK, so the child lacks them and the model reads it from the kernel (a
 * resync). `dontfork [UID [PIDFILE]]`: runs as UID (when started as root), writes the
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
		raise(SIGSTOP);
		_exit(0);
	}
	if (pidfile) {
		fprintf(pidfile, "%d\n", (int)child);
		fclose(pidfile);
	}
	return waitpid(child, &st, 0) == child && WIFEXITED(st) ? 0 : 1;
}
