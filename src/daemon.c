// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `vmatrace daemon`: trace every process, keep the live model, serve it on
 * the control socket.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"
#include "format.h"
#include "log.h"
#include "model.h"
#include "sysinfo.h"
#include "tracer.h"

#define POLL_INTERVAL_MS 50

struct daemon_args {
	const char *socket;
	size_t ringbuf_bytes;
	double timeline_resolution;
	unsigned long timeline_points;
	unsigned long flight_events;
	size_t memory_limit;
	double status_interval;
	bool foreground;
};

struct daemon {
	struct daemon_args a;
	struct tracer *tracer;
	struct model *model;
	struct ctl_server *ctl;
	long long realtime_offset_ns;
	unsigned long long drops;
	unsigned long max_map_count;
	uint64_t started_ns;
	bool in_consume;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	if (stop_requested)
		_exit(128 + sig);
	stop_requested = sig;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmatrace daemon [options]\n"
		"\n"
		"Trace every process, keep an exact model of each address space (VMAs, heap\n"
		"break, timelines) and serve it on a control socket for 'vmatrace status',\n"
		"'vmatrace snapshot' and 'vmatrace timeline'.\n"
		"\n"
		"  --foreground             stay in the foreground (the only mode for now)\n"
		"  --socket PATH            control socket (default " CTL_DEFAULT_SOCKET ")\n"
		"  --ringbuf-size SIZE      ring buffer size (default 16M)\n"
		"  --timeline-resolution S  seconds per timeline point (default 1)\n"
		"  --timeline-points N      points kept per process (default 3600)\n"
		"  --flight-recorder N      raw events kept per process (default 4096)\n"
		"  --memory-limit SIZE      cap on timelines + flight recorders (default 256M)\n"
		"  --status-interval SECS   print a status line to stderr every SECS\n"
		"  -v, --verbose            debug output\n");
}

static int parse_args(int argc, char **argv, struct daemon_args *a, int *verbosity)
{
	enum { O_SOCKET = 256, O_RINGBUF, O_TLRES, O_TLPOINTS, O_FLIGHT, O_MEMLIMIT, O_STATUS, O_FG };
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "ringbuf-size", required_argument, NULL, O_RINGBUF },
		{ "timeline-resolution", required_argument, NULL, O_TLRES },
		{ "timeline-points", required_argument, NULL, O_TLPOINTS },
		{ "flight-recorder", required_argument, NULL, O_FLIGHT },
		{ "memory-limit", required_argument, NULL, O_MEMLIMIT },
		{ "status-interval", required_argument, NULL, O_STATUS },
		{ "foreground", no_argument, NULL, O_FG },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	int c;

	a->socket = CTL_DEFAULT_SOCKET;
	a->ringbuf_bytes = 16u << 20;
	a->timeline_resolution = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_SOCKET: a->socket = optarg; break;
		case O_FG: a->foreground = true; break;
		case 'v': (*verbosity)++; break;
		case 'h': usage(stdout); exit(0);
		case O_RINGBUF:
			if (!cli_parse_size(optarg, &a->ringbuf_bytes) || a->ringbuf_bytes < 4096) {
				log_err("invalid --ringbuf-size '%s'", optarg);
				return -1;
			}
			break;
		case O_MEMLIMIT:
			if (!cli_parse_size(optarg, &a->memory_limit) || !a->memory_limit) {
				log_err("invalid --memory-limit '%s'", optarg);
				return -1;
			}
			break;
		case O_TLRES:
			if (!cli_parse_seconds(optarg, &a->timeline_resolution) ||
			    a->timeline_resolution < 0.001) {
				log_err("invalid --timeline-resolution '%s' (at least 1ms)", optarg);
				return -1;
			}
			break;
		case O_STATUS:
			if (!cli_parse_seconds(optarg, &a->status_interval)) {
				log_err("invalid --status-interval '%s'", optarg);
				return -1;
			}
			break;
		case O_TLPOINTS:
		case O_FLIGHT: {
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !v || v > 10000000) {
				log_err("invalid %s '%s': expected 1 to 10000000",
					c == O_TLPOINTS ? "--timeline-points" : "--flight-recorder", optarg);
				return -1;
			}
			*(c == O_TLPOINTS ? &a->timeline_points : &a->flight_events) = v;
			break;
		}
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

/* ---- seeding ---- */

struct seed_ctx {
	struct model *m;
	struct model_proc *p;
};

static int on_seed(void *ctx, const struct vmt_iter_rec *r)
{
	struct seed_ctx *s = ctx;

	if (r->kind == VMT_ITER_PROC) {
		if (s->p)
			model_seed_end(s->m, s->p);
		s->p = model_seed_begin(s->m, r->tgid, r->comm, r->map_count, r->start_brk, r->brk);
		return 0;
	}
	if (s->p && s->p->tgid == r->tgid)
		model_seed_vma(s->m, s->p, &r->vma);
	return 0;
}

/* Read one process (tgid) or all (0) with the BPF iterator; returns processes read. */
static int seed_walk(struct daemon *d, uint32_t tgid)
{
	struct seed_ctx s = { .m = d->model };
	bool bracket = !d->model->walk_start_ns;
	int n;

	if (bracket)
		model_seed_walk_begin(d->model);
	n = tracer_seed(d->tracer, tgid, on_seed, &s);
	if (s.p)
		model_seed_end(d->model, s.p);
	if (bracket)
		model_seed_walk_end(d->model);
	return n;
}

static int seed(struct daemon *d, uint32_t tgid)
{
	int n = seed_walk(d, tgid);

	if (tgid && n <= 0)
		return model_seed_from_proc(d->model, tgid); /* the iterator could not: /proc */
	return n < 0 ? n : 0;
}

static int reseed(void *ctx, uint32_t tgid)
{
	struct daemon *d = ctx;
	int err = seed(d, tgid);

	if (err == -ENOENT || err == -ESRCH) {
		/* Gone: nothing left to model. */
		model_proc_drop(d->model, tgid);
		return 0;
	}
	return err;
}

/* ---- answers ---- */

static void consume(struct daemon *d)
{
	if (d->in_consume)
		return;
	d->in_consume = true;
	tracer_consume(d->tracer);
	d->in_consume = false;
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

static long self_rss_kib(void)
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

static void answer_status(struct daemon *d, struct strbuf *out, bool json, size_t top)
{
	struct model *m = d->model;
	struct rank *r = calloc(m->procs.len + 1, sizeof(*r));
	unsigned long long st[VMT_STAT__COUNT] = { 0 };
	uint64_t now = mono_ns(), k;
	size_t n = 0;
	void *v;

	tracer_read_stats(d->tracer, st);
	d->max_map_count = sys_max_map_count();
	for (size_t i = 0; r && (i = hmap_next(&m->procs, i, &k, &v));) {
		r[n].p = v;
		r[n].vmas = model_vma_count(v);
		n++;
	}
	if (r)
		qsort(r, n, sizeof(*r), rank_cmp);
	if (top && n > top)
		n = top;
	if (json) {
		sb_printf(out, "{\"max_map_count\":%lu,\"processes\":%zu,\"events\":%llu,\"drops\":%llu,"
			       "\"resyncs\":%llu,\"resync_failures\":%llu,\"seeds\":%llu,\"model_bytes\":%llu,"
			       "\"rss_kib\":%ld,\"flight_lost\":%llu,\"uptime_s\":%.1f,\"top\":[",
			  d->max_map_count, m->procs.len, (unsigned long long)m->st.events,
			  st[VMT_STAT_DROPS], (unsigned long long)m->st.resyncs,
			  (unsigned long long)m->st.resync_failures, (unsigned long long)m->st.seeds,
			  (unsigned long long)model_memory(m), self_rss_kib(),
			  (unsigned long long)m->st.fr_lost, (now - d->started_ns) / 1e9);
		for (size_t i = 0; i < n; i++) {
			struct model_proc *p = r[i].p;

			sb_printf(out, "%s{\"pid\":%u,\"comm\":", i ? "," : "", p->tgid);
			sb_json_str(out, p->comm, sizeof(p->comm));
			sb_printf(out, ",\"vmas\":%zu,\"percent\":%.2f,\"growth_per_s\":%.2f,\"mapped\":%llu,"
				       "\"heap\":%llu,\"heap_hwm\":%llu,\"heap_growth\":%lld,\"resyncs\":%llu}",
				  r[i].vmas, 100.0 * r[i].vmas / d->max_map_count,
				  model_growth_rate(p, now, 60000000000ull),
				  (unsigned long long)model_mapped_bytes(p),
				  (unsigned long long)(p->brk > p->start_brk ? p->brk - p->start_brk : 0),
				  (unsigned long long)(p->brk_hwm > p->start_brk ? p->brk_hwm - p->start_brk : 0),
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
	sb_printf(out, ", rss %ld KiB\n\n", self_rss_kib());
	sb_printf(out, "%8s %-16s %8s %7s %9s %10s %10s %10s %7s\n", "PID", "COMM", "VMAS", "%MAX",
		  "GROWTH/s", "MAPPED", "HEAP", "HEAP_HWM", "RESYNC");
	for (size_t i = 0; i < n; i++) {
		struct model_proc *p = r[i].p;
		size_t before;

		sb_printf(out, "%8u %-16.*s %8zu %6.2f%% %9.1f ", p->tgid, VMT_COMM_LEN, p->comm,
			  r[i].vmas, 100.0 * r[i].vmas / d->max_map_count,
			  model_growth_rate(p, now, 60000000000ull));
		before = out->len;
		sb_size(out, model_mapped_bytes(p));
		while (out->len - before < 10)
			sb_putc(out, ' ');
		sb_putc(out, ' ');
		before = out->len;
		sb_size(out, p->brk > p->start_brk ? p->brk - p->start_brk : 0);
		while (out->len - before < 10)
			sb_putc(out, ' ');
		sb_putc(out, ' ');
		before = out->len;
		sb_size(out, p->brk_hwm > p->start_brk ? p->brk_hwm - p->start_brk : 0);
		while (out->len - before < 10)
			sb_putc(out, ' ');
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
			model_format_maps(d->model, p, out);
		return 0;
	}
	sb_printf(out, "unknown request '%s'", cmd);
	return -1;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;

	model_apply(d->model, data, size);
	return 0;
}

static void status_line(struct daemon *d)
{
	struct strbuf sb;

	sb_init(&sb);
	answer_status(d, &sb, false, 5);
	fputs(sb.buf ? sb.buf : "", stderr);
	fputc('\n', stderr);
	sb_free(&sb);
}

static int run(struct daemon *d)
{
	struct itimerspec its = { .it_interval = { 0, POLL_INTERVAL_MS * 1000000L },
				  .it_value = { 0, POLL_INTERVAL_MS * 1000000L } };
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t next_tick = mono_ns(), next_status;
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	int rbfd = tracer_epoll_fd(d->tracer);

	if (epfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	ev.data.fd = tfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.fd = rbfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, rbfd, &ev);
	ctl_server_epoll_add(d->ctl, epfd);
	next_status = mono_ns() + (uint64_t)(d->a.status_interval * 1e9);

	while (!stop_requested) {
		struct epoll_event evs[16];
		int n = epoll_wait(epfd, evs, 16, -1);
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
			}
		}
		consume(d);
		now = mono_ns();
		if (now >= next_tick) {
			unsigned long long st[VMT_STAT__COUNT];

			model_tick(d->model, now);
			if (!tracer_read_stats(d->tracer, st) && st[VMT_STAT_DROPS] > d->drops) {
				log_warn("%llu records dropped (ring buffer full): the model resyncs "
					 "the processes concerned; raise --ringbuf-size",
					 st[VMT_STAT_DROPS] - d->drops);
				d->drops = st[VMT_STAT_DROPS];
			}
			next_tick = now + 1000000000ull;
		}
		if (d->a.status_interval > 0 && now >= next_status) {
			status_line(d);
			next_status = now + (uint64_t)(d->a.status_interval * 1e9);
		}
	}
	close(tfd);
	close(epfd);
	return 0;
}

int cli_daemon(int argc, char **argv)
{
	struct daemon d = { 0 };
	struct tracer_opts topts = { 0 };
	struct model_config mcfg = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	int verbosity = 0, rc = 1, nprocs;
	uint64_t t0;

	if (parse_args(argc, argv, &d.a, &verbosity))
		return EXIT_USAGE;
	log_init("vmatrace", verbosity);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.realtime_offset_ns = format_realtime_offset();
	d.started_ns = t0 = mono_ns();
	d.max_map_count = sys_max_map_count();

	mcfg.timeline_resolution_ns = (uint64_t)(d.a.timeline_resolution * 1e9);
	mcfg.timeline_points = d.a.timeline_points;
	mcfg.flight_events = d.a.flight_events;
	mcfg.memory_limit = d.a.memory_limit;
	mcfg.reseed = reseed;
	mcfg.reseed_ctx = &d;
	d.model = model_new(&mcfg);
	if (!d.model)
		goto out;

	topts.trace_all = true;
	topts.ringbuf_bytes = d.a.ringbuf_bytes;
	topts.on_record = on_record;
	topts.ctx = &d;
	d.tracer = tracer_new(&topts);
	if (!d.tracer) {
		rc = TRACER_EXIT_ENV;
		goto out;
	}
	/* Attached first, seeded second: nothing falls between; events queued meanwhile
	 * replay harmlessly onto the snapshot. */
	nprocs = seed_walk(&d, 0);
	if (nprocs < 0) {
		log_warn("the VMA iterator failed (%s): processes are read from /proc as they appear",
			 strerror(-nprocs));
		nprocs = 0;
	}
	d.ctl = ctl_server_new(d.a.socket, handle_request, &d);
	if (!d.ctl) {
		rc = EXIT_USAGE;
		goto out;
	}
	log_info("tracing all processes: %d seeded in %.0f ms, control socket %s", nprocs,
		 (mono_ns() - t0) / 1e6, d.a.socket);
	rc = run(&d) ? 1 : 0;
	log_info("stopping (%s)", stop_requested == SIGINT ? "SIGINT" : "SIGTERM");
out:
	ctl_server_free(d.ctl);
	tracer_free(d.tracer);
	model_free(d.model);
	return rc;
}
