// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Exit tracepoints of every syscall that can create, split, merge, resize or
 * remove a VMA, or move the heap break (the rows of vmt_syscalls.h). Arguments
 * are read from the task's saved user registers at exit (task_regs()), so
 * there is one program per syscall and no entry/exit map.
 */
#include "common.bpf.h"

#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0

/* How to find the VMA(s) a successful call produced. */
enum vma_lookup {
	LOOKUP_NONE,
	LOOKUP_RET_LEN,	  /* [ret, ret + len) : mmap, mremap, shmat */
	LOOKUP_ARG_RANGE, /* [addr, addr + len) : mprotect, mlock, madvise... */
	LOOKUP_BRK,	  /* the heap VMA ending at the new break */
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	vma_fill(data, vma);
	return 0;
}

/*
 * The fast way to the VMA at an address: walk the mm's maple tree with plain
 * loads, the way the kernel's lockless readers do, and check the mm's mmap
 * lock sequence count around it. An unchanged, even count means no writer held
 * the lock meanwhile, so what was read is what the tree held at one moment.
 * Anything unexpected (a writer, an odd node, a count that moved, a miss)
 * returns false and the caller takes the locked way, bpf_find_vma(). The
 * locked way costs two atomics on mmap_lock, a helper and an indirect call:
 * ~80 ns a lookup here, where the walk over the nodes the syscall has just
 * walked itself costs a fraction of that.
 *
 * x86 only: its loads are not reordered with other loads, so compiler
 * barriers give the ordering a seqcount reader needs; BPF has no read barrier.
 *
 * A global function walking with the bpf_iter_num iterator: the verifier
 * checks it once per program, not once per call site and tree level (inlined
 * with a plain loop it took ~60 ms per program to load, ~1 s for all of them).
 */
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

/*
 * Set by userspace when the kernel lacks bpf_rdonly_cast (6.2) or bpf_iter_num
 * (6.4); without the mmap lock's sequence count (6.13), the walk is skipped too.
 */
const volatile bool vma_walk = true;

#define MT_NODE_MASK 0xffUL /* low bits of an encoded node pointer */
#define MT_TYPE_SHIFT 3
#define MT_TYPE_MASK 0xfUL
#define MT_MAX_HEIGHT 8 /* 16^8 VMAs: far past vm.max_map_count's reach */

#ifdef bpf_target_x86
/*
 * A node's metadata byte "end" (the last slot in use), read as the low byte of
 * the 8-byte word at its offset: the verifier resolves that offset within
 * struct maple_node's union to a slot pointer and refuses a 1-byte load there.
 */
static __always_inline unsigned int meta_end(struct maple_node *node, unsigned int off)
{
	return (unsigned long)node->slot[(off - 8) / 8 & 31] & 0xff;
}

/*
 * One level of the walk: *entry, a node, is replaced by its slot that holds addr. 1: that was a
 * leaf, *entry is the VMA there (0: a gap); 0: go on down; -1: not a node the walk reads.
 */
static __always_inline int walk_level(unsigned long *entry, __u64 addr, __u32 node_id, int t_leaf,
				      int t_range, int t_arange)
{
	int type = (*entry >> MT_TYPE_SHIFT) & MT_TYPE_MASK;
	struct maple_node *node;
	unsigned long *pivots;
	void **slots;
	unsigned int end, npivots, off = 0;

	if (*entry < 4096)
		return -1;
	node = bpf_rdonly_cast((void *)(*entry & ~MT_NODE_MASK), node_id);
	if (type == t_arange) {
		pivots = node->ma64.pivot;
		slots = node->ma64.slot;
		npivots = 9;
		end = meta_end(node, bpf_core_field_offset(struct maple_arange_64, meta));
	} else if (type == t_range || type == t_leaf) {
		pivots = node->mr64.pivot;
		slots = node->mr64.slot;
		npivots = 15;
		/* the last pivot set means a full node; zero, the end is in the metadata */
		end = pivots[14] ?
			      15 :
			      meta_end(node, bpf_core_field_offset(struct maple_range_64, meta));
	} else {
		return -1;
	}
	if (end > npivots)
		return -1;
	while (off < end && off < 15 && pivots[off] < addr)
		off++;
	*entry = (unsigned long)slots[off & 15];
	return type == t_leaf;
}

/*
 * The caller's task, a trusted pointer (6.8+; a lookup used to cost a bpf_get_current_task_btf()
 * call of its own). Older kernels ignore the tag and take it for plain memory: they never
 * call this (vma_walk is off before 6.13, and the callers test it first).
 */
#define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))

__noinline int vma_walk_lookup(struct task_struct *task __arg_trusted, __u64 addr,
			       struct vmt_vma *out)
{
	__u32 node_id = bpf_core_type_id_kernel(struct maple_node);
	__u32 vma_id = bpf_core_type_id_kernel(struct vm_area_struct);
	int t_leaf = bpf_core_enum_value(enum maple_type, maple_leaf_64);
	int t_range = bpf_core_enum_value(enum maple_type, maple_range_64);
	int t_arange = bpf_core_enum_value(enum maple_type, maple_arange_64);
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	struct bpf_iter_num it;
	unsigned long entry;
	unsigned int seq;
	int level;

	if (!out || !vma_walk || !task)
		return false;
	mm = task->mm;
	if (!mm || !bpf_core_field_exists(mm->mm_lock_seq.sequence))
		return false;
	seq = mm->mm_lock_seq.sequence;
	if (seq & 1)
		return false; /* a writer holds mmap_lock */
	asm volatile("" ::: "memory");
	entry = (unsigned long)mm->mm_mt.ma_root;
	if ((entry & 3) != 2 || entry < 4096)
		return false; /* the root is not a node: an empty or single-entry tree */
	/*
	 * The first two levels without the iterator: its kfuncs are calls too (~20 ns each), and
	 * a tree of up to ~150 VMAs has no more. Deeper trees go on with it.
	 */
	level = walk_level(&entry, addr, node_id, t_leaf, t_range, t_arange);
	if (!level)
		level = walk_level(&entry, addr, node_id, t_leaf, t_range, t_arange);
	if (!level) {
		bpf_iter_num_new(&it, 0, MT_MAX_HEIGHT - 2);
		while (bpf_iter_num_next(&it)) {
			level = walk_level(&entry, addr, node_id, t_leaf, t_range, t_arange);
			if (level)
				break;
		}
		bpf_iter_num_destroy(&it);
	}
	if (level != 1 || !entry)
		return false; /* a gap: let the locked way say so */
	vma = bpf_rdonly_cast((void *)entry, vma_id);
	vma_fill(out, vma);
	asm volatile("" ::: "memory");
	if (mm->mm_lock_seq.sequence != seq)
		return false; /* changed under us: what we read may be torn */
	return out->start <= addr && addr < out->end;
}
#else
static __always_inline int vma_walk_lookup(struct task_struct *task, __u64 addr,
					   struct vmt_vma *out)
{
	return false;
}
#endif

/*
 * A writer of another thread holds mmap_lock for the few microseconds of its own call: both
 * ways fail while it does (the walk sees an odd or moved count, bpf_find_vma() only tries the
 * lock). Rather than send no VMA (and have the model read /proc, long after, when the consumer
 * lags), try the walk again for a bounded while: each try that finds a writer costs a load.
 */
#define VMA_WALK_TRIES 4096
/* Kernels without the walk (before 6.13): bpf_find_vma() tries the lock again, fewer times. */
#define VMA_LOCK_TRIES 512

struct walk_try {
	__u64 addr;
	struct vmt_vma *out;
	struct task_struct *task;
	bool found;
};

static long walk_try_cb(__u64 i, void *ctx)
{
	struct walk_try *t = ctx;

	if (vma_walk && vma_walk_lookup(t->task, t->addr, t->out)) {
		t->found = true;
		return 1;
	}
	return 0;
}

static long lock_try_cb(__u64 i, void *ctx)
{
	struct walk_try *t = ctx;
	struct vmt_vma v = {};
	long err = bpf_find_vma(t->task, t->addr, vma_cb, &v, 0);

	if (err == -16 /* EBUSY: a writer holds mmap_lock */)
		return 0;
	*t->out = v; /* found, or not there: either way the answer */
	t->found = true;
	return 1;
}

static __always_inline void vma_lookup(struct task_struct *task, __u64 addr, struct vmt_vma *out)
{
	struct walk_try t = { .addr = addr, .out = out, .task = task };

	if (vma_walk && vma_walk_lookup(task, addr, out))
		return;
	if (vma_walk) {
		bpf_loop(VMA_WALK_TRIES, walk_try_cb, &t, 0);
		if (t.found)
			return;
		stat_inc(VMT_STAT_VMA_WALK_MISS);
	}
	bpf_loop(vma_walk ? 1 : VMA_LOCK_TRIES, lock_try_cb, &t, 0);
	if (!t.found) {
		stat_inc(VMT_STAT_FIND_VMA_BUSY);
		*out = (struct vmt_vma){};
	}
}

/*
 * The user registers (DWARF order) and the stack from sp up to the end of its VMA, at most
 * ustack_window bytes. Returns the bytes copied into data.
 */
static __always_inline __u32 ustack_fill(struct task_struct *task, struct pt_regs *regs,
					 struct vmt_ustack *us, __u8 *data)
{
	struct vmt_vma v = {};
	__u64 sp = regs->sp, len = ustack_window;

	us->regs[0] = regs->ax;
	us->regs[1] = regs->dx;
	us->regs[2] = regs->cx;
	us->regs[3] = regs->bx;
	us->regs[4] = regs->si;
	us->regs[5] = regs->di;
	us->regs[6] = regs->bp;
	us->regs[7] = sp;
	us->regs[8] = regs->r8;
	us->regs[9] = regs->r9;
	us->regs[10] = regs->r10;
	us->regs[11] = regs->r11;
	us->regs[12] = regs->r12;
	us->regs[13] = regs->r13;
	us->regs[14] = regs->r14;
	us->regs[15] = regs->r15;
	us->regs[16] = regs->ip;
	us->flags = VMT_USTACK_CUT;
	vma_lookup(task, sp, &v);
	if (v.valid && v.end - sp <= len) {
		len = v.end - sp;
		us->flags = 0;
	}
	/*
	 * All or nothing, and never faulting: halve the window until it reads. Past its end
	 * when the stack's VMA is unknown (the lookup lost to a writer of another thread), and
	 * also inside it: exec leaves a random gap of up to 8 KiB between the stack pointer it
	 * starts with and the arguments above, and a page of it that nothing ever touched is
	 * not there to read. The frames are near sp, below that gap.
	 */
	for (int i = 0; i < 6; i++) {
		if (len > VMT_USTACK_MAX)
			len = VMT_USTACK_MAX;
		len &= ~7ull;
		if (!len || !bpf_probe_read_user(data, len, (void *)sp))
			break;
		/* Nothing read: the last try sends nothing rather than bytes never copied. */
		len = i < 5 ? len / 2 : 0;
		us->flags = VMT_USTACK_CUT;
	}
	if (len > VMT_USTACK_MAX)
		len = 0;
	us->len = len;
	return len;
}

/*
 * Whether this call gets a stack window, and how many calls it stands for: every failed call
 * and every call of a process above ustack_all_above VMAs (weight 1), else one in ustack_every
 * at random (weight ustack_every: unbiased whatever the calls' order), else none (0).
 */
static __always_inline __u32 ustack_weight(long ret, __u32 map_count)
{
	__u32 every = ustack_every;

	if (every <= 1 || (ret < 0 && ret >= -4095) ||
	    (ustack_all_above && map_count >= ustack_all_above))
		return 1;
	return rng_next() % every == 0 ? every : 0;
}

/*
 * A plain record is as long as the VMAs it carries (vmatrace.h): none for a munmap or a
 * failed call, one for a call whose range one VMA holds (nearly every mmap), two otherwise.
 * The VMAs are looked up first, into the stack, so that the size is known at the reserve.
 */
static __always_inline void *reserve_plain(int nvma, __u32 tgid, __u32 *flags)
{
	if (nvma == 0) {
		*flags = VMT_F_NO_VMA;
		return rec_reserve(VMT_SYSCALL_SIZE_NO_VMA, tgid);
	}
	if (nvma == 1) {
		*flags = VMT_F_ONE_VMA;
		return rec_reserve(VMT_SYSCALL_SIZE_ONE_VMA, tgid);
	}
	*flags = 0;
	return rec_reserve(sizeof(struct vmt_syscall_rec), tgid);
}

static __always_inline int emit(struct trace_event_raw_sys_exit *ctx, enum vmt_sys sys,
				enum vma_lookup lookup, int addr_arg, int len_arg)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	struct vmt_syscall_rec *rec;
	struct vmt_syscall_stack_rec *srec = NULL;
	struct vmt_syscall_ustack_rec *urec = NULL;
	__u32 weight = 0, size_flags = 0;
	struct pt_regs *regs;
	struct vmt_mm_state mm;
	struct vmt_vma vma[2];
	__u64 args[VMT_MAX_ARGS];
	__u64 lo = 0, hi = 0;
	int nvma = 0;
	long ret;

	if (!is_traced(tgid))
		return 0;

	regs = task_regs(task);
	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	args[5] = regs->r9;
	if (sys == VMT_SYS_PRCTL_SET_VMA) {
		if (args[0] != PR_SET_VMA || args[1] != PR_SET_VMA_ANON_NAME)
			return 0;
	}
	ret = ctx->ret;

	mm_state_read(task, &mm);

	/*
	 * Failed calls (-4095..-1) changed nothing worth looking up, except range calls:
	 * mprotect, mlock and madvise act on the mapped part of a range with holes before
	 * they report the hole (ENOMEM), and on its VMAs one by one before one of them fails
	 * (EINVAL, EACCES, EBADF): the VMAs at the range's ends say what they did.
	 */
	if (ret < 0 && ret >= -4095 && lookup != LOOKUP_ARG_RANGE)
		lookup = LOOKUP_NONE;
	switch (lookup) {
	case LOOKUP_RET_LEN:
		lo = ret;
		hi = lo + (len_arg >= 0 ? args[len_arg] : 1);
		break;
	case LOOKUP_ARG_RANGE:
		lo = args[addr_arg];
		hi = lo + args[len_arg];
		break;
	case LOOKUP_BRK:
		if ((__u64)ret > mm.start_brk) {
			lo = mm.start_brk;
			hi = ret;
		}
		break;
	default:
		break;
	}
	if (hi > lo) {
		vma_lookup(task, lookup == LOOKUP_BRK ? hi - 1 : lo, &vma[0]);
		nvma = 1;
		if (vma[0].valid && vma[0].end < hi) {
			vma_lookup(task, hi - 1, &vma[1]);
			nvma = 2;
		}
	}

	if (ustack_window && (weight = ustack_weight(ret, mm.map_count))) {
		__u32 cpu = bpf_get_smp_processor_id();

		urec = bpf_map_lookup_elem(&ustack_scratch, &cpu);
		if (!urec)
			return 0;
		rec = &urec->rec;
	} else if (capture_stack) {
		srec = rec_reserve(sizeof(*srec), tgid);
		if (!srec)
			return 0;
		rec = &srec->rec;
	} else {
		rec = reserve_plain(nvma, tgid, &size_flags);
		if (!rec)
			return 0;
	}

	hdr_fill(&rec->hdr, task, VMT_REC_SYSCALL, tgid, task->pid);
	rec->hdr.flags = size_flags;
	rec->hdr.mm_seq = mm.lock_seq;
	rec->sys = sys;
	rec->nstack = 0;
	rec->map_count = mm.map_count;
	rec->ret = ret;
	for (int i = 0; i < VMT_MAX_ARGS; i++)
		rec->args[i] = args[i];
	rec->start_brk = mm.start_brk;
	rec->brk = mm.brk;
	rec->total_vm = mm.total_vm;
	rec->stack_vm = mm.stack_vm;

	if (size_flags == VMT_F_NO_VMA) {
		rec_submit(rec);
		return 0;
	}
	if (nvma >= 1)
		rec->vma[0] = vma[0];
	else
		__builtin_memset(&rec->vma[0], 0, sizeof(rec->vma[0]));
	if (size_flags == VMT_F_ONE_VMA) {
		rec_submit(rec);
		return 0;
	}
	if (nvma == 2)
		rec->vma[1] = vma[1];
	else
		__builtin_memset(&rec->vma[1], 0, sizeof(rec->vma[1]));

	if (srec) {
		long n = bpf_get_stack(ctx, srec->stack, sizeof(srec->stack), BPF_F_USER_STACK);

		if (n > 0) {
			rec->nstack = n / sizeof(__u64);
			rec->hdr.flags |= VMT_F_HAS_STACK;
		}
	}
	if (urec) {
		__u32 len = ustack_fill(task, regs, &urec->us, urec->data);

		rec->hdr.flags |= VMT_F_HAS_USTACK;
		urec->us.weight = weight;
		urec->us.pad = 0;
		if (len > VMT_USTACK_MAX)
			return 0; /* for the verifier: never */
		rec_output(urec, sizeof(urec->rec) + sizeof(urec->us) + len);
		return 0;
	}
	rec_submit(rec);
	return 0;
}

/*
 * One program per row of vmt_syscalls.h, exit_<name> on syscalls/sys_exit_<name>;
 * lookup, addr_arg and len_arg say where the VMAs the call acted on are.
 */
#define SYS_EXIT(id, num, name, need, ret, lookup, addr_arg, len_arg, args)         \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                  \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                       \
	{                                                                           \
		return emit(ctx, VMT_SYS_##id, LOOKUP_##lookup, addr_arg, len_arg); \
	}

VMT_SYSCALLS(SYS_EXIT)
