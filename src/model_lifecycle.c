// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The records of a process's life that make or replace its address space: exec (the new
 * image's VMAs follow it as VMA records, sent from inside the exec) and fork (the child is a
 * copy of its parent's model, less what a fork leaves out). A record that cannot be followed
 * (a lost VMA record, a count that disagrees) reads the process from the kernel.
 */
#include <string.h>

#include "model.h"
#include "model_internal.h"
#include "vmamap.h"

void model_apply_exec(struct model *m, const struct vmt_exec_rec *r)
{
	struct model_proc *p =
		model_seed_begin(m, r->hdr.tgid, r->hdr.comm, r->map_count, r->start_brk, r->brk);

	if (!p)
		return;
	/* The new image's VMAs follow as VMT_REC_VMA records. */
	p->memcg_id = r->memcg_id;
	p->kernel_count_ns = r->hdr.ts_ns;
	p->seeded = false;
	p->exec_expect = r->nvmas;
	p->exec_next = 0;
	p->exec_pending = r->nvmas > 0;
	p->first_brk = r->brk;
	p->brk_hwm = r->brk;
	if (!r->nvmas)
		model_resync(m, p);
}

void model_apply_vma(struct model *m, const struct vmt_vma_rec *r)
{
	struct model_proc *p = model_proc_get(m, r->hdr.tgid);

	if (!p || !p->exec_pending)
		return;
	if (r->index != p->exec_next) {
		/* A record was lost: read the address space instead. */
		p->exec_pending = false;
		model_resync(m, p);
		p = model_proc_get(m, r->hdr.tgid);
		if (p)
			model_tl_record(m, p, r->hdr.ts_ns, false, false);
		return;
	}
	p->exec_next++;
	if (model_seed_vma(m, p, &r->vma))
		p->need_resync = true;
	if (p->exec_next == p->exec_expect) {
		/* The exec's map_count, before model_seed_end takes the model's own. */
		uint32_t kernel_count = p->kernel_count;

		p->exec_pending = false;
		model_seed_end(m, p);
		if (p->need_resync || model_vma_count(p) != kernel_count)
			model_resync(m, p);
		/* The new image's timeline starts with all its VMAs in, not at 0. */
		p = model_proc_get(m, r->hdr.tgid);
		if (p)
			model_tl_record(m, p, r->hdr.ts_ns, false, false);
	}
}

void model_apply_fork(struct model *m, const struct vmt_fork_rec *r)
{
	struct model_proc *parent, *c;

	/* No process forks itself: making the "child" would free the parent under us. */
	if (r->child_tgid == r->hdr.tgid || !r->child_tgid)
		return;
	parent = model_proc_get(m, r->hdr.tgid);
	c = model_proc_new(m, r->child_tgid);
	if (!c)
		return;
	memcpy(c->comm, r->child_comm, sizeof(c->comm));
	c->first_ns = c->last_ns = r->hdr.ts_ns;
	if (parent)
		c->memcg_id = parent->memcg_id;
	if (parent && !parent->exec_pending) {
		struct vmamap *copy = vmamap_clone(parent->map);

		if (copy) {
			vmamap_free(c->map);
			c->map = copy;
			memcpy(c->bytes, parent->bytes, sizeof(c->bytes));
			c->mapped = parent->mapped;
			memcpy(c->count, parent->count, sizeof(c->count));
			c->seeded = parent->seeded;
			/* MADV_DONTFORK regions stay with the parent. */
			model_drop_flagged(c, VF_DONTCOPY);
		}
	}
	model_set_brk(c, r->start_brk, r->brk);
	c->kernel_count = r->map_count;
	c->kernel_count_ns = r->hdr.ts_ns;
	c->kernel_seq = 0; /* a new mm, with its own sequence */
	/*
	 * The count tells whether the copy is the child's: the model knows MADV_DONTFORK regions
	 * from the calls and the kernel's vm_flags, but not a region marked before we started
	 * and never read since (the /proc fallback before "dc" in VmFlags, say).
	 */
	if (model_vma_count(c) != r->map_count)
		model_resync(m, c);
}
