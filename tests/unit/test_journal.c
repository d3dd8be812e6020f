// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The on-disk journal (src/journal*.c): round trips, damage, retention, full disks. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "journal.h"

/* src/journal.c: stands in for write(2) on the journal's files; test-only. */
extern ssize_t (*journal_write_hook)(int fd, const void *buf, size_t len);

/* The layout the tests need to find blocks and damage them on purpose. */
#define SEG_HDR 32
#define BLK_HDR 48
#define REC_HDR 40

#define T0 1700000000000000000ull
#define MAX_PAYLOAD (128u << 10)
#define DAY 86400ull
/* tdir, a slash and a file name */
#define PATH_LEN 512

static char tdir[64];

static void fsize_restore(void);

static void tdir_remove(void)
{
	DIR *d = opendir(tdir);
	struct dirent *de;

	journal_write_hook = NULL;
	fsize_restore();
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(tdir);
}

static void tdir_make(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/vmatrace-journal-XXXXXX");
	cr_assert_not_null(mkdtemp(tdir), "mkdtemp: %s", strerror(errno));
}

TestSuite(journal, .init = tdir_make, .fini = tdir_remove);

/* ---- expected records ---- */

/* Small deterministic generator (xorshift64*): same sequence on every run. */
static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static const char *const comms[] = { "bash", "postgres", "a-very-long-command-name", "", "java" };

/* What was appended; the payload is regenerated from seed and len. */
struct xrec {
	uint16_t type;
	uint32_t pid;
	uint64_t ts; /* T0 + seq * 1000 + jitter: the reader's records say which one they are */
	uint32_t len;
	uint32_t seed;
	const char *comm;
};

static uint8_t gen_buf[MAX_PAYLOAD];

/* Odd seeds give compressible bytes, even ones random bytes. */
static void payload_fill(uint8_t *buf, uint32_t len, uint32_t seed)
{
	uint32_t s = seed | 1;

	for (uint32_t i = 0; i < len; i++) {
		if (seed & 1) {
			buf[i] = (seed >> 8) + i / 16;
		} else {
			if (i % 4 == 0) {
				s ^= s << 13;
				s ^= s >> 17;
				s ^= s << 5;
			}
			buf[i] = s >> (8 * (i % 4));
		}
	}
}

static void xrec_make(struct xrec *x, size_t seq, uint32_t len)
{
	x->type = 1 + rng() % (JREC__COUNT - 1);
	x->pid = 1 + rng() % 4000000;
	x->ts = T0 + seq * 1000 + rng() % 1000;
	x->len = len;
	x->seed = rng();
	x->comm = comms[rng() % (sizeof(comms) / sizeof(comms[0]))];
}

static struct xrec *xrecs_make(size_t n, uint32_t (*len_of)(size_t seq))
{
	struct xrec *x = calloc(n, sizeof(*x));

	cr_assert_not_null(x);
	for (size_t i = 0; i < n; i++)
		xrec_make(&x[i], i, len_of(i));
	return x;
}

static uint32_t len_random100(size_t seq)
{
	(void)seq;
	return 100;
}

static void append_x(struct journal *j, const struct xrec *x)
{
	cr_assert_leq(x->len, MAX_PAYLOAD);
	payload_fill(gen_buf, x->len, x->seed);
	cr_assert_eq(journal_append(j, x->type, x->pid, x->comm, x->ts, gen_buf, x->len), 0);
}

/* Incompressible payloads: the on-disk size then follows the appended size. */
static void append_random(struct journal *j, struct xrec *x)
{
	x->seed &= ~1u;
	append_x(j, x);
}

static void check_rec(const struct journal_rec *rec, const void *payload, const struct xrec *x,
		      size_t seq)
{
	char comm[JOURNAL_COMM_LEN] = { 0 };

	strncpy(comm, x->comm, JOURNAL_COMM_LEN - 1);
	cr_assert_eq(rec->type, x->type, "record %zu", seq);
	cr_assert_eq(rec->pid, x->pid, "record %zu", seq);
	cr_assert_eq(rec->ts_ns, x->ts, "record %zu", seq);
	cr_assert_eq(rec->len, x->len, "record %zu", seq);
	cr_assert_eq(rec->flags, 0);
	cr_assert_str_eq(rec->comm, comm, "record %zu", seq);
	cr_assert_not_null(payload);
	cr_assert_eq((uintptr_t)payload & 7, 0, "payloads are 8-byte aligned");
	payload_fill(gen_buf, x->len, x->seed);
	cr_assert(!memcmp(payload, gen_buf, x->len), "payload of record %zu", seq);
}

/*
 * Reads the whole journal of tdir, checking each record against the one it claims to
 * be (by its timestamp); returns the sequence numbers in the order read.
 */
static size_t read_all(const struct xrec *exp, size_t nexp, size_t **seqs,
		       struct journal_reader_stats *st)
{
	struct journal_reader *r = journal_reader_open(tdir);
	const struct journal_rec *rec;
	const void *payload;
	size_t n = 0, cap = 1024;
	int ret;

	cr_assert_not_null(r, "journal_reader_open: %s", strerror(errno));
	*seqs = malloc(cap * sizeof(**seqs));
	cr_assert_not_null(*seqs);
	while ((ret = journal_reader_next(r, &rec, &payload)) == 1) {
		size_t seq = (rec->ts_ns - T0) / 1000;

		cr_assert(rec->ts_ns >= T0 && seq < nexp, "unexpected record ts %llu",
			  (unsigned long long)rec->ts_ns);
		check_rec(rec, payload, &exp[seq], seq);
		if (n == cap) {
			cap *= 2;
			*seqs = realloc(*seqs, cap * sizeof(**seqs));
			cr_assert_not_null(*seqs);
		}
		(*seqs)[n++] = seq;
	}
	cr_assert_eq(ret, 0, "journal_reader_next: %s", strerror(-ret));
	cr_assert_eq(journal_reader_next(r, &rec, &payload), 0, "the end stays the end");
	*st = *journal_reader_get_stats(r);
	cr_assert_eq(st->records, n);
	journal_reader_close(r);
	return n;
}

/* The records read are exactly first, first + 1, ... first + count - 1. */
static void assert_range(const size_t *seqs, size_t n, size_t first, size_t count)
{
	cr_assert_eq(n, count, "read %zu records, expected %zu", n, count);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(seqs[i], first + i, "record %zu is #%zu, expected #%zu", i, seqs[i],
			     first + i);
}

/* ---- files ---- */

static int seg_filter(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return len > 4 && !strcmp(de->d_name + len - 4, ".vmj");
}

/* The segment names of tdir, oldest first; free with free_names(). */
static int list_segments(struct dirent ***names)
{
	int n = scandir(tdir, names, seg_filter, alphasort);

	cr_assert_geq(n, 0, "scandir: %s", strerror(errno));
	return n;
}

static void free_names(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int count_segments(void)
{
	struct dirent **names;
	int n = list_segments(&names);

	free_names(names, n);
	return n;
}

static void seg_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s", tdir, name);
}

static uint64_t dir_usage(void)
{
	DIR *d = opendir(tdir);
	struct dirent *de;
	uint64_t total = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct stat st;

		if (!fstatat(dirfd(d), de->d_name, &st, 0) && S_ISREG(st.st_mode))
			total += st.st_size;
	}
	closedir(d);
	return total;
}

static uint8_t *file_read(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc(st.st_size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(read(fd, buf, st.st_size), st.st_size);
	close(fd);
	*size = st.st_size;
	return buf;
}

static void file_write(const char *path, const void *buf, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);

	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, buf, size), (ssize_t)size);
	close(fd);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

struct blk {
	size_t off;
	uint32_t comp, nrecs;
};

/* Walks the blocks of a well-formed segment; how many. */
static size_t walk_blocks(const char *path, struct blk *b, size_t max)
{
	size_t size, off = SEG_HDR, n = 0;
	uint8_t *buf = file_read(path, &size);

	cr_assert(size >= SEG_HDR && !memcmp(buf, "VMTJ", 4), "%s: no segment header", path);
	while (off < size) {
		cr_assert_leq(off + BLK_HDR, size);
		cr_assert(!memcmp(buf + off, "VMTB", 4), "%s: no block at %zu", path, off);
		cr_assert_lt(n, max);
		b[n].off = off;
		b[n].comp = le32(buf + off + 8);
		b[n].nrecs = le32(buf + off + 16);
		off += BLK_HDR + b[n].comp;
		n++;
	}
	cr_assert_eq(off, size);
	free(buf);
	return n;
}

/* The only segment of tdir. */
static void only_segment(char *path, size_t size)
{
	struct dirent **names;
	int n = list_segments(&names);

	cr_assert_eq(n, 1);
	seg_path(path, size, names[0]->d_name);
	free_names(names, n);
}

static struct journal *open_journal(uint64_t segment_bytes, uint64_t block_bytes,
				    uint64_t retain_bytes, uint64_t retain_seconds,
				    enum journal_full on_full)
{
	struct journal_config cfg = {
		.dir = tdir,
		.segment_bytes = segment_bytes,
		.block_bytes = block_bytes,
		.retain_bytes = retain_bytes,
		.retain_seconds = retain_seconds,
		.fsync = JOURNAL_FSYNC_NEVER,
		.on_full = on_full,
	};
	struct journal *j = journal_open(&cfg);

	cr_assert_not_null(j, "journal_open %s: %s", tdir, strerror(errno));
	return j;
}

/* ---- round trips and visibility ---- */

static uint32_t len_mixed(size_t seq)
{
	if (seq == 5000 || seq == 19999)
		return 100 << 10;
	if (seq % 97 == 0)
		return 0;
	if (seq % 500 == 1)
		return 4096;
	if (seq % 11 == 0)
		return sizeof(struct journal_tl);
	return rng() % 300;
}

Test(journal, round_trip)
{
	const size_t n = 20000;
	struct xrec *exp = xrecs_make(n, len_mixed);
	struct journal_reader_stats st;
	struct journal_stats ws;
	struct journal *j;
	size_t *seqs, got;
	int nseg;

	j = open_journal(64 << 10, 8 << 10, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	for (size_t i = 0; i < n; i++)
		append_x(j, &exp[i]);
	cr_assert_eq(journal_flush(j), 0);
	ws = *journal_get_stats(j);
	journal_close(j);

	cr_assert_eq(ws.records, n);
	cr_assert_eq(ws.records_lost, 0);
	cr_assert_eq(ws.write_errors, 0);
	cr_assert_gt(ws.blocks, 100);
	cr_assert_eq(ws.segments_deleted, 0);
	nseg = count_segments();
	cr_assert_geq(nseg, 5, "%d segments", nseg);

	got = read_all(exp, n, &seqs, &st);
	assert_range(seqs, got, 0, n);
	cr_assert_eq(st.damaged_blocks, 0);
	cr_assert_eq(st.torn_tails, 0);
	cr_assert_eq(st.blocks, ws.blocks);
	cr_assert_eq(st.segments, (uint64_t)nseg);
	free(seqs);
	free(exp);
}

Test(journal, flush_makes_records_visible)
{
	struct xrec *exp = xrecs_make(30, len_random100);
	struct journal_reader_stats st;
	struct journal_reader *early;
	const struct journal_rec *rec;
	const void *payload;
	struct journal *j;
	size_t *seqs, got;

	j = open_journal(0, 0, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	for (size_t i = 0; i < 10; i++)
		append_x(j, &exp[i]);
	got = read_all(exp, 30, &seqs, &st);
	cr_assert_eq(got, 0, "buffered records are not on disk yet");
	cr_assert_eq(st.segments, 1);
	cr_assert_eq(st.torn_tails + st.damaged_blocks, 0);
	free(seqs);

	cr_assert_eq(journal_flush(j), 0);
	got = read_all(exp, 30, &seqs, &st);
	assert_range(seqs, got, 0, 10);
	free(seqs);

	/* A reader opened now sees the flushed prefix, not what is still buffered. */
	early = journal_reader_open(tdir);
	cr_assert_not_null(early);
	for (size_t i = 10; i < 20; i++)
		append_x(j, &exp[i]);
	got = read_all(exp, 30, &seqs, &st);
	assert_range(seqs, got, 0, 10);
	free(seqs);
	cr_assert_eq(journal_flush(j), 0);
	for (size_t i = 0; i < 20; i++) {
		cr_assert_eq(journal_reader_next(early, &rec, &payload), 1, "record %zu", i);
		check_rec(rec, payload, &exp[i], i);
	}
	cr_assert_eq(journal_reader_next(early, &rec, &payload), 0);
	journal_reader_close(early);

	for (size_t i = 20; i < 30; i++)
		append_x(j, &exp[i]);
	journal_close(j); /* closing flushes */
	got = read_all(exp, 30, &seqs, &st);
	assert_range(seqs, got, 0, 30);
	free(seqs);
	free(exp);
}

struct writer_arg {
	const struct xrec *exp;
	size_t n;
	int failures;
	bool done;
};

/* The daemon's side: appends, flushing now and then. Asserts belong to the main thread. */
static void *writer_thread(void *p)
{
	struct writer_arg *a = p;
	struct journal_config cfg = {
		.dir = tdir,
		.segment_bytes = 16 << 10,
		.block_bytes = 2 << 10,
		.fsync = JOURNAL_FSYNC_NEVER,
	};
	uint8_t *buf = malloc(MAX_PAYLOAD);
	struct journal *j = journal_open(&cfg);

	if (!j || !buf) {
		a->failures++;
		goto out;
	}
	for (size_t i = 0; i < a->n; i++) {
		const struct xrec *x = &a->exp[i];

		payload_fill(buf, x->len, x->seed);
		if (journal_append(j, x->type, x->pid, x->comm, x->ts, buf, x->len))
			a->failures++;
		if (i % 37 == 0 && journal_flush(j))
			a->failures++;
	}
	journal_close(j);
out:
	free(buf);
	__atomic_store_n(&a->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* A writer appends and flushes while we read: every reader sees a clean prefix. */
Test(journal, reader_during_writes_sees_prefix)
{
	const size_t n = 4000;
	struct xrec *exp = xrecs_make(n, len_mixed);
	struct writer_arg arg = { .exp = exp, .n = n };
	struct journal_reader_stats st;
	size_t *seqs, got, last = 0;
	pthread_t writer;

	cr_assert_eq(pthread_create(&writer, NULL, writer_thread, &arg), 0);
	for (;;) {
		bool done = __atomic_load_n(&arg.done, __ATOMIC_ACQUIRE);

		got = read_all(exp, n, &seqs, &st);
		assert_range(seqs, got, 0, got);
		cr_assert_geq(got, last, "a later reader never sees less");
		cr_assert_eq(st.damaged_blocks, 0);
		cr_assert_leq(st.torn_tails, 1, "only the segment being written can end mid-block");
		last = got;
		free(seqs);
		if (done)
			break;
	}
	pthread_join(writer, NULL);
	cr_assert_eq(arg.failures, 0);
	cr_assert_eq(last, n);
	cr_assert_eq(st.torn_tails, 0);
	free(exp);
}

/* ---- damage ---- */

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

Test(journal, torn_tail)
{
	const size_t n = 3000;
	struct xrec *exp = xrecs_make(n, len_mixed);
	struct journal_reader_stats st;
	struct blk b[512];
	char path[PATH_LEN];
	size_t nb, *seqs, got, last;
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
	got = read_all(exp, n, &seqs, &st);
	assert_range(seqs, got, 0, n - last);
	cr_assert_eq(st.torn_tails, 1);
	cr_assert_eq(st.damaged_blocks, 0);
	free(seqs);

	/* Cut inside the block header: still a torn tail, not damage. */
	cr_assert_eq(truncate(path, b[nb - 1].off + 20), 0);
	got = read_all(exp, n, &seqs, &st);
	assert_range(seqs, got, 0, n - last);
	cr_assert_eq(st.torn_tails, 1);
	cr_assert_eq(st.damaged_blocks, 0);
	free(seqs);

	/* Cut inside the file header: nothing of that segment, the others whole. */
	if (nb == 1) {
		cr_assert_eq(truncate(path, 10), 0);
		got = read_all(exp, n, &seqs, &st);
		assert_range(seqs, got, 0, n - last);
		cr_assert_eq(st.torn_tails, 1);
		free(seqs);
	}
	free(exp);
}

Test(journal, corrupt_block_data)
{
	const size_t n = 2000;
	struct xrec *exp = xrecs_make(n, len_mixed);
	struct journal_reader_stats st;
	size_t nb, mid, size, *seqs, got;
	struct blk b[512];
	char path[PATH_LEN];
	uint8_t *buf;

	nb = write_blocks(exp, n, b, 512, path, sizeof(path));
	cr_assert_geq(nb, 5);
	mid = nb / 2;
	buf = file_read(path, &size);
	for (size_t k = 0; k < 3; k++)
		buf[b[mid].off + BLK_HDR + b[mid].comp / 2 + k] ^= 0x5a;
	file_write(path, buf, size);
	free(buf);

	got = read_all(exp, n, &seqs, &st);
	assert_all_but_block(seqs, got, n, b, mid);
	cr_assert_eq(st.damaged_blocks, 1);
	cr_assert_eq(st.torn_tails, 0);
	cr_assert_eq(st.blocks, nb - 1);
	free(seqs);
	free(exp);
}

Test(journal, corrupt_block_header)
{
	/* The magic, the compressed length, the raw length, the time range, the header CRC. */
	static const size_t where[] = { 1, 9, 13, 30, 46 };
	const size_t n = 2000;
	struct xrec *exp = xrecs_make(n, len_mixed);

	for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		struct journal_reader_stats st;
		size_t nb, mid, size, *seqs, got;
		struct blk b[512];
		char path[PATH_LEN];
		uint8_t *buf;

		nb = write_blocks(exp, n, b, 512, path, sizeof(path));
		mid = nb / 2 + w % 2;
		buf = file_read(path, &size);
		buf[b[mid].off + where[w]] ^= 0x10;
		file_write(path, buf, size);
		free(buf);

		got = read_all(exp, n, &seqs, &st);
		assert_all_but_block(seqs, got, n, b, mid);
		cr_assert_eq(st.damaged_blocks, 1, "header byte %zu", where[w]);
		cr_assert_eq(st.torn_tails, 0);
		free(seqs);
		cr_assert_eq(unlink(path), 0);
	}
	free(exp);
}

static void random_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rng();
}

Test(journal, garbage_is_skipped)
{
	const size_t n = 2000, glen = 777;
	struct xrec *exp = xrecs_make(n, len_mixed);
	struct journal_reader_stats st;
	size_t nb, size, *seqs, got, cut;
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
	got = read_all(exp, n, &seqs, &st);
	assert_range(seqs, got, 0, n);
	cr_assert_eq(st.damaged_blocks, 1);
	cr_assert_eq(st.torn_tails, 0);
	free(seqs);

	/* Garbage after the last block. */
	memcpy(out, buf, size);
	random_bytes(out + size, glen);
	file_write(path, out, size + glen);
	got = read_all(exp, n, &seqs, &st);
	assert_range(seqs, got, 0, n);
	cr_assert_eq(st.damaged_blocks, 1);
	cr_assert_eq(st.torn_tails, 0);
	free(seqs);

	/* A few bytes of garbage only: shorter than a block header. */
	file_write(path, out, size + 5);
	got = read_all(exp, n, &seqs, &st);
	assert_range(seqs, got, 0, n);
	cr_assert_eq(st.damaged_blocks + st.torn_tails, 1);
	free(seqs);

	/* A damaged file header: the blocks behind it are still found. */
	memcpy(out, buf, size);
	out[2] ^= 0xff;
	file_write(path, out, size);
	got = read_all(exp, n, &seqs, &st);
	assert_range(seqs, got, 0, n);
	cr_assert_eq(st.damaged_blocks, 1);
	free(seqs);

	free(out);
	free(buf);
	free(exp);
}

/* Random flips and cuts anywhere: the reader returns good records only, and never crashes. */
Test(journal, random_damage)
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

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

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

Test(journal, lying_blocks_are_damage)
{
	const size_t n = 40;
	struct xrec *exp = xrecs_make(n, len_random100);
	struct journal_reader_stats st;
	static uint8_t raw[64 << 10];
	size_t off, pos, *seqs, got;
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
	got = read_all(exp, n, &seqs, &st);
	assert_range(seqs, got, 0, 11);
	cr_assert_eq(st.damaged_blocks, 6);
	cr_assert_eq(st.blocks, 7);
	cr_assert_eq(st.torn_tails, 0);
	free(seqs);
	free(seg);
	free(exp);
}

/* ---- retention ---- */

Test(journal, retention_by_size)
{
	const size_t n = 3000;
	const uint64_t seg = 4 << 10, blk = 1 << 10, retain = 16 << 10, slack = 2 << 10;
	struct xrec *exp = xrecs_make(n, len_random100);
	struct journal_reader_stats st;
	const struct journal_stats *ws;
	size_t *seqs, got;
	struct journal *j;

	j = open_journal(seg, blk, retain, 0, JOURNAL_FULL_DROP_OLDEST);
	ws = journal_get_stats(j);
	for (size_t i = 0; i < n; i++) {
		append_random(j, &exp[i]);
		if (i % 5 == 4) {
			uint64_t used;

			cr_assert_eq(journal_flush(j), 0);
			used = dir_usage();
			cr_assert_leq(used, retain + seg + slack, "%llu bytes kept",
				      (unsigned long long)used);
			if (ws->segments_deleted)
				cr_assert_geq(used + seg + slack, retain, "%llu bytes: too few",
					      (unsigned long long)used);
		}
	}
	cr_assert_gt(ws->segments_deleted, 0);
	cr_assert_eq(ws->records_lost, 0);
	journal_close(j);

	/* What is left is the newest records, contiguous up to the last one. */
	got = read_all(exp, n, &seqs, &st);
	cr_assert_gt(got, 0);
	cr_assert_lt(got, n);
	assert_range(seqs, got, n - got, got);
	cr_assert_eq(st.damaged_blocks + st.torn_tails, 0);
	free(seqs);
	free(exp);
}

Test(journal, retention_never_deletes_the_current_segment)
{
	const size_t n = 600;
	struct xrec *exp = xrecs_make(n, len_random100);
	const struct journal_stats *ws;
	struct journal *j;
	size_t flushed = 0;

	/* A budget of one byte: every rotation deletes everything but the current segment. */
	j = open_journal(2 << 10, 512, 1, 0, JOURNAL_FULL_DROP_OLDEST);
	ws = journal_get_stats(j);
	for (size_t i = 0; i < n; i++) {
		append_random(j, &exp[i]);
		if (i % 10 == 9) {
			struct journal_reader_stats st;
			size_t *seqs, got;

			cr_assert_eq(journal_flush(j), 0);
			flushed = i + 1;
			cr_assert_eq(count_segments(), 1);
			cr_assert_eq(ws->segments_deleted, ws->segments_created - 1);
			/* The current segment has the newest records, none after a rotation. */
			got = read_all(exp, n, &seqs, &st);
			assert_range(seqs, got, flushed - got, got);
			free(seqs);
		}
	}
	cr_assert_gt(ws->segments_created, 10);
	cr_assert_eq(ws->records_lost, 0);
	journal_close(j);
	free(exp);
}

static void set_age(const char *name, uint64_t age_s)
{
	struct timespec ts[2];
	char path[PATH_LEN];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age_s;
	ts[1] = ts[0];
	seg_path(path, sizeof(path), name);
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0, "utimensat %s: %s", path,
		     strerror(errno));
}

static bool exists(const char *name)
{
	char path[PATH_LEN];

	seg_path(path, sizeof(path), name);
	return !access(path, F_OK);
}

Test(journal, retention_by_age)
{
	const size_t n = 400;
	struct xrec *exp = xrecs_make(n, len_random100);
	struct journal_reader_stats st;
	const struct journal_stats *ws;
	struct dirent **names;
	size_t *seqs, got, i, first_kept = 0;
	struct journal *j;
	int ns;

	/* Earlier runs of the daemon: a dozen small segments. */
	j = open_journal(2 << 10, 512, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	for (i = 0; i < 200; i++)
		append_random(j, &exp[i]);
	journal_close(j);
	ns = list_segments(&names);
	cr_assert_geq(ns, 6);
	for (int k = 0; k < 3; k++)
		set_age(names[k]->d_name, 40 * DAY);
	set_age(names[3]->d_name, 10 * DAY);

	/* Opening deletes what was last written more than 30 days ago. */
	j = open_journal(2 << 10, 512, 0, 30 * DAY, JOURNAL_FULL_DROP_OLDEST);
	ws = journal_get_stats(j);
	cr_assert_eq(ws->segments_deleted, 3);
	for (int k = 0; k < ns; k++)
		cr_assert_eq(exists(names[k]->d_name), k >= 3, "%s", names[k]->d_name);

	/* Ageing one more, the next rotation deletes it. */
	set_age(names[3]->d_name, 31 * DAY);
	for (; ws->segments_created < 2; i++) {
		cr_assert_lt(i, n);
		append_random(j, &exp[i]);
	}
	cr_assert_eq(ws->segments_deleted, 4);
	cr_assert(!exists(names[3]->d_name));
	cr_assert(exists(names[4]->d_name));
	for (; i < n; i++)
		append_random(j, &exp[i]);
	journal_close(j);

	/* The records of the first four segments are gone, the rest are whole. */
	got = read_all(exp, n, &seqs, &st);
	cr_assert_gt(got, 0);
	first_kept = seqs[0];
	cr_assert_gt(first_kept, 0);
	assert_range(seqs, got, first_kept, n - first_kept);
	cr_assert_eq(st.damaged_blocks + st.torn_tails, 0);
	free(seqs);
	free_names(names, ns);
	free(exp);
}

/* ---- full disks ---- */

/* A filesystem of fs_capacity bytes holding tdir only. */
static uint64_t fs_capacity;

static ssize_t full_disk_write(int fd, const void *buf, size_t len)
{
	uint64_t used = dir_usage();

	if (used >= fs_capacity) {
		errno = ENOSPC;
		return -1;
	}
	/* A filling disk takes what fits and says so with a short count. */
	if (used + len > fs_capacity)
		len = fs_capacity - used;
	return write(fd, buf, len);
}

Test(journal, full_disk_drop_oldest)
{
	const size_t n = 4000;
	struct xrec *exp = xrecs_make(n, len_random100);
	struct journal_reader_stats st;
	struct journal_stats ws;
	const struct journal_stats *live;
	size_t *seqs, got, i;
	struct journal *j;
	char msg[512];

	fs_capacity = 64 << 10;
	journal_write_hook = full_disk_write;
	j = open_journal(8 << 10, 1 << 10, 1ull << 30, 0, JOURNAL_FULL_DROP_OLDEST);
	live = journal_get_stats(j);

	/* The disk fills: the oldest segments make room, nothing is lost. */
	for (i = 0; i < 3000; i++) {
		append_random(j, &exp[i]);
		if (i % 10 == 9)
			journal_flush(j);
		cr_assert_leq(dir_usage(), fs_capacity);
	}
	cr_assert_gt(live->write_errors, 0);
	cr_assert_gt(live->segments_deleted, 0);
	cr_assert_eq(live->records_lost, 0);
	cr_assert_not(live->stopped);
	cr_assert(journal_take_error(j, msg, sizeof(msg)));
	cr_assert(strstr(msg, strerror(ENOSPC)), "message: %s", msg);
	cr_assert(strstr(msg, tdir), "message: %s", msg);
	cr_assert_not(journal_take_error(j, msg, sizeof(msg)), "the error is reported once");

	/* Something else fills the disk: old segments go, then blocks are lost. */
	fs_capacity = 0;
	for (; i < 3500; i++) {
		append_random(j, &exp[i]);
		if (i % 10 == 9)
			cr_assert_lt(journal_flush(j), 0);
	}
	cr_assert_gt(live->records_lost, 0);
	cr_assert_eq(count_segments(), 1, "the current segment stays");
	cr_assert_not(journal_take_error(j, msg, sizeof(msg)));

	/* Space again: writing resumes. */
	fs_capacity = 1ull << 30;
	for (; i < n; i++)
		append_random(j, &exp[i]);
	cr_assert_eq(journal_flush(j), 0);
	ws = *live;
	journal_close(j);
	journal_write_hook = NULL;

	cr_assert_eq(ws.records + ws.records_lost, n, "every record is written or counted lost");
	got = read_all(exp, n, &seqs, &st);
	cr_assert_geq(got, n - 3500);
	assert_range(seqs + got - (n - 3500), n - 3500, 3500, n - 3500);
	for (size_t k = 1; k < got; k++)
		cr_assert_gt(seqs[k], seqs[k - 1]);
	cr_assert_eq(st.damaged_blocks + st.torn_tails, 0, "short writes were cut off again");
	free(seqs);
	free(exp);
}

Test(journal, full_disk_stop)
{
	const size_t n = 2000;
	struct xrec *exp = xrecs_make(n, len_random100);
	struct journal_reader_stats st;
	struct journal_stats ws;
	const struct journal_stats *live;
	uint64_t lost, errors;
	size_t *seqs, got, i;
	struct journal *j;
	char msg[512];

	fs_capacity = 16 << 10;
	journal_write_hook = full_disk_write;
	j = open_journal(1 << 20, 1 << 10, 0, 0, JOURNAL_FULL_STOP);
	live = journal_get_stats(j);
	for (i = 0; i < n && !live->stopped; i++) {
		append_random(j, &exp[i]);
		if (i % 5 == 4)
			journal_flush(j);
	}
	cr_assert(live->stopped);
	cr_assert_eq(live->write_errors, 1);
	cr_assert_gt(live->records_lost, 0);
	cr_assert(journal_take_error(j, msg, sizeof(msg)));
	cr_assert(strstr(msg, "stopped"), "message: %s", msg);
	cr_assert_not(journal_take_error(j, msg, sizeof(msg)));

	/* Stopped: a block's worth waits for the next flush, the rest is dropped, not written. */
	lost = live->records_lost;
	for (size_t k = 0; k < 100; k++, i++)
		append_random(j, &exp[i]);
	cr_assert_eq(live->write_errors, 1, "appends do not retry");
	cr_assert_gt(live->records_lost, lost + 80);

	/* Each flush retries once. */
	errors = live->write_errors;
	cr_assert_lt(journal_flush(j), 0);
	cr_assert_eq(live->write_errors, errors + 1);
	cr_assert(live->stopped);
	cr_assert_eq(journal_flush(j), 0, "nothing buffered, nothing to retry");
	cr_assert_eq(live->write_errors, errors + 1);

	fs_capacity = 1ull << 30;
	for (size_t k = 0; k < 3; k++, i++)
		append_random(j, &exp[i]);
	cr_assert(live->stopped);
	cr_assert_eq(journal_flush(j), 0);
	cr_assert_not(live->stopped, "a flush that writes resumes the journal");
	for (; i < n; i++)
		append_random(j, &exp[i]);
	cr_assert_eq(journal_flush(j), 0);
	ws = *live;
	journal_close(j);
	journal_write_hook = NULL;

	cr_assert_eq(ws.records + ws.records_lost, n);
	got = read_all(exp, n, &seqs, &st);
	cr_assert_eq(got, ws.records);
	for (size_t k = 1; k < got; k++)
		cr_assert_gt(seqs[k], seqs[k - 1]);
	cr_assert_eq(seqs[got - 1], n - 1);
	cr_assert_eq(st.damaged_blocks + st.torn_tails, 0);
	free(seqs);
	free(exp);
}

Test(journal, full_disk_at_open)
{
	const size_t n = 200;
	struct xrec *exp = xrecs_make(n, len_random100);
	const struct journal_stats *ws;
	struct journal_config cfg = {
		.dir = tdir,
		.fsync = JOURNAL_FSYNC_NEVER,
		.on_full = JOURNAL_FULL_STOP,
	};
	struct journal *j;
	int before;

	j = open_journal(4 << 10, 1 << 10, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	for (size_t i = 0; i < n; i++)
		append_random(j, &exp[i]);
	journal_close(j);
	before = count_segments();
	cr_assert_geq(before, 3);

	/* No room for a segment header: STOP has nothing to free and fails. */
	fs_capacity = dir_usage();
	journal_write_hook = full_disk_write;
	errno = 0;
	cr_assert_null(journal_open(&cfg));
	cr_assert_eq(errno, ENOSPC);
	cr_assert_eq(count_segments(), before, "a failed open leaves nothing behind");

	/* DROP_OLDEST makes room the way it does while running. */
	cfg.on_full = JOURNAL_FULL_DROP_OLDEST;
	j = journal_open(&cfg);
	cr_assert_not_null(j, "journal_open: %s", strerror(errno));
	ws = journal_get_stats(j);
	cr_assert_eq(ws->segments_deleted, 1);
	cr_assert_eq(count_segments(), before);
	journal_close(j);
	free(exp);
}

/* The file size limit of the test, given back by tdir_remove() if an assertion cut it short. */
static struct rlimit saved_fsize;
static bool fsize_limited;

static void fsize_restore(void)
{
	if (fsize_limited)
		setrlimit(RLIMIT_FSIZE, &saved_fsize);
	fsize_limited = false;
}

/*
 * A real short write and EFBIG from the kernel: a file size limit. Criterion runs each
 * test in its own process, so the limit and SIGXFSZ ignored concern this test only.
 */
Test(journal, file_size_limit)
{
	const size_t n = 1500;
	struct xrec *exp = xrecs_make(n, len_random100);
	struct journal_reader_stats st;
	struct journal_stats ws;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_xfsz;
	struct rlimit small;
	size_t *seqs, got;
	struct journal *j;
	int errors_taken = 0;
	char msg[256];

	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
	small = saved_fsize;
	small.rlim_cur = 24 << 10;
	cr_assert_eq(sigaction(SIGXFSZ, &ign, &old_xfsz), 0);
	j = open_journal(1 << 20, 2 << 10, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	fsize_limited = true;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	for (size_t i = 0; i < n; i++) {
		if (i == n - 100)
			fsize_restore(); /* space again for the last ones */
		append_random(j, &exp[i]);
		if (i % 8 == 7)
			journal_flush(j);
		while (journal_take_error(j, msg, sizeof(msg)))
			errors_taken++;
	}
	cr_assert_eq(journal_flush(j), 0);
	ws = *journal_get_stats(j);
	journal_close(j);
	sigaction(SIGXFSZ, &old_xfsz, NULL);

	cr_assert_gt(ws.write_errors, 0);
	cr_assert_gt(ws.records_lost, 0);
	cr_assert_eq(ws.records + ws.records_lost, n);
	cr_assert_eq(errors_taken, 1);
	cr_assert(strstr(msg, strerror(EFBIG)) || strstr(msg, strerror(ENOSPC)), "message: %s",
		  msg);

	got = read_all(exp, n, &seqs, &st);
	cr_assert_eq(got, ws.records);
	for (size_t k = 1; k < got; k++)
		cr_assert_gt(seqs[k], seqs[k - 1]);
	cr_assert_eq(seqs[got - 1], n - 1);
	cr_assert_eq(st.damaged_blocks + st.torn_tails, 0, "the torn block was cut off");
	free(seqs);
	free(exp);
}

/* ---- stress ---- */

static uint32_t len_stress(size_t seq)
{
	uint64_t r = rng() % 1000;

	(void)seq;
	if (r < 50)
		return 0;
	if (r < 500)
		return sizeof(struct journal_tl);
	if (r < 990)
		return rng() % 2000;
	return 20000 + rng() % 50000;
}

/* Random appends, flushes, reopenings and readers, against the list of what was appended. */
Test(journal, stress)
{
	static const uint64_t blocks[] = { 256, 1024, 4096, 16384 };
	static const uint64_t segs[] = { 2048, 8192, 32768 };
	const size_t nops = 8000;
	struct xrec *exp = calloc(nops, sizeof(*exp));
	struct journal_reader_stats st;
	size_t appended = 0, durable = 0, checks = 0, *seqs, got;
	struct journal *j = NULL;

	cr_assert_not_null(exp);
	rng_state = 0x9e3779b97f4a7c15ull;
	for (size_t op = 0; op < nops; op++) {
		uint64_t r = rng() % 1000;

		if (!j || r < 5) {
			journal_close(j);
			durable = appended;
			j = open_journal(segs[rng() % 3], blocks[rng() % 4], 0, 0,
					 JOURNAL_FULL_DROP_OLDEST);
		} else if (r < 80) {
			cr_assert_eq(journal_flush(j), 0);
			durable = appended;
		} else if (r < 82) {
			got = read_all(exp, appended, &seqs, &st);
			cr_assert_geq(got, durable, "flushed records are visible");
			assert_range(seqs, got, 0, got);
			cr_assert_eq(st.damaged_blocks + st.torn_tails, 0);
			free(seqs);
			checks++;
		} else {
			xrec_make(&exp[appended], appended, len_stress(appended));
			append_x(j, &exp[appended]);
			appended++;
		}
	}
	cr_assert_eq(journal_get_stats(j)->records_lost, 0);
	journal_close(j);
	got = read_all(exp, appended, &seqs, &st);
	assert_range(seqs, got, 0, appended);
	cr_assert_eq(st.damaged_blocks + st.torn_tails, 0);
	cr_assert_gt(checks, 5);
	cr_assert_gt(st.segments, 30);
	free(seqs);
	free(exp);
}

/* ---- API edges ---- */

Test(journal, bad_arguments)
{
	struct journal_config cfg = { .dir = NULL };
	const struct journal_rec *rec;
	const void *payload;
	struct journal_reader *r;
	struct journal *j;
	char path[PATH_LEN], msg[64];
	int fd;

	errno = 0;
	cr_assert_null(journal_open(&cfg));
	cr_assert_eq(errno, EINVAL);
	cfg.dir = "";
	cr_assert_null(journal_open(&cfg));
	cfg.dir = tdir;
	cfg.block_bytes = 1ull << 40;
	cr_assert_null(journal_open(&cfg));
	cr_assert_eq(errno, EINVAL);

	snprintf(path, sizeof(path), "%s/missing", tdir);
	errno = 0;
	cr_assert_null(journal_reader_open(path));
	cr_assert_eq(errno, ENOENT);

	/* A file where the directory should be. */
	file_write(path, "x", 1);
	cfg.dir = path;
	cfg.block_bytes = 0;
	cr_assert_null(journal_open(&cfg));
	cr_assert_eq(errno, ENOTDIR);
	cr_assert_eq(unlink(path), 0);

	cfg.dir = tdir;
	j = journal_open(&cfg);
	cr_assert_not_null(j);
	cr_assert_eq(journal_append(j, JREC_ALERT, 1, "x", T0, NULL, 5), -EINVAL);
	cr_assert_eq(journal_append(j, JREC_ALERT, 1, "x", T0, "x", 64u << 20), -EMSGSIZE);
	cr_assert_eq(journal_append(j, JREC_ALERT, 1, NULL, T0, NULL, 0), 0);
	cr_assert_not(journal_take_error(j, msg, sizeof(msg)));
	journal_close(j);
	journal_close(NULL);
	journal_reader_close(NULL);

	/* Other files are not segments. */
	snprintf(path, sizeof(path), "%s/notes.txt", tdir);
	fd = open(path, O_WRONLY | O_CREAT, 0640);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "VMTB garbage", 12), 12);
	close(fd);
	r = journal_reader_open(tdir);
	cr_assert_not_null(r);
	cr_assert_eq(journal_reader_next(r, &rec, &payload), 1);
	cr_assert_eq(rec->len, 0);
	cr_assert_eq(rec->comm[0], 0);
	cr_assert_eq(journal_reader_next(r, &rec, &payload), 0);
	cr_assert_eq(journal_reader_get_stats(r)->segments, 1);
	cr_assert_eq(journal_reader_get_stats(r)->damaged_blocks, 0);
	journal_reader_close(r);
}

Test(journal, nested_directory_and_empty_segments)
{
	struct journal_config cfg = { .fsync = JOURNAL_FSYNC_FLUSH };
	struct journal *j;
	mode_t mask = umask(0);
	struct stat st;
	char path[PATH_LEN];

	umask(mask);
	snprintf(path, sizeof(path), "%s/a/b", tdir);
	cfg.dir = path;
	j = journal_open(&cfg);
	cr_assert_not_null(j, "journal_open %s: %s", path, strerror(errno));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0750 & ~mask);
	/* Nothing written: closing leaves no empty segment behind. */
	journal_close(j);
	cr_assert_eq(rmdir(path), 0, "a/b is empty");
	snprintf(path, sizeof(path), "%s/a", tdir);
	cr_assert_eq(rmdir(path), 0);
}

/* A segment named in the future (the clock went back): ours still sort after it. */
Test(journal, names_sort_after_existing_segments)
{
	struct xrec *exp = xrecs_make(20, len_random100);
	struct journal_reader_stats st;
	struct dirent **names;
	size_t *seqs, got;
	struct journal *j;
	char path[PATH_LEN];
	int ns;

	j = open_journal(0, 0, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	for (size_t i = 0; i < 10; i++)
		append_x(j, &exp[i]);
	journal_close(j);
	ns = list_segments(&names);
	cr_assert_eq(ns, 1);
	{
		char from[PATH_LEN];

		seg_path(from, sizeof(from), names[0]->d_name);
		seg_path(path, sizeof(path), "seg-09000000000000000000.vmj");
		cr_assert_eq(rename(from, path), 0);
	}
	free_names(names, ns);

	j = open_journal(0, 0, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	for (size_t i = 10; i < 20; i++)
		append_x(j, &exp[i]);
	journal_close(j);
	ns = list_segments(&names);
	cr_assert_eq(ns, 2);
	cr_assert_str_eq(names[0]->d_name, "seg-09000000000000000000.vmj");
	cr_assert_str_eq(names[1]->d_name, "seg-09000000000000000001.vmj");
	free_names(names, ns);
	got = read_all(exp, 20, &seqs, &st);
	assert_range(seqs, got, 0, 20);
	free(seqs);
	free(exp);
}

/* ---- payloads, record types, format versions (docs/JOURNAL.md) ---- */

static const struct journal_tl sample_tl = {
    .t_ns = 0x0102030405060708ull,
    .vmas_min = 0x11121314,
    .vmas_max = 0x21222324,
    .vmas_last = 0x31323334,
    .calls = 0x41424344,
    .failures = 0x51525354,
    .max_map_count = 0x61626364,
    .mapped = 0x7172737475767778ull,
    .heap = 0x8182838485868788ull,
    .heap_hwm = 0x9192939495969798ull,
};

static void assert_tl_eq(const struct journal_tl *a, const struct journal_tl *b)
{
	cr_assert_eq(a->t_ns, b->t_ns);
	cr_assert_eq(a->vmas_min, b->vmas_min);
	cr_assert_eq(a->vmas_max, b->vmas_max);
	cr_assert_eq(a->vmas_last, b->vmas_last);
	cr_assert_eq(a->calls, b->calls);
	cr_assert_eq(a->failures, b->failures);
	cr_assert_eq(a->max_map_count, b->max_map_count);
	cr_assert_eq(a->mapped, b->mapped);
	cr_assert_eq(a->heap, b->heap);
	cr_assert_eq(a->heap_hwm, b->heap_hwm);
}

Test(journal, timeline_payload_is_little_endian_at_the_documented_offsets)
{
	uint8_t got[JOURNAL_TL_LEN], want[JOURNAL_TL_LEN];
	struct journal_tl back;

	/* The table of docs/JOURNAL.md, written out by hand. */
	put_le(want + 0, sample_tl.t_ns, 8);
	put_le(want + 8, sample_tl.vmas_min, 4);
	put_le(want + 12, sample_tl.vmas_max, 4);
	put_le(want + 16, sample_tl.vmas_last, 4);
	put_le(want + 20, sample_tl.calls, 4);
	put_le(want + 24, sample_tl.failures, 4);
	put_le(want + 28, sample_tl.max_map_count, 4);
	put_le(want + 32, sample_tl.mapped, 8);
	put_le(want + 40, sample_tl.heap, 8);
	put_le(want + 48, sample_tl.heap_hwm, 8);
	journal_tl_encode(&sample_tl, got);
	cr_assert_arr_eq(got, want, sizeof(want));
	cr_assert(journal_tl_decode(want, sizeof(want), &back));
	assert_tl_eq(&back, &sample_tl);
	/* A newer writer's longer point: the known prefix. A shorter one is no point. */
	cr_assert(journal_tl_decode(gen_buf, JOURNAL_TL_LEN + 8, &back));
	cr_assert_not(journal_tl_decode(want, JOURNAL_TL_LEN - 1, &back));
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * Journals of format version 1 written before the payload had its own encoder: the daemon
 * appended the native struct, which on x86-64 (the only target then) is this very layout.
 */
Test(journal, a_point_written_as_the_old_native_struct_still_reads)
{
	struct journal *j = open_journal(0, 0, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	const struct journal_rec *rec;
	struct journal_reader *r;
	const void *payload;
	struct journal_tl back;
	int n = 0;

	cr_assert_eq(journal_append(j, JREC_TIMELINE, 42, "old", sample_tl.t_ns, &sample_tl,
				    sizeof(sample_tl)),
		     0);
	cr_assert_eq(journal_put_point(j, 43, "new", &sample_tl), 0);
	journal_close(j);
	r = journal_reader_open(tdir);
	cr_assert_not_null(r);
	while (journal_reader_next(r, &rec, &payload) == 1) {
		cr_assert_eq(rec->type, JREC_TIMELINE);
		cr_assert_eq(rec->len, JOURNAL_TL_LEN);
		cr_assert_eq(rec->ts_ns, sample_tl.t_ns);
		cr_assert(journal_tl_decode(payload, rec->len, &back));
		assert_tl_eq(&back, &sample_tl);
		n++;
	}
	cr_assert_eq(n, 2);
	journal_reader_close(r);
}
#endif

Test(journal, record_type_names)
{
	cr_assert_str_eq(journal_rec_type_name(JREC_DAEMON_START), "daemon_start");
	cr_assert_str_eq(journal_rec_type_name(JREC_TIMELINE), "timeline");
	cr_assert_str_eq(journal_rec_type_name(JREC_PROC_EXIT), "proc_exit");
	cr_assert_str_eq(journal_rec_type_name(0), "unknown");
	cr_assert_str_eq(journal_rec_type_name(JREC__COUNT), "unknown");
	for (unsigned int t = 1; t < JREC__COUNT; t++)
		cr_assert_str_neq(journal_rec_type_name(t), "unknown", "type %u has no name", t);
}

Test(journal, json_records_keep_their_text)
{
	static const char json[] = "{\"reason\":\"SIGTERM\"}";
	struct journal *j = open_journal(0, 0, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	const struct journal_rec *rec;
	struct journal_reader *r;
	const void *payload;

	cr_assert_eq(journal_put_json(j, JREC_DAEMON_STOP, 0, "", T0, json), 0);
	journal_close(j);
	r = journal_reader_open(tdir);
	cr_assert_not_null(r);
	cr_assert_eq(journal_reader_next(r, &rec, &payload), 1);
	cr_assert_eq(rec->type, JREC_DAEMON_STOP);
	cr_assert_eq(rec->len, strlen(json), "no NUL on disk");
	cr_assert_arr_eq(payload, json, rec->len);
	cr_assert_eq(journal_reader_next(r, &rec, &payload), 0);
	journal_reader_close(r);
}

/* A segment of another version is skipped whole and counted as such, not as damage. */
Test(journal, a_segment_of_another_version_is_skipped_and_named)
{
	struct xrec *exp = xrecs_make(40, len_random100);
	struct journal_reader_stats st;
	char path[PATH_LEN];
	size_t size, *seqs, got;
	struct journal *j;
	uint8_t *buf;

	j = open_journal(0, 0, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	for (size_t i = 0; i < 20; i++)
		append_x(j, &exp[i]);
	journal_close(j);
	only_segment(path, sizeof(path));
	buf = file_read(path, &size);
	put_le(buf + 4, JOURNAL_FORMAT_VERSION + 1, 2);
	put_le(buf + 28, crc32(crc32(0, Z_NULL, 0), buf, 28), 4);
	file_write(path, buf, size);
	free(buf);

	j = open_journal(0, 0, 0, 0, JOURNAL_FULL_DROP_OLDEST);
	for (size_t i = 20; i < 40; i++)
		append_x(j, &exp[i]);
	journal_close(j);

	got = read_all(exp, 40, &seqs, &st);
	assert_range(seqs, got, 20, 20);
	cr_assert_eq(st.segments, 2);
	cr_assert_eq(st.other_version, 1);
	cr_assert_eq(st.version_seen, JOURNAL_FORMAT_VERSION + 1);
	cr_assert_eq(st.damaged_blocks, 0);
	cr_assert_eq(st.torn_tails, 0);
	free(seqs);
	free(exp);
}
