// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `vmatrace trace`: strace-like live tracing of the memory-mapping calls of
 * some processes (-p, or a command to start), or of all of them (-a).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_trace_args.h"
#include "clock.h"
#include "decode.h"
#include "format.h"
#include "jsonw.h"
#include "log.h"
#include "loop.h"
#include "model.h"
#include "procfs.h"
#include "trace_stacks.h"
#include "summary.h"
#include "sysinfo.h"
#include "tracer.h"

#define POLL_INTERVAL_NS 50000000L
#define STACK_POLL_INTERVAL_NS 5000000L

struct trace_session {
	struct trace_args a;
	struct loop *loop;
	struct tracer *tracer;
	struct format_opts fo;
	struct strbuf line;
	FILE *out;
	struct summary sum;
	struct model *model; /* --model, and DWARF stacks: the live model of the traced processes */
	struct trace_stacks stacks; /* --stack */
	struct hmap live;	    /* traced tgids still running (not with -a) */
	unsigned long max_map_count;
	unsigned long long drops_reported;
	unsigned long long last_ts;
	pid_t child;
	int child_status;
	bool child_reaped;
	bool write_failed;
	double start, next_summary;
	uint64_t next_liveness_ns;
};

static void emit_line(struct trace_session *s)
{
	if (sb_write(&s->line, s->out) && !s->write_failed) {
		log_err("cannot write the trace: %s", strerror(errno));
		s->write_failed = true;
		loop_stop(s->loop);
	}
	sb_reset(&s->line);
}

static void live_add(struct trace_session *s, unsigned int tgid)
{
	if (!hmap_get(&s->live, tgid) && hmap_put(&s->live, tgid, (void *)1))
		log_warn("out of memory tracking pid %u", tgid);
}

/* --model: the kind of the VMA the call produced, NULL if unknown. */
static const char *vma_kind(struct trace_session *s, const struct vmt_syscall_rec *r)
{
	struct model_proc *p = s->model ? model_proc_get(s->model, r->hdr.tgid) : NULL;
	struct vma_entry *e = p && r->vma[0].valid ? vmamap_find(p->map, r->vma[0].start) : NULL;

	return e ? model_kind_name(e->kind) : NULL;
}

/* A syscall line's text additions: "  kind=K" at its end, then the frames under it (-k). */
static void annotate_text(struct trace_session *s, const struct vmt_syscall_rec *r, size_t size)
{
	const char *kind = s->a.model ? vma_kind(s, r) : NULL;

	if (kind && s->line.len && s->line.buf[s->line.len - 1] == '\n') {
		/* The text line is ours to extend: its newline moves after the kind. */
		s->line.buf[--s->line.len] = 0;
		sb_printf(&s->line, "  kind=%s\n", kind);
	}
	trace_stacks_text(&s->stacks, s->model, r, size, &s->line);
}

struct json_additions {
	struct trace_session *s;
	const struct vmt_syscall_rec *r;
	size_t size;
};

/* A syscall object's own members: "kind" (--model), "stack" (-k, an array of frames). */
static void annotate_json(struct jsonw *w, void *ctx)
{
	struct json_additions *a = ctx;
	const char *kind = a->s->a.model ? vma_kind(a->s, a->r) : NULL;

	if (kind)
		jw_kstr(w, "kind", kind);
	trace_stacks_json(&a->s->stacks, a->s->model, a->r, a->size, w);
}

/*
 * The census of an exiting process, and a word when the kernel's count at its exit is not
 * the model's: records were lost, and a process that is gone cannot be read again.
 */
static void census_at_exit(struct trace_session *s, const struct vmt_exit_rec *r)
{
	struct model_proc *p = model_proc_get(s->model, r->hdr.tgid);
	size_t vmas = model_vma_count(p);
	struct jsonw w;

	model_format_census(s->model, p, &s->line, s->fo.json);
	if (!r->map_count || r->map_count == vmas)
		return;
	if (!s->fo.json) {
		sb_printf(
			&s->line,
			"census incomplete: the kernel counted %u VMAs at the exit, the model %zu "
			"(records were lost)\n",
			r->map_count, vmas);
		return;
	}
	jw_begin(&w, &s->line);
	jw_obj(&w);
	jw_kstr(&w, "event", "census_incomplete");
	jw_kuint(&w, "pid", p->tgid);
	jw_kuint(&w, "kernel_vmas", r->map_count);
	jw_kuint(&w, "model_vmas", vmas);
	jw_obj_end(&w);
	sb_putc(&s->line, '\n');
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct trace_session *s = ctx;
	const struct vmt_hdr *h = data;
	struct format_extra ex = { .max_map_count = s->max_map_count };
	struct json_additions add = { .s = s, .r = data, .size = size };
	bool show = true;

	/* Checked against its type's size before any field is read. */
	if (!decode_rec_fits(data, size))
		return 0;
	s->last_ts = h->ts_ns;
	summary_add(&s->sum, data, size, &ex.prev_brk, &ex.prev_brk_known);

	switch (h->type) {
	case VMT_REC_SYSCALL: {
		const struct vmt_syscall_rec *r = data;

		if (s->a.errors_only && !decode_ret_errno(r->sys, r->ret))
			show = false;
		break;
	}
	case VMT_REC_FORK: {
		const struct vmt_fork_rec *r = data;

		if (r->hdr.flags & VMT_F_TRACED_NEW)
			live_add(s, r->child_tgid);
		break;
	}
	case VMT_REC_EXIT:
		hmap_del(&s->live, h->tgid);
		break;
	}
	trace_stacks_note(&s->stacks, data, size);
	if (s->model) {
		/* The census of a process that ends, from the model, before it forgets it. */
		if (h->type == VMT_REC_EXIT && show && s->a.model &&
		    model_proc_get(s->model, h->tgid))
			census_at_exit(s, data);
		model_apply(s->model, data, size);
	}
	if (h->type == VMT_REC_SYSCALL && s->fo.json && (s->a.model || s->a.stack)) {
		ex.json_members = annotate_json;
		ex.ctx = &add;
	}
	if (show && !format_record(&s->line, &s->fo, data, size, &ex)) {
		if (h->type == VMT_REC_SYSCALL && !s->fo.json)
			annotate_text(s, data, size);
		emit_line(s);
	}
	return 0;
}

static void repair_lost(void *ctx, uint32_t tgid)
{
	struct trace_session *s = ctx;

	model_repair(s->model, tgid);
}

static void check_drops(struct trace_session *s)
{
	unsigned long long st[VMT_STAT__COUNT];

	if (tracer_read_stats(s->tracer, st))
		return;
	if (st[VMT_STAT_DROPS] > s->drops_reported) {
		/* The model's processes that lost records are read again (the census, DWARF). */
		if (s->model)
			tracer_take_lost(s->tracer, repair_lost, s);
		format_drops(&s->line, &s->fo, s->last_ts, st[VMT_STAT_DROPS] - s->drops_reported,
			     st[VMT_STAT_DROPS]);
		emit_line(s);
		s->drops_reported = st[VMT_STAT_DROPS];
		s->sum.dropped = st[VMT_STAT_DROPS];
	}
}

/* With -v: how often the programs' lockless VMA lookup gave way to the locked one. */
static void report_lookups(struct trace_session *s)
{
	unsigned long long st[VMT_STAT__COUNT];

	if (!tracer_read_stats(s->tracer, st))
		log_debug("VMA lookups that fell back to bpf_find_vma(): %llu; of those, mmap_lock "
			  "busy (no VMA sent): %llu",
			  st[VMT_STAT_VMA_WALK_MISS], st[VMT_STAT_FIND_VMA_BUSY]);
	if (s->model)
		log_debug(
			"model resyncs: %llu (%llu failed; %llu of processes that had exited: not "
			"read, the model kept what their records said)",
			(unsigned long long)s->model->st.resyncs,
			(unsigned long long)s->model->st.resync_failures,
			(unsigned long long)s->model->st.resyncs_gone);
}

/*
 * Start the command stopped at a pipe read, so that its pid is in the traced
 * set before it runs its first instruction. A failed exec is reported back
 * through a close-on-exec pipe.
 */
static pid_t spawn_stopped(char **argv, int *go_fd, int *err_fd)
{
	int go[2], err[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		log_err("cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_err("cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char c;
		int e;

		close(go[1]);
		close(err[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(argv[0], argv);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	*go_fd = go[1];
	*err_fd = err[0];
	return pid;
}

static int trace_iter(void *ctx, uint32_t tgid, procfs_seed_fn fn, void *fn_ctx)
{
	struct trace_session *s = ctx;

	return tracer_seed(s->tracer, tgid, fn, fn_ctx);
}

/*
 * Read a process's VMAs from the kernel into the model (iterator, else /proc), whole or
 * not at all. A process that is gone, or exiting, keeps what its events said: it is what
 * the census and the stacks need, and its records are read after it exited.
 */
static int trace_reseed(void *ctx, uint32_t tgid)
{
	struct trace_session *s = ctx;

	return procfs_reseed(s->model, tgid, trace_iter, s);
}

/* Would execvp() find file and may we run it? errno says why not. */
static bool command_runs(const char *file)
{
	const char *path = getenv("PATH");
	char buf[4096];
	int why = ENOENT;

	if (!*file) {
		errno = ENOENT;
		return false;
	}
	if (strchr(file, '/'))
		return access(file, X_OK) == 0;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');

		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(end - p), p, end > p ? "/" : "", file);
		if (access(buf, X_OK) == 0)
			return true;
		if (errno == EACCES)
			why = EACCES;
		if (!*end)
			break;
		p = end;
	}
	errno = why;
	return false;
}

static int start_targets(struct trace_session *s)
{
	for (int i = 0; i < s->a.npids; i++) {
		pid_t tgid, host;
		const char *why = sys_untraceable(s->a.pids[i], &tgid);
		int err;

		if (why) {
			if (tgid < 0)
				log_err("no process with pid %d", (int)s->a.pids[i]);
			else
				log_err("cannot trace pid %d: %s", (int)s->a.pids[i], why);
			return -1;
		}
		/* Records carry the kernel's tgid: inside a PID namespace, not this one. */
		host = tracer_host_tgid(s->tracer, tgid);
		if (host < 0) {
			log_err("no process with pid %d", (int)s->a.pids[i]);
			return -1;
		}
		if (host == tracer_self_tgid(s->tracer)) {
			log_err("pid %d is vmatrace itself", (int)tgid);
			return -1;
		}
		err = tracer_add_tgid(s->tracer, host, s->a.follow);
		if (err) {
			log_err("cannot trace pid %d: %s", (int)tgid, strerror(-err));
			return -1;
		}
		/* It may have exited between the check and the map update. */
		if (kill(tgid, 0) && errno == ESRCH) {
			log_err("process %d exited before tracing started", (int)tgid);
			return -1;
		}
		live_add(s, host);
		/* The model and /proc reads go by the kernel's tgid (sys_proc_pid translates). */
		trace_stacks_attach(&s->stacks, host);
		if (s->model)
			trace_reseed(s, host);
		if (tgid != s->a.pids[i])
			log_info("pid %d is a thread of process %d: tracing the whole process",
				 (int)s->a.pids[i], (int)tgid);
		log_info("process %d attached", (int)tgid); /* as strace says it */
	}
	if (s->a.command) {
		int go_fd, err_fd, e = 0, err;
		pid_t host;

		s->child = spawn_stopped(s->a.command, &go_fd, &err_fd);
		if (s->child < 0)
			return -1;
		host = tracer_host_tgid(s->tracer, s->child);
		err = host < 0 ? (int)host : tracer_add_tgid(s->tracer, host, s->a.follow);
		if (err) {
			log_err("cannot trace the command: %s", strerror(-err));
			kill(s->child, SIGKILL);
			return -1;
		}
		live_add(s, host);
		if (write(go_fd, "g", 1) != 1)
			log_warn("cannot start the command: %s", strerror(errno));
		close(go_fd);
		if (read(err_fd, &e, sizeof(e)) == sizeof(e)) {
			log_err("cannot run '%s': %s", s->a.command[0], strerror(e));
			close(err_fd);
			waitpid(s->child, NULL, 0);
			s->child_reaped = true;
			return -1;
		}
		close(err_fd);
	}
	return 0;
}

static void reap_child(struct trace_session *s)
{
	if (s->child > 0 && !s->child_reaped &&
	    waitpid(s->child, &s->child_status, WNOHANG) == s->child)
		s->child_reaped = true;
}

/* After every wakeup: what the ring buffer holds, then whether to go on. */
/*
 * Traced processes that are gone although their exit record never came (the ring buffer was
 * full): checked about once a second, after everything in the buffer was read.
 */
static void forget_vanished(struct trace_session *s)
{
	uint64_t now = clock_mono_ns(), key;
	void *val;

	if (now < s->next_liveness_ns)
		return;
	s->next_liveness_ns = now + 1000000000ull;
	for (size_t i = 0; (i = hmap_next(&s->live, i, &key, &val));) {
		char stat[64], line[256], *state;
		FILE *f;
		bool gone;

		snprintf(stat, sizeof(stat), "/proc/%u/stat", sys_proc_pid((unsigned int)key));
		f = fopen(stat, "re");
		gone = !f;
		if (f) {
			/* A zombie has exited too: only its parent's wait is left. */
			state = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
			gone = state && state[1] == ' ' && (state[2] == 'Z' || state[2] == 'X');
			fclose(f);
		}
		if (gone) {
			log_warn("process %llu is gone, its exit record was lost",
				 (unsigned long long)key);
			hmap_del(&s->live, key);
			i = 0; /* the table changed: start the walk again */
		}
	}
}

static void after_wakeup(struct trace_session *s)
{
	if (tracer_consume(s->tracer) < 0)
		log_warn("reading the ring buffer failed");
	check_drops(s);
	if (s->drops_reported)
		forget_vanished(s);
	fflush(s->out);
	reap_child(s);
	if ((!s->a.all && s->live.len == 0) ||
	    (s->a.duration > 0 && (clock_mono_ns() / 1e9) - s->start >= s->a.duration)) {
		loop_stop(s->loop);
		return;
	}
	if (s->a.summary_interval > 0 && (clock_mono_ns() / 1e9) >= s->next_summary) {
		summary_print_text(&s->sum, stderr, s->max_map_count);
		s->next_summary += s->a.summary_interval;
	}
}

static void on_ringbuf(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	after_wakeup(ctx);
}

static void on_poll(void *ctx)
{
	after_wakeup(ctx);
}

static int run_loop(struct trace_session *s)
{
	/*
	 * With stacks (-k), frames are resolved through /proc/PID/maps, which a
	 * process takes with it when it exits: read the records sooner.
	 */
	uint64_t poll_ns = s->a.stack ? STACK_POLL_INTERVAL_NS : POLL_INTERVAL_NS;
	int err, ret = 0;

	s->start = (clock_mono_ns() / 1e9);
	s->next_summary = s->start + s->a.summary_interval;
	/* Edge-triggered: woken only when the kernel wakes us (a large backlog), not for as
	 * long as there is data; the timer collects the rest in batches. */
	err = loop_add_fd(s->loop, tracer_epoll_fd(s->tracer), EPOLLIN | EPOLLET, on_ringbuf, s);
	if (err || !loop_add_timer(s->loop, poll_ns, poll_ns, on_poll, s)) {
		log_err("cannot set up the event loop: %s", strerror(err ? -err : ENOMEM));
		return -1;
	}
	err = loop_run(s->loop);
	if (err) {
		log_err("epoll_wait: %s", strerror(-err));
		ret = -1;
	}
	/* Deliver what is still in the buffer before summing up. */
	tracer_consume(s->tracer);
	check_drops(s);
	report_lookups(s);
	return ret;
}

int cli_trace(int argc, char **argv)
{
	struct trace_session s = { .child = -1 };
	struct tracer_opts topts = { 0 };
	int verbosity = 0, rc = 1;

	if (trace_parse_args(argc, argv, &s.a, &verbosity))
		return EXIT_USAGE;
	log_init("vmatrace", verbosity);

	s.out = stdout;
	if (s.a.output) {
		s.out = fopen(s.a.output, "w");
		if (!s.out) {
			log_err("cannot open output file %s: %s", s.a.output, strerror(errno));
			return EXIT_USAGE;
		}
	}
	sb_init(&s.line);
	hmap_init(&s.live);
	summary_init(&s.sum, s.a.all ? 256 : 4096);
	s.fo.json = s.a.json;
	s.fo.realtime_offset_ns = format_realtime_offset();
	s.max_map_count = sys_max_map_count();

	/* A second Ctrl-C means now: the loop's stop signals skip the drain and the summary. */
	s.loop = loop_new();
	if (!s.loop || loop_add_stop_signal(s.loop, SIGINT) ||
	    loop_add_stop_signal(s.loop, SIGTERM)) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);

	/* DWARF stacks unwind against the files that the model says are mapped. */
	if (s.a.model || s.a.stack == STACK_DWARF) {
		struct model_config mc = { .reseed = trace_reseed, .reseed_ctx = &s };

		s.model = model_new(&mc);
		if (!s.model)
			goto out;
	}
	/* A wrong pid is said first and at once, before loading takes its second. */
	for (int i = 0; i < s.a.npids; i++) {
		pid_t tgid;
		const char *why = sys_untraceable(s.a.pids[i], &tgid);

		if (why) {
			if (tgid < 0)
				log_err("no process with pid %d", (int)s.a.pids[i]);
			else
				log_err("cannot trace pid %d: %s", (int)s.a.pids[i], why);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	/* So is a command that cannot run (execvp's search, without running it). */
	if (s.a.command && !command_runs(s.a.command[0])) {
		log_err("cannot run '%s': %s", s.a.command[0], strerror(errno));
		rc = EXIT_USAGE;
		goto out;
	}
	if (trace_stacks_init(&s.stacks, s.a.stack))
		goto out;
	topts.trace_all = s.a.all;
	topts.capture_stack = s.a.stack == STACK_FP;
	if (s.a.stack == STACK_DWARF)
		topts.ustack_window = s.a.stack_window ? s.a.stack_window : VMT_USTACK_DEFAULT;
	topts.ringbuf_bytes = s.a.ringbuf_bytes;
	topts.on_record = on_record;
	topts.ctx = &s;
	s.tracer = tracer_new(&topts);
	if (!s.tracer) {
		rc = TRACER_EXIT_ENV;
		goto out;
	}
	if (start_targets(&s)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (run_loop(&s) == 0)
		rc = 0;
	if (!s.a.quiet_summary) {
		summary_print_text(&s.sum, stderr, s.max_map_count);
		if (s.fo.json) {
			summary_json(&s.sum, &s.line, s.max_map_count);
			emit_line(&s);
		}
	}
	/* Like strace: a traced command's exit status becomes ours. */
	if (s.child > 0) {
		if (!s.child_reaped) {
			if (loop_stop_signal(s.loop) || s.write_failed)
				kill(s.child, SIGTERM);
			waitpid(s.child, &s.child_status, 0);
		}
		if (WIFEXITED(s.child_status))
			rc = WEXITSTATUS(s.child_status);
		else if (WIFSIGNALED(s.child_status))
			rc = 128 + WTERMSIG(s.child_status);
	}
out:
	if (s.child > 0 && rc == EXIT_USAGE && !s.child_reaped)
		kill(s.child, SIGKILL);
	tracer_free(s.tracer);
	loop_free(s.loop);
	model_free(s.model);
	trace_stacks_free(&s.stacks);
	summary_free(&s.sum);
	hmap_free(&s.live);
	sb_free(&s.line);
	if (s.out && s.out != stdout)
		fclose(s.out);
	else
		fflush(stdout);
	return rc;
}
