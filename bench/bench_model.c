// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_model: memory per tracked VMA and the time to apply one event, for a
 * process with 1k, 100k and 1M VMAs, through the model's real entry points
 * (model_seed_*, model_apply) with synthetic ring-buffer records.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "model.h"
#include "sysinfo.h"

#define BASE 0x7f0000000000ull
#define PG 4096ull

static void record(struct vmt_syscall_rec *r, unsigned sys, uint64_t addr, uint32_t count,
		   uint64_t ts)
{
	memset(r, 0, sizeof(*r));
	r->hdr.type = VMT_REC_SYSCALL;
	r->hdr.tgid = r->hdr.tid = 4242;
	r->hdr.ts_ns = ts;
	memcpy(r->hdr.comm, "bench", 6);
	r->sys = sys;
	r->map_count = count;
	r->args[0] = sys == VMT_SYS_MMAP ? 0 : addr;
	r->args[1] = PG;
	r->args[2] = PROT_READ | PROT_WRITE;
	r->args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
	r->ret = sys == VMT_SYS_MMAP ? (int64_t)addr : 0;
	if (sys == VMT_SYS_MMAP) {
		r->vma[0] = (struct vmt_vma){ .start = addr,
					      .end = addr + PG,
					      .vm_flags = 0x73,
					      .pgoff = addr / PG,
					      .valid = 1 };
	}
}

/*
 * merge: the kernel merges each filled hole with the page below it (MERGE_BELOW) or above it
 * (MERGE_ABOVE: top-down placement, the usual case), as it does for most anonymous mmaps next
 * to another: the record's VMA is the two pages, the count does not change, and the munmap
 * trims the merged VMA's tail or head.
 */
enum { SEPARATE, MERGE_BELOW, MERGE_ABOVE };

static void run(unsigned long n, int merge)
{
	struct model_config cfg = { 0 };
	struct model *m;
	struct model_proc *p;
	struct vmt_syscall_rec *recs;
	const unsigned long events = 1000000;
	long rss0 = sys_self_rss_kib(), rss1;
	uint64_t bytes;
	double t0, t1;

	m = model_new(&cfg);
	/* A fragmented address space: N single pages with a hole after each. */
	p = model_seed_begin(m, 4242, "bench", n, 0, 0);
	for (unsigned long i = 0; i < n; i++) {
		struct vmt_vma v = { .start = BASE + 2 * i * PG,
				     .end = BASE + 2 * i * PG + PG,
				     .vm_flags = 0x73,
				     .pgoff = (BASE / PG) + 2 * i,
				     .valid = 1 };

		model_seed_vma(m, p, &v);
	}
	model_seed_end(m, p);
	rss1 = sys_self_rss_kib();
	bytes = model_memory(m);

	/* Events: fill a random hole with a page (mmap), then unmap it again (munmap). The
	 * filled page merges with neither neighbour in the model's eyes only if the kernel
	 * said so: the record says [addr, addr + 4K) is one VMA. */
	recs = malloc(2 * 4096 * sizeof(*recs));
	srandom(1);
	for (unsigned long i = 0; i < 4096; i++) {
		uint64_t hole = BASE + (2 * (random() % n) + 1) * PG;

		record(&recs[2 * i], VMT_SYS_MMAP, hole, merge ? n : n + 1, 0);
		if (merge == MERGE_BELOW) {
			recs[2 * i].vma[0].start -= PG;
			recs[2 * i].vma[0].pgoff--;
		} else if (merge == MERGE_ABOVE) {
			recs[2 * i].vma[0].end += PG;
		}
		record(&recs[2 * i + 1], VMT_SYS_MUNMAP, hole, n, 0);
	}
	t0 = (clock_mono_ns() / 1e9);
	for (unsigned long i = 0; i < events; i++) {
		struct vmt_syscall_rec *r = &recs[i % 8192];

		r->hdr.ts_ns = i + 1;
		model_apply(m, r, sizeof(*r));
	}
	t1 = (clock_mono_ns() / 1e9);
	printf("model %s VMAs=%-8lu bytes/VMA=%.1f (model accounting)  rss/VMA=%.1f  apply=%.0f ns/event  "
	       "resyncs=%llu  vmas_after=%zu\n",
	       merge == SEPARATE    ? "separate   " :
	       merge == MERGE_BELOW ? "merge-below" :
				      "merge-above",
	       n, (double)bytes / n, (rss1 - rss0) * 1024.0 / n, (t1 - t0) * 1e9 / events,
	       (unsigned long long)m->st.resyncs, model_vma_count(model_proc_get(m, 4242)));
	free(recs);
	model_free(m);
}

int main(void)
{
	for (int merge = SEPARATE; merge <= MERGE_ABOVE; merge++) {
		run(1000, merge);
		run(100000, merge);
		run(1000000, merge);
	}
	return 0;
}
