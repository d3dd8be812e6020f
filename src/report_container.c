// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The report's containers: each process's from its records (the daemon's
 * container record, the container member of its alerts, incidents, OOM kill
 * and exit), and the --container selection, which is known only once every
 * record was read (a process's container record may come after its points).
 */
#include <stdlib.h>

#include "report.h"

void report_container_note(struct report_proc *p, const json_t *data)
{
	struct container c;

	if (p && p->container.runtime == CTR_NONE && container_from_json(data, "container", &c))
		p->container = c;
}

void report_container_keep(struct report *r)
{
	const char *sel = r->filter.container;
	size_t n = 0, m = 0, nprocs = r->nprocs;

	if (!sel)
		return;
	for (size_t i = 0; i < r->nprocs; i++)
		r->procs[i]->shown = container_matches(&r->procs[i]->container, sel);
	/* Records about no process (daemon starts, lost records) stay: they are context. */
	for (size_t i = 0; i < r->nevents; i++) {
		struct report_event *ev = &r->events[i];

		if (ev->proc ? ev->proc->shown : !ev->pid) {
			r->events[m++] = *ev;
			continue;
		}
		free(ev->json);
		json_decref(ev->data);
	}
	r->nevents = m;
	for (size_t i = 0; i < nprocs; i++) {
		struct report_proc *p = r->procs[i];

		if (p->shown) {
			p->shown = false; /* the selection's to set */
			r->procs[n++] = p;
			continue;
		}
		free(p->pts);
		free(p);
	}
	r->nprocs = n;
}

bool report_any_container(const struct report *r)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i]->shown && r->procs[i]->container.runtime != CTR_NONE)
			return true;
	return false;
}
