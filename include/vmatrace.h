/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Records shared by the BPF programs (bpf/) and userspace (src/).
 * Only fixed-width __u32/__u64-style types: this header is compiled for both targets.
 */
#ifndef VMATRACE_H
#define VMATRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "vmt_syscalls.h"

#define VMT_COMM_LEN 16
#define VMT_MAX_STACK 32
#define VMT_MAX_ARGS 6
#define VMT_PATH_LEN 64

/* Every ring-buffer record starts with one of these in struct vmt_hdr.type. */
enum vmt_record_type {
	VMT_REC_SYSCALL = 1, /* a VMA/brk-changing syscall returned */
	VMT_REC_FORK = 2,    /* a new process (not thread) was created */
	VMT_REC_EXEC = 3,    /* a process replaced its image */
	VMT_REC_EXIT = 4,    /* a thread exited; group_dead marks the process's end */
	VMT_REC_OOM = 5,     /* the OOM killer chose a victim */
	VMT_REC_VMA = 6,     /* one VMA of a freshly exec'd address space */
};

/*
 * Syscalls we trace, in our own numbering (stable across architectures): one
 * row each in vmt_syscalls.h.
 */
#define VMT_SYS_ENUM_ROW(id, num, ...) VMT_SYS_##id = num,
enum vmt_sys {
	VMT_SYSCALLS(VMT_SYS_ENUM_ROW) VMT_SYS__COUNT,
};
#undef VMT_SYS_ENUM_ROW

/* Per-CPU statistics kept by the BPF side (index into the stats array). */
enum vmt_stat_idx {
	VMT_STAT_EVENTS = 0,	/* records submitted */
	VMT_STAT_DROPS,		/* bpf_ringbuf_reserve() failed: ring buffer full */
	VMT_STAT_FIND_VMA_BUSY, /* bpf_find_vma() could not take mmap_lock */
	VMT_STAT_VMA_WALK_MISS, /* the lockless lookup gave way to bpf_find_vma() */
	VMT_STAT__COUNT,
};

/* Bits of struct vmt_hdr.flags */
#define VMT_F_GROUP_DEAD (1u << 0) /* exit: last thread of the process */
#define VMT_F_HAS_STACK (1u << 1)  /* syscall: user stack follows */
#define VMT_F_TRACED_NEW (1u << 2) /* fork: child added to the traced set */
#define VMT_F_HAS_USTACK (1u << 3) /* syscall: user registers and a stack window follow */
/*
 * Syscall records without a stack are as long as the VMAs they carry: NO_VMA ends before
 * vma[] (a munmap, a failed call: 144 bytes), ONE_VMA after vma[0] (192), neither is the
 * whole struct (240). Each flag means that exact size; the ring's bytes per munmap fell by
 * 40%. Userspace widens a short record to the whole struct, vma[] zero (invalid), flags off,
 * before anything else reads it (decode_rec_widen), so journals hold whole records.
 */
#define VMT_F_NO_VMA (1u << 4)
#define VMT_F_ONE_VMA (1u << 5)

struct vmt_hdr {
	__u32 type; /* enum vmt_record_type */
	__u32 flags;
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 tgid;
	__u32 tid;
	char comm[VMT_COMM_LEN];
	__u32 uid; /* real uid of the task that made the record (alerts are limited per uid) */
	/*
	 * Syscall records: the mm's mmap-lock sequence count when the record was made, which
	 * every write lock of the map advances, so records of two CPUs can be put in the order
	 * the kernel changed the map in; 0 where the kernel has none (before 6.4, or without
	 * CONFIG_PER_VMA_LOCK). 0 in other records.
	 */
	__u32 mm_seq;
};

/* One VMA as bpf_find_vma() (or the exec walk) saw it. */
struct vmt_vma {
	__u64 start;
	__u64 end;
	__u64 vm_flags; /* VM_READ, VM_WRITE, VM_EXEC, VM_SHARED, VM_GROWSDOWN... */
	__u64 pgoff;	/* in pages */
	__u64 ino;	/* 0 for anonymous */
	__u32 dev;	/* kernel dev_t (MAJOR << 20 | MINOR) */
	__u32 valid;	/* 0: no VMA at that address (or lookup failed) */
};

struct vmt_syscall_rec {
	struct vmt_hdr hdr;
	__u16 sys;	 /* enum vmt_sys */
	__u16 nstack;	 /* user stack frames in stack[] when VMT_F_HAS_STACK */
	__u32 map_count; /* mm->map_count after the call */
	__s64 ret;
	__u64 args[VMT_MAX_ARGS];
	__u64 start_brk;
	__u64 brk;
	__u64 total_vm;	       /* pages */
	__u64 stack_vm;	       /* pages of the grows-down stack: tells where it starts now */
	struct vmt_vma vma[2]; /* resulting VMA at the start and at the end of the range */
};

#define VMT_SYSCALL_SIZE_NO_VMA __builtin_offsetof(struct vmt_syscall_rec, vma[0])
#define VMT_SYSCALL_SIZE_ONE_VMA __builtin_offsetof(struct vmt_syscall_rec, vma[1])

struct vmt_syscall_stack_rec {
	struct vmt_syscall_rec rec;
	__u64 stack[VMT_MAX_STACK];
};

/*
 * For DWARF unwinding in userspace (as perf --call-graph dwarf): the user
 * registers at the syscall and a copy of the stack from the stack pointer up,
 * at most the configured window and never past the end of the stack's VMA
 * (bpf_probe_read_user copies all or nothing). The record's size is
 * sizeof(struct vmt_syscall_rec) + sizeof(struct vmt_ustack) + len.
 */
#define VMT_USTACK_NREGS 17	   /* DWARF x86_64: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip */
#define VMT_USTACK_MAX (64u << 10) /* the largest window */
#define VMT_USTACK_DEFAULT (16u << 10)
#define VMT_USTACK_CUT (1u << 0) /* the window ended before the stack did */

struct vmt_ustack {
	__u64 regs[VMT_USTACK_NREGS];
	__u32 len;    /* bytes of stack that follow */
	__u32 flags;  /* VMT_USTACK_* */
	__u32 weight; /* calls this sample stands for (sampling every Nth: N; otherwise 1) */
	__u32 pad;
};

struct vmt_syscall_ustack_rec {
	struct vmt_syscall_rec rec;
	struct vmt_ustack us;
	__u8 data[VMT_USTACK_MAX]; /* only us.len bytes are sent */
};

struct vmt_fork_rec {
	struct vmt_hdr hdr; /* the parent */
	__u32 child_tgid;
	__u32 child_tid;
	char child_comm[VMT_COMM_LEN];
	__u32 map_count; /* parent's, which the child inherits */
	__u32 pad;
	__u64 start_brk;
	__u64 brk;
};

struct vmt_exec_rec {
	struct vmt_hdr hdr; /* comm is the new one */
	__u32 old_tid;	    /* the thread that called exec (its tid becomes tgid) */
	__u32 map_count;    /* of the new address space */
	__u64 start_brk;
	__u64 brk;
	__u32 nvmas; /* VMT_REC_VMA records that follow (may be fewer if truncated) */
	__u32 pad;
	__u64 memcg_id; /* kernfs id of its memory cgroup (0: none) */
	char filename[VMT_PATH_LEN];
};

struct vmt_vma_rec {
	struct vmt_hdr hdr;
	__u32 index;
	__u32 pad;
	struct vmt_vma vma;
};

struct vmt_exit_rec {
	struct vmt_hdr hdr; /* VMT_F_GROUP_DEAD set when the whole process is gone */
	__s32 exit_code;    /* raw wait status: (code << 8) | signal */
	__u32 map_count;    /* 0 when the mm was already released */
	__u64 start_brk;
	__u64 brk;
	__u64 total_vm;
};

struct vmt_oom_rec {
	struct vmt_hdr hdr; /* the triggering task (current when the victim was marked) */
	__u32 victim_pid;
	__u32 uid;
	char victim_comm[VMT_COMM_LEN];
	__u64 total_vm_kb;
	__u64 anon_rss_kb;
	__u64 file_rss_kb;
	__u64 shmem_rss_kb;
	__u64 pgtables_kb;
	__s16 oom_score_adj;
	__u16 present; /* VMT_OOM_HAS_* bits: which fields this kernel reports */
	__u32 victim_map_count;
	__u64 trigger_memcg_id; /* the triggering task's memory cgroup (kernfs id) */
};

#define VMT_OOM_HAS_TOTAL_VM (1u << 0)
#define VMT_OOM_HAS_RSS (1u << 1)
#define VMT_OOM_HAS_UID (1u << 2)
#define VMT_OOM_HAS_PGTABLES (1u << 3)
#define VMT_OOM_HAS_SCORE_ADJ (1u << 4)

/*
 * Records of the iter/task_vma seeding iterator (read from its fd, not from
 * the ring buffer): a PROC record, then that process's VMA records.
 */
enum vmt_iter_kind { VMT_ITER_PROC = 1, VMT_ITER_VMA = 2 };

/*
 * One process as the pid_map iterator sees it: its tgid in the kernel (what every record
 * carries) and in the reading process's own PID namespace. The first pair is the reader.
 */
struct vmt_pid_pair {
	__u32 host;
	__u32 ns;
};

struct vmt_iter_rec {
	__u32 kind; /* enum vmt_iter_kind */
	__u32 tgid;
	__u32 map_count;
	__u32 pad;
	__u64 start_brk;
	__u64 brk;
	__u64 memcg_id;
	char comm[VMT_COMM_LEN];
	struct vmt_vma vma; /* VMT_ITER_VMA */
};

/*
 * The traced set: a bit per tgid in two bitmaps in the programs' .bss (traced,
 * and follow-children), PID_MAX_LIMIT bits each. A test is one load, where a
 * hash map lookup cost the untraced and the traced alike a hash and two or
 * three cache lines on every call.
 */
#define VMT_TGID_LIMIT (1u << 22) /* PID_MAX_LIMIT on 64-bit kernels */
#define VMT_TGID_WORDS (VMT_TGID_LIMIT / 64)

#endif /* VMATRACE_H */
