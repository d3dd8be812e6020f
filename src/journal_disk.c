// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The journal's record types and payload encodings (include/journal.h), and
 * the list of a directory's segments that its writer and reader share
 * (include/journal_disk.h). The format: docs/JOURNAL.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal_disk.h"

/* ---- record types and payloads ---- */

const char *journal_rec_type_name(unsigned int type)
{
	static const char *const names[JREC__COUNT] = {
#define JREC_NAME(name, value, str) [value] = str,
		JOURNAL_REC_TYPES(JREC_NAME)
#undef JREC_NAME
	};

	return type < JREC__COUNT && names[type] ? names[type] : "unknown";
}

/* Offsets in the JREC_TIMELINE payload (docs/JOURNAL.md): the old native layout of x86-64. */
enum {
	TL_T_NS = 0,
	TL_VMAS_MIN = 8,
	TL_VMAS_MAX = 12,
	TL_VMAS_LAST = 16,
	TL_CALLS = 20,
	TL_FAILURES = 24,
	TL_MAX_MAP_COUNT = 28,
	TL_MAPPED = 32,
	TL_HEAP = 40,
	TL_HEAP_HWM = 48,
	TL_MAPPED_MAX = 56,
	TL_HEAP_MAX = 64,
};

void journal_tl_encode(const struct journal_tl *tl, uint8_t out[JOURNAL_TL_LEN])
{
	put64(out + TL_T_NS, tl->t_ns);
	put32(out + TL_VMAS_MIN, tl->vmas_min);
	put32(out + TL_VMAS_MAX, tl->vmas_max);
	put32(out + TL_VMAS_LAST, tl->vmas_last);
	put32(out + TL_CALLS, tl->calls);
	put32(out + TL_FAILURES, tl->failures);
	put32(out + TL_MAX_MAP_COUNT, tl->max_map_count);
	put64(out + TL_MAPPED, tl->mapped);
	put64(out + TL_HEAP, tl->heap);
	put64(out + TL_HEAP_HWM, tl->heap_hwm);
	put64(out + TL_MAPPED_MAX, tl->mapped_max);
	put64(out + TL_HEAP_MAX, tl->heap_max);
}

bool journal_tl_decode(const void *payload, uint32_t len, struct journal_tl *tl)
{
	const uint8_t *p = payload;

	if (len < JOURNAL_TL_MIN_LEN)
		return false;
	tl->t_ns = get64(p + TL_T_NS);
	tl->vmas_min = get32(p + TL_VMAS_MIN);
	tl->vmas_max = get32(p + TL_VMAS_MAX);
	tl->vmas_last = get32(p + TL_VMAS_LAST);
	tl->calls = get32(p + TL_CALLS);
	tl->failures = get32(p + TL_FAILURES);
	tl->max_map_count = get32(p + TL_MAX_MAP_COUNT);
	tl->mapped = get64(p + TL_MAPPED);
	tl->heap = get64(p + TL_HEAP);
	tl->heap_hwm = get64(p + TL_HEAP_HWM);
	/*
	 * Early writers of the first edition put the break address in heap_hwm when the
	 * heap's start was unknown (85 TiB for a PIE's heap): no heap is that large.
	 */
	if (len < TL_MAPPED_MAX + 8 && tl->heap_hwm >= JOURNAL_TL_HEAP_IMPOSSIBLE)
		tl->heap_hwm = tl->heap;
	/* A first-edition point has no maxima: its values at the end are all it knows. */
	tl->mapped_max = len >= TL_MAPPED_MAX + 8 ? get64(p + TL_MAPPED_MAX) : tl->mapped;
	tl->heap_max = len >= TL_HEAP_MAX + 8 ? get64(p + TL_HEAP_MAX) : tl->heap;
	if (tl->mapped_max < tl->mapped)
		tl->mapped_max = tl->mapped;
	if (tl->heap_max < tl->heap)
		tl->heap_max = tl->heap;
	return true;
}

void seg_list_free(struct seg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_segment_name(const char *name)
{
	size_t len = strlen(name);
	size_t slen = strlen(SEG_SUFFIX);

	return name[0] != '.' && len > slen && !strcmp(name + len - slen, SEG_SUFFIX);
}

int seg_list_read(int dirfd, struct seg_list *l)
{
	size_t cap = 0;
	struct dirent *de;
	int err = 0;
	DIR *d;
	int fd;

	l->names = NULL;
	l->n = 0;
	/* A fresh descriptor: closedir() closes it, and readdir() starts from the beginning. */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			err = -errno;
			break;
		}
		if (!is_segment_name(de->d_name) ||
		    (de->d_type != DT_REG && de->d_type != DT_UNKNOWN))
			continue;
		if (l->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nn = realloc(l->names, ncap * sizeof(*nn));

			if (!nn) {
				err = -ENOMEM;
				break;
			}
			l->names = nn;
			cap = ncap;
		}
		l->names[l->n] = strdup(de->d_name);
		if (!l->names[l->n]) {
			err = -ENOMEM;
			break;
		}
		l->n++;
	}
	closedir(d);
	if (err) {
		seg_list_free(l);
		return err;
	}
	if (l->n)
		qsort(l->names, l->n, sizeof(*l->names), cmp_names);
	return 0;
}
