// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The report as one self-contained HTML page: the summary, the SVG panels
 * inline, the incidents and the processes. Every text goes through the
 * untrusted-text policy for HTML: a process named café shows as café.
 */
#include <string.h>

#include "report_util.h"
#include "untrusted.h"

static const char html_style[] =
	"body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;color:#1f2937;margin:24px;"
	"max-width:1100px}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}\n"
	"table{border-collapse:collapse;font-size:13px}\n"
	"th,td{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:left;"
	"vertical-align:top}\n"
	"th{background:#f3f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	".summary td:first-child{color:#6b7280}\n"
	".warn{background:#fef2f2;border:1px solid #fca5a5;padding:8px 12px;margin:8px 0}\n"
	".note{background:#fffbeb;border:1px solid #fcd34d;padding:8px 12px;margin:8px 0}\n"
	".k-alert{color:#c2410c}.k-failure{color:#dc2626}.k-oom{color:#7f1d1d;font-weight:bold}\n"
	"svg{max-width:100%;height:auto}\n"
	"ul.sites{margin:4px 0 0 0;padding-left:16px;color:#374151;font-weight:normal}\n"
	"ul.sites pre{margin:2px 0 6px;font-size:11px;white-space:pre-wrap}\n"
	"div.grew{margin:6px 0 2px;color:#374151;font-weight:normal}\n"
	"div.grew-h{font-size:12px;margin-bottom:2px}\n"
	"table.grew{font-size:12px;margin:2px 0}table.grew td,table.grew th{padding:1px 8px}\n"
	"pre.grew-events{margin:2px 0;font-size:11px;white-space:pre-wrap}\n"
	"h3{font-size:14px;margin:16px 0 2px}.muted{color:#6b7280;font-weight:normal}\n"
	".census p{margin:0 0 4px;font-size:12px}table.kinds{margin-top:4px}\n"
	".swatch{display:inline-block;width:10px;height:10px}\n";

static void html_row(struct strbuf *sb, const char *label, const char *value)
{
	sb_puts(sb, "<tr><td>");
	ut_append(sb, label, strlen(label), UT_HTML);
	sb_puts(sb, "</td><td>");
	ut_append(sb, value, strlen(value), UT_HTML);
	sb_puts(sb, "</td></tr>\n");
}

void report_html(const struct report *r, const struct report_svg_opts *o, struct strbuf *sb)
{
	const struct journal_reader_stats *rs = &r->rs;
	struct report_svg_opts so = *o;
	struct strbuf t;

	sb_init(&t);
	sb_puts(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n"
		    "<title>vmatrace report</title>\n<style>\n");
	sb_puts(sb, html_style);
	sb_puts(sb, "</style></head>\n<body>\n<h1>vmatrace report</h1>\n");

	sb_puts(sb, "<table class=\"summary\">\n");
	html_row(sb, "journal", r->filter.dir);
	if (r->filter.pid || r->filter.comm || r->filter.container) {
		sb_reset(&t);
		if (r->filter.pid)
			sb_printf(&t, "pid %u ", r->filter.pid);
		if (r->filter.comm)
			sb_printf(&t, "comm %s ", r->filter.comm);
		if (r->filter.container)
			sb_printf(&t, "container %s", r->filter.container);
		html_row(sb, "filter", t.buf);
	}
	sb_reset(&t);
	if (r->first_ns) {
		report_time(&t, r->first_ns, "%Y-%m-%d %H:%M:%S");
		sb_puts(&t, " .. ");
		report_time(&t, r->last_ns, "%Y-%m-%d %H:%M:%S %Z");
	} else {
		sb_puts(&t, "no records");
	}
	html_row(sb, "records from", t.buf);
	sb_reset(&t);
	sb_printf(&t, "%llu of %llu records (%llu segment%s, %llu block%s)",
		  (unsigned long long)r->matched, (unsigned long long)rs->records,
		  (unsigned long long)rs->segments, rs->segments == 1 ? "" : "s",
		  (unsigned long long)rs->blocks, rs->blocks == 1 ? "" : "s");
	html_row(sb, "matched", t.buf);
	sb_reset(&t);
	sb_printf(&t, "%llu timeline points of %zu process%s", (unsigned long long)r->points,
		  r->nprocs, r->nprocs == 1 ? "" : "es");
	html_row(sb, "timelines", t.buf);
	sb_reset(&t);
	sb_printf(&t, "%llu", (unsigned long long)r->incidents);
	html_row(sb, "incidents", t.buf);
	sb_reset(&t);
	sb_printf(&t, "%u starts, %u stops, %llu ring-buffer records lost, %llu resyncs",
		  r->daemon_starts, r->daemon_stops, (unsigned long long)r->drops,
		  (unsigned long long)r->resyncs);
	if (r->max_map_count)
		sb_printf(&t, "; vm.max_map_count %u", r->max_map_count);
	html_row(sb, "daemon", t.buf);
	sb_reset(&t);
	for (int k = 0; k < r->thr.npercents; k++)
		sb_printf(&t, "%s%g%%", k ? ", " : "", r->thr.percents[k]);
	if (r->thr.npercents)
		sb_puts(&t, " of vm.max_map_count");
	for (int k = 0; k < r->thr.ncounts; k++) {
		sb_puts(&t, k ? ", " : r->thr.npercents ? "; " : "");
		report_thousands(&t, r->thr.counts[k]);
	}
	if (r->thr.ncounts)
		sb_puts(&t, " VMAs");
	if (!r->thr.npercents && !r->thr.ncounts)
		sb_puts(&t, "none");
	sb_puts(&t, r->thr.from_journal ?
			    " (the daemon's configuration)" :
			    " (the defaults: the journal has no configuration record)");
	html_row(sb, "alert thresholds", t.buf);
	sb_puts(sb, "</table>\n");
	report_journal_warnings(sb, rs, "<p class=\"warn\">", ".</p>\n");
	if (rs->torn_tails)
		sb_puts(sb,
			"<p class=\"note\">The journal ends inside a block (daemon still writing, "
			"or crashed).</p>\n");

	so.inline_html = true;
	sb_puts(sb, "<h2>Timelines</h2>\n");
	report_svg(r, &so, sb);
	report_census_html(sb, r);

	sb_printf(sb, "<h2>Incidents (%llu)</h2>\n", (unsigned long long)r->incidents);
	if (r->incidents) {
		sb_puts(sb,
			"<table>\n<tr><th>time</th><th>pid</th><th>comm</th><th>event</th></tr>\n");
		for (size_t i = 0; i < r->nevents; i++) {
			const struct report_event *ev = &r->events[i];
			const char *cls = ev->kind == REV_OOM	  ? "k-oom" :
					  ev->kind == REV_FAILURE ? "k-failure" :
								    "k-alert";

			if (ev->kind == REV_OTHER || ev->duplicate)
				continue;
			sb_puts(sb, "<tr><td>");
			report_time(sb, ev->ts_ns, "%Y-%m-%d %H:%M:%S");
			sb_printf(sb, "</td><td class=\"n\">%u</td><td>", ev->pid);
			ut_append(sb, ev->comm, sizeof(ev->comm), UT_HTML);
			sb_printf(sb, "</td><td class=\"%s\">", cls);
			report_event_describe(sb, ev, UT_HTML);
			report_event_grew(sb, ev, UT_HTML, NULL);
			report_event_sites(sb, ev, UT_HTML, NULL);
			sb_puts(sb, "</td></tr>\n");
		}
		sb_puts(sb, "</table>\n");
	} else {
		sb_puts(sb, "<p>None.</p>\n");
	}
	report_failed_calls(sb, r, UT_HTML);

	if (r->nshown == r->nprocs) {
		sb_printf(sb, "<h2>Processes (%zu)</h2>\n", r->nprocs);
	} else {
		sb_printf(sb, "<h2>Processes (%zu of %zu)</h2>\n<p class=\"note\">", r->nshown,
			  r->nprocs);
		report_selection_text(sb, r);
		sb_puts(sb, ".</p>\n");
	}
	if (r->nshown) {
		bool containers = report_any_container(r);

		sb_puts(sb, "<table>\n<tr><th>pid</th><th>comm</th>");
		if (containers)
			sb_puts(sb, "<th>container</th>");
		sb_puts(sb, "<th>peak VMAs</th>"
			    "<th>of limit</th><th>first</th><th>last</th><th>mapped max</th>"
			    "<th>heap max</th><th>heap hwm</th><th>calls</th><th>failed</th>"
			    "<th>incidents</th></tr>\n");
		for (size_t i = 0; i < r->nprocs; i++) {
			const struct report_proc *p = r->procs[i];

			if (!p->shown)
				continue;
			sb_printf(sb, "<tr><td class=\"n\">%u</td><td>", p->pid);
			ut_append(sb, p->comm, sizeof(p->comm), UT_HTML);
			if (containers) {
				sb_puts(sb, "</td><td>");
				container_label(sb, &p->container, UT_HTML);
			}
			sb_puts(sb, "</td><td class=\"n\">");
			report_thousands(sb, p->peak_vmas);
			sb_puts(sb, "</td><td class=\"n\">");
			report_pct(sb, p->peak_vmas, p->peak_limit);
			sb_puts(sb, "</td><td>");
			report_time(sb, p->first_ns, "%m-%d %H:%M:%S");
			sb_puts(sb, "</td><td>");
			report_time(sb, p->end_ns, "%m-%d %H:%M:%S");
			sb_puts(sb, "</td><td class=\"n\">");
			sb_size(sb, p->mapped_peak);
			sb_puts(sb, "</td><td class=\"n\">");
			sb_size(sb, p->heap_peak);
			sb_puts(sb, "</td><td class=\"n\">");
			sb_size(sb, p->heap_hwm);
			sb_printf(sb,
				  "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
				  "<td class=\"n\">%u%s</td></tr>\n",
				  (unsigned long long)p->calls, (unsigned long long)p->failures,
				  p->alerts + p->alloc_failures + p->ooms,
				  p->ooms ? " (OOM-killed)" : "");
		}
		sb_puts(sb, "</table>\n");
	}
	sb_puts(sb, "</body></html>\n");
	sb_free(&t);
}
