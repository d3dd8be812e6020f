// SPDX-License-Identifier: GPL-2.0
/*
 * vma_hold: build a process with N more VMAs and keep it alive, so that the
 * daemon's memory per tracked VMA can be measured.
 *
 * usage: vma_hold [-n VMAS] [-t MAX_SECONDS]
 *
 * Maps 2N pages in one call (one VMA), then unmaps every other page: each
 * munmap splits a VMA, so the count grows by one per call (the pattern of
 * scenario 1). Pages are never touched, so the process itself stays small.
 * Prints "vma_hold: pid P holds V vmas" on stdout once done (V is
 * mm->map_count as /proc/self/maps shows it, less the [vsyscall] line), then
 * sleeps until SIGTERM arrives or MAX_SECONDS (default 300) pass. The caller
 * needs vm.max_map_count above N plus the process's own few dozen VMAs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_BYTES 4096UL

static long count_vmas(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	long n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strstr(line, "[vsyscall]"))
			n++;
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vmas", required_argument, NULL, 'n' },
		{ "max-seconds", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long vmas = 100000, max_s = 300;
	char *base, *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:t:h", longopts, NULL)) != -1) {
		unsigned long *v = opt == 'n' ? &vmas : &max_s;

		switch (opt) {
		case 'n':
		case 't':
			errno = 0;
			*v = strtoul(optarg, &end, 10);
			if (errno || *end || *v == 0 || optarg[0] == '-') {
				fprintf(stderr, "vma_hold: bad number '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			printf("usage: vma_hold [-n VMAS] [-t MAX_SECONDS]\n"
			       "Map 2N pages, unmap every other one (N more VMAs), print\n"
			       "'vma_hold: pid P holds V vmas' and sleep until SIGTERM or\n"
			       "MAX_SECONDS (default 300).\n");
			return 0;
		default:
			fprintf(stderr, "usage: vma_hold [-n VMAS] [-t MAX_SECONDS]\n");
			return 2;
		}
	}

	base = mmap(NULL, 2 * vmas * PAGE_BYTES, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		fprintf(stderr, "vma_hold: mmap of %lu pages: %s\n", 2 * vmas, strerror(errno));
		return 1;
	}
	/* Unmapping page 2i+1 leaves page 2i alone in its own VMA. */
	for (unsigned long i = 0; i + 1 < vmas; i++) {
		if (munmap(base + (2 * i + 1) * PAGE_BYTES, PAGE_BYTES)) {
			fprintf(stderr,
				"vma_hold: munmap %lu of %lu: %s (vm.max_map_count too low?)\n",
				i + 1, vmas - 1, strerror(errno));
			return 1;
		}
	}
	printf("vma_hold: pid %d holds %ld vmas\n", (int)getpid(), count_vmas());
	fflush(stdout);

	/* Bounded: a caller that dies without killing us does not leave us behind for long. */
	for (unsigned long waited = 0; waited < max_s; waited++)
		sleep(1);
	return 0;
}
