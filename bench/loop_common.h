/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the single-threaded bench loops share: options (-n N, --wait-start),
 * waiting for SIGUSR1 so that a tracer can attach first (mt_mixed waits so
 * too), and the clock.
 *
 * The clock is read every LOOP_BLOCK iterations as well: besides the mean
 * (ns_per_iter) a loop prints the 10th percentile and the minimum of its
 * blocks' means (ns_per_iter_p10, ns_per_iter_min). On a VM whose host takes
 * the CPU away for tens of milliseconds at a time, a block's time is the
 * loop's own cost plus whatever the host took; the fast blocks show the
 * former, which is what a tracer's overhead is a fraction of.
 *
 * --hold-vmas N first builds N more VMAs in the process (2N pages mapped in one call, every
 * other one unmapped: N-1 munmaps, each a split) and leaves them, before --wait-start's wait:
 * what a call costs the tracer must not grow with the map, and a script that waits for the
 * "waiting" line measures the loop without the building.
 *
 * --wait-start blocks SIGUSR1 first thing and then waits for it, so that a
 * tracer can attach to the pid (vmatrace trace -p PID) before the loop runs.
 * The signal is blocked before anything else, so one sent early is kept
 * pending rather than killing the process; the "waiting for SIGUSR1" line on
 * stderr tells a script (bench/run.sh) when it is safe to attach and signal.
 */
#ifndef BENCH_LOOP_COMMON_H
#define BENCH_LOOP_COMMON_H

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ITERATIONS 1000000UL
#define LOOP_BLOCK 1000UL /* iterations per timed block: ~5 ms here */

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline void loop_usage(FILE *f, const char *prog, const char *what)
{
	fprintf(f,
		"usage: %s [-n ITERATIONS] [--hold-vmas N] [--wait-start]\n"
		"Time N iterations of %s\n"
		"and print ns_per_iter=X (the mean), ns_per_iter_p10=X and ns_per_iter_min=X\n"
		"(the 10th percentile and the fastest of its blocks of %lu), and block_ns=X,Y,...\n"
		"(every block's ns per iteration; default N = %lu).\n"
		"  -n, --iterations N   iterations of the loop\n"
		"      --hold-vmas N    first build N more VMAs and keep them (vm.max_map_count!)\n"
		"      --wait-start     wait for SIGUSR1 before the loop (to attach a tracer)\n",
		prog, what, LOOP_BLOCK, DEFAULT_ITERATIONS);
}

struct loop_clock {
	double start;	    /* of the loop */
	double block_start; /* of the current block */
	double *blocks;	    /* ns per iteration of each whole block */
	unsigned long nblocks;
};

static inline int loop_clock_start(struct loop_clock *c, const char *prog, unsigned long iterations)
{
	c->nblocks = 0;
	c->blocks = calloc(iterations / LOOP_BLOCK + 1, sizeof(*c->blocks));
	if (!c->blocks) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return -1;
	}
	c->start = c->block_start = now_ns();
	return 0;
}

/* Before anything else: an early SIGUSR1 must stay pending, not kill us. */
static inline void loop_hold_usr1(sigset_t *usr1)
{
	sigemptyset(usr1);
	sigaddset(usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, usr1, NULL);
}

/* --wait-start: say so, then wait for the SIGUSR1 held by loop_hold_usr1(); 0 or -1. */
static inline int loop_wait_usr1(const char *prog, const sigset_t *usr1)
{
	int sig;

	/* bench/run.sh waits for this line before it attaches and signals. */
	fprintf(stderr, "%s: pid %d waiting for SIGUSR1\n", prog, (int)getpid());
	if (sigwait(usr1, &sig)) {
		fprintf(stderr, "%s: sigwait failed\n", prog);
		return -1;
	}
	return 0;
}

/* --hold-vmas: 2N pages in one VMA, then every other page unmapped; 0 or -1. */
static inline int loop_hold_vmas(const char *prog, unsigned long vmas)
{
	const unsigned long page = 4096;
	char *base = mmap(NULL, 2 * vmas * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (base == MAP_FAILED) {
		fprintf(stderr, "%s: mmap of %lu pages: %s\n", prog, 2 * vmas, strerror(errno));
		return -1;
	}
	for (unsigned long i = 0; i + 1 < vmas; i++) {
		if (munmap(base + (2 * i + 1) * page, page)) {
			fprintf(stderr, "%s: munmap %lu of %lu: %s (vm.max_map_count too low?)\n",
				prog, i + 1, vmas - 1, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Parse the options, with --wait-start wait for SIGUSR1, then start the clock. Returns the
 * iteration count, or 0 after printing why (*status is the exit status).
 */
static inline unsigned long loop_start(int argc, char **argv, const char *prog, const char *what,
				       struct loop_clock *clock, int *status)
{
	static const struct option longopts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "wait-start", no_argument, NULL, 'w' },
		{ "hold-vmas", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long iterations = DEFAULT_ITERATIONS, hold_vmas = 0;
	int wait_start = 0, opt;
	sigset_t usr1;
	char *end;

	loop_hold_usr1(&usr1);
	*status = 2;
	while ((opt = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			errno = 0;
			iterations = strtoul(optarg, &end, 10);
			if (errno || *end || iterations == 0 || optarg[0] == '-') {
				fprintf(stderr, "%s: bad iteration count '%s'\n", prog, optarg);
				return 0;
			}
			break;
		case 'w':
			wait_start = 1;
			break;
		case 'v':
			errno = 0;
			hold_vmas = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-') {
				fprintf(stderr, "%s: bad VMA count '%s'\n", prog, optarg);
				return 0;
			}
			break;
		case 'h':
			loop_usage(stdout, prog, what);
			*status = 0;
			return 0;
		default:
			loop_usage(stderr, prog, what);
			return 0;
		}
	}
	if (optind < argc) {
		loop_usage(stderr, prog, what);
		return 0;
	}
	*status = 1;
	if (hold_vmas && loop_hold_vmas(prog, hold_vmas))
		return 0;
	if (wait_start && loop_wait_usr1(prog, &usr1))
		return 0;
	if (loop_clock_start(clock, prog, iterations))
		return 0;
	return iterations;
}

/* Call after iteration i (0-based): closes a block every LOOP_BLOCK iterations. */
static inline void loop_clock_tick(struct loop_clock *c, unsigned long i)
{
	if ((i + 1) % LOOP_BLOCK == 0) {
		double t = now_ns();

		c->blocks[c->nblocks++] = (t - c->block_start) / LOOP_BLOCK;
		c->block_start = t;
	}
}

static inline int loop_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Print the mean over the whole loop and, when there are blocks, the fast
 * blocks' figures and every block's ns per iteration (in the order they ran,
 * for a script that pools the blocks of several runs).
 */
static inline void loop_clock_report(struct loop_clock *c, unsigned long iterations)
{
	double elapsed = now_ns() - c->start;

	printf("ns_per_iter=%.1f\n", elapsed / iterations);
	if (c->nblocks) {
		printf("block_ns=");
		for (unsigned long i = 0; i < c->nblocks; i++)
			printf("%s%.0f", i ? "," : "", c->blocks[i]);
		qsort(c->blocks, c->nblocks, sizeof(*c->blocks), loop_cmp_double);
		printf("\nns_per_iter_p10=%.1f\nns_per_iter_min=%.1f\nblocks=%lu\n",
		       c->blocks[c->nblocks / 10], c->blocks[0], c->nblocks);
	}
	free(c->blocks);
}

#endif
