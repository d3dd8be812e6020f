// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Applying events to the per-process VMA model.
 *
 * Every update is an idempotent assignment ("after this call [a,b) is unmapped",
 * "the kernel says [s,e) is one VMA with these attributes"), so replaying an
 * event that a snapshot already reflects is harmless. After each syscall the
 * model's count is compared with the kernel's mm->map_count carried by the
 * event; when they differ, the process's VMAs are read again from the kernel
 * (a resync, counted).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "log.h"
#include "model.h"

#define PAGE_SIZE_ 4096ull
#define PAGE_ALIGN_UP(x) (((x) + PAGE_SIZE_ - 1) & ~(PAGE_SIZE_ - 1))
#define PAGE_ALIGN_DOWN(x) ((x) & ~(PAGE_SIZE_ - 1))

/* Kernel vm_flags bits we read (include/linux/mm.h; stable for years). */
#define VM_READ 0x1ull
#define VM_WRITE 0x2ull
#define VM_EXEC 0x4ull
#define VM_MAYSHARE 0x80ull
#define VM_GROWSDOWN 0x100ull
#define VM_PFNMAP 0x400ull
#define VM_IO 0x4000ull
#define VM_DONTEXPAND 0x40000ull
#define VM_MIXEDMAP 0x10000000ull
#define VM_NOHUGEPAGE 0x40000000ull

static const char *const kind_names[VK__COUNT] = {
	[VK_ANON] = "anonymous",   [VK_HEAP] = "heap",	       [VK_STACK] = "stack",
	[VK_THREAD_STACK] = "thread_stack", [VK_FILE] = "file", [VK_RESERVED] = "reserved",
	[VK_GUARD] = "guard",	   [VK_SPECIAL] = "special",
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

	if (vm & VM_READ)
		f |= VF_READ;
	if (vm & VM_WRITE)
		f |= VF_WRITE;
	if (vm & VM_EXEC)
		f |= VF_EXEC;
	if (vm & VM_MAYSHARE)
		f |= VF_MAYSHARE;
	if (vm & VM_GROWSDOWN)
		f |= VF_GROWSDOWN;
	if (vm & (VM_DONTEXPAND | VM_PFNMAP | VM_IO | VM_MIXEDMAP))
		f |= VF_SPECIAL;
	if (vm & VM_NOHUGEPAGE)
		f |= VF_STACKHINT;
	return f;
}

static enum vma_kind classify(const struct model_proc *p, const struct vma_entry *e)
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

static void account(struct model_proc *p, const struct vma_entry *e, int sign)
{
	p->bytes[e->kind] += sign * (int64_t)(e->end - e->start);
	p->count[e->kind] += sign;
}

static int ent_add(struct model_proc *p, struct vma_entry e)
{
	int err;

	if (e.end <= e.start)
		return 0;
	e.kind = classify(p, &e);
	err = vmamap_insert(p->map, &e);
	if (err)
		return err;
	account(p, &e, +1);
	if (e.flags & VF_GROWSDOWN)
		p->stack_end = e.end;
	return 0;
}

static void ent_del(struct model_proc *p, struct vma_entry *e)
{
	account(p, e, -1);
	vmamap_erase(p->map, e->start);
}

/* Change an entry's end in place (the key stays). */
static void ent_set_end(struct model_proc *p, struct vma_entry *e, uint64_t end)
{
	account(p, e, -1);
	e->end = end;
	e->kind = classify(p, e);
	account(p, e, +1);
}

/* Make addr a VMA boundary: split the entry that contains it. */
static int split_at(struct model_proc *p, uint64_t addr)
{
	struct vma_entry *e = vmamap_find(p->map, addr);
	struct vma_entry right;

	if (!e || e->start == addr)
		return 0;
	right = *e;
	right.start = addr;
	right.pgoff += (addr - e->start) / PAGE_SIZE_;
	ent_set_end(p, e, addr);
	return ent_add(p, right);
}

/* Remove [a, b) from the address space. */
static int range_unmap(struct model_proc *p, uint64_t a, uint64_t b)
{
	struct vma_entry *e;
	int err;

	if (b <= a)
		return 0;
	if ((err = split_at(p, a)) || (err = split_at(p, b)))
		return err;
	while ((e = vmamap_ceil(p->map, a)) && e->start < b)
		ent_del(p, e);
	return 0;
}

static struct vma_entry entry_from_vmt(struct model *m, const struct vmt_vma *v)
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
static int apply_truth(struct model *m, struct model_proc *p, const struct vmt_vma *v)
{
	int err;

	if (!v->valid)
		return 0;
	err = range_unmap(p, v->start, v->end);
	if (err)
		return err;
	return ent_add(p, entry_from_vmt(m, v));
}

/* Set the permission bits of every entry in [a, b) (mprotect), splitting at the ends. */
static int range_protect(struct model_proc *p, uint64_t a, uint64_t b, unsigned long prot)
{
	struct vmamap_iter it;
	struct vma_entry *e;
	uint16_t perms = (prot & PROT_READ ? VF_READ : 0) | (prot & PROT_WRITE ? VF_WRITE : 0) |
			 (prot & PROT_EXEC ? VF_EXEC : 0);
	int err;

	if ((err = split_at(p, a)) || (err = split_at(p, b)))
		return err;
	vmamap_iter_init(p->map, &it, a);
	while ((e = vmamap_iter_next(&it)) && e->start < b) {
		account(p, e, -1);
		e->flags = (e->flags & ~(VF_READ | VF_WRITE | VF_EXEC)) | perms;
		e->kind = classify(p, e);
		account(p, e, +1);
	}
	return 0;
}

/* madvise values that never split or merge a VMA: no boundary to make. */
static bool advice_keeps_vmas(unsigned long advice)
{
	switch (advice) {
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case 8:	 /* MADV_FREE */
	case MADV_REMOVE:
	case 20: /* MADV_COLD */
	case 21: /* MADV_PAGEOUT */
	case 22: /* MADV_POPULATE_READ */
	case 23: /* MADV_POPULATE_WRITE */
	case 24: /* MADV_DONTNEED_LOCKED */
	case 100: /* MADV_HWPOISON */
	case 101: /* MADV_SOFT_OFFLINE */
	case 102: /* MADV_GUARD_INSTALL */
	case 103: /* MADV_GUARD_REMOVE */
		return true;
	default:
		return false;
	}
}

/* ---- processes ------------------------------------------------------------------------ */

static void proc_free(struct model *m, struct model_proc *p)
{
	if (!p)
		return;
	m->st.detail_bytes -= (uint64_t)p->tl_cap * sizeof(*p->tl) + (uint64_t)p->fr_cap * sizeof(*p->fr);
	vmamap_free(p->map);
	free(p->cgroup);
	free(p->tl);
	free(p->fr);
	free(p);
}

static struct model_proc *proc_new(struct model *m, uint32_t tgid)
{
	struct model_proc *p = calloc(1, sizeof(*p));
	struct model_proc *old;

	if (!p)
		return NULL;
	p->tgid = tgid;
	p->map = vmamap_new();
	if (!p->map) {
		free(p);
		return NULL;
	}
	/* pid reuse: whatever had this tgid before is gone. */
	old = hmap_del(&m->procs, tgid);
	proc_free(m, old);
	if (hmap_put(&m->procs, tgid, p)) {
		proc_free(m, p);
		return NULL;
	}
	m->st.procs_created++;
	return p;
}

struct model_proc *model_proc_get(struct model *m, uint32_t tgid)
{
	return hmap_get(&m->procs, tgid);
}

void model_proc_drop(struct model *m, uint32_t tgid)
{
	proc_free(m, hmap_del(&m->procs, tgid));
}

static void proc_clear_map(struct model_proc *p)
{
	vmamap_clear(p->map);
	memset(p->bytes, 0, sizeof(p->bytes));
	memset(p->count, 0, sizeof(p->count));
}

size_t model_vma_count(const struct model_proc *p)
{
	return vmamap_count(p->map);
}

uint64_t model_mapped_bytes(const struct model_proc *p)
{
	uint64_t sum = 0;

	for (int k = 0; k < VK__COUNT; k++)
		sum += p->bytes[k];
	return sum;
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
		enum vma_kind k = classify(p, e);
		uint64_t next = e->end;

		if (k != e->kind) {
			account(p, e, -1);
			e->kind = k;
			account(p, e, +1);
		}
		e = vmamap_ceil(p->map, next);
	}
}

static void set_brk(struct model_proc *p, uint64_t start_brk, uint64_t brk)
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

/* ---- timeline and flight recorder ------------------------------------------------------ */

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

static void tl_close(struct model *m, struct model_proc *p)
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
		ring_grow(m, (void **)&p->tl, sizeof(*p->tl), &p->tl_cap, &p->tl_head, p->tl_len, 16,
			  m->cfg.timeline_points);
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

static void tl_record(struct model *m, struct model_proc *p, uint64_t ts, bool call, bool failed)
{
	uint64_t res = m->cfg.timeline_resolution_ns;
	uint64_t slot = ts - ts % res;
	uint32_t vmas = model_vma_count(p);

	if (p->tl_open && p->tl_cur.t_ns != slot)
		tl_close(m, p);
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
	p->tl_cur.brk = p->brk > p->start_brk ? p->brk - p->start_brk : 0;
}

void model_tick(struct model *m, uint64_t now_ns)
{
	uint64_t k;
	void *v;

	for (size_t i = 0; (i = hmap_next(&m->procs, i, &k, &v));) {
		struct model_proc *p = v;

		if (p->tl_open && now_ns - p->tl_cur.t_ns >= m->cfg.timeline_resolution_ns)
			tl_close(m, p);
	}
}

static void fr_push(struct model *m, struct model_proc *p, const struct fr_event *ev)
{
	if (p->fr_len == p->fr_cap)
		ring_grow(m, (void **)&p->fr, sizeof(*p->fr), &p->fr_cap, &p->fr_head, p->fr_len, 64,
			  m->cfg.flight_events);
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

/* ---- seeding and resync ---------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* the clock of bpf_ktime_get_ns() */
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void model_seed_walk_begin(struct model *m)
{
	m->walk_start_ns = now_ns();
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
		p = proc_new(m, tgid);
	if (!p)
		return NULL;
	if (comm)
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
	proc_clear_map(p);
	p->start_brk = 0;
	p->brk = 0;
	set_brk(p, start_brk, brk);
	p->kernel_count = map_count;
	p->exec_pending = false;
	p->need_resync = false;
	p->skip_before_ns = m->walk_start_ns;
	return p;
}

int model_seed_vma(struct model *m, struct model_proc *p, const struct vmt_vma *v)
{
	struct vma_entry e = entry_from_vmt(m, v);

	/* Seeding may overlap what we have (a late snapshot): the snapshot wins. */
	if (vmamap_count(p->map) && range_unmap(p, e.start, e.end))
		return -ENOMEM;
	return ent_add(p, e);
}

void model_seed_end(struct model *m, struct model_proc *p)
{
	p->seeded = true;
	p->kernel_count = model_vma_count(p);
	p->settle_ns = m->walk_start_ns ? now_ns() : 0;
	m->st.seeds++;
}

int model_seed_iter(void *ctx, const struct vmt_iter_rec *r)
{
	struct model_seeder *s = ctx;

	if (r->kind == VMT_ITER_PROC) {
		model_seeder_end(s);
		s->p = model_seed_begin(s->m, r->tgid, r->comm, r->map_count, r->start_brk, r->brk);
		if (s->p)
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

static void resync(struct model *m, struct model_proc *p)
{
	uint32_t tgid = p->tgid;

	m->st.resyncs++;
	p->resyncs++;
	if (!m->cfg.reseed || m->in_reseed) {
		p->need_resync = false;
		return;
	}
	m->in_reseed = true;
	model_seed_walk_begin(m);
	if (m->cfg.reseed(m->cfg.reseed_ctx, tgid))
		m->st.resync_failures++;
	model_seed_walk_end(m);
	m->in_reseed = false;
	p = model_proc_get(m, tgid);
	if (p)
		p->need_resync = false;
}

/* ---- applying records ------------------------------------------------------------------- */

/*
 * mremap: the VMAs of [from, from + old_len) reappear, in the same pieces, at
 * [to, to + new_len) (since 6.17 a move may span several VMAs); growing extends
 * the last piece. The source goes unless MREMAP_DONTUNMAP kept it.
 */
static int mremap_move(struct model_proc *p, uint64_t from, uint64_t old_len, uint64_t to,
		       uint64_t new_len, bool unmap_source)
{
	struct vma_entry pieces[16], *e;
	struct vmamap_iter it;
	size_t n = 0;
	int err;

	if ((err = split_at(p, from)) || (err = split_at(p, from + old_len)))
		return err;
	vmamap_iter_init(p->map, &it, from);
	while ((e = vmamap_iter_next(&it)) && e->start < from + old_len) {
		if (n == sizeof(pieces) / sizeof(pieces[0]))
			return -E2BIG; /* unusual: let the resync read it */
		pieces[n++] = *e;
	}
	if (unmap_source && (err = range_unmap(p, from, from + old_len)))
		return err;
	if ((err = range_unmap(p, to, to + new_len)))
		return err;
	for (size_t i = 0; i < n; i++) {
		struct vma_entry moved = pieces[i];

		moved.start = pieces[i].start - from + to;
		moved.end = pieces[i].end - from + to;
		if (i == n - 1 || moved.end > to + new_len)
			moved.end = to + new_len;
		if (moved.start >= to + new_len)
			break;
		if ((err = ent_add(p, moved)))
			return err;
	}
	return 0;
}

/* Range calls that, on ENOMEM for a hole in the range, have already acted on its mapped part. */
static bool partial_range(unsigned int sys)
{
	switch (sys) {
	case VMT_SYS_MPROTECT:
	case VMT_SYS_PKEY_MPROTECT:
	case VMT_SYS_MLOCK:
	case VMT_SYS_MLOCK2:
	case VMT_SYS_MUNLOCK:
	case VMT_SYS_MADVISE:
		return true;
	default:
		return false;
	}
}

/* The first address in [a, b) that no VMA covers, or b. */
static uint64_t first_hole(struct model_proc *p, uint64_t a, uint64_t b)
{
	struct vma_entry *e = vmamap_find(p->map, a);

	while (e && e->end < b) {
		struct vma_entry *n = vmamap_ceil(p->map, e->end);

		if (!n || n->start != e->end)
			return e->end;
		e = n;
	}
	return e ? b : a;
}

/*
 * The main stack grows on page faults, which no syscall reports; mm->stack_vm
 * (pages of grows-down VMAs) in every record tells where it starts now.
 */
static void follow_stack(struct model_proc *p, uint64_t stack_pages)
{
	struct vma_entry *stack, *below, moved;
	uint64_t start;

	/* Only the common case, one grows-down VMA, found from its fixed end: O(log n). */
	if (!stack_pages || p->count[VK_STACK] != 1 || !p->stack_end)
		return;
	stack = vmamap_find(p->map, p->stack_end - 1);
	if (!stack || !(stack->flags & VF_GROWSDOWN) || stack->end != p->stack_end)
		return;
	if (stack_pages * 4096 >= stack->end)
		return;
	start = stack->end - stack_pages * 4096;
	if (start == stack->start)
		return;
	below = vmamap_floor(p->map, start);
	/* Never overlap a neighbour: the model would be wrong, so leave it to resync. */
	if (below && below != stack && below->end > start)
		return;
	moved = *stack;
	moved.start = start;
	ent_del(p, stack);
	ent_add(p, moved);
}

static void apply_syscall(struct model *m, struct model_proc *p, const struct vmt_syscall_rec *r)
{
	int err = decode_ret_errno(r->sys, r->ret);
	uint64_t a = r->args[0], len = PAGE_ALIGN_UP(r->args[1]);
	uint64_t old_brk = p->brk;
	uint64_t ts = r->hdr.ts_ns;
	int rc = 0;

	/* Already in the address space read from the kernel after it. */
	if (ts < p->skip_before_ns)
		return;
	if (err == ENOMEM && partial_range(r->sys)) {
		/* Applied up to the first hole (madvise: around every hole), then ENOMEM. */
		if (r->sys != VMT_SYS_MADVISE)
			len = first_hole(p, a, a + len) - a;
		err = 0;
	}
	if (err)
		goto done; /* a failed call changed nothing (brk never "fails" this way) */

	switch (r->sys) {
	case VMT_SYS_MMAP:
		a = (uint64_t)r->ret;
		rc = range_unmap(p, a, a + len); /* MAP_FIXED replaces what was there */
		if (!rc && r->vma[0].valid) {
			struct vma_entry e;

			rc = apply_truth(m, p, &r->vma[0]);
			if (!rc && (r->args[3] & MAP_STACK) && (e = entry_from_vmt(m, &r->vma[0])).file == 0) {
				struct vma_entry *cur = vmamap_find(p->map, r->vma[0].start);

				/* MAP_STACK marks thread stacks even where the kernel leaves no flag. */
				if (cur) {
					account(p, cur, -1);
					cur->flags |= VF_STACKHINT;
					cur->kind = classify(p, cur);
					account(p, cur, +1);
				}
			}
			if (!rc)
				rc = apply_truth(m, p, &r->vma[1]);
		} else if (!rc) {
			p->need_resync = true; /* the kernel's view of the new VMA is missing */
		}
		break;
	case VMT_SYS_MUNMAP:
		rc = range_unmap(p, PAGE_ALIGN_DOWN(a), a + len);
		break;
	case VMT_SYS_MREMAP: {
		uint64_t old_len = PAGE_ALIGN_UP(r->args[1]);
		uint64_t new_len = PAGE_ALIGN_UP(r->args[2]);
		uint64_t to = (uint64_t)r->ret;

		/* Shrinking in place is a munmap of the tail, even across several VMAs. */
		if (new_len <= old_len && to == a) {
			rc = range_unmap(p, a + new_len, a + old_len);
			break;
		}
		rc = mremap_move(p, a, old_len, to, new_len, !(r->args[3] & 4 /* MREMAP_DONTUNMAP */));
		if (!rc && r->vma[0].valid) {
			rc = apply_truth(m, p, &r->vma[0]);
			if (!rc)
				rc = apply_truth(m, p, &r->vma[1]);
		} else if (!rc) {
			p->need_resync = true;
		}
		break;
	}
	case VMT_SYS_MPROTECT:
	case VMT_SYS_PKEY_MPROTECT:
		rc = range_protect(p, a, a + len, r->args[2]);
		if (!rc)
			rc = apply_truth(m, p, &r->vma[0]);
		if (!rc)
			rc = apply_truth(m, p, &r->vma[1]);
		break;
	case VMT_SYS_MADVISE:
		if (advice_keeps_vmas(r->args[2]))
			break;
		__attribute__((fallthrough)); /* the rest may split at the range's ends */
	case VMT_SYS_MLOCK:
	case VMT_SYS_MLOCK2:
	case VMT_SYS_MUNLOCK:
	case VMT_SYS_MSEAL:
	case VMT_SYS_MBIND:
	case VMT_SYS_SET_MEMPOLICY_HOME_NODE:
	case VMT_SYS_REMAP_FILE_PAGES:
	case VMT_SYS_PRCTL_SET_VMA:
		if (r->sys == VMT_SYS_PRCTL_SET_VMA) {
			a = r->args[2];
			len = PAGE_ALIGN_UP(r->args[3]);
		}
		rc = split_at(p, a);
		if (!rc)
			rc = split_at(p, a + len);
		if (!rc)
			rc = apply_truth(m, p, &r->vma[0]);
		if (!rc)
			rc = apply_truth(m, p, &r->vma[1]);
		break;
	case VMT_SYS_BRK: {
		uint64_t nb = (uint64_t)r->ret;

		if (nb < old_brk)
			rc = range_unmap(p, PAGE_ALIGN_UP(nb), PAGE_ALIGN_UP(old_brk));
		set_brk(p, r->start_brk, r->brk);
		if (!rc)
			rc = apply_truth(m, p, &r->vma[0]);
		break;
	}
	case VMT_SYS_SHMAT:
		rc = apply_truth(m, p, &r->vma[0]);
		if (!rc && !r->vma[0].valid)
			p->need_resync = true;
		break;
	case VMT_SYS_SHMDT: {
		/* Every VMA of the segment attached at addr goes (its pieces share the file). */
		struct vma_entry *e = vmamap_find(p->map, a);
		uint32_t file = e ? e->file : 0;

		while (e && file && e->file == file) {
			uint64_t next = e->end;

			ent_del(p, e);
			e = vmamap_find(p->map, next);
		}
		break;
	}
	default:
		break; /* mlockall/munlockall: flags only; the count check catches merges */
	}
done:
	set_brk(p, r->start_brk, r->brk);
	follow_stack(p, r->stack_vm);
	if (rc)
		p->need_resync = true;
	p->kernel_count = r->map_count;
	{
		static uint64_t dbg = 1;
		if (dbg == 1) { const char *e = getenv("VMT_DEBUG_OFF"); dbg = e ? strtoull(e, NULL, 16) : 0; }
		if (dbg && p->comm[0] == 't' && p->comm[1] == 'o') {
			struct vmamap_iter it; struct vma_entry *x; int nfile_anon = 0;
			vmamap_iter_init(p->map, &it, 0);
			while ((x = vmamap_iter_next(&it))) if (!x->file && x->pgoff == dbg) nfile_anon++;
			if (nfile_anon) log_warn("ANON with pgoff %#llx after %s(%#llx,%#llx,%#llx,%#llx)=%#llx v0=%llx-%llx ino %llu v1=%llx-%llx", (unsigned long long)dbg, decode_sys_name(r->sys), (unsigned long long)r->args[0], (unsigned long long)r->args[1], (unsigned long long)r->args[2], (unsigned long long)r->args[3], (unsigned long long)r->ret, (unsigned long long)r->vma[0].start, (unsigned long long)r->vma[0].end, (unsigned long long)r->vma[0].ino, (unsigned long long)r->vma[1].start, (unsigned long long)r->vma[1].end);
		}
	}
	if (ts < p->settle_ns && !p->need_resync)
		return; /* may be a replay of what the read already showed: do not judge */
	if (!p->exec_pending && (p->need_resync || model_vma_count(p) != r->map_count)) {
		log_debug("resync %u after %s(%#llx, %#llx, %#llx, %#llx) = %#llx: model %zu VMAs, "
			  "kernel %u%s", p->tgid, decode_sys_name(r->sys), (unsigned long long)r->args[0],
			  (unsigned long long)r->args[1], (unsigned long long)r->args[2],
			  (unsigned long long)r->args[3], (unsigned long long)r->ret,
			  model_vma_count(p), r->map_count, p->need_resync ? " (event not followed)" : "");
		resync(m, p);
	}
}

static void fr_from_syscall(struct fr_event *ev, const struct vmt_syscall_rec *r)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = r->hdr.ts_ns;
	ev->tid = r->hdr.tid;
	ev->type = VMT_REC_SYSCALL;
	ev->sys = r->sys;
	memcpy(ev->args, r->args, sizeof(ev->args));
	ev->ret = r->ret;
	ev->map_count = r->map_count;
	ev->brk = r->brk;
}

static void apply_exec(struct model *m, const struct vmt_exec_rec *r)
{
	struct model_proc *p = model_seed_begin(m, r->hdr.tgid, r->hdr.comm, r->map_count,
						r->start_brk, r->brk);

	if (!p)
		return;
	/* The new image's VMAs follow as VMT_REC_VMA records. */
	p->memcg_id = r->memcg_id;
	p->seeded = false;
	p->exec_expect = r->nvmas;
	p->exec_next = 0;
	p->exec_pending = r->nvmas > 0;
	p->first_brk = r->brk;
	p->brk_hwm = r->brk;
	if (!r->nvmas)
		resync(m, p);
}

static void apply_vma(struct model *m, const struct vmt_vma_rec *r)
{
	struct model_proc *p = model_proc_get(m, r->hdr.tgid);

	if (!p || !p->exec_pending)
		return;
	if (r->index != p->exec_next) {
		/* A record was lost: read the address space instead. */
		p->exec_pending = false;
		resync(m, p);
		return;
	}
	p->exec_next++;
	if (model_seed_vma(m, p, &r->vma))
		p->need_resync = true;
	if (p->exec_next == p->exec_expect) {
		p->exec_pending = false;
		model_seed_end(m, p);
		if (p->need_resync || model_vma_count(p) != p->kernel_count)
			resync(m, p);
	}
}

static void apply_fork(struct model *m, const struct vmt_fork_rec *r)
{
	struct model_proc *parent = model_proc_get(m, r->hdr.tgid);
	struct model_proc *c = proc_new(m, r->child_tgid);

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
			memcpy(c->count, parent->count, sizeof(c->count));
			c->seeded = parent->seeded;
		}
	}
	set_brk(c, r->start_brk, r->brk);
	c->kernel_count = r->map_count;
	/* VMAs marked MADV_DONTFORK are not inherited: the count tells. */
	if (model_vma_count(c) != r->map_count)
		resync(m, c);
}

void model_apply(struct model *m, const void *rec, size_t size)
{
	const struct vmt_hdr *h = rec;
	struct model_proc *p;
	struct fr_event ev;

	if (size < sizeof(*h))
		return;
	m->st.events++;
	switch (h->type) {
	case VMT_REC_SYSCALL: {
		const struct vmt_syscall_rec *r = rec;
		bool failed;

		if (size < sizeof(*r) || r->sys >= VMT_SYS__COUNT)
			return;
		p = model_proc_get(m, h->tgid);
		if (!p) {
			/* A process we have not seen start: read it whole, then this event is in it. */
			p = proc_new(m, h->tgid);
			if (!p)
				return;
			memcpy(p->comm, h->comm, sizeof(p->comm));
			p->first_ns = h->ts_ns;
			set_brk(p, r->start_brk, r->brk);
			resync(m, p);
			p = model_proc_get(m, h->tgid);
			if (!p)
				return;
		} else {
			apply_syscall(m, p, r);
			p = model_proc_get(m, h->tgid);
			if (!p)
				return;
		}
		memcpy(p->comm, h->comm, sizeof(p->comm));
		failed = decode_ret_errno(r->sys, r->ret) != 0;
		p->events++;
		p->failures += failed;
		p->last_ns = h->ts_ns;
		fr_from_syscall(&ev, r);
		fr_push(m, p, &ev);
		tl_record(m, p, h->ts_ns, true, failed);
		break;
	}
	case VMT_REC_EXEC:
		if (size < sizeof(struct vmt_exec_rec))
			return;
		apply_exec(m, rec);
		p = model_proc_get(m, h->tgid);
		if (p) {
			memset(&ev, 0, sizeof(ev));
			ev.ts_ns = h->ts_ns;
			ev.tid = h->tid;
			ev.type = VMT_REC_EXEC;
			ev.map_count = ((const struct vmt_exec_rec *)rec)->map_count;
			ev.brk = p->brk;
			p->first_ns = p->last_ns = h->ts_ns;
			fr_push(m, p, &ev);
			tl_record(m, p, h->ts_ns, false, false);
		}
		break;
	case VMT_REC_VMA:
		if (size < sizeof(struct vmt_vma_rec))
			return;
		m->st.events--; /* part of the exec record */
		apply_vma(m, rec);
		break;
	case VMT_REC_FORK:
		if (size < sizeof(struct vmt_fork_rec))
			return;
		apply_fork(m, rec);
		break;
	case VMT_REC_EXIT:
		p = model_proc_get(m, h->tgid);
		if (p) {
			tl_close(m, p);
			m->st.procs_exited++;
			model_proc_drop(m, h->tgid);
		}
		break;
	default:
		break;
	}
}

/* ---- /proc fallback ------------------------------------------------------------------------ */

/* Flags the kernel shows in /proc/PID/smaps "VmFlags": gd (grows down), nh (no huge page). */
int model_seed_from_proc(struct model *m, uint32_t tgid)
{
	char path[64], line[PATH_MAX + 256], comm[VMT_COMM_LEN] = "";
	unsigned long long start_brk = 0, brk = 0;
	struct model_proc *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", tgid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%u/stat", tgid);
	f = fopen(path, "r");
	if (f) {
		/* start_brk and brk are fields 47 and 48; comm (field 2) may hold spaces. */
		if (fgets(line, sizeof(line), f)) {
			char *s = strrchr(line, ')');
			int field = 2;

			for (char *tok = s ? strtok(s + 1, " ") : NULL; tok; tok = strtok(NULL, " ")) {
				field++;
				if (field == 47)
					start_brk = strtoull(tok, NULL, 10);
				else if (field == 48)
					brk = strtoull(tok, NULL, 10);
			}
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%u/smaps", tgid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	p = model_seed_begin(m, tgid, comm, 0, start_brk, brk);
	if (!p) {
		fclose(f);
		return -ENOMEM;
	}
	{
		struct vmt_vma v = { 0 };
		bool have = false;

		while (fgets(line, sizeof(line), f)) {
			unsigned long long s, e, off, ino;
			unsigned maj, min;
			char perms[8];

			if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &s, &e, perms, &off, &maj, &min,
				   &ino) == 7) {
				if (have && v.start != 0xffffffffff600000ull)
					model_seed_vma(m, p, &v);
				memset(&v, 0, sizeof(v));
				v.start = s;
				v.end = e;
				v.pgoff = off / PAGE_SIZE_;
				v.ino = ino;
				v.dev = (maj << 20) | min;
				v.vm_flags = (perms[0] == 'r' ? VM_READ : 0) | (perms[1] == 'w' ? VM_WRITE : 0) |
					     (perms[2] == 'x' ? VM_EXEC : 0) | (perms[3] == 's' ? VM_MAYSHARE : 0);
				v.valid = 1;
				have = true;
				if (strstr(line, "[vdso]") || strstr(line, "[vvar"))
					v.vm_flags |= VM_DONTEXPAND;
			} else if (have && !strncmp(line, "VmFlags:", 8)) {
				if (strstr(line, " gd"))
					v.vm_flags |= VM_GROWSDOWN;
				if (strstr(line, " nh"))
					v.vm_flags |= VM_NOHUGEPAGE;
				if (strstr(line, " pf") || strstr(line, " io") || strstr(line, " de") ||
				    strstr(line, " mm"))
					v.vm_flags |= VM_DONTEXPAND;
			}
		}
		if (have && v.start != 0xffffffffff600000ull)
			model_seed_vma(m, p, &v);
	}
	fclose(f);
	model_seed_end(m, p);
	return 0;
}

/* ---- construction ------------------------------------------------------------------------ */

struct model *model_new(const struct model_config *cfg)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (cfg)
		m->cfg = *cfg;
	if (!m->cfg.timeline_resolution_ns)
		m->cfg.timeline_resolution_ns = 1000000000ull;
	if (!m->cfg.timeline_points)
		m->cfg.timeline_points = 3600;
	if (!m->cfg.flight_events)
		m->cfg.flight_events = 4096;
	if (!m->cfg.memory_limit)
		m->cfg.memory_limit = 256ull << 20;
	hmap_init(&m->procs);
	hmap_init(&m->file_ids);
	m->nfiles = 1; /* index 0: anonymous */
	m->files_cap = 64;
	m->files = calloc(m->files_cap, sizeof(*m->files));
	if (!m->files) {
		free(m);
		return NULL;
	}
	return m;
}

void model_free(struct model *m)
{
	uint64_t k;
	void *v;

	if (!m)
		return;
	for (size_t i = 0; (i = hmap_next(&m->procs, i, &k, &v));)
		proc_free(m, v);
	hmap_free(&m->procs);
	hmap_free(&m->file_ids);
	free(m->files);
	free(m);
}

uint64_t model_memory(const struct model *m)
{
	uint64_t sum = sizeof(*m) + m->procs.cap * sizeof(struct hmap_slot) +
		       m->files_cap * sizeof(*m->files) + m->st.detail_bytes;
	uint64_t k;
	void *v;

	for (size_t i = 0; (i = hmap_next(&m->procs, i, &k, &v));)
		sum += sizeof(struct model_proc) + vmamap_memory(((struct model_proc *)v)->map);
	return sum;
}
