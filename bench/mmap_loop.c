// SPDX-License-Identifier: GPL-2.0
/*
 * mmap_loop: map a 4 KiB anonymous page, touch it, unmap it, N times, and
 * print the cost of one iteration. Only the loop is timed, so process start-up
 * and a tracer's attach time are not part of the figure.
 *
 * usage: mmap_loop [-n ITERATIONS] [--wait-start]
 *
 * --wait-start blocks SIGUSR1 first thing and then waits for it, so that a
 * tracer can attach to the pid (vmatrace trace -p PID) before the loop runs.
 * The signal is blocked before anything else, so one sent early is kept
 * pending rather than killing the process; the "waiting for SIGUSR1" line on
 * stderr tells a script (bench/run.sh) when it is safe to attach and signal.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE_BYTES 4096
#define DEFAULT_ITERATIONS 1000000UL

static void usage(FILE *f)
{
	fprintf(f, "usage: mmap_loop [-n ITERATIONS] [--wait-start]\n"
		   "Time N iterations of mmap(4 KiB, anonymous, read/write), touch, munmap\n"
		   "and print ns_per_iter=X (default N = %lu).\n"
		   "  -n, --iterations N   iterations of the loop\n"
		   "      --wait-start     wait for SIGUSR1 before the loop (to attach a tracer)\n",
		DEFAULT_ITERATIONS);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "wait-start", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long iterations = DEFAULT_ITERATIONS;
	int wait_start = 0, opt;
	sigset_t usr1;
	double start, elapsed;
	char *end;

	/* Before anything else: an early SIGUSR1 must stay pending, not kill us. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	while ((opt = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			errno = 0;
			iterations = strtoul(optarg, &end, 10);
			if (errno || *end || iterations == 0 || optarg[0] == '-') {
				fprintf(stderr, "mmap_loop: bad iteration count '%s'\n", optarg);
				return 2;
			}
			break;
		case 'w':
			wait_start = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	if (wait_start) {
		int sig;

		/* bench/run.sh waits for this line before it attaches and signals. */
		fprintf(stderr, "mmap_loop: pid %d waiting for SIGUSR1\n", (int)getpid());
		if (sigwait(&usr1, &sig)) {
			fprintf(stderr, "mmap_loop: sigwait failed\n");
			return 1;
		}
	}

	start = now_ns();
	for (unsigned long i = 0; i < iterations; i++) {
		volatile char *p = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			fprintf(stderr, "mmap_loop: mmap failed at iteration %lu: %s\n", i,
				strerror(errno));
			return 1;
		}
		p[0] = 1; /* fault the page in, as a real allocation would */
		if (munmap((void *)p, PAGE_BYTES)) {
			fprintf(stderr, "mmap_loop: munmap failed at iteration %lu: %s\n", i,
				strerror(errno));
			return 1;
		}
	}
	elapsed = now_ns() - start;

	printf("ns_per_iter=%.1f\n", elapsed / iterations);
	return 0;
}
