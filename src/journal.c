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
 * The reader is journal_read.c; the layout and the helpers both share, journal_disk.h.
 *
 * Writer stats: `records` counts records on disk, `records_lost` those dropped with a failed
 * block (or while stopped); what is still buffered is neither. JOURNAL_FULL_STOP resumes at
 * the first flush that writes. Each outage (blocks lost) is an event when it begins and when a
 * write succeeds again (journal_take_event); a failure that only deleted old segments, once.
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
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "clock.h"
#include "jsonw.h"
#include "journal_disk.h"

#define DEFAULT_SEGMENT_BYTES (16ull << 20)
#define DEFAULT_RETAIN_BYTES (256ull << 20)
#define DEFAULT_BLOCK_BYTES (64ull << 10)
/* Timeline points differ little from one to the next: zlib's default level is cheap enough. */
#define COMPRESS_LEVEL Z_DEFAULT_COMPRESSION

/*
 * Test-only: stands in for write(2) on the journal's files so that unit tests can
 * simulate a full disk. Always NULL in the daemon.
 */
ssize_t (*journal_write_hook)(int fd, const void *buf, size_t len);

/* ---- writer ---- */

struct journal {
	struct journal_config cfg; /* defaults applied; cfg.dir is our own copy */
	char *dir;
	int dirfd;
	int lockfd; /* holds the directory's flock */
	int fd;	    /* current segment */
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

	bool err_reported; /* the one-shot "deleting the oldest segments" message */
	uint64_t outage_since_ns, outage_lost_base;
	int outage_err;
	struct journal_event events[2]; /* not yet taken: an outage, its recovery */
	int nevents;
	struct journal_stats stats;
	/* Deleted by retention and not said yet (note_retention): written before the next record. */
	uint64_t ret_segments, ret_bytes, ret_newest_s;
	bool in_note;
};

static void __attribute__((format(printf, 4, 0)))
push_event(struct journal *j, const struct journal_event *ev, const char *remedy, const char *fmt,
	   va_list ap)
{
	struct journal_event *e;
	size_t n;

	/* Untaken: an outage and its recovery are kept; a newer pair replaces them. */
	if (j->nevents == 2)
		j->nevents = 0;
	e = &j->events[j->nevents++];
	*e = *ev;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	n = strlen(e->msg);
	if (ev->err)
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s%s%s%s", strerror(ev->err),
			 remedy ? " (" : "", remedy ? remedy : "", remedy ? ")" : "");
}

/* A failure that loses nothing (old segments made room): said once in the journal's life. */
static void __attribute__((format(printf, 4, 5)))
report_error(struct journal *j, int err, const char *remedy, const char *fmt, ...)
{
	struct journal_event ev = { .err = err };
	va_list ap;

	if (j->err_reported || j->stats.outage)
		return;
	j->err_reported = true;
	va_start(ap, fmt);
	push_event(j, &ev, remedy, fmt, ap);
	va_end(ap);
}

/* Records are being lost: the start of an outage, said once until it ends. */
static void __attribute__((format(printf, 4, 5)))
outage_begin(struct journal *j, int err, const char *remedy, const char *fmt, ...)
{
	struct journal_event ev = { .err = err };
	va_list ap;

	if (j->stats.outage)
		return;
	j->stats.outage = true;
	j->outage_since_ns = clock_real_ns();
	j->outage_lost_base = j->stats.records_lost;
	j->outage_err = err;
	j->stats.outages++;
	ev.since_ns = j->outage_since_ns;
	va_start(ap, fmt);
	push_event(j, &ev, remedy, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
outage_end(struct journal *j, const char *fmt, ...)
{
	struct journal_event ev = { .recovered = true,
				    .since_ns = j->outage_since_ns,
				    .until_ns = clock_real_ns(),
				    .records_lost = j->stats.records_lost - j->outage_lost_base,
				    .err = 0 };
	va_list ap;

	if (!j->stats.outage)
		return;
	j->stats.outage = false;
	ev.cause = j->outage_err;
	va_start(ap, fmt);
	push_event(j, &ev, NULL, fmt, ap);
	va_end(ap);
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
	uint64_t total = 0, now_s = clock_real_ns() / 1000000000ull;
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
		j->ret_segments++;
		j->ret_bytes += st[i].st_size;
		if (mtime > j->ret_newest_s)
			j->ret_newest_s = mtime;
	}
	free(st);
out:
	seg_list_free(&l);
}

/* Creates a segment named after now, or just after the newest one if the clock disagrees. */
static int segment_create(struct journal *j, int *fdp, char *name)
{
	uint8_t hdr[SEG_HDR_LEN] = { 0 };
	uint64_t ns = clock_real_ns();
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
		outage_begin(j, errno, NULL, "cannot fsync %s/%s", j->dir, j->seg_name);
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
	outage_begin(j, err,
		     j->cfg.on_full == JOURNAL_FULL_STOP ?
			     "journal stopped: new records are dropped until a flush can write; "
			     "free space" :
			     "records are lost until space returns; free space or lower the "
			     "retention",
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
		int first = err;

		/* One retry, and only if deleting something could have made room. */
		if (j->cfg.on_full == JOURNAL_FULL_DROP_OLDEST && drop_oldest(j, total) > 0)
			err = write_out(j, j->out, total);
		if (err)
			goto lost;
		/* Said even though nothing new was lost: old history went. */
		report_error(j, -first, "free space or lower the retention",
			     "cannot write a block of %u records to %s/%s; deleted the oldest "
			     "segments to make room",
			     j->buf_recs, j->dir, j->seg_name);
	}
	if (j->stats.outage)
		outage_end(j, "writing to %s again", j->dir);

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
	report_write_error(j, -err);
	j->stats.records_lost += j->buf_recs;
	if (j->cfg.on_full == JOURNAL_FULL_STOP)
		j->stats.stopped = true;
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

/*
 * One writer per directory: two daemons appending to one journal would interleave their
 * histories. A flock on a file in it, released by the kernel when the daemon dies.
 */
static int journal_lock(struct journal *j)
{
	j->lockfd = openat(j->dirfd, JOURNAL_LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			   0640);
	if (j->lockfd < 0)
		return -errno;
	if (flock(j->lockfd, LOCK_EX | LOCK_NB))
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

static void journal_free(struct journal *j)
{
	if (j->lockfd >= 0)
		close(j->lockfd);
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
	j->lockfd = -1;
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

	err = journal_lock(j);
	if (err)
		goto fail;
	find_last_segment(j);
	/*
	 * A full disk at start-up deletes nothing: the history is what a restart must keep.
	 * The caller opens again when space returns.
	 */
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

/*
 * What retention deleted, as a record of its own, so that a reader of the
 * journal sees that history before it is gone and how much (not only the
 * daemon's log). Written before the next record, never from inside a write.
 */
static void note_retention(struct journal *j)
{
	struct strbuf sb;
	struct jsonw w;

	if (!j->cfg.note_retention || !j->ret_segments || j->in_note)
		return;
	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	jw_kuint(&w, "segments", j->ret_segments);
	jw_kuint(&w, "bytes", j->ret_bytes);
	jw_kuint(&w, "newest_deleted_s", j->ret_newest_s);
	jw_obj_end(&w);
	j->ret_segments = j->ret_bytes = j->ret_newest_s = 0;
	j->in_note = true;
	if (!sb.oom && sb.buf)
		journal_append(j, JREC_RETENTION, 0, "", clock_real_ns(), sb.buf, sb.len);
	j->in_note = false;
	sb_free(&sb);
}

int journal_append(struct journal *j, uint16_t type, uint32_t pid, const char *comm, uint64_t ts_ns,
		   const void *payload, uint32_t len)
{
	size_t reclen = REC_HDR_LEN + (size_t)len;
	uint8_t *p;

	if (!j || (len && !payload))
		return -EINVAL;
	note_retention(j);
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
			outage_begin(j, -err, NULL, "cannot fsync %s/%s", j->dir, j->seg_name);
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

bool journal_take_event(struct journal *j, struct journal_event *ev)
{
	if (!j || !j->nevents)
		return false;
	*ev = j->events[0];
	memmove(&j->events[0], &j->events[1], (size_t)(j->nevents - 1) * sizeof(j->events[0]));
	j->nevents--;
	return true;
}

bool journal_take_error(struct journal *j, char *msg, size_t len)
{
	struct journal_event ev;

	if (!journal_take_event(j, &ev))
		return false;
	if (msg && len)
		snprintf(msg, len, "%s", ev.msg);
	return true;
}
