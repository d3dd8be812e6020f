// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Linear probing with backward-shift deletion: no tombstones to clean up. */
#include <errno.h>
#include <stdlib.h>

#include "hmap.h"

static size_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k;
}

void hmap_init(struct hmap *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->len = 0;
}

void hmap_free(struct hmap *m)
{
	free(m->slots);
	hmap_init(m);
}

void hmap_free_values(struct hmap *m, void (*free_val)(void *ctx, void *val), void *ctx)
{
	for (size_t i = 0; i < m->cap; i++) {
		void *v = m->slots[i].val;

		if (!v)
			continue;
		if (free_val)
			free_val(ctx, v);
		else
			free(v);
	}
	hmap_free(m);
}

static struct hmap_slot *find(const struct hmap *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = hash64(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].val)
			return NULL;
		if (m->slots[i].key == key)
			return &m->slots[i];
	}
}

void *hmap_get(const struct hmap *m, uint64_t key)
{
	struct hmap_slot *s = find(m, key);

	return s ? s->val : NULL;
}

static void insert(struct hmap_slot *slots, size_t cap, uint64_t key, void *val)
{
	size_t i = hash64(key) & (cap - 1);

	while (slots[i].val)
		i = (i + 1) & (cap - 1);
	slots[i].key = key;
	slots[i].val = val;
}

int hmap_put(struct hmap *m, uint64_t key, void *val)
{
	struct hmap_slot *s = find(m, key);

	if (s) {
		s->val = val;
		return 0;
	}
	if ((m->len + 1) * 4 > m->cap * 3) {
		size_t ncap = m->cap ? m->cap * 2 : 16;
		struct hmap_slot *ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].val)
				insert(ns, ncap, m->slots[i].key, m->slots[i].val);
		free(m->slots);
		m->slots = ns;
		m->cap = ncap;
	}
	insert(m->slots, m->cap, key, val);
	m->len++;
	return 0;
}

void *hmap_del(struct hmap *m, uint64_t key)
{
	struct hmap_slot *s = find(m, key);
	size_t mask = m->cap - 1, i, j;
	void *val;

	if (!s)
		return NULL;
	val = s->val;
	i = s - m->slots;
	s->val = NULL;
	/* Shift back the entries of the probe run that follows the hole. */
	for (j = (i + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
		size_t home = hash64(m->slots[j].key) & mask;

		/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			m->slots[j].val = NULL;
			i = j;
		}
	}
	m->len--;
	return val;
}

size_t hmap_next(const struct hmap *m, size_t pos, uint64_t *key, void **val)
{
	for (size_t i = pos; i < m->cap; i++) {
		if (m->slots[i].val) {
			*key = m->slots[i].key;
			*val = m->slots[i].val;
			return i + 1;
		}
	}
	return 0;
}
