/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Ordered map from a VMA's start address to its entry, sized for processes with a million VMAs:
 * an in-memory B+tree whose leaves hold sorted arrays of entries and are linked for in-order
 * iteration. Every operation is O(log n). With its share of the nodes an entry costs about 34
 * bytes when seeded in address order and about 42 after random churn; leaves never drop below a
 * third full, whatever is erased.
 */
#ifndef VMATRACE_VMAMAP_H
#define VMATRACE_VMAMAP_H

#include <stddef.h>
#include <stdint.h>

/* One VMA. 32 bytes. The key is `start`; the map never changes it in place. */
struct vma_entry {
	uint64_t start;
	uint64_t end;
	uint64_t pgoff; /* in pages */
	uint32_t file;	/* index into a file table kept elsewhere; 0 = anonymous */
	uint16_t flags; /* permission/shared bits, defined elsewhere */
	uint8_t kind;	/* classification, defined elsewhere */
	uint8_t pad;
};

_Static_assert(sizeof(struct vma_entry) == 32, "struct vma_entry must stay 32 bytes");

struct vmamap;

/*
 * Pointers returned by floor/ceil/find/iter stay valid until the next insert/erase/clear/free;
 * callers may modify any field of an entry through them EXCEPT `start` (vmamap_rekey()).
 */
struct vmamap *vmamap_new(void);		     /* NULL on ENOMEM */
void vmamap_free(struct vmamap *m);		     /* NULL-safe */
struct vmamap *vmamap_clone(const struct vmamap *m); /* deep copy (fork); NULL on ENOMEM */
size_t vmamap_count(const struct vmamap *m);
size_t vmamap_memory(const struct vmamap *m); /* bytes allocated by the map, nodes included */
/* The entry with the greatest start <= addr, or NULL. */
struct vma_entry *vmamap_floor(struct vmamap *m, uint64_t addr);
/* The entry with the smallest start >= addr, or NULL. */
struct vma_entry *vmamap_ceil(struct vmamap *m, uint64_t addr);
/* The entry whose [start, end) contains addr, or NULL. Entries are assumed not to overlap. */
struct vma_entry *vmamap_find(struct vmamap *m, uint64_t addr);
/* 0, -EEXIST if an entry with this start exists (nothing changes), -ENOMEM (nothing changes). */
int vmamap_insert(struct vmamap *m, const struct vma_entry *e);
/* 0, or -ENOENT if no entry has this start. */
int vmamap_erase(struct vmamap *m, uint64_t start);
/*
 * Give the entry at start the start new_start where that keeps it in its place: no other
 * entry's start, nor a separator of the tree, between the two (a VMA grown down into a free
 * range, or cut at its head). 0; -ENOENT if no entry has this start; -ERANGE if it would move
 * (nothing changes: erase and insert instead).
 */
int vmamap_rekey(struct vmamap *m, uint64_t start, uint64_t new_start);
/* Remove every entry. */
void vmamap_clear(struct vmamap *m);

/* In-order iteration; invalidated by any insert/erase/clear. */
struct vmamap_iter {
	void *leaf;
	unsigned int idx;
};
/* Position at the first entry with start >= from. */
void vmamap_iter_init(struct vmamap *m, struct vmamap_iter *it, uint64_t from);
/*
 * Position at the entry with the greatest start <= addr (the one that may hold addr), or at
 * the first entry if every start is above addr: vmamap_floor() and vmamap_iter_init() from
 * its start, in one descent.
 */
void vmamap_iter_floor(struct vmamap *m, struct vmamap_iter *it, uint64_t addr);
/* The current entry and advance, or NULL at the end. */
struct vma_entry *vmamap_iter_next(struct vmamap_iter *it);

/*
 * Verify the tree's structure (for tests and fuzzers; O(n)): keys sorted within and across
 * leaves, node fill bounds, separators consistent with their subtrees, leaf links, entry count
 * and memory accounting. 0, or -EINVAL with the first violation described in msg (which may be
 * NULL if msglen is 0).
 */
int vmamap_check(const struct vmamap *m, char *msg, size_t msglen);

/*
 * Fault injection for tests: set, and while it returns nonzero, every allocation the map
 * makes fails. A pointer rather than a weak function that tests override: with link-time
 * optimisation GCC may inline the library's own definition.
 */
extern int (*vmamap_fail_alloc)(void);

#endif
