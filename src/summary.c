// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "jsonw.h"
#include "summary.h"
#include "untrusted.h"

void summary_init(struct summary *s, unsigned long keep_exited)
{
	memset(s, 0, sizeof(*s));
	hmap_init(&s->procs);
	s->keep_exited = keep_exited;
	s->exited = calloc(keep_exited ? keep_exited : 1, sizeof(*s->exited));
}

void summary_free(struct summary *s)
{
	hmap_free_values(&s->procs, NULL, NULL);
	for (unsigned long i = 0; i < s->nexited; i++)
		free(s->exited[i]);
	free(s->exited);
	s->exited = NULL;
}

struct summary_proc *summary_proc(struct summary *s, unsigned int tgid)
{
	struct summary_proc *p = hmap_get(&s->procs, tgid);

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	if (hmap_put(&s->procs, tgid, p)) {
		free(p);
		return NULL;
	}
	s->nprocs_seen++;
	return p;
}

static void proc_mm(struct summary *s, struct summary_proc *p, const struct vmt_hdr *h,
		    unsigned int vmas, unsigned long long start_brk, unsigned long long brk)
{
	memcpy(p->comm, h->comm, sizeof(p->comm));
	p->last_vmas = vmas;
	if (vmas > p->peak_vmas)
		p->peak_vmas = vmas;
	if (vmas > s->peak_vmas) {
		s->peak_vmas = vmas;
		s->peak_tgid = h->tgid;
		memcpy(s->peak_comm, h->comm, sizeof(s->peak_comm));
	}
	if (!brk)
		return;
	if (!p->brk_known || p->start_brk != start_brk) {
		p->brk_known = true;
		p->start_brk = start_brk;
		p->first_brk = brk;
		p->max_brk = brk;
	}
	p->last_brk = brk;
	if (brk > p->max_brk)
		p->max_brk = brk;
}

static void proc_exited(struct summary *s, unsigned int tgid)
{
	struct summary_proc *p = hmap_del(&s->procs, tgid);

	if (!p)
		return;
	if (s->nexited < s->keep_exited)
		s->exited[s->nexited++] = p;
	else
		free(p);
}

void summary_add(struct summary *s, const void *data, size_t size, unsigned long long *prev_brk,
		 bool *prev_brk_known)
{
	const struct vmt_hdr *h = data;
	struct summary_proc *p;

	*prev_brk_known = false;
	*prev_brk = 0;
	if (size < sizeof(*h))
		return;
	if (h->type == VMT_REC_VMA)
		return; /* part of an exec, already counted there */
	s->records++;
	if (!s->first_ts)
		s->first_ts = h->ts_ns;
	s->last_ts = h->ts_ns;
	p = summary_proc(s, h->tgid);
	if (p && p->brk_known) {
		*prev_brk = p->last_brk;
		*prev_brk_known = true;
	}

	if (size < decode_rec_size(h->type))
		return;
	switch (h->type) {
	case VMT_REC_SYSCALL: {
		const struct vmt_syscall_rec *r = data;
		int err;

		if (r->sys >= VMT_SYS__COUNT)
			return;
		err = decode_ret_errno(r->sys, r->ret);
		s->calls[r->sys]++;
		if (err) {
			s->failures[r->sys]++;
			s->failures_by_errno[r->sys][err < SUMMARY_MAX_ERRNO ? err : 0]++;
		}
		if (p) {
			p->calls++;
			p->failures += !!err;
			proc_mm(s, p, h, r->map_count, r->start_brk, r->brk);
		}
		break;
	}
	case VMT_REC_FORK: {
		const struct vmt_fork_rec *r = data;

		s->forks++;
		if (r->hdr.flags & VMT_F_TRACED_NEW) {
			struct summary_proc *c = summary_proc(s, r->child_tgid);

			if (c) {
				struct vmt_hdr ch = r->hdr;

				ch.tgid = r->child_tgid;
				memcpy(ch.comm, r->child_comm, sizeof(ch.comm));
				proc_mm(s, c, &ch, r->map_count, r->start_brk, r->brk);
			}
		}
		break;
	}
	case VMT_REC_EXEC: {
		const struct vmt_exec_rec *r = data;

		s->execs++;
		if (p) {
			/* A new image: its heap is a new one too. */
			p->brk_known = false;
			p->peak_vmas = 0;
			proc_mm(s, p, h, r->map_count, r->start_brk, r->brk);
		}
		*prev_brk_known = false;
		break;
	}
	case VMT_REC_EXIT:
		s->exits++;
		proc_exited(s, h->tgid);
		break;
	case VMT_REC_OOM:
		s->ooms++;
		break;
	}
}

static const char *errno_label(int e)
{
	const char *name = e ? decode_errno_name(e) : NULL;

	return name ? name : "E?";
}

static void errno_list(const struct summary *s, unsigned int sys, struct strbuf *sb)
{
	bool first = true;

	for (int e = 0; e < SUMMARY_MAX_ERRNO; e++) {
		if (!s->failures_by_errno[sys][e])
			continue;
		sb_printf(sb, "%s%s x%llu", first ? "" : ", ", errno_label(e),
			  s->failures_by_errno[sys][e]);
		first = false;
	}
}

/* {"ENOMEM":3,...}: the failures of one syscall by errno. */
static void errno_json(const struct summary *s, unsigned int sys, struct jsonw *w)
{
	jw_kobj(w, "errors");
	for (int e = 0; e < SUMMARY_MAX_ERRNO; e++)
		if (s->failures_by_errno[sys][e])
			jw_kuint(w, errno_label(e), s->failures_by_errno[sys][e]);
	jw_obj_end(w);
}

/* Call fn for live and exited processes alike. */
#define FOR_EACH_PROC(s, p, body)                                                   \
	do {                                                                        \
		uint64_t k_;                                                        \
		void *v_;                                                           \
		for (size_t i_ = 0; (i_ = hmap_next(&(s)->procs, i_, &k_, &v_));) { \
			const struct summary_proc *p = v_;                          \
			body;                                                       \
		}                                                                   \
		for (unsigned long j_ = 0; j_ < (s)->nexited; j_++) {               \
			const struct summary_proc *p = (s)->exited[j_];             \
			body;                                                       \
		}                                                                   \
	} while (0)

void summary_print_text(const struct summary *s, FILE *f, unsigned long max_map_count)
{
	struct strbuf sb;
	double secs = s->last_ts > s->first_ts ? (s->last_ts - s->first_ts) / 1e9 : 0;
	unsigned long long total = 0, failed = 0;

	sb_init(&sb);
	sb_printf(&sb, "\n--- vmatrace summary: %lu process%s, %.3f s ---\n", s->nprocs_seen,
		  s->nprocs_seen == 1 ? "" : "es", secs);
	sb_printf(&sb, "%-24s %10s %10s  %s\n", "syscall", "calls", "failed", "errors");
	for (unsigned int i = 0; i < VMT_SYS__COUNT; i++) {
		if (!s->calls[i])
			continue;
		total += s->calls[i];
		failed += s->failures[i];
		sb_printf(&sb, "%-24s %10llu %10llu  ", decode_sys_name(i), s->calls[i],
			  s->failures[i]);
		errno_list(s, i, &sb);
		sb_putc(&sb, '\n');
	}
	sb_printf(&sb, "%-24s %10llu %10llu\n", "total", total, failed);
	if (s->peak_vmas) {
		sb_printf(&sb, "peak VMA count: %u of %lu (%.1f%%) in ", s->peak_vmas,
			  max_map_count,
			  100.0 * s->peak_vmas / (max_map_count ? max_map_count : 1));
		ut_append(&sb, s->peak_comm, VMT_COMM_LEN, UT_TEXT);
		sb_printf(&sb, "[%u]\n", s->peak_tgid);
	}
	FOR_EACH_PROC(s, p, {
		if (p->brk_known && p->max_brk != p->first_brk) {
			long long d = (long long)(p->last_brk - p->first_brk);

			sb_puts(&sb, "heap (brk) of ");
			ut_append(&sb, p->comm, VMT_COMM_LEN, UT_TEXT);
			sb_printf(&sb, "[%u]: %c", p->tgid, d < 0 ? '-' : '+');
			sb_size(&sb, d < 0 ? -d : d);
			sb_puts(&sb, " overall, high-water ");
			sb_size(&sb, p->max_brk - p->start_brk);
			sb_puts(&sb, ", now ");
			sb_size(&sb, p->last_brk - p->start_brk);
			sb_putc(&sb, '\n');
		}
	});
	sb_printf(&sb,
		  "records: %llu (fork %llu, exec %llu, exit %llu, oom_kill %llu), dropped %llu\n",
		  s->records, s->forks, s->execs, s->exits, s->ooms, s->dropped);
	sb_write(&sb, f);
	fflush(f);
	sb_free(&sb);
}

void summary_json(const struct summary *s, struct strbuf *sb, unsigned long max_map_count)
{
	struct jsonw w;

	jw_begin(&w, sb);
	jw_obj(&w);
	jw_kstr(&w, "event", "summary");
	jw_kobj(&w, "calls");
	for (unsigned int i = 0; i < VMT_SYS__COUNT; i++) {
		if (!s->calls[i])
			continue;
		jw_kobj(&w, decode_sys_name(i));
		jw_kuint(&w, "calls", s->calls[i]);
		jw_kuint(&w, "failed", s->failures[i]);
		errno_json(s, i, &w);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	jw_kuint(&w, "peak_vmas", s->peak_vmas);
	jw_kuint(&w, "peak_pid", s->peak_tgid);
	jw_kuint(&w, "max_map_count", max_map_count);
	jw_karr(&w, "heap");
	FOR_EACH_PROC(s, p, {
		if (p->brk_known) {
			jw_obj(&w);
			jw_kuint(&w, "pid", p->tgid);
			jw_khex(&w, "start_brk", p->start_brk);
			jw_khex(&w, "first_brk", p->first_brk);
			jw_khex(&w, "max_brk", p->max_brk);
			jw_khex(&w, "last_brk", p->last_brk);
			jw_obj_end(&w);
		}
	});
	jw_arr_end(&w);
	jw_kuint(&w, "processes", s->nprocs_seen);
	jw_kuint(&w, "records", s->records);
	jw_kuint(&w, "dropped", s->dropped);
	jw_obj_end(&w);
	sb_putc(sb, '\n');
}
