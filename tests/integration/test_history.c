// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Root integration tests of the history as people read it, through the real daemon, its
 * journal and `vmatrace report --format json`: scenario 1's plateau at the limit held for
 * its real duration, scenario 4's heap high-water held to the exit, and a growth rate that
 * falls to 0 within its window once growth stops.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "jsonr.h"

static struct h_daemon dmn;

static void fini(void)
{
	h_daemon_stop(&dmn);
	h_cleanup();
}

TestSuite(history, .init = h_require_root, .fini = fini, .timeout = H_TIMEOUT(240));

/* The timeline resolution of these tests: plateaus are measured to within one interval. */
#define RES_S 0.25

static void start_daemon(void)
{
	char args[512];

	snprintf(args, sizeof(args),
		 "--alert-log %s --ringbuf-size 64M --timeline-resolution 250ms "
		 "--growth-window 3s",
		 h_tmpfile("alerts.jsonl"));
	h_daemon_start(&dmn, args);
}

/* Start a workload in the background (its output into out); its pid. */
static int spawn(const char *env, const char *workload, const char *out)
{
	const char *pidfile = h_tmpfile("workload.pid");
	FILE *f;
	int pid = 0;

	cr_assert_eq(h_sh("%s %s >%s 2>&1 & echo $! >%s", env, h_path(workload), out, pidfile), 0);
	f = fopen(pidfile, "r");
	cr_assert(f && fscanf(f, "%d", &pid) == 1);
	fclose(f);
	return pid;
}

static void wait_gone(int pid, int seconds)
{
	for (int i = 0; i < seconds * 10 && kill(pid, 0) == 0; i++)
		usleep(100000);
	cr_assert_neq(kill(pid, 0), 0, "workload %d still running", pid);
}

/* The report's process object for pid running comm (json_decref the document). */
static json_t *report_proc(int pid, const char *comm, json_t **doc)
{
	const char *out = h_tmpfile("report.json");
	json_t *procs;

	cr_assert_eq(h_sh("%s report --journal-dir %s -p %d --comm %s --format json -o %s",
			  h_path("vmatrace"), h_tmpfile("journal"), pid, comm, out),
		     0);
	*doc = json_load_file(out, 0, NULL);
	cr_assert(*doc, "the report is not JSON");
	procs = json_object_get(*doc, "processes");
	for (size_t i = 0; i < json_array_size(procs); i++) {
		json_t *p = json_array_get(procs, i);
		double v;

		if (jr_num(p, "pid", &v) && v == pid &&
		    json_array_size(json_object_get(p, "points")))
			return p;
	}
	h_sh("cat %s >&2", out);
	cr_assert_fail("no process %d with points in the report", pid);
	return NULL;
}

static double num(const json_t *o, const char *key)
{
	double v;

	cr_assert(jr_num(o, key, &v), "no number %s", key);
	return v;
}

/* Seconds the points whose `key` equals v span, by their "until" (the plot's data). */
static double held_at(const json_t *proc, const char *key, double v)
{
	const json_t *pts = json_object_get(proc, "points");
	double held = 0;

	for (size_t i = 0; i < json_array_size(pts); i++) {
		const json_t *pt = json_array_get(pts, i);

		if (num(pt, key) == v)
			held += num(pt, "until") - num(pt, "ts");
	}
	return held;
}

/* The status JSON's entry for pid: its growth_per_s, and whether it has a time to the limit. */
static bool status_rate(int pid, double *rate, bool *eta, double *window)
{
	const char *out = h_tmpfile("status.json");
	json_t *doc, *top;
	bool found = false;

	if (h_sh("%s status --socket %s --json --all >%s", h_path("vmatrace"), dmn.socket, out))
		return false;
	doc = json_load_file(out, 0, NULL);
	cr_assert(doc);
	*window = num(doc, "growth_window_s");
	top = json_object_get(doc, "top");
	for (size_t i = 0; i < json_array_size(top); i++) {
		json_t *p = json_array_get(top, i);

		if (num(p, "pid") != pid)
			continue;
		*rate = num(p, "growth_per_s");
		*eta = json_is_number(json_object_get(p, "seconds_to_limit"));
		found = true;
	}
	json_decref(doc);
	return found;
}

Test(history, scenario1_plateau_at_the_limit_held_for_its_duration_and_the_rate_falls_to_0)
{
	const double hold_s = 8;
	double rate = -1, window = 0, held, limit, v;
	json_t *doc, *p;
	bool eta = true, zero = false;
	long long max = 0;
	struct lines l;
	FILE *f;
	int pid;

	f = fopen("/proc/sys/vm/max_map_count", "r");
	cr_assert(f && fscanf(f, "%lld", &max) == 1);
	fclose(f);
	start_daemon();
	pid = spawn("VMATRACE_HOLD_MS=8000", "workloads/vma_explode", h_tmpfile("explode.out"));
	cr_assert(h_wait_for_line(h_tmpfile("alerts.jsonl"), "alloc_failure", 30),
		  "no alloc_failure alert");
	/* At the limit and still: within the 3 s window the rate is 0 and the time to go. */
	for (int i = 0; i < 60 && kill(pid, 0) == 0; i++) {
		if (status_rate(pid, &rate, &eta, &window) && rate == 0 && !eta) {
			zero = true;
			break;
		}
		usleep(100000);
	}
	cr_assert(zero, "growth %f/s (time to limit %s) while the process held still", rate,
		  eta ? "shown" : "gone");
	cr_assert(kill(pid, 0) == 0, "fell to 0 only after the process exited");
	cr_assert_float_eq(window, 3, 1e-9);
	/* The threshold alerts, during the climb, had a rate and said over which window. */
	cr_assert_eq(h_read_lines(h_tmpfile("alerts.jsonl"), &l), 0);
	for (size_t i = 0; i < l.n; i++) {
		json_t *a = h_json(l.v[i]);
		char kind[32];

		if (a && h_jstr(a, "kind", kind, sizeof(kind)) && !strcmp(kind, "vma_threshold") &&
		    num(a, "pid") == pid) {
			cr_assert_gt(num(a, "growth_per_s"), 0, "%s", l.v[i]);
			cr_assert_float_eq(num(a, "growth_window_s"), 3, 1e-9, "%s", l.v[i]);
		}
		json_decref(a);
	}
	h_free_lines(&l);
	wait_gone(pid, 30);
	h_daemon_stop(&dmn);

	p = report_proc(pid, "vma_explode", &doc);
	limit = (double)max;
	cr_assert_eq(num(p, "peak_vmas"), limit);
	cr_assert(json_is_true(json_object_get(p, "exited")));
	/* The plateau: from reaching the limit to the exit, at least the workload's hold. */
	held = num(p, "peak_held_s");
	cr_assert_geq(held, hold_s - RES_S, "the limit held %.2f s in the report", held);
	cr_assert_float_eq(num(p, "peak_until"), num(p, "end"), 1e-6,
			   "the plateau ends at the exit");
	cr_assert_float_eq(held, num(p, "peak_until") - num(p, "peak_from"), 1e-3);
	/* The plot's data says the same: the points at the limit span the hold. */
	v = held_at(p, "vmas", limit);
	cr_assert_geq(v, hold_s - RES_S, "points at the limit span %.2f s", v);
	/* The true peak of mapped bytes: every page mapped, before half were unmapped. */
	cr_assert_geq(num(p, "mapped_peak"), 2.0 * max * 4096, "mapped peak %.0f",
		      num(p, "mapped_peak"));
	json_decref(doc);
}

Test(history, scenario4_heap_high_water_held_to_the_exit)
{
	const double hold_s = 5;
	unsigned long start = 0, peak = 0;
	double held, grown;
	json_t *doc, *p, *pts, *last;
	char line[512];
	FILE *f;
	int pid;

	start_daemon();
	pid = spawn("VMATRACE_HOLD_MS=5000", "workloads/brk_frag", h_tmpfile("frag.out"));
	wait_gone(pid, 30);
	f = fopen(h_tmpfile("frag.out"), "r");
	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "start=%lx peak=%lx", &start, &peak) == 2)
			break;
	fclose(f);
	cr_assert(start && peak > start, "no start and peak in the workload's output");
	grown = (double)(peak - start);
	h_daemon_stop(&dmn);

	p = report_proc(pid, "brk_frag", &doc);
	/* Sizes, not break addresses: the heap grew by what the workload saw, from its start. */
	cr_assert_geq(num(p, "heap_peak"), grown);
	cr_assert_lt(num(p, "heap_peak"), grown + (1 << 20), "heap peak %.0f, grown %.0f",
		     num(p, "heap_peak"), grown);
	cr_assert_float_eq(num(p, "heap_hwm"), num(p, "heap_peak"), 0.5);
	/* It never shrank: held from its peak to the exit, and the last point says so. */
	held = num(p, "heap_peak_held_s");
	cr_assert_geq(held, hold_s - RES_S, "the heap's peak held %.2f s", held);
	cr_assert_float_eq(num(p, "heap_peak_until"), num(p, "end"), 1e-6);
	pts = json_object_get(p, "points");
	last = json_array_get(pts, json_array_size(pts) - 1);
	cr_assert_eq(num(last, "heap"), num(p, "heap_peak"));
	cr_assert_float_eq(num(last, "until"), num(p, "end"), 1e-6);
	cr_assert_geq(held_at(p, "heap", num(p, "heap_peak")), hold_s - RES_S);
	json_decref(doc);
}
