// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loading a journal for the report (include/report.h): the records that pass
 * the filter, timeline points per process, JSON payloads parsed once with
 * jansson into the events that the renderers read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "report_util.h"

#define NS_PER_S REPORT_NS_PER_S
/* An alert and the incident record that repeats it are written together. */
#define DUP_WINDOW_NS NS_PER_S

static uint64_t proc_key(uint32_t pid, const char *comm)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < JOURNAL_COMM_LEN && comm[i]; i++)
		h = (h ^ (unsigned char)comm[i]) * 16777619u;
	return (uint64_t)pid << 32 | h;
}

struct loader {
	struct report *r;
	struct hmap by_key; /* proc_key -> chain of struct report_proc */
	size_t procs_cap, events_cap;
	uint64_t mmc_ns; /* time of the point r->max_map_count came from */
};

/*
 * The process a record at time ns belongs to. The journal is in the order records were
 * written, not quite in time order: the last point of a process may come after its exit
 * record, and belongs to it if it starts before the exit.
 */
static struct report_proc *proc_find(struct loader *l, uint32_t pid, const char *comm, uint64_t ns,
				     bool create)
{
	uint64_t key = proc_key(pid, comm);
	struct report_proc *head = hmap_get(&l->by_key, key), *p;
	struct report *r = l->r;

	for (p = head; p; p = p->hash_next)
		if (p->pid == pid && !strcmp(p->comm, comm) && (!p->exited || ns <= p->exit_ns))
			return p;
	if (!create)
		return NULL;
	if (r->nprocs == l->procs_cap) {
		size_t cap = l->procs_cap ? l->procs_cap * 2 : 64;
		struct report_proc **n = realloc(r->procs, cap * sizeof(*n));

		if (!n)
			return NULL;
		r->procs = n;
		l->procs_cap = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->hash_next = head;
	if (hmap_put(&l->by_key, key, p)) {
		free(p);
		return NULL;
	}
	r->procs[r->nprocs++] = p;
	return p;
}

static void proc_touch(struct report_proc *p, uint64_t ns)
{
	if (!p->first_ns || ns < p->first_ns)
		p->first_ns = ns;
	if (ns > p->last_ns)
		p->last_ns = ns;
}

static bool filter_time(const struct report_filter *f, uint64_t ns)
{
	return !(f->since_ns && ns < f->since_ns) && !(f->until_ns && ns > f->until_ns);
}

static bool filter_proc(const struct report_filter *f, uint32_t pid, const char *comm)
{
	if (f->pid && pid != f->pid)
		return false;
	return !f->comm || !strcmp(comm, f->comm);
}

static void range_touch(struct report *r, uint64_t ns)
{
	if (!r->first_ns || ns < r->first_ns)
		r->first_ns = ns;
	if (ns > r->last_ns)
		r->last_ns = ns;
}

static int load_point(struct loader *l, const struct journal_rec *rec, const char *comm,
		      const void *payload)
{
	struct report *r = l->r;
	struct journal_tl tl;
	struct report_proc *p;
	uint64_t t;

	/* A newer writer may append fields: the prefix is what we know. */
	if (!journal_tl_decode(payload, rec->len, &tl)) {
		r->bad_payloads++;
		return 0;
	}
	if (!tl.t_ns)
		tl.t_ns = rec->ts_ns;
	t = tl.t_ns;
	if (!filter_time(&r->filter, t) || !filter_proc(&r->filter, rec->pid, comm))
		return 0;
	p = proc_find(l, rec->pid, comm, t, true);
	if (!p)
		return -ENOMEM;
	if (p->npts == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct journal_tl *n = realloc(p->pts, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->pts = n;
		p->cap = cap;
	}
	p->pts[p->npts++] = tl;
	proc_touch(p, t);
	if (tl.vmas_max > p->peak_vmas || !p->peak_ns) {
		p->peak_vmas = tl.vmas_max;
		p->peak_limit = tl.max_map_count;
		p->peak_ns = t;
	}
	if (tl.mapped > p->mapped_peak)
		p->mapped_peak = tl.mapped;
	if (tl.heap > p->heap_peak)
		p->heap_peak = tl.heap;
	if (tl.heap_hwm > p->heap_hwm)
		p->heap_hwm = tl.heap_hwm;
	p->calls += tl.calls;
	p->failures += tl.failures;
	if (tl.max_map_count && t >= l->mmc_ns) {
		r->max_map_count = tl.max_map_count;
		l->mmc_ns = t;
	}
	r->points++;
	r->matched++;
	range_touch(r, t);
	return 0;
}

static enum report_ev_kind event_kind(uint16_t type, const char *name)
{
	switch (type) {
	case JREC_OOM:
		return REV_OOM;
	case JREC_ALERT:
	case JREC_INCIDENT:
		if (!strcmp(name, "oom_kill"))
			return REV_OOM;
		if (!strcmp(name, "alloc_failure"))
			return REV_FAILURE;
		return REV_ALERT;
	default:
		return REV_OTHER;
	}
}

static int load_event(struct loader *l, const struct journal_rec *rec, const char *comm,
		      const void *payload)
{
	struct report *r = l->r;
	struct report_event *ev;
	uint32_t len = rec->len;
	bool global = !rec->pid;
	const char *s;
	double d;
	char *json;

	if (!filter_time(&r->filter, rec->ts_ns))
		return 0;
	/* Daemon starts and lost records are context for any process: keep them under a filter. */
	if (!global && !filter_proc(&r->filter, rec->pid, comm))
		return 0;
	while (len && !((const char *)payload)[len - 1])
		len--;
	json = malloc(len + 1);
	if (!json)
		return -ENOMEM;
	memcpy(json, payload, len);
	json[len] = 0;
	if (r->nevents == l->events_cap) {
		size_t cap = l->events_cap ? l->events_cap * 2 : 64;
		struct report_event *n = realloc(r->events, cap * sizeof(*n));

		if (!n) {
			free(json);
			return -ENOMEM;
		}
		r->events = n;
		l->events_cap = cap;
	}
	ev = &r->events[r->nevents++];
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = rec->ts_ns;
	ev->pid = rec->pid;
	snprintf(ev->comm, sizeof(ev->comm), "%s", comm);
	ev->type = rec->type;
	ev->json = json;
	ev->seq = r->nevents;
	/* Parsed once here; the renderers look members up in ev->data. */
	ev->data = jr_parse(json, len);
	if (ev->data && !json_is_object(ev->data)) {
		json_decref(ev->data);
		ev->data = NULL;
	}
	if (!ev->data)
		r->bad_payloads++;
	if (!jr_strcpy(ev->data, "kind", ev->name, sizeof(ev->name)))
		snprintf(ev->name, sizeof(ev->name), "%s",
			 rec->type == JREC_OOM ? "oom_kill" : journal_rec_type_name(rec->type));
	ev->kind = event_kind(rec->type, ev->name);
	if (jr_num(ev->data, "threshold", &d))
		ev->threshold = d;
	if (ev->kind == REV_OOM && !ev->pid && jr_num(ev->data, "victim_pid", &d) && d > 0) {
		ev->pid = (uint32_t)d;
		s = jr_str(ev->data, "victim_comm");
		if (s)
			snprintf(ev->comm, sizeof(ev->comm), "%s", s);
	}

	switch (rec->type) {
	case JREC_DAEMON_START:
		r->daemon_starts++;
		if (jr_num(ev->data, "max_map_count", &d) && d > 0 && rec->ts_ns >= l->mmc_ns) {
			r->max_map_count = (uint32_t)d;
			l->mmc_ns = rec->ts_ns;
		}
		break;
	case JREC_DAEMON_STOP:
		r->daemon_stops++;
		break;
	case JREC_DROPS:
		if (jr_num(ev->data, "dropped", &d) && d > 0)
			r->drops += (uint64_t)d;
		break;
	case JREC_RESYNC:
		r->resyncs++;
		break;
	case JREC_GAP: {
		double since, until;

		r->gaps++;
		if (jr_num(ev->data, "records_lost", &d) && d > 0)
			r->gap_records_lost += (uint64_t)d;
		if (jr_num(ev->data, "since_ns", &since) && jr_num(ev->data, "until_ns", &until) &&
		    until > since)
			r->gap_ns += (uint64_t)(until - since);
		break;
	}
	default:
		break;
	}
	if (ev->pid && ev->kind != REV_OTHER) {
		ev->proc = proc_find(l, ev->pid, ev->comm, ev->ts_ns, true);
		if (!ev->proc)
			return -ENOMEM;
		proc_touch(ev->proc, ev->ts_ns);
	} else if (ev->pid) {
		ev->proc = proc_find(l, ev->pid, ev->comm, ev->ts_ns, false);
		if (ev->proc && rec->type == JREC_PROC_EXIT) {
			ev->proc->exited = true;
			ev->proc->exit_ns = ev->ts_ns;
		}
	}
	if (!global || (!r->filter.pid && !r->filter.comm))
		r->matched++;
	range_touch(r, rec->ts_ns);
	return 0;
}

static int cmp_points(const void *a, const void *b)
{
	const struct journal_tl *x = a, *y = b;

	return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

static int cmp_events(const void *a, const void *b)
{
	const struct report_event *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_procs(const void *a, const void *b)
{
	const struct report_proc *x = *(struct report_proc *const *)a;
	const struct report_proc *y = *(struct report_proc *const *)b;

	if (x->peak_vmas != y->peak_vmas)
		return x->peak_vmas > y->peak_vmas ? -1 : 1;
	if (x->first_ns != y->first_ns)
		return x->first_ns < y->first_ns ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

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
static void mark_duplicates(struct report *r)
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

static void finish(struct report *r)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		struct report_proc *p = r->procs[i];

		for (size_t k = 1; k < p->npts; k++) {
			if (p->pts[k].t_ns < p->pts[k - 1].t_ns) {
				qsort(p->pts, p->npts, sizeof(*p->pts), cmp_points);
				break;
			}
		}
	}
	/* An empty report has no array: qsort(NULL, 0) is undefined. */
	if (r->nevents > 1)
		qsort(r->events, r->nevents, sizeof(*r->events), cmp_events);
	mark_duplicates(r);
	for (size_t i = 0; i < r->nevents; i++) {
		struct report_event *ev = &r->events[i];

		if (ev->kind == REV_OTHER || ev->duplicate)
			continue;
		r->incidents++;
		if (!ev->proc)
			continue;
		if (ev->kind == REV_ALERT)
			ev->proc->alerts++;
		else if (ev->kind == REV_FAILURE)
			ev->proc->alloc_failures++;
		else
			ev->proc->ooms++;
	}
	if (r->nprocs > 1)
		qsort(r->procs, r->nprocs, sizeof(*r->procs), cmp_procs);
}

int report_load(struct report *r, const struct report_filter *f)
{
	struct loader l = { .r = r };
	struct journal_reader *jr;
	const struct journal_rec *rec;
	const void *payload;
	int err = 0, ret;

	memset(r, 0, sizeof(*r));
	r->filter = *f;
	hmap_init(&l.by_key);
	jr = journal_reader_open(f->dir);
	if (!jr)
		return errno ? -errno : -EIO;
	while ((ret = journal_reader_next(jr, &rec, &payload)) > 0) {
		char comm[JOURNAL_COMM_LEN + 1];

		memcpy(comm, rec->comm, JOURNAL_COMM_LEN);
		comm[JOURNAL_COMM_LEN] = 0;
		switch (rec->type) {
		case JREC_TIMELINE:
			err = load_point(&l, rec, comm, payload);
			break;
		case JREC_RAW:
			break;
		default:
			if (rec->type < JREC__COUNT)
				err = load_event(&l, rec, comm, payload);
			break;
		}
		if (err)
			break;
	}
	if (!err && ret < 0)
		err = ret;
	r->rs = *journal_reader_get_stats(jr);
	journal_reader_close(jr);
	hmap_free(&l.by_key);
	if (err) {
		report_free(r);
		return err;
	}
	finish(r);
	return 0;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		free(r->procs[i]->pts);
		free(r->procs[i]);
	}
	free(r->procs);
	for (size_t i = 0; i < r->nevents; i++) {
		free(r->events[i].json);
		json_decref(r->events[i].data);
	}
	free(r->events);
	memset(r, 0, sizeof(*r));
}
