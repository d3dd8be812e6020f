// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Root integration tests of the daemon's least privilege and of its journal under faults:
 * settings and hooks only root may change, hooks as an unprivileged user, capabilities
 * dropped after attaching (and the model still exact for another user's process), files
 * 0640 or stricter, one daemon per journal directory, and a disk that fills and empties
 * across a restart.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "privs.h"
#include "procfs.h"

static struct h_daemon dmn;

static void suite_fini(void)
{
	h_daemon_stop(&dmn);
	h_cleanup();
}

TestSuite(privileges, .init = h_require_root, .fini = suite_fini, .timeout = H_TIMEOUT(180));

/* A hex field of /proc/PID/status (CapEff, CapBnd...); -1 if absent. */
static unsigned long long status_hex(int pid, const char *field)
{
	char path[64], line[256], fmt[32];
	unsigned long long v = ~0ull;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	snprintf(fmt, sizeof(fmt), "%s: %%llx", field);
	f = fopen(path, "r");
	cr_assert(f, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &v) == 1)
			break;
	fclose(f);
	return v;
}

static long long status_num(const char *key)
{
	const char *out = h_tmpfile("status.json");
	struct lines l;
	long long v = -1;

	cr_assert_eq(h_sh("%s status --json --socket %s > %s", h_path("vmatrace"), dmn.socket, out),
		     0);
	cr_assert_eq(h_read_lines(out, &l), 0);
	cr_assert_gt(l.n, 0);
	cr_assert(h_json_num(l.v[0], key, &v), "no %s in %s", key, l.v[0]);
	h_free_lines(&l);
	return v;
}

Test(privileges, world_writable_config_and_hook_refused)
{
	const char *conf = h_tmpfile("vmatrace.conf"), *err = h_tmpfile("err"),
		   *hook = h_tmpfile("hook.sh");
	const char *vmt = h_path("vmatrace");

	cr_assert_eq(h_sh("echo 'alert_thresholds = 80, 90' > %s && chmod 0666 %s", conf, conf), 0);
	cr_assert_eq(h_sh("%s daemon -c %s --check-config 2>%s", vmt, conf, err), 2);
	cr_assert(h_wait_for_line(err, "refused: owned by uid 0 with mode 0666", 1));
	cr_assert(
		h_wait_for_line(err, "must be owned by root and not group- or world-writable", 1));
	/* Group-writable, and owned by another user: refused the same way. */
	cr_assert_eq(h_sh("chmod 0664 %s", conf), 0);
	cr_assert_eq(h_sh("%s daemon -c %s --check-config 2>/dev/null", vmt, conf), 2);
	cr_assert_eq(h_sh("chmod 0644 %s && chown 65534 %s", conf, conf), 0);
	cr_assert_eq(h_sh("%s daemon -c %s --check-config 2>%s", vmt, conf, err), 2);
	cr_assert(h_wait_for_line(err, "owned by uid 65534", 1));
	/* A daemon refuses to start on it, not only the check. */
	cr_assert_eq(h_sh("%s daemon --foreground -c %s --socket %s 2>/dev/null", vmt, conf,
			  h_tmpfile("x.sock")),
		     2);
	cr_assert_eq(h_sh("chown 0 %s", conf), 0);
	cr_assert_eq(h_sh("%s daemon -c %s --check-config >/dev/null", vmt, conf), 0);

	/* The hook it would run as another user: the same rule. */
	cr_assert_eq(h_sh("printf '#!/bin/sh\\nexit 0\\n' > %s && chmod 0777 %s", hook, hook), 0);
	cr_assert_eq(h_sh("%s daemon -c %s --alert-exec %s --check-config 2>%s", vmt, conf, hook,
			  err),
		     2);
	cr_assert(h_wait_for_line(err, "alert_exec", 1));
	cr_assert(h_wait_for_line(err, "refused", 1));
	cr_assert_eq(h_sh("chmod 0755 %s", hook), 0);
	cr_assert_eq(h_sh("%s daemon -c %s --alert-exec %s --check-config >/dev/null", vmt, conf,
			  hook),
		     0);
	cr_assert_eq(h_sh("%s daemon -c %s --alert-exec %s --hook-user no-such-user-here "
			  "--check-config 2>%s",
			  vmt, conf, hook, err),
		     2);
	cr_assert(h_wait_for_line(err, "hook_user: no user 'no-such-user-here'", 1));
}

Test(privileges, reload_waits_for_the_answer_and_fails_when_rejected)
{
	const char *conf = h_tmpfile("vmatrace.conf"), *out = h_tmpfile("reload.out");
	const char *vmt = h_path("vmatrace");
	char args[512];

	cr_assert_eq(h_sh("echo 'alert_thresholds = 80, 90' > %s", conf), 0);
	snprintf(args, sizeof(args), "-c %s --journal-dir ''", conf);
	h_daemon_start(&dmn, args);
	cr_assert_eq(h_sh("%s reload --socket %s >%s 2>&1", vmt, dmn.socket, out), 0);
	cr_assert(h_wait_for_line(out, "configuration reloaded from", 1));
	/* Rejected: non-zero, with the reason; the daemon runs on with the old settings. */
	cr_assert_eq(h_sh("echo 'alert_thresholds = 90, 80' > %s", conf), 0);
	cr_assert_eq(h_sh("%s reload --socket %s >%s 2>&1", vmt, dmn.socket, out), 1);
	cr_assert(h_wait_for_line(out, "alert_thresholds: thresholds must ascend", 1));
	cr_assert_eq(h_sh("echo 'alert_thresholds = 80' > %s && chmod 0666 %s", conf, conf), 0);
	cr_assert_eq(h_sh("%s reload --socket %s >%s 2>&1", vmt, dmn.socket, out), 1);
	cr_assert(h_wait_for_line(out, "refused", 1));
	/* A hook added by a reload would need what the start gave away. */
	cr_assert_eq(h_sh("chmod 0644 %s && echo 'alert_exec = /bin/true' >> %s", conf, conf), 0);
	cr_assert_eq(h_sh("%s reload --socket %s >%s 2>&1", vmt, dmn.socket, out), 1);
	cr_assert(h_wait_for_line(out, "needs a restart", 1));
	cr_assert_eq(kill(dmn.pid, 0), 0, "the daemon died");
	cr_assert_eq(h_sh("%s status --socket %s >/dev/null", vmt, dmn.socket), 0);
}

/* The hook's identity as it saw it: "uid=U gid=G groups=N CapEff:\tX CapBnd..." */
static void run_hook_as(const char *user_flag, const char *expect_uid)
{
	const char *dir = h_tmpdir();
	char run[256], hook[300], out[300], args[700], needle[64];

	/*
	 * Each run has a directory of its own, with its own hook and output file. A hook of an
	 * earlier run can still start after its daemon stopped (an alert's hook forked just
	 * before): when the runs shared hook.sh, such a straggler ran the next run's script as
	 * the earlier user and created the next run's output file as that user, which the next
	 * run's user then could not write ("Permission denied"; seen in CI).
	 */
	snprintf(run, sizeof(run), "%s/run-%s", dir, expect_uid);
	snprintf(hook, sizeof(hook), "%s/hook.sh", run);
	snprintf(out, sizeof(out), "%s/hook.out", run);
	cr_assert_eq(h_sh("chmod 0755 %s && mkdir -p %s && chmod 1777 %s", dir, run, run), 0);
	cr_assert_eq(
		h_sh("printf '#!/bin/sh\\n{ echo \"uid=$(id -u) gid=$(id -g) "
		     "groups=$(id -G | wc -w)\"; grep -E \"^(CapEff|CapPrm|CapBnd|NoNewPrivs)\" "
		     "/proc/self/status; } >> %s\\n' > %s && chmod 0755 %s",
		     out, hook, hook),
		0);
	snprintf(args, sizeof(args), "--alert-exec %s %s --journal-dir '' --ringbuf-size 64M", hook,
		 user_flag);
	h_daemon_start(&dmn, args);
	cr_assert_eq(h_sh("%s >/dev/null", h_path("workloads/vma_explode")), 0);
	snprintf(needle, sizeof(needle), "uid=%s ", expect_uid);
	/* The daemon takes vma_explode's 196,000 records first: slower under ASan. */
	if (!h_wait_for_line(out, needle, H_TIMEOUT(20))) {
		h_sh("echo '--- hook output:'; cat %s; echo '--- daemon log:'; tail -20 %s", out,
		     dmn.log);
		cr_assert_fail("the hook did not run as uid %s", expect_uid);
	}
	cr_assert(h_wait_for_line(out, "groups=1", 1), "supplementary groups kept");
	cr_assert(h_wait_for_line(out, "CapEff:\t0000000000000000", 1));
	cr_assert(h_wait_for_line(out, "CapPrm:\t0000000000000000", 1));
	cr_assert(h_wait_for_line(out, "NoNewPrivs:\t1", 1));
	h_daemon_stop(&dmn);
}

Test(privileges, hook_runs_as_the_configured_user_without_capabilities)
{
	run_hook_as("", "65534"); /* the default, nobody */
	run_hook_as("--hook-user 12345", "12345");
}

/* What the daemon may keep: what it reads of other users, the BPF iterator, the hooks. */
#define BIT(c) (1ull << (c))
static const unsigned long long allowed_caps = BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_READ_SEARCH) |
					       BIT(CAP_CHECKPOINT_RESTORE) | BIT(CAP_BPF) |
					       BIT(CAP_PERFMON) | BIT(CAP_SYS_ADMIN);

Test(privileges, capabilities_dropped_and_another_users_process_still_resyncs)
{
	const char *pidfile = h_tmpfile("child.pid");
	unsigned long long eff, prm, bnd;
	long long before, after;
	char state = 0;
	int wl, child = 0;

	h_daemon_start(&dmn, "--journal-dir ''");
	cr_assert(h_wait_for_line(dmn.log, "capabilities dropped after attaching", 5));
	eff = status_hex(dmn.pid, "CapEff");
	prm = status_hex(dmn.pid, "CapPrm");
	bnd = status_hex(dmn.pid, "CapBnd");
	fprintf(stderr, "daemon capabilities: CapEff %llx CapPrm %llx CapBnd %llx\n", eff, prm,
		bnd);
	cr_assert_eq(eff & ~allowed_caps, 0, "CapEff %llx keeps more than it needs", eff);
	cr_assert(eff & BIT(CAP_SYS_PTRACE));
	cr_assert_eq(prm, eff, "permitted %llx beyond effective %llx", prm, eff);
	cr_assert_eq(bnd, eff, "bounding set %llx not emptied to %llx", bnd, eff);
	cr_assert_eq(eff & (BIT(CAP_SETUID) | BIT(CAP_KILL) | BIT(CAP_DAC_OVERRIDE)), 0);

	/* A process of another user whose child the model must read from the kernel. */
	before = status_num("resyncs");
	wl = fork();
	cr_assert_geq(wl, 0);
	if (wl == 0) {
		execl(h_path("workloads/dontfork"), "dontfork", "65534", pidfile, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && state != 'T'; i++) {
		char path[64];
		FILE *f;

		usleep(50000);
		f = fopen(pidfile, "r");
		if (f && fscanf(f, "%d", &child) != 1)
			child = 0;
		if (f)
			fclose(f);
		if (!child)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", child);
		f = fopen(path, "r");
		if (f && fscanf(f, "%*d %*s %c", &state) != 1)
			state = 0;
		if (f)
			fclose(f);
	}
	cr_assert_eq(state, 'T', "the workload's child did not stop");
	cr_assert(h_snapshot_matches(&dmn, child), "the child's snapshot differs from /proc");
	cr_assert(h_snapshot_matches(&dmn, wl), "the parent's snapshot differs from /proc");
	after = status_num("resyncs");
	fprintf(stderr, "resyncs after the drop: %lld\n", after - before);
	cr_assert_gt(after, before, "the child was never read from the kernel");
	kill(child, SIGCONT);
	cr_assert_eq(waitpid(wl, NULL, 0), wl);
	cr_assert_eq(h_sh("%s status --socket %s >/dev/null", h_path("vmatrace"), dmn.socket), 0);
}

struct seen {
	int vmas;
	uint64_t file_start, file_end; /* the first file-backed VMA */
};

static int count_vma(void *ctx, const struct vmt_iter_rec *rec)
{
	struct seen *s = ctx;

	if (rec->kind != VMT_ITER_VMA)
		return 0;
	s->vmas++;
	if (rec->vma.ino && !s->file_end) {
		s->file_start = rec->vma.start;
		s->file_end = rec->vma.end;
	}
	return 0;
}

/*
 * The resync's fallback when the iterator cannot (/proc/PID/smaps, stat, map_files) still
 * reads another user's process with the capabilities the daemon keeps. This test's own
 * process drops them as the daemon does (no BPF needed).
 */
Test(privileges, proc_fallback_reads_another_users_process_after_the_drop)
{
	struct privs_needs none = { 0 };
	struct seen s = { 0 };
	char err[512], path[4096];
	long long lines = 0;
	unsigned long long eff;
	int hold[2], pid, n;
	char c;

	/* The child waits on a pipe: without CAP_KILL, this process cannot signal uid 65534. */
	cr_assert_eq(pipe(hold), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(hold[1]);
		/* After the uid change, which clears it: gone with the test, whatever happens. */
		if (setgid(65534) || setuid(65534) || prctl(PR_SET_PDEATHSIG, SIGKILL))
			_exit(1);
		_exit(read(hold[0], &c, 1) == 0 ? 0 : 1);
	}
	close(hold[0]);
	usleep(100000);
	cr_assert_eq(privs_drop(&none, err, sizeof(err)), 0, "%s", err);
	eff = status_hex(getpid(), "CapEff");
	cr_assert_eq(eff,
		     BIT(CAP_SYS_PTRACE) | BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_CHECKPOINT_RESTORE),
		     "CapEff %llx", eff);
	cr_assert_eq(procfs_seed(pid, count_vma, &s), 0, "procfs_seed of uid 65534's process");
	/* Read here: a program we exec would have none of our capabilities (uid 0 gains none). */
	{
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
		f = fopen(path, "r");
		cr_assert(f, "%s: %s", path, strerror(errno));
		while (fgets(path, sizeof(path), f))
			lines += !strstr(path, "[vsyscall]");
		fclose(f);
	}
	cr_assert_eq(s.vmas, lines, "%d VMAs read, %lld in /proc/%d/maps", s.vmas, lines, pid);
	cr_assert_gt(s.file_end, 0);
	n = procfs_resolver.file_path(NULL, pid, s.file_start, s.file_end, path, sizeof(path));
	cr_assert_gt(n, 0, "map_files: %s", strerror(-n));
	cr_assert_eq(path[0], '/', "%s", path);
	fprintf(stderr,
		"after the drop (CapEff %llx): %d VMAs of uid 65534's pid %d, its first "
		"file %s\n",
		eff, s.vmas, pid, path);
	cr_assert_neq(kill(pid, SIGKILL), 0, "killed another uid without CAP_KILL");
	close(hold[1]);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
}

static unsigned int mode_of(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

Test(privileges, files_it_creates_are_0640_or_stricter)
{
	const char *alerts = h_tmpfile("alerts.jsonl"), *old = h_tmpfile("old-alerts.jsonl"),
		   *jdir = h_tmpfile("journal"), *prom = h_tmpfile("prom");
	char args[1024], seg[600];

	snprintf(args, sizeof(args),
		 "--alert-log %s --journal-dir %s --textfile-dir %s --textfile-interval 1s "
		 "--ringbuf-size 64M",
		 alerts, jdir, prom);
	cr_assert_eq(h_sh("mkdir -p %s", prom), 0);
	h_daemon_start(&dmn, args);
	cr_assert_eq(h_sh("%s >/dev/null", h_path("workloads/vma_explode")), 0);
	cr_assert(h_wait_for_line(alerts, "vma_threshold", 20));
	cr_assert_eq(mode_of(alerts), 0640, "alert log mode %o", mode_of(alerts));
	cr_assert_eq(mode_of(dmn.socket) & 0077, 0, "socket mode %o", mode_of(dmn.socket));
	cr_assert_eq(mode_of(jdir), 0750);
	cr_assert_eq(h_sh("ls %s/seg-*.vmj >/dev/null", jdir), 0);
	snprintf(seg, sizeof(seg), "%s/vmatrace.prom", prom);
	for (int i = 0; i < 50 && access(seg, F_OK); i++)
		usleep(100000);
	cr_assert_eq(mode_of(seg), 0640, "textfile mode %o", mode_of(seg));
	cr_assert_eq(h_sh("test -z \"$(find %s -type f -perm /0027)\"", jdir), 0,
		     "a journal file is group-writable or readable by others");
	h_daemon_stop(&dmn);

	/* An alert log an older version left 0644 is tightened when opened. */
	cr_assert_eq(h_sh("echo '{}' > %s && chmod 0644 %s", old, old), 0);
	snprintf(args, sizeof(args), "--alert-log %s --journal-dir ''", old);
	h_daemon_start(&dmn, args);
	cr_assert_eq(mode_of(old), 0640, "old alert log mode %o", mode_of(old));
}

Test(privileges, second_daemon_on_the_same_journal_refused)
{
	const char *jdir = h_tmpfile("journal"), *err = h_tmpfile("second.err");
	char args[512];

	snprintf(args, sizeof(args), "--journal-dir %s", jdir);
	h_daemon_start(&dmn, args);
	cr_assert_eq(h_sh("timeout 20 %s daemon --foreground --socket %s --journal-dir %s 2>%s",
			  h_path("vmatrace"), h_tmpfile("second.sock"), jdir, err),
		     2);
	cr_assert(h_wait_for_line(err, "is in use by another vmatrace daemon", 1));
	cr_assert(h_wait_for_line(err, "one daemon per journal directory", 1));
	cr_assert_eq(kill(dmn.pid, 0), 0);
	/* Free again when the first one stops. */
	h_daemon_stop(&dmn);
	h_daemon_start(&dmn, args);
}

/* ---- a full disk across a restart, on a small tmpfs of the test's own ---- */

static char fs_dir[300];

static void unmount_fs(void)
{
	h_daemon_stop(&dmn);
	if (fs_dir[0] && umount2(fs_dir, MNT_DETACH))
		fprintf(stderr, "cannot unmount %s: %s\n", fs_dir, strerror(errno));
	fs_dir[0] = 0;
	h_cleanup();
}

static void fill(void)
{
	/* dd stops at ENOSPC: the disk is then full to the last page. */
	h_sh("dd if=/dev/zero of=%s/filler bs=64k 2>/dev/null", fs_dir);
	cr_assert_eq(h_sh("test \"$(df --output=avail %s | tail -1)\" -eq 0", fs_dir), 0);
}

static int count_segments(const char *jdir)
{
	char cmd[400];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls %s | grep -c '^seg-'", jdir);
	p = popen(cmd, "r");
	cr_assert(p);
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static long long metric(const char *name)
{
	const char *out = h_tmpfile("metrics.txt");
	char cmd[700];
	long long v = -1;
	FILE *p;

	cr_assert_eq(h_sh("%s metrics --socket %s > %s", h_path("vmatrace"), dmn.socket, out), 0);
	snprintf(cmd, sizeof(cmd), "awk '$1 == \"%s\" { print $2 }' %s", name, out);
	p = popen(cmd, "r");
	cr_assert(p);
	if (fscanf(p, "%lld", &v) != 1)
		v = -1;
	pclose(p);
	return v;
}

Test(privileges, disk_full_restart_keeps_history_and_marks_the_gaps, .fini = unmount_fs)
{
	const char *report = h_tmpfile("report.txt"), *loop_pid = h_tmpfile("loop.pid");
	char jdir[400], args[700], copy[700];
	bool outage;
	int before;

	snprintf(fs_dir, sizeof(fs_dir), "%s/fs", h_tmpdir());
	cr_assert_eq(h_sh("mkdir -p %s", fs_dir), 0);
	cr_assert_eq(mount("vmatrace-test", fs_dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=2m"), 0,
		     "mount tmpfs: %s", strerror(errno));
	snprintf(jdir, sizeof(jdir), "%s/journal", fs_dir);
	snprintf(args, sizeof(args),
		 "--journal-dir %s --journal-on-full stop --timeline-resolution 100ms "
		 "--journal-flush-interval 200ms",
		 jdir);

	/* History from a first run. */
	h_daemon_start(&dmn, args);
	cr_assert_eq(h_sh("%s 2000 >/dev/null", h_path("workloads/mmap_loop")), 0);
	h_daemon_stop(&dmn);
	before = count_segments(jdir);
	cr_assert_geq(before, 1);
	snprintf(copy, sizeof(copy), "%s/history-before", h_tmpdir());
	cr_assert_eq(h_sh("ls %s > %s", jdir, copy), 0);

	/* A restart on a full disk: no journal, nothing deleted, said once. */
	fill();
	h_daemon_start(&dmn, args);
	cr_assert(h_wait_for_line(dmn.log, "cannot open the journal in", 5));
	cr_assert(h_wait_for_line(dmn.log, "nothing is deleted to make room", 1));
	cr_assert_eq(count_segments(jdir), before, "history deleted to open the journal");
	cr_assert_eq(h_sh("for f in $(cat %s); do test -e %s/$f || exit 1; done", copy, jdir), 0,
		     "a file of the history is gone");
	cr_assert_eq(metric("vmatrace_journal_writing"), 0);
	cr_assert_eq(metric("vmatrace_journal_outages_total"), 1);

	/* Space again: it opens by itself, and says what the gap cost. */
	cr_assert_eq(h_sh("rm %s/filler", fs_dir), 0);
	cr_assert(h_wait_for_line(dmn.log, "again after", 10), "no recovery logged");
	cr_assert_eq(metric("vmatrace_journal_writing"), 1);

	/* A second outage while running: logged too, and its end. */
	fill();
	/* Short processes, each with its points and exit, until the disk refuses a block. */
	cr_assert_eq(h_sh("timeout 40 sh -c 'while :; do %s 300 >/dev/null; done' & echo $! > %s",
			  h_path("workloads/mmap_loop"), loop_pid),
		     0);
	outage = h_wait_for_line(dmn.log, "journal: cannot write a block", 30);
	h_sh("kill $(cat %s)", loop_pid);
	cr_assert(outage, "the second outage was not logged");
	cr_assert_eq(metric("vmatrace_journal_outages_total"), 2);
	cr_assert_gt(metric("vmatrace_journal_write_errors_total"), 0);
	cr_assert_gt(metric("vmatrace_journal_records_lost_total"), 0);
	cr_assert_eq(h_sh("rm %s/filler", fs_dir), 0);
	cr_assert(h_wait_for_line(dmn.log, "writing to", 15), "the second recovery not logged");
	h_sh("grep journal %s >&2", dmn.log);
	h_daemon_stop(&dmn);

	/* The report reads both runs and both gaps. */
	cr_assert_eq(h_sh("%s report --journal-dir %s > %s", h_path("vmatrace"), jdir, report), 0);
	h_sh("grep -E 'daemon:|gap' %s >&2", report);
	cr_assert(h_wait_for_line(report, "daemon:    2 starts", 1), "the first run's history");
	cr_assert(h_wait_for_line(report, "2 gaps in the history", 1));
}

/* ---- the unit under a real systemd (tests/nspawn/unit.sh) ---- */

Test(privileges, systemd_unit_under_nspawn, .timeout = H_TIMEOUT(900))
{
	const char *out = h_tmpfile("nspawn.out");
	char work[300], reason[512] = "";
	int rc;
	FILE *f;

	snprintf(work, sizeof(work), "%s/nspawn", h_tmpdir());
	rc = h_sh("tests/nspawn/unit.sh %s %s > %s 2>&1", h_path(""), work, out);
	if (rc == 77) {
		f = fopen(out, "r");
		while (f && fgets(reason, sizeof(reason), f))
			if (!strncmp(reason, "SKIP: ", 6))
				break;
		if (f)
			fclose(f);
		reason[strcspn(reason, "\n")] = 0;
		cr_skip_test("%s", reason[0] ? reason + 6 : "nspawn cannot run here");
	}
	h_sh("cat %s >&2", out);
	cr_assert_eq(rc, 0, "the unit under systemd-nspawn failed (exit %d)", rc);
}
