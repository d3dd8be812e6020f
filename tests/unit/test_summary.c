// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Counting records for the closing summary (src/summary.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json_assert.h"
#include "summary.h"

#define S_BRK 0x555555559000ULL /* start_brk of the test processes */
#define KIB(n) ((unsigned long long)(n) << 10)
#define MAX_MAP 65530

static unsigned long long next_ts = 1000;

static void fill_hdr(struct vmt_hdr *h, __u32 type, unsigned int tgid, const char *comm)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->ts_ns = next_ts++;
	h->tgid = tgid;
	h->tid = tgid;
	memcpy(h->comm, comm, strnlen(comm, sizeof(h->comm)));
}

static struct vmt_syscall_rec sys_rec(unsigned int tgid, const char *comm, unsigned int sys,
				      long long ret, unsigned int vmas, unsigned long long brk)
{
	struct vmt_syscall_rec r;

	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, VMT_REC_SYSCALL, tgid, comm);
	r.sys = sys;
	r.ret = ret;
	r.map_count = vmas;
	r.start_brk = brk ? S_BRK : 0;
	r.brk = brk;
	return r;
}

/* Feed one record; returns the break summary_add() reports before it, or -1 when unknown. */
static long long add(struct summary *sum, const void *rec, size_t size)
{
	unsigned long long prev = 0xbad;
	bool known = true;

	summary_add(sum, rec, size, &prev, &known);
	return known ? (long long)prev : -1;
}

static long long add_sys(struct summary *sum, unsigned int tgid, const char *comm, unsigned int sys,
			 long long ret, unsigned int vmas, unsigned long long brk)
{
	struct vmt_syscall_rec r = sys_rec(tgid, comm, sys, ret, vmas, brk);

	return add(sum, &r, sizeof(r));
}

static struct summary_proc *live_proc(struct summary *sum, unsigned int tgid)
{
	return hmap_get(&sum->procs, tgid);
}

static void add_exit(struct summary *sum, unsigned int tgid, const char *comm)
{
	struct vmt_exit_rec r;

	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, VMT_REC_EXIT, tgid, comm);
	r.hdr.flags = VMT_F_GROUP_DEAD;
	add(sum, &r, sizeof(r));
}

/* The summary of each test, keeping 8 exited processes unless the test says otherwise. */
static struct summary s;

static void setup(void)
{
	summary_init(&s, 8);
}

static void teardown(void)
{
	summary_free(&s);
}

TestSuite(summary, .init = setup, .fini = teardown);

/* The summary as JSON in sb (sb_free it), checked valid. */
static void json_of(struct strbuf *sb)
{
	sb_init(sb);
	summary_json(&s, sb, MAX_MAP);
	cr_assert(ja_valid(sb->buf), "invalid JSON: %s", sb->buf);
}

/* The summary as text (free it). */
static char *text_of(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	cr_assert_not_null(f);
	summary_print_text(&s, f, MAX_MAP);
	fclose(f);
	return out;
}

Test(summary, calls_and_failures)
{
	add_sys(&s, 1, "a", VMT_SYS_MMAP, 0x7f0000000000LL, 10, S_BRK);
	add_sys(&s, 1, "a", VMT_SYS_MMAP, -ENOMEM, 10, S_BRK);
	add_sys(&s, 1, "a", VMT_SYS_MMAP, -ENOMEM, 10, S_BRK);
	add_sys(&s, 2, "b", VMT_SYS_MUNMAP, -EINVAL, 5, S_BRK);
	add_sys(&s, 2, "b", VMT_SYS_MUNMAP, 0, 4, S_BRK);
	add_sys(&s, 2, "b", VMT_SYS_BRK, S_BRK, 4, S_BRK);     /* brk never counts as failed */
	add_sys(&s, 2, "b", VMT_SYS_MPROTECT, -200, 4, S_BRK); /* beyond the table: slot 0 */

	cr_assert_eq(s.records, 7);
	cr_assert_eq(s.calls[VMT_SYS_MMAP], 3);
	cr_assert_eq(s.failures[VMT_SYS_MMAP], 2);
	cr_assert_eq(s.failures_by_errno[VMT_SYS_MMAP][ENOMEM], 2);
	cr_assert_eq(s.failures_by_errno[VMT_SYS_MMAP][EINVAL], 0);
	cr_assert_eq(s.calls[VMT_SYS_MUNMAP], 2);
	cr_assert_eq(s.failures[VMT_SYS_MUNMAP], 1);
	cr_assert_eq(s.failures_by_errno[VMT_SYS_MUNMAP][EINVAL], 1);
	cr_assert_eq(s.calls[VMT_SYS_BRK], 1);
	cr_assert_eq(s.failures[VMT_SYS_BRK], 0);
	cr_assert_eq(s.failures[VMT_SYS_MPROTECT], 1);
	cr_assert_eq(s.failures_by_errno[VMT_SYS_MPROTECT][0], 1);
	cr_assert_eq(s.calls[VMT_SYS_MADVISE], 0);

	cr_assert_eq(live_proc(&s, 1)->calls, 3);
	cr_assert_eq(live_proc(&s, 1)->failures, 2);
	cr_assert_eq(live_proc(&s, 2)->calls, 4);
	cr_assert_eq(live_proc(&s, 2)->failures, 2);
	cr_assert_eq(s.nprocs_seen, 2);
}

Test(summary, peak_vmas)
{
	add_sys(&s, 1, "a", VMT_SYS_MMAP, 0x7f0000000000LL, 100, 0);
	add_sys(&s, 2, "b", VMT_SYS_MMAP, 0x7f0000000000LL, 500, 0);
	add_sys(&s, 1, "a", VMT_SYS_MMAP, 0x7f0000000000LL, 300, 0);
	add_sys(&s, 2, "b", VMT_SYS_MUNMAP, 0, 450, 0);

	cr_assert_eq(s.peak_vmas, 500);
	cr_assert_eq(s.peak_tgid, 2);
	cr_assert_str_eq(s.peak_comm, "b");
	cr_assert_eq(live_proc(&s, 1)->peak_vmas, 300);
	cr_assert_eq(live_proc(&s, 1)->last_vmas, 300);
	cr_assert_eq(live_proc(&s, 2)->peak_vmas, 500);
	cr_assert_eq(live_proc(&s, 2)->last_vmas, 450);

	/* A new record holder takes over tgid and comm. */
	add_sys(&s, 3, "c", VMT_SYS_MMAP, 0x7f0000000000LL, 501, 0);
	cr_assert_eq(s.peak_vmas, 501);
	cr_assert_eq(s.peak_tgid, 3);
	cr_assert_str_eq(s.peak_comm, "c");
}

Test(summary, brk_tracking)
{
	struct summary_proc *p;

	/* The first record of a process: nothing known before it. */
	cr_assert_eq(add_sys(&s, 1, "a", VMT_SYS_BRK, S_BRK, 3, S_BRK), -1);
	cr_assert_eq(add_sys(&s, 1, "a", VMT_SYS_BRK, S_BRK + KIB(132), 3, S_BRK + KIB(132)),
		     (long long)S_BRK);
	cr_assert_eq(add_sys(&s, 1, "a", VMT_SYS_BRK, S_BRK + KIB(264), 3, S_BRK + KIB(264)),
		     (long long)(S_BRK + KIB(132)));
	/* Any record carries the break, not only brk's. */
	cr_assert_eq(add_sys(&s, 1, "a", VMT_SYS_MMAP, 0x7f0000000000LL, 4, S_BRK + KIB(132)),
		     (long long)(S_BRK + KIB(264)));
	/* Another process has its own break. */
	cr_assert_eq(add_sys(&s, 2, "b", VMT_SYS_BRK, 0x600000, 3, 0x600000), -1);
	/* A record without a break (mm gone) keeps what was known. */
	cr_assert_eq(add_sys(&s, 1, "a", VMT_SYS_MUNMAP, 0, 4, 0), (long long)(S_BRK + KIB(132)));
	cr_assert_eq(add_sys(&s, 1, "a", VMT_SYS_MUNMAP, 0, 4, S_BRK + KIB(132)),
		     (long long)(S_BRK + KIB(132)));

	p = live_proc(&s, 1);
	cr_assert(p->brk_known);
	cr_assert_eq(p->start_brk, S_BRK);
	cr_assert_eq(p->first_brk, S_BRK);
	cr_assert_eq(p->max_brk, S_BRK + KIB(264));
	cr_assert_eq(p->last_brk, S_BRK + KIB(132));
	p = live_proc(&s, 2);
	cr_assert_eq(p->first_brk, 0x600000);
}

Test(summary, new_heap_resets_high_water)
{
	struct vmt_syscall_rec r;
	struct summary_proc *p;

	add_sys(&s, 1, "a", VMT_SYS_BRK, S_BRK + KIB(264), 3, S_BRK + KIB(264));
	/* start_brk moved (an exec we did not see): a different heap. */
	r = sys_rec(1, "a", VMT_SYS_BRK, 0x700000, 3, 0x700000);
	r.start_brk = 0x6f0000;
	cr_assert_eq(add(&s, &r, sizeof(r)), (long long)(S_BRK + KIB(264)));
	p = live_proc(&s, 1);
	cr_assert_eq(p->start_brk, 0x6f0000);
	cr_assert_eq(p->first_brk, 0x700000);
	cr_assert_eq(p->max_brk, 0x700000);
	cr_assert_eq(p->last_brk, 0x700000);
}

Test(summary, exec_starts_a_new_image)
{
	struct vmt_exec_rec e;
	struct summary_proc *p;

	add_sys(&s, 1, "sh", VMT_SYS_BRK, S_BRK + KIB(132), 80, S_BRK + KIB(132));

	memset(&e, 0, sizeof(e));
	fill_hdr(&e.hdr, VMT_REC_EXEC, 1, "true");
	e.map_count = 20;
	e.start_brk = 0x5600000000ULL;
	e.brk = 0x5600000000ULL;
	strcpy(e.filename, "/usr/bin/true");
	/* The old image's break means nothing for the new one. */
	cr_assert_eq(add(&s, &e, sizeof(e)), -1);
	cr_assert_eq(s.execs, 1);

	p = live_proc(&s, 1);
	cr_assert_str_eq(p->comm, "true");
	cr_assert_eq(p->peak_vmas, 20);
	cr_assert_eq(p->last_vmas, 20);
	cr_assert_eq(p->start_brk, 0x5600000000ULL);
	cr_assert_eq(p->first_brk, 0x5600000000ULL);
	cr_assert_eq(p->max_brk, 0x5600000000ULL);
	/* The next record sees the new image's break. */
	cr_assert_eq(add_sys(&s, 1, "true", VMT_SYS_BRK, 0x5600021000LL, 21, 0x5600021000ULL),
		     0x5600000000LL);
	cr_assert_eq(s.peak_vmas, 80);
	cr_assert_eq(s.nprocs_seen, 1);
}

static struct vmt_fork_rec fork_rec(unsigned int parent, unsigned int child, bool followed)
{
	struct vmt_fork_rec f;

	memset(&f, 0, sizeof(f));
	fill_hdr(&f.hdr, VMT_REC_FORK, parent, "parent");
	f.hdr.flags = followed ? VMT_F_TRACED_NEW : 0;
	f.child_tgid = child;
	f.child_tid = child;
	memcpy(f.child_comm, "child", 5);
	f.map_count = 42;
	f.start_brk = S_BRK;
	f.brk = S_BRK + KIB(4);
	return f;
}

Test(summary, fork)
{
	struct vmt_fork_rec f = fork_rec(1, 2, true);
	struct summary_proc *c;

	add(&s, &f, sizeof(f));
	cr_assert_eq(s.forks, 1);
	c = live_proc(&s, 2);
	cr_assert_not_null(c, "followed child not tracked");
	cr_assert_eq(c->tgid, 2);
	cr_assert_str_eq(c->comm, "child");
	cr_assert_eq(c->last_vmas, 42);
	cr_assert_eq(s.peak_tgid, 2);
	cr_assert_str_eq(s.peak_comm, "child");
	/* The child inherits the parent's break. */
	cr_assert_eq(add_sys(&s, 2, "child", VMT_SYS_MUNMAP, 0, 41, S_BRK + KIB(4)),
		     (long long)(S_BRK + KIB(4)));

	/* A child that is not followed is not tracked. */
	f = fork_rec(1, 3, false);
	add(&s, &f, sizeof(f));
	cr_assert_eq(s.forks, 2);
	cr_assert_null(live_proc(&s, 3));
	cr_assert_eq(s.nprocs_seen, 2); /* parent and first child */
}

Test(summary, exit_keeps_then_forgets)
{
	summary_free(&s); /* keeping one exited process */
	summary_init(&s, 1);
	add_sys(&s, 1, "a", VMT_SYS_BRK, S_BRK + KIB(8), 3, S_BRK + KIB(8));
	add_sys(&s, 2, "b", VMT_SYS_BRK, S_BRK, 3, S_BRK);
	add_exit(&s, 1, "a");
	cr_assert_eq(s.exits, 1);
	cr_assert_null(live_proc(&s, 1));
	cr_assert_eq(s.nexited, 1);
	cr_assert_eq(s.exited[0]->tgid, 1);
	cr_assert_eq(s.exited[0]->last_brk, S_BRK + KIB(8));

	/* Past keep_exited the process is dropped (no leak: checked under ASan/valgrind). */
	add_exit(&s, 2, "b");
	cr_assert_eq(s.exits, 2);
	cr_assert_eq(s.nexited, 1);
	cr_assert_null(live_proc(&s, 2));

	/* A pid seen again after its exit starts from scratch. */
	cr_assert_eq(add_sys(&s, 1, "a2", VMT_SYS_MMAP, 0x7f0000000000LL, 3, S_BRK), -1);
	cr_assert_eq(s.nprocs_seen, 3);
}

Test(summary, other_records)
{
	struct vmt_vma_rec v;
	struct vmt_oom_rec o;
	struct vmt_syscall_rec r;
	unsigned long long first;

	summary_free(&s); /* keeping none */
	summary_init(&s, 0);
	memset(&v, 0, sizeof(v));
	fill_hdr(&v.hdr, VMT_REC_VMA, 7, "x");
	add(&s, &v, sizeof(v));
	cr_assert_eq(s.records, 0, "VMA records belong to their exec");
	cr_assert_null(live_proc(&s, 7));
	cr_assert_eq(s.first_ts, 0);

	memset(&o, 0, sizeof(o));
	fill_hdr(&o.hdr, VMT_REC_OOM, 8, "alloc");
	first = o.hdr.ts_ns;
	add(&s, &o, sizeof(o));
	cr_assert_eq(s.ooms, 1);
	cr_assert_eq(s.records, 1);

	/* Too short for a header: ignored. */
	add(&s, &o, sizeof(struct vmt_hdr) - 1);
	cr_assert_eq(s.records, 1);

	/* An unknown syscall id is a record, but no call. */
	r = sys_rec(8, "alloc", VMT_SYS__COUNT, -ENOMEM, 3, 0);
	add(&s, &r, sizeof(r));
	cr_assert_eq(s.records, 2);
	for (unsigned int i = 0; i < VMT_SYS__COUNT; i++)
		cr_assert_eq(s.calls[i], 0);

	cr_assert_eq(s.first_ts, first);
	cr_assert_eq(s.last_ts, r.hdr.ts_ns);

	/* keep_exited 0: exits are counted, nothing kept. */
	add_exit(&s, 8, "alloc");
	cr_assert_eq(s.exits, 1);
	cr_assert_eq(s.nexited, 0);
}

/* A session: a shell forks a child that grows and shrinks its heap, hits ENOMEM, exits. */
static void feed_session(struct summary *sum)
{
	struct vmt_fork_rec f = fork_rec(1, 2, true);

	add_sys(sum, 1, "sh", VMT_SYS_MMAP, 0x7f0000000000LL, 40, S_BRK);
	add(sum, &f, sizeof(f));
	add_sys(sum, 2, "child", VMT_SYS_BRK, S_BRK + KIB(132), 50, S_BRK + KIB(132));
	add_sys(sum, 2, "child", VMT_SYS_BRK, S_BRK + KIB(264), 50, S_BRK + KIB(264));
	add_sys(sum, 2, "child", VMT_SYS_BRK, S_BRK + KIB(136), 50, S_BRK + KIB(136));
	add_sys(sum, 2, "child", VMT_SYS_MMAP, 0x7f0000100000LL, 500, S_BRK + KIB(136));
	add_sys(sum, 2, "child", VMT_SYS_MMAP, -ENOMEM, 500, S_BRK + KIB(136));
	add_sys(sum, 2, "child", VMT_SYS_MMAP, -ENOMEM, 500, S_BRK + KIB(136));
	add_sys(sum, 2, "child", VMT_SYS_MUNMAP, -EINVAL, 500, S_BRK + KIB(136));
	add_exit(sum, 2, "child");
	sum->dropped = 3;
}

Test(summary, json)
{
	struct strbuf sb;

	feed_session(&s);
	json_of(&sb);
	cr_assert_eq(sb.buf[sb.len - 1], '\n');

	ja_check_member(sb.buf, "calls",
			"{\"mmap\":{\"calls\":4,\"failed\":2,\"errors\":{\"ENOMEM\":2}},"
			"\"munmap\":{\"calls\":1,\"failed\":1,\"errors\":{\"EINVAL\":1}},"
			"\"brk\":{\"calls\":3,\"failed\":0,\"errors\":{}}}");
#define MEMBER(key, raw) ja_check_member(sb.buf, key, raw)
	MEMBER("event", "\"summary\"");
	MEMBER("peak_vmas", "500");
	MEMBER("peak_pid", "2");
	MEMBER("max_map_count", "65530");
	MEMBER("processes", "2");
	MEMBER("records", "10");
	MEMBER("dropped", "3");
	/* The parent's heap never moved; the exited child's is kept. */
	MEMBER("heap",
	       "[{\"pid\":1,\"start_brk\":\"0x555555559000\",\"first_brk\":\"0x555555559000\","
	       "\"max_brk\":\"0x555555559000\",\"last_brk\":\"0x555555559000\"},"
	       "{\"pid\":2,\"start_brk\":\"0x555555559000\",\"first_brk\":\"0x55555555a000\","
	       "\"max_brk\":\"0x55555559b000\",\"last_brk\":\"0x55555557b000\"}]");
#undef MEMBER
	sb_free(&sb);
}

Test(summary, json_empty)
{
	struct strbuf sb;

	json_of(&sb);
	cr_assert_str_eq(sb.buf,
			 "{\"event\":\"summary\",\"calls\":{},\"peak_vmas\":0,\"peak_pid\":0,"
			 "\"max_map_count\":65530,\"heap\":[],\"processes\":0,\"records\":0,"
			 "\"dropped\":0}\n");
	sb_free(&sb);
}

/* One row of the text table: name, calls and failures right-aligned, then the errors. */
static void check_row(const char *out, const char *sys, int calls, int failed, const char *errors)
{
	char row[128];

	snprintf(row, sizeof(row), "\n%-24s %10d %10d  %s\n", sys, calls, failed, errors);
	cr_assert_not_null(strstr(out, row), "no row \"%s\" in:%s", row, out);
}

Test(summary, text)
{
	char *out;

	feed_session(&s);
	out = text_of();

	cr_assert_not_null(strstr(out, "--- vmatrace summary: 2 processes, "), "%s", out);
	check_row(out, "mmap", 4, 2, "ENOMEM x2");
	check_row(out, "munmap", 1, 1, "EINVAL x1");
	check_row(out, "brk", 3, 0, "");
	cr_assert_not_null(strstr(out, "\ntotal                             8          3\n"), "%s",
			   out);
	cr_assert_not_null(strstr(out, "\npeak VMA count: 500 of 65530 (0.8%) in child[2]\n"), "%s",
			   out);
	cr_assert_not_null(strstr(out,
				  "\nheap (brk) of child[2]: +132KiB overall, high-water 264KiB, "
				  "now 136KiB\n"),
			   "%s", out);
	cr_assert_null(strstr(out, "heap (brk) of sh[1]"), "%s", out);
	cr_assert_not_null(strstr(out, "\nrecords: 10 (fork 1, exec 0, exit 1, oom_kill 0), "
				       "dropped 3\n"),
			   "%s", out);
	free(out);
}
