// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Process lifecycle: fork (new processes, not threads), exec and exit. */
#include "common.bpf.h"

#define MAX_EXEC_VMAS 512

extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 __u64 addr) __weak __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __weak __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __weak __ksym;

/* Set by userspace when the kernel lacks the open-coded VMA iterator. */
const volatile bool exec_walk_vmas = true;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct vmt_fork_rec *rec;
	struct vmt_mm_state mm;
	__u32 flags = 0;

	if (ptgid == ctgid) /* a new thread, not a new process */
		return 0;
	if (!is_traced(ptgid))
		return 0;
	if (!trace_all && tgid_bit(follow_bits, ptgid)) {
		tgid_bit_set(follow_bits, ctgid, true);
		tgid_bit_set(traced_bits, ctgid, true);
		flags |= VMT_F_TRACED_NEW;
	}

	rec = rec_reserve(sizeof(*rec), ptgid);
	if (!rec) {
		tgid_bit_set(lost_bits, ctgid, true); /* the child is unknown to userspace */
		return 0;
	}
	hdr_fill(&rec->hdr, parent, VMT_REC_FORK, ptgid, BPF_CORE_READ(parent, pid));
	rec->hdr.flags = flags;
	rec->child_tgid = ctgid;
	rec->child_tid = BPF_CORE_READ(child, pid);
	BPF_CORE_READ_STR_INTO(&rec->child_comm, child, comm);
	mm_state_read(child, &mm);
	rec->map_count = mm.map_count;
	rec->pad = 0;
	rec->start_brk = mm.start_brk;
	rec->brk = mm.brk;
	rec_submit(rec);
	return 0;
}

/*
 * The new address space is sent VMA by VMA from inside the exec tracepoint,
 * so userspace learns it in order with the process's later events and
 * without racing a read of /proc.
 */
static __always_inline __u32 send_exec_vmas(struct task_struct *task, __u32 tgid, __u32 tid)
{
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	__u32 n = 0;

	if (!exec_walk_vmas)
		return 0;
	bpf_iter_task_vma_new(&it, task, 0);
	while ((vma = bpf_iter_task_vma_next(&it))) {
		struct vmt_vma_rec *rec;

		if (n >= MAX_EXEC_VMAS)
			break;
		rec = rec_reserve(sizeof(*rec), tgid);
		if (!rec)
			break;
		hdr_fill(&rec->hdr, task, VMT_REC_VMA, tgid, tid);
		rec->index = n;
		rec->pad = 0;
		vma_fill_probe(&rec->vma, vma);
		rec_submit(rec);
		n++;
	}
	bpf_iter_task_vma_destroy(&it);
	return n;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	__u32 tid = BPF_CORE_READ(p, pid);
	struct vmt_exec_rec *rec;
	struct vmt_mm_state mm;
	const char *filename;

	if (!is_traced(tgid))
		return 0;
	rec = rec_reserve(sizeof(*rec), tgid);
	if (!rec)
		return 0;
	hdr_fill(&rec->hdr, p, VMT_REC_EXEC, tgid, tid);
	mm_state_read(p, &mm);
	rec->old_tid = old_pid;
	rec->map_count = mm.map_count;
	rec->start_brk = mm.start_brk;
	rec->brk = mm.brk;
	rec->nvmas = 0;
	rec->pad = 0;
	rec->memcg_id = task_memcg_id(p);
	filename = BPF_CORE_READ(bprm, filename);
	if (bpf_probe_read_kernel_str(rec->filename, sizeof(rec->filename), filename) < 0)
		rec->filename[0] = 0;
	/* The record announces how many VMA records to expect; it goes first. */
	if (exec_walk_vmas)
		rec->nvmas = mm.map_count;
	rec_submit(rec);
	send_exec_vmas(p, tgid, tid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	struct vmt_exit_rec *rec;
	struct vmt_mm_state mm;
	bool group_dead;

	if (!is_traced(tgid))
		return 0;
	/* signal->live is decremented before this tracepoint on every kernel. */
	group_dead = BPF_CORE_READ(p, signal, live.counter) == 0;
	if (!group_dead)
		return 0;
	if (!trace_all) {
		tgid_bit_set(traced_bits, tgid, false);
		tgid_bit_set(follow_bits, tgid, false);
	}

	rec = rec_reserve(sizeof(*rec), tgid);
	if (!rec)
		return 0;
	hdr_fill(&rec->hdr, p, VMT_REC_EXIT, tgid, BPF_CORE_READ(p, pid));
	rec->hdr.flags = VMT_F_GROUP_DEAD;
	rec->exit_code = BPF_CORE_READ(p, exit_code);
	mm_state_read(p, &mm);
	rec->map_count = mm.map_count;
	rec->start_brk = mm.start_brk;
	rec->brk = mm.brk;
	rec->total_vm = mm.total_vm;
	rec_submit(rec);
	return 0;
}
