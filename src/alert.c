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
#include "clock.h"
#include "decode.h"
#include "hmap.h"
#include "jsonw.h"
#include "log.h"
#include "privs.h"
#include "sites.h"
#include "untrusted.h"

#define MAX_HOOKS 8
#define FAILURE_KEYS 8

static const char *const kind_names[ALERT__COUNT] = {
	[ALERT_VMA_THRESHOLD] = "vma_threshold",
	[ALERT_ALLOC_FAILURE] = "alloc_failure",
	[ALERT_OOM_KILL] = "oom_kill",
};

/* Per process: thresholds raised, and when each kind of failure last alerted. */
struct proc_state {
	int pct_level;
	int abs_level;
	struct {
		uint16_t sys;
		uint16_t err;
		uint64_t last_ns;
		uint64_t suppressed;
	} failures[FAILURE_KEYS];
};

struct hook {
	pid_t pid;
	uint64_t deadline_ns;
};

struct alert_engine {
	const struct config *cfg;
	alert_record_fn record;
	void *record_ctx;
	FILE *log;
	char log_path[CONFIG_PATH_MAX];
	struct hmap state; /* pid -> struct proc_state */
	struct hook hooks[MAX_HOOKS];
	uint64_t counts[ALERT__COUNT];
	uint64_t hooks_dropped;
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

struct alert_engine *alert_new(const struct config *cfg, alert_record_fn record, void *ctx)
{
	struct alert_engine *ae = calloc(1, sizeof(*ae));

	if (!ae)
		return NULL;
	ae->cfg = cfg;
	ae->record = record;
	ae->record_ctx = ctx;
	hmap_init(&ae->state);
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

static struct proc_state *state_get(struct alert_engine *ae, uint32_t pid)
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

/* ---- the hook ---- */

static void run_hook(struct alert_engine *ae, enum alert_kind kind, uint32_t pid, const char *comm,
		     const char *json)
{
	struct hook *slot = NULL;
	char err[256];
	int fds[2];
	pid_t child;
	uid_t uid;
	gid_t gid;

	for (int i = 0; i < MAX_HOOKS && !slot; i++)
		if (!ae->hooks[i].pid)
			slot = &ae->hooks[i];
	if (!slot) {
		if (!ae->hooks_dropped++)
			log_warn("alert hook %s: %d runs still going, not starting another",
				 ae->cfg->alert_exec, MAX_HOOKS);
		return;
	}
	/* Looked up at each run (not in the child: getpwnam is not safe after fork). */
	if (privs_lookup_user(ae->cfg->hook_user, &uid, &gid, err, sizeof(err))) {
		log_warn("alert hook %s not run: %s", ae->cfg->alert_exec, err);
		return;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		log_warn("alert hook: pipe: %s", strerror(errno));
		return;
	}
	child = fork();
	if (child < 0) {
		log_warn("alert hook: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (child == 0) {
		char num[32];

		dup2(fds[0], 0);
		setenv("VMATRACE_ALERT_KIND", kind_names[kind], 1);
		snprintf(num, sizeof(num), "%u", pid);
		setenv("VMATRACE_ALERT_PID", num, 1);
		setenv("VMATRACE_ALERT_COMM", comm, 1);
		setenv("VMATRACE_ALERT_JSON", json, 1);
		/* Our signal dispositions are not the hook's. */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		/* Another user, no capabilities: an alert is no reason to run anything as root. */
		if (privs_become(uid, gid)) {
			dprintf(2, "vmatrace: alert hook %s: cannot become uid %u: %s\n",
				ae->cfg->alert_exec, (unsigned)uid, strerror(errno));
			_exit(126);
		}
		execl(ae->cfg->alert_exec, ae->cfg->alert_exec, kind_names[kind], (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	/* The JSON fits in the pipe's buffer: this write does not block. */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	if (write(fds[1], json, strlen(json)) < 0 || write(fds[1], "\n", 1) < 0)
		log_debug("alert hook: could not write the alert to its stdin");
	close(fds[1]);
	slot->pid = child;
	slot->deadline_ns = clock_mono_ns() + ae->cfg->alert_exec_timeout_ns;
}

void alert_tick(struct alert_engine *ae, uint64_t now)
{
	for (int i = 0; i < MAX_HOOKS; i++) {
		struct hook *h = &ae->hooks[i];
		int st;

		if (!h->pid)
			continue;
		if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				log_warn("alert hook %s failed (%s %d)", ae->cfg->alert_exec,
					 WIFEXITED(st) ? "exit status" : "signal",
					 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			h->pid = 0;
		} else if (now > h->deadline_ns) {
			log_warn("alert hook %s ran past its timeout: killed", ae->cfg->alert_exec);
			kill(h->pid, SIGKILL);
			waitpid(h->pid, &st, 0);
			h->pid = 0;
		}
	}
}

/* ---- emitting ---- */

const char *alert_kind_name(enum alert_kind kind)
{
	return kind < ALERT__COUNT ? kind_names[kind] : "?";
}

static void emit(struct alert_engine *ae, enum alert_kind kind, uint32_t pid, const char *comm,
		 const struct strbuf *json, const struct strbuf *incident,
		 const struct strbuf *summary)
{
	ae->counts[kind]++;
	log_warn("alert %s: %s", kind_names[kind], summary->buf ? summary->buf : "");
	if (json->oom || !json->buf)
		return;
	if (ae->log) {
		fprintf(ae->log, "%s\n", json->buf);
		fflush(ae->log);
	}
	if (ae->record)
		ae->record(ae->record_ctx, kind, pid, comm, json->buf,
			   incident->oom ? NULL : incident->buf);
	if (ae->cfg->alert_exec[0])
		run_hook(ae, kind, pid, comm, json->buf);
}

/* A timestamp in monotonic ns, as realtime seconds with microseconds. */
static void put_ts(struct jsonw *w, const char *key, uint64_t mono_ns, long long off)
{
	jw_kscaled(w, key, ((long long)mono_ns + off) / 1000, 6);
}

static void head_members(struct jsonw *w, enum alert_kind kind, uint32_t pid, const char *comm,
			 uint64_t mono_ns, long long off)
{
	jw_kstr(w, "kind", kind_names[kind]);
	put_ts(w, "ts", mono_ns, off);
	jw_kuint(w, "pid", pid);
	jw_kstrn(w, "comm", comm, VMT_COMM_LEN);
}

static void census_members(struct jsonw *w, const char *key, const struct model_proc *p, bool bytes)
{
	jw_kobj(w, key);
	for (int k = 0; k < VK__COUNT; k++)
		jw_kuint(w, model_kind_name(k), bytes ? p->bytes[k] : p->count[k]);
	jw_obj_end(w);
}

/* The call sites behind the process's VMAs, the heaviest few (sites.h), when there are any. */
static void sites_member(struct jsonw *w, const struct model_proc *p)
{
	if (!p->sites || !p->sites->n)
		return;
	jw_key(w, "sites");
	sites_write_json(w, p->sites, ALERT_TOP_SITES, decode_errno_name);
}

void alert_context_json(struct jsonw *w, const struct model_proc *p, unsigned int max_events,
			long long off)
{
	uint32_t start;

	sites_member(w, p);
	census_members(w, "census", p, false);
	census_members(w, "census_bytes", p, true);
	jw_kobj(w, "heap");
	jw_khex(w, "start_brk", p->start_brk);
	jw_khex(w, "first_brk", p->first_brk);
	jw_khex(w, "brk", p->brk);
	jw_khex(w, "hwm", p->brk_hwm);
	jw_kuint(w, "size", model_heap_size(p));
	jw_kuint(w, "hwm_size", model_heap_hwm(p));
	jw_obj_end(w);
	/* The timeline leading up to now: what grew. */
	jw_karr(w, "timeline");
	start = p->tl_len > 120 ? p->tl_len - 120 : 0;
	for (uint32_t i = start; i < p->tl_len; i++) {
		const struct tl_point *t = &p->tl[(p->tl_head + i) % p->tl_cap];

		jw_obj(w);
		jw_kint(w, "ts", ((long long)t->t_ns + off) / 1000000000LL);
		jw_kuint(w, "vmas", t->vmas_last);
		jw_kuint(w, "vmas_max", t->vmas_max);
		jw_kuint(w, "mapped", t->mapped);
		jw_kuint(w, "heap", t->brk);
		jw_kuint(w, "calls", t->calls);
		jw_kuint(w, "failures", t->failures);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_karr(w, "flight");
	start = p->fr_len > max_events ? p->fr_len - max_events : 0;
	for (uint32_t i = start; i < p->fr_len; i++) {
		const struct fr_event *e = &p->fr[(p->fr_head + i) % p->fr_cap];
		int err = e->type == VMT_REC_SYSCALL ? decode_ret_errno(e->sys, e->ret) : 0;

		jw_obj(w);
		put_ts(w, "ts", e->ts_ns, off);
		jw_kuint(w, "tid", e->tid);
		jw_kstr(w, "event", e->type == VMT_REC_SYSCALL ? decode_sys_name(e->sys) : "exec");
		jw_karr(w, "args");
		jw_hex(w, e->args[0]);
		jw_uint(w, e->args[1]);
		jw_uint(w, e->args[2]);
		jw_arr_end(w);
		jw_kint(w, "ret", e->ret);
		if (err && decode_errno_name(err))
			jw_kstr(w, "errno", decode_errno_name(err));
		else
			jw_knull(w, "errno");
		jw_kuint(w, "vmas", e->map_count);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_kuint(w, "flight_lost", p->fr_lost);
}

/* An alert's own members, written once for the alert and once for its incident. */
typedef void (*members_fn)(struct jsonw *w, const void *arg);

/*
 * The alert {members} into js, and the incident {members, "context":{...}}
 * into inc: two documents written whole, never one cut from the other.
 */
static void render(struct strbuf *js, struct strbuf *inc, members_fn fn, const void *arg,
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
	double threshold, rate, eta;
	bool absolute;
	uint64_t now;
	long long off;
};

static void threshold_members(struct jsonw *w, const void *arg)
{
	const struct threshold_alert *t = arg;

	head_members(w, ALERT_VMA_THRESHOLD, t->p->tgid, t->p->comm, t->now, t->off);
	jw_kuint(w, "vmas", t->vmas);
	jw_kuint(w, "limit", t->limit);
	jw_kfixed(w, "percent", 100.0 * t->vmas / t->limit, 2);
	jw_kdouble(w, "threshold", t->threshold);
	jw_kstr(w, "threshold_type", t->absolute ? "count" : "percent");
	jw_kfixed(w, "growth_per_s", t->rate, 1);
	if (t->eta >= 0)
		jw_kfixed(w, "seconds_to_limit", t->eta, 1);
	else
		jw_knull(w, "seconds_to_limit");
	census_members(w, "census", t->p, false);
	sites_member(w, t->p);
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
		.rate = model_recent_rate(p, now, 10000000000ull),
		.absolute = absolute,
		.now = now,
		.off = off,
	};
	struct strbuf js, inc, sum;

	t.eta = alert_seconds_to_limit(vmas, limit, t.rate);
	sb_init(&js);
	sb_init(&inc);
	sb_init(&sum);
	render(&js, &inc, threshold_members, &t, p, 64, off);
	ut_append(&sum, p->comm, VMT_COMM_LEN, UT_TEXT);
	sb_printf(&sum,
		  "[%u] has %u VMAs, %.1f%% of vm.max_map_count %u (threshold %g%s), "
		  "growing %.0f/s",
		  p->tgid, vmas, 100.0 * vmas / limit, limit, threshold, absolute ? " VMAs" : "%",
		  t.rate);
	if (t.eta >= 0)
		sb_printf(&sum, ", limit in %.0f s", t.eta);
	emit(ae, ALERT_VMA_THRESHOLD, p->tgid, p->comm, &js, &inc, &sum);
	sb_free(&js);
	sb_free(&inc);
	sb_free(&sum);
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
	/* Cheap exit for the common case: below every threshold and nothing raised. */
	s = hmap_get(&ae->state, p->tgid);
	if (!s && (!c->n_alert_thresholds || 100.0 * vmas / limit < c->alert_thresholds[0]) &&
	    (!c->n_alert_vma_counts || vmas < c->alert_vma_counts[0]))
		return;
	s = s ? s : state_get(ae, p->tgid);
	if (!s)
		return;
	s->pct_level = alert_level_update(s->pct_level, 100.0 * vmas / limit, c->alert_thresholds,
					  c->n_alert_thresholds, c->alert_hysteresis, &crossed);
	if (crossed >= 0)
		threshold_alert(ae, p, vmas, limit, c->alert_thresholds[crossed], false, now, off);
	if (c->n_alert_vma_counts) {
		double counts[CONFIG_MAX_LIST];

		for (int i = 0; i < c->n_alert_vma_counts; i++)
			counts[i] = c->alert_vma_counts[i];
		/* Absolute thresholds re-arm after the same share of the limit. */
		s->abs_level = alert_level_update(s->abs_level, vmas, counts, c->n_alert_vma_counts,
						  c->alert_hysteresis * limit / 100.0, &crossed);
		if (crossed >= 0)
			threshold_alert(ae, p, vmas, limit, counts[crossed], true, now, off);
	}
}

struct failure_alert {
	const struct model_proc *p;
	const struct vmt_syscall_rec *r;
	uint32_t limit;
	int err;
	uint64_t suppressed;
	long long off;
};

static void failure_members(struct jsonw *w, const void *arg)
{
	const struct failure_alert *f = arg;
	const struct vmt_syscall_rec *r = f->r;
	const struct arg_desc *args;
	int nargs = decode_sys_args(r->sys, &args);
	struct strbuf val;

	head_members(w, ALERT_ALLOC_FAILURE, f->p->tgid, f->p->comm, r->hdr.ts_ns, f->off);
	jw_kuint(w, "tid", r->hdr.tid);
	jw_kstr(w, "syscall", decode_sys_name(r->sys));
	jw_kstr(w, "errno", decode_errno_name(f->err) ? decode_errno_name(f->err) : "?");
	jw_kuint(w, "vmas", r->map_count);
	jw_kuint(w, "limit", f->limit);
	jw_kfixed(w, "percent", f->limit ? 100.0 * r->map_count / f->limit : 0, 2);
	jw_kuint(w, "suppressed_before", f->suppressed);
	jw_kobj(w, "args");
	sb_init(&val);
	for (int i = 0; i < nargs; i++) {
		sb_reset(&val);
		decode_arg(&val, &args[i], r->args[i]);
		jw_kstrn(w, args[i].name, val.buf ? val.buf : "", val.len);
	}
	sb_free(&val);
	jw_obj_end(w);
	census_members(w, "census", f->p, false);
	sites_member(w, f->p);
}

void alert_check_failure(struct alert_engine *ae, struct model_proc *p,
			 const struct vmt_syscall_rec *r, uint32_t limit, long long off)
{
	const struct config *c = ae->cfg;
	int err = decode_ret_errno(r->sys, r->ret), slot = -1, oldest = 0;
	struct failure_alert f = { .p = p, .r = r, .limit = limit, .off = off };
	struct proc_state *s;
	struct strbuf js, inc, sum;
	uint64_t suppressed;
	bool wanted = false;

	for (int i = 0; i < c->n_alert_errnos && !wanted; i++)
		wanted = c->alert_errnos[i] == err;
	if (!err || !wanted || !(s = state_get(ae, p->tgid)))
		return;
	/* Rate limit per (syscall, errno): a process at its limit fails thousands of times. */
	for (int i = 0; i < FAILURE_KEYS; i++) {
		if (s->failures[i].last_ns && s->failures[i].sys == r->sys &&
		    s->failures[i].err == err)
			slot = i;
		if (s->failures[i].last_ns < s->failures[oldest].last_ns)
			oldest = i;
	}
	if (slot >= 0 && r->hdr.ts_ns - s->failures[slot].last_ns < c->alert_failure_interval_ns) {
		s->failures[slot].suppressed++;
		return;
	}
	if (slot < 0) {
		slot = oldest;
		s->failures[slot].suppressed = 0;
	}
	suppressed = s->failures[slot].suppressed;
	s->failures[slot].sys = r->sys;
	s->failures[slot].err = err;
	s->failures[slot].last_ns = r->hdr.ts_ns;
	s->failures[slot].suppressed = 0;

	f.suppressed = suppressed;
	f.err = err;
	sb_init(&js);
	sb_init(&inc);
	sb_init(&sum);
	render(&js, &inc, failure_members, &f, p, 64, off);
	ut_append(&sum, p->comm, VMT_COMM_LEN, UT_TEXT);
	sb_printf(&sum, "[%u/%u] %s failed with %s at %u VMAs (vm.max_map_count %u)", p->tgid,
		  r->hdr.tid, decode_sys_name(r->sys),
		  decode_errno_name(err) ? decode_errno_name(err) : "?", r->map_count, limit);
	if (suppressed)
		sb_printf(&sum, "; %llu more like it were not alerted",
			  (unsigned long long)suppressed);
	emit(ae, ALERT_ALLOC_FAILURE, p->tgid, p->comm, &js, &inc, &sum);
	sb_free(&js);
	sb_free(&inc);
	sb_free(&sum);
}

struct oom_alert {
	const struct vmt_oom_rec *r;
	const struct alert_oom_info *info;
	const struct model_proc *victim;
	const char *comm;
	long long off;
};

static void oom_members(struct jsonw *w, const void *arg)
{
	const struct oom_alert *o = arg;
	const struct vmt_oom_rec *r = o->r;

	head_members(w, ALERT_OOM_KILL, r->victim_pid, o->comm, r->hdr.ts_ns, o->off);
	jw_kuint(w, "victim_pid", r->victim_pid);
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
	jw_kuint(w, "trigger_pid", r->hdr.tgid);
	jw_kuint(w, "trigger_tid", r->hdr.tid);
	jw_kstrn(w, "trigger_comm", r->hdr.comm, VMT_COMM_LEN);
	if (o->victim)
		jw_kuint(w, "vmas", model_vma_count(o->victim));
}

void alert_oom(struct alert_engine *ae, struct model_proc *victim, const struct vmt_oom_rec *r,
	       const struct alert_oom_info *info, long long off)
{
	char comm[VMT_COMM_LEN + 1];
	struct oom_alert o = { .r = r, .info = info, .victim = victim, .comm = comm, .off = off };
	struct strbuf js, inc, sum;

	if (!ae->cfg->alert_oom)
		return;
	snprintf(comm, sizeof(comm), "%.*s", VMT_COMM_LEN, r->victim_comm);
	sb_init(&js);
	sb_init(&inc);
	sb_init(&sum);
	render(&js, &inc, oom_members, &o, victim, 256, off);
	sb_puts(&sum, "the OOM killer chose ");
	ut_append(&sum, comm, sizeof(comm), UT_TEXT);
	sb_printf(&sum, "[%u]", r->victim_pid);
	if (r->present & VMT_OOM_HAS_RSS)
		sb_printf(&sum, " (anon-rss %llu kB, file-rss %llu kB)",
			  (unsigned long long)r->anon_rss_kb, (unsigned long long)r->file_rss_kb);
	sb_printf(&sum, ", %s OOM", info->oom_type);
	if (info->memcg[0]) {
		sb_puts(&sum, " in ");
		ut_append(&sum, info->memcg, sizeof(info->memcg), UT_TEXT);
	}
	if (info->memcg_limit)
		sb_printf(&sum, " (limit %llu bytes)", (unsigned long long)info->memcg_limit);
	sb_puts(&sum, ", triggered by ");
	ut_append(&sum, r->hdr.comm, VMT_COMM_LEN, UT_TEXT);
	sb_printf(&sum, "[%u]", r->hdr.tgid);
	emit(ae, ALERT_OOM_KILL, r->victim_pid, comm, &js, &inc, &sum);
	sb_free(&js);
	sb_free(&inc);
	sb_free(&sum);
}
