// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The census in the HTML report: which kinds of VMA made up each shown
 * process's count (anonymous, heap, thread stacks, files, PROT_NONE
 * reservations, guards...), as the daemon journaled it at the process's exit or
 * with its latest incident: a stacked bar in SVG and the numbers beside it.
 */
#include <string.h>

#include "jsonr.h"
#include "report_svg.h"
#include "report_util.h"
#include "untrusted.h"

#define BAR_W 560.0
#define BAR_H 18.0
#define MAX_KINDS 16

/* One colour per kind, in the order the model lists them (anon, heap, stack, ...). */
static const char *const kind_colors[] = { "#2563eb", "#059669", "#d97706", "#f59e0b",
					   "#7c3aed", "#9ca3af", "#4b5563", "#db2777" };
#define NCOLORS (sizeof(kind_colors) / sizeof(kind_colors[0]))

/* The census an event carries: its own (alerts) or its context's (incidents, OOM kills). */
static const json_t *event_census(const struct report_event *ev)
{
	const json_t *c = json_object_get(ev->data, "census");

	if (!c)
		c = json_object_get(json_object_get(ev->data, "context"), "census");
	return json_is_object(c) && json_object_size(c) ? c : NULL;
}

const json_t *report_proc_census(const struct report *r, const struct report_proc *p,
				 const struct report_event **from)
{
	const json_t *best = NULL;

	*from = NULL;
	/*
	 * The exit's census is the last word (an alert journaled as it exits may be stamped
	 * later); else the latest incident's: events are in time order.
	 */
	for (size_t i = 0; i < r->nevents; i++) {
		const struct report_event *ev = &r->events[i];
		const json_t *c;

		if (ev->proc != p || !ev->data || ev->duplicate)
			continue;
		if (*from && (*from)->type == JREC_PROC_EXIT && ev->type != JREC_PROC_EXIT)
			continue;
		c = event_census(ev);
		if (c) {
			best = c;
			*from = ev;
		}
	}
	return best;
}

struct kind_count {
	const char *name;
	double n;
};

static size_t census_kinds(const json_t *c, struct kind_count *out, double *total)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	*total = 0;
	json_object_foreach((json_t *)c, key, v)
	{
		if (!json_is_number(v) || n == MAX_KINDS)
			continue;
		out[n].name = key;
		out[n].n = json_number_value(v);
		if (out[n].n < 0)
			continue;
		*total += out[n].n;
		n++;
	}
	return n;
}

static void census_one(struct strbuf *sb, const struct report_proc *p, const json_t *c,
		       const struct report_event *from)
{
	struct kind_count k[MAX_KINDS];
	double total, x = 0;
	size_t n = census_kinds(c, k, &total);

	sb_puts(sb, "<div class=\"census\"><h3>");
	ut_append(sb, p->comm, sizeof(p->comm), UT_HTML);
	sb_printf(sb, " <span class=\"muted\">pid %u</span></h3>\n<p class=\"muted\">", p->pid);
	report_thousands(sb, (unsigned long long)total);
	sb_puts(sb, " VMAs by kind at ");
	report_time(sb, from->ts_ns, "%Y-%m-%d %H:%M:%S");
	sb_puts(sb, from->type == JREC_PROC_EXIT ? " (its exit)" : " (its latest incident: ");
	if (from->type != JREC_PROC_EXIT) {
		ut_append(sb, from->name, sizeof(from->name), UT_HTML);
		sb_putc(sb, ')');
	}
	sb_puts(sb, "</p>\n");
	sb_printf(sb,
		  "<svg class=\"census-bar\" width=\"%.0f\" height=\"%.0f\" "
		  "viewBox=\"0 0 %.0f %.0f\">\n",
		  BAR_W, BAR_H, BAR_W, BAR_H);
	sb_printf(sb, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"%s\"/>\n", BAR_W, BAR_H, C_GRID);
	for (size_t i = 0; i < n && total > 0; i++) {
		double w = BAR_W * k[i].n / total;

		if (w <= 0)
			continue;
		sb_printf(sb, "<rect x=\"%.2f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\"><title>",
			  x, w, BAR_H, kind_colors[i % NCOLORS]);
		ut_append(sb, k[i].name, 64, UT_HTML);
		sb_printf(sb, ": %.0f</title></rect>\n", k[i].n);
		x += w;
	}
	sb_puts(sb, "</svg>\n<table class=\"kinds\"><tr><th></th><th>kind</th><th>VMAs</th>"
		    "<th>share</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		if (!k[i].n)
			continue;
		sb_printf(sb,
			  "<tr><td><span class=\"swatch\" style=\"background:%s\"></span></td><td>",
			  kind_colors[i % NCOLORS]);
		ut_append(sb, k[i].name, 64, UT_HTML);
		sb_puts(sb, "</td><td class=\"n\">");
		report_thousands(sb, (unsigned long long)k[i].n);
		sb_puts(sb, "</td><td class=\"n\">");
		report_pct(sb, k[i].n, total);
		sb_puts(sb, "</td></tr>\n");
	}
	sb_puts(sb, "</table></div>\n");
}

void report_census_html(struct strbuf *sb, const struct report *r)
{
	size_t drawn = 0;

	sb_puts(sb, "<h2>VMA kinds</h2>\n");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct report_proc *p = r->procs[i];
		const struct report_event *from;
		const json_t *c;

		if (!p->shown)
			continue;
		c = report_proc_census(r, p, &from);
		if (!c)
			continue;
		census_one(sb, p, c, from);
		drawn++;
	}
	if (!drawn)
		sb_puts(sb, "<p>No census in the journal for the processes shown (the daemon "
			    "journals one with each incident and at each exit).</p>\n");
}
