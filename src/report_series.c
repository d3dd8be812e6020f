// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The report's timelines read as a gauge (include/report_series.h): a value holds until
 * the next point, and a series' last values until its end, which this file decides once
 * the journal is loaded; the spans the peaks held follow from it.
 */
#include <errno.h>
#include <stdlib.h>

#include "report_series.h"

/* The last time the daemon run that wrote p's last record is known to have been alive. */
static uint64_t run_end(const struct report_run *runs, size_t nruns, const struct report_proc *p)
{
	uint64_t end = p->run < nruns ? runs[p->run].last_ns : 0;

	return end > p->last_ns ? end : p->last_ns;
}

uint64_t report_point_until(const struct report_proc *p, size_t k)
{
	uint64_t until = k + 1 < p->npts ? p->pts[k + 1].t_ns : p->end_ns;

	return until > p->pts[k].t_ns ? until : p->pts[k].t_ns;
}

static uint64_t pt_vmas(const struct journal_tl *t)
{
	return t->vmas_last;
}

static uint64_t pt_heap(const struct journal_tl *t)
{
	return t->heap;
}

/* The longest run of points whose value held at peak: from its first point to its end. */
static void peak_hold(const struct report_proc *p, uint64_t (*val)(const struct journal_tl *),
		      uint64_t peak, uint64_t *from, uint64_t *until)
{
	uint64_t best = 0;

	*from = *until = 0;
	for (size_t k = 0; k < p->npts;) {
		size_t j = k;
		uint64_t end;

		if (val(&p->pts[k]) != peak) {
			k++;
			continue;
		}
		while (j + 1 < p->npts && val(&p->pts[j + 1]) == peak)
			j++;
		end = report_point_until(p, j);
		if (!*from || end - p->pts[k].t_ns > best) {
			best = end - p->pts[k].t_ns;
			*from = p->pts[k].t_ns;
			*until = end;
		}
		k = j + 1;
	}
}

static int cmp_pid_first(const void *a, const void *b)
{
	const struct report_proc *x = *(struct report_proc *const *)a;
	const struct report_proc *y = *(struct report_proc *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

int report_series_finish(struct report *r, const struct report_run *runs, size_t nruns)
{
	struct report_proc **by_pid = malloc((r->nprocs + 1) * sizeof(*by_pid));

	if (!by_pid)
		return -ENOMEM;
	for (size_t i = 0; i < r->nprocs; i++) {
		struct report_proc *p = r->procs[i];

		p->end_ns = p->exited ? p->exit_ns : run_end(runs, nruns, p);
		by_pid[i] = p;
	}
	/* One pid is one process at a time: an exec's new image (another comm) ends the old. */
	qsort(by_pid, r->nprocs, sizeof(*by_pid), cmp_pid_first);
	for (size_t i = 0; i + 1 < r->nprocs; i++) {
		struct report_proc *p = by_pid[i], *next = by_pid[i + 1];

		if (next->pid == p->pid && next->first_ns < p->end_ns)
			p->end_ns = next->first_ns;
	}
	free(by_pid);
	for (size_t i = 0; i < r->nprocs; i++) {
		struct report_proc *p = r->procs[i];

		if (r->filter.until_ns && p->end_ns > r->filter.until_ns)
			p->end_ns = r->filter.until_ns;
		if (p->end_ns < p->last_ns)
			p->end_ns = p->last_ns;
		peak_hold(p, pt_vmas, p->peak_vmas, &p->peak_from_ns, &p->peak_until_ns);
		peak_hold(p, pt_heap, p->heap_peak, &p->heap_peak_from_ns, &p->heap_peak_until_ns);
	}
	return 0;
}
