// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <pthread.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "decode.h"
#include "kfeatures.h"
#include "log.h"
#include "sysinfo.h"
#include "tracer.h"
#include "vmatrace_bpf.skel.h"

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

struct tracer {
	struct tracer_opts opts;
	struct vmatrace_bpf *skel;
	/* Our own view of the ring buffer (see tracer_consume). */
	unsigned long *consumer_pos; /* shared page, read-write */
	unsigned long *producer_pos; /* shared page, read-only, followed by the data twice */
	unsigned char *data;
	size_t data_size, mapped_size;
	size_t chase_bytes; /* read on past the snapshot only when this far behind */
	int rb_fd;
	struct kfeatures kf;	   /* what this kernel offers (probed in tracer_new) */
	struct vmt_pid_pair *pids; /* (kernel, our namespace's) tgids, for /proc in a PID ns */
	size_t npids, cap_pids;
	uint64_t pids_ns;  /* when pids was last filled (CLOCK_MONOTONIC) */
	bool proc_pid_map; /* sys_proc_pid() translates through pids */
	int ncpus;
	pid_t self_host, self_ns; /* our tgid in the kernel's terms and in our PID namespace */
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level lvl = level == LIBBPF_WARN ? LOG_LVL_WARN : LOG_LVL_DEBUG;

	/* libbpf warns on every failed probe; only -v shows its chatter. */
	if (!log_enabled(LOG_LVL_DEBUG))
		return 0;
	log_vmsg(lvl, fmt, ap);
	return 0;
}

int tracer_check_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	bool has_bpf, has_perfmon, has_admin;

	if (syscall(SYS_capget, &hdr, data)) {
		log_err("cannot read capabilities: %s", strerror(errno));
		return -errno;
	}
#define HAS(cap) (!!(data[(cap) / 32].effective & (1u << ((cap) % 32))))
	has_admin = HAS(CAP_SYS_ADMIN);
	has_bpf = HAS(CAP_BPF);
	has_perfmon = HAS(CAP_PERFMON);
#undef HAS
	if (has_admin || (has_bpf && has_perfmon))
		return 0;
	log_err("vmatrace needs root, or CAP_BPF and CAP_PERFMON (missing:%s%s): "
		"run it with sudo, or grant the capabilities to the binary with setcap",
		has_bpf ? "" : " CAP_BPF", has_perfmon ? "" : " CAP_PERFMON");
	return -EPERM;
}

static bool path_exists(const char *p)
{
	return access(p, F_OK) == 0;
}

int tracer_ensure_tracefs(void)
{
	/* libbpf resolves tracepoint ids through debugfs when that directory exists. */
	if (path_exists(TRACEFS "/events/syscalls") ||
	    path_exists(DEBUGFS_TRACING "/events/syscalls"))
		return 0;
	if (!path_exists(TRACEFS "/events")) {
		if (mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
			log_err("tracefs is not mounted and mounting it at " TRACEFS " failed: %s "
				"(mount it yourself: mount -t tracefs tracefs " TRACEFS ")",
				strerror(errno));
			return -errno;
		}
		log_info("tracefs was not mounted: mounted it at " TRACEFS);
	}
	if (!path_exists(TRACEFS "/events/syscalls")) {
		log_err("this kernel has no syscall tracepoints (" TRACEFS "/events/syscalls is "
			"missing: CONFIG_FTRACE_SYSCALLS is off); vmatrace cannot trace here");
		return -ENOENT;
	}
	return 0;
}

static const char *const tracing_roots[] = { TRACEFS, DEBUGFS_TRACING, NULL };

/* The BPF program of each traced syscall and its tracepoint, from vmt_syscalls.h. */
static const struct syscall_prog {
	unsigned int sys;
	const char *prog;
	const char *tracepoint; /* in category syscalls */
} syscall_progs[] = {
#define SYSCALL_PROG_ROW(id, num, name, ...) { VMT_SYS_##id, "exit_" #name, "sys_exit_" #name },
	VMT_SYSCALLS(SYSCALL_PROG_ROW)
#undef SYSCALL_PROG_ROW
};

/* Leave out the programs of tracepoints this kernel lacks, or refuse if one is required. */
static int disable_missing(struct tracer *t, struct btf *vmlinux)
{
	struct bpf_program *prog;

	for (size_t i = 0; i < sizeof(syscall_progs) / sizeof(syscall_progs[0]); i++) {
		const struct syscall_prog *sp = &syscall_progs[i];

		if (!(t->kf.missing_syscalls & (1ul << sp->sys)))
			continue;
		if (decode_sys_required(sp->sys)) {
			log_err("this kernel has no tracepoint syscalls/%s: vmatrace cannot "
				"trace VMAs without it",
				sp->tracepoint);
			return -ENOENT;
		}
		log_warn("this kernel has no tracepoint syscalls/%s: %s calls are not traced",
			 sp->tracepoint, decode_sys_name(sp->sys));
		prog = bpf_object__find_program_by_name(t->skel->obj, sp->prog);
		if (!prog) {
			log_err("BPF program %s is not in the object (rebuild vmatrace)", sp->prog);
			return -ENOENT;
		}
		bpf_program__set_autoload(prog, false);
	}
	bpf_object__for_each_program(prog, t->skel->obj)
	{
		const char *sec = bpf_program__section_name(prog);
		const char *name;

		if (!strcmp(sec, "tracepoint/oom/mark_victim")) {
			if (t->kf.has[KF_OOM_TRACEPOINT])
				continue;
			log_warn("this kernel has no tracepoint oom/mark_victim: OOM kills are not "
				 "recorded");
			bpf_program__set_autoload(prog, false);
		} else if (!strncmp(sec, "tp_btf/", 7)) {
			char tname[128];

			name = sec + 7;
			snprintf(tname, sizeof(tname), "btf_trace_%s", name);
			if (btf__find_by_name_kind(vmlinux, tname, BTF_KIND_TYPEDEF) > 0)
				continue;
			log_err("this kernel has no BTF tracepoint %s: process lifecycle cannot be "
				"followed",
				name);
			return -ENOENT;
		}
	}
	return 0;
}

static size_t round_pow2(size_t v)
{
	size_t p = (size_t)sysconf(_SC_PAGESIZE);

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * The ring buffer, read directly rather than through libbpf's ring_buffer:
 * libbpf publishes the consumer position after every record, and the BPF
 * producer on another CPU reads that position on every reserve, so each
 * record cost it a cache-line transfer while we were consuming. Here the
 * position is published once per batch (and often enough to free space).
 * Layout (kernel/bpf/ringbuf.c): a page with consumer_pos, a page with
 * producer_pos, then the data pages mapped twice so records never wrap.
 */
#define RB_BUSY (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR 8
#define RB_PUBLISH_EVERY 256

static int ringbuf_map(struct tracer *t, size_t size)
{
	size_t page = sysconf(_SC_PAGESIZE);
	void *p;

	t->rb_fd = bpf_map__fd(t->skel->maps.events);
	t->data_size = size;
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, t->rb_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	t->consumer_pos = p;
	t->mapped_size = page + 2 * size;
	p = mmap(NULL, t->mapped_size, PROT_READ, MAP_SHARED, t->rb_fd, page);
	if (p == MAP_FAILED) {
		munmap(t->consumer_pos, page);
		t->consumer_pos = NULL;
		return -errno;
	}
	t->producer_pos = p;
	t->data = (unsigned char *)p + page;
	return 0;
}

static int ringbuf_consume(struct tracer *t)
{
	unsigned long cons = __atomic_load_n(t->consumer_pos, __ATOMIC_ACQUIRE);
	unsigned long mask = t->data_size - 1;
	int n = 0, since_publish = 0;

	/*
	 * Up to where the producer was when we looked, then again only while we
	 * are far behind: chasing a producer that is still writing reads each
	 * cache line just after the other CPU wrote it, and re-reads producer_pos,
	 * which that CPU writes on every reserve. A small remainder waits for the
	 * next tick or wakeup; a flood is read without a pause.
	 */
	for (;;) {
		unsigned long prod = __atomic_load_n(t->producer_pos, __ATOMIC_ACQUIRE);

		if (prod - cons < (n ? t->chase_bytes : 1))
			break;
		while (cons < prod) {
			uint32_t *hdr = (uint32_t *)(t->data + (cons & mask));
			uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

			if (len & RB_BUSY)
				goto out; /* reserved, not yet submitted: the rest waits for it */
			cons += ((len & ~(RB_BUSY | RB_DISCARD)) + RB_HDR + 7) & ~7ul;
			if (!(len & RB_DISCARD)) {
				struct vmt_syscall_rec whole;
				size_t size = len & ~(RB_BUSY | RB_DISCARD);
				const void *rec =
					decode_rec_widen((char *)hdr + RB_HDR, &size, &whole);

				t->opts.on_record(t->opts.ctx, (void *)rec, size);
				n++;
			}
			if (++since_publish == RB_PUBLISH_EVERY) {
				__atomic_store_n(t->consumer_pos, cons, __ATOMIC_RELEASE);
				since_publish = 0;
			}
		}
		if (!n)
			break; /* only discarded records: nothing worth chasing */
	}
out:
	__atomic_store_n(t->consumer_pos, cons, __ATOMIC_RELEASE);
	return n;
}

/*
 * The processes of our PID namespace as (kernel tgid, our tgid) pairs, us first; fn gets each
 * until it returns non-zero. Returns that value, 0 at the end, or -errno.
 */
static int pid_map_walk(struct tracer *t, int (*fn)(void *ctx, const struct vmt_pid_pair *p),
			void *ctx)
{
	struct vmt_pid_pair pair;
	struct bpf_link *link;
	size_t have = 0;
	int fd, ret = 0;

	link = bpf_program__attach_iter(t->skel->progs.pid_map, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, (char *)&pair + have, sizeof(pair) - have);

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			break;
		}
		have += n;
		if (have < sizeof(pair))
			continue;
		have = 0;
		ret = fn(ctx, &pair);
		if (ret)
			break;
	}
	close(fd);
out:
	bpf_link__destroy(link);
	return ret;
}

static int first_pair(void *ctx, const struct vmt_pid_pair *p)
{
	*(struct vmt_pid_pair *)ctx = *p;
	return 1;
}

/*
 * Inside a PID namespace (a container, `unshare -p`), getpid() is not the tgid that the
 * kernel's records carry: learn that one, so that we never trace ourselves.
 */
static void learn_self(struct tracer *t)
{
	struct vmt_pid_pair me = { 0 };

	t->self_host = t->self_ns = getpid();
	if (pid_map_walk(t, first_pair, &me) != 1 || !me.host) {
		log_debug("pid_map iterator unavailable: our tgid is getpid()'s");
		return;
	}
	if ((pid_t)me.ns != getpid())
		log_debug("pid_map: our tgid %u in our namespace is not getpid() %d", me.ns,
			  (int)getpid());
	t->self_host = me.host;
	t->skel->bss->self_tgid = me.host;
	if (t->self_host != t->self_ns)
		log_info("running in a PID namespace: pids shown are the host's (vmatrace is %d "
			 "here, %d on the host); -p takes this namespace's",
			 (int)t->self_ns, (int)t->self_host);
}

struct pid_lookup {
	pid_t want, found;
	bool by_ns;
};

static int match_pair(void *ctx, const struct vmt_pid_pair *p)
{
	struct pid_lookup *l = ctx;

	if ((pid_t)(l->by_ns ? p->ns : p->host) != l->want)
		return 0;
	l->found = (pid_t)(l->by_ns ? p->host : p->ns);
	return 1;
}

/*
 * The translation that sys_proc_pid() uses inside a PID namespace with its own /proc: one
 * walk of pid_map fills a table, looked up until a pid is missing, then walked again (at most
 * ten times a second: a process outside our namespace is missing for good).
 */
#define PID_TABLE_REFRESH_NS 100000000ull

static int collect_pair(void *ctx, const struct vmt_pid_pair *p)
{
	struct tracer *t = ctx;

	if (t->npids == t->cap_pids) {
		size_t cap = t->cap_pids ? 2 * t->cap_pids : 256;
		struct vmt_pid_pair *v = realloc(t->pids, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->pids = v;
		t->cap_pids = cap;
	}
	t->pids[t->npids++] = *p;
	return 0;
}

static pid_t pid_table_find(struct tracer *t, pid_t pid, bool by_ns)
{
	for (int pass = 0; pass < 2; pass++) {
		uint64_t now;

		for (size_t i = 0; i < t->npids; i++)
			if ((pid_t)(by_ns ? t->pids[i].ns : t->pids[i].host) == pid)
				return (pid_t)(by_ns ? t->pids[i].host : t->pids[i].ns);
		now = clock_mono_ns();
		if (pass || (t->pids_ns && now - t->pids_ns < PID_TABLE_REFRESH_NS))
			break;
		t->pids_ns = now;
		t->npids = 0;
		if (pid_map_walk(t, collect_pair, t) < 0)
			t->npids = 0;
	}
	return -ESRCH;
}

static pid_t kernel_to_proc(void *ctx, pid_t pid)
{
	return pid_table_find(ctx, pid, false);
}

static pid_t proc_to_kernel(void *ctx, pid_t pid)
{
	return pid_table_find(ctx, pid, true);
}

/* Our own /proc shows our PID namespace (its /proc/self is getpid()), not the host's. */
static bool proc_is_ours(const struct tracer *t)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return false;
	buf[n] = 0;
	return atoi(buf) == t->self_ns && t->self_ns != t->self_host;
}

bool tracer_in_pidns(const struct tracer *t)
{
	return t->self_host != t->self_ns;
}

pid_t tracer_self_tgid(const struct tracer *t)
{
	return t->self_host;
}

const struct kfeatures *tracer_kfeatures(const struct tracer *t)
{
	return &t->kf;
}

bool tracer_probe_kernel(struct kfeatures *kf)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool have_btf = vmlinux != NULL;

	if (geteuid() == 0)
		tracer_ensure_tracefs(); /* as tracer_new would: its errors are said there */
	kfeatures_probe(kf, vmlinux, tracing_roots);
	btf__free(vmlinux);
	return have_btf;
}

pid_t tracer_host_tgid(struct tracer *t, pid_t tgid)
{
	struct pid_lookup l = { .want = tgid, .by_ns = true };

	if (!tracer_in_pidns(t))
		return tgid;
	return pid_map_walk(t, match_pair, &l) == 1 ? l.found : -ESRCH;
}

pid_t tracer_ns_tgid(struct tracer *t, pid_t host)
{
	struct pid_lookup l = { .want = host };

	if (!tracer_in_pidns(t))
		return host;
	return pid_map_walk(t, match_pair, &l) == 1 ? l.found : -ESRCH;
}

struct tracer *tracer_new(const struct tracer_opts *opts)
{
	struct tracer *t;
	struct btf *vmlinux = NULL;
	size_t rb_bytes;
	int err;

	libbpf_set_print(libbpf_print);
	if (tracer_check_privileges())
		return NULL;
	if (!path_exists("/sys/kernel/btf/vmlinux")) {
		log_err("this kernel has no BTF (/sys/kernel/btf/vmlinux is missing; "
			"CONFIG_DEBUG_INFO_BTF=y is needed for CO-RE)");
		return NULL;
	}
	if (tracer_ensure_tracefs())
		return NULL;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->opts = *opts;
	t->ncpus = libbpf_num_possible_cpus();

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		log_err("cannot load the kernel's BTF: %s", strerror(errno));
		goto fail;
	}
	t->skel = vmatrace_bpf__open();
	if (!t->skel) {
		log_err("cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	t->skel->rodata->trace_all = opts->trace_all;
	t->skel->bss->self_tgid = getpid(); /* until pid_map says otherwise (learn_self) */
	t->skel->rodata->capture_stack = opts->capture_stack;
	t->skel->rodata->ustack_window =
		opts->ustack_window < VMT_USTACK_MAX ? opts->ustack_window : VMT_USTACK_MAX;
	rb_bytes = round_pow2(opts->ringbuf_bytes ? opts->ringbuf_bytes : 16u << 20);
	t->skel->rodata->wakeup_backlog = opts->wakeup_backlog ? opts->wakeup_backlog :
								 rb_bytes / 8;
	t->chase_bytes = t->skel->rodata->wakeup_backlog / 2;
	kfeatures_probe(&t->kf, vmlinux, tracing_roots);
	/* Without these, VMAs are looked up the locked way only (syscalls.bpf.c). */
	if (!t->kf.has[KF_VMA_WALK]) {
		log_debug("this kernel lacks bpf_rdonly_cast, bpf_iter_num or mm_lock_seq: VMA "
			  "lookups take mmap_lock");
		t->skel->rodata->vma_walk = false;
	}
	/* Without the cast, the registers are read through a helper call (common.bpf.h). */
	t->skel->rodata->regs_cast = t->kf.has[KF_REGS_CAST];
	/* Without the open-coded VMA iterator, exec does not send the new address space. */
	if (!t->kf.has[KF_EXEC_VMAS]) {
		log_warn("this kernel lacks bpf_iter_task_vma_new: VMAs of exec'd processes are "
			 "read from /proc instead");
		t->skel->rodata->exec_walk_vmas = false;
	}
	err = bpf_map__set_max_entries(t->skel->maps.events, rb_bytes);
	if (err) {
		log_err("cannot size the ring buffer to %zu bytes: %s", rb_bytes, strerror(-err));
		goto fail;
	}
	/* A record with a stack window is built in a per-CPU slot (64 KiB each) only when asked. */
	err = bpf_map__set_max_entries(t->skel->maps.ustack_scratch,
				       opts->ustack_window ? libbpf_num_possible_cpus() : 1);
	if (err) {
		log_err("cannot size the stack-window buffers: %s", strerror(-err));
		goto fail;
	}
	/* The seeding iterator runs on demand (tracer_seed), not at attach. */
	bpf_program__set_autoattach(t->skel->progs.seed_vmas, false);
	bpf_program__set_autoattach(t->skel->progs.pid_map, false);
	err = disable_missing(t, vmlinux);
	if (err)
		goto fail;

	err = vmatrace_bpf__load(t->skel);
	if (err) {
		log_err("cannot load the BPF programs: %s%s", strerror(-err),
			err == -EPERM ? " (run as root, or with CAP_BPF and CAP_PERFMON)" :
					" (run with -v to see the verifier's log)");
		goto fail;
	}
	learn_self(t); /* before the tracepoints: not one of our own calls is traced */
	if (proc_is_ours(t)) {
		log_info("in a PID namespace: /proc is read by this namespace's pids");
		sys_set_proc_pid_map(kernel_to_proc, proc_to_kernel, t);
		t->proc_pid_map = true;
	}
	err = vmatrace_bpf__attach(t->skel);
	if (err) {
		log_err("cannot attach the BPF programs: %s (run with -v for the failing tracepoint)",
			strerror(-err));
		goto fail;
	}
	if (ringbuf_map(t, rb_bytes)) {
		log_err("cannot map the ring buffer: %s", strerror(errno));
		goto fail;
	}
	btf__free(vmlinux);
	log_debug("BPF programs attached; ring buffer %zu KiB, wakeup past %llu KiB",
		  rb_bytes >> 10, (unsigned long long)t->skel->rodata->wakeup_backlog >> 10);
	return t;
fail:
	btf__free(vmlinux);
	tracer_free(t);
	return NULL;
}

static void *link_destroy_thread(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/*
 * Detaching a tracepoint waits for an RCU grace period (~70 ms here); one
 * after the other, twenty of them made every exit take 1.5 s. Detached in
 * parallel, the waits overlap.
 */
static void detach_parallel(struct vmatrace_bpf *skel)
{
	struct bpf_object_skeleton *s = skel->skeleton;
	pthread_t *th = calloc(s->prog_cnt, sizeof(*th));
	bool *started = calloc(s->prog_cnt, sizeof(*started));

	for (int i = 0; th && started && i < s->prog_cnt; i++) {
		struct bpf_link **link = s->progs[i].link;

		if (!*link)
			continue;
		if (pthread_create(&th[i], NULL, link_destroy_thread, *link) == 0) {
			started[i] = true;
			*link = NULL;
		}
	}
	for (int i = 0; th && started && i < s->prog_cnt; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	free(th);
	free(started);
}

void tracer_free(struct tracer *t)
{
	if (!t)
		return;
	if (t->proc_pid_map)
		sys_set_proc_pid_map(NULL, NULL, NULL);
	free(t->pids);
	if (t->skel)
		detach_parallel(t->skel);
	if (t->consumer_pos)
		munmap(t->consumer_pos, sysconf(_SC_PAGESIZE));
	if (t->producer_pos)
		munmap(t->producer_pos, t->mapped_size);
	vmatrace_bpf__destroy(t->skel);
	free(t);
}

/* The programs' bitmaps are mapped here: the kernel's programs see the same words. */
static void tgid_bit_set(__u64 *bits, pid_t tgid, bool on)
{
	__u64 mask = 1ull << (tgid % 64);

	if (on)
		__atomic_fetch_or(&bits[tgid / 64], mask, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&bits[tgid / 64], ~mask, __ATOMIC_SEQ_CST);
}

int tracer_add_tgid(struct tracer *t, pid_t tgid, bool follow_children)
{
	if (tgid <= 0 || (unsigned long)tgid >= VMT_TGID_LIMIT)
		return -EINVAL;
	/* follow first: a fork between the two stores must not miss the child */
	tgid_bit_set(t->skel->bss->follow_bits, tgid, follow_children);
	tgid_bit_set(t->skel->bss->traced_bits, tgid, true);
	return 0;
}

void tracer_set_stack_sampling(struct tracer *t, uint32_t every, uint32_t all_above)
{
	/* Plain stores into the mmapped .bss: each program run reads them once. */
	__atomic_store_n(&t->skel->bss->ustack_every, every ? every : 1, __ATOMIC_RELAXED);
	__atomic_store_n(&t->skel->bss->ustack_all_above, all_above, __ATOMIC_RELAXED);
}

size_t tracer_take_lost(struct tracer *t, tracer_lost_fn fn, void *ctx)
{
	__u64 *bits = t->skel->bss->lost_bits;
	size_t n = 0;

	/* 64 Ki words, read only when records were dropped. */
	for (uint32_t w = 0; w < VMT_TGID_WORDS; w++) {
		uint64_t v;

		if (!__atomic_load_n(&bits[w], __ATOMIC_RELAXED))
			continue;
		/* Swapped out whole: a bit the BPF side sets meanwhile stays for the next call. */
		v = __atomic_exchange_n(&bits[w], 0, __ATOMIC_SEQ_CST);
		while (v) {
			int b = __builtin_ctzll(v);

			v &= v - 1;
			fn(ctx, w * 64 + b);
			n++;
		}
	}
	return n;
}

int tracer_epoll_fd(struct tracer *t)
{
	return t->rb_fd; /* the map itself polls readable on a wakeup */
}

int tracer_consume(struct tracer *t)
{
	return ringbuf_consume(t);
}

int tracer_read_stats(struct tracer *t, unsigned long long out[VMT_STAT__COUNT])
{
	__u64 *vals = calloc(t->ncpus, sizeof(__u64));

	if (!vals)
		return -ENOMEM;
	for (__u32 i = 0; i < VMT_STAT__COUNT; i++) {
		out[i] = 0;
		if (bpf_map__lookup_elem(t->skel->maps.stats, &i, sizeof(i), vals,
					 sizeof(__u64) * t->ncpus, 0))
			continue;
		for (int c = 0; c < t->ncpus; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

int tracer_seed(struct tracer *t, pid_t tgid, tracer_seed_fn fn, void *ctx)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo;
	struct vmt_iter_rec rec;
	struct bpf_link *link;
	size_t have = 0;
	int fd, err = 0, procs = 0;

	memset(&linfo, 0, sizeof(linfo));
	if (tgid > 0) {
		linfo.task.pid = tgid;
		opts.link_info = &linfo;
		opts.link_info_len = sizeof(linfo);
	}
	link = bpf_program__attach_iter(t->skel->progs.seed_vmas, &opts);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, (char *)&rec + have, sizeof(rec) - have);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		have += n;
		if (have < sizeof(rec))
			continue;
		have = 0;
		procs += rec.kind == VMT_ITER_PROC;
		err = fn(ctx, &rec);
		if (err)
			break;
	}
	close(fd);
out:
	bpf_link__destroy(link);
	return err ? err : procs;
}
