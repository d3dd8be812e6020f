// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Root integration tests of the service: alerts, OOM records, the journal
 * (also after SIGKILL), reloads, the systemd unit, and reports.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "journal.h"
#include "jsonr.h"
#include "strbuf.h"

static struct h_daemon dmn;
static char memcg[128];

static void fini(void)
{
	h_daemon_stop(&dmn);
	if (memcg[0]) {
		for (int i = 0; i < 50 && rmdir(memcg); i++)
			usleep(100000);
		memcg[0] = 0;
	}
	h_cleanup();
}

TestSuite(daemon, .init = h_require_root, .fini = fini, .timeout = H_TIMEOUT(240));

/* Run a workload to completion, its output into out (NULL: none); returns its pid. */
static int run_workload_out(const char *cmd, const char *out)
{
	char line[1024];
	FILE *p;
	int pid = 0;

	snprintf(line, sizeof(line), "%s >%s 2>&1 & echo $!; wait", cmd, out ? out : "/dev/null");
	p = popen(line, "r");
	cr_assert(p && fscanf(p, "%d", &pid) == 1);
	pclose(p);
	return pid;
}

static int run_workload(const char *cmd)
{
	return run_workload_out(cmd, NULL);
}

/* One JSON line as an object (jansson); the test fails on anything else. */
static json_t *parse_line(const char *line, size_t len)
{
	json_t *j = jr_parse(line, len);

	cr_assert(j && json_is_object(j), "not a JSON object: %.*s", (int)len, line);
	return j;
}

static long long num(const json_t *o, const char *key)
{
	double v;

	cr_assert(jr_num(o, key, &v), "no number %s", key);
	return (long long)v;
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = jr_str(o, key);

	cr_assert(v, "no string %s", key);
	return v;
}

/* The first record of `type` about pid in the journal, parsed; NULL when there is none. */
static json_t *journal_object(const char *jdir, uint16_t type, uint32_t pid)
{
	struct journal_reader *r = journal_reader_open(jdir);
	const struct journal_rec *rec;
	const void *payload;
	json_t *found = NULL;

	cr_assert(r, "cannot read the journal in %s", jdir);
	while (!found && journal_reader_next(r, &rec, &payload) == 1)
		if (rec->type == type && rec->pid == pid)
			found = parse_line(payload, rec->len);
	journal_reader_close(r);
	return found;
}

/* The alloc_failure alerts of pid: how many, and how many failures they stand for. */
static void failure_alerts(const char *alerts, long long pid, int *n, int *at_once,
			   long long *counted)
{
	struct lines l;

	*n = *at_once = 0;
	*counted = 0;
	cr_assert_eq(h_read_lines(alerts, &l), 0);
	for (size_t i = 0; i < l.n; i++) {
		json_t *a = parse_line(l.v[i], strlen(l.v[i]));

		if (num(a, "pid") == pid && !strcmp(str(a, "kind"), "alloc_failure")) {
			(*n)++;
			*at_once += json_is_false(json_object_get(a, "delayed"));
			*counted += 1 + num(a, "suppressed_before");
		}
		json_decref(a);
	}
	h_free_lines(&l);
}

Test(daemon, scenario1_threshold_alerts_before_the_enomem_alert)
{
	const char *alerts = h_tmpfile("alerts.jsonl"), *out = h_tmpfile("workload.out");
	const char *jdir = h_tmpfile("journal");
	char args[512], *report;
	double last_threshold_ts = 0, failure_ts = 0;
	long long pid, seen_thresholds[3] = { 0 }, enomem = -1, counted = 0;
	struct lines l;
	int failures = 0, at_once = 0;
	json_t *exit_rec, *f;

	snprintf(args, sizeof(args), "--alert-log %s --journal-dir %s --ringbuf-size 64M", alerts,
		 jdir);
	h_daemon_start(&dmn, args);
	pid = run_workload_out(h_path("workloads/vma_explode"), out);
	cr_assert_eq(h_read_lines(out, &l), 0);
	for (size_t i = 0; i < l.n && enomem < 0; i++)
		if (!h_kv(l.v[i], "munmap_enomem", &enomem))
			enomem = -1;
	h_free_lines(&l);
	cr_assert_gt(enomem, 0, "the workload saw no failed munmap");
	cr_assert(h_wait_for_line(alerts, "alloc_failure", 20), "no alloc_failure alert");
	cr_assert_eq(h_read_lines(alerts, &l), 0);
	for (size_t i = 0; i < l.n; i++) {
		json_t *a = parse_line(l.v[i], strlen(l.v[i]));
		const char *kind = str(a, "kind");
		double ts;

		if (num(a, "pid") != pid) {
			json_decref(a);
			continue;
		}
		cr_assert(jr_num(a, "ts", &ts));
		if (!strcmp(kind, "vma_threshold")) {
			long long thr = num(a, "threshold");

			for (int t = 0; t < 3; t++)
				if (thr == (long long[]){ 80, 90, 95 }[t])
					seen_thresholds[t]++;
			cr_assert_eq(num(a, "limit"), 65530);
			cr_assert(json_object_get(a, "seconds_to_limit"));
			cr_assert(json_is_object(json_object_get(a, "census")));
			last_threshold_ts = ts;
		} else if (!strcmp(kind, "alloc_failure")) {
			cr_assert_str_eq(str(a, "errno"), "ENOMEM", "%s", l.v[i]);
			cr_assert_str_eq(str(a, "syscall"), "munmap", "%s", l.v[i]);
			cr_assert_eq(num(a, "vmas"), 65530, "%s", l.v[i]);
			if (!failures++)
				failure_ts = ts;
		}
		json_decref(a);
	}
	for (int t = 0; t < 3; t++)
		cr_assert_eq(seen_thresholds[t], 1, "threshold %d alerted %lld times", t,
			     seen_thresholds[t]);
	cr_assert_lt(last_threshold_ts, failure_ts, "thresholds must come before the failure");
	h_free_lines(&l);

	/*
	 * Rate-limited, and counted: one alert at once, the rest held back and told when the
	 * process exits; the alerts and what they say they stand for add up to every failure.
	 */
	for (int i = 0; i < 200; i++) {
		failure_alerts(alerts, pid, &failures, &at_once, &counted);
		if (counted >= enomem)
			break;
		usleep(100000);
	}
	cr_assert_eq(at_once, 1, "%d alerts at once", at_once);
	cr_assert_eq(counted, enomem, "%d alerts count %lld failures of %lld", failures, counted,
		     enomem);
	cr_assert_leq(failures, 2);
	/* The journal keeps the exact counts by syscall and errno with the exit. */
	h_daemon_stop(&dmn);
	exit_rec = journal_object(jdir, JREC_PROC_EXIT, (uint32_t)pid);
	cr_assert(exit_rec, "no exit record of %lld", pid);
	cr_assert_eq(num(exit_rec, "failures_total"), enomem);
	f = json_array_get(json_object_get(exit_rec, "failures"), 0);
	cr_assert_eq(json_array_size(json_object_get(exit_rec, "failures")), 1);
	cr_assert_str_eq(str(f, "syscall"), "munmap");
	cr_assert_str_eq(str(f, "errno"), "ENOMEM");
	cr_assert_eq(num(f, "count"), enomem);
	json_decref(exit_rec);
	/* The text report says so next to the alert. */
	report = (char *)h_tmpfile("report.txt");
	cr_assert_eq(h_sh("%s report --journal-dir %s --pid %lld -o %s", h_path("vmatrace"), jdir,
			  pid, report),
		     0);
	cr_assert_eq(h_sh("grep -q 'munmap failed with ENOMEM at 65530 VMAs.*; %lld in all' %s",
			  enomem, report),
		     0, "the count is not in the report");
	cr_assert_eq(h_sh("grep -qE '^ *%lld  vma_explode +munmap +ENOMEM +%lld$' %s", pid, enomem,
			  report),
		     0, "no failed calls counted at the exit in the report");
}

/* A member that is an array with at least one element. */
static const json_t *nonempty(const json_t *o, const char *key)
{
	const json_t *a = json_object_get(o, key);

	cr_assert(json_array_size(a) > 0, "no %s, or empty", key);
	return a;
}

/* Scenario 2: an OOM kill, what grew before it, in the alert log, the hook and the reports. */
Test(daemon, scenario2_oom_kill_what_grew_in_every_output)
{
	const char *alerts = h_tmpfile("alerts.jsonl"), *jdir = h_tmpfile("journal");
	const char *hook = h_tmpfile("hook.sh"), *hook_in = h_tmpfile("out/hook.stdin");
	const char *hook_env = h_tmpfile("out/hook.env"), *text = h_tmpfile("report.txt");
	const char *json = h_tmpfile("report.json");
	char args[1024], cmd[512], row[128], mapped_s[32], heap_s[32];
	const json_t *grew, *pts, *last, *kinds;
	struct strbuf sb;
	struct lines l;
	json_t *a = NULL, *o, *ctx;
	int pid, ooms = 0;
	long long rss_kb, mapped, vmas, heap;
	char *doc;
	FILE *hf;

	if (access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK))
		cr_skip_test("no memcg v1 hierarchy");
	/* Removed by fini, whatever happens here. */
	snprintf(memcg, sizeof(memcg), "/sys/fs/cgroup/memory/vmatrace-dtest-%d", (int)getpid());
	cr_assert_eq(mkdir(memcg, 0755), 0);
	cr_assert_eq(h_sh("echo 64M > %s/memory.limit_in_bytes", memcg), 0);
	/* The hook runs as nobody: it must reach the hook and a place to write. */
	cr_assert_eq(h_sh("chmod 0755 %s && mkdir -m 1777 %s/out", h_tmpdir(), h_tmpdir()), 0);
	hf = fopen(hook, "w");
	cr_assert(hf);
	fprintf(hf, "#!/bin/sh\ncat >> %s\nprintf '%%s\\n' \"$VMATRACE_ALERT_JSON\" >> %s\n",
		hook_in, hook_env);
	fclose(hf);
	cr_assert_eq(chmod(hook, 0755), 0);
	snprintf(args, sizeof(args), "--alert-log %s --journal-dir %s --alert-exec %s", alerts,
		 jdir, hook);
	h_daemon_start(&dmn, args);
	/* 5 ms after each MiB: the 64 MiB cgroup kills it after about 0.3 s. */
	snprintf(cmd, sizeof(cmd), "sh -c 'echo $$ > %s/cgroup.procs && exec %s 5'", memcg,
		 h_path("workloads/oom_hog"));
	pid = run_workload(cmd);
	cr_assert(h_wait_for_line(alerts, "oom_kill", 20), "no oom_kill alert");
	cr_assert_eq(h_read_lines(alerts, &l), 0);
	for (size_t i = 0; i < l.n; i++) {
		json_t *j = parse_line(l.v[i], strlen(l.v[i]));

		if (strcmp(str(j, "kind"), "oom_kill")) {
			json_decref(j);
			continue;
		}
		ooms++;
		cr_assert_eq(num(j, "victim_pid"), pid, "%s", l.v[i]);
		cr_assert_str_eq(str(j, "victim_comm"), "oom_hog");
		cr_assert_str_eq(str(j, "oom_type"), "cgroup", "%s", l.v[i]);
		cr_assert(strstr(str(j, "memcg"), "vmatrace-dtest-"), "memcg path: %s", l.v[i]);
		cr_assert_eq(num(j, "memcg_limit"), 67108864, "%s", l.v[i]);
		cr_assert_gt(num(j, "anon_rss_kb"), 32 * 1024);
		json_decref(a);
		a = j;
	}
	cr_assert_eq(ooms, 1, "%d oom_kill alerts", ooms);
	h_free_lines(&l);

	/* What grew, in the alert log's line: the victim lived 0.3 s and has its history. */
	rss_kb = num(a, "anon_rss_kb");
	grew = json_object_get(a, "grew");
	cr_assert(json_is_object(grew), "no grew in the alert");
	cr_assert(strstr(str(grew, "source"), "flight recorder"), "%s", str(grew, "source"));
	pts = nonempty(grew, "points");
	cr_assert_geq(json_array_size(pts), 2, "one point is no history");
	last = json_array_get(pts, json_array_size(pts) - 1);
	cr_assert_eq(num(last, "ago_s"), 0);
	mapped = num(last, "mapped");
	vmas = num(last, "vmas");
	heap = num(last, "heap");
	/* Resident anonymous memory lies in what was mapped; it grew from far less. */
	cr_assert_geq(mapped, rss_kb * 1024, "mapped %lld < anon-rss %lld kB", mapped, rss_kb);
	cr_assert_lt(num(json_array_get(pts, 0), "mapped"), mapped / 2);
	cr_assert_eq(num(a, "mapped"), mapped);
	cr_assert_eq(num(a, "vmas"), vmas);
	kinds = nonempty(grew, "kinds");
	cr_assert_str_eq(str(json_array_get(kinds, 0), "kind"), "anonymous");
	cr_assert_geq(num(json_array_get(kinds, 0), "bytes"), rss_kb * 1024);
	nonempty(grew, "events");
	cr_assert_eq(json_array_size(json_object_get(json_object_get(grew, "series"), "mapped")),
		     30);
	/* The hook gets the same line, on stdin and in VMATRACE_ALERT_JSON. */
	cr_assert(h_wait_for_line(hook_in, "\"grew\":{", 10), "no context on the hook's stdin");
	cr_assert(h_wait_for_line(hook_env, "\"kind\":\"oom_kill\"", 10));
	cr_assert_eq(h_sh("grep '\"kind\":\"oom_kill\"' %s | grep -q '\"grew\":{'", hook_env), 0,
		     "no context in VMATRACE_ALERT_JSON");
	usleep(300000);
	h_daemon_stop(&dmn);

	/* The journal: one record for the kill, the full context with a non-empty timeline. */
	o = journal_object(jdir, JREC_OOM, (uint32_t)pid);
	cr_assert(o, "no OOM record");
	ctx = json_object_get(o, "context");
	cr_assert(json_is_object(ctx));
	nonempty(ctx, "timeline");
	nonempty(ctx, "flight");
	cr_assert(json_is_object(json_object_get(o, "grew")));
	json_decref(o);
	cr_assert_null(journal_object(jdir, JREC_ALERT, (uint32_t)pid), "the kill twice");

	/* The text report: the OOM kill once, and the numbers a DBA reads under it. */
	cr_assert_eq(h_sh("%s report --journal-dir %s --pid %d -o %s", h_path("vmatrace"), jdir,
			  pid, text),
		     0);
	cr_assert_eq(h_sh("test $(grep -c 'OOM kill (cgroup' %s) = 1", text), 0, "not once");
	cr_assert_eq(h_sh("grep -q 'what grew over the last .* (from the .*flight recorder):' %s",
			  text),
		     0);
	cr_assert_eq(h_sh("grep -q 'AGO      VMAS      MAPPED        HEAP' %s", text), 0);
	sb_init(&sb);
	sb_size(&sb, mapped);
	snprintf(mapped_s, sizeof(mapped_s), "%s", sb.buf);
	sb_reset(&sb);
	sb_size(&sb, heap);
	snprintf(heap_s, sizeof(heap_s), "%s", sb.buf);
	sb_free(&sb);
	snprintf(row, sizeof(row), "%9s %9lld %11s %11s", "0", vmas, mapped_s, heap_s);
	cr_assert_eq(h_sh("grep -qF -- '%s' %s", row, text), 0, "no row '%s' in the report", row);
	cr_assert_eq(h_sh("grep -q 'kinds:  anonymous [0-9]* VMAs' %s", text), 0);
	cr_assert_eq(h_sh("grep -q 'mapped  .* -> %s' %s", mapped_s, text), 0, "no plot");
	/* The JSON report: the same kill once. */
	cr_assert_eq(h_sh("%s report --journal-dir %s --pid %d --format json -o %s",
			  h_path("vmatrace"), jdir, pid, json),
		     0);
	cr_assert_eq(h_read_lines(json, &l), 0);
	doc = l.n ? l.v[0] : "";
	o = parse_line(doc, strlen(doc));
	cr_assert_eq(json_array_size(json_object_get(o, "events")), 1, "%s", doc);
	cr_assert_str_eq(str(json_array_get(json_object_get(o, "events"), 0), "kind"), "oom_kill");
	json_decref(o);
	h_free_lines(&l);
	json_decref(a);
}

Test(daemon, sigkill_leaves_a_journal_that_reads_to_the_last_flush)
{
	const char *jdir = h_tmpfile("journal");
	char args[512];
	struct journal_reader *r;
	const struct journal_rec *rec;
	const void *payload;
	int starts = 0, points = 0, rc;

	snprintf(args, sizeof(args),
		 "--journal-dir %s --journal-flush-interval 200ms "
		 "--timeline-resolution 100ms",
		 jdir);
	h_daemon_start(&dmn, args);
	run_workload(h_path("workloads/mmap_loop 20000"));
	run_workload(h_path("workloads/brk_frag"));
	sleep(2);
	kill(dmn.pid, SIGKILL);
	waitpid(dmn.pid, NULL, 0);
	dmn.pid = 0;
	r = journal_reader_open(jdir);
	cr_assert(r);
	while ((rc = journal_reader_next(r, &rec, &payload)) == 1) {
		starts += rec->type == JREC_DAEMON_START;
		points += rec->type == JREC_TIMELINE;
	}
	cr_assert_eq(rc, 0);
	cr_assert_eq(starts, 1);
	cr_assert_gt(points, 0, "no timeline points before the kill");
	cr_assert_eq(journal_reader_get_stats(r)->damaged_blocks, 0);
	journal_reader_close(r);
	cr_assert_eq(h_sh("%s report --journal-dir %s >/dev/null", h_path("vmatrace"), jdir), 0);
}

Test(daemon, sighup_with_a_bad_config_keeps_the_old_one)
{
	const char *conf = h_tmpfile("vmatrace.conf");
	char args[512];

	cr_assert_eq(h_sh("echo 'alert_thresholds = 80, 90' > %s", conf), 0);
	snprintf(args, sizeof(args), "-c %s --journal-dir ''", conf);
	h_daemon_start(&dmn, args);
	cr_assert_eq(h_sh("echo 'alert_thresholds = 90, 80' > %s", conf), 0);
	kill(dmn.pid, SIGHUP);
	cr_assert(h_wait_for_line(dmn.log, "keeping the running configuration", 10));
	cr_assert(h_wait_for_line(dmn.log, ":1: alert_thresholds: thresholds must ascend", 1));
	cr_assert_eq(kill(dmn.pid, 0), 0, "the daemon died");
	cr_assert_eq(h_sh("%s status --socket %s >/dev/null", h_path("vmatrace"), dmn.socket), 0);
	cr_assert_eq(h_sh("echo 'alert_thresholds = 70' > %s", conf), 0);
	kill(dmn.pid, SIGHUP);
	cr_assert(h_wait_for_line(dmn.log, "configuration reloaded", 10));
}

Test(daemon, check_config_names_file_line_and_key)
{
	const char *conf = h_tmpfile("bad.conf"), *err = h_tmpfile("err");

	cr_assert_eq(h_sh("printf '# ok\\njournal_dir = /tmp/x\\nalert_oom = perhaps\\n' > %s",
			  conf),
		     0);
	cr_assert_eq(h_sh("%s daemon -c %s --check-config 2>%s", h_path("vmatrace"), conf, err), 2);
	cr_assert(h_wait_for_line(err, ":3: alert_oom: 'perhaps' is not yes or no", 1));
	cr_assert_eq(h_sh("printf 'alert_oom = no\\n' > %s", conf), 0);
	cr_assert_eq(h_sh("%s daemon -c %s --check-config >/dev/null", h_path("vmatrace"), conf),
		     0);
	cr_assert_eq(
		h_sh("%s daemon --bogus-flag 1 --check-config 2>/dev/null", h_path("vmatrace")), 2);
}

Test(daemon, exec_hook_gets_the_alert)
{
	const char *hook = h_tmpfile("hook.sh"), *out = h_tmpfile("out/hook.out");
	char args[512];

	/* The hook runs as nobody: it must reach the hook and a place to write. */
	cr_assert_eq(h_sh("chmod 0755 %s && mkdir -m 1777 %s/out", h_tmpdir(), h_tmpdir()), 0);
	cr_assert_eq(
		h_sh("printf '#!/bin/sh\\n{ echo \"kind=$VMATRACE_ALERT_KIND pid=$VMATRACE_ALERT_PID\"; "
		     "cat; } >> %s\\n' > %s && chmod +x %s",
		     out, hook, hook),
		0);
	snprintf(args, sizeof(args), "--alert-exec %s --journal-dir '' --ringbuf-size 64M", hook);
	h_daemon_start(&dmn, args);
	run_workload(h_path("workloads/vma_explode"));
	cr_assert(h_wait_for_line(out, "kind=vma_threshold", 20));
	cr_assert(h_wait_for_line(out, "\"kind\":\"vma_threshold\"", 5), "the JSON on stdin");
	cr_assert(h_wait_for_line(out, "kind=alloc_failure", 10));
}

Test(daemon, systemd_unit_verifies)
{
	const char *unit = h_tmpfile("vmatrace.service");
	char exe[512];

	if (access("/usr/bin/systemd-analyze", X_OK))
		cr_skip_test("no systemd-analyze");
	cr_assert(realpath(h_path("vmatrace"), exe));
	/* The unit as installed, pointing at this build. */
	cr_assert_eq(h_sh("sed 's|/usr/local/sbin/vmatrace|%s|' contrib/vmatrace.service > %s", exe,
			  unit),
		     0);
	cr_assert_eq(h_sh("MANPATH=$PWD/docs/man systemd-analyze verify %s", unit), 0);
	cr_assert_eq(h_sh("grep -q '^Type=notify' %s && grep -q '^WatchdogSec=' %s", unit, unit),
		     0);
}

Test(daemon, reports_in_every_format_from_a_recorded_journal)
{
	const char *jdir = h_tmpfile("journal"), *alerts = h_tmpfile("alerts.jsonl");
	static const char *formats[] = { "text", "json", "csv", "svg", "html" };
	char args[512];

	snprintf(args, sizeof(args),
		 "--journal-dir %s --alert-log %s --ringbuf-size 64M "
		 "--timeline-resolution 100ms",
		 jdir, alerts);
	h_daemon_start(&dmn, args);
	run_workload(h_path("workloads/vma_explode"));
	cr_assert(h_wait_for_line(alerts, "alloc_failure", 20));
	h_daemon_stop(&dmn);
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const char *o = h_tmpfile("report.out");

		cr_assert_eq(h_sh("%s report --journal-dir %s --comm vma_explode --format %s -o %s",
				  h_path("vmatrace"), jdir, formats[i], o),
			     0, "format %s", formats[i]);
		cr_assert_eq(h_sh("test -s %s", o), 0, "empty %s report", formats[i]);
		if (!strcmp(formats[i], "svg"))
			cr_assert_eq(h_sh("grep -q '<svg' %s", o), 0);
		if (!strcmp(formats[i], "text"))
			cr_assert_eq(h_sh("grep -q 'munmap failed with ENOMEM' %s", o), 0);
		if (!strcmp(formats[i], "csv"))
			cr_assert_eq(h_sh("head -1 %s | grep -q '^ts,pid,comm'", o), 0);
	}
}
