// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Prometheus exposition, rendered from a hand-made view (what the daemon
 * would fill): label values under the untrusted-text policy, HELP/TYPE per
 * family, stable order, the cardinality bound, and promtool's verdict on the
 * real output; the listen address; the textfile.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "hmap.h"
#include "metrics.h"
#include "model.h"
#include "model_fixture.h"

static struct config cfg;
/* The state a view is filled from: what the daemon counts. */
static struct {
	struct model *model;
	uint64_t calls[VMT_SYS__COUNT];
	uint64_t failures[VMT_SYS__COUNT][METRICS_MAX_ERRNO];
	uint64_t drops, ooms;
	unsigned long max_map_count;
} dmn;

static void setup(void)
{
	config_defaults(&cfg);
	memset(&dmn, 0, sizeof(dmn));
	dmn.model = model_new(NULL);
	cr_assert(dmn.model);
	/* Small, so that a threshold is reached with few VMAs. */
	dmn.max_map_count = 1000;
}

static void teardown(void)
{
	model_free(dmn.model);
}

static int by_vmas(const void *a, const void *b)
{
	const struct model_proc *x = *(struct model_proc *const *)a;
	const struct model_proc *y = *(struct model_proc *const *)b;
	size_t vx = model_vma_count(x), vy = model_vma_count(y);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/* Every modeled process, most VMAs first, as the daemon ranks them. */
static void fill_view(struct metrics_view *v)
{
	size_t n = 0;
	uint64_t k;
	void *val;

	memset(v, 0, sizeof(*v));
	v->cfg = &cfg;
	v->calls = dmn.calls;
	v->failures = (const uint64_t(*)[METRICS_MAX_ERRNO])dmn.failures;
	v->drops = dmn.drops;
	v->ooms = dmn.ooms;
	v->resyncs = dmn.model->st.resyncs;
	v->events = dmn.model->st.events;
	v->max_map_count = dmn.max_map_count;
	v->rss_kib = 1234;
	v->cpu_seconds = 0.5;
	v->ranked = calloc(dmn.model->procs.len + 1, sizeof(*v->ranked));
	cr_assert(v->ranked);
	for (size_t i = 0; (i = hmap_next(&dmn.model->procs, i, &k, &val));)
		v->ranked[n++] = val;
	qsort(v->ranked, n, sizeof(*v->ranked), by_vmas);
	v->nranked = n;
}

TestSuite(metrics, .init = setup, .fini = teardown);

static void add_proc(uint32_t pid, const char *comm, unsigned int vmas)
{
	seed_proc(dmn.model, pid, comm, vmas);
}

/* Model only process 100, named comm. */
static void setup_proc_once(const char *comm)
{
	struct model_proc *p;

	model_free(dmn.model);
	dmn.model = model_new(NULL);
	cr_assert(dmn.model);
	add_proc(100, "", 1);
	p = model_proc_get(dmn.model, 100);
	cr_assert(p);
	/* As the kernel gives it: 16 bytes, NUL-terminated only when shorter. */
	memset(p->comm, 0, sizeof(p->comm));
	memcpy(p->comm, comm, strnlen(comm, sizeof(p->comm)));
}

static char *render(void)
{
	struct strbuf sb;

	struct metrics_view v;

	fill_view(&v);
	sb_init(&sb);
	metrics_render(&v, &sb);
	free(v.ranked);
	cr_assert(!sb.oom && sb.buf);
	return sb.buf;
}

/* The metric name of a sample line (up to '{' or ' '), into buf. */
static const char *sample_name(const char *line, char *buf, size_t len)
{
	size_t n = strcspn(line, "{ ");

	snprintf(buf, len, "%.*s", (int)n, line);
	return buf;
}

/* The pids that have a vmatrace_process_vmas series, as a comma-separated list. */
static void pids_of(const char *text, char *out, size_t len)
{
	const char *p = text;

	out[0] = 0;
	while ((p = strstr(p, "\nvmatrace_process_vmas{pid=\""))) {
		p += strlen("\nvmatrace_process_vmas{pid=\"");
		snprintf(out + strlen(out), len - strlen(out), "%s%.*s", out[0] ? "," : "",
			 (int)strcspn(p, "\""), p);
	}
}

/* Renders; the pids of the processes exported, in order, must be `expected`. The text (free it). */
static char *render_pids(const char *expected)
{
	char pids[256];
	char *text = render();

	pids_of(text, pids, sizeof(pids));
	cr_assert_str_eq(pids, expected, "exported: %s", pids);
	return text;
}

Test(metrics, label_values_are_escaped)
{
	char *text;

	add_proc(100, "a\"b\\c\nd", 3);
	text = render();
	/* The quote in Prometheus' syntax; the backslash and the newline as \xNN (one policy). */
	cr_assert(strstr(text, "vmatrace_process_vmas{pid=\"100\",comm=\"a\\\"b\\\\x5cc"
			       "\\\\x0ad\"} 3\n"),
		  "%s", text);
	/* The newline in the name never splits a sample. */
	for (char *l = text; *l; l = strchr(l, '\n') + 1) {
		cr_assert(!strncmp(l, "vmatrace_", 9) || !strncmp(l, "# HELP ", 7) ||
				  !strncmp(l, "# TYPE ", 7),
			  "stray line: %.40s", l);
		cr_assert(strchr(l, '\n'), "unterminated last line");
	}
	free(text);
}

/* The comm label of process 100, as rendered. */
static void comm_label(const char *comm, char *out, size_t len)
{
	char *text, *at, *end;

	setup_proc_once(comm);
	text = render();
	at = strstr(text, "\nvmatrace_process_vmas{pid=\"100\",comm=\"");
	cr_assert(at, "%s", text);
	at += strlen("\nvmatrace_process_vmas{pid=\"100\",comm=\"");
	end = strstr(at, "\"} ");
	cr_assert(end);
	snprintf(out, len, "%.*s", (int)(end - at), at);
	free(text);
}

Test(metrics, label_values_follow_the_untrusted_text_policy)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "q\"", "q\\\"" },
		{ "b\\", "b\\\\x5c" },
		{ "n\nl", "n\\\\x0al" },
		{ "tab\tok", "tab\\\\x09ok" },
		/* Valid UTF-8 passes unchanged: café is café in /metrics. */
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		/* A comm cut inside a multi-byte character, a lone byte, an overlong '/'. */
		{ "x\xe4\xbd", "x\\\\xe4\\\\xbd" },
		{ "\xff", "\\\\xff" },
		{ "\xc0\xaf", "\\\\xc0\\\\xaf" },
		{ "\xed\xa0\x80", "\\\\xed\\\\xa0\\\\x80" }, /* a surrogate */
	};
	char got[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		comm_label(cases[i].in, got, sizeof(got));
		cr_assert_str_eq(got, cases[i].out, "case %zu", i);
	}
	/* A full 16-byte comm (no NUL in the record) stops at 16 bytes. */
	comm_label("abcdefghijklmnopqrst", got, sizeof(got));
	cr_assert_str_eq(got, "abcdefghijklmnop");
}

/* Every family: one HELP, one TYPE, both before its samples, and its samples together. */
Test(metrics, help_and_type_once_per_family_before_its_samples)
{
	char *text, *save = NULL, name[128], current[128] = "", seen[4096] = ",";
	int families = 0;

	add_proc(1, "one", 5);
	add_proc(2, "two", 7);
	dmn.failures[VMT_SYS_MUNMAP][ENOMEM] = 3;
	text = render();
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char key[140];

		if (!strncmp(l, "# HELP ", 7)) {
			sample_name(l + 7, name, sizeof(name));
			snprintf(key, sizeof(key), ",%s,", name);
			cr_assert_null(strstr(seen, key), "family %s appears twice", name);
			strcat(seen, name);
			strcat(seen, ",");
			snprintf(current, sizeof(current), "%s", name);
			families++;
			l = strtok_r(NULL, "\n", &save);
			cr_assert(l && !strncmp(l, "# TYPE ", 7), "no TYPE after HELP %s", name);
			cr_assert_str_eq(sample_name(l + 7, key, sizeof(key)), name);
			cr_assert(strstr(l, " counter") || strstr(l, " gauge"), "%s", l);
			/* Counters and only counters end in _total. */
			cr_assert_eq(!!strstr(l, " counter"),
				     strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total"),
				     "%s", l);
			continue;
		}
		cr_assert_neq(l[0], '#', "unexpected comment: %s", l);
		cr_assert_str_eq(sample_name(l, name, sizeof(name)), current,
				 "sample of %s outside its family (%s)", name, current);
	}
	cr_assert_eq(families, 21, "%d families", families);
	free(text);
}

/* Families in a fixed order; series in pid order, whatever the counts do. */
Test(metrics, stable_ordering)
{
	static const char *const order[] = {
		"vmatrace_syscalls_total",
		"vmatrace_syscall_failures_total",
		"vmatrace_ringbuf_dropped_records_total",
		"vmatrace_model_resyncs_total",
		"vmatrace_events_total",
		"vmatrace_oom_kills_total",
		"vmatrace_alerts_total",
		"vmatrace_tracked_processes",
		"vmatrace_vma_limit",
		"vmatrace_daemon_resident_memory_bytes",
		"vmatrace_daemon_cpu_seconds_total",
		"vmatrace_build_info",
		"vmatrace_process_vmas",
		"vmatrace_process_vma_ratio",
		"vmatrace_process_mapped_bytes",
		"vmatrace_process_heap_bytes",
		"vmatrace_process_heap_high_water_bytes",
		"vmatrace_process_failures_total",
	};
	char *a, *b, pids[256];
	const char *at;

	add_proc(30, "c", 3);
	add_proc(10, "a", 9);
	add_proc(20, "b", 6);
	a = render();
	at = a;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		char help[160];
		const char *p;

		snprintf(help, sizeof(help), "# HELP %s ", order[i]);
		p = strstr(a, help);
		cr_assert(p, "no family %s", order[i]);
		cr_assert(p >= at, "%s out of order", order[i]);
		at = p;
	}
	pids_of(a, pids, sizeof(pids));
	cr_assert_str_eq(pids, "10,20,30");
	/* The ranking turns over: the series keep their places. */
	add_proc(30, "c", 12);
	b = render();
	pids_of(b, pids, sizeof(pids));
	cr_assert_str_eq(pids, "10,20,30");
	cr_assert(strstr(b, "vmatrace_process_vmas{pid=\"30\",comm=\"c\"} 12\n"));
	/* Rendering again with nothing changed gives the same series in the same order. */
	free(a);
	a = render();
	{
		const char *first = "# HELP vmatrace_process_vmas";
		const char *last = "# HELP vmatrace_process_failures_total";
		char *x = strstr(a, first), *y = strstr(b, first);
		char *xe = strstr(x, last), *ye = strstr(y, last);

		cr_assert_eq(xe - x, ye - y);
		cr_assert_eq(memcmp(x, y, xe - x), 0);
	}
	free(a);
	free(b);
}

Test(metrics, cardinality_top_n_plus_every_process_above_the_lowest_threshold)
{
	char *text;

	/* max_map_count 1000, lowest threshold 80%: 800 VMAs and more are always shown. */
	add_proc(10, "p10", 900);
	add_proc(11, "p11", 850);
	add_proc(12, "p12", 800);
	add_proc(13, "p13", 799);
	add_proc(14, "p14", 90);
	add_proc(15, "p15", 80);

	cfg.metrics_top = 1;
	text = render_pids("10,11,12"); /* top 1 and those at >= 80% */
	cr_assert(strstr(text, "\nvmatrace_tracked_processes 6\n"));
	free(text);

	cfg.metrics_top = 4;
	free(render_pids("10,11,12,13"));

	/* The lowest threshold is the first of the ascending list. */
	cfg.metrics_top = 0;
	cfg.alert_thresholds[0] = 85;
	free(render_pids("10,11"));

	/* An absolute VMA-count alert lower than the percentages counts too. */
	cfg.alert_vma_counts[0] = 85;
	cfg.n_alert_vma_counts = 1;
	free(render_pids("10,11,12,13,14"));

	/* No thresholds, no top: host metrics only; the families are still declared. */
	cfg.n_alert_thresholds = 0;
	cfg.n_alert_vma_counts = 0;
	text = render_pids("");
	cr_assert(strstr(text, "# TYPE vmatrace_process_vmas gauge\n"));
	free(text);
}

/* A whole sample line in the output. */
#define HAS(line) cr_assert(strstr(text, "\n" line "\n"), "no line: %s", line)
#define P42 "pid=\"42\",comm=\"mysqld\""

Test(metrics, values)
{
	char *text;

	add_proc(42, "mysqld", 250);
	dmn.calls[VMT_SYS_MMAP] = 1234;
	dmn.failures[VMT_SYS_MUNMAP][ENOMEM] = 22;
	dmn.failures[VMT_SYS_MMAP][EACCES] = 2;
	dmn.failures[VMT_SYS_MMAP][0] = 1;
	dmn.drops = 5;
	dmn.ooms = 1;
	text = render();
	HAS("vmatrace_process_vmas{" P42 "} 250");
	HAS("vmatrace_process_vma_ratio{" P42 "} 0.25");
	HAS("vmatrace_process_mapped_bytes{" P42 "} 1024000");
	HAS("vmatrace_process_heap_bytes{" P42 "} 135168");
	HAS("vmatrace_process_heap_high_water_bytes{" P42 "} 135168");
	HAS("vmatrace_syscalls_total{syscall=\"mmap\"} 1234");
	HAS("vmatrace_syscall_failures_total{syscall=\"munmap\",errno=\"ENOMEM\"} 22");
	HAS("vmatrace_syscall_failures_total{syscall=\"mmap\",errno=\"EACCES\"} 2");
	HAS("vmatrace_syscall_failures_total{syscall=\"mmap\",errno=\"unknown\"} 1");
	/* The alerting errno is there before its first failure (increase() needs a start). */
	HAS("vmatrace_syscall_failures_total{syscall=\"brk\",errno=\"ENOMEM\"} 0");
	cr_assert_null(strstr(text, "{syscall=\"brk\",errno=\"EACCES\"}"));
	HAS("vmatrace_ringbuf_dropped_records_total 5");
	HAS("vmatrace_oom_kills_total 1");
	HAS("vmatrace_alerts_total{kind=\"oom_kill\"} 0");
	HAS("vmatrace_vma_limit 1000");
	cr_assert(strstr(text, "\nvmatrace_build_info{version=\""));
	free(text);
}

/* A failed call of process pid as the BPF side sends it. */
static void apply_failure(uint32_t pid, enum vmt_sys sys, int err)
{
	struct model_proc *p = model_proc_get(dmn.model, pid);
	struct vmt_syscall_rec r = { .hdr = { .type = VMT_REC_SYSCALL, .tgid = pid, .tid = pid },
				     .sys = sys,
				     .ret = -err,
				     .args = { 0x10000001, 4096 } };

	cr_assert(p);
	memcpy(r.hdr.comm, p->comm, sizeof(r.hdr.comm));
	r.map_count = model_vma_count(p);
	model_apply(dmn.model, &r, sizeof(r));
}

/* Every errno a process failed with has its series, not only the alerting one. */
Test(metrics, process_failures_by_syscall_and_errno)
{
	char *text;

	add_proc(42, "mysqld", 250);
	for (int i = 0; i < 22; i++)
		apply_failure(42, VMT_SYS_MUNMAP, ENOMEM);
	apply_failure(42, VMT_SYS_MUNMAP, EINVAL);
	text = render();
	HAS("vmatrace_process_failures_total{" P42 "} 23");
	HAS("vmatrace_process_syscall_failures_total{" P42
	    ",syscall=\"munmap\",errno=\"ENOMEM\"} 22");
	HAS("vmatrace_process_syscall_failures_total{" P42
	    ",syscall=\"munmap\",errno=\"EINVAL\"} 1");
	cr_assert(strstr(text, "\n# TYPE vmatrace_process_syscall_failures_total counter\n"));
	free(text);
}

/* promtool parses and lints the output, odd process names included. */
Test(metrics, promtool_accepts_the_output)
{
	char path[] = "/tmp/vmatrace-metrics-XXXXXX", cmd[512];
	char *text;
	FILE *f;
	int fd, rc;

	add_proc(7, "q\"uo\\te\nnl", 4);
	add_proc(8, "x\xe4\xbd", 2);
	add_proc(9, "mysqld", 900);
	dmn.failures[VMT_SYS_MUNMAP][ENOMEM] = 22;
	dmn.failures[VMT_SYS_MMAP][0] = 1;
	text = render();
	if (system("command -v promtool >/dev/null 2>&1")) {
		free(text);
		cr_skip_test("promtool is not installed (scripts/setup.sh installs prometheus)");
	}
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s >&2", path);
	rc = system(cmd);
	unlink(path);
	free(text);
	cr_assert_eq(rc, 0, "promtool check metrics failed (status %d)", rc);
}

Test(metrics, listen_address_forms)
{
	static const struct {
		const char *spec;
		bool enabled;
		const char *host;
		unsigned int port;
	} ok[] = {
		{ "", false, NULL, 0 },
		{ "off", false, NULL, 0 },
		{ "No", false, NULL, 0 },
		{ "on", true, "127.0.0.1", 9436 },
		{ "yes", true, "127.0.0.1", 9436 },
		{ ":9500", true, "127.0.0.1", 9500 },
		{ "9501", true, "127.0.0.1", 9501 },
		{ "0.0.0.0:9437", true, "0.0.0.0", 9437 },
		{ "localhost:80", true, "localhost", 80 },
		{ "[::1]:9438", true, "::1", 9438 },
		{ "[::]", true, "::", 9436 },
		{ "::1", true, "::1", 9436 },
		{ "10.1.2.3", true, "10.1.2.3", 9436 },
	};
	static const char *const bad[] = { ":0",    ":65536", "host:",	"host:port", "[::1",
					   "[]:80", "[::1]x", "[::1]:", ":-1",	     "1.2.3.4:80x" };
	char host[64];
	unsigned int port;
	bool enabled;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc = metrics_parse_listen(ok[i].spec, &enabled, host, sizeof(host), &port);

		cr_assert_eq(rc, 0, "'%s'", ok[i].spec);
		cr_assert_eq(enabled, ok[i].enabled, "'%s'", ok[i].spec);
		if (!enabled)
			continue;
		cr_assert_str_eq(host, ok[i].host, "'%s'", ok[i].spec);
		cr_assert_eq(port, ok[i].port, "'%s'", ok[i].spec);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(metrics_parse_listen(bad[i], &enabled, host, sizeof(host), &port),
			     -EINVAL, "'%s' accepted", bad[i]);
}

Test(metrics, textfile_is_replaced_whole)
{
	char dir[] = "/tmp/vmatrace-textfile-XXXXXX", path[128], buf[64], cmd[160];
	struct stat st;
	FILE *f;
	size_t n;

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vmatrace.prom", dir);
	cr_assert_eq(metrics_write_textfile(dir, "first 1\n", 8), 0);
	cr_assert_eq(metrics_write_textfile(dir, "second 2\n", 9), 0);
	f = fopen(path, "r");
	cr_assert(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	cr_assert_str_eq(buf, "second 2\n");
	/* It names other users' processes: 0640 whatever our umask (node_exporter reads it
	 * through a setgid directory's group). */
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640);
	/* Nothing else left in the directory (no temporary file). */
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s)\" = vmatrace.prom", dir);
	cr_assert_eq(system(cmd), 0);
	unlink(path);
	rmdir(dir);
	cr_assert_eq(metrics_write_textfile("/nonexistent/vmatrace", "x\n", 2), -ENOENT);
}

/* ---- the textfile writer on the event loop ---- */

#include "loop.h"

static void view_of_fixture(void *ctx, struct metrics_view *v)
{
	(void)ctx;
	fill_view(v);
}

static void stop_loop(void *ctx)
{
	loop_stop(ctx);
}

static void run_for(struct loop *l, unsigned int ms)
{
	cr_assert(loop_add_timer(l, ms * 1000000ull, 0, stop_loop, l));
	cr_assert_eq(loop_run(l), 0);
}

static char *slurp(const char *path)
{
	char *text = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&text, &cap, 0, f);
	fclose(f);
	if (n < 0) {
		free(text);
		return NULL;
	}
	return text;
}

Test(metrics, textfile_written_from_the_loop_follows_a_reload_and_goes_at_the_end)
{
	char a[] = "/tmp/vmatrace-tf-a-XXXXXX", b[] = "/tmp/vmatrace-tf-b-XXXXXX";
	char pa[128], pb[128], *text;
	struct loop *l = loop_new();
	struct config moved;
	struct metrics *m;

	cr_assert(l && mkdtemp(a) && mkdtemp(b));
	snprintf(pa, sizeof(pa), "%s/" METRICS_TEXTFILE, a);
	snprintf(pb, sizeof(pb), "%s/" METRICS_TEXTFILE, b);
	snprintf(cfg.metrics_listen, sizeof(cfg.metrics_listen), "off");
	snprintf(cfg.textfile_dir, sizeof(cfg.textfile_dir), "%s", a);
	cfg.textfile_interval_ns = 20000000ull;
	add_proc(5, "five", 3);
	m = metrics_new(l, &cfg, view_of_fixture, NULL);
	cr_assert(m);
	run_for(l, 10);
	text = slurp(pa);
	cr_assert(text, "not written at once");
	cr_assert(strstr(text, "\nvmatrace_process_vmas{pid=\"5\",comm=\"five\"} 3\n"), "%s", text);
	free(text);
	/* Rewritten every interval from a fresh view. */
	add_proc(6, "six", 4);
	run_for(l, 60);
	text = slurp(pa);
	cr_assert(text && strstr(text, "\nvmatrace_process_vmas{pid=\"6\",comm=\"six\"} 4\n"));
	free(text);
	/* A reload to another directory: the old file goes, the new one comes at once. */
	moved = cfg;
	snprintf(moved.textfile_dir, sizeof(moved.textfile_dir), "%s", b);
	metrics_reconfigure(m, &moved);
	cr_assert_neq(access(pa, F_OK), 0, "%s left behind", pa);
	run_for(l, 10);
	cr_assert_eq(access(pb, F_OK), 0, "%s not written", pb);
	/* The control socket's answer is the same exposition. */
	{
		struct strbuf sb;

		sb_init(&sb);
		metrics_answer(m, &sb);
		cr_assert(sb.buf && strstr(sb.buf, "# TYPE vmatrace_process_vmas gauge\n"));
		sb_free(&sb);
	}
	/* Stopped: no file that looks live. */
	metrics_free(m);
	cr_assert_neq(access(pb, F_OK), 0, "%s outlived the metrics", pb);
	loop_free(l);
	rmdir(a);
	rmdir(b);
}

/* The container as a label of the per-process series; past the cap, "other". */
static void put_container(uint32_t pid, const char *cgroup, const char *name)
{
	struct model_proc *p = model_proc_get(dmn.model, pid);
	struct container c;

	cr_assert(p && container_parse(cgroup, &c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	p->container = malloc(sizeof(c));
	cr_assert(p->container);
	*p->container = c;
}

Test(metrics, container_label_bounded)
{
	char *text, want[160], cg[128];
	int others = 0;

	add_proc(42, "mysqld", 250);
	put_container(42, "/system.slice/docker-0123456789abcdef0123456789abcdef.scope", "db\"1");
	apply_failure(42, VMT_SYS_MUNMAP, ENOMEM);
	add_proc(43, "bash", 3);
	text = render();
	HAS("vmatrace_process_vmas{" P42 ",container=\"docker:db\\\"1\"} 250");
	HAS("vmatrace_process_syscall_failures_total{" P42
	    ",container=\"docker:db\\\"1\",syscall=\"munmap\",errno=\"ENOMEM\"} 1");
	/* None: no label, the series as before. */
	HAS("vmatrace_process_vmas{pid=\"43\",comm=\"bash\"} 3");
	free(text);

	/* More distinct containers than the cap: the first ones by pid keep theirs. */
	cfg.metrics_top = 1000;
	for (int i = 0; i < METRICS_MAX_CONTAINERS + 5; i++) {
		add_proc(1000 + i, "worker", 10);
		snprintf(cg, sizeof(cg), "/system.slice/unit-%d.service", i);
		put_container(1000 + i, cg, "");
	}
	text = render();
	for (const char *s = text; (s = strstr(s, "vmatrace_process_vmas{pid=\"1")); s++)
		others += !strncmp(strstr(s, "container="), "container=\"other\"", 17);
	cr_assert_eq(others, 5 + 1 /* mysqld is one of the first 32 by pid */, "%s", text);
	snprintf(want, sizeof(want), "container=\"systemd:unit-%d.service\"",
		 METRICS_MAX_CONTAINERS - 2);
	cr_assert(strstr(text, want), "%s", text);
	free(text);
}
