// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What happened over time: a consolidated timeline (one point per interval in
 * which something changed) and a flight recorder of the last raw events, both
 * rings that grow within the model's memory budget.
 */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "model_internal.h"

static bool detail_budget(struct model *m, size_t more)
{
	return m->st.detail_bytes + more <= m->cfg.memory_limit;
}

/*
 * Double a full ring (timeline, flight recorder) up to max elements, within the
 * memory budget; the elements come out in order from index 0. When it cannot
 * grow, the caller overwrites the oldest element instead.
 */
static void ring_grow(struct model *m, void **buf, size_t esz, uint32_t *cap, uint32_t *head,
		      uint32_t len, uint32_t first_cap, uint32_t max)
{
	uint32_t ncap = *cap ? *cap * 2 : first_cap;
	char *n;

	if (*cap >= max)
		return;
	if (ncap > max)
		ncap = max;
	if (!detail_budget(m, (ncap - *cap) * esz) || !(n = malloc((size_t)ncap * esz)))
		return;
	for (uint32_t i = 0; i < len; i++)
		memcpy(n + i * esz, (char *)*buf + ((*head + i) % *cap) * esz, esz);
	m->st.detail_bytes += (ncap - *cap) * esz;
	free(*buf);
	*buf = n;
	*cap = ncap;
	*head = 0;
}

void model_tl_close(struct model *m, struct model_proc *p)
{
	struct tl_point *last;

	if (!p->tl_open)
		return;
	p->tl_open = false;
	p->tl_held = true;
	last = p->tl_len ? &p->tl[(p->tl_head + p->tl_len - 1) % p->tl_cap] : NULL;
	/*
	 * A value holds until it changes: an interval that changed nothing needs no point,
	 * unless it is the first of an image (an exec into the same figures is a new series).
	 */
	if (last && !p->tl_fresh && !p->tl_cur.calls && last->vmas_last == p->tl_cur.vmas_last &&
	    last->mapped == p->tl_cur.mapped && last->brk == p->tl_cur.brk &&
	    p->tl_cur.vmas_min == p->tl_cur.vmas_max && p->tl_cur.mapped_max == p->tl_cur.mapped &&
	    p->tl_cur.brk_max == p->tl_cur.brk)
		return;
	if (p->tl_len == p->tl_cap)
		ring_grow(m, (void **)&p->tl, sizeof(*p->tl), &p->tl_cap, &p->tl_head, p->tl_len,
			  16, m->cfg.timeline_points);
	if (!p->tl_cap) {
		m->st.tl_dropped++;
		return;
	}
	if (p->tl_len == p->tl_cap) {
		/* Full: the oldest point goes. */
		p->tl_head = (p->tl_head + 1) % p->tl_cap;
		p->tl_len--;
		m->st.tl_dropped++;
	}
	p->tl[(p->tl_head + p->tl_len) % p->tl_cap] = p->tl_cur;
	p->tl_len++;
	if (m->cfg.on_point)
		m->cfg.on_point(m->cfg.point_ctx, p, &p->tl_cur);
}

void model_tl_record(struct model *m, struct model_proc *p, uint64_t ts, bool call, bool failed)
{
	uint64_t res = m->cfg.timeline_resolution_ns;
	struct tl_point *c = &p->tl_cur;
	/* Nearly every record falls in the open interval: no division for those. */
	uint64_t slot = p->tl_open && ts >= c->t_ns && ts - c->t_ns < res ? c->t_ns : ts - ts % res;
	uint32_t vmas = model_vma_count(p);
	uint64_t mapped = model_mapped_bytes(p), heap = model_heap_size(p);

	/*
	 * A series never goes back in time: a record older than the last interval (queued
	 * while the daemon's start marked every process) counts in that interval.
	 */
	if ((p->tl_open || p->tl_held || p->tl_len) && slot < c->t_ns)
		slot = c->t_ns;
	if (p->tl_open && c->t_ns != slot)
		model_tl_close(m, p);
	if (!p->tl_open) {
		/*
		 * The interval starts from the values held into it (those the last one ended
		 * with); a new image (exec) or a new process starts from its first values.
		 */
		bool held = p->tl_held;
		uint32_t from = held ? c->vmas_last : vmas;
		uint64_t from_mapped = held ? c->mapped : mapped, from_heap = held ? c->brk : heap;

		if (!held) {
			p->tl_origin_ns = ts;
			p->tl_origin_vmas = vmas;
		}
		p->tl_fresh = !held;
		memset(c, 0, sizeof(*c));
		c->t_ns = slot;
		c->vmas_min = c->vmas_max = from;
		c->mapped_max = from_mapped;
		c->brk_max = from_heap;
		p->tl_open = true;
	}
	if (vmas < c->vmas_min)
		c->vmas_min = vmas;
	if (vmas > c->vmas_max)
		c->vmas_max = vmas;
	c->vmas_last = vmas;
	c->calls += call;
	c->failures += failed;
	c->mapped = mapped;
	c->brk = heap;
	if (mapped > c->mapped_max)
		c->mapped_max = mapped;
	if (heap > c->brk_max)
		c->brk_max = heap;
}

void model_tl_mark(struct model *m, uint64_t now_ns)
{
	uint64_t k;
	void *v;

	for (size_t i = 0; (i = hmap_next(&m->procs, i, &k, &v));) {
		struct model_proc *p = v;

		if (!p->exec_pending)
			model_tl_record(m, p, now_ns, false, false);
	}
}

void model_tick(struct model *m, uint64_t now_ns)
{
	uint64_t k;
	void *v;

	for (size_t i = 0; (i = hmap_next(&m->procs, i, &k, &v));) {
		struct model_proc *p = v;

		if (p->tl_open && now_ns - p->tl_cur.t_ns >= m->cfg.timeline_resolution_ns)
			model_tl_close(m, p);
	}
	/* Separately: a resync may add or drop processes, which the walk above must not see. */
	for (size_t i = 0; (i = hmap_next(&m->procs, i, &k, &v));) {
		struct model_proc *p = v;

		if (p->suspect_ns && now_ns > p->suspect_ns + MODEL_SUSPECT_NS) {
			model_settle(m, p);
			break; /* the map may have changed under the iteration: the next tick goes on */
		}
		/* The rest of an exec's VMA records never came and the process went quiet. */
		if (p->exec_pending && now_ns > p->kernel_count_ns + MODEL_EXEC_WAIT_NS) {
			p->exec_pending = false;
			model_resync(m, p);
			break;
		}
	}
}

/* i + d for a ring index i < cap and d <= cap, wrapped without a division (one per record). */
static inline uint32_t ring_add(uint32_t i, uint32_t d, uint32_t cap)
{
	i += d;
	return i >= cap ? i - cap : i;
}

struct fr_event *model_fr_next(struct model *m, struct model_proc *p)
{
	if (p->fr_len == p->fr_cap)
		ring_grow(m, (void **)&p->fr, sizeof(*p->fr), &p->fr_cap, &p->fr_head, p->fr_len,
			  64, m->cfg.flight_events);
	if (!p->fr_cap) {
		p->fr_lost++;
		m->st.fr_lost++;
		return NULL;
	}
	if (p->fr_len == p->fr_cap) {
		p->fr_head = ring_add(p->fr_head, 1, p->fr_cap);
		p->fr_len--;
		p->fr_lost++;
		m->st.fr_lost++;
	}
	return &p->fr[ring_add(p->fr_head, p->fr_len++, p->fr_cap)];
}

void model_fr_push(struct model *m, struct model_proc *p, const struct fr_event *ev)
{
	struct fr_event *slot = model_fr_next(m, p);

	if (slot)
		*slot = *ev;
}

const struct tl_point *model_tl_at(const struct model_proc *p, uint32_t i)
{
	return &p->tl[(p->tl_head + i) % p->tl_cap];
}

/* The VMA count p held at time t, from the flight recorder's exact events; false if too old. */
static bool fr_count_at(const struct model_proc *p, uint64_t t, uint32_t *count)
{
	uint32_t lo = 0, hi = p->fr_len;

	if (!p->fr_len || p->fr[p->fr_head].ts_ns > t)
		return false;
	/* The ring is in time order: the last event at or before t, by bisection. */
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;

		if (p->fr[(p->fr_head + mid) % p->fr_cap].ts_ns <= t)
			lo = mid;
		else
			hi = mid;
	}
	*count = p->fr[(p->fr_head + lo) % p->fr_cap].map_count;
	return true;
}

/* The same from the timeline: the last value of the last interval of this image over by t. */
static bool tl_count_at(const struct model_proc *p, uint64_t res, uint64_t t, uint32_t *count)
{
	uint64_t origin = p->tl_origin_ns - p->tl_origin_ns % res;
	uint32_t lo = 0, hi = p->tl_len;

	if (!p->tl_len || !res || t < res || model_tl_at(p, 0)->t_ns > t - res)
		return false;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;

		if (model_tl_at(p, mid)->t_ns <= t - res)
			lo = mid;
		else
			hi = mid;
	}
	if (model_tl_at(p, lo)->t_ns < origin)
		return false; /* before this image's exec */
	*count = model_tl_at(p, lo)->vmas_last;
	return true;
}

double model_growth_rate(const struct model_proc *p, uint64_t res, uint64_t now_ns,
			 uint64_t window_ns)
{
	uint64_t start = now_ns > window_ns ? now_ns - window_ns : 0, span;
	uint32_t then;

	if (!p->tl_origin_ns || now_ns < p->tl_origin_ns)
		return 0;
	if (start <= p->tl_origin_ns) {
		start = p->tl_origin_ns;
		then = p->tl_origin_vmas;
	} else if (!fr_count_at(p, start, &then) && !tl_count_at(p, res, start, &then)) {
		start = p->tl_origin_ns;
		then = p->tl_origin_vmas;
	}
	span = now_ns - start;
	/* A process younger than an interval: its first VMAs are not a rate yet. */
	if (span < res)
		span = res;
	return ((double)model_vma_count(p) - (double)then) * 1e9 / (double)span;
}
