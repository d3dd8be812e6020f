// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `vmatrace report` over journals written with the real writer, in every format. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <jansson.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "json_assert.h"
#include "report.h"
#include "report_fixture.h"

#define T0 1795312345ULL
#define NS FX_NS

/* ---- the journal most tests read ---- */

#define MYSQLD 1234
#define JAVA 777
#define BASH 4321
#define WEIRD 55
#define MYSQLD_POINTS 40
#define JAVA_POINTS 20
#define BASH_POINTS 3
#define TOTAL_POINTS (MYSQLD_POINTS + JAVA_POINTS + BASH_POINTS + 2 + 2 + 2)

static uint64_t mysqld_t(int i)
{
	return (T0 + 10 + 10 * i) * NS;
}
static uint64_t java_t(int i)
{
	return (T0 + 5 + 15 * i) * NS;
}
static uint64_t bash_t(int i)
{
	return (T0 + 50 + 100 * i) * NS;
}
static const char weird_comm[] = "we\"ird,name";

static void alert(struct fx *f, uint16_t type, uint64_t ts, int thr)
{
	fx_json(f, type, MYSQLD, "mysqld", ts,
		"{\"kind\":\"vma_threshold\",\"ts\":%llu.0,\"pid\":%d,\"comm\":\"mysqld\","
		"\"vmas\":%u,\"limit\":65530,\"percent\":%d.0,\"threshold\":%d,"
		"\"growth_per_s\":65.5,\"seconds_to_limit\":100.0%s}",
		(unsigned long long)(ts / NS), MYSQLD, 65530u * thr / 100, thr, thr,
		type == JREC_INCIDENT ? ",\"census\":{\"anonymous\":52000},\"flight\":[{\"sys\":1}]"
				      : "");
}

/*
 * A daemon start; a block holding "lostproc" only (damaged afterwards when asked);
 * mysqld climbing to the limit with alerts (the 95 % one also as an incident) and three
 * failed munmaps, then exiting; java OOM-killed (an OOM record and its alert); bash;
 * pid 1234 reused by cron, then by a new mysqld; a comm with a quote and a comma.
 */
static void fx_basic(struct fx *f, bool damage)
{
	long s1, s2;

	fx_open(f);
	fx_json(f, JREC_DAEMON_START, 0, "", T0 * NS,
		"{\"version\":\"0.1.0\",\"max_map_count\":65530,\"hostname\":\"db1\"}");
	fx_flush(f);
	s1 = fx_size(f);
	for (int i = 0; i < 5; i++)
		fx_point(f, 999, "lostproc", (T0 + 1 + i) * NS, 100, 100, 100, 1 << 20, 0, 0, 1, 0);
	fx_flush(f);
	s2 = fx_size(f);

	for (int i = 0; i < MYSQLD_POINTS; i++) {
		uint32_t v = 40000 + 655 * i > 65530 ? 65530 : 40000 + 655 * i;

		fx_point(f, MYSQLD, "mysqld", mysqld_t(i), v, v - 10, v + 5 > 65530 ? 65530 : v + 5,
			 (4ULL << 30) + i * (1ULL << 20), (100 + i) << 20, (100 + i) << 20, 1000,
			 0);
	}
	alert(f, JREC_ALERT, (T0 + 200) * NS, 80);
	alert(f, JREC_ALERT, (T0 + 300) * NS, 90);
	alert(f, JREC_ALERT, (T0 + 350) * NS, 95);
	alert(f, JREC_INCIDENT, (T0 + 350) * NS, 95);
	for (int i = 0; i < 3; i++)
		fx_json(
		    f, JREC_ALERT, MYSQLD, "mysqld", (T0 + 400 + i) * NS,
		    "{\"kind\":\"alloc_failure\",\"ts\":%llu.0,\"pid\":%d,\"comm\":\"mysqld\","
		    "\"syscall\":\"munmap\",\"errno\":\"ENOMEM\",\"vmas\":65530,\"limit\":65530,"
		    "\"args\":{\"addr\":\"0x7f0000001000\",\"len\":4096}}",
		    T0 + 400 + i, MYSQLD);
	fx_json(f, JREC_PROC_EXIT, MYSQLD, "mysqld", (T0 + 405) * NS,
		"{\"exit_code\":134,\"signal\":6,\"vmas\":65530}");

	for (int i = 0; i < JAVA_POINTS; i++)
		fx_point(f, JAVA, "java", java_t(i), 700 + i, 700, 720,
			 (1ULL << 30) + i * (64 << 20), 24 << 20, 24 << 20, 500, 0);
	fx_json(
	    f, JREC_OOM, JAVA, "java", (T0 + 320) * NS,
	    "{\"kind\":\"oom_kill\",\"ts\":%llu.0,\"pid\":%d,\"comm\":\"java\",\"victim_pid\":%d,"
	    "\"victim_comm\":\"java\",\"uid\":1001,\"total_vm_kb\":4250000,\"anon_rss_kb\":4100000,"
	    "\"file_rss_kb\":20000,\"shmem_rss_kb\":0,\"pgtables_kb\":8600,\"oom_score_adj\":0,"
	    "\"memcg\":\"/analytics\",\"oom_type\":\"cgroup\",\"trigger_pid\":780,"
	    "\"trigger_comm\":\"java\",\"timeline\":[{\"t\":1}]}",
	    T0 + 320, JAVA, JAVA);
	fx_json(
	    f, JREC_ALERT, JAVA, "java", (T0 + 320) * NS,
	    "{\"kind\":\"oom_kill\",\"ts\":%llu.0,\"pid\":%d,\"comm\":\"java\",\"victim_pid\":%d}",
	    T0 + 320, JAVA, JAVA);
	fx_json(f, JREC_PROC_EXIT, JAVA, "java", (T0 + 321) * NS,
		"{\"exit_code\":137,\"signal\":9,\"vmas\":719}");

	for (int i = 0; i < BASH_POINTS; i++)
		fx_point(f, BASH, "bash", bash_t(i), 30, 30, 30, 8 << 20, 1 << 20, 1 << 20, 5, 0);
	fx_point(f, MYSQLD, "cron", (T0 + 500) * NS, 20, 20, 20, 4 << 20, 0, 0, 2, 0);
	fx_point(f, MYSQLD, "cron", (T0 + 510) * NS, 21, 20, 21, 4 << 20, 0, 0, 2, 0);
	fx_point(f, MYSQLD, "mysqld", (T0 + 600) * NS, 500, 500, 500, 1 << 30, 0, 0, 10, 0);
	fx_point(f, MYSQLD, "mysqld", (T0 + 610) * NS, 600, 500, 600, 1 << 30, 0, 0, 10, 0);
	fx_point(f, WEIRD, weird_comm, (T0 + 60) * NS, 10, 10, 10, 1 << 20, 0, 0, 1, 0);
	fx_point(f, WEIRD, weird_comm, (T0 + 70) * NS, 11, 10, 11, 1 << 20, 0, 0, 1, 1);
	fx_json(f, JREC_DAEMON_STOP, 0, "", (T0 + 700) * NS, "{\"reason\":\"SIGTERM\"}");
	fx_close(f);

	if (damage) {
		char path[256];
		FILE *fp;
		long mid = (s1 + s2) / 2;

		/* Flip bytes inside lostproc's block: its CRC no longer holds. */
		fx_segment(f, path, sizeof(path));
		fp = fopen(path, "r+b");
		cr_assert_not_null(fp);
		for (long off = mid - 2; off <= mid + 2; off++) {
			int c;

			fseek(fp, off, SEEK_SET);
			c = fgetc(fp);
			fseek(fp, off, SEEK_SET);
			fputc(c ^ 0x5a, fp);
		}
		fclose(fp);
	}
}

/* ---- running the command ---- */

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc(n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, n, fp), (size_t)n);
	buf[n] = 0;
	fclose(fp);
	return buf;
}

/* cli_report with args (NULL-terminated) and -o to a file; its content, or NULL if none. */
static char *run(int *rc, const char *dir, ...)
{
	char out[128], *argv[32];
	int argc = 0;
	const char *a;
	va_list ap;
	char *text;

	snprintf(out, sizeof(out), "%s.out", dir);
	unlink(out);
	argv[argc++] = "report";
	argv[argc++] = "--journal-dir";
	argv[argc++] = (char *)dir;
	va_start(ap, dir);
	while ((a = va_arg(ap, const char *)) && argc < 28)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc++] = "-o";
	argv[argc++] = out;
	argv[argc] = NULL;
	*rc = cli_report(argc, argv);
	text = slurp(out);
	unlink(out);
	return text;
}

static char *run_ok(const char *dir, ...)
{
	char out[128], *argv[32];
	int argc = 0, rc;
	const char *a;
	va_list ap;
	char *text;

	snprintf(out, sizeof(out), "%s.out", dir);
	argv[argc++] = "report";
	argv[argc++] = "--journal-dir";
	argv[argc++] = (char *)dir;
	va_start(ap, dir);
	while ((a = va_arg(ap, const char *)) && argc < 28)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc++] = "-o";
	argv[argc++] = out;
	argv[argc] = NULL;
	rc = cli_report(argc, argv);
	cr_assert_eq(rc, 0, "vmatrace report exited %d", rc);
	text = slurp(out);
	cr_assert_not_null(text, "no output file");
	unlink(out);
	return text;
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int lines(const char *s)
{
	return count(s, "\n");
}

/* ---- a well-formedness check for our SVG and HTML ---- */

static bool xml_name(const char **pp, char *out, size_t len)
{
	const char *p = *pp;
	size_t n = 0;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return false;
	while (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == ':' || *p == '.') {
		if (n + 1 < len)
			out[n++] = *p;
		p++;
	}
	out[n] = 0;
	*pp = p;
	return true;
}

/* Text between tags: '<' never, '&' only as an entity. */
static bool xml_text_ok(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p != '&')
			continue;
		p++;
		if (*p == '#') {
			p++;
			if (!isxdigit((unsigned char)*p) && *p != 'x')
				return false;
			while (isalnum((unsigned char)*p))
				p++;
		} else {
			if (!isalpha((unsigned char)*p))
				return false;
			while (isalpha((unsigned char)*p))
				p++;
		}
		if (*p != ';')
			return false;
	}
	return true;
}

/* Balanced elements, one root, quoted attributes, no raw '<' or stray '&' in text. */
static bool xml_ok(const char *s, char *why, size_t whylen)
{
	char stack[64][32];
	int depth = 0, roots = 0;
	const char *p = s;

	while (*p) {
		const char *lt = strchr(p, '<');
		char name[32];

		if (!lt)
			lt = p + strlen(p);
		if (!xml_text_ok(p, lt)) {
			snprintf(why, whylen, "bad text near %.40s", p);
			return false;
		}
		if (depth == 0 && lt > p && strspn(p, " \t\r\n") < (size_t)(lt - p)) {
			snprintf(why, whylen, "text outside the root: %.40s", p);
			return false;
		}
		if (!*lt)
			break;
		p = lt + 1;
		if (!strncmp(p, "?", 1) || !strncmp(p, "!--", 3) || *p == '!') {
			const char *end = !strncmp(p, "!--", 3) ? strstr(p, "-->")
					  : *p == '?'		? strstr(p, "?>")
								: strchr(p, '>');

			if (!end) {
				snprintf(why, whylen, "unterminated declaration");
				return false;
			}
			p = strchr(end, '>') + 1;
			continue;
		}
		if (*p == '/') {
			p++;
			if (!xml_name(&p, name, sizeof(name)) || *p != '>' || !depth ||
			    strcmp(stack[depth - 1], name)) {
				snprintf(why, whylen, "bad close tag </%s> (open: %s)", name,
					 depth ? stack[depth - 1] : "none");
				return false;
			}
			depth--;
			p++;
			continue;
		}
		if (!xml_name(&p, name, sizeof(name))) {
			snprintf(why, whylen, "bad tag near %.40s", p - 1);
			return false;
		}
		for (;;) {
			char attr[32];

			while (isspace((unsigned char)*p))
				p++;
			if (*p == '>' || (p[0] == '/' && p[1] == '>'))
				break;
			if (!xml_name(&p, attr, sizeof(attr)) || *p++ != '=' ||
			    (*p != '"' && *p != '\'')) {
				snprintf(why, whylen, "bad attribute in <%s> near %.30s", name, p);
				return false;
			}
			{
				char q = *p++;
				const char *close = strchr(p, q);

				if (!close || memchr(p, '<', close - p) || !xml_text_ok(p, close)) {
					snprintf(why, whylen, "bad value of %s in <%s>", attr,
						 name);
					return false;
				}
				p = close + 1;
			}
		}
		if (depth == 0)
			roots++;
		if (*p == '/') {
			p += 2;
			continue;
		}
		p++;
		if (depth == 64) {
			snprintf(why, whylen, "too deep");
			return false;
		}
		snprintf(stack[depth++], sizeof(stack[0]), "%s", name);
	}
	if (depth || roots != 1) {
		snprintf(why, whylen, "%d elements left open (%s), %d roots", depth,
			 depth ? stack[depth - 1] : "-", roots);
		return false;
	}
	return true;
}

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
	struct report_filter flt = {0};
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
	/* Raw payloads, repeats too: 3 alerts, the incident, 3 failures, the OOM and its alert. */
	cr_assert_eq(count(m, "{\"kind\":\""), 9, "%s", m);
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
			     "heap_hwm,calls,failures\r\n",
			     strlen("ts,pid,comm,vmas_min,vmas_max,vmas,max_map_count,mapped,heap,"
				    "heap_hwm,calls,failures\r\n")),
		     0, "%s", t);
	cr_assert_eq(lines(t), 1 + TOTAL_POINTS, "%s", t);
	cr_assert(strstr(t, ",55,\"we\"\"ird,name\",10,11,11,65530,1048576,0,0,1,1\r\n"), "%s", t);
	cr_assert(strstr(t, "1795312355.000000,1234,\"mysqld\",39990,40005,40000,65530,4294967296,"
			    "104857600,104857600,1000,0\r\n"),
		  "%s", t);
	free(t);
	fx_rm(&f);
}

/* ---- SVG and HTML ---- */

Test(report, svg_is_well_formed_with_the_limit_and_the_oom_kill)
{
	char why[160];
	struct fx f;
	char *t;

	fx_basic(&f, true);
	t = run_ok(f.dir, "--format", "svg", NULL);
	cr_assert(xml_ok(t, why, sizeof(why)), "%s", why);
	cr_assert_eq(strncmp(t, "<?xml", 5), 0);
	/* Self-contained: the namespace is the only URL. */
	cr_assert_eq(count(t, "http"), 1);
	cr_assert_null(strstr(t, "<script"));
	cr_assert_null(strstr(t, "@font-face"));
	/* mysqld's panel: the dashed limit, its label, the thresholds, alerts and failures. */
	cr_assert(strstr(t, "stroke-dasharray=\"7 4\""));
	cr_assert(strstr(t, ">limit 65,530</text>"), "%s", t);
	cr_assert(strstr(t, ">95%</text>"));
	cr_assert(
	    strstr(t, "fill=\"#ea580c\" text-anchor=\"middle\" font-weight=\"bold\">80%</text>"),
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
	char why[160];
	struct fx f;
	char *t;

	fx_basic(&f, false);
	t = run_ok(f.dir, "--format", "svg", "-p", "777", NULL);
	cr_assert(xml_ok(t, why, sizeof(why)), "%s", why);
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
	char why[160];
	struct fx f;
	char *t;

	fx_basic(&f, true);
	t = run_ok(f.dir, "--format", "html", NULL);
	cr_assert(xml_ok(t, why, sizeof(why)), "%s", why);
	cr_assert_eq(strncmp(t, "<!DOCTYPE html>", 15), 0);
	cr_assert_eq(count(t, "<svg "), 1);
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
	cr_assert_eq(lines(t), 1 + expect, "%s", t);
	free(t);
	/* the 80% alert is at T0+200, the 90% one after --until */
	t = run_ok(f.dir, "--since", since, "--until", until, NULL);
	cr_assert(strstr(t, "VMA alert 80%"), "%s", t);
	cr_assert_null(strstr(t, "VMA alert 90%"), "%s", t);
	free(t);
	/* ISO with Z, and local time (TZ two hours east of UTC) */
	setenv("TZ", "UTC-2", 1);
	tzset();
	t = run_ok(f.dir, "--format", "csv", "--since", "2026-11-22T01:59:10Z", NULL);
	cr_assert_eq(lines(t), 1 + 4, "%s", t); /* cron and the second mysqld */
	free(t);
	t = run_ok(f.dir, "--format", "csv", "--since", "2026-11-22 03:59:10", NULL);
	cr_assert_eq(lines(t), 1 + 4, "%s", t);
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
	struct journal_config cfg = {.fsync = JOURNAL_FSYNC_NEVER};
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
}

/* ---- the example in docs/ ---- */

/*
 * REPORT_EXAMPLE_SVG=docs/report-example.svg ./unit-tests --filter report/example
 * writes the picture (then: rsvg-convert -o docs/report-example.png docs/report-example.svg);
 * REPORT_EXAMPLE_KEEP=1 keeps the journal and prints where it is, for `vmatrace report`.
 */
Test(report, example)
{
	struct report_filter flt = {0};
	struct report_svg_opts so = {0};
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
