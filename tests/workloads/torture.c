// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * torture SEED OPS EVERY: OPS random address-space operations with a fixed
 * seed, stopping itself (SIGSTOP) every EVERY operations so that a test can
 * compare vmatrace's model with /proc/PID/maps while nothing moves.
 *
 * Operations: anonymous and file mmap (fixed and not, private and shared,
 * PROT_NONE, MAP_STACK), munmap of whole, partial and middle ranges, mprotect
 * splits, mremap grow/shrink/move, brk up and down, madvise (splitting and
 * not), mlock/munlock, threads, fork and exec.
 *
 * The program only ever touches address ranges it mapped itself (an interval
 * set of owned ranges), so MAP_FIXED never lands on the C library's memory.
 * malloc is told to use mmap only, so the heap break belongs to this program.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096ul
#define MAX_OWNED 4096
#define FILE_PAGES 256

struct range {
	uintptr_t lo, hi;
};

static struct range owned[MAX_OWNED];
static int nowned;
static uint64_t rng;
static int file_fd = -1;
static unsigned long counts[16];

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned long pick(unsigned long n)
{
	return n ? next() % n : 0;
}

static void own_add(uintptr_t lo, uintptr_t hi)
{
	struct range merged = { lo, hi };
	int j = 0;

	for (int i = 0; i < nowned; i++) {
		if (owned[i].hi < merged.lo || owned[i].lo > merged.hi) {
			owned[j++] = owned[i];
			continue;
		}
		if (owned[i].lo < merged.lo)
			merged.lo = owned[i].lo;
		if (owned[i].hi > merged.hi)
			merged.hi = owned[i].hi;
	}
	nowned = j;
	if (nowned < MAX_OWNED)
		owned[nowned++] = merged;
}

static void own_remove(uintptr_t lo, uintptr_t hi)
{
	struct range keep[2 * MAX_OWNED];
	int n = 0;

	for (int i = 0; i < nowned; i++) {
		if (owned[i].hi <= lo || owned[i].lo >= hi) {
			keep[n++] = owned[i];
			continue;
		}
		if (owned[i].lo < lo)
			keep[n++] = (struct range){ owned[i].lo, lo };
		if (owned[i].hi > hi)
			keep[n++] = (struct range){ hi, owned[i].hi };
	}
	nowned = n > MAX_OWNED ? MAX_OWNED : n;
	memcpy(owned, keep, nowned * sizeof(*owned));
}

/* A random page-aligned subrange of an owned range, at most max_pages long. */
static bool pick_owned(uintptr_t *lo, uintptr_t *hi, unsigned long max_pages)
{
	struct range r;
	unsigned long pages, first, len;

	if (!nowned)
		return false;
	r = owned[pick(nowned)];
	pages = (r.hi - r.lo) / PG;
	first = pick(pages);
	len = 1 + pick(pages - first < max_pages ? pages - first : max_pages);
	*lo = r.lo + first * PG;
	*hi = *lo + len * PG;
	return true;
}

static int random_prot(void)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE };
	return prots[pick(sizeof(prots) / sizeof(prots[0]))];
}

static void op_mmap(void)
{
	unsigned long pages = 1 + pick(32);
	int prot = random_prot(), flags = MAP_PRIVATE, fd = -1;
	uintptr_t lo = 0, hi;
	off_t off = 0;
	void *p;

	if (pick(4) == 0) {
		fd = file_fd;
		pages = 1 + pick(16);
		off = pick(FILE_PAGES - pages) * PG;
		if (pick(3) == 0)
			flags = MAP_SHARED;
	} else {
		flags |= MAP_ANONYMOUS;
		if (pick(6) == 0)
			flags = MAP_SHARED | MAP_ANONYMOUS;
		if (pick(8) == 0)
			flags |= MAP_STACK;
		if (pick(5) == 0)
			flags |= MAP_NORESERVE;
	}
	/* Sometimes replace part of what we own, in place. */
	if (pick(3) == 0 && pick_owned(&lo, &hi, pages)) {
		flags |= MAP_FIXED;
		pages = (hi - lo) / PG;
	}
	p = mmap((void *)lo, pages * PG, prot, flags, fd, off);
	counts[0]++;
	if (p != MAP_FAILED)
		own_add((uintptr_t)p, (uintptr_t)p + pages * PG);
}

static void op_munmap(void)
{
	uintptr_t lo, hi;

	if (!pick_owned(&lo, &hi, 16))
		return;
	counts[1]++;
	if (munmap((void *)lo, hi - lo) == 0)
		own_remove(lo, hi);
}

static void op_mprotect(void)
{
	uintptr_t lo, hi;

	if (!pick_owned(&lo, &hi, 8))
		return;
	counts[2]++;
	mprotect((void *)lo, hi - lo, random_prot());
}

static void op_mremap(void)
{
	uintptr_t lo, hi, tlo, thi;
	unsigned long old_len, new_len;
	void *p;

	if (!pick_owned(&lo, &hi, 8))
		return;
	old_len = hi - lo;
	counts[3]++;
	switch (pick(3)) {
	case 0: /* grow, moving if needed */
		new_len = old_len + (1 + pick(8)) * PG;
		p = mremap((void *)lo, old_len, new_len, MREMAP_MAYMOVE);
		break;
	case 1: /* shrink in place */
		if (old_len < 2 * PG)
			return;
		new_len = old_len - (1 + pick(old_len / PG - 1)) * PG;
		p = mremap((void *)lo, old_len, new_len, 0);
		break;
	default: /* move onto another owned range */
		if (!pick_owned(&tlo, &thi, old_len / PG) || thi - tlo != old_len ||
		    (tlo < hi && thi > lo))
			return;
		new_len = old_len;
		p = mremap((void *)lo, old_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED,
			   (void *)tlo);
		break;
	}
	if (p == MAP_FAILED)
		return;
	own_remove(lo, hi);
	own_add((uintptr_t)p, (uintptr_t)p + new_len);
}

static uintptr_t brk_base;

static void op_brk(void)
{
	uintptr_t cur = syscall(SYS_brk, 0);
	long delta = ((long)pick(64) - 24) * (long)PG;

	if ((long)(cur - brk_base) + delta < 0)
		delta = -(long)(cur - brk_base);
	if (cur + delta > brk_base + (16ul << 20))
		delta = 0;
	counts[4]++;
	syscall(SYS_brk, cur + delta);
}

static void op_madvise(void)
{
	static const int advice[] = { MADV_DONTNEED,   MADV_WILLNEED,	MADV_NORMAL,
				      MADV_RANDOM,     MADV_SEQUENTIAL, MADV_DONTFORK,
				      MADV_DOFORK,     MADV_DONTDUMP,	MADV_DODUMP,
				      MADV_HUGEPAGE,   MADV_NOHUGEPAGE, MADV_WIPEONFORK,
				      MADV_KEEPONFORK, MADV_FREE,	MADV_COLD };
	uintptr_t lo, hi;

	if (!pick_owned(&lo, &hi, 8))
		return;
	counts[5]++;
	madvise((void *)lo, hi - lo, advice[pick(sizeof(advice) / sizeof(advice[0]))]);
}

static void op_mlock(void)
{
	uintptr_t lo, hi;

	if (!pick_owned(&lo, &hi, 4))
		return;
	counts[6]++;
	if (pick(2))
		mlock((void *)lo, hi - lo);
	else
		munlock((void *)lo, hi - lo);
}

static void *thread_main(void *arg)
{
	void *v[8];
	uint64_t seed = (uintptr_t)arg;

	for (int i = 0; i < 8; i++) {
		seed = seed * 6364136223846793005ull + 1;
		v[i] = mmap(NULL, (1 + (seed >> 60)) * PG, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	for (int i = 0; i < 8; i += 2)
		if (v[i] != MAP_FAILED)
			munmap(v[i], PG);
	return NULL;
}

static void op_thread(void)
{
	pthread_t th;

	counts[7]++;
	if (pthread_create(&th, NULL, thread_main, (void *)(uintptr_t)next()) == 0)
		pthread_join(th, NULL);
}

static void op_fork(bool do_exec)
{
	pid_t pid = fork();

	counts[do_exec ? 9 : 8]++;
	if (pid == 0) {
		if (do_exec) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		void *p = mmap(NULL, 3 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			munmap((char *)p + PG, PG);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* Now and then a thread instead of a mapping, or a fork instead of an unmap. */
static void op_mmap_or_thread(void)
{
	if (pick(10) == 0)
		op_thread();
	else
		op_mmap();
}

static void op_munmap_or_fork(void)
{
	if (pick(20) == 0)
		op_fork(pick(2));
	else
		op_munmap();
}

/* How often each operation runs: weights out of 20. */
static const struct {
	unsigned long weight;
	void (*fn)(void);
} op_mix[] = {
	{ 6, op_mmap },
	{ 3, op_munmap },
	{ 2, op_mprotect },
	{ 2, op_mremap },
	{ 2, op_brk },
	{ 2, op_madvise },
	{ 1, op_mlock },
	{ 1, op_mmap_or_thread },
	{ 1, op_munmap_or_fork },
};

static void checkpoint_stop(void)
{
	static char page[PG] __attribute__((aligned(4096)));

	/* A last traced call right before stopping: the stack bounds it carries are current. */
	madvise(page, PG, MADV_NORMAL);
	raise(SIGSTOP);
}

int main(int argc, char **argv)
{
	unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
	long ops = argc > 2 ? atol(argv[2]) : 10000;
	long every = argc > 3 ? atol(argv[3]) : 200;
	char path[] = "/tmp/vmatrace-torture.XXXXXX";
	static char filebuf[FILE_PAGES * PG];
	long checkpoints = 0;

	rng = seed * 2654435761ul + 88172645463325252ull;
	mallopt(M_MMAP_THRESHOLD, 0); /* the heap break is ours alone */
	brk_base = syscall(SYS_brk, 0);
	file_fd = mkstemp(path);
	if (file_fd < 0 || write(file_fd, filebuf, sizeof(filebuf)) != sizeof(filebuf))
		return 1;
	unlink(path);

	for (long i = 1; i <= ops; i++) {
		unsigned long k = pick(20);
		size_t op = 0;

		while (k >= op_mix[op].weight)
			k -= op_mix[op++].weight;
		op_mix[op].fn();
		if (i % every == 0) {
			checkpoint_stop();
			checkpoints++;
		}
	}
	printf("ops=%ld checkpoints=%ld mmap=%lu munmap=%lu mprotect=%lu mremap=%lu brk=%lu "
	       "madvise=%lu mlock=%lu threads=%lu forks=%lu execs=%lu\n",
	       ops, checkpoints, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5],
	       counts[6], counts[7], counts[8], counts[9]);
	return 0;
}
