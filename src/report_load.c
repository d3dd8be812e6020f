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
#include "log.h"
#include "report_series.h"
#include "report_util.h"

#define NS_PER_S REPORT_NS_PER_S

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
	uint64_t mmc_ns;	 /* time of the point r->max_map_count came from */
	struct report_run *runs; /* in journal order; the first may have no start record */
	size_t nruns, runs_cap;
	struct hmap carry; /* proc_key -> struct carry: last points before --since */
	uint64_t cfg_ns;   /* time of the config record r->thr came from */
};

/* Every record, whatever the filter, says its daemon was alive at its time. */
static int run_touch(struct loader *l, uint16_t type, uint64_t ns)
{
	if (type == JREC_DAEMON_START || !l->nruns) {
		if (l->nruns == l->runs_cap) {
			size_t cap = l->runs_cap ? l->runs_cap * 2 : 8;
			struct report_run *n = realloc(l->runs, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			l->runs = n;
			l->runs_cap = cap;
		}
		l->runs[l->nruns++] = (struct report_run){
			.start_ns = type == JREC_DAEMON_START ? ns : 0,
			.last_ns = ns,
		};
		return 0;
	}
	if (ns > l->runs[l->nruns - 1].last_ns)
		l->runs[l->nruns - 1].last_ns = ns;
	return 0;
}

static struct report_proc *proc_new(struct loader *l, uint32_t pid, const char *comm);

/*
 * The process a record at time ns belongs to. The journal is in the order records were
 * written, not quite in time order: the last point of a process may come after its exit
 * record, and belongs to it if it starts before the exit.
 */
static struct report_proc *proc_find(struct loader *l, uint32_t pid, const char *comm, uint64_t ns,
				     bool create)
{
	struct report_proc *p = hmap_get(&l->by_key, proc_key(pid, comm));

	for (; p; p = p->hash_next)
		if (p->pid == pid && !strcmp(p->comm, comm) && (!p->exited || ns <= p->exit_ns))
			return p;
	return create ? proc_new(l, pid, comm) : NULL;
}

/* Another process of that pid and comm. */
static struct report_proc *proc_new(struct loader *l, uint32_t pid, const char *comm)
{
	uint64_t key = proc_key(pid, comm);
	struct report_proc *head = hmap_get(&l->by_key, key), *p;
	struct report *r = l->r;

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

/* A process's container record: no event, what it says goes to the process. */
static int load_container(struct loader *l, const struct journal_rec *rec, const char *comm,
			  const void *payload)
{
	bool in_range = filter_time(&l->r->filter, rec->ts_ns);
	struct report_proc *p;
	json_t *j;

	if (!filter_proc(&l->r->filter, rec->pid, comm))
		return 0;
	p = proc_find(l, rec->pid, comm, rec->ts_ns, in_range);
	if (!p)
		return in_range ? -ENOMEM : 0;
	j = jr_parse((const char *)payload, rec->len);
	if (!json_is_object(j))
		l->r->bad_payloads++;
	report_container_note(p, j);
	json_decref(j);
	return 0;
}

static void range_touch(struct report *r, uint64_t ns)
{
	if (!r->first_ns || ns < r->first_ns)
		r->first_ns = ns;
	if (ns > r->last_ns)
		r->last_ns = ns;
}

/* A point into p: its figures into p's peaks and sums. */
static int proc_add_point(struct loader *l, struct report_proc *p, const struct journal_tl *tl)
{
	struct report *r = l->r;
	uint64_t t = tl->t_ns;

	if (p->npts == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct journal_tl *n = realloc(p->pts, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->pts = n;
		p->cap = cap;
	}
	p->pts[p->npts++] = *tl;
	proc_touch(p, t);
	if (tl->vmas_max > p->peak_vmas || !p->peak_ns) {
		p->peak_vmas = tl->vmas_max;
		p->peak_limit = tl->max_map_count;
		p->peak_ns = t;
	}
	if (tl->mapped_max > p->mapped_peak)
		p->mapped_peak = tl->mapped_max;
	if (tl->heap_max > p->heap_peak)
		p->heap_peak = tl->heap_max;
	if (tl->heap_hwm > p->heap_hwm)
		p->heap_hwm = tl->heap_hwm;
	p->calls += tl->calls;
	p->failures += tl->failures;
	if (tl->max_map_count && t >= l->mmc_ns) {
		r->max_map_count = tl->max_map_count;
		l->mmc_ns = t;
	}
	r->points++;
	range_touch(r, t);
	return 0;
}

/*
 * The last point of a process before --since: its values hold into the range (a gauge),
 * unless the process exited before it or its daemon run ended before it.
 */
struct carry {
	struct journal_tl tl;
	uint32_t pid;
	char comm[JOURNAL_COMM_LEN + 1];
	size_t run;
	bool gone;
};

static int carry_point(struct loader *l, uint32_t pid, const char *comm,
		       const struct journal_tl *tl)
{
	uint64_t key = proc_key(pid, comm);
	struct carry *c = hmap_get(&l->carry, key);

	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c || hmap_put(&l->carry, key, c)) {
			free(c);
			return -ENOMEM;
		}
	}
	if (c->tl.t_ns > tl->t_ns && c->pid == pid && !strcmp(c->comm, comm))
		return 0; /* an older point written late */
	c->tl = *tl;
	c->pid = pid;
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
	c->run = l->nruns - 1;
	c->gone = false;
	return 0;
}

static void carry_exit(struct loader *l, uint32_t pid, const char *comm, uint64_t ns)
{
	struct carry *c = hmap_get(&l->carry, proc_key(pid, comm));

	if (c && c->pid == pid && !strcmp(c->comm, comm) && c->tl.t_ns <= ns)
		c->gone = true;
}

/* The first exit of pid and comm at or after since that no process took (0: none). */
static struct report_event *carry_exit_event(struct report *r, uint32_t pid, const char *comm,
					     uint64_t since)
{
	struct report_event *first = NULL;

	for (size_t i = 0; i < r->nevents; i++) {
		struct report_event *ev = &r->events[i];

		if (ev->type == JREC_PROC_EXIT && !ev->proc && ev->pid == pid &&
		    !strcmp(ev->comm, comm) && ev->ts_ns >= since &&
		    (!first || ev->ts_ns < first->ts_ns))
			first = ev;
	}
	return first;
}

static int cmp_carry(const void *a, const void *b)
{
	const struct carry *x = *(struct carry *const *)a, *y = *(struct carry *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tl.t_ns < y->tl.t_ns ? -1 : x->tl.t_ns > y->tl.t_ns;
}

/* The carried points, as points at --since of the processes that held them. */
static int carry_in(struct loader *l)
{
	uint64_t since = l->r->filter.since_ns, k;
	struct carry **all = malloc((l->carry.len + 1) * sizeof(*all));
	size_t n = 0;
	void *v;
	int err = 0;

	if (!all)
		return -ENOMEM;
	for (size_t i = 0; (i = hmap_next(&l->carry, i, &k, &v));)
		all[n++] = v;
	/* One pid is one process at a time: of a pid's programs, the last one held it. */
	qsort(all, n, sizeof(*all), cmp_carry);
	for (size_t i = 0; i < n && !err; i++) {
		struct carry *c = all[i];
		struct journal_tl tl = c->tl;
		struct report_event *ev;
		struct report_proc *p;
		bool found;

		if (i + 1 < n && all[i + 1]->pid == c->pid)
			continue;
		if (c->gone || c->run >= l->nruns || l->runs[c->run].last_ns < since)
			continue;
		/* Its exit in the range found no process when it was read: it is this one's. */
		ev = carry_exit_event(l->r, c->pid, c->comm, since);
		p = proc_find(l, c->pid, c->comm, since, false);
		if (p && ev && ev->ts_ns < p->first_ns)
			p = NULL; /* that one came after the carried one's exit */
		found = p != NULL;
		if (!p)
			p = proc_new(l, c->pid, c->comm);
		if (!p) {
			err = -ENOMEM;
			break;
		}
		if (!found) {
			p->run = c->run;
			if (ev) {
				ev->proc = p;
				p->exited = true;
				p->exit_ns = ev->ts_ns;
			}
		}
		for (size_t k = 0; found && k < p->npts; k++)
			found = p->pts[k].t_ns != since;
		if (p->npts && !found)
			continue; /* a point of its own at since says it */
		/* What it held at since, not what it did before. */
		tl.t_ns = since;
		tl.vmas_min = tl.vmas_max = tl.vmas_last;
		tl.mapped_max = tl.mapped;
		tl.heap_max = tl.heap;
		tl.calls = tl.failures = 0;
		err = proc_add_point(l, p, &tl);
	}
	free(all);
	return err;
}

static void carry_free(struct loader *l)
{
	uint64_t k;
	void *v;

	for (size_t i = 0; (i = hmap_next(&l->carry, i, &k, &v));)
		free(v);
	hmap_free(&l->carry);
}

static int load_point(struct loader *l, const struct journal_rec *rec, const char *comm,
		      const void *payload)
{
	struct report *r = l->r;
	struct journal_tl tl;
	struct report_proc *p;
	uint64_t t;
	int err;

	/* A newer writer may append fields: the prefix is what we know. */
	if (!journal_tl_decode(payload, rec->len, &tl)) {
		r->bad_payloads++;
		return 0;
	}
	if (!tl.t_ns)
		tl.t_ns = rec->ts_ns;
	t = tl.t_ns;
	if (!filter_proc(&r->filter, rec->pid, comm))
		return 0;
	if (r->filter.since_ns && t < r->filter.since_ns &&
	    !(r->filter.until_ns && t > r->filter.until_ns))
		return carry_point(l, rec->pid, comm, &tl);
	if (!filter_time(&r->filter, t))
		return 0;
	p = proc_find(l, rec->pid, comm, t, true);
	if (!p)
		return -ENOMEM;
	err = proc_add_point(l, p, &tl);
	if (err)
		return err;
	p->run = l->nruns - 1;
	r->matched++;
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
	char *json, why[200] = "";

	if (rec->type == JREC_PROC_EXIT && r->filter.since_ns && rec->ts_ns < r->filter.since_ns)
		carry_exit(l, rec->pid, comm, rec->ts_ns);
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
	ev->data = jr_parse_why(json, len, why, sizeof(why));
	if (ev->data && !json_is_object(ev->data)) {
		json_decref(ev->data);
		ev->data = NULL;
		snprintf(why, sizeof(why), "not a JSON object");
	}
	if (!ev->data && ++r->bad_payloads <= 3)
		log_warn("a %s record of pid %u (%u bytes) has a malformed payload: %s",
			 journal_rec_type_name(rec->type), rec->pid, len, why);
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
	case JREC_SUPPRESSED:
		if (jr_num(ev->data, "suppressed", &d) && d > 0)
			r->alerts_suppressed += (uint64_t)d;
		break;
	case JREC_RETENTION:
		if (jr_num(ev->data, "segments", &d) && d > 0)
			r->retention_segments += (uint64_t)d;
		if (jr_num(ev->data, "bytes", &d) && d > 0)
			r->retention_bytes += (uint64_t)d;
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
		ev->proc->run = l->nruns - 1;
	} else if (ev->pid) {
		ev->proc = proc_find(l, ev->pid, ev->comm, ev->ts_ns, false);
		if (ev->proc && rec->type == JREC_PROC_EXIT) {
			ev->proc->exited = true;
			ev->proc->exit_ns = ev->ts_ns;
		}
	}
	report_container_note(ev->proc, ev->data);
	if (!global || (!r->filter.pid && !r->filter.comm))
		r->matched++;
	range_touch(r, rec->ts_ns);
	return 0;
}

/*
 * The alert settings in force at the end of the range: the latest config record up to
 * --until, also one written before --since (the daemon may have started days before).
 */
static void load_config(struct loader *l, const struct journal_rec *rec, const void *payload)
{
	struct report_thresholds *t = &l->r->thr;
	const json_t *a;
	json_t *o, *v;
	size_t i;

	if ((l->r->filter.until_ns && rec->ts_ns > l->r->filter.until_ns) || rec->ts_ns < l->cfg_ns)
		return;
	o = jr_parse((const char *)payload, rec->len);
	if (!json_is_object(o)) {
		l->r->bad_payloads++;
		json_decref(o);
		return;
	}
	memset(t, 0, sizeof(*t));
	t->from_journal = true;
	a = json_object_get(o, "alert_thresholds");
	json_array_foreach(a, i, v) if (json_is_number(v) && t->npercents < CONFIG_MAX_LIST)
		t->percents[t->npercents++] = json_number_value(v);
	a = json_object_get(o, "alert_vma_counts");
	json_array_foreach(a, i, v) if (json_is_integer(v) && json_integer_value(v) > 0 &&
					t->ncounts < CONFIG_MAX_LIST)
		t->counts[t->ncounts++] = (uint32_t)json_integer_value(v);
	l->cfg_ns = rec->ts_ns;
	json_decref(o);
}

static void default_thresholds(struct report_thresholds *t)
{
	struct config c;

	config_defaults(&c);
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < c.n_alert_thresholds && i < CONFIG_MAX_LIST; i++)
		t->percents[t->npercents++] = c.alert_thresholds[i];
	for (int i = 0; i < c.n_alert_vma_counts && i < CONFIG_MAX_LIST; i++)
		t->counts[t->ncounts++] = c.alert_vma_counts[i];
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

int report_cmp_procs(const void *a, const void *b)
{
	const struct report_proc *x = *(struct report_proc *const *)a;
	const struct report_proc *y = *(struct report_proc *const *)b;

	if (x->peak_vmas != y->peak_vmas)
		return x->peak_vmas > y->peak_vmas ? -1 : 1;
	if (x->first_ns != y->first_ns)
		return x->first_ns < y->first_ns ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int finish(struct loader *l)
{
	struct report *r = l->r;

	if (carry_in(l))
		return -ENOMEM;
	for (size_t i = 0; i < r->nprocs; i++) {
		struct report_proc *p = r->procs[i];

		for (size_t k = 1; k < p->npts; k++) {
			if (p->pts[k].t_ns < p->pts[k - 1].t_ns) {
				qsort(p->pts, p->npts, sizeof(*p->pts), cmp_points);
				break;
			}
		}
	}
	report_container_keep(r);
	if (report_series_finish(r, l->runs, l->nruns))
		return -ENOMEM;
	/* An empty report has no array: qsort(NULL, 0) is undefined. */
	if (r->nevents > 1)
		qsort(r->events, r->nevents, sizeof(*r->events), cmp_events);
	report_mark_duplicates(r);
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
		qsort(r->procs, r->nprocs, sizeof(*r->procs), report_cmp_procs);
	if (!r->thr.from_journal)
		default_thresholds(&r->thr);
	return report_select_procs(r);
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
	hmap_init(&l.carry);
	jr = journal_reader_open(f->dir);
	if (!jr) {
		err = errno ? -errno : -EIO;
		hmap_free(&l.by_key);
		hmap_free(&l.carry);
		return err;
	}
	while ((ret = journal_reader_next(jr, &rec, &payload)) > 0) {
		char comm[JOURNAL_COMM_LEN + 1];

		memcpy(comm, rec->comm, JOURNAL_COMM_LEN);
		comm[JOURNAL_COMM_LEN] = 0;
		err = run_touch(&l, rec->type, rec->ts_ns);
		if (err)
			break;
		switch (rec->type) {
		case JREC_TIMELINE:
			err = load_point(&l, rec, comm, payload);
			break;
		case JREC_RAW:
		case JREC_HEARTBEAT: /* only says how long values held (run_touch) */
			break;
		case JREC_CONFIG:
			load_config(&l, rec, payload);
			break;
		case JREC_CONTAINER:
			err = load_container(&l, rec, comm, payload);
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
	if (!err)
		err = finish(&l);
	hmap_free(&l.by_key);
	carry_free(&l);
	free(l.runs);
	if (err) {
		report_free(r);
		return err;
	}
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
