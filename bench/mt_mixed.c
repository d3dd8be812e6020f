// SPDX-License-Identifier: GPL-2.0
/*
 * mt_mixed: T threads that map, touch, partly unmap and mprotect memory at the
 * same time in one address space, and print the cost of one call.
 *
 * usage: mt_mixed [-t THREADS] [-n CYCLES | -d SECONDS] [--wait-start]
 *
 * Each thread keeps a ring of SLOTS live 64 KiB regions. One cycle takes the
 * next slot: unmap the region it held (once the ring is full), map a new one,
 * write to every fourth page, unmap 4 pages out of its middle (one VMA becomes
 * two) and make its first 4 pages read-only (one more split). So a cycle is 4
 * calls (3 while the ring fills), every one of which vmatrace records, and the
 * threads contend for the address space's lock as a multi-threaded allocator
 * would.
 *
 * Prints ns_per_op=X (wall time of the loop times the thread count, divided by
 * the calls made: the average cost of one call plus its share of the page
 * touching), calls=N, the exact number of mmap/munmap/mprotect calls the loops
 * made (the records a tracer should see from them), and the thread count.
 * Only the loops are timed; all threads start together after a barrier.
 *
 * --wait-start works as in mmap_loop: SIGUSR1 is blocked first thing and the
 * threads start when it arrives, so that a tracer can attach to the pid first.
 * -d runs for a time instead of a cycle count (the flood and journal tests).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "loop_common.h"

#define PAGE_BYTES 4096UL
#define REGION_PAGES 16UL
#define HOLE_FIRST 6UL
#define HOLE_PAGES 4UL
#define RO_PAGES 4UL
#define SLOTS 32
/* A page in four is written: one in each part that the cycle then treats differently. */
#define TOUCH_STRIDE 4UL
#define DEFAULT_CYCLES 50000UL
#define MAX_THREADS 256
/* With -d, the clock is read once every this many cycles. */
#define CLOCK_EVERY 64UL

struct worker {
	pthread_t thread;
	unsigned long calls;
	int failed;
	char *slot[SLOTS];
};

static unsigned long cycles = DEFAULT_CYCLES;
static double deadline_ns; /* 0: run `cycles` cycles */
static pthread_barrier_t start_line;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mt_mixed [-t THREADS] [-n CYCLES | -d SECONDS] [--wait-start]\n"
		"T threads each map 64 KiB, touch it, unmap 4 pages of its middle and\n"
		"mprotect 4 pages read-only, keeping %d regions live per thread; prints\n"
		"ns_per_op=X calls=N threads=T (default: one thread per CPU, %lu cycles).\n"
		"  -t, --threads T      threads\n"
		"  -n, --cycles N       cycles per thread\n"
		"  -d, --duration S     run for S seconds instead\n"
		"      --wait-start     wait for SIGUSR1 first (to attach a tracer)\n",
		SLOTS, DEFAULT_CYCLES);
}

/* One cycle on slot s; returns -1 after printing what failed. */
static int cycle(struct worker *w, unsigned long i)
{
	char **s = &w->slot[i % SLOTS];
	volatile char *p;

	if (*s) {
		w->calls++;
		if (munmap(*s, REGION_PAGES * PAGE_BYTES)) {
			perror("mt_mixed: munmap (region)");
			return -1;
		}
		*s = NULL;
	}
	w->calls++;
	p = mmap(NULL, REGION_PAGES * PAGE_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mt_mixed: mmap");
		return -1;
	}
	for (unsigned long pg = 0; pg < REGION_PAGES; pg += TOUCH_STRIDE)
		p[pg * PAGE_BYTES] = 1;
	w->calls++;
	if (munmap((char *)p + HOLE_FIRST * PAGE_BYTES, HOLE_PAGES * PAGE_BYTES)) {
		perror("mt_mixed: munmap (hole)");
		return -1;
	}
	w->calls++;
	if (mprotect((char *)p, RO_PAGES * PAGE_BYTES, PROT_READ)) {
		perror("mt_mixed: mprotect");
		return -1;
	}
	*s = (char *)p;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long i;

	pthread_barrier_wait(&start_line);
	for (i = 0;; i++) {
		if (deadline_ns) {
			if (i % CLOCK_EVERY == 0 && ((double)clock_mono_ns()) >= deadline_ns)
				break;
		} else if (i >= cycles) {
			break;
		}
		if (cycle(w, i)) {
			w->failed = 1;
			break;
		}
	}
	/* Not timed and not counted: the ring's last regions go with the process. */
	return NULL;
}

static int parse_ulong(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || *end || *v == 0 || s[0] == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "cycles", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "wait-start", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct worker *workers;
	unsigned long nthreads = (unsigned long)sysconf(_SC_NPROCESSORS_ONLN), duration = 0;
	unsigned long calls = 0;
	int wait_start = 0, opt, failed = 0;
	sigset_t usr1;
	double start, elapsed;

	loop_hold_usr1(&usr1);

	while ((opt = getopt_long(argc, argv, "t:n:d:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_ulong(optarg, &nthreads) || nthreads > MAX_THREADS) {
				fprintf(stderr, "mt_mixed: bad thread count '%s' (1 to %d)\n",
					optarg, MAX_THREADS);
				return 2;
			}
			break;
		case 'n':
			if (parse_ulong(optarg, &cycles)) {
				fprintf(stderr, "mt_mixed: bad cycle count '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			if (parse_ulong(optarg, &duration) || duration > 3600) {
				fprintf(stderr, "mt_mixed: bad duration '%s' (1 to 3600 s)\n",
					optarg);
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
	if (optind < argc || nthreads == 0) {
		usage(stderr);
		return 2;
	}

	workers = calloc(nthreads, sizeof(*workers));
	if (!workers || pthread_barrier_init(&start_line, NULL, nthreads + 1)) {
		fprintf(stderr, "mt_mixed: out of memory\n");
		return 1;
	}
	/* The threads exist (stacks mapped) before the tracer attaches and the clock starts. */
	for (unsigned long t = 0; t < nthreads; t++) {
		int err = pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]);

		if (err) {
			fprintf(stderr, "mt_mixed: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}

	if (wait_start && loop_wait_usr1("mt_mixed", &usr1))
		return 1;

	start = ((double)clock_mono_ns());
	if (duration)
		deadline_ns = start + duration * 1e9;
	pthread_barrier_wait(&start_line);
	for (unsigned long t = 0; t < nthreads; t++) {
		pthread_join(workers[t].thread, NULL);
		calls += workers[t].calls;
		failed |= workers[t].failed;
	}
	elapsed = ((double)clock_mono_ns()) - start;
	if (failed)
		return 1;

	printf("ns_per_op=%.1f calls=%lu threads=%lu\n", elapsed * nthreads / calls, calls,
	       nthreads);
	return 0;
}
