// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Root integration tests of the Prometheus side: the daemon's /metrics
 * endpoint, its textfile and control-socket twins, the alerting rules under
 * promtool, and end to end a real Prometheus server scraping the daemon and
 * seeing a process's exact VMA count. All traffic stays on 127.0.0.1.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "harness.h"
#include "jsonr.h"

#define RULES "contrib/prometheus/vmatrace.rules.yml"

static struct h_daemon dmn;
static pid_t prom_pid, workload_pid;
static int hold_fd = -1, busy_fd = -1;

static void stop_prometheus(void)
{
	int st;

	if (prom_pid <= 0)
		return;
	kill(prom_pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(prom_pid, &st, WNOHANG) == prom_pid) {
			prom_pid = 0;
			return;
		}
		usleep(100000);
	}
	kill(prom_pid, SIGKILL);
	waitpid(prom_pid, &st, 0);
	prom_pid = 0;
}

static void suite_fini(void)
{
	stop_prometheus();
	if (hold_fd >= 0)
		close(hold_fd); /* the workload reads EOF and exits */
	hold_fd = -1;
	if (busy_fd >= 0)
		close(busy_fd);
	busy_fd = -1;
	if (workload_pid > 0)
		kill(workload_pid, SIGKILL);
	workload_pid = 0;
	h_daemon_stop(&dmn);
	h_cleanup();
}

TestSuite(metrics, .init = h_require_root, .fini = suite_fini, .timeout = H_TIMEOUT(240));

/* ---- a tiny HTTP/1.0 client (curl is not guaranteed) ---- */

struct http_reply {
	int status;
	char content_type[128];
	char *body; /* malloc'd, NUL-terminated */
	size_t len;
};

static void http_free(struct http_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* GET http://127.0.0.1:port/path; false if no answer (not listening yet...). */
static bool http_get(int port, const char *path, struct http_reply *r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 10 };
	char req[1024], *raw = NULL, *hdr_end, *ct;
	size_t len = 0, cap = 0;
	int fd, n;

	memset(r, 0, sizeof(*r));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return false;
	}
	/* HTTP/1.0: the server closes after the body, and nothing comes chunked. */
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
	if (write(fd, req, n) != n) {
		close(fd);
		return false;
	}
	for (;;) {
		ssize_t got;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			raw = realloc(raw, cap + 1);
			cr_assert(raw);
		}
		got = read(fd, raw + len, cap - len);
		if (got <= 0)
			break;
		len += got;
	}
	close(fd);
	if (!raw)
		return false;
	raw[len] = 0;
	hdr_end = strstr(raw, "\r\n\r\n");
	if (!hdr_end || sscanf(raw, "HTTP/%*s %d", &r->status) != 1) {
		free(raw);
		return false;
	}
	*hdr_end = 0;
	ct = strcasestr(raw, "\r\nContent-Type:");
	if (ct) {
		ct += strlen("\r\nContent-Type:");
		ct += strspn(ct, " ");
		snprintf(r->content_type, sizeof(r->content_type), "%.*s", (int)strcspn(ct, "\r"),
			 ct);
	}
	r->len = len - (hdr_end + 4 - raw);
	r->body = malloc(r->len + 1);
	cr_assert(r->body);
	memcpy(r->body, hdr_end + 4, r->len);
	r->body[r->len] = 0;
	free(raw);
	return true;
}

static void url_encode(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 4 < len; in++) {
		unsigned char c = *in;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-_.~", c))
			out[o++] = c;
		else
			o += snprintf(out + o, len - o, "%%%02X", c);
	}
	out[o] = 0;
}

/* A port nobody listens on now (the kernel picks it; a race with others is unlikely). */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	cr_assert(!getsockname(fd, (struct sockaddr *)&sa, &sl));
	close(fd);
	return ntohs(sa.sin_port);
}

static bool have(const char *prog)
{
	return h_sh("command -v %s >/dev/null 2>&1", prog) == 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "cannot write %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* promtool check metrics on a text; its findings go to stderr. */
static int promtool_metrics(const char *text)
{
	const char *path = h_tmpfile("check.prom");

	write_file(path, text);
	return h_sh("promtool check metrics < %s >&2", path);
}

static bool wait_for_file(const char *path, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		if (access(path, F_OK) == 0)
			return true;
		usleep(100000);
	}
	return false;
}

Test(metrics, endpoint_textfile_and_control_socket)
{
	const char *dir = h_tmpfile("textfile"), *prom = h_tmpfile("textfile/vmatrace.prom");
	struct http_reply r;
	char args[512], *ctl_text = NULL;
	size_t ctl_len = 0;
	int port = free_port();
	FILE *f;

	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(args, sizeof(args),
		 "--metrics-listen 127.0.0.1:%d --textfile-dir %s "
		 "--textfile-interval 1s",
		 port, dir);
	h_daemon_start(&dmn, args);

	cr_assert(http_get(port, "/metrics", &r), "no answer on 127.0.0.1:%d", port);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
	cr_assert(strstr(r.body, "# TYPE vmatrace_process_vmas gauge\n"));
	cr_assert(strstr(r.body, "\nvmatrace_build_info{version=\""));
	cr_assert(strstr(r.body, "\nvmatrace_process_vmas{pid=\""), "no process series");
	if (have("promtool"))
		cr_assert_eq(promtool_metrics(r.body), 0, "promtool rejects /metrics");
	http_free(&r);

	cr_assert(http_get(port, "/", &r));
	cr_assert_eq(r.status, 404);
	http_free(&r);

	/* The textfile: written soon after the start, complete, and valid. */
	cr_assert(wait_for_file(prom, 5), "no %s", prom);
	{
		struct lines l;

		cr_assert_eq(h_read_lines(prom, &l), 0);
		cr_assert_gt(l.n, 10);
		cr_assert_str_eq(l.v[0], "# HELP vmatrace_syscalls_total Memory-management system "
					 "calls seen, by system call.");
		/* Whole: it ends with the last family's samples. */
		cr_assert(!strncmp(l.v[l.n - 1], "vmatrace_process_failures_total{", 32),
			  "ends with %s", l.v[l.n - 1]);
		h_free_lines(&l);
	}
	if (have("promtool"))
		cr_assert_eq(h_sh("promtool check metrics < %s >&2", prom), 0);
	cr_assert_eq(h_sh("ls %s | grep -q tmp", dir), 1, "a temporary file was left behind");

	/* The control socket's "metrics" answers the same families. */
	f = open_memstream(&ctl_text, &ctl_len);
	cr_assert_eq(ctl_request(dmn.socket, "metrics", f), 0);
	fclose(f);
	cr_assert(strstr(ctl_text, "# HELP vmatrace_syscalls_total "));
	cr_assert(strstr(ctl_text, "# TYPE vmatrace_process_failures_total counter\n"));
	free(ctl_text);

	/* A stopped daemon leaves no stale file for node_exporter to serve. */
	h_daemon_stop(&dmn);
	cr_assert_neq(access(prom, F_OK), 0, "%s outlived the daemon", prom);
}

Test(metrics, port_in_use_is_logged_and_the_daemon_runs_on)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	char args[128], pat[128];

	/* We hold the port. */
	busy_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(busy_fd >= 0 && !bind(busy_fd, (struct sockaddr *)&sa, sizeof(sa)) &&
		  !listen(busy_fd, 1));
	cr_assert(!getsockname(busy_fd, (struct sockaddr *)&sa, &sl));
	snprintf(args, sizeof(args), "--metrics-listen 127.0.0.1:%d", ntohs(sa.sin_port));
	h_daemon_start(&dmn, args); /* asserts that it answers on its control socket */
	snprintf(pat, sizeof(pat), "cannot listen on 127.0.0.1:%d: Address already in use",
		 ntohs(sa.sin_port));
	cr_assert_eq(h_sh("grep -q '%s' %s", pat, dmn.log), 0, "no clear error in the log");
	cr_assert_eq(h_sh("%s status --socket %s >/dev/null", h_path("vmatrace"), dmn.socket), 0);
	cr_assert_eq(kill(dmn.pid, 0), 0, "the daemon died");
}

/* Labels of a target on host a and on host b, as Prometheus adds them. */
#define HOST_A "job=\"vmatrace\",instance=\"a:9436\""
#define HOST_B "job=\"vmatrace\",instance=\"b:9436\""
#define SERIES(s) "      - series: '" s "'\n"
#define VALUES(v) "        values: '" v "'\n"
/* An expression test: at `at`, ALERTS{alertname=name, firing} is `samples` ("[]" or a list). */
#define EXPECT(name, at, samples)                                              \
	"      - expr: ALERTS{alertname=\"" name "\",alertstate=\"firing\"}\n" \
	"        eval_time: " at "\n"                                          \
	"        exp_samples: " samples "\n"
#define FIRING(name, labels)                                                                 \
	"\n          - labels: 'ALERTS{alertname=\"" name "\",alertstate=\"firing\"," labels \
	"}'\n"                                                                               \
	"            value: 1"

/* A promtool unit test of the rules: each alert fires when it should and only then. */
static const char rules_test[] = "rule_files: [ %s ]\n"
				 "evaluation_interval: 1m\n"
				 "tests:\n"
				 "  - interval: 1m\n"
				 "    input_series:\n"
	/* Host a: one process growing 500 VMAs a minute, one flat and high. */
	SERIES("vmatrace_process_vmas{" HOST_A ",pid=\"10\",comm=\"mysqld\"}")
		VALUES("30000+500x40")
			SERIES("vmatrace_process_vmas{" HOST_A ",pid=\"11\",comm=\"flat\"}")
				VALUES("60000x40")
	/* Host b: the same growth against a larger limit: no alert. */
	SERIES("vmatrace_process_vmas{" HOST_B ",pid=\"10\",comm=\"mysqld\"}") VALUES(
		"30000+500x40") SERIES("vmatrace_vma_limit{" HOST_A
				       "}") VALUES("65530x40") SERIES("vmatrace_vma_limit{" HOST_B
								      "}") VALUES("262144x40")
		SERIES("vmatrace_process_vma_ratio{" HOST_A ",pid=\"11\",comm=\"flat\"}") VALUES(
			"0.5 0.5 0.85x10 0.97x10") SERIES("vmatrace_syscall_failures_total{" HOST_A
							  ",syscall=\"munmap\",errno=\"ENOMEM\"}")
			VALUES("0x10 22x10") SERIES("vmatrace_oom_kills_total{" HOST_A "}") VALUES(
				"0x10 1x10") SERIES("vmatrace_ringbuf_dropped_records_total{" HOST_A
						    "}")
				VALUES("0x40") "    promql_expr_test:\n" EXPECT(
					"VmatraceVmaLimitWithinAnHour", "30m",
					FIRING("VmatraceVmaLimitWithinAnHour",
					       "severity=\"warning\"," HOST_A
					       ",pid=\"10\",comm=\"mysqld\""))
					EXPECT("VmatraceVmaCountHigh", "5m",
					       FIRING("VmatraceVmaCountHigh",
						      "severity=\"warning\"," HOST_A
						      ",pid=\"11\",comm=\"flat\""))
						EXPECT("VmatraceVmaCountCritical", "5m", "[]") EXPECT(
							"VmatraceVmaCountCritical", "13m",
							FIRING("VmatraceVmaCountCritical",
							       "severity=\"critical\"," HOST_A
							       ",pid=\"11\",comm=\"flat\""))
							EXPECT("VmatraceAllocationFailures", "9m", "[]") EXPECT(
								"VmatraceAllocationFailures", "12m",
								FIRING("VmatraceAllocationFailures",
								       "severity=\"critical\"," HOST_A
								       ",syscall=\"munmap\",errno=\"ENOMEM\""))
								EXPECT("VmatraceOomKill", "9m", "[]") EXPECT(
									"VmatraceOomKill", "12m",
									FIRING("VmatraceOomKill",
									       "severity=\"critical\"," HOST_A))
									EXPECT("VmatraceRingBufferDrops",
									       "30m", "[]");

Test(metrics, alerting_rules_pass_promtool)
{
	char rules[4096], *text;

	if (!have("promtool"))
		cr_skip_test("promtool is not installed (scripts/setup.sh installs prometheus)");
	cr_assert(realpath(RULES, rules), "%s: %s (run from the repository)", RULES,
		  strerror(errno));
	cr_assert_eq(h_sh("promtool check rules %s >&2", rules), 0);
	cr_assert_geq(asprintf(&text, rules_test, rules), 0);
	write_file(h_tmpfile("rules_test.yml"), text);
	free(text);
	cr_assert_eq(h_sh("promtool test rules %s >&2", h_tmpfile("rules_test.yml")), 0);
}

/* The kernel's count of a process's VMAs: /proc/PID/maps without the [vsyscall] line. */
static long kernel_vmas(int pid)
{
	char path[64], line[1024];
	long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !strstr(line, "[vsyscall]");
	fclose(f);
	return n;
}

/* The value of the first sample in a Prometheus query answer, or -1. */
static double query_value(int port, const char *promql)
{
	char enc[512], path[640];
	struct http_reply r;
	double val = -1;
	json_t *doc, *value;

	url_encode(promql, enc, sizeof(enc));
	snprintf(path, sizeof(path), "/api/v1/query?query=%s", enc);
	if (!http_get(port, path, &r))
		return -1;
	/* {"status":"success","data":{"resultType":"vector","result":[{..,"value":[T,"V"]}]}} */
	doc = r.status == 200 ? jr_parse(r.body, strlen(r.body)) : NULL;
	value = json_array_get(
		json_object_get(
			json_array_get(json_object_get(json_object_get(doc, "data"), "result"), 0),
			"value"),
		1);
	if (json_is_string(value))
		val = strtod(json_string_value(value), NULL);
	json_decref(doc);
	http_free(&r);
	return val;
}

static void start_prometheus(int port, int target_port)
{
	const char *cfg = h_tmpfile("prometheus.yml"), *data = h_tmpfile("prometheus-data");
	const char *log = h_tmpfile("prometheus.log");
	char rules[4096], *text, arg_cfg[512], arg_data[512], arg_listen[64];

	cr_assert(realpath(RULES, rules));
	/* The rules are loaded too: a real server must accept them. */
	cr_assert_geq(asprintf(&text,
			       "global:\n"
			       "  scrape_interval: 1s\n"
			       "  scrape_timeout: 1s\n"
			       "  evaluation_interval: 1s\n"
			       "rule_files: [ %s ]\n"
			       "scrape_configs:\n"
			       "  - job_name: vmatrace\n"
			       "    static_configs:\n"
			       "      - targets: [ '127.0.0.1:%d' ]\n",
			       rules, target_port),
		      0);
	write_file(cfg, text);
	free(text);
	snprintf(arg_cfg, sizeof(arg_cfg), "--config.file=%s", cfg);
	snprintf(arg_data, sizeof(arg_data), "--storage.tsdb.path=%s", data);
	snprintf(arg_listen, sizeof(arg_listen), "--web.listen-address=127.0.0.1:%d", port);
	prom_pid = fork();
	cr_assert_geq(prom_pid, 0);
	if (prom_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("prometheus", "prometheus", arg_cfg, arg_data, arg_listen, (char *)NULL);
		_exit(127);
	}
	/* Ready when its readiness endpoint says so. */
	for (int i = 0; i < 300; i++) {
		struct http_reply r;
		bool ready = http_get(port, "/-/ready", &r) && r.status == 200;

		http_free(&r);
		if (ready)
			return;
		if (waitpid(prom_pid, NULL, WNOHANG) == prom_pid) {
			prom_pid = 0;
			h_sh("tail -20 %s >&2", log);
			cr_assert_fail("prometheus exited at start");
		}
		usleep(100000);
	}
	h_sh("tail -20 %s >&2", log);
	cr_assert_fail("prometheus was not ready within 30 s");
}

/* Start `PROGRAM wait` (arenas, perhaps renamed), held on a fifo that we keep open; returns
 * when its VMAs are settled. */
static long start_program(const char *program)
{
	const char *fifo = h_tmpfile("hold");
	char cmd[512];
	long count = -1, prev = -2;
	FILE *p;

	cr_assert_eq(h_sh("mkfifo %s", fifo), 0);
	snprintf(cmd, sizeof(cmd), "'%s' wait < %s > /dev/null & echo $!", program, fifo);
	p = popen(cmd, "r");
	cr_assert(p && fscanf(p, "%d", &workload_pid) == 1);
	pclose(p);
	hold_fd = open(fifo, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(hold_fd, 0);
	/* Its threads map their arenas, then it blocks on the fifo: wait for a steady count. */
	for (int i = 0; i < 50 && count != prev; i++) {
		usleep(200000);
		prev = count;
		count = kernel_vmas(workload_pid);
	}
	cr_assert_gt(count, 0, "cannot read /proc/%d/maps", workload_pid);
	cr_assert_eq(count, prev, "the workload's VMA count does not settle");
	return count;
}

static long start_workload(void)
{
	return start_program(h_path("workloads/arenas"));
}

Test(metrics, prometheus_scrapes_the_exact_vma_count)
{
	int metrics_port = free_port(), prom_port = free_port();
	char args[256], q[128];
	double seen = -1, up = -1;
	long count;

	if (!have("prometheus"))
		cr_skip_test("prometheus is not installed (scripts/setup.sh installs it)");
	/* Every process gets a series: the workload must not depend on what else runs here. */
	snprintf(args, sizeof(args), "--metrics-listen 127.0.0.1:%d --metrics-top 100000",
		 metrics_port);
	h_daemon_start(&dmn, args);
	count = start_workload();
	start_prometheus(prom_port, metrics_port);

	snprintf(q, sizeof(q), "vmatrace_process_vmas{pid=\"%d\"}", workload_pid);
	for (int i = 0; i < 60 && seen != count; i++) {
		usleep(500000);
		seen = query_value(prom_port, q);
	}
	up = query_value(prom_port, "up{job=\"vmatrace\"}");
	fprintf(stderr, "prometheus: %s = %.0f, /proc/%d/maps: %ld VMAs\n", q, seen, workload_pid,
		count);
	cr_assert_eq(up, 1, "the vmatrace target is not up in prometheus (%g)", up);
	cr_assert_eq(seen, (double)count, "prometheus has %g VMAs for pid %d, the kernel %ld", seen,
		     workload_pid, count);
	cr_assert_eq(kernel_vmas(workload_pid), count, "the workload changed meanwhile");
	/* The limit joins with the process series as the rules expect. */
	{
		long limit = 0;
		FILE *f = fopen("/proc/sys/vm/max_map_count", "r");

		cr_assert(f && fscanf(f, "%ld", &limit) == 1 && limit > 0);
		fclose(f);
		snprintf(q, sizeof(q),
			 "vmatrace_process_vmas{pid=\"%d\"} / on (job, instance) "
			 "group_left vmatrace_vma_limit",
			 workload_pid);
		cr_assert_float_eq(query_value(prom_port, q), (double)count / limit, 1e-9);
	}
}

Test(metrics, a_utf8_process_name_is_its_label_as_is)
{
	const char *bin = h_tmpfile("caf\xc3\xa9");
	char args[256], want[128];
	int port = free_port();
	bool found = false;

	cr_assert_eq(h_sh("cp %s '%s'", h_path("workloads/arenas"), bin), 0);
	/* Only it is selected: its series is there whatever else runs here. */
	snprintf(args, sizeof(args),
		 "--metrics-listen 127.0.0.1:%d --trace-comm caf\xc3\xa9 "
		 "--metrics-top 10",
		 port);
	h_daemon_start(&dmn, args);
	start_program(bin);
	snprintf(want, sizeof(want), "\nvmatrace_process_vmas{pid=\"%d\",comm=\"caf\xc3\xa9\"} ",
		 workload_pid);
	for (int i = 0; i < 50 && !found; i++) {
		struct http_reply r;

		if (http_get(port, "/metrics", &r)) {
			found = r.status == 200 && strstr(r.body, want);
			if (!found && i == 49)
				fprintf(stderr, "%s\n", r.body);
			http_free(&r);
		}
		if (!found)
			usleep(100000);
	}
	cr_assert(found, "no series with comm=\"caf\xc3\xa9\" for pid %d", workload_pid);
}

/* The value of a sample line `series VALUE` in text, 0 when the series is absent. */
static long long sample_value(const char *text, const char *series)
{
	char want[256];
	const char *p;

	snprintf(want, sizeof(want), "\n%s ", series);
	p = strstr(text, want);
	return p ? atoll(p + strlen(want)) : 0;
}

static long long metrics_sample(const char *series)
{
	char *text = NULL;
	size_t len = 0;
	long long v;
	FILE *f = open_memstream(&text, &len);

	cr_assert(f);
	cr_assert_eq(ctl_request(dmn.socket, "metrics", f), 0);
	fclose(f);
	v = sample_value(text, series);
	free(text);
	return v;
}

/* Every errno a call failed with is exported, not only the alerting one (ENOMEM). */
Test(metrics, failures_by_every_errno_seen)
{
	static const char series[] =
		"vmatrace_syscall_failures_total{syscall=\"munmap\",errno=\"EINVAL\"}";
	const char *out = h_tmpfile("workload.out");
	long long before, after = 0, einval = 0;
	struct lines l;

	h_daemon_start(&dmn, "--journal-dir ''");
	before = metrics_sample(series);
	cr_assert_eq(h_sh("%s 5 > %s", h_path("workloads/munmap_einval"), out), 0);
	cr_assert_eq(h_read_lines(out, &l), 0);
	cr_assert(l.n && h_kv(l.v[0], "munmap_einval", &einval), "no count from the workload");
	h_free_lines(&l);
	cr_assert_eq(einval, 5);
	for (int i = 0; i < 50 && after - before < einval; i++) {
		usleep(100000);
		after = metrics_sample(series);
	}
	/* Other processes may fail the same way meanwhile: at least ours. */
	cr_assert_geq(after - before, einval, "%s went from %lld to %lld", series, before, after);
}

/* Sockets of the daemon's port in CLOSE-WAIT (the peer closed; the server has not), from /proc. */
static int close_wait_count(int port)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/net/tcp", "r");

	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned int lport, state;

		/* "  0: 0100007F:1F90 0100007F:D2A4 08 ..." : local address:port, remote, state */
		if (sscanf(line, " %*d: %*x:%x %*x:%*x %x", &lport, &state) == 2 &&
		    (int)lport == port && state == 0x08)
			n++;
	}
	fclose(f);
	return n;
}

static int connect_port(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	return fd;
}

/*
 * Any local user can open connections: 40 opened and closed at once (more
 * than the server's slots; before, every later scrape timed out and sockets
 * stayed in CLOSE-WAIT until a restart), then 40 that stay open and silent,
 * then 40 that send half a request and half-close: a scrape answers after
 * each wave, and the closed ones are all closed by the server too.
 */
Test(metrics, a_wave_of_idle_and_closed_connections_never_blocks_a_scrape)
{
	enum { WAVE = 40 };
	int port = free_port(), fds[WAVE], cw = -1;
	struct http_reply r;
	char args[128];

	snprintf(args, sizeof(args), "--metrics-listen 127.0.0.1:%d", port);
	h_daemon_start(&dmn, args);

	for (int i = 0; i < WAVE; i++)
		fds[i] = connect_port(port);
	for (int i = 0; i < WAVE; i++)
		close(fds[i]);
	cr_assert(http_get(port, "/metrics", &r), "no scrape after %d closed connections", WAVE);
	cr_assert_eq(r.status, 200);
	http_free(&r);
	/* The server closes its ends: none left in CLOSE-WAIT (it may take a moment). */
	for (int i = 0; i < 50 && (cw = close_wait_count(port)); i++)
		usleep(100000);
	cr_assert_eq(cw, 0, "%d sockets of port %d left in CLOSE-WAIT", cw, port);

	/* Silent clients that hold their connections: the newest scrape still gets a slot. */
	for (int i = 0; i < WAVE; i++)
		fds[i] = connect_port(port);
	cr_assert(http_get(port, "/metrics", &r), "no scrape with %d idle connections open", WAVE);
	cr_assert_eq(r.status, 200);
	http_free(&r);
	for (int i = 0; i < WAVE; i++)
		close(fds[i]);

	/* Half a request, then a half-close: the server must not wait for the rest. */
	for (int i = 0; i < WAVE; i++) {
		fds[i] = connect_port(port);
		cr_assert_eq(write(fds[i], "GET /metr", 9), 9);
		shutdown(fds[i], SHUT_WR);
	}
	cr_assert(http_get(port, "/metrics", &r), "no scrape after %d half-closed requests", WAVE);
	cr_assert_eq(r.status, 200);
	http_free(&r);
	for (int i = 0; i < WAVE; i++)
		close(fds[i]);
	for (int i = 0; i < 50 && (cw = close_wait_count(port)); i++)
		usleep(100000);
	cr_assert_eq(cw, 0, "%d sockets of port %d left in CLOSE-WAIT", cw, port);
	cr_assert_eq(kill(dmn.pid, 0), 0, "the daemon died");
}
