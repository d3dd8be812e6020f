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

TestSuite(daemon, .init = h_require_root, .fini = fini, .timeout = 240);

/* Run a workload to completion; returns its pid. */
static int run_workload(const char *cmd)
{
	char line[1024];
	FILE *p;
	int pid = 0;

	snprintf(line, sizeof(line), "%s >/dev/null 2>&1 & echo $!; wait", cmd);
	p = popen(line, "r");
	cr_assert(p && fscanf(p, "%d", &pid) == 1);
	pclose(p);
	return pid;
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

Test(daemon, scenario1_threshold_alerts_before_the_enomem_alert)
{
	const char *alerts = h_tmpfile("alerts.jsonl");
	char args[512];
	double last_threshold_ts = 0, failure_ts = 0;
	long long pid, seen_thresholds[3] = { 0 };
	struct lines l;
	int failures = 0;

	snprintf(args, sizeof(args), "--alert-log %s --journal-dir %s --ringbuf-size 64M", alerts,
		 h_tmpfile("journal"));
	h_daemon_start(&dmn, args);
	pid = run_workload(h_path("workloads/vma_explode"));
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
	/* Rate-limited: 23 failing munmaps, one alert (the rest counted in the next). */
	cr_assert_eq(failures, 1);
	cr_assert_lt(last_threshold_ts, failure_ts, "thresholds must come before the failure");
	h_free_lines(&l);
}

Test(daemon, memcg_oom_kill_alert_and_journal_record)
{
	const char *alerts = h_tmpfile("alerts.jsonl"), *jdir = h_tmpfile("journal");
	char args[512], cmd[512];
	struct journal_reader *r;
	const struct journal_rec *rec;
	const void *payload;
	struct lines l;
	int pid, ooms = 0, records = 0;

	if (access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK))
		cr_skip_test("no memcg v1 hierarchy");
	snprintf(memcg, sizeof(memcg), "/sys/fs/cgroup/memory/vmatrace-dtest-%d", (int)getpid());
	cr_assert_eq(mkdir(memcg, 0755), 0);
	cr_assert_eq(h_sh("echo 64M > %s/memory.limit_in_bytes", memcg), 0);
	snprintf(args, sizeof(args), "--alert-log %s --journal-dir %s", alerts, jdir);
	h_daemon_start(&dmn, args);
	snprintf(cmd, sizeof(cmd), "sh -c 'echo $$ > %s/cgroup.procs && exec %s'", memcg,
		 h_path("workloads/oom_hog"));
	pid = run_workload(cmd);
	cr_assert(h_wait_for_line(alerts, "oom_kill", 20), "no oom_kill alert");
	usleep(300000);
	cr_assert_eq(h_read_lines(alerts, &l), 0);
	for (size_t i = 0; i < l.n; i++) {
		json_t *a = parse_line(l.v[i], strlen(l.v[i]));

		if (strcmp(str(a, "kind"), "oom_kill")) {
			json_decref(a);
			continue;
		}
		ooms++;
		cr_assert_eq(num(a, "victim_pid"), pid, "%s", l.v[i]);
		cr_assert_str_eq(str(a, "victim_comm"), "oom_hog");
		cr_assert_str_eq(str(a, "oom_type"), "cgroup", "%s", l.v[i]);
		cr_assert(strstr(str(a, "memcg"), "vmatrace-dtest-"), "memcg path: %s", l.v[i]);
		cr_assert_eq(num(a, "memcg_limit"), 67108864, "%s", l.v[i]);
		cr_assert_gt(num(a, "anon_rss_kb"), 32 * 1024);
		json_decref(a);
	}
	cr_assert_eq(ooms, 1, "%d oom_kill alerts", ooms);
	h_free_lines(&l);
	/* The journal has the OOM record with the victim's history: "what grew". */
	r = journal_reader_open(jdir);
	cr_assert(r);
	while (journal_reader_next(r, &rec, &payload) == 1) {
		if (rec->type == JREC_OOM && rec->pid == (uint32_t)pid) {
			json_t *o = parse_line(payload, rec->len);
			json_t *ctx = json_object_get(o, "context");

			cr_assert(json_is_object(ctx), "no context: %.*s", (int)rec->len,
				  (const char *)payload);
			cr_assert(json_is_array(json_object_get(ctx, "timeline")));
			cr_assert(json_is_array(json_object_get(ctx, "flight")));
			cr_assert(json_is_object(json_object_get(ctx, "heap")));
			json_decref(o);
			records++;
		}
	}
	journal_reader_close(r);
	cr_assert_eq(records, 1);
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
