// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The report as CSV (RFC 4180, CRLF line ends, text cells quoted): the timeline
 * points of the shown processes (each row's values hold until its "until": the next point,
 * or the end of the series), or the incidents, one row each.
 */
#include <string.h>

#include "jsonr.h"
#include "report_util.h"
#include "untrusted.h"

#define NS_PER_S REPORT_NS_PER_S

/*
 * A cell in double quotes; ut_append doubles the quotes and escapes what is not text. A cell
 * that starts like a formula (=, +, -, @) gets a leading ' so that a spreadsheet shows it as
 * text instead of evaluating it (a process may name itself "=cmd|' /c calc'!A1").
 */
static void csv_field(struct strbuf *sb, const char *s, size_t n)
{
	sb_putc(sb, '"');
	if (n && s[0] && strchr("=+-@", s[0]))
		sb_putc(sb, '\'');
	ut_append(sb, s, n, UT_CSV);
	sb_putc(sb, '"');
}

static void csv_ts(struct strbuf *sb, uint64_t ns)
{
	sb_printf(sb, "%llu.%06llu", (unsigned long long)(ns / NS_PER_S),
		  (unsigned long long)(ns % NS_PER_S / 1000));
}

void report_csv(const struct report *r, struct strbuf *sb)
{
	sb_puts(sb, "ts,pid,comm,vmas_min,vmas_max,vmas,max_map_count,mapped,heap,heap_hwm,calls,"
		    "failures,until,mapped_max,heap_max\r\n");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct report_proc *p = r->procs[i];

		if (!p->shown)
			continue;
		for (size_t k = 0; k < p->npts; k++) {
			const struct journal_tl *t = &p->pts[k];
			uint64_t until = report_point_until(p, k);

			csv_ts(sb, t->t_ns);
			sb_printf(sb, ",%u,", p->pid);
			csv_field(sb, p->comm, sizeof(p->comm));
			sb_printf(sb, ",%u,%u,%u,%u,%llu,%llu,%llu,%u,%u,%llu.%06llu,%llu,%llu\r\n",
				  t->vmas_min, t->vmas_max, t->vmas_last, t->max_map_count,
				  (unsigned long long)t->mapped, (unsigned long long)t->heap,
				  (unsigned long long)t->heap_hwm, t->calls, t->failures,
				  (unsigned long long)(until / NS_PER_S),
				  (unsigned long long)(until % NS_PER_S / 1000),
				  (unsigned long long)t->mapped_max,
				  (unsigned long long)t->heap_max);
		}
	}
}

/* A numeric member as a cell; empty when the payload has none. */
static void num_cell(struct strbuf *sb, const json_t *o, const char *key)
{
	double d;

	sb_putc(sb, ',');
	if (jr_num(o, key, &d))
		sb_printf(sb, "%.15g", d);
}

static void str_cell(struct strbuf *sb, const json_t *o, const char *key)
{
	const char *s = jr_str(o, key);

	sb_putc(sb, ',');
	if (s)
		csv_field(sb, s, strlen(s));
}

static const char *kind_word(enum report_ev_kind k)
{
	return k == REV_OOM ? "oom_kill" : k == REV_FAILURE ? "failure" : "alert";
}

void report_csv_incidents(const struct report *r, struct strbuf *sb)
{
	sb_puts(sb, "ts,pid,comm,kind,name,threshold,vmas,max_map_count,syscall,errno,"
		    "description\r\n");
	for (size_t i = 0; i < r->nevents; i++) {
		const struct report_event *ev = &r->events[i];

		/* One row per incident: an alert that a record with its context repeats is one. */
		if (ev->kind == REV_OTHER || ev->duplicate)
			continue;
		csv_ts(sb, ev->ts_ns);
		sb_printf(sb, ",%u,", ev->pid);
		csv_field(sb, ev->comm, sizeof(ev->comm));
		sb_printf(sb, ",%s,", kind_word(ev->kind));
		csv_field(sb, ev->name, sizeof(ev->name));
		sb_putc(sb, ',');
		if (ev->threshold > 0)
			sb_printf(sb, "%g", ev->threshold);
		num_cell(sb, ev->data, "vmas");
		num_cell(sb, ev->data, "limit");
		str_cell(sb, ev->data, "syscall");
		str_cell(sb, ev->data, "errno");
		/* The payload's strings escaped for a cell; our own words have no quote. */
		sb_puts(sb, ",\"");
		report_event_describe(sb, ev, UT_CSV);
		sb_puts(sb, "\"\r\n");
	}
}
