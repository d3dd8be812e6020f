// SPDX-License-Identifier: GPL-2.0
/*
 * brk_loop: grow the heap break by 64 KiB, touch the new memory, shrink it
 * back, N times, and print the cost of one iteration. Only the loop is timed,
 * so process start-up and a tracer's attach time are not part of the figure.
 *
 * usage: brk_loop [-n ITERATIONS] [--wait-start]
 *
 * --wait-start works as in mmap_loop: SIGUSR1 is blocked first thing, and the
 * loop starts when it arrives, so that a tracer can attach to the pid first.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STEP_BYTES (64 * 1024)
#define DEFAULT_ITERATIONS 1000000UL

static void usage(FILE *f)
{
	fprintf(f, "usage: brk_loop [-n ITERATIONS] [--wait-start]\n"
		   "Time N iterations of sbrk(+64 KiB), touch, sbrk(-64 KiB)\n"
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
				fprintf(stderr, "brk_loop: bad iteration count '%s'\n", optarg);
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
		fprintf(stderr, "brk_loop: pid %d waiting for SIGUSR1\n", (int)getpid());
		if (sigwait(&usr1, &sig)) {
			fprintf(stderr, "brk_loop: sigwait failed\n");
			return 1;
		}
	}

	/*
	 * Nothing may call malloc inside the loop: the break is ours alone
	 * between the two sbrk calls, and stdio allocates only afterwards.
	 */
	start = now_ns();
	for (unsigned long i = 0; i < iterations; i++) {
		volatile char *p = sbrk(STEP_BYTES);

		if (p == (void *)-1) {
			fprintf(stderr, "brk_loop: sbrk(+%d) failed at iteration %lu: %s\n",
				STEP_BYTES, i, strerror(errno));
			return 1;
		}
		p[0] = 1; /* fault a page in, so that the shrink has something to free */
		if (sbrk(-STEP_BYTES) == (void *)-1) {
			fprintf(stderr, "brk_loop: sbrk(-%d) failed at iteration %lu: %s\n",
				STEP_BYTES, i, strerror(errno));
			return 1;
		}
	}
	elapsed = now_ns() - start;

	printf("ns_per_iter=%.1f\n", elapsed / iterations);
	return 0;
}
