// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reading an address space from the kernel into the model: the seeding walk
 * (records of the BPF iterator, or the same records made from /proc by
 * procfs.c) and the resync, which asks the caller to do such a read when the
 * model could not follow an event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "hmap.h"
#include "log.h"
#include "model.h"
#include "model_internal.h"

void model_seed_walk_begin(struct model *m)
{
	m->walk_start_ns = clock_mono_ns();
}

void model_seed_walk_end(struct model *m)
{
	m->walk_start_ns = 0;
}

struct model_proc *model_seed_begin(struct model *m, uint32_t tgid, const char *comm,
				    uint32_t map_count, uint64_t start_brk, uint64_t brk)
{
	struct model_proc *p = model_proc_get(m, tgid);

	if (!p)
		p = model_proc_new(m, tgid);
	if (!p)
		return NULL;
	/* A record's comm fills its 16 bytes with no NUL when the name is 16 bytes long. */
	if (comm)
		snprintf(p->comm, sizeof(p->comm), "%.*s", (int)sizeof(p->comm) - 1, comm);
	model_proc_clear_map(p);
	/* The same heap read again keeps its high-water; another heap, or none known, starts anew.
	 */
	if (!brk || start_brk != p->start_brk)
		p->start_brk = p->brk = p->brk_hwm = p->first_brk = 0;
	model_set_brk(p, start_brk, brk);
	p->kernel_count = map_count;
	p->kernel_count_ns = m->walk_start_ns;
	p->kernel_seq = 0; /* the read has none: the next record is the newest by time */
	p->exec_pending = false;
	p->need_resync = false;
	p->suspect_ns = 0;
	p->skip_before_ns = m->walk_start_ns;
	p->gone = false; /* read: it runs (a new image after an exec, or a reused pid) */
	return p;
}

int model_seed_vma(struct model *m, struct model_proc *p, const struct vmt_vma *v)
{
	struct vma_entry e = model_entry_from_vmt(m, v);

	/* Seeding may overlap what we have (a late snapshot): the snapshot wins. */
	if (vmamap_count(p->map) && model_range_unmap(p, e.start, e.end))
		return -ENOMEM;
	return model_ent_add(p, e);
}

void model_seed_end(struct model *m, struct model_proc *p)
{
	p->seeded = true;
	p->kernel_count = model_vma_count(p);
	p->settle_ns = m->walk_start_ns ? clock_mono_ns() : 0;
	m->st.seeds++;
}

int model_seed_iter(void *ctx, const struct vmt_iter_rec *r)
{
	struct model_seeder *s = ctx;

	if (r->kind == VMT_ITER_PROC) {
		model_seeder_end(s);
		s->p = model_seed_begin(s->m, r->tgid, r->comm, r->map_count, r->start_brk, r->brk);
		if (s->p && r->memcg_id) /* 0: not known here (/proc), keep what was */
			s->p->memcg_id = r->memcg_id;
	} else if (s->p && s->p->tgid == r->tgid) {
		model_seed_vma(s->m, s->p, &r->vma);
	}
	return 0;
}

void model_seeder_end(struct model_seeder *s)
{
	if (s->p)
		model_seed_end(s->m, s->p);
	s->p = NULL;
}

/*
 * The ranges the model marked as thread stacks (MAP_STACK), which a read from the kernel does not
 * show before 6.7 (no VM_NOHUGEPAGE mark): kept across a resync for the VMAs read inside them.
 */
struct stack_marks {
	uint64_t (*r)[2];
	size_t n;
};

static void stack_marks_take(struct model_proc *p, struct stack_marks *sm)
{
	struct vmamap_iter it;
	struct vma_entry *e;
	size_t cap = 0;

	sm->r = NULL;
	sm->n = 0;
	vmamap_iter_init(p->map, &it, 0);
	while ((e = vmamap_iter_next(&it))) {
		if (!(e->flags & VF_STACKHINT) || e->file)
			continue;
		if (sm->n == cap) {
			void *g = realloc(sm->r, (cap = cap ? 2 * cap : 16) * sizeof(*sm->r));

			if (!g)
				return; /* fewer marks kept: those stacks count as anonymous memory */
			sm->r = g;
		}
		sm->r[sm->n][0] = e->start;
		sm->r[sm->n++][1] = e->end;
	}
}

static void stack_marks_give(struct model *m, uint32_t tgid, struct stack_marks *sm)
{
	struct model_proc *p = model_proc_get(m, tgid);

	for (size_t i = 0; p && i < sm->n; i++)
		model_mark_thread_stack(p, sm->r[i][0], sm->r[i][1]);
	free(sm->r);
}

/*
 * -v: where the model and the kernel's read disagreed, the first few entries that differ, so
 * that a resync says which VMAs the records did not explain (a debugging aid: a copy of the
 * map per resync, taken only when debug messages are on).
 */
static void log_entry(uint32_t tgid, const char *who, const struct vma_entry *e)
{
	log_debug("resync %u: %s %#llx-%#llx flags %#x pgoff %#llx file %u", tgid, who,
		  (unsigned long long)e->start, (unsigned long long)e->end, e->flags,
		  (unsigned long long)e->pgoff, e->file);
}

static void log_resync_diff(uint32_t tgid, struct vmamap *before, struct vmamap *after)
{
	struct vmamap_iter a, b;
	struct vma_entry *x, *y;
	int shown = 0;

	vmamap_iter_init(before, &a, 0);
	vmamap_iter_init(after, &b, 0);
	x = vmamap_iter_next(&a);
	y = vmamap_iter_next(&b);
	while ((x || y) && shown < 6) {
		bool same_start = x && y && x->start == y->start, take_x, take_y;

		if (same_start && x->end == y->end && x->flags == y->flags &&
		    x->pgoff == y->pgoff && x->file == y->file) {
			x = vmamap_iter_next(&a);
			y = vmamap_iter_next(&b);
			continue;
		}
		take_x = x && (same_start || !y || x->start < y->start);
		take_y = y && (same_start || !x || y->start < x->start);
		shown++;
		if (take_x) {
			log_entry(tgid, "the model had", x);
			x = vmamap_iter_next(&a);
		}
		if (take_y) {
			log_entry(tgid, "the kernel has", y);
			y = vmamap_iter_next(&b);
		}
	}
}

void model_resync(struct model *m, struct model_proc *p)
{
	uint32_t tgid = p->tgid;
	struct vmamap *before;
	struct stack_marks sm;
	int err;

	m->st.resyncs++;
	p->resyncs++;
	if (p->gone) {
		/* Its records are still coming, its /proc is not: they are the truth now. */
		m->st.resyncs_gone++;
		p->need_resync = false;
		return;
	}
	if (!m->cfg.reseed || m->in_reseed) {
		p->need_resync = false;
		return;
	}
	m->in_reseed = true;
	stack_marks_take(p, &sm);
	before = log_enabled(LOG_LVL_DEBUG) ? vmamap_clone(p->map) : NULL;
	model_seed_walk_begin(m);
	err = m->cfg.reseed(m->cfg.reseed_ctx, tgid);
	model_seed_walk_end(m);
	m->in_reseed = false;
	if (!err)
		stack_marks_give(m, tgid, &sm);
	else
		free(sm.r);
	p = model_proc_get(m, tgid);
	if (before && p && !err)
		log_resync_diff(tgid, before, p->map);
	vmamap_free(before);
	if (err == -ESRCH || err == -ENOENT) {
		m->st.resyncs_gone++;
		if (p)
			p->gone = true;
	} else if (err) {
		m->st.resync_failures++;
	}
	if (p)
		p->need_resync = false;
}

size_t model_forget_gone(struct model *m, uint64_t now_ns, uint64_t quiet_ns)
{
	uint32_t victims[64];
	size_t n = 0, total = 0;
	uint64_t key;
	void *val;

	do {
		n = 0;
		for (size_t i = 0; n < 64 && (i = hmap_next(&m->procs, i, &key, &val));) {
			const struct model_proc *p = val;
			uint64_t last = p->last_ns > p->first_ns ? p->last_ns : p->first_ns;

			if (p->gone && last + quiet_ns < now_ns)
				victims[n++] = (uint32_t)key;
		}
		for (size_t i = 0; i < n; i++)
			model_proc_drop(m, victims[i]);
		total += n;
	} while (n == 64);
	return total;
}

void model_repair(struct model *m, uint32_t tgid)
{
	struct model_proc *p = model_proc_get(m, tgid);

	m->st.repairs++;
	if (p) {
		p->exec_pending = false;
		model_resync(m, p);
		return;
	}
	if (!m->cfg.reseed || m->in_reseed)
		return;
	/* Unknown (its fork record was lost): the read creates it, or finds it gone. */
	m->st.resyncs++;
	m->in_reseed = true;
	model_seed_walk_begin(m);
	if (m->cfg.reseed(m->cfg.reseed_ctx, tgid))
		m->st.resync_failures++;
	model_seed_walk_end(m);
	m->in_reseed = false;
}

void model_settle(struct model *m, struct model_proc *p)
{
	if (!p || !p->suspect_ns)
		return;
	p->suspect_ns = 0;
	if (model_vma_count(p) != p->kernel_count)
		model_resync(m, p);
}
