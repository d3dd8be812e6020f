// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The incidents on a panel of the report's SVG (include/report_svg.h): alerts,
 * failed calls (in bursts), OOM kills and exits as markers through both
 * charts, with labels in rows above them that must not overlap, and the
 * whole description in each marker's tooltip.
 */
#include <stdio.h>
#include <string.h>

#include "report_svg.h"
#include "report_util.h"
#include "untrusted.h"

#define NS_PER_S REPORT_NS_PER_S

/*
 * Marker labels: rows above the charts. A label goes centred on its marker, or beside
 * it (ending or starting there), in the lowest row where it fits; else it is left out
 * (the marker's tooltip still tells everything).
 */
#define LANE_ROWS 3
#define LANE_MAX 64

struct lane {
	double left[LANE_ROWS][LANE_MAX], right[LANE_ROWS][LANE_MAX];
	int n[LANE_ROWS];
};

static bool lane_free(const struct lane *ln, int row, double l, double r)
{
	if (ln->n[row] >= LANE_MAX)
		return false;
	for (int i = 0; i < ln->n[row]; i++)
		if (l < ln->right[row][i] + 8 && r > ln->left[row][i] - 8)
			return false;
	return true;
}

static int lane_place(struct lane *ln, double *x, double w, double xmin, double xmax)
{
	const double offset[3] = { -w / 2, -w + 4, -4 };

	for (int row = 0; row < LANE_ROWS; row++) {
		for (int k = 0; k < 3; k++) {
			double l = *x + offset[k], r = l + w;

			if (l < xmin || r > xmax || !lane_free(ln, row, l, r))
				continue;
			ln->left[row][ln->n[row]] = l;
			ln->right[row][ln->n[row]++] = r;
			*x = (l + r) / 2;
			return row;
		}
	}
	return -1;
}

/* ---- markers ---- */

static void marker_title(struct strbuf *sb, const struct report_event *ev)
{
	sb_puts(sb, "<title>");
	report_time(sb, ev->ts_ns, "%Y-%m-%d %H:%M:%S ");
	report_event_describe(sb, ev, UT_HTML);
	sb_puts(sb, "</title>");
}

/* An OOM kill's victim exits right after it: that exit says nothing new. */
static bool exit_after_oom(const struct report *r, const struct report_event *ev)
{
	for (const struct report_event *e = ev; e-- > r->events;) {
		if (ev->ts_ns - e->ts_ns > 2 * NS_PER_S)
			break;
		if (e->proc == ev->proc && e->kind == REV_OOM)
			return true;
	}
	return false;
}

static bool marker_event(const struct report *r, const struct report_event *ev,
			 const struct report_proc *p)
{
	if (ev->proc != p || ev->duplicate)
		return false;
	if (ev->kind != REV_OTHER)
		return true;
	return ev->type == JREC_PROC_EXIT && !exit_after_oom(r, ev);
}

static void lane_label(struct strbuf *sb, struct lane *ln, const struct marker_geom *g, double x,
		       const char *s, const char *color, bool bold)
{
	double w = svg_text_w(s, 11) * (bold ? 1.08 : 1);
	int row = lane_place(ln, &x, w, g->xmin, g->xmax);

	if (row < 0)
		return;
	svg_text(sb, x, g->lane_bottom - 14 - row * 14, 11, "middle", color,
		 bold ? "font-weight=\"bold\"" : NULL, s);
}

static void oom_marker(struct strbuf *sb, struct lane *ln, const struct marker_geom *g,
		       const struct report_event *ev, double x)
{
	char label[48], type[24];

	sb_puts(sb, "<g>");
	marker_title(sb, ev);
	sb_printf(sb, "<path d=\"M%.1f %.1fl6 -6l-6 -6l-6 6z\" fill=\"%s\"/></g>\n", x,
		  g->lane_bottom, C_OOM);
	svg_label_word(ev->data, "oom_type", type, sizeof(type));
	snprintf(label, sizeof(label), "OOM kill%s%s%s", *type ? " (" : "", type, *type ? ")" : "");
	lane_label(sb, ln, g, x, label, C_OOM, true);
}

static void alert_marker(struct strbuf *sb, struct lane *ln, const struct marker_geom *g,
			 const struct report_event *ev, double x)
{
	const char *type = jr_str(ev->data, "threshold_type");
	char label[48];

	sb_puts(sb, "<g>");
	marker_title(sb, ev);
	sb_printf(sb, "<path d=\"M%.1f %.1fl-5.5 -9h11z\" fill=\"%s\"/></g>\n", x, g->lane_bottom,
		  C_ALERT);
	if (ev->threshold > 0 && type && !strcmp(type, "count"))
		snprintf(label, sizeof(label), "%g VMAs", ev->threshold);
	else if (ev->threshold > 0)
		snprintf(label, sizeof(label), "%g%%", ev->threshold);
	else
		svg_label_word(ev->data, "kind", label, sizeof(label));
	lane_label(sb, ln, g, x, label, C_ALERT, true);
}

static void exit_marker(struct strbuf *sb, struct lane *ln, const struct marker_geom *g,
			const struct report_event *ev, double x)
{
	char label[48], sig[16];
	double d;

	sb_puts(sb, "<g>");
	marker_title(sb, ev);
	sb_printf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"%s\"/></g>\n",
		  x - 3.5, g->lane_bottom - 8, C_EXIT);
	/* The daemon names the signal ("KILL"); older records and tests number it. */
	svg_label_word(ev->data, "signal", sig, sizeof(sig));
	if (*sig)
		snprintf(label, sizeof(label), "exit (SIG%s)", sig);
	else if (jr_num(ev->data, "signal", &d) && d > 0)
		snprintf(label, sizeof(label), "exit (signal %.0f)", d);
	else if (jr_num(ev->data, "exit_code", &d))
		snprintf(label, sizeof(label), "exit %.0f", d);
	else
		snprintf(label, sizeof(label), "exit");
	lane_label(sb, ln, g, x, label, C_EXIT, false);
}

/* Failures closer than this many pixels are one burst: one shaded span, one label. */
#define BURST_PX 10

/* The burst of failures that starts at events[i]: draws its span and ticks, labels it. */
static double failure_burst(struct strbuf *sb, const struct report *r, const struct report_proc *p,
			    const struct frame *f, const struct marker_geom *g, struct lane *ln,
			    size_t i)
{
	char call[16] = "", err[16] = "", c2[16], e2[16], label[48];
	double x0 = svg_fx(f, r->events[i].ts_ns), xl = x0;
	struct strbuf ticks;
	bool same = true;
	size_t n = 0;

	sb_init(&ticks);
	svg_label_word(r->events[i].data, "syscall", call, sizeof(call));
	svg_label_word(r->events[i].data, "errno", err, sizeof(err));
	for (size_t j = i; j < r->nevents; j++) {
		const struct report_event *e = &r->events[j];
		double x;

		if (!marker_event(r, e, p) || e->kind != REV_FAILURE)
			continue;
		x = svg_fx(f, e->ts_ns);
		if (x - xl >= BURST_PX)
			break;
		xl = x;
		svg_label_word(e->data, "syscall", c2, sizeof(c2));
		svg_label_word(e->data, "errno", e2, sizeof(e2));
		same &= !strcmp(c2, call) && !strcmp(e2, err);
		sb_puts(&ticks, "<g>");
		marker_title(&ticks, e);
		sb_printf(&ticks,
			  "<path d=\"M%.1f %.1fv-10\" stroke=\"%s\" stroke-width=\"2\"/></g>\n", x,
			  g->lane_bottom, C_FAIL);
		n++;
	}
	/* Shaded, not one line per failure: twenty lines side by side would hide the data. */
	sb_printf(sb,
		  "<path d=\"M%.1f %.1fH%.1fV%.1fH%.1fZM%.1f %.1fH%.1fV%.1fH%.1fZ\" fill=\"%s\" "
		  "fill-opacity=\"0.14\"/>\n",
		  x0 - 1.5, g->line_top, xl + 1.5, g->gap_top, x0 - 1.5, x0 - 1.5, g->gap_bottom,
		  xl + 1.5, g->line_bottom, x0 - 1.5, C_FAIL);
	sb_puts(sb, ticks.buf ? ticks.buf : "");
	sb_free(&ticks);
	if (same && *call)
		snprintf(label, sizeof(label), "%s %s", call, err);
	else
		snprintf(label, sizeof(label), "failed call%s", n > 1 ? "s" : "");
	if (n > 1) {
		size_t l = strlen(label);

		snprintf(label + l, sizeof(label) - l, " \xc3\x97%zu", n);
	}
	lane_label(sb, ln, g, (x0 + xl) / 2, label, C_FAIL, false);
	return xl;
}

void svg_draw_markers(struct strbuf *sb, const struct report *r, const struct report_proc *p,
		      const struct frame *f, const struct marker_geom *g)
{
	struct lane ln = { 0 };
	double burst_end = -1e9;

	/* Lines first, under the glyphs. */
	for (size_t i = 0; i < r->nevents; i++) {
		const struct report_event *ev = &r->events[i];
		double x;

		if (!marker_event(r, ev, p))
			continue;
		x = svg_fx(f, ev->ts_ns);
		if (ev->kind == REV_ALERT)
			sb_printf(sb,
				  "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fV%.1f\" stroke=\"%s\" "
				  "stroke-width=\"1.2\" stroke-dasharray=\"5 3\"/>\n",
				  x, g->line_top, g->gap_top, x, g->gap_bottom, g->line_bottom,
				  C_ALERT);
		else if (ev->kind == REV_OOM)
			sb_printf(sb,
				  "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fV%.1f\" stroke=\"%s\" "
				  "stroke-width=\"2\"/>\n",
				  x, g->line_top, g->gap_top, x, g->gap_bottom, g->line_bottom,
				  C_OOM);
	}

	/* Labels by importance: OOM kills, alerts, failures; exits take what is left. */
	for (int pass = 0; pass < 4; pass++) {
		for (size_t i = 0; i < r->nevents; i++) {
			const struct report_event *ev = &r->events[i];
			double x = svg_fx(f, ev->ts_ns);

			if (!marker_event(r, ev, p))
				continue;
			if (pass == 0 && ev->kind == REV_OOM)
				oom_marker(sb, &ln, g, ev, x);
			else if (pass == 1 && ev->kind == REV_ALERT)
				alert_marker(sb, &ln, g, ev, x);
			else if (pass == 2 && ev->kind == REV_FAILURE && x > burst_end)
				burst_end = failure_burst(sb, r, p, f, g, &ln, i);
			else if (pass == 3 && ev->type == JREC_PROC_EXIT)
				exit_marker(sb, &ln, g, ev, x);
		}
	}
}
