// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * OOM kills. The classic oom/mark_victim tracepoint carries the victim's
 * memory figures; its fields grew over kernel versions, so each is read only
 * where this kernel has it. current is the task whose allocation triggered
 * the OOM.
 */
#include "common.bpf.h"

SEC("tracepoint/oom/mark_victim")
int on_mark_victim(struct trace_event_raw_mark_victim *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *current = bpf_get_current_task_btf();
	__u32 victim = BPF_CORE_READ(ctx, pid);
	struct vmt_oom_rec *rec;
	__u32 loc;

	if (!is_traced(victim) && !is_traced(pid_tgid >> 32))
		return 0;
	rec = rec_reserve(sizeof(*rec), victim);
	if (!rec)
		return 0;
	hdr_fill(&rec->hdr, current, VMT_REC_OOM, pid_tgid >> 32, (__u32)pid_tgid);
	__builtin_memset(&rec->victim_pid, 0, sizeof(*rec) - sizeof(rec->hdr));
	rec->victim_pid = victim;
	rec->trigger_memcg_id = task_memcg_id(current);
	loc = BPF_CORE_READ(ctx, __data_loc_comm);
	bpf_probe_read_kernel_str(rec->victim_comm, sizeof(rec->victim_comm),
				  (void *)ctx + (loc & 0xffff));
	if (bpf_core_field_exists(ctx->total_vm)) {
		rec->total_vm_kb = BPF_CORE_READ(ctx, total_vm);
		rec->present |= VMT_OOM_HAS_TOTAL_VM;
	}
	if (bpf_core_field_exists(ctx->anon_rss)) {
		rec->anon_rss_kb = BPF_CORE_READ(ctx, anon_rss);
		rec->file_rss_kb = BPF_CORE_READ(ctx, file_rss);
		rec->shmem_rss_kb = BPF_CORE_READ(ctx, shmem_rss);
		rec->present |= VMT_OOM_HAS_RSS;
	}
	if (bpf_core_field_exists(ctx->uid)) {
		rec->uid = BPF_CORE_READ(ctx, uid);
		rec->present |= VMT_OOM_HAS_UID;
	}
	if (bpf_core_field_exists(ctx->pgtables)) {
		rec->pgtables_kb = BPF_CORE_READ(ctx, pgtables);
		rec->present |= VMT_OOM_HAS_PGTABLES;
	}
	if (bpf_core_field_exists(ctx->oom_score_adj)) {
		rec->oom_score_adj = BPF_CORE_READ(ctx, oom_score_adj);
		rec->present |= VMT_OOM_HAS_SCORE_ADJ;
	}
	rec_submit(rec);
	return 0;
}
