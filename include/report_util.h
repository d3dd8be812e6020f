/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers that the report's renderers share (report_util.c): times, numbers,
 * and the sentences every format says the same way.
 */
#ifndef VMATRACE_REPORT_UTIL_H
#define VMATRACE_REPORT_UTIL_H

#include <stdint.h>

#include "report.h"
#include "strbuf.h"

#define REPORT_NS_PER_S 1000000000ULL

/* "12,345" */
void report_thousands(struct strbuf *sb, unsigned long long v);
/* Local time, strftime format; "@<seconds>" when it cannot be formatted. */
void report_time(struct strbuf *sb, uint64_t ns, const char *fmt);
/* "12.3%", or "-" when whole is 0. */
void report_pct(struct strbuf *sb, double part, double whole);
/* A span: "6.0 s", "95 s", "12 min", "3.5 h", "2.1 d". */
void report_duration(struct strbuf *sb, uint64_t ns);
/* What damaged blocks cost the reader, in every format. */
void report_damaged_text(struct strbuf *sb, unsigned long long n);
/* Segments of a format version this build does not read; nothing when there are none. */
void report_version_text(struct strbuf *sb, const struct journal_reader_stats *rs);
/* Each of the two warnings above that applies, between `before` and `after`. */
void report_journal_warnings(struct strbuf *sb, const struct journal_reader_stats *rs,
			     const char *before, const char *after);

/*
 * "showing 12 of 6,140 processes: every one with an incident and the top 10 by peak share
 * of vm.max_map_count; --all for all, --top N for more"; nothing when every one is shown.
 */
/* Processes by peak VMA count, then first seen, then pid (qsort of struct report_proc *). */
int report_cmp_procs(const void *a, const void *b);
/* Mark the alerts that an incident or OOM record repeats (events sorted by time). */
void report_mark_duplicates(struct report *r);
/* Set each process's shown (and r->nshown, r->top) from the filter: --all, --top, -p... */
int report_select_procs(struct report *r);
void report_selection_text(struct strbuf *sb, const struct report *r);

#endif
