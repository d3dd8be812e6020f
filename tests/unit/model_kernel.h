/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the model's unit tests share (test_model*.c): a fake kernel (the VMAs
 * it holds now), records built from it as the BPF side builds them, a fake
 * reseed that reads it, and the oracle: after each step the model must equal
 * the fake kernel, VMA for VMA, and pass the B+tree's structural checker.
 */
#ifndef TESTS_MODEL_KERNEL_H
#define TESTS_MODEL_KERNEL_H

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

static __attribute__((unused)) struct kernel kern[4];
static __attribute__((unused)) size_t nkern;
static __attribute__((unused)) struct model *m;
static __attribute__((unused)) int reseeds;
static __attribute__((unused)) uint32_t reseed_tgid;
static __attribute__((unused)) int reseed_result;
static __attribute__((unused)) uint64_t reseed_ts; /* a moment inside the last read */

static inline uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* the records' clock, which the model compares */
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline struct kernel *kernel_of(uint32_t tgid)
{
	for (size_t i = 0; i < nkern; i++)
		if (kern[i].tgid == tgid)
			return &kern[i];
	return NULL;
}

static inline struct kernel *kernel_new(uint32_t tgid)
{
	struct kernel *k = &kern[nkern++];

	memset(k, 0, sizeof(*k));
	k->tgid = tgid;
	return k;
}

static inline struct vmt_vma anon(uint64_t start, uint64_t end, uint64_t flags)
{
	return (struct vmt_vma){ .start = start, .end = end, .vm_flags = flags, .valid = 1 };
}

static inline struct vmt_vma file(uint64_t start, uint64_t end, uint64_t flags, uint64_t ino,
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

static inline void kset(struct kernel *k, const struct vmt_vma *v, size_t n)
{
	memcpy(k->v, v, n * sizeof(*v));
	k->n = n;
}

/* One more VMA in k, in address order. */
static inline void kernel_add(struct kernel *k, struct vmt_vma v)
{
	size_t i = k->n;

	while (i > 0 && k->v[i - 1].start > v.start) {
		k->v[i] = k->v[i - 1];
		i--;
	}
	k->v[i] = v;
	k->n++;
}

#define KSET(k, ...)                                     \
	kset(k, (const struct vmt_vma[]){ __VA_ARGS__ }, \
	     sizeof((const struct vmt_vma[]){ __VA_ARGS__ }) / sizeof(struct vmt_vma))

static inline struct vmt_vma lookup(const struct kernel *k, uint64_t addr)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].start <= addr && addr < k->v[i].end)
			return k->v[i];
	return (struct vmt_vma){ 0 };
}

/* The kernel's records of a read (the iterator's, or procfs's) into the model. */
static inline void feed_iter(struct model_seeder *s, const struct kernel *k)
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

static inline int fake_reseed(void *ctx, uint32_t tgid)
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
static inline void seed(const struct kernel *k)
{
	struct model_seeder s = { .m = m };

	feed_iter(&s, k);
}

static inline void setup(void)
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

static inline void teardown(void)
{
	model_free(m);
}

/* ---- records, as the BPF side fills them ---------------------------------------------------- */

enum lookup { L_NONE, L_RET_LEN, L_ARG_RANGE, L_BRK };

static __attribute__((unused)) const struct {
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
static inline struct vmt_syscall_rec sysrec(const struct kernel *k, enum vmt_sys sys, int64_t ret,
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
	/* mm->stack_vm: the pages of grows-down VMAs, as every record carries it. */
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].vm_flags & VMT_VM_GROWSDOWN)
			r.stack_vm += (k->v[i].end - k->v[i].start) / P;
	/* Failed range calls are looked up too: they may have changed VMAs before failing. */
	if (ret < 0 && ret >= -4095 && how != L_ARG_RANGE)
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

static inline void apply(const void *rec, size_t size)
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
static inline void settle(void)
{
	model_settle(m, model_proc_get(m, TGID));
}

/* ---- the oracle ------------------------------------------------------------------------------ */

static inline uint16_t perms_of(uint64_t vm)
{
	return (vm & VMT_VM_READ ? VF_READ : 0) | (vm & VMT_VM_WRITE ? VF_WRITE : 0) |
	       (vm & VMT_VM_EXEC ? VF_EXEC : 0) | (vm & VMT_VM_MAYSHARE ? VF_MAYSHARE : 0) |
	       (vm & VMT_VM_GROWSDOWN ? VF_GROWSDOWN : 0);
}

static inline struct model_proc *expect_model(const struct kernel *k)
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
static inline void expect_followed(const struct kernel *k)
{
	expect_model(k);
	cr_assert_eq(reseeds, 0, "the model had to be reseeded");
}

#endif
