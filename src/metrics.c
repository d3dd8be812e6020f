// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prometheus metrics: /metrics over HTTP, the node_exporter textfile, and the
 * control socket's "metrics" request, all rendered by metrics_render().
 *
 * The HTTP listener is in metrics_http.c; the textfile's writer is a loop
 * timer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert.h"
#include "config.h"
#include "decode.h"
#include "log.h"
#include "loop.h"
#include "fsutil.h"
#include "metrics.h"
#include "metrics_http.h"
#include "model.h"
#include "untrusted.h"

#include "version.h"

struct metrics {
	struct loop *loop;
	const struct config *cfg;
	metrics_view_fn view;
	void *view_ctx;
	struct metrics_http *http;

	char textfile_dir[CONFIG_PATH_MAX]; /* where vmatrace.prom was last written */
	uint64_t textfile_interval_ns;
	uint64_t textfile_timer;
	bool textfile_failing; /* an error was logged; quiet until a write succeeds */
};

/* ---- the exposition ---- */

static void family(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_double(struct strbuf *sb, double v)
{
	if (v != v)
		sb_puts(sb, "NaN");
	else
		sb_printf(sb, "%.10g", v);
}

static void put_u64(struct strbuf *sb, const char *name, uint64_t v)
{
	sb_printf(sb, "%s %llu\n", name, (unsigned long long)v);
}

/* A family with one unlabelled sample. */
static void scalar_u64(struct strbuf *sb, const char *name, const char *type, const char *help,
		       uint64_t v)
{
	family(sb, name, type, help);
	put_u64(sb, name, v);
}

static void errno_label(struct strbuf *sb, int err)
{
	const char *name = err ? decode_errno_name(err) : "unknown";

	if (name)
		sb_puts(sb, name);
	else
		sb_printf(sb, "%d", err);
}

static bool errno_alerted(const struct config *c, int err)
{
	for (int i = 0; i < c->n_alert_errnos; i++)
		if (c->alert_errnos[i] == err)
			return true;
	return false;
}

static void render_host(const struct metrics_view *v, struct strbuf *sb, size_t tracked)
{
	const struct config *c = v->cfg;

	family(sb, "vmatrace_syscalls_total", "counter",
	       "Memory-management system calls seen, by system call.");
	for (unsigned int s = 0; s < VMT_SYS__COUNT; s++)
		sb_printf(sb, "vmatrace_syscalls_total{syscall=\"%s\"} %llu\n", decode_sys_name(s),
			  (unsigned long long)v->calls[s]);

	/*
	 * Only failures that happened, plus a zero for every call and alerting errno (ENOMEM):
	 * a series that first appears at 1 is invisible to increase(), and the ENOMEM rule
	 * must see the first failure.
	 */
	family(sb, "vmatrace_syscall_failures_total", "counter",
	       "Failed memory-management system calls, by system call and errno.");
	for (unsigned int s = 0; s < VMT_SYS__COUNT; s++) {
		for (int e = 0; e < METRICS_MAX_ERRNO; e++) {
			if (!v->failures[s][e] && !(e && errno_alerted(c, e)))
				continue;
			sb_printf(sb, "vmatrace_syscall_failures_total{syscall=\"%s\",errno=\"",
				  decode_sys_name(s));
			errno_label(sb, e);
			sb_printf(sb, "\"} %llu\n", (unsigned long long)v->failures[s][e]);
		}
	}

	scalar_u64(
		sb, "vmatrace_ringbuf_dropped_records_total", "counter",
		"Records lost because the BPF ring buffer was full (the model resyncs after them).",
		v->drops);

	scalar_u64(sb, "vmatrace_model_resyncs_total", "counter",
		   "Times the model re-read a process's VMAs from the kernel.", v->resyncs);

	scalar_u64(sb, "vmatrace_model_drop_repairs_total", "counter",
		   "Processes re-read from the kernel because some of their records were dropped.",
		   v->repairs);

	scalar_u64(sb, "vmatrace_events_total", "counter",
		   "Ring-buffer events applied to the model.", v->events);

	scalar_u64(sb, "vmatrace_oom_kills_total", "counter", "OOM kills seen, on the whole host.",
		   v->ooms);

	family(sb, "vmatrace_alerts_total", "counter", "Alerts raised, by kind.");
	for (int k = 0; k < ALERT__COUNT; k++)
		sb_printf(sb, "vmatrace_alerts_total{kind=\"%s\"} %llu\n", alert_kind_name(k),
			  (unsigned long long)v->alerts[k]);
	family(sb, "vmatrace_alerts_suppressed_total", "counter",
	       "Alerts held back by alert_user_limit or alert_limit (summarised each minute), by "
	       "kind.");
	for (int k = 0; k < ALERT__COUNT; k++)
		sb_printf(sb, "vmatrace_alerts_suppressed_total{kind=\"%s\"} %llu\n",
			  alert_kind_name(k), (unsigned long long)v->alerts_suppressed[k]);

	if (v->journal_on) {
		scalar_u64(sb, "vmatrace_journal_written_bytes_total", "counter",
			   "Bytes written to the journal (compressed).", v->journal_bytes);
		scalar_u64(sb, "vmatrace_journal_write_errors_total", "counter",
			   "Failed writes to the journal (a full disk...).",
			   v->journal_write_errors);
		scalar_u64(
			sb, "vmatrace_journal_records_lost_total", "counter",
			"Records that never reached the journal (failed writes, or no journal open).",
			v->journal_records_lost);
		scalar_u64(
			sb, "vmatrace_journal_outages_total", "counter",
			"Times the journal stopped taking history (each ends with a gap record).",
			v->journal_outages);
		scalar_u64(sb, "vmatrace_journal_writing", "gauge",
			   "1 while the journal takes history, 0 during an outage.",
			   v->journal_writing);
	}

	scalar_u64(sb, "vmatrace_tracked_processes", "gauge",
		   "Processes in the live model that the configuration selects.", tracked);

	/* Not *_max_map_count: promtool's lint reserves the _count suffix for histograms. */
	scalar_u64(sb, "vmatrace_vma_limit", "gauge",
		   "vm.max_map_count: the most VMAs a process may have before mmap, munmap and brk "
		   "fail with ENOMEM.",
		   v->max_map_count);

	scalar_u64(sb, "vmatrace_daemon_resident_memory_bytes", "gauge",
		   "Resident memory of the vmatrace daemon.", (uint64_t)v->rss_kib * 1024);

	family(sb, "vmatrace_daemon_cpu_seconds_total", "counter",
	       "CPU time used by the vmatrace daemon (user and system).");
	sb_puts(sb, "vmatrace_daemon_cpu_seconds_total ");
	put_double(sb, v->cpu_seconds);
	sb_putc(sb, '\n');

	family(sb, "vmatrace_build_info", "gauge", "Always 1; the version of vmatrace as a label.");
	sb_puts(sb, "vmatrace_build_info{version=\"" VMATRACE_VERSION "\"} 1\n");
}

static int by_pid(const void *a, const void *b)
{
	const struct model_proc *x = *(struct model_proc *const *)a;
	const struct model_proc *y = *(struct model_proc *const *)b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/*
 * The processes with their own series: the top metrics_top by VMA count (the
 * ratio's order), and every one at or above the lowest alert threshold, so that
 * nothing an alert is about is missing. In pid order, so that the output does
 * not reshuffle as counts change. Returns how many; *sel is malloc'd.
 */
static size_t select_procs(const struct metrics_view *v, struct model_proc ***sel)
{
	const struct config *c = v->cfg;
	size_t keep = 0;
	double alerting = -1; /* VMA count of the lowest alert; -1: no count alerts */

	if (c->n_alert_thresholds && v->max_map_count)
		alerting = c->alert_thresholds[0] * v->max_map_count / 100.0;
	if (c->n_alert_vma_counts && (alerting < 0 || c->alert_vma_counts[0] < alerting))
		alerting = c->alert_vma_counts[0];
	/* Ranked by count, descending: what is kept is a prefix. */
	while (keep < v->nranked &&
	       (keep < c->metrics_top ||
		(alerting >= 0 && model_vma_count(v->ranked[keep]) >= alerting)))
		keep++;
	*sel = calloc(keep + 1, sizeof(**sel));
	if (!*sel)
		return 0;
	memcpy(*sel, v->ranked, keep * sizeof(**sel));
	if (keep)
		qsort(*sel, keep, sizeof(**sel), by_pid);
	return keep;
}

/*
 * The container label of each selected process ("docker:db", "" when none), as
 * container_label() says it; past METRICS_MAX_CONTAINERS distinct values, "other", so
 * that a host churning containers cannot grow the series without bound.
 */
typedef char container_label_t[768]; /* the longest name, every byte escaped */

static container_label_t *container_labels(struct model_proc **sel, size_t n)
{
	container_label_t *lab = calloc(n + 1, sizeof(*lab));
	size_t distinct = 0;
	struct strbuf sb;

	if (!lab)
		return NULL;
	sb_init(&sb);
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		if (!sel[i]->container)
			continue;
		sb_reset(&sb);
		container_label(&sb, sel[i]->container, UT_PROM);
		snprintf(lab[i], sizeof(lab[i]), "%s", sb.buf ? sb.buf : "");
		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(lab[k], lab[i]);
		if (!seen && ++distinct > METRICS_MAX_CONTAINERS)
			snprintf(lab[i], sizeof(lab[i]), "other");
	}
	sb_free(&sb);
	return lab;
}

static void proc_labels(struct strbuf *sb, const char *name, const struct model_proc *p,
			const char *container)
{
	sb_printf(sb, "%s{pid=\"%u\",comm=\"", name, p->tgid);
	ut_append(sb, p->comm, sizeof(p->comm), UT_PROM);
	if (container && container[0])
		sb_printf(sb, "\",container=\"%s", container);
	sb_puts(sb, "\"} ");
}

enum proc_metric {
	PM_VMAS,
	PM_RATIO,
	PM_MAPPED,
	PM_HEAP,
	PM_HEAP_HWM,
	PM_FAILURES_BY, /* before the total: a process without failures has no series of it */
	PM_FAILURES,
	PM__COUNT
};

static const struct {
	const char *name, *type, *help;
} proc_families[PM__COUNT] = {
	[PM_VMAS] = { "vmatrace_process_vmas", "gauge",
		      "VMAs (memory mappings) of the process, as the kernel counts them." },
	[PM_RATIO] = { "vmatrace_process_vma_ratio", "gauge",
		       "VMAs of the process as a fraction of vm.max_map_count (0 to 1)." },
	[PM_MAPPED] = { "vmatrace_process_mapped_bytes", "gauge",
			"Virtual memory mapped by the process." },
	[PM_HEAP] = { "vmatrace_process_heap_bytes", "gauge",
		      "Size of the brk heap (brk - start_brk)." },
	[PM_HEAP_HWM] = { "vmatrace_process_heap_high_water_bytes", "gauge",
			  "Largest size the brk heap has had while traced." },
	[PM_FAILURES] = { "vmatrace_process_failures_total", "counter",
			  "Failed memory-management system calls of the process." },
	[PM_FAILURES_BY] = { "vmatrace_process_syscall_failures_total", "counter",
			     "Failed memory-management system calls of the process, by system "
			     "call and errno." },
};

/* One series per (syscall, errno) the process failed with, every errno seen. */
static void proc_failures_by(struct strbuf *sb, const struct model_proc *p, const char *container)
{
	for (uint32_t i = 0; i < p->nfails; i++) {
		sb_printf(sb, "%s{pid=\"%u\",comm=\"", proc_families[PM_FAILURES_BY].name, p->tgid);
		ut_append(sb, p->comm, sizeof(p->comm), UT_PROM);
		if (container && container[0])
			sb_printf(sb, "\",container=\"%s", container);
		sb_printf(sb, "\",syscall=\"%s\",errno=\"", decode_sys_name(p->fails[i].sys));
		errno_label(sb, p->fails[i].err);
		sb_printf(sb, "\"} %llu\n", (unsigned long long)p->fails[i].n);
	}
}

static void render_procs(const struct metrics_view *v, struct strbuf *sb, struct model_proc **sel,
			 size_t n)
{
	container_label_t *ctr = container_labels(sel, n);

	for (int f = 0; f < PM__COUNT; f++) {
		family(sb, proc_families[f].name, proc_families[f].type, proc_families[f].help);
		for (size_t i = 0; i < n; i++) {
			const struct model_proc *p = sel[i];
			size_t vmas = model_vma_count(p);
			double limit = v->max_map_count;
			uint64_t heap = model_heap_size(p);
			uint64_t hwm = model_heap_hwm(p);

			if (f == PM_FAILURES_BY) {
				proc_failures_by(sb, p, ctr ? ctr[i] : NULL);
				continue;
			}
			proc_labels(sb, proc_families[f].name, p, ctr ? ctr[i] : NULL);
			switch (f) {
			case PM_VMAS:
				sb_printf(sb, "%zu\n", vmas);
				break;
			case PM_RATIO:
				put_double(sb, limit ? vmas / limit : 0);
				sb_putc(sb, '\n');
				break;
			case PM_MAPPED:
				sb_printf(sb, "%llu\n", (unsigned long long)model_mapped_bytes(p));
				break;
			case PM_HEAP:
				sb_printf(sb, "%llu\n", (unsigned long long)heap);
				break;
			case PM_HEAP_HWM:
				sb_printf(sb, "%llu\n", (unsigned long long)hwm);
				break;
			case PM_FAILURES:
				sb_printf(sb, "%llu\n", (unsigned long long)p->failures);
				break;
			default:
				break;
			}
		}
	}
	free(ctr);
}

void metrics_render(const struct metrics_view *v, struct strbuf *out)
{
	struct model_proc **sel;
	size_t n = select_procs(v, &sel);

	render_host(v, out, v->nranked);
	render_procs(v, out, sel, n);
	free(sel);
}

void metrics_answer(struct metrics *m, struct strbuf *out)
{
	struct metrics_view v = { 0 };

	m->view(m->view_ctx, &v);
	metrics_render(&v, out);
	free(v.ranked);
}

/* ---- the textfile ---- */

int metrics_write_textfile(const char *dir, const char *text, size_t len)
{
	char dst[PATH_MAX];

	if ((size_t)snprintf(dst, sizeof(dst), "%s/" METRICS_TEXTFILE, dir) >= sizeof(dst))
		return -ENAMETOOLONG;
	/*
	 * 0640: it names other users' processes. node_exporter (another user) reads it through
	 * the directory's group: a setgid directory (install -d -g prometheus -m 2750) gives the
	 * file that group without our keeping CAP_CHOWN.
	 */
	return atomic_write_file(dst, text, len, 0640, AW_EXACT_MODE);
}

static void textfile_remove(struct metrics *m)
{
	char path[PATH_MAX];

	if (!m->textfile_dir[0])
		return;
	/* Left behind, the file would be served as if the daemon still ran. */
	snprintf(path, sizeof(path), "%s/" METRICS_TEXTFILE, m->textfile_dir);
	if (unlink(path) && errno != ENOENT)
		log_warn("metrics: cannot remove %s: %s", path, strerror(errno));
	m->textfile_dir[0] = 0;
}

static void on_textfile_timer(void *ctx)
{
	struct metrics *m = ctx;
	const char *dir = m->cfg->textfile_dir;
	struct strbuf sb;
	int err;

	sb_init(&sb);
	metrics_answer(m, &sb);
	err = sb.oom ? -ENOMEM : metrics_write_textfile(dir, sb.buf ? sb.buf : "", sb.len);
	sb_free(&sb);
	if (err) {
		if (!m->textfile_failing)
			log_err("metrics: cannot write %s/" METRICS_TEXTFILE ": %s (retrying every "
				"textfile_interval; logged once)",
				dir, strerror(-err));
		m->textfile_failing = true;
		return;
	}
	if (m->textfile_failing)
		log_info("metrics: writing %s/" METRICS_TEXTFILE " again", dir);
	m->textfile_failing = false;
	snprintf(m->textfile_dir, sizeof(m->textfile_dir), "%s", dir);
}

/* Written at once, then every textfile_interval. */
static void textfile_schedule(struct metrics *m)
{
	loop_cancel_timer(m->loop, m->textfile_timer);
	m->textfile_timer = 0;
	m->textfile_interval_ns = m->cfg->textfile_interval_ns;
	if (!m->cfg->textfile_dir[0])
		return;
	m->textfile_timer =
		loop_add_timer(m->loop, 0, m->textfile_interval_ns, on_textfile_timer, m);
	if (!m->textfile_timer)
		log_err("metrics: out of memory: not writing %s/" METRICS_TEXTFILE,
			m->cfg->textfile_dir);
}

/* ---- lifecycle ---- */

static void http_body(void *ctx, struct strbuf *out)
{
	metrics_answer(ctx, out);
}

struct metrics *metrics_new(struct loop *l, const struct config *cfg, metrics_view_fn view,
			    void *ctx)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m) {
		log_err("metrics: out of memory (running without metrics)");
		return NULL;
	}
	m->loop = l;
	m->cfg = cfg;
	m->view = view;
	m->view_ctx = ctx;
	/* Without a listener (out of memory) the textfile and the control socket still work. */
	m->http = metrics_http_new(l, http_body, m);
	if (m->http)
		metrics_http_apply(m->http, cfg->metrics_listen);
	textfile_schedule(m);
	return m;
}

void metrics_reconfigure(struct metrics *m, const struct config *cfg)
{
	bool moved;

	if (!m)
		return;
	moved = strcmp(m->textfile_dir, cfg->textfile_dir);
	m->cfg = cfg;
	if (m->http)
		metrics_http_apply(m->http, cfg->metrics_listen);
	if (moved) {
		textfile_remove(m);
		m->textfile_failing = false;
	}
	/* A new place or pace: written at once, then at the new interval. */
	if (moved || m->textfile_interval_ns != cfg->textfile_interval_ns || !m->textfile_timer)
		textfile_schedule(m);
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	metrics_http_free(m->http);
	loop_cancel_timer(m->loop, m->textfile_timer);
	textfile_remove(m);
	free(m);
}
