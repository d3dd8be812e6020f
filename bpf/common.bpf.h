/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Maps, load-time settings and helpers shared by every vmatrace BPF program. */
#ifndef VMATRACE_COMMON_BPF_H
#define VMATRACE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "vmatrace.h"

#include "maps.bpf.h"

extern struct events_map events SEC(".maps");
extern struct stats_map stats SEC(".maps");
extern struct ustack_scratch_map ustack_scratch SEC(".maps");
extern struct cpu_state_map cpu_state_map SEC(".maps");
extern __u64 traced_bits[VMT_TGID_WORDS];  /* the traced set, a bit per tgid */
extern __u64 follow_bits[VMT_TGID_WORDS];  /* and whether a fork adds the child */
extern __u64 lost_bits[VMT_TGID_WORDS];	   /* processes whose records were dropped */
extern const volatile bool trace_all;	   /* every process, not only traced_bits */
extern __u32 self_tgid;			   /* never trace ourselves: no feedback loop */
extern const volatile bool capture_stack;  /* append the user stack to syscall records */
extern const volatile __u32 ustack_window; /* bytes of user stack for DWARF unwinding (0: off) */
extern __u32 ustack_every;     /* a window for one call in this many, at random (1: all) */
extern __u32 ustack_all_above; /* and for every call of a process with more VMAs (0: off) */
extern const volatile __u64 wakeup_backlog; /* wake the consumer only past this many bytes */
extern const volatile bool regs_cast;	    /* task_regs() may cast (bpf_rdonly_cast) */
extern __u64 regs_off;			    /* task_regs(): regs - stack, 0 until learnt */

/*
 * Every helper call is a call and a return through the kernel's return thunk (AMD's SRSO
 * mitigation, retpolines): ~25-50 ns each on this design's hosts, as much as the rest of a
 * munmap record's work. What a plain load or a few ALU operations can do does not call one
 * (docs/BENCHMARKS.md, "Helper calls").
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __weak __ksym;

/* This CPU's state; a per-CPU array lookup is inlined by the verifier. */
static __always_inline struct vmt_cpu_state *cpu_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_state_map, &zero);
}

/*
 * A pseudo-random 32 bits: xorshift64 on this CPU's state, seeded by the kernel's generator
 * at the CPU's first draw. For choosing which calls get a stack window: unbiased enough, and
 * no helper call per record.
 */
static __always_inline __u32 rng_next(void)
{
	struct vmt_cpu_state *s = cpu_state();
	__u64 x;

	if (!s)
		return bpf_get_prandom_u32();
	x = s->rng;
	if (!x)
		x = ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32() | 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rng = x;
	return x >> 32;
}

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/*
 * The word of a tgid's bit. The mask keeps the index in bounds where the
 * verifier can see it; the barrier keeps the compiler from dropping the mask
 * as redundant after the caller's range check (which the verifier tracks on
 * another register).
 */
static __always_inline __u32 tgid_word(__u32 tgid)
{
	__u32 word = tgid / 64;

	barrier_var(word);
	return word & (VMT_TGID_WORDS - 1);
}

static __always_inline bool tgid_bit(__u64 *bits, __u32 tgid)
{
	if (tgid >= VMT_TGID_LIMIT)
		return false;
	return bits[tgid_word(tgid)] & (1ull << (tgid % 64));
}

static __always_inline void tgid_bit_set(__u64 *bits, __u32 tgid, bool on)
{
	if (tgid >= VMT_TGID_LIMIT)
		return;
	if (on)
		__sync_fetch_and_or(&bits[tgid_word(tgid)], 1ull << (tgid % 64));
	else
		__sync_fetch_and_and(&bits[tgid_word(tgid)], ~(1ull << (tgid % 64)));
}

static __always_inline bool is_traced(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (trace_all)
		return true;
	return tgid_bit(traced_bits, tgid);
}

/* A record of tgid was lost: count it, and mark the process for userspace to read again. */
static __always_inline void rec_lost(__u32 tgid)
{
	/* The bit first: userspace looks for bits once it sees the count grow. */
	tgid_bit_set(lost_bits, tgid, true);
	stat_inc(VMT_STAT_DROPS);
}

/*
 * Reserve a record of tgid or count the loss. Every caller fills every byte
 * of what it gets (the header here, the rest itself).
 */
static __always_inline void *rec_reserve(__u64 size, __u32 tgid)
{
	void *rec = bpf_ringbuf_reserve(&events, size, 0);

	if (!rec)
		rec_lost(tgid);
	return rec;
}

/* A CPU looks at the backlog once per this many of its records. */
#define WAKE_CHECK_EVERY 64
/* and wakes the consumer when the backlog is between wakeup_backlog and this much above it. */
#define WAKE_WINDOW (64 << 10)

/*
 * Submit without waking the consumer: userspace polls on a short timer, and a wakeup per
 * record (an irq_work, an IPI on a VM) costs more than the rest of the program. Only when
 * the backlog passes wakeup_backlog (a flood on many CPUs can fill the ring between two
 * polls) is it woken: each CPU looks at the backlog once per WAKE_CHECK_EVERY of its records
 * (the query is a helper call) and wakes it while the backlog is inside a window above the
 * mark. Above the window the consumer is already reading without a pause (tracer.c), and
 * waking it on every look would be a storm.
 */
static __always_inline __u64 wake_flags(void)
{
	struct vmt_cpu_state *s = cpu_state();
	__u64 avail;

	if (s && ++s->nrec % WAKE_CHECK_EVERY)
		return BPF_RB_NO_WAKEUP;
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (avail >= wakeup_backlog && avail < wakeup_backlog + WAKE_WINDOW)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void rec_submit(void *rec)
{
	bpf_ringbuf_submit(rec, wake_flags());
}

/* A record built elsewhere (the per-CPU scratch), copied into the ring; a loss is counted. */
static __always_inline void rec_output(void *rec, __u64 size)
{
	if (bpf_ringbuf_output(&events, rec, size, wake_flags()))
		rec_lost(((struct vmt_hdr *)rec)->tgid);
}

/* task: the current task, as a BTF pointer the caller already holds. */
static __always_inline void hdr_fill(struct vmt_hdr *h, struct task_struct *task, __u32 type,
				     __u32 tgid, __u32 tid)
{
	h->type = type;
	h->flags = 0;
	h->ts_ns = bpf_ktime_get_ns();
	h->tgid = tgid;
	h->tid = tid;
	/* What bpf_get_current_uid_gid() returns (the uid in the initial namespace), by loads. */
	h->uid = task->cred->uid.val;
	h->mm_seq = 0;
	/*
	 * Two plain loads rather than bpf_get_current_comm()'s call and string
	 * copy. The kernel keeps comm NUL-terminated within its 16 bytes; a
	 * rename racing with this load gives a mix of the two names, which
	 * userspace prints only up to the first NUL, like the helper's.
	 */
	__builtin_memcpy(h->comm, task->comm, sizeof(h->comm));
}

/*
 * The current task's saved user registers. bpf_task_pt_regs() is a helper call; the registers
 * sit at a fixed offset from the task's kernel stack (the top of it, the same for every task
 * of this kernel), learnt from the helper at the first call and cast to after that (6.2+).
 * The cast gives an untrusted pointer: its loads are checked (a fault reads 0), never trusted.
 */
static __always_inline struct pt_regs *task_regs(struct task_struct *task)
{
	__u64 stack = (__u64)task->stack, off = regs_off;
	struct pt_regs *regs;

	if (regs_cast && off)
		return bpf_rdonly_cast((void *)(stack + off),
				       bpf_core_type_id_kernel(struct pt_regs));
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (regs_cast)
		regs_off = (__u64)regs - stack;
	return regs;
}

struct vmt_mm_state {
	__u32 map_count;
	__u32 lock_seq; /* vmt_hdr.mm_seq */
	__u64 start_brk;
	__u64 brk;
	__u64 total_vm;
	__u64 stack_vm;
};

/*
 * The kernfs id (= inode number of its directory) of a task's memory cgroup,
 * 0 without memcg. Userspace turns it into a path; a process OOM-killed a
 * millisecond after exec is gone before /proc/PID/cgroup could be read.
 */
static __always_inline __u64 task_memcg_id(struct task_struct *t)
{
	struct cgroup_subsys_state *css;
	int id;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return 0;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (id < 0 || id >= 12)
		return 0;
	css = BPF_CORE_READ(t, cgroups, subsys[id]);
	if (!css)
		return 0;
	return BPF_CORE_READ(css, cgroup, kn, id);
}

/* 6.4 to 6.12 kept the mmap lock's sequence as a plain int (6.13: a seqcount, mm_lock_seq.sequence). */
struct mm_struct___int_seq {
	int mm_lock_seq;
} __attribute__((preserve_access_index));

/*
 * The mm's mmap-lock sequence, 0 where the kernel has none (Debian 12's 6.1). 6.13 and later
 * advance it at a write lock and again at its unlock; 6.4-6.12 once per write lock, at the unlock.
 * Either way it grows with every change of the map.
 */
static __always_inline __u32 mm_lock_seq(struct mm_struct *mm)
{
	if (bpf_core_field_exists(mm->mm_lock_seq.sequence))
		return mm->mm_lock_seq.sequence;
	if (bpf_core_field_exists(((struct mm_struct___int_seq *)mm)->mm_lock_seq))
		return BPF_CORE_READ((struct mm_struct___int_seq *)mm, mm_lock_seq);
	return 0;
}

/*
 * task, mm and vma are BTF pointers here (bpf_get_current_task_btf, the
 * iterators, bpf_find_vma): plain loads, checked by the kernel's fault
 * handling, cost far less than a bpf_probe_read_kernel() call per field.
 */
static __always_inline void mm_state_read(struct task_struct *task, struct vmt_mm_state *s)
{
	struct mm_struct *mm = task->mm;

	if (!mm) {
		s->map_count = s->lock_seq = 0;
		s->start_brk = s->brk = s->total_vm = s->stack_vm = 0;
		return;
	}
	/* The sequence first: the count is then of that change or a later one, never older. */
	s->lock_seq = mm_lock_seq(mm);
	asm volatile("" ::: "memory");
	s->map_count = mm->map_count;
	s->start_brk = mm->start_brk;
	s->brk = mm->brk;
	s->total_vm = mm->total_vm;
	s->stack_vm = mm->stack_vm;
}

static __always_inline void vma_fill(struct vmt_vma *out, struct vm_area_struct *vma)
{
	struct file *file = vma->vm_file;

	out->start = vma->vm_start;
	out->end = vma->vm_end;
	out->vm_flags = vma->vm_flags;
	out->pgoff = vma->vm_pgoff;
	out->ino = 0;
	out->dev = 0;
	if (file) {
		out->ino = file->f_inode->i_ino;
		out->dev = file->f_inode->i_sb->s_dev;
	}
	out->valid = 1;
}

/*
 * The same through bpf_probe_read_kernel(): inside an open-coded iterator loop,
 * the verifier converges on this far faster than on plain loads (seconds vs ms).
 */
static __always_inline void vma_fill_probe(struct vmt_vma *out, struct vm_area_struct *vma)
{
	struct file *file = BPF_CORE_READ(vma, vm_file);

	out->start = BPF_CORE_READ(vma, vm_start);
	out->end = BPF_CORE_READ(vma, vm_end);
	out->vm_flags = BPF_CORE_READ(vma, vm_flags);
	out->pgoff = BPF_CORE_READ(vma, vm_pgoff);
	out->ino = 0;
	out->dev = 0;
	if (file) {
		out->ino = BPF_CORE_READ(file, f_inode, i_ino);
		out->dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	}
	out->valid = 1;
}

#endif
