// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The VMA map's read-only side: lookups, iteration and the structural checker (vmamap.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "vmamap.h"
#include "vmamap_node.h"

size_t vmamap_count(const struct vmamap *m)
{
	return m->count;
}

size_t vmamap_memory(const struct vmamap *m)
{
	return sizeof(*m) + m->node_bytes;
}

/* Where the entry with the greatest start <= addr is: its leaf and index; false if none. */
static bool floor_slot(struct vmamap *m, uint64_t addr, struct leaf **lp, unsigned int *ip)
{
	struct leaf *l;
	unsigned int i;

	if (!m->root)
		return false;
	l = descend(m, addr, NULL, NULL);
	i = leaf_upper(l, addr);
	if (!i) {
		/*
		 * addr is below this leaf's first start. Whenever the descent turned right of a
		 * separator, that separator is <= addr and bounds every start to its left, so the
		 * greatest start below this leaf is the last entry of the previous leaf; non-root
		 * leaves are never empty. Without a previous leaf, every start in the map is > addr.
		 */
		l = l->prev;
		if (!l)
			return false;
		i = l->count;
	}
	*lp = l;
	*ip = i - 1;
	return true;
}

struct vma_entry *vmamap_floor(struct vmamap *m, uint64_t addr)
{
	struct leaf *l;
	unsigned int i;

	return floor_slot(m, addr, &l, &i) ? &l->e[i] : NULL;
}

struct vma_entry *vmamap_ceil(struct vmamap *m, uint64_t addr)
{
	struct leaf *l;
	unsigned int i;

	if (!m->root)
		return NULL;
	l = descend(m, addr, NULL, NULL);
	i = leaf_lower(l, addr);
	if (i < l->count)
		return &l->e[i];
	/* Every start right of this leaf is >= a separator that is > addr. */
	l = l->next;
	return l ? &l->e[0] : NULL;
}

struct vma_entry *vmamap_find(struct vmamap *m, uint64_t addr)
{
	struct vma_entry *e = vmamap_floor(m, addr);

	return e && addr < e->end ? e : NULL;
}

void vmamap_iter_init(struct vmamap *m, struct vmamap_iter *it, uint64_t from)
{
	struct leaf *l;
	unsigned int i;

	it->leaf = NULL;
	it->idx = 0;
	if (!m->root)
		return;
	l = descend(m, from, NULL, NULL);
	i = leaf_lower(l, from);
	if (i == l->count) {
		l = l->next;
		i = 0;
	}
	it->leaf = l;
	it->idx = i;
}

void vmamap_iter_floor(struct vmamap *m, struct vmamap_iter *it, uint64_t addr)
{
	struct leaf *l;
	unsigned int i;

	if (!floor_slot(m, addr, &l, &i)) {
		vmamap_iter_init(m, it, addr); /* every start is > addr: from the first */
		return;
	}
	it->leaf = l;
	it->idx = i;
}

struct vma_entry *vmamap_iter_next(struct vmamap_iter *it)
{
	struct leaf *l = it->leaf;
	struct vma_entry *e;

	if (!l)
		return NULL;
	e = &l->e[it->idx++];
	if (it->idx == l->count) {
		it->leaf = l->next;
		it->idx = 0;
	}
	return e;
}

struct check {
	const struct vmamap *m;
	const struct leaf *last; /* the previous leaf in key order */
	size_t entries;
	size_t bytes;
	char *msg;
	size_t msglen;
};

#define check_fail(c, fmt, ...)                                              \
	({                                                                   \
		if ((c)->msglen)                                             \
			snprintf((c)->msg, (c)->msglen, fmt, ##__VA_ARGS__); \
		-EINVAL;                                                     \
	})

/* Every start in the subtree must lie in [lo, hi), or [lo, ∞) without has_hi. */
static int check_node(struct check *c, const void *node, unsigned int lvl, bool is_root,
		      uint64_t lo, uint64_t hi, bool has_hi)
{
	if (!lvl) {
		const struct leaf *l = node;
		unsigned int min = is_root ? 1 : LEAF_MIN;

		c->bytes += sizeof(*l);
		if (l->count < min || l->count > LEAF_CAP)
			return check_fail(c, "leaf %p holds %u entries, outside [%u, %u]",
					  (void *)l, l->count, min, LEAF_CAP);
		for (unsigned int i = 0; i < l->count; i++) {
			uint64_t s = l->e[i].start;

			if (s < lo || (has_hi && s >= hi))
				return check_fail(c,
						  "leaf %p entry %u start %#llx outside its range",
						  (void *)l, i, (unsigned long long)s);
			if (i && s <= l->e[i - 1].start)
				return check_fail(c, "leaf %p entry %u start %#llx not ascending",
						  (void *)l, i, (unsigned long long)s);
			if (i && i % SCAN_GROUP == 0 && l->fence[i / SCAN_GROUP - 1] != s)
				return check_fail(c, "leaf %p fence %u is stale", (void *)l,
						  i / SCAN_GROUP - 1);
		}
		if (l->prev != c->last || (c->last && c->last->next != l))
			return check_fail(c, "leaf %p is linked out of key order", (void *)l);
		c->last = l;
		c->entries += l->count;
		return 0;
	}

	const struct inner *n = node;
	unsigned int min = is_root ? 2 : INNER_MIN;
	int err;

	c->bytes += sizeof(*n);
	if (n->count < min || n->count > INNER_CAP)
		return check_fail(c, "inner node %p at level %u has %u children, outside [%u, %u]",
				  (void *)n, lvl, n->count, min, INNER_CAP);
	for (unsigned int i = 0; i + 1 < n->count; i++) {
		if (n->key[i] < lo || (has_hi && n->key[i] >= hi) ||
		    (i && n->key[i] <= n->key[i - 1]))
			return check_fail(c, "inner node %p separator %u (%#llx) out of order",
					  (void *)n, i, (unsigned long long)n->key[i]);
	}
	for (unsigned int i = 0; i < n->count; i++) {
		bool last = i + 1 == n->count;

		err = check_node(c, n->child[i], lvl - 1, false, i ? n->key[i - 1] : lo,
				 last ? hi : n->key[i], last ? has_hi : true);
		if (err)
			return err;
	}
	return 0;
}

int vmamap_check(const struct vmamap *m, char *msg, size_t msglen)
{
	struct check c = { .m = m, .msg = msg, .msglen = msglen };
	int err;

	if (msglen)
		msg[0] = 0;
	if (!m->root) {
		if (m->count || m->height || m->node_bytes)
			return check_fail(&c, "empty map with count %zu, height %u, %zu node bytes",
					  m->count, m->height, m->node_bytes);
		return 0;
	}
	if (m->height > MAX_HEIGHT)
		return check_fail(&c, "height %u over %u", m->height, MAX_HEIGHT);
	err = check_node(&c, m->root, m->height, true, 0, 0, false);
	if (err)
		return err;
	if (c.last->next)
		return check_fail(&c, "last leaf %p has a successor", (void *)c.last);
	if (c.entries != m->count)
		return check_fail(&c, "%zu entries in the leaves, count says %zu", c.entries,
				  m->count);
	if (c.bytes != m->node_bytes)
		return check_fail(&c, "%zu bytes of nodes, accounted %zu", c.bytes, m->node_bytes);
	return 0;
}
