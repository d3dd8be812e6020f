// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Root integration tests of the live model: the daemon traces everything and
 * its view of a process (vmatrace snapshot) must equal /proc/PID/maps exactly
 * whenever the process is stopped; and the two ways of seeding it, the BPF
 * iterator and its /proc fallback, give the same records.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "model.h"
#include "procfs.h"
#include "tracer.h"

static struct h_daemon daemon_;

static void suite_fini(void)
{
	h_daemon_stop(&daemon_);
	h_cleanup();
}

TestSuite(model, .init = h_require_root, .fini = suite_fini, .timeout = H_TIMEOUT(300));

/* Ask the daemon; the answer's first line into buf. */
static bool query(char *buf, size_t len, const char *fmt, ...)
{
	const char *out = h_tmpfile("query.txt");
	char args[512];
	va_list ap;
	FILE *f;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (h_sh("%s %s --socket %s > %s", h_path("vmatrace"), args, daemon_.socket, out))
		return false;
	f = fopen(out, "r");
	ok = f && fgets(buf, len, f);
	if (f)
		fclose(f);
	return ok;
}

/* In a census JSON line: the field `field` of kind `kind`. */
static long long census_kind(const char *line, const char *kind, const char *field)
{
	json_t *j = h_json(line);
	const json_t *k = h_json_find(j, kind);
	long long v = -1;

	cr_assert(json_is_object(k), "no kind %s in %s", kind, line);
	cr_assert(h_jnum(k, field, &v));
	json_decref(j);
	return v;
}

static long long resyncs(void)
{
	char line[8192];
	long long v = -1;

	cr_assert(query(line, sizeof(line), "status --json"));
	cr_assert(h_json_num(line, "resyncs", &v));
	return v;
}

struct torture_ctx {
	int stops, mismatches;
};

static void torture_stop(void *ctx, int pid, int k)
{
	struct torture_ctx *t = ctx;

	(void)k;
	t->stops++;
	if (!h_snapshot_matches(&daemon_, pid))
		t->mismatches++;
}

Test(model, accuracy_torture)
{
	char *argv[] = { (char *)h_path("workloads/torture"), "42", "12000", "200", NULL };
	struct torture_ctx t = { 0 };
	long long before, after;
	int rc;

	h_daemon_start(&daemon_, "--ringbuf-size 64M");
	before = resyncs();
	rc = h_run_stopping(argv, false, torture_stop, &t);
	after = resyncs();
	fprintf(stderr,
		"accuracy: 12000 random operations, %d comparison points, %d mismatches, "
		"%lld resyncs\n",
		t.stops, t.mismatches, after - before);
	cr_log_info("resyncs during the torture run: %lld", after - before);
	cr_assert_eq(rc, 0, "torture exited with %d", rc);
	cr_assert_eq(t.stops, 60);
	cr_assert_eq(t.mismatches, 0, "%d of %d snapshots differ from /proc", t.mismatches,
		     t.stops);
}

struct explode_ctx {
	int stops;
	bool matched;
	long long vmas[4];
};

static void explode_stop(void *ctx, int pid, int k)
{
	struct explode_ctx *e = ctx;
	char line[65536];

	e->stops++;
	e->matched = h_snapshot_matches(&daemon_, pid) && (k == 0 || e->matched);
	cr_assert(query(line, sizeof(line), "snapshot -p %d --census --json", pid));
	if (k < 4)
		h_json_num(line, "vmas", &e->vmas[k]);
}

Test(model, scenario1_vma_count_follows_kernel_to_the_limit)
{
	char *argv[] = { (char *)h_path("workloads/vma_explode"), NULL };
	struct explode_ctx e = { 0 };

	h_daemon_start(&daemon_, "--ringbuf-size 64M");
	cr_assert_eq(h_run_stopping(argv, true, explode_stop, &e), 0);
	cr_assert_eq(e.stops, 2);
	cr_assert(e.matched, "a snapshot differs from /proc");
	cr_assert_eq(e.vmas[1], 65530, "model count at the end: %lld", e.vmas[1]);
}

struct census_ctx {
	char lines[4][65536];
	int stops;
	bool matched;
};

static void census_stop(void *ctx, int pid, int k)
{
	struct census_ctx *c = ctx;

	c->matched = h_snapshot_matches(&daemon_, pid) && (k == 0 || c->matched);
	if (k < 4)
		cr_assert(query(c->lines[k], sizeof(c->lines[k]), "snapshot -p %d --census --json",
				pid));
	c->stops++;
}

Test(model, scenario1_malloc_129k_grows_heap_not_vmas)
{
	char *argv[] = { (char *)h_path("workloads/malloc_129k"), "4000", NULL };
	static struct census_ctx c;
	long long vmas = 0;

	h_daemon_start(&daemon_, NULL);
	cr_assert_eq(h_run_stopping(argv, true, census_stop, &c), 0);
	cr_assert_eq(c.stops, 2);
	cr_assert(c.matched);
	cr_assert(h_json_num(c.lines[0], "vmas", &vmas));
	cr_assert_lt(vmas, 100, "%lld VMAs for 4000 blocks of 129 KiB", vmas);
	/* Past M_MMAP_MAX (1000 here) mmapped blocks, the other 3000 come from the brk heap. */
	cr_assert_geq(census_kind(c.lines[0], "heap", "bytes"), 3000LL * 129 * 1024);
}

Test(model, scenario3_arenas_and_thread_stacks_classified)
{
	char *argv[] = { (char *)h_path("workloads/arenas"), NULL };
	static struct census_ctx c;

	h_daemon_start(&daemon_, NULL);
	cr_assert_eq(h_run_stopping(argv, true, census_stop, &c), 0);
	cr_assert_eq(c.stops, 1);
	cr_assert(c.matched);
	/* Three threads: three 8 MiB stacks (with guards), each with a 64 MiB arena reservation. */
	cr_assert_geq(census_kind(c.lines[0], "thread_stack", "count"), 3, "%s", c.lines[0]);
	cr_assert_geq(census_kind(c.lines[0], "guard", "count"), 3, "%s", c.lines[0]);
	cr_assert_geq(census_kind(c.lines[0], "reserved", "count"), 3, "%s", c.lines[0]);
	cr_assert_geq(census_kind(c.lines[0], "reserved", "bytes"), 3LL * 60 * 1024 * 1024);
}

Test(model, scenario4_brk_high_water_stays_while_memory_is_freed)
{
	char *argv[] = { (char *)h_path("workloads/brk_frag"), NULL };
	static struct census_ctx c;
	long long heap[3], hwm[3];

	h_daemon_start(&daemon_, NULL);
	cr_assert_eq(h_run_stopping(argv, true, census_stop, &c), 0);
	cr_assert_eq(c.stops, 3);
	cr_assert(c.matched);
	for (int i = 0; i < 3; i++) {
		heap[i] = census_kind(c.lines[i], "heap", "bytes");
		cr_assert(h_json_num(c.lines[i], "heap_hwm", &hwm[i]), "%s", c.lines[i]);
	}
	cr_assert_geq(heap[0], 4096LL * 4000, "the heap grew by brk");
	cr_assert_eq(heap[1], heap[0], "freeing all but the top chunk returned nothing");
	cr_assert_eq(hwm[1], hwm[0]);
	cr_assert_lt(heap[2], heap[1], "freeing the top chunk trimmed the heap");
	cr_assert_eq(hwm[2], hwm[0], "the high-water mark stays");
}

Test(model, seeded_process_matches_proc)
{
	const char *fifo = h_tmpfile("hold");
	char cmd[512];
	FILE *p;
	int pid = 0, wfd;

	cr_assert_eq(h_sh("mkfifo %s", fifo), 0);
	/* Started before the daemon: its model comes from the VMA iterator. It waits on
	 * the fifo until we close our end. */
	snprintf(cmd, sizeof(cmd), "%s wait < %s > /dev/null & echo $!", h_path("workloads/arenas"),
		 fifo);
	p = popen(cmd, "r");
	cr_assert(p && fscanf(p, "%d", &pid) == 1);
	pclose(p);
	wfd = open(fifo, O_WRONLY);
	cr_assert_geq(wfd, 0);
	usleep(500000);
	h_daemon_start(&daemon_, NULL);
	cr_assert(h_snapshot_matches(&daemon_, pid));
	close(wfd);
	waitpid(pid, NULL, 0);
}

Test(model, timeline_and_status)
{
	char *argv[] = { (char *)h_path("workloads/brk_frag"), NULL };
	static struct census_ctx c;
	char line[8192];
	long long drops;

	h_daemon_start(&daemon_, "--timeline-resolution 10ms");
	cr_assert_eq(h_run_stopping(argv, true, census_stop, &c), 0);
	cr_assert(query(line, sizeof(line), "status --json"));
	cr_assert(h_json_has(line, "processes"), "%s", line);
	cr_assert(h_json_num(line, "drops", &drops) && drops == 0, "%s", line);
	/* One thread: no writer of another to lose a lookup to. */
	cr_assert(h_json_num(line, "vma_lookups_lost", &drops) && drops == 0, "%s", line);
	cr_assert(h_json_has(line, "vma_walk_misses"), "%s", line);
	cr_assert_neq(h_sh("%s timeline -p 999999999 --socket %s 2>/dev/null", h_path("vmatrace"),
			   daemon_.socket),
		      0, "an unknown pid is an error");
}

struct recs {
	struct vmt_iter_rec v[512];
	size_t n;
};

static int collect(void *ctx, const struct vmt_iter_rec *r)
{
	struct recs *rs = ctx;

	cr_assert_lt(rs->n, sizeof(rs->v) / sizeof(rs->v[0]));
	rs->v[rs->n++] = *r;
	return 0;
}

static int no_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

/* A process with a bit of everything, stopped while both read it. */
static pid_t spawn_mapper(void)
{
	int ready[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		char *a = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		int fd = open("/etc/passwd", O_RDONLY);

		if (a == MAP_FAILED || fd < 0)
			_exit(1);
		mprotect(a + 4 * 4096, 4096, PROT_READ);       /* a split */
		mprotect(a + 8 * 4096, 4096, PROT_NONE);       /* a guard */
		madvise(a + 12 * 4096, 4096, MADV_NOHUGEPAGE); /* a flag the model reads */
		mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
		mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (sbrk(3 * 4096 + 100) == (void *)-1)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	kill(pid, SIGSTOP);
	return pid;
}

Test(model, proc_fallback_gives_the_iterators_records)
{
	const uint64_t model_bits = VMT_VM_READ | VMT_VM_WRITE | VMT_VM_EXEC | VMT_VM_MAYSHARE |
				    VMT_VM_GROWSDOWN | VMT_VM_PFNMAP | VMT_VM_IO |
				    VMT_VM_DONTEXPAND | VMT_VM_MIXEDMAP | VMT_VM_NOHUGEPAGE;
	struct tracer_opts topts = { .on_record = no_record };
	static struct recs bpf, proc;
	struct tracer *t;
	pid_t pid = spawn_mapper();
	int n;

	t = tracer_new(&topts);
	cr_assert(t, "cannot load the BPF programs");
	n = tracer_seed(t, pid, collect, &bpf);
	cr_assert_eq(procfs_seed(pid, collect, &proc), 0);
	tracer_free(t);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	cr_assert_eq(n, 1, "the iterator read %d processes", n);
	cr_assert_eq(proc.n, bpf.n, "/proc gave %zu records, the iterator %zu", proc.n, bpf.n);
	/* The PROC record; mm->brk is in no /proc file: the [heap] VMA's end is its page. */
	cr_assert_eq(proc.v[0].kind, VMT_ITER_PROC);
	cr_assert_eq(bpf.v[0].kind, VMT_ITER_PROC);
	cr_assert_eq(proc.v[0].tgid, bpf.v[0].tgid);
	cr_assert_eq(proc.v[0].map_count, bpf.v[0].map_count);
	cr_assert_eq(proc.v[0].start_brk, bpf.v[0].start_brk);
	cr_assert_eq(proc.v[0].brk, (bpf.v[0].brk + 4095) & ~4095ull, "brk %#llx, kernel %#llx",
		     (unsigned long long)proc.v[0].brk, (unsigned long long)bpf.v[0].brk);
	cr_assert_str_eq(proc.v[0].comm, bpf.v[0].comm);
	if (proc.v[0].memcg_id)
		cr_assert_eq(proc.v[0].memcg_id, bpf.v[0].memcg_id);
	for (size_t i = 1; i < bpf.n; i++) {
		const struct vmt_vma *a = &proc.v[i].vma, *b = &bpf.v[i].vma;

		cr_assert_eq(proc.v[i].kind, VMT_ITER_VMA);
		cr_assert_eq(bpf.v[i].kind, VMT_ITER_VMA);
		cr_assert_eq(proc.v[i].tgid, bpf.v[i].tgid);
		cr_assert(a->start == b->start && a->end == b->end && a->valid == b->valid,
			  "VMA %zu: /proc %#llx-%#llx, iterator %#llx-%#llx", i,
			  (unsigned long long)a->start, (unsigned long long)a->end,
			  (unsigned long long)b->start, (unsigned long long)b->end);
		cr_assert_eq(a->vm_flags, b->vm_flags & model_bits,
			     "VMA %#llx: vm_flags %#llx, iterator %#llx",
			     (unsigned long long)a->start, (unsigned long long)a->vm_flags,
			     (unsigned long long)(b->vm_flags & model_bits));
		cr_assert_eq(a->ino, b->ino);
		cr_assert_eq(a->dev, b->dev, "VMA %#llx: dev %#x, iterator %#x",
			     (unsigned long long)a->start, a->dev, b->dev);
		/* maps shows no offset for anonymous VMAs (the kernel's is their start page). */
		if (b->ino)
			cr_assert_eq(a->pgoff, b->pgoff);
	}
}
