// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mapfile PATH: maps the file at PATH (any name, a newline in it too), says
 * "mapfile mapped", and stops itself (SIGSTOP) so that a test can compare the
 * daemon's snapshot with /proc/PID/maps while nothing moves.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd = argc > 1 ? open(argv[1], O_RDONLY | O_CLOEXEC) : -1;
	void *p;

	if (fd < 0)
		return 2;
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	printf("mapfile mapped\n");
	fflush(stdout);
	raise(SIGSTOP);
	return 0;
}
