// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * named NAME [SECONDS]: names itself NAME with prctl(PR_SET_NAME) (any bytes,
 * as a process may), then maps and unmaps a page and makes one mprotect that
 * fails with ENOMEM (a range with nothing mapped), so that its name reaches a
 * trace line, the model, an alert and the journal. Waits 0.3 s first (for a
 * tracer attaching by pid) and SECONDS (default 0) after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *p;

	if (argc < 2 || prctl(PR_SET_NAME, argv[1], 0, 0, 0))
		return 2;
	usleep(300000);
	p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	munmap(p, 3 * 4096);
	/* Nothing is mapped there now: ENOMEM. */
	if (mprotect(p, 4096, PROT_READ) == 0)
		return 1;
	printf("named done\n");
	fflush(stdout);
	if (argc > 2)
		sleep(atoi(argv[2]));
	return 0;
}
