/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The VMA map's nodes and searches, shared by its updates (vmamap.c) and its read-only side
 * (vmamap_read.c: lookups, iteration, the structural checker). Private to those two files.
 */
#ifndef VMATRACE_VMAMAP_NODE_H
#define VMATRACE_VMAMAP_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmamap.h"

/* A leaf is 80 + 63 * 32 = 2096 bytes. */
#define LEAF_CAP 63
/* Leaf searches count keys in groups of this many (see leaf_group()). */
#define SCAN_GROUP 8
#define LEAF_FENCES ((LEAF_CAP - 1) / SCAN_GROUP)
/* Guaranteed fill of a non-root leaf. */
#define LEAF_MIN (LEAF_CAP / 3)
/* Fill under which erase tries to merge or borrow. */
#define LEAF_SOFT (2 * LEAF_CAP / 3)
/* Merges leave this much room per leaf, so that the next insert does not split them again. */
#define LEAF_MERGE_ROOM 4
/* A pair that fails to merge holds enough entries for two leaves above the minimum. */
_Static_assert(2 * LEAF_MIN <= LEAF_CAP - LEAF_MERGE_ROOM + 1, "leaf fill bounds");
/* An inner node is 8 + 63 * 8 + 64 * 8 = 1024 bytes. */
#define INNER_CAP 64
#define INNER_MIN (INNER_CAP / 2)
/* Fanout of at least 32 below the root: 16 levels are far more than memory can hold. */
#define MAX_HEIGHT 16

/* fence[g - 1] is e[g * SCAN_GROUP].start, for the groups g > 0 in use (see leaf_group()). */
struct leaf {
	struct leaf *prev;
	struct leaf *next;
	uint32_t count;
	uint64_t fence[LEAF_FENCES];
	struct vma_entry e[LEAF_CAP];
};

struct inner {
	uint32_t count; /* children */
	uint64_t key[INNER_CAP - 1];
	void *child[INNER_CAP];
};

struct vmamap {
	void *root;	     /* NULL when the map is empty */
	unsigned int height; /* inner levels above the leaves; 0: the root is a leaf */
	size_t count;
	size_t node_bytes;
	/*
	 * The finger: the leaf the last lookup ended in, and the range of keys its way down
	 * bounds (finger_lo <= key < finger_hi), so that the next lookup inside that range
	 * starts there. Lookups of one process cluster (a call's unmap, its new VMA, its
	 * neighbour's key). NULL whenever nodes split, merge, borrow or go (vmamap.c).
	 */
	void *finger;
	uint64_t finger_lo, finger_hi;
};

/* The way down to a leaf. Level 0 is the leaves; node[l] is the inner node at level l. */
struct path {
	struct inner *node[MAX_HEIGHT + 1];
	unsigned int idx[MAX_HEIGHT + 1]; /* which child of node[l] the way takes */
};

/*
 * Inner nodes that an insert allocates, with its new leaf, before it changes anything: -ENOMEM
 * then leaves the map intact.
 */
struct spare {
	struct inner *inner[MAX_HEIGHT + 1];
	unsigned int ninner;
};

/*
 * Searches count keys rather than branch on them. A binary search over a 2 KiB leaf is a chain
 * of six dependent loads, each a cache miss once the map outgrows the caches, and a coin-toss
 * branch for random lookups. Counting the groups of SCAN_GROUP entries whose first start is
 * below the target, then the entries below it in the one group that can hold it, takes two
 * rounds of independent loads, which the CPU overlaps. The first starts are copied into the
 * leaf's header (its fences), so the first round reads two cache lines rather than seven: at a
 * million entries lookups were about a quarter faster for it, at 0.9 bytes per entry.
 */

/* Refresh the fences after entries from index `from` on moved. */
static inline void leaf_refence(struct leaf *l, unsigned int from)
{
	unsigned int g = (from + SCAN_GROUP - 1) / SCAN_GROUP;

	for (g = g ? g : 1; g * SCAN_GROUP < l->count; g++)
		l->fence[g - 1] = l->e[g * SCAN_GROUP].start;
}

/* The first index of the group that holds the boundary for key: < key, or <= key if incl. */
static inline unsigned int leaf_group(const struct leaf *l, uint64_t key, bool incl)
{
	unsigned int groups = (l->count + SCAN_GROUP - 1) / SCAN_GROUP, g = 0;

	for (unsigned int i = 1; i < groups; i++)
		g += incl ? l->fence[i - 1] <= key : l->fence[i - 1] < key;
	return g * SCAN_GROUP;
}

/* Index of the first entry with start >= key, or count. */
static inline unsigned int leaf_lower(const struct leaf *l, uint64_t key)
{
	unsigned int first = leaf_group(l, key, false);
	unsigned int end = first + SCAN_GROUP < l->count ? first + SCAN_GROUP : l->count;
	unsigned int i = first;

	for (unsigned int k = first; k < end; k++)
		i += l->e[k].start < key;
	return i;
}

/* Index of the first entry with start > key, or count. */
static inline unsigned int leaf_upper(const struct leaf *l, uint64_t key)
{
	unsigned int first = leaf_group(l, key, true);
	unsigned int end = first + SCAN_GROUP < l->count ? first + SCAN_GROUP : l->count;
	unsigned int i = first;

	for (unsigned int k = first; k < end; k++)
		i += l->e[k].start <= key;
	return i;
}

/*
 * The child whose range holds key: the number of separators <= key (there is at least one).
 * Inner nodes are few and mostly cached, and their keys are dense: a branchless binary search
 * touches the fewest cache lines.
 */
static inline unsigned int inner_slot(const struct inner *node, uint64_t key)
{
	const uint64_t *base = node->key;
	unsigned int n = node->count - 1;

	while (n > 1) {
		unsigned int half = n / 2;

		base = base[half] <= key ? base + half : base;
		n -= half;
	}
	return (unsigned int)(base - node->key) + (*base <= key);
}

/*
 * The leaf whose range holds key; the map must not be empty. From the finger when key is in
 * its range, else from the root, leaving the finger there. *lo and *hi (if not NULL) get
 * the range: the separators around the leaf, lo <= key < hi.
 */
static inline struct leaf *descend(struct vmamap *m, uint64_t key, uint64_t *lo, uint64_t *hi)
{
	uint64_t l = 0, h = UINT64_MAX;
	void *node = m->root;

	if (m->finger && key >= m->finger_lo && key < m->finger_hi) {
		node = m->finger;
		l = m->finger_lo;
		h = m->finger_hi;
	} else if (m->height) {
		for (unsigned int lvl = m->height; lvl > 0; lvl--) {
			struct inner *n = node;
			unsigned int c = inner_slot(n, key);

			/* Each level's separators lie within the one above's: the last are tightest. */
			if (c > 0)
				l = n->key[c - 1];
			if (c + 1 < n->count)
				h = n->key[c];
			node = n->child[c];
		}
		m->finger = node;
		m->finger_lo = l;
		m->finger_hi = h;
	}
	if (lo)
		*lo = l;
	if (hi)
		*hi = h;
	return node;
}

#endif
