/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the journal: the on-disk layout (docs/JOURNAL.md) and what its
 * writer (journal.c) and reader (journal_read.c) share. Not a public
 * interface: everything else goes through journal.h.
 */
#ifndef VMATRACE_JOURNAL_DISK_H
#define VMATRACE_JOURNAL_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "journal.h"

#define SEG_MAGIC "VMTJ"
#define BLK_MAGIC "VMTB"
#define MAGIC_LEN 4
#define FORMAT_VERSION JOURNAL_FORMAT_VERSION
#define SEG_HDR_LEN 32
#define BLK_HDR_LEN 48
#define REC_HDR_LEN JOURNAL_REC_LEN
#define SEG_SUFFIX ".vmj"
/* "seg-" + 20 digits + ".vmj" + NUL */
#define SEG_NAME_SIZE 32

/* Far above any block we write (64 KiB by default): a larger claim is damage, not data. */
#define MAX_RAW (64u << 20)

_Static_assert(SEG_HDR_LEN == 4 + 2 + 2 + 8 + 8 + 4 + 4, "segment header: 32 bytes on disk");
_Static_assert(BLK_HDR_LEN == 4 + 2 + 2 + 4 * 4 + 8 + 8 + 4 + 4, "block header: 48 bytes on disk");
_Static_assert(REC_HDR_LEN == 2 + 2 + 4 + 8 + JOURNAL_COMM_LEN + 4 + 4, "record header: 40 bytes");
_Static_assert(JOURNAL_TL_LEN == 8 + 6 * 4 + 5 * 8, "timeline point: 72 bytes on disk");
_Static_assert(JOURNAL_TL_MIN_LEN == 8 + 6 * 4 + 3 * 8, "first edition of the point: 56 bytes");

/* ---- little-endian fields ---- */

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static inline uint16_t get16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static inline uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static inline uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline uint32_t crc(const void *p, size_t len)
{
	return crc32(crc32(0, Z_NULL, 0), p, len);
}

/* ---- the segments of a directory, oldest first (journal_disk.c) ---- */

struct seg_list {
	char **names;
	size_t n;
};

/* Names sort in creation order: segment names carry their creation time in fixed width. */
int seg_list_read(int dirfd, struct seg_list *l);
void seg_list_free(struct seg_list *l);

#endif
