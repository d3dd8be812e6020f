// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What this kernel lacks is said (vmatrace --version -v, status) and the fallback taken: the
 * oracle is the kernel itself (its BTF's names, tracefs), never its version number. On the
 * host (6.18) everything is there; on Debian 12's 6.1 in the QEMU guest (tests/vm) the
 * open-coded VMA iterator, mm_lock_seq and the mseal tracepoint are missing.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct h_daemon dmn;

static void fini(void)
{
	h_daemon_stop(&dmn);
	h_cleanup();
}

TestSuite(kernel, .init = h_require_root, .fini = fini, .timeout = H_TIMEOUT(120));

/* Does the kernel's BTF name this (a kfunc, a member)? Its strings are in the raw file. */
static bool btf_names(const char *name)
{
	return h_sh("grep -qa '%s' /sys/kernel/btf/vmlinux", name) == 0;
}

static bool has_tracepoint(const char *cat_name)
{
	return access(cat_name, F_OK) == 0;
}

static const char *status_json(void)
{
	const char *out = h_tmpfile("status.json");

	cr_assert_eq(h_sh("%s status --json --socket %s > %s", h_path("vmatrace"), dmn.socket, out),
		     0);
	return out;
}

/* The "present" of feature name in status --json's kernel_features (jansson). */
static int feature_present(const char *path, const char *name)
{
	struct lines l;
	json_t *j;
	const json_t *arr;
	size_t i;
	json_t *f;
	int present = -1;

	cr_assert_eq(h_read_lines(path, &l), 0);
	cr_assert_gt(l.n, 0);
	j = h_json(l.v[0]);
	cr_assert(j, "status --json is not JSON: %s", l.v[0]);
	arr = h_json_find(j, "kernel_features");
	cr_assert(arr && json_is_array(arr), "no kernel_features in %s", l.v[0]);
	json_array_foreach(arr, i, f)
	{
		const char *n = json_string_value(json_object_get(f, "name"));

		if (n && !strcmp(n, name)) {
			json_t *p = json_object_get(f, "present");

			cr_assert(json_is_boolean(p), "%s: present is not a boolean", name);
			present = json_is_true(p);
			if (!present)
				cr_assert(json_is_string(json_object_get(f, "fallback")),
					  "%s is missing but no fallback is said", name);
		}
	}
	json_decref(j);
	h_free_lines(&l);
	cr_assert_neq(present, -1, "feature %s not listed", name);
	return present;
}

static long long status_num(const char *path, const char *key)
{
	struct lines l;
	long long v = -1;

	cr_assert_eq(h_read_lines(path, &l), 0);
	cr_assert(h_json_num(l.v[0], key, &v), "no %s in status", key);
	h_free_lines(&l);
	return v;
}

Test(kernel, version_v_lists_each_feature_as_the_kernel_has_it)
{
	const char *out = h_tmpfile("version.txt");
	bool iter = btf_names("bpf_iter_task_vma_new");
	bool mseal = has_tracepoint("/sys/kernel/tracing/events/syscalls/sys_exit_mseal") ||
		     has_tracepoint("/sys/kernel/debug/tracing/events/syscalls/sys_exit_mseal");

	cr_assert_eq(h_sh("%s --version -v > %s 2>&1", h_path("vmatrace"), out), 0);
	cr_assert_eq(h_sh("grep -q '^  exec_vmas  *%s' %s", iter ? "yes" : "NO", out), 0,
		     "exec_vmas should be %s", iter ? "yes" : "NO");
	if (!iter)
		cr_assert_eq(h_sh("grep -q 'read from /proc/PID/maps' %s", out), 0);
	cr_assert_eq(h_sh("grep -q '^  syscall_tracepoints  *%s' %s", mseal ? "yes" : "NO", out),
		     0);
	if (!mseal)
		cr_assert_eq(h_sh("grep -q '(missing: .*mseal' %s", out), 0);
	cr_assert_eq(h_sh("grep -q unknown %s", out), 1, "as root nothing is unknown");
}

/*
 * Without the open-coded VMA iterator an exec'd process is read from /proc (a resync); with
 * it, its new address space comes in the exec's records and nothing is read.
 */
Test(kernel, status_lists_the_fallbacks_and_exec_takes_them)
{
	bool iter = btf_names("bpf_iter_task_vma_new");
	bool walk = btf_names("mm_lock_seq") && btf_names("bpf_iter_num_new");
	long long rs0, rs1;
	const char *st;

	h_daemon_start(&dmn, "");
	st = status_json();
	cr_assert_eq(feature_present(st, "exec_vmas"), iter);
	if (!walk)
		cr_assert_eq(feature_present(st, "vma_walk"), 0);
	rs0 = status_num(st, "resyncs");
	for (int i = 0; i < 5; i++)
		cr_assert_eq(h_sh("%s 0.2", "sleep"), 0);
	usleep(500000);
	rs1 = status_num(status_json(), "resyncs");
	if (iter)
		cr_assert_lt(rs1 - rs0, 5, "%lld processes read from /proc with the iterator",
			     rs1 - rs0);
	else
		cr_assert_geq(rs1 - rs0, 5, "5 execs, %lld read from /proc", rs1 - rs0);
	cr_assert_eq(h_sh("%s status --socket %s | grep -q '^kernel %s: %s'", h_path("vmatrace"),
			  dmn.socket, "[^:]*", iter ? ".*" : ".*exec_vmas"),
		     0);
}
