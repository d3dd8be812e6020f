/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Known points for the integration tests: the workload counts its own VMAs
 * in /proc/self/maps (without malloc or stdio, so counting changes nothing),
 * then makes a marker call that vmatrace sees: madvise(MADV_NORMAL) of a
 * private page with len = CHECKPOINT_LEN. The test compares the `vmas` of the
 * k-th marker record with the k-th count printed here ("checkpoint K vmas=N").
 * With VMATRACE_CHECKPOINT_STOP set, the workload also stops itself (SIGSTOP)
 * after the marker, so that a test can look at it while nothing moves.
 * workload_hold() is where a workload may stay still (VMATRACE_HOLD_MS).
 */
#ifndef WORKLOAD_CHECKPOINT_H
#define WORKLOAD_CHECKPOINT_H

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHECKPOINT_LEN 4096
#define CHECKPOINT_MAX 64

static long checkpoint_counts[CHECKPOINT_MAX];
static int checkpoint_n;
static char checkpoint_buf[1 << 16];

/* Lines of /proc/self/maps minus the [vsyscall] gate area, which is not a VMA. */
static long checkpoint_count_vmas(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	long lines = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, checkpoint_buf, sizeof(checkpoint_buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += checkpoint_buf[i] == '\n';
	close(fd);
	/* [vsyscall] is always last on x86_64 when present. */
	if (memmem(checkpoint_buf, sizeof(checkpoint_buf), "[vsyscall]", 10))
		lines--;
	return lines;
}

static void checkpoint(void)
{
	/* The page the marker call advises: inside the binary's .bss, already mapped. */
	static char page[2 * CHECKPOINT_LEN] __attribute__((aligned(4096)));

	if (checkpoint_n < CHECKPOINT_MAX)
		checkpoint_counts[checkpoint_n++] = checkpoint_count_vmas();
	syscall(SYS_madvise, page, CHECKPOINT_LEN, MADV_NORMAL);
	if (getenv("VMATRACE_CHECKPOINT_STOP"))
		raise(SIGSTOP);
}

/*
 * With VMATRACE_HOLD_MS set, hold still that long (no mapping call): a plateau that the
 * history must show held for its real duration.
 */
static inline void workload_hold(void)
{
	const char *ms = getenv("VMATRACE_HOLD_MS");
	struct timespec ts;
	long v;

	if (!ms || (v = strtol(ms, NULL, 10)) <= 0)
		return;
	ts.tv_sec = v / 1000;
	ts.tv_nsec = v % 1000 * 1000000L;
	while (nanosleep(&ts, &ts))
		;
}

static void checkpoint_report(FILE *f)
{
	for (int i = 0; i < checkpoint_n; i++)
		fprintf(f, "checkpoint %d vmas=%ld\n", i, checkpoint_counts[i]);
	fflush(f);
}

#endif
