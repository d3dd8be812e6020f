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

/*
 * The processes visible in the reader's PID namespace, as (kernel tgid, tgid there) pairs,
 * the reader first. It runs in the reader's context: inside a container, getpid() is the
 * namespace's number, and this is how vmatrace learns the one its records carry.
 */
static __always_inline unsigned long upid_at(unsigned int level)
{
	return bpf_core_field_offset(struct pid, numbers) + level * bpf_core_type_size(struct upid);
}

static __always_inline __u32 pid_at_level(struct pid *p, unsigned int level)
{
	__u32 nr = 0;

	bpf_probe_read_kernel(&nr, sizeof(nr),
			      (void *)p + upid_at(level) + bpf_core_field_offset(struct upid, nr));
	return nr;
}

static __always_inline __u64 ns_at_level(struct pid *p, unsigned int level)
{
	__u64 ns = 0;

	bpf_probe_read_kernel(&ns, sizeof(ns),
			      (void *)p + upid_at(level) + bpf_core_field_offset(struct upid, ns));
	return ns;
}

SEC("iter/task")
int pid_map(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct task_struct *me = bpf_get_current_task_btf();
	struct vmt_pid_pair pair;
	struct pid *mine, *its;
	unsigned int level;

	mine = BPF_CORE_READ(me, thread_pid);
	level = BPF_CORE_READ(mine, level);
	if (level > 32)
		return 0;
	if (ctx->meta->seq_num == 0) {
		pair.host = bpf_get_current_pid_tgid() >> 32;
		pair.ns = pid_at_level(BPF_CORE_READ(me, group_leader, thread_pid), level);
		bpf_seq_write(ctx->meta->seq, &pair, sizeof(pair));
	}
	if (!task || BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid))
		return 0;
	its = BPF_CORE_READ(task, thread_pid);
	if (BPF_CORE_READ(its, level) < level ||
	    ns_at_level(its, level) != ns_at_level(mine, level))
		return 0; /* not in our namespace */
	pair.host = BPF_CORE_READ(task, tgid);
	pair.ns = pid_at_level(its, level);
	bpf_seq_write(ctx->meta->seq, &pair, sizeof(pair));
	return 0;
}
