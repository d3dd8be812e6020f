/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The report's SVG charts, inside the report (report_svg.c: the document and
 * its panels; report_svg_draw.c: text, axes, series, legends;
 * report_svg_markers.c: the incidents on a panel). Not a public interface.
 *
 * Every text that reaches the SVG goes through svg_text() or ut_append(UT_HTML).
 */
#ifndef VMATRACE_REPORT_SVG_H
#define VMATRACE_REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"
#include "strbuf.h"

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

/* A chart: where it is drawn and what it shows. */
struct frame {
	double x0, w; /* plot area */
	double y0, h; /* chart area */
	uint64_t t0, t1;
	double vmax; /* value at the top */
};

double svg_fx(const struct frame *f, uint64_t t);
double svg_fy(const struct frame *f, double v);

/* Estimated width of s at a font size, for labels not to collide. */
double svg_text_w(const char *s, double size);
/* A <text> element; s is escaped (ut_append UT_HTML); extra: more attributes, or NULL. */
void svg_text(struct strbuf *sb, double x, double y, double size, const char *anchor,
	      const char *fill, const char *extra, const char *s);
/* A word from a payload string member ("munmap", "ENOMEM") for a label: [A-Za-z0-9_] only. */
void svg_label_word(const json_t *data, const char *key, char *buf, size_t len);
/* "0", "512 KiB", "1.5 GiB" */
void svg_fmt_bytes(char *buf, size_t len, double v);

void svg_time_axis(struct strbuf *sb, const struct frame *f, double grid_top, double grid_bottom2,
		   double chart_a_bottom, double chart_b_top);
enum axis_kind { AXIS_COUNT, AXIS_BYTES };
enum axis_side { AXIS_LEFT, AXIS_RIGHT };
/* Labels (and, on the left, grid lines); sets f->vmax to the top tick. */
void svg_value_axis(struct strbuf *sb, struct frame *f, double top, enum axis_kind kind,
		    enum axis_side side, const char *color, const char *title);

typedef double (*point_value)(const struct journal_tl *t);
/* The path data of a step line of val (see report_svg_draw.c). */
void svg_step_path(struct strbuf *sb, const struct frame *f, const struct report_proc *p,
		   point_value val, double start_x, double end_x, bool close_area);
/* Spikes within an interval (from lo to hi of each point): path data. */
void svg_band_path(struct strbuf *sb, const struct frame *f, const struct report_proc *p,
		   point_value lo, point_value hi);

/* A label in the right margin. */
struct label {
	double y;  /* wanted */
	double ly; /* placed */
	char text[40];
	const char *color;
	bool bold;
};
/* Right-margin labels at their lines' heights, pushed apart to min_gap, kept in [top, bottom]. */
void svg_spread_labels(struct label *l, size_t n, double min_gap, double top, double bottom);

enum sample { S_LINE, S_DASH, S_DOT, S_AREA, S_TRI, S_TICK, S_DIAMOND, S_SQUARE };
/* A sample and its label at x; returns where the next item goes. */
double svg_legend_item(struct strbuf *sb, double x, double y, enum sample s, const char *color,
		       const char *label);

/* Where a panel's incident markers go. */
struct marker_geom {
	double lane_bottom; /* glyphs sit here */
	double line_top, line_bottom;
	double gap_top, gap_bottom; /* the second chart's legend: lines stop there */
	double xmin, xmax;	    /* where labels may go */
};
/* The incidents and exits of process p on a panel. */
void svg_draw_markers(struct strbuf *sb, const struct report *r, const struct report_proc *p,
		      const struct frame *f, const struct marker_geom *g);

#endif
