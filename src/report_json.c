// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The report as one JSON document, through the jsonw writer. A payload that
 * parsed as one JSON object is embedded whole (jw_raw of the complete value);
 * one that did not is kept as a string, so that the document stays valid.
 */
#include <stdio.h>
#include <string.h>

#include "jsonw.h"
#include "report_util.h"

#define NS_PER_S REPORT_NS_PER_S

/* Seconds since the epoch with microseconds, as the alert log writes "ts"; null if unknown. */
static void ts_member(struct jsonw *w, const char *key, uint64_t ns)
{
	if (ns)
		jw_kscaled(w, key, (long long)(ns / 1000), 6);
	else
		jw_knull(w, key);
}

static void json_event(struct jsonw *w, const struct report_event *ev, bool wrap)
{
	if (ev->data && !wrap) {
		jw_raw(w, ev->json);
		return;
	}
	jw_obj(w);
	jw_kstr(w, "type", journal_rec_type_name(ev->type));
	ts_member(w, "ts", ev->ts_ns);
	jw_kuint(w, "pid", ev->pid);
	jw_kstrn(w, "comm", ev->comm, sizeof(ev->comm));
	if (ev->data) {
		jw_kraw(w, "data", ev->json);
	} else {
		jw_kstr(w, "kind", "unparsable");
		jw_kstr(w, "raw", ev->json);
	}
	jw_obj_end(w);
}

static void stats(struct jsonw *w, const struct report *r)
{
	const struct journal_reader_stats *rs = &r->rs;

	jw_kobj(w, "stats");
	jw_kuint(w, "segments", rs->segments);
	jw_kuint(w, "blocks", rs->blocks);
	jw_kuint(w, "records", rs->records);
	jw_kuint(w, "damaged_blocks", rs->damaged_blocks);
	jw_kuint(w, "torn_tails", rs->torn_tails);
	if (rs->other_version) {
		jw_kuint(w, "other_version_segments", rs->other_version);
		jw_kuint(w, "other_version", rs->version_seen);
	}
	jw_kuint(w, "matched", r->matched);
	jw_kuint(w, "points", r->points);
	jw_kuint(w, "processes", r->nprocs);
	jw_kuint(w, "processes_shown", r->nshown);
	jw_kuint(w, "incidents", r->incidents);
	jw_kuint(w, "bad_payloads", r->bad_payloads);
	jw_kuint(w, "daemon_starts", r->daemon_starts);
	jw_kuint(w, "daemon_stops", r->daemon_stops);
	jw_kuint(w, "drops", r->drops);
	jw_kuint(w, "resyncs", r->resyncs);
	jw_kuint(w, "alerts_suppressed", r->alerts_suppressed);
	jw_kuint(w, "retention_segments", r->retention_segments);
	jw_kuint(w, "retention_bytes", r->retention_bytes);
	jw_kuint(w, "gaps", r->gaps);
	jw_kuint(w, "gap_records_lost", r->gap_records_lost);
	jw_kuint(w, "max_map_count", r->max_map_count);
	jw_obj_end(w);
	/* What the plots draw: the journal's latest config record, or the defaults. */
	jw_kobj(w, "alert_thresholds");
	jw_karr(w, "percents");
	for (int k = 0; k < r->thr.npercents; k++)
		jw_double(w, r->thr.percents[k]);
	jw_arr_end(w);
	jw_karr(w, "counts");
	for (int k = 0; k < r->thr.ncounts; k++)
		jw_uint(w, r->thr.counts[k]);
	jw_arr_end(w);
	jw_kstr(w, "source", r->thr.from_journal ? "journal" : "defaults");
	jw_obj_end(w);
}

/* A point: its values hold from ts until "until" (the next point, or the series' end). */
static void point(struct jsonw *w, const struct report_proc *p, size_t k)
{
	const struct journal_tl *t = &p->pts[k];

	jw_obj(w);
	ts_member(w, "ts", t->t_ns);
	ts_member(w, "until", report_point_until(p, k));
	jw_kuint(w, "vmas_min", t->vmas_min);
	jw_kuint(w, "vmas_max", t->vmas_max);
	jw_kuint(w, "vmas", t->vmas_last);
	jw_kuint(w, "max_map_count", t->max_map_count);
	jw_kuint(w, "mapped", t->mapped);
	jw_kuint(w, "mapped_max", t->mapped_max);
	jw_kuint(w, "heap", t->heap);
	jw_kuint(w, "heap_max", t->heap_max);
	jw_kuint(w, "heap_hwm", t->heap_hwm);
	jw_kuint(w, "calls", t->calls);
	jw_kuint(w, "failures", t->failures);
	jw_obj_end(w);
}

/* "<what>_from", "<what>_until", "<what>_held_s": the span a peak held. */
static void hold_members(struct jsonw *w, const char *what, uint64_t from, uint64_t until)
{
	char key[32];

	snprintf(key, sizeof(key), "%s_from", what);
	ts_member(w, key, from);
	snprintf(key, sizeof(key), "%s_until", what);
	ts_member(w, key, until);
	snprintf(key, sizeof(key), "%s_held_s", what);
	jw_kscaled(w, key, (long long)((until - from) / 1000000), 3);
}

static void process(struct jsonw *w, const struct report_proc *p)
{
	jw_obj(w);
	jw_kuint(w, "pid", p->pid);
	jw_kstrn(w, "comm", p->comm, sizeof(p->comm));
	container_json(w, "container", &p->container);
	ts_member(w, "first", p->first_ns);
	ts_member(w, "last", p->last_ns);
	ts_member(w, "end", p->end_ns);
	jw_kbool(w, "exited", p->exited);
	jw_kuint(w, "peak_vmas", p->peak_vmas);
	jw_kuint(w, "peak_max_map_count", p->peak_limit);
	hold_members(w, "peak", p->peak_from_ns, p->peak_until_ns);
	jw_kuint(w, "mapped_peak", p->mapped_peak);
	jw_kuint(w, "heap_peak", p->heap_peak);
	hold_members(w, "heap_peak", p->heap_peak_from_ns, p->heap_peak_until_ns);
	jw_kuint(w, "heap_hwm", p->heap_hwm);
	jw_kuint(w, "calls", p->calls);
	jw_kuint(w, "failures", p->failures);
	jw_kuint(w, "alerts", p->alerts);
	jw_kuint(w, "alloc_failures", p->alloc_failures);
	jw_kuint(w, "oom_kills", p->ooms);
	jw_karr(w, "points");
	for (size_t k = 0; k < p->npts; k++)
		point(w, p, k);
	jw_arr_end(w);
	jw_obj_end(w);
}

void report_json(const struct report *r, struct strbuf *sb)
{
	struct jsonw w;

	jw_begin(&w, sb);
	jw_obj(&w);
	jw_kstr(&w, "journal", r->filter.dir);
	jw_kobj(&w, "filter");
	if (r->filter.pid)
		jw_kuint(&w, "pid", r->filter.pid);
	else
		jw_knull(&w, "pid");
	if (r->filter.comm)
		jw_kstr(&w, "comm", r->filter.comm);
	else
		jw_knull(&w, "comm");
	if (r->filter.container)
		jw_kstr(&w, "container", r->filter.container);
	jw_kbool(&w, "all", r->nshown == r->nprocs);
	if (r->top)
		jw_kuint(&w, "top", r->top);
	else
		jw_knull(&w, "top");
	jw_obj_end(&w);
	jw_kobj(&w, "range");
	ts_member(&w, "since", r->filter.since_ns);
	ts_member(&w, "until", r->filter.until_ns);
	ts_member(&w, "first", r->first_ns);
	ts_member(&w, "last", r->last_ns);
	jw_obj_end(&w);
	stats(&w, r);

	/*
	 * Incidents as the daemon wrote them, each once: an older journal's alert record that
	 * an incident or OOM record repeats with its context is left out.
	 */
	jw_karr(&w, "events");
	for (size_t i = 0; i < r->nevents; i++)
		if (r->events[i].kind != REV_OTHER && !r->events[i].duplicate)
			json_event(&w, &r->events[i], false);
	jw_arr_end(&w);
	/* Their payloads do not say what they are: each comes wrapped with its type. */
	jw_karr(&w, "lifecycle");
	for (size_t i = 0; i < r->nevents; i++)
		if (r->events[i].kind == REV_OTHER)
			json_event(&w, &r->events[i], true);
	jw_arr_end(&w);
	/* The processes the selection shows (stats: how many of how many). */
	jw_karr(&w, "processes");
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i]->shown)
			process(&w, r->procs[i]);
	jw_arr_end(&w);
	jw_obj_end(&w);
	sb_putc(sb, '\n');
}
