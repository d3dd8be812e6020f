/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loading, configuring and reading the BPF side. */
#ifndef VMATRACE_TRACER_H
#define VMATRACE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "vmatrace.h"

struct tracer;
struct kfeatures;

/* Called for every record, in ring-buffer order. Return 0 to go on. */
typedef int (*tracer_record_fn)(void *ctx, void *data, size_t size);

struct tracer_opts {
	bool trace_all;		/* every process (minus ourselves) */
	bool capture_stack;	/* user stacks on syscall records (frame pointers) */
	uint32_t ustack_window; /* bytes of user stack (and registers) for DWARF unwinding; 0: off */
	size_t ringbuf_bytes;	/* rounded up to a power of two, at least one page */
	size_t wakeup_backlog;	/* 0: an eighth of the ring buffer */
	tracer_record_fn on_record;
	void *ctx;
};

/* Exit code for environment problems: not root, no BTF, no tracepoints. */
#define TRACER_EXIT_ENV 2

/* Checks the environment, loads and attaches; logs why on failure. */
struct tracer *tracer_new(const struct tracer_opts *opts);
void tracer_free(struct tracer *t);

int tracer_add_tgid(struct tracer *t, pid_t tgid, bool follow_children);
/*
 * With a stack window (ustack_window): a window for one call in `every` at random (0 or 1:
 * every call), and for every call of a process that holds at least `all_above` VMAs (0: off).
 * Failed calls always get one. Takes effect at once (no reload).
 */
void tracer_set_stack_sampling(struct tracer *t, uint32_t every, uint32_t all_above);
/* An fd that becomes readable when the kernel wakes us (large backlog). */
int tracer_epoll_fd(struct tracer *t);

/*
 * Each process that lost records since the last call (the ring buffer was
 * full when it made them), once: fn(ctx, tgid). Returns how many.
 */
typedef void (*tracer_lost_fn)(void *ctx, uint32_t tgid);
size_t tracer_take_lost(struct tracer *t, tracer_lost_fn fn, void *ctx);
/* Deliver everything in the ring buffer; returns records consumed or -errno. */
int tracer_consume(struct tracer *t);
/* Sums of the per-CPU counters. */
int tracer_read_stats(struct tracer *t, unsigned long long out[VMT_STAT__COUNT]);

/*
 * Read the VMAs of one process (tgid > 0) or of every process (0) with the
 * iter/task_vma iterator; fn gets a PROC record, then its VMA records.
 * Returns the number of processes read, or -errno.
 */
typedef int (*tracer_seed_fn)(void *ctx, const struct vmt_iter_rec *rec);
int tracer_seed(struct tracer *t, pid_t tgid, tracer_seed_fn fn, void *ctx);

/*
 * PID namespaces: records carry the kernel's (host's) tgids. Inside a namespace, getpid()
 * and /proc speak the namespace's: these translate (-ESRCH: not visible here).
 */
bool tracer_in_pidns(const struct tracer *t);
pid_t tracer_self_tgid(const struct tracer *t);

/* What this kernel offers and what the tracer does without it (probed at tracer_new). */
const struct kfeatures *tracer_kfeatures(const struct tracer *t);

/* Probe the running kernel (its BTF and tracefs) without loading anything; false if no BTF. */
bool tracer_probe_kernel(struct kfeatures *kf);
pid_t tracer_host_tgid(struct tracer *t, pid_t tgid);
pid_t tracer_ns_tgid(struct tracer *t, pid_t host);

/* Helpers also used by the commands. */
int tracer_check_privileges(void);
int tracer_ensure_tracefs(void);

#endif
