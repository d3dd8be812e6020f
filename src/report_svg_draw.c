// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Drawing the report's SVG charts (include/report_svg.h): text and its
 * estimated width, the time and value axes, step lines, legends.
 *
 * Text widths are estimated (no font metrics here), with room to spare, to
 * keep labels from running into each other.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report_svg.h"
#include "report_util.h"
#include "untrusted.h"

#define NS_PER_S REPORT_NS_PER_S

/* Estimated advance in DejaVu Sans (em per glyph, rounded up), for labels not to collide. */
double svg_text_w(const char *s, double size)
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

double svg_fx(const struct frame *f, uint64_t t)
{
	if (t <= f->t0)
		return f->x0;
	if (t >= f->t1)
		return f->x0 + f->w;
	return f->x0 + f->w * (double)(t - f->t0) / (double)(f->t1 - f->t0);
}

double svg_fy(const struct frame *f, double v)
{
	if (v > f->vmax)
		v = f->vmax;
	return f->y0 + f->h - f->h * v / f->vmax;
}

/* A step of 1, 2, 2.5 or 5 times a power of ten with at most `max_ticks` intervals. */
static double nice_step(double top, int max_ticks)
{
	static const double mult[] = { 1, 2, 2.5, 5 };
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

static const char *byte_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

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

void svg_fmt_bytes(char *buf, size_t len, double v)
{
	fmt_bytes_in(buf, len, v, byte_unit(v));
}

/* Our labels and any text: escaped for XML under the untrusted-text policy. */
void svg_text(struct strbuf *sb, double x, double y, double size, const char *anchor,
	      const char *fill, const char *extra, const char *s)
{
	sb_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%g\" fill=\"%s\"", x, y, size, fill);
	if (anchor && strcmp(anchor, "start"))
		sb_printf(sb, " text-anchor=\"%s\"", anchor);
	if (extra)
		sb_printf(sb, " %s", extra);
	sb_putc(sb, '>');
	ut_append(sb, s, strlen(s), UT_HTML);
	sb_puts(sb, "</text>\n");
}

/* A word from a payload ("munmap", "ENOMEM", "cgroup") for a label: letters, digits, '_'. */
void svg_label_word(const json_t *data, const char *key, char *buf, size_t len)
{
	const char *raw = jr_str(data, key);
	size_t o = 0;

	*buf = 0;
	if (!raw)
		return;
	for (size_t i = 0; raw[i] && o + 1 < len; i++)
		if ((raw[i] >= 'a' && raw[i] <= 'z') || (raw[i] >= 'A' && raw[i] <= 'Z') ||
		    (raw[i] >= '0' && raw[i] <= '9') || raw[i] == '_')
			buf[o++] = raw[i];
	buf[o] = 0;
}

/* ---- time axis ---- */

/* Seconds between time ticks: round steps of a clock and a calendar. */
static const unsigned time_steps[] = { 1,     2,     5,	    10,	   15,	   30,	  60,
				       120,   300,   600,   900,   1800,   3600,  7200,
				       10800, 21600, 43200, 86400, 172800, 604800 };

void svg_time_axis(struct strbuf *sb, const struct frame *f, double grid_top, double grid_bottom2,
		   double chart_a_bottom, double chart_b_top)
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
		double x = svg_fx(f, ns);
		struct strbuf label, day;
		double w;

		sb_printf(sb, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fV%.1f\" stroke=\"%s\"/>\n", x,
			  grid_top, chart_a_bottom, x, chart_b_top, grid_bottom2, C_GRID);
		sb_init(&label);
		sb_init(&day);
		report_time(&label, ns, fmt);
		report_time(&day, ns, "%Y-%m-%d");
		w = svg_text_w(label.buf, 11);
		if (x - w / 2 > last_right + 8) {
			svg_text(sb, x, grid_bottom2 + 16, 11, "middle", C_TEXT, NULL, label.buf);
			/* The date under the first label and wherever the day changes. */
			if (step < 86400 && strcmp(prev_day, day.buf)) {
				svg_text(sb, x, grid_bottom2 + 30, 10, "middle", C_MUTED, NULL,
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

/* Labels (and, on the left, grid lines); sets f->vmax to the top tick. */
void svg_value_axis(struct strbuf *sb, struct frame *f, double top, enum axis_kind kind,
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
		double v = i * step * scale, y = svg_fy(f, v);
		char buf[32];

		if (kind == AXIS_BYTES)
			fmt_bytes_in(buf, sizeof(buf), v, unit);
		else
			fmt_count(buf, sizeof(buf), v);
		if (i > 0 && side == AXIS_LEFT)
			sb_printf(sb, "<path d=\"M%.1f %.1fH%.1f\" stroke=\"%s\"/>\n", f->x0, y,
				  f->x0 + f->w, C_GRID);
		if (side == AXIS_LEFT)
			svg_text(sb, f->x0 - 8, y + 4, 11, "end", color, NULL, buf);
		else
			svg_text(sb, f->x0 + f->w + 8, y + 4, 11, "start", color, NULL, buf);
	}
	tx = side == AXIS_LEFT ? f->x0 - MARGIN_L + 14 : f->x0 + f->w + MARGIN_R - 14;
	sb_printf(sb,
		  "<text transform=\"translate(%.1f %.1f) rotate(%d)\" font-size=\"11\" "
		  "fill=\"%s\" text-anchor=\"middle\">%s</text>\n",
		  tx, f->y0 + f->h / 2, side == AXIS_LEFT ? -90 : 90, color, title);
}

/* ---- series ---- */

/*
 * A step line: a point is an interval in which something happened, and the value
 * holds until the next one. Points that fall in one pixel column share one step
 * (the column's last value), so that a day of points costs a few kilobytes.
 * start_x (if >= 0): the first value holds from there; end_x: where the last one ends.
 */
void svg_step_path(struct strbuf *sb, const struct frame *f, const struct report_proc *p,
		   point_value val, double start_x, double end_x, bool close_area)
{
	double cx = 0, drawn_y = 0, pending_y = 0, first_x = 0;

	for (size_t i = 0; i < p->npts; i++) {
		double x = floor(svg_fx(f, p->pts[i].t_ns) * 2) / 2;
		double y = svg_fy(f, val(&p->pts[i]));

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

/* Spikes within an interval (lo..hi of each point): a short vertical bar per pixel column. */
void svg_band_path(struct strbuf *sb, const struct frame *f, const struct report_proc *p,
		   point_value lo_val, point_value hi_val)
{
	double cx = -1, lo = 0, hi = 0;

	for (size_t i = 0; i <= p->npts; i++) {
		double x = i < p->npts ? floor(svg_fx(f, p->pts[i].t_ns)) + 0.5 : -2;

		if (x != cx && cx >= 0 && svg_fy(f, lo) > svg_fy(f, hi) + 0.5)
			sb_printf(sb, "M%.1f %.1fV%.1f", cx, svg_fy(f, hi), svg_fy(f, lo));
		if (i == p->npts)
			break;
		if (x != cx) {
			lo = lo_val(&p->pts[i]);
			hi = hi_val(&p->pts[i]);
		} else {
			lo = fmin(lo, lo_val(&p->pts[i]));
			hi = fmax(hi, hi_val(&p->pts[i]));
		}
		cx = x;
	}
}

/* ---- labels that must not overlap ---- */

static int cmp_label_y(const void *a, const void *b)
{
	const struct label *x = a, *y = b;

	return x->y < y->y ? -1 : x->y > y->y;
}

/* Right-margin labels at their lines' heights, pushed apart to min_gap, kept in [top, bottom]. */
void svg_spread_labels(struct label *l, size_t n, double min_gap, double top, double bottom)
{
	if (n > 1)
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

/* ---- legends ---- */

double svg_legend_item(struct strbuf *sb, double x, double y, enum sample s, const char *color,
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
	svg_text(sb, x, y, 11, "start", C_TEXT, NULL, label);
	return x + svg_text_w(label, 11) + 18;
}
