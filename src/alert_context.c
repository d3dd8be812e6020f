// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What an alert says about a process's recent past: the compact "what grew"
 * that every sink gets (the alert log, the exec hook, the journal, the log
 * line), the full context the journal keeps with an incident, and the exact
 * failure counts. Pure functions of the model.
 */
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "decode.h"
#include "jsonw.h"
#include "sites.h"

#define NS_PER_S 1000000000ull

void alert_json_ts(struct jsonw *w, const char *key, uint64_t mono_ns, long long off)
{
	jw_kscaled(w, key, ((long long)mono_ns + off) / 1000, 6);
}

static const struct fr_event *fr_at(const struct model_proc *p, uint32_t i)
{
	return &p->fr[(p->fr_head + i) % p->fr_cap];
}

/* The last max_events raw events of the flight recorder, oldest first. */
static void flight_json(struct jsonw *w, const struct model_proc *p, unsigned int max_events,
			long long off)
{
	uint32_t start = p->fr_len > max_events ? p->fr_len - max_events : 0;

	for (uint32_t i = start; i < p->fr_len; i++) {
		const struct fr_event *e = fr_at(p, i);
		int err = e->type == VMT_REC_SYSCALL ? decode_ret_errno(e->sys, e->ret) : 0;

		jw_obj(w);
		alert_json_ts(w, "ts", e->ts_ns, off);
		jw_kuint(w, "tid", e->tid);
		jw_kstr(w, "event", e->type == VMT_REC_SYSCALL ? decode_sys_name(e->sys) : "exec");
		/* Register values, any 64 bits (a hostile length too): hex strings, never numbers
		 * that a reader limited to int64 refuses (the whole record with them). */
		jw_karr(w, "args");
		jw_hex(w, e->args[0]);
		jw_hex(w, e->args[1]);
		jw_hex(w, e->args[2]);
		jw_arr_end(w);
		jw_kint(w, "ret", e->ret);
		if (err && decode_errno_name(err))
			jw_kstr(w, "errno", decode_errno_name(err));
		else
			jw_knull(w, "errno");
		jw_kuint(w, "vmas", e->map_count);
		jw_obj_end(w);
	}
}

void alert_failures_json(struct jsonw *w, const struct model_fail *fails, uint32_t n)
{
	jw_karr(w, "failures");
	for (uint32_t i = 0; i < n; i++) {
		const struct model_fail *f = &fails[i];
		const char *name = decode_errno_name(f->err);

		jw_obj(w);
		jw_kstr(w, "syscall", decode_sys_name(f->sys));
		if (name)
			jw_kstr(w, "errno", name);
		else
			jw_kint(w, "errno", f->err);
		jw_kuint(w, "count", f->n);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* ---- what grew ---- */

/* The model's state now, as the one point. */
static void now_point(const struct model_proc *p, uint64_t end_ns, struct alert_grew *g)
{
	g->npoints = 1;
	g->points[0] = (struct model_state){
		.vmas = model_vma_count(p),
		.mapped = model_mapped_bytes(p),
		.heap = model_heap_size(p),
		.source = MS_NOW,
		.at_ns = end_ns,
	};
	g->ago_ns[0] = 0;
	g->sources |= 1u << MS_NOW;
}

void alert_grew_compute(const struct model_proc *p, uint64_t end_ns, uint64_t window_ns,
			uint64_t res, struct alert_grew *g)
{
	uint64_t known = model_known_since(p);
	int n;

	/* Before its exec (or fork), the history is another program's. */
	if (known && p->first_ns > known)
		known = p->first_ns;
	memset(g, 0, sizeof(*g));
	g->to_ns = end_ns;
	g->from_ns = end_ns > window_ns ? end_ns - window_ns : 0;
	if (known > g->from_ns && known <= end_ns)
		g->from_ns = known;
	if (!known || known > end_ns) {
		/* Nothing kept before the incident: what the model has now is all there is. */
		g->from_ns = end_ns;
		now_point(p, end_ns, g);
		return;
	}
	/*
	 * The span in equal steps, oldest first; a zero span is one point. A point is where
	 * its values are known to hold: two steps inside one timeline interval are one point.
	 */
	n = g->to_ns > g->from_ns ? ALERT_GREW_POINTS : 1;
	for (int i = 0; i < n; i++) {
		uint64_t span = g->to_ns - g->from_ns;
		uint64_t ago = n > 1 ? span * (n - 1 - i) / (n - 1) : 0;
		struct model_state s = model_state_at(p, end_ns - ago, res);

		if (s.source == MS_NONE || s.at_ns < g->from_ns)
			continue;
		if (s.at_ns > end_ns)
			s.at_ns = end_ns;
		if (g->npoints && g->points[g->npoints - 1].at_ns == s.at_ns)
			continue;
		g->ago_ns[g->npoints] = end_ns - s.at_ns;
		g->points[g->npoints++] = s;
		g->sources |= 1u << s.source;
	}
	if (!g->npoints)
		now_point(p, end_ns, g);
	g->nseries = g->to_ns > g->from_ns ? ALERT_GREW_SERIES : 1;
	for (int i = 0; i < g->nseries; i++) {
		uint64_t span = g->to_ns - g->from_ns;
		uint64_t at = g->nseries > 1 ? g->from_ns + span * i / (g->nseries - 1) : end_ns;

		g->series[i] = model_state_at(p, at, res);
		g->sources |= 1u << g->series[i].source;
	}
}

static const char *sources_name(unsigned int sources)
{
	bool fr = sources & (1u << MS_FLIGHT), tl = sources & (1u << MS_TIMELINE);

	if (fr && tl)
		return "timeline and flight recorder";
	if (fr)
		return "flight recorder";
	if (tl)
		return "timeline";
	return "current state";
}

/* The kinds with the most VMAs (or bytes), the biggest first; returns how many in order[]. */
static int top_kinds(const struct model_proc *p, bool by_bytes, int order[VK__COUNT])
{
	int n = 0;

	for (int k = 0; k < VK__COUNT; k++) {
		uint64_t v = by_bytes ? p->bytes[k] : p->count[k];
		int at = n;

		if (!v)
			continue;
		while (at > 0 &&
		       (by_bytes ? p->bytes[order[at - 1]] : p->count[order[at - 1]]) < v) {
			order[at] = order[at - 1];
			at--;
		}
		order[at] = k;
		n++;
	}
	return n;
}

void alert_grew_json(struct jsonw *w, const struct model_proc *p, uint64_t end_ns, uint64_t res,
		     bool by_bytes, long long off)
{
	struct alert_grew g;
	int order[VK__COUNT], nk = top_kinds(p, by_bytes, order);
	const char *series_keys[] = { "vmas", "mapped", "heap" };

	alert_grew_compute(p, end_ns, ALERT_GREW_WINDOW_NS, res, &g);
	jw_kobj(w, "grew");
	alert_json_ts(w, "from", g.from_ns, off);
	alert_json_ts(w, "to", g.to_ns, off);
	jw_kfixed(w, "span_s", (g.to_ns - g.from_ns) / 1e9, 3);
	jw_kstr(w, "source", sources_name(g.sources));
	jw_karr(w, "points");
	for (int i = 0; i < g.npoints; i++) {
		const struct model_state *s = &g.points[i];

		jw_obj(w);
		jw_kfixed(w, "ago_s", g.ago_ns[i] / 1e9, 3);
		jw_kuint(w, "vmas", s->vmas);
		jw_kuint(w, "mapped", s->mapped);
		jw_kuint(w, "heap", s->heap);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	/* Evenly spaced from "from" to "to", for a plot. */
	jw_kobj(w, "series");
	jw_kfixed(w, "step_s", g.nseries > 1 ? (g.to_ns - g.from_ns) / 1e9 / (g.nseries - 1) : 0,
		  4);
	for (int k = 0; k < 3; k++) {
		jw_karr(w, series_keys[k]);
		for (int i = 0; i < g.nseries; i++) {
			const struct model_state *s = &g.series[i];

			jw_uint(w, k == 0 ? s->vmas : k == 1 ? s->mapped : s->heap);
		}
		jw_arr_end(w);
	}
	jw_obj_end(w);
	jw_karr(w, "kinds");
	for (int i = 0; i < nk && i < ALERT_GREW_KINDS; i++) {
		jw_obj(w);
		jw_kstr(w, "kind", model_kind_name(order[i]));
		jw_kuint(w, "vmas", p->count[order[i]]);
		jw_kuint(w, "bytes", p->bytes[order[i]]);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_karr(w, "events");
	flight_json(w, p, ALERT_GREW_EVENTS, off);
	jw_arr_end(w);
	jw_obj_end(w);
}

/* "1.5 s", "2 min" */
static void span_text(struct strbuf *sb, uint64_t ns)
{
	if (ns < 10 * NS_PER_S)
		sb_printf(sb, "%.1f s", ns / 1e9);
	else if (ns < 120 * NS_PER_S)
		sb_printf(sb, "%.0f s", ns / 1e9);
	else
		sb_printf(sb, "%.0f min", ns / 60e9);
}

void alert_grew_text(struct strbuf *sb, const struct model_proc *p, uint64_t end_ns, uint64_t res)
{
	struct alert_grew g;
	const struct model_state *a, *b;

	alert_grew_compute(p, end_ns, ALERT_GREW_WINDOW_NS, res, &g);
	a = &g.points[0];
	b = &g.points[g.npoints - 1];
	sb_puts(sb, "; over the last ");
	span_text(sb, g.to_ns - g.from_ns);
	sb_printf(sb, ": VMAs %u -> %u, mapped ", a->vmas, b->vmas);
	sb_size(sb, a->mapped);
	sb_puts(sb, " -> ");
	sb_size(sb, b->mapped);
	sb_puts(sb, ", heap ");
	sb_size(sb, a->heap);
	sb_puts(sb, " -> ");
	sb_size(sb, b->heap);
}

/* ---- the full context, kept in the journal ---- */

static void census_members(struct jsonw *w, const char *key, const struct model_proc *p, bool bytes)
{
	jw_kobj(w, key);
	for (int k = 0; k < VK__COUNT; k++)
		jw_kuint(w, model_kind_name(k), bytes ? p->bytes[k] : p->count[k]);
	jw_obj_end(w);
}

void alert_census_json(struct jsonw *w, const struct model_proc *p)
{
	census_members(w, "census", p, false);
}

void alert_sites_json(struct jsonw *w, const struct model_proc *p)
{
	if (!p->sites || !p->sites->n)
		return;
	jw_key(w, "sites");
	sites_write_json(w, p->sites, ALERT_TOP_SITES, decode_errno_name);
}

static void tl_point_json(struct jsonw *w, const struct tl_point *t, long long off)
{
	jw_obj(w);
	jw_kint(w, "ts", ((long long)t->t_ns + off) / 1000000000LL);
	jw_kuint(w, "vmas", t->vmas_last);
	jw_kuint(w, "vmas_max", t->vmas_max);
	jw_kuint(w, "mapped", t->mapped);
	jw_kuint(w, "heap", t->brk);
	jw_kuint(w, "calls", t->calls);
	jw_kuint(w, "failures", t->failures);
	jw_obj_end(w);
}

void alert_context_json(struct jsonw *w, const struct model_proc *p, unsigned int max_events,
			long long off)
{
	uint32_t start;

	alert_sites_json(w, p);
	census_members(w, "census", p, false);
	census_members(w, "census_bytes", p, true);
	jw_kobj(w, "heap");
	jw_khex(w, "start_brk", p->start_brk);
	jw_khex(w, "first_brk", p->first_brk);
	jw_khex(w, "brk", p->brk);
	jw_khex(w, "hwm", p->brk_hwm);
	jw_kuint(w, "size", model_heap_size(p));
	jw_kuint(w, "hwm_size", model_heap_hwm(p));
	jw_obj_end(w);
	/* The timeline leading up to now, the interval still open included: what grew. */
	jw_karr(w, "timeline");
	start = p->tl_len > 120 ? p->tl_len - 120 : 0;
	for (uint32_t i = start; i < p->tl_len; i++)
		tl_point_json(w, &p->tl[(p->tl_head + i) % p->tl_cap], off);
	if (p->tl_open)
		tl_point_json(w, &p->tl_cur, off);
	jw_arr_end(w);
	jw_karr(w, "flight");
	flight_json(w, p, max_events, off);
	jw_arr_end(w);
	jw_kuint(w, "flight_lost", p->fr_lost);
	alert_failures_json(w, p->fails, p->nfails);
}
