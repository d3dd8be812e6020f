// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Seeding: the VMAs of processes that existed before vmatrace started, read
 * by an iter/task_vma iterator as fixed-size binary records (no text parsing).
 */
#include "common.bpf.h"

/* The tgid whose PROC record was written last in this read of the iterator. */
__u32 iter_last_tgid;

SEC("iter/task_vma")
int seed_vmas(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	struct vmt_iter_rec rec;
	struct vmt_mm_state mm;
	__u32 tgid;

	if (!task || !vma)
		return 0;
	if (ctx->meta->seq_num == 0)
		iter_last_tgid = 0;
	tgid = BPF_CORE_READ(task, tgid);
	/* Threads share the leader's address space: one copy is enough. */
	if (BPF_CORE_READ(task, pid) != tgid || tgid == self_tgid)
		return 0;
	__builtin_memset(&rec, 0, sizeof(rec));
	rec.tgid = tgid;
	if (tgid != iter_last_tgid) {
		mm_state_read(task, &mm);
		rec.kind = VMT_ITER_PROC;
		rec.map_count = mm.map_count;
		rec.start_brk = mm.start_brk;
		rec.brk = mm.brk;
		rec.memcg_id = task_memcg_id(task);
		BPF_CORE_READ_STR_INTO(&rec.comm, task, comm);
		bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
		iter_last_tgid = tgid;
	}
	rec.kind = VMT_ITER_VMA;
	vma_fill(&rec.vma, vma);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
