// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "harness.h"

static char tmpdir[256];

/*
 * Paths are returned as fresh strings that live for the whole test (a test keeps many at
 * once): kept in a list, so that LeakSanitizer sees them reachable without a suppression
 * (which needs the slow unwinder to match through libc's asprintf).
 */
static const char *kept(char *p)
{
	static char **v;
	static size_t n, cap;

	if (n == cap) {
		char **nv = realloc(v, (cap ? 2 * cap : 64) * sizeof(*v));

		if (!nv)
			cr_assert_fail("out of memory");
		v = nv;
		cap = cap ? 2 * cap : 64;
	}
	v[n++] = p;
	return p;
}

const char *h_path(const char *rel)
{
	const char *b = getenv("VMATRACE_BUILD");
	char *p;

	if (asprintf(&p, "%s/%s", b && *b ? b : "build", rel) < 0)
		cr_assert_fail("out of memory");
	return kept(p);
}

const char *h_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/vmatrace-test.XXXXXX");
		if (!mkdtemp(tmpdir))
			cr_assert_fail("mkdtemp: %s", strerror(errno));
	}
	return tmpdir;
}

void h_require_tool(const char *tool)
{
	if (h_sh("command -v %s >/dev/null 2>&1", tool))
		cr_skip_test("%s is not installed here", tool);
}

const char *h_tmpfile(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", h_tmpdir(), name) < 0)
		cr_assert_fail("out of memory");
	return kept(p);
}

void h_cleanup(void)
{
	if (tmpdir[0]) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", tmpdir);
		tmpdir[0] = 0;
	}
}

int h_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

void h_require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (loads BPF programs)");
}

int h_read_lines(const char *path, struct lines *out)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t n;

	out->v = NULL;
	out->n = 0;
	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) >= 0) {
		if (n && line[n - 1] == '\n')
			line[n - 1] = 0;
		if (out->n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			out->v = realloc(out->v, alloc * sizeof(*out->v));
		}
		out->v[out->n++] = strdup(line);
	}
	free(line);
	fclose(f);
	return 0;
}

void h_free_lines(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const json_t *h_json_find(const json_t *j, const char *key)
{
	const json_t *found = NULL;

	if (json_is_object(j)) {
		const char *k;
		json_t *v;

		json_object_foreach((json_t *)j, k, v)
		{
			if (!strcmp(k, key))
				return v;
			if ((found = h_json_find(v, key)))
				return found;
		}
	} else if (json_is_array(j)) {
		size_t i;
		json_t *v;

		json_array_foreach(j, i, v) if ((found = h_json_find(v, key))) return found;
	}
	return NULL;
}

bool h_jstr(const json_t *j, const char *key, char *out, size_t len)
{
	const char *s = json_string_value(h_json_find(j, key));

	if (!s)
		return false;
	snprintf(out, len, "%s", s);
	return true;
}

bool h_jnum(const json_t *j, const char *key, long long *out)
{
	const json_t *v = h_json_find(j, key);
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		*out = (long long)json_real_value(v);
		return true;
	}
	s = json_string_value(v); /* hex addresses are strings */
	if (!s)
		return false;
	errno = 0;
	*out = strtoll(s, &end, 0);
	return end != s && !errno;
}

/*
 * The tests ask several questions of each line in turn (its event, its pid, an argument...):
 * the last line parsed is kept, so that a 196,000-line trace is parsed once per line rather
 * than once per question (scenario 1's test took minutes, and over 12 under ASan).
 */
static const json_t *parsed(const char *line)
{
	static char *text;
	static json_t *json;

	if (text && !strcmp(text, line))
		return json;
	free(text);
	json_decref(json);
	text = strdup(line);
	json = jr_parse(line, strlen(line));
	return json;
}

json_t *h_json(const char *line)
{
	return jr_parse(line, strlen(line));
}

bool h_json_str(const char *line, const char *key, char *out, size_t len)
{
	return h_jstr(parsed(line), key, out, len);
}

bool h_json_num(const char *line, const char *key, long long *out)
{
	return h_jnum(parsed(line), key, out);
}

bool h_json_has(const char *line, const char *key)
{
	return h_json_find(parsed(line), key) != NULL;
}

bool h_is_event(const char *line, const char *event, long long pid)
{
	const json_t *j = parsed(line);
	const char *ev = json_string_value(json_object_get(j, "event"));
	long long p;

	return ev && !strcmp(ev, event) && (!pid || (h_jnum(j, "pid", &p) && p == pid));
}

bool h_kv(const char *line, const char *key, long long *out)
{
	char pat[64];
	const char *p;
	char *end;

	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = strstr(line, pat); p; p = strstr(p + 1, pat)) {
		if (p == line || p[-1] == ' ') {
			*out = strtoll(p + strlen(pat), &end, 0);
			return end != p + strlen(pat);
		}
	}
	return false;
}

void h_daemon_start(struct h_daemon *d, const char *extra_args)
{
	char pidfile[300];
	FILE *f;

	snprintf(d->socket, sizeof(d->socket), "%s", h_tmpfile("ctl.sock"));
	snprintf(d->log, sizeof(d->log), "%s", h_tmpfile("daemon.log"));
	snprintf(pidfile, sizeof(pidfile), "%s", h_tmpfile("daemon.pid"));
	/* History goes to the test's directory unless the test says otherwise (later flags win). */
	cr_assert_eq(
		h_sh("%s daemon --foreground --socket %s --journal-dir %s %s 2>%s & echo $! > %s",
		     h_path("vmatrace"), d->socket, h_tmpfile("journal"),
		     extra_args ? extra_args : "", d->log, pidfile),
		0);
	f = fopen(pidfile, "r");
	cr_assert(f && fscanf(f, "%d", &d->pid) == 1);
	fclose(f);
	/* Ready when it answers. */
	for (int i = 0; i < 200; i++) {
		if (h_sh("%s status --socket %s >/dev/null 2>&1", h_path("vmatrace"), d->socket) ==
		    0)
			return;
		if (kill(d->pid, 0)) {
			h_sh("cat %s >&2", d->log);
			cr_assert_fail("the daemon died at start");
		}
		usleep(50000);
	}
	cr_assert_fail("the daemon did not answer within 10 s");
}

void h_daemon_stop(struct h_daemon *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGTERM);
	for (int i = 0; i < 100 && kill(d->pid, 0) == 0; i++)
		usleep(50000);
	if (kill(d->pid, 0) == 0)
		kill(d->pid, SIGKILL);
	d->pid = 0;
}

int h_run_stopping(char *const argv[], bool stop_env, h_stop_fn on_stop, void *ctx)
{
	int st, k = 0;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (stop_env)
			setenv("VMATRACE_CHECKPOINT_STOP", "1", 1);
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		if (waitpid(pid, &st, WUNTRACED) != pid)
			return -1;
		if (WIFSTOPPED(st)) {
			on_stop(ctx, pid, k++);
			kill(pid, SIGCONT);
			continue;
		}
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (WIFSIGNALED(st))
			return 128 + WTERMSIG(st);
	}
}

bool h_snapshot_matches(const struct h_daemon *d, int pid)
{
	const char *snap = h_tmpfile("snapshot.txt"), *proc = h_tmpfile("proc.txt");

	if (h_sh("%s snapshot --socket %s -p %d > %s", h_path("vmatrace"), d->socket, pid, snap))
		return false;
	if (h_sh("grep -v '\\[vsyscall\\]' /proc/%d/maps > %s", pid, proc) > 1)
		return false;
	if (h_sh("cmp -s %s %s", proc, snap) == 0)
		return true;
	fprintf(stderr, "snapshot of %d differs from /proc/%d/maps (< kernel, > model):\n", pid,
		pid);
	h_sh("diff %s %s | head -20 >&2", proc, snap);
	return false;
}

bool h_wait_for_line(const char *path, const char *needle, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		struct lines l;
		bool found = false;

		if (h_read_lines(path, &l) == 0) {
			for (size_t j = 0; j < l.n && !found; j++)
				found = strstr(l.v[j], needle) != NULL;
			h_free_lines(&l);
		}
		if (found)
			return true;
		usleep(100000);
	}
	return false;
}
