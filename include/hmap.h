/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Open-addressing hash map from a 64-bit key to a pointer. */
#ifndef VMATRACE_HMAP_H
#define VMATRACE_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_slot {
	uint64_t key;
	void *val; /* NULL: empty slot */
};

struct hmap {
	struct hmap_slot *slots;
	size_t cap; /* power of two */
	size_t len;
};

void hmap_init(struct hmap *m);
void hmap_free(struct hmap *m);
/* Frees every value with free_val(ctx, val), or with free() when free_val is NULL, then m. */
void hmap_free_values(struct hmap *m, void (*free_val)(void *ctx, void *val), void *ctx);
void *hmap_get(const struct hmap *m, uint64_t key);
/* Insert or replace; val must not be NULL. Returns 0 or -ENOMEM. */
int hmap_put(struct hmap *m, uint64_t key, void *val);
/* Remove and return the value, or NULL. */
void *hmap_del(struct hmap *m, uint64_t key);

/* Iterate: for (size_t i = 0; (i = hmap_next(m, i, &k, &v)); ) ... */
size_t hmap_next(const struct hmap *m, size_t pos, uint64_t *key, void **val);

#endif
