// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reading the journal (include/journal.h; the format: docs/JOURNAL.md).
 *
 * The reader trusts nothing it has not checked: a bad header, CRC, zlib stream or record
 * length costs that block only, and it resynchronises on the next "VMTB" whose header CRC
 * holds. It reads with read(), not mmap(): a writer cutting a torn block off cannot fault it.
 * A segment of another format version is skipped whole and counted (other_version), not
 * taken for damage: the report can then say which version it found.
 */
#define ZLIB_CONST
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "journal_disk.h"

#define READ_WINDOW (256u << 10)

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* What deflate can make of raw bytes at worst, with a wide margin for other zlib builds. */
static uint64_t comp_bound(uint64_t raw)
{
	return raw + raw / 8 + 1024;
}

struct journal_reader {
	int dirfd;
	struct seg_list segs;
	size_t next_seg;
	int fd; /* segment being read, -1 between segments */

	/* what has been read of the segment: [win_start, win_end) is not consumed yet */
	uint8_t *win;
	size_t win_cap, win_start, win_end;
	bool eof;
	bool in_damage; /* counting a run of bad bytes as one damaged block */

	/* the decoded block */
	uint8_t *raw;
	size_t raw_cap, raw_pos;
	uint32_t left;
	uint8_t *aligned; /* payloads are copied here when misaligned in raw */
	size_t aligned_cap;
	z_stream zs;
	bool zs_ready;

	struct journal_rec rec;
	struct journal_reader_stats stats;
};

struct blk_hdr {
	uint32_t comp_len, raw_len, nrecs, data_crc;
	uint64_t min_ts, max_ts;
};

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : 4096;
	uint8_t *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*buf, ncap);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = ncap;
	return 0;
}

/* Makes `need` bytes available at win_start unless the file ends first. */
static int win_fill(struct journal_reader *r, size_t need)
{
	size_t have = r->win_end - r->win_start;
	int err;

	if (have >= need || r->eof)
		return 0;
	if (r->win_start) {
		memmove(r->win, r->win + r->win_start, have);
		r->win_start = 0;
		r->win_end = have;
	}
	err = grow(&r->win, &r->win_cap, need);
	if (err)
		return err;
	while (r->win_end < need && !r->eof) {
		ssize_t n = read(r->fd, r->win + r->win_end, r->win_cap - r->win_end);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			r->eof = true;
		r->win_end += n;
	}
	return 0;
}

static void mark_damaged(struct journal_reader *r)
{
	if (!r->in_damage)
		r->stats.damaged_blocks++;
	r->in_damage = true;
}

/* Moves win_start to the next block magic, or to the end of the segment. */
static int scan_magic(struct journal_reader *r)
{
	for (;;) {
		size_t have = r->win_end - r->win_start;
		const uint8_t *p = r->win + r->win_start;
		const uint8_t *m = memmem(p, have, BLK_MAGIC, MAGIC_LEN);
		int err;

		if (m) {
			r->win_start += m - p;
			return 0;
		}
		if (r->eof) {
			r->win_start = r->win_end;
			return 0;
		}
		/* Keep what could be the start of a magic cut by the end of the window. */
		if (have >= MAGIC_LEN)
			r->win_start = r->win_end - (MAGIC_LEN - 1);
		err = win_fill(r, r->win_end - r->win_start + 1);
		if (err)
			return err;
	}
}

static bool blk_hdr_parse(const uint8_t *p, struct blk_hdr *h)
{
	if (memcmp(p, BLK_MAGIC, MAGIC_LEN) || get32(p + 44) != crc(p, 44) ||
	    get16(p + 4) != FORMAT_VERSION || get16(p + 6) != BLK_HDR_LEN || get32(p + 20))
		return false;
	h->comp_len = get32(p + 8);
	h->raw_len = get32(p + 12);
	h->nrecs = get32(p + 16);
	h->min_ts = get64(p + 24);
	h->max_ts = get64(p + 32);
	h->data_crc = get32(p + 40);
	return h->raw_len <= MAX_RAW && (uint64_t)h->nrecs * REC_HDR_LEN <= h->raw_len &&
	       h->comp_len && h->comp_len <= comp_bound(h->raw_len) && h->min_ts <= h->max_ts;
}

/* Inflates and checks every record of a block: 0 good, 1 damaged, -errno. */
static int block_decode(struct journal_reader *r, const uint8_t *data, const struct blk_hdr *h)
{
	size_t pos = 0;
	int err;

	/* One spare byte: a stream longer than it claims then fails to end. */
	err = grow(&r->raw, &r->raw_cap, (size_t)h->raw_len + 1);
	if (err)
		return err;
	if (inflateReset(&r->zs) != Z_OK)
		return -EIO;
	r->zs.next_in = data;
	r->zs.avail_in = h->comp_len;
	r->zs.next_out = r->raw;
	r->zs.avail_out = h->raw_len + 1;
	if (inflate(&r->zs, Z_FINISH) != Z_STREAM_END || r->zs.total_out != h->raw_len ||
	    r->zs.avail_in)
		return 1;
	/* The CRC only says the bytes are what was written: check the records fit anyway. */
	for (uint32_t i = 0; i < h->nrecs; i++) {
		const uint8_t *rec = r->raw + pos;
		uint64_t ts;
		uint32_t len;

		if (h->raw_len - pos < REC_HDR_LEN)
			return 1;
		len = get32(rec + 32);
		ts = get64(rec + 8);
		if (len > h->raw_len - pos - REC_HDR_LEN || ts < h->min_ts || ts > h->max_ts)
			return 1;
		pos += REC_HDR_LEN + len;
	}
	if (pos != h->raw_len)
		return 1;
	r->raw_pos = 0;
	r->left = h->nrecs;
	return 0;
}

/*
 * The len bytes of a header starting with magic in the window, at *p: 1, or 0 at the end of
 * the segment (nothing there, or a header cut short), or -errno. The start of a header cut by
 * the end of the file is a torn write; anything else cut short is damage.
 */
static int header_at(struct journal_reader *r, size_t len, const char *magic, const uint8_t **p)
{
	size_t have;
	int err;

	err = win_fill(r, len);
	if (err)
		return err;
	have = r->win_end - r->win_start;
	*p = r->win + r->win_start;
	if (!have)
		return 0;
	if (have < len) {
		if (!memcmp(*p, magic, min_size(have, MAGIC_LEN)))
			r->stats.torn_tails++;
		else
			mark_damaged(r);
		r->win_start = r->win_end;
		return 0;
	}
	return 1;
}

/* The next good block of the segment: 1 decoded, 0 end of the segment, -errno. */
static int next_block(struct journal_reader *r)
{
	for (;;) {
		struct blk_hdr h;
		const uint8_t *p;
		int err;

		err = header_at(r, BLK_HDR_LEN, BLK_MAGIC, &p);
		if (err <= 0)
			return err;
		if (!blk_hdr_parse(p, &h))
			goto damaged;
		err = win_fill(r, BLK_HDR_LEN + (size_t)h.comp_len);
		if (err)
			return err;
		p = r->win + r->win_start;
		if (r->win_end - r->win_start < BLK_HDR_LEN + (size_t)h.comp_len) {
			/* A valid header, its data cut short: a crash, or a writer mid-block. */
			r->stats.torn_tails++;
			r->win_start = r->win_end;
			return 0;
		}
		if (crc(p + BLK_HDR_LEN, h.comp_len) != h.data_crc)
			goto damaged;
		err = block_decode(r, p + BLK_HDR_LEN, &h);
		if (err < 0)
			return err;
		if (err)
			goto damaged;
		r->win_start += BLK_HDR_LEN + h.comp_len;
		r->in_damage = false;
		r->stats.blocks++;
		return 1;
damaged:
		mark_damaged(r);
		r->win_start++;
		err = scan_magic(r);
		if (err)
			return err;
	}
}

/* Steps over the file header; a bad one sends us looking for the first block. */
static int segment_header(struct journal_reader *r)
{
	const uint8_t *p;
	int err;

	/* Nothing yet (just created): the header is on its way. */
	err = header_at(r, SEG_HDR_LEN, SEG_MAGIC, &p);
	if (err <= 0)
		return err;
	if (!memcmp(p, SEG_MAGIC, MAGIC_LEN) && get32(p + 28) == crc(p, 28) &&
	    get16(p + 4) != FORMAT_VERSION) {
		/* Not damage: a format this build cannot read. Say so, and skip it whole. */
		r->stats.other_version++;
		r->stats.version_seen = get16(p + 4);
		r->win_start = r->win_end;
		r->eof = true;
		return 0;
	}
	if (memcmp(p, SEG_MAGIC, MAGIC_LEN) || get32(p + 28) != crc(p, 28) ||
	    get16(p + 6) != SEG_HDR_LEN) {
		mark_damaged(r);
		return scan_magic(r);
	}
	r->win_start += SEG_HDR_LEN;
	return 0;
}

static void reader_segment_close(struct journal_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* Opens the next listed segment: 1, 0 when there is none left, -errno. */
static int reader_segment_open(struct journal_reader *r)
{
	while (r->next_seg < r->segs.n) {
		const char *name = r->segs.names[r->next_seg++];
		int err;

		r->fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			/* Retention may delete a segment between the listing and now. */
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		r->win_start = r->win_end = 0;
		r->eof = false;
		r->in_damage = false;
		r->stats.segments++;
		err = segment_header(r);
		if (err) {
			reader_segment_close(r);
			return err;
		}
		return 1;
	}
	return 0;
}

struct journal_reader *journal_reader_open(const char *dir)
{
	struct journal_reader *r;
	int err;

	if (!dir) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fd = -1;
	r->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0) {
		err = -errno;
		goto fail;
	}
	err = seg_list_read(r->dirfd, &r->segs);
	if (err)
		goto fail;
	if (inflateInit(&r->zs) != Z_OK) {
		err = -ENOMEM;
		goto fail;
	}
	r->zs_ready = true;
	err = grow(&r->win, &r->win_cap, READ_WINDOW);
	if (err)
		goto fail;
	return r;

fail:
	journal_reader_close(r);
	errno = -err;
	return NULL;
}

void journal_reader_close(struct journal_reader *r)
{
	if (!r)
		return;
	reader_segment_close(r);
	if (r->dirfd >= 0)
		close(r->dirfd);
	if (r->zs_ready)
		inflateEnd(&r->zs);
	seg_list_free(&r->segs);
	free(r->win);
	free(r->raw);
	free(r->aligned);
	free(r);
}

/* Payloads are 8-byte aligned for the caller: records are packed, so some are copied. */
static int yield_record(struct journal_reader *r, const struct journal_rec **rec,
			const void **payload)
{
	const uint8_t *p = r->raw + r->raw_pos;
	const uint8_t *data = p + REC_HDR_LEN;
	uint32_t len = get32(p + 32);

	if ((uintptr_t)data & 7) {
		int err = grow(&r->aligned, &r->aligned_cap, len ? len : 1);

		if (err)
			return err;
		memcpy(r->aligned, data, len);
		data = r->aligned;
	}
	r->rec.type = get16(p);
	r->rec.flags = get16(p + 2);
	r->rec.pid = get32(p + 4);
	r->rec.ts_ns = get64(p + 8);
	memcpy(r->rec.comm, p + 16, JOURNAL_COMM_LEN);
	r->rec.comm[JOURNAL_COMM_LEN - 1] = 0;
	r->rec.len = len;
	r->rec.pad = get32(p + 36);
	r->raw_pos += REC_HDR_LEN + len;
	r->left--;
	r->stats.records++;
	*rec = &r->rec;
	*payload = data;
	return 1;
}

int journal_reader_next(struct journal_reader *r, const struct journal_rec **rec,
			const void **payload)
{
	int ret;

	if (!r || !rec || !payload)
		return -EINVAL;
	for (;;) {
		if (r->left)
			return yield_record(r, rec, payload);
		if (r->fd < 0) {
			ret = reader_segment_open(r);
			if (ret <= 0)
				return ret;
		}
		ret = next_block(r);
		if (ret == 1)
			continue;
		reader_segment_close(r);
		if (ret < 0)
			return ret;
	}
}

const struct journal_reader_stats *journal_reader_get_stats(const struct journal_reader *r)
{
	return &r->stats;
}
