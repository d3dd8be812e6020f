// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Root integration tests of faults that a local user (or a mistaken operator)
 * can cause: idle control-socket clients, a daemon that closes early, an
 * alert storm from an unprivileged user, a flood through a tiny ring buffer,
 * hostile process and file names, and bad targets for `trace -p`.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "jsonr.h"

static struct h_daemon dmn;
static pid_t kids[64];
static int nkids;

static void fini(void)
{
	for (int i = 0; i < nkids; i++)
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
	nkids = 0;
	h_daemon_stop(&dmn);
	h_cleanup();
}

TestSuite(hardening, .init = h_require_root, .fini = fini, .timeout = H_TIMEOUT(240));

static pid_t track(pid_t pid)
{
	cr_assert_lt(nkids, 64);
	kids[nkids++] = pid;
	return pid;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_lt(strlen(path), sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path));
	cr_assert(fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a)), "connect %s: %s", path,
		  strerror(errno));
	return fd;
}

/* The first line of a file, or "" (malloc'd). */
static char *first_line(const char *path)
{
	struct lines l;
	char *s;

	if (h_read_lines(path, &l) || !l.n)
		return strdup("");
	s = strdup(l.v[0]);
	h_free_lines(&l);
	return s;
}

/*
 * 40 clients that connect and say nothing (before: 16 of them locked `status`
 * out for good), and 8 that send a request and never read the answer: status
 * still answers at once, and the daemon lives on.
 */
Test(hardening, idle_control_clients_never_lock_out_status)
{
	int idle[40], deaf[8];
	char req[] = "snapshot 1\n";

	h_daemon_start(&dmn, NULL);
	for (int i = 0; i < 40; i++)
		idle[i] = connect_unix(dmn.socket);
	for (int i = 0; i < 8; i++) {
		deaf[i] = connect_unix(dmn.socket);
		cr_assert_eq(write(deaf[i], req, strlen(req)), (ssize_t)strlen(req));
	}
	for (int k = 0; k < 3; k++)
		cr_assert_eq(h_sh("%s status --socket %s >/dev/null", h_path("vmatrace"),
				  dmn.socket),
			     0, "status is locked out by idle control clients (round %d)", k);
	for (int i = 0; i < 40; i++)
		close(idle[i]);
	for (int i = 0; i < 8; i++)
		close(deaf[i]);
	cr_assert_eq(kill(dmn.pid, 0), 0, "the daemon died");
}

struct early_server {
	int fd;
	int accepted;
};

/* A server that accepts and closes at once, reading nothing: what a daemon at its limit did. */
static void *close_early(void *arg)
{
	struct early_server *s = arg;

	for (;;) {
		int c = accept(s->fd, NULL, NULL);

		if (c < 0)
			return NULL;
		s->accepted++;
		close(c);
	}
}

Test(hardening, a_daemon_that_closes_early_is_one_clear_error_not_sigpipe)
{
	const char *path = h_tmpfile("early.sock"), *err = h_tmpfile("early.err");
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct early_server s = { .fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) };
	char long_req[300];
	pthread_t t;
	int rc;
	char *line;

	cr_assert_lt(strlen(path), sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path));
	cr_assert(s.fd >= 0 && !bind(s.fd, (struct sockaddr *)&a, sizeof(a)) && !listen(s.fd, 8));
	cr_assert_eq(pthread_create(&t, NULL, close_early, &s), 0);
	/* A long request makes the write meet the closed socket (EPIPE, once SIGPIPE). */
	memset(long_req, 'x', sizeof(long_req) - 1);
	long_req[sizeof(long_req) - 1] = 0;
	for (int i = 0; i < 5; i++) {
		rc = h_sh("%s status --socket %s > /dev/null 2>%s", h_path("vmatrace"), path, err);
		cr_assert(rc != 0 && rc != 128 + SIGPIPE, "status exited %d (141: SIGPIPE)", rc);
		line = first_line(err);
		cr_assert(strstr(line, "vmatrace: error: ") == line && strstr(line, path),
			  "not one clear line: '%s'", line);
		free(line);
		cr_assert_eq(h_sh("test $(wc -l < %s) -eq 1", err), 0, "more than one line");
		rc = h_sh("%s snapshot --socket %s -p %s > /dev/null 2>%s", h_path("vmatrace"),
			  path, long_req, err);
		cr_assert(rc != 0 && rc != 128 + SIGPIPE, "snapshot exited %d", rc);
	}
	shutdown(s.fd, SHUT_RDWR);
	close(s.fd);
	pthread_join(t, NULL);
	cr_assert_gt(s.accepted, 0);
}

/* Lines of a file that contain needle. */
static int count_lines(const char *path, const char *needle)
{
	struct lines l;
	int n = 0;

	if (h_read_lines(path, &l))
		return 0;
	for (size_t i = 0; i < l.n; i++)
		n += strstr(l.v[i], needle) != NULL;
	h_free_lines(&l);
	return n;
}

/*
 * 5,000 children of an unprivileged user, each making one failing mmap:
 * before, 5,000 alerts in a second that flushed the journal's history. Now
 * at most alert_user_limit of them alert; the rest are counted exactly in
 * one summary line (log, alert log, journal), and an alert from another user
 * made before stays in the journal.
 */
Test(hardening, an_alert_storm_of_one_user_is_summarised_and_keeps_history)
{
	enum { CHILDREN = 5000, STORM_UID = 65534, LIMIT = 10 };
	const char *alerts = h_tmpfile("alerts.jsonl"), *jdir = h_tmpfile("storm-journal");
	const char *report = h_tmpfile("report.json");
	char args[512], cmd[512], needle[64];
	long long sent = 0, summarised = -1, v;
	struct lines l;

	snprintf(args, sizeof(args),
		 "--alert-log %s --journal-dir %s --journal-retain-size 2M "
		 "--journal-segment-size 256K --alert-user-limit %d --alert-limit 100",
		 alerts, jdir, LIMIT);
	h_daemon_start(&dmn, args);
	/* History before the storm: root's own failure, alerted. */
	snprintf(cmd, sizeof(cmd), "%s before-storm", h_path("workloads/named"));
	cr_assert_eq(h_sh("%s >/dev/null", cmd), 0);
	cr_assert(h_wait_for_line(alerts, "before-storm", 10), "no alert before the storm");

	snprintf(cmd, sizeof(cmd), "%s %d %d", h_path("workloads/storm"), CHILDREN, STORM_UID);
	cr_assert_eq(h_sh("%s > %s", cmd, h_tmpfile("storm.out")), 0, "the storm workload failed");
	/* Every record applied, then the daemon stops: the open window is summarised. */
	cr_assert_eq(h_sh("%s status --socket %s >/dev/null", h_path("vmatrace"), dmn.socket), 0);
	h_daemon_stop(&dmn);

	cr_assert_eq(h_read_lines(alerts, &l), 0);
	for (size_t i = 0; i < l.n; i++) {
		json_t *j = h_json(l.v[i]);
		char kind[32] = "";

		h_jstr(j, "kind", kind, sizeof(kind));
		if (h_jnum(j, "uid", &v) && v == STORM_UID) {
			if (h_json_find(j, "suppressed") && !h_json_find(j, "syscall")) {
				cr_assert_eq(summarised, -1, "two summaries in one window");
				cr_assert(h_jnum(j, "suppressed", &summarised));
			} else if (!strcmp(kind, "alloc_failure")) {
				sent++;
			}
		}
		json_decref(j);
	}
	h_free_lines(&l);
	fprintf(stderr, "storm: %d failing mmaps from uid %d: %lld alerted, %lld summarised\n",
		CHILDREN, STORM_UID, sent, summarised);
	cr_assert_leq(sent, LIMIT, "%lld alerts from uid %d: the limit is %d", sent, STORM_UID,
		      LIMIT);
	cr_assert_gt(sent, 0);
	cr_assert_gt(summarised, 0, "no summary of the suppressed alerts");
	/* Exact unless records were dropped: every failure is alerted or counted. */
	if (!count_lines(dmn.log, "records dropped"))
		cr_assert_eq(sent + summarised, CHILDREN, "%lld sent + %lld suppressed", sent,
			     summarised);
	snprintf(needle, sizeof(needle), "more alerts of this kind (alloc_failure) from uid %d",
		 STORM_UID);
	cr_assert_eq(count_lines(dmn.log, needle), 1, "no one summary line in the log");
	cr_assert_eq(count_lines(dmn.log, "4,9"), summarised >= 4900 ? 1 : 0,
		     "the count is not written with thousands separators");

	/* The journal kept the history from before the storm, and the summary. */
	cr_assert_eq(h_sh("%s report --journal-dir %s --format json > %s", h_path("vmatrace"), jdir,
			  report),
		     0);
	cr_assert_geq(count_lines(report, "before-storm"), 1, "the storm evicted earlier history");
	cr_assert_geq(count_lines(report, "\"suppressed\""), 1, "no summary in the journal");
	cr_assert_eq(h_sh("%s report --journal-dir %s | grep -q '^storms: *%lld alerts suppressed'",
			  h_path("vmatrace"), jdir, summarised),
		     0, "the report does not say how many alerts the storm suppressed");
}

/*
 * A 16 KiB ring buffer and 12 processes exec'ing and mapping at once: records
 * are dropped by the thousand. Every process that lost records is read again,
 * so each one's snapshot equals /proc/PID/maps, and status, metrics and the
 * log say how many were dropped and repaired.
 */
Test(hardening, a_flood_through_a_tiny_ring_leaves_every_snapshot_exact)
{
	enum { NPROC = 12 };
	char line[1024], *status = NULL;
	size_t cap = 0;
	int pids[NPROC], n = 0, mismatched = 0;
	long long drops = 0, repairs = 0;
	FILE *out;
	json_t *j;

	h_daemon_start(&dmn, "--ringbuf-size 16K");
	snprintf(line, sizeof(line), "%s %d 3000", h_path("workloads/flood"), NPROC);
	out = popen(line, "r");
	cr_assert(out);
	while (fgets(line, sizeof(line), out)) {
		long long pid;

		if (h_kv(line, "pid", &pid) && n < NPROC)
			track(pids[n++] = (int)pid);
		if (strstr(line, "flood ready"))
			break;
	}
	cr_assert_eq(n, NPROC, "the flood did not start its processes");
	for (int i = 0; i < n; i++)
		mismatched += !h_snapshot_matches(&dmn, pids[i]);

	snprintf(line, sizeof(line), "%s status --socket %s --json", h_path("vmatrace"),
		 dmn.socket);
	{
		FILE *st = popen(line, "r");

		cr_assert(st);
		cr_assert_gt(getline(&status, &cap, st), 0);
		pclose(st);
	}
	j = h_json(status);
	cr_assert(h_jnum(j, "drops", &drops) && h_jnum(j, "drop_repairs", &repairs), "%s", status);
	json_decref(j);
	free(status);
	fprintf(stderr, "flood: %lld records dropped, %lld processes repaired, %d of %d exact\n",
		drops, repairs, n - mismatched, n);
	cr_assert_gt(drops, 0, "nothing was dropped: the test did not flood the ring");
	cr_assert_gt(repairs, 0, "records were dropped but no process was read again");
	cr_assert_eq(mismatched, 0, "%d of %d snapshots differ from /proc/PID/maps", mismatched, n);
	cr_assert(h_wait_for_line(dmn.log, "processes that lost records read again", 5),
		  "the log does not say what was repaired");
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	pclose(out);
}

/* The daemon's log: every line is one of its messages, none forged by a process name. */
static void assert_log_lines_are_its_own(const char *log)
{
	struct lines l;

	cr_assert_eq(h_read_lines(log, &l), 0);
	for (size_t i = 0; i < l.n; i++)
		cr_assert(!strncmp(l.v[i], "vmatrace: ", 10), "log line %zu is not ours: '%s'", i,
			  l.v[i]);
	h_free_lines(&l);
}

Test(hardening, a_hostile_process_name_cannot_forge_a_log_line)
{
	const char *alerts = h_tmpfile("alerts.jsonl");
	char args[300], cmd[300];

	snprintf(args, sizeof(args), "--alert-log %s --status-interval 1s", alerts);
	h_daemon_start(&dmn, args);
	snprintf(cmd, sizeof(cmd), "%s \"$(printf 'a\\n<0>FORGED')\" 2 >/dev/null",
		 h_path("workloads/named"));
	cr_assert_eq(h_sh("%s", cmd), 0);
	cr_assert(h_wait_for_line(alerts, "alloc_failure", 10), "no alert from the process");
	/* The periodic status has shown the process too, by now. */
	cr_assert(h_wait_for_line(dmn.log, "a\\x0a<0>FORGED", 5), "the name is not escaped");
	h_daemon_stop(&dmn);
	cr_assert_eq(count_lines(dmn.log, "FORGED"), count_lines(dmn.log, "a\\x0a<0>FORGED"));
	assert_log_lines_are_its_own(dmn.log);
}

Test(hardening, a_file_name_with_a_newline_cannot_forge_a_vma_line)
{
	const char *dir = h_tmpfile("names");
	char path[512], line[1024], *snap = NULL;
	size_t cap = 0, snap_lines = 0, proc_lines = 0;
	int pipefd[2], st;
	pid_t pid;
	FILE *f;

	h_daemon_start(&dmn, NULL);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path),
		 "%s/x\n7f0000000000-7f0000001000 r-xp 00000000 00:00 0 [forged]", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs("data\n", f);
	fclose(f);
	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(pipefd[1], 1);
		execl(h_path("workloads/mapfile"), "mapfile", path, (char *)NULL);
		_exit(127);
	}
	track(pid);
	close(pipefd[1]);
	cr_assert_eq(waitpid(pid, &st, WUNTRACED), pid);
	cr_assert(WIFSTOPPED(st));

	snprintf(line, sizeof(line), "%s snapshot --socket %s -p %d", h_path("vmatrace"),
		 dmn.socket, pid);
	f = popen(line, "r");
	cr_assert(f);
	while (getline(&snap, &cap, f) > 0) {
		snap_lines++;
		cr_assert(!strstr(snap, "[forged]") || strstr(snap, "\\x0a") ||
				  strstr(snap, "\\012"),
			  "a forged VMA line: %s", snap);
		cr_assert(strncmp(snap, "7f0000000000-", 13), "a forged VMA line: %s", snap);
	}
	pclose(f);
	free(snap);
	snprintf(line, sizeof(line), "grep -vc '\\[vsyscall\\]' /proc/%d/maps", pid);
	f = popen(line, "r");
	cr_assert(f && fscanf(f, "%zu", &proc_lines) == 1);
	pclose(f);
	/* /proc says \012 for the newline, one line per VMA: so must the snapshot. */
	cr_assert_eq(snap_lines, proc_lines, "snapshot %zu lines, kernel %zu VMAs", snap_lines,
		     proc_lines);
	kill(pid, SIGKILL);
	close(pipefd[0]);
}

/* `cmd` exits non-zero within `seconds` with one line on stderr that contains `want`. */
static void assert_one_line_error(const char *cmd, const char *want, int seconds)
{
	const char *err = h_tmpfile("cmd.err");
	char *line;
	int rc;

	/* Not a timing check: a generous guard, so that a hang fails instead of stalling. */
	rc = h_sh("timeout -s KILL %d %s > /dev/null 2>%s", seconds + 20, cmd, err);
	cr_assert(rc != 0 && rc != 137, "'%s' exited %d (137: it hung)", cmd, rc);
	line = first_line(err);
	cr_assert(strstr(line, want), "'%s' said '%s', not '%s'", cmd, line, want);
	free(line);
	cr_assert_eq(h_sh("test $(wc -l < %s) -eq 1", err), 0, "'%s': more than one line", cmd);
}

Test(hardening, trace_of_a_zombie_or_a_kernel_thread_says_why_at_once)
{
	char cmd[256];
	pid_t zombie = fork();

	cr_assert_geq(zombie, 0);
	if (zombie == 0)
		_exit(0);
	track(zombie);
	/* Not reaped: a zombie until the test's fini. */
	for (int i = 0; i < 100; i++) {
		char state = 0, path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", zombie);
		f = fopen(path, "r");
		if (f && fscanf(f, "%*d %*s %c", &state) == 1 && state == 'Z') {
			fclose(f);
			break;
		}
		if (f)
			fclose(f);
		usleep(10000);
	}
	snprintf(cmd, sizeof(cmd), "%s trace -p %d", h_path("vmatrace"), zombie);
	assert_one_line_error(cmd, "is a zombie", 1);
	/* kthreadd is pid 2 on every Linux. */
	snprintf(cmd, sizeof(cmd), "%s trace -p 2", h_path("vmatrace"));
	assert_one_line_error(cmd, "is a kernel thread", 1);
	snprintf(cmd, sizeof(cmd), "%s trace -p 999999999", h_path("vmatrace"));
	assert_one_line_error(cmd, "no process with pid 999999999", 1);
}

Test(hardening, bad_paths_and_values_are_one_clear_line)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s report --journal-dir /etc/passwd", h_path("vmatrace"));
	assert_one_line_error(cmd, "Not a directory", 1);
	snprintf(cmd, sizeof(cmd), "%s snapshot --socket %s -p 1", h_path("vmatrace"),
		 h_tmpfile("none.sock"));
	assert_one_line_error(cmd, "cannot reach the vmatrace daemon", 1);
	snprintf(cmd, sizeof(cmd), "%s trace -p abc", h_path("vmatrace"));
	assert_one_line_error(cmd, "invalid pid 'abc'", 1);
	snprintf(cmd, sizeof(cmd), "%s daemon --foreground --ringbuf-size 12 --check-config",
		 h_path("vmatrace"));
	assert_one_line_error(cmd, "ringbuf", 1);
}
