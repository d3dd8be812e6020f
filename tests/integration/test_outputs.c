// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Root integration tests of what the model tells about a process: the census
 * that `trace -m` prints when a process exits (from what its events said, never
 * from /proc of a process that is gone), and `snapshot --json`, which must say
 * what the text snapshot says.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static struct h_daemon daemon_;

static void suite_fini(void)
{
	h_daemon_stop(&daemon_);
	h_cleanup();
}

TestSuite(outputs, .init = h_require_root, .fini = suite_fini, .timeout = H_TIMEOUT(240));

static long long kind_count(json_t *census, const char *kind)
{
	json_t *k = json_object_get(json_object_get(census, "kinds"), kind);
	long long v = -1;

	cr_assert(json_is_object(k), "no kind %s in the census", kind);
	cr_assert(h_jnum(k, "count", &v));
	return v;
}

/*
 * deb_two_sites: two threads at once, 300 regions with a guard each and 100 holes
 * punched into one region, then it exits at once: its records are read after it is
 * gone. Three runs: a resync from /proc of the dead process used to empty the model in
 * two of three.
 */
Test(outputs, trace_m_census_of_an_exited_two_thread_program)
{
	const char *t = h_tmpfile("trace.json"), *e = h_tmpfile("err.txt");
	struct lines tr;

	for (int run = 0; run < 3; run++) {
		long long census_vmas = -1, exit_vmas = -1, sum = 0, hwm = -1, pid = 0;
		size_t with_vma = 0, with_kind = 0;
		json_t *census = NULL;

		cr_assert_eq(h_sh("%s trace --json -m --ringbuf-size 64M -o %s -- %s 2>%s",
				  h_path("vmatrace"), t, h_path("workloads/deb_two_sites"), e),
			     0, "run %d", run);
		cr_assert_eq(h_read_lines(t, &tr), 0);
		for (size_t i = 0; i < tr.n; i++) {
			const char *l = tr.v[i];

			if (!pid && h_is_event(l, "exec", 0))
				h_json_num(l, "pid", &pid);
			if (h_json_has(l, "kinds") && !census) {
				census = h_json(l);
			} else if (h_is_event(l, "exit", pid) && pid) {
				h_json_num(l, "vmas", &exit_vmas);
			} else if (pid) {
				/* a call that produced a VMA: the model must know its kind */
				json_t *j = h_json(l);
				long long lp = 0;

				if (json_is_object(json_object_get(j, "vma")) &&
				    h_jnum(j, "pid", &lp) && lp == pid) {
					with_vma++;
					with_kind += json_object_get(j, "kind") != NULL;
				}
				json_decref(j);
			}
		}
		cr_assert_gt(pid, 0, "run %d: no exec record", run);
		cr_assert_not_null(census, "run %d: no census line", run);
		cr_assert(h_jnum(census, "vmas", &census_vmas));
		cr_assert(h_jnum(census, "heap_hwm", &hwm));
		{
			json_t *kinds = json_object_get(census, "kinds"), *k;
			const char *name;

			json_object_foreach(kinds, name, k)
			{
				long long c = 0;

				h_jnum(k, "count", &c);
				sum += c;
			}
		}
		fprintf(stderr,
			"trace -m run %d: census %lld VMAs (exit record %lld), heap high-water %lld, "
			"%zu of %zu VMA lines with a kind\n",
			run, census_vmas, exit_vmas, hwm, with_kind, with_vma);
		/* 300 regions and their guards, 100 holes, the libraries and two thread stacks */
		cr_assert_gt(census_vmas, 700, "run %d: census of %lld VMAs", run, census_vmas);
		cr_assert_eq(sum, census_vmas, "run %d: the kinds add up to %lld", run, sum);
		if (exit_vmas > 0)
			cr_assert_eq(census_vmas, exit_vmas,
				     "run %d: census %lld, kernel at exit %lld", run, census_vmas,
				     exit_vmas);
		cr_assert_geq(kind_count(census, "guard"), 300, "run %d", run);
		cr_assert_geq(kind_count(census, "anonymous"), 300, "run %d", run);
		cr_assert_geq(kind_count(census, "file"), 5, "run %d", run);
		/* a size, not a break address */
		cr_assert(hwm >= 0 && hwm < (1LL << 30), "run %d: heap high-water %lld", run, hwm);
		cr_assert_gt(with_vma, 500, "run %d", run);
		cr_assert_eq(with_kind, with_vma, "run %d: %zu of %zu lines without a kind", run,
			     with_vma - with_kind, with_vma);
		json_decref(census);
		h_free_lines(&tr);
	}
}

/*
 * Records lost (a ring buffer of 8 KiB against 700 calls in a few milliseconds): the
 * process is gone before its records are read, so the census cannot be right; it must say
 * so, with the kernel's count at the exit.
 */
Test(outputs, trace_m_says_when_lost_records_leave_the_census_short)
{
	const char *t = h_tmpfile("trace.json"), *e = h_tmpfile("err.txt");
	int checked = 0;

	for (int run = 0; run < 3 && !checked; run++) {
		long long census_vmas = -1, exit_vmas = -1, kernel = -1, model = -1;
		struct lines tr;

		cr_assert_eq(h_sh("%s trace --json -m --ringbuf-size 8K -o %s -- %s 2>%s",
				  h_path("vmatrace"), t, h_path("workloads/deb_two_sites"), e),
			     0);
		cr_assert_eq(h_read_lines(t, &tr), 0);
		for (size_t i = 0; i < tr.n; i++) {
			if (h_json_has(tr.v[i], "kinds"))
				h_json_num(tr.v[i], "vmas", &census_vmas);
			if (h_is_event(tr.v[i], "exit", 0))
				h_json_num(tr.v[i], "vmas", &exit_vmas);
			if (h_is_event(tr.v[i], "census_incomplete", 0)) {
				h_json_num(tr.v[i], "kernel_vmas", &kernel);
				h_json_num(tr.v[i], "model_vmas", &model);
			}
		}
		h_free_lines(&tr);
		if (census_vmas < 0 || exit_vmas <= 0)
			continue; /* the exit record itself was lost */
		if (census_vmas == exit_vmas) {
			cr_assert_eq(kernel, -1, "a complete census called incomplete");
			continue;
		}
		cr_assert_eq(kernel, exit_vmas,
			     "run %d: census of %lld VMAs, the kernel's %lld, "
			     "and no word of it",
			     run, census_vmas, exit_vmas);
		cr_assert_eq(model, census_vmas);
		checked++;
	}
	if (!checked)
		cr_log_info("no run lost records inside the process's life: nothing to check");
}

/* ---- snapshot --json ---- */

struct snap_ctx {
	int stops;
	size_t compared;
};

/* A maps line's fields; name empty when it has none. */
static bool parse_maps_line(const char *l, unsigned long long *start, unsigned long long *end,
			    char *perms, unsigned long long *off, char *dev,
			    unsigned long long *ino, char *name, size_t namelen)
{
	int n = 0;

	if (sscanf(l, "%llx-%llx %4s %llx %15s %llu %n", start, end, perms, off, dev, ino, &n) < 6)
		return false;
	snprintf(name, namelen, "%s", n ? l + n : "");
	name[strcspn(name, "\n")] = 0;
	return true;
}

static void snapshot_stop(void *ctx, int pid, int k)
{
	struct snap_ctx *s = ctx;
	const char *txt = h_tmpfile("snap.txt"), *js = h_tmpfile("snap.json");
	struct lines text, doc;
	json_t *j, *vmas, *v;
	long long count = -1;
	size_t i;

	(void)k;
	s->stops++;
	cr_assert_eq(h_sh("%s snapshot --socket %s -p %d > %s", h_path("vmatrace"), daemon_.socket,
			  pid, txt),
		     0);
	cr_assert_eq(h_sh("%s snapshot --socket %s -p %d --json > %s", h_path("vmatrace"),
			  daemon_.socket, pid, js),
		     0);
	cr_assert_eq(h_read_lines(txt, &text), 0);
	cr_assert_eq(h_read_lines(js, &doc), 0);
	cr_assert_eq(doc.n, 1, "snapshot --json is one line, %zu here", doc.n);
	j = h_json(doc.v[0]);
	cr_assert(json_is_object(j), "not a JSON object: %.200s", doc.v[0]);
	vmas = json_object_get(j, "vmas");
	cr_assert(json_is_array(vmas));
	cr_assert_eq(json_array_size(vmas), text.n, "%zu VMAs in JSON, %zu lines of text",
		     json_array_size(vmas), text.n);
	cr_assert(h_jnum(j, "vma_count", &count));
	cr_assert_eq((size_t)count, text.n);
	json_array_foreach(vmas, i, v)
	{
		unsigned long long start, end, off, ino;
		char perms[8], dev[16], name[4096], jperms[8], jdev[16], jname[4096], kind[32];
		long long js_start, js_end, js_off, js_ino, js_size;
		json_t *jn = json_object_get(v, "name");

		cr_assert(parse_maps_line(text.v[i], &start, &end, perms, &off, dev, &ino, name,
					  sizeof(name)),
			  "bad line %s", text.v[i]);
		cr_assert(h_jnum(v, "start", &js_start) && h_jnum(v, "end", &js_end) &&
			  h_jnum(v, "offset", &js_off) && h_jnum(v, "inode", &js_ino) &&
			  h_jnum(v, "size", &js_size));
		cr_assert(h_jstr(v, "perms", jperms, sizeof(jperms)) &&
			  h_jstr(v, "dev", jdev, sizeof(jdev)) &&
			  h_jstr(v, "kind", kind, sizeof(kind)));
		cr_assert_eq((unsigned long long)js_start, start, "VMA %zu: %s", i, text.v[i]);
		cr_assert_eq((unsigned long long)js_end, end, "VMA %zu", i);
		cr_assert_eq((unsigned long long)js_size, end - start);
		cr_assert_str_eq(jperms, perms, "VMA %zu", i);
		cr_assert_eq((unsigned long long)js_off, off, "VMA %zu", i);
		cr_assert_str_eq(jdev, dev, "VMA %zu", i);
		cr_assert_eq((unsigned long long)js_ino, ino, "VMA %zu", i);
		if (json_is_null(jn)) {
			cr_assert_str_empty(name, "VMA %zu: text has name '%s', JSON null", i,
					    name);
		} else {
			cr_assert(h_jstr(v, "name", jname, sizeof(jname)));
			cr_assert_str_eq(jname, name, "VMA %zu", i);
		}
		cr_assert(kind[0]);
		s->compared++;
	}
	json_decref(j);
	h_free_lines(&text);
	h_free_lines(&doc);
}

Test(outputs, snapshot_json_equals_the_text_snapshot)
{
	char *argv[] = { strdup(h_path("workloads/arenas")), NULL };
	struct snap_ctx s = { 0 };

	h_daemon_start(&daemon_, "--ringbuf-size 64M");
	cr_assert_eq(h_run_stopping(argv, true, snapshot_stop, &s), 0);
	cr_assert_gt(s.stops, 0);
	cr_assert_gt(s.compared, 20, "%zu VMAs compared", s.compared);
	free(argv[0]);
}

/* ---- the report of a real daemon's journal ---- */

/*
 * The thresholds the daemon was configured with are the ones its report draws, and a
 * process that exited has its census in the HTML report.
 */
Test(outputs, report_draws_the_daemons_thresholds_and_the_exit_census)
{
	const char *html = h_tmpfile("report.html"), *json = h_tmpfile("report.json");
	struct lines page, doc;
	char *all = NULL, *census;
	size_t len = 0;
	long long guards = 0;

	h_daemon_start(&daemon_, "--ringbuf-size 64M --alert-thresholds 70,85 "
				 "--alert-vma-counts 500");
	cr_assert_eq(h_sh("%s >/dev/null", h_path("workloads/deb_two_sites")), 0);
	/* Its exit is in the journal once the daemon has read it; SIGTERM flushes. */
	sleep(1);
	h_daemon_stop(&daemon_);
	cr_assert_eq(h_sh("%s report --journal-dir %s --comm deb_two_sites --format html -o %s",
			  h_path("vmatrace"), h_tmpfile("journal"), html),
		     0);
	cr_assert_eq(h_read_lines(html, &page), 0);
	for (size_t i = 0; i < page.n; i++) {
		all = realloc(all, len + strlen(page.v[i]) + 2);
		len += sprintf(all + len, "%s\n", page.v[i]);
	}
	cr_assert(strstr(all, "70%, 85% of vm.max_map_count; 500 VMAs (the daemon"),
		  "the configured thresholds are not in the summary");
	/* deb_two_sites passed 500 VMAs: that line is drawn, the 70/85 % ones (off scale) not. */
	cr_assert(strstr(all, "fill=\"#6b7280\">500</text>"), "no 500 threshold line");
	cr_assert(strstr(all, "alerts at 70 / 85 % and 500 VMAs"));
	cr_assert(strstr(all, "VMA alert 500 VMAs: 500 VMAs of "), "no alert at 500 VMAs");
	census = strstr(all, "<h2>VMA kinds</h2>");
	cr_assert_not_null(census, "no census section");
	cr_assert(strstr(census, "(its exit)"), "no census from the exit record");
	{
		const char *g = strstr(census, "<td>guard</td><td class=\"n\">");

		cr_assert_not_null(g, "no guard row");
		g += strlen("<td>guard</td><td class=\"n\">");
		for (; *g && *g != '<'; g++)
			if (*g >= '0' && *g <= '9')
				guards = guards * 10 + (*g - '0');
	}
	cr_assert_geq(guards, 300, "the exit census has %lld guards", guards);
	/* The JSON report has the same exit census, as the daemon journaled it. */
	cr_assert_eq(h_sh("%s report --journal-dir %s --comm deb_two_sites --format json -o %s",
			  h_path("vmatrace"), h_tmpfile("journal"), json),
		     0);
	cr_assert_eq(h_read_lines(json, &doc), 0);
	cr_assert(strstr(doc.v[0], "\"census\":{\"anonymous\":"), "no census in proc_exit");
	free(all);
	h_free_lines(&page);
	h_free_lines(&doc);
}

/* A reload journals the new thresholds: the report draws the ones in force at its end. */
Test(outputs, report_follows_a_reload_of_the_thresholds)
{
	const char *conf = h_tmpfile("vmatrace.conf"), *out = h_tmpfile("report.html");
	char args[512], until[32];
	struct lines page;
	bool before = false, after = false;

	cr_assert_eq(h_sh("echo 'alert_thresholds = 60, 75' > %s", conf), 0);
	snprintf(args, sizeof(args), "-c %s", conf);
	h_daemon_start(&daemon_, args);
	sleep(1);
	snprintf(until, sizeof(until), "%lld", (long long)time(NULL));
	sleep(1);
	cr_assert_eq(h_sh("echo 'alert_thresholds = 65' > %s", conf), 0);
	kill(daemon_.pid, SIGHUP);
	cr_assert(h_wait_for_line(daemon_.log, "configuration reloaded", 10));
	h_daemon_stop(&daemon_);
	cr_assert_eq(h_sh("%s report --journal-dir %s --format html -o %s", h_path("vmatrace"),
			  h_tmpfile("journal"), out),
		     0);
	cr_assert_eq(h_read_lines(out, &page), 0);
	for (size_t i = 0; i < page.n; i++)
		after |= strstr(page.v[i], "<td>65% of vm.max_map_count (the daemon") != NULL;
	h_free_lines(&page);
	cr_assert(after, "the reloaded thresholds are not the report's");
	/* Up to a time before the reload: the first ones. */
	cr_assert_eq(h_sh("%s report --journal-dir %s --until %s --format html -o %s",
			  h_path("vmatrace"), h_tmpfile("journal"), until, out),
		     0);
	cr_assert_eq(h_read_lines(out, &page), 0);
	for (size_t i = 0; i < page.n; i++)
		before |= strstr(page.v[i], "<td>60%, 75% of vm.max_map_count (the daemon") != NULL;
	h_free_lines(&page);
	cr_assert(before, "the thresholds before the reload are not the report's up to then");
}
