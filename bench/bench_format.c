// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_format: the cost of rendering one trace line (`vmatrace trace` text
 * and `--json`) from synthetic mmap, munmap and brk records, through
 * format_record() as the trace command calls it. Prints ns per record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "clock.h"
#include "format.h"

static void fill(struct vmt_syscall_rec *r, unsigned int sys, unsigned long long i)
{
	unsigned long long addr = 0x7f0000000000ull + (i % 4096) * 4096;

	memset(r, 0, sizeof(*r));
	r->hdr.type = VMT_REC_SYSCALL;
	r->hdr.tgid = 4242;
	r->hdr.tid = 4243;
	r->hdr.ts_ns = 1000000000ull + i * 1000;
	memcpy(r->hdr.comm, "mariadbd", 9);
	r->sys = sys;
	r->map_count = 412 + i % 7;
	r->start_brk = 0x5560a0af9000ull;
	r->brk = r->start_brk + (i % 64) * 4096;
	if (sys == VMT_SYS_MMAP) {
		r->args[1] = 4096;
		r->args[2] = PROT_READ | PROT_WRITE;
		r->args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
		r->args[4] = (unsigned long long)-1;
		r->ret = addr;
		r->vma[0] = (struct vmt_vma){
			.start = addr, .end = addr + 4096, .vm_flags = 0x73, .valid = 1
		};
	} else if (sys == VMT_SYS_MUNMAP) {
		r->args[0] = addr;
		r->args[1] = 4096;
		r->ret = i % 10 ? 0 : -12;
	} else {
		r->args[0] = r->brk;
		r->ret = r->brk;
	}
}

int main(int argc, char **argv)
{
	static const unsigned int sys[] = { VMT_SYS_MMAP, VMT_SYS_MUNMAP, VMT_SYS_BRK };
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000;
	struct vmt_syscall_rec *recs = calloc(3 * 1024, sizeof(*recs));
	struct format_extra ex = { .max_map_count = 65530 };

	if (!recs)
		return 1;
	for (unsigned int i = 0; i < 3 * 1024; i++)
		fill(&recs[i], sys[i % 3], i);
	for (int json = 0; json <= 1; json++) {
		struct format_opts fo = { .json = json, .utc = true };
		struct strbuf sb;
		double best = 1e30;
		unsigned long long bytes = 0;

		sb_init(&sb);
		for (int rep = 0; rep < 5; rep++) {
			double t0 = (clock_mono_ns() / 1e9);

			bytes = 0;
			for (unsigned long i = 0; i < n; i++) {
				sb_reset(&sb);
				ex.prev_brk = recs[i % (3 * 1024)].brk - 4096;
				ex.prev_brk_known = true;
				format_record(&sb, &fo, &recs[i % (3 * 1024)], sizeof(recs[0]),
					      &ex);
				bytes += sb.len;
			}
			double dt = (clock_mono_ns() / 1e9) - t0;

			if (dt < best)
				best = dt;
		}
		printf("format %-4s %7.1f ns/record  %5.1f B/record  (best of 5 x %lu)\n",
		       json ? "json" : "text", best * 1e9 / n, (double)bytes / n, n);
		sb_free(&sb);
	}
	free(recs);
	return 0;
}
