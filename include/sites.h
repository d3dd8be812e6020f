/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Call sites of one process: for each distinct user stack, the net change of
 * the VMA count that its calls caused, the bytes they mapped, the calls and
 * the failures by errno. Calls are sampled (every Nth), so each sample counts
 * with its weight N; failed calls are all recorded (weight 1).
 *
 * Bounded: at most `max` sites; when full, a new site takes the place of the
 * lightest one if it weighs more, and whatever is pushed out (or never let in)
 * is summed in `rest`, so the totals stay true.
 */
#ifndef VMATRACE_SITES_H
#define VMATRACE_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "hmap.h"
#include "strbuf.h"

#define SITES_MAX_FRAMES 64
#define SITES_ERRNOS 4 /* distinct errnos kept per site; more are summed as "other" */

struct site_sums {
	int64_t net_vmas;  /* weighted */
	int64_t bytes;	   /* weighted bytes mapped (negative: unmapped) */
	uint64_t calls;	   /* weighted */
	uint64_t samples;  /* stacks recorded */
	uint64_t failures; /* all of them (not sampled) */
};

struct site {
	uint64_t hash;
	struct site_sums sum;
	int errnos[SITES_ERRNOS];
	uint64_t errno_counts[SITES_ERRNOS];
	uint64_t errno_other;
	unsigned int nframes;
	char **frames; /* symbolized when the site was first seen */
};

struct sites {
	struct site *v;
	size_t n, max;
	struct hmap by_hash;   /* hash -> index + 1 */
	struct site_sums rest; /* sites evicted or not admitted */
	uint64_t rest_sites;
};

void sites_init(struct sites *s, size_t max);
void sites_free(struct sites *s);

/* The hash that identifies a stack (its return addresses). */
uint64_t sites_hash(const uint64_t *pcs, unsigned int n);

/*
 * Add one call at the stack with hash h. frames (n strings, copied) are needed only for a site
 * not seen yet: sites_find() tells whether to symbolize. err: 0 or the errno of a failed call.
 */
struct site_sample {
	uint64_t weight;
	int64_t net_vmas; /* the change of the VMA count that this call caused */
	int64_t bytes;
	int err;
};
int sites_add(struct sites *s, uint64_t h, const char *const *frames, unsigned int n,
	      const struct site_sample *smp);
const struct site *sites_find(const struct sites *s, uint64_t h);

/* Indices of the sites sorted by net VMAs (by_bytes: by bytes), heaviest first; caller frees. */
size_t *sites_sorted(const struct sites *s, int by_bytes);

/*
 * The top `top` sites by net VMAs and by bytes, with their frames, the failures by site and
 * what the rest adds up to: a "sites" object (JSON) or a table with the frames under each
 * line (text). `errno_name` names an errno (NULL: the number).
 */
struct jsonw;
void sites_write_json(struct jsonw *w, const struct sites *s, size_t top,
		      const char *(*errno_name)(int));
void sites_write_text(struct strbuf *sb, const struct sites *s, size_t top,
		      const char *(*errno_name)(int));

#endif
