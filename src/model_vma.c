// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The address space's primitives: file identities, entries classified by
 * kind, splits, unmaps, permission changes, the kernel's word on one VMA
 * ("[s, e) is one VMA with these attributes") and the heap break. Every
 * update is an idempotent assignment, so that replaying an event that a read
 * from the kernel already reflects is harmless.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "model.h"
#include "model_internal.h"

static const char *const kind_names[VK__COUNT] = {
	[VK_ANON] = "anonymous", [VK_HEAP] = "heap",
	[VK_STACK] = "stack",	 [VK_THREAD_STACK] = "thread_stack",
	[VK_FILE] = "file",	 [VK_RESERVED] = "reserved",
	[VK_GUARD] = "guard",	 [VK_SPECIAL] = "special",
};

const char *model_kind_name(enum vma_kind k)
{
	return k < VK__COUNT ? kind_names[k] : "?";
}

/* ---- files ---------------------------------------------------------------------------- */

static uint64_t file_key(uint32_t dev, uint64_t ino)
{
	return ((uint64_t)dev << 40) ^ ino;
}

static uint32_t file_index(struct model *m, uint32_t dev, uint64_t ino)
{
	uint64_t key;
	uintptr_t idx;

	if (!ino)
		return 0;
	key = file_key(dev, ino);
	idx = (uintptr_t)hmap_get(&m->file_ids, key);
	/* Keys may collide (the key folds dev and inode): check and fall back to a scan. */
	if (idx && m->files[idx].ino == ino && m->files[idx].dev == dev)
		return idx;
	for (uint32_t i = 1; idx && i < m->nfiles; i++)
		if (m->files[i].ino == ino && m->files[i].dev == dev)
			return i;
	if (m->nfiles == m->files_cap) {
		uint32_t cap = m->files_cap ? m->files_cap * 2 : 64;
		struct model_file *f = realloc(m->files, cap * sizeof(*f));

		if (!f)
			return 0;
		m->files = f;
		m->files_cap = cap;
	}
	idx = m->nfiles++;
	m->files[idx] = (struct model_file){ .ino = ino, .dev = dev };
	if (!hmap_get(&m->file_ids, key))
		hmap_put(&m->file_ids, key, (void *)idx);
	return idx;
}

/* ---- entries ---------------------------------------------------------------------------- */

static uint16_t flags_from_vm(uint64_t vm)
{
	uint16_t f = 0;

	if (vm & VMT_VM_READ)
		f |= VF_READ;
	if (vm & VMT_VM_WRITE)
		f |= VF_WRITE;
	if (vm & VMT_VM_EXEC)
		f |= VF_EXEC;
	if (vm & VMT_VM_MAYSHARE)
		f |= VF_MAYSHARE;
	if (vm & VMT_VM_GROWSDOWN)
		f |= VF_GROWSDOWN;
	if (vm & (VMT_VM_DONTEXPAND | VMT_VM_PFNMAP | VMT_VM_IO | VMT_VM_MIXEDMAP))
		f |= VF_SPECIAL;
	if (vm & VMT_VM_NOHUGEPAGE)
		f |= VF_STACKHINT;
	if (vm & VMT_VM_DONTCOPY)
		f |= VF_DONTCOPY;
	return f;
}

enum vma_kind model_classify(const struct model_proc *p, const struct vma_entry *e)
{
	if (e->file)
		return VK_FILE;
	if (e->flags & VF_GROWSDOWN)
		return VK_STACK;
	if (p->brk > p->start_brk && e->start < p->brk && e->end > p->start_brk &&
	    e->start >= p->start_brk)
		return VK_HEAP;
	if (e->flags & VF_SPECIAL)
		return VK_SPECIAL;
	if (!(e->flags & (VF_READ | VF_WRITE | VF_EXEC)))
		return e->end - e->start <= VK_GUARD_MAX ? VK_GUARD : VK_RESERVED;
	if ((e->flags & VF_STACKHINT) && (e->flags & VF_WRITE))
		return VK_THREAD_STACK;
	return VK_ANON;
}

void model_account(struct model_proc *p, const struct vma_entry *e, int sign)
{
	uint64_t len = e->end - e->start;

	/* Unsigned throughout: a VMA (from a hostile record) may span 2^63 bytes or more. */
	p->bytes[e->kind] += sign > 0 ? len : -len;
	p->mapped += sign > 0 ? len : -len;
	p->count[e->kind] += sign;
	if (e->flags & VF_GROWSDOWN)
		p->stack_pages_seen = 0; /* follow_stack() looks again */
}

int model_ent_add(struct model_proc *p, struct vma_entry e)
{
	int err;

	if (e.end <= e.start)
		return 0;
	e.kind = model_classify(p, &e);
	err = vmamap_insert(p->map, &e);
	if (err)
		return err;
	model_account(p, &e, +1);
	if (e.flags & VF_GROWSDOWN)
		p->stack_end = e.end;
	return 0;
}

void model_ent_del(struct model_proc *p, struct vma_entry *e)
{
	model_account(p, e, -1);
	vmamap_erase(p->map, e->start);
}

/* Change an entry's end in place (the key stays). */
static void ent_set_end(struct model_proc *p, struct vma_entry *e, uint64_t end)
{
	model_account(p, e, -1);
	e->end = end;
	e->kind = model_classify(p, e);
	model_account(p, e, +1);
}

/* Change an entry's start within the free range below it or its own (the map keeps its place). */
static int ent_set_start(struct model_proc *p, struct vma_entry *e, uint64_t start)
{
	uint64_t old = e->start;
	int err;

	model_account(p, e, -1);
	err = vmamap_rekey(p->map, old, start); /* e is the same slot: its start is now start */
	if (!err) {
		/* A file's offset moves with the start (the kernel's vm_pgoff does too). */
		e->pgoff += (int64_t)(start - old) / (int64_t)MODEL_PAGE_SIZE;
		e->kind = model_classify(p, e);
	}
	model_account(p, e, +1);
	return err;
}

/* Make addr a VMA boundary: split the entry that contains it. */
int model_split_at(struct model_proc *p, uint64_t addr)
{
	struct vma_entry *e = vmamap_find(p->map, addr);
	struct vma_entry right;

	if (!e || e->start == addr)
		return 0;
	right = *e;
	right.start = addr;
	right.pgoff += (addr - e->start) / MODEL_PAGE_SIZE;
	ent_set_end(p, e, addr);
	return model_ent_add(p, right);
}

/* Remove [a, b) from the address space. */
int model_range_unmap(struct model_proc *p, uint64_t a, uint64_t b)
{
	struct vma_entry *e;
	int err;

	if (b <= a)
		return 0;
	/*
	 * The common cases in one lookup rather than three: nothing there (a new mapping's
	 * range), or exactly one entry (a munmap of a whole mapping). The entry that can
	 * overlap the range's end is the one starting at or below its last byte.
	 */
	e = vmamap_floor(p->map, b - 1);
	if (!e || e->end <= a)
		return 0;
	if (e->start == a && e->end == b) {
		model_ent_del(p, e);
		return 0;
	}
	/* Its tail (a munmap of what the kernel had merged onto a neighbour): the key stays. */
	if (e->start < a && e->end == b) {
		ent_set_end(p, e, a);
		return 0;
	}
	/* Its head (what the kernel had merged onto the mapping above it): the start moves. */
	if (e->start == a && e->end > b && !ent_set_start(p, e, b))
		return 0;
	if ((err = model_split_at(p, a)) || (err = model_split_at(p, b)))
		return err;
	while ((e = vmamap_ceil(p->map, a)) && e->start < b)
		model_ent_del(p, e);
	return 0;
}

struct vma_entry model_entry_from_vmt(struct model *m, const struct vmt_vma *v)
{
	struct vma_entry e = {
		.start = v->start,
		.end = v->end,
		.pgoff = v->pgoff,
		.file = file_index(m, v->dev, v->ino),
		.flags = flags_from_vm(v->vm_flags),
	};
	return e;
}

/* The kernel says [start, end) is one VMA with these attributes: make it so. */
int model_apply_truth(struct model *m, struct model_proc *p, const struct vmt_vma *v)
{
	struct vma_entry e, *old, *first = NULL;
	struct vmamap_iter it;
	bool stack_hint = false;
	unsigned int overlaps = 0;
	int err;

	if (!v->valid)
		return 0;
	/*
	 * MAP_STACK leaves a mark in vm_flags (VM_NOHUGEPAGE) only since Linux 6.7; before, the
	 * model's own mark from the mmap is all there is: a thread stack stays one when glibc's
	 * mprotect of its guard hands us the kernel's view of it.
	 */
	vmamap_iter_floor(p->map, &it, v->start);
	while ((old = vmamap_iter_next(&it)) && old->start < v->end) {
		if (old->end <= v->start)
			continue;
		if (!overlaps++)
			first = old;
		if (!old->file && (old->flags & VF_STACKHINT))
			stack_hint = true;
	}
	e = model_entry_from_vmt(m, v);
	if (stack_hint && !e.file)
		e.flags |= VF_STACKHINT;
	if (!overlaps)
		return model_ent_add(p, e);
	/*
	 * One entry inside the VMA: the kernel grew it (merged the call's new range onto it,
	 * above or below) or changed it. Replaced in place, its key moved down where it must.
	 */
	if (overlaps == 1 && first->start >= e.start && first->end <= e.end && e.end > e.start &&
	    (first->start == e.start || !ent_set_start(p, first, e.start))) {
		model_account(p, first, -1);
		e.kind = model_classify(p, &e);
		*first = e;
		model_account(p, first, +1);
		if (e.flags & VF_GROWSDOWN)
			p->stack_end = e.end;
		return 0;
	}
	err = model_range_unmap(p, v->start, v->end);
	if (err)
		return err;
	return model_ent_add(p, e);
}

/* Set the permission bits of every entry in [a, b) (mprotect), splitting at the ends. */
int model_range_protect(struct model_proc *p, uint64_t a, uint64_t b, unsigned long prot)
{
	struct vmamap_iter it;
	struct vma_entry *e;
	uint16_t perms = (prot & PROT_READ ? VF_READ : 0) | (prot & PROT_WRITE ? VF_WRITE : 0) |
			 (prot & PROT_EXEC ? VF_EXEC : 0);
	int err;

	if ((err = model_split_at(p, a)) || (err = model_split_at(p, b)))
		return err;
	vmamap_iter_init(p->map, &it, a);
	while ((e = vmamap_iter_next(&it)) && e->start < b) {
		model_account(p, e, -1);
		e->flags = (e->flags & ~(VF_READ | VF_WRITE | VF_EXEC)) | perms;
		e->kind = model_classify(p, e);
		model_account(p, e, +1);
	}
	return 0;
}

void model_mark_thread_stack(struct model_proc *p, uint64_t a, uint64_t b)
{
	struct vmamap_iter it;
	struct vma_entry *e;

	/*
	 * The anonymous entries that are mostly inside the range: before 6.7 nothing tells a
	 * stack's VMA from its anonymous neighbour's, and the kernel merges them (glibc's first
	 * thread stack ends where ld.so's 12 KiB of anonymous memory starts: one VMA once the
	 * stack is read-write). A read of the kernel then gives the merged VMA, which the range
	 * of the MAP_STACK call does not hold whole.
	 */
	vmamap_iter_floor(p->map, &it, a);
	while ((e = vmamap_iter_next(&it)) && e->start < b) {
		uint64_t lo = e->start > a ? e->start : a, hi = e->end < b ? e->end : b;

		if (e->file || (e->flags & VF_STACKHINT) || e->end <= a ||
		    (hi - lo) <= (e->end - e->start) / 2)
			continue;
		model_account(p, e, -1);
		e->flags |= VF_STACKHINT;
		e->kind = model_classify(p, e);
		model_account(p, e, +1);
	}
}

void model_range_flag(struct model_proc *p, uint64_t a, uint64_t b, uint16_t flag, bool on)
{
	struct vmamap_iter it;
	struct vma_entry *e;

	vmamap_iter_floor(p->map, &it, a);
	while ((e = vmamap_iter_next(&it)) && e->start < b) {
		if (e->end <= a)
			continue;
		model_account(p, e, -1);
		e->flags = on ? e->flags | flag : e->flags & ~flag;
		e->kind = model_classify(p, e);
		model_account(p, e, +1);
	}
}

void model_drop_flagged(struct model_proc *p, uint16_t flag)
{
	struct vmamap_iter it;
	struct vma_entry *e;
	uint64_t next = 0;

	/* One at a time: an erase invalidates the iterator. */
	for (;;) {
		vmamap_iter_init(p->map, &it, next);
		while ((e = vmamap_iter_next(&it)) && !(e->flags & flag))
			;
		if (!e)
			return;
		next = e->end;
		model_ent_del(p, e);
	}
}

void model_proc_clear_map(struct model_proc *p)
{
	vmamap_clear(p->map);
	memset(p->bytes, 0, sizeof(p->bytes));
	memset(p->count, 0, sizeof(p->count));
	p->mapped = 0;
}

size_t model_vma_count(const struct model_proc *p)
{
	return vmamap_count(p->map);
}

uint64_t model_mapped_bytes(const struct model_proc *p)
{
	return p->mapped; /* read several times per record: kept rather than summed */
}

/* The heap moved: the VMAs around the old and new break may change kind. */
static void reclassify_heap(struct model_proc *p, uint64_t old_brk)
{
	uint64_t lo = p->start_brk, hi = old_brk > p->brk ? old_brk : p->brk;
	struct vma_entry *e;

	if (hi <= lo)
		return;
	e = vmamap_floor(p->map, lo);
	if (!e || e->end <= lo)
		e = vmamap_ceil(p->map, lo);
	while (e && e->start < hi) {
		enum vma_kind k = model_classify(p, e);
		uint64_t next = e->end;

		if (k != e->kind) {
			model_account(p, e, -1);
			e->kind = k;
			model_account(p, e, +1);
		}
		e = vmamap_ceil(p->map, next);
	}
}

void model_set_brk(struct model_proc *p, uint64_t start_brk, uint64_t brk)
{
	uint64_t old = p->brk;

	if (!brk)
		return;
	if (start_brk != p->start_brk) {
		p->first_brk = brk;
		p->brk_hwm = brk;
	}
	p->start_brk = start_brk;
	p->brk = brk;
	if (brk > p->brk_hwm)
		p->brk_hwm = brk;
	if (!p->first_brk)
		p->first_brk = brk;
	if (old != brk)
		reclassify_heap(p, old);
}
