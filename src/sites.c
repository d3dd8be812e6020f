// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sites.h"

void sites_init(struct sites *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	hmap_init(&s->by_hash);
	s->max = max ? max : 1;
}

static void site_clear(struct site *st)
{
	for (unsigned int i = 0; i < st->nframes; i++)
		free(st->frames[i]);
	free(st->frames);
	memset(st, 0, sizeof(*st));
}

void sites_free(struct sites *s)
{
	for (size_t i = 0; i < s->n; i++)
		site_clear(&s->v[i]);
	free(s->v);
	hmap_free(&s->by_hash);
	memset(s, 0, sizeof(*s));
}

uint64_t sites_hash(const uint64_t *pcs, unsigned int n)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a over the addresses' bytes */

	for (unsigned int i = 0; i < n; i++)
		for (int b = 0; b < 64; b += 8) {
			h ^= (pcs[i] >> b) & 0xff;
			h *= 0x100000001b3ull;
		}
	return h ? h : 1;
}

const struct site *sites_find(const struct sites *s, uint64_t h)
{
	uintptr_t i = (uintptr_t)hmap_get(&s->by_hash, h);

	return i ? &s->v[i - 1] : NULL;
}

/* How much a site matters, for keeping the heaviest: VMAs made, then bytes. */
static uint64_t weight_of(const struct site_sums *x)
{
	uint64_t v = x->net_vmas > 0 ? (uint64_t)x->net_vmas : 0;

	return (v << 20) + (x->bytes > 0 ? (uint64_t)x->bytes >> 12 : 0) + x->failures * 16 +
	       x->calls;
}

static void sums_add(struct site_sums *to, const struct site_sums *from)
{
	to->net_vmas += from->net_vmas;
	to->bytes += from->bytes;
	to->calls += from->calls;
	to->samples += from->samples;
	to->failures += from->failures;
}

static void sample_sums(struct site_sums *x, const struct site_sample *smp)
{
	uint64_t w = smp->weight ? smp->weight : 1;

	x->net_vmas += smp->net_vmas * (int64_t)w;
	x->bytes += smp->bytes * (int64_t)w;
	x->calls += w;
	x->samples++;
	x->failures += smp->err != 0;
}

static void count_errno(struct site *st, int err)
{
	for (int i = 0; i < SITES_ERRNOS; i++) {
		if (st->errno_counts[i] && st->errnos[i] == err) {
			st->errno_counts[i]++;
			return;
		}
		if (!st->errno_counts[i]) {
			st->errnos[i] = err;
			st->errno_counts[i] = 1;
			return;
		}
	}
	st->errno_other++;
}

/* The lightest site, which a new one may replace. */
static size_t lightest(const struct sites *s)
{
	size_t min = 0;

	for (size_t i = 1; i < s->n; i++)
		if (weight_of(&s->v[i].sum) < weight_of(&s->v[min].sum))
			min = i;
	return min;
}

int sites_add(struct sites *s, uint64_t h, const char *const *frames, unsigned int n,
	      const struct site_sample *smp)
{
	uintptr_t idx = (uintptr_t)hmap_get(&s->by_hash, h);
	struct site_sums one = { 0 };
	struct site *st;
	size_t slot;

	if (idx) {
		st = &s->v[idx - 1];
		sample_sums(&st->sum, smp);
		if (smp->err)
			count_errno(st, smp->err);
		return 0;
	}
	sample_sums(&one, smp);
	if (s->n < s->max) {
		if (s->n % 16 == 0) {
			struct site *v = realloc(s->v, (s->n + 16) * sizeof(*v));

			if (!v)
				goto rest;
			s->v = v;
		}
		slot = s->n++;
	} else {
		slot = lightest(s);
		if (weight_of(&s->v[slot].sum) >= weight_of(&one))
			goto rest;
		/* Pushed out: its sums stay in the totals, as the rest. */
		sums_add(&s->rest, &s->v[slot].sum);
		s->rest_sites++;
		hmap_del(&s->by_hash, s->v[slot].hash);
		site_clear(&s->v[slot]);
	}
	st = &s->v[slot];
	memset(st, 0, sizeof(*st));
	st->hash = h;
	st->sum = one;
	if (smp->err)
		count_errno(st, smp->err);
	if (n > SITES_MAX_FRAMES)
		n = SITES_MAX_FRAMES;
	st->frames = calloc(n ? n : 1, sizeof(*st->frames));
	for (unsigned int i = 0; st->frames && i < n; i++) {
		st->frames[i] = strdup(frames[i] ? frames[i] : "?");
		if (!st->frames[i])
			break;
		st->nframes++;
	}
	if (hmap_put(&s->by_hash, h, (void *)(uintptr_t)(slot + 1))) {
		site_clear(st);
		if (slot == s->n - 1)
			s->n--;
		goto rest;
	}
	return 1;
rest:
	sums_add(&s->rest, &one);
	s->rest_sites++;
	return -ENOSPC;
}

struct sort_ctx {
	const struct sites *s;
	int by_bytes;
};

static int cmp_sites(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct site *x = &c->s->v[*(const size_t *)a];
	const struct site *y = &c->s->v[*(const size_t *)b];
	int64_t vx = c->by_bytes ? x->sum.bytes : x->sum.net_vmas;
	int64_t vy = c->by_bytes ? y->sum.bytes : y->sum.net_vmas;

	if (vx != vy)
		return vx < vy ? 1 : -1;
	if (x->sum.failures != y->sum.failures)
		return x->sum.failures < y->sum.failures ? 1 : -1;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

size_t *sites_sorted(const struct sites *s, int by_bytes)
{
	struct sort_ctx c = { s, by_bytes };
	size_t *idx = malloc((s->n ? s->n : 1) * sizeof(*idx));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		idx[i] = i;
	if (s->n)
		qsort_r(idx, s->n, sizeof(*idx), cmp_sites, &c);
	return idx;
}
