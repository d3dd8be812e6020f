// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* OOM kills as alerts: the victim, its memcg and how the kill was classified, what grew. */
#include <stdio.h>
#include <string.h>

#include "alert_internal.h"
#include "untrusted.h"

struct oom_alert {
	const struct vmt_oom_rec *r;
	const struct alert_oom_info *info;
	const struct model_proc *victim;
	const char *comm;
	uint64_t res;
	long long off;
};

/* How the OOM was classified: the hierarchy, the file that said it, the counts there. */
static void oom_memcg_members(struct jsonw *w, const struct alert_oom_info *info)
{
	if (!info->memcg_version)
		return;
	jw_kint(w, "memcg_version", info->memcg_version);
	if (info->oom_evidence[0])
		jw_kstr(w, "oom_evidence", info->oom_evidence);
	if (info->limit_memcg[0])
		jw_kstrn(w, "limit_memcg", info->limit_memcg, sizeof(info->limit_memcg));
	jw_kuint(w, "memcg_oom_kills", info->memcg_oom_kills);
	if (info->memcg_high)
		jw_kuint(w, "memcg_high", info->memcg_high);
}

static void oom_members(struct jsonw *w, const void *arg)
{
	const struct oom_alert *o = arg;
	const struct vmt_oom_rec *r = o->r;

	alert_head_members(w, ALERT_OOM_KILL, r->victim_pid, o->comm, &o->info->container,
			   r->hdr.ts_ns, o->off);
	jw_kuint(w, "victim_pid", r->victim_pid);
	if (o->info->victim_tid)
		jw_kuint(w, "victim_tid", o->info->victim_tid);
	jw_kstrn(w, "victim_comm", r->victim_comm, VMT_COMM_LEN);
	if (r->present & VMT_OOM_HAS_UID)
		jw_kuint(w, "uid", r->uid);
	if (r->present & VMT_OOM_HAS_TOTAL_VM)
		jw_kuint(w, "total_vm_kb", r->total_vm_kb);
	if (r->present & VMT_OOM_HAS_RSS) {
		jw_kuint(w, "anon_rss_kb", r->anon_rss_kb);
		jw_kuint(w, "file_rss_kb", r->file_rss_kb);
		jw_kuint(w, "shmem_rss_kb", r->shmem_rss_kb);
	}
	if (r->present & VMT_OOM_HAS_PGTABLES)
		jw_kuint(w, "pgtables_kb", r->pgtables_kb);
	if (r->present & VMT_OOM_HAS_SCORE_ADJ)
		jw_kint(w, "oom_score_adj", r->oom_score_adj);
	jw_kstrn(w, "memcg", o->info->memcg, sizeof(o->info->memcg));
	jw_kstr(w, "oom_type", o->info->oom_type);
	jw_kuint(w, "memcg_limit", o->info->memcg_limit);
	oom_memcg_members(w, o->info);
	jw_kuint(w, "trigger_pid", r->hdr.tgid);
	jw_kuint(w, "trigger_tid", r->hdr.tid);
	jw_kstrn(w, "trigger_comm", r->hdr.comm, VMT_COMM_LEN);
	if (o->victim) {
		jw_kuint(w, "vmas", model_vma_count(o->victim));
		jw_kuint(w, "mapped", model_mapped_bytes(o->victim));
		jw_kuint(w, "heap", model_heap_size(o->victim));
		/* An OOM kill is about bytes: the kinds that hold the most come first. */
		alert_grew_json(w, o->victim, r->hdr.ts_ns, o->res, true, o->off);
	}
}

bool alert_oom_repeat(struct alert_engine *ae, uint32_t tgid)
{
	struct proc_state *s = alert_state_get(ae, tgid);
	bool seen;

	if (!s)
		return false;
	seen = s->oom_seen;
	s->oom_seen = true;
	return seen;
}

void alert_oom(struct alert_engine *ae, struct model_proc *victim, const struct vmt_oom_rec *r,
	       const struct alert_oom_info *info, long long off)
{
	char comm[VMT_COMM_LEN + 1];
	struct oom_alert o = { .r = r,
			       .info = info,
			       .victim = victim,
			       .comm = comm,
			       .res = ae->cfg->timeline_resolution_ns,
			       .off = off };
	struct strbuf js, inc, sum;
	char ids[32];

	if (!ae->cfg->alert_oom)
		return;
	snprintf(comm, sizeof(comm), "%.*s", VMT_COMM_LEN, r->victim_comm);
	sb_init(&js);
	sb_init(&inc);
	sb_init(&sum);
	alert_render(&js, &inc, oom_members, &o, victim, 256, off);
	sb_puts(&sum, "the OOM killer chose ");
	snprintf(ids, sizeof(ids), "[%u]", r->victim_pid);
	alert_summary_who(&sum, comm, ids, &info->container);
	if (r->present & VMT_OOM_HAS_RSS)
		sb_printf(&sum, " (anon-rss %llu kB, file-rss %llu kB)",
			  (unsigned long long)r->anon_rss_kb, (unsigned long long)r->file_rss_kb);
	sb_printf(&sum, ", %s OOM", info->oom_type);
	if (info->memcg[0]) {
		sb_puts(&sum, " in ");
		ut_append(&sum, info->memcg, sizeof(info->memcg), UT_TEXT);
	}
	if (info->limit_memcg[0]) {
		sb_puts(&sum, " at the limit of ");
		ut_append(&sum, info->limit_memcg, sizeof(info->limit_memcg), UT_TEXT);
	}
	if (info->memcg_limit)
		sb_printf(&sum, " (limit %llu bytes%s%s)", (unsigned long long)info->memcg_limit,
			  info->oom_evidence[0] ? ", by " : "", info->oom_evidence);
	sb_puts(&sum, ", triggered by ");
	ut_append(&sum, r->hdr.comm, VMT_COMM_LEN, UT_TEXT);
	sb_printf(&sum, "[%u]", r->hdr.tgid);
	if (victim)
		alert_grew_text(&sum, victim, r->hdr.ts_ns, o.res);
	alert_emit(ae, ALERT_OOM_KILL, r->victim_pid, comm, &js, &inc, &sum);
	sb_free(&js);
	sb_free(&inc);
	sb_free(&sum);
}
