// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The report's timeline points as CSV (RFC 4180): one row per point, comm quoted. */
#include <string.h>

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

void report_csv(const struct report *r, struct strbuf *sb)
{
	sb_puts(sb, "ts,pid,comm,vmas_min,vmas_max,vmas,max_map_count,mapped,heap,heap_hwm,calls,"
		    "failures\r\n");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct report_proc *p = r->procs[i];

		for (size_t k = 0; k < p->npts; k++) {
			const struct journal_tl *t = &p->pts[k];

			sb_printf(sb, "%llu.%06llu,%u,", (unsigned long long)(t->t_ns / NS_PER_S),
				  (unsigned long long)(t->t_ns % NS_PER_S / 1000), p->pid);
			csv_field(sb, p->comm, sizeof(p->comm));
			sb_printf(sb, ",%u,%u,%u,%u,%llu,%llu,%llu,%u,%u\r\n", t->vmas_min,
				  t->vmas_max, t->vmas_last, t->max_map_count,
				  (unsigned long long)t->mapped, (unsigned long long)t->heap,
				  (unsigned long long)t->heap_hwm, t->calls, t->failures);
		}
	}
}
