// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A process's state at a past instant, from what the model kept of its
 * history: the flight recorder has every recent event (exact), the timeline
 * one point per interval further back. Alerts read it to say what grew.
 */
#include "model.h"
#include "model_internal.h"

static const struct fr_event *fr_at(const struct model_proc *p, uint32_t i)
{
	return &p->fr[(p->fr_head + i) % p->fr_cap];
}

static uint64_t heap_of(const struct model_proc *p, uint64_t brk)
{
	return p->start_brk && brk > p->start_brk ? brk - p->start_brk : 0;
}

uint64_t model_known_since(const struct model_proc *p)
{
	uint64_t t = 0;

	if (p->fr_len)
		t = fr_at(p, 0)->ts_ns;
	if (p->tl_len && (!t || model_tl_at(p, 0)->t_ns < t))
		t = model_tl_at(p, 0)->t_ns;
	if (p->tl_open && (!t || p->tl_cur.t_ns < t))
		t = p->tl_cur.t_ns;
	return t;
}

struct model_state model_state_at(const struct model_proc *p, uint64_t t, uint64_t resolution_ns)
{
	struct model_state s = { .source = MS_NONE };
	const struct tl_point *best = NULL, *before = NULL;

	if (p->fr_len && fr_at(p, 0)->ts_ns <= t) {
		/* The last event at or before t: the ring is in time order, so bisect. */
		uint32_t lo = 0, hi = p->fr_len - 1;
		const struct fr_event *e;

		while (lo < hi) {
			uint32_t mid = lo + (hi - lo + 1) / 2;

			if (fr_at(p, mid)->ts_ns <= t)
				lo = mid;
			else
				hi = mid - 1;
		}
		e = fr_at(p, lo);
		s.vmas = e->map_count;
		s.mapped = e->mapped;
		s.heap = heap_of(p, e->brk);
		s.source = MS_FLIGHT;
		s.at_ns = t;
		return s;
	}
	/* Older than the flight recorder: the timeline's last interval starting by t. */
	if (p->tl_open && p->tl_cur.t_ns <= t) {
		best = &p->tl_cur;
		before = p->tl_len ? model_tl_at(p, p->tl_len - 1) : NULL;
	} else {
		for (uint32_t i = p->tl_len; i-- > 0;) {
			if (model_tl_at(p, i)->t_ns <= t) {
				best = model_tl_at(p, i);
				before = i ? model_tl_at(p, i - 1) : NULL;
				break;
			}
		}
	}
	if (!best)
		return s;
	s.source = MS_TIMELINE;
	s.at_ns = t;
	if (best != &p->tl_cur && best->t_ns + resolution_ns <= t) {
		/* It ended by t, and nothing happened since: its last values hold at t. */
	} else if (before) {
		/*
		 * t is inside it, where only its end is known: the values are those the interval
		 * before left, true up to this one's start.
		 */
		s.at_ns = best->t_ns;
		best = before;
	} else {
		/* The first interval: known from its end (the open one's: from its last event). */
		s.at_ns = best == &p->tl_cur ? (p->last_ns > t ? p->last_ns : t) :
					       best->t_ns + resolution_ns;
	}
	s.vmas = best->vmas_last;
	s.mapped = best->mapped;
	s.heap = best->brk;
	return s;
}
