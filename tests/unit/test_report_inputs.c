// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `vmatrace report` on hostile names, malformed payloads, other format versions; time specs. */
#include "report_checks.h"

/* ---- untrusted text and payloads ---- */

#define CAFE "caf\xc3\xa9"

/* café and a name with a control byte and an invalid one; an OOM kill with markup in it. */
static void fx_names(struct fx *f)
{
	fx_open(f);
	fx_point(f, 10, CAFE, (T0 + 10) * NS, 50, 50, 50, 1 << 20, 0, 0, 1, 0);
	fx_point(f, 10, CAFE, (T0 + 20) * NS, 60, 50, 60, 1 << 20, 0, 0, 1, 0);
	fx_point(f, 11, "bad\x01\xff", (T0 + 10) * NS, 5, 5, 5, 1 << 20, 0, 0, 1, 0);
	/* As the daemon writes an exit by a signal. */
	fx_json(f, JREC_PROC_EXIT, 11, "bad\x01\xff", (T0 + 15) * NS,
		"{\"exit_code\":-1,\"signal\":\"KILL\",\"vmas\":5}");
	fx_json(f, JREC_OOM, 10, CAFE, (T0 + 30) * NS,
		"{\"kind\":\"oom_kill\",\"victim_pid\":10,\"victim_comm\":\"" CAFE "\","
		"\"memcg\":\"/sp\\u00e9cial<b>\",\"oom_type\":\"cgroup\"}");
	fx_close(f);
}

Test(report, a_utf8_name_reads_the_same_in_every_format)
{
	json_t *doc, *procs;
	json_error_t err;
	char why[160];
	struct fx f;
	char *t;

	fx_names(&f);
	t = run_ok(f.dir, NULL);
	cr_assert(strstr(t, "     10  " CAFE), "%s", t);
	cr_assert(strstr(t, "bad\\x01\\xff"), "%s", t);
	cr_assert(strstr(t, "memcg /sp\xc3\xa9"
			    "cial<b>)"),
		  "%s", t);
	free(t);

	t = run_ok(f.dir, "--format", "html", NULL);
	cr_assert(xml_ok(t, why, sizeof(why)), "%s", why);
	cr_assert(strstr(t, "<td>" CAFE "</td>"), "%s", t);
	cr_assert(strstr(t, "<td>bad\\x01\\xff</td>"), "%s", t);
	cr_assert(strstr(t, "memcg /sp\xc3\xa9"
			    "cial&lt;b&gt;)"),
		  "%s", t);
	cr_assert_null(strstr(t, "<b>"));
	free(t);

	t = run_ok(f.dir, "--format", "svg", NULL);
	cr_assert(xml_ok(t, why, sizeof(why)), "%s", why);
	cr_assert(strstr(t, "<tspan font-weight=\"bold\">" CAFE "</tspan>"), "%s", t);
	cr_assert(strstr(t, ">exit (SIGKILL)</text>"), "%s", t);
	free(t);

	t = run_ok(f.dir, "--format", "json", NULL);
	/* jansson: test_format.c's validator predates UTF-8 passing through. */
	doc = json_loads(t, 0, &err);
	cr_assert_not_null(doc, "invalid JSON (%s):\n%s", err.text, t);
	procs = json_object_get(doc, "processes");
	cr_assert_eq(json_array_size(procs), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(procs, 0), "comm")),
			 CAFE);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(procs, 1), "comm")),
			 "bad\\x01\\xff");
	cr_assert(strstr(t, "\"comm\":\"" CAFE "\""), "UTF-8 passes unescaped: %s", t);
	json_decref(doc);
	free(t);

	t = run_ok(f.dir, "--format", "csv", NULL);
	cr_assert(strstr(t, ",10,\"" CAFE "\",50,50,50,"), "%s", t);
	cr_assert(strstr(t, ",11,\"bad\\x01\\xff\","), "%s", t);
	free(t);
	fx_rm(&f);
}

Test(report, malformed_payloads_are_counted_and_kept_as_text)
{
	struct fx f;
	char *t, *raw;

	setenv("TZ", "UTC", 1);
	tzset();
	fx_open(&f);
	fx_point(&f, 20, "ok", (T0 + 10) * NS, 50, 50, 50, 1 << 20, 0, 0, 1, 0);
	fx_json(&f, JREC_ALERT, 20, "ok", (T0 + 11) * NS, "{\"kind\":\"vma_threshold\",\"vmas\":");
	fx_json(&f, JREC_ALERT, 20, "ok", (T0 + 12) * NS, "[1,2]");
	/* A timeline point shorter than JOURNAL_TL_LEN. */
	cr_assert_eq(journal_append(f.j, JREC_TIMELINE, 20, "ok", (T0 + 13) * NS, "short", 5), 0);
	fx_close(&f);

	t = run_ok(f.dir, NULL);
	cr_assert(strstr(t, "WARNING:   3 records with a malformed payload"), "%s", t);
	cr_assert(strstr(t, "unparsable alert record (31 bytes)"), "%s", t);
	cr_assert(strstr(t, "unparsable alert record (5 bytes)"), "%s", t);
	free(t);

	t = run_ok(f.dir, "--format", "json", NULL);
	cr_assert(ja_valid(t), "invalid JSON:\n%s", t);
	raw = ja_member(t, "stats");
	cr_assert_not_null(raw);
	cr_assert(strstr(raw, "\"bad_payloads\":3"), "%s", raw);
	free(raw);
	cr_assert(strstr(t, "\"kind\":\"unparsable\",\"raw\":\"{\\\"kind\\\":\\\"vma_threshold\\\","
			    "\\\"vmas\\\":\""),
		  "%s", t);
	cr_assert(strstr(t, "\"raw\":\"[1,2]\""), "%s", t);
	free(t);
	fx_rm(&f);
}

/* A segment's header rewritten to claim format version `version`, its CRC made to hold. */
static void set_segment_version(const struct fx *f, uint16_t version)
{
	uint8_t hdr[32];
	char path[256];
	uint32_t c;
	FILE *fp;

	fx_segment(f, path, sizeof(path));
	fp = fopen(path, "r+b");
	cr_assert_not_null(fp);
	cr_assert_eq(fread(hdr, 1, sizeof(hdr), fp), sizeof(hdr));
	hdr[4] = version;
	hdr[5] = version >> 8;
	c = crc32(crc32(0, Z_NULL, 0), hdr, 28);
	for (int i = 0; i < 4; i++)
		hdr[28 + i] = c >> (8 * i);
	fseek(fp, 0, SEEK_SET);
	cr_assert_eq(fwrite(hdr, 1, sizeof(hdr), fp), sizeof(hdr));
	fclose(fp);
}

Test(report, a_segment_of_another_format_version_is_named_not_called_damage)
{
	struct journal_config cfg = { .fsync = JOURNAL_FSYNC_NEVER };
	struct fx f;
	char *t;

	fx_basic(&f, false);
	set_segment_version(&f, JOURNAL_FORMAT_VERSION + 1);
	/* A later daemon of this version adds a segment of its own. */
	cfg.dir = f.dir;
	f.j = journal_open(&cfg);
	cr_assert_not_null(f.j);
	fx_point(&f, 30, "later", (T0 + 900) * NS, 7, 7, 7, 1 << 20, 0, 0, 1, 0);
	fx_close(&f);

	t = run_ok(f.dir, NULL);
	cr_assert(strstr(t, "WARNING:   1 segment of journal format version 2 skipped: this "
			    "vmatrace reads version 1 only"),
		  "%s", t);
	cr_assert_null(strstr(t, "damaged"), "%s", t);
	cr_assert(strstr(t, "     30  later"), "%s", t);
	cr_assert_null(strstr(t, "mysqld"), "%s", t);
	free(t);
	t = run_ok(f.dir, "--format", "json", NULL);
	cr_assert(strstr(t, "\"other_version_segments\":1,\"other_version\":2"), "%s", t);
	cr_assert(strstr(t, "\"damaged_blocks\":0"), "%s", t);
	free(t);
	t = run_ok(f.dir, "--format", "html", NULL);
	cr_assert(strstr(t, "<p class=\"warn\">1 segment of journal format version 2"), "%s", t);
	free(t);
	fx_rm(&f);
}

/* ---- time specifications ---- */

Test(report, time_specs)
{
	const time_t now = 1795312345;
	uint64_t ns;

	setenv("TZ", "UTC-2", 1);
	tzset();
	/* 1795334400 is 2026-11-22 08:00 UTC, 10:00 in this TZ */
	cr_assert(report_parse_time("2026-11-22 10:00", now, &ns));
	cr_assert_eq(ns, 1795334400ULL * NS);
	cr_assert(report_parse_time("2026-11-22 10:00:30", now, &ns));
	cr_assert_eq(ns, (1795334400ULL + 30) * NS);
	cr_assert(report_parse_time("2026-11-22T10:00:30Z", now, &ns));
	cr_assert_eq(ns, (1795334400ULL + 7200 + 30) * NS);
	cr_assert(report_parse_time("2026-11-22T10:00:30", now, &ns));
	cr_assert_eq(ns, (1795334400ULL + 30) * NS);
	cr_assert(report_parse_time("2026-11-22", now, &ns));
	cr_assert_eq(ns, (1795305600ULL - 7200) * NS);
	cr_assert(report_parse_time("1795312345", now, &ns));
	cr_assert_eq(ns, 1795312345ULL * NS);
	cr_assert(report_parse_time("1795312345.5", now, &ns));
	cr_assert_eq(ns, 1795312345ULL * NS + NS / 2);
	cr_assert(report_parse_time("-2h", now, &ns));
	cr_assert_eq(ns, (now - 7200ULL) * NS);
	cr_assert(report_parse_time("-30m", now, &ns));
	cr_assert_eq(ns, (now - 1800ULL) * NS);
	cr_assert(report_parse_time("-1d", now, &ns));
	cr_assert_eq(ns, (now - 86400ULL) * NS);
	cr_assert(report_parse_time("-90s", now, &ns));
	cr_assert_eq(ns, (now - 90ULL) * NS);
	cr_assert(report_parse_time("now", now, &ns));
	cr_assert_eq(ns, (uint64_t)now * NS);

	cr_assert_not(report_parse_time("", now, &ns));
	cr_assert_not(report_parse_time("-2x", now, &ns));
	cr_assert_not(report_parse_time("--2h", now, &ns));
	cr_assert_not(report_parse_time("2026-13-01 10:00", now, &ns));
	cr_assert_not(report_parse_time("2026-02-30 10:00", now, &ns));
	cr_assert_not(report_parse_time("2026-11-22 25:00", now, &ns));
	cr_assert_not(report_parse_time("2026-11-22 10", now, &ns));
	cr_assert_not(report_parse_time("2026-11-22 10:00 ", now, &ns));
	cr_assert_not(report_parse_time("26-11-22", now, &ns));
	cr_assert_not(report_parse_time("1e9", now, &ns));
	cr_assert_not(report_parse_time("12abc", now, &ns));
	/* Past 64-bit nanoseconds (the year 2554): refused, not wrapped (UBSan: an overflow). */
	cr_assert_not(report_parse_time("77777777777", now, &ns));
	cr_assert_not(report_parse_time("9999-12-31 23:59", now, &ns));
	cr_assert(report_parse_time("18446744073", now, &ns));
	cr_assert_not(report_parse_time("18446744074", now, &ns));
}

/* ---- the example in docs/ ---- */

/*
 * REPORT_EXAMPLE_SVG=docs/report-example.svg ./unit-tests --filter report/example
 * writes the picture of this synthetic journal (docs/report-example.png, in the README, is a
 * real run instead, made by scripts/report-screenshot.sh);
 * REPORT_EXAMPLE_KEEP=1 keeps the journal and prints where it is, for `vmatrace report`.
 */
Test(report, example)
{
	struct report_filter flt = { 0 };
	struct report_svg_opts so = { 0 };
	const char *path = getenv("REPORT_EXAMPLE_SVG");
	struct report r;
	struct strbuf sb;
	char why[160];
	struct fx f;

	if (!getenv("TZ")) {
		setenv("TZ", "UTC", 1);
		tzset();
	}
	fx_open(&f);
	fx_example(&f);
	fx_close(&f);
	flt.dir = f.dir;
	cr_assert_eq(report_load(&r, &flt), 0);
	cr_assert_eq(r.nprocs, 3);
	cr_assert_eq(r.procs[0]->pid, EX_MYSQLD);
	cr_assert_eq(r.procs[0]->peak_vmas, FX_MAX_MAP);
	cr_assert_eq(r.procs[0]->alerts, 3);
	cr_assert_eq(r.procs[0]->alloc_failures, 22);
	cr_assert_eq(r.procs[1]->pid, EX_JAVA);
	cr_assert_eq(r.procs[1]->ooms, 1);
	sb_init(&sb);
	report_svg(&r, &so, &sb);
	if (path) {
		FILE *fp = fopen(path, "w");

		cr_assert_not_null(fp, "%s: %m", path);
		sb_write(&sb, fp);
		fclose(fp);
	}
	cr_assert(xml_ok(sb.buf, why, sizeof(why)), "%s", why);
	cr_assert(strstr(sb.buf, ">80%</text>"));
	cr_assert(strstr(sb.buf, ">90%</text>"));
	cr_assert(strstr(sb.buf, ">95%</text>"));
	cr_assert(strstr(sb.buf, ">munmap ENOMEM \xc3\x97"
				 "22</text>"));
	cr_assert(strstr(sb.buf, ">OOM kill (cgroup)</text>"));
	cr_assert(strstr(sb.buf, ">exit (signal 6)</text>"));
	/* A day's worth of points would not make a bigger picture: one step per pixel column. */
	cr_assert_lt(sb.len, 160000);
	if (getenv("REPORT_EXAMPLE_HTML")) {
		FILE *fp = fopen(getenv("REPORT_EXAMPLE_HTML"), "w");

		sb_reset(&sb);
		report_html(&r, &so, &sb);
		sb_write(&sb, fp);
		fclose(fp);
	}
	sb_free(&sb);
	report_free(&r);
	if (getenv("REPORT_EXAMPLE_KEEP"))
		fprintf(stderr, "example journal: %s\n", f.dir);
	else
		fx_rm(&f);
}

/* A spreadsheet evaluates a cell that starts with = + - @: such a name is written as text. */
Test(report, csv_cells_that_look_like_formulas_are_text)
{
	struct fx f;
	char *t;

	setenv("TZ", "UTC", 1);
	tzset();
	fx_open(&f);
	fx_point(&f, 31, "=HYPERLINK(\"x\")", (T0 + 10) * NS, 5, 5, 5, 1 << 20, 0, 0, 1, 0);
	fx_point(&f, 32, "+1\r\n-2", (T0 + 10) * NS, 5, 5, 5, 1 << 20, 0, 0, 1, 0);
	fx_point(&f, 33, "@SUM(A1)", (T0 + 10) * NS, 5, 5, 5, 1 << 20, 0, 0, 1, 0);
	fx_point(&f, 34, "-cmd", (T0 + 10) * NS, 5, 5, 5, 1 << 20, 0, 0, 1, 0);
	fx_point(&f, 35, "plain=1", (T0 + 10) * NS, 5, 5, 5, 1 << 20, 0, 0, 1, 0);
	fx_close(&f);
	t = run_ok(f.dir, "--format", "csv", NULL);
	cr_assert(strstr(t, ",31,\"'=HYPERLINK(\"\"x\"\")\","), "%s", t);
	cr_assert(strstr(t, ",32,\"'+1\\x0d\\x0a-2\","), "control bytes escaped: %s", t);
	cr_assert(strstr(t, ",33,\"'@SUM(A1)\","), "%s", t);
	cr_assert(strstr(t, ",34,\"'-cmd\","), "%s", t);
	cr_assert(strstr(t, ",35,\"plain=1\","), "only a leading sign: %s", t);
	for (const char *c = t; *c; c++)
		cr_assert(*c >= 0x20 || *c == '\r' || *c == '\n', "a raw control byte %#x", *c);
	free(t);
	fx_rm(&f);
}

/* A storm's summary and retention's note are said in the report, not only kept as records. */
Test(report, storm_summaries_and_retention_are_said)
{
	struct fx f;
	char *t;

	setenv("TZ", "UTC", 1);
	tzset();
	fx_open(&f);
	fx_json(&f, JREC_RETENTION, 0, "", (T0 + 1) * NS,
		"{\"segments\":3,\"bytes\":1572864,\"newest_deleted_s\":%llu}",
		(unsigned long long)T0);
	fx_point(&f, 40, "db", (T0 + 10) * NS, 5, 5, 5, 1 << 20, 0, 0, 1, 0);
	fx_json(&f, JREC_SUPPRESSED, 0, "", (T0 + 70) * NS,
		"{\"kind\":\"alloc_failure\",\"uid\":1001,\"suppressed\":4999,\"sent\":1,"
		"\"window_s\":60.0}");
	fx_close(&f);
	t = run_ok(f.dir, NULL);
	cr_assert(strstr(t, "storms:    4999 alerts suppressed"), "%s", t);
	cr_assert(strstr(t, "retention: 3 segments (1.5MiB) of older history deleted"), "%s", t);
	free(t);
	t = run_ok(f.dir, "--format", "json", NULL);
	cr_assert(strstr(t, "\"alerts_suppressed\":4999"), "%s", t);
	cr_assert(strstr(t, "\"retention_segments\":3"), "%s", t);
	free(t);
	fx_rm(&f);
}
