// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What an alert says of the past, from a model fed synthetic records: the
 * state at past instants (flight recorder, then timeline), the compact "what
 * grew", failures counted by syscall and errno, and the rate limit that
 * counts every failure it holds back.
 */
#include "model_kernel.h"

#include <criterion/redirect.h>

#include "alert.h"
#include "config.h"
#include "jsonw.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1000 * SEC) /* on a timeline slot's start */

/* One more anonymous page at addr (apart from the others: nothing merges), at ts. */
static void mmap_page_at(struct kernel *k, uint64_t addr, uint64_t ts)
{
	struct vmt_syscall_rec r;

	kernel_add(k, anon(addr, addr + P, RW));
	r = sysrec(k, VMT_SYS_MMAP, (int64_t)addr, ARGS(0, P, 3, 0x22, -1ull, 0));
	r.hdr.ts_ns = ts;
	apply(&r, sizeof(r));
}

static struct vmt_syscall_rec failed_at(struct kernel *k, enum vmt_sys sys, int err, uint64_t ts)
{
	struct vmt_syscall_rec r = sysrec(k, sys, -err, ARGS(A + P, P));

	r.hdr.ts_ns = ts;
	apply(&r, sizeof(r));
	return r;
}

/* A process with one page, then a page more every 50 ms for 0.3 s: it lived 0.3 s. */
static struct model_proc *short_lived(void)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(C, C + P, RW));
	seed(k);
	for (int i = 0; i < 7; i++)
		mmap_page_at(k, A + 2 * i * P, T0 + i * 50 * MS);
	expect_followed(k);
	return model_proc_get(m, TGID);
}

TestSuite(grew, .init = setup, .fini = teardown);

Test(grew, a_short_life_has_its_history_from_the_flight_recorder)
{
	struct model_proc *p = short_lived();
	struct alert_grew g;

	cr_assert_eq(p->tl_len, 0, "no timeline interval closed in 0.3 s");
	cr_assert_eq(model_state_at(p, T0 - 1, SEC).source, MS_NONE, "nothing known before");
	alert_grew_compute(p, T0 + 300 * MS, ALERT_GREW_WINDOW_NS, SEC, &g);
	cr_assert_eq(g.from_ns, T0, "the window starts where the process is known");
	cr_assert_eq(g.npoints, ALERT_GREW_POINTS);
	for (int i = 0; i < g.npoints; i++) {
		cr_assert_eq(g.points[i].source, MS_FLIGHT);
		cr_assert_eq(g.ago_ns[i], (uint64_t)(6 - i) * 50 * MS);
		/* At T0 + 50 ms * i, i + 1 pages had come on top of the first. */
		cr_assert_eq(g.points[i].vmas, 2 + i, "point %d: %u VMAs", i, g.points[i].vmas);
		cr_assert_eq(g.points[i].mapped, (2 + i) * P);
	}
	cr_assert_eq(g.sources, 1u << MS_FLIGHT);
	cr_assert_eq(g.series[0].vmas, 2);
	cr_assert_eq(g.series[g.nseries - 1].vmas, 8);
}

Test(grew, older_history_comes_from_the_timeline)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;
	struct model_state s;
	struct alert_grew g;

	m->cfg.flight_events = 4; /* the last four events only */
	KSET(k, anon(C, C + P, RW));
	seed(k);
	/* A page a second for 10 s, 20 s of quiet, a page a second again for 10 s. */
	for (int i = 0; i < 20; i++)
		mmap_page_at(k, A + 2 * i * P, T0 + (i < 10 ? i : 20 + i) * SEC);
	expect_followed(k);
	p = model_proc_get(m, TGID);
	cr_assert_eq(p->fr_len, 4);
	/*
	 * 2.5 s in is inside the interval [2 s, 3 s): the timeline knows its end only, so the
	 * answer is what the interval before left, true at 2 s.
	 */
	s = model_state_at(p, T0 + 2500 * MS, SEC);
	cr_assert_eq(s.source, MS_TIMELINE);
	cr_assert_eq(s.vmas, 3);
	cr_assert_eq(s.mapped, 3 * P);
	cr_assert_eq(s.at_ns, T0 + 2 * SEC);
	/* In the quiet, the last interval's values hold. */
	s = model_state_at(p, T0 + 20 * SEC, SEC);
	cr_assert_eq(s.source, MS_TIMELINE);
	cr_assert_eq(s.vmas, 11);
	cr_assert_eq(s.at_ns, T0 + 20 * SEC);
	s = model_state_at(p, T0 + 39 * SEC, SEC);
	cr_assert_eq(s.source, MS_FLIGHT);
	cr_assert_eq(s.vmas, 21);
	alert_grew_compute(p, T0 + 39 * SEC, ALERT_GREW_WINDOW_NS, SEC, &g);
	cr_assert_eq(g.from_ns, T0);
	cr_assert_eq(g.sources, (1u << MS_FLIGHT) | (1u << MS_TIMELINE));
	cr_assert_eq(g.points[0].vmas, 2);
	cr_assert_eq(g.points[g.npoints - 1].vmas, 21);
	cr_assert_eq(g.ago_ns[g.npoints - 1], 0);
	for (int i = 1; i < g.npoints; i++)
		cr_assert_lt(g.ago_ns[i], g.ago_ns[i - 1], "points in time order, each once");
}

Test(grew, history_starts_at_the_exec)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_exec_rec ex = { .hdr = { .type = VMT_REC_EXEC, .tgid = TGID, .tid = TGID } };
	struct model_proc *p;
	struct alert_grew g;

	KSET(k, anon(C, C + P, RW));
	seed(k);
	for (int i = 0; i < 3; i++)
		mmap_page_at(k, A + 2 * i * P, T0 + i * SEC);
	/* The new image: two VMAs, then a page more every 50 ms. */
	KSET(k, anon(B, B + P, RW), anon(B + 2 * P, B + 4 * P, RW));
	ex.hdr.ts_ns = T0 + 5 * SEC;
	ex.map_count = k->n;
	ex.nvmas = k->n;
	apply(&ex, sizeof(ex));
	for (uint32_t i = 0; i < k->n; i++) {
		struct vmt_vma_rec v = { .hdr = { .type = VMT_REC_VMA,
						  .ts_ns = T0 + 5 * SEC,
						  .tgid = TGID,
						  .tid = TGID },
					 .index = i,
					 .vma = k->v[i] };

		apply(&v, sizeof(v));
	}
	for (int i = 1; i <= 6; i++)
		mmap_page_at(k, C + 2 * i * P, T0 + 5 * SEC + i * 50 * MS);
	expect_followed(k);
	p = model_proc_get(m, TGID);
	alert_grew_compute(p, T0 + 5 * SEC + 300 * MS, ALERT_GREW_WINDOW_NS, SEC, &g);
	cr_assert_eq(g.from_ns, T0 + 5 * SEC, "the old image's history is not this program's");
	cr_assert_eq(g.points[0].vmas, 2);
	cr_assert_eq(g.points[0].mapped, 3 * P, "what the new image maps, once its VMAs came");
	cr_assert_eq(g.points[g.npoints - 1].vmas, 8);
	cr_assert_eq(g.sources, 1u << MS_FLIGHT);
}

Test(grew, json_for_a_table_and_a_plot)
{
	struct model_proc *p = short_lived();
	struct strbuf sb;
	struct jsonw w;
	json_t *j, *g, *pts, *kinds, *events;
	double d;

	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	alert_grew_json(&w, p, T0 + 300 * MS, SEC, true, 0);
	jw_obj_end(&w);
	j = jr_parse(sb.buf, sb.len);
	cr_assert(j, "%s", sb.buf);
	g = json_object_get(j, "grew");
	cr_assert(json_is_object(g), "%s", sb.buf);
	cr_assert_str_eq(jr_str(g, "source"), "flight recorder");
	cr_assert(jr_num(g, "span_s", &d) && d == 0.3, "%s", sb.buf);
	pts = json_object_get(g, "points");
	cr_assert_eq(json_array_size(pts), ALERT_GREW_POINTS);
	cr_assert(jr_num(json_array_get(pts, 0), "ago_s", &d) && d == 0.3);
	cr_assert(jr_num(json_array_get(pts, 0), "vmas", &d) && d == 2);
	cr_assert(jr_num(json_array_get(pts, 6), "ago_s", &d) && d == 0);
	cr_assert(jr_num(json_array_get(pts, 6), "vmas", &d) && d == 8);
	cr_assert(jr_num(json_array_get(pts, 6), "mapped", &d) && d == 8 * P);
	cr_assert_eq(json_array_size(json_object_get(json_object_get(g, "series"), "mapped")),
		     ALERT_GREW_SERIES);
	kinds = json_object_get(g, "kinds");
	cr_assert_eq(json_array_size(kinds), 1, "%s", sb.buf);
	cr_assert_str_eq(jr_str(json_array_get(kinds, 0), "kind"), model_kind_name(VK_ANON));
	cr_assert(jr_num(json_array_get(kinds, 0), "vmas", &d) && d == 8);
	events = json_object_get(g, "events");
	cr_assert_eq(json_array_size(events), ALERT_GREW_EVENTS);
	cr_assert_str_eq(jr_str(json_array_get(events, 4), "event"), "mmap");
	json_decref(j);
	sb_free(&sb);
}

Test(grew, failures_are_counted_by_syscall_and_errno)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	for (int i = 0; i < 22; i++)
		failed_at(k, VMT_SYS_MUNMAP, ENOMEM, T0 + i * MS);
	failed_at(k, VMT_SYS_MUNMAP, EINVAL, T0 + 30 * MS);
	failed_at(k, VMT_SYS_MPROTECT, ENOMEM, T0 + 31 * MS);
	expect_followed(k);
	p = model_proc_get(m, TGID);
	cr_assert_eq(p->failures, 24);
	cr_assert_eq(p->nfails, 3);
	cr_assert_eq(model_failures_of(p, VMT_SYS_MUNMAP, ENOMEM), 22);
	cr_assert_eq(model_failures_of(p, VMT_SYS_MUNMAP, EINVAL), 1);
	cr_assert_eq(model_failures_of(p, VMT_SYS_MPROTECT, ENOMEM), 1);
	cr_assert_eq(model_failures_of(p, VMT_SYS_MMAP, ENOMEM), 0);
}

/* ---- the rate limit counts what it holds back ---- */

static struct config acfg;
static struct alert_engine *ae;
static json_t *alerts[16];
static int nalerts;

static void record(void *ctx, enum alert_kind kind, uint32_t pid, const char *comm,
		   const char *json, const char *incident)
{
	(void)ctx;
	(void)pid;
	(void)comm;
	(void)incident;
	cr_assert_eq(kind, ALERT_ALLOC_FAILURE);
	cr_assert_lt(nalerts, 16);
	alerts[nalerts] = jr_parse(json, strlen(json));
	cr_assert(alerts[nalerts], "%s", json);
	nalerts++;
}

static void limit_setup(void)
{
	setup();
	config_defaults(&acfg);
	ae = alert_new(&acfg, record, NULL);
	cr_assert(ae);
	cr_redirect_stderr();
}

static void limit_teardown(void)
{
	for (int i = 0; i < nalerts; i++)
		json_decref(alerts[i]);
	nalerts = 0;
	alert_free(ae);
	teardown();
}

static long long member(int i, const char *key)
{
	long long v;

	cr_assert(jr_int(alerts[i], key, &v), "alert %d has no %s", i, key);
	return v;
}

/* Failures alerted plus those each alert says it stood for. */
static long long counted(void)
{
	long long n = 0;

	for (int i = 0; i < nalerts; i++)
		n += 1 + member(i, "suppressed_before");
	return n;
}

static void fail(struct kernel *k, uint64_t ts)
{
	struct vmt_syscall_rec r = failed_at(k, VMT_SYS_MUNMAP, ENOMEM, ts);

	alert_check_failure(ae, model_proc_get(m, TGID), &r, 65530, 0);
}

Test(failure_limit, every_failure_held_back_is_counted_in_a_later_alert, .init = limit_setup,
     .fini = limit_teardown)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;
	long long v;
	json_t *f;

	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	/* Scenario 1: 22 munmaps fail within a millisecond each of the last. */
	for (int i = 0; i < 22; i++)
		fail(k, T0 + i * MS);
	cr_assert_eq(nalerts, 1, "rate-limited: one alert at once");
	cr_assert_eq(member(0, "suppressed_before"), 0);
	cr_assert(json_is_false(json_object_get(alerts[0], "delayed")));
	cr_assert_eq(member(0, "failures_total"), 1);
	p = model_proc_get(m, TGID);
	alert_tick_failures(ae, m, 65530, T0 + 5 * SEC, 0);
	cr_assert_eq(nalerts, 1, "the interval (10 s) is not over");
	/* When it is, the newest held back failure is alerted for all of them. */
	alert_tick_failures(ae, m, 65530, T0 + 10 * SEC, 0);
	cr_assert_eq(nalerts, 2);
	cr_assert_eq(member(1, "suppressed_before"), 20);
	cr_assert(json_is_true(json_object_get(alerts[1], "delayed")));
	cr_assert_eq(member(1, "failures_total"), 22);
	f = json_array_get(json_object_get(alerts[1], "failures"), 0);
	cr_assert_str_eq(jr_str(f, "syscall"), "munmap");
	cr_assert_str_eq(jr_str(f, "errno"), "ENOMEM");
	cr_assert(jr_int(f, "count", &v) && v == 22);
	cr_assert_eq(counted(), 22);
	cr_assert_eq(counted(), (long long)model_failures_of(p, VMT_SYS_MUNMAP, ENOMEM));
	alert_tick_failures(ae, m, 65530, T0 + 30 * SEC, 0);
	cr_assert_eq(nalerts, 2, "nothing more was held back");
	/*
	 * One that happened before that alert went out but was read after it (the consumer
	 * lags), and one within the interval after it: held, then told when the process exits.
	 */
	fail(k, T0 + 9500 * MS);
	fail(k, T0 + 12 * SEC);
	cr_assert_eq(nalerts, 2);
	alert_flush_failures(ae, p, 65530, T0 + 12 * SEC, true, 0);
	cr_assert_eq(nalerts, 3);
	cr_assert_eq(member(2, "suppressed_before"), 1);
	cr_assert_eq(counted(), 24);
	cr_assert_eq(counted(), (long long)p->failures);
}

Test(failure_limit, a_failure_after_the_interval_counts_those_before_it, .init = limit_setup,
     .fini = limit_teardown)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	for (int i = 0; i < 5; i++)
		fail(k, T0 + i * MS);
	fail(k, T0 + 11 * SEC);
	cr_assert_eq(nalerts, 2);
	cr_assert_eq(member(1, "suppressed_before"), 4);
	cr_assert(json_is_false(json_object_get(alerts[1], "delayed")));
	cr_assert_eq(counted(), 6);
}

/* The kernel marks each thread of a dying victim that allocates again: one kill. */
Test(failure_limit, an_oom_kill_is_seen_once_per_process, .init = limit_setup,
     .fini = limit_teardown)
{
	cr_assert_not(alert_oom_repeat(ae, 4242));
	cr_assert(alert_oom_repeat(ae, 4242), "another thread's mark of the same kill");
	cr_assert_not(alert_oom_repeat(ae, 4243), "another process");
	alert_forget(ae, 4242);
	cr_assert_not(alert_oom_repeat(ae, 4242), "a new process with the pid");
}
