// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The model's history as a gauge: points only where something changed, each value held
 * until the next point; min and max of an interval with the value held into it; an exec's
 * first point with its VMAs in; rates over a trailing window that end now.
 */
#include "jsonr.h"
#include "model_kernel.h"
#include "strbuf.h"

TestSuite(model_history, .init = setup, .fini = teardown);

#define SEC 1000000000ull

static uint64_t t0;

/* A call at t0 + at_ns, k holding the kernel's state after it. */
static void call_at(struct kernel *k, uint64_t at_ns, enum vmt_sys sys, int64_t ret,
		    const uint64_t args[VMT_MAX_ARGS])
{
	struct vmt_syscall_rec r = sysrec(k, sys, ret, args);

	r.hdr.ts_ns = t0 + at_ns;
	apply(&r, sizeof(r));
}

/* k gets one more separate page at A + 2 * i pages, mapped at t0 + at_ns. */
static void map_page(struct kernel *k, unsigned i, uint64_t at_ns)
{
	kernel_add(k, anon(A + 2 * i * P, A + (2 * i + 1) * P, RW));
	call_at(k, at_ns, VMT_SYS_MMAP, A + 2 * i * P,
		ARGS(A + 2 * i * P, P, 3, 0x22 | 0x10, -1ull, 0));
}

static struct kernel *start(void)
{
	struct kernel *k = kernel_new(TGID);

	/* Slots of a second from a round time: the assertions read whole intervals. */
	t0 = (now() / SEC + 10) * SEC;
	KSET(k, anon(B, B + P, RW));
	seed(k);
	return k;
}

static json_t *timeline_line(struct model_proc *p, uint64_t now_ns, size_t want, size_t i)
{
	struct strbuf sb;
	size_t n = 0;
	json_t *j = NULL;

	sb_init(&sb);
	model_format_timeline(m, p, &sb, true, 0, now_ns);
	for (char *s = sb.buf, *nl; s && (nl = strchr(s, '\n')); s = nl + 1, n++)
		if (n == i)
			j = jr_parse(s, nl - s);
	cr_assert_eq(n, want, "%zu points, not %zu:\n%s", n, want, sb.buf);
	sb_free(&sb);
	cr_assert(j);
	return j;
}

Test(model_history, a_quiet_stretch_holds_the_last_value_until_the_next_change)
{
	struct kernel *k = start();
	struct model_proc *p;
	const struct tl_point *a, *b;
	json_t *j;
	long long v;

	for (unsigned i = 0; i < 3; i++)
		map_page(k, i, 100000000ull * (i + 1));
	/* 90 s of nothing, then one page goes. */
	KSET(k, anon(B, B + P, RW), anon(A, A + P, RW), anon(A + 2 * P, A + 3 * P, RW));
	call_at(k, 90 * SEC + SEC / 2, VMT_SYS_MUNMAP, 0, ARGS(A + 4 * P, P));
	model_tick(m, t0 + 92 * SEC);
	p = model_proc_get(m, TGID);
	cr_assert_eq(p->tl_len, 2, "a quiet interval needs no point: %u points", p->tl_len);
	a = model_tl_at(p, 0);
	b = model_tl_at(p, 1);
	cr_assert_eq(a->t_ns, t0);
	cr_assert_eq(a->vmas_last, 4);
	cr_assert_eq(b->t_ns, t0 + 90 * SEC);
	/* The interval began at 4 VMAs (held since t0) and ended at 3. */
	cr_assert_eq(b->vmas_min, 3);
	cr_assert_eq(b->vmas_max, 4);
	cr_assert_eq(b->vmas_last, 3);
	cr_assert_eq(b->mapped_max, 4 * P);
	cr_assert_eq(b->mapped, 3 * P);
	/* The first point holds until the second: 90 s, not one interval. */
	j = timeline_line(p, t0 + 100 * SEC, 2, 0);
	cr_assert(jr_int(j, "ts", &v) && v == (long long)(t0 / SEC));
	cr_assert(jr_int(j, "until", &v) && v == (long long)(t0 / SEC) + 90);
	json_decref(j);
	/* The last holds until now. */
	j = timeline_line(p, t0 + 100 * SEC, 2, 1);
	cr_assert(jr_int(j, "until", &v) && v == (long long)(t0 / SEC) + 100);
	json_decref(j);
}

Test(model_history, the_first_interval_starts_at_the_first_value_not_zero)
{
	struct kernel *k = start();
	const struct tl_point *a;

	map_page(k, 0, SEC / 10);
	model_tick(m, t0 + 2 * SEC);
	a = model_tl_at(model_proc_get(m, TGID), 0);
	cr_assert_eq(a->vmas_min, 2);
	cr_assert_eq(a->vmas_max, 2);
}

/* The exec's VMA records: the first n of the kernel's VMAs, at ts. */
static void send_exec_vmas(const struct kernel *k, uint64_t ts, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct vmt_vma_rec v = {
			.hdr = { .type = VMT_REC_VMA, .ts_ns = ts, .tgid = TGID },
			.index = i,
			.vma = k->v[i],
		};

		apply(&v, sizeof(v));
	}
}

Test(model_history, an_exec_starts_its_timeline_with_its_vmas_in)
{
	struct kernel *k = start();
	struct vmt_exec_rec e = {
		.hdr = { .type = VMT_REC_EXEC, .tgid = TGID, .tid = TGID },
		.nvmas = 3,
	};
	struct model_proc *p;
	const struct tl_point *last;

	map_page(k, 0, SEC / 10);
	KSET(k, anon(C, C + P, RW), anon(C + 2 * P, C + 3 * P, RW), anon(C + 4 * P, C + 5 * P, RO));
	e.hdr.ts_ns = t0 + 3 * SEC;
	e.map_count = 3;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "newimage");
	apply(&e, sizeof(e));
	send_exec_vmas(k, t0 + 3 * SEC, 3);
	model_tick(m, t0 + 5 * SEC);
	p = model_proc_get(m, TGID);
	cr_assert_eq(p->tl_len, 2);
	last = model_tl_at(p, 1);
	cr_assert_eq(last->t_ns, t0 + 3 * SEC);
	/* Not 0 (the map cleared for the new image) nor the old image's 2. */
	cr_assert_eq(last->vmas_min, 3);
	cr_assert_eq(last->vmas_max, 3);
}

Test(model_history, the_rate_ends_now_and_falls_to_zero_a_window_after_growth_stops)
{
	struct kernel *k = start();
	struct model_proc *p;
	double r;

	/* 20 pages in 2 s: 10 VMAs/s. */
	for (unsigned i = 0; i < 20; i++)
		map_page(k, i, SEC / 10 * (i + 1));
	p = model_proc_get(m, TGID);
	/* 1 s after the last page: 19 VMAs more than its first value, 2.9 s ago. */
	r = model_growth_rate(p, SEC, t0 + 3 * SEC, 60 * SEC);
	cr_assert_float_eq(r, 19.0 / 2.9, 1e-9, "rate %f", r);
	/* Over a 3 s window ending 2 s after growth stopped: its last second of growth. */
	model_tick(m, t0 + 4 * SEC);
	r = model_growth_rate(p, SEC, t0 + 4 * SEC, 3 * SEC);
	cr_assert_float_eq(r, 10.0 / 3, 1e-9, "rate %f", r);
	/* A window after the last change: nothing changed in it. */
	r = model_growth_rate(p, SEC, t0 + 2 * SEC + 3 * SEC, 3 * SEC);
	cr_assert_float_eq(r, 0, 1e-9, "rate %f", r);
	r = model_growth_rate(p, SEC, t0 + 600 * SEC, 60 * SEC);
	cr_assert_float_eq(r, 0, 1e-9, "rate %f", r);
}

Test(model_history, the_rate_reads_the_timeline_when_the_flight_recorder_is_too_short)
{
	struct model_config cfg = { .flight_events = 4 };
	struct kernel *k;
	struct model_proc *p;
	double r;

	model_free(m);
	m = model_new(&cfg);
	k = start();
	/* One page a second for 10 s; the flight recorder keeps the last 4 calls only. */
	for (unsigned i = 0; i < 10; i++) {
		map_page(k, i, SEC * i + SEC / 2);
		model_tick(m, t0 + SEC * (i + 1));
	}
	p = model_proc_get(m, TGID);
	cr_assert_eq(p->fr_len, 4);
	/* Window of 6 s ending at 10 s: from the count at 4 s (5 VMAs, the timeline) to 11. */
	r = model_growth_rate(p, SEC, t0 + 10 * SEC, 6 * SEC);
	cr_assert_float_eq(r, 6.0 / 6, 1e-9, "rate %f", r);
}

Test(model_history, an_exec_into_the_same_figures_is_still_a_new_series)
{
	struct kernel *k = start();
	struct vmt_exec_rec e = {
		.hdr = { .type = VMT_REC_EXEC, .tgid = TGID, .tid = TGID },
		.nvmas = 2,
		.map_count = 2,
	};
	struct model_proc *p;

	map_page(k, 0, SEC / 10);
	/* The new image: two one-page VMAs again, as many bytes, no heap. */
	KSET(k, anon(C, C + P, RW), anon(C + 2 * P, C + 3 * P, RW));
	e.hdr.ts_ns = t0 + 3 * SEC;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "same");
	apply(&e, sizeof(e));
	send_exec_vmas(k, t0 + 3 * SEC, 2);
	model_tick(m, t0 + 5 * SEC);
	p = model_proc_get(m, TGID);
	cr_assert_eq(p->tl_len, 2, "the new image's first point was dropped as unchanged");
	cr_assert_eq(model_tl_at(p, 1)->t_ns, t0 + 3 * SEC);
}

Test(model_history, a_late_older_record_counts_in_the_last_interval)
{
	struct kernel *k = start();
	struct model_proc *p;

	/* The daemon's start marks the process at 5 s; a record of 2 s is read after it. */
	model_tl_mark(m, t0 + 5 * SEC);
	map_page(k, 0, 2 * SEC);
	map_page(k, 1, 7 * SEC);
	model_tick(m, t0 + 9 * SEC);
	p = model_proc_get(m, TGID);
	cr_assert_eq(p->tl_len, 2);
	cr_assert_eq(model_tl_at(p, 0)->t_ns, t0 + 5 * SEC);
	cr_assert_eq(model_tl_at(p, 0)->vmas_min, 1);
	cr_assert_eq(model_tl_at(p, 0)->vmas_last, 2);
	cr_assert_eq(model_tl_at(p, 1)->t_ns, t0 + 7 * SEC);
}
