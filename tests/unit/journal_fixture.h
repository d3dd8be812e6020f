/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the journal's tests share (test_journal*.c): a temporary directory per
 * test, generated records with their expected contents, readers, and the
 * on-disk layout needed to find blocks and damage them on purpose.
 */
#ifndef TESTS_JOURNAL_FIXTURE_H
#define TESTS_JOURNAL_FIXTURE_H

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

#include "fsutil.h"
#include "journal.h"
#include "xorshift.h"

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

static __attribute__((unused)) char tdir[64];

/* The file size limit of the test, given back by tdir_remove() if an assertion cut it short. */
static __attribute__((unused)) struct rlimit saved_fsize;
static __attribute__((unused)) bool fsize_limited;

static inline void fsize_restore(void)
{
	if (fsize_limited)
		setrlimit(RLIMIT_FSIZE, &saved_fsize);
	fsize_limited = false;
}

static inline void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

static inline void tdir_remove(void)
{
	journal_write_hook = NULL;
	fsize_restore();
	dir_remove(tdir);
}

static inline void tdir_make(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/vmatrace-journal-XXXXXX");
	cr_assert_not_null(mkdtemp(tdir), "mkdtemp: %s", strerror(errno));
}

/* ---- expected records ---- */

/* Small deterministic generator (xorshift64*): same sequence on every run. */
static __attribute__((unused)) uint64_t rng_state = 88172645463325252ull;

static inline uint64_t rng(void)
{
	return xorshift64s(&rng_state);
}

static __attribute__((unused))
const char *const comms[] = { "bash", "postgres", "a-very-long-command-name", "", "java" };

/* What was appended; the payload is regenerated from seed and len. */
struct xrec {
	uint16_t type;
	uint32_t pid;
	uint64_t ts; /* T0 + seq * 1000 + jitter: the reader's records say which one they are */
	uint32_t len;
	uint32_t seed;
	const char *comm;
};

static __attribute__((unused)) uint8_t gen_buf[MAX_PAYLOAD];

/* Odd seeds give compressible bytes, even ones random bytes. */
static inline void payload_fill(uint8_t *buf, uint32_t len, uint32_t seed)
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

static inline void xrec_make(struct xrec *x, size_t seq, uint32_t len)
{
	x->type = 1 + rng() % (JREC__COUNT - 1);
	x->pid = 1 + rng() % 4000000;
	x->ts = T0 + seq * 1000 + rng() % 1000;
	x->len = len;
	x->seed = rng();
	x->comm = comms[rng() % (sizeof(comms) / sizeof(comms[0]))];
}

static inline struct xrec *xrecs_make(size_t n, uint32_t (*len_of)(size_t seq))
{
	struct xrec *x = calloc(n, sizeof(*x));

	cr_assert_not_null(x);
	for (size_t i = 0; i < n; i++)
		xrec_make(&x[i], i, len_of(i));
	return x;
}

static inline uint32_t len_random100(size_t seq)
{
	(void)seq;
	return 100;
}

static inline void append_x(struct journal *j, const struct xrec *x)
{
	cr_assert_leq(x->len, MAX_PAYLOAD);
	payload_fill(gen_buf, x->len, x->seed);
	cr_assert_eq(journal_append(j, x->type, x->pid, x->comm, x->ts, gen_buf, x->len), 0);
}

/* Incompressible payloads: the on-disk size then follows the appended size. */
static inline void append_random(struct journal *j, struct xrec *x)
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
static inline void assert_range(const size_t *seqs, size_t n, size_t first, size_t count)
{
	cr_assert_eq(n, count, "read %zu records, expected %zu", n, count);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(seqs[i], first + i, "record %zu is #%zu, expected #%zu", i, seqs[i],
			     first + i);
}

/* Reads the whole journal of tdir: exactly the records first..first + count - 1. Its stats. */
static inline struct journal_reader_stats read_range(const struct xrec *exp, size_t nexp,
						     size_t first, size_t count)
{
	struct journal_reader_stats st;
	size_t *seqs, got = read_all(exp, nexp, &seqs, &st);

	assert_range(seqs, got, first, count);
	free(seqs);
	return st;
}

/* ---- files ---- */

static inline int seg_filter(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return len > 4 && !strcmp(de->d_name + len - 4, ".vmj");
}

/* The segment names of tdir, oldest first; free with free_names(). */
static inline int list_segments(struct dirent ***names)
{
	int n = scandir(tdir, names, seg_filter, alphasort);

	cr_assert_geq(n, 0, "scandir: %s", strerror(errno));
	return n;
}

static inline void free_names(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static inline int count_segments(void)
{
	struct dirent **names;
	int n = list_segments(&names);

	free_names(names, n);
	return n;
}

static inline void seg_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s", tdir, name);
}

static inline uint64_t dir_usage(void)
{
	return dir_bytes(tdir, NULL);
}

static inline uint8_t *file_read(const char *path, size_t *size)
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

static inline void file_write(const char *path, const void *buf, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);

	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, buf, size), (ssize_t)size);
	close(fd);
}

static inline uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

struct blk {
	size_t off;
	uint32_t comp, nrecs;
};

/* Walks the blocks of a well-formed segment; how many. */
static inline size_t walk_blocks(const char *path, struct blk *b, size_t max)
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
static inline void only_segment(char *path, size_t size)
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

/* A run of the writer with the default configuration that appends x[from] to x[to - 1]. */
static inline void write_session(const struct xrec *x, size_t from, size_t to)
{
	struct journal *j = open_journal(0, 0, 0, 0, JOURNAL_FULL_DROP_OLDEST);

	for (size_t i = from; i < to; i++)
		append_x(j, &x[i]);
	journal_close(j);
}

/* ---- round trips and visibility ---- */

static inline uint32_t len_mixed(size_t seq)
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

#endif
