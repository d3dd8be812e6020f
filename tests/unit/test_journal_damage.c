// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The journal's crash and damage model: torn tails, corrupt blocks, garbage, lying headers. */
#include "journal_fixture.h"

TestSuite(journal_damage, .init = tdir_make, .fini = tdir_remove);

/* n records in one segment of small blocks; returns the block table. */
static size_t write_blocks(const struct xrec *exp, size_t n, struct blk *b, size_t max, char *path,
			   size_t path_size)
{
	struct journal *j = open_journal(64 << 20, 2 << 10, 0, 0, JOURNAL_FULL_DROP_OLDEST);

	for (size_t i = 0; i < n; i++)
		append_x(j, &exp[i]);
	journal_close(j);
	only_segment(path, path_size);
	return walk_blocks(path, b, max);
}

/* Records read are all of 0..n-1 but those of block `skip`. */
static void assert_all_but_block(const size_t *seqs, size_t got, size_t n, const struct blk *b,
				 size_t skip)
{
	size_t first = 0;

	for (size_t i = 0; i < skip; i++)
		first += b[i].nrecs;
	cr_assert_eq(got, n - b[skip].nrecs, "read %zu of %zu", got, n);
	for (size_t i = 0, k = 0; i < n; i++) {
		if (i >= first && i < first + b[skip].nrecs)
			continue;
		cr_assert_eq(seqs[k], i, "record %zu is #%zu, expected #%zu", k, seqs[k], i);
		k++;
	}
}

/* Flips the bits of mask in len bytes of the file at off. */
static void flip_bytes(const char *path, size_t off, size_t len, uint8_t mask)
{
	size_t size;
	uint8_t *buf = file_read(path, &size);

	cr_assert_leq(off + len, size);
	for (size_t k = 0; k < len; k++)
		buf[off + k] ^= mask;
	file_write(path, buf, size);
	free(buf);
}

/* Reads the whole journal: all of 0..n-1 but the records of block `skip`. Its stats. */
static struct journal_reader_stats read_all_but_block(const struct xrec *exp, size_t n,
						      const struct blk *b, size_t skip)
{
	struct journal_reader_stats st;
	size_t *seqs, got = read_all(exp, n, &seqs, &st);

	assert_all_but_block(seqs, got, n, b, skip);
	free(seqs);
	return st;
}

Test(journal_damage, torn_tail)
{
	const size_t n = 3000;
	struct xrec *exp = xrecs_make(n, len_mixed);
	struct journal_reader_stats st;
	struct blk b[512];
	char path[PATH_LEN];
	size_t nb, last;
	struct journal *j;

	/* Several segments: only the last one is cut, in the middle of its last block's data. */
	j = open_journal(16 << 10, 2 << 10, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	for (size_t i = 0; i < n; i++)
		append_x(j, &exp[i]);
	journal_close(j);
	{
		struct dirent **names;
		int ns = list_segments(&names);

		cr_assert_geq(ns, 3);
		seg_path(path, sizeof(path), names[ns - 1]->d_name);
		free_names(names, ns);
	}
	nb = walk_blocks(path, b, 512);
	cr_assert_geq(nb, 1);
	last = b[nb - 1].nrecs;
	cr_assert_eq(truncate(path, b[nb - 1].off + BLK_HDR + b[nb - 1].comp / 2), 0);
	st = read_range(exp, n, 0, n - last);
	cr_assert_eq(st.torn_tails, 1);
	cr_assert_eq(st.damaged_blocks, 0);

	/* Cut inside the block header: still a torn tail, not damage. */
	cr_assert_eq(truncate(path, b[nb - 1].off + 20), 0);
	st = read_range(exp, n, 0, n - last);
	cr_assert_eq(st.torn_tails, 1);
	cr_assert_eq(st.damaged_blocks, 0);

	/* Cut inside the file header: nothing of that segment, the others whole. */
	if (nb == 1) {
		cr_assert_eq(truncate(path, 10), 0);
		st = read_range(exp, n, 0, n - last);
		cr_assert_eq(st.torn_tails, 1);
	}
	free(exp);
}

Test(journal_damage, corrupt_block_data)
{
	const size_t n = 2000;
	struct xrec *exp = xrecs_make(n, len_mixed);
	struct journal_reader_stats st;
	struct blk b[512];
	char path[PATH_LEN];
	size_t nb, mid;

	nb = write_blocks(exp, n, b, 512, path, sizeof(path));
	cr_assert_geq(nb, 5);
	mid = nb / 2;
	flip_bytes(path, b[mid].off + BLK_HDR + b[mid].comp / 2, 3, 0x5a);

	st = read_all_but_block(exp, n, b, mid);
	cr_assert_eq(st.damaged_blocks, 1);
	cr_assert_eq(st.torn_tails, 0);
	cr_assert_eq(st.blocks, nb - 1);
	free(exp);
}

Test(journal_damage, corrupt_block_header)
{
	/* The magic, the compressed length, the raw length, the time range, the header CRC. */
	static const size_t where[] = { 1, 9, 13, 30, 46 };
	const size_t n = 2000;
	struct xrec *exp = xrecs_make(n, len_mixed);

	for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		struct journal_reader_stats st;
		struct blk b[512];
		char path[PATH_LEN];
		size_t mid;

		mid = write_blocks(exp, n, b, 512, path, sizeof(path)) / 2 + w % 2;
		flip_bytes(path, b[mid].off + where[w], 1, 0x10);

		st = read_all_but_block(exp, n, b, mid);
		cr_assert_eq(st.damaged_blocks, 1, "header byte %zu", where[w]);
		cr_assert_eq(st.torn_tails, 0);
		cr_assert_eq(unlink(path), 0);
	}
	free(exp);
}

static void random_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rng();
}

Test(journal_damage, garbage_is_skipped)
{
	const size_t n = 2000, glen = 777;
	struct xrec *exp = xrecs_make(n, len_mixed);
	struct journal_reader_stats st;
	size_t nb, size, cut;
	uint8_t *buf, *out, garbage[777];
	struct blk b[512];
	char path[PATH_LEN];

	nb = write_blocks(exp, n, b, 512, path, sizeof(path));
	cr_assert_geq(nb, 4);
	buf = file_read(path, &size);

	/* Random bytes between two blocks, with a fake magic among them. */
	random_bytes(garbage, glen);
	memcpy(garbage + 100, "VMTB", 4);
	cut = b[nb / 2].off;
	out = malloc(size + glen);
	cr_assert_not_null(out);
	memcpy(out, buf, cut);
	memcpy(out + cut, garbage, glen);
	memcpy(out + cut + glen, buf + cut, size - cut);
	file_write(path, out, size + glen);
	st = read_range(exp, n, 0, n);
	cr_assert_eq(st.damaged_blocks, 1);
	cr_assert_eq(st.torn_tails, 0);

	/* Garbage after the last block. */
	memcpy(out, buf, size);
	random_bytes(out + size, glen);
	file_write(path, out, size + glen);
	st = read_range(exp, n, 0, n);
	cr_assert_eq(st.damaged_blocks, 1);
	cr_assert_eq(st.torn_tails, 0);

	/* A few bytes of garbage only: shorter than a block header. */
	file_write(path, out, size + 5);
	st = read_range(exp, n, 0, n);
	cr_assert_eq(st.damaged_blocks + st.torn_tails, 1);

	/* A damaged file header: the blocks behind it are still found. */
	memcpy(out, buf, size);
	out[2] ^= 0xff;
	file_write(path, out, size);
	st = read_range(exp, n, 0, n);
	cr_assert_eq(st.damaged_blocks, 1);

	free(out);
	free(buf);
	free(exp);
}

/* Random flips and cuts anywhere: the reader returns good records only, and never crashes. */
Test(journal_damage, random_damage)
{
	const size_t n = 1000;
	struct xrec *exp = xrecs_make(n, len_mixed);
	struct journal_reader_stats st;
	size_t nb, size, *seqs, got;
	struct blk b[512];
	char path[PATH_LEN];
	uint8_t *buf, *bad;

	nb = write_blocks(exp, n, b, 512, path, sizeof(path));
	cr_assert_geq(nb, 10);
	buf = file_read(path, &size);
	bad = malloc(size);
	cr_assert_not_null(bad);
	for (int round = 0; round < 100; round++) {
		size_t len = size, flips = 1 + rng() % 20;

		memcpy(bad, buf, size);
		for (size_t k = 0; k < flips; k++)
			bad[rng() % size] ^= 1 + rng() % 255;
		if (round % 3 == 0)
			len = rng() % size;
		file_write(path, bad, len);
		got = read_all(exp, n, &seqs, &st);
		for (size_t k = 1; k < got; k++)
			cr_assert_gt(seqs[k], seqs[k - 1], "round %d", round);
		/* Every byte is under a CRC: a change that is not a clean cut is seen. */
		if (len == size && memcmp(bad, buf, size))
			cr_assert_geq(st.damaged_blocks, 1, "round %d", round);
		free(seqs);
	}
	free(bad);
	free(buf);
	free(exp);
}

/* ---- blocks that pass their CRC but lie ---- */

static size_t raw_rec(uint8_t *raw, size_t pos, const struct xrec *x, uint32_t claimed_len)
{
	uint8_t *p = raw + pos;

	memset(p, 0, REC_HDR);
	put_le(p, x->type, 2);
	put_le(p + 4, x->pid, 4);
	put_le(p + 8, x->ts, 8);
	strncpy((char *)p + 16, x->comm, JOURNAL_COMM_LEN - 1);
	put_le(p + 32, claimed_len, 4);
	payload_fill(p + REC_HDR, x->len, x->seed);
	return pos + REC_HDR + x->len;
}

/* A block with correct CRCs around whatever the caller claims. */
static size_t build_block(uint8_t *out, const uint8_t *raw, size_t raw_len, uint32_t nrecs,
			  uint32_t claimed_raw, uint64_t min_ts, uint64_t max_ts)
{
	uLongf comp = compressBound(raw_len);

	cr_assert_eq(compress2(out + BLK_HDR, &comp, raw, raw_len, 6), Z_OK);
	memset(out, 0, BLK_HDR);
	memcpy(out, "VMTB", 4);
	put_le(out + 4, 1, 2);
	put_le(out + 6, BLK_HDR, 2);
	put_le(out + 8, comp, 4);
	put_le(out + 12, claimed_raw, 4);
	put_le(out + 16, nrecs, 4);
	put_le(out + 24, min_ts, 8);
	put_le(out + 32, max_ts, 8);
	put_le(out + 40, crc32(0, out + BLK_HDR, comp), 4);
	put_le(out + 44, crc32(0, out, 44), 4);
	return BLK_HDR + comp;
}

/* A valid block of exp[first..first+count-1]. */
static size_t good_block(uint8_t *out, const struct xrec *exp, size_t first, size_t count)
{
	static uint8_t raw[64 << 10];
	size_t pos = 0;

	for (size_t i = first; i < first + count; i++)
		pos = raw_rec(raw, pos, &exp[i], exp[i].len);
	return build_block(out, raw, pos, count, pos, exp[first].ts, exp[first + count - 1].ts);
}

Test(journal_damage, lying_blocks_are_damage)
{
	const size_t n = 40;
	struct xrec *exp = xrecs_make(n, len_random100);
	struct journal_reader_stats st;
	static uint8_t raw[64 << 10];
	size_t off, pos;
	uint8_t *seg;
	char path[PATH_LEN];

	seg = calloc(1, 1 << 20);
	cr_assert_not_null(seg);
	memcpy(seg, "VMTJ", 4);
	put_le(seg + 4, 1, 2);
	put_le(seg + 6, SEG_HDR, 2);
	put_le(seg + 8, T0, 8);
	put_le(seg + 28, crc32(0, seg, 28), 4);
	off = SEG_HDR;

	off += good_block(seg + off, exp, 0, 3);
	/* A record claiming far more payload than the block holds, with records after it. */
	pos = raw_rec(raw, 0, &exp[20], 0xffffff00u);
	pos = raw_rec(raw, pos, &exp[21], exp[21].len);
	pos = raw_rec(raw, pos, &exp[30], exp[30].len);
	off += build_block(seg + off, raw, pos, 3, pos, exp[20].ts, exp[30].ts);
	off += good_block(seg + off, exp, 3, 2);
	/* More records announced than present. */
	pos = 0;
	for (size_t i = 22; i < 26; i++)
		pos = raw_rec(raw, pos, &exp[i], exp[i].len);
	off += build_block(seg + off, raw, pos, 5, pos, exp[22].ts, exp[25].ts);
	off += good_block(seg + off, exp, 5, 1);
	/* A raw length beyond any block we write. */
	pos = raw_rec(raw, 0, &exp[26], exp[26].len);
	off += build_block(seg + off, raw, pos, 1, 100u << 20, exp[26].ts, exp[26].ts);
	off += good_block(seg + off, exp, 6, 1);
	/* A raw length one short of what the stream inflates to. */
	pos = raw_rec(raw, 0, &exp[27], exp[27].len);
	off += build_block(seg + off, raw, pos, 1, pos - 1, exp[27].ts, exp[27].ts);
	off += good_block(seg + off, exp, 7, 1);
	/* A record outside the block's time range. */
	pos = raw_rec(raw, 0, &exp[28], exp[28].len);
	off += build_block(seg + off, raw, pos, 1, pos, exp[28].ts + 1, exp[28].ts + 5);
	off += good_block(seg + off, exp, 8, 2);
	/* A record whose length leaves bytes over at the end. */
	pos = raw_rec(raw, 0, &exp[29], exp[29].len - 10);
	off += build_block(seg + off, raw, pos, 1, pos, exp[29].ts, exp[29].ts);
	off += good_block(seg + off, exp, 10, 1);

	seg_path(path, sizeof(path), "seg-00000000000000000001.vmj");
	file_write(path, seg, off);
	st = read_range(exp, n, 0, 11);
	cr_assert_eq(st.damaged_blocks, 6);
	cr_assert_eq(st.blocks, 7);
	cr_assert_eq(st.torn_tails, 0);
	free(seg);
	free(exp);
}

/* ---- retention ---- */
