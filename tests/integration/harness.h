/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Helpers for the root integration tests: run vmatrace and workloads, read JSON lines. */
#ifndef VMATRACE_TEST_HARNESS_H
#define VMATRACE_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

#include "jsonr.h"

/*
 * Under SANITIZE=1 (ASan) the daemons and tools run several times slower: a trace of 65,530
 * VMAs took over 180 s. Suites' time limits are written as H_TIMEOUT(seconds).
 */
#if defined(__SANITIZE_ADDRESS__)
#define H_TIMEOUT(s) ((s)*4)
#else
#define H_TIMEOUT(s) (s)
#endif

struct lines {
	char **v;
	size_t n;
};

/* build/ (or $VMATRACE_BUILD), with a trailing component appended. */
const char *h_path(const char *rel);
/* A fresh temporary directory for this test, removed by h_cleanup(). */
const char *h_tmpdir(void);
/* Skip the running test, saying why, when a tool it needs is not installed (a VM guest). */
void h_require_tool(const char *tool);
const char *h_tmpfile(const char *name);
void h_cleanup(void);
/* Run a shell command; returns its exit status (128+sig if killed), -1 on error. */
int h_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Skip the test unless root. */
void h_require_root(void);

int h_read_lines(const char *path, struct lines *out);
/* Wait up to `seconds` until a file holds a line containing needle (the daemon works asynchronously). */
bool h_wait_for_line(const char *path, const char *needle, int seconds);
void h_free_lines(struct lines *l);

/*
 * JSON lines, read with jansson. A lookup finds the first member named key
 * in document order, depth first: "len" is found inside "args", "start"
 * inside "vma". A line that is not JSON has no members.
 */
json_t *h_json(const char *line); /* json_decref() it; NULL when not JSON */
const json_t *h_json_find(const json_t *j, const char *key);
/* A string member (copied, truncated to len - 1 bytes). */
bool h_jstr(const json_t *j, const char *key, char *out, size_t len);
/* A number member, or a string one holding a number ("0x7f2a4c000000"). */
bool h_jnum(const json_t *j, const char *key, long long *out);
/* The same on one line of text. */
bool h_json_str(const char *line, const char *key, char *out, size_t len);
bool h_json_num(const char *line, const char *key, long long *out);
bool h_json_has(const char *line, const char *key);
/* Convenience: is this an event of that name from that pid (0: any pid)? */
bool h_is_event(const char *line, const char *event, long long pid);
/* The value of "key=NUMBER" in a workload's output line, or false. */
bool h_kv(const char *line, const char *key, long long *out);

#endif

/* The daemon, started on a socket in the test's temporary directory. */
struct h_daemon {
	int pid;
	char socket[256];
	char log[256];
};
void h_daemon_start(struct h_daemon *d, const char *extra_args);
void h_daemon_stop(struct h_daemon *d);

/*
 * Run argv (with VMATRACE_CHECKPOINT_STOP=1 when stop_env) and call on_stop each time it
 * stops itself, then continue it. Returns its wait status decoded like h_sh().
 */
typedef void (*h_stop_fn)(void *ctx, int pid, int k);
int h_run_stopping(char *const argv[], bool stop_env, h_stop_fn on_stop, void *ctx);

/* Compare the daemon's snapshot of pid with /proc/pid/maps; true if identical (else prints a diff). */
bool h_snapshot_matches(const struct h_daemon *d, int pid);
