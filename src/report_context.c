// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * "What grew" under an incident: the compact context the daemon put in the
 * alert ("grew": VMAs, mapped bytes and heap at a few points before it, a
 * series for a plot, the biggest kinds, the last events), as a small table
 * and a plot, in text (sparklines) or HTML (inline SVG). Payload strings go
 * through the untrusted-text policy of the output.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jsonr.h"
#include "report_util.h"
#include "untrusted.h"

#define NS_PER_S REPORT_NS_PER_S

static double num_or(const json_t *o, const char *key, double dflt)
{
	double d;

	return jr_num(o, key, &d) ? d : dflt;
}

static void size_str(struct strbuf *sb, double v)
{
	sb_size(sb, v > 0 ? (unsigned long long)v : 0);
}

/* "-5m00s", "-50s", "-0.300s", "0" */
static void ago_str(struct strbuf *sb, double s)
{
	if (s <= 0)
		sb_puts(sb, "0");
	else if (s >= 120)
		sb_printf(sb, "-%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else if (s >= 10)
		sb_printf(sb, "-%.0fs", s);
	else
		sb_printf(sb, "-%.3fs", s);
}

static void span_str(struct strbuf *sb, double s)
{
	if (s < 10)
		sb_printf(sb, "%.1f s", s);
	else if (s < 120)
		sb_printf(sb, "%.0f s", s);
	else
		sb_printf(sb, "%.0f min", s / 60);
}

static void heading(struct strbuf *sb, const json_t *g, enum ut_output out)
{
	const char *src = jr_str(g, "source");

	sb_puts(sb, "what grew over the last ");
	span_str(sb, num_or(g, "span_s", 0));
	if (src) {
		sb_puts(sb, " (from the ");
		ut_append(sb, src, strlen(src), out);
		sb_putc(sb, ')');
	}
}

/* The value of one member for the table: vmas as a count, the others as sizes. */
static void cell(struct strbuf *sb, const json_t *pt, int col, int width)
{
	struct strbuf t;

	sb_init(&t);
	if (col == 0)
		sb_printf(&t, "%.0f", num_or(pt, "vmas", 0));
	else
		size_str(&t, num_or(pt, col == 1 ? "mapped" : "heap", 0));
	if (width)
		sb_printf(sb, "%*s", width, t.buf ? t.buf : "");
	else
		sb_puts(sb, t.buf ? t.buf : "");
	sb_free(&t);
}

static const char *const series_keys[] = { "vmas", "mapped", "heap" };
static const char *const series_labels[] = { "VMAs", "mapped", "heap" };

static void series_range(const json_t *arr, double *lo, double *hi)
{
	size_t i;
	json_t *v;

	*lo = INFINITY;
	*hi = -INFINITY;
	json_array_foreach(arr, i, v)
	{
		double d = json_number_value(v);

		*lo = d < *lo ? d : *lo;
		*hi = d > *hi ? d : *hi;
	}
	if (*lo > *hi)
		*lo = *hi = 0;
}

static void range_text(struct strbuf *sb, int k, const json_t *arr)
{
	size_t n = json_array_size(arr);
	double first = n ? json_number_value(json_array_get(arr, 0)) : 0;
	double last = n ? json_number_value(json_array_get(arr, n - 1)) : 0;

	if (k == 0) {
		sb_printf(sb, "%.0f -> %.0f", first, last);
	} else {
		size_str(sb, first);
		sb_puts(sb, " -> ");
		size_str(sb, last);
	}
}

/* One event of "events", as a trace line reads: "12:00:01.123456 mmap(...) = ... vmas=N". */
static void event_text(struct strbuf *sb, const json_t *e, enum ut_output out)
{
	const char *name = jr_str(e, "event"), *err = jr_str(e, "errno");
	json_t *args = json_object_get(e, "args"), *a;
	double ts = num_or(e, "ts", 0), ret = num_or(e, "ret", 0);
	size_t i;

	if (ts > 0) {
		/* Whole seconds first: a double holds the microseconds, not the nanoseconds. */
		uint64_t sec = (uint64_t)ts;
		long long usec = llround((ts - (double)sec) * 1e6);

		if (usec >= 1000000) {
			sec++;
			usec -= 1000000;
		}
		report_time(sb, sec * NS_PER_S, "%H:%M:%S");
		sb_printf(sb, ".%06lld ", usec);
	}
	ut_append(sb, name ? name : "?", 32, out);
	sb_putc(sb, '(');
	json_array_foreach(args, i, a)
	{
		if (i)
			sb_puts(sb, ", ");
		if (json_is_string(a))
			ut_append(sb, json_string_value(a), 32, out);
		else
			sb_printf(sb, "%.0f", json_number_value(a));
	}
	sb_puts(sb, ") = ");
	if (err) {
		sb_puts(sb, "-1 ");
		ut_append(sb, err, 32, out);
	} else if (ret > 65535) {
		sb_printf(sb, "0x%llx", (unsigned long long)ret);
	} else {
		sb_printf(sb, "%.0f", ret);
	}
	sb_printf(sb, "  vmas=%.0f", num_or(e, "vmas", 0));
}

static void kinds_text(struct strbuf *sb, const json_t *kinds, enum ut_output out)
{
	size_t i;
	json_t *k;

	json_array_foreach(kinds, i, k)
	{
		const char *name = jr_str(k, "kind");

		if (i)
			sb_puts(sb, ", ");
		ut_append(sb, name ? name : "?", 32, out);
		sb_printf(sb, " %.0f VMAs ", num_or(k, "vmas", 0));
		size_str(sb, num_or(k, "bytes", 0));
	}
}

/* ---- text ---- */

static void sparkline(struct strbuf *sb, const json_t *arr)
{
	static const char *const bars[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	double lo, hi;
	size_t i;
	json_t *v;

	series_range(arr, &lo, &hi);
	json_array_foreach(arr, i, v)
	{
		double d = json_number_value(v);
		int lvl = hi > lo ? (int)lround((d - lo) * 7 / (hi - lo)) : 0;

		sb_puts(sb, bars[lvl < 0 ? 0 : lvl > 7 ? 7 : lvl]);
	}
}

static void grew_text(struct strbuf *sb, const json_t *g, const char *prefix)
{
	const json_t *pts = json_object_get(g, "points"), *series = json_object_get(g, "series");
	const json_t *kinds = json_object_get(g, "kinds"), *events = json_object_get(g, "events");
	size_t i;
	json_t *pt;

	sb_puts(sb, prefix);
	heading(sb, g, UT_TEXT);
	sb_puts(sb, ":\n");
	sb_printf(sb, "%s  %9s %9s %11s %11s\n", prefix, "AGO", "VMAS", "MAPPED", "HEAP");
	json_array_foreach(pts, i, pt)
	{
		struct strbuf t;

		sb_init(&t);
		ago_str(&t, num_or(pt, "ago_s", 0));
		sb_printf(sb, "%s  %9s ", prefix, t.buf ? t.buf : "");
		sb_free(&t);
		cell(sb, pt, 0, 9);
		sb_putc(sb, ' ');
		cell(sb, pt, 1, 11);
		sb_putc(sb, ' ');
		cell(sb, pt, 2, 11);
		sb_putc(sb, '\n');
	}
	for (int k = 0; k < 3 && json_is_object(series); k++) {
		const json_t *arr = json_object_get(series, series_keys[k]);

		if (!json_array_size(arr))
			continue;
		sb_printf(sb, "%s  %-7s ", prefix, series_labels[k]);
		sparkline(sb, arr);
		sb_puts(sb, "  ");
		range_text(sb, k, arr);
		sb_putc(sb, '\n');
	}
	if (json_array_size(kinds)) {
		sb_printf(sb, "%s  kinds:  ", prefix);
		kinds_text(sb, kinds, UT_TEXT);
		sb_putc(sb, '\n');
	}
	json_array_foreach(events, i, pt)
	{
		sb_printf(sb, "%s  %s ", prefix, i ? "      " : "last: ");
		event_text(sb, pt, UT_TEXT);
		sb_putc(sb, '\n');
	}
}

/* ---- HTML ---- */

#define PLOT_W 420
#define PLOT_AXIS 14 /* the time axis' labels under the rows */
#define PLOT_ROW 34
#define PLOT_X0 60
#define PLOT_X1 250

static void plot_svg(struct strbuf *sb, const json_t *series, double span_s)
{
	int rows = 0;

	for (int k = 0; k < 3; k++)
		rows += json_array_size(json_object_get(series, series_keys[k])) > 0;
	if (!rows)
		return;
	sb_printf(sb,
		  "<svg class=\"grew-plot\" width=\"%d\" "
		  "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
		  PLOT_W, rows * PLOT_ROW + PLOT_AXIS, PLOT_W, rows * PLOT_ROW + PLOT_AXIS);
	rows = 0;
	for (int k = 0; k < 3; k++) {
		const json_t *arr = json_object_get(series, series_keys[k]);
		size_t n = json_array_size(arr), i;
		int top = rows * PLOT_ROW;
		double lo, hi;
		json_t *v;

		if (!n)
			continue;
		rows++;
		series_range(arr, &lo, &hi);
		sb_printf(sb,
			  "<text x=\"0\" y=\"%d\" font-size=\"11\" fill=\"#374151\">%s</text>"
			  "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#e5e7eb\"/>"
			  "<polyline class=\"grew-%s\" fill=\"none\" stroke=\"%s\" "
			  "stroke-width=\"1.5\" points=\"",
			  top + 20, series_labels[k], PLOT_X0, top + PLOT_ROW - 4, PLOT_X1,
			  top + PLOT_ROW - 4, series_keys[k],
			  k == 0 ? "#2563eb" :
			  k == 1 ? "#059669" :
				   "#d97706");
		json_array_foreach(arr, i, v)
		{
			double d = json_number_value(v);
			double x =
				PLOT_X0 + (n > 1 ? (double)(PLOT_X1 - PLOT_X0) * i / (n - 1) : 0);
			double y = top + PLOT_ROW - 4 -
				   (hi > lo ? (d - lo) * (PLOT_ROW - 10) / (hi - lo) : 0);

			sb_printf(sb, "%s%.1f,%.1f", i ? " " : "", x, y);
		}
		sb_printf(sb, "\"/><text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#374151\">",
			  PLOT_X1 + 8, top + 20);
		range_text(sb, k, arr);
		sb_puts(sb, "</text>");
	}
	/* Time runs left to right, to the incident at 0. */
	sb_printf(sb, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#6b7280\">", PLOT_X0,
		  rows * PLOT_ROW + PLOT_AXIS - 3);
	ago_str(sb, span_s);
	sb_printf(sb,
		  "</text><text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#6b7280\" "
		  "text-anchor=\"end\">0</text></svg>",
		  PLOT_X1, rows * PLOT_ROW + PLOT_AXIS - 3);
}

static void grew_html(struct strbuf *sb, const json_t *g)
{
	const json_t *pts = json_object_get(g, "points"), *kinds = json_object_get(g, "kinds");
	const json_t *events = json_object_get(g, "events");
	size_t i;
	json_t *pt;

	sb_puts(sb, "<div class=\"grew\"><div class=\"grew-h\">");
	heading(sb, g, UT_HTML);
	sb_puts(sb, "</div><table class=\"grew\"><tr><th>ago</th><th>VMAs</th><th>mapped</th>"
		    "<th>heap</th></tr>");
	json_array_foreach(pts, i, pt)
	{
		sb_puts(sb, "<tr><td class=\"n\">");
		ago_str(sb, num_or(pt, "ago_s", 0));
		for (int c = 0; c < 3; c++) {
			sb_puts(sb, "</td><td class=\"n\">");
			cell(sb, pt, c, 0);
		}
		sb_puts(sb, "</td></tr>");
	}
	sb_puts(sb, "</table>");
	plot_svg(sb, json_object_get(g, "series"), num_or(g, "span_s", 0));
	if (json_array_size(kinds)) {
		sb_puts(sb, "<div>kinds: ");
		kinds_text(sb, kinds, UT_HTML);
		sb_puts(sb, "</div>");
	}
	if (json_array_size(events)) {
		sb_puts(sb, "<pre class=\"grew-events\">");
		json_array_foreach(events, i, pt)
		{
			event_text(sb, pt, UT_HTML);
			sb_putc(sb, '\n');
		}
		sb_puts(sb, "</pre>");
	}
	sb_puts(sb, "</div>");
}

void report_event_grew(struct strbuf *sb, const struct report_event *ev, enum ut_output out,
		       const char *prefix)
{
	const json_t *g = json_object_get(ev->data, "grew");

	if (!json_is_object(g) || !json_array_size(json_object_get(g, "points")))
		return;
	if (out == UT_HTML)
		grew_html(sb, g);
	else
		grew_text(sb, g, prefix);
}

/* ---- failed calls, counted ---- */

/* Does an exit record count failures? */
static const json_t *exit_failures(const struct report_event *ev)
{
	const json_t *f = ev->type == JREC_PROC_EXIT ? json_object_get(ev->data, "failures") : NULL;

	return json_array_size(f) ? f : NULL;
}

void report_failed_calls(struct strbuf *sb, const struct report *r, enum ut_output out)
{
	size_t n = 0, i, k;
	json_t *f;

	for (i = 0; i < r->nevents; i++)
		n += exit_failures(&r->events[i]) != NULL;
	if (!n)
		return;
	if (out == UT_HTML)
		sb_printf(sb,
			  "<h2>Failed calls (%zu process%s)</h2>\n<table class=\"failed\">\n"
			  "<tr><th>pid</th><th>comm</th><th>call</th><th>errno</th><th>count</th>"
			  "</tr>\n",
			  n, n == 1 ? "" : "es");
	else
		sb_printf(sb,
			  "\nFailed calls, every one counted (%zu process%s, at their exit)\n"
			  "%7s  %-16s %-16s %-12s %10s\n",
			  n, n == 1 ? "" : "es", "PID", "COMM", "SYSCALL", "ERRNO", "COUNT");
	for (i = 0; i < r->nevents; i++) {
		const struct report_event *ev = &r->events[i];
		const json_t *list = exit_failures(ev);

		json_array_foreach(list, k, f)
		{
			const char *sys = jr_str(f, "syscall"), *err = jr_str(f, "errno");
			struct strbuf e;
			size_t start;

			sb_init(&e);
			if (err)
				ut_append(&e, err, 32, out);
			else
				sb_printf(&e, "%.0f", num_or(f, "errno", 0));
			if (out == UT_HTML) {
				sb_printf(sb, "<tr><td class=\"n\">%u</td><td>", ev->pid);
				ut_append(sb, ev->comm, sizeof(ev->comm), out);
				sb_puts(sb, "</td><td>");
				ut_append(sb, sys ? sys : "?", 32, out);
				sb_printf(sb, "</td><td>%s</td><td class=\"n\">%.0f</td></tr>\n",
					  e.buf ? e.buf : "", num_or(f, "count", 0));
			} else {
				sb_printf(sb, "%7u  ", ev->pid);
				start = sb->len;
				ut_append(sb, ev->comm, sizeof(ev->comm), out);
				while (sb->len - start < 17 && !sb->oom)
					sb_putc(sb, ' ');
				start = sb->len;
				ut_append(sb, sys ? sys : "?", 32, out);
				while (sb->len - start < 17 && !sb->oom)
					sb_putc(sb, ' ');
				sb_printf(sb, "%-12s %10.0f\n", e.buf ? e.buf : "",
					  num_or(f, "count", 0));
			}
			sb_free(&e);
		}
	}
	if (out == UT_HTML)
		sb_puts(sb, "</table>\n");
}
