// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Call stacks of `vmatrace trace -k` (DWARF by default) on binaries built the
 * way Debian builds them (no frame pointers): the functions that made the
 * calls appear by name under them, also in threads, in a PIE and its own
 * shared library, in C++ (demangled), and for a process that has exited
 * before its records are read; a stripped binary gives module+offset; a deep
 * stack is cut where the window ends, and says so.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TestSuite(stacks, .init = h_require_root, .fini = h_cleanup, .timeout = H_TIMEOUT(120));

/* Trace a workload with extra options into a file; its lines. */
static void trace(const char *opts, const char *workload, struct lines *l)
{
	const char *o = h_tmpfile("trace.out");

	cr_assert_eq(h_sh("%s trace %s -o %s -- %s >/dev/null 2>&1", h_path("vmatrace"), opts, o,
			  h_path(workload)),
		     0, "vmatrace trace %s -- %s failed", opts, workload);
	cr_assert_eq(h_read_lines(o, l), 0);
}

/* Calls of `sys` whose frames (the " > " lines under them) include `frame`; and all calls. */
static int calls_with_frame(const struct lines *l, const char *sys, const char *frame, int *calls)
{
	int with = 0;

	*calls = 0;
	for (size_t i = 0; i < l->n; i++) {
		bool found = false;

		if (strncmp(l->v[i], " > ", 3) == 0 || !strstr(l->v[i], sys))
			continue;
		(*calls)++;
		for (size_t j = i + 1; j < l->n && !strncmp(l->v[j], " > ", 3); j++)
			found |= strstr(l->v[j], frame) != NULL;
		with += found;
	}
	return with;
}

Test(stacks, two_call_sites_in_threads_by_name)
{
	struct lines l;
	int calls, alpha, beta;

	trace("-k", "workloads/deb_two_sites", &l);
	/* alpha_maps makes 300 mmaps and 300 mprotects, beta_splits 1 mmap and 100 munmaps. */
	alpha = calls_with_frame(&l, "] mprotect(", "(alpha_maps+", &calls);
	cr_assert_geq(alpha, 300, "mprotect under alpha_maps: %d of %d", alpha, calls);
	beta = calls_with_frame(&l, "] munmap(0x", "(beta_splits+", &calls);
	cr_assert_geq(beta, 100, "munmap under beta_splits: %d of %d", beta, calls);
	/* The libc wrapper first, then the function, then the thread's start. */
	cr_assert_geq(calls_with_frame(&l, "] mprotect(", "libc.so.6(start_thread+", &calls), 300);
	h_free_lines(&l);
}

Test(stacks, pie_and_its_shared_library)
{
	struct lines l;
	int calls, in_lib, in_main;

	trace("-k", "workloads/deb_libsite", &l);
	in_lib = calls_with_frame(&l, "] mmap(NULL, 4096, PROT_READ,",
				  "libvmtsite.so(vmt_lib_map_pages+", &calls);
	cr_assert_eq(in_lib, 10, "%d of %d mmaps under the library's function", in_lib, calls);
	in_main =
		calls_with_frame(&l, "] mmap(NULL, 4096, PROT_READ,", "deb_libsite(main+", &calls);
	cr_assert_eq(in_main, 10, "%d of %d mmaps under main", in_main, calls);
	h_free_lines(&l);
}

/*
 * A container's files are at their paths in its own mount namespace only: a binary on a
 * tmpfs mounted in a namespace of its own is opened through /proc/PID/root, and shown by the
 * path the process knows it by.
 */
Test(stacks, a_binary_seen_only_in_its_own_mount_namespace)
{
	const char *dir = h_tmpfile("ns-root");
	char cmd[1024];
	struct lines l;
	int calls, alpha;

	cr_assert_eq(h_sh("mkdir -p %s", dir), 0);
	snprintf(cmd, sizeof(cmd),
		 "unshare -m --propagation private sh -c 'mount -t tmpfs vmt-ns %s && "
		 "cp %s %s/deb_two_sites && exec %s/deb_two_sites'",
		 dir, h_path("workloads/deb_two_sites"), dir, dir);
	cr_assert_eq(h_sh("%s trace -k -o %s -- %s >/dev/null 2>&1", h_path("vmatrace"),
			  h_tmpfile("ns.out"), cmd),
		     0);
	cr_assert_eq(h_read_lines(h_tmpfile("ns.out"), &l), 0);
	cr_assert_eq(h_sh("test -z \"$(ls -A %s)\"", dir), 0, "the tmpfs is not seen from here");
	alpha = calls_with_frame(&l, "] mprotect(", "/deb_two_sites(alpha_maps+", &calls);
	cr_assert_geq(alpha, 300, "mprotect under alpha_maps: %d of %d", alpha, calls);
	cr_assert_eq(calls_with_frame(&l, "] mprotect(", "/proc/", &calls), 0,
		     "frames name the file as the process does");
	h_free_lines(&l);
}

/*
 * Inside a PID namespace with its own /proc, /proc names processes by that namespace's pids,
 * the records by the kernel's: the files behind the frames are found through the right
 * /proc/PID (vmatrace translates), so the workload's frames are named.
 */
Test(stacks, in_a_pid_namespace_proc_is_read_by_its_pids)
{
	const char *out = h_tmpfile("pidns.out");
	struct lines l;
	int calls, alpha;

	cr_assert_eq(h_sh("unshare -pf --mount-proc %s trace -k -o %s -- %s >/dev/null 2>&1",
			  h_path("vmatrace"), out, h_path("workloads/deb_two_sites")),
		     0);
	cr_assert_eq(h_read_lines(out, &l), 0);
	alpha = calls_with_frame(&l, "] mprotect(", "/deb_two_sites(alpha_maps+", &calls);
	cr_assert_geq(alpha, 300, "mprotect under alpha_maps: %d of %d", alpha, calls);
	h_free_lines(&l);
}

Test(stacks, cxx_names_demangled)
{
	struct lines l;
	int calls;

	trace("-k", "workloads/deb_cxx", &l);
	cr_assert_eq(calls_with_frame(&l, "] mmap(NULL,", "(vmt::Pool<vmt::Page>::grow(int)",
				      &calls),
		     10);
	cr_assert_eq(calls_with_frame(&l, "] mmap(NULL,", "(vmt::Arena::reserve(int)", &calls), 10);
	h_free_lines(&l);
}

Test(stacks, stripped_binary_gives_module_and_offset)
{
	struct lines l;
	int calls, with;

	trace("-k", "workloads/deb_stripped", &l);
	/* No symbol table: the frame in it is the file and an offset, and unwinding goes on. */
	with = calls_with_frame(&l, "] munmap(0x", "deb_stripped+0x", &calls);
	cr_assert_geq(with, 100, "%d of %d", with, calls);
	cr_assert_geq(calls_with_frame(&l, "] munmap(0x", "libc.so.6(start_thread+", &calls), 100);
	h_free_lines(&l);
}

static char dbg_installed[512];

static void remove_debug_file(void)
{
	if (dbg_installed[0]) {
		unlink(dbg_installed);
		*strrchr(dbg_installed, '/') = 0;
		rmdir(dbg_installed); /* only if we made it and it is empty */
	}
	dbg_installed[0] = 0;
	h_cleanup();
}

/* Symbols from a separate debug file found by build-id (Debian's -dbgsym packages). */
Test(stacks, symbols_from_a_debug_file_by_build_id, .fini = remove_debug_file)
{
	h_require_tool("readelf");
	char id[128] = "";
	struct lines l;
	int calls, with;
	FILE *p;

	cr_assert_eq(h_sh("readelf -n %s | sed -n 's/.*Build ID: *//p' > %s",
			  h_path("workloads/deb_dbgsym"), h_tmpfile("id")),
		     0);
	p = fopen(h_tmpfile("id"), "r");
	cr_assert(p && fscanf(p, "%127s", id) == 1 && strlen(id) > 2);
	fclose(p);
	snprintf(dbg_installed, sizeof(dbg_installed), "/usr/lib/debug/.build-id/%.2s/%s.debug", id,
		 id + 2);
	cr_assert_eq(h_sh("mkdir -p \"$(dirname %s)\" && cp %s %s", dbg_installed,
			  h_path("workloads/deb_dbgsym.debug"), dbg_installed),
		     0);
	trace("-k", "workloads/deb_dbgsym", &l);
	with = calls_with_frame(&l, "] munmap(0x", "deb_dbgsym(beta_splits+", &calls);
	cr_assert_geq(with, 100, "%d of %d munmaps named beta_splits from the debug file", with,
		      calls);
	h_free_lines(&l);
}

Test(stacks, deep_recursion_cut_at_the_window_and_said)
{
	struct lines l;
	int calls;

	trace("-k --stack-window 8K", "workloads/deb_deep", &l);
	cr_assert_eq(
		calls_with_frame(&l, "] mmap(NULL, 4096, PROT_READ,", "(deep_recurse+", &calls), 1);
	cr_assert_eq(calls_with_frame(&l, "] mmap(NULL, 4096, PROT_READ,", "stack window ended",
				      &calls),
		     1, "the cut is not said");
	h_free_lines(&l);
}

Test(stacks, json_stack_array_and_frame_pointer_mode)
{
	struct lines l;
	int with = 0;

	trace("-k --json", "workloads/deb_two_sites", &l);
	for (size_t i = 0; i < l.n; i++) {
		json_t *j = h_json(l.v[i]);
		const json_t *st = j ? json_object_get(j, "stack") : NULL;
		size_t k;
		json_t *f;

		json_array_foreach(st, k,
				   f) if (strstr(json_string_value(f) ?: "", "(beta_splits+"))
		{
			with++;
			break;
		}
		json_decref(j);
	}
	cr_assert_geq(with, 100, "%d JSON lines with beta_splits in their stack", with);
	h_free_lines(&l);
	/* Frame pointers: still there, the cheap mode (this binary has none: a frame or two). */
	trace("--stack=fp", "workloads/deb_two_sites", &l);
	cr_assert(l.n > 700);
	h_free_lines(&l);
}
