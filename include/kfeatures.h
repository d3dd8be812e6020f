/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What this kernel offers the BPF side, and what vmatrace does without each piece: probed
 * from the kernel's BTF and tracefs before loading, so that the fallbacks are chosen (and
 * said) in one place, and listed by `vmatrace status` and `vmatrace --version -v`.
 */
#ifndef VMATRACE_KFEATURES_H
#define VMATRACE_KFEATURES_H

#include <stdbool.h>

#include "strbuf.h"

struct btf;
struct jsonw;

/* clang-format off */
/* X(ID, name, what it is, what vmatrace does without it) */
#define KFEATURES(X)									\
X(VMA_WALK, "vma_walk",									\
  "lockless VMA lookups (bpf_rdonly_cast, bpf_iter_num, mm_struct.mm_lock_seq)",	\
  "VMAs are looked up with bpf_find_vma() under mmap_lock, retried while another "	\
  "thread's writer holds it")								\
X(REGS_CAST, "regs_cast",								\
  "a syscall's registers read by a cast from the task's stack (bpf_rdonly_cast)",	\
  "each record reads them through bpf_task_pt_regs(), a helper call")		\
X(EXEC_VMAS, "exec_vmas",								\
  "the open-coded VMA iterator (bpf_iter_task_vma_new)",				\
  "an exec'd process's new address space is read from /proc/PID/maps")		\
X(OOM_TRACEPOINT, "oom_tracepoint",							\
  "tracepoint oom/mark_victim",								\
  "OOM kills are not recorded")								\
X(OOM_SIZES, "oom_sizes",								\
  "the victim's sizes and uid in oom/mark_victim (total_vm, anon_rss, uid...)",	\
  "an OOM record has the victim's pid and name; its sizes are the model's")		\
X(SYSCALLS, "syscall_tracepoints",							\
  "an exit tracepoint for every syscall that changes VMAs",				\
  "the calls listed as missing are not traced (the model resyncs after them)")
/* clang-format on */

enum kfeature {
#define KF_ENUM(id, ...) KF_##id,
	KFEATURES(KF_ENUM)
#undef KF_ENUM
		KF_COUNT
};

struct kfeatures {
	bool has[KF_COUNT];
	unsigned long missing_syscalls; /* bit VMT_SYS_x: no tracepoint syscalls/sys_exit_x */
	bool tracing_known;		/* false: no tracing directory could be read (not root?) */
};

/*
 * Probe vmlinux (the kernel's BTF) and the tracing directories (tracefs roots, e.g.
 * "/sys/kernel/tracing", NULL-terminated: the first holding events/syscalls is used).
 */
void kfeatures_probe(struct kfeatures *kf, const struct btf *vmlinux, const char *const *tracing);

/* Does the tracing root have that tracepoint? (roots as for kfeatures_probe) */
bool kfeatures_tracepoint(const char *const *tracing, const char *category, const char *name);

const char *kfeature_name(enum kfeature f);

/* Text, one line per feature: "  name: yes" or "  name: no: what vmatrace does instead". */
void kfeatures_format(const struct kfeatures *kf, struct strbuf *out);

/* JSON: an array member "kernel_features" of {name, present, fallback, missing_syscalls}. */
void kfeatures_write_json(const struct kfeatures *kf, struct jsonw *w);

/* The names of the features this kernel lacks, comma-separated ("" when none). */
void kfeatures_missing_list(const struct kfeatures *kf, struct strbuf *out);

#endif
