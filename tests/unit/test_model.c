// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The model as a pure library, fed synthetic ring-buffer records filled as the
 * BPF side fills them (bpf/syscalls.bpf.c emit(): map_count and brk after the
 * call, the resulting VMA at the range's start in vma[0] and, when that one
 * ends before the range does, the one at its last byte in vma[1]). A fake
 * kernel holds each process's true VMAs; after every step the model must equal
 * it (vmamap_check, the VMA list, the count, the census), and a fake reseed
 * callback, which reads the fake kernel, counts the resyncs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "jsonr.h"
#include "model.h"
#include "model_internal.h"
#include "procfs.h"
#include "vmamap.h"
#include "vmatrace.h"

#define P 4096ull
#define A 0x7f0000000000ull
#define B 0x7f1000000000ull
#define C 0x7f2000000000ull
#define S 0x555555559000ull /* start_brk */
#define TGID 1000u
#define CHILD 1001u
#define RW (VMT_VM_READ | VMT_VM_WRITE)
#define RO VMT_VM_READ
#define MREMAP_MAYMOVE_ 1
#define MREMAP_FIXED_ 2

/* The fake kernel's truth about one process. */
struct kernel {
	uint32_t tgid;
	struct vmt_vma v[64];
	size_t n;
	uint64_t start_brk, brk;
};

static struct kernel kern[4];
static size_t nkern;
static struct model *m;
static int reseeds;
static uint32_t reseed_tgid;
static int reseed_result;
static uint64_t reseed_ts; /* a moment inside the last read */

static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* the records' clock, which the model compares */
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static struct kernel *kernel_of(uint32_t tgid)
{
	for (size_t i = 0; i < nkern; i++)
		if (kern[i].tgid == tgid)
			return &kern[i];
	return NULL;
}

static struct kernel *kernel_new(uint32_t tgid)
{
	struct kernel *k = &kern[nkern++];

	memset(k, 0, sizeof(*k));
	k->tgid = tgid;
	return k;
}

static struct vmt_vma anon(uint64_t start, uint64_t end, uint64_t flags)
{
	return (struct vmt_vma){ .start = start, .end = end, .vm_flags = flags, .valid = 1 };
}

static struct vmt_vma file(uint64_t start, uint64_t end, uint64_t flags, uint64_t ino,
			   uint64_t pgoff)
{
	return (struct vmt_vma){ .start = start,
				 .end = end,
				 .vm_flags = flags,
				 .ino = ino,
				 .dev = 8 << 20 | 1,
				 .pgoff = pgoff,
				 .valid = 1 };
}

static void kset(struct kernel *k, const struct vmt_vma *v, size_t n)
{
	memcpy(k->v, v, n * sizeof(*v));
	k->n = n;
}

#define KSET(k, ...)                                     \
	kset(k, (const struct vmt_vma[]){ __VA_ARGS__ }, \
	     sizeof((const struct vmt_vma[]){ __VA_ARGS__ }) / sizeof(struct vmt_vma))

static struct vmt_vma lookup(const struct kernel *k, uint64_t addr)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].start <= addr && addr < k->v[i].end)
			return k->v[i];
	return (struct vmt_vma){ 0 };
}

/* The kernel's records of a read (the iterator's, or procfs's) into the model. */
static void feed_iter(struct model_seeder *s, const struct kernel *k)
{
	struct vmt_iter_rec r = { .kind = VMT_ITER_PROC,
				  .tgid = k->tgid,
				  .map_count = k->n,
				  .start_brk = k->start_brk,
				  .brk = k->brk };

	snprintf(r.comm, sizeof(r.comm), "test");
	model_seed_iter(s, &r);
	for (size_t i = 0; i < k->n; i++) {
		r = (struct vmt_iter_rec){ .kind = VMT_ITER_VMA, .tgid = k->tgid, .vma = k->v[i] };
		model_seed_iter(s, &r);
	}
	model_seeder_end(s);
}

static int fake_reseed(void *ctx, uint32_t tgid)
{
	struct model_seeder s = { .m = ctx };
	struct kernel *k = kernel_of(tgid);

	reseeds++;
	reseed_tgid = tgid;
	reseed_ts = now();
	if (!k || reseed_result)
		return k ? reseed_result : -ENOENT;
	feed_iter(&s, k);
	return 0;
}

/* Seed a process as the daemon's start does (no walk bracket: every later record applies). */
static void seed(const struct kernel *k)
{
	struct model_seeder s = { .m = m };

	feed_iter(&s, k);
}

static void setup(void)
{
	struct model_config cfg = { .reseed = fake_reseed };

	nkern = 0;
	reseeds = 0;
	reseed_tgid = 0;
	reseed_result = 0;
	m = model_new(&cfg);
	cr_assert(m);
	m->cfg.reseed_ctx = m;
}

static void teardown(void)
{
	model_free(m);
}

/* ---- records, as the BPF side fills them ---------------------------------------------------- */

enum lookup { L_NONE, L_RET_LEN, L_ARG_RANGE, L_BRK };

static const struct {
	enum lookup how;
	int addr, len; /* arguments; len -1: one byte */
} lookups[VMT_SYS__COUNT] = {
	[VMT_SYS_MMAP] = { L_RET_LEN, 0, 1 },
	[VMT_SYS_BRK] = { L_BRK },
	[VMT_SYS_MREMAP] = { L_RET_LEN, 0, 2 },
	[VMT_SYS_MPROTECT] = { L_ARG_RANGE, 0, 1 },
	[VMT_SYS_PKEY_MPROTECT] = { L_ARG_RANGE, 0, 1 },
	[VMT_SYS_MADVISE] = { L_ARG_RANGE, 0, 1 },
	[VMT_SYS_MLOCK] = { L_ARG_RANGE, 0, 1 },
	[VMT_SYS_MLOCK2] = { L_ARG_RANGE, 0, 1 },
	[VMT_SYS_MUNLOCK] = { L_ARG_RANGE, 0, 1 },
	[VMT_SYS_SHMAT] = { L_RET_LEN, 0, -1 },
	[VMT_SYS_MSEAL] = { L_ARG_RANGE, 0, 1 },
	[VMT_SYS_MBIND] = { L_ARG_RANGE, 0, 1 },
};

/* A syscall record of k's process after the call, k holding the kernel's state after it. */
static struct vmt_syscall_rec sysrec(const struct kernel *k, enum vmt_sys sys, int64_t ret,
				     const uint64_t args[VMT_MAX_ARGS])
{
	struct vmt_syscall_rec r = {
		.hdr = { .type = VMT_REC_SYSCALL, .ts_ns = now(), .tgid = k->tgid, .tid = k->tgid },
		.sys = sys,
		.map_count = k->n,
		.ret = ret,
		.start_brk = k->start_brk,
		.brk = k->brk
	};
	enum lookup how = lookups[sys].how;
	uint64_t lo = 0, hi = 0;

	memcpy(r.args, args, sizeof(r.args));
	snprintf(r.hdr.comm, sizeof(r.hdr.comm), "test");
	if (ret < 0 && ret >= -4095 && !(ret == -ENOMEM && how == L_ARG_RANGE))
		how = L_NONE;
	if (how == L_RET_LEN) {
		lo = ret;
		hi = lo + (lookups[sys].len >= 0 ? r.args[lookups[sys].len] : 1);
	} else if (how == L_ARG_RANGE) {
		lo = r.args[lookups[sys].addr];
		hi = lo + r.args[lookups[sys].len];
	} else if (how == L_BRK && (uint64_t)ret > k->start_brk) {
		lo = k->start_brk;
		hi = ret;
	}
	if (hi > lo) {
		r.vma[0] = lookup(k, how == L_BRK ? hi - 1 : lo);
		if (r.vma[0].valid && r.vma[0].end < hi)
			r.vma[1] = lookup(k, hi - 1);
	}
	return r;
}

static void apply(const void *rec, size_t size)
{
	model_apply(m, rec, size);
}

#define ARGS(...) ((const uint64_t[VMT_MAX_ARGS]){ __VA_ARGS__ })
#define CALL(k, sys, ret, ...)                                                      \
	do {                                                                        \
		struct vmt_syscall_rec r_ = sysrec(k, sys, ret, ARGS(__VA_ARGS__)); \
		apply(&r_, sizeof(r_));                                             \
	} while (0)

/*
 * A count mismatch waits for the next record (model.c count_explained); none comes here:
 * what model_tick() does after MODEL_SUSPECT_NS, or a question about the process, now.
 */
static void settle(void)
{
	model_settle(m, model_proc_get(m, TGID));
}

/* ---- the oracle ------------------------------------------------------------------------------ */

static uint16_t perms_of(uint64_t vm)
{
	return (vm & VMT_VM_READ ? VF_READ : 0) | (vm & VMT_VM_WRITE ? VF_WRITE : 0) |
	       (vm & VMT_VM_EXEC ? VF_EXEC : 0) | (vm & VMT_VM_MAYSHARE ? VF_MAYSHARE : 0) |
	       (vm & VMT_VM_GROWSDOWN ? VF_GROWSDOWN : 0);
}

static struct model_proc *expect_model(const struct kernel *k)
{
	struct model_proc *p = model_proc_get(m, k->tgid);
	uint64_t bytes[VK__COUNT] = { 0 }, mapped = 0;
	uint32_t count[VK__COUNT] = { 0 };
	struct vmamap_iter it;
	struct vma_entry *e;
	char msg[256];
	size_t i = 0;

	cr_assert(p, "no process %u in the model", k->tgid);
	cr_assert_eq(vmamap_check(p->map, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(model_vma_count(p), k->n, "model %zu VMAs, kernel %zu", model_vma_count(p),
		     k->n);
	vmamap_iter_init(p->map, &it, 0);
	while ((e = vmamap_iter_next(&it))) {
		const struct vmt_vma *v = &k->v[i++];
		uint16_t f = VF_READ | VF_WRITE | VF_EXEC | VF_MAYSHARE | VF_GROWSDOWN;

		cr_assert(e->start == v->start && e->end == v->end,
			  "VMA %zu: model %#llx-%#llx, kernel %#llx-%#llx", i - 1,
			  (unsigned long long)e->start, (unsigned long long)e->end,
			  (unsigned long long)v->start, (unsigned long long)v->end);
		cr_assert_eq(e->flags & f, perms_of(v->vm_flags),
			     "VMA %#llx: flags %#x, kernel %#x", (unsigned long long)e->start,
			     e->flags & f, perms_of(v->vm_flags));
		cr_assert_eq(!!e->file, !!v->ino, "VMA %#llx: file", (unsigned long long)e->start);
		if (v->ino) {
			cr_assert_eq(m->files[e->file].ino, v->ino);
			cr_assert_eq(e->pgoff, v->pgoff, "VMA %#llx: pgoff %llu, kernel %llu",
				     (unsigned long long)e->start, (unsigned long long)e->pgoff,
				     (unsigned long long)v->pgoff);
		}
		cr_assert_eq(e->kind, model_classify(p, e), "VMA %#llx: stale kind",
			     (unsigned long long)e->start);
		bytes[e->kind] += e->end - e->start;
		count[e->kind]++;
		mapped += v->end - v->start;
	}
	/* The census is kept incrementally: it must be what a recount gives. */
	for (int kind = 0; kind < VK__COUNT; kind++) {
		cr_assert_eq(p->count[kind], count[kind], "census %s: %u, recount %u",
			     model_kind_name(kind), p->count[kind], count[kind]);
		cr_assert_eq(p->bytes[kind], bytes[kind], "census %s bytes", model_kind_name(kind));
	}
	cr_assert_eq(model_mapped_bytes(p), mapped);
	return p;
}

/* The model matches the kernel, having followed it from the records alone (no reseed). */
static void expect_followed(const struct kernel *k)
{
	expect_model(k);
	cr_assert_eq(reseeds, 0, "the model had to be reseeded");
}

TestSuite(model, .init = setup, .fini = teardown);

/* ---- splits and merges ----------------------------------------------------------------------- */

Test(model, munmap_in_the_middle_of_a_file_vma_splits_it)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, file(A, A + 4 * P, RO, 77, 10));
	seed(k);
	KSET(k, file(A, A + P, RO, 77, 10), file(A + 2 * P, A + 4 * P, RO, 77, 12));
	CALL(k, VMT_SYS_MUNMAP, 0, A + P, P);
	expect_followed(k);
}

Test(model, mprotect_in_the_middle_splits_in_three_and_back_merges)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	KSET(k, anon(A, A + P, RW), anon(A + P, A + 2 * P, RO), anon(A + 2 * P, A + 4 * P, RW));
	CALL(k, VMT_SYS_MPROTECT, 0, A + P, P, PROT_READ);
	p = expect_model(k);
	cr_assert_eq(p->count[VK_ANON], 3);
	/* Back to read-write: the kernel merges the three again. */
	KSET(k, anon(A, A + 4 * P, RW));
	CALL(k, VMT_SYS_MPROTECT, 0, A + P, P, PROT_READ | PROT_WRITE);
	expect_followed(k);
}

Test(model, mmap_next_to_a_vma_that_the_kernel_merged)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 2 * P, RW));
	seed(k);
	/* Top-down placement just below: one VMA [A - 2P, A + 2P). */
	KSET(k, anon(A - 2 * P, A + 2 * P, RW));
	CALL(k, VMT_SYS_MMAP, A - 2 * P, 0, 2 * P, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS);
	expect_model(k);
	/* Just above, MAP_FIXED: merged again. */
	KSET(k, anon(A - 2 * P, A + 4 * P, RW));
	CALL(k, VMT_SYS_MMAP, A + 2 * P, A + 2 * P, 2 * P, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	expect_model(k);
	/* MAP_FIXED read-only over the middle: three pieces. */
	KSET(k, anon(A - 2 * P, A, RW), anon(A, A + P, RO), anon(A + P, A + 4 * P, RW));
	CALL(k, VMT_SYS_MMAP, A, A, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	expect_followed(k);
}

Test(model, mmap_stack_marks_a_thread_stack)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	seed(k);
	KSET(k, anon(A, A + 64 * P, RW));
	CALL(k, VMT_SYS_MMAP, A, 0, 64 * P, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK);
	p = expect_model(k);
	cr_assert_eq(p->count[VK_THREAD_STACK], 1);
}

/* ---- mremap ------------------------------------------------------------------------------------
 */

Test(model, mremap_grows_in_place)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 2 * P, RW));
	seed(k);
	KSET(k, anon(A, A + 4 * P, RW));
	CALL(k, VMT_SYS_MREMAP, A, A, 2 * P, 4 * P, 0);
	expect_followed(k);
}

Test(model, mremap_shrinks_across_pieces)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 2 * P, RW), anon(A + 2 * P, A + 4 * P, RO));
	seed(k);
	KSET(k, anon(A, A + P, RW));
	CALL(k, VMT_SYS_MREMAP, A, A, 4 * P, P, 0);
	expect_followed(k);
}

Test(model, mremap_fixed_moves_every_piece)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, file(A, A + 2 * P, RW, 5, 0), file(A + 2 * P, A + 4 * P, RO, 5, 2));
	seed(k);
	KSET(k, file(B, B + 2 * P, RW, 5, 0), file(B + 2 * P, B + 4 * P, RO, 5, 2));
	CALL(k, VMT_SYS_MREMAP, B, A, 4 * P, 4 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, B);
	expect_followed(k);
}

Test(model, mremap_maymove_grows_elsewhere_when_blocked)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 2 * P, RW), anon(A + 2 * P, A + 3 * P, RO));
	seed(k);
	KSET(k, anon(A + 2 * P, A + 3 * P, RO), anon(B, B + 4 * P, RW));
	CALL(k, VMT_SYS_MREMAP, B, A, 2 * P, 4 * P, MREMAP_MAYMOVE_);
	expect_followed(k);
}

/* ---- brk ---------------------------------------------------------------------------------------
 */

Test(model, brk_up_and_down_heap_size_and_high_water)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	KSET(k, file(S - 4 * P, S - P, RW, 9, 0));
	k->start_brk = k->brk = S;
	seed(k);
	p = model_proc_get(m, TGID);
	cr_assert_eq(model_heap_size(p), 0);
	cr_assert_eq(model_heap_hwm(p), 0);

	k->brk = S + 3 * P;
	KSET(k, file(S - 4 * P, S - P, RW, 9, 0), anon(S, S + 3 * P, RW));
	CALL(k, VMT_SYS_BRK, S + 3 * P, S + 3 * P);
	p = expect_model(k);
	cr_assert_eq(model_heap_size(p), 3 * P);
	cr_assert_eq(model_heap_hwm(p), 3 * P);
	cr_assert_eq(p->count[VK_HEAP], 1);
	cr_assert_eq(p->bytes[VK_HEAP], 3 * P);

	/* Down to a break inside a page: the VMA ends at the next page. */
	k->brk = S + P + 100;
	KSET(k, file(S - 4 * P, S - P, RW, 9, 0), anon(S, S + 2 * P, RW));
	CALL(k, VMT_SYS_BRK, S + P + 100, S + P + 100);
	p = expect_model(k);
	cr_assert_eq(model_heap_size(p), P + 100);
	cr_assert_eq(model_heap_hwm(p), 3 * P);

	k->brk = S;
	KSET(k, file(S - 4 * P, S - P, RW, 9, 0));
	CALL(k, VMT_SYS_BRK, S, S);
	p = expect_model(k);
	cr_assert_eq(model_heap_size(p), 0);
	cr_assert_eq(model_heap_hwm(p), 3 * P);
	cr_assert_eq(p->count[VK_HEAP], 0);
	cr_assert_eq(reseeds, 0);
}

Test(model, heap_high_water_is_a_size_never_an_address)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	k->start_brk = S;
	k->brk = S + 8 * P;
	KSET(k, anon(S, S + 8 * P, RW));
	seed(k);
	k->brk = S + 2 * P;
	KSET(k, anon(S, S + 2 * P, RW));
	CALL(k, VMT_SYS_BRK, S + 2 * P, S + 2 * P);
	/* A read of the same heap keeps its high-water. */
	seed(k);
	p = expect_model(k);
	cr_assert_eq(model_heap_hwm(p), 8 * P);
	/* A read that cannot see the break (0: no permission): no heap, no address as a size. */
	k->start_brk = k->brk = 0;
	seed(k);
	p = model_proc_get(m, TGID);
	cr_assert_eq(model_heap_size(p), 0);
	cr_assert_eq(model_heap_hwm(p), 0);
	/* A record with a break but no start_brk gives no size either. */
	p->brk = p->brk_hwm = S + P;
	cr_assert_eq(model_heap_size(p), 0);
	cr_assert_eq(model_heap_hwm(p), 0);
}

/* ---- ENOMEM part way ----------------------------------------------------------------------------
 */

Test(model, mprotect_enomem_changed_the_range_up_to_the_hole)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 3 * P, RW), anon(A + 4 * P, A + 5 * P, RW));
	seed(k);
	/* [A + P, A + 5P) has a hole at A + 3P: the kernel changed [A + P, A + 3P) only. */
	KSET(k, anon(A, A + P, RW), anon(A + P, A + 3 * P, RO), anon(A + 4 * P, A + 5 * P, RW));
	CALL(k, VMT_SYS_MPROTECT, -ENOMEM, A + P, 4 * P, PROT_READ);
	expect_followed(k);
}

Test(model, munmap_enomem_changed_nothing)
{
	struct kernel *k = kernel_new(TGID);

	/* At vm.max_map_count a split is refused: the VMA stays whole. */
	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	CALL(k, VMT_SYS_MUNMAP, -ENOMEM, A + P, P);
	expect_followed(k);
}

/* ---- exec --------------------------------------------------------------------------------------
 */

static void exec_rec(struct kernel *k, uint32_t nvmas)
{
	struct vmt_exec_rec r = {
		.hdr = { .type = VMT_REC_EXEC, .ts_ns = now(), .tgid = k->tgid, .tid = k->tgid },
		.map_count = k->n,
		.start_brk = k->start_brk,
		.brk = k->brk,
		.nvmas = nvmas,
		.memcg_id = 77
	};

	snprintf(r.hdr.comm, sizeof(r.hdr.comm), "newimage");
	apply(&r, sizeof(r));
}

static void vma_rec(const struct kernel *k, uint32_t index)
{
	struct vmt_vma_rec r = {
		.hdr = { .type = VMT_REC_VMA, .ts_ns = now(), .tgid = k->tgid, .tid = k->tgid },
		.index = index,
		.vma = k->v[index]
	};

	apply(&r, sizeof(r));
}

static struct kernel *exec_setup(void)
{
	struct kernel *k = kernel_new(TGID);

	k->start_brk = S;
	k->brk = S + 4 * P;
	KSET(k, anon(S, S + 4 * P, RW), anon(A, A + P, RW), anon(A + 2 * P, A + 3 * P, RO));
	seed(k);
	/* The new image: other VMAs, another heap. */
	k->start_brk = k->brk = S + 0x10000000;
	KSET(k, file(S - 8 * P, S - 4 * P, RO | VMT_VM_EXEC, 3, 0), anon(B, B + 2 * P, RW),
	     anon(B + 4 * P, B + 5 * P, RO));
	return k;
}

Test(model, exec_replaces_the_address_space)
{
	struct kernel *k = exec_setup();
	struct model_proc *p;

	exec_rec(k, 3);
	for (uint32_t i = 0; i < 3; i++)
		vma_rec(k, i);
	p = expect_model(k);
	cr_assert_str_eq(p->comm, "newimage");
	cr_assert_eq(p->memcg_id, 77);
	cr_assert(p->seeded);
	cr_assert_eq(model_heap_hwm(p), 0, "the old image's heap is gone");
	cr_assert_eq(reseeds, 0);
}

Test(model, cut_exec_with_a_lost_vma_record_resyncs)
{
	struct kernel *k = exec_setup();

	exec_rec(k, 3);
	vma_rec(k, 0);
	vma_rec(k, 2); /* 1 was lost */
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(reseed_tgid, TGID);
	expect_model(k);
}

Test(model, cut_exec_whose_last_records_were_lost_resyncs_at_the_next_call)
{
	struct kernel *k = exec_setup();

	exec_rec(k, 3);
	vma_rec(k, 0);
	vma_rec(k, 1);
	cr_assert_eq(reseeds, 0);
	/* The new image runs: the exec's records are over, one short. */
	CALL(k, VMT_SYS_MADVISE, 0, B, P, MADV_DONTNEED);
	cr_assert_eq(reseeds, 1);
	expect_model(k);
}

Test(model, exec_without_vma_records_resyncs)
{
	struct kernel *k = exec_setup();

	exec_rec(k, 0); /* the walk was off or the ring full */
	cr_assert_eq(reseeds, 1);
	expect_model(k);
}

Test(model, exec_with_fewer_vma_records_than_vmas_resyncs)
{
	struct kernel *k = exec_setup();

	exec_rec(k, 2); /* truncated: map_count says 3 */
	vma_rec(k, 0);
	cr_assert_eq(reseeds, 0);
	vma_rec(k, 1);
	cr_assert_eq(reseeds, 1);
	expect_model(k);
}

/* ---- fork --------------------------------------------------------------------------------------
 */

static void fork_rec(const struct kernel *parent, const struct kernel *child)
{
	struct vmt_fork_rec r = { .hdr = { .type = VMT_REC_FORK,
					   .ts_ns = now(),
					   .tgid = parent->tgid,
					   .tid = parent->tgid },
				  .child_tgid = child->tgid,
				  .child_tid = child->tgid,
				  .map_count = child->n,
				  .start_brk = child->start_brk,
				  .brk = child->brk };

	snprintf(r.child_comm, sizeof(r.child_comm), "child");
	apply(&r, sizeof(r));
}

static struct kernel *parent_with_advice(int advice)
{
	struct kernel *k = kernel_new(TGID);

	k->start_brk = S;
	k->brk = S + P;
	KSET(k, anon(S, S + P, RW), anon(A, A + 4 * P, RW));
	seed(k);
	/* The advice is a vm_flags bit: the VMA splits around the range. */
	KSET(k, anon(S, S + P, RW), anon(A, A + P, RW), anon(A + P, A + 2 * P, RW),
	     anon(A + 2 * P, A + 4 * P, RW));
	CALL(k, VMT_SYS_MADVISE, 0, A + P, P, advice);
	expect_model(k);
	return k;
}

Test(model, fork_inherits_wipeonfork_vmas_without_a_resync)
{
	struct kernel *k = parent_with_advice(MADV_WIPEONFORK);
	struct kernel *c = kernel_new(CHILD);
	struct model_proc *p;

	*c = *k;
	c->tgid = CHILD;
	fork_rec(k, c);
	p = expect_model(c);
	cr_assert_str_eq(p->comm, "child");
	cr_assert_eq(model_heap_size(p), P);
	expect_followed(k);
}

Test(model, fork_without_dontfork_vmas_resyncs_the_child)
{
	struct kernel *k = parent_with_advice(MADV_DONTFORK);
	struct kernel *c = kernel_new(CHILD);

	*c = *k;
	c->tgid = CHILD;
	KSET(c, anon(S, S + P, RW), anon(A, A + P, RW), anon(A + 2 * P, A + 4 * P, RW));
	fork_rec(k, c);
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(reseed_tgid, CHILD);
	expect_model(c);
	expect_model(k);
}

/* ---- every resync trigger ----------------------------------------------------------------------
 */

Test(model, count_mismatch_resyncs_and_a_match_does_not)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + P, RW), anon(A + P, A + 2 * P, RO));
	seed(k);
	CALL(k, VMT_SYS_MLOCKALL, 0, 3);
	cr_assert_eq(reseeds, 0);
	/* A merge that no range of the call shows (mlockall): only the count tells. */
	KSET(k, anon(A, A + 2 * P, RW));
	CALL(k, VMT_SYS_MUNLOCKALL, 0, 0);
	settle();
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(m->st.resyncs, 1);
	expect_model(k);
	CALL(k, VMT_SYS_MUNLOCKALL, 0, 0);
	cr_assert_eq(reseeds, 1);
}

/* r as it comes when bpf_find_vma() found mmap_lock taken: one resync, then the model matches. */
static void expect_resync_without_vmas(const struct kernel *k, struct vmt_syscall_rec *r)
{
	memset(r->vma, 0, sizeof(r->vma));
	apply(r, sizeof(*r));
	cr_assert_eq(reseeds, 1);
	expect_model(k);
}

Test(model, mmap_whose_vma_lookup_failed_resyncs)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec r;

	seed(k);
	KSET(k, anon(A, A + P, RW));
	r = sysrec(k, VMT_SYS_MMAP, A,
		   ARGS(0, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS));
	expect_resync_without_vmas(k, &r);
}

Test(model, mremap_whose_vma_lookup_failed_resyncs)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec r;

	KSET(k, anon(A, A + P, RW));
	seed(k);
	KSET(k, anon(B, B + 2 * P, RW));
	r = sysrec(k, VMT_SYS_MREMAP, B, ARGS(A, P, 2 * P, MREMAP_MAYMOVE_));
	expect_resync_without_vmas(k, &r);
}

Test(model, shmat_whose_vma_lookup_failed_resyncs)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec r;

	seed(k);
	KSET(k, file(A, A + 4 * P, RW | VMT_VM_MAYSHARE, 12, 0));
	r = sysrec(k, VMT_SYS_SHMAT, A, ARGS(7));
	cr_assert(r.vma[0].valid);
	apply(&r, sizeof(r));
	expect_followed(k);
	KSET(k, file(A, A + 4 * P, RW | VMT_VM_MAYSHARE, 12, 0),
	     file(B, B + 4 * P, RW | VMT_VM_MAYSHARE, 13, 0));
	r = sysrec(k, VMT_SYS_SHMAT, B, ARGS(8));
	expect_resync_without_vmas(k, &r);
}

Test(model, mremap_of_more_pieces_than_the_model_moves_resyncs)
{
	struct kernel *k = kernel_new(TGID);

	/* 20 pieces alternating read-write and read-only, moved at once (6.17+). */
	for (size_t i = 0; i < 20; i++)
		k->v[i] = anon(A + i * P, A + (i + 1) * P, i % 2 ? RO : RW);
	k->n = 20;
	seed(k);
	expect_model(k);
	for (size_t i = 0; i < 20; i++)
		k->v[i] = anon(B + i * P, B + (i + 1) * P, i % 2 ? RO : RW);
	CALL(k, VMT_SYS_MREMAP, B, A, 20 * P, 20 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, B);
	cr_assert_eq(reseeds, 1);
	expect_model(k);
}

Test(model, first_call_of_an_unknown_process_reads_it)
{
	struct kernel *k = kernel_new(2000);

	KSET(k, anon(A, A + P, RW), anon(B, B + P, RO));
	CALL(k, VMT_SYS_MUNMAP, 0, A + 8 * P, P);
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(reseed_tgid, 2000);
	expect_model(k);
}

Test(model, records_older_than_a_read_are_not_applied_again)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec old;

	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	/* A call that happened before the read below, delivered after it. */
	KSET(k, anon(A, A + P, RW), anon(A + 2 * P, A + 4 * P, RW));
	old = sysrec(k, VMT_SYS_MUNMAP, 0, ARGS(A + P, P));
	/* Since then the hole was mapped again (merged) and more: a mismatch reads the kernel. */
	KSET(k, anon(A, A + 4 * P, RW), anon(B, B + P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 1);
	settle();
	cr_assert_eq(reseeds, 1);
	expect_model(k);
	apply(&old, sizeof(old));
	expect_model(k);
	cr_assert_eq(reseeds, 1);
}

Test(model, records_from_during_a_read_are_applied_but_not_judged)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec r;

	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	KSET(k, anon(A, A + 4 * P, RW), anon(B, B + P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 1);
	settle();
	cr_assert_eq(reseeds, 1);
	/* A call made while the kernel was read: maybe in the read already, so the count
	 * (here one that the model cannot reach) is not judged, but the call is applied. */
	KSET(k, anon(A, A + P, RW), anon(A + 2 * P, A + 4 * P, RW), anon(B, B + P, RW));
	r = sysrec(k, VMT_SYS_MUNMAP, 0, ARGS(A + P, P));
	r.hdr.ts_ns = reseed_ts;
	r.map_count = 7;
	apply(&r, sizeof(r));
	cr_assert_eq(reseeds, 1);
	expect_model(k);
	/* After the read, the same mismatch is judged. */
	r = sysrec(k, VMT_SYS_MUNMAP, 0, ARGS(A + P, P));
	r.map_count = 7;
	apply(&r, sizeof(r));
	settle();
	cr_assert_eq(reseeds, 2);
}

Test(model, a_failed_read_is_counted)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + P, RW));
	seed(k);
	reseed_result = -EIO;
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 1);
	settle();
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(m->st.resync_failures, 1);
}

Test(model, exit_forgets_the_process)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_exit_rec r = { .hdr = { .type = VMT_REC_EXIT,
					   .flags = VMT_F_GROUP_DEAD,
					   .ts_ns = now(),
					   .tgid = TGID,
					   .tid = TGID } };

	KSET(k, anon(A, A + P, RW));
	seed(k);
	apply(&r, sizeof(r));
	cr_assert_null(model_proc_get(m, TGID));
	cr_assert_eq(m->st.procs_exited, 1);
}

/* ---- output ------------------------------------------------------------------------------------
 */

static int fake_file_path(void *ctx, uint32_t tgid, uint64_t start, uint64_t end, char *buf,
			  size_t size)
{
	(void)ctx;
	(void)end;
	cr_assert_eq(tgid, TGID);
	return snprintf(buf, size, "/usr/lib/lib%llx.so", (unsigned long long)(start >> 12 & 0xf));
}

static size_t fake_special_names(void *ctx, uint32_t tgid, struct model_special_name **out)
{
	struct model_special_name *v = calloc(1, sizeof(*v));

	(void)ctx;
	(void)tgid;
	v->start = B;
	snprintf(v->name, sizeof(v->name), "[vdso]");
	*out = v;
	return 1;
}

Test(model, maps_names_come_from_the_resolver)
{
	const struct model_resolver res = { .file_path = fake_file_path,
					    .special_names = fake_special_names };
	struct kernel *k = kernel_new(TGID);
	struct strbuf sb;

	k->start_brk = S;
	k->brk = S + P;
	KSET(k, anon(S, S + P, RW), file(A + P, A + 2 * P, RO | VMT_VM_EXEC, 0x1234, 2),
	     anon(B, B + 2 * P, RO | VMT_VM_EXEC | VMT_VM_DONTEXPAND),
	     anon(0x7ffc00000000ull, 0x7ffc00021000ull, RW | VMT_VM_GROWSDOWN));
	seed(k);
	sb_init(&sb);
	model_format_maps(m, model_proc_get(m, TGID), &res, &sb);
	/* The kernel's layout: the name starts in column 74. */
	cr_assert_str_eq(sb.buf,
			 "555555559000-55555555a000 rw-p 00000000 00:00 0                          "
			 "[heap]\n"
			 "7f0000001000-7f0000002000 r-xp 00002000 08:01 4660                       "
			 "/usr/lib/lib1.so\n"
			 "7f1000000000-7f1000002000 r-xp 00000000 00:00 0                          "
			 "[vdso]\n"
			 "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          "
			 "[stack]\n");
	/* Without a resolver: what the model knows itself. */
	sb_reset(&sb);
	model_format_maps(m, model_proc_get(m, TGID), NULL, &sb);
	cr_assert(strstr(sb.buf, "[heap]") && strstr(sb.buf, "[stack]"));
	cr_assert_null(strstr(sb.buf, "[vdso]"));
	sb_free(&sb);
}

Test(model, census_json_members_and_heap_sizes)
{
	struct kernel *k = kernel_new(TGID);
	struct strbuf sb;
	json_t *j, *kinds;
	long long v;

	k->start_brk = S;
	k->brk = S + 3 * P;
	KSET(k, anon(S, S + 3 * P, RW), anon(A, A + P, RW), anon(A + 2 * P, A + 3 * P, 0));
	seed(k);
	k->brk = S + P;
	KSET(k, anon(S, S + P, RW), anon(A, A + P, RW), anon(A + 2 * P, A + 3 * P, 0));
	CALL(k, VMT_SYS_BRK, S + P, S + P);
	sb_init(&sb);
	model_format_census(m, model_proc_get(m, TGID), &sb, true);
	cr_assert_eq(sb.buf[sb.len - 1], '\n');
	j = jr_parse(sb.buf, sb.len);
	cr_assert(j, "not JSON: %s", sb.buf);
	cr_assert(jr_int(j, "pid", &v) && v == TGID);
	cr_assert_str_eq(jr_str(j, "comm"), "test");
	cr_assert(jr_int(j, "vmas", &v) && v == 3);
	cr_assert(jr_int(j, "mapped", &v) && v == 3 * P);
	cr_assert(jr_int(j, "heap_size", &v) && v == P);
	cr_assert(jr_int(j, "heap_hwm", &v) && v == 3 * P);
	cr_assert(jr_int(j, "anon_4k_fragments", &v) && v == 1);
	cr_assert_str_eq(jr_str(j, "start_brk"), "0x555555559000");
	kinds = json_object_get(j, "kinds");
	cr_assert(json_object_size(kinds) == VK__COUNT);
	cr_assert(jr_int(json_object_get(kinds, "guard"), "count", &v) && v == 1);
	cr_assert(jr_int(json_object_get(json_object_get(kinds, "heap"), "sizes"), "4KiB", &v) &&
		  v == 1);
	json_decref(j);
	sb_reset(&sb);
	model_format_census(m, model_proc_get(m, TGID), &sb, false);
	cr_assert(strstr(sb.buf, "census of test[1000]: 3 VMAs, 12KiB mapped\n"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "heap: 4KiB (high-water 12KiB)\n"), "%s", sb.buf);
	sb_free(&sb);
}

Test(model, timeline_json_lines)
{
	struct kernel *k = kernel_new(TGID);
	struct strbuf sb;
	json_t *j;
	long long v;

	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	KSET(k, anon(A, A + P, RW), anon(A + 2 * P, A + 4 * P, RW));
	CALL(k, VMT_SYS_MUNMAP, 0, A + P, P);
	sb_init(&sb);
	model_format_timeline(m, model_proc_get(m, TGID), &sb, true, 0);
	j = jr_parse(sb.buf, sb.len);
	cr_assert(j, "not one JSON line: %s", sb.buf);
	cr_assert(jr_int(j, "vmas", &v) && v == 2);
	cr_assert(jr_int(j, "vmas_max", &v) && v == 2);
	cr_assert(jr_int(j, "mapped", &v) && v == 3 * P);
	cr_assert(jr_int(j, "calls", &v) && v == 1);
	cr_assert(jr_int(j, "failures", &v) && v == 0);
	cr_assert(jr_int(j, "heap", &v) && v == 0);
	cr_assert(jr_int(j, "ts", &v));
	json_decref(j);
	sb_free(&sb);
}

Test(model, defaults_are_the_configs)
{
	cr_assert_eq(m->cfg.timeline_resolution_ns, MODEL_DEFAULT_TIMELINE_RESOLUTION_NS);
	cr_assert_eq(m->cfg.timeline_points, MODEL_DEFAULT_TIMELINE_POINTS);
	cr_assert_eq(m->cfg.flight_events, MODEL_DEFAULT_FLIGHT_EVENTS);
	cr_assert_eq(m->cfg.memory_limit, MODEL_DEFAULT_MEMORY_LIMIT);
}

/* ---- the /proc fallback ------------------------------------------------------------------------
 */

Test(procfs, stat_start_brk_is_field_47_after_a_comm_with_parentheses)
{
	/* A real line (man 5 proc): 45 start_data, 46 end_data, 47 start_brk, 48 arg_start. */
	static const char line[] =
		"4242 (a (b) c) S 1 4242 4242 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0 1234 "
		"8765440 512 18446744073709551615 94798951002112 94798951014313 "
		"140725721923072 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94798951026096 "
		"94798951026712 94799657750528 140725721925610 140725721925825 "
		"140725721925825 140725721927631 0\n";
	uint64_t start_brk = 0;

	cr_assert_eq(procfs_parse_stat(line, &start_brk), 0);
	cr_assert_eq(start_brk, 94799657750528ull);
	cr_assert_eq(procfs_parse_stat("4242 (x) S 1 2 3\n", &start_brk), -EINVAL);
	cr_assert_eq(procfs_parse_stat("garbage", &start_brk), -EINVAL);
}

Test(procfs, smaps_gives_the_iterators_vm_flags)
{
	static const char text[] =
		"555555554000-555555556000 r-xp 00001000 08:01 131 /usr/bin/x\n"
		"Size:                  8 kB\n"
		"VmFlags: rd ex mr mw me dw sd\n"
		"555555559000-55555557a000 rw-p 00000000 00:00 0                          [heap]\n"
		"VmFlags: rd wr mr mw me ac sd\n"
		"7ffff7fc1000-7ffff7fc5000 r--p 00000000 00:00 0                          [vvar]\n"
		"VmFlags: rd mr pf io de dd sd\n"
		"7ffff7ff0000-7ffff7ff1000 rw-s 00000000 00:05 99 /dev/zero (deleted)\n"
		"VmFlags: rd wr sh mr mw me ms sd\n"
		"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
		"VmFlags: rd wr mr mw me gd ac nh\n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
		"VmFlags: ex\n";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	struct vmt_vma *v;
	uint64_t heap_end;
	long n;

	cr_assert(f);
	n = procfs_parse_smaps(f, &v, &heap_end);
	fclose(f);
	cr_assert_eq(n, 5);
	cr_assert_eq(heap_end, 0x55555557a000ull);
	cr_assert_eq(v[0].vm_flags, VMT_VM_READ | VMT_VM_EXEC);
	cr_assert_eq(v[0].pgoff, 1);
	cr_assert_eq(v[0].ino, 131);
	cr_assert_eq(v[0].dev, 8u << 20 | 1);
	cr_assert_eq(v[1].vm_flags, RW);
	cr_assert_eq(v[2].vm_flags, RO | VMT_VM_PFNMAP | VMT_VM_IO | VMT_VM_DONTEXPAND);
	cr_assert_eq(v[3].vm_flags, RW | VMT_VM_MAYSHARE);
	cr_assert_eq(v[4].vm_flags, RW | VMT_VM_GROWSDOWN | VMT_VM_NOHUGEPAGE);
	for (long i = 0; i < n; i++)
		cr_assert(v[i].valid);
	free(v);
}

struct rec_count {
	struct vmt_iter_rec first;
	uint32_t recs;
	struct model_seeder seeder;
};

static int count_recs(void *ctx, const struct vmt_iter_rec *r)
{
	struct rec_count *c = ctx;

	if (!c->recs++)
		c->first = *r;
	else
		cr_assert_eq(r->kind, VMT_ITER_VMA);
	cr_assert_eq(r->tgid, c->first.tgid);
	return c->seeder.m ? model_seed_iter(&c->seeder, r) : 0;
}

Test(procfs, seeding_this_process_feeds_the_model_the_iterators_records)
{
	struct rec_count c = { .seeder = { .m = model_new(NULL) } };
	struct model_proc *p;
	uint64_t brk;
	char msg[256];

	cr_assert_eq(procfs_seed(getpid(), count_recs, &c), 0);
	model_seeder_end(&c.seeder);
	brk = (uint64_t)sbrk(0);
	cr_assert_eq(c.first.kind, VMT_ITER_PROC);
	cr_assert_eq(c.first.tgid, (uint32_t)getpid());
	cr_assert_eq(c.recs, c.first.map_count + 1, "one PROC, then map_count VMA records");
	p = model_proc_get(c.seeder.m, getpid());
	cr_assert(p);
	cr_assert_eq(vmamap_check(p->map, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(model_vma_count(p), c.first.map_count);
	cr_assert_neq(p->start_brk, 0);
	/* The break, not arg_start (field 48): the [heap] VMA's end, or start_brk without one. */
	cr_assert(p->brk == p->start_brk || p->brk == ((brk + P - 1) & ~(P - 1)),
		  "brk %#llx, sbrk(0) %#llx", (unsigned long long)p->brk, (unsigned long long)brk);
	cr_assert_lt(model_heap_hwm(p), 1ull << 40);
	cr_assert_eq(p->count[VK_STACK], 1);
	cr_assert_eq(procfs_seed(0x7ffffffe, count_recs, &c), -ENOENT);
	model_free(c.seeder.m);
}

Test(model, two_threads_out_of_order_need_no_resync)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec first, second;

	KSET(k, anon(A, A + P, RW));
	seed(k);
	/* Thread 1 maps B, then thread 2 maps C; thread 2's record reaches us first. */
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW));
	first = sysrec(k, VMT_SYS_MMAP, B, ARGS(0, P, PROT_READ | PROT_WRITE, 0x22, -1, 0));
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW), anon(C, C + P, RW));
	second = sysrec(k, VMT_SYS_MMAP, C, ARGS(0, P, PROT_READ | PROT_WRITE, 0x22, -1, 0));
	apply(&second, sizeof(second)); /* the model has 2, the kernel said 3: held */
	apply(&first, sizeof(first));	/* now 3: the first record said 2, the held one 3 */
	cr_assert_eq(reseeds, 0, "a reorder the next record explains is no reason to resync");
	expect_model(k);
	model_tick(m, now() + 2 * MODEL_SUSPECT_NS);
	cr_assert_eq(reseeds, 0);
}

Test(model, a_mismatch_that_lasts_resyncs_at_the_next_record_or_the_tick)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + P, RW));
	seed(k);
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 1); /* a VMA the model cannot know of: held */
	cr_assert_eq(reseeds, 0);
	CALL(k, VMT_SYS_MLOCKALL, 0, 1); /* still unexplained: read the kernel */
	cr_assert_eq(reseeds, 1);
	expect_model(k);
	/* And when no record follows: model_tick() resolves it after MODEL_SUSPECT_NS. */
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW), anon(C, C + P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 1);
	cr_assert_eq(reseeds, 1);
	model_tick(m, now() + 2 * MODEL_SUSPECT_NS);
	cr_assert_eq(reseeds, 2);
	expect_model(k);
}
