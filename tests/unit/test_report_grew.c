// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * "What grew" under an incident in the report: the table and the plot drawn
 * from the compact context ("grew") the daemon journals with the incident,
 * in text and HTML; and an OOM kill is one incident in every format.
 */
#include "report_checks.h"

#define HOG 4242

/* An OOM kill as the daemon journals it now: one record, "grew" in it. */
static void fx_oom(struct fx *f, bool old_alert_too)
{
	fx_open(f);
	fx_json(f, JREC_DAEMON_START, 0, "", T0 * NS,
		"{\"version\":\"0.1.0\",\"max_map_count\":65530,\"hostname\":\"db1\"}");
	fx_json(f, JREC_OOM, HOG, "oom_hog", (T0 + 1) * NS,
		"{\"kind\":\"oom_kill\",\"ts\":%llu.3,\"pid\":%d,\"comm\":\"oom_hog\","
		"\"victim_pid\":%d,\"victim_comm\":\"oom_hog\",\"anon_rss_kb\":65000,"
		"\"memcg\":\"/jail<b>\",\"oom_type\":\"cgroup\",\"vmas\":80,\"mapped\":70254592,"
		"\"heap\":135168,"
		"\"grew\":{\"from\":%llu.0,\"to\":%llu.3,\"span_s\":0.300,\"source\":\"flight "
		"recorder\",\"points\":["
		"{\"ago_s\":0.300,\"vmas\":20,\"mapped\":2097152,\"heap\":0},"
		"{\"ago_s\":0.150,\"vmas\":50,\"mapped\":33554432,\"heap\":135168},"
		"{\"ago_s\":0.000,\"vmas\":80,\"mapped\":70254592,\"heap\":135168}],"
		"\"series\":{\"step_s\":0.1,\"vmas\":[20,40,60,80],"
		"\"mapped\":[2097152,20000000,50000000,70254592],\"heap\":[0,135168,135168,135168]},"
		"\"kinds\":[{\"kind\":\"anonymous\",\"vmas\":70,\"bytes\":68157440},"
		"{\"kind\":\"file<i>\",\"vmas\":9,\"bytes\":2000000}],"
		"\"events\":[{\"ts\":%llu.25,\"tid\":%d,\"event\":\"mmap\",\"args\":[\"0x0\","
		"1052672,3],\"ret\":139800000000000,\"errno\":null,\"vmas\":80}]},"
		"\"context\":{\"timeline\":[],\"flight\":[]}}",
		T0 + 1, HOG, HOG, T0 + 1, T0 + 1, T0 + 1, HOG);
	if (old_alert_too)
		fx_json(f, JREC_ALERT, HOG, "oom_hog", (T0 + 1) * NS,
			"{\"kind\":\"oom_kill\",\"ts\":%llu.3,\"pid\":%d,\"comm\":\"oom_hog\","
			"\"victim_pid\":%d}",
			T0 + 1, HOG, HOG);
	fx_close(f);
}

Test(report_grew, text_shows_the_table_and_the_plot)
{
	struct fx f;
	char *t;

	setenv("TZ", "UTC", 1);
	tzset();
	fx_oom(&f, false);
	t = run_ok(f.dir, NULL);
	cr_assert(strstr(t, "what grew over the last 0.3 s (from the flight recorder):"), "%s", t);
	cr_assert(strstr(t, "AGO      VMAS      MAPPED        HEAP"), "%s", t);
	cr_assert(strstr(t, "  -0.300s        20        2MiB          0B\n"), "%s", t);
	cr_assert(strstr(t, "        0        80       67MiB      132KiB\n"), "%s", t);
	cr_assert(strstr(t, "VMAs    ▁▃▆█  20 -> 80"), "%s", t);
	cr_assert(strstr(t, "mapped  "), "%s", t);
	cr_assert(strstr(t, "kinds:  anonymous 70 VMAs 65MiB, file<i> 9 VMAs 1.9MiB"), "%s", t);
	cr_assert(strstr(t, "last:  01:52:26.250000 mmap(0x0, 1052672, 3) = 0x7f25b956f000  "
			    "vmas=80\n"),
		  "%s", t);
	cr_assert_null(strstr(t, "[with grew"), "the member is drawn, not named:\n%s", t);
	free(t);
	fx_rm(&f);
}

Test(report_grew, html_has_the_table_and_an_svg_plot)
{
	struct fx f;
	char *t, why[128];

	fx_oom(&f, false);
	t = run_ok(f.dir, "--format", "html", NULL);
	cr_assert(xml_ok(t, why, sizeof(why)), "%s", why);
	cr_assert_eq(count(t, "<table class=\"grew\">"), 1, "%s", t);
	cr_assert(strstr(t, "<td class=\"n\">-0.300s</td><td class=\"n\">20</td>"), "%s", t);
	cr_assert_eq(count(t, "<svg class=\"grew-plot\""), 1);
	cr_assert_eq(count(t, "<polyline class=\"grew-"), 3);
	/* Four values from x 60 to 250; the lowest at the bottom of its row. */
	cr_assert(strstr(t, "points=\"60.0,30.0 123.3,"), "%s", t);
	cr_assert(strstr(t, "file&lt;i&gt; 9 VMAs"), "%s", t);
	cr_assert_null(strstr(t, "file<i>"));
	free(t);
	fx_rm(&f);
}

Test(report_grew, an_oom_kill_is_one_incident_in_every_format)
{
	static const char *formats[] = { "text", "json", "html" };
	struct fx f;

	/* An older daemon wrote the alert and the OOM record: still one incident. */
	fx_oom(&f, true);
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char *t = run_ok(f.dir, "--format", formats[i], NULL);

		if (!strcmp(formats[i], "json")) {
			char *m = ja_member(t, "events");

			cr_assert_eq(count(m, "\"kind\":\"oom_kill\""), 1, "%s", m);
			cr_assert(strstr(m, "\"grew\":"), "the record with the context is kept");
			free(m);
			cr_assert(strstr(t, "\"incidents\":1,"), "%s", t);
		} else if (!strcmp(formats[i], "text")) {
			cr_assert_eq(count(t, "OOM kill ("), 1, "%s", t);
			cr_assert(strstr(t, "Incidents (1)"), "%s", t);
		} else {
			cr_assert_eq(count(t, "<td class=\"k-oom\">"), 1, "%s", t);
		}
		free(t);
	}
	fx_rm(&f);
}

Test(report_grew, failed_calls_counted_at_exit)
{
	struct fx f;
	char *t;

	fx_open(&f);
	fx_json(&f, JREC_PROC_EXIT, 77, "mysqld", (T0 + 5) * NS,
		"{\"exit_code\":-1,\"signal\":\"ABRT\",\"vmas\":65530,\"failures_total\":23,"
		"\"failures\":[{\"syscall\":\"munmap\",\"errno\":\"ENOMEM\",\"count\":22},"
		"{\"syscall\":\"munmap\",\"errno\":\"EINVAL\",\"count\":1}]}");
	fx_json(&f, JREC_PROC_EXIT, 78, "quiet", (T0 + 6) * NS,
		"{\"exit_code\":0,\"signal\":null,\"vmas\":20,\"failures_total\":0,\"failures\":[]}");
	fx_close(&f);
	t = run_ok(f.dir, NULL);
	cr_assert(strstr(t, "Failed calls, every one counted (1 process, at their exit)"), "%s", t);
	cr_assert(strstr(t,
			 "\n     77  mysqld           munmap           ENOMEM               22\n"),
		  "%s", t);
	cr_assert(strstr(t,
			 "\n     77  mysqld           munmap           EINVAL                1\n"),
		  "%s", t);
	cr_assert_null(strstr(t, "quiet  "), "%s", t);
	free(t);
	t = run_ok(f.dir, "--format", "html", NULL);
	cr_assert(strstr(t, "<td>munmap</td><td>EINVAL</td><td class=\"n\">1</td>"), "%s", t);
	free(t);
	fx_rm(&f);
}
