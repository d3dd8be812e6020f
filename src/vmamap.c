// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The VMA map is a B+tree. Leaves hold up to LEAF_CAP entries in a sorted array and are doubly
 * linked; inner nodes hold up to INNER_CAP children and the separators between them.
 *
 * Separator key[i] of an inner node bounds its children: every start in child[i] is < key[i] and
 * every start in child[i + 1] is >= key[i]. Erasing a leaf's first entry leaves the separator
 * above it stale (smaller than the new first start); that still satisfies the bound, so erase
 * never has to walk back up to fix keys.
 *
 * Memory is dominated by the leaves, so what matters is how full they are. Three policies keep
 * them full, as in a B*-tree:
 * - a full leaf first shares entries with a sibling that has room, and splits two full leaves
 *   into three rather than one into two halves;
 * - an insert past the end (or before the start) of a full leaf, which is how a process is seeded
 *   from /proc/pid/maps (or how top-down mmap grows), splits off a small leaf that later sharing
 *   tops up, instead of leaving a half-empty one behind;
 * - a leaf that an erase leaves under two thirds full merges three siblings into two, or two into
 *   one, or borrows from a fuller sibling.
 * Only "at least a third full" is guaranteed for non-root leaves; the rest keeps the average
 * around 80%.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmamap.h"
#include "vmamap_node.h"

int (*vmamap_fail_alloc)(void);

static inline bool alloc_fails(void)
{
	return vmamap_fail_alloc && vmamap_fail_alloc();
}

static void *node_alloc(struct vmamap *m, size_t size)
{
	void *p = alloc_fails() ? NULL : malloc(size);

	if (p)
		m->node_bytes += size;
	return p;
}

/* The finger's leaf or range is about to change (descend()). */
static inline void finger_drop(struct vmamap *m)
{
	m->finger = NULL;
}

static void node_free(struct vmamap *m, void *p, size_t size)
{
	finger_drop(m);
	free(p);
	m->node_bytes -= size;
}

/*
 * The same, recording the way down for an update.
 *
 * Always inlined, as is grow_root(): GCC 12.2 at -O2 miscompiles a caller that reads a local
 * struct after a non-inlined callee filled it in this kind of loop (its interprocedural
 * analysis misses the stores, so the reads fold to stale values). Inlined, the stores are
 * in plain sight.
 */
static inline __attribute__((always_inline)) struct leaf *descend_path(const struct vmamap *m,
								       uint64_t key, struct path *p)
{
	void *node = m->root;

	for (unsigned int lvl = m->height; lvl > 0; lvl--) {
		struct inner *n = node;
		unsigned int i = inner_slot(n, key);

		p->node[lvl] = n;
		p->idx[lvl] = i;
		node = n->child[i];
	}
	return node;
}

struct vmamap *vmamap_new(void)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return calloc(1, sizeof(struct vmamap));
}

static void subtree_free(struct vmamap *m, void *node, unsigned int lvl)
{
	if (lvl) {
		struct inner *n = node;

		for (unsigned int i = 0; i < n->count; i++)
			subtree_free(m, n->child[i], lvl - 1);
		node_free(m, n, sizeof(*n));
	} else {
		node_free(m, node, sizeof(struct leaf));
	}
}

void vmamap_clear(struct vmamap *m)
{
	finger_drop(m);
	if (m->root)
		subtree_free(m, m->root, m->height);
	m->root = NULL;
	m->height = 0;
	m->count = 0;
}

void vmamap_free(struct vmamap *m)
{
	if (!m)
		return;
	vmamap_clear(m);
	free(m);
}

/* Copy a subtree, appending its leaves to the chain that ends at *last. */
static void *subtree_clone(struct vmamap *dst, const void *node, unsigned int lvl,
			   struct leaf **last)
{
	if (!lvl) {
		const struct leaf *s = node;
		struct leaf *d = node_alloc(dst, sizeof(*d));

		if (!d)
			return NULL;
		d->count = s->count;
		memcpy(d->fence, s->fence, sizeof(d->fence));
		memcpy(d->e, s->e, s->count * sizeof(s->e[0]));
		d->next = NULL;
		d->prev = *last;
		if (*last)
			(*last)->next = d;
		*last = d;
		return d;
	}

	const struct inner *s = node;
	struct inner *d = node_alloc(dst, sizeof(*d));

	if (!d)
		return NULL;
	/* The keys first: a failure below frees d by its count of copied children. */
	memcpy(d->key, s->key, (s->count - 1) * sizeof(s->key[0]));
	for (unsigned int i = 0; i < s->count; i++) {
		d->child[i] = subtree_clone(dst, s->child[i], lvl - 1, last);
		if (!d->child[i]) {
			/* Free what was copied; the caller gives up on the whole clone. */
			d->count = i;
			subtree_free(dst, d, lvl);
			return NULL;
		}
	}
	d->count = s->count;
	return d;
}

struct vmamap *vmamap_clone(const struct vmamap *m)
{
	struct vmamap *c = vmamap_new();
	struct leaf *last = NULL;

	if (!c)
		return NULL;
	if (m->root) {
		c->root = subtree_clone(c, m->root, m->height, &last);
		if (!c->root) {
			free(c);
			errno = ENOMEM;
			return NULL;
		}
		c->height = m->height;
		c->count = m->count;
	}
	return c;
}

static void leaf_unlink_free(struct vmamap *m, struct leaf *l)
{
	if (l->prev)
		l->prev->next = l->next;
	if (l->next)
		l->next->prev = l->prev;
	node_free(m, l, sizeof(*l));
}

/* Remove child j >= 1 of n along with the separator on its left. */
static void inner_remove(struct inner *n, unsigned int j)
{
	memmove(&n->key[j - 1], &n->key[j], (n->count - 1 - j) * sizeof(n->key[0]));
	memmove(&n->child[j], &n->child[j + 1], (n->count - 1 - j) * sizeof(n->child[0]));
	n->count--;
}

/*
 * Spread the entries of the k leaves parent->child[a .. a + k), plus *ins at position ins_at of
 * the window when ins is set, over nk leaves holding cnt[0 .. nk) entries. nk is k - 1 (the last
 * leaf is freed and leaves the parent, which may then underflow), k, or k + 1 (`fresh` is linked
 * in after the window; the caller adds it to the parent with the returned separator).
 */
static uint64_t leaf_redistribute(struct vmamap *m, struct inner *parent, unsigned int a,
				  unsigned int k, unsigned int nk, const unsigned int *cnt,
				  const struct vma_entry *ins, unsigned int ins_at,
				  struct leaf *fresh)
{
	struct vma_entry buf[3 * LEAF_CAP + 1];
	struct leaf *nodes[4];
	unsigned int n = 0, off = 0, i;

	for (i = 0; i < k; i++) {
		nodes[i] = parent->child[a + i];
		memcpy(&buf[n], nodes[i]->e, nodes[i]->count * sizeof(buf[0]));
		n += nodes[i]->count;
	}
	if (ins) {
		memmove(&buf[ins_at + 1], &buf[ins_at], (n - ins_at) * sizeof(buf[0]));
		buf[ins_at] = *ins;
	}
	if (nk > k) {
		struct leaf *before = nodes[k - 1];

		fresh->prev = before;
		fresh->next = before->next;
		if (before->next)
			before->next->prev = fresh;
		before->next = fresh;
		nodes[k] = fresh;
	}
	for (i = 0; i < nk; i++) {
		memcpy(nodes[i]->e, &buf[off], cnt[i] * sizeof(buf[0]));
		nodes[i]->count = cnt[i];
		leaf_refence(nodes[i], 0);
		off += cnt[i];
		if (i > 0 && i < k)
			parent->key[a + i - 1] = nodes[i]->e[0].start;
	}
	if (nk < k) {
		leaf_unlink_free(m, nodes[k - 1]);
		inner_remove(parent, a + k - 1);
	}
	return nk > k ? fresh->e[0].start : 0;
}

/* Put a new root above the current one, so that it can split like any other node. */
static inline __attribute__((always_inline)) void grow_root(struct vmamap *m, struct path *p,
							    struct inner *r)
{
	r->count = 1;
	r->child[0] = m->root;
	m->root = r;
	m->height++;
	p->node[m->height] = r;
	p->idx[m->height] = 0;
}

/* Add child at index j >= 1 of the inner node at level lvl, splitting upwards as needed. */
static void inner_insert(struct vmamap *m, struct path *p, unsigned int lvl, unsigned int j,
			 uint64_t key, void *child, struct spare *sp)
{
	struct inner *n = p->node[lvl];
	uint64_t keys[INNER_CAP];
	void *kids[INNER_CAP + 1];
	unsigned int left = (INNER_CAP + 2) / 2, right = INNER_CAP + 1 - left;
	struct inner *q;

	if (n->count < INNER_CAP) {
		memmove(&n->key[j], &n->key[j - 1], (n->count - j) * sizeof(n->key[0]));
		memmove(&n->child[j + 1], &n->child[j], (n->count - j) * sizeof(n->child[0]));
		n->key[j - 1] = key;
		n->child[j] = child;
		n->count++;
		return;
	}

	memcpy(keys, n->key, (j - 1) * sizeof(keys[0]));
	keys[j - 1] = key;
	memcpy(&keys[j], &n->key[j - 1], (INNER_CAP - j) * sizeof(keys[0]));
	memcpy(kids, n->child, j * sizeof(kids[0]));
	kids[j] = child;
	memcpy(&kids[j + 1], &n->child[j], (INNER_CAP - j) * sizeof(kids[0]));

	if (lvl == m->height)
		grow_root(m, p, sp->inner[--sp->ninner]);
	q = sp->inner[--sp->ninner];
	n->count = left;
	memcpy(n->child, kids, left * sizeof(kids[0]));
	memcpy(n->key, keys, (left - 1) * sizeof(keys[0]));
	q->count = right;
	memcpy(q->child, &kids[left], right * sizeof(kids[0]));
	memcpy(q->key, &keys[left], (right - 1) * sizeof(keys[0]));
	inner_insert(m, p, lvl + 1, p->idx[lvl + 1] + 1, keys[left - 1], q, sp);
}

static void spare_free(struct vmamap *m, struct spare *sp)
{
	while (sp->ninner)
		node_free(m, sp->inner[--sp->ninner], sizeof(struct inner));
}

/* Insert e at position pos of the full leaf p leads to. */
static int leaf_overflow(struct vmamap *m, struct path *p, unsigned int pos,
			 const struct vma_entry *e)
{
	finger_drop(m); /* leaves split or share out, separators move */
	struct inner *parent = m->height ? p->node[1] : NULL;
	unsigned int pi = m->height ? p->idx[1] : 0;
	struct leaf *left = NULL, *right = NULL, *fresh;
	unsigned int lroom = 0, rroom = 0, a, k, ins_at, total, cnt[3];
	struct spare sp = {};
	unsigned int lvl, need = 0;
	uint64_t sep;

	if (parent) {
		if (pi > 0) {
			left = parent->child[pi - 1];
			lroom = LEAF_CAP - left->count;
		}
		if (pi + 1 < parent->count) {
			right = parent->child[pi + 1];
			rroom = LEAF_CAP - right->count;
		}
	}

	if (lroom || rroom) {
		/* Appends fill up the left sibling, prepends the right one; else balance. */
		bool use_left = pos == LEAF_CAP ? lroom : pos == 0 ? !rroom : lroom >= rroom;

		if (use_left) {
			a = pi - 1;
			ins_at = left->count + pos;
			total = left->count + LEAF_CAP + 1;
			cnt[0] = pos == LEAF_CAP ? LEAF_CAP : (total + 1) / 2;
			cnt[1] = total - cnt[0];
		} else {
			a = pi;
			ins_at = pos;
			total = right->count + LEAF_CAP + 1;
			cnt[1] = pos == 0 ? LEAF_CAP : (total + 1) / 2;
			cnt[0] = total - cnt[1];
		}
		leaf_redistribute(m, parent, a, 2, 2, cnt, e, ins_at, NULL);
		return 0;
	}

	/* No room next door: some leaf must be added. */
	a = pi;
	k = 1;
	ins_at = pos;
	if (pos == LEAF_CAP || pos == 0) {
		/* Keep the full leaf nearly so: a run of inserts goes on in the small one. */
		cnt[0] = pos ? LEAF_CAP + 1 - LEAF_MIN : LEAF_MIN;
		cnt[1] = LEAF_CAP + 1 - cnt[0];
	} else if (left || right) {
		/* Two full leaves become three two-thirds full ones. */
		k = 2;
		if (left) {
			a = pi - 1;
			ins_at = LEAF_CAP + pos;
		}
		total = 2 * LEAF_CAP + 1;
		for (unsigned int i = 0; i < 3; i++)
			cnt[i] = total / 3 + (i < total % 3);
	} else {
		cnt[0] = (LEAF_CAP + 2) / 2;
		cnt[1] = LEAF_CAP + 1 - cnt[0];
	}

	/* Inner nodes split on the way up while they are full; a full root adds a level. */
	for (lvl = 1; lvl <= m->height && p->node[lvl]->count == INNER_CAP; lvl++)
		need++;
	if (lvl > m->height) {
		if (m->height == MAX_HEIGHT)
			return -ENOMEM;
		need++;
	}
	for (unsigned int i = 0; i < need; i++) {
		sp.inner[i] = node_alloc(m, sizeof(struct inner));
		if (!sp.inner[i])
			goto nomem;
		sp.ninner++;
	}
	fresh = node_alloc(m, sizeof(*fresh));
	if (!fresh)
		goto nomem;

	if (!parent) {
		parent = sp.inner[--sp.ninner];
		grow_root(m, p, parent);
	}
	sep = leaf_redistribute(m, parent, a, k, k + 1, cnt, e, ins_at, fresh);
	/* This uses up the spare inner nodes: the count above is exact. */
	inner_insert(m, p, 1, a + k, sep, fresh, &sp);
	return 0;

nomem:
	spare_free(m, &sp);
	return -ENOMEM;
}

int vmamap_insert(struct vmamap *m, const struct vma_entry *e)
{
	struct path p;
	struct leaf *l;
	unsigned int pos;
	int err;

	if (!m->root) {
		l = node_alloc(m, sizeof(*l));
		if (!l)
			return -ENOMEM;
		l->prev = l->next = NULL;
		l->count = 1;
		l->e[0] = *e;
		m->root = l;
		m->height = 0;
		m->count = 1;
		return 0;
	}

	l = descend_path(m, e->start, &p);
	pos = leaf_lower(l, e->start);
	if (pos < l->count && l->e[pos].start == e->start)
		return -EEXIST;
	if (l->count < LEAF_CAP) {
		memmove(&l->e[pos + 1], &l->e[pos], (l->count - pos) * sizeof(l->e[0]));
		l->e[pos] = *e;
		l->count++;
		leaf_refence(l, pos);
		m->count++;
		return 0;
	}
	err = leaf_overflow(m, &p, pos, e);
	if (!err)
		m->count++;
	return err;
}

/*
 * Merge the inner siblings gp->child[a] and [a + 1] if they fit in one node (true), else balance
 * them (false).
 */
static bool inner_pair(struct vmamap *m, struct inner *gp, unsigned int a)
{
	struct inner *l = gp->child[a], *r = gp->child[a + 1];
	unsigned int total = l->count + r->count, nl, nr;
	uint64_t keys[2 * INNER_CAP];
	void *kids[2 * INNER_CAP];

	if (total <= INNER_CAP) {
		l->key[l->count - 1] = gp->key[a];
		memcpy(&l->key[l->count], r->key, (r->count - 1) * sizeof(r->key[0]));
		memcpy(&l->child[l->count], r->child, r->count * sizeof(r->child[0]));
		l->count = total;
		node_free(m, r, sizeof(*r));
		inner_remove(gp, a + 1);
		return true;
	}

	memcpy(kids, l->child, l->count * sizeof(kids[0]));
	memcpy(&kids[l->count], r->child, r->count * sizeof(kids[0]));
	memcpy(keys, l->key, (l->count - 1) * sizeof(keys[0]));
	keys[l->count - 1] = gp->key[a];
	memcpy(&keys[l->count], r->key, (r->count - 1) * sizeof(keys[0]));

	nl = (total + 1) / 2;
	nr = total - nl;
	l->count = nl;
	memcpy(l->child, kids, nl * sizeof(kids[0]));
	memcpy(l->key, keys, (nl - 1) * sizeof(keys[0]));
	gp->key[a] = keys[nl - 1];
	r->count = nr;
	memcpy(r->child, &kids[nl], nr * sizeof(kids[0]));
	memcpy(r->key, &keys[nl], (nr - 1) * sizeof(keys[0]));
	return false;
}

static unsigned int inner_count_at(const struct inner *parent, unsigned int i)
{
	return ((const struct inner *)parent->child[i])->count;
}

/* The inner node at level lvl lost a child: restore its fill, and so on upwards. */
static void inner_underflow(struct vmamap *m, struct path *p, unsigned int lvl)
{
	for (;; lvl++) {
		struct inner *n = p->node[lvl], *gp;
		unsigned int gi, a;

		if (lvl == m->height) {
			if (n->count == 1) {
				m->root = n->child[0];
				m->height--;
				node_free(m, n, sizeof(*n));
			}
			return;
		}
		if (n->count >= INNER_MIN)
			return;

		gp = p->node[lvl + 1];
		gi = p->idx[lvl + 1];
		/* Pair with the fuller sibling: more likely to balance than to merge again. */
		if (gi == 0)
			a = 0;
		else if (gi + 1 == gp->count)
			a = gi - 1;
		else if (inner_count_at(gp, gi - 1) >= inner_count_at(gp, gi + 1))
			a = gi - 1;
		else
			a = gi;
		if (!inner_pair(m, gp, a))
			return;
	}
}

static unsigned int leaf_count_at(const struct inner *parent, unsigned int i)
{
	return ((const struct leaf *)parent->child[i])->count;
}

/* The leaf p leads to dropped under LEAF_SOFT entries; it has at least one sibling. */
static void leaf_underflow(struct vmamap *m, struct path *p)
{
	struct inner *parent = p->node[1];
	unsigned int pi = p->idx[1], n = parent->count;
	unsigned int lo = pi >= 2 ? pi - 2 : 0, hi = pi + 2 < n ? pi + 2 : n - 1;
	unsigned int c[5], self, best, best_total, cnt[2], i;

	finger_drop(m); /* leaves merge or borrow, separators move */
	for (i = lo; i <= hi; i++)
		c[i - lo] = leaf_count_at(parent, i);
	self = c[pi - lo];

	/* Three siblings into two, choosing the emptiest window that fits. */
	best = n;
	best_total = 2 * (LEAF_CAP - LEAF_MERGE_ROOM) + 1;
	for (i = lo; i <= pi && i + 2 <= hi; i++) {
		unsigned int t = c[i - lo] + c[i + 1 - lo] + c[i + 2 - lo];

		if (t < best_total) {
			best = i;
			best_total = t;
		}
	}
	if (best < n) {
		cnt[0] = (best_total + 1) / 2;
		cnt[1] = best_total - cnt[0];
		leaf_redistribute(m, parent, best, 3, 2, cnt, NULL, 0, NULL);
		inner_underflow(m, p, 1);
		return;
	}

	/* Two into one. */
	best = n;
	best_total = LEAF_CAP - LEAF_MERGE_ROOM + 1;
	for (i = pi ? pi - 1 : 0; i <= pi && i + 1 <= hi; i++) {
		unsigned int t = c[i - lo] + c[i + 1 - lo];

		if (t < best_total) {
			best = i;
			best_total = t;
		}
	}
	if (best < n) {
		cnt[0] = best_total;
		leaf_redistribute(m, parent, best, 2, 1, cnt, NULL, 0, NULL);
		inner_underflow(m, p, 1);
		return;
	}

	/*
	 * Borrow from the fuller sibling: to restore the hard minimum, or when it has entries to
	 * spare above the soft one. No pair fitted in one leaf with room to spare, so both halves
	 * end up above the minimum.
	 */
	if (pi > 0 && (pi + 1 > hi || c[pi - 1 - lo] >= c[pi + 1 - lo]))
		best = pi - 1;
	else
		best = pi;
	i = best == pi ? pi + 1 : pi - 1;
	if (self < LEAF_MIN || c[i - lo] > LEAF_SOFT) {
		best_total = c[best - lo] + c[best + 1 - lo];
		cnt[0] = (best_total + 1) / 2;
		cnt[1] = best_total - cnt[0];
		leaf_redistribute(m, parent, best, 2, 2, cnt, NULL, 0, NULL);
	}
}

int vmamap_erase(struct vmamap *m, uint64_t start)
{
	struct path p;
	struct leaf *l;
	unsigned int i;

	if (!m->root)
		return -ENOENT;
	l = descend_path(m, start, &p);
	i = leaf_lower(l, start);
	if (i == l->count || l->e[i].start != start)
		return -ENOENT;
	memmove(&l->e[i], &l->e[i + 1], (l->count - i - 1) * sizeof(l->e[0]));
	l->count--;
	m->count--;
	leaf_refence(l, i);

	if (!m->height) {
		if (!l->count) {
			node_free(m, l, sizeof(*l));
			m->root = NULL;
		}
		return 0;
	}
	if (l->count < LEAF_SOFT)
		leaf_underflow(m, &p);
	return 0;
}

int vmamap_rekey(struct vmamap *m, uint64_t start, uint64_t new_start)
{
	uint64_t lo, hi; /* the separators around the leaf: lo <= key < hi */
	struct leaf *l;
	unsigned int i;

	if (!m->root)
		return -ENOENT;
	l = descend(m, start, &lo, &hi);
	i = leaf_lower(l, start);
	if (i == l->count || l->e[i].start != start)
		return -ENOENT;
	if (new_start < lo || new_start >= hi || (i > 0 && l->e[i - 1].start >= new_start) ||
	    (i + 1 < l->count && l->e[i + 1].start <= new_start))
		return -ERANGE;
	l->e[i].start = new_start;
	if (i && i % SCAN_GROUP == 0)
		l->fence[i / SCAN_GROUP - 1] = new_start;
	return 0;
}
