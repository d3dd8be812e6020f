// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * After loading (report_load.c): an alert listed once when the daemon journaled it twice, and
 * the processes that every format shows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonr.h"
#include "report_util.h"

/* An alert and the incident record that repeats it are written together. */
#define DUP_WINDOW_NS REPORT_NS_PER_S

/* Do two events tell of the same alert (same kind, process, threshold, call)? */
static bool same_incident(const struct report_event *a, const struct report_event *b)
{
	const char *sa, *sb;

	if (a->kind != b->kind || a->pid != b->pid || strcmp(a->name, b->name) ||
	    a->threshold != b->threshold || a->type == b->type)
		return false;
	sa = jr_str(a->data, "syscall");
	sb = jr_str(b->data, "syscall");
	return !strcmp(sa ? sa : "", sb ? sb : "");
}

/*
 * The daemon may journal an alert both as JREC_ALERT and, with its context, as
 * JREC_INCIDENT or JREC_OOM: list it once, keeping the record with more in it.
 */
void report_mark_duplicates(struct report *r)
{
	for (size_t i = 0; i < r->nevents; i++) {
		struct report_event *a = &r->events[i];

		if (a->type != JREC_ALERT || a->kind == REV_OTHER)
			continue;
		for (size_t j = i; j-- > 0 && a->ts_ns - r->events[j].ts_ns <= DUP_WINDOW_NS;)
			if (same_incident(a, &r->events[j]) && !r->events[j].duplicate)
				a->duplicate = true;
		for (size_t j = i + 1;
		     j < r->nevents && r->events[j].ts_ns - a->ts_ns <= DUP_WINDOW_NS; j++)
			if (same_incident(a, &r->events[j]) && !r->events[j].duplicate)
				a->duplicate = true;
	}
}

static double peak_share(const struct report *r, const struct report_proc *p)
{
	uint32_t limit = p->peak_limit ? p->peak_limit : r->max_map_count;

	return limit ? (double)p->peak_vmas / limit : 0;
}

struct ranked {
	double share;
	struct report_proc *p;
};

static int cmp_share(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->share != y->share)
		return x->share > y->share ? -1 : 1;
	return report_cmp_procs(&x->p, &y->p);
}

/*
 * The processes every format shows. A whole host is thousands of processes, and the reader
 * came for the few near the limit or with an incident (an OOM victim with few VMAs is one).
 */
int report_select_procs(struct report *r)
{
	const struct report_filter *f = &r->filter;
	struct ranked *by_share;
	unsigned top = f->top ? f->top : REPORT_DEFAULT_TOP;

	r->nshown = 0;
	if (f->all || ((f->pid || f->comm || f->container) && !f->top) || r->nprocs <= top) {
		for (size_t i = 0; i < r->nprocs; i++)
			r->procs[i]->shown = true;
		r->nshown = r->nprocs;
		return 0;
	}
	r->top = top;
	by_share = malloc(r->nprocs * sizeof(*by_share));
	if (!by_share)
		return -ENOMEM;
	for (size_t i = 0; i < r->nprocs; i++)
		by_share[i] = (struct ranked){ peak_share(r, r->procs[i]), r->procs[i] };
	qsort(by_share, r->nprocs, sizeof(*by_share), cmp_share);
	for (size_t i = 0; i < r->nprocs; i++) {
		struct report_proc *p = by_share[i].p;

		p->shown = i < top || p->alerts || p->alloc_failures || p->ooms;
		r->nshown += p->shown;
	}
	free(by_share);
	return 0;
}
