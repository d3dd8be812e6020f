// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The report as text for a terminal: a summary, the incidents, the processes. */
#include <stdio.h>
#include <string.h>

#include "report_util.h"

#define NS_PER_S REPORT_NS_PER_S

/* Spaces up to `width` columns after start (at least one): a comm escaped long stays readable. */
static void pad_to(struct strbuf *sb, size_t start, size_t width)
{
	do
		sb_putc(sb, ' ');
	while (sb->len - start < width && !sb->oom);
}

static void text_bytes(struct strbuf *sb, unsigned long long v, int width)
{
	struct strbuf t;

	sb_init(&t);
	sb_size(&t, v);
	sb_printf(sb, "%*s", width, t.buf ? t.buf : "");
	sb_free(&t);
}

static void text_range(struct strbuf *sb, const struct report *r)
{
	const char *fmt = "%Y-%m-%d %H:%M:%S";

	sb_puts(sb, "range:     ");
	if (r->filter.since_ns || r->filter.until_ns) {
		sb_puts(sb, "requested ");
		if (r->filter.since_ns)
			report_time(sb, r->filter.since_ns, fmt);
		else
			sb_puts(sb, "(start)");
		sb_puts(sb, " .. ");
		if (r->filter.until_ns)
			report_time(sb, r->filter.until_ns, fmt);
		else
			sb_puts(sb, "(end)");
		sb_puts(sb, "; ");
	}
	if (r->first_ns) {
		sb_puts(sb, "records from ");
		report_time(sb, r->first_ns, fmt);
		sb_puts(sb, " to ");
		report_time(sb, r->last_ns, "%Y-%m-%d %H:%M:%S %Z");
	} else {
		sb_puts(sb, "no records");
	}
	sb_putc(sb, '\n');
}

void report_text(const struct report *r, struct strbuf *sb)
{
	const struct journal_reader_stats *rs = &r->rs;
	size_t shown = 0;
	bool containers;

	sb_puts(sb, "vmatrace report\n");
	sb_puts(sb, "journal:   ");
	sb_printable(sb, r->filter.dir, 4096);
	sb_printf(sb, " (%llu segment%s, %llu block%s, %llu records)\n",
		  (unsigned long long)rs->segments, rs->segments == 1 ? "" : "s",
		  (unsigned long long)rs->blocks, rs->blocks == 1 ? "" : "s",
		  (unsigned long long)rs->records);
	if (r->filter.pid || r->filter.comm || r->filter.container) {
		sb_puts(sb, "filter:   ");
		if (r->filter.pid)
			sb_printf(sb, " pid %u", r->filter.pid);
		if (r->filter.comm) {
			sb_puts(sb, " comm ");
			sb_printable(sb, r->filter.comm, 64);
		}
		if (r->filter.container) {
			sb_puts(sb, " container ");
			sb_printable(sb, r->filter.container, 256);
		}
		sb_putc(sb, '\n');
	}
	text_range(sb, r);
	sb_printf(
		sb,
		"matched:   %llu records: %llu timeline points of %zu processes, %llu incidents\n",
		(unsigned long long)r->matched, (unsigned long long)r->points, r->nprocs,
		(unsigned long long)r->incidents);
	sb_printf(sb, "daemon:    %u starts, %u stops", r->daemon_starts, r->daemon_stops);
	if (r->max_map_count)
		sb_printf(sb, ", vm.max_map_count %u", r->max_map_count);
	sb_printf(sb, ", %llu ring-buffer records lost, %llu resyncs\n",
		  (unsigned long long)r->drops, (unsigned long long)r->resyncs);
	if (r->alerts_suppressed)
		sb_printf(sb, "storms:    %llu alerts suppressed (alert_user_limit, alert_limit)\n",
			  (unsigned long long)r->alerts_suppressed);
	if (r->retention_segments) {
		sb_printf(sb, "retention: %llu segments (",
			  (unsigned long long)r->retention_segments);
		sb_size(sb, r->retention_bytes);
		sb_puts(sb, ") of older history deleted\n");
	}
	if (r->gaps)
		sb_printf(sb,
			  "WARNING:   %llu gap%s in the history (the daemon could not write its "
			  "journal): %.0f s without history, %llu records lost\n",
			  (unsigned long long)r->gaps, r->gaps == 1 ? "" : "s", r->gap_ns / 1e9,
			  (unsigned long long)r->gap_records_lost);
	report_journal_warnings(sb, rs, "WARNING:   ", "\n");
	if (rs->torn_tails)
		sb_printf(sb,
			  "note:      the journal ends inside a block (daemon still writing, or "
			  "crashed) in %llu segment%s\n",
			  (unsigned long long)rs->torn_tails, rs->torn_tails == 1 ? "" : "s");
	if (r->bad_payloads)
		sb_printf(sb, "WARNING:   %llu records with a malformed payload\n",
			  (unsigned long long)r->bad_payloads);

	sb_printf(sb, "\nIncidents (%llu)\n", (unsigned long long)r->incidents);
	if (r->incidents)
		sb_printf(sb, "%-23s %7s  %-16s %s\n", "TIME", "PID", "COMM", "EVENT");
	for (size_t i = 0; i < r->nevents; i++) {
		const struct report_event *ev = &r->events[i];
		size_t start = sb->len;

		if (ev->kind == REV_OTHER || ev->duplicate)
			continue;
		report_time(sb, ev->ts_ns, "%Y-%m-%d %H:%M:%S");
		sb_printf(sb, ".%03llu %7u  ", (unsigned long long)(ev->ts_ns % NS_PER_S / 1000000),
			  ev->pid);
		start = sb->len;
		sb_printable(sb, ev->comm, sizeof(ev->comm));
		pad_to(sb, start, 17);
		report_event_describe(sb, ev, UT_TEXT);
		sb_putc(sb, '\n');
		report_event_grew(sb, ev, UT_TEXT, "                          ");
		if (r->show_sites)
			report_event_sites(sb, ev, UT_TEXT, "                          site ");
		shown++;
	}
	if (!shown)
		sb_puts(sb, "  none\n");
	report_failed_calls(sb, r, UT_TEXT);

	if (r->nshown == r->nprocs) {
		sb_printf(sb, "\nProcesses (%zu, by peak VMA count)\n", r->nprocs);
	} else {
		sb_puts(sb, "\nProcesses (");
		report_thousands(sb, r->nshown);
		sb_puts(sb, " of ");
		report_thousands(sb, r->nprocs);
		sb_puts(sb, ", by peak VMA count)\n");
		report_selection_text(sb, r);
		sb_putc(sb, '\n');
	}
	if (!r->nshown)
		return;
	containers = report_any_container(r);
	sb_printf(sb, "%7s  %-16s ", "PID", "COMM");
	if (containers)
		sb_printf(sb, "%-24s ", "CONTAINER");
	sb_printf(sb, "%9s %7s  %-14s  %-14s %10s %10s %10s %10s %6s %4s\n", "PEAK VMAS", "LIMIT%",
		  "FIRST", "LAST", "MAPPED MAX", "HEAP GROW", "HEAP HWM", "CALLS", "FAILED", "INC");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct report_proc *p = r->procs[i];
		size_t start;
		long long grow = 0;

		if (!p->shown)
			continue;
		sb_printf(sb, "%7u  ", p->pid);
		start = sb->len;
		sb_printable(sb, p->comm, sizeof(p->comm));
		pad_to(sb, start, 17);
		if (containers) {
			start = sb->len;
			if (p->container.runtime != CTR_NONE)
				container_label(sb, &p->container, UT_TEXT);
			else
				sb_putc(sb, '-');
			pad_to(sb, start, 25);
		}
		if (!p->npts) {
			sb_printf(sb, "%9s %7s  ", "-", "-");
		} else {
			struct strbuf t;

			sb_init(&t);
			report_pct(&t, p->peak_vmas, p->peak_limit);
			sb_printf(sb, "%9u %7s  ", p->peak_vmas, t.buf);
			sb_free(&t);
		}
		report_time(sb, p->first_ns, "%m-%d %H:%M:%S");
		sb_puts(sb, "  ");
		report_time(sb, p->end_ns, "%m-%d %H:%M:%S");
		if (!p->npts) {
			sb_printf(sb, " %10s %10s %10s %10s %6s", "-", "-", "-", "-", "-");
		} else {
			text_bytes(sb, p->mapped_peak, 11);
			grow = (long long)p->pts[p->npts - 1].heap - (long long)p->pts[0].heap;
			sb_puts(sb, " ");
			{
				struct strbuf t;

				sb_init(&t);
				sb_putc(&t, grow < 0 ? '-' : '+');
				sb_size(&t, grow < 0 ? -grow : grow);
				sb_printf(sb, "%10s", t.buf);
				sb_free(&t);
			}
			text_bytes(sb, p->heap_hwm, 11);
			sb_printf(sb, " %10llu %6llu", (unsigned long long)p->calls,
				  (unsigned long long)p->failures);
		}
		sb_printf(sb, " %4u", p->alerts + p->alloc_failures + p->ooms);
		if (p->ooms)
			sb_puts(sb, "  OOM-killed");
		sb_putc(sb, '\n');
	}
}
