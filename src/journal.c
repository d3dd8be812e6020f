// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The on-disk journal (include/journal.h), whose format docs/JOURNAL.md describes in full.
 * All integers are little-endian, written byte by byte:
 *
 *   segment   file header, then blocks until the end of the file
 *   file hdr  "VMTJ" u16 version u16 hdr_len(32) u64 created_ns u64 0 u32 0
 *             u32 crc32(bytes 0..27)
 *   block     header, then comp_len bytes of zlib stream inflating to raw_len bytes
 *   blk hdr   "VMTB" u16 version u16 hdr_len(48) u32 comp_len u32 raw_len u32 nrecs
 *             u32 flags(0) u64 min_ts u64 max_ts u32 crc32(zlib bytes) u32 crc32(bytes 0..43)
 *   raw       nrecs records back to back, each a 40-byte header (struct journal_rec) then
 *             len bytes of payload (a timeline point: journal_tl_encode())
 *
 * A block goes out in one write(), so a crash tears at most the last block of a segment; a
 * short write is cut off again with ftruncate() so that later blocks follow a clean end.
 * The reader trusts nothing it has not checked: a bad header, CRC, zlib stream or record
 * length costs that block only, and it resynchronises on the next "VMTB" whose header CRC
 * holds. It reads with read(), not mmap(): a writer cutting a torn block off cannot fault it.
 *
 * Writer stats: `records` counts records on disk, `records_lost` those dropped with a failed
 * block (or while stopped); what is still buffered is neither. JOURNAL_FULL_STOP resumes at
 * the first flush that writes. The error message is one-shot for the journal's lifetime.
 *
 * A segment of another format version is skipped whole and counted (other_version), not
 * taken for damage: the report can then say which version it found.
 */
#define ZLIB_CONST
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
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

#define DEFAULT_SEGMENT_BYTES (16ull << 20)
#define DEFAULT_RETAIN_BYTES (256ull << 20)
#define DEFAULT_BLOCK_BYTES (64ull << 10)
/* Timeline points differ little from one to the next: zlib's default level is cheap enough. */
#define COMPRESS_LEVEL Z_DEFAULT_COMPRESSION

#define READ_WINDOW (256u << 10)

_Static_assert(SEG_HDR_LEN == 4 + 2 + 2 + 8 + 8 + 4 + 4, "segment header: 32 bytes on disk");
_Static_assert(BLK_HDR_LEN == 4 + 2 + 2 + 4 * 4 + 8 + 8 + 4 + 4, "block header: 48 bytes on disk");
_Static_assert(REC_HDR_LEN == 2 + 2 + 4 + 8 + JOURNAL_COMM_LEN + 4 + 4, "record header: 40 bytes");
_Static_assert(JOURNAL_TL_LEN == 8 + 6 * 4 + 3 * 8, "timeline point: 56 bytes on disk");

/*
 * Test-only: stands in for write(2) on the journal's files so that unit tests can
 * simulate a full disk. Always NULL in the daemon.
 */
ssize_t (*journal_write_hook)(int fd, const void *buf, size_t len);

/* ---- little-endian fields ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

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
}

bool journal_tl_decode(const void *payload, uint32_t len, struct journal_tl *tl)
{
	const uint8_t *p = payload;

	if (len < JOURNAL_TL_LEN)
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
	return true;
}

static uint32_t crc(const void *p, size_t len)
{
	return crc32(crc32(0, Z_NULL, 0), p, len);
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* What deflate can make of raw bytes at worst, with a wide margin for other zlib builds. */
static uint64_t comp_bound(uint64_t raw)
{
	return raw + raw / 8 + 1024;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- the segments of a directory, oldest first ---- */

struct seg_list {
	char **names;
	size_t n;
};

static void seg_list_free(struct seg_list *l)
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

/* Names sort in creation order: segment names carry their creation time in fixed width. */
static int seg_list_read(int dirfd, struct seg_list *l)
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

/* ---- writer ---- */

struct journal {
	struct journal_config cfg; /* defaults applied; cfg.dir is our own copy */
	char *dir;
	int dirfd;
	int fd; /* current segment */
	char seg_name[SEG_NAME_SIZE];
	uint64_t last_seg_ns; /* name of the newest segment seen: the next one sorts after */
	uint64_t seg_size;    /* where the next block starts */
	uint64_t seg_blocks;
	bool dirty; /* written since the last fsync */

	/* records waiting for the next block, already in their on-disk form */
	uint8_t *buf;
	size_t buf_len, buf_cap;
	uint32_t buf_recs;
	uint64_t buf_min_ts, buf_max_ts;

	uint8_t *out; /* block header + compressed bytes, written with one write() */
	size_t out_cap;
	z_stream zs;
	bool zs_ready;

	bool err_reported, err_pending;
	char err_msg[512];
	struct journal_stats stats;
};

/*
 * One message for the caller to alert on, for the first failure only: the counters tell
 * the rest. "<what>: <error> (<remedy>)".
 */
static void __attribute__((format(printf, 4, 5)))
report_error(struct journal *j, int err, const char *remedy, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (j->err_reported)
		return;
	j->err_reported = true;
	j->err_pending = true;
	va_start(ap, fmt);
	vsnprintf(j->err_msg, sizeof(j->err_msg), fmt, ap);
	va_end(ap);
	n = strlen(j->err_msg);
	snprintf(j->err_msg + n, sizeof(j->err_msg) - n, ": %s%s%s%s", strerror(err),
		 remedy ? " (" : "", remedy ? remedy : "", remedy ? ")" : "");
}

static ssize_t write_once(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = journal_write_hook ? journal_write_hook(fd, buf, len) : write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/*
 * Appends one block to the current segment. A short write is cut off again so that
 * the next block starts where this one should have: readers then see a clean end.
 */
static int write_out(struct journal *j, const void *data, size_t len)
{
	ssize_t n = write_once(j->fd, data, len);
	int err;

	if (n == (ssize_t)len) {
		j->seg_size += len;
		j->stats.bytes_written += len;
		j->dirty = true;
		return 0;
	}
	/* A short write without an errno is the disk filling up under us. */
	err = n < 0 ? errno : ENOSPC;
	j->stats.write_errors++;
	if (n > 0 && ftruncate(j->fd, j->seg_size)) {
		/* The torn bytes stay: the reader skips them as damage. Append after them. */
		off_t end = lseek(j->fd, 0, SEEK_END);

		if (end >= 0)
			j->seg_size = end;
	}
	return -err;
}

/* Deletes the oldest segments but the current one until `need` bytes are freed; how many. */
static int drop_oldest(struct journal *j, uint64_t need)
{
	struct seg_list l;
	uint64_t freed = 0;
	int deleted = 0;

	if (seg_list_read(j->dirfd, &l))
		return 0;
	for (size_t i = 0; i < l.n && freed < need; i++) {
		struct stat st;

		if (!strcmp(l.names[i], j->seg_name))
			continue;
		if (fstatat(j->dirfd, l.names[i], &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(j->dirfd, l.names[i], 0))
			continue;
		freed += st.st_size;
		deleted++;
		j->stats.segments_deleted++;
	}
	seg_list_free(&l);
	return deleted;
}

/* Oldest first: past the size budget, or last written before the age limit. Never the current. */
static void retention(struct journal *j)
{
	uint64_t total = 0, now_s = now_ns() / 1000000000ull;
	struct seg_list l;
	struct stat *st;

	if (seg_list_read(j->dirfd, &l))
		return;
	st = calloc(l.n ? l.n : 1, sizeof(*st));
	if (!st)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		if (fstatat(j->dirfd, l.names[i], &st[i], AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st[i].st_mode)) {
			st[i].st_mode = 0; /* gone or not ours: leave it alone */
			continue;
		}
		total += st[i].st_size;
	}
	for (size_t i = 0; i < l.n; i++) {
		uint64_t mtime = st[i].st_mtim.tv_sec > 0 ? (uint64_t)st[i].st_mtim.tv_sec : 0;
		/* A clock set back must not make a segment look old. */
		uint64_t age = now_s > mtime ? now_s - mtime : 0;

		if (!st[i].st_mode || !strcmp(l.names[i], j->seg_name))
			continue;
		if (total <= j->cfg.retain_bytes &&
		    !(j->cfg.retain_seconds && age > j->cfg.retain_seconds))
			continue;
		if (unlinkat(j->dirfd, l.names[i], 0))
			continue;
		total -= st[i].st_size;
		j->stats.segments_deleted++;
	}
	free(st);
out:
	seg_list_free(&l);
}

/* Creates a segment named after now, or just after the newest one if the clock disagrees. */
static int segment_create(struct journal *j, int *fdp, char *name)
{
	uint8_t hdr[SEG_HDR_LEN] = { 0 };
	uint64_t ns = now_ns();
	ssize_t n;
	int fd, err;

	if (ns <= j->last_seg_ns)
		ns = j->last_seg_ns + 1;
	for (int tries = 0;; tries++, ns++) {
		snprintf(name, SEG_NAME_SIZE, "seg-%020" PRIu64 SEG_SUFFIX, ns);
		fd = openat(j->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
			    0640);
		if (fd >= 0)
			break;
		if (errno != EEXIST || tries == 1000)
			return -errno;
	}
	j->last_seg_ns = ns;

	memcpy(hdr, SEG_MAGIC, MAGIC_LEN);
	put16(hdr + 4, FORMAT_VERSION);
	put16(hdr + 6, SEG_HDR_LEN);
	put64(hdr + 8, ns);
	put32(hdr + 28, crc(hdr, 28));
	n = write_once(fd, hdr, sizeof(hdr));
	if (n != sizeof(hdr)) {
		err = n < 0 ? -errno : -ENOSPC;
		unlinkat(j->dirfd, name, 0);
		close(fd);
		return err;
	}
	j->stats.bytes_written += sizeof(hdr);
	/* Make the new name durable too, or an fsync'd segment could vanish with its entry. */
	if (j->cfg.fsync != JOURNAL_FSYNC_NEVER)
		fsync(j->dirfd);
	*fdp = fd;
	return 0;
}

static void segment_close(struct journal *j)
{
	if (j->fd < 0)
		return;
	if (j->cfg.fsync != JOURNAL_FSYNC_NEVER && j->dirty && fsync(j->fd)) {
		j->stats.write_errors++;
		report_error(j, errno, NULL, "cannot fsync %s/%s", j->dir, j->seg_name);
	}
	close(j->fd);
	j->fd = -1;
	j->dirty = false;
}

static void rotate(struct journal *j)
{
	char name[SEG_NAME_SIZE];
	int fd, err;

	/* Create first: if that fails we keep appending to the current segment and retry later. */
	err = segment_create(j, &fd, name);
	if (err) {
		report_error(j, -err, "still appending to the current segment",
			     "cannot create a new segment in %s", j->dir);
		return;
	}
	segment_close(j);
	j->fd = fd;
	memcpy(j->seg_name, name, sizeof(name));
	j->seg_size = SEG_HDR_LEN;
	j->seg_blocks = 0;
	j->stats.segments_created++;
	retention(j);
}

static void buffer_reset(struct journal *j)
{
	j->buf_len = 0;
	j->buf_recs = 0;
	j->buf_min_ts = UINT64_MAX;
	j->buf_max_ts = 0;
}

static int out_reserve(struct journal *j, size_t need)
{
	uint8_t *p;

	if (need <= j->out_cap)
		return 0;
	p = realloc(j->out, need);
	if (!p)
		return -ENOMEM;
	j->out = p;
	j->out_cap = need;
	return 0;
}

static void report_write_error(struct journal *j, int err)
{
	report_error(j, err,
		     j->cfg.on_full == JOURNAL_FULL_STOP ?
			     "journal stopped: new records are dropped until a flush can write; "
			     "free space" :
			     "deleting the oldest segments to make room; free space or lower "
			     "the retention",
		     "cannot write a block of %u records to %s/%s", j->buf_recs, j->dir,
		     j->seg_name);
}

/* Compresses and writes what is buffered as one block; on failure the block is lost, counted. */
static int block_write(struct journal *j)
{
	size_t bound, comp, total;
	uint8_t *h;
	int err;

	if (!j->buf_recs)
		return 0;
	bound = BLK_HDR_LEN + deflateBound(&j->zs, j->buf_len);
	err = out_reserve(j, bound);
	if (err)
		goto lost;
	deflateReset(&j->zs);
	j->zs.next_in = j->buf;
	j->zs.avail_in = j->buf_len;
	j->zs.next_out = j->out + BLK_HDR_LEN;
	j->zs.avail_out = bound - BLK_HDR_LEN;
	if (deflate(&j->zs, Z_FINISH) != Z_STREAM_END) {
		err = -EIO;
		goto lost;
	}
	comp = j->zs.total_out;
	total = BLK_HDR_LEN + comp;

	h = j->out;
	memcpy(h, BLK_MAGIC, MAGIC_LEN);
	put16(h + 4, FORMAT_VERSION);
	put16(h + 6, BLK_HDR_LEN);
	put32(h + 8, comp);
	put32(h + 12, j->buf_len);
	put32(h + 16, j->buf_recs);
	put32(h + 20, 0);
	put64(h + 24, j->buf_min_ts);
	put64(h + 32, j->buf_max_ts);
	put32(h + 40, crc(h + BLK_HDR_LEN, comp));
	put32(h + 44, crc(h, 44));

	err = write_out(j, j->out, total);
	if (err) {
		/* Reported even if the retry works: old history is going. */
		report_write_error(j, -err);
		/* One retry, and only if deleting something could have made room. */
		if (j->cfg.on_full == JOURNAL_FULL_DROP_OLDEST && drop_oldest(j, total) > 0)
			err = write_out(j, j->out, total);
		if (err)
			goto lost;
	}

	j->stats.records += j->buf_recs;
	j->stats.blocks++;
	j->stats.bytes_raw += j->buf_len;
	j->stats.stopped = false;
	j->seg_blocks++;
	buffer_reset(j);
	if (j->seg_size >= j->cfg.segment_bytes)
		rotate(j);
	return 0;

lost:
	j->stats.records_lost += j->buf_recs;
	if (j->cfg.on_full == JOURNAL_FULL_STOP)
		j->stats.stopped = true;
	report_write_error(j, -err);
	buffer_reset(j);
	return err;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char *copy = strdup(path);
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (char *s = copy + 1;; s++) {
		char c = *s;

		if (c && c != '/')
			continue;
		*s = 0;
		if (mkdir(copy, mode) && errno != EEXIST) {
			err = -errno;
			break;
		}
		if (!c)
			break;
		*s = c;
	}
	free(copy);
	return err;
}

/* The newest segment's time, so that ours sorts after it even if the clock went back. */
static void find_last_segment(struct journal *j)
{
	struct seg_list l;

	if (seg_list_read(j->dirfd, &l))
		return;
	for (size_t i = 0; i < l.n; i++) {
		const char *name = l.names[i];
		char *end;
		uint64_t ns;

		if (strncmp(name, "seg-", 4))
			continue;
		errno = 0;
		ns = strtoull(name + 4, &end, 10);
		if (!errno && !strcmp(end, SEG_SUFFIX) && ns > j->last_seg_ns)
			j->last_seg_ns = ns;
	}
	seg_list_free(&l);
}

static void journal_free(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	if (j->zs_ready)
		deflateEnd(&j->zs);
	free(j->buf);
	free(j->out);
	free(j->dir);
	free(j);
}

struct journal *journal_open(const struct journal_config *cfg)
{
	struct journal *j;
	int err;

	if (!cfg || !cfg->dir || !cfg->dir[0] || cfg->block_bytes > MAX_RAW ||
	    cfg->fsync > JOURNAL_FSYNC_ROTATE || cfg->on_full > JOURNAL_FULL_STOP) {
		errno = EINVAL;
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->fd = -1;
	j->dirfd = -1;
	j->cfg = *cfg;
	/* Zero means "default"; retain_seconds is the exception: 0 keeps segments of any age. */
	if (!j->cfg.segment_bytes)
		j->cfg.segment_bytes = DEFAULT_SEGMENT_BYTES;
	if (!j->cfg.retain_bytes)
		j->cfg.retain_bytes = DEFAULT_RETAIN_BYTES;
	if (!j->cfg.block_bytes)
		j->cfg.block_bytes = DEFAULT_BLOCK_BYTES;
	buffer_reset(j);

	j->dir = strdup(cfg->dir);
	if (!j->dir) {
		err = -ENOMEM;
		goto fail;
	}
	j->cfg.dir = j->dir;
	err = mkdir_p(j->dir, 0750);
	if (err)
		goto fail;
	j->dirfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0) {
		err = -errno;
		goto fail;
	}
	if (deflateInit(&j->zs, COMPRESS_LEVEL) != Z_OK) {
		err = -ENOMEM;
		goto fail;
	}
	j->zs_ready = true;

	find_last_segment(j);
	err = segment_create(j, &j->fd, j->seg_name);
	/* A full disk at startup: the policy that frees room while running frees it now. */
	if ((err == -ENOSPC || err == -EDQUOT) && j->cfg.on_full == JOURNAL_FULL_DROP_OLDEST &&
	    drop_oldest(j, SEG_HDR_LEN) > 0)
		err = segment_create(j, &j->fd, j->seg_name);
	if (err)
		goto fail;
	j->seg_size = SEG_HDR_LEN;
	j->stats.segments_created = 1;
	retention(j);
	return j;

fail:
	journal_free(j);
	errno = -err;
	return NULL;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0) {
		journal_flush(j);
		/* A segment without blocks holds nothing: restarts should not leave a trail. */
		if (!j->seg_blocks)
			unlinkat(j->dirfd, j->seg_name, 0);
		segment_close(j);
	}
	journal_free(j);
}

int journal_append(struct journal *j, uint16_t type, uint32_t pid, const char *comm, uint64_t ts_ns,
		   const void *payload, uint32_t len)
{
	size_t reclen = REC_HDR_LEN + (size_t)len;
	uint8_t *p;

	if (!j || (len && !payload))
		return -EINVAL;
	if (reclen > MAX_RAW)
		return -EMSGSIZE;
	if (j->buf_len && j->buf_len + reclen > j->cfg.block_bytes) {
		/* Stopped: keep one block's worth for the next flush to try; drop the rest. */
		if (j->stats.stopped) {
			j->stats.records_lost++;
			return 0;
		}
		block_write(j);
	}
	if (j->buf_len + reclen > j->buf_cap) {
		size_t cap = j->buf_cap ? j->buf_cap : 4096;

		while (cap < j->buf_len + reclen)
			cap *= 2;
		p = realloc(j->buf, cap);
		if (!p)
			return -ENOMEM;
		j->buf = p;
		j->buf_cap = cap;
	}

	p = j->buf + j->buf_len;
	memset(p, 0, REC_HDR_LEN);
	put16(p, type);
	put16(p + 2, 0);
	put32(p + 4, pid);
	put64(p + 8, ts_ns);
	/* Always NUL-terminated, like the kernel's: readers may print it with %s. */
	if (comm)
		memcpy(p + 16, comm, strnlen(comm, JOURNAL_COMM_LEN - 1));
	put32(p + 32, len);
	if (len)
		memcpy(p + REC_HDR_LEN, payload, len);
	j->buf_len += reclen;
	j->buf_recs++;
	if (ts_ns < j->buf_min_ts)
		j->buf_min_ts = ts_ns;
	if (ts_ns > j->buf_max_ts)
		j->buf_max_ts = ts_ns;

	if (!j->stats.stopped && j->buf_len >= j->cfg.block_bytes)
		block_write(j);
	return 0;
}

/*
 * Writes what is buffered (while stopped, this is the one retry) and fsyncs under
 * JOURNAL_FSYNC_FLUSH. -errno if the block or the fsync failed; the loss is counted.
 */
int journal_put_point(struct journal *j, uint32_t pid, const char *comm,
		      const struct journal_tl *tl)
{
	uint8_t buf[JOURNAL_TL_LEN];

	journal_tl_encode(tl, buf);
	return journal_append(j, JREC_TIMELINE, pid, comm, tl->t_ns, buf, sizeof(buf));
}

int journal_put_json(struct journal *j, uint16_t type, uint32_t pid, const char *comm,
		     uint64_t ts_ns, const char *json)
{
	return journal_append(j, type, pid, comm, ts_ns, json, strlen(json));
}

int journal_flush(struct journal *j)
{
	int err;

	if (!j)
		return -EINVAL;
	err = block_write(j);
	if (err)
		return err;
	if (j->cfg.fsync == JOURNAL_FSYNC_FLUSH && j->dirty) {
		if (fsync(j->fd)) {
			err = -errno;
			j->stats.write_errors++;
			report_error(j, -err, NULL, "cannot fsync %s/%s", j->dir, j->seg_name);
			return err;
		}
		j->dirty = false;
	}
	return 0;
}

const struct journal_stats *journal_get_stats(const struct journal *j)
{
	return &j->stats;
}

bool journal_take_error(struct journal *j, char *msg, size_t len)
{
	if (!j || !j->err_pending)
		return false;
	j->err_pending = false;
	if (msg && len)
		snprintf(msg, len, "%s", j->err_msg);
	return true;
}

/* ---- reader ---- */

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

/* The next good block of the segment: 1 decoded, 0 end of the segment, -errno. */
static int next_block(struct journal_reader *r)
{
	for (;;) {
		struct blk_hdr h;
		const uint8_t *p;
		size_t have;
		int err;

		err = win_fill(r, BLK_HDR_LEN);
		if (err)
			return err;
		have = r->win_end - r->win_start;
		p = r->win + r->win_start;
		if (!have)
			return 0;
		if (have < BLK_HDR_LEN) {
			/* The start of a header cut by the end of the file is a torn write. */
			if (!memcmp(p, BLK_MAGIC, min_size(have, MAGIC_LEN)))
				r->stats.torn_tails++;
			else
				mark_damaged(r);
			r->win_start = r->win_end;
			return 0;
		}
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
	size_t have;
	int err;

	err = win_fill(r, SEG_HDR_LEN);
	if (err)
		return err;
	have = r->win_end - r->win_start;
	p = r->win + r->win_start;
	if (!have)
		return 0; /* just created: the header is on its way */
	if (have < SEG_HDR_LEN) {
		if (!memcmp(p, SEG_MAGIC, min_size(have, MAGIC_LEN)))
			r->stats.torn_tails++;
		else
			mark_damaged(r);
		r->win_start = r->win_end;
		return 0;
	}
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
