// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * storm N [UID]: an alert storm from one user. Becomes UID (when given, run
 * as root), then forks N children, each of which makes one mmap that fails
 * with ENOMEM (longer than the address space) and exits: N processes, one
 * failure each, so that only a limit per user (not per process) holds it.
 * Prints "storm uid=U children=N failed=F" at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* 256 TiB: more than a 4-level x86_64 address space holds, so the kernel says ENOMEM. */
#define TOO_LONG (1ull << 48)

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000, failed = 0;

	if (argc > 2) {
		uid_t uid = (uid_t)atol(argv[2]);

		if (setgid(uid) || setuid(uid)) {
			perror("storm: setuid");
			return 1;
		}
	}
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		int st;

		if (pid < 0) {
			perror("storm: fork");
			return 1;
		}
		if (pid == 0) {
			void *p =
				mmap(NULL, TOO_LONG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			_exit(p == MAP_FAILED && errno == ENOMEM ? 0 : 1);
		}
		if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			failed++;
	}
	printf("storm uid=%ld children=%ld failed=%ld\n", (long)getuid(), n, failed);
	return failed == n ? 0 : 1;
}
