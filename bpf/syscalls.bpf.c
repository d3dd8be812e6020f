// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Exit tracepoints of every syscall that can create, split, merge, resize or
 * remove a VMA, or move the heap break. Arguments are read from the task's
 * saved user registers at exit (bpf_task_pt_regs), so there is one program
 * per syscall and no entry/exit map.
 */
#include "common.bpf.h"

#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0

/* How to find the VMA(s) a successful call produced. */
enum vma_lookup {
	LOOKUP_NONE,
	LOOKUP_RET_LEN,   /* [ret, ret + len) : mmap, mremap, shmat */
	LOOKUP_ARG_RANGE, /* [addr, addr + len) : mprotect, mlock, madvise... */
	LOOKUP_BRK,       /* the heap VMA ending at the new break */
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	vma_fill(data, vma);
	return 0;
}

static __always_inline void vma_lookup(struct task_struct *task, __u64 addr, struct vmt_vma *out)
{
	struct vmt_vma v = {};
	long err = bpf_find_vma(task, addr, vma_cb, &v, 0);

	if (err == -16 /* EBUSY: mmap_lock contended */)
		stat_inc(VMT_STAT_FIND_VMA_BUSY);
	*out = v;
}

static __always_inline int emit(struct trace_event_raw_sys_exit *ctx, enum vmt_sys sys,
				enum vma_lookup lookup, int addr_arg, int len_arg)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct task_struct *task;
	struct vmt_syscall_rec *rec;
	struct vmt_syscall_stack_rec *srec = NULL;
	struct pt_regs *regs;
	struct vmt_mm_state mm;
	__u64 args[VMT_MAX_ARGS];
	__u64 lo = 0, hi = 0;
	long ret;

	if (!is_traced(tgid))
		return 0;

	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
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

	if (capture_stack) {
		srec = rec_reserve(sizeof(*srec));
		if (!srec)
			return 0;
		rec = &srec->rec;
	} else {
		rec = rec_reserve(sizeof(*rec));
		if (!rec)
			return 0;
	}

	hdr_fill(&rec->hdr, VMT_REC_SYSCALL, tgid, (__u32)pid_tgid);
	mm_state_read(task, &mm);
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

	/*
	 * Failed calls (-4095..-1) changed nothing worth looking up, except range calls
	 * failing with ENOMEM: mprotect, mlock and madvise act on the mapped part of a
	 * range with holes before they report the hole.
	 */
	if (ret < 0 && ret >= -4095 && !(ret == -12 && lookup == LOOKUP_ARG_RANGE))
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
		vma_lookup(task, lookup == LOOKUP_BRK ? hi - 1 : lo, &rec->vma[0]);
		if (rec->vma[0].valid && rec->vma[0].end < hi)
			vma_lookup(task, hi - 1, &rec->vma[1]);
		else
			__builtin_memset(&rec->vma[1], 0, sizeof(rec->vma[1]));
	} else {
		__builtin_memset(rec->vma, 0, sizeof(rec->vma));
	}

	if (srec) {
		long n = bpf_get_stack(ctx, srec->stack, sizeof(srec->stack), BPF_F_USER_STACK);

		if (n > 0) {
			rec->nstack = n / sizeof(__u64);
			rec->hdr.flags |= VMT_F_HAS_STACK;
		}
	}
	rec_submit(rec, srec ? sizeof(*srec) : sizeof(*rec));
	return 0;
}

/* addr_arg/len_arg: which arguments give the range the call acted on. */
#define SYS_EXIT(name, sys, lookup, addr_arg, len_arg)                        \
	SEC("tracepoint/syscalls/sys_exit_" #name)                            \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                 \
	{                                                                     \
		return emit(ctx, sys, lookup, addr_arg, len_arg);             \
	}

SYS_EXIT(mmap, VMT_SYS_MMAP, LOOKUP_RET_LEN, 0, 1)
SYS_EXIT(munmap, VMT_SYS_MUNMAP, LOOKUP_NONE, 0, 0)
SYS_EXIT(brk, VMT_SYS_BRK, LOOKUP_BRK, 0, 0)
SYS_EXIT(mremap, VMT_SYS_MREMAP, LOOKUP_RET_LEN, 0, 2)
SYS_EXIT(mprotect, VMT_SYS_MPROTECT, LOOKUP_ARG_RANGE, 0, 1)
SYS_EXIT(pkey_mprotect, VMT_SYS_PKEY_MPROTECT, LOOKUP_ARG_RANGE, 0, 1)
SYS_EXIT(madvise, VMT_SYS_MADVISE, LOOKUP_ARG_RANGE, 0, 1)
SYS_EXIT(mlock, VMT_SYS_MLOCK, LOOKUP_ARG_RANGE, 0, 1)
SYS_EXIT(mlock2, VMT_SYS_MLOCK2, LOOKUP_ARG_RANGE, 0, 1)
SYS_EXIT(munlock, VMT_SYS_MUNLOCK, LOOKUP_ARG_RANGE, 0, 1)
SYS_EXIT(mlockall, VMT_SYS_MLOCKALL, LOOKUP_NONE, 0, 0)
SYS_EXIT(munlockall, VMT_SYS_MUNLOCKALL, LOOKUP_NONE, 0, 0)
SYS_EXIT(shmat, VMT_SYS_SHMAT, LOOKUP_RET_LEN, 0, -1)
SYS_EXIT(shmdt, VMT_SYS_SHMDT, LOOKUP_NONE, 0, 0)
SYS_EXIT(remap_file_pages, VMT_SYS_REMAP_FILE_PAGES, LOOKUP_ARG_RANGE, 0, 1)
SYS_EXIT(mseal, VMT_SYS_MSEAL, LOOKUP_ARG_RANGE, 0, 1)
SYS_EXIT(mbind, VMT_SYS_MBIND, LOOKUP_ARG_RANGE, 0, 1)
SYS_EXIT(set_mempolicy_home_node, VMT_SYS_SET_MEMPOLICY_HOME_NODE, LOOKUP_ARG_RANGE, 0, 1)
SYS_EXIT(prctl, VMT_SYS_PRCTL_SET_VMA, LOOKUP_ARG_RANGE, 2, 3)
