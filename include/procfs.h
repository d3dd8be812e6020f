/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading processes from /proc, for the model, which reads nothing itself:
 *  - the fallback to the BPF seeding iterator (bpf/iter.bpf.c): the same
 *    records, a VMT_ITER_PROC then its VMT_ITER_VMA records, made from
 *    /proc/PID/{comm,stat,smaps,cgroup}, for the same entry point
 *    (model_seed_iter);
 *  - the names the model shows but does not keep (model_resolver): file paths
 *    from /proc/PID/map_files, the kernel's [vdso]-style names from maps.
 */
#ifndef VMATRACE_PROCFS_H
#define VMATRACE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "vmatrace.h"

/* Called for each record, as tracer_seed_fn is; a nonzero return stops the walk. */
typedef int (*procfs_seed_fn)(void *ctx, const struct vmt_iter_rec *rec);

/*
 * The iterator's records for process tgid: 0, or -errno when it cannot be read
 * (-ENOENT: it is gone; -ESRCH: its address space is, a zombie), in which case fn was
 * not called.
 */
int procfs_seed(uint32_t tgid, procfs_seed_fn fn, void *ctx);

/* Is tgid running, not exited nor exiting (a zombie, or PF_EXITING)? */
bool procfs_alive(uint32_t tgid);

/* The BPF iterator's read of one process (tracer_seed): processes read, or -errno. */
typedef int (*procfs_iter_fn)(void *ctx, uint32_t tgid, procfs_seed_fn fn, void *fn_ctx);
/*
 * Read process tgid into the model whole, or not at all (a model_reseed_fn's work): with
 * iter (NULL: none), else from /proc, the records held until the read is over and the
 * process still runs. 0; -ESRCH when it is gone or exiting: the model keeps what its
 * events said; another -errno.
 */
int procfs_reseed(struct model *m, uint32_t tgid, procfs_iter_fn iter, void *iter_ctx);

/*
 * start_brk from a /proc/PID/stat line (field 47, man 5 proc; comm, field 2,
 * may hold spaces and parentheses): 0, or -EINVAL if the line is too short.
 * The current break is not in stat (field 48 is arg_start).
 */
int procfs_parse_stat(const char *line, uint64_t *start_brk);

/* The process (Tgid in /proc/TID/status) of thread tid; 0 when it cannot be read. */
uint32_t procfs_tgid_of(uint32_t tid);

/*
 * The VMAs of a /proc/PID/smaps text as the iterator sees them (vm_flags from
 * the permissions and VmFlags, [vsyscall] left out: it is in no mm), in a
 * malloc'd array at *out. *heap_end: the end of the [heap] VMA, 0 if none.
 * The count, or -ENOMEM.
 */
long procfs_parse_smaps(FILE *f, struct vmt_vma **out, uint64_t *heap_end);

/*
 * The kernfs id of tgid's memory cgroup (what the BPF side reads from
 * css->cgroup->kn->id), from /proc/PID/cgroup and the cgroup file system;
 * 0 if unknown.
 */
uint64_t procfs_memcg_id(uint32_t tgid);

/* Names for model_format_maps from /proc (ctx unused). */
extern const struct model_resolver procfs_resolver;

#endif
