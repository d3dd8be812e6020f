// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * DWARF unwinding from a recorded sample (src/unwind.c): a child stops in a
 * syscall under a known chain of calls; its registers, a copy of its stack
 * window and its file mappings are recorded as the BPF side records them, the
 * child is killed, and the sample is unwound after the fact.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define SAMPLE_CHECK(cond) cr_assert(cond)
#include "../common/unwind_sample.h"

static volatile int sink;

__attribute__((noinline)) static void leaf_fn(void)
{
	raise(SIGSTOP); /* the child stops inside tgkill(): like a syscall's exit */
	sink++;
}

__attribute__((noinline)) static void mid_fn(void)
{
	leaf_fn();
	sink++;
}

__attribute__((noinline)) static void top_fn(void)
{
	mid_fn();
	sink++;
}

__attribute__((noinline)) static void recurse_fn(int depth)
{
	volatile char pad[256];

	pad[0] = depth;
	if (depth)
		recurse_fn(depth - 1);
	else
		raise(SIGSTOP);
	sink += pad[0];
}

static int find(char lines[][512], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strstr(lines[i], name))
			return i;
	return -1;
}

static int unwind_lines(struct unwinder *u, struct sample *s, char lines[][512], int max,
			struct unwind_result *res)
{
	struct unwind_frame frames[64];
	int n = unwind_stack(u, &s->in, frames, max < 64 ? max : 64, res);

	for (int i = 0; i < n; i++) {
		struct strbuf sb;

		sb_init(&sb);
		unwind_format_frame(u, &s->in, &frames[i], &sb);
		snprintf(lines[i], 512, "%s", sb.buf ? sb.buf : "");
		sb_free(&sb);
	}
	return n;
}

static void deep_chain(void)
{
	top_fn();
}

Test(unwind, recorded_sample_after_the_process_is_gone)
{
	static struct sample s;
	static char lines[64][512];
	struct unwind_result res;
	struct unwinder *u = unwinder_new(4);
	int n, leaf, mid, top;

	sample_child(deep_chain, &s, 16384);
	n = unwind_lines(u, &s, lines, 64, &res);
	leaf = find(lines, n, "(leaf_fn+");
	mid = find(lines, n, "(mid_fn+");
	top = find(lines, n, "(top_fn+");
	for (int i = 0; i < n; i++)
		cr_log_info("frame %d: %s", i, lines[i]);
	/* libc has no frame pointers: only its CFI gets from the syscall back to leaf_fn. */
	cr_assert(leaf > 0 && mid == leaf + 1 && top == mid + 1, "leaf %d mid %d top %d of %d",
		  leaf, mid, top, n);
	cr_assert(strstr(lines[0], "libc.so"), "first frame: %s", lines[0]);
	cr_assert(find(lines, n, "(main+") > top || find(lines, n, "__libc_start") > top);
	/* The same space again: the cached files serve a second sample. */
	n = unwind_lines(u, &s, lines, 64, &res);
	cr_assert(find(lines, n, "(top_fn+") == top);
	unwinder_free(u);
}

static void deep_recursion(void)
{
	recurse_fn(200);
}

Test(unwind, window_bound_cuts_cleanly)
{
	static struct sample s;
	static char lines[64][512];
	struct unwind_result res;
	struct unwinder *u = unwinder_new(1);
	int n;

	sample_child(deep_recursion, &s, 4096);
	n = unwind_lines(u, &s, lines, 64, &res);
	cr_assert(n >= 3 && n < 64, "%d frames", n);
	cr_assert(res.window_end, "the stop at the window's end is said");
	cr_assert(find(lines, n, "(recurse_fn+") > 0);
	unwinder_free(u);
}

Test(unwind, no_files_gives_the_pc_alone)
{
	struct unwinder *u = unwinder_new(1);
	struct unwind_input in = { .tgid = 1, .tid = 1 };
	struct unwind_frame f[4];
	struct unwind_result res;
	struct strbuf sb;

	in.regs[UNW_RIP] = 0x401000;
	cr_assert_eq(unwind_stack(u, &in, f, 4, &res), 1);
	cr_assert(res.no_module);
	sb_init(&sb);
	unwind_format_frame(u, &in, &f[0], &sb);
	cr_assert_str_eq(sb.buf, "[0x401000]");
	sb_free(&sb);
	unwinder_free(u);
}
