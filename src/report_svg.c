// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * SVG charts of the journal's timelines: one panel per process, the VMA count
 * against vm.max_map_count above, mapped bytes and the heap below, and the
 * incidents as markers through both. Self-contained: no fonts, scripts or URLs.
 *
 * All panels share one time axis, so that one process's climb lines up with
 * another's OOM kill. Text widths are estimated (no font metrics here), with
 * room to spare, to keep labels from running into each other.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

#define NS_PER_S 1000000000ULL

#define MARGIN_L 80  /* value labels */
#define MARGIN_R 112 /* limit and threshold labels */
#define HEADER_H 92
#define FOOTER_H 30
#define TITLE_H 46 /* panel title and the first legend */
#define LANE_H 52  /* marker glyphs and their labels, three rows */
#define CHART_A_H 210
#define GAP_AB 40 /* the second legend */
#define CHART_B_H 140
#define AXIS_H 54 /* time labels, dates, space before the next panel */

#define FONT "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
#define C_TEXT "#1f2937"
#define C_MUTED "#6b7280"
#define C_GRID "#e5e7eb"
#define C_FRAME "#cbd5e1"
#define C_VMAS "#2563eb"
#define C_BAND "#93c5fd"
#define C_LIMIT "#111827"
#define C_THRESH "#9ca3af"
#define C_MAPPED "#7c3aed"
#define C_HEAP "#059669"
#define C_ALERT "#ea580c"
#define C_FAIL "#dc2626"
#define C_OOM "#7f1d1d"
#define C_EXIT "#64748b"

static const double thresholds[] = {0.80, 0.90, 0.95};

/* Estimated advance in DejaVu Sans (em per glyph, rounded up), for labels not to collide. */
static double text_w(const char *s, double size)
{
	double em = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xc0) == 0x80)
			continue; /* a UTF-8 continuation byte: counted with its lead byte */
		if (*p == ' ' || *p == '.' || *p == ',' || *p == ':' || *p == 'i' || *p == 'l' ||
		    *p == '(' || *p == ')' || *p == '/' || *p == '-' || *p >= 0x80)
			em += 0.36;
		else if (*p >= 'A' && *p <= 'Z')
			em += 0.72;
		else if ((*p >= '0' && *p <= '9') || *p == '%')
			em += *p == '%' ? 0.95 : 0.64;
		else if (*p == 'm' || *p == 'w')
			em += 0.98;
		else
			em += 0.6;
	}
	return em * size;
}

struct frame {
	double x0, w; /* plot area */
	double y0, h; /* chart area */
	uint64_t t0, t1;
	double vmax; /* value at the top */
};

static double fx(const struct frame *f, uint64_t t)
{
	if (t <= f->t0)
		return f->x0;
	if (t >= f->t1)
		return f->x0 + f->w;
	return f->x0 + f->w * (double)(t - f->t0) / (double)(f->t1 - f->t0);
}

static double fy(const struct frame *f, double v)
{
	if (v > f->vmax)
		v = f->vmax;
	return f->y0 + f->h - f->h * v / f->vmax;
}

/* A step of 1, 2, 2.5 or 5 times a power of ten with at most `max_ticks` intervals. */
static double nice_step(double top, int max_ticks)
{
	static const double mult[] = {1, 2, 2.5, 5};
	double p = 1;

	if (top <= 0)
		return 1;
	while (p * 10 <= top / max_ticks)
		p *= 10;
	while (p > top / max_ticks / 10 && p > 1e-9)
		p /= 10;
	for (;; p *= 10)
		for (size_t i = 0; i < sizeof(mult) / sizeof(mult[0]); i++)
			if (top / (mult[i] * p) <= max_ticks)
				return mult[i] * p;
}

/* "0", "500", "20K", "1.5M": VMA counts. */
static void fmt_count(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%gM", v / 1e6);
	else if (v >= 1e4 || (v >= 1e3 && fmod(v, 1e3) == 0))
		snprintf(buf, len, "%gK", v / 1e3);
	else
		snprintf(buf, len, "%g", v);
}

static const char *byte_units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

/* The unit that makes `top` at least 1 (and under 1024). */
static int byte_unit(double top)
{
	int u = 0;

	while (top >= 1024 && u < 5) {
		top /= 1024;
		u++;
	}
	return u;
}

static void fmt_bytes_in(char *buf, size_t len, double v, int unit)
{
	double x = v / pow(1024, unit);

	if (v == 0)
		snprintf(buf, len, "0");
	else if (fabs(x - round(x)) < 1e-9)
		snprintf(buf, len, "%.0f %s", x, byte_units[unit]);
	else
		snprintf(buf, len, "%.1f %s", x, byte_units[unit]);
}

static void fmt_bytes(char *buf, size_t len, double v)
{
	fmt_bytes_in(buf, len, v, byte_unit(v));
}

/*
 * Our own labels, UTF-8 punctuation included. Bytes from a process (comm) or a payload
 * reach them only through report_xml_text() or label_word(), which keep them ASCII.
 */
static void text(struct strbuf *sb, double x, double y, double size, const char *anchor,
		 const char *fill, const char *extra, const char *s)
{
	sb_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%g\" fill=\"%s\"", x, y, size, fill);
	if (anchor && strcmp(anchor, "start"))
		sb_printf(sb, " text-anchor=\"%s\"", anchor);
	if (extra)
		sb_printf(sb, " %s", extra);
	sb_putc(sb, '>');
	for (; *s; s++) {
		if (*s == '&')
			sb_puts(sb, "&amp;");
		else if (*s == '<')
			sb_puts(sb, "&lt;");
		else if (*s == '>')
			sb_puts(sb, "&gt;");
		else if ((unsigned char)*s >= 0x20)
			sb_putc(sb, *s);
	}
	sb_puts(sb, "</text>\n");
}

/* A word from a payload ("munmap", "ENOMEM", "cgroup") for a label: letters, digits, '_'. */
static void label_word(const char *json, const char *key, char *buf, size_t len)
{
	size_t o = 0;
	char raw[64];

	*buf = 0;
	if (!report_json_str(json, key, raw, sizeof(raw)))
		return;
	for (size_t i = 0; raw[i] && o + 1 < len; i++)
		if ((raw[i] >= 'a' && raw[i] <= 'z') || (raw[i] >= 'A' && raw[i] <= 'Z') ||
		    (raw[i] >= '0' && raw[i] <= '9') || raw[i] == '_')
			buf[o++] = raw[i];
	buf[o] = 0;
}

/* ---- which processes get a panel ---- */

static bool has_incident(const struct report_proc *p)
{
	return p->alerts || p->alloc_failures || p->ooms;
}

/*
 * With a filter, every process it picked (up to the cap). Without, the top ones by
 * peak VMA count; but a process with an incident (an OOM victim with few VMAs) is
 * what the reader came for, so those take the first places.
 */
static size_t pick_panels(const struct report *r, unsigned max, const struct report_proc **out)
{
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->nprocs && n < max; i++) {
			const struct report_proc *p = r->procs[i];
			bool inc = has_incident(p);

			if ((pass == 0) != inc)
				continue;
			if (!p->npts && !inc)
				continue;
			out[n++] = p;
		}
	}
	/* Back to the order of the report: by peak VMA count. */
	for (size_t i = 1; i < n; i++) {
		const struct report_proc *p = out[i];
		size_t j = i;

		while (j > 0 && (out[j - 1]->peak_vmas < p->peak_vmas ||
				 (out[j - 1]->peak_vmas == p->peak_vmas && out[j - 1] > p))) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = p;
	}
	return n;
}

/* ---- time axis ---- */

/* Seconds between time ticks: round steps of a clock and a calendar. */
static const unsigned time_steps[] = {1,     2,	    5,	   10,	  15,	  30,	 60,
				      120,   300,   600,   900,	  1800,	  3600,	 7200,
				      10800, 21600, 43200, 86400, 172800, 604800};

static void time_axis(struct strbuf *sb, const struct frame *f, double grid_top,
		      double grid_bottom2, double chart_a_bottom, double chart_b_top)
{
	double span = (double)(f->t1 - f->t0) / NS_PER_S;
	unsigned step = time_steps[sizeof(time_steps) / sizeof(time_steps[0]) - 1];
	double max_ticks = f->w / 80;
	time_t t0 = f->t0 / NS_PER_S;
	struct tm tm;
	long off;
	long long tick;
	char prev_day[16] = "";
	const char *fmt;
	double last_right = -1e9;

	for (size_t i = 0; i < sizeof(time_steps) / sizeof(time_steps[0]); i++) {
		if (span / time_steps[i] <= max_ticks) {
			step = time_steps[i];
			break;
		}
	}
	fmt = step < 60 ? "%H:%M:%S" : step < 86400 ? "%H:%M" : "%b %d";
	localtime_r(&t0, &tm);
	off = tm.tm_gmtoff;
	/* Ticks at round local times: 10:15, 10:30, not 10:13:27. */
	tick = ((long long)t0 + off + step - 1) / step * step - off;
	if ((uint64_t)tick * NS_PER_S < f->t0)
		tick += step;
	for (; (uint64_t)tick * NS_PER_S <= f->t1; tick += step) {
		uint64_t ns = (uint64_t)tick * NS_PER_S;
		double x = fx(f, ns);
		struct strbuf label, day;
		double w;

		sb_printf(sb, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fV%.1f\" stroke=\"%s\"/>\n", x,
			  grid_top, chart_a_bottom, x, chart_b_top, grid_bottom2, C_GRID);
		sb_init(&label);
		sb_init(&day);
		report_time(&label, ns, fmt);
		report_time(&day, ns, "%Y-%m-%d");
		w = text_w(label.buf, 11);
		if (x - w / 2 > last_right + 8) {
			text(sb, x, grid_bottom2 + 16, 11, "middle", C_TEXT, NULL, label.buf);
			/* The date under the first label and wherever the day changes. */
			if (step < 86400 && strcmp(prev_day, day.buf)) {
				text(sb, x, grid_bottom2 + 30, 10, "middle", C_MUTED, NULL,
				     day.buf);
				snprintf(prev_day, sizeof(prev_day), "%s", day.buf);
			}
			last_right = x + w / 2;
		}
		sb_free(&label);
		sb_free(&day);
	}
}

/* ---- value axes ---- */

enum axis_kind { AXIS_COUNT, AXIS_BYTES };

enum axis_side { AXIS_LEFT, AXIS_RIGHT };

/* Labels (and, on the left, grid lines); sets f->vmax to the top tick. */
static void value_axis(struct strbuf *sb, struct frame *f, double top, enum axis_kind kind,
		       enum axis_side side, const char *color, const char *title)
{
	int unit = 0;
	double step, scale = 1, tx;
	int n;

	if (kind == AXIS_BYTES) {
		unit = byte_unit(top);
		scale = pow(1024, unit);
	}
	step = nice_step(top / scale, 5);
	if (kind == AXIS_COUNT && step < 1)
		step = 1;
	n = (int)ceil(top / scale / step - 1e-9);
	if (n < 1)
		n = 1;
	f->vmax = n * step * scale;
	for (int i = 0; i <= n; i++) {
		double v = i * step * scale, y = fy(f, v);
		char buf[32];

		if (kind == AXIS_BYTES)
			fmt_bytes_in(buf, sizeof(buf), v, unit);
		else
			fmt_count(buf, sizeof(buf), v);
		if (i > 0 && side == AXIS_LEFT)
			sb_printf(sb, "<path d=\"M%.1f %.1fH%.1f\" stroke=\"%s\"/>\n", f->x0, y,
				  f->x0 + f->w, C_GRID);
		if (side == AXIS_LEFT)
			text(sb, f->x0 - 8, y + 4, 11, "end", color, NULL, buf);
		else
			text(sb, f->x0 + f->w + 8, y + 4, 11, "start", color, NULL, buf);
	}
	tx = side == AXIS_LEFT ? f->x0 - MARGIN_L + 14 : f->x0 + f->w + MARGIN_R - 14;
	sb_printf(sb,
		  "<text transform=\"translate(%.1f %.1f) rotate(%d)\" font-size=\"11\" "
		  "fill=\"%s\" text-anchor=\"middle\">%s</text>\n",
		  tx, f->y0 + f->h / 2, side == AXIS_LEFT ? -90 : 90, color, title);
}

/* ---- series ---- */

typedef double (*point_value)(const struct journal_tl *t);

static double v_vmas(const struct journal_tl *t)
{
	return t->vmas_last;
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

/*
 * A step line: a point is an interval in which something happened, and the value
 * holds until the next one. Points that fall in one pixel column share one step
 * (the column's last value), so that a day of points costs a few kilobytes.
 * start_x (if >= 0): the first value holds from there; end_x: where the last one ends.
 */
static void step_path(struct strbuf *sb, const struct frame *f, const struct report_proc *p,
		      point_value val, double start_x, double end_x, bool close_area)
{
	double cx = 0, drawn_y = 0, pending_y = 0, first_x = 0;

	for (size_t i = 0; i < p->npts; i++) {
		double x = floor(fx(f, p->pts[i].t_ns) * 2) / 2;
		double y = fy(f, val(&p->pts[i]));

		if (i == 0) {
			first_x = start_x >= 0 && start_x < x ? start_x : x;
			sb_printf(sb, "M%.1f %.1f", first_x, y);
			if (first_x < x)
				sb_printf(sb, "H%.1f", x);
			drawn_y = y;
		} else if (x != cx) {
			if (pending_y != drawn_y)
				sb_printf(sb, "V%.1f", pending_y);
			drawn_y = pending_y;
			sb_printf(sb, "H%.1f", x);
		}
		cx = x;
		pending_y = y;
	}
	if (!p->npts)
		return;
	if (pending_y != drawn_y)
		sb_printf(sb, "V%.1f", pending_y);
	if (end_x > cx)
		sb_printf(sb, "H%.1f", end_x);
	if (close_area)
		sb_printf(sb, "V%.1fH%.1fZ", f->y0 + f->h, first_x);
}

/* Spikes within an interval (vmas_min..vmas_max): a short vertical bar per pixel column. */
static void band_path(struct strbuf *sb, const struct frame *f, const struct report_proc *p)
{
	double cx = -1, lo = 0, hi = 0;

	for (size_t i = 0; i <= p->npts; i++) {
		double x = i < p->npts ? floor(fx(f, p->pts[i].t_ns)) + 0.5 : -2;

		if (x != cx && cx >= 0 && hi > lo + 0.5)
			sb_printf(sb, "M%.1f %.1fV%.1f", cx, fy(f, hi), fy(f, lo));
		if (i == p->npts)
			break;
		if (x != cx) {
			lo = p->pts[i].vmas_min;
			hi = p->pts[i].vmas_max;
		} else {
			lo = fmin(lo, p->pts[i].vmas_min);
			hi = fmax(hi, p->pts[i].vmas_max);
		}
		cx = x;
	}
}

/* ---- labels that must not overlap ---- */

struct label {
	double y;  /* wanted */
	double ly; /* placed */
	char text[40];
	const char *color;
	bool bold;
};

static int cmp_label_y(const void *a, const void *b)
{
	const struct label *x = a, *y = b;

	return x->y < y->y ? -1 : x->y > y->y;
}

/* Right-margin labels at their lines' heights, pushed apart to min_gap, kept in [top, bottom]. */
static void spread_labels(struct label *l, size_t n, double min_gap, double top, double bottom)
{
	qsort(l, n, sizeof(*l), cmp_label_y);
	for (size_t i = 0; i < n; i++) {
		l[i].ly = l[i].y;
		if (i && l[i].ly < l[i - 1].ly + min_gap)
			l[i].ly = l[i - 1].ly + min_gap;
	}
	if (n && l[n - 1].ly > bottom) {
		l[n - 1].ly = bottom;
		for (size_t i = n - 1; i-- > 0;)
			if (l[i].ly > l[i + 1].ly - min_gap)
				l[i].ly = l[i + 1].ly - min_gap;
	}
	for (size_t i = 0; i < n; i++)
		if (l[i].ly < top)
			l[i].ly = top;
}

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
	const double offset[3] = {-w / 2, -w + 4, -4};

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

struct marker_geom {
	double lane_bottom; /* glyphs sit here */
	double line_top, line_bottom;
	double gap_top, gap_bottom; /* the second chart's legend: lines stop there */
	double xmin, xmax;	    /* where labels may go */
};

static void marker_title(struct strbuf *sb, const struct report_event *ev)
{
	struct strbuf t;

	sb_init(&t);
	report_time(&t, ev->ts_ns, "%Y-%m-%d %H:%M:%S ");
	report_event_describe(&t, ev);
	sb_puts(sb, "<title>");
	report_xml_text(sb, t.buf ? t.buf : "", t.len);
	sb_puts(sb, "</title>");
	sb_free(&t);
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
	double w = text_w(s, 11) * (bold ? 1.08 : 1);
	int row = lane_place(ln, &x, w, g->xmin, g->xmax);

	if (row < 0)
		return;
	text(sb, x, g->lane_bottom - 14 - row * 14, 11, "middle", color,
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
	label_word(ev->json, "oom_type", type, sizeof(type));
	snprintf(label, sizeof(label), "OOM kill%s%s%s", *type ? " (" : "", type, *type ? ")" : "");
	lane_label(sb, ln, g, x, label, C_OOM, true);
}

static void alert_marker(struct strbuf *sb, struct lane *ln, const struct marker_geom *g,
			 const struct report_event *ev, double x)
{
	char label[48];

	sb_puts(sb, "<g>");
	marker_title(sb, ev);
	sb_printf(sb, "<path d=\"M%.1f %.1fl-5.5 -9h11z\" fill=\"%s\"/></g>\n", x, g->lane_bottom,
		  C_ALERT);
	if (ev->threshold > 0)
		snprintf(label, sizeof(label), "%g%%", ev->threshold);
	else
		label_word(ev->json, "kind", label, sizeof(label));
	lane_label(sb, ln, g, x, label, C_ALERT, true);
}

static void exit_marker(struct strbuf *sb, struct lane *ln, const struct marker_geom *g,
			const struct report_event *ev, double x)
{
	char label[48];
	double d;

	sb_puts(sb, "<g>");
	marker_title(sb, ev);
	sb_printf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"%s\"/></g>\n",
		  x - 3.5, g->lane_bottom - 8, C_EXIT);
	if (report_json_num(ev->json, "signal", &d) && d > 0)
		snprintf(label, sizeof(label), "exit (signal %.0f)", d);
	else if (report_json_num(ev->json, "exit_code", &d))
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
	double x0 = fx(f, r->events[i].ts_ns), xl = x0;
	struct strbuf ticks;
	bool same = true;
	size_t n = 0;

	sb_init(&ticks);
	label_word(r->events[i].json, "syscall", call, sizeof(call));
	label_word(r->events[i].json, "errno", err, sizeof(err));
	for (size_t j = i; j < r->nevents; j++) {
		const struct report_event *e = &r->events[j];
		double x;

		if (!marker_event(r, e, p) || e->kind != REV_FAILURE)
			continue;
		x = fx(f, e->ts_ns);
		if (x - xl >= BURST_PX)
			break;
		xl = x;
		label_word(e->json, "syscall", c2, sizeof(c2));
		label_word(e->json, "errno", e2, sizeof(e2));
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

static void draw_markers(struct strbuf *sb, const struct report *r, const struct report_proc *p,
			 const struct frame *f, const struct marker_geom *g)
{
	struct lane ln = {0};
	double burst_end = -1e9;

	/* Lines first, under the glyphs. */
	for (size_t i = 0; i < r->nevents; i++) {
		const struct report_event *ev = &r->events[i];
		double x;

		if (!marker_event(r, ev, p))
			continue;
		x = fx(f, ev->ts_ns);
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
			double x = fx(f, ev->ts_ns);

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

/* ---- legends ---- */

enum sample { S_LINE, S_DASH, S_DOT, S_AREA, S_TRI, S_TICK, S_DIAMOND, S_SQUARE };

static double legend_item(struct strbuf *sb, double x, double y, enum sample s, const char *color,
			  const char *label)
{
	switch (s) {
	case S_LINE:
		sb_printf(sb, "<path d=\"M%.1f %.1fh22\" stroke=\"%s\" stroke-width=\"2\"/>\n", x,
			  y - 4, color);
		break;
	case S_DASH:
		sb_printf(sb,
			  "<path d=\"M%.1f %.1fh22\" stroke=\"%s\" stroke-width=\"1.5\" "
			  "stroke-dasharray=\"6 3\"/>\n",
			  x, y - 4, color);
		break;
	case S_DOT:
		sb_printf(sb,
			  "<path d=\"M%.1f %.1fh22\" stroke=\"%s\" stroke-dasharray=\"3 3\"/>\n", x,
			  y - 4, color);
		break;
	case S_AREA:
		sb_printf(sb,
			  "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"8\" fill=\"%s\"/>\n",
			  x, y - 8, color);
		break;
	case S_TRI:
		sb_printf(sb, "<path d=\"M%.1f %.1fl-5.5 -9h11z\" fill=\"%s\"/>\n", x + 8, y,
			  color);
		break;
	case S_TICK:
		sb_printf(sb, "<path d=\"M%.1f %.1fv-10\" stroke=\"%s\" stroke-width=\"2\"/>\n",
			  x + 8, y, color);
		break;
	case S_DIAMOND:
		sb_printf(sb, "<path d=\"M%.1f %.1fl6 -6l-6 -6l-6 6z\" fill=\"%s\"/>\n", x + 8,
			  y + 1, color);
		break;
	case S_SQUARE:
		sb_printf(sb,
			  "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"%s\"/>\n",
			  x + 4.5, y - 8, color);
		break;
	}
	if (s == S_TRI || s == S_TICK || s == S_DIAMOND || s == S_SQUARE)
		x += 20;
	else
		x += 28;
	text(sb, x, y, 11, "start", C_TEXT, NULL, label);
	return x + text_w(label, 11) + 18;
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
		if (level == 0) {
			fmt_bytes(buf, sizeof(buf), p->heap_hwm);
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
	report_xml_text(sb, p->comm, sizeof(p->comm));
	sb_printf(sb, "</tspan><tspan dx=\"8\" fill=\"%s\" font-size=\"12.5\">%s</tspan></text>\n",
		  C_MUTED, pid);
	/* comm may grow 4x when escaped: measure the worst case */
	used = x + text_w(p->comm, 15) * 1.1 + 8 + text_w(pid, 12.5) + 24;

	sb_init(&t);
	for (int level = 0; level < 3; level++) {
		sb_reset(&t);
		heading_summary(&t, p, level);
		if (t.buf && right - text_w(t.buf, 12) >= used) {
			text(sb, right, y, 12, "end", C_MUTED, NULL, t.buf);
			break;
		}
	}
	sb_free(&t);
}

static double panel(struct strbuf *sb, const struct report *r, const struct report_proc *p,
		    uint64_t t0, uint64_t t1, double width, double y)
{
	struct frame fa = {
	    .x0 = MARGIN_L, .w = width - MARGIN_L - MARGIN_R, .t0 = t0, .t1 = t1, .vmax = 1};
	struct frame fb, fh;
	struct marker_geom g;
	bool heap_axis;
	double heap_top;
	struct label labels[4 + 1];
	size_t nlabels = 0;
	double lx, peak = p->peak_vmas, top, end_x, bytes_top;
	uint32_t limit = 0;
	bool limit_shown = false;

	proc_heading(sb, p, MARGIN_L, y + 20, fa.x0 + fa.w);
	lx = legend_item(sb, MARGIN_L, y + 40, S_LINE, C_VMAS, "VMA count");
	lx = legend_item(sb, lx, y + 40, S_AREA, C_BAND, "min\xe2\x80\x93max within an interval");

	for (size_t i = 0; i < p->npts; i++)
		if (p->pts[i].max_map_count > limit)
			limit = p->pts[i].max_map_count;
	if (!limit)
		limit = r->max_map_count;
	/* Far below the limit, drawing it would flatten the line that matters. */
	limit_shown = limit && peak >= 0.4 * limit;
	top = limit_shown ? fmax(peak, limit) * 1.04 : fmax(peak * 1.1, 10);
	if (limit_shown) {
		lx = legend_item(sb, lx, y + 40, S_DASH, C_LIMIT, "vm.max_map_count");
		lx = legend_item(sb, lx, y + 40, S_DOT, C_THRESH, "80 / 90 / 95 %");
	} else if (limit && p->npts) {
		struct strbuf t;

		sb_init(&t);
		sb_puts(&t, "vm.max_map_count ");
		report_thousands(&t, limit);
		sb_puts(&t, " is off this scale");
		if (lx + text_w(t.buf, 11) < width - 8)
			text(sb, lx, y + 40, 11, "start", C_MUTED, "font-style=\"italic\"", t.buf);
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
		value_axis(sb, &fa, top, AXIS_COUNT, AXIS_LEFT, C_MUTED, "VMAs");
	heap_top = fmax(p->heap_hwm, p->heap_peak);
	/*
	 * A heap of 500 MiB next to 8 GiB of mappings would be a flat line at the bottom,
	 * and how it grew and never shrank is what this chart is for: give it its own scale.
	 */
	heap_axis = heap_top > 0 && heap_top < 0.25 * p->mapped_peak;
	bytes_top = fmax(p->mapped_peak, heap_axis ? 0 : heap_top) * 1.08;
	if (p->npts)
		value_axis(sb, &fb, bytes_top > 1024 ? bytes_top : 1024, AXIS_BYTES, AXIS_LEFT,
			   heap_axis ? C_MAPPED : C_MUTED, heap_axis ? "mapped" : "bytes");
	fh = fb;
	if (heap_axis && p->npts)
		value_axis(sb, &fh, heap_top * 1.08 > 1024 ? heap_top * 1.08 : 1024, AXIS_BYTES,
			   AXIS_RIGHT, C_HEAP, "heap");
	time_axis(sb, &fa, fa.y0, fb.y0 + fb.h, fa.y0 + fa.h, fb.y0);

	end_x = fx(&fa, p->last_ns);
	if (!p->npts) {
		text(sb, fa.x0 + fa.w / 2, fa.y0 + fa.h / 2, 12, "middle", C_MUTED, NULL,
		     "no timeline points in the journal for this process");
	}

	/* Limit and thresholds across the whole width: they hold before and after the points. */
	if (limit_shown) {
		for (size_t k = 0; k < 3; k++) {
			double v = thresholds[k] * limit, yy = fy(&fa, v);

			sb_printf(sb,
				  "<path d=\"M%.1f %.1fH%.1f\" stroke=\"%s\" "
				  "stroke-dasharray=\"3 3\"/>\n",
				  fa.x0, yy, fa.x0 + fa.w, C_THRESH);
			labels[nlabels].y = yy;
			snprintf(labels[nlabels].text, sizeof(labels[0].text), "%.0f%%",
				 thresholds[k] * 100);
			labels[nlabels].color = C_MUTED;
			labels[nlabels++].bold = false;
		}
		if (p->npts) {
			/* vm.max_map_count can be raised while a process runs: a step line. */
			sb_puts(sb, "<path d=\"");
			step_path(sb, &fa, p, v_limit, fa.x0, fa.x0 + fa.w, false);
			sb_printf(sb,
				  "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
				  "stroke-dasharray=\"7 4\"/>\n",
				  C_LIMIT);
		} else {
			sb_printf(sb,
				  "<path d=\"M%.1f %.1fH%.1f\" stroke=\"%s\" stroke-width=\"1.5\" "
				  "stroke-dasharray=\"7 4\"/>\n",
				  fa.x0, fy(&fa, limit), fa.x0 + fa.w, C_LIMIT);
		}
		labels[nlabels].y = fy(&fa, p->npts ? p->pts[p->npts - 1].max_map_count : limit);
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
		spread_labels(labels, nlabels, 13, fa.y0 + 4, fa.y0 + fa.h - 4);
		for (size_t k = 0; k < nlabels; k++) {
			double x = fa.x0 + fa.w;

			sb_printf(sb, "<path d=\"M%.1f %.1fL%.1f %.1f\" stroke=\"%s\"/>\n", x,
				  labels[k].y, x + 6, labels[k].ly, C_THRESH);
			text(sb, x + 9, labels[k].ly + 4, 11, "start", labels[k].color,
			     labels[k].bold ? "font-weight=\"bold\"" : NULL, labels[k].text);
		}
	}

	if (p->npts) {
		sb_puts(sb, "<path d=\"");
		step_path(sb, &fa, p, v_vmas, -1, end_x, true);
		sb_printf(sb, "\" fill=\"%s\" fill-opacity=\"0.08\"/>\n", C_VMAS);
		sb_puts(sb, "<path d=\"");
		band_path(sb, &fa, p);
		sb_printf(sb, "\" stroke=\"%s\" stroke-width=\"2\" fill=\"none\"/>\n", C_BAND);
		sb_puts(sb, "<path d=\"");
		step_path(sb, &fa, p, v_vmas, -1, end_x, false);
		sb_printf(sb,
			  "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
			  "stroke-linejoin=\"round\"/>\n",
			  C_VMAS);

		sb_puts(sb, "<path d=\"");
		step_path(sb, &fh, p, v_hwm, -1, end_x, false);
		sb_printf(sb,
			  "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\" "
			  "stroke-dasharray=\"5 3\"/>\n",
			  C_HEAP);
		sb_puts(sb, "<path d=\"");
		step_path(sb, &fh, p, v_heap, -1, end_x, false);
		sb_printf(sb, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", C_HEAP);
		sb_puts(sb, "<path d=\"");
		step_path(sb, &fb, p, v_mapped, -1, end_x, false);
		sb_printf(sb, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", C_MAPPED);
	}

	lx = legend_item(sb, MARGIN_L, fa.y0 + fa.h + GAP_AB - 10, S_LINE, C_MAPPED,
			 heap_axis ? "mapped bytes (left scale)" : "mapped bytes");
	lx = legend_item(sb, lx, fa.y0 + fa.h + GAP_AB - 10, S_LINE, C_HEAP,
			 heap_axis ? "heap (brk, right scale)" : "heap (brk)");
	legend_item(sb, lx, fa.y0 + fa.h + GAP_AB - 10, S_DASH, C_HEAP, "heap high-water mark");

	g.lane_bottom = fa.y0 - 3;
	g.line_top = fa.y0 - 3;
	g.line_bottom = fb.y0 + fb.h;
	g.gap_top = fa.y0 + fa.h;
	g.gap_bottom = fb.y0;
	g.xmin = 4;
	g.xmax = width - 4;
	draw_markers(sb, r, p, &fa, &g);
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
	if (MARGIN_L + text_w(title, 19) > width - 10)
		title = "vmatrace report";
	text(sb, MARGIN_L, 30, 19, "start", C_TEXT, "font-weight=\"bold\"", title);
	sb_init(&t);
	report_time(&t, t0, "%Y-%m-%d %H:%M");
	sb_puts(&t, " \xe2\x80\x93 ");
	report_time(&t, t1,
		    t0 / NS_PER_S / 86400 == t1 / NS_PER_S / 86400 ? "%H:%M %Z"
								   : "%Y-%m-%d %H:%M %Z");
	sb_printf(&t,
		  " \xc2\xb7 %zu of %zu process%s \xc2\xb7 %u alert%s \xc2\xb7 %u failed call%s "
		  "\xc2\xb7 %u OOM kill%s",
		  shown, r->nprocs, r->nprocs == 1 ? "" : "es", alerts, alerts == 1 ? "" : "s",
		  fails, fails == 1 ? "" : "s", ooms, ooms == 1 ? "" : "s");
	text(sb, MARGIN_L, 52, 12.5, "start", C_MUTED, NULL, t.buf ? t.buf : "");
	sb_free(&t);
	y = 76;
	lx = legend_item(sb, MARGIN_L, y, S_TRI, C_ALERT, "VMA-count alert");
	lx = legend_item(sb, lx, y, S_TICK, C_FAIL, "failed mmap/munmap/brk...");
	lx = legend_item(sb, lx, y, S_DIAMOND, C_OOM, "OOM kill");
	lx = legend_item(sb, lx, y, S_SQUARE, C_EXIT, "process exit");
	if (r->rs.damaged_blocks) {
		sb_init(&t);
		sb_printf(&t, "%llu damaged journal block%s skipped: data missing",
			  (unsigned long long)r->rs.damaged_blocks,
			  r->rs.damaged_blocks == 1 ? "" : "s");
		text(sb, width - MARGIN_R + 100, y, 11.5, "end", C_FAIL, "font-weight=\"bold\"",
		     t.buf);
		sb_free(&t);
	}
	(void)lx;
}

void report_svg(const struct report *r, const struct report_svg_opts *o, struct strbuf *sb)
{
	unsigned max = o && o->max_panels ? o->max_panels : 10;
	double width = o && o->width ? o->width : 1000, height, y;
	const struct report_proc **sel;
	uint64_t t0 = 0, t1 = 0;
	size_t n;

	if (width < 480)
		width = 480;
	sel = calloc(max ? max : 1, sizeof(*sel));
	n = sel ? pick_panels(r, max, sel) : 0;
	for (size_t i = 0; i < n; i++) {
		if (!t0 || sel[i]->first_ns < t0)
			t0 = sel[i]->first_ns;
		if (sel[i]->last_ns > t1)
			t1 = sel[i]->last_ns;
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
		text(sb, width / 2, y + 30, 13, "middle", C_MUTED, NULL,
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
			    "happened; a value holds until the next point");
		text(sb, MARGIN_L, height - 12, 10.5, "start", C_MUTED, NULL, t.buf);
		sb_free(&t);
	}
	sb_puts(sb, "</svg>\n");
	free(sel);
}
