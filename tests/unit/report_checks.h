/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the report's tests share (test_report*.c): journals written with the
 * real writer (report_fixture.h), running `vmatrace report` on them, and the
 * checks of its outputs (a small well-formedness checker for the SVG/HTML).
 */
#ifndef TESTS_REPORT_CHECKS_H
#define TESTS_REPORT_CHECKS_H

#include <criterion/criterion.h>
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
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

static inline uint64_t mysqld_t(int i)
{
	return (T0 + 10 + 10 * i) * NS;
}
static inline uint64_t java_t(int i)
{
	return (T0 + 5 + 15 * i) * NS;
}
static inline uint64_t bash_t(int i)
{
	return (T0 + 50 + 100 * i) * NS;
}
static __attribute__((unused)) const char weird_comm[] = "we\"ird,name";

static inline void alert(struct fx *f, uint16_t type, uint64_t ts, int thr)
{
	fx_json(f, type, MYSQLD, "mysqld", ts,
		"{\"kind\":\"vma_threshold\",\"ts\":%llu.0,\"pid\":%d,\"comm\":\"mysqld\","
		"\"vmas\":%u,\"limit\":65530,\"percent\":%d.0,\"threshold\":%d,"
		"\"growth_per_s\":65.5,\"seconds_to_limit\":100.0%s}",
		(unsigned long long)(ts / NS), MYSQLD, 65530u * thr / 100, thr, thr,
		type == JREC_INCIDENT ?
			",\"census\":{\"anonymous\":52000},\"flight\":[{\"sys\":1}]" :
			"");
}

/*
 * A daemon start; a block holding "lostproc" only (damaged afterwards when asked);
 * mysqld climbing to the limit with alerts (the 95 % one also as an incident) and three
 * failed munmaps, then exiting; java OOM-killed (an OOM record and its alert); bash;
 * pid 1234 reused by cron, then by a new mysqld; a comm with a quote and a comma.
 */
static inline void fx_basic(struct fx *f, bool damage)
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
		fx_json(f, JREC_ALERT, MYSQLD, "mysqld", (T0 + 400 + i) * NS,
			"{\"kind\":\"alloc_failure\",\"ts\":%llu.0,\"pid\":%d,\"comm\":\"mysqld\","
			"\"syscall\":\"munmap\",\"errno\":\"ENOMEM\",\"vmas\":65530,\"limit\":65530,"
			"\"args\":{\"addr\":\"0x7f0000001000\",\"len\":4096}}",
			T0 + 400 + i, MYSQLD);
	fx_json(f, JREC_PROC_EXIT, MYSQLD, "mysqld", (T0 + 405) * NS,
		"{\"exit_code\":134,\"signal\":6,\"vmas\":65530}");

	for (int i = 0; i < JAVA_POINTS; i++)
		fx_point(f, JAVA, "java", java_t(i), 700 + i, 700, 720,
			 (1ULL << 30) + i * (64 << 20), 24 << 20, 24 << 20, 500, 0);
	fx_json(f, JREC_OOM, JAVA, "java", (T0 + 320) * NS,
		"{\"kind\":\"oom_kill\",\"ts\":%llu.0,\"pid\":%d,\"comm\":\"java\",\"victim_pid\":%d,"
		"\"victim_comm\":\"java\",\"uid\":1001,\"total_vm_kb\":4250000,\"anon_rss_kb\":4100000,"
		"\"file_rss_kb\":20000,\"shmem_rss_kb\":0,\"pgtables_kb\":8600,\"oom_score_adj\":0,"
		"\"memcg\":\"/analytics\",\"oom_type\":\"cgroup\",\"trigger_pid\":780,"
		"\"trigger_comm\":\"java\",\"timeline\":[{\"t\":1}]}",
		T0 + 320, JAVA, JAVA);
	fx_json(f, JREC_ALERT, JAVA, "java", (T0 + 320) * NS,
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

static inline char *slurp(const char *path)
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

/* cli_report with args and -o to a file; its content, or NULL if none. */
static inline char *run_args(int *rc, const char *dir, va_list ap)
{
	char out[128], *argv[32];
	int argc = 0;
	const char *a;
	char *text;

	snprintf(out, sizeof(out), "%s.out", dir);
	unlink(out);
	argv[argc++] = "report";
	argv[argc++] = "--journal-dir";
	argv[argc++] = (char *)dir;
	while ((a = va_arg(ap, const char *)) && argc < 28)
		argv[argc++] = (char *)a;
	argv[argc++] = "-o";
	argv[argc++] = out;
	argv[argc] = NULL;
	*rc = cli_report(argc, argv);
	text = slurp(out);
	unlink(out);
	return text;
}

/* cli_report with args (NULL-terminated); its output, or NULL if none. */
static inline char *run(int *rc, const char *dir, ...)
{
	va_list ap;
	char *text;

	va_start(ap, dir);
	text = run_args(rc, dir, ap);
	va_end(ap);
	return text;
}

/* The same, which must succeed and write its output. */
static inline char *run_ok(const char *dir, ...)
{
	va_list ap;
	char *text;
	int rc;

	va_start(ap, dir);
	text = run_args(&rc, dir, ap);
	va_end(ap);
	cr_assert_eq(rc, 0, "vmatrace report exited %d", rc);
	cr_assert_not_null(text, "no output file");
	return text;
}

static inline int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static inline int lines(const char *s)
{
	return count(s, "\n");
}

/* ---- a well-formedness check for our SVG and HTML ---- */

static inline bool xml_name(const char **pp, char *out, size_t len)
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
static inline bool xml_text_ok(const char *p, const char *end)
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
static inline bool xml_ok(const char *s, char *why, size_t whylen)
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
			const char *end = !strncmp(p, "!--", 3) ? strstr(p, "-->") :
					  *p == '?'		? strstr(p, "?>") :
								  strchr(p, '>');

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

#endif
