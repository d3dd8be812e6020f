// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "decode.h"
#include "hmap.h"
#include "log.h"

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

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

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
	if (ae->log) {
		fclose(ae->log);
		ae->log = NULL;
	}
	snprintf(ae->log_path, sizeof(ae->log_path), "%s", ae->cfg->alert_log);
	if (!ae->log_path[0])
		return;
	ae->log = fopen(ae->log_path, "ae");
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
	int fds[2];
	pid_t child;

	for (int i = 0; i < MAX_HOOKS && !slot; i++)
		if (!ae->hooks[i].pid)
			slot = &ae->hooks[i];
	if (!slot) {
		if (!ae->hooks_dropped++)
			log_warn("alert hook %s: %d runs still going, not starting another",
				 ae->cfg->alert_exec, MAX_HOOKS);
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
	slot->deadline_ns = mono_now() + ae->cfg->alert_exec_timeout_ns;
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

static void emit(struct alert_engine *ae, enum alert_kind kind, uint32_t pid, const char *comm,
		 const char *json, const char *incident, const char *summary)
{
	ae->counts[kind]++;
	log_warn("alert %s: %s", kind_names[kind], summary);
	if (ae->log) {
		fprintf(ae->log, "%s\n", json);
		fflush(ae->log);
	}
	if (ae->record)
		ae->record(ae->record_ctx, kind, pid, comm, json, incident);
	if (ae->cfg->alert_exec[0])
		run_hook(ae, kind, pid, comm, json);
}

static void json_head(struct strbuf *sb, enum alert_kind kind, uint32_t pid, const char *comm,
		      uint64_t mono_ns, long long off)
{
	long long real = (long long)mono_ns + off;

	sb_printf(sb, "{\"kind\":\"%s\",\"ts\":%lld.%06lld,\"pid\":%u,\"comm\":", kind_names[kind],
		  real / 1000000000LL, (real % 1000000000LL) / 1000, pid);
	sb_json_str(sb, comm, VMT_COMM_LEN);
}

static void census_json(struct strbuf *sb, const struct model_proc *p, bool first)
{
	sb_puts(sb, first ? "\"census\":{" : ",\"census\":{");
	for (int k = 0; k < VK__COUNT; k++)
		sb_printf(sb, "%s\"%s\":%u", k ? "," : "", model_kind_name(k), p->count[k]);
	sb_putc(sb, '}');
}

void alert_context_json(struct strbuf *sb, struct model *m, struct model_proc *p,
			unsigned int max_events, long long off)
{
	uint32_t start;

	(void)m;
	census_json(sb, p, true);
	sb_printf(sb, ",\"census_bytes\":{");
	for (int k = 0; k < VK__COUNT; k++)
		sb_printf(sb, "%s\"%s\":%llu", k ? "," : "", model_kind_name(k),
			  (unsigned long long)p->bytes[k]);
	sb_printf(sb, "},\"heap\":{\"start_brk\":\"%#llx\",\"first_brk\":\"%#llx\",\"brk\":\"%#llx\","
		      "\"hwm\":\"%#llx\",\"size\":%llu,\"hwm_size\":%llu}",
		  (unsigned long long)p->start_brk, (unsigned long long)p->first_brk,
		  (unsigned long long)p->brk, (unsigned long long)p->brk_hwm,
		  (unsigned long long)model_heap_size(p), (unsigned long long)model_heap_hwm(p));
	/* The timeline leading up to now: what grew. */
	sb_puts(sb, ",\"timeline\":[");
	start = p->tl_len > 120 ? p->tl_len - 120 : 0;
	for (uint32_t i = start; i < p->tl_len; i++) {
		const struct tl_point *t = &p->tl[(p->tl_head + i) % p->tl_cap];

		sb_printf(sb, "%s{\"ts\":%lld,\"vmas\":%u,\"vmas_max\":%u,\"mapped\":%llu,\"heap\":%llu,"
			      "\"calls\":%u,\"failures\":%u}",
			  i > start ? "," : "", ((long long)t->t_ns + off) / 1000000000LL, t->vmas_last,
			  t->vmas_max, (unsigned long long)t->mapped, (unsigned long long)t->brk,
			  t->calls, t->failures);
	}
	sb_puts(sb, "],\"flight\":[");
	start = p->fr_len > max_events ? p->fr_len - max_events : 0;
	for (uint32_t i = start; i < p->fr_len; i++) {
		const struct fr_event *e = &p->fr[(p->fr_head + i) % p->fr_cap];
		long long real = (long long)e->ts_ns + off;
		int err = e->type == VMT_REC_SYSCALL ? decode_ret_errno(e->sys, e->ret) : 0;

		sb_printf(sb, "%s{\"ts\":%lld.%06lld,\"tid\":%u,\"event\":\"%s\",\"args\":[\"%#llx\",%llu,"
			      "%llu],\"ret\":%lld,\"errno\":",
			  i > start ? "," : "", real / 1000000000LL, (real % 1000000000LL) / 1000, e->tid,
			  e->type == VMT_REC_SYSCALL ? decode_sys_name(e->sys) : "exec",
			  (unsigned long long)e->args[0], (unsigned long long)e->args[1],
			  (unsigned long long)e->args[2], (long long)e->ret);
		if (err && decode_errno_name(err))
			sb_printf(sb, "\"%s\"", decode_errno_name(err));
		else
			sb_puts(sb, "null");
		sb_printf(sb, ",\"vmas\":%u}", e->map_count);
	}
	sb_printf(sb, "],\"flight_lost\":%llu", (unsigned long long)p->fr_lost);
}

static void threshold_alert(struct alert_engine *ae, struct model *m, struct model_proc *p,
			    uint32_t vmas, uint32_t limit, double threshold, bool absolute,
			    uint64_t now, long long off)
{
	struct strbuf js, inc, sum;
	double rate = model_recent_rate(p, now, 10000000000ull);
	double eta = alert_seconds_to_limit(vmas, limit, rate);

	sb_init(&js);
	sb_init(&inc);
	sb_init(&sum);
	json_head(&js, ALERT_VMA_THRESHOLD, p->tgid, p->comm, now, off);
	sb_printf(&js, ",\"vmas\":%u,\"limit\":%u,\"percent\":%.2f,\"threshold\":%g,"
		       "\"threshold_type\":\"%s\",\"growth_per_s\":%.1f,\"seconds_to_limit\":",
		  vmas, limit, 100.0 * vmas / limit, threshold, absolute ? "count" : "percent", rate);
	if (eta >= 0)
		sb_printf(&js, "%.1f", eta);
	else
		sb_puts(&js, "null");
	census_json(&js, p, false);
	sb_putc(&js, '}');
	sb_printf(&inc, "%.*s,\"context\":{", (int)js.len - 1, js.buf);
	alert_context_json(&inc, m, p, 64, off);
	sb_puts(&inc, "}}");
	sb_printf(&sum, "%.*s[%u] has %u VMAs, %.1f%% of vm.max_map_count %u (threshold %g%s), "
			"growing %.0f/s", VMT_COMM_LEN, p->comm, p->tgid, vmas, 100.0 * vmas / limit, limit,
		  threshold, absolute ? " VMAs" : "%", rate);
	if (eta >= 0)
		sb_printf(&sum, ", limit in %.0f s", eta);
	emit(ae, ALERT_VMA_THRESHOLD, p->tgid, p->comm, js.buf, inc.buf, sum.buf);
	sb_free(&js);
	sb_free(&inc);
	sb_free(&sum);
}

void alert_check_vmas(struct alert_engine *ae, struct model *m, struct model_proc *p,
		      uint32_t limit, uint64_t now, long long off)
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
		threshold_alert(ae, m, p, vmas, limit, c->alert_thresholds[crossed], false, now, off);
	if (c->n_alert_vma_counts) {
		double counts[CONFIG_MAX_LIST];

		for (int i = 0; i < c->n_alert_vma_counts; i++)
			counts[i] = c->alert_vma_counts[i];
		/* Absolute thresholds re-arm after the same share of the limit. */
		s->abs_level = alert_level_update(s->abs_level, vmas, counts, c->n_alert_vma_counts,
						  c->alert_hysteresis * limit / 100.0, &crossed);
		if (crossed >= 0)
			threshold_alert(ae, m, p, vmas, limit, counts[crossed], true, now, off);
	}
}

void alert_check_failure(struct alert_engine *ae, struct model *m, struct model_proc *p,
			 const struct vmt_syscall_rec *r, uint32_t limit, long long off)
{
	const struct config *c = ae->cfg;
	int err = decode_ret_errno(r->sys, r->ret), slot = -1, oldest = 0;
	struct proc_state *s;
	struct strbuf js, inc, sum;
	const struct arg_desc *args;
	int nargs;
	uint64_t suppressed;
	bool wanted = false;

	for (int i = 0; i < c->n_alert_errnos && !wanted; i++)
		wanted = c->alert_errnos[i] == err;
	if (!err || !wanted || !(s = state_get(ae, p->tgid)))
		return;
	/* Rate limit per (syscall, errno): a process at its limit fails thousands of times. */
	for (int i = 0; i < FAILURE_KEYS; i++) {
		if (s->failures[i].last_ns && s->failures[i].sys == r->sys && s->failures[i].err == err)
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

	sb_init(&js);
	sb_init(&inc);
	sb_init(&sum);
	json_head(&js, ALERT_ALLOC_FAILURE, p->tgid, p->comm, r->hdr.ts_ns, off);
	sb_printf(&js, ",\"tid\":%u,\"syscall\":\"%s\",\"errno\":\"%s\",\"vmas\":%u,\"limit\":%u,"
		       "\"percent\":%.2f,\"suppressed_before\":%llu,\"args\":{",
		  r->hdr.tid, decode_sys_name(r->sys), decode_errno_name(err) ? decode_errno_name(err) : "?",
		  r->map_count, limit, limit ? 100.0 * r->map_count / limit : 0,
		  (unsigned long long)suppressed);
	nargs = decode_sys_args(r->sys, &args);
	for (int i = 0; i < nargs; i++) {
		sb_printf(&js, "%s\"%s\":\"", i ? "," : "", args[i].name);
		decode_arg(&js, &args[i], r->args[i]);
		sb_putc(&js, '"');
	}
	sb_putc(&js, '}');
	census_json(&js, p, false);
	sb_putc(&js, '}');
	sb_printf(&inc, "%.*s,\"context\":{", (int)js.len - 1, js.buf);
	alert_context_json(&inc, m, p, 64, off);
	sb_puts(&inc, "}}");
	sb_printf(&sum, "%.*s[%u/%u] %s failed with %s at %u VMAs (vm.max_map_count %u)",
		  VMT_COMM_LEN, p->comm, p->tgid, r->hdr.tid, decode_sys_name(r->sys),
		  decode_errno_name(err) ? decode_errno_name(err) : "?", r->map_count, limit);
	if (suppressed)
		sb_printf(&sum, "; %llu more like it were not alerted", (unsigned long long)suppressed);
	emit(ae, ALERT_ALLOC_FAILURE, p->tgid, p->comm, js.buf, inc.buf, sum.buf);
	sb_free(&js);
	sb_free(&inc);
	sb_free(&sum);
}

void alert_oom(struct alert_engine *ae, struct model *m, struct model_proc *victim,
	       const struct vmt_oom_rec *r, const struct alert_oom_info *info, long long off)
{
	struct strbuf js, inc, sum;
	char comm[VMT_COMM_LEN + 1];

	if (!ae->cfg->alert_oom)
		return;
	snprintf(comm, sizeof(comm), "%.*s", VMT_COMM_LEN, r->victim_comm);
	sb_init(&js);
	sb_init(&inc);
	sb_init(&sum);
	json_head(&js, ALERT_OOM_KILL, r->victim_pid, comm, r->hdr.ts_ns, off);
	sb_printf(&js, ",\"victim_pid\":%u,\"victim_comm\":", r->victim_pid);
	sb_json_str(&js, r->victim_comm, VMT_COMM_LEN);
	if (r->present & VMT_OOM_HAS_UID)
		sb_printf(&js, ",\"uid\":%u", r->uid);
	if (r->present & VMT_OOM_HAS_TOTAL_VM)
		sb_printf(&js, ",\"total_vm_kb\":%llu", (unsigned long long)r->total_vm_kb);
	if (r->present & VMT_OOM_HAS_RSS)
		sb_printf(&js, ",\"anon_rss_kb\":%llu,\"file_rss_kb\":%llu,\"shmem_rss_kb\":%llu",
			  (unsigned long long)r->anon_rss_kb, (unsigned long long)r->file_rss_kb,
			  (unsigned long long)r->shmem_rss_kb);
	if (r->present & VMT_OOM_HAS_PGTABLES)
		sb_printf(&js, ",\"pgtables_kb\":%llu", (unsigned long long)r->pgtables_kb);
	if (r->present & VMT_OOM_HAS_SCORE_ADJ)
		sb_printf(&js, ",\"oom_score_adj\":%d", r->oom_score_adj);
	sb_puts(&js, ",\"memcg\":");
	sb_json_str(&js, info->memcg, sizeof(info->memcg));
	sb_printf(&js, ",\"oom_type\":\"%s\",\"memcg_limit\":%llu,\"trigger_pid\":%u,\"trigger_tid\":%u,"
		       "\"trigger_comm\":",
		  info->oom_type, (unsigned long long)info->memcg_limit, r->hdr.tgid, r->hdr.tid);
	sb_json_str(&js, r->hdr.comm, VMT_COMM_LEN);
	if (victim)
		sb_printf(&js, ",\"vmas\":%zu", model_vma_count(victim));
	sb_putc(&js, '}');
	sb_printf(&inc, "%.*s", (int)js.len - 1, js.buf);
	if (victim) {
		sb_puts(&inc, ",\"context\":{");
		alert_context_json(&inc, m, victim, 256, off);
		sb_putc(&inc, '}');
	}
	sb_putc(&inc, '}');
	sb_printf(&sum, "the OOM killer chose %s[%u]", comm, r->victim_pid);
	if (r->present & VMT_OOM_HAS_RSS)
		sb_printf(&sum, " (anon-rss %llu kB, file-rss %llu kB)", (unsigned long long)r->anon_rss_kb,
			  (unsigned long long)r->file_rss_kb);
	sb_printf(&sum, ", %s OOM", info->oom_type);
	if (info->memcg[0])
		sb_printf(&sum, " in %s", info->memcg);
	if (info->memcg_limit)
		sb_printf(&sum, " (limit %llu bytes)", (unsigned long long)info->memcg_limit);
	sb_printf(&sum, ", triggered by %.*s[%u]", VMT_COMM_LEN, r->hdr.comm, r->hdr.tgid);
	emit(ae, ALERT_OOM_KILL, r->victim_pid, comm, js.buf, inc.buf, sum.buf);
	sb_free(&js);
	sb_free(&inc);
	sb_free(&sum);
}
