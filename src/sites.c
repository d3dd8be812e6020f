// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
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

static void json_site(struct jsonw *w, const struct site *st, const char *(*errno_name)(int))
{
	jw_obj(w);
	jw_kint(w, "net_vmas", st->sum.net_vmas);
	jw_kint(w, "bytes", st->sum.bytes);
	jw_kuint(w, "calls", st->sum.calls);
	jw_kuint(w, "samples", st->sum.samples);
	jw_kuint(w, "failures", st->sum.failures);
	if (st->sum.failures) {
		jw_kobj(w, "errors");
		for (int i = 0; i < SITES_ERRNOS && st->errno_counts[i]; i++) {
			const char *name = errno_name ? errno_name(st->errnos[i]) : NULL;
			char num[16];

			if (!name) {
				snprintf(num, sizeof(num), "E%d", st->errnos[i]);
				name = num;
			}
			jw_kuint(w, name, st->errno_counts[i]);
		}
		if (st->errno_other)
			jw_kuint(w, "other", st->errno_other);
		jw_obj_end(w);
	}
	jw_karr(w, "frames");
	for (unsigned int i = 0; i < st->nframes; i++)
		jw_str(w, st->frames[i]);
	jw_arr_end(w);
	jw_obj_end(w);
}

static void json_list(struct jsonw *w, const char *key, const struct sites *s, size_t top,
		      int by_bytes, bool failures_only, const char *(*errno_name)(int))
{
	size_t *idx = sites_sorted(s, by_bytes);
	size_t shown = 0;

	jw_karr(w, key);
	for (size_t i = 0; idx && i < s->n && shown < top; i++) {
		const struct site *st = &s->v[idx[i]];

		if (failures_only && !st->sum.failures)
			continue;
		json_site(w, st, errno_name);
		shown++;
	}
	jw_arr_end(w);
	free(idx);
}

void sites_write_json(struct jsonw *w, const struct sites *s, size_t top,
		      const char *(*errno_name)(int))
{
	jw_obj(w);
	jw_kuint(w, "sites", s ? s->n : 0);
	if (s) {
		json_list(w, "by_vmas", s, top, 0, false, errno_name);
		json_list(w, "by_bytes", s, top, 1, false, errno_name);
		json_list(w, "failures", s, top, 0, true, errno_name);
		jw_kobj(w, "rest");
		jw_kuint(w, "sites", s->rest_sites);
		jw_kint(w, "net_vmas", s->rest.net_vmas);
		jw_kint(w, "bytes", s->rest.bytes);
		jw_kuint(w, "calls", s->rest.calls);
		jw_kuint(w, "failures", s->rest.failures);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

static void text_list(struct strbuf *sb, const char *title, const struct sites *s, size_t top,
		      int by_bytes, bool failures_only, const char *(*errno_name)(int))
{
	size_t *idx = sites_sorted(s, by_bytes);
	size_t shown = 0;

	sb_printf(sb, "%s\n", title);
	for (size_t i = 0; idx && i < s->n && shown < top; i++) {
		const struct site *st = &s->v[idx[i]];

		if (failures_only && !st->sum.failures)
			continue;
		sb_printf(sb, "  %+lld VMAs  ", (long long)st->sum.net_vmas);
		if (st->sum.bytes < 0) {
			sb_putc(sb, '-');
			sb_size(sb, -st->sum.bytes);
		} else {
			sb_size(sb, st->sum.bytes);
		}
		sb_printf(sb, "  %llu calls (%llu sampled)", (unsigned long long)st->sum.calls,
			  (unsigned long long)st->sum.samples);
		for (int e = 0; e < SITES_ERRNOS && st->errno_counts[e]; e++) {
			const char *name = errno_name ? errno_name(st->errnos[e]) : NULL;

			if (name)
				sb_printf(sb, "  %s x%llu", name,
					  (unsigned long long)st->errno_counts[e]);
			else
				sb_printf(sb, "  E%d x%llu", st->errnos[e],
					  (unsigned long long)st->errno_counts[e]);
		}
		sb_putc(sb, '\n');
		for (unsigned int f = 0; f < st->nframes; f++) {
			sb_puts(sb, "     > ");
			sb_printable(sb, st->frames[f], 4096);
			sb_putc(sb, '\n');
		}
		shown++;
	}
	if (!shown)
		sb_puts(sb, "  (none)\n");
	free(idx);
}

void sites_write_text(struct strbuf *sb, const struct sites *s, size_t top,
		      const char *(*errno_name)(int))
{
	if (!s || !s->n) {
		sb_puts(sb, "no call sites recorded (none sampled yet, or stacks are off: "
			    "stack_window)\n");
		return;
	}
	text_list(sb, "by net VMAs:", s, top, 0, false, errno_name);
	text_list(sb, "by bytes mapped:", s, top, 1, false, errno_name);
	text_list(sb, "failed calls:", s, top, 0, true, errno_name);
	if (s->rest_sites)
		sb_printf(sb, "and %llu more sites: %+lld VMAs, %llu calls\n",
			  (unsigned long long)s->rest_sites, (long long)s->rest.net_vmas,
			  (unsigned long long)s->rest.calls);
}
