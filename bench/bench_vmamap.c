// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The VMA map at 1,000 / 100,000 / 1,000,000 entries: memory per entry after an ascending seed
 * (as when a process is read from /proc/pid/maps), lookup cost, the cost of an erase+insert pair
 * (what splitting or moving a VMA costs), and memory per entry once random churn has reshaped
 * the tree. One line per N.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "vmamap.h"
#include "xorshift.h"

#define BASE 0x7f0000000000ULL
#define PAGE 4096ULL
#define LOOKUPS 1000000
#define PAIRS 1000000

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t rng(void)
{
	return xorshift64s(&rng_state);
}

/* Uniform in [0, n) without a division, which would cost as much as a cached lookup. */
static uint64_t below(uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng() * n) >> 64);
}

static struct vma_entry entry_at(uint64_t start)
{
	struct vma_entry e = { .start = start, .end = start + PAGE, .pgoff = start / PAGE };

	return e;
}

static double bytes_per_entry(const struct vmamap *m)
{
	return (double)vmamap_memory(m) / (double)vmamap_count(m);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_vmamap: %s: %s\n", what, strerror(-err));
	exit(1);
}

/* Keeps lookups from being optimised away. */
static volatile uint64_t sink;

static void bench(size_t n, uint64_t *addrs, uint64_t *keys)
{
	struct vmamap *m = vmamap_new(), *c, *r;
	double t, seq_bpe, insert_ns, floor_ns, find_ns, pair_ns, clone_ms;
	uint64_t acc = 0;
	int err;

	if (!m)
		die("vmamap_new", -ENOMEM);

	/* Ascending seed: one page each, 4 KiB apart, like a heap fragmented by mprotect. */
	t = ((double)clock_mono_ns());
	for (size_t i = 0; i < n; i++) {
		struct vma_entry e = entry_at(BASE + i * PAGE);

		err = vmamap_insert(m, &e);
		if (err)
			die("seed insert", err);
		keys[i] = e.start;
	}
	insert_ns = (((double)clock_mono_ns()) - t) / (double)n;
	seq_bpe = bytes_per_entry(m);

	for (size_t i = 0; i < LOOKUPS; i++)
		addrs[i] = BASE + below(n * PAGE);

	t = ((double)clock_mono_ns());
	for (size_t i = 0; i < LOOKUPS; i++)
		acc += vmamap_floor(m, addrs[i])->start;
	floor_ns = (((double)clock_mono_ns()) - t) / LOOKUPS;

	t = ((double)clock_mono_ns());
	for (size_t i = 0; i < LOOKUPS; i++)
		acc += vmamap_find(m, addrs[i])->end;
	find_ns = (((double)clock_mono_ns()) - t) / LOOKUPS;
	sink = acc;

	t = ((double)clock_mono_ns());
	c = vmamap_clone(m);
	clone_ms = (((double)clock_mono_ns()) - t) / 1e6;
	if (!c)
		die("vmamap_clone", -ENOMEM);
	vmamap_free(c);

	/*
	 * Erase a random entry, insert one at a random address inside the seeded range: byte
	 * granular, so that it rarely collides with a start that is already there.
	 */
	t = ((double)clock_mono_ns());
	for (size_t i = 0; i < PAIRS; i++) {
		size_t j = below(n);
		struct vma_entry e;

		err = vmamap_erase(m, keys[j]);
		if (err)
			die("churn erase", err);
		do {
			e = entry_at(BASE + below(n * PAGE));
			err = vmamap_insert(m, &e);
		} while (err == -EEXIST);
		if (err)
			die("churn insert", err);
		keys[j] = e.start;
	}
	pair_ns = (((double)clock_mono_ns()) - t) / PAIRS;

	/* The same keys inserted in random order into an empty map, against the ascending seed. */
	for (size_t i = n; i > 1; i--) {
		size_t j = below(i);
		uint64_t k = keys[i - 1];

		keys[i - 1] = keys[j];
		keys[j] = k;
	}
	r = vmamap_new();
	if (!r)
		die("vmamap_new", -ENOMEM);
	for (size_t i = 0; i < n; i++) {
		struct vma_entry e = entry_at(keys[i]);

		err = vmamap_insert(r, &e);
		if (err)
			die("random insert", err);
	}

	printf("vmamap N=%zu seq-bytes/entry=%.1f seq-insert=%.0fns floor=%.0fns find=%.0fns "
	       "erase+insert=%.0fns random-fill-bytes/entry=%.1f random-insert-bytes/entry=%.1f "
	       "clone=%.2fms\n",
	       n, seq_bpe, insert_ns, floor_ns, find_ns, pair_ns, bytes_per_entry(m),
	       bytes_per_entry(r), clone_ms);
	fflush(stdout);
	vmamap_free(r);
	vmamap_free(m);
}

int main(void)
{
	static const size_t sizes[] = { 1000, 100000, 1000000 };
	uint64_t *addrs = malloc(LOOKUPS * sizeof(*addrs));
	uint64_t *keys = malloc(sizes[2] * sizeof(*keys));

	if (!addrs || !keys)
		die("malloc", -ENOMEM);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		bench(sizes[i], addrs, keys);
	free(addrs);
	free(keys);
	return 0;
}
