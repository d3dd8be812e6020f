// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The report's shared helpers (include/report_util.h) and its time specifications. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "report_util.h"

#define NS_PER_S REPORT_NS_PER_S

void report_thousands(struct strbuf *sb, unsigned long long v)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%llu", v);

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			sb_putc(sb, ',');
		sb_putc(sb, digits[i]);
	}
}

void report_time(struct strbuf *sb, uint64_t ns, const char *fmt)
{
	time_t t = ns / NS_PER_S;
	struct tm tm;
	char buf[64];

	if (!localtime_r(&t, &tm) || !strftime(buf, sizeof(buf), fmt, &tm))
		snprintf(buf, sizeof(buf), "@%lld", (long long)t);
	sb_puts(sb, buf);
}

void report_pct(struct strbuf *sb, double part, double whole)
{
	if (whole > 0)
		sb_printf(sb, "%.1f%%", 100.0 * part / whole);
	else
		sb_puts(sb, "-");
}

void report_duration(struct strbuf *sb, uint64_t ns)
{
	double s = (double)ns / REPORT_NS_PER_S;

	if (s < 10)
		sb_printf(sb, "%.1f s", s);
	else if (s < 600)
		sb_printf(sb, "%.0f s", s);
	else if (s < 3 * 3600)
		sb_printf(sb, "%.0f min", s / 60);
	else if (s < 2 * 86400)
		sb_printf(sb, "%.1f h", s / 3600);
	else
		sb_printf(sb, "%.1f d", s / 86400);
}

void report_damaged_text(struct strbuf *sb, unsigned long long n)
{
	sb_printf(sb,
		  "%llu damaged block%s skipped (bad checksum or undecodable): the records in %s "
		  "are missing from this report",
		  n, n == 1 ? " was" : "s were", n == 1 ? "it" : "them");
}

void report_version_text(struct strbuf *sb, const struct journal_reader_stats *rs)
{
	if (!rs->other_version)
		return;
	sb_printf(sb,
		  "%llu segment%s of journal format version %u skipped: this vmatrace reads "
		  "version %u only (read %s with the vmatrace that wrote %s)",
		  (unsigned long long)rs->other_version, rs->other_version == 1 ? "" : "s",
		  rs->version_seen, JOURNAL_FORMAT_VERSION, rs->other_version == 1 ? "it" : "them",
		  rs->other_version == 1 ? "it" : "them");
}

void report_journal_warnings(struct strbuf *sb, const struct journal_reader_stats *rs,
			     const char *before, const char *after)
{
	if (rs->damaged_blocks) {
		sb_puts(sb, before);
		report_damaged_text(sb, rs->damaged_blocks);
		sb_puts(sb, after);
	}
	if (rs->other_version) {
		sb_puts(sb, before);
		report_version_text(sb, rs);
		sb_puts(sb, after);
	}
}

/* ---- time specifications ---- */

/* Exactly n decimal digits. */
static bool take_digits(const char **pp, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*pp)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*pp += n;
	*out = v;
	return true;
}

/* "-2h": that long before now, in the durations' one grammar (cli_parse_seconds). */
/* Seconds since the epoch as nanoseconds, if they fit 64 bits (until the year 2554). */
static bool seconds_to_ns(double secs, uint64_t *ns)
{
	if (!(secs >= 0) || secs * NS_PER_S >= 18446744073709551615.0)
		return false;
	*ns = (uint64_t)(secs * NS_PER_S);
	return true;
}

static bool parse_relative(const char *s, time_t now, uint64_t *ns)
{
	double v;

	if (!cli_parse_seconds(s, &v))
		return false;
	return seconds_to_ns((double)now - v, ns);
}

bool report_parse_time(const char *s, time_t now, uint64_t *ns)
{
	struct tm tm = { 0 }, want;
	const char *p = s;
	bool utc = false;
	time_t t;
	int v;

	if (!s || !*s)
		return false;
	if (s[0] == '-')
		return parse_relative(s + 1, now, ns);
	if (!strcmp(s, "now")) {
		*ns = (uint64_t)now * NS_PER_S;
		return true;
	}
	if (strspn(s, "0123456789") == strlen(s) || (strchr(s, '.') && !strchr(s, '-'))) {
		char *end;
		double d;

		errno = 0;
		d = strtod(s, &end);
		if (errno || *end || !isfinite(d) || s[0] < '0' || s[0] > '9')
			return false;
		return seconds_to_ns(d, ns);
	}
	if (!take_digits(&p, 4, &v) || *p++ != '-')
		return false;
	tm.tm_year = v - 1900;
	if (!take_digits(&p, 2, &v) || *p++ != '-')
		return false;
	tm.tm_mon = v - 1;
	if (!take_digits(&p, 2, &tm.tm_mday))
		return false;
	if (*p == ' ' || *p == 'T') {
		p++;
		if (!take_digits(&p, 2, &tm.tm_hour) || *p++ != ':' ||
		    !take_digits(&p, 2, &tm.tm_min))
			return false;
		if (*p == ':') {
			p++;
			if (!take_digits(&p, 2, &tm.tm_sec))
				return false;
		}
	}
	if (*p == 'Z') {
		utc = true;
		p++;
	}
	if (*p || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_isdst = -1;
	want = tm;
	t = utc ? timegm(&tm) : mktime(&tm);
	/* mktime() would turn February 30 into March 2 without a word. */
	if (t == (time_t)-1 || tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon || t < 0 ||
	    (uint64_t)t > UINT64_MAX / NS_PER_S)
		return false;
	*ns = (uint64_t)t * NS_PER_S;
	return true;
}

void report_selection_text(struct strbuf *sb, const struct report *r)
{
	if (r->nshown == r->nprocs)
		return;
	sb_puts(sb, "showing ");
	report_thousands(sb, r->nshown);
	sb_puts(sb, " of ");
	report_thousands(sb, r->nprocs);
	sb_printf(sb,
		  " processes: every one with an incident and the top %u by peak share of "
		  "vm.max_map_count; --all for all, --top N for more",
		  r->top);
}
