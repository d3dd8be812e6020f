// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The VMA map: small cases, a randomized run against a sorted array with the tree's own
 * invariant check (vmamap_check()), memory bounds, and allocation failures injected through
 * vmamap_fail_alloc. VMAMAP_TEST_QUICK=1 shrinks the large tests for valgrind runs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vmamap.h"
#include "xorshift.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
	return xorshift64s(&rng_state);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ULL;
	x ^= x >> 27;
	return x;
}

/* Every field derives from start, so any answer can be checked without storing it. */
static struct vma_entry entry_for(uint64_t start)
{
	uint64_t h = mix(start);
	struct vma_entry e = {
		.start = start,
		.end = start + 1 + h % 4096,
		.pgoff = h >> 24,
		.file = (uint32_t)(h >> 8),
		.flags = (uint16_t)h,
		.kind = (uint8_t)(h >> 56),
		.pad = 0,
	};

	return e;
}

static void assert_entry(const struct vma_entry *got, uint64_t start)
{
	struct vma_entry want = entry_for(start);

	cr_assert_not_null(got, "no entry, expected start %#llx", (unsigned long long)start);
	cr_assert_eq(got->start, want.start, "start %#llx, expected %#llx",
		     (unsigned long long)got->start, (unsigned long long)start);
	cr_assert(memcmp(got, &want, sizeof(want)) == 0, "entry %#llx corrupted",
		  (unsigned long long)start);
}

static void insert_ok(struct vmamap *m, uint64_t start)
{
	struct vma_entry e = entry_for(start);

	cr_assert_eq(vmamap_insert(m, &e), 0, "insert %#llx", (unsigned long long)start);
}

static void assert_valid(const struct vmamap *m)
{
	char msg[256];

	cr_assert_eq(vmamap_check(m, msg, sizeof(msg)), 0, "invariant broken: %s", msg);
}

static bool quick(void)
{
	const char *q = getenv("VMAMAP_TEST_QUICK");

	return q && *q && strcmp(q, "0") != 0;
}

static void shuffle(uint64_t *a, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rng() % i;
		uint64_t t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* n keys base, base + step, ... inserted in an order shuffled from seed; the keys (free them). */
static uint64_t *insert_shuffled(struct vmamap *m, size_t n, uint64_t base, uint64_t step,
				 uint64_t seed)
{
	uint64_t *keys = malloc(n * sizeof(*keys));

	cr_assert_not_null(keys);
	rng_state = seed;
	for (size_t i = 0; i < n; i++)
		keys[i] = base + i * step;
	shuffle(keys, n);
	for (size_t i = 0; i < n; i++)
		insert_ok(m, keys[i]);
	return keys;
}

Test(vmamap, empty)
{
	struct vmamap *m = vmamap_new();
	struct vmamap_iter it;
	struct vmamap *c;

	cr_assert_not_null(m);
	cr_assert_eq(vmamap_count(m), 0);
	cr_assert_gt(vmamap_memory(m), 0);
	cr_assert_leq(vmamap_memory(m), 64, "an empty map should hold no nodes");
	cr_assert_null(vmamap_floor(m, 0));
	cr_assert_null(vmamap_floor(m, UINT64_MAX));
	cr_assert_null(vmamap_ceil(m, 0));
	cr_assert_null(vmamap_find(m, 0x1000));
	cr_assert_eq(vmamap_erase(m, 0), -ENOENT);
	vmamap_iter_init(m, &it, 0);
	cr_assert_null(vmamap_iter_next(&it));
	vmamap_iter_floor(m, &it, 0x1000);
	cr_assert_null(vmamap_iter_next(&it));
	assert_valid(m);

	c = vmamap_clone(m);
	cr_assert_not_null(c);
	cr_assert_eq(vmamap_count(c), 0);
	cr_assert_eq(vmamap_memory(c), vmamap_memory(m));
	vmamap_clear(c);
	assert_valid(c);
	vmamap_free(c);
	vmamap_free(m);
	vmamap_free(NULL);
}

Test(vmamap, small_set)
{
	struct vmamap *m = vmamap_new();
	struct vma_entry e = { .start = 0x1000, .end = 0x3000, .file = 7 };
	struct vma_entry f = { .start = 0x5000, .end = 0x6000 };
	struct vma_entry g = { .start = 0x6000, .end = 0x8000, .pgoff = 3 };

	cr_assert_eq(vmamap_insert(m, &f), 0);
	cr_assert_eq(vmamap_insert(m, &e), 0);
	cr_assert_eq(vmamap_insert(m, &g), 0);
	cr_assert_eq(vmamap_count(m), 3);
	assert_valid(m);

	cr_assert_null(vmamap_floor(m, 0xfff));
	cr_assert_eq(vmamap_floor(m, 0x1000)->start, 0x1000);
	cr_assert_eq(vmamap_floor(m, 0x4fff)->start, 0x1000);
	cr_assert_eq(vmamap_floor(m, 0x5000)->start, 0x5000);
	cr_assert_eq(vmamap_floor(m, UINT64_MAX)->start, 0x6000);

	cr_assert_eq(vmamap_ceil(m, 0)->start, 0x1000);
	cr_assert_eq(vmamap_ceil(m, 0x1000)->start, 0x1000);
	cr_assert_eq(vmamap_ceil(m, 0x1001)->start, 0x5000);
	cr_assert_eq(vmamap_ceil(m, 0x6000)->start, 0x6000);
	cr_assert_null(vmamap_ceil(m, 0x6001));

	cr_assert_null(vmamap_find(m, 0xfff));
	cr_assert_eq(vmamap_find(m, 0x2fff)->file, 7);
	cr_assert_null(vmamap_find(m, 0x3000), "end is exclusive");
	cr_assert_null(vmamap_find(m, 0x4fff));
	cr_assert_eq(vmamap_find(m, 0x5fff)->start, 0x5000);
	cr_assert_eq(vmamap_find(m, 0x6000)->pgoff, 3);
	cr_assert_null(vmamap_find(m, 0x8000));

	/* Fields other than start may be changed in place. */
	vmamap_find(m, 0x1000)->end = 0x4000;
	cr_assert_eq(vmamap_find(m, 0x3fff)->start, 0x1000);

	cr_assert_eq(vmamap_erase(m, 0x5000), 0);
	cr_assert_eq(vmamap_floor(m, 0x5fff)->start, 0x1000);
	cr_assert_eq(vmamap_ceil(m, 0x1001)->start, 0x6000);
	cr_assert_eq(vmamap_count(m), 2);
	assert_valid(m);
	vmamap_free(m);
}

Test(vmamap, extreme_keys)
{
	struct vmamap *m = vmamap_new();
	struct vma_entry lo = { .start = 0, .end = 1 };
	struct vma_entry hi = { .start = UINT64_MAX, .end = UINT64_MAX };

	cr_assert_eq(vmamap_insert(m, &hi), 0);
	cr_assert_eq(vmamap_insert(m, &lo), 0);
	for (uint64_t i = 1; i <= 1000; i++)
		insert_ok(m, UINT64_MAX - i * 4096);
	assert_valid(m);
	cr_assert_eq(vmamap_floor(m, 0)->start, 0);
	cr_assert_eq(vmamap_floor(m, UINT64_MAX)->start, UINT64_MAX);
	cr_assert_eq(vmamap_floor(m, UINT64_MAX - 1)->start, UINT64_MAX - 4096);
	cr_assert_eq(vmamap_ceil(m, 1)->start, UINT64_MAX - 1000 * 4096);
	cr_assert_eq(vmamap_ceil(m, UINT64_MAX)->start, UINT64_MAX);
	cr_assert_eq(vmamap_find(m, 0)->start, 0);
	cr_assert_null(vmamap_find(m, 1));
	vmamap_free(m);
}

Test(vmamap, eexist_enoent)
{
	struct vmamap *m = vmamap_new();
	struct vma_entry dup;
	size_t mem;

	for (uint64_t i = 0; i < 500; i++)
		insert_ok(m, i * 0x10000);
	mem = vmamap_memory(m);

	dup = entry_for(0x20000);
	dup.end = 1;
	dup.pgoff = 99;
	cr_assert_eq(vmamap_insert(m, &dup), -EEXIST);
	assert_entry(vmamap_floor(m, 0x20000), 0x20000);
	cr_assert_eq(vmamap_count(m), 500);

	cr_assert_eq(vmamap_erase(m, 0x20001), -ENOENT);
	cr_assert_eq(vmamap_erase(m, 500 * 0x10000), -ENOENT);
	cr_assert_eq(vmamap_erase(m, 0x20000), 0);
	cr_assert_eq(vmamap_erase(m, 0x20000), -ENOENT);
	cr_assert_eq(vmamap_count(m), 499);
	cr_assert_leq(vmamap_memory(m), mem);
	assert_valid(m);
	vmamap_free(m);
}

Test(vmamap, iteration)
{
	const size_t n = 10000;
	struct vmamap *m = vmamap_new();
	uint64_t *keys = insert_shuffled(m, n, 0x400000, 0x2000, 42);
	struct vmamap_iter it;
	struct vma_entry *e;
	size_t i;

	assert_valid(m);

	vmamap_iter_init(m, &it, 0);
	for (i = 0; (e = vmamap_iter_next(&it)); i++)
		assert_entry(e, 0x400000 + i * 0x2000);
	cr_assert_eq(i, n);
	cr_assert_null(vmamap_iter_next(&it), "an ended iterator stays ended");

	/* From an exact key, from between two keys, and from past the end. */
	vmamap_iter_init(m, &it, 0x400000 + 5000 * 0x2000);
	assert_entry(vmamap_iter_next(&it), 0x400000 + 5000 * 0x2000);
	assert_entry(vmamap_iter_next(&it), 0x400000 + 5001 * 0x2000);
	vmamap_iter_init(m, &it, 0x400000 + 7000 * 0x2000 + 1);
	for (i = 7001; (e = vmamap_iter_next(&it)); i++)
		assert_entry(e, 0x400000 + i * 0x2000);
	cr_assert_eq(i, n);
	vmamap_iter_init(m, &it, 0x400000 + n * 0x2000);
	cr_assert_null(vmamap_iter_next(&it));

	/* Every start of a leaf, and every position right after one, as a starting point. */
	for (i = 0; i < n; i += 7) {
		vmamap_iter_init(m, &it, 0x400000 + i * 0x2000 - 1);
		assert_entry(vmamap_iter_next(&it), 0x400000 + i * 0x2000);
	}
	free(keys);
	vmamap_free(m);
}

/* floor() right below the first key of every leaf, also after erases left separators stale. */
Test(vmamap, floor_across_leaves)
{
	const uint64_t n = 20000;
	struct vmamap *m = vmamap_new();

	for (uint64_t i = 1; i <= n; i++)
		insert_ok(m, i * 16);
	for (uint64_t i = 1; i <= n; i++)
		if (i % 3 == 0)
			cr_assert_eq(vmamap_erase(m, i * 16), 0);
	assert_valid(m);

	for (uint64_t addr = 0; addr < (n + 2) * 16; addr += 5) {
		uint64_t want = addr / 16;
		struct vma_entry *e = vmamap_floor(m, addr);
		struct vmamap_iter it;

		while (want > n || (want && want % 3 == 0))
			want--;
		/* The iterator from the floor: there, or at the first entry when none is below. */
		vmamap_iter_floor(m, &it, addr);
		{
			uint64_t first = want ? want : 1, next = first + 1;

			if (next % 3 == 0)
				next++;
			assert_entry(vmamap_iter_next(&it), first * 16);
			if (next <= n)
				assert_entry(vmamap_iter_next(&it), next * 16);
			else
				cr_assert_null(vmamap_iter_next(&it));
		}
		if (!want) {
			cr_assert_null(e, "floor(%#llx)", (unsigned long long)addr);
			continue;
		}
		assert_entry(e, want * 16);

		want = (addr + 15) / 16;
		if (!want)
			want = 1;
		while (want % 3 == 0)
			want++;
		e = vmamap_ceil(m, addr);
		if (want > n)
			cr_assert_null(e, "ceil(%#llx)", (unsigned long long)addr);
		else
			assert_entry(e, want * 16);
	}
	vmamap_free(m);
}

/*
 * A key moved in place (vmamap_rekey), down and then up, across a tree of several levels:
 * allowed wherever no other start and no separator lies between, refused (-ERANGE, nothing
 * changed) where one does, and every lookup sees the new keys.
 */
Test(vmamap, rekey_in_place_or_refused)
{
	const uint64_t n = 20000;
	struct vmamap *m = vmamap_new();
	uint64_t moved = 0, refused = 0;
	static uint64_t key[20001];

	for (uint64_t i = 1; i <= n; i++)
		insert_ok(m, i * 16);
	cr_assert_eq(vmamap_rekey(m, 17, 8), -ENOENT);
	cr_assert_eq(vmamap_rekey(m, 32, 16), -ERANGE, "onto its neighbour's start");
	cr_assert_eq(vmamap_rekey(m, 32, 48), -ERANGE, "onto its neighbour's start");
	for (uint64_t i = 1; i <= n; i++) {
		int err = vmamap_rekey(m, i * 16, i * 16 - (i % 2 ? 8 : 4));

		cr_assert(err == 0 || err == -ERANGE, "rekey %llu: %d", (unsigned long long)i, err);
		key[i] = err ? i * 16 : i * 16 - (i % 2 ? 8 : 4);
		moved += !err;
		refused += !!err;
	}
	assert_valid(m);
	cr_assert_gt(moved, n * 9 / 10);
	cr_assert_gt(refused, 0, "no key sat at a separator: the test proves nothing");
	for (uint64_t i = 1; i <= n; i++) {
		struct vma_entry *e = vmamap_floor(m, key[i]);
		struct vma_entry want = entry_for(i * 16);

		cr_assert(e && e->start == key[i], "floor(%#llx)", (unsigned long long)key[i]);
		want.start = key[i];
		cr_assert(memcmp(e, &want, sizeof(want)) == 0, "entry %llu", (unsigned long long)i);
		cr_assert_eq(vmamap_ceil(m, key[i] - 1), e);
		/* and back up again, to its own start */
		cr_assert_eq(vmamap_rekey(m, key[i], i * 16), 0, "back up %llu",
			     (unsigned long long)i);
	}
	assert_valid(m);
	for (uint64_t i = 1; i <= n; i++)
		assert_entry(vmamap_find(m, i * 16), i * 16);
	vmamap_free(m);
}

Test(vmamap, clone_is_independent)
{
	struct vmamap *m = vmamap_new();
	struct vmamap *c;
	struct vmamap_iter it;
	struct vma_entry *e;
	uint64_t i;

	for (i = 0; i < 5000; i++)
		insert_ok(m, i * 0x1000);
	c = vmamap_clone(m);
	cr_assert_not_null(c);
	assert_valid(c);
	cr_assert_eq(vmamap_count(c), 5000);
	cr_assert_eq(vmamap_memory(c), vmamap_memory(m));

	for (i = 0; i < 5000; i += 2)
		cr_assert_eq(vmamap_erase(m, i * 0x1000), 0);
	for (i = 5000; i < 6000; i++)
		insert_ok(m, i * 0x1000);
	vmamap_find(m, 0x1000)->pgoff = 12345;
	assert_valid(m);

	vmamap_iter_init(c, &it, 0);
	for (i = 0; (e = vmamap_iter_next(&it)); i++)
		assert_entry(e, i * 0x1000);
	cr_assert_eq(i, 5000);
	assert_valid(c);
	vmamap_free(m);

	/* The clone outlives its source and still works. */
	insert_ok(c, 0x7fff0000);
	cr_assert_eq(vmamap_erase(c, 0), 0);
	assert_valid(c);
	vmamap_free(c);
}

Test(vmamap, clear)
{
	struct vmamap *m = vmamap_new();
	size_t empty = vmamap_memory(m);

	for (uint64_t i = 0; i < 10000; i++)
		insert_ok(m, i * 0x1000);
	vmamap_clear(m);
	cr_assert_eq(vmamap_count(m), 0);
	cr_assert_eq(vmamap_memory(m), empty);
	cr_assert_null(vmamap_floor(m, UINT64_MAX));
	assert_valid(m);

	insert_ok(m, 0x1000);
	cr_assert_eq(vmamap_count(m), 1);
	assert_entry(vmamap_find(m, 0x1000), 0x1000);
	vmamap_free(m);
}

static double bytes_per_entry(const struct vmamap *m)
{
	return (double)vmamap_memory(m) / (double)vmamap_count(m);
}

/* Seeding a process inserts its VMAs in address order; top-down mmap adds them in reverse. */
Test(vmamap, sequential_fill_is_dense)
{
	const uint64_t n = 100000;
	struct vmamap *up = vmamap_new(), *down = vmamap_new();

	for (uint64_t i = 0; i < n; i++) {
		insert_ok(up, 0x10000 + i * 0x1000);
		insert_ok(down, 0x7fff00000000 - i * 0x1000);
	}
	assert_valid(up);
	assert_valid(down);
	cr_assert_leq(bytes_per_entry(up), 36.0, "ascending: %.1f bytes/entry",
		      bytes_per_entry(up));
	cr_assert_leq(bytes_per_entry(down), 36.0, "descending: %.1f bytes/entry",
		      bytes_per_entry(down));
	vmamap_free(up);
	vmamap_free(down);
}

Test(vmamap, erase_releases_memory)
{
	const size_t n = quick() ? 20000 : 100000;
	struct vmamap *m = vmamap_new();
	size_t empty = vmamap_memory(m);
	uint64_t *keys = insert_shuffled(m, n, 0x10000, 0x1000, 7);
	size_t i;

	cr_assert_leq(bytes_per_entry(m), 48.0, "random inserts: %.1f bytes/entry",
		      bytes_per_entry(m));

	/* Leaves stay at least a third full: 2096 / 21 bytes at worst, plus inner nodes. */
	shuffle(keys, n);
	for (i = 0; i < n - n / 100; i++)
		cr_assert_eq(vmamap_erase(m, keys[i]), 0);
	assert_valid(m);
	cr_assert_leq(bytes_per_entry(m), 104.0, "after erasing 99%%: %.1f bytes/entry",
		      bytes_per_entry(m));

	for (; i < n; i++)
		cr_assert_eq(vmamap_erase(m, keys[i]), 0);
	cr_assert_eq(vmamap_count(m), 0);
	cr_assert_eq(vmamap_memory(m), empty);
	assert_valid(m);
	free(keys);
	vmamap_free(m);
}

/* Allocations the map may still make before they fail; -1: no limit. */
static long alloc_budget = -1;
/* Allocations the map attempted. */
static long alloc_calls;

/* The map's fault injection (vmamap.h), installed for the whole test program. */
static int fail_alloc(void)
{
	alloc_calls++;
	if (alloc_budget < 0)
		return 0;
	if (alloc_budget == 0)
		return 1;
	alloc_budget--;
	return 0;
}

__attribute__((constructor)) static void fail_alloc_install(void)
{
	vmamap_fail_alloc = fail_alloc;
}

/* Heap bytes in use. glibc counts freed chunks parked in its per-thread cache as in use. */
static long heap_in_use(void)
{
	return (long)mallinfo2().uordblks;
}

/* Room for glibc's thread cache, small next to a leaked partial copy. */
#define HEAP_SLACK (16 << 10)

/*
 * Fail the first, then the second, third... allocation of random inserts until they succeed:
 * splits that run out of memory at the leaf, at an inner node or at a new root must leave the
 * map as it was.
 */
Test(vmamap, enomem_insert_changes_nothing)
{
	const size_t n = quick() ? 20000 : 100000;
	struct vmamap *m = vmamap_new();
	size_t failures = 0, rollbacks = 0;
	long deepest = 0;

	rng_state = 5;
	for (size_t i = 0; i < n; i++) {
		struct vma_entry e = entry_for(rng() & ~0xfffULL);
		size_t count = vmamap_count(m), mem = vmamap_memory(m);
		long budget = 0;
		int err;

		for (;;) {
			alloc_budget = budget;
			err = vmamap_insert(m, &e);
			alloc_budget = -1;
			if (err != -ENOMEM)
				break;
			failures++;
			rollbacks += budget > 0;
			deepest = budget > deepest ? budget : deepest;
			cr_assert_eq(vmamap_count(m), count);
			cr_assert_eq(vmamap_memory(m), mem,
				     "insert %zu failing after %ld allocations "
				     "changed memory from %zu to %zu",
				     i, budget, mem, vmamap_memory(m));
			cr_assert(!vmamap_floor(m, e.start) ||
				  vmamap_floor(m, e.start)->start != e.start);
			if (failures % 64 == 0)
				assert_valid(m);
			budget++;
		}
		cr_assert_eq(err, 0, "insert %zu: %d", i, err);
	}
	assert_valid(m);
	cr_assert_eq(vmamap_count(m), n);
	/* Splits that allocated a leaf and an inner node, and some that grew a new root. */
	cr_assert_geq(rollbacks, 5, "only %zu failures came after an allocation succeeded",
		      rollbacks);
	cr_assert_geq(deepest, 2, "no split failed past its second allocation");
	vmamap_free(m);
}

/* A clone that fails at any of its allocations frees what it copied. */
Test(vmamap, enomem_clone_frees_partial_copy)
{
	const size_t n = quick() ? 3000 : 20000;
	struct vmamap *m = vmamap_new(), *c;
	long before, needed;

	rng_state = 11;
	for (uint64_t i = 0; i < n; i++)
		insert_ok(m, rng() & ~0xfffULL);

	alloc_calls = 0;
	c = vmamap_clone(m);
	needed = alloc_calls;
	cr_assert_not_null(c);
	cr_assert_gt(needed, (long)(n / 63), "one allocation per node, and leaves hold <= 63");
	vmamap_free(c);

	before = heap_in_use();
	for (long budget = 0; budget < needed; budget++) {
		alloc_budget = budget;
		c = vmamap_clone(m);
		alloc_budget = -1;
		cr_assert_null(c, "clone with %ld of %ld allocations succeeded", budget, needed);
		cr_assert_leq(heap_in_use() - before, HEAP_SLACK,
			      "a clone that failed after %ld allocations leaked", budget);
	}
	alloc_budget = needed;
	c = vmamap_clone(m);
	alloc_budget = -1;
	cr_assert_not_null(c);
	assert_valid(c);
	cr_assert_eq(vmamap_count(c), n);
	cr_assert_eq(vmamap_memory(c), vmamap_memory(m));
	assert_valid(m);
	vmamap_free(c);
	vmamap_free(m);
}

/* The reference: a sorted array of starts. */
struct ref {
	uint64_t *keys;
	size_t n;
};

/* Index of the first key >= k. */
static size_t ref_lower(const struct ref *r, uint64_t k)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->keys[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool ref_insert(struct ref *r, uint64_t k)
{
	size_t i = ref_lower(r, k);

	if (i < r->n && r->keys[i] == k)
		return false;
	memmove(&r->keys[i + 1], &r->keys[i], (r->n - i) * sizeof(k));
	r->keys[i] = k;
	r->n++;
	return true;
}

static bool ref_erase(struct ref *r, uint64_t k)
{
	size_t i = ref_lower(r, k);

	if (i == r->n || r->keys[i] != k)
		return false;
	memmove(&r->keys[i], &r->keys[i + 1], (r->n - i - 1) * sizeof(k));
	r->n--;
	return true;
}

/*
 * The finger (vmamap_node.h) on a leaf whose keys then go, with no lookup between: runs of
 * keys erased at and around it make it merge with or borrow from its neighbours (separators
 * move, leaves are freed), and every lookup after must still find the right entry.
 */
Test(vmamap, lookups_after_erases_under_the_finger)
{
	for (uint64_t start = 900; start < 1000; start += 5)
		for (uint64_t n = 10; n < 80; n += 10) {
			struct vmamap *m = vmamap_new();

			for (uint64_t i = 0; i < 2000; i++)
				insert_ok(m, i * 0x1000);
			vmamap_floor(m, (start + n) * 0x1000);
			for (uint64_t j = 0; j < n; j++)
				cr_assert_eq(vmamap_erase(m, (start + j) * 0x1000), 0);
			for (uint64_t q = start + n + 60; q > start - 100; q--) {
				uint64_t want = q >= start && q < start + n ? start - 1 : q;

				assert_entry(vmamap_floor(m, q * 0x1000 + 5), want * 0x1000);
			}
			assert_valid(m);
			vmamap_free(m);
		}
}

/* The key below k in r, which holds k (0: none, and no map key is 0 here). */
static uint64_t prev_key(const struct ref *r, uint64_t k)
{
	size_t i = ref_lower(r, k);

	return i ? r->keys[i - 1] : 0;
}

static void assert_same_order(struct vmamap *m, const struct ref *r)
{
	struct vmamap_iter it;
	struct vma_entry *e;
	size_t i = 0;

	vmamap_iter_init(m, &it, 0);
	while ((e = vmamap_iter_next(&it))) {
		cr_assert_lt(i, r->n, "iteration yields more entries than the reference");
		assert_entry(e, r->keys[i++]);
	}
	cr_assert_eq(i, r->n);
}

Test(vmamap, randomized_against_sorted_array, .timeout = 120)
{
	const size_t slots = quick() ? 10000 : 100000;
	const size_t ops = quick() ? 40000 : 300000;
	const uint64_t base = 0x555500000000ULL;
	struct vmamap *m = vmamap_new();
	struct ref r = { .keys = malloc((slots + 2) * sizeof(uint64_t)) };
	size_t inserts = 0, erases = 0;
	uint64_t last = base;

	/* Freed nodes are overwritten: a lookup that reaches one (a stale finger) goes wrong. */
	mallopt(M_PERTURB, 0x5a);
	rng_state = 0x9e3779b97f4a7c15ULL;
	/* Half the slots live: ~50,000 keys, with gaps between them for floor/find to land in. */
	while (r.n < slots / 2) {
		uint64_t k = base + (rng() % slots) * 0x1000;
		struct vma_entry e = entry_for(k);

		cr_assert_eq(vmamap_insert(m, &e), ref_insert(&r, k) ? 0 : -EEXIST);
	}
	assert_valid(m);

	for (size_t op = 0; op < ops; op++) {
		uint64_t slot = rng() % (slots + 2);
		uint64_t k = base + slot * 0x1000 - 0x1000;
		/* Queries also land between and inside entries, and outside the key range. */
		uint64_t addr = k + rng() % 0x1000;
		unsigned int what = rng() % 100;

		/*
		 * Half of the operations near the last one, as a process's are: the finger
		 * (vmamap_node.h) is then often on the leaf that has just split or merged.
		 */
		if (rng() % 2) {
			k = last + (rng() % 16) * 0x1000 - 0x8000;
			if (k < base - 0x1000 || k > base + slots * 0x1000)
				k = base;
			addr = k + rng() % 0x1000;
		}
		last = k;
		struct vma_entry *got;
		size_t i;

		if (what < 25) {
			struct vma_entry e = entry_for(k);
			bool fresh = ref_insert(&r, k);

			cr_assert_eq(vmamap_insert(m, &e), fresh ? 0 : -EEXIST, "op %zu insert",
				     op);
			inserts += fresh;
		} else if (what < 50) {
			bool had = ref_erase(&r, k);

			cr_assert_eq(vmamap_erase(m, k), had ? 0 : -ENOENT, "op %zu erase", op);
			erases += had;
		} else if (what < 70) {
			struct vmamap_iter it;

			got = vmamap_floor(m, addr);
			i = ref_lower(&r, addr + 1);
			if (!i)
				cr_assert_null(got, "op %zu floor", op);
			else
				assert_entry(got, r.keys[i - 1]);
			/* The iterator from the floor, or from the first key when none is below. */
			vmamap_iter_floor(m, &it, addr);
			got = vmamap_iter_next(&it);
			if (!r.n)
				cr_assert_null(got, "op %zu iter_floor", op);
			else
				assert_entry(got, r.keys[i ? i - 1 : 0]);
		} else if (what < 85) {
			got = vmamap_ceil(m, addr);
			i = ref_lower(&r, addr);
			if (i == r.n)
				cr_assert_null(got, "op %zu ceil", op);
			else
				assert_entry(got, r.keys[i]);
		} else if (what < 95) {
			got = vmamap_find(m, addr);
			i = ref_lower(&r, addr + 1);
			if (i && addr < entry_for(r.keys[i - 1]).end)
				assert_entry(got, r.keys[i - 1]);
			else
				cr_assert_null(got, "op %zu find(%#llx)", op,
					       (unsigned long long)addr);
		} else if (r.n) {
			/*
			 * A key moved by less than a page and back. Up, no key and no separator
			 * (page-aligned: keys, or keys that were) can lie between: always allowed.
			 * Down, the separator at the key itself refuses it when it starts a leaf.
			 */
			uint64_t key = r.keys[rng() % r.n], d = 1 + rng() % 0xfff;
			uint64_t to = what % 2 ? key + d : key - d;
			int err = vmamap_rekey(m, key, to);

			if (to > key)
				cr_assert_eq(err, 0, "op %zu rekey up", op);
			else
				cr_assert(err == 0 || err == -ERANGE, "op %zu rekey down", op);
			if (!err) {
				got = vmamap_floor(m, to);
				cr_assert(got && got->start == to, "op %zu floor of the new key",
					  op);
				got = vmamap_floor(m, key);
				cr_assert(got && got->start == (to < key ? to : prev_key(&r, key)),
					  "op %zu floor after rekey", op);
				cr_assert_eq(vmamap_rekey(m, to, key), 0, "op %zu rekey back", op);
			}
			assert_entry(vmamap_floor(m, key), key);
		}
		cr_assert_eq(vmamap_count(m), r.n);
		if (op % 2000 == 0)
			assert_valid(m);
		if (op % 50000 == 0)
			assert_same_order(m, &r);
	}
	assert_valid(m);
	assert_same_order(m, &r);
	cr_assert_gt(inserts, ops / 10, "the mix must really insert");
	cr_assert_gt(erases, ops / 10, "the mix must really erase");
	cr_assert_leq(bytes_per_entry(m), 48.0, "after random churn: %.1f bytes/entry",
		      bytes_per_entry(m));

	/* Drain through erase alone, checking as the tree shrinks level by level. */
	while (r.n) {
		uint64_t k = r.keys[rng() % r.n];

		ref_erase(&r, k);
		cr_assert_eq(vmamap_erase(m, k), 0);
		if (r.n % 997 == 0)
			assert_valid(m);
	}
	assert_valid(m);
	cr_assert_eq(vmamap_count(m), 0);
	free(r.keys);
	vmamap_free(m);
}
