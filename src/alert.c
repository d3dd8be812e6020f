// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "alert_internal.h"
#include "clock.h"
#include "decode.h"
#include "hmap.h"
#include "jsonw.h"
#include "log.h"
#include "privs.h"
#include "sites.h"
#include "untrusted.h"

static const char *const kind_names[ALERT__COUNT] = {
	[ALERT_VMA_THRESHOLD] = "vma_threshold",
	[ALERT_ALLOC_FAILURE] = "alloc_failure",
	[ALERT_OOM_KILL] = "oom_kill",
};

int alert_level_update(int level, double value, const double *thresholds, int n, double hysteresis,
		       int *crossed)
{
	*crossed = -1;
	while (level > 0 && value < thresholds[level - 1] - hysteresis)
		level--;
	while (level < n && value >= thresholds[level]) {
		level++;
		*crossed = level - 1;
	}
	return level;
}

double alert_seconds_to_limit(double count, double limit, double rate)
{
	if (rate <= 0)
		return -1;
	if (count >= limit)
		return 0;
	return (limit - count) / rate;
}

static void open_log(struct alert_engine *ae)
{
	struct stat st;
	int fd;

	if (ae->log) {
		fclose(ae->log);
		ae->log = NULL;
	}
	snprintf(ae->log_path, sizeof(ae->log_path), "%s", ae->cfg->alert_log);
	if (!ae->log_path[0])
		return;
	/* 0640: it holds other users' addresses and names. */
	fd = open(ae->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd >= 0 && !fstat(fd, &st) && (st.st_mode & 027))
		fchmod(fd, st.st_mode & 0750); /* an older, looser log */
	ae->log = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!ae->log && fd >= 0)
		close(fd);
	if (!ae->log)
		log_err("cannot open the alert log %s: %s (alerts still go to the log and journal)",
			ae->log_path, strerror(errno));
}

/*
 * One JSON line into the alert log; past alert_log_size the file becomes
 * FILE.1 (replacing the one before) and a new one starts, so that a storm or
 * years of alerts cannot fill the disk.
 */
static void log_append(struct alert_engine *ae, const char *json)
{
	long size;

	if (!ae->log)
		return;
	fprintf(ae->log, "%s\n", json);
	fflush(ae->log);
	size = ftell(ae->log);
	if (!ae->cfg->alert_log_size || size < 0 || (uint64_t)size < ae->cfg->alert_log_size)
		return;
	{
		char old[CONFIG_PATH_MAX + 3];

		snprintf(old, sizeof(old), "%s.1", ae->log_path);
		if (rename(ae->log_path, old))
			log_warn("cannot rotate the alert log %s to %s: %s (it grows on)",
				 ae->log_path, old, strerror(errno));
		else
			log_info("alert log %s reached %ld bytes: rotated to %s", ae->log_path,
				 size, old);
	}
	open_log(ae);
}

struct alert_engine *alert_new(const struct config *cfg, alert_record_fn record, void *ctx)
{
	struct alert_engine *ae = calloc(1, sizeof(*ae));

	if (!ae)
		return NULL;
	ae->cfg = cfg;
	ae->record = record;
	ae->record_ctx = ctx;
	hmap_init(&ae->state);
	hmap_init(&ae->storm);
	open_log(ae);
	return ae;
}

void alert_free(struct alert_engine *ae)
{
	uint64_t k;
	void *v;

	if (!ae)
		return;
	for (size_t i = 0; (i = hmap_next(&ae->state, i, &k, &v));)
		free(v);
	hmap_free(&ae->state);
	for (size_t i = 0; (i = hmap_next(&ae->storm, i, &k, &v));)
		free(v);
	hmap_free(&ae->storm);
	/* Hooks still running are left to finish; we do not wait on shutdown. */
	if (ae->log)
		fclose(ae->log);
	free(ae);
}

void alert_reconfigure(struct alert_engine *ae, const struct config *cfg)
{
	uint64_t k;
	void *v;

	ae->cfg = cfg;
	ae->quiet_cfg = NULL; /* quiet_below() from the new thresholds */
	if (strcmp(ae->log_path, cfg->alert_log))
		open_log(ae);
	/* Thresholds may have changed: levels are recomputed from the next counts. */
	for (size_t i = 0; (i = hmap_next(&ae->state, i, &k, &v));) {
		struct proc_state *s = v;

		if (s->pct_level > cfg->n_alert_thresholds)
			s->pct_level = cfg->n_alert_thresholds;
		if (s->abs_level > cfg->n_alert_vma_counts)
			s->abs_level = cfg->n_alert_vma_counts;
	}
}

struct proc_state *alert_state_get(struct alert_engine *ae, uint32_t pid)
{
	struct proc_state *s = hmap_get(&ae->state, pid);

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (s && hmap_put(&ae->state, pid, s)) {
		free(s);
		s = NULL;
	}
	return s;
}

void alert_forget(struct alert_engine *ae, uint32_t pid)
{
	free(hmap_del(&ae->state, pid));
}

uint64_t alert_count(const struct alert_engine *ae, enum alert_kind kind)
{
	return kind < ALERT__COUNT ? ae->counts[kind] : 0;
}

uint64_t alert_suppressed(const struct alert_engine *ae, enum alert_kind kind)
{
	return kind < ALERT__COUNT ? ae->suppressed[kind] : 0;
}

void alert_set_summary(struct alert_engine *ae, alert_summary_fn fn, void *ctx)
{
	ae->summary = fn;
	ae->summary_ctx = ctx;
}

/* ---- storms: alerts limited per uid and in all, the rest counted and summarised ---- */

/* "4999", "4,999": thousands apart, as people read counts. */
static void put_count(struct strbuf *sb, unsigned long long n)
{
	char digits[24];
	int len = snprintf(digits, sizeof(digits), "%llu", n);

	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			sb_putc(sb, ',');
		sb_putc(sb, digits[i]);
	}
}

/* The window ended: say what each user's processes had suppressed, then start a new one. */
static void storm_flush(struct alert_engine *ae, uint64_t now)
{
	double window_s = (now - ae->storm_start_ns) / 1e9;
	uint64_t k;
	void *v;

	for (size_t i = 0; (i = hmap_next(&ae->storm, i, &k, &v));) {
		struct storm_user *u = v;

		for (int kind = 0; kind < ALERT__COUNT; kind++) {
			struct strbuf msg, js;
			struct jsonw w;

			if (!u->suppressed[kind])
				continue;
			sb_init(&msg);
			put_count(&msg, u->suppressed[kind]);
			sb_printf(
				&msg,
				" more alerts of this kind (%s) from uid %llu suppressed in %.0f s "
				"(alert_user_limit %u, alert_limit %u a minute)",
				kind_names[kind], (unsigned long long)k, window_s,
				ae->cfg->alert_user_limit, ae->cfg->alert_limit);
			log_warn("alert %s: %s", kind_names[kind], msg.buf ? msg.buf : "");
			sb_init(&js);
			jw_begin(&w, &js);
			jw_obj(&w);
			jw_kstr(&w, "kind", kind_names[kind]);
			jw_kuint(&w, "uid", k);
			jw_kuint(&w, "suppressed", u->suppressed[kind]);
			jw_kuint(&w, "sent", u->sent);
			jw_kfixed(&w, "window_s", window_s, 1);
			jw_obj_end(&w);
			if (!js.oom && js.buf)
				log_append(ae, js.buf);
			if (!js.oom && js.buf && ae->summary)
				ae->summary(ae->summary_ctx, kind, (uint32_t)k, js.buf);
			sb_free(&js);
			sb_free(&msg);
		}
		free(v);
	}
	hmap_free(&ae->storm);
	hmap_init(&ae->storm);
	ae->storm_sent = 0;
	ae->storm_start_ns = now;
}

void alert_storm_end(struct alert_engine *ae, uint64_t now)
{
	if (ae && ae->storm_start_ns)
		storm_flush(ae, now);
}

/* May an alert of this kind from uid go out now? If not, it is counted for the summary. */
static bool storm_admit(struct alert_engine *ae, enum alert_kind kind, uint32_t uid, uint64_t now)
{
	const struct config *c = ae->cfg;
	struct storm_user *u;

	if (!c->alert_user_limit && !c->alert_limit)
		return true;
	if (!ae->storm_start_ns)
		ae->storm_start_ns = now;
	if (now >= ae->storm_start_ns + STORM_WINDOW_NS)
		storm_flush(ae, now);
	u = hmap_get(&ae->storm, uid);
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (u && hmap_put(&ae->storm, uid, u)) {
			free(u);
			u = NULL;
		}
		if (!u)
			return true; /* out of memory: rather an alert too many than one lost */
	}
	if ((c->alert_user_limit && u->sent >= c->alert_user_limit) ||
	    (c->alert_limit && ae->storm_sent >= c->alert_limit)) {
		u->suppressed[kind]++;
		ae->suppressed[kind]++;
		return false;
	}
	u->sent++;
	ae->storm_sent++;
	return true;
}

void alert_tick(struct alert_engine *ae, uint64_t now)
{
	/* A storm that ended is summarised without waiting for the next alert. */
	if (ae->storm_start_ns && now >= ae->storm_start_ns + STORM_WINDOW_NS)
		storm_flush(ae, now);
	alert_hooks_reap(ae, now);
}

/* ---- emitting ---- */

const char *alert_kind_name(enum alert_kind kind)
{
	return kind < ALERT__COUNT ? kind_names[kind] : "?";
}

void alert_emit(struct alert_engine *ae, enum alert_kind kind, uint32_t pid, const char *comm,
		const struct strbuf *json, const struct strbuf *incident,
		const struct strbuf *summary)
{
	ae->counts[kind]++;
	log_warn("alert %s: %s", kind_names[kind], summary->buf ? summary->buf : "");
	if (json->oom || !json->buf)
		return;
	log_append(ae, json->buf);
	if (ae->record)
		ae->record(ae->record_ctx, kind, pid, comm, json->buf,
			   incident->oom ? NULL : incident->buf);
	if (ae->cfg->alert_exec[0])
		alert_run_hook(ae, kind, pid, comm, json->buf);
}

void alert_head_members(struct jsonw *w, enum alert_kind kind, uint32_t pid, const char *comm,
			const struct container *ctr, uint64_t mono_ns, long long off)
{
	jw_kstr(w, "kind", kind_names[kind]);
	alert_json_ts(w, "ts", mono_ns, off);
	jw_kuint(w, "pid", pid);
	jw_kstrn(w, "comm", comm, VMT_COMM_LEN);
	container_json(w, "container", ctr);
}

/* The log line's "comm[pid] (docker:web)": the container, when there is one. */
void alert_summary_who(struct strbuf *sum, const char *comm, const char *ids,
		       const struct container *ctr)
{
	ut_append(sum, comm, VMT_COMM_LEN, UT_TEXT);
	sb_puts(sum, ids);
	if (ctr && ctr->runtime != CTR_NONE) {
		sb_puts(sum, " (");
		container_label(sum, ctr, UT_TEXT);
		sb_putc(sum, ')');
	}
}

/*
 * The alert {members} into js, and the incident {members, "context":{...}}
 * into inc: two documents written whole, never one cut from the other.
 */
void alert_render(struct strbuf *js, struct strbuf *inc, alert_members_fn fn, const void *arg,
		  const struct model_proc *context, unsigned int max_events, long long off)
{
	struct jsonw w;

	jw_begin(&w, js);
	jw_obj(&w);
	fn(&w, arg);
	jw_obj_end(&w);
	jw_begin(&w, inc);
	jw_obj(&w);
	fn(&w, arg);
	if (context) {
		jw_kobj(&w, "context");
		alert_context_json(&w, context, max_events, off);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
}

struct threshold_alert {
	const struct model_proc *p;
	uint32_t vmas, limit;
	double threshold, rate, eta, window_s;
	bool absolute;
	uint64_t now, res; /* res: the timeline's resolution */
	long long off;
};

static void threshold_members(struct jsonw *w, const void *arg)
{
	const struct threshold_alert *t = arg;

	alert_head_members(w, ALERT_VMA_THRESHOLD, t->p->tgid, t->p->comm, t->p->container, t->now,
			   t->off);
	jw_kuint(w, "uid", t->p->uid);
	jw_kuint(w, "vmas", t->vmas);
	jw_kuint(w, "limit", t->limit);
	jw_kfixed(w, "percent", 100.0 * t->vmas / t->limit, 2);
	jw_kdouble(w, "threshold", t->threshold);
	jw_kstr(w, "threshold_type", t->absolute ? "count" : "percent");
	jw_kfixed(w, "growth_per_s", t->rate, 1);
	jw_kfixed(w, "growth_window_s", t->window_s, 1);
	if (t->eta >= 0)
		jw_kfixed(w, "seconds_to_limit", t->eta, 1);
	else
		jw_knull(w, "seconds_to_limit");
	alert_census_json(w, t->p);
	alert_sites_json(w, t->p);
	alert_grew_json(w, t->p, t->now, t->res, false, t->off);
}

static void threshold_alert(struct alert_engine *ae, struct model_proc *p, uint32_t vmas,
			    uint32_t limit, double threshold, bool absolute, uint64_t now,
			    long long off)
{
	struct threshold_alert t = {
		.p = p,
		.vmas = vmas,
		.limit = limit,
		.threshold = threshold,
		.rate = model_growth_rate(p, ae->cfg->timeline_resolution_ns, now,
					  ae->cfg->growth_window_ns),
		.window_s = ae->cfg->growth_window_ns / 1e9,
		.absolute = absolute,
		.now = now,
		.res = ae->cfg->timeline_resolution_ns,
		.off = off,
	};
	struct strbuf js, inc, sum;
	char ids[32];

	t.eta = alert_seconds_to_limit(vmas, limit, t.rate);
	sb_init(&js);
	sb_init(&inc);
	sb_init(&sum);
	alert_render(&js, &inc, threshold_members, &t, p, 64, off);
	snprintf(ids, sizeof(ids), "[%u]", p->tgid);
	alert_summary_who(&sum, p->comm, ids, p->container);
	sb_printf(&sum,
		  " has %u VMAs, %.1f%% of vm.max_map_count %u (threshold %g%s), "
		  "growing %.0f/s over the last %.0f s",
		  vmas, 100.0 * vmas / limit, limit, threshold, absolute ? " VMAs" : "%", t.rate,
		  t.window_s);
	if (t.eta >= 0)
		sb_printf(&sum, ", limit in %.0f s", t.eta);
	alert_grew_text(&sum, p, now, t.res);
	alert_emit(ae, ALERT_VMA_THRESHOLD, p->tgid, p->comm, &js, &inc, &sum);
	sb_free(&js);
	sb_free(&inc);
	sb_free(&sum);
}

/*
 * Below how many VMAs a process is under every threshold of limit: the lowest share's count
 * (exactly where 100.0 * vmas / limit reaches it) and the lowest absolute count. Kept for the
 * last limit and configuration seen.
 */
static uint32_t quiet_below(struct alert_engine *ae, uint32_t limit)
{
	const struct config *c = ae->cfg;
	uint64_t v = UINT32_MAX;

	if (ae->quiet_cfg == c && ae->quiet_limit == limit)
		return ae->quiet_below;
	if (c->n_alert_thresholds) {
		double t = c->alert_thresholds[0];

		v = t <= 0 ? 0 : (uint64_t)(t * limit / 100.0);
		while (v > 0 && 100.0 * (v - 1) / limit >= t)
			v--;
		while (v < UINT32_MAX && 100.0 * v / limit < t)
			v++;
	}
	if (c->n_alert_vma_counts && c->alert_vma_counts[0] < v)
		v = c->alert_vma_counts[0];
	ae->quiet_cfg = c;
	ae->quiet_limit = limit;
	ae->quiet_below = v;
	return v;
}

void alert_check_vmas(struct alert_engine *ae, struct model_proc *p, uint32_t limit, uint64_t now,
		      long long off)
{
	const struct config *c = ae->cfg;
	uint32_t vmas = model_vma_count(p);
	struct proc_state *s;
	int crossed;

	if (!limit || (!c->n_alert_thresholds && !c->n_alert_vma_counts))
		return;
	/* Cheap exit for the common case: below every threshold and nothing raised (no state). */
	s = ae->state.len ? hmap_get(&ae->state, p->tgid) : NULL;
	if (!s && vmas < quiet_below(ae, limit))
		return;
	s = s ? s : alert_state_get(ae, p->tgid);
	if (!s)
		return;
	s->pct_level = alert_level_update(s->pct_level, 100.0 * vmas / limit, c->alert_thresholds,
					  c->n_alert_thresholds, c->alert_hysteresis, &crossed);
	if (crossed >= 0 && storm_admit(ae, ALERT_VMA_THRESHOLD, p->uid, now))
		threshold_alert(ae, p, vmas, limit, c->alert_thresholds[crossed], false, now, off);
	if (c->n_alert_vma_counts) {
		double counts[CONFIG_MAX_LIST];

		for (int i = 0; i < c->n_alert_vma_counts; i++)
			counts[i] = c->alert_vma_counts[i];
		/* Absolute thresholds re-arm after the same share of the limit. */
		s->abs_level = alert_level_update(s->abs_level, vmas, counts, c->n_alert_vma_counts,
						  c->alert_hysteresis * limit / 100.0, &crossed);
		if (crossed >= 0 && storm_admit(ae, ALERT_VMA_THRESHOLD, p->uid, now))
			threshold_alert(ae, p, vmas, limit, counts[crossed], true, now, off);
	}
}

struct failure_alert {
	const struct model_proc *p;
	const struct vmt_syscall_rec *r;
	uint32_t limit;
	int err;
	uint64_t suppressed, res;
	bool delayed;
	long long off;
};

static void failure_members(struct jsonw *w, const void *arg)
{
	const struct failure_alert *f = arg;
	const struct vmt_syscall_rec *r = f->r;
	const struct arg_desc *args;
	int nargs = decode_sys_args(r->sys, &args);
	struct strbuf val;

	alert_head_members(w, ALERT_ALLOC_FAILURE, f->p->tgid, f->p->comm, f->p->container,
			   r->hdr.ts_ns, f->off);
	jw_kuint(w, "tid", r->hdr.tid);
	jw_kuint(w, "uid", r->hdr.uid);
	jw_kstr(w, "syscall", decode_sys_name(r->sys));
	jw_kstr(w, "errno", decode_errno_name(f->err) ? decode_errno_name(f->err) : "?");
	jw_kuint(w, "vmas", r->map_count);
	jw_kuint(w, "limit", f->limit);
	jw_kfixed(w, "percent", f->limit ? 100.0 * r->map_count / f->limit : 0, 2);
	/* Failures like this one not alerted since the previous alert of the same kind. */
	jw_kuint(w, "suppressed_before", f->suppressed);
	/* Alerted when the rate limit's interval ended (or the process exited), not at once. */
	jw_kbool(w, "delayed", f->delayed);
	jw_kuint(w, "failures_total", model_failures_of(f->p, r->sys, f->err));
	jw_kobj(w, "args");
	sb_init(&val);
	for (int i = 0; i < nargs; i++) {
		sb_reset(&val);
		decode_arg(&val, &args[i], r->args[i]);
		jw_kstrn(w, args[i].name, val.buf ? val.buf : "", val.len);
	}
	sb_free(&val);
	jw_obj_end(w);
	alert_failures_json(w, f->p->fails, f->p->nfails);
	alert_census_json(w, f->p);
	alert_sites_json(w, f->p);
	alert_grew_json(w, f->p, r->hdr.ts_ns, f->res, false, f->off);
}

static void failure_alert(struct alert_engine *ae, const struct model_proc *p,
			  const struct vmt_syscall_rec *r, int err, uint64_t suppressed,
			  bool delayed, uint32_t limit, long long off)
{
	struct failure_alert f = { .p = p,
				   .r = r,
				   .res = ae->cfg->timeline_resolution_ns,
				   .limit = limit,
				   .err = err,
				   .suppressed = suppressed,
				   .delayed = delayed,
				   .off = off };
	struct strbuf js, inc, sum;
	char ids[32];

	sb_init(&js);
	sb_init(&inc);
	sb_init(&sum);
	alert_render(&js, &inc, failure_members, &f, p, 64, off);
	snprintf(ids, sizeof(ids), "[%u/%u]", p->tgid, r->hdr.tid);
	alert_summary_who(&sum, p->comm, ids, p->container);
	sb_printf(&sum, " %s failed with %s at %u VMAs (vm.max_map_count %u)",
		  decode_sys_name(r->sys), decode_errno_name(err) ? decode_errno_name(err) : "?",
		  r->map_count, limit);
	if (suppressed)
		sb_printf(&sum, "; %llu more like it since the last alert were not alerted",
			  (unsigned long long)suppressed);
	sb_printf(&sum, "; %llu such failures in all",
		  (unsigned long long)model_failures_of(p, r->sys, err));
	alert_emit(ae, ALERT_ALLOC_FAILURE, p->tgid, p->comm, &js, &inc, &sum);
	sb_free(&js);
	sb_free(&inc);
	sb_free(&sum);
}

/*
 * The newest failure the rate limit held back, alerted now for all of them: it stands for
 * itself and counts the others, so that alerts plus their suppressed_before add up to every
 * failure.
 */
static void flush_slot(struct alert_engine *ae, const struct model_proc *p, struct failure_slot *f,
		       uint64_t now, uint32_t limit, long long off)
{
	uint64_t held = f->suppressed;

	if (!held)
		return;
	f->suppressed = 0;
	f->last_ns = now;
	failure_alert(ae, p, &f->pending, f->err, held - 1, true, limit, off);
}

void alert_check_failure(struct alert_engine *ae, struct model_proc *p,
			 const struct vmt_syscall_rec *r, uint32_t limit, long long off)
{
	const struct config *c = ae->cfg;
	int err = decode_ret_errno(r->sys, r->ret), slot = -1, oldest = 0;
	struct proc_state *s;
	struct failure_slot *f;
	uint64_t suppressed;
	bool wanted = false;

	for (int i = 0; i < c->n_alert_errnos && !wanted; i++)
		wanted = c->alert_errnos[i] == err;
	if (!err || !wanted || !(s = alert_state_get(ae, p->tgid)))
		return;
	/* Rate limit per (syscall, errno): a process at its limit fails thousands of times. */
	for (int i = 0; i < FAILURE_KEYS; i++) {
		if (s->failures[i].last_ns && s->failures[i].sys == r->sys &&
		    s->failures[i].err == err)
			slot = i;
		if (s->failures[i].last_ns < s->failures[oldest].last_ns)
			oldest = i;
	}
	/* A held-back alert may have gone out (at a tick) after this late record happened. */
	if (slot >= 0 &&
	    (r->hdr.ts_ns < s->failures[slot].last_ns ||
	     r->hdr.ts_ns - s->failures[slot].last_ns < c->alert_failure_interval_ns)) {
		s->failures[slot].suppressed++;
		s->failures[slot].pending = *r;
		return;
	}
	/* Held back for its user's summary: the process's own state is left as it was. */
	if (!storm_admit(ae, ALERT_ALLOC_FAILURE, r->hdr.uid, r->hdr.ts_ns))
		return;
	if (slot < 0) {
		/* A new kind of failure takes the oldest slot: what it held back is told first. */
		slot = oldest;
		flush_slot(ae, p, &s->failures[slot], r->hdr.ts_ns, limit, off);
	}
	f = &s->failures[slot];
	suppressed = f->suppressed;
	f->sys = r->sys;
	f->err = err;
	f->last_ns = r->hdr.ts_ns;
	f->suppressed = 0;
	failure_alert(ae, p, r, err, suppressed, false, limit, off);
}

void alert_flush_failures(struct alert_engine *ae, struct model_proc *p, uint32_t limit,
			  uint64_t now, bool force, long long off)
{
	struct proc_state *s = hmap_get(&ae->state, p->tgid);

	for (int i = 0; s && i < FAILURE_KEYS; i++) {
		struct failure_slot *f = &s->failures[i];

		if (f->suppressed &&
		    (force || now - f->last_ns >= ae->cfg->alert_failure_interval_ns))
			flush_slot(ae, p, f, now, limit, off);
	}
}

void alert_tick_failures(struct alert_engine *ae, struct model *m, uint32_t limit, uint64_t now,
			 long long off)
{
	uint64_t pid;
	void *v;

	for (size_t i = 0; (i = hmap_next(&ae->state, i, &pid, &v));) {
		struct model_proc *p = model_proc_get(m, (uint32_t)pid);

		if (p)
			alert_flush_failures(ae, p, limit, now, false, off);
	}
}
