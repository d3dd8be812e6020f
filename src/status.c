// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the daemon answers: the control socket's requests (status, snapshot,
 * timeline, metrics), the status table and document, and the metrics' view.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "alert.h"
#include "ctl.h"
#include "daemon.h"
#include "hmap.h"
#include "journal.h"
#include "kfeatures.h"
#include "jsonw.h"
#include "loop.h"
#include "metrics.h"
#include "model.h"
#include "sites.h"
#include "decode.h"
#include "procfs.h"
#include "sysinfo.h"
#include "tracer.h"
#include "untrusted.h"

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct rank {
	struct model_proc *p;
	size_t vmas;
};

static int rank_cmp(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->vmas != y->vmas)
		return x->vmas < y->vmas ? 1 : -1;
	return x->p->tgid < y->p->tgid ? -1 : x->p->tgid > y->p->tgid;
}

/* Selected processes ranked by VMA count; *out is malloc'd (free it). */
static size_t ranked(struct daemon *d, struct model_proc ***out)
{
	struct model *m = d->model;
	struct rank *r = calloc(m->procs.len + 1, sizeof(*r));
	struct model_proc **v = calloc(m->procs.len + 1, sizeof(*v));
	size_t n = 0;
	uint64_t k;
	void *val;

	if (!r || !v) {
		free(r);
		free(v);
		*out = NULL;
		return 0;
	}
	for (size_t i = 0; (i = hmap_next(&m->procs, i, &k, &val));) {
		if (!daemon_selects(d, val))
			continue;
		daemon_container(d, val);
		r[n].p = val;
		r[n].vmas = model_vma_count(val);
		n++;
	}
	if (n > 1)
		qsort(r, n, sizeof(*r), rank_cmp);
	for (size_t i = 0; i < n; i++)
		v[i] = r[i].p;
	free(r);
	*out = v;
	return n;
}

void daemon_metrics_view(void *ctx, struct metrics_view *v)
{
	struct daemon *d = ctx;

	memset(v, 0, sizeof(*v));
	v->cfg = d->cfg;
	v->calls = d->calls;
	v->failures = (const uint64_t(*)[METRICS_MAX_ERRNO])d->failures;
	v->drops = d->drops;
	v->resyncs = d->model->st.resyncs;
	v->repairs = d->model->st.repairs;
	v->events = d->model->st.events;
	v->ooms = d->ooms;
	{
		struct journal_stats js;

		daemon_journal_totals(d, &js);
		v->journal_bytes = js.bytes_written;
		v->journal_write_errors = js.write_errors;
		v->journal_records_lost = js.records_lost;
		v->journal_outages = js.outages;
		v->journal_on = d->cfg->journal_dir[0];
		v->journal_writing = d->journal && !js.outage;
	}
	for (int k = 0; k < ALERT__COUNT; k++) {
		v->alerts[k] = d->alerts ? alert_count(d->alerts, k) : 0;
		v->alerts_suppressed[k] = d->alerts ? alert_suppressed(d->alerts, k) : 0;
	}
	v->max_map_count = d->max_map_count;
	v->rss_kib = sys_self_rss_kib();
	v->cpu_seconds = cpu_seconds();
	v->nranked = ranked(d, &v->ranked);
}

static void status_json(struct daemon *d, struct strbuf *out, struct model_proc **r, size_t n,
			const unsigned long long *st, uint64_t now)
{
	const struct model *m = d->model;
	struct journal_stats jt;
	struct jsonw w;

	daemon_journal_totals(d, &jt);
	jw_begin(&w, out);
	jw_obj(&w);
	jw_kuint(&w, "max_map_count", d->max_map_count);
	jw_kuint(&w, "processes", m->procs.len);
	jw_kuint(&w, "events", m->st.events);
	jw_kuint(&w, "drops", st[VMT_STAT_DROPS]);
	jw_kuint(&w, "resyncs", m->st.resyncs);
	jw_kuint(&w, "resync_failures", m->st.resync_failures);
	jw_kuint(&w, "resyncs_gone", m->st.resyncs_gone);
	/*
	 * Records sent without the VMA they should carry (each makes the model read the process
	 * again): the lookup lost to another thread holding mmap_lock. And lookups that took
	 * the locked way at all.
	 */
	jw_kuint(&w, "vma_lookups_lost", st[VMT_STAT_FIND_VMA_BUSY]);
	jw_kuint(&w, "vma_walk_misses", st[VMT_STAT_VMA_WALK_MISS]);
	jw_kuint(&w, "drop_repairs", m->st.repairs);
	jw_kuint(&w, "seeds", m->st.seeds);
	jw_kuint(&w, "model_bytes", model_memory(m));
	jw_kint(&w, "rss_kib", sys_self_rss_kib());
	jw_kfixed(&w, "cpu_s", cpu_seconds(), 2);
	jw_kuint(&w, "flight_lost", m->st.fr_lost);
	jw_kfixed(&w, "uptime_s", (now - d->started_ns) / 1e9, 1);
	jw_kstr(&w, "kernel", sys_kernel_release());
	if (d->tracer)
		kfeatures_write_json(tracer_kfeatures(d->tracer), &w);
	jw_kobj(&w, "alerts");
	jw_kuint(&w, "vma_threshold", alert_count(d->alerts, ALERT_VMA_THRESHOLD));
	jw_kuint(&w, "alloc_failure", alert_count(d->alerts, ALERT_ALLOC_FAILURE));
	jw_kuint(&w, "oom_kill", alert_count(d->alerts, ALERT_OOM_KILL));
	jw_kobj(&w, "suppressed");
	for (int k = 0; k < ALERT__COUNT; k++)
		jw_kuint(&w, alert_kind_name(k), alert_suppressed(d->alerts, k));
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_kuint(&w, "malformed_records", d->malformed);
	jw_kobj(&w, "journal");
	jw_kuint(&w, "records", jt.records);
	jw_kuint(&w, "bytes", jt.bytes_written);
	jw_kuint(&w, "write_errors", jt.write_errors);
	jw_kuint(&w, "records_lost", jt.records_lost);
	jw_kuint(&w, "outages", jt.outages);
	jw_kbool(&w, "writing", d->journal && !jt.outage);
	jw_obj_end(&w);
	jw_kfixed(&w, "growth_window_s", d->cfg->growth_window_ns / 1e9, 1);
	jw_karr(&w, "top");
	for (size_t i = 0; i < n; i++) {
		const struct model_proc *p = r[i];
		size_t vmas = model_vma_count(p);
		double rate, eta;

		jw_obj(&w);
		jw_kuint(&w, "pid", p->tgid);
		jw_kstrn(&w, "comm", p->comm, sizeof(p->comm));
		container_json(&w, "container", p->container);
		jw_kuint(&w, "vmas", vmas);
		jw_kfixed(&w, "percent", 100.0 * vmas / d->max_map_count, 2);
		rate = model_growth_rate(p, d->model->cfg.timeline_resolution_ns, now,
					 d->cfg->growth_window_ns);
		eta = alert_seconds_to_limit(vmas, d->max_map_count, rate);
		jw_kfixed(&w, "growth_per_s", rate, 2);
		if (eta >= 0)
			jw_kfixed(&w, "seconds_to_limit", eta, 1);
		else
			jw_knull(&w, "seconds_to_limit");
		jw_kuint(&w, "mapped", model_mapped_bytes(p));
		jw_kuint(&w, "heap", model_heap_size(p));
		jw_kuint(&w, "heap_hwm", model_heap_hwm(p));
		jw_kint(&w, "heap_growth", (long long)(p->brk - p->first_brk));
		jw_kuint(&w, "resyncs", p->resyncs);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	sb_putc(out, '\n');
}

/* A column of the table: untrusted text or a size, padded to width. */
static void pad_from(struct strbuf *out, size_t before, size_t width)
{
	while (out->len - before < width)
		sb_putc(out, ' ');
}

static void pad_size(struct strbuf *out, unsigned long long v, size_t width)
{
	size_t before = out->len;

	sb_size(out, v);
	pad_from(out, before, width);
}

/* The kernel, and the features it lacks (each one's fallback: vmatrace --version -v). */
static void status_kernel_line(const struct kfeatures *kf, struct strbuf *out)
{
	size_t before;

	sb_printf(out, "\nkernel %s: ", sys_kernel_release());
	before = out->len;
	kfeatures_missing_list(kf, out);
	if (out->len == before)
		sb_puts(out, "every feature vmatrace uses");
	else
		sb_puts(out, " missing, with fallbacks (vmatrace --version -v says each)");
}

/* The container's label in width columns ("-" for none), cut with a '+' when longer. */
static void container_column(struct strbuf *out, const struct container *c, size_t width)
{
	size_t before = out->len;

	if (c)
		container_label(out, c, UT_TEXT);
	else
		sb_putc(out, '-');
	if (out->len - before > width) {
		out->len = before + width - 1;
		sb_putc(out, '+');
	}
	pad_from(out, before, width);
}

static void status_text(struct daemon *d, struct strbuf *out, struct model_proc **r, size_t n,
			const unsigned long long *st, uint64_t now)
{
	const struct model *m = d->model;

	sb_printf(out, "vmatrace: %zu processes, vm.max_map_count %lu, up %.0f s\n", m->procs.len,
		  d->max_map_count, (now - d->started_ns) / 1e9);
	sb_printf(out,
		  "tracer: %llu events, %llu dropped (%llu processes read again), %llu resyncs "
		  "(%llu failed, %llu of exited processes, not read; %llu VMA lookups lost to a "
		  "writer), %llu seeds, model ",
		  (unsigned long long)m->st.events, st[VMT_STAT_DROPS],
		  (unsigned long long)m->st.repairs, (unsigned long long)m->st.resyncs,
		  (unsigned long long)m->st.resync_failures, (unsigned long long)m->st.resyncs_gone,
		  st[VMT_STAT_FIND_VMA_BUSY], (unsigned long long)m->st.seeds);
	sb_size(out, model_memory(m));
	sb_printf(out, ", rss %ld KiB, cpu %.1f s\n", sys_self_rss_kib(), cpu_seconds());
	sb_printf(out, "alerts: %llu vma_threshold, %llu alloc_failure, %llu oom_kill",
		  (unsigned long long)alert_count(d->alerts, ALERT_VMA_THRESHOLD),
		  (unsigned long long)alert_count(d->alerts, ALERT_ALLOC_FAILURE),
		  (unsigned long long)alert_count(d->alerts, ALERT_OOM_KILL));
	{
		uint64_t held = 0;

		for (int k = 0; k < ALERT__COUNT; k++)
			held += alert_suppressed(d->alerts, k);
		if (held)
			sb_printf(out, " (%llu more suppressed: alert_user_limit, alert_limit)",
				  (unsigned long long)held);
	}
	if (d->cfg->journal_dir[0]) {
		struct journal_stats jt;

		daemon_journal_totals(d, &jt);
		sb_printf(out,
			  "; journal %s%s: %llu records, %llu bytes, %llu write errors, %llu "
			  "records lost",
			  d->cfg->journal_dir, d->journal && !jt.outage ? "" : " (NOT WRITING)",
			  (unsigned long long)jt.records, (unsigned long long)jt.bytes_written,
			  (unsigned long long)jt.write_errors, (unsigned long long)jt.records_lost);
	}
	if (d->tracer)
		status_kernel_line(tracer_kfeatures(d->tracer), out);
	sb_printf(out, "\ngrowth: VMAs per second over the last %.0f s; TO LIMIT at that rate\n\n",
		  d->cfg->growth_window_ns / 1e9);
	sb_printf(out, "%8s %-16s %-24s %8s %7s %9s %9s %10s %10s %10s %7s\n", "PID", "COMM",
		  "CONTAINER", "VMAS", "%MAX", "GROWTH/s", "TO LIMIT", "MAPPED", "HEAP", "HEAP_HWM",
		  "RESYNC");
	for (size_t i = 0; i < n; i++) {
		const struct model_proc *p = r[i];
		size_t vmas = model_vma_count(p), before;
		double rate = model_growth_rate(p, d->model->cfg.timeline_resolution_ns, now,
						d->cfg->growth_window_ns);
		double eta = alert_seconds_to_limit(vmas, d->max_map_count, rate);
		char to_limit[24] = "-";

		if (eta >= 0)
			snprintf(to_limit, sizeof(to_limit), "%.0fs", eta);
		sb_printf(out, "%8u ", p->tgid);
		before = out->len;
		ut_append(out, p->comm, sizeof(p->comm), UT_TEXT);
		pad_from(out, before, 16);
		sb_putc(out, ' ');
		container_column(out, p->container, 24);
		sb_printf(out, " %8zu %6.2f%% %9.1f %9s ", vmas, 100.0 * vmas / d->max_map_count,
			  rate, to_limit);
		pad_size(out, model_mapped_bytes(p), 10);
		sb_putc(out, ' ');
		pad_size(out, model_heap_size(p), 10);
		sb_putc(out, ' ');
		pad_size(out, model_heap_hwm(p), 10);
		sb_printf(out, " %7llu\n", (unsigned long long)p->resyncs);
	}
}

void daemon_status(struct daemon *d, struct strbuf *out, bool json, size_t top)
{
	unsigned long long st[VMT_STAT__COUNT] = { 0 };
	uint64_t now = clock_mono_ns();
	struct model_proc **r;
	size_t n = ranked(d, &r);

	if (d->tracer) /* none in the unit tests */
		tracer_read_stats(d->tracer, st);
	if (top && n > top)
		n = top;
	if (json)
		status_json(d, out, r, n, st, now);
	else
		status_text(d, out, r, n, st, now);
	free(r);
}

static struct model_proc *request_proc(struct daemon *d, char *arg, struct strbuf *out)
{
	pid_t pid;
	struct model_proc *p;

	if (!arg || !sys_parse_pid(arg, &pid)) {
		sb_puts(out, "expected a pid, got '");
		ut_append(out, arg ? arg : "", CTL_MAX_REQUEST, UT_TEXT);
		sb_putc(out, '\'');
		return NULL;
	}
	p = model_proc_get(d->model, pid);
	if (!p) {
		pid_t tgid = sys_tgid_of(pid);

		if (tgid > 0 && tgid != pid)
			p = model_proc_get(d->model, tgid);
	}
	if (!p) {
		sb_printf(out, "process %d is not tracked (no such process, or it exited)",
			  (int)pid);
		return NULL;
	}
	/* A count mismatch still waiting for its explanation is settled before answering. */
	pid = p->tgid;
	model_settle(d->model, p);
	p = model_proc_get(d->model, pid);
	if (p)
		daemon_container(d, p);
	return p;
}

int daemon_handle_request(void *ctx, char *req, struct strbuf *out)
{
	struct daemon *d = ctx;
	char *save = NULL, *cmd = strtok_r(req, " \t", &save), *arg, *w;
	bool json = false, census = false;
	size_t top = 20;
	struct model_proc *p;

	/* Everything already in the ring buffer is applied first: a stopped process's
	 * answer then reflects every call it made. */
	daemon_consume(d);
	if (!cmd) {
		sb_puts(out, "empty request");
		return -1;
	}
	arg = strtok_r(NULL, " \t", &save);
	for (w = arg; w; w = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(w, "json"))
			json = true;
		else if (!strcmp(w, "census"))
			census = true;
		else if (!strcmp(w, "all"))
			top = 0;
		else if (!strncmp(w, "top=", 4))
			top = strtoul(w + 4, NULL, 10);
	}
	if (!strcmp(cmd, "status")) {
		daemon_status(d, out, json, top);
		return 0;
	}
	if (!strcmp(cmd, "snapshot") || !strcmp(cmd, "timeline")) {
		p = request_proc(d, arg, out);
		if (!p)
			return -1;
		if (!strcmp(cmd, "timeline"))
			model_format_timeline(d->model, p, out, json, d->realtime_offset_ns,
					      clock_mono_ns());
		else if (census)
			model_format_census(d->model, p, out, json);
		else if (json)
			model_format_maps_json(d->model, p, &procfs_resolver, out);
		else
			model_format_maps(d->model, p, &procfs_resolver, out);
		return 0;
	}
	if (!strcmp(cmd, "sites")) {
		p = request_proc(d, arg, out);
		if (!p)
			return -1;
		if (json) {
			struct jsonw w;

			jw_begin(&w, out);
			sites_write_json(&w, p->sites, top ? top : SIZE_MAX, decode_errno_name);
			sb_putc(out, '\n');
		} else {
			sites_write_text(out, p->sites, top ? top : SIZE_MAX, decode_errno_name);
		}
		return 0;
	}
	if (!strcmp(cmd, "reload")) {
		char err[512];

		if (daemon_reload(d, err, sizeof(err))) {
			sb_puts(out, err);
			return -1;
		}
		sb_printf(out, "configuration reloaded from %s\n", d->config_path);
		return 0;
	}
	if (!strcmp(cmd, "metrics") && d->metrics) {
		metrics_answer(d->metrics, out);
		return 0;
	}
	sb_puts(out, "unknown request '");
	ut_append(out, cmd, CTL_MAX_REQUEST, UT_TEXT);
	sb_putc(out, '\'');
	return -1;
}
