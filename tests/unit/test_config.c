// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The daemon's configuration: defaults, file syntax, values, errors naming file, line and key. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "journal.h"
#include "log.h"

static char path[64];

static void write_conf(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/vmatrace-conf.XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void rm_conf(void)
{
	if (path[0])
		unlink(path);
	path[0] = 0;
}

TestSuite(config, .fini = rm_conf);

Test(config, defaults)
{
	struct config c;

	config_defaults(&c);
	cr_assert_str_eq(c.socket, "/run/vmatrace/vmatrace.sock");
	cr_assert_eq(c.n_alert_thresholds, 3);
	cr_assert_float_eq(c.alert_thresholds[1], 90, 1e-9);
	cr_assert_eq(c.alert_errnos[0], ENOMEM);
	cr_assert_eq(c.ringbuf_size, 16u << 20);
	cr_assert_eq(c.journal_flush_interval_ns, 1000000000ull);
	cr_assert(c.alert_oom);
}

Test(config, file_with_comments_spaces_and_quotes)
{
	struct config c;
	char err[256] = "";

	write_conf(
		"# a comment\n\n  journal_dir = /tmp/j  \nalert_thresholds = 70, 85,95\n"
		"alert_log = \" /tmp/with space \"\njournal_retain_age = 7d\n"
		"timeline_resolution = 250ms\nalert_errnos = ENOMEM,EFAULT\njournal_fsync = never\n"
		"alert_oom = no\nringbuf_size = 64M\ntrace_comm = mysqld, postgres\n");
	config_defaults(&c);
	cr_assert_eq(config_load_file(&c, path, true, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.journal_dir, "/tmp/j");
	cr_assert_eq(c.n_alert_thresholds, 3);
	cr_assert_float_eq(c.alert_thresholds[0], 70, 1e-9);
	cr_assert_float_eq(c.alert_thresholds[2], 95, 1e-9);
	cr_assert_str_eq(c.alert_log, " /tmp/with space ");
	cr_assert_eq(c.journal_retain_age_s, 7 * 86400);
	cr_assert_eq(c.timeline_resolution_ns, 250000000ull);
	cr_assert_eq(c.n_alert_errnos, 2);
	cr_assert_eq(c.alert_errnos[1], EFAULT);
	cr_assert_eq(c.journal_fsync, JOURNAL_FSYNC_NEVER);
	cr_assert(!c.alert_oom);
	cr_assert_eq(c.ringbuf_size, 64u << 20);
	cr_assert_eq(c.n_trace_comm, 2);
	cr_assert_str_eq(c.trace_comm[1], "postgres");
}

static void expect_error(const char *text, const char *want)
{
	struct config c;
	char err[256] = "";

	write_conf(text);
	config_defaults(&c);
	cr_assert_neq(config_load_file(&c, path, true, err, sizeof(err)), 0, "accepted: %s", text);
	cr_assert(strstr(err, want), "error '%s' lacks '%s'", err, want);
	cr_assert(strstr(err, path), "error '%s' does not name the file", err);
	rm_conf();
}

Test(config, errors_name_file_line_and_key)
{
	expect_error("socket = /x\nbogus_key = 1\n", ":2: unknown key 'bogus_key'");
	expect_error("\n\nalert_thresholds = 90, 80\n",
		     ":3: alert_thresholds: thresholds must ascend");
	expect_error("alert_thresholds = 120\n", ":1: alert_thresholds: '120' is not a percentage");
	expect_error("ringbuf_size = lots\n", ":1: ringbuf_size: 'lots' is not a size");
	expect_error("ringbuf_size = 2G\n", ":1: ringbuf_size: must be between 4K and 1G");
	expect_error("journal_flush_interval = soon\n",
		     ":1: journal_flush_interval: 'soon' is not a duration");
	expect_error("alert_errnos = ENOTREAL\n",
		     ":1: alert_errnos: unknown errno name 'ENOTREAL'");
	expect_error("alert_oom = maybe\n", ":1: alert_oom: 'maybe' is not yes or no");
	expect_error("journal_on_full = panic\n",
		     ":1: journal_on_full: 'panic' is not drop-oldest or stop");
	expect_error("just words\n", ":1: expected 'key = value'");
	expect_error("trace_comm = averyveryverylongname\n", "longer than a comm");
	expect_error("timeline_points = -5\n",
		     ":1: timeline_points: '-5' is not a positive number");
	expect_error("trace_cgroup = relative/path\n", "not an absolute cgroup path");
}

Test(config, missing_file)
{
	struct config c;
	char err[256] = "";

	config_defaults(&c);
	cr_assert_eq(config_load_file(&c, "/nonexistent/vmatrace.conf", false, err, sizeof(err)),
		     0);
	cr_assert_neq(config_load_file(&c, "/nonexistent/vmatrace.conf", true, err, sizeof(err)),
		      0);
	cr_assert(strstr(err, "/nonexistent/vmatrace.conf: cannot read"));
}

Test(config, set_from_flag_and_keys_documented)
{
	struct config c;
	char err[256] = "";
	const char *const *kh = config_key_help();
	int n = 0;

	config_defaults(&c);
	cr_assert_eq(config_set(&c, "alert_vma_counts", "30000,60000", "--alert-vma-counts", err,
				sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(c.n_alert_vma_counts, 2);
	cr_assert_eq(c.alert_vma_counts[1], 60000);
	cr_assert_neq(config_set(&c, "nope", "1", "--nope", err, sizeof(err)), 0);
	cr_assert(strstr(err, "--nope: unknown key 'nope'"));
	for (; *kh; kh += 2, n++) {
		cr_assert(config_is_key(kh[0]));
		cr_assert(kh[1] && *kh[1], "key %s has no help", kh[0]);
	}
	cr_assert_geq(n, 30);
}

/* Every duration key takes the one grammar (cli_parse_seconds); a bare number is seconds. */
Test(config, durations)
{
	static const struct {
		const char *key, *value;
		size_t off;
		unsigned long long want; /* ns, or s for journal_retain_age */
	} ok[] = {
		{ "timeline_resolution", "500ms", offsetof(struct config, timeline_resolution_ns),
		  500000000ull },
		{ "timeline_resolution", "2", offsetof(struct config, timeline_resolution_ns),
		  2000000000ull },
		{ "journal_retain_age", "2w", offsetof(struct config, journal_retain_age_s),
		  14 * 86400 },
		{ "journal_retain_age", "1d", offsetof(struct config, journal_retain_age_s),
		  86400 },
		{ "journal_retain_age", "3600", offsetof(struct config, journal_retain_age_s),
		  3600 },
		{ "journal_flush_interval", "90s",
		  offsetof(struct config, journal_flush_interval_ns), 90000000000ull },
		{ "alert_exec_timeout", "1.5m", offsetof(struct config, alert_exec_timeout_ns),
		  90000000000ull },
		{ "alert_failure_interval", "2h",
		  offsetof(struct config, alert_failure_interval_ns), 7200000000000ull },
		{ "status_interval", "5m", offsetof(struct config, status_interval_ns),
		  300000000000ull },
		{ "growth_window", "3s", offsetof(struct config, growth_window_ns), 3000000000ull },
		{ "status_interval", "0", offsetof(struct config, status_interval_ns), 0 },
		{ "textfile_interval", "1w", offsetof(struct config, textfile_interval_ns),
		  604800000000000ull },
	};
	static const char *const bad[] = { "soon", "5 minutes", "10x", "-1s", "1e3", "1h30m", "" };
	struct config c;
	char err[256];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		config_defaults(&c);
		err[0] = 0;
		cr_assert_eq(config_set(&c, ok[i].key, ok[i].value, "--x", err, sizeof(err)), 0,
			     "%s = %s: %s", ok[i].key, ok[i].value, err);
		cr_assert_eq(*(uint64_t *)((char *)&c + ok[i].off), ok[i].want, "%s = %s",
			     ok[i].key, ok[i].value);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&c);
		cr_assert_neq(config_set(&c, "status_interval", bad[i], "vmatrace.conf:4", err,
					 sizeof(err)),
			      0, "'%s' accepted", bad[i]);
		cr_assert(
			strstr(err, "vmatrace.conf:4: status_interval: '") &&
				strstr(err,
				       "' is not a duration (e.g. 500ms, 90s, 5m, 2h, 1d, 1w; a bare "
				       "number is seconds)"),
			"unclear error for '%s': %s", bad[i], err);
	}
	/* Stored in ns: a duration that does not fit is refused, not wrapped. */
	cr_assert_neq(config_set(&c, "journal_flush_interval", "20000w", "--x", err, sizeof(err)),
		      0);
	cr_assert(strstr(err, "too long"), "%s", err);
	cr_assert_neq(config_set(&c, "timeline_resolution", "100us", "--x", err, sizeof(err)), 0);
	cr_assert_neq(config_set(&c, "timeline_resolution", "0.5ms", "--x", err, sizeof(err)), 0);
	cr_assert(strstr(err, "at least 1ms"), "%s", err);
	cr_assert_neq(config_set(&c, "growth_window", "500ms", "--x", err, sizeof(err)), 0);
	cr_assert(strstr(err, "at least 1s"), "%s", err);
	config_defaults(&c);
	cr_assert_eq(c.growth_window_ns, 60000000000ull, "a minute by default");
}
