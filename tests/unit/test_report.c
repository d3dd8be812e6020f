// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `vmatrace report` over journals written with the real writer, in every format. */
#include "report_checks.h"

Test(report, xml_checker_catches_mistakes)
{
	char why[128];

	cr_assert(xml_ok("<?xml version=\"1.0\"?>\n<svg a=\"1\"><g><path d=\"M0 0\"/></g>"
			 "<text>a &amp; b</text></svg>\n",
			 why, sizeof(why)),
		  "%s", why);
	cr_assert_not(xml_ok("<svg><g></svg>", why, sizeof(why)));
	cr_assert_not(xml_ok("<svg><text>a & b</text></svg>", why, sizeof(why)));
	cr_assert_not(xml_ok("<svg x=1></svg>", why, sizeof(why)));
	cr_assert_not(xml_ok("<svg></svg><svg></svg>", why, sizeof(why)));
	cr_assert_not(xml_ok("<svg><text>\"a < b\"</text></svg>", why, sizeof(why)));
}

/* ---- text ---- */

Test(report, text_lists_incidents_and_the_damaged_block)
{
	struct fx f;
	char *t;

	setenv("TZ", "UTC", 1);
	tzset();
	fx_basic(&f, true);
	t = run_ok(f.dir, NULL);
	cr_assert(strstr(t, "1 damaged block was skipped"), "%s", t);
	cr_assert_null(strstr(t, "lostproc"), "the damaged block's process is listed:\n%s", t);
	/* The OOM kill, once (its alert repeats it), with the victim's numbers. */
	cr_assert_eq(count(t, "OOM kill ("), 1, "%s", t);
	cr_assert(strstr(t, "OOM kill (cgroup, memcg /analytics): anon-rss 3.9GiB"), "%s", t);
	cr_assert(strstr(t, "triggered by 780 (java)"), "%s", t);
	cr_assert(strstr(t, "2026-11-22 01:57:45.000     777  java"), "%s", t);
	/* Alerts in time order, the 95% one once, with the incident's context named. */
	cr_assert_eq(count(t, "VMA alert 95%"), 1, "%s", t);
	cr_assert(strstr(t, "VMA alert 80%: 52424 VMAs of 65530 (80.0%), +66/s, limit in 100s"),
		  "%s", t);
	cr_assert(strstr(t, "[with census, flight]"), "%s", t);
	cr_assert(strstr(t, "VMA alert 80%") < strstr(t, "VMA alert 90%"));
	cr_assert(strstr(t, "VMA alert 90%") < strstr(t, "OOM kill ("));
	cr_assert(strstr(t, "OOM kill (") < strstr(t, "VMA alert 95%"));
	cr_assert_eq(count(t, "alloc failure: munmap failed with ENOMEM at 65530 VMAs"), 3, "%s",
		     t);
	cr_assert(strstr(t, "Incidents (7)"), "%s", t);
	/* Processes: pid 1234 is three of them (mysqld, cron, a later mysqld). */
	cr_assert(strstr(t, "Processes (6, by peak VMA count)"), "%s", t);
	cr_assert(strstr(t, "   1234  mysqld               65530  100.0%"), "%s", t);
	cr_assert(strstr(t, "   1234  cron"), "%s", t);
	cr_assert(strstr(t, "   1234  mysqld                 600"), "%s", t);
	cr_assert(strstr(t, "OOM-killed"), "%s", t);
	cr_assert(strstr(t, "we\"ird,name"), "%s", t);
	cr_assert(strstr(t, "1 starts, 1 stops, vm.max_map_count 65530"), "%s", t);
	cr_assert_null(strstr(t, "ends inside a block"), "%s", t);
	free(t);
	fx_rm(&f);
}

Test(report, text_says_when_the_journal_ends_inside_a_block)
{
	char path[256];
	struct fx f;
	long size;
	char *t;

	fx_open(&f);
	for (int i = 0; i < 10; i++)
		fx_point(&f, 10, "a", (T0 + i) * NS, 100, 100, 100, 1 << 20, 0, 0, 1, 0);
	fx_flush(&f);
	for (int i = 0; i < 10; i++)
		fx_point(&f, 11, "b", (T0 + i) * NS, 100, 100, 100, 1 << 20, 0, 0, 1, 0);
	fx_close(&f);
	/* A crash in the middle of writing the last block. */
	size = fx_size(&f);
	fx_segment(&f, path, sizeof(path));
	cr_assert_eq(truncate(path, size - 20), 0);
	t = run_ok(f.dir, NULL);
	cr_assert(strstr(t, "the journal ends inside a block (daemon still writing, or crashed)"),
		  "%s", t);
	cr_assert(strstr(t, "     10  a "), "%s", t);
	cr_assert_null(strstr(t, "     11  b "), "%s", t);
	free(t);
	fx_rm(&f);
}

Test(report, a_pid_reused_by_the_same_program_is_another_process)
{
	struct report_filter flt = { 0 };
	struct report r;
	struct fx f;

	fx_open(&f);
	fx_point(&f, 42, "worker", (T0 + 0) * NS, 10, 10, 10, 1 << 20, 0, 0, 1, 0);
	fx_json(&f, JREC_PROC_EXIT, 42, "worker", (T0 + 10) * NS, "{\"exit_code\":0}");
	/* written after the exit, but its interval started before: the first process's */
	fx_point(&f, 42, "worker", (T0 + 9) * NS, 11, 10, 11, 1 << 20, 0, 0, 1, 0);
	fx_point(&f, 42, "worker", (T0 + 20) * NS, 500, 500, 500, 1 << 20, 0, 0, 1, 0);
	fx_close(&f);
	flt.dir = f.dir;
	cr_assert_eq(report_load(&r, &flt), 0);
	cr_assert_eq(r.nprocs, 2);
	cr_assert_eq(r.procs[0]->peak_vmas, 500);
	cr_assert_eq(r.procs[0]->npts, 1);
	cr_assert_eq(r.procs[1]->npts, 2);
	cr_assert_eq(r.procs[1]->pts[1].vmas_last, 11);
	cr_assert(r.procs[1]->exited);
	report_free(&r);
	fx_rm(&f);
}

/* ---- JSON ---- */

Test(report, json_is_valid_with_every_point_and_event)
{
	struct fx f;
	char *t, *m;

	fx_basic(&f, true);
	t = run_ok(f.dir, "--format", "json", NULL);
	cr_assert(ja_valid(t), "invalid JSON:\n%s", t);
	cr_assert_eq(count(t, "\"vmas_min\":"), TOTAL_POINTS);
	m = ja_member(t, "events");
	cr_assert_not_null(m);
	/*
	 * Raw payloads, each incident once: 3 alerts (the 95% one from its incident record),
	 * 3 failures, the OOM kill from its OOM record (its alert repeats it).
	 */
	cr_assert_eq(count(m, "{\"kind\":\""), 7, "%s", m);
	cr_assert_eq(count(m, "{\"kind\":\"oom_kill\""), 1, "%s", m);
	cr_assert(strstr(m, "\"memcg\":\"/analytics\""));
	free(m);
	m = ja_member(t, "stats");
	cr_assert(strstr(m, "\"damaged_blocks\":1,"), "%s", m);
	cr_assert(strstr(m, "\"points\":69,"), "%s", m);
	free(m);
	m = ja_member(t, "lifecycle");
	cr_assert_eq(count(m, "\"type\":\"proc_exit\""), 2, "%s", m);
	cr_assert_eq(count(m, "\"type\":\"daemon_start\""), 1, "%s", m);
	free(m);
	/* The quote in a comm is escaped. */
	cr_assert(strstr(t, "\"comm\":\"we\\\"ird,name\""), "%s", t);
	free(t);
	fx_rm(&f);
}

/* ---- CSV ---- */

Test(report, csv_has_a_header_and_a_row_per_point)
{
	struct fx f;
	char *t;

	fx_basic(&f, true);
	t = run_ok(f.dir, "--format", "csv", NULL);
	cr_assert_eq(strncmp(t,
			     "ts,pid,comm,vmas_min,vmas_max,vmas,max_map_count,mapped,heap,"
			     "heap_hwm,calls,failures,until,mapped_max,heap_max\r\n",
			     strlen("ts,pid,comm,vmas_min,vmas_max,vmas,max_map_count,mapped,heap,"
				    "heap_hwm,calls,failures,until,mapped_max,heap_max\r\n")),
		     0, "%s", t);
	cr_assert_eq(lines(t), 1 + TOTAL_POINTS, "%s", t);
	/* we"ird's last values hold to the daemon's stop; mysqld's first to its next point. */
	cr_assert(strstr(t, ",55,\"we\"\"ird,name\",10,11,11,65530,1048576,0,0,1,1,"
			    "1795313045.000000,1048576,0\r\n"),
		  "%s", t);
	cr_assert(strstr(t, "1795312355.000000,1234,\"mysqld\",39990,40005,40000,65530,4294967296,"
			    "104857600,104857600,1000,0,1795312365.000000,4294967296,"
			    "104857600\r\n"),
		  "%s", t);
	free(t);
	fx_rm(&f);
}

/* ---- SVG and HTML ---- */

/*
 * The report of fx_basic() in an XML format (of one pid if not NULL), checked well-formed and
 * starting with its prolog.
 */
static char *xml_report(struct fx *f, bool damage, const char *format, const char *pid,
			const char *prolog)
{
	char why[160];
	char *t;

	fx_basic(f, damage);
	if (pid)
		t = run_ok(f->dir, "--format", format, "-p", pid, NULL);
	else
		t = run_ok(f->dir, "--format", format, NULL);
	cr_assert(xml_ok(t, why, sizeof(why)), "%s", why);
	cr_assert_eq(strncmp(t, prolog, strlen(prolog)), 0, "%.40s", t);
	return t;
}

Test(report, svg_is_well_formed_with_the_limit_and_the_oom_kill)
{
	struct fx f;
	char *t = xml_report(&f, true, "svg", NULL, "<?xml");

	/* Self-contained: the namespace is the only URL. */
	cr_assert_eq(count(t, "http"), 1);
	cr_assert_null(strstr(t, "<script"));
	cr_assert_null(strstr(t, "@font-face"));
	/* mysqld's panel: the dashed limit, its label, the thresholds, alerts and failures. */
	cr_assert(strstr(t, "stroke-dasharray=\"7 4\""));
	cr_assert(strstr(t, ">limit 65,530</text>"), "%s", t);
	cr_assert(strstr(t, ">95%</text>"));
	cr_assert(strstr(t,
			 "fill=\"#ea580c\" text-anchor=\"middle\" font-weight=\"bold\">80%</text>"),
		  "%s", t);
	cr_assert(strstr(t, ">munmap ENOMEM \xc3\x97"
			    "3</text>"),
		  "%s", t);
	/* java's panel: the OOM kill, marked and labelled in dark red. */
	cr_assert(strstr(t, "fill=\"#7f1d1d\" text-anchor=\"middle\" font-weight=\"bold\">OOM kill "
			    "(cgroup)</text>"),
		  "%s", t);
	cr_assert_eq(count(t, "OOM kill (cgroup)</text>"), 1);
	/* One panel per process, the comm escaped. */
	cr_assert_eq(count(t, "font-size=\"12.5\">pid "), 6);
	cr_assert(strstr(t, "we&quot;ird,name"));
	cr_assert(strstr(t, "1 damaged journal block skipped"));
	free(t);
	fx_rm(&f);
}

Test(report, svg_of_one_process)
{
	struct fx f;
	char *t = xml_report(&f, false, "svg", "777", "<?xml");

	cr_assert_eq(count(t, "font-size=\"12.5\">pid "), 1);
	cr_assert(strstr(t, ">pid 777</tspan>"));
	cr_assert(strstr(t, "OOM kill (cgroup)</text>"));
	/* java is far below the limit: not drawn, but said. */
	cr_assert_null(strstr(t, "stroke-dasharray=\"7 4\""));
	cr_assert(strstr(t, "vm.max_map_count 65,530 is off this scale"), "%s", t);
	cr_assert_null(strstr(t, "ENOMEM"));
	free(t);
	fx_rm(&f);
}

Test(report, html_is_self_contained)
{
	struct fx f;
	char *t = xml_report(&f, true, "html", NULL, "<!DOCTYPE html>");

	/* The timelines, and mysqld's census (its 95 % incident carries one). */
	cr_assert_eq(count(t, "<svg "), 2);
	cr_assert_eq(count(t, "<svg class=\"census-bar\""), 1);
	cr_assert_null(strstr(t, "<?xml"));
	cr_assert_eq(count(t, "http"), 1, "only the SVG namespace may be a URL");
	cr_assert_null(strstr(t, "<script"));
	cr_assert_null(strstr(t, "<link"));
	cr_assert(strstr(t, "1 damaged block was skipped"));
	cr_assert_eq(count(t, "<td class=\"k-oom\">OOM kill (cgroup"), 1, "%s", t);
	cr_assert_eq(count(t, "<td class=\"k-alert\">VMA alert"), 3);
	cr_assert_eq(count(t, "<td class=\"k-failure\">alloc failure"), 3);
	cr_assert(strstr(t, "we&quot;ird,name"));
	free(t);
	fx_rm(&f);
}

/* ---- filters ---- */

Test(report, filters_select_processes_and_times)
{
	char since[32], until[32];
	int expect = 0;
	struct fx f;
	char *t;

	fx_basic(&f, false);
	/* -p: mysqld, cron and the second mysqld share pid 1234 */
	t = run_ok(f.dir, "--format", "csv", "-p", "1234", NULL);
	cr_assert_eq(lines(t), 1 + MYSQLD_POINTS + 4, "%s", t);
	cr_assert_eq(count(t, ",1234,"), MYSQLD_POINTS + 4);
	free(t);
	t = run_ok(f.dir, "-p", "777", NULL);
	cr_assert(strstr(t, "Processes (1,"), "%s", t);
	cr_assert(strstr(t, "OOM kill ("), "%s", t);
	cr_assert_null(strstr(t, "VMA alert"), "%s", t);
	free(t);
	/* --comm */
	t = run_ok(f.dir, "--format", "csv", "--comm", "mysqld", NULL);
	cr_assert_eq(lines(t), 1 + MYSQLD_POINTS + 2, "%s", t);
	cr_assert_eq(count(t, "\"mysqld\""), MYSQLD_POINTS + 2);
	free(t);
	t = run_ok(f.dir, "--format", "json", "--comm", weird_comm, NULL);
	cr_assert(ja_valid(t));
	cr_assert_eq(count(t, "\"vmas_min\":"), 2);
	free(t);
	/* --since/--until, unix seconds: both ends included */
	snprintf(since, sizeof(since), "%llu", T0 + 100);
	snprintf(until, sizeof(until), "%llu", T0 + 200);
	for (int i = 0; i < MYSQLD_POINTS; i++)
		expect += mysqld_t(i) >= (T0 + 100) * NS && mysqld_t(i) <= (T0 + 200) * NS;
	for (int i = 0; i < JAVA_POINTS; i++)
		expect += java_t(i) >= (T0 + 100) * NS && java_t(i) <= (T0 + 200) * NS;
	for (int i = 0; i < BASH_POINTS; i++)
		expect += bash_t(i) >= (T0 + 100) * NS && bash_t(i) <= (T0 + 200) * NS;
	cr_assert_eq(expect, 11 + 7 + 1);
	t = run_ok(f.dir, "--format", "csv", "--since", since, "--until", until, NULL);
	/* And what java, lostproc, bash and we"ird held since their last point before (a gauge). */
	cr_assert_eq(lines(t), 1 + expect + 4, "%s", t);
	cr_assert_eq(count(t, "1795312445.000000,999,\"lostproc\",100,100,100,"), 1, "%s", t);
	free(t);
	/* the 80% alert is at T0+200, the 90% one after --until */
	t = run_ok(f.dir, "--since", since, "--until", until, NULL);
	cr_assert(strstr(t, "VMA alert 80%"), "%s", t);
	cr_assert_null(strstr(t, "VMA alert 90%"), "%s", t);
	free(t);
	/* ISO with Z, and local time (TZ two hours east of UTC) */
	setenv("TZ", "UTC-2", 1);
	tzset();
	/*
	 * cron and the second mysqld; and what was held at 01:59:10: by the first mysqld
	 * (it exits that second), lostproc, bash and we"ird.
	 */
	t = run_ok(f.dir, "--format", "csv", "--since", "2026-11-22T01:59:10Z", NULL);
	cr_assert_eq(lines(t), 1 + 4 + 4, "%s", t);
	free(t);
	t = run_ok(f.dir, "--format", "csv", "--since", "2026-11-22 03:59:10", NULL);
	cr_assert_eq(lines(t), 1 + 4 + 4, "%s", t);
	free(t);
	fx_rm(&f);
}

Test(report, no_match_and_bad_arguments)
{
	struct fx f;
	char *t;
	int rc;

	fx_basic(&f, false);
	t = run(&rc, f.dir, "-p", "4242", NULL);
	cr_assert_eq(rc, 0);
	cr_assert_null(t, "no file is written when nothing matches");
	t = run(&rc, f.dir, "--until", "2020-01-01", NULL);
	cr_assert_eq(rc, 0);
	cr_assert_null(t);
	t = run(&rc, "/nonexistent/vmatrace-journal", NULL);
	cr_assert_eq(rc, EXIT_USAGE);
	cr_assert_null(t);
	t = run(&rc, f.dir, "--since", "yesterday", NULL);
	cr_assert_eq(rc, EXIT_USAGE);
	t = run(&rc, f.dir, "--until", "2026-02-30 10:00", NULL);
	cr_assert_eq(rc, EXIT_USAGE);
	t = run(&rc, f.dir, "--format", "pdf", NULL);
	cr_assert_eq(rc, EXIT_USAGE);
	t = run(&rc, f.dir, "--since", "2026-11-23", "--until", "2026-11-22", NULL);
	cr_assert_eq(rc, EXIT_USAGE);
	t = run(&rc, f.dir, "-p", "abc", NULL);
	cr_assert_eq(rc, EXIT_USAGE);
	fx_rm(&f);
}

Test(report, output_file_replaced_atomically)
{
	char out[128], *argv[8];
	struct stat st;
	struct fx f;
	FILE *fp;
	char *t;

	fx_basic(&f, false);
	snprintf(out, sizeof(out), "%s.csv", f.dir);
	fp = fopen(out, "w");
	fputs("old content\n", fp);
	fclose(fp);
	argv[0] = "report";
	argv[1] = "--journal-dir";
	argv[2] = f.dir;
	argv[3] = "--format=csv";
	argv[4] = "-o";
	argv[5] = out;
	argv[6] = NULL;
	umask(022);
	cr_assert_eq(cli_report(6, argv), 0);
	t = slurp(out);
	cr_assert_eq(strncmp(t, "ts,pid,", 7), 0);
	cr_assert_eq(stat(out, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644, "mode %o", st.st_mode & 0777);
	free(t);
	unlink(out);
	fx_rm(&f);
}
