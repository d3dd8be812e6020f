// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * SVG charts of the journal's timelines: one panel per process, the VMA count
 * against vm.max_map_count above, mapped bytes and the heap below, and the
 * incidents as markers through both. Self-contained: no fonts, scripts or URLs.
 *
 * All panels share one time axis, so that one process's climb lines up with
 * another's OOM kill. Drawing helpers: report_svg_draw.c, markers:
 * report_svg_markers.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_svg.h"
#include "report_util.h"
#include "untrusted.h"

#define NS_PER_S REPORT_NS_PER_S

/* ---- which processes get a panel ---- */

/* Spikes from lo to hi as one path; none when there is no spike (an empty path is no path). */
static void band(struct strbuf *sb, const struct frame *f, const struct report_proc *p,
		 point_value lo, point_value hi, const char *color, const char *extra)
{
	struct strbuf d;

	sb_init(&d);
	svg_band_path(&d, f, p, lo, hi);
	if (d.len)
		sb_printf(sb, "<path d=\"%s\" stroke=\"%s\" stroke-width=\"2\"%s fill=\"none\"/>\n",
			  d.buf, color, extra);
	sb_free(&d);
}

static bool has_incident(const struct report_proc *p)
{
	return p->alerts || p->alloc_failures || p->ooms;
}

/* The processes the report shows (report_load's selection) that have something to draw. */
static size_t pick_panels(const struct report *r, const struct report_proc **out)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nprocs; i++) {
		const struct report_proc *p = r->procs[i];

		if (p->shown && (p->npts || has_incident(p)))
			out[n++] = p;
	}
	return n;
}

/* Does a panel draw a threshold line (percentages with the limit; counts up to top)? */
static bool thresholds_drawn(const struct report_thresholds *thr, bool limit_shown, double top)
{
	if (limit_shown && thr->npercents)
		return true;
	for (int k = 0; k < thr->ncounts; k++)
		if (thr->counts[k] <= top)
			return true;
	return false;
}

/* "80 / 90 / 95 %", "50,000 VMAs", "80 / 95 % and 50,000 VMAs": the alert thresholds. */
static void thresholds_legend(struct strbuf *t, const struct report_thresholds *thr)
{
	for (int k = 0; k < thr->npercents; k++)
		sb_printf(t, "%s%g", k ? " / " : "", thr->percents[k]);
	if (thr->npercents)
		sb_puts(t, " %");
	for (int k = 0; k < thr->ncounts; k++) {
		sb_puts(t, k ? " / " : thr->npercents ? " and " : "");
		report_thousands(t, thr->counts[k]);
	}
	if (thr->ncounts)
		sb_puts(t, " VMAs");
	if (!thr->from_journal)
		sb_puts(t, " (defaults)");
}

static double v_vmas(const struct journal_tl *t)
{
	return t->vmas_last;
}
static double v_vmas_min(const struct journal_tl *t)
{
	return t->vmas_min;
}
static double v_vmas_max(const struct journal_tl *t)
{
	return t->vmas_max;
}
static double v_mapped_max(const struct journal_tl *t)
{
	return t->mapped_max;
}
static double v_heap_max(const struct journal_tl *t)
{
	return t->heap_max;
}
static double v_limit(const struct journal_tl *t)
{
	return t->max_map_count;
}
static double v_mapped(const struct journal_tl *t)
{
	return t->mapped;
}
static double v_heap(const struct journal_tl *t)
{
	return t->heap;
}
static double v_hwm(const struct journal_tl *t)
{
	return t->heap_hwm;
}
/* ---- one panel ---- */

/* "2.2%", "<0.1%" */
static void fmt_pct(char *buf, size_t len, double part, double whole)
{
	double v = 100.0 * part / whole;

	if (v > 0 && v < 0.1)
		snprintf(buf, len, "under 0.1%%"); /* no "<": this text goes into XML */
	else
		snprintf(buf, len, "%.1f%%", v);
}

/* The summary right of a panel's title, shorter (level 1, 2) when the panel is narrow. */
static void heading_summary(struct strbuf *t, const struct report_proc *p, int level)
{
	char buf[32];

	if (p->npts) {
		sb_puts(t, "peak ");
		report_thousands(t, p->peak_vmas);
		sb_puts(t, " VMAs");
		if (p->peak_limit) {
			fmt_pct(buf, sizeof(buf), p->peak_vmas, p->peak_limit);
			sb_printf(t, " (%s of limit)", buf);
		}
		/* How long it stayed there: a plateau at the limit is what a DBA asks about. */
		if (level < 2 && p->peak_until_ns - p->peak_from_ns >= REPORT_NS_PER_S) {
			sb_puts(t, " for ");
			report_duration(t, p->peak_until_ns - p->peak_from_ns);
		}
		if (level == 0) {
			svg_fmt_bytes(buf, sizeof(buf), p->heap_hwm);
			sb_printf(t, " \xc2\xb7 heap high-water %s", buf);
		}
	} else {
		sb_puts(t, "no timeline points");
	}
	if (level == 2)
		return;
	if (p->alerts)
		sb_printf(t, " \xc2\xb7 %u alert%s", p->alerts, p->alerts == 1 ? "" : "s");
	if (p->alloc_failures)
		sb_printf(t, " \xc2\xb7 %u failed call%s", p->alloc_failures,
			  p->alloc_failures == 1 ? "" : "s");
	if (p->ooms)
		sb_puts(t, " \xc2\xb7 OOM-killed");
}

static void proc_heading(struct strbuf *sb, const struct report_proc *p, double x, double y,
			 double right)
{
	char pid[24];
	double used;
	struct strbuf t;

	snprintf(pid, sizeof(pid), "pid %u", p->pid);
	sb_printf(sb,
		  "<text x=\"%.1f\" y=\"%.1f\" font-size=\"15\" fill=\"%s\">"
		  "<tspan font-weight=\"bold\">",
		  x, y, C_TEXT);
	ut_append(sb, p->comm, sizeof(p->comm), UT_HTML);
	sb_printf(sb, "</tspan><tspan dx=\"8\" fill=\"%s\" font-size=\"12.5\">%s</tspan></text>\n",
		  C_MUTED, pid);
	/* comm may grow 4x when escaped: measure the worst case */
	used = x + svg_text_w(p->comm, 15) * 1.1 + 8 + svg_text_w(pid, 12.5) + 24;

	sb_init(&t);
	for (int level = 0; level < 3; level++) {
		sb_reset(&t);
		heading_summary(&t, p, level);
		if (t.buf && right - svg_text_w(t.buf, 12) >= used) {
			svg_text(sb, right, y, 12, "end", C_MUTED, NULL, t.buf);
			break;
		}
	}
	sb_free(&t);
}

static double panel(struct strbuf *sb, const struct report *r, const struct report_proc *p,
		    uint64_t t0, uint64_t t1, double width, double y)
{
	struct frame fa = {
		.x0 = MARGIN_L, .w = width - MARGIN_L - MARGIN_R, .t0 = t0, .t1 = t1, .vmax = 1
	};
	struct frame fb, fh;
	struct marker_geom g;
	bool heap_axis;
	double heap_top;
	struct label labels[2 * CONFIG_MAX_LIST + 1];
	size_t nlabels = 0;
	double lx, peak = p->peak_vmas, top, end_x, bytes_top;
	uint32_t limit = 0;
	bool limit_shown = false;

	proc_heading(sb, p, MARGIN_L, y + 20, fa.x0 + fa.w);
	lx = svg_legend_item(sb, MARGIN_L, y + 40, S_LINE, C_VMAS, "VMA count");
	lx = svg_legend_item(sb, lx, y + 40, S_AREA, C_BAND,
			     "min\xe2\x80\x93max within an interval");

	for (size_t i = 0; i < p->npts; i++)
		if (p->pts[i].max_map_count > limit)
			limit = p->pts[i].max_map_count;
	if (!limit)
		limit = r->max_map_count;
	/* Far below the limit, drawing it would flatten the line that matters. */
	limit_shown = limit && peak >= 0.4 * limit;
	top = limit_shown ? fmax(peak, limit) * 1.04 : fmax(peak * 1.1, 10);
	if (limit_shown)
		lx = svg_legend_item(sb, lx, y + 40, S_DASH, C_LIMIT, "vm.max_map_count");
	if (thresholds_drawn(&r->thr, limit_shown, top)) {
		struct strbuf t;

		sb_init(&t);
		sb_puts(&t, "alerts at ");
		thresholds_legend(&t, &r->thr);
		lx = svg_legend_item(sb, lx, y + 40, S_DOT, C_THRESH, t.buf ? t.buf : "");
		sb_free(&t);
	}
	if (!limit_shown && limit && p->npts) {
		struct strbuf t;

		sb_init(&t);
		sb_puts(&t, "vm.max_map_count ");
		report_thousands(&t, limit);
		sb_puts(&t, " is off this scale");
		if (lx + svg_text_w(t.buf, 11) < width - 8)
			svg_text(sb, lx, y + 40, 11, "start", C_MUTED, "font-style=\"italic\"",
				 t.buf);
		sb_free(&t);
	}

	fa.y0 = y + TITLE_H + LANE_H;
	fa.h = CHART_A_H;
	fb = fa;
	fb.y0 = fa.y0 + fa.h + GAP_AB;
	fb.h = CHART_B_H;

	/* Frames and grids. */
	sb_printf(sb,
		  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fcfcfd\" "
		  "stroke=\"%s\"/>\n",
		  fa.x0, fa.y0, fa.w, fa.h, C_FRAME);
	sb_printf(sb,
		  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fcfcfd\" "
		  "stroke=\"%s\"/>\n",
		  fb.x0, fb.y0, fb.w, fb.h, C_FRAME);
	if (p->npts)
		svg_value_axis(sb, &fa, top, AXIS_COUNT, AXIS_LEFT, C_MUTED, "VMAs");
	heap_top = fmax(p->heap_hwm, p->heap_peak);
	/*
	 * A heap of 500 MiB next to 8 GiB of mappings would be a flat line at the bottom,
	 * and how it grew and never shrank is what this chart is for: give it its own scale.
	 */
	heap_axis = heap_top > 0 && heap_top < 0.25 * p->mapped_peak;
	bytes_top = fmax(p->mapped_peak, heap_axis ? 0 : heap_top) * 1.08;
	if (p->npts)
		svg_value_axis(sb, &fb, bytes_top > 1024 ? bytes_top : 1024, AXIS_BYTES, AXIS_LEFT,
			       heap_axis ? C_MAPPED : C_MUTED, heap_axis ? "mapped" : "bytes");
	fh = fb;
	if (heap_axis && p->npts)
		svg_value_axis(sb, &fh, heap_top * 1.08 > 1024 ? heap_top * 1.08 : 1024, AXIS_BYTES,
			       AXIS_RIGHT, C_HEAP, "heap");
	svg_time_axis(sb, &fa, fa.y0, fb.y0 + fb.h, fa.y0 + fa.h, fb.y0);

	/* The last values hold to the exit, or to the end of what the journal knows. */
	end_x = svg_fx(&fa, p->end_ns);
	if (!p->npts) {
		svg_text(sb, fa.x0 + fa.w / 2, fa.y0 + fa.h / 2, 12, "middle", C_MUTED, NULL,
			 "no timeline points in the journal for this process");
	}

	/*
	 * Limit and thresholds across the whole width: they hold before and after the points.
	 * The daemon's configured thresholds: percentages of the limit where it is drawn,
	 * counts wherever they are on the scale.
	 */
	for (int k = 0; k < r->thr.npercents + r->thr.ncounts && p->npts; k++) {
		bool pct = k < r->thr.npercents;
		double v = pct ? r->thr.percents[k] * limit / 100 :
				 r->thr.counts[k - r->thr.npercents];
		double yy = svg_fy(&fa, v);

		if (v <= 0 || v > top || (pct && !limit_shown))
			continue;
		sb_printf(sb,
			  "<path class=\"threshold\" d=\"M%.1f %.1fH%.1f\" stroke=\"%s\" "
			  "stroke-dasharray=\"3 3\"/>\n",
			  fa.x0, yy, fa.x0 + fa.w, C_THRESH);
		labels[nlabels].y = yy;
		if (pct) {
			snprintf(labels[nlabels].text, sizeof(labels[0].text), "%g%%",
				 r->thr.percents[k]);
		} else {
			struct strbuf t;

			sb_init(&t);
			report_thousands(&t, (unsigned long long)v);
			snprintf(labels[nlabels].text, sizeof(labels[0].text), "%s",
				 t.buf ? t.buf : "");
			sb_free(&t);
		}
		labels[nlabels].color = C_MUTED;
		labels[nlabels++].bold = false;
	}
	if (limit_shown) {
		if (p->npts) {
			/* vm.max_map_count can be raised while a process runs: a step line. */
			sb_puts(sb, "<path d=\"");
			svg_step_path(sb, &fa, p, v_limit, fa.x0, fa.x0 + fa.w, false);
			sb_printf(sb,
				  "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
				  "stroke-dasharray=\"7 4\"/>\n",
				  C_LIMIT);
		} else {
			sb_printf(sb,
				  "<path d=\"M%.1f %.1fH%.1f\" stroke=\"%s\" stroke-width=\"1.5\" "
				  "stroke-dasharray=\"7 4\"/>\n",
				  fa.x0, svg_fy(&fa, limit), fa.x0 + fa.w, C_LIMIT);
		}
		labels[nlabels].y =
			svg_fy(&fa, p->npts ? p->pts[p->npts - 1].max_map_count : limit);
		{
			struct strbuf t;

			sb_init(&t);
			sb_puts(&t, "limit ");
			report_thousands(&t, p->npts ? p->pts[p->npts - 1].max_map_count : limit);
			snprintf(labels[nlabels].text, sizeof(labels[0].text), "%s", t.buf);
			sb_free(&t);
		}
		labels[nlabels].color = C_LIMIT;
		labels[nlabels++].bold = true;
	}
	svg_spread_labels(labels, nlabels, 13, fa.y0 + 4, fa.y0 + fa.h - 4);
	for (size_t k = 0; k < nlabels; k++) {
		double x = fa.x0 + fa.w;

		sb_printf(sb, "<path d=\"M%.1f %.1fL%.1f %.1f\" stroke=\"%s\"/>\n", x, labels[k].y,
			  x + 6, labels[k].ly, C_THRESH);
		svg_text(sb, x + 9, labels[k].ly + 4, 11, "start", labels[k].color,
			 labels[k].bold ? "font-weight=\"bold\"" : NULL, labels[k].text);
	}

	if (p->npts) {
		sb_puts(sb, "<path d=\"");
		svg_step_path(sb, &fa, p, v_vmas, -1, end_x, true);
		sb_printf(sb, "\" fill=\"%s\" fill-opacity=\"0.08\"/>\n", C_VMAS);
		band(sb, &fa, p, v_vmas_min, v_vmas_max, C_BAND, "");
		sb_puts(sb, "<path d=\"");
		svg_step_path(sb, &fa, p, v_vmas, -1, end_x, false);
		sb_printf(sb,
			  "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
			  "stroke-linejoin=\"round\"/>\n",
			  C_VMAS);

		sb_puts(sb, "<path d=\"");
		svg_step_path(sb, &fh, p, v_hwm, -1, end_x, false);
		sb_printf(sb,
			  "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\" "
			  "stroke-dasharray=\"5 3\"/>\n",
			  C_HEAP);
		sb_puts(sb, "<path d=\"");
		svg_step_path(sb, &fh, p, v_heap, -1, end_x, false);
		sb_printf(sb, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", C_HEAP);
		/* Peaks between two interval ends (mapped, then unmapped): bars up to them. */
		band(sb, &fh, p, v_heap, v_heap_max, C_HEAP, " stroke-opacity=\"0.5\"");
		band(sb, &fb, p, v_mapped, v_mapped_max, C_MAPPED, " stroke-opacity=\"0.5\"");
		sb_puts(sb, "<path d=\"");
		svg_step_path(sb, &fb, p, v_mapped, -1, end_x, false);
		sb_printf(sb, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", C_MAPPED);
	}

	lx = svg_legend_item(sb, MARGIN_L, fa.y0 + fa.h + GAP_AB - 10, S_LINE, C_MAPPED,
			     heap_axis ? "mapped bytes (left scale)" : "mapped bytes");
	lx = svg_legend_item(sb, lx, fa.y0 + fa.h + GAP_AB - 10, S_LINE, C_HEAP,
			     heap_axis ? "heap (brk, right scale)" : "heap (brk)");
	svg_legend_item(sb, lx, fa.y0 + fa.h + GAP_AB - 10, S_DASH, C_HEAP, "heap high-water mark");

	g.lane_bottom = fa.y0 - 3;
	g.line_top = fa.y0 - 3;
	g.line_bottom = fb.y0 + fb.h;
	g.gap_top = fa.y0 + fa.h;
	g.gap_bottom = fb.y0;
	g.xmin = 4;
	g.xmax = width - 4;
	svg_draw_markers(sb, r, p, &fa, &g);
	return fb.y0 + fb.h + AXIS_H - y;
}

/* ---- the document ---- */

static void header(struct strbuf *sb, const struct report *r, size_t shown, uint64_t t0,
		   uint64_t t1, double width)
{
	struct strbuf t;
	unsigned alerts = 0, fails = 0, ooms = 0;
	const char *title;
	double lx, y;

	for (size_t i = 0; i < r->nevents; i++) {
		const struct report_event *ev = &r->events[i];

		if (ev->duplicate)
			continue;
		alerts += ev->kind == REV_ALERT;
		fails += ev->kind == REV_FAILURE;
		ooms += ev->kind == REV_OOM;
	}
	title = "vmatrace report: VMAs, mapped bytes and heap over time";
	if (MARGIN_L + svg_text_w(title, 19) > width - 10)
		title = "vmatrace report";
	svg_text(sb, MARGIN_L, 30, 19, "start", C_TEXT, "font-weight=\"bold\"", title);
	sb_init(&t);
	report_time(&t, t0, "%Y-%m-%d %H:%M");
	sb_puts(&t, " \xe2\x80\x93 ");
	report_time(&t, t1,
		    t0 / NS_PER_S / 86400 == t1 / NS_PER_S / 86400 ? "%H:%M %Z" :
								     "%Y-%m-%d %H:%M %Z");
	sb_printf(&t,
		  " \xc2\xb7 %zu of %zu process%s \xc2\xb7 %u alert%s \xc2\xb7 %u failed call%s "
		  "\xc2\xb7 %u OOM kill%s",
		  shown, r->nprocs, r->nprocs == 1 ? "" : "es", alerts, alerts == 1 ? "" : "s",
		  fails, fails == 1 ? "" : "s", ooms, ooms == 1 ? "" : "s");
	svg_text(sb, MARGIN_L, 52, 12.5, "start", C_MUTED, NULL, t.buf ? t.buf : "");
	sb_free(&t);
	y = 76;
	lx = svg_legend_item(sb, MARGIN_L, y, S_TRI, C_ALERT, "VMA-count alert");
	lx = svg_legend_item(sb, lx, y, S_TICK, C_FAIL, "failed mmap/munmap/brk...");
	lx = svg_legend_item(sb, lx, y, S_DIAMOND, C_OOM, "OOM kill");
	lx = svg_legend_item(sb, lx, y, S_SQUARE, C_EXIT, "process exit");
	if (r->rs.damaged_blocks) {
		sb_init(&t);
		sb_printf(&t, "%llu damaged journal block%s skipped: data missing",
			  (unsigned long long)r->rs.damaged_blocks,
			  r->rs.damaged_blocks == 1 ? "" : "s");
		svg_text(sb, width - MARGIN_R + 100, y, 11.5, "end", C_FAIL, "font-weight=\"bold\"",
			 t.buf);
		sb_free(&t);
	}
	(void)lx;
}

void report_svg(const struct report *r, const struct report_svg_opts *o, struct strbuf *sb)
{
	double width = o && o->width ? o->width : 1000, height, y;
	const struct report_proc **sel;
	uint64_t t0 = 0, t1 = 0;
	size_t n;

	if (width < 480)
		width = 480;
	sel = calloc(r->nprocs ? r->nprocs : 1, sizeof(*sel));
	n = sel ? pick_panels(r, sel) : 0;
	for (size_t i = 0; i < n; i++) {
		if (!t0 || sel[i]->first_ns < t0)
			t0 = sel[i]->first_ns;
		if (sel[i]->end_ns > t1)
			t1 = sel[i]->end_ns;
	}
	if (!n) {
		t0 = r->first_ns;
		t1 = r->last_ns;
	}
	if (t1 - t0 < 60 * NS_PER_S) {
		uint64_t mid = t0 / 2 + t1 / 2;

		t0 = mid > 30 * NS_PER_S ? mid - 30 * NS_PER_S : 0;
		t1 = mid + 30 * NS_PER_S;
	}
	/* A little room on the right for the last marker's label. */
	t1 += (t1 - t0) / 50;

	height = HEADER_H + FOOTER_H +
		 n * (TITLE_H + LANE_H + CHART_A_H + GAP_AB + CHART_B_H + AXIS_H) + (n ? 0 : 60);
	if (!o || !o->inline_html)
		sb_puts(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	sb_printf(sb,
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		  "viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\">\n",
		  width, height, width, height, FONT);
	sb_puts(sb, "<title>vmatrace report</title>\n");
	sb_printf(sb, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", width, height);
	header(sb, r, n, t0, t1, width);
	y = HEADER_H;
	if (!n) {
		svg_text(sb, width / 2, y + 30, 13, "middle", C_MUTED, NULL,
			 "no process has timeline points or incidents in this range");
		y += 60;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_printf(sb, "<path d=\"M20 %.1fH%.1f\" stroke=\"%s\"/>\n", y - 10,
				  width - 20, C_GRID);
		y += panel(sb, r, sel[i], t0, t1, width, y);
	}
	{
		struct strbuf t;

		sb_init(&t);
		sb_puts(&t, "times in local time; one point per interval in which something "
			    "happened; a value holds until it changes, to the exit or the "
			    "journal's end");
		svg_text(sb, MARGIN_L, height - 12, 10.5, "start", C_MUTED, NULL, t.buf);
		sb_free(&t);
	}
	sb_puts(sb, "</svg>\n");
	free(sel);
}
