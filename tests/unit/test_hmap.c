// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Open-addressing hash map with backward-shift deletion (src/hmap.c). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "xorshift.h"

/* Values are never NULL: encode a key as key + 1 in the pointer. */
#define V(k) ((void *)(uintptr_t)((k) + 1))

/* Small deterministic generator (xorshift64*): same sequence on every run. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	return xorshift64s(&rng_state);
}

/* Every key of the reference is found with its value, the others are absent, len agrees. */
static void check_against(const struct hmap *m, void *const *ref, size_t nkeys, uint64_t base)
{
	size_t live = 0;

	for (size_t k = 0; k < nkeys; k++) {
		cr_assert_eq(hmap_get(m, base + k), ref[k], "key %zu", k);
		live += ref[k] != NULL;
	}
	cr_assert_eq(m->len, live);
}

Test(hmap, empty)
{
	struct hmap m;
	uint64_t k;
	void *v;

	hmap_init(&m);
	cr_assert_null(hmap_get(&m, 0));
	cr_assert_null(hmap_get(&m, 42));
	cr_assert_null(hmap_del(&m, 42));
	cr_assert_eq(hmap_next(&m, 0, &k, &v), 0);
	cr_assert_eq(m.len, 0);
	hmap_free(&m);
	hmap_free(&m); /* free after free is harmless */
}

Test(hmap, put_get_del)
{
	struct hmap m;
	int a, b, c;

	hmap_init(&m);
	cr_assert_eq(hmap_put(&m, 1234, &a), 0);
	cr_assert_eq(hmap_put(&m, 0, &b), 0); /* key 0 is a key like any other */
	cr_assert_eq(hmap_put(&m, UINT64_MAX, &c), 0);
	cr_assert_eq(m.len, 3);
	cr_assert_eq(hmap_get(&m, 1234), &a);
	cr_assert_eq(hmap_get(&m, 0), &b);
	cr_assert_eq(hmap_get(&m, UINT64_MAX), &c);
	cr_assert_null(hmap_get(&m, 1235));

	cr_assert_eq(hmap_del(&m, 1234), &a);
	cr_assert_null(hmap_get(&m, 1234));
	cr_assert_null(hmap_del(&m, 1234));
	cr_assert_eq(m.len, 2);
	cr_assert_eq(hmap_get(&m, 0), &b);
	cr_assert_eq(hmap_get(&m, UINT64_MAX), &c);
	hmap_free(&m);
	cr_assert_eq(m.len, 0);
	cr_assert_null(hmap_get(&m, 0));
}

Test(hmap, replace)
{
	struct hmap m;
	int a, b;

	hmap_init(&m);
	cr_assert_eq(hmap_put(&m, 7, &a), 0);
	cr_assert_eq(hmap_put(&m, 7, &b), 0);
	cr_assert_eq(m.len, 1);
	cr_assert_eq(hmap_get(&m, 7), &b);
	cr_assert_eq(hmap_del(&m, 7), &b);
	cr_assert_eq(m.len, 0);
	cr_assert_null(hmap_get(&m, 7));
	hmap_free(&m);
}

Test(hmap, growth)
{
	enum { N = 10000 };
	struct hmap m;

	hmap_init(&m);
	for (uint64_t k = 0; k < N; k++) {
		cr_assert_eq(hmap_put(&m, k * 4096, V(k)), 0);
		cr_assert_eq(m.len, k + 1);
		/* cap stays a power of two with free slots left for probing to stop. */
		cr_assert_eq(m.cap & (m.cap - 1), 0);
		cr_assert_lt(m.len, m.cap);
	}
	cr_assert_geq(m.cap, (size_t)N);
	for (uint64_t k = 0; k < N; k++)
		cr_assert_eq(hmap_get(&m, k * 4096), V(k), "key %llu",
			     (unsigned long long)k * 4096);
	cr_assert_null(hmap_get(&m, 4096ULL * N));
	cr_assert_null(hmap_get(&m, 1));
	hmap_free(&m);
}

Test(hmap, iteration_visits_each_key_once)
{
	enum { N = 3000 };
	struct hmap m;
	unsigned char *seen = calloc(N, 1);
	size_t visits = 0;
	uint64_t k;
	void *v;

	hmap_init(&m);
	for (uint64_t i = 0; i < N; i++)
		cr_assert_eq(hmap_put(&m, i, V(i)), 0);
	/* Holes from deletions must not hide or repeat entries. */
	for (uint64_t i = 0; i < N; i += 3)
		cr_assert_eq(hmap_del(&m, i), V(i));
	for (size_t pos = 0; (pos = hmap_next(&m, pos, &k, &v));) {
		cr_assert_lt(k, (uint64_t)N);
		cr_assert_neq(k % 3, 0, "deleted key %llu visited", (unsigned long long)k);
		cr_assert_eq(v, V(k));
		cr_assert_eq(seen[k], 0, "key %llu visited twice", (unsigned long long)k);
		seen[k] = 1;
		visits++;
	}
	cr_assert_eq(visits, m.len);
	for (uint64_t i = 0; i < N; i++)
		cr_assert_eq(seen[i], i % 3 != 0, "key %llu", (unsigned long long)i);
	free(seen);
	hmap_free(&m);
}

/* Random puts and deletes against a plain array; the key range decides how crowded it gets. */
static void random_ops(uint64_t seed, size_t nkeys, uint64_t base, int ops, int del_percent)
{
	struct hmap m;
	void **ref = calloc(nkeys, sizeof(*ref));

	rng_state = seed;
	hmap_init(&m);
	for (int op = 0; op < ops; op++) {
		size_t k = rng() % nkeys;
		void *got;

		if ((int)(rng() % 100) < del_percent) {
			got = hmap_del(&m, base + k);
			cr_assert_eq(got, ref[k], "op %d: del %zu", op, k);
			ref[k] = NULL;
		} else {
			void *v = (void *)(uintptr_t)(rng() | 1);

			cr_assert_eq(hmap_put(&m, base + k, v), 0);
			ref[k] = v;
		}
		/* A full check now and then catches entries a deletion made unreachable. */
		if (op % 97 == 0)
			check_against(&m, ref, nkeys, base);
	}
	check_against(&m, ref, nkeys, base);
	/* Empty it completely. */
	for (size_t k = 0; k < nkeys; k++) {
		cr_assert_eq(hmap_del(&m, base + k), ref[k]);
		ref[k] = NULL;
	}
	cr_assert_eq(m.len, 0);
	check_against(&m, ref, nkeys, base);
	free(ref);
	hmap_free(&m);
}

Test(hmap, random_dense_small)
{
	/* ~20 keys in 16-32 slots: long runs that wrap around the end of the table. */
	random_ops(1, 20, 0, 200000, 45);
}

Test(hmap, random_many_deletions)
{
	random_ops(2, 5000, 0, 300000, 50);
	random_ops(3, 5000, 0x7f0000000000ULL, 200000, 60);
}

Test(hmap, random_strided_keys)
{
	/* Page-aligned addresses, as used for VMA starts and pids shifted into keys. */
	struct hmap m;
	enum { N = 2048 };
	void *ref[N] = { 0 };

	rng_state = 4;
	hmap_init(&m);
	for (int round = 0; round < 20; round++) {
		for (size_t k = 0; k < N; k++) {
			if (rng() % 2) {
				cr_assert_eq(hmap_put(&m, (uint64_t)k << 12, V(k)), 0);
				ref[k] = V(k);
			} else {
				cr_assert_eq(hmap_del(&m, (uint64_t)k << 12), ref[k]);
				ref[k] = NULL;
			}
		}
		for (size_t k = 0; k < N; k++)
			cr_assert_eq(hmap_get(&m, (uint64_t)k << 12), ref[k], "round %d key %zu",
				     round, k);
	}
	hmap_free(&m);
}

static void count_val(void *ctx, void *val)
{
	cr_assert_not_null(val);
	(*(size_t *)ctx)++;
}

Test(hmap, free_values_frees_each_value_once_and_empties_the_map)
{
	struct hmap m;
	size_t freed = 0;

	hmap_init(&m);
	for (uint64_t k = 0; k < 100; k++)
		cr_assert_eq(hmap_put(&m, k * 7919, V(k)), 0);
	for (uint64_t k = 0; k < 100; k += 3)
		cr_assert_eq(hmap_del(&m, k * 7919), V(k));
	hmap_free_values(&m, count_val, &freed);
	cr_assert_eq(freed, 66);
	cr_assert_eq(m.len, 0);
	cr_assert_null(hmap_get(&m, 7919));
}
