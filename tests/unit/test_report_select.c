// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The report on a whole host: which processes it shows by default (every one with an
 * incident, the top N by peak share of the limit), --all/--top/--pid/--comm; the CSV of
 * incidents; the configured thresholds in the plots; the census drawn in HTML.
 */
#include "report_checks.h"

#define HOST_PROCS 300
#define BIG0 5000 /* pids of the host's processes: BIG0 + i holds 100 + 17 * i VMAs at peak */
#define VICTIM 77 /* an OOM victim with few VMAs */
#define FAILER 78 /* a process with a failed call and few VMAs */

static uint32_t host_peak(int i)
{
	return 100 + 17 * i;
}

/*
 * HOST_PROCS processes of two points each, their peaks in order of pid; process 0 ran
 * where vm.max_map_count was 1,000 (so its peak share is the highest of all), and two
 * small processes have an incident.
 */
static void fx_host(struct fx *f)
{
	fx_open(f);
	fx_json(f, JREC_DAEMON_START, 0, "", T0 * NS,
		"{\"version\":\"0.1.0\",\"max_map_count\":65530,\"hostname\":\"db1\"}");
	for (int i = 0; i < HOST_PROCS; i++) {
		struct journal_tl tl = {
			.t_ns = (T0 + 10 + i % 50) * NS,
			.vmas_min = 50,
			.vmas_max = host_peak(i),
			.vmas_last = host_peak(i),
			.calls = 3,
			.max_map_count = i == 0 ? 1000 : FX_MAX_MAP,
			.mapped = 1 << 20,
		};
		char comm[16];

		snprintf(comm, sizeof(comm), i % 2 ? "worker" : "postgres");
		cr_assert_eq(journal_put_point(f->j, BIG0 + i, comm, &tl), 0);
		tl.t_ns += 5 * NS;
		tl.vmas_last = tl.vmas_max = tl.vmas_min = 60;
		cr_assert_eq(journal_put_point(f->j, BIG0 + i, comm, &tl), 0);
	}
	fx_point(f, VICTIM, "java", (T0 + 20) * NS, 40, 40, 40, 1 << 30, 0, 0, 10, 0);
	fx_json(f, JREC_OOM, VICTIM, "java", (T0 + 30) * NS,
		"{\"kind\":\"oom_kill\",\"victim_pid\":%d,\"victim_comm\":\"java\","
		"\"oom_type\":\"global\",\"anon_rss_kb\":1000}",
		VICTIM);
	fx_point(f, FAILER, "mysqld", (T0 + 20) * NS, 45, 45, 45, 1 << 20, 0, 0, 10, 1);
	fx_json(f, JREC_ALERT, FAILER, "mysqld", (T0 + 25) * NS,
		"{\"kind\":\"alloc_failure\",\"pid\":%d,\"comm\":\"mysqld\",\"syscall\":\"munmap\","
		"\"errno\":\"ENOMEM\",\"vmas\":45,\"limit\":65530}",
		FAILER);
	fx_close(f);
}

/* The pids in the text report's process table, as a bitmap over BIG0.. and the two. */
static int table_has(const char *t, uint32_t pid, const char *comm)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "\n%7u  %s ", pid, comm);
	return strstr(t, needle) != NULL;
}

static const char *host_comm(int i)
{
	return i % 2 ? "worker" : "postgres";
}

Test(report_select, a_whole_host_shows_the_incidents_and_the_top_10)
{
	struct fx f;
	char *t, *m;
	int rows = 0;

	fx_host(&f);
	t = run_ok(f.dir, NULL);
	cr_assert(strstr(t, "showing 12 of 302 processes: every one with an incident and the top "
			    "10 by peak share of vm.max_map_count; --all for all"),
		  "%s", t);
	cr_assert(strstr(t, "Processes (12 of 302, by peak VMA count)"), "%s", t);
	/* Process 0: 100 VMAs of a limit of 1,000 is a larger share than 5,183 of 65,530. */
	cr_assert(table_has(t, BIG0, "postgres"), "%s", t);
	for (int i = HOST_PROCS - 9; i < HOST_PROCS; i++)
		cr_assert(table_has(t, BIG0 + i, host_comm(i)), "pid %d missing:\n%s", BIG0 + i, t);
	cr_assert_not(table_has(t, BIG0 + HOST_PROCS - 10, host_comm(HOST_PROCS - 10)), "%s", t);
	cr_assert_not(table_has(t, BIG0 + 1, "worker"), "%s", t);
	cr_assert(table_has(t, VICTIM, "java"), "%s", t);
	cr_assert(table_has(t, FAILER, "mysqld"), "%s", t);
	for (const char *p = strstr(t, "Processes ("); (p = strchr(p, '\n')); p++)
		rows += p[1] == ' ';
	cr_assert_eq(rows, 12 + 1 /* the header */, "%s", t);
	/* The count of every process is still said where the matches are summed up. */
	cr_assert(strstr(t, "of 302 processes, 2 incidents"), "%s", t);
	free(t);

	/* JSON: the same processes, and how many of how many. */
	t = run_ok(f.dir, "--format", "json", NULL);
	cr_assert(ja_valid(t));
	m = ja_member(t, "stats");
	cr_assert(strstr(m, "\"processes\":302,\"processes_shown\":12"), "%s", m);
	free(m);
	cr_assert_eq(count(t, "\"peak_vmas\":"), 12);
	free(t);
	/* CSV: the points of the shown processes. */
	t = run_ok(f.dir, "--format", "csv", NULL);
	cr_assert_eq(lines(t), 1 + 10 * 2 + 2, "%s", t);
	free(t);
	/* SVG: a panel each. */
	t = run_ok(f.dir, "--format", "svg", NULL);
	cr_assert_eq(count(t, "font-size=\"12.5\">pid "), 12);
	cr_assert(strstr(t, "12 of 302 processes"));
	free(t);
	fx_rm(&f);
}

Test(report_select, all_top_pid_and_comm_choose)
{
	struct fx f;
	char *t;
	int rc;

	fx_host(&f);
	t = run_ok(f.dir, "--all", NULL);
	cr_assert(strstr(t, "Processes (302, by peak VMA count)"), "%s", t);
	cr_assert_null(strstr(t, "showing "));
	for (int i = 0; i < HOST_PROCS; i++)
		cr_assert(table_has(t, BIG0 + i, host_comm(i)), "pid %d missing", BIG0 + i);
	free(t);
	t = run_ok(f.dir, "--format", "csv", "--all", NULL);
	cr_assert_eq(lines(t), 1 + HOST_PROCS * 2 + 2);
	free(t);

	t = run_ok(f.dir, "--top", "3", NULL);
	cr_assert(strstr(t,
			 "showing 5 of 302 processes: every one with an incident and the top 3 "),
		  "%s", t);
	cr_assert(table_has(t, BIG0, "postgres"));
	cr_assert(table_has(t, BIG0 + HOST_PROCS - 1, host_comm(HOST_PROCS - 1)));
	cr_assert(table_has(t, BIG0 + HOST_PROCS - 2, host_comm(HOST_PROCS - 2)));
	cr_assert_not(table_has(t, BIG0 + HOST_PROCS - 3, host_comm(HOST_PROCS - 3)));
	free(t);

	/* A pid or a name picks every process that matches, however many. */
	t = run_ok(f.dir, "-p", "5001", NULL);
	cr_assert(strstr(t, "Processes (1, by peak VMA count)"), "%s", t);
	cr_assert(table_has(t, 5001, "worker"));
	free(t);
	t = run_ok(f.dir, "--comm", "worker", NULL);
	cr_assert(strstr(t, "Processes (150, by peak VMA count)"), "%s", t);
	cr_assert_null(strstr(t, "postgres"), "%s", t);
	free(t);
	/* ... unless --top says how many of them. */
	t = run_ok(f.dir, "--comm", "worker", "--top", "2", NULL);
	cr_assert(strstr(t, "showing 2 of 150 processes"), "%s", t);
	cr_assert(table_has(t, BIG0 + HOST_PROCS - 1, "worker"));
	cr_assert(table_has(t, BIG0 + HOST_PROCS - 3, "worker"));
	free(t);

	t = run(&rc, f.dir, "--all", "--top", "3", NULL);
	cr_assert_eq(rc, EXIT_USAGE);
	t = run(&rc, f.dir, "--top", "0", NULL);
	cr_assert_eq(rc, EXIT_USAGE);
	t = run(&rc, f.dir, "--top", "x", NULL);
	cr_assert_eq(rc, EXIT_USAGE);
	fx_rm(&f);
}

/* ---- CSV of incidents ---- */

/* RFC 4180 rows of text: cells[row][col] (quotes removed, "" undone); the number of rows. */
#define CSV_MAX_ROWS 64
#define CSV_MAX_COLS 16

struct csv {
	char *cell[CSV_MAX_ROWS][CSV_MAX_COLS];
	int ncols[CSV_MAX_ROWS];
	int nrows;
};

static void csv_parse(struct csv *c, const char *s)
{
	memset(c, 0, sizeof(*c));
	while (*s) {
		int row = c->nrows++;

		cr_assert_lt(row, CSV_MAX_ROWS);
		for (;;) {
			char *out = malloc(strlen(s) + 1), *o = out;
			int col = c->ncols[row]++;

			cr_assert_lt(col, CSV_MAX_COLS);
			if (*s == '"') {
				for (s++;; s++) {
					cr_assert(*s, "unterminated quoted cell");
					if (*s == '"' && s[1] == '"')
						*o++ = *s++;
					else if (*s == '"')
						break;
					else
						*o++ = *s;
				}
				s++;
			} else {
				while (*s && *s != ',' && *s != '\r' && *s != '\n') {
					cr_assert_neq(*s, '"', "a quote inside an unquoted cell");
					*o++ = *s++;
				}
			}
			*o = 0;
			c->cell[row][col] = out;
			if (*s == ',') {
				s++;
				continue;
			}
			cr_assert(s[0] == '\r' && s[1] == '\n',
				  "row %d does not end in CRLF: %.20s", row, s);
			s += 2;
			break;
		}
	}
}

static void csv_free(struct csv *c)
{
	for (int r = 0; r < c->nrows; r++)
		for (int k = 0; k < c->ncols[r]; k++)
			free(c->cell[r][k]);
}

Test(report_select, csv_of_incidents_has_one_row_each)
{
	static const char *const header[] = { "ts",	 "pid",	      "comm",	    "kind",
					      "name",	 "threshold", "vmas",	    "max_map_count",
					      "syscall", "errno",     "description" };
	struct csv c;
	struct fx f;
	char *t;
	int alerts = 0, failures = 0, ooms = 0;

	setenv("TZ", "UTC", 1);
	tzset();
	fx_basic(&f, true);
	t = run_ok(f.dir, "--csv", "incidents", NULL);
	csv_parse(&c, t);
	cr_assert_eq(c.nrows, 1 + 7, "%s", t); /* the header, 3 alerts, 3 failures, one OOM kill */
	for (int k = 0; k < 11; k++)
		cr_assert_str_eq(c.cell[0][k], header[k]);
	for (int r = 1; r < c.nrows; r++) {
		cr_assert_eq(c.ncols[r], 11, "row %d: %d cells", r, c.ncols[r]);
		alerts += !strcmp(c.cell[r][3], "alert");
		failures += !strcmp(c.cell[r][3], "failure");
		ooms += !strcmp(c.cell[r][3], "oom_kill");
	}
	cr_assert_eq(alerts, 3);
	cr_assert_eq(failures, 3);
	cr_assert_eq(ooms, 1);
	/* In time order: the 80 % alert first, with its figures. */
	cr_assert_str_eq(c.cell[1][0], "1795312545.000000");
	cr_assert_str_eq(c.cell[1][1], "1234");
	cr_assert_str_eq(c.cell[1][2], "mysqld");
	cr_assert_str_eq(c.cell[1][4], "vma_threshold");
	cr_assert_str_eq(c.cell[1][5], "80");
	cr_assert_str_eq(c.cell[1][6], "52424");
	cr_assert_str_eq(c.cell[1][7], "65530");
	cr_assert(strstr(c.cell[1][10], "VMA alert 80%: 52424 VMAs of 65530"), "%s", c.cell[1][10]);
	/* The failures name their call and errno. */
	for (int r = 1; r < c.nrows; r++) {
		if (strcmp(c.cell[r][3], "failure"))
			continue;
		cr_assert_str_eq(c.cell[r][8], "munmap");
		cr_assert_str_eq(c.cell[r][9], "ENOMEM");
	}
	/* The OOM kill's victim, and its description. */
	for (int r = 1; r < c.nrows; r++) {
		if (strcmp(c.cell[r][3], "oom_kill"))
			continue;
		cr_assert_str_eq(c.cell[r][1], "777");
		cr_assert_str_eq(c.cell[r][2], "java");
		cr_assert(strstr(c.cell[r][10], "OOM kill (cgroup, memcg /analytics)"));
	}
	csv_free(&c);
	free(t);
	/* --csv points is the CSV of before. */
	t = run_ok(f.dir, "--format", "csv", "--csv", "points", NULL);
	cr_assert_eq(lines(t), 1 + TOTAL_POINTS);
	free(t);
	fx_rm(&f);
}

Test(report_select, csv_of_incidents_escapes_untrusted_names)
{
	struct csv c;
	struct fx f;
	char *t;
	int rc;

	fx_open(&f);
	fx_point(&f, 55, weird_comm, (T0 + 1) * NS, 10, 10, 10, 1 << 20, 0, 0, 1, 1);
	fx_json(&f, JREC_ALERT, 55, weird_comm, (T0 + 2) * NS,
		"{\"kind\":\"alloc_failure\",\"syscall\":\"mm\\\"ap\",\"errno\":\"EINVAL\","
		"\"vmas\":10}");
	fx_close(&f);
	t = run_ok(f.dir, "--format", "csv", "--csv", "incidents", NULL);
	csv_parse(&c, t);
	cr_assert_eq(c.nrows, 2, "%s", t);
	cr_assert_str_eq(c.cell[1][2], weird_comm);
	cr_assert_str_eq(c.cell[1][8], "mm\"ap");
	cr_assert_str_eq(c.cell[1][10], "alloc failure: mm\"ap failed with EINVAL at 10 VMAs");
	csv_free(&c);
	free(t);
	t = run(&rc, f.dir, "--csv", "everything", NULL);
	cr_assert_eq(rc, EXIT_USAGE);
	t = run(&rc, f.dir, "--format", "html", "--csv", "incidents", NULL);
	cr_assert_eq(rc, EXIT_USAGE);
	fx_rm(&f);
}

/* ---- thresholds and census in the plots ---- */

/* One process at 90 % of the limit, its exit with a census; a config record if cfg. */
static void fx_thresholds(struct fx *f, const char *cfg, uint64_t cfg_ts)
{
	fx_open(f);
	if (cfg)
		fx_json(f, JREC_CONFIG, 0, "", cfg_ts, "%s", cfg);
	for (int i = 0; i < 10; i++)
		fx_point(f, 10, "mysqld", (T0 + 100 + i * 10) * NS, 50000 + i * 1000, 50000,
			 50000 + i * 1000, 1 << 30, 0, 0, 100, 0);
	fx_json(f, JREC_PROC_EXIT, 10, "mysqld", (T0 + 200) * NS,
		"{\"exit_code\":0,\"signal\":null,\"vmas\":59000,\"census\":{\"anonymous\":58000,"
		"\"heap\":1,\"stack\":1,\"thread_stack\":8,\"file\":900,\"reserved\":0,"
		"\"guard\":90,\"special\":0}}");
	fx_close(f);
}

/* The threshold labels of the plot: the labels right of the chart, in #6b7280. */
static int thr_label(const char *t, const char *label)
{
	char needle[96];

	snprintf(needle, sizeof(needle), "fill=\"#6b7280\">%s</text>", label);
	return count(t, needle);
}

Test(report_select, plots_draw_the_configured_thresholds)
{
	struct fx f;
	char why[160], *t;

	fx_thresholds(&f,
		      "{\"alert_thresholds\":[70,85.5],\"alert_vma_counts\":[60000],"
		      "\"alert_hysteresis\":2}",
		      T0 * NS);
	t = run_ok(f.dir, "--format", "html", NULL);
	cr_assert(xml_ok(t, why, sizeof(why)), "%s", why);
	cr_assert_eq(thr_label(t, "70%"), 1, "%s", t);
	cr_assert_eq(thr_label(t, "85.5%"), 1, "%s", t);
	cr_assert_eq(thr_label(t, "60,000"), 1, "%s", t);
	cr_assert_eq(thr_label(t, "80%") + thr_label(t, "90%") + thr_label(t, "95%"), 0, "%s", t);
	cr_assert_eq(count(t, "<path class=\"threshold\""), 3);
	cr_assert(strstr(t, "alerts at 70 / 85.5 % and 60,000 VMAs"), "%s", t);
	cr_assert(strstr(t, "70%, 85.5% of vm.max_map_count; 60,000 VMAs (the daemon&#39;s "
			    "configuration)") ||
			  strstr(t, "70%, 85.5% of vm.max_map_count; 60,000 VMAs (the daemon's "
				    "configuration)"),
		  "%s", t);
	free(t);
	t = run_ok(f.dir, "--format", "json", NULL);
	cr_assert(strstr(t, "\"alert_thresholds\":{\"percents\":[70,85.5],\"counts\":[60000],"
			    "\"source\":\"journal\"}"),
		  "%s", t);
	free(t);
	/* The setting in force at the end of the range, even if it was journaled before it. */
	t = run_ok(f.dir, "--format", "svg", "--since", "1795312400", NULL);
	cr_assert_eq(thr_label(t, "70%"), 1, "%s", t);
	free(t);
	fx_rm(&f);

	/* None configured: no threshold lines. */
	fx_thresholds(&f, "{\"alert_thresholds\":[],\"alert_vma_counts\":[]}", T0 * NS);
	t = run_ok(f.dir, "--format", "svg", NULL);
	cr_assert_eq(count(t, "<path class=\"threshold\""), 0, "%s", t);
	cr_assert_null(strstr(t, "alerts at"));
	free(t);
	fx_rm(&f);

	/* A journal of a daemon that wrote no configuration: the defaults, said so. */
	fx_thresholds(&f, NULL, 0);
	t = run_ok(f.dir, "--format", "svg", NULL);
	cr_assert_eq(thr_label(t, "80%") + thr_label(t, "90%") + thr_label(t, "95%"), 3, "%s", t);
	cr_assert(strstr(t, "alerts at 80 / 90 / 95 % (defaults)"), "%s", t);
	free(t);
	fx_rm(&f);

	/* Far below the limit, a count on the scale is drawn, the percentages are not. */
	fx_open(&f);
	fx_json(&f, JREC_CONFIG, 0, "", T0 * NS,
		"{\"alert_thresholds\":[80],\"alert_vma_counts\":[500,60000]}");
	for (int i = 0; i < 10; i++)
		fx_point(&f, 10, "small", (T0 + 100 + i * 10) * NS, 300 + 40 * i, 300, 300 + 40 * i,
			 1 << 20, 0, 0, 100, 0);
	fx_close(&f);
	t = run_ok(f.dir, "--format", "svg", NULL);
	cr_assert_eq(count(t, "<path class=\"threshold\""), 1, "%s", t);
	cr_assert_eq(thr_label(t, "500"), 1, "%s", t);
	cr_assert_eq(thr_label(t, "60,000") + thr_label(t, "80%"), 0, "%s", t);
	cr_assert(strstr(t, "alerts at 80 % and 500 / 60,000 VMAs"), "%s", t);
	free(t);
	fx_rm(&f);

	/* A later configuration (after a reload) replaces the first; one after --until does not. */
	fx_open(&f);
	fx_json(&f, JREC_CONFIG, 0, "", T0 * NS, "{\"alert_thresholds\":[50]}");
	fx_json(&f, JREC_CONFIG, 0, "", (T0 + 150) * NS, "{\"alert_thresholds\":[60]}");
	fx_json(&f, JREC_CONFIG, 0, "", (T0 + 300) * NS, "{\"alert_thresholds\":[75]}");
	for (int i = 0; i < 10; i++)
		fx_point(&f, 10, "mysqld", (T0 + 100 + i * 10) * NS, 50000, 50000, 50000, 1 << 30,
			 0, 0, 100, 0);
	fx_close(&f);
	t = run_ok(f.dir, "--format", "svg", NULL);
	cr_assert_eq(thr_label(t, "75%"), 1, "%s", t);
	cr_assert_eq(thr_label(t, "60%") + thr_label(t, "50%"), 0, "%s", t);
	free(t);
	t = run_ok(f.dir, "--format", "svg", "--until", "1795312545", NULL);
	cr_assert_eq(thr_label(t, "60%"), 1, "%s", t);
	cr_assert_eq(thr_label(t, "75%") + thr_label(t, "50%"), 0, "%s", t);
	free(t);
	fx_rm(&f);
}

Test(report_select, html_draws_the_census)
{
	struct fx f;
	char why[160], *t, *sec;

	fx_thresholds(&f, NULL, 0);
	t = run_ok(f.dir, "--format", "html", NULL);
	cr_assert(xml_ok(t, why, sizeof(why)), "%s", why);
	sec = strstr(t, "<h2>VMA kinds</h2>");
	cr_assert_not_null(sec, "%s", t);
	cr_assert(strstr(sec, "59,000 VMAs by kind at "), "%s", sec);
	cr_assert(strstr(sec, "(its exit)"), "%s", sec);
	cr_assert_eq(count(sec, "<svg class=\"census-bar\""), 1);
	/* A bar per kind that has VMAs, its share in the table. */
	cr_assert_eq(count(sec, "<rect x="), 6, "%s", sec);
	cr_assert(strstr(sec, "<title>anonymous: 58000</title>"), "%s", sec);
	cr_assert(strstr(sec, "<td>anonymous</td><td class=\"n\">58,000</td><td class=\"n\">98.3%"),
		  "%s", sec);
	cr_assert(strstr(sec, "<td>file</td><td class=\"n\">900</td>"), "%s", sec);
	cr_assert_null(strstr(sec, "<td>reserved</td>"), "a kind with no VMA has no row");
	free(t);
	fx_rm(&f);

	/* An incident's census when the process has not exited. */
	fx_basic(&f, false);
	t = run_ok(f.dir, "--format", "html", NULL);
	sec = strstr(t, "<h2>VMA kinds</h2>");
	cr_assert_not_null(sec);
	cr_assert(strstr(sec, "52,000 VMAs by kind at "), "%s", sec);
	cr_assert(strstr(sec, "(its latest incident: vma_threshold)"), "%s", sec);
	free(t);
	fx_rm(&f);
}
