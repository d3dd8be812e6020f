/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the model's own files only (src/model*.c), never by its users:
 * the address-space primitives (model_vma.c), the history (model_history.c)
 * and the resync (model_seed.c) that applying records (model.c) builds on.
 */
#ifndef VMATRACE_MODEL_INTERNAL_H
#define VMATRACE_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

#define MODEL_PAGE_SIZE 4096ull
#define MODEL_PAGE_UP(x) (((x) + MODEL_PAGE_SIZE - 1) & ~(MODEL_PAGE_SIZE - 1))
#define MODEL_PAGE_DOWN(x) ((x) & ~(MODEL_PAGE_SIZE - 1))

/* model_vma.c: entries and ranges. Every update keeps bytes[]/count[] in step. */
enum vma_kind model_classify(const struct model_proc *p, const struct vma_entry *e);
/* Take e's bytes and count out of its kind (sign -1) or into it (+1). */
void model_account(struct model_proc *p, const struct vma_entry *e, int sign);
struct vma_entry model_entry_from_vmt(struct model *m, const struct vmt_vma *v);
int model_ent_add(struct model_proc *p, struct vma_entry e);
void model_ent_del(struct model_proc *p, struct vma_entry *e);
/* Make addr a VMA boundary: split the entry that contains it. */
int model_split_at(struct model_proc *p, uint64_t addr);
/* Remove [a, b) from the address space. */
int model_range_unmap(struct model_proc *p, uint64_t a, uint64_t b);
/* Set the permission bits (PROT_*) of [a, b), splitting at the ends. */
int model_range_protect(struct model_proc *p, uint64_t a, uint64_t b, unsigned long prot);
/* Set (on) or clear a VF_ flag on every entry that meets [a, b) (the caller split at a and b). */
void model_range_flag(struct model_proc *p, uint64_t a, uint64_t b, uint16_t flag, bool on);
/* Remove every entry with the flag (a child's copy of its parent: the VF_DONTCOPY ones). */
void model_drop_flagged(struct model_proc *p, uint16_t flag);
/* The kernel says [start, end) is one VMA with these attributes (if valid): make it so. */
int model_apply_truth(struct model *m, struct model_proc *p, const struct vmt_vma *v);
/* A new break (0: unknown, nothing changes); a new start_brk is a new heap. */
void model_set_brk(struct model_proc *p, uint64_t start_brk, uint64_t brk);
void model_proc_clear_map(struct model_proc *p);

/* model_lifecycle.c: exec, its VMA records, fork. */
void model_apply_exec(struct model *m, const struct vmt_exec_rec *r);
void model_apply_vma(struct model *m, const struct vmt_vma_rec *r);
void model_apply_fork(struct model *m, const struct vmt_fork_rec *r);

/* model.c: processes. */
struct model_proc *model_proc_new(struct model *m, uint32_t tgid);

/*
 * A MAP_STACK mapping over [a, b): its anonymous entries inside the range are a thread's stack
 * (and its guard, which stays one by its protection). Before 6.7 only the call says so.
 */
void model_mark_thread_stack(struct model_proc *p, uint64_t a, uint64_t b);

/* model_seed.c: read the process's VMAs from the kernel again (counted). */
void model_resync(struct model *m, struct model_proc *p);

/* model_history.c */
void model_tl_record(struct model *m, struct model_proc *p, uint64_t ts, bool call, bool failed);
void model_tl_close(struct model *m, struct model_proc *p);
void model_fr_push(struct model *m, struct model_proc *p, const struct fr_event *ev);
/* The flight recorder's next slot, for the caller to fill (NULL: none, counted as lost). */
struct fr_event *model_fr_next(struct model *m, struct model_proc *p);
/* The i-th closed timeline point, oldest first (i < p->tl_len). */
const struct tl_point *model_tl_at(const struct model_proc *p, uint32_t i);

#endif
