// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Root integration tests of `vmatrace trace`: the real BPF programs, the
 * workloads in tests/workloads/, and the kernel's own view (/proc) to compare.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TestSuite(trace, .init = h_require_root, .fini = h_cleanup, .timeout = H_TIMEOUT(180));

struct run {
	struct lines trace; /* JSON lines from vmatrace */
	struct lines out;   /* the workload's stdout */
	struct lines err;   /* vmatrace's stderr */
	long long pid;	    /* the workload's pid (its first exec record) */
	int rc;
};

static void run_traced(struct run *r, const char *opts, const char *workload)
{
	const char *t = h_tmpfile("trace.json"), *o = h_tmpfile("out.txt"),
		   *e = h_tmpfile("err.txt");

	memset(r, 0, sizeof(*r));
	/* A large ring buffer: these tests check that every call is seen. */
	r->rc = h_sh("%s trace --json --ringbuf-size 64M %s -o %s -- %s >%s 2>%s",
		     h_path("vmatrace"), opts, t, workload, o, e);
	cr_assert_eq(h_read_lines(t, &r->trace), 0, "no trace file");
	h_read_lines(o, &r->out);
	h_read_lines(e, &r->err);
	for (size_t i = 0; i < r->trace.n; i++)
		if (h_is_event(r->trace.v[i], "exec", 0) &&
		    h_json_num(r->trace.v[i], "pid", &r->pid))
			break;
	cr_assert_gt(r->pid, 0, "no exec record for the workload");
}

static void free_run(struct run *r)
{
	h_free_lines(&r->trace);
	h_free_lines(&r->out);
	h_free_lines(&r->err);
}

static long long summary_num(const struct run *r, const char *key)
{
	long long v = -1;

	for (size_t i = 0; i < r->trace.n; i++)
		if (h_is_event(r->trace.v[i], "summary", 0))
			cr_assert(h_json_num(r->trace.v[i], key, &v), "summary lacks %s", key);
	return v;
}

static long long arg(const char *line, const char *key)
{
	long long v;

	cr_assert(h_json_num(line, key, &v), "no %s in %s", key, line);
	return v;
}

/*
 * The k-th checkpoint marker (madvise MADV_NORMAL, 4096 bytes) must carry the
 * VMA count that the workload read from /proc/self/maps just before it.
 */
static void check_checkpoints(const struct run *r)
{
	size_t k = 0;

	for (size_t i = 0; i < r->trace.n; i++) {
		const char *l = r->trace.v[i];
		char adv[32];
		long long expect = -1;

		if (!h_is_event(l, "madvise", r->pid) || arg(l, "len") != 4096 ||
		    !h_json_str(l, "advice", adv, sizeof(adv)) || strcmp(adv, "MADV_NORMAL"))
			continue;
		for (size_t j = 0; j < r->out.n; j++) {
			char pat[32];

			snprintf(pat, sizeof(pat), "checkpoint %zu ", k);
			if (!strncmp(r->out.v[j], pat, strlen(pat)))
				h_kv(r->out.v[j], "vmas", &expect);
		}
		cr_assert_gt(expect, 0, "workload did not report checkpoint %zu", k);
		cr_expect_eq(arg(l, "vmas"), expect,
			     "checkpoint %zu: vmas=%lld in the trace, %lld in /proc", k,
			     arg(l, "vmas"), expect);
		k++;
	}
	cr_assert_gt(k, 0, "no checkpoint marker in the trace");
}

Test(trace, mmap_loop_every_call_in_order)
{
	struct run r;
	size_t mi = 0, ui = 0, n = 0;

	run_traced(&r, "", h_path("workloads/mmap_loop 3000"));
	cr_assert_eq(r.rc, 0, "vmatrace exited with %d", r.rc);
	/* The workload printed "mmap ADDR" / "munmap RET" pairs in call order. */
	for (size_t i = 0; i < r.out.n; i++) {
		const char *want = r.out.v[i];
		bool is_mmap = !strncmp(want, "mmap ", 5);
		long long wv = strtoll(want + (is_mmap ? 5 : 7), NULL, 0);
		const char *ev = is_mmap ? "mmap" : "munmap";
		size_t *pos = is_mmap ? &mi : &ui;

		if (strncmp(want, "mmap ", 5) && strncmp(want, "munmap ", 7))
			continue;
		for (; *pos < r.trace.n; (*pos)++) {
			const char *l = r.trace.v[*pos];

			if (h_is_event(l, ev, r.pid) && arg(l, "len") == 5 * 4096)
				break;
		}
		cr_assert_lt(*pos, r.trace.n, "call %zu (%s) missing from the trace", n, want);
		if (is_mmap)
			cr_assert_eq(arg(r.trace.v[*pos], "ret"), wv,
				     "mmap %zu returned %#llx, traced %#llx", n, wv,
				     arg(r.trace.v[*pos], "ret"));
		else
			cr_assert_eq(arg(r.trace.v[*pos], "ret"), wv);
		(*pos)++;
		n++;
	}
	cr_assert_eq(n, 6000, "the workload reported %zu calls", n);
	cr_assert_eq(summary_num(&r, "dropped"), 0);
	check_checkpoints(&r);
	free_run(&r);
}

Test(trace, scenario1_vma_explosion_enomem)
{
	struct run r;
	long long max = 0, enomem = 0, munmaps = 0, seen_fail = 0, seen_munmap = 0, peak = 0;

	run_traced(&r, "", h_path("workloads/vma_explode"));
	cr_assert_eq(r.rc, 0);
	for (size_t i = 0; i < r.out.n; i++)
		if (h_kv(r.out.v[i], "max_map_count", &max)) {
			h_kv(r.out.v[i], "munmap_enomem", &enomem);
			h_kv(r.out.v[i], "munmaps", &munmaps);
		}
	cr_assert_gt(enomem, 0, "the reproducer did not hit the limit");
	for (size_t i = 0; i < r.trace.n; i++) {
		const char *l = r.trace.v[i];
		char e[32];

		if (!h_is_event(l, "munmap", r.pid) || arg(l, "len") != 4096)
			continue;
		seen_munmap++;
		if (h_json_str(l, "errno", e, sizeof(e))) {
			cr_assert_str_eq(e, "ENOMEM");
			cr_assert_eq(arg(l, "ret"), -1);
			cr_assert_eq(arg(l, "vmas"), max,
				     "failed munmap with vmas=%lld, limit %lld", arg(l, "vmas"),
				     max);
			seen_fail++;
		}
		if (arg(l, "vmas") > peak)
			peak = arg(l, "vmas");
	}
	cr_assert_eq(seen_fail, enomem, "trace shows %lld ENOMEM munmaps, the workload %lld",
		     seen_fail, enomem);
	cr_assert_eq(seen_munmap, munmaps);
	cr_assert_eq(peak, max);
	cr_assert_eq(summary_num(&r, "peak_vmas"), max);
	cr_assert_eq(summary_num(&r, "dropped"), 0);
	check_checkpoints(&r);
	free_run(&r);
}

Test(trace, errors_only_shows_only_failures)
{
	struct run r;
	size_t calls = 0;

	run_traced(&r, "--errors", h_path("workloads/vma_explode"));
	for (size_t i = 0; i < r.trace.n; i++) {
		const char *l = r.trace.v[i];
		char e[32];

		if (!h_json_has(l, "args"))
			continue;
		calls++;
		cr_assert(h_json_str(l, "errno", e, sizeof(e)), "successful call printed: %s", l);
	}
	cr_assert_gt(calls, 0);
	free_run(&r);
}

/*
 * The programs look a call's resulting VMA up without mmap_lock (a maple tree
 * walk checked by the mm's lock sequence) and fall back to bpf_find_vma()
 * only when a writer got in the way: a single-threaded loop must almost
 * never fall back, and every mmap must come with the VMA that holds it.
 */
Test(trace, vma_lookups_lockless_and_right)
{
	struct run r;
	long long fell_back = -1, busy = -1, mmaps = 0;

	run_traced(&r, "-v", h_path("workloads/mmap_loop 3000"));
	cr_assert_eq(r.rc, 0, "vmatrace exited with %d", r.rc);
	for (size_t i = 0; i < r.err.n; i++)
		if (strstr(r.err.v[i], "fell back to bpf_find_vma"))
			cr_assert_eq(sscanf(strstr(r.err.v[i], "(): ") + 4,
					    "%lld; of those, mmap_lock busy "
					    "(no VMA sent): %lld",
					    &fell_back, &busy),
				     2, "%s", r.err.v[i]);
	cr_assert_geq(fell_back, 0, "no lookup line with -v");
	for (size_t i = 0; i < r.trace.n; i++) {
		const char *l = r.trace.v[i];
		char start[32], end[32];
		const json_t *v;
		json_t *j;

		if (!h_is_event(l, "mmap", r.pid) || arg(l, "ret") < 0)
			continue;
		j = h_json(l);
		v = json_object_get(j, "vma");
		cr_assert(v, "mmap without its VMA: %s", l);
		cr_assert(h_jstr(v, "start", start, sizeof(start)) &&
			  h_jstr(v, "end", end, sizeof(end)));
		json_decref(j);
		cr_assert(strtoull(start, NULL, 0) <= (unsigned long long)arg(l, "ret") &&
				  (unsigned long long)arg(l, "ret") < strtoull(end, NULL, 0),
			  "VMA %s-%s lacks %s", start, end, l);
		mmaps++;
	}
	cr_assert_geq(mmaps, 3000);
	cr_expect_lt(fell_back, mmaps / 100, "%lld of %lld lookups fell back to the locked way",
		     fell_back, mmaps);
	free_run(&r);
}

Test(trace, brk_grow_shrink_every_change)
{
	struct run r;
	long long brks[64];
	size_t nb = 0, start = 0;
	bool found = false;

	run_traced(&r, "", h_path("workloads/brk_cycle"));
	cr_assert_eq(r.rc, 0);
	for (size_t i = 0; i < r.trace.n; i++)
		if (h_is_event(r.trace.v[i], "brk", r.pid) && nb < 64)
			brks[nb++] = arg(r.trace.v[i], "ret");
	/* The workload's sequence of breaks must appear, contiguous, among the brk calls. */
	for (start = 0; start < nb && !found; start++) {
		size_t k = 0;

		for (size_t j = 0; j < r.out.n; j++) {
			long long v;

			if (strncmp(r.out.v[j], "brk ", 4))
				continue;
			v = strtoll(r.out.v[j] + 4, NULL, 0);
			if (start + k >= nb || brks[start + k] != v)
				break;
			k++;
			if (k == 11)
				found = true;
		}
	}
	cr_assert(found, "the 11 brk results of the workload are not in the trace");
	/* heap_delta of each brk is the difference with the previous break. */
	for (size_t i = 0, prev_set = 0; i < r.trace.n; i++) {
		static long long prev;
		const char *l = r.trace.v[i];

		if (!h_is_event(l, "brk", r.pid))
			continue;
		if (prev_set)
			cr_assert_eq(arg(l, "heap_delta"), arg(l, "ret") - prev);
		prev = arg(l, "ret");
		prev_set = 1;
	}
	check_checkpoints(&r);
	free_run(&r);
}

Test(trace, threads_every_thread_seen)
{
	struct run r;
	int threads = 0;

	run_traced(&r, "", h_path("workloads/threads 4 300"));
	cr_assert_eq(r.rc, 0);
	for (size_t j = 0; j < r.out.n; j++) {
		long long tid, len, maps = 0, unmaps = 0;

		if (!h_kv(r.out.v[j], "tid", &tid) || !h_kv(r.out.v[j], "len", &len))
			continue;
		threads++;
		cr_assert_neq(tid, r.pid, "worker threads have their own tid");
		for (size_t i = 0; i < r.trace.n; i++) {
			const char *l = r.trace.v[i];
			long long t;

			if (!h_json_num(l, "tid", &t) || t != tid)
				continue;
			if (h_is_event(l, "mmap", r.pid) && arg(l, "len") == len)
				maps++;
			if (h_is_event(l, "munmap", r.pid) && arg(l, "len") == len)
				unmaps++;
		}
		cr_expect_eq(maps, 300, "tid %lld: %lld mmaps traced", tid, maps);
		cr_expect_eq(unmaps, 300, "tid %lld: %lld munmaps traced", tid, unmaps);
	}
	cr_assert_eq(threads, 4);
	free_run(&r);
}

static size_t count_marks(const struct run *r, long long pid, long long pages)
{
	size_t n = 0;

	for (size_t i = 0; i < r->trace.n; i++)
		if (h_is_event(r->trace.v[i], "mmap", pid) &&
		    arg(r->trace.v[i], "len") == pages * 4096)
			n++;
	return n;
}

static long long child_pid(const struct run *r)
{
	long long child = 0;

	for (size_t j = 0; j < r->out.n; j++)
		h_kv(r->out.v[j], "child", &child);
	cr_assert_gt(child, 0);
	return child;
}

Test(trace, fork_exec_followed_with_f)
{
	struct run r;
	long long child;
	bool fork_seen = false, exec_seen = false;

	run_traced(&r, "-f", h_path("workloads/fork_exec"));
	cr_assert_eq(r.rc, 0);
	child = child_pid(&r);
	for (size_t i = 0; i < r.trace.n; i++) {
		const char *l = r.trace.v[i];
		long long c;

		if (h_is_event(l, "fork", r.pid) && h_json_num(l, "child_pid", &c) && c == child) {
			fork_seen = true;
			json_t *j = h_json(l);

			cr_assert(json_is_true(json_object_get(j, "followed")), "%s", l);
			json_decref(j);
		}
		if (h_is_event(l, "exec", child))
			exec_seen = true;
	}
	cr_assert(fork_seen && exec_seen);
	cr_assert_eq(count_marks(&r, r.pid, 11), 1);
	cr_assert_eq(count_marks(&r, child, 13), 1, "child's call before exec");
	cr_assert_eq(count_marks(&r, child, 17), 1, "child's call after exec");
	free_run(&r);
}

Test(trace, fork_not_followed_without_f)
{
	struct run r;
	long long child;

	run_traced(&r, "", h_path("workloads/fork_exec"));
	cr_assert_eq(r.rc, 0);
	child = child_pid(&r);
	cr_assert_eq(count_marks(&r, r.pid, 11), 1);
	cr_assert_eq(count_marks(&r, child, 13), 0);
	cr_assert_eq(count_marks(&r, child, 17), 0);
	free_run(&r);
}

Test(trace, attach_by_pid_and_exit_with_it)
{
	const char *t = h_tmpfile("trace.json"), *fifo = h_tmpfile("go"), *err = h_tmpfile("err");
	struct lines tr;
	long long pid = 0, mmaps = 0;
	FILE *p;
	char cmd[1024];

	cr_assert_eq(h_sh("mkfifo %s", fifo), 0);
	/* A shell that waits for us, then becomes the workload (same pid). */
	snprintf(cmd, sizeof(cmd), "sh -c 'echo $$; read x < %s; exec %s 200 >/dev/null' &", fifo,
		 h_path("workloads/mmap_loop"));
	p = popen(cmd, "r");
	cr_assert(p && fscanf(p, "%lld", &pid) == 1 && pid > 0);
	pclose(p);
	/*
	 * Go once vmatrace says it attached (loading takes seconds under QEMU's TCG), and
	 * vmatrace must exit by itself when the process does: timeout fails the test.
	 */
	cr_assert_eq(h_sh("(for i in $(seq 300); do grep -q 'process %lld attached' %s && break; "
			  "sleep 0.1; done; echo go > %s) & "
			  "timeout 60 %s trace --json -p %lld -o %s 2> %s",
			  pid, err, fifo, h_path("vmatrace"), pid, t, err),
		     0);
	cr_assert_eq(h_read_lines(t, &tr), 0);
	for (size_t i = 0; i < tr.n; i++)
		if (h_is_event(tr.v[i], "mmap", pid) && arg(tr.v[i], "len") == 20480)
			mmaps++;
	cr_assert_eq(mmaps, 200);
	h_free_lines(&tr);
}

Test(trace, nonexistent_pid_is_a_clear_error)
{
	const char *e = h_tmpfile("err");
	struct lines l;

	cr_assert_eq(h_sh("%s trace -p 999999999 2>%s", h_path("vmatrace"), e), 2);
	cr_assert_eq(h_read_lines(e, &l), 0);
	cr_assert(l.n > 0 && strstr(l.v[0], "no process with pid 999999999"));
	h_free_lines(&l);
	cr_assert_eq(h_sh("%s trace -p abc 2>/dev/null", h_path("vmatrace")), 2);
	cr_assert_eq(h_sh("%s trace -- /nonexistent/cmd 2>%s", h_path("vmatrace"), e), 2);
	cr_assert_eq(h_read_lines(e, &l), 0);
	cr_assert(l.n > 0 && strstr(l.v[0], "cannot run '/nonexistent/cmd'"));
	h_free_lines(&l);
}

Test(trace, duration_stops_system_wide_trace)
{
	cr_assert_eq(h_sh("timeout 20 %s trace -a --duration 1 -o /dev/null 2>/dev/null",
			  h_path("vmatrace")),
		     0);
}

Test(trace, text_output_like_strace)
{
	const char *o = h_tmpfile("trace.txt");
	struct lines l;
	bool enomem = false;

	cr_assert_eq(h_sh("%s trace -e -o %s -- %s >/dev/null 2>&1", h_path("vmatrace"), o,
			  h_path("workloads/vma_explode")),
		     0);
	cr_assert_eq(h_read_lines(o, &l), 0);
	for (size_t i = 0; i < l.n; i++)
		if (strstr(l.v[i], "] munmap(0x") &&
		    strstr(l.v[i],
			   ", 4096) = -1 ENOMEM (Cannot allocate memory)  vmas=65530/65530"))
			enomem = true;
	cr_assert(enomem, "no strace-like ENOMEM line");
	h_free_lines(&l);
}

/* tracefs unmounted: vmatrace mounts it and says so; the test puts things back as they were. */
static bool tracefs_was_mounted;

static void tracefs_restore(void)
{
	bool now = access("/sys/kernel/tracing/events", F_OK) == 0;

	if (tracefs_was_mounted && !now)
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	else if (!tracefs_was_mounted && now)
		umount("/sys/kernel/tracing");
	h_cleanup();
}

Test(trace, mounts_tracefs_when_missing, .fini = tracefs_restore)
{
	const char *e = h_tmpfile("err");
	struct lines l;
	bool said = false;

	tracefs_was_mounted = access("/sys/kernel/tracing/events", F_OK) == 0;
	if (tracefs_was_mounted && umount("/sys/kernel/tracing"))
		cr_skip_test("tracefs is busy, cannot unmount it to test the mount");
	cr_assert_eq(h_sh("%s trace -o /dev/null -- /bin/true 2>%s", h_path("vmatrace"), e), 0);
	cr_assert_eq(h_read_lines(e, &l), 0);
	for (size_t i = 0; i < l.n; i++)
		said |= strstr(l.v[i],
			       "tracefs was not mounted: mounted it at /sys/kernel/tracing") !=
			NULL;
	cr_assert(said, "no log line about mounting tracefs");
	h_free_lines(&l);
}

/* Scenario 2: an OOM kill inside a memcg v1 child with a 64 MiB limit, removed afterwards. */
static char memcg[128];

static void memcg_cleanup(void)
{
	if (memcg[0]) {
		/* The victim is gone by now; retry briefly while the kernel finishes with it. */
		for (int i = 0; i < 50 && rmdir(memcg); i++)
			usleep(100000);
		memcg[0] = 0;
	}
	h_cleanup();
}

Test(trace, scenario2_oom_kill_recorded, .fini = memcg_cleanup)
{
	struct run r;
	bool oom = false, killed = false;

	if (access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK))
		cr_skip_test("no memcg v1 hierarchy at /sys/fs/cgroup/memory");
	snprintf(memcg, sizeof(memcg), "/sys/fs/cgroup/memory/vmatrace-test-%d", (int)getpid());
	cr_assert_eq(mkdir(memcg, 0755), 0, "mkdir %s", memcg);
	cr_assert_eq(h_sh("echo 64M > %s/memory.limit_in_bytes", memcg), 0);
	{
		char workload[512];

		/* The shell moves itself into the cgroup, then becomes the hog (same pid). */
		snprintf(workload, sizeof(workload), "sh -c 'echo $$ > %s/cgroup.procs && exec %s'",
			 memcg, h_path("workloads/oom_hog"));
		run_traced(&r, "", workload);
	}
	for (size_t i = 0; i < r.trace.n; i++) {
		const char *l = r.trace.v[i];
		char comm[32], sig[16];

		if (h_is_event(l, "oom_kill", 0) && arg(l, "victim_pid") == r.pid) {
			oom = true;
			cr_assert(h_json_str(l, "victim_comm", comm, sizeof(comm)));
			cr_assert_str_eq(comm, "oom_hog");
			cr_assert_gt(arg(l, "anon_rss_kb"), 32 * 1024, "%s", l);
			cr_assert_gt(arg(l, "total_vm_kb"), 32 * 1024);
			cr_assert(h_json_has(l, "oom_score_adj"), "%s", l);
			cr_assert_eq(arg(l, "uid"), 0, "%s", l);
		}
		if (h_is_event(l, "exit", r.pid) && h_json_str(l, "signal", sig, sizeof(sig)))
			killed = !strcmp(sig, "KILL");
	}
	cr_assert(oom, "no oom_kill record for the victim");
	cr_assert(killed, "the victim's exit is not a SIGKILL");
	free_run(&r);
}

/*
 * Scenario 3: arenas' PROT_NONE reservations (128 MiB trimmed to 64, or 64 at an aligned hint),
 * thread stacks, and the 2 MiB map + unmap.
 */
Test(trace, scenario3_arena_reservations_and_stacks_from_threads)
{
	struct run r;
	int reservations = 0, stacks = 0;
	long long tmp_addr = 0;
	bool unmapped = false;

	run_traced(&r, "", h_path("workloads/arenas"));
	cr_assert_eq(r.rc, 0);
	for (size_t i = 0; i < r.trace.n; i++) {
		const char *l = r.trace.v[i];
		char prot[64], flags[128];
		long long tid;

		if (h_is_event(l, "mmap", r.pid) && h_json_str(l, "prot", prot, sizeof(prot)) &&
		    h_json_str(l, "flags", flags, sizeof(flags))) {
			h_json_num(l, "tid", &tid);
			if (!strcmp(prot, "PROT_NONE") && strstr(flags, "MAP_NORESERVE") &&
			    arg(l, "len") >= 64 << 20 && tid != r.pid)
				reservations++;
			if (strstr(flags, "MAP_STACK"))
				stacks++;
			if (arg(l, "len") == 2 << 20)
				tmp_addr = arg(l, "ret");
		}
		if (tmp_addr && h_is_event(l, "munmap", r.pid) && arg(l, "addr") == tmp_addr)
			unmapped = true;
	}
	cr_assert_geq(reservations, 3, "arena reservations from worker threads: %d", reservations);
	cr_assert_geq(stacks, 3);
	cr_assert(unmapped, "the 2 MiB mapping and its munmap");
	free_run(&r);
}

/* -k: stacks like strace -k; the first frame is the C library's mmap wrapper. */
Test(trace, stack_frames_symbolized)
{
	const char *o = h_tmpfile("trace.txt"), *fifo = h_tmpfile("hold");
	struct lines l;
	bool framed = false;

	cr_assert_eq(h_sh("mkfifo %s", fifo), 0);
	/*
	 * The workload waits on the fifo (EOF when the writer closes it) so that it is
	 * alive while its stacks are resolved: long enough for vmatrace to load first.
	 */
	cr_assert_eq(h_sh("(exec 7>%s; sleep 3) & %s trace -k -o %s -- %s wait < %s "
			  ">/dev/null 2>&1",
			  fifo, h_path("vmatrace"), o, h_path("workloads/arenas"), fifo),
		     0);
	cr_assert_eq(h_read_lines(o, &l), 0);
	for (size_t i = 0; i + 1 < l.n; i++)
		if (strstr(l.v[i], "mmap(NULL, 134217728, PROT_NONE") &&
		    !strncmp(l.v[i + 1], " > /", 4) && strstr(l.v[i + 1], "libc.so.6(") &&
		    strstr(l.v[i + 1], "mmap"))
			framed = true;
	cr_assert(framed, "no symbolized frame under the arena reservation");
	h_free_lines(&l);
}

/*
 * Inside a PID namespace (a container, `unshare -p`), getpid() is not the tgid that the
 * kernel's records carry: vmatrace must still never trace itself, and -p takes the
 * namespace's pids.
 */
Test(trace, in_a_pid_namespace_never_itself_and_p_takes_its_pids)
{
	const char *all = h_tmpfile("ns-all.txt"), *one = h_tmpfile("ns-one.txt");
	const char *err = h_tmpfile("ns.err");
	struct lines l;
	int self = 0, calls = 0, host = 0;
	char own[64];

	cr_assert_eq(h_sh("unshare -pf --mount-proc %s trace -a -d 3 > %s 2> %s",
			  h_path("vmatrace"), all, err),
		     0);
	cr_assert_eq(h_read_lines(err, &l), 0);
	for (size_t i = 0; i < l.n && !host; i++) {
		const char *m = strstr(l.v[i], "running in a PID namespace");

		if (m && (m = strstr(m, " here, ")))
			host = atoi(m + 7);
	}
	h_free_lines(&l);
	cr_assert_gt(host, 1, "it says which pids it shows, and its own on the host");
	/* Its own calls, not other vmatrace processes that run on the host meanwhile. */
	snprintf(own, sizeof(own), " vmatrace[%d/", host);
	cr_assert_eq(h_read_lines(all, &l), 0);
	for (size_t i = 0; i < l.n; i++)
		self += strstr(l.v[i], own) != NULL;
	cr_assert_eq(self, 0, "%d calls of vmatrace itself in its own trace", self);
	h_free_lines(&l);
	/* The workload is pid 2 in the namespace, a larger one on the host; it starts once
	 * vmatrace says it attached (loading takes seconds under QEMU's TCG). */
	cr_assert_eq(
		h_sh("unshare -pf --mount-proc sh -c 'sh -c \"until grep -q attached %s; do sleep 0.1; "
		     "done; exec %s >/dev/null\" & %s trace -p $! > %s 2>> %s'",
		     err, h_path("workloads/deb_two_sites"), h_path("vmatrace"), one, err),
		0);
	cr_assert_eq(h_read_lines(one, &l), 0);
	for (size_t i = 0; i < l.n; i++)
		calls += strstr(l.v[i], "deb_two_sites[") && strstr(l.v[i], "] mprotect(");
	cr_assert_geq(calls, 300, "%d mprotects of the workload traced by its namespace pid",
		      calls);
	h_free_lines(&l);
}
