// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Call-site attribution, bounded (src/sites.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "sites.h"

static const char *frames_a[] = { "libc.so.6(mmap+0x7)", "app(alpha+0x10)" };
static const char *frames_b[] = { "libc.so.6(munmap+0x7)", "app(beta+0x20)" };

Test(sites, weighted_sums_and_order)
{
	uint64_t pa[] = { 1, 2 }, pb[] = { 1, 3 };
	uint64_t ha = sites_hash(pa, 2), hb = sites_hash(pb, 2);
	struct sites s;
	size_t *by_vmas, *by_bytes;

	cr_assert_neq(ha, hb);
	sites_init(&s, 8);
	for (int i = 0; i < 3; i++)
		sites_add(&s, ha, frames_a, 2,
			  &(struct site_sample){ .weight = 10, .net_vmas = 1, .bytes = 4096 });
	for (int i = 0; i < 5; i++)
		sites_add(&s, hb, frames_b, 2,
			  &(struct site_sample){ .weight = 10, .net_vmas = 1, .bytes = -4096 });
	sites_add(&s, hb, frames_b, 2, &(struct site_sample){ .weight = 1, .err = ENOMEM });
	cr_assert_eq(s.n, 2);
	cr_assert_eq(sites_find(&s, ha)->sum.net_vmas, 30);
	cr_assert_eq(sites_find(&s, ha)->sum.bytes, 3 * 10 * 4096);
	cr_assert_eq(sites_find(&s, hb)->sum.net_vmas, 50);
	cr_assert_eq(sites_find(&s, hb)->sum.calls, 51);
	cr_assert_eq(sites_find(&s, hb)->sum.failures, 1);
	cr_assert_eq(sites_find(&s, hb)->errnos[0], ENOMEM);
	cr_assert_str_eq(sites_find(&s, hb)->frames[1], "app(beta+0x20)");
	by_vmas = sites_sorted(&s, 0);
	by_bytes = sites_sorted(&s, 1);
	cr_assert_eq(s.v[by_vmas[0]].hash, hb);
	cr_assert_eq(s.v[by_bytes[0]].hash, ha);
	free(by_vmas);
	free(by_bytes);
	sites_free(&s);
}

Test(sites, bounded_heaviest_kept_totals_true)
{
	struct sites s;
	int64_t total = 0, kept = 0;

	sites_init(&s, 4);
	for (uint64_t i = 1; i <= 20; i++) {
		/* Site i makes i VMAs per call. */
		sites_add(&s, i * 7919, frames_a, 2,
			  &(struct site_sample){ .weight = 1, .net_vmas = (int64_t)i });
		total += i;
	}
	cr_assert_eq(s.n, 4);
	for (size_t i = 0; i < s.n; i++) {
		kept += s.v[i].sum.net_vmas;
		cr_assert(s.v[i].sum.net_vmas >= 17, "site of %lld kept",
			  (long long)s.v[i].sum.net_vmas);
	}
	cr_assert_eq(kept + s.rest.net_vmas, total, "nothing lost from the totals");
	cr_assert_eq(s.rest_sites, 16);
	sites_free(&s);
}
