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
	last = p->tl_len ? &p->tl[(p->tl_head + p->tl_len - 1) % p->tl_cap] : NULL;
	/* Only intervals where something changed are kept. */
	if (last && !p->tl_cur.calls && last->vmas_last == p->tl_cur.vmas_last &&
	    last->mapped == p->tl_cur.mapped && last->brk == p->tl_cur.brk)
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
	uint64_t slot = ts - ts % res;
	uint32_t vmas = model_vma_count(p);

	if (p->tl_open && p->tl_cur.t_ns != slot)
		model_tl_close(m, p);
	if (!p->tl_open) {
		memset(&p->tl_cur, 0, sizeof(p->tl_cur));
		p->tl_cur.t_ns = slot;
		p->tl_cur.vmas_min = p->tl_cur.vmas_max = vmas;
		p->tl_open = true;
	}
	if (vmas < p->tl_cur.vmas_min)
		p->tl_cur.vmas_min = vmas;
	if (vmas > p->tl_cur.vmas_max)
		p->tl_cur.vmas_max = vmas;
	p->tl_cur.vmas_last = vmas;
	p->tl_cur.calls += call;
	p->tl_cur.failures += failed;
	p->tl_cur.mapped = model_mapped_bytes(p);
	p->tl_cur.brk = model_heap_size(p);
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

void model_fr_push(struct model *m, struct model_proc *p, const struct fr_event *ev)
{
	if (p->fr_len == p->fr_cap)
		ring_grow(m, (void **)&p->fr, sizeof(*p->fr), &p->fr_cap, &p->fr_head, p->fr_len,
			  64, m->cfg.flight_events);
	if (!p->fr_cap) {
		p->fr_lost++;
		m->st.fr_lost++;
		return;
	}
	if (p->fr_len == p->fr_cap) {
		p->fr_head = (p->fr_head + 1) % p->fr_cap;
		p->fr_len--;
		p->fr_lost++;
		m->st.fr_lost++;
	}
	p->fr[(p->fr_head + p->fr_len) % p->fr_cap] = *ev;
	p->fr_len++;
}

const struct tl_point *model_tl_at(const struct model_proc *p, uint32_t i)
{
	return &p->tl[(p->tl_head + i) % p->tl_cap];
}

double model_growth_rate(const struct model_proc *p, uint64_t now_ns, uint64_t window_ns)
{
	const struct tl_point *first = NULL, *last = p->tl_open ? &p->tl_cur : NULL;
	double dt;

	if (!last && p->tl_len)
		last = model_tl_at(p, p->tl_len - 1);
	for (uint32_t i = 0; i < p->tl_len; i++) {
		const struct tl_point *t = model_tl_at(p, i);

		if (now_ns - t->t_ns <= window_ns) {
			first = t;
			break;
		}
	}
	if (!first || !last || last->t_ns <= first->t_ns)
		return 0;
	dt = (last->t_ns - first->t_ns) / 1e9;
	return ((double)last->vmas_last - (double)first->vmas_last) / dt;
}

double model_recent_rate(const struct model_proc *p, uint64_t now_ns, uint64_t window_ns)
{
	const struct fr_event *first = NULL, *last;
	uint32_t lo = 0, hi;

	if (p->fr_len < 2)
		return 0;
	last = &p->fr[(p->fr_head + p->fr_len - 1) % p->fr_cap];
	/* The oldest event inside the window: the ring is in time order, so bisect. */
	hi = p->fr_len - 1;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (p->fr[(p->fr_head + mid) % p->fr_cap].ts_ns + window_ns < now_ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = &p->fr[(p->fr_head + lo) % p->fr_cap];
	if (last->ts_ns <= first->ts_ns)
		return 0;
	return ((double)last->map_count - (double)first->map_count) * 1e9 /
	       (double)(last->ts_ns - first->ts_ns);
}
