// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The daemon's configuration: defaults, file syntax, values, errors naming file, line and key. */
#include <criterion/criterion.h>
#include <errno.h>
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

	write_conf("# a comment\n\n  journal_dir = /tmp/j  \nalert_thresholds = 70, 85,95\n"
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
	expect_error("\n\nalert_thresholds = 90, 80\n", ":3: alert_thresholds: thresholds must ascend");
	expect_error("alert_thresholds = 120\n", ":1: alert_thresholds: '120' is not a percentage");
	expect_error("ringbuf_size = lots\n", ":1: ringbuf_size: 'lots' is not a size");
	expect_error("ringbuf_size = 2G\n", ":1: ringbuf_size: must be between 4K and 1G");
	expect_error("journal_flush_interval = soon\n", ":1: journal_flush_interval: 'soon' is not a duration");
	expect_error("alert_errnos = ENOTREAL\n", ":1: alert_errnos: unknown errno name 'ENOTREAL'");
	expect_error("alert_oom = maybe\n", ":1: alert_oom: 'maybe' is not yes or no");
	expect_error("journal_on_full = panic\n", ":1: journal_on_full: 'panic' is not drop-oldest or stop");
	expect_error("just words\n", ":1: expected 'key = value'");
	expect_error("trace_comm = averyveryverylongname\n", "longer than a comm");
	expect_error("timeline_points = -5\n", ":1: timeline_points: '-5' is not a positive number");
	expect_error("trace_cgroup = relative/path\n", "not an absolute cgroup path");
}

Test(config, missing_file)
{
	struct config c;
	char err[256] = "";

	config_defaults(&c);
	cr_assert_eq(config_load_file(&c, "/nonexistent/vmatrace.conf", false, err, sizeof(err)), 0);
	cr_assert_neq(config_load_file(&c, "/nonexistent/vmatrace.conf", true, err, sizeof(err)), 0);
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
				sizeof(err)), 0, "%s", err);
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
