// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The report reads timelines as a gauge: a value holds until the next point, the last one
 * to the exit, to an exec into another program, or to the end of what the journal knows of
 * its daemon run; peaks are the maxima within intervals and how long they held.
 */
#include "report_checks.h"
#include "report_svg.h"

#define HOLDER 10
#define QUIET 11
#define EXECS 12
#define MIB (1ull << 20)

static void point(struct fx *f, uint32_t pid, const char *comm, uint64_t s, uint32_t vmas,
		  uint32_t vmax, uint64_t mapped, uint64_t mapped_max, uint64_t heap)
{
	struct journal_tl tl = {
		.t_ns = (T0 + s) * NS,
		.vmas_min = vmas < vmax ? vmas : vmax,
		.vmas_max = vmax,
		.vmas_last = vmas,
		.calls = 1,
		.max_map_count = FX_MAX_MAP,
		.mapped = mapped,
		.heap = heap,
		.heap_hwm = heap,
		.mapped_max = mapped_max,
		.heap_max = heap,
	};

	cr_assert_eq(journal_put_point(f->j, pid, comm, &tl), 0);
}

static void journal(struct fx *f)
{
	fx_open(f);
	fx_json(f, JREC_DAEMON_START, 0, "", T0 * NS, "{\"max_map_count\":%u}", FX_MAX_MAP);
	/* Climbs to the limit at 2 s (mapping 512 MiB, then unmapping down to 465) and holds. */
	point(f, HOLDER, "holder", 1, 30000, 30000, 200 * MIB, 200 * MIB, 0);
	point(f, HOLDER, "holder", 2, FX_MAX_MAP, FX_MAX_MAP, 465 * MIB, 512 * MIB, 0);
	point(f, HOLDER, "holder", 3, FX_MAX_MAP, FX_MAX_MAP, 465 * MIB, 465 * MIB, 0);
	fx_json(f, JREC_PROC_EXIT, HOLDER, "holder", (T0 + 95) * NS,
		"{\"exit_code\":0,\"signal\":null,\"vmas\":%u}", FX_MAX_MAP);
	/* A heap that grew and never shrank, quiet since: to the daemon's last word. */
	point(f, QUIET, "quiet", 5, 40, 40, 8 * MIB, 8 * MIB, 4 * MIB);
	point(f, QUIET, "quiet", 6, 41, 41, 50 * MIB, 50 * MIB, 43 * MIB);
	/* A shell that execs: its series ends where the new program's begins. */
	point(f, EXECS, "sh", 7, 20, 20, MIB, MIB, 0);
	point(f, EXECS, "mysqld", 30, 200, 200, 90 * MIB, 90 * MIB, 0);
	fx_json(f, JREC_HEARTBEAT, 0, "", (T0 + 200) * NS, "{\"processes\":3}");
	fx_json(f, JREC_DAEMON_STOP, 0, "", (T0 + 205) * NS, "{\"reason\":\"SIGTERM\"}");
	/* Another run: what it writes says nothing of the first run's processes. */
	fx_json(f, JREC_DAEMON_START, 0, "", (T0 + 1000) * NS, "{\"max_map_count\":%u}",
		FX_MAX_MAP);
	fx_json(f, JREC_HEARTBEAT, 0, "", (T0 + 1100) * NS, "{\"processes\":3}");
	fx_close(f);
}

static const struct report_proc *find(const struct report *r, uint32_t pid, const char *comm)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i]->pid == pid && !strcmp(r->procs[i]->comm, comm))
			return r->procs[i];
	cr_assert_fail("no process %u %s", pid, comm);
	return NULL;
}

Test(report_gauge, series_end_at_the_exit_the_exec_or_the_daemons_last_word)
{
	struct report_filter flt = { 0 };
	const struct report_proc *p;
	struct report r;
	struct fx f;

	journal(&f);
	flt.dir = f.dir;
	cr_assert_eq(report_load(&r, &flt), 0);
	p = find(&r, HOLDER, "holder");
	cr_assert(p->exited);
	cr_assert_eq(p->end_ns, (T0 + 95) * NS);
	cr_assert_eq(report_point_until(p, 0), (T0 + 2) * NS);
	cr_assert_eq(report_point_until(p, 2), (T0 + 95) * NS);
	/* The limit held from 2 s to the exit, not for one interval. */
	cr_assert_eq(p->peak_vmas, FX_MAX_MAP);
	cr_assert_eq(p->peak_from_ns, (T0 + 2) * NS);
	cr_assert_eq(p->peak_until_ns, (T0 + 95) * NS);
	/* The true peak of mapped bytes, within an interval. */
	cr_assert_eq(p->mapped_peak, 512 * MIB);

	p = find(&r, QUIET, "quiet");
	cr_assert_not(p->exited);
	cr_assert_eq(p->end_ns, (T0 + 205) * NS, "the daemon's stop, not the next run");
	cr_assert_eq(p->heap_peak, 43 * MIB);
	cr_assert_eq(p->heap_peak_from_ns, (T0 + 6) * NS);
	cr_assert_eq(p->heap_peak_until_ns, (T0 + 205) * NS);

	cr_assert_eq(find(&r, EXECS, "sh")->end_ns, (T0 + 30) * NS);
	cr_assert_eq(find(&r, EXECS, "mysqld")->end_ns, (T0 + 205) * NS);
	report_free(&r);

	/* A report that ends earlier ends the series there. */
	flt.until_ns = (T0 + 50) * NS;
	cr_assert_eq(report_load(&r, &flt), 0);
	cr_assert_eq(find(&r, HOLDER, "holder")->end_ns, (T0 + 50) * NS);
	report_free(&r);
	fx_rm(&f);
}

Test(report_gauge, json_gives_each_point_its_until_and_each_peak_its_span)
{
	json_t *doc, *procs, *pts, *proc = NULL;
	struct fx f;
	double v;
	char *t;

	journal(&f);
	t = run_ok(f.dir, "--format", "json", NULL);
	doc = json_loads(t, 0, NULL);
	cr_assert(doc, "%s", t);
	procs = json_object_get(doc, "processes");
	for (size_t i = 0; i < json_array_size(procs); i++) {
		json_t *o = json_array_get(procs, i);

		if (jr_num(o, "pid", &v) && v == HOLDER)
			proc = o;
	}
	cr_assert(proc);
	cr_assert(jr_num(proc, "end", &v) && fabs(v - (T0 + 95)) < 1e-6);
	cr_assert(jr_num(proc, "peak_held_s", &v) && fabs(v - 93) < 1e-6, "%f", v);
	cr_assert(jr_num(proc, "mapped_peak", &v) && v == 512 * MIB);
	pts = json_object_get(proc, "points");
	cr_assert_eq(json_array_size(pts), 3);
	cr_assert(jr_num(json_array_get(pts, 1), "until", &v) && fabs(v - (T0 + 3)) < 1e-6);
	cr_assert(jr_num(json_array_get(pts, 2), "until", &v) && fabs(v - (T0 + 95)) < 1e-6);
	cr_assert(jr_num(json_array_get(pts, 1), "mapped_max", &v) && v == 512 * MIB);
	json_decref(doc);
	free(t);
	fx_rm(&f);
}

/* The last x of a path's data ("...H123.4" or "...H123.4V..."). */
static double path_end_x(const char *d)
{
	const char *h = NULL;

	for (const char *s = d; *s && *s != '"'; s++)
		if (*s == 'H')
			h = s;
	cr_assert(h);
	return strtod(h + 1, NULL);
}

Test(report_gauge, svg_draws_the_plateau_to_the_exit_and_the_exit_marker_there)
{
	const char *line, *exit_rect;
	double line_end, exit_x, right;
	struct fx f;
	char *t;

	journal(&f);
	t = run_ok(f.dir, "--format", "svg", "-p", "10", NULL);
	/* The VMA count's step line (stroke-width 2 in the VMA colour), and the exit's square. */
	line = strstr(t, "\" fill=\"none\" stroke=\"#2563eb\" stroke-width=\"2\"");
	cr_assert(line, "%s", t);
	while (line > t && strncmp(line, "<path d=\"", 9))
		line--;
	line_end = path_end_x(line + 9);
	exit_rect = strstr(t, "fill=\"#64748b\"/></g>");
	cr_assert(exit_rect);
	while (exit_rect > t && strncmp(exit_rect, "<rect x=\"", 9))
		exit_rect--;
	exit_x = strtod(exit_rect + 9, NULL) + 3.5;
	right = 1000 - MARGIN_R;
	/* Both at the exit, which is inside the axis (not pinned to its right edge). */
	cr_assert(fabs(line_end - exit_x) < 1.5, "line ends at %f, exit at %f", line_end, exit_x);
	cr_assert_lt(exit_x, right - 5, "exit at %f, right edge %f", exit_x, right);
	cr_assert(strstr(t, "peak 65,530 VMAs (100.0% of limit) for 93 s"), "%s", t);
	free(t);
	fx_rm(&f);
}

Test(report_gauge, values_held_before_since_hold_into_the_range)
{
	struct report_filter flt = { 0 };
	const struct report_proc *p;
	struct report r;
	struct fx f;

	journal(&f);
	flt.dir = f.dir;
	flt.since_ns = (T0 + 50) * NS;
	cr_assert_eq(report_load(&r, &flt), 0);
	/* Still at the limit at 50 s: one point there, to the exit. */
	p = find(&r, HOLDER, "holder");
	cr_assert_eq(p->npts, 1);
	cr_assert_eq(p->pts[0].t_ns, (T0 + 50) * NS);
	cr_assert_eq(p->pts[0].vmas_last, FX_MAX_MAP);
	cr_assert_eq(p->pts[0].calls, 0, "its calls were before the range");
	cr_assert_eq(p->peak_vmas, FX_MAX_MAP);
	cr_assert_eq(p->end_ns, (T0 + 95) * NS);
	cr_assert_eq(p->peak_until_ns - p->peak_from_ns, 45 * NS);
	cr_assert_eq(p->mapped_peak, 465 * MIB, "the range's peak: 512 MiB was before it");
	p = find(&r, QUIET, "quiet");
	cr_assert_eq(p->heap_peak, 43 * MIB);
	cr_assert_eq(p->end_ns, (T0 + 205) * NS);
	/* The pid ran mysqld from 30 s: sh is not carried in. */
	find(&r, EXECS, "mysqld");
	for (size_t i = 0; i < r.nprocs; i++)
		cr_assert(strcmp(r.procs[i]->comm, "sh"), "sh held pid %u no more", EXECS);
	cr_assert_eq(r.nprocs, 3);
	report_free(&r);

	/* After the exit, and after the daemon's stop, nothing held. */
	flt.since_ns = (T0 + 300) * NS;
	cr_assert_eq(report_load(&r, &flt), 0);
	cr_assert_eq(r.nprocs, 0);
	report_free(&r);
	fx_rm(&f);
}
