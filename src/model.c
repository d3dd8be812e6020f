// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Applying ring-buffer records to the per-process VMA model.
 *
 * Every update is an idempotent assignment ("after this call [a,b) is unmapped",
 * "the kernel says [s,e) is one VMA with these attributes"), so replaying an
 * event that a snapshot already reflects is harmless. After each syscall the
 * model's count is compared with the kernel's mm->map_count carried by the
 * event; when they differ, the process's VMAs are read again from the kernel
 * (a resync, counted). The model reads nothing itself: the caller's reseed
 * callback does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "decode.h"
#include "log.h"
#include "model.h"
#include "sites.h"
#include "model_internal.h"

/* madvise values that never split or merge a VMA: no boundary to make. */
static bool advice_keeps_vmas(unsigned long advice)
{
	switch (advice) {
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case 8: /* MADV_FREE */
	case MADV_REMOVE:
	case 20:  /* MADV_COLD */
	case 21:  /* MADV_PAGEOUT */
	case 22:  /* MADV_POPULATE_READ */
	case 23:  /* MADV_POPULATE_WRITE */
	case 24:  /* MADV_DONTNEED_LOCKED */
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
	if (m->last_proc == p)
		m->last_proc = NULL;
	m->st.detail_bytes -=
		(uint64_t)p->tl_cap * sizeof(*p->tl) + (uint64_t)p->fr_cap * sizeof(*p->fr);
	vmamap_free(p->map);
	free(p->cgroup);
	free(p->container);
	if (p->sites) {
		sites_free(p->sites);
		free(p->sites);
	}
	free(p->tl);
	free(p->fr);
	free(p->fails);
	free(p);
}

struct model_proc *model_proc_new(struct model *m, uint32_t tgid)
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
	struct model_proc *p = m->last_proc;

	if (p && p->tgid == tgid)
		return p;
	p = hmap_get(&m->procs, tgid);
	if (p)
		m->last_proc = p;
	return p;
}

void model_proc_drop(struct model *m, uint32_t tgid)
{
	proc_free(m, hmap_del(&m->procs, tgid));
}

/* ---- failures by call and errno ------------------------------------------------------------ */

static void count_failure(struct model_proc *p, unsigned int sys, int err)
{
	struct model_fail *f;

	p->failures++;
	for (uint32_t i = 0; i < p->nfails; i++) {
		if (p->fails[i].sys == sys && p->fails[i].err == err) {
			p->fails[i].n++;
			return;
		}
	}
	if (p->nfails == MODEL_FAIL_KEYS)
		return;
	f = realloc(p->fails, (p->nfails + 1) * sizeof(*f));
	if (!f)
		return;
	p->fails = f;
	p->fails[p->nfails++] = (struct model_fail){ .sys = sys, .err = err, .n = 1 };
}

uint64_t model_failures_of(const struct model_proc *p, unsigned int sys, int err)
{
	for (uint32_t i = 0; i < p->nfails; i++)
		if (p->fails[i].sys == sys && p->fails[i].err == err)
			return p->fails[i].n;
	return 0;
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

	if ((err = model_split_at(p, from)) || (err = model_split_at(p, from + old_len)))
		return err;
	vmamap_iter_init(p->map, &it, from);
	while ((e = vmamap_iter_next(&it)) && e->start < from + old_len) {
		if (n == sizeof(pieces) / sizeof(pieces[0]))
			return -E2BIG; /* unusual: let the resync read it */
		pieces[n++] = *e;
	}
	if (unmap_source && (err = model_range_unmap(p, from, from + old_len)))
		return err;
	if ((err = model_range_unmap(p, to, to + new_len)))
		return err;
	for (size_t i = 0; i < n; i++) {
		struct vma_entry moved = pieces[i];

		moved.start = pieces[i].start - from + to;
		moved.end = pieces[i].end - from + to;
		if (i == n - 1 || moved.end > to + new_len)
			moved.end = to + new_len;
		if (moved.start >= to + new_len)
			break;
		if ((err = model_ent_add(p, moved)))
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

/*
 * Calls that act on their range one VMA after another and can fail at a later VMA after
 * changing the earlier ones (split at the range's start, new flags, merged): madvise's
 * advice checked per VMA (MADV_WIPEONFORK on a shared mapping: EINVAL), mprotect's per file
 * (PROT_EXEC on a noexec mount: EACCES), an anonymous name on a file mapping (EBADF), mbind.
 */
static bool per_vma_range(unsigned int sys)
{
	return partial_range(sys) || sys == VMT_SYS_MBIND || sys == VMT_SYS_PRCTL_SET_VMA ||
	       sys == VMT_SYS_SET_MEMPOLICY_HOME_NODE;
}

/* Whether [a, b) lies inside one entry: a call failing there failed before changing it. */
static bool inside_one(struct model_proc *p, uint64_t a, uint64_t b)
{
	struct vma_entry *e = vmamap_find(p->map, a);

	return e && b <= e->end;
}

/* Whether the record's VMAs, one or two in a row, cover [a, b): it says all the call did. */
static bool truth_covers(const struct vmt_syscall_rec *r, uint64_t a, uint64_t b)
{
	const struct vmt_vma *v0 = &r->vma[0], *v1 = &r->vma[1];

	if (!v0->valid || v0->start > a)
		return false;
	return v0->end >= b || (v1->valid && v1->start == v0->end && v1->end >= b);
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

	/*
	 * Only the common case, one grows-down VMA, found from its fixed end: O(log n), and only
	 * when the size differs from the one the model last agreed with (nearly every record
	 * carries the same: a lookup per record was a tenth of the daemon's time).
	 */
	if (!stack_pages || stack_pages == p->stack_pages_seen || p->count[VK_STACK] != 1 ||
	    !p->stack_end)
		return;
	stack = vmamap_find(p->map, p->stack_end - 1);
	if (!stack || !(stack->flags & VF_GROWSDOWN) || stack->end != p->stack_end)
		return;
	if (stack_pages * 4096 >= stack->end)
		return;
	start = stack->end - stack_pages * 4096;
	if (start != stack->start) {
		below = vmamap_floor(p->map, start);
		/* Never overlap a neighbour: the model would be wrong, so leave it to resync. */
		if (below && below != stack && below->end > start)
			return;
		moved = *stack;
		moved.start = start;
		/* The kernel's vm_pgoff moves with a grows-down VMA's start. */
		moved.pgoff = start < stack->start ?
				      stack->pgoff - (stack->start - start) / MODEL_PAGE_SIZE :
				      stack->pgoff + (start - stack->start) / MODEL_PAGE_SIZE;
		model_ent_del(p, stack);
		if (model_ent_add(p, moved))
			return;
	}
	p->stack_pages_seen = stack_pages;
}

/*
 * Was this record made after the newest one so far? By the mm's mmap-lock sequence where the
 * kernel has one: each CPU reads it with map_count, after the call dropped the lock, so the
 * pair is the map's state at one moment whatever order the CPUs' records were reserved in
 * (their times are read later, at the reserve, and a record of another CPU can slip between).
 * By time where it has none (Debian 12's 6.1) or none is known since the last read.
 */
static bool rec_newer(const struct model_proc *p, const struct vmt_syscall_rec *r)
{
	if (r->hdr.mm_seq && p->kernel_seq)
		return (int32_t)(r->hdr.mm_seq - p->kernel_seq) >= 0;
	return r->hdr.ts_ns >= p->kernel_count_ns;
}

/*
 * Is the model's count consistent with the kernel's? Records of two threads can reach us in
 * another order than the kernel changed the map in (each CPU writes its own record after it
 * dropped mmap_lock, and a record that copies a stack window is written later still), so
 * while threads keep writing, the kernel's count is often one change ahead of the records
 * we have. A mismatch is held as a suspicion: a record clears it when the model agrees with
 * its count or with the newest record's, and on kernels without the mmap-lock sequence (where
 * "newest" is by time, which CPUs read in another order) with the first held one. One that
 * lasts MODEL_SUSPECT_NS of the records' time, or until model_tick() after the records went
 * quiet, resyncs. With the sequence, the first held count is no excuse: a model one VMA off
 * agrees with it after the next call that adds one, and stayed off (seen with the torture).
 */
static bool count_explained(struct model_proc *p, uint32_t kernel, uint64_t ts)
{
	size_t count = model_vma_count(p);

	if (count == kernel || count == p->kernel_count ||
	    (p->suspect_ns && !p->kernel_seq && count == p->suspect_count)) {
		p->suspect_ns = 0;
		return true;
	}
	if (!p->suspect_ns) {
		p->suspect_ns = ts ? ts : 1;
		p->suspect_count = kernel;
	}
	return ts < p->suspect_ns + MODEL_SUSPECT_NS;
}

static void apply_syscall(struct model *m, struct model_proc *p, const struct vmt_syscall_rec *r)
{
	int err = decode_ret_errno(r->sys, r->ret);
	uint64_t a = r->args[0], len = MODEL_PAGE_UP(r->args[1]);
	uint64_t old_brk = p->brk;
	uint64_t ts = r->hdr.ts_ns;
	size_t vmas0 = model_vma_count(p);
	uint64_t bytes0 = model_mapped_bytes(p);
	uint64_t rlo = 0, rhi = 0; /* a range call's range */
	bool newest, strict = false;
	uint64_t held;
	uint32_t judge;
	int rc = 0;

	p->call.measured = false;
	/* Already in the address space read from the kernel after it. */
	if (ts < p->skip_before_ns) {
		/* All but its MAP_STACK mark, which before 6.7 only the call itself carries. */
		if (r->sys == VMT_SYS_MMAP && !err && (r->args[3] & MAP_STACK))
			model_mark_thread_stack(p, (uint64_t)r->ret, (uint64_t)r->ret + len);
		return;
	}
	if (p->exec_pending) {
		/*
		 * The exec's VMA records are reserved inside the exec, before the new image
		 * runs: a call of it means the rest were lost (ring buffer full). Read it.
		 */
		p->exec_pending = false;
		model_resync(m, p);
		return;
	}
	if (err == ENOMEM && partial_range(r->sys)) {
		/* Applied up to the first hole (madvise: around every hole), then ENOMEM. */
		if (r->sys != VMT_SYS_MADVISE)
			len = first_hole(p, a, a + len) - a;
		err = 0;
	}
	if (err && per_vma_range(r->sys)) {
		uint64_t ra = r->sys == VMT_SYS_PRCTL_SET_VMA ? r->args[2] : a;
		uint64_t rl = r->sys == VMT_SYS_PRCTL_SET_VMA ? MODEL_PAGE_UP(r->args[3]) : len;

		/*
		 * Failed past its first VMA, it may have changed those before: split at the range's
		 * start, merged what it changed. The record carries the kernel's VMAs at the range's
		 * ends; the count must then agree at once, or the kernel is read (below).
		 */
		if (rl && !inside_one(p, MODEL_PAGE_DOWN(ra), ra + rl)) {
			strict = true;
			rlo = MODEL_PAGE_DOWN(ra), rhi = ra + rl;
			if (r->vma[0].valid) {
				rc = model_apply_truth(m, p, &r->vma[0]);
				if (!rc)
					rc = model_apply_truth(m, p, &r->vma[1]);
			} else {
				p->need_resync = true;
			}
			goto done;
		}
	}
	if (err && r->sys == VMT_SYS_MREMAP && (r->args[3] & 2 /* MREMAP_FIXED */)) {
		/*
		 * Not always nothing: kernels before 6.x's reordering (Debian 12's 6.1) unmap the
		 * target range first and check the source after, so a failed move to a fixed
		 * address (EFAULT: the source spans a hole) leaves a hole where it aimed; the
		 * count need not change. Rare: read the kernel.
		 */
		p->need_resync = true;
		goto done;
	}
	if (err)
		goto done; /* a failed call changed nothing (brk never "fails" this way) */

	switch (r->sys) {
	case VMT_SYS_MMAP:
		a = (uint64_t)r->ret;
		rc = model_range_unmap(p, a, a + len); /* MAP_FIXED replaces what was there */
		if (!rc && r->vma[0].valid) {
			rc = model_apply_truth(m, p, &r->vma[0]);
			/* MAP_STACK marks thread stacks even where the kernel leaves no flag. */
			if (!rc && (r->args[3] & MAP_STACK) && !r->vma[0].ino)
				model_mark_thread_stack(p, r->vma[0].start, r->vma[0].end);
			if (!rc)
				rc = model_apply_truth(m, p, &r->vma[1]);
		} else if (!rc) {
			p->need_resync = true; /* the kernel's view of the new VMA is missing */
		}
		break;
	case VMT_SYS_MUNMAP:
		rc = model_range_unmap(p, MODEL_PAGE_DOWN(a), a + len);
		break;
	case VMT_SYS_MREMAP: {
		uint64_t old_len = MODEL_PAGE_UP(r->args[1]);
		uint64_t new_len = MODEL_PAGE_UP(r->args[2]);
		uint64_t to = (uint64_t)r->ret;

		/* Shrinking in place is a munmap of the tail, even across several VMAs. */
		if (new_len <= old_len && to == a) {
			rc = model_range_unmap(p, a + new_len, a + old_len);
			break;
		}
		rc = mremap_move(p, a, old_len, to, new_len,
				 !(r->args[3] & 4 /* MREMAP_DONTUNMAP */));
		if (!rc && r->vma[0].valid) {
			rc = model_apply_truth(m, p, &r->vma[0]);
			if (!rc)
				rc = model_apply_truth(m, p, &r->vma[1]);
		} else if (!rc) {
			p->need_resync = true;
		}
		break;
	}
	case VMT_SYS_MPROTECT:
	case VMT_SYS_PKEY_MPROTECT:
		rlo = a, rhi = a + len;
		rc = model_range_protect(p, a, a + len, r->args[2]);
		if (!rc)
			rc = model_apply_truth(m, p, &r->vma[0]);
		if (!rc)
			rc = model_apply_truth(m, p, &r->vma[1]);
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
			len = MODEL_PAGE_UP(r->args[3]);
		}
		rlo = a, rhi = a + len;
		rc = model_split_at(p, a);
		if (!rc)
			rc = model_split_at(p, a + len);
		if (!rc)
			rc = model_apply_truth(m, p, &r->vma[0]);
		if (!rc)
			rc = model_apply_truth(m, p, &r->vma[1]);
		/* What a fork leaves out, for the VMAs between the record's two as well. */
		if (!rc && r->sys == VMT_SYS_MADVISE &&
		    (r->args[2] == MADV_DONTFORK || r->args[2] == MADV_DOFORK))
			model_range_flag(p, a, a + len, VF_DONTCOPY, r->args[2] == MADV_DONTFORK);
		break;
	case VMT_SYS_BRK: {
		uint64_t nb = (uint64_t)r->ret;

		if (nb < old_brk)
			rc = model_range_unmap(p, MODEL_PAGE_UP(nb), MODEL_PAGE_UP(old_brk));
		model_set_brk(p, r->start_brk, r->brk);
		if (!rc)
			rc = model_apply_truth(m, p, &r->vma[0]);
		break;
	}
	case VMT_SYS_SHMAT:
		rc = model_apply_truth(m, p, &r->vma[0]);
		if (!rc && !r->vma[0].valid)
			p->need_resync = true;
		break;
	case VMT_SYS_SHMDT: {
		/* Every VMA of the segment attached at addr goes (its pieces share the file). */
		struct vma_entry *e = vmamap_find(p->map, a);
		uint32_t file = e ? e->file : 0;

		while (e && file && e->file == file) {
			uint64_t next = e->end;

			model_ent_del(p, e);
			e = vmamap_find(p->map, next);
		}
		break;
	}
	default:
		break; /* mlockall/munlockall: flags only; the count check catches merges */
	}
done:
	model_set_brk(p, r->start_brk, r->brk);
	follow_stack(p, r->stack_vm);
	if (rc)
		p->need_resync = true;
	/* The call's own effect, before a resync (of other calls' order) blurs it. */
	p->call.vmas = (int64_t)model_vma_count(p) - (int64_t)vmas0;
	/* Unsigned, then signed: a hostile record's VMAs may span nearly 2^64 bytes. */
	p->call.bytes = (int64_t)(model_mapped_bytes(p) - bytes0);
	p->call.measured = !rc;
	newest = rec_newer(p, r);
	if (newest) {
		p->kernel_count = r->map_count;
		p->kernel_count_ns = ts;
		p->kernel_seq = r->hdr.mm_seq;
	}
	if (ts < p->settle_ns && !p->need_resync)
		return; /* may be a replay of what the read already showed: do not judge */
	/*
	 * A record overtaken by a newer one (by the lock sequence) carries a count the map has
	 * left behind: the model, with this call now in, is judged by the newest count.
	 */
	judge = newest || !r->hdr.mm_seq ? r->map_count : p->kernel_count;
	/*
	 * A range call's record carries the kernel's VMAs at its ends. Between them the call can
	 * only have changed flags and merged VMAs (mprotect over a row: two pieces of a file
	 * mapping made alike again), which the model cannot tell from what it knows (the kernel
	 * also weighs flags and anon_vma the model does not have): the count must agree at once.
	 */
	if (rhi > rlo && !truth_covers(r, rlo, rhi))
		strict = true;
	if (strict && !p->need_resync && model_vma_count(p) != judge) {
		log_debug("%u: %s(%#llx, %#llx) changed VMAs its record does not carry: model %zu "
			  "VMAs, kernel %u",
			  p->tgid, decode_sys_name(r->sys), (unsigned long long)rlo,
			  (unsigned long long)(rhi - rlo), model_vma_count(p), judge);
		p->need_resync = true;
	}
	held = p->suspect_ns;
	if (!p->need_resync && count_explained(p, judge, ts)) {
		if (!held && p->suspect_ns)
			log_debug(
				"%u: held: model %zu VMAs, kernel %u after %s(%#llx, %#llx, %#llx, "
				"%#llx) = %#llx",
				p->tgid, model_vma_count(p), judge, decode_sys_name(r->sys),
				(unsigned long long)r->args[0], (unsigned long long)r->args[1],
				(unsigned long long)r->args[2], (unsigned long long)r->args[3],
				(unsigned long long)r->ret);
		return;
	}
	if (p->need_resync || model_vma_count(p) != judge) {
		log_debug("resync %u after %s(%#llx, %#llx, %#llx, %#llx) = %#llx: model %zu VMAs, "
			  "kernel %u%s",
			  p->tgid, decode_sys_name(r->sys), (unsigned long long)r->args[0],
			  (unsigned long long)r->args[1], (unsigned long long)r->args[2],
			  (unsigned long long)r->args[3], (unsigned long long)r->ret,
			  model_vma_count(p), judge, p->need_resync ? " (event not followed)" : "");
		model_resync(m, p);
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

void model_apply(struct model *m, const void *rec, size_t size)
{
	const struct vmt_hdr *h = rec;
	struct model_proc *p;
	struct fr_event ev;

	if (size < sizeof(*h))
		return;
	m->st.events++;
	if (size < decode_rec_size(h->type))
		return;
	switch (h->type) {
	case VMT_REC_SYSCALL: {
		const struct vmt_syscall_rec *r = rec;
		struct fr_event *slot;
		bool failed;
		int err;

		if (r->sys >= VMT_SYS__COUNT)
			return;
		p = model_proc_get(m, h->tgid);
		if (!p) {
			/* A process we have not seen start: read it whole; this event is in it. */
			p = model_proc_new(m, h->tgid);
			if (!p)
				return;
			memcpy(p->comm, h->comm, sizeof(p->comm));
			p->first_ns = h->ts_ns;
			model_set_brk(p, r->start_brk, r->brk);
			model_resync(m, p);
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
		err = decode_ret_errno(r->sys, r->ret);
		failed = err != 0;
		p->uid = h->uid;
		p->events++;
		if (failed)
			count_failure(p, r->sys, err);
		p->last_ns = h->ts_ns;
		slot = model_fr_next(m, p);
		if (slot) {
			fr_from_syscall(slot, r);
			slot->mapped = model_mapped_bytes(p);
		}
		model_tl_record(m, p, h->ts_ns, true, failed);
		break;
	}
	case VMT_REC_EXEC:
		/* The old image's last interval is its own (its comm); the new one starts anew. */
		p = model_proc_get(m, h->tgid);
		if (p) {
			model_tl_close(m, p);
			p->tl_held = false;
		}
		model_apply_exec(m, rec);
		p = model_proc_get(m, h->tgid);
		if (p) {
			memset(&ev, 0, sizeof(ev));
			ev.ts_ns = h->ts_ns;
			ev.tid = h->tid;
			ev.type = VMT_REC_EXEC;
			ev.map_count = ((const struct vmt_exec_rec *)rec)->map_count;
			ev.brk = p->brk;
			p->uid = h->uid;
			p->first_ns = p->last_ns = h->ts_ns;
			model_fr_push(m, p, &ev);
			if (!p->exec_pending) /* else when its VMAs are in (model_apply_vma) */
				model_tl_record(m, p, h->ts_ns, false, false);
		}
		break;
	case VMT_REC_VMA:
		m->st.events--; /* part of the exec record */
		model_apply_vma(m, rec);
		p = model_proc_get(m, h->tgid);
		/* The exec's flight event says what the new image maps once its VMAs are in. */
		if (p && p->fr_len) {
			struct fr_event *last = &p->fr[(p->fr_head + p->fr_len - 1) % p->fr_cap];

			if (last->type == VMT_REC_EXEC)
				last->mapped = model_mapped_bytes(p);
		}
		break;
	case VMT_REC_FORK:
		model_apply_fork(m, rec);
		break;
	case VMT_REC_EXIT:
		p = model_proc_get(m, h->tgid);
		if (p) {
			model_tl_close(m, p);
			m->st.procs_exited++;
			model_proc_drop(m, h->tgid);
		}
		break;
	default:
		break;
	}
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
		m->cfg.timeline_resolution_ns = MODEL_DEFAULT_TIMELINE_RESOLUTION_NS;
	if (!m->cfg.timeline_points)
		m->cfg.timeline_points = MODEL_DEFAULT_TIMELINE_POINTS;
	if (!m->cfg.flight_events)
		m->cfg.flight_events = MODEL_DEFAULT_FLIGHT_EVENTS;
	if (!m->cfg.memory_limit)
		m->cfg.memory_limit = MODEL_DEFAULT_MEMORY_LIMIT;
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

static void proc_free_val(void *m, void *p)
{
	proc_free(m, p);
}

void model_free(struct model *m)
{
	if (!m)
		return;
	hmap_free_values(&m->procs, proc_free_val, m);
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
