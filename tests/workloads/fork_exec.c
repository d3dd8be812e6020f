// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fork_exec: the parent maps 11 pages; a child maps 13 pages and then
 * re-executes this program as "fork_exec exec", which maps 17 pages. Prints
 * "parent=P child=C". Each length marks who made the call.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void mark(int pages)
{
	void *p = mmap(NULL, pages * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, pages * 4096);
}

int main(int argc, char **argv)
{
	pid_t child;
	int status;

	if (argc > 1 && !strcmp(argv[1], "exec")) {
		mark(17);
		return 0;
	}
	mark(11);
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		mark(13);
		execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
		_exit(127);
	}
	printf("parent=%d child=%d\n", (int)getpid(), (int)child);
	fflush(stdout);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	return 0;
}
