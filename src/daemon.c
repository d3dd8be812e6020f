// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `vmatrace daemon`: trace every process, keep the live model, serve it on
 * the control socket, raise alerts, and keep history in the journal. Runs
 * under systemd (Type=notify) or on its own. This file holds the
 * configuration's lifecycle, the records' dispatch and the start-up; the
 * modules it starts register their own fds and timers with the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "clock.h"
#include "alert.h"
#include "cgroup.h"
#include "container_read.h"
#include "cli.h"
#include "config.h"
#include "ctl.h"
#include "daemon.h"
#include "decode.h"
#include "format.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "model.h"
#include "privs.h"
#include "procfs.h"
#include "sysinfo.h"
#include "tracer.h"

/* The ring buffer's fd wakes us for a large backlog only; the rest is read in batches. */
#define POLL_INTERVAL_NS 50000000ull
#define TICK_INTERVAL_NS 1000000000ull
/* A process found gone whose records stopped this long ago lost its exit record: forget it. */
#define GONE_QUIET_NS (30 * 1000000000ull)

/*
 * Defaults, then the file, then the command line: the same order on every
 * (re)load, into a fresh struct that replaces the running one only if valid.
 */
static int build_config(struct daemon *d, struct config *c, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;

	config_defaults(c);
	/* Settings and hooks decide what runs as root: only root may change them. */
	if (!access(d->config_path, F_OK) &&
	    privs_check_file(d->config_path, "configuration", err, errlen))
		return -EPERM;
	if (config_load_file(c, d->config_path, d->config_explicit, err, errlen))
		return -EINVAL;
	for (int i = 0; i < d->nflags; i++)
		if (config_set(c, d->flags[i].key, d->flags[i].value, d->flags[i].where, err,
			       errlen))
			return -EINVAL;
	if (c->alert_exec[0] && (privs_check_file(c->alert_exec, "alert_exec", err, errlen) ||
				 privs_lookup_user(c->hook_user, &uid, &gid, err, errlen)))
		return -EPERM;
	return 0;
}

/* ---- least privilege ---- */

static int count_procs(void *ctx, const struct vmt_iter_rec *rec)
{
	(void)ctx;
	(void)rec;
	return 0;
}

/* Does the VMA iterator read a process (a resync's first step)? A child of ours that waits:
 * the iterator leaves the tracer itself out. */
static int probe_seed(void *ctx)
{
	struct daemon *d = ctx;

	return tracer_seed(d->tracer, d->probe_pid, count_procs, NULL);
}

static bool metrics_low_port(const struct config *c)
{
	char host[CONFIG_PATH_MAX];
	unsigned int port;
	bool on;

	return c->metrics_listen[0] &&
	       !metrics_parse_listen(c->metrics_listen, &on, host, sizeof(host), &port) && on &&
	       port < 1024;
}

/* Everything is loaded, attached and bound: keep only what the running features need. */
static int drop_privileges(struct daemon *d)
{
	char err[512];

	d->privs.hooks = d->cfg->alert_exec[0];
	d->privs.low_port = metrics_low_port(d->cfg);
	d->probe_pid = fork();
	if (d->probe_pid == 0) {
		pause();
		_exit(0);
	}
	d->privs.bpf_runtime = d->probe_pid > 0 ? privs_probe_bpf_caps(probe_seed, d) : ~0u;
	if (d->probe_pid > 0) {
		kill(d->probe_pid, SIGKILL);
		waitpid(d->probe_pid, NULL, 0);
	}
	if (privs_drop(&d->privs, err, sizeof(err))) {
		log_err("%s", err);
		return -1;
	}
	d->privs_dropped = true;
	return 0;
}

/* A reload may not ask for what the start-up gave away. */
static int reload_within_privileges(struct daemon *d, const struct config *c, char *err,
				    size_t errlen)
{
	if (!d->privs_dropped)
		return 0;
	if (c->alert_exec[0] && !d->privs.hooks) {
		snprintf(err, errlen,
			 "alert_exec: a hook added by a reload needs a restart (the daemon dropped "
			 "CAP_SETUID, CAP_SETGID and CAP_KILL at start, having no hook)");
		return -EPERM;
	}
	if (metrics_low_port(c) && !d->privs.low_port) {
		snprintf(err, errlen,
			 "metrics_listen: a port below 1024 added by a reload needs a restart (the "
			 "daemon dropped CAP_NET_BIND_SERVICE at start)");
		return -EPERM;
	}
	return 0;
}

/* ---- which processes the alerts and the journal are about ---- */

bool daemon_selects(struct daemon *d, struct model_proc *p)
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
		p->cgroup = cgroup_of_pid(&cgroup_fs_host, p->tgid);
	for (int i = 0; i < c->n_trace_cgroup && p->cgroup; i++)
		if (!strncmp(c->trace_cgroup[i], p->cgroup, strlen(c->trace_cgroup[i])))
			return true;
	return false;
}

const struct container *daemon_container(struct daemon *d, struct model_proc *p)
{
	const struct cgroup_fs *fs = d->cgroup_fs ? d->cgroup_fs : &cgroup_fs_host;
	struct container c;

	if (p->container_read)
		return p->container;
	p->container_read = true;
	if (!d->container_names)
		d->container_names = calloc(1, sizeof(*d->container_names));
	if (!container_of_pid(fs, d->container_names, p->tgid, &c) &&
	    !container_of_path(fs, d->container_names, p->cgroup, &c))
		return NULL;
	p->container = malloc(sizeof(c));
	if (p->container)
		*p->container = c;
	daemon_journal_container(d, p);
	return p->container;
}

void daemon_container_forget(struct model_proc *p)
{
	free(p->container);
	p->container = NULL;
	p->container_read = false;
}

/* ---- records ---- */

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

static int seed_iter(void *ctx, uint32_t tgid, procfs_seed_fn fn, void *fn_ctx)
{
	struct daemon *d = ctx;

	return tracer_seed(d->tracer, tgid, fn, fn_ctx);
}

/*
 * Whole or not at all (procfs_reseed): a process that exited before its records were read
 * keeps what they said (its exit census, an OOM victim's history); one whose exit record
 * was lost is forgotten on a tick (model_forget_gone).
 */
static int reseed(void *ctx, uint32_t tgid)
{
	struct daemon *d = ctx;

	return procfs_reseed(d->model, tgid, seed_iter, d);
}

static void repair_lost(void *ctx, uint32_t tgid)
{
	struct daemon *d = ctx;

	model_repair(d->model, tgid);
}

/*
 * Records were dropped since the last look: every process that lost some is
 * read again from the kernel (the BPF side marks them), after the records
 * still in the ring were applied.
 */
static void repair_drops(struct daemon *d)
{
	unsigned long long st[VMT_STAT__COUNT];

	if (tracer_read_stats(d->tracer, st) || st[VMT_STAT_DROPS] <= d->drops_repaired)
		return;
	tracer_take_lost(d->tracer, repair_lost, d);
	d->drops_repaired = st[VMT_STAT_DROPS];
}

void daemon_consume(struct daemon *d)
{
	if (d->in_consume || !d->tracer)
		return;
	d->in_consume = true;
	tracer_consume(d->tracer);
	repair_drops(d);
	d->in_consume = false;
}

/*
 * The process of the OOM victim: the tracepoint gives the thread the kernel marked. A
 * victim's thread that allocates while the process dies is marked too, as current: that
 * is the trigger's process.
 */
static uint32_t oom_victim_tgid(const struct vmt_oom_rec *r)
{
	uint32_t tgid;

	if (r->victim_pid == r->hdr.tid)
		return r->hdr.tgid;
	tgid = procfs_tgid_of(r->victim_pid);
	return tgid ? tgid : r->victim_pid;
}

static void on_oom(struct daemon *d, const struct vmt_oom_rec *rec)
{
	struct vmt_oom_rec r = *rec;
	uint32_t tgid = oom_victim_tgid(rec);
	struct model_proc *victim;
	struct alert_oom_info info;

	/* One kill, one incident: the other threads' marks are the same kill. */
	if (alert_oom_repeat(d->alerts, tgid)) {
		log_debug("OOM kill of %u: thread %u marked too (the same kill)", tgid,
			  rec->victim_pid);
		return;
	}
	r.victim_pid = tgid;
	victim = model_proc_get(d->model, tgid);
	d->ooms++;
	cgroup_oom_info(&cgroup_fs_host, &r, victim ? victim->memcg_id : 0,
			victim ? victim->cgroup : NULL, &info);
	if (victim && daemon_container(d, victim))
		info.container = *victim->container;
	else
		container_of_path(&cgroup_fs_host, d->container_names, info.memcg, &info.container);
	info.victim_tid = tgid != rec->victim_pid ? rec->victim_pid : 0;
	alert_oom(d->alerts, victim, &r, &info, d->realtime_offset_ns);
}

static void on_syscall(struct daemon *d, struct model_proc *p, const struct vmt_syscall_rec *r)
{
	int err = r->sys < VMT_SYS__COUNT ? decode_ret_errno(r->sys, r->ret) : 0;

	if (r->sys < VMT_SYS__COUNT) {
		d->calls[r->sys]++;
		if (err)
			d->failures[r->sys][err < METRICS_MAX_ERRNO ? err : 0]++;
	}
	if (!p || !daemon_selects(d, p))
		return;
	daemon_container(d, p); /* once per process: what its alerts say */
	if (err)
		alert_check_failure(d->alerts, p, r, d->max_map_count, d->realtime_offset_ns);
	alert_check_vmas(d->alerts, p, d->max_map_count, r->hdr.ts_ns, d->realtime_offset_ns);
}

/*
 * An exit: what the rate limit still holds is alerted while the process is modeled, and
 * its failure counts are copied for the journal before the model forgets it.
 */
static void on_exit_record(struct daemon *d, const struct vmt_exit_rec *r, size_t size)
{
	struct model_proc *p = model_proc_get(d->model, r->hdr.tgid);
	struct model_fail fails[MODEL_FAIL_KEYS];
	uint32_t census[VK__COUNT];
	uint32_t nfails = 0;
	uint64_t failures = 0;
	struct container ctr = { 0 };

	if (p) {
		/* What the count was made of, for the journal's exit record. */
		memcpy(census, p->count, sizeof(census));
		if (daemon_selects(d, p)) {
			daemon_container(d, p);
			alert_flush_failures(d->alerts, p, d->max_map_count, p->last_ns, true,
					     d->realtime_offset_ns);
		}
		nfails = p->nfails;
		if (nfails)
			memcpy(fails, p->fails, nfails * sizeof(*fails));
		failures = p->failures;
		if (p->container)
			ctr = *p->container;
	}
	daemon_sites_note(d, r, size);
	model_apply(d->model, r, size);
	alert_forget(d->alerts, r->hdr.tgid);
	daemon_journal_exit(d, r, fails, nfails, failures, p ? census : NULL, &ctr);
}

int daemon_on_record(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;
	const struct vmt_hdr *h = data;
	struct site_before before;
	struct model_proc *p;

	/* Checked against its type's size before any field is read. */
	if (!decode_rec_fits(data, size)) {
		d->malformed++;
		return 0;
	}

	if (d->cfg->journal_raw_events && d->journal && h->type != VMT_REC_VMA)
		journal_append(d->journal, JREC_RAW, h->tgid, h->comm,
			       h->ts_ns + d->realtime_offset_ns, data, size);
	if (h->type == VMT_REC_OOM) {
		on_oom(d, data);
		return 0;
	}
	if (h->type == VMT_REC_EXIT) {
		on_exit_record(d, data, size);
		return 0;
	}
	daemon_sites_note(d, data, size);
	daemon_sites_before(d, data, size, &before);
	model_apply(d->model, data, size);
	daemon_sites_after(d, data, size, &before);
	p = model_proc_get(d->model, h->tgid);
	switch (h->type) {
	case VMT_REC_SYSCALL:
		on_syscall(d, p, data);
		break;
	case VMT_REC_EXEC:
		if (p) {
			free(p->cgroup);
			p->cgroup = cgroup_of_pid(&cgroup_fs_host, h->tgid);
			daemon_container_forget(p);
		}
		break;
	}
	return 0;
}

/* On the way out: what the rate limit still holds is alerted, not lost. */
static void flush_all_failures(struct daemon *d)
{
	uint64_t k;
	void *v;

	for (size_t i = 0; (i = hmap_next(&d->model->procs, i, &k, &v));)
		alert_flush_failures(d->alerts, v, d->max_map_count, clock_mono_ns(), true,
				     d->realtime_offset_ns);
}

/* ---- the loop's timers and fds ---- */

static void on_ringbuf(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	daemon_consume(ctx);
}

static void on_poll(void *ctx)
{
	daemon_consume(ctx);
}

static void on_tick(void *ctx)
{
	struct daemon *d = ctx;
	unsigned long long st[VMT_STAT__COUNT];
	uint64_t now = clock_mono_ns();

	daemon_consume(d);
	model_tick(d->model, now);
	model_forget_gone(d->model, now, GONE_QUIET_NS);
	alert_tick(d->alerts, now);
	alert_tick_failures(d->alerts, d->model, d->max_map_count, now, d->realtime_offset_ns);
	if (d->max_map_count != sys_max_map_count()) { /* the sysctl may change at any time */
		d->max_map_count = sys_max_map_count();
		daemon_sites_configure(d);
	}
	daemon_journal_tick(d, tracer_read_stats(d->tracer, st) ? NULL : st);
	if (d->journal && now >= d->next_flush) {
		journal_flush(d->journal);
		d->next_flush = now + d->cfg->journal_flush_interval_ns;
	}
	if (d->notify && d->watchdog_usec && now >= d->next_watchdog) {
		sd_notifyf(0, "WATCHDOG=1\nSTATUS=%zu processes, %llu events, %llu dropped",
			   d->model->procs.len, (unsigned long long)d->model->st.events, d->drops);
		d->next_watchdog = now + d->watchdog_usec * 1000 / 2;
	}
}

static void on_status(void *ctx)
{
	struct strbuf sb;

	sb_init(&sb);
	daemon_status(ctx, &sb, false, 5);
	/* One log entry per line of the table: a log message never spans lines. */
	log_info("status:");
	for (char *line = sb.buf, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		else
			*nl = 0;
		if (*line)
			log_info("  %s", line);
	}
	sb_free(&sb);
}

/* The periodic status in the log, every status_interval (0: never). */
static void schedule_status(struct daemon *d)
{
	uint64_t interval = d->cfg->status_interval_ns;

	if (d->status_timer && interval == d->status_interval_ns)
		return;
	loop_cancel_timer(d->loop, d->status_timer);
	d->status_timer = interval ? loop_add_timer(d->loop, interval, interval, on_status, d) : 0;
	d->status_interval_ns = interval;
}

/* ---- reload ---- */

int daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	struct config *fresh = malloc(sizeof(*fresh)), *old = d->cfg;
	bool journal_changed;

	if (!fresh) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (d->notify)
		sd_notify(0, "RELOADING=1");
	if (build_config(d, fresh, err, errlen) ||
	    reload_within_privileges(d, fresh, err, errlen)) {
		log_err("reload: %s; keeping the running configuration", err);
		free(fresh);
		if (d->notify)
			sd_notify(0, "READY=1\nSTATUS=reload failed: kept the old configuration");
		return -EINVAL;
	}
	if (strcmp(fresh->socket, d->cfg->socket) || fresh->ringbuf_size != d->cfg->ringbuf_size ||
	    fresh->stack_window != d->cfg->stack_window)
		log_warn(
			"reload: socket, ringbuf_size and stack_window take effect at the next start");
	log_set_max_level(d->verbosity > 0 ? LOG_LVL_DEBUG : fresh->log_level);
	/* Swap: the alert engine and the journal follow the new settings. */
	journal_changed = strcmp(old->journal_dir, fresh->journal_dir) ||
			  old->journal_segment_size != fresh->journal_segment_size ||
			  old->journal_retain_size != fresh->journal_retain_size ||
			  old->journal_retain_age_s != fresh->journal_retain_age_s ||
			  old->journal_fsync != fresh->journal_fsync ||
			  old->journal_on_full != fresh->journal_on_full;
	d->cfg = fresh;
	alert_reconfigure(d->alerts, fresh);
	if (journal_changed || d->journal_down)
		daemon_open_journal(d);
	metrics_reconfigure(d->metrics, fresh);
	daemon_sites_configure(d);
	free(old);
	daemon_journal_config(d); /* the report draws the thresholds in force */
	schedule_status(d);
	log_info("configuration reloaded from %s", d->config_path);
	if (d->notify)
		sd_notify(0, "READY=1\nSTATUS=configuration reloaded");
	return 0;
}

static void on_hup(void *ctx, int sig)
{
	char err[512];

	(void)sig;
	daemon_reload(ctx, err, sizeof(err));
}

/* ---- start-up ---- */

/* The loop and what the daemon itself registers with it: signals, the ring buffer, timers. */
static int setup_loop(struct daemon *d)
{
	d->loop = loop_new();
	if (!d->loop || loop_add_stop_signal(d->loop, SIGINT) ||
	    loop_add_stop_signal(d->loop, SIGTERM) || loop_add_signal(d->loop, SIGHUP, on_hup, d)) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int watch_ringbuf(struct daemon *d)
{
	int fd = tracer_epoll_fd(d->tracer),
	    err = loop_add_fd(d->loop, fd, EPOLLIN | EPOLLET, on_ringbuf, d);

	if (err || !loop_add_timer(d->loop, POLL_INTERVAL_NS, POLL_INTERVAL_NS, on_poll, d) ||
	    !loop_add_timer(d->loop, 0, TICK_INTERVAL_NS, on_tick, d)) {
		log_err("cannot add the ring buffer to the event loop: %s",
			strerror(err ? -err : ENOMEM));
		return -1;
	}
	schedule_status(d);
	return 0;
}

static int start_model(struct daemon *d)
{
	struct model_config mcfg = {
		.timeline_resolution_ns = d->cfg->timeline_resolution_ns,
		.timeline_points = d->cfg->timeline_points,
		.flight_events = d->cfg->flight_recorder,
		.memory_limit = d->cfg->memory_limit,
		.reseed = reseed,
		.reseed_ctx = d,
		.on_point = daemon_on_point,
		.point_ctx = d,
	};

	d->model = model_new(&mcfg);
	d->alerts = alert_new(d->cfg, daemon_on_alert, d);
	if (d->alerts)
		alert_set_summary(d->alerts, daemon_on_alert_summary, d);
	return d->model && d->alerts ? 0 : -1;
}

int cli_daemon(int argc, char **argv)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct tracer_opts topts = { 0 };
	char err[512];
	int rc = 1, nprocs, err_loop;
	uint64_t t0;

	if (!d)
		return 1;
	d->cfg = calloc(1, sizeof(*d->cfg));
	if (!d->cfg || daemon_parse_args(d, argc, argv)) {
		rc = EXIT_USAGE;
		goto out;
	}
	log_init("vmatrace", d->verbosity);
	/* What it creates holds other users' layouts: 0640 at most (the socket sets its own). */
	umask(027);
	if (build_config(d, d->cfg, err, sizeof(err))) {
		log_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (d->check_only) {
		bool file = d->config_explicit || !access(d->config_path, F_OK);

		printf("%s: configuration is valid\n", file ? d->config_path : "built-in defaults");
		rc = 0;
		goto out;
	}
	log_set_max_level(d->verbosity > 0 ? LOG_LVL_DEBUG : d->cfg->log_level);
	d->journald = d->foreground && daemon_stderr_is_journal();
	log_set_syslog_prefix(d->journald);
	d->notify = getenv("NOTIFY_SOCKET") != NULL;
	if (d->notify) {
		uint64_t usec = 0;

		if (sd_watchdog_enabled(0, &usec) > 0)
			d->watchdog_usec = usec;
	}
	if (!d->foreground && daemon_detach()) {
		log_err("cannot detach: %s", strerror(errno));
		goto out;
	}
	if (setup_loop(d))
		goto out;
	d->realtime_offset_ns = format_realtime_offset();
	d->started_ns = t0 = clock_mono_ns();
	d->max_map_count = sys_max_map_count();
	if (start_model(d))
		goto out;

	topts.trace_all = true;
	topts.ringbuf_bytes = d->cfg->ringbuf_size;
	topts.ustack_window = d->cfg->stack_window;
	topts.on_record = daemon_on_record;
	topts.ctx = d;
	d->tracer = tracer_new(&topts);
	if (!d->tracer) {
		rc = TRACER_EXIT_ENV;
		goto out;
	}
	if (daemon_sites_init(d))
		goto out;
	daemon_sites_configure(d);
	/* Attached first, seeded second: nothing falls between; events queued meanwhile
	 * replay harmlessly onto the snapshot. */
	nprocs = seed_walk(d, 0);
	if (nprocs < 0) {
		log_warn("the VMA iterator failed (%s): processes are read from /proc as they "
			 "appear",
			 strerror(-nprocs));
		nprocs = 0;
	}
	/* Every process's timeline starts with what it holds now, quiet or not. */
	model_tl_mark(d->model, clock_mono_ns());
	if (daemon_make_socket_dir(d->cfg->socket))
		log_warn("cannot create the directory of %s: %s", d->cfg->socket, strerror(errno));
	d->ctl = ctl_server_new(d->cfg->socket, d->loop, daemon_handle_request, d);
	if (!d->ctl) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (daemon_open_journal(d) && !d->journal_down) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* Metrics that cannot listen are logged; the daemon runs on without them. */
	d->metrics = metrics_new(d->loop, d->cfg, daemon_metrics_view, d);
	if (drop_privileges(d) || watch_ringbuf(d))
		goto out;
	daemon_journal_start(d, nprocs);
	log_info("tracing all processes: %d seeded in %.0f ms; control socket %s; journal %s",
		 nprocs, (clock_mono_ns() - t0) / 1e6, d->cfg->socket,
		 d->journal ? d->cfg->journal_dir : "off");
	if (d->notify)
		sd_notifyf(0, "READY=1\nSTATUS=tracing %d processes", nprocs);
	err_loop = loop_run(d->loop);
	if (err_loop)
		log_err("the event loop failed: %s", strerror(-err_loop));
	rc = err_loop ? 1 : 0;
	log_info("stopping (%s)", loop_stop_signal(d->loop) == SIGINT ? "SIGINT" : "SIGTERM");
	if (d->notify)
		sd_notify(0, "STOPPING=1");
	daemon_consume(d);
	flush_all_failures(d);
	alert_storm_end(d->alerts, clock_mono_ns());
	daemon_journal_stop(d, loop_stop_signal(d->loop));
out:
	metrics_free(d->metrics);
	journal_close(d->journal);
	ctl_server_free(d->ctl);
	tracer_free(d->tracer);
	daemon_sites_fini(d);
	alert_free(d->alerts);
	model_free(d->model);
	loop_free(d->loop);
	free(d->cfg);
	free(d->container_names);
	free(d);
	return rc;
}
