// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `vmatrace daemon`: trace every process, keep the live model, serve it on
 * the control socket, raise alerts, and keep history in the journal. Runs
 * under systemd (Type=notify) or on its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "cli.h"
#include "config.h"
#include "ctl.h"
#include "daemon.h"
#include "decode.h"
#include "format.h"
#include "journal.h"
#include "log.h"
#include "model.h"
#include "procfs.h"
#include "sysinfo.h"
#include "tracer.h"

#define POLL_INTERVAL_MS 50
#include "version.h"

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		reload_requested = 1;
		return;
	}
	if (stop_requested)
		_exit(128 + sig);
	stop_requested = sig;
}

uint64_t daemon_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- options: every config key is also a flag ---- */

static void usage(FILE *f)
{
	const char *const *kh = config_key_help();

	fprintf(f,
		"usage: vmatrace daemon [-c FILE] [--check-config] [--foreground] [-v] [--KEY VALUE...]\n"
		"\n"
		"Trace every process, keep an exact model of each address space, raise alerts\n"
		"(VMA count against vm.max_map_count, failed calls, OOM kills), keep history in\n"
		"a journal, and serve 'vmatrace status/snapshot/timeline' on a control socket.\n"
		"\n"
		"  -c, --config FILE   configuration file (default " CONFIG_DEFAULT_PATH ", optional)\n"
		"  --check-config      validate the configuration and exit\n"
		"  --foreground        do not detach (systemd, make run); logs go to stderr\n"
		"  -v, --verbose       debug logging\n"
		"\n"
		"Every configuration key is also a flag, '_' spelled '-' (see vmatrace.conf(5)):\n");
	for (; *kh; kh += 2) {
		char flag[64];

		snprintf(flag, sizeof(flag), "--%s", kh[0]);
		for (char *c = flag; *c; c++)
			if (*c == '_')
				*c = '-';
		fprintf(f, "  %-26s %s\n", flag, kh[1]);
	}
}

/*
 * Defaults, then the file, then the command line: the same order on every
 * (re)load, into a fresh struct that replaces the running one only if valid.
 */
static int build_config(struct daemon *d, struct config *c, char *err, size_t errlen)
{
	config_defaults(c);
	if (config_load_file(c, d->config_path, d->config_explicit, err, errlen))
		return -EINVAL;
	for (int i = 0; i < d->nflags; i++)
		if (config_set(c, d->flags[i].key, d->flags[i].value, d->flags[i].where, err, errlen))
			return -EINVAL;
	return 0;
}

static int parse_args(struct daemon *d, int argc, char **argv)
{
	d->config_path = CONFIG_DEFAULT_PATH;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char key[64], *eq;
		const char *value;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			d->verbosity++;
		} else if (!strcmp(a, "--foreground")) {
			d->foreground = true;
		} else if (!strcmp(a, "--check-config")) {
			d->check_only = true;
		} else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (++i == argc) {
				log_err("%s needs a file", a);
				return -1;
			}
			d->config_path = argv[i];
			d->config_explicit = true;
		} else if (!strncmp(a, "--", 2) && strlen(a) < sizeof(key) + 2) {
			snprintf(key, sizeof(key), "%s", a + 2);
			eq = strchr(key, '=');
			if (eq)
				*eq = 0;
			for (char *c = key; *c; c++)
				if (*c == '-')
					*c = '_';
			if (!config_is_key(key)) {
				log_err("unknown option '%s' (vmatrace daemon --help lists them)", a);
				return -1;
			}
			if (eq) {
				value = strchr(a, '=') + 1;
			} else if (i + 1 < argc) {
				value = argv[++i];
			} else {
				log_err("%s needs a value", a);
				return -1;
			}
			if (d->nflags == DAEMON_MAX_FLAGS) {
				log_err("too many options");
				return -1;
			}
			snprintf(d->flags[d->nflags].key, sizeof(d->flags[0].key), "%s", key);
			d->flags[d->nflags].value = value;
			snprintf(d->flags[d->nflags].where, sizeof(d->flags[0].where), "--%.60s", a + 2);
			d->nflags++;
		} else {
			log_err("unexpected argument '%s'", a);
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

/* ---- which processes the alerts and the journal are about ---- */

static char *read_cgroup(uint32_t pid)
{
	char path[64], line[512], *found = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *p = ctrl ? strchr(ctrl + 1, ':') : NULL;

		if (!p)
			continue;
		line[strcspn(line, "\n")] = 0;
		/* v1: "N:memory:/path"; v2 (unified): "0::/path", used when there is no v1 memory. */
		if (!strncmp(ctrl + 1, "memory:", 7) || (!found && !strncmp(ctrl, "::", 2))) {
			free(found);
			found = strdup(p + 1);
			if (!strncmp(ctrl + 1, "memory:", 7))
				break;
		}
	}
	fclose(f);
	return found;
}

static bool selected(struct daemon *d, struct model_proc *p)
{
	const struct config *c = d->cfg;

	if (!c->n_trace_comm && !c->n_trace_pid && !c->n_trace_cgroup)
		return true;
	for (int i = 0; i < c->n_trace_pid; i++)
		if (c->trace_pid[i] == p->tgid)
			return true;
	for (int i = 0; i < c->n_trace_comm; i++)
		if (!strncmp(c->trace_comm[i], p->comm, VMT_COMM_LEN))
			return true;
	if (c->n_trace_cgroup && !p->cgroup)
		p->cgroup = read_cgroup(p->tgid);
	for (int i = 0; i < c->n_trace_cgroup && p->cgroup; i++)
		if (!strncmp(c->trace_cgroup[i], p->cgroup, strlen(c->trace_cgroup[i])))
			return true;
	return false;
}

/* ---- journal ---- */

static void journal_json(struct daemon *d, uint16_t type, uint32_t pid, const char *comm,
			 const char *json)
{
	struct timespec now;

	if (!d->journal)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	journal_put_json(d->journal, type, pid, comm, now.tv_sec * 1000000000ull + now.tv_nsec,
			 json);
}

static void on_point(void *ctx, const struct model_proc *p, const struct tl_point *t)
{
	struct daemon *d = ctx;
	struct journal_tl jt = {
		.t_ns = t->t_ns + d->realtime_offset_ns,
		.vmas_min = t->vmas_min,
		.vmas_max = t->vmas_max,
		.vmas_last = t->vmas_last,
		.calls = t->calls,
		.failures = t->failures,
		.max_map_count = d->max_map_count,
		.mapped = t->mapped,
		.heap = t->brk,
		.heap_hwm = model_heap_hwm(p),
	};

	if (!d->journal || !selected(d, (struct model_proc *)p))
		return;
	journal_put_point(d->journal, p->tgid, p->comm, &jt);
}

static void open_journal(struct daemon *d)
{
	struct journal_config jc = {
		.dir = d->cfg->journal_dir,
		.segment_bytes = d->cfg->journal_segment_size,
		.retain_bytes = d->cfg->journal_retain_size,
		.retain_seconds = d->cfg->journal_retain_age_s,
		.fsync = d->cfg->journal_fsync,
		.on_full = d->cfg->journal_on_full,
	};

	journal_close(d->journal);
	d->journal = NULL;
	if (!d->cfg->journal_dir[0])
		return;
	d->journal = journal_open(&jc);
	if (!d->journal)
		log_err("cannot open the journal in %s: %s (running without history)",
			d->cfg->journal_dir, strerror(errno));
}

/* ---- alerts ---- */

static void on_alert(void *ctx, enum alert_kind kind, uint32_t pid, const char *comm,
		     const char *json, const char *incident)
{
	struct daemon *d = ctx;

	journal_json(d, JREC_ALERT, pid, comm, json);
	journal_json(d, kind == ALERT_OOM_KILL ? JREC_OOM : JREC_INCIDENT, pid, comm, incident);
	/* An incident is flushed at once: the process may be about to die. */
	if (d->journal)
		journal_flush(d->journal);
	if (d->journald)
		sd_journal_send("MESSAGE=vmatrace alert %s for %s[%u]",
				kind == ALERT_OOM_KILL ? "oom_kill" :
				kind == ALERT_ALLOC_FAILURE ? "alloc_failure" : "vma_threshold",
				comm, pid, "PRIORITY=4", "VMATRACE_ALERT=%d", (int)kind,
				"VMATRACE_PID=%u", pid, "VMATRACE_COMM=%s", comm, "VMATRACE_JSON=%s", json,
				NULL);
}

/* A memory cgroup's path from its kernfs id: the inode number of its directory. */
static uint64_t memcg_wanted;
static char memcg_found[512];
static size_t memcg_root_len;

static int memcg_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D && st->st_ino == memcg_wanted) {
		snprintf(memcg_found, sizeof(memcg_found), "%s", path[memcg_root_len] ? path + memcg_root_len : "/");
		return 1;
	}
	return 0;
}

static char *memcg_path(uint64_t id)
{
	static const char *const roots[] = { "/sys/fs/cgroup/memory", "/sys/fs/cgroup" };

	if (!id)
		return NULL;
	for (size_t i = 0; i < 2; i++) {
		memcg_wanted = id;
		memcg_found[0] = 0;
		memcg_root_len = strlen(roots[i]);
		if (nftw(roots[i], memcg_visit, 16, FTW_PHYS | FTW_MOUNT) == 1 && memcg_found[0])
			return strdup(memcg_found);
	}
	return NULL;
}

/* cgroup or global: the victim's memcg with a limit that it ran into, or the whole machine. */
static void oom_info(const struct vmt_oom_rec *r, struct model_proc *p, struct alert_oom_info *info)
{
	uint32_t victim = r->victim_pid;
	char *cg = NULL, path[512];
	unsigned long long limit = 0, failcnt = 0;
	FILE *f;

	memset(info, 0, sizeof(*info));
	snprintf(info->oom_type, sizeof(info->oom_type), "global");
	/* A victim that was itself allocating: its memcg as BPF read it at the kill. */
	if (r->trigger_memcg_id && r->hdr.tgid == victim)
		cg = memcg_path(r->trigger_memcg_id);
	if (!cg)
		cg = read_cgroup(victim);
	/* An exiting task is moved to the root cgroup: "/" then tells nothing. */
	if (cg && !strcmp(cg, "/") && ((p && p->memcg_id) || r->trigger_memcg_id)) {
		free(cg);
		cg = NULL;
	}
	/* Most victims are gone by now: what BPF saw at their exec, or the trigger's memcg. */
	if (!cg && p && p->memcg_id)
		cg = memcg_path(p->memcg_id);
	if (!cg && p && p->cgroup)
		cg = strdup(p->cgroup);
	if (!cg && r->trigger_memcg_id)
		cg = memcg_path(r->trigger_memcg_id);
	if (!cg)
		return;
	snprintf(info->memcg, sizeof(info->memcg), "%s", cg);
	snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", cg);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &limit) != 1)
			limit = 0;
		fclose(f);
		snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.failcnt", cg);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%llu", &failcnt) != 1)
				failcnt = 0;
			fclose(f);
		}
	} else {
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", cg);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%llu", &limit) != 1)
				limit = 0; /* "max" */
			fclose(f);
			failcnt = limit != 0;
		}
	}
	/* v1 reports "no limit" as a huge page-aligned number. */
	if (limit && limit < (1ull << 60) && failcnt) {
		snprintf(info->oom_type, sizeof(info->oom_type), "cgroup");
		info->memcg_limit = limit;
	}
	free(cg);
}

/* ---- model and control socket ---- */

/* Read one process (tgid) or all (0) with the BPF iterator; returns processes read. */
static int seed_walk(struct daemon *d, uint32_t tgid)
{
	struct model_seeder s = { .m = d->model };
	bool bracket = !d->model->walk_start_ns;
	int n;

	if (bracket)
		model_seed_walk_begin(d->model);
	n = tracer_seed(d->tracer, tgid, model_seed_iter, &s);
	model_seeder_end(&s);
	if (bracket)
		model_seed_walk_end(d->model);
	return n;
}

static int reseed(void *ctx, uint32_t tgid)
{
	struct daemon *d = ctx;
	int n = seed_walk(d, tgid), err = 0;

	if (n <= 0) {
		/* The iterator could not: the same records from /proc. */
		struct model_seeder s = { .m = d->model };

		err = procfs_seed(tgid, model_seed_iter, &s);
		model_seeder_end(&s);
	}
	if (err == -ENOENT || err == -ESRCH) {
		/* Gone: nothing left to model. */
		model_proc_drop(d->model, tgid);
		return 0;
	}
	return err;
}

static void consume(struct daemon *d)
{
	if (d->in_consume)
		return;
	d->in_consume = true;
	tracer_consume(d->tracer);
	d->in_consume = false;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;
	const struct vmt_hdr *h = data;
	struct model_proc *p;

	if (d->cfg->journal_raw_events && d->journal && h->type != VMT_REC_VMA)
		journal_append(d->journal, JREC_RAW, h->tgid, h->comm,
			       h->ts_ns + d->realtime_offset_ns, data, size);
	if (h->type == VMT_REC_OOM) {
		const struct vmt_oom_rec *r = data;
		struct alert_oom_info info;
		struct model_proc *victim = model_proc_get(d->model, r->victim_pid);

		d->ooms++;
		oom_info(r, victim, &info);
		alert_oom(d->alerts, d->model, victim, r, &info, d->realtime_offset_ns);
		return 0;
	}
	model_apply(d->model, data, size);
	p = model_proc_get(d->model, h->tgid);
	switch (h->type) {
	case VMT_REC_SYSCALL: {
		const struct vmt_syscall_rec *r = data;
		int err = r->sys < VMT_SYS__COUNT ? decode_ret_errno(r->sys, r->ret) : 0;

		if (r->sys < VMT_SYS__COUNT) {
			d->calls[r->sys]++;
			if (err)
				d->failures[r->sys][err < DAEMON_MAX_ERRNO ? err : 0]++;
		}
		if (!p || !selected(d, p))
			break;
		if (err)
			alert_check_failure(d->alerts, d->model, p, r, d->max_map_count,
					    d->realtime_offset_ns);
		alert_check_vmas(d->alerts, d->model, p, d->max_map_count, h->ts_ns,
				 d->realtime_offset_ns);
		break;
	}
	case VMT_REC_EXEC:
		if (p) {
			free(p->cgroup);
			p->cgroup = read_cgroup(h->tgid);
		}
		break;
	case VMT_REC_EXIT: {
		const struct vmt_exit_rec *r = data;
		char json[160];
		int sig = r->exit_code & 0x7f;

		alert_forget(d->alerts, h->tgid);
		if (!d->journal)
			break;
		snprintf(json, sizeof(json), "{\"exit_code\":%d,\"signal\":%s%s%s,\"vmas\":%u}",
			 sig ? -1 : (r->exit_code >> 8) & 0xff, sig ? "\"" : "",
			 sig ? (sigabbrev_np(sig) ? sigabbrev_np(sig) : "?") : "null", sig ? "\"" : "",
			 r->map_count);
		journal_put_json(d->journal, JREC_PROC_EXIT, h->tgid, h->comm,
				 h->ts_ns + d->realtime_offset_ns, json);
		break;
	}
	}
	return 0;
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

long daemon_rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

double daemon_cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

size_t daemon_ranked(struct daemon *d, struct model_proc ***out)
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
		if (!selected(d, val))
			continue;
		r[n].p = val;
		r[n].vmas = model_vma_count(val);
		n++;
	}
	qsort(r, n, sizeof(*r), rank_cmp);
	for (size_t i = 0; i < n; i++)
		v[i] = r[i].p;
	free(r);
	*out = v;
	return n;
}

static void pad_size(struct strbuf *out, unsigned long long v, size_t width)
{
	size_t before = out->len;

	sb_size(out, v);
	while (out->len - before < width)
		sb_putc(out, ' ');
}

static void answer_status(struct daemon *d, struct strbuf *out, bool json, size_t top)
{
	struct model *m = d->model;
	struct model_proc **r;
	unsigned long long st[VMT_STAT__COUNT] = { 0 };
	uint64_t now = daemon_mono_ns();
	size_t n = daemon_ranked(d, &r);
	const struct journal_stats *js = d->journal ? journal_get_stats(d->journal) : NULL;

	tracer_read_stats(d->tracer, st);
	if (top && n > top)
		n = top;
	if (json) {
		sb_printf(out, "{\"max_map_count\":%lu,\"processes\":%zu,\"events\":%llu,\"drops\":%llu,"
			       "\"resyncs\":%llu,\"resync_failures\":%llu,\"seeds\":%llu,\"model_bytes\":%llu,"
			       "\"rss_kib\":%ld,\"cpu_s\":%.2f,\"flight_lost\":%llu,\"uptime_s\":%.1f,"
			       "\"alerts\":{\"vma_threshold\":%llu,\"alloc_failure\":%llu,\"oom_kill\":%llu},"
			       "\"journal\":{\"records\":%llu,\"bytes\":%llu,\"write_errors\":%llu},\"top\":[",
			  d->max_map_count, m->procs.len, (unsigned long long)m->st.events,
			  st[VMT_STAT_DROPS], (unsigned long long)m->st.resyncs,
			  (unsigned long long)m->st.resync_failures, (unsigned long long)m->st.seeds,
			  (unsigned long long)model_memory(m), daemon_rss_kib(), daemon_cpu_seconds(),
			  (unsigned long long)m->st.fr_lost, (now - d->started_ns) / 1e9,
			  (unsigned long long)alert_count(d->alerts, ALERT_VMA_THRESHOLD),
			  (unsigned long long)alert_count(d->alerts, ALERT_ALLOC_FAILURE),
			  (unsigned long long)alert_count(d->alerts, ALERT_OOM_KILL),
			  js ? (unsigned long long)js->records : 0ull,
			  js ? (unsigned long long)js->bytes_written : 0ull,
			  js ? (unsigned long long)js->write_errors : 0ull);
		for (size_t i = 0; i < n; i++) {
			struct model_proc *p = r[i];
			size_t vmas = model_vma_count(p);

			sb_printf(out, "%s{\"pid\":%u,\"comm\":", i ? "," : "", p->tgid);
			sb_json_str(out, p->comm, sizeof(p->comm));
			sb_printf(out, ",\"vmas\":%zu,\"percent\":%.2f,\"growth_per_s\":%.2f,\"mapped\":%llu,"
				       "\"heap\":%llu,\"heap_hwm\":%llu,\"heap_growth\":%lld,\"resyncs\":%llu}",
				  vmas, 100.0 * vmas / d->max_map_count,
				  model_growth_rate(p, now, 60000000000ull),
				  (unsigned long long)model_mapped_bytes(p),
				  (unsigned long long)model_heap_size(p),
				  (unsigned long long)model_heap_hwm(p),
				  (long long)(p->brk - p->first_brk), (unsigned long long)p->resyncs);
		}
		sb_puts(out, "]}\n");
		free(r);
		return;
	}
	sb_printf(out, "vmatrace: %zu processes, vm.max_map_count %lu, up %.0f s\n", m->procs.len,
		  d->max_map_count, (now - d->started_ns) / 1e9);
	sb_printf(out, "tracer: %llu events, %llu dropped, %llu resyncs (%llu failed), %llu seeds, "
		       "model ", (unsigned long long)m->st.events, st[VMT_STAT_DROPS],
		  (unsigned long long)m->st.resyncs, (unsigned long long)m->st.resync_failures,
		  (unsigned long long)m->st.seeds);
	sb_size(out, model_memory(m));
	sb_printf(out, ", rss %ld KiB, cpu %.1f s\n", daemon_rss_kib(), daemon_cpu_seconds());
	sb_printf(out, "alerts: %llu vma_threshold, %llu alloc_failure, %llu oom_kill",
		  (unsigned long long)alert_count(d->alerts, ALERT_VMA_THRESHOLD),
		  (unsigned long long)alert_count(d->alerts, ALERT_ALLOC_FAILURE),
		  (unsigned long long)alert_count(d->alerts, ALERT_OOM_KILL));
	if (js)
		sb_printf(out, "; journal %s: %llu records, %llu bytes, %llu write errors",
			  d->cfg->journal_dir, (unsigned long long)js->records,
			  (unsigned long long)js->bytes_written, (unsigned long long)js->write_errors);
	sb_puts(out, "\n\n");
	sb_printf(out, "%8s %-16s %8s %7s %9s %10s %10s %10s %7s\n", "PID", "COMM", "VMAS", "%MAX",
		  "GROWTH/s", "MAPPED", "HEAP", "HEAP_HWM", "RESYNC");
	for (size_t i = 0; i < n; i++) {
		struct model_proc *p = r[i];
		size_t vmas = model_vma_count(p);

		sb_printf(out, "%8u ", p->tgid);
		{
			size_t before = out->len;

			sb_printable(out, p->comm, sizeof(p->comm));
			while (out->len - before < 16)
				sb_putc(out, ' ');
		}
		sb_printf(out, " %8zu %6.2f%% %9.1f ", vmas, 100.0 * vmas / d->max_map_count,
			  model_growth_rate(p, now, 60000000000ull));
		pad_size(out, model_mapped_bytes(p), 10);
		sb_putc(out, ' ');
		pad_size(out, model_heap_size(p), 10);
		sb_putc(out, ' ');
		pad_size(out, model_heap_hwm(p), 10);
		sb_printf(out, " %7llu\n", (unsigned long long)p->resyncs);
	}
	free(r);
}

static struct model_proc *request_proc(struct daemon *d, char *arg, struct strbuf *out)
{
	pid_t pid;
	struct model_proc *p;

	if (!arg || !sys_parse_pid(arg, &pid)) {
		sb_printf(out, "expected a pid, got '%s'", arg ? arg : "");
		return NULL;
	}
	p = model_proc_get(d->model, pid);
	if (!p) {
		pid_t tgid = sys_tgid_of(pid);

		if (tgid > 0 && tgid != pid)
			p = model_proc_get(d->model, tgid);
	}
	if (!p)
		sb_printf(out, "process %d is not tracked (no such process, or it exited)", (int)pid);
	return p;
}

static int handle_request(void *ctx, char *req, struct strbuf *out)
{
	struct daemon *d = ctx;
	char *save = NULL, *cmd = strtok_r(req, " \t", &save), *arg, *w;
	bool json = false, census = false;
	size_t top = 20;
	struct model_proc *p;

	/* Everything already in the ring buffer is applied first: a stopped process's
	 * answer then reflects every call it made. */
	consume(d);
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
		answer_status(d, out, json, top);
		return 0;
	}
	if (!strcmp(cmd, "snapshot") || !strcmp(cmd, "timeline")) {
		p = request_proc(d, arg, out);
		if (!p)
			return -1;
		if (!strcmp(cmd, "timeline"))
			model_format_timeline(d->model, p, out, json, d->realtime_offset_ns);
		else if (census)
			model_format_census(d->model, p, out, json);
		else
			model_format_maps(d->model, p, &procfs_resolver, out);
		return 0;
	}
	if (!strcmp(cmd, "metrics") && d->metrics_fn) {
		d->metrics_fn(d, out);
		return 0;
	}
	sb_printf(out, "unknown request '%s'", cmd);
	return -1;
}

/* ---- reload ---- */

static void reload(struct daemon *d)
{
	struct config *fresh = malloc(sizeof(*fresh));
	char err[512];

	if (!fresh)
		return;
	if (d->notify)
		sd_notify(0, "RELOADING=1");
	if (build_config(d, fresh, err, sizeof(err))) {
		log_err("reload: %s; keeping the running configuration", err);
		free(fresh);
		if (d->notify)
			sd_notify(0, "READY=1\nSTATUS=reload failed: kept the old configuration");
		return;
	}
	if (strcmp(fresh->socket, d->cfg->socket) || fresh->ringbuf_size != d->cfg->ringbuf_size)
		log_warn("reload: socket and ringbuf_size take effect at the next start");
	log_set_max_level(d->verbosity > 0 ? LOG_LVL_DEBUG : fresh->log_level);
	/* Swap: the alert engine and the journal follow the new settings. */
	{
		struct config *old = d->cfg;
		bool journal_changed = strcmp(old->journal_dir, fresh->journal_dir) ||
				       old->journal_segment_size != fresh->journal_segment_size ||
				       old->journal_retain_size != fresh->journal_retain_size ||
				       old->journal_retain_age_s != fresh->journal_retain_age_s ||
				       old->journal_fsync != fresh->journal_fsync ||
				       old->journal_on_full != fresh->journal_on_full;

		d->cfg = fresh;
		alert_reconfigure(d->alerts, fresh);
		if (journal_changed)
			open_journal(d);
		free(old);
	}
	if (d->reconfigure_fn)
		d->reconfigure_fn(d);
	log_info("configuration reloaded from %s", d->config_path);
	if (d->notify)
		sd_notify(0, "READY=1\nSTATUS=configuration reloaded");
}

/* ---- the loop ---- */

static void status_line(struct daemon *d)
{
	struct strbuf sb;

	sb_init(&sb);
	answer_status(d, &sb, false, 5);
	log_info("status\n%s", sb.buf ? sb.buf : "");
	sb_free(&sb);
}

static void tick(struct daemon *d, uint64_t now)
{
	unsigned long long st[VMT_STAT__COUNT];
	char msg[256];

	model_tick(d->model, now);
	alert_tick(d->alerts, now);
	d->max_map_count = sys_max_map_count(); /* the sysctl may change at any time */
	if (!tracer_read_stats(d->tracer, st) && st[VMT_STAT_DROPS] > d->drops) {
		snprintf(msg, sizeof(msg), "{\"dropped\":%llu,\"total\":%llu}", st[VMT_STAT_DROPS] - d->drops,
			 st[VMT_STAT_DROPS]);
		log_warn("%llu records dropped (ring buffer full): the model resyncs the processes "
			 "concerned; raise ringbuf_size", st[VMT_STAT_DROPS] - d->drops);
		journal_json(d, JREC_DROPS, 0, "", msg);
		d->drops = st[VMT_STAT_DROPS];
	}
	if (d->model->st.resyncs > d->resyncs_journaled) {
		snprintf(msg, sizeof(msg), "{\"resyncs\":%llu,\"total\":%llu}",
			 (unsigned long long)(d->model->st.resyncs - d->resyncs_journaled),
			 (unsigned long long)d->model->st.resyncs);
		journal_json(d, JREC_RESYNC, 0, "", msg);
		d->resyncs_journaled = d->model->st.resyncs;
	}
	if (d->journal && journal_take_error(d->journal, msg, sizeof(msg)))
		log_err("journal: %s", msg);
	if (d->journal && now >= d->next_flush) {
		journal_flush(d->journal);
		d->next_flush = now + d->cfg->journal_flush_interval_ns;
	}
	if (d->notify && d->watchdog_usec && now >= d->next_watchdog) {
		sd_notifyf(0, "WATCHDOG=1\nSTATUS=%zu processes, %llu events, %llu dropped",
			   d->model->procs.len, (unsigned long long)d->model->st.events, d->drops);
		d->next_watchdog = now + d->watchdog_usec * 1000 / 2;
	}
	if (d->tick_fn)
		d->tick_fn(d, now);
}

static int run(struct daemon *d)
{
	struct itimerspec its = { .it_interval = { 0, POLL_INTERVAL_MS * 1000000L },
				  .it_value = { 0, POLL_INTERVAL_MS * 1000000L } };
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t next_tick = daemon_mono_ns(), next_status = 0;
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	int rbfd = tracer_epoll_fd(d->tracer);

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	ev.data.fd = tfd;
	epoll_ctl(d->epfd, EPOLL_CTL_ADD, tfd, &ev);
	/* Edge-triggered: woken only when the kernel wakes us (a large backlog), not for as
	 * long as there is data; the timer collects the rest in batches. */
	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = rbfd;
	epoll_ctl(d->epfd, EPOLL_CTL_ADD, rbfd, &ev);
	ctl_server_epoll_add(d->ctl, d->epfd);
	if (d->epoll_add_fn)
		d->epoll_add_fn(d);

	while (!stop_requested) {
		struct epoll_event evs[16];
		int n = epoll_wait(d->epfd, evs, 16, -1);
		uint64_t now, ticks;

		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == tfd) {
				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					continue;
			} else if (fd != rbfd && ctl_server_owns(d->ctl, fd)) {
				ctl_server_handle(d->ctl, fd, evs[i].events);
			} else if (fd != rbfd && d->fd_fn) {
				d->fd_fn(d, fd, evs[i].events);
			}
		}
		if (reload_requested) {
			reload_requested = 0;
			reload(d);
		}
		consume(d);
		now = daemon_mono_ns();
		if (now >= next_tick) {
			tick(d, now);
			next_tick = now + 1000000000ull;
		}
		if (d->cfg->status_interval_ns && now >= next_status) {
			if (next_status)
				status_line(d);
			next_status = now + d->cfg->status_interval_ns;
		}
	}
	close(tfd);
	return 0;
}

static int detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	setsid();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (chdir("/"))
		return -errno;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	log_use_syslog(true);
	return 0;
}

/* Is stderr the journal's stream (systemd sets JOURNAL_STREAM=dev:ino)? */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st))
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

static int make_socket_dir(const char *sock)
{
	char dir[CONFIG_PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", sock);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int cli_daemon(int argc, char **argv)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct tracer_opts topts = { 0 };
	struct model_config mcfg = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	char err[512];
	int rc = 1, nprocs;
	uint64_t t0;

	if (!d)
		return 1;
	d->cfg = calloc(1, sizeof(*d->cfg));
	if (!d->cfg || parse_args(d, argc, argv)) {
		rc = EXIT_USAGE;
		goto out;
	}
	log_init("vmatrace", d->verbosity);
	if (build_config(d, d->cfg, err, sizeof(err))) {
		log_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (d->check_only) {
		printf("%s: configuration is valid\n", d->config_explicit || !access(d->config_path, F_OK) ?
								d->config_path : "built-in defaults");
		rc = 0;
		goto out;
	}
	log_set_max_level(d->verbosity > 0 ? LOG_LVL_DEBUG : d->cfg->log_level);
	d->journald = d->foreground && stderr_is_journal();
	log_set_syslog_prefix(d->journald);
	d->notify = getenv("NOTIFY_SOCKET") != NULL;
	if (d->notify) {
		uint64_t usec = 0;

		if (sd_watchdog_enabled(0, &usec) > 0)
			d->watchdog_usec = usec;
	}
	if (!d->foreground && detach()) {
		log_err("cannot detach: %s", strerror(errno));
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->realtime_offset_ns = format_realtime_offset();
	d->started_ns = t0 = daemon_mono_ns();
	d->max_map_count = sys_max_map_count();

	mcfg.timeline_resolution_ns = d->cfg->timeline_resolution_ns;
	mcfg.timeline_points = d->cfg->timeline_points;
	mcfg.flight_events = d->cfg->flight_recorder;
	mcfg.memory_limit = d->cfg->memory_limit;
	mcfg.reseed = reseed;
	mcfg.reseed_ctx = d;
	mcfg.on_point = on_point;
	mcfg.point_ctx = d;
	d->model = model_new(&mcfg);
	d->alerts = alert_new(d->cfg, on_alert, d);
	if (!d->model || !d->alerts)
		goto out;
	metrics_attach(d);

	topts.trace_all = true;
	topts.ringbuf_bytes = d->cfg->ringbuf_size;
	topts.on_record = on_record;
	topts.ctx = d;
	d->tracer = tracer_new(&topts);
	if (!d->tracer) {
		rc = TRACER_EXIT_ENV;
		goto out;
	}
	/* Attached first, seeded second: nothing falls between; events queued meanwhile
	 * replay harmlessly onto the snapshot. */
	nprocs = seed_walk(d, 0);
	if (nprocs < 0) {
		log_warn("the VMA iterator failed (%s): processes are read from /proc as they appear",
			 strerror(-nprocs));
		nprocs = 0;
	}
	if (make_socket_dir(d->cfg->socket))
		log_warn("cannot create the directory of %s: %s", d->cfg->socket, strerror(errno));
	d->ctl = ctl_server_new(d->cfg->socket, handle_request, d);
	if (!d->ctl) {
		rc = EXIT_USAGE;
		goto out;
	}
	open_journal(d);
	if (d->start_fn && d->start_fn(d)) {
		rc = EXIT_USAGE;
		goto out;
	}
	{
		char host[256] = "", json[512];

		gethostname(host, sizeof(host) - 1);
		snprintf(json, sizeof(json), "{\"version\":\"%s\",\"max_map_count\":%lu,\"hostname\":\"%s\","
					     "\"processes\":%d}", VMATRACE_VERSION, d->max_map_count, host,
			 nprocs);
		journal_json(d, JREC_DAEMON_START, 0, "", json);
		if (d->journal)
			journal_flush(d->journal);
	}
	log_info("tracing all processes: %d seeded in %.0f ms; control socket %s; journal %s", nprocs,
		 (daemon_mono_ns() - t0) / 1e6, d->cfg->socket,
		 d->journal ? d->cfg->journal_dir : "off");
	if (d->notify)
		sd_notifyf(0, "READY=1\nSTATUS=tracing %d processes", nprocs);
	rc = run(d) ? 1 : 0;
	log_info("stopping (%s)", stop_requested == SIGINT ? "SIGINT" : "SIGTERM");
	if (d->notify)
		sd_notify(0, "STOPPING=1");
	consume(d);
	journal_json(d, JREC_DAEMON_STOP, 0, "", stop_requested == SIGINT ? "{\"reason\":\"SIGINT\"}" :
							  "{\"reason\":\"SIGTERM\"}");
out:
	if (d->stop_fn)
		d->stop_fn(d);
	journal_close(d->journal);
	ctl_server_free(d->ctl);
	tracer_free(d->tracer);
	alert_free(d->alerts);
	model_free(d->model);
	if (d->epfd > 0)
		close(d->epfd);
	free(d->cfg);
	free(d);
	return rc;
}
