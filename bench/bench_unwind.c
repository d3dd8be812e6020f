// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_unwind: what a DWARF stack costs in userspace. A child stops under a
 * chain of DEPTH calls (through libc's raise, whose CFI is all that unwinds
 * it); the sample (registers, 16 KiB window, files) is unwound after the child
 * is gone: the first unwind of an address space (opening and indexing its
 * files) and then warm ones, with and without symbolizing the frames.
 */
#include <stdio.h>
#include <time.h>

#include "clock.h"
#include "../tests/common/unwind_sample.h"

static volatile int sink;

__attribute__((noinline)) static void chain(int depth)
{
	if (depth)
		chain(depth - 1);
	else
		raise(SIGSTOP);
	sink++;
}

static void deep(void)
{
	chain(24);
}

int main(void)
{
	static struct sample s;
	struct unwind_frame frames[128];
	struct unwind_result res;
	struct strbuf sb;
	struct unwinder *u;
	int n = 0, iters = 2000;
	double t0, cold, warm, sym;

	sample_child(deep, &s, 16384);
	u = unwinder_new(4);
	t0 = (clock_mono_ns() / 1e9);
	n = unwind_stack(u, &s.in, frames, 128, &res);
	cold = (clock_mono_ns() / 1e9) - t0;
	t0 = (clock_mono_ns() / 1e9);
	for (int i = 0; i < iters; i++)
		n = unwind_stack(u, &s.in, frames, 128, &res);
	warm = ((clock_mono_ns() / 1e9) - t0) / iters;
	sb_init(&sb);
	t0 = (clock_mono_ns() / 1e9);
	for (int i = 0; i < iters; i++) {
		sb_reset(&sb);
		for (int f = 0; f < n; f++)
			unwind_format_frame(u, &s.in, &frames[f], &sb);
	}
	sym = ((clock_mono_ns() / 1e9) - t0) / iters;
	printf("unwind: %d frames from a %zu-byte window; first unwind of a space %.2f ms, then "
	       "%.1f us per stack (%.2f us per frame), symbolizing %.1f us per stack\n",
	       n, s.in.stack_len, cold * 1e3, warm * 1e6, warm * 1e6 / n, sym * 1e6);
	sb_free(&sb);
	unwinder_free(u);
	return 0;
}
