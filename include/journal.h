/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The on-disk journal: history the daemon keeps and `vmatrace report` reads.
 *
 * A journal is a directory of append-only segment files. A segment is a
 * small file header followed by blocks; each block is independently
 * decodable: a header (magic, lengths, record count, time range, CRC32 of the
 * compressed bytes) and a zlib stream of records. A torn write or a damaged
 * block costs only that block: the reader finds the next block by its magic
 * and goes on, counting what it skipped.
 *
 * A record is a struct journal_rec header and `len` bytes of payload whose
 * meaning depends on the type (see enum journal_rec_type).
 */
#ifndef VMATRACE_JOURNAL_H
#define VMATRACE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOURNAL_COMM_LEN 16

enum journal_rec_type {
	JREC_DAEMON_START = 1, /* JSON: {"version":..,"max_map_count":..,"hostname":..} */
	JREC_DAEMON_STOP = 2,  /* JSON: {"reason":..} */
	JREC_TIMELINE = 3,     /* binary struct journal_tl: one consolidated point of one process */
	JREC_ALERT = 4,        /* JSON: the alert, as the alert log has it ({"kind":..,...}) */
	JREC_INCIDENT = 5,     /* JSON: an alert with its context (census, flight recorder tail) */
	JREC_OOM = 6,          /* JSON: an OOM kill record (victim, trigger, census, history) */
	JREC_DROPS = 7,        /* JSON: {"dropped":N,"total":N} ring-buffer records lost */
	JREC_RESYNC = 8,       /* JSON: {"resyncs":N} the model re-read a process */
	JREC_RAW = 9,          /* binary: a raw ring-buffer record (deep captures only) */
	JREC_PROC_EXIT = 10,   /* JSON: {"exit_code":..,"signal":..,"vmas":..} */
	JREC__COUNT,
};

/* Header of every record; followed by `len` bytes of payload. */
struct journal_rec {
	uint16_t type;  /* enum journal_rec_type */
	uint16_t flags; /* 0 */
	uint32_t pid;   /* 0 when not about one process */
	uint64_t ts_ns; /* CLOCK_REALTIME, nanoseconds since the epoch */
	char comm[JOURNAL_COMM_LEN];
	uint32_t len;
	uint32_t pad;
};

/* JREC_TIMELINE payload. */
struct journal_tl {
	uint64_t t_ns; /* start of the interval, CLOCK_REALTIME */
	uint32_t vmas_min, vmas_max, vmas_last;
	uint32_t calls, failures;
	uint32_t max_map_count; /* vm.max_map_count when the point was written */
	uint64_t mapped;        /* bytes */
	uint64_t heap;          /* brk - start_brk, bytes */
	uint64_t heap_hwm;      /* high-water mark of the heap, bytes */
};

enum journal_fsync { JOURNAL_FSYNC_NEVER, JOURNAL_FSYNC_FLUSH, JOURNAL_FSYNC_ROTATE };
enum journal_full { JOURNAL_FULL_DROP_OLDEST, JOURNAL_FULL_STOP };

struct journal_config {
	const char *dir;
	uint64_t segment_bytes;   /* rotate past this size (default 16 MiB) */
	uint64_t retain_bytes;    /* delete oldest segments past this total (default 256 MiB) */
	uint64_t retain_seconds;  /* delete segments older than this (default 30 days; 0: keep) */
	uint64_t block_bytes;     /* compress a block when this much is buffered (default 64 KiB) */
	enum journal_fsync fsync; /* default JOURNAL_FSYNC_FLUSH */
	enum journal_full on_full;/* default JOURNAL_FULL_DROP_OLDEST */
};

struct journal_stats {
	uint64_t records, blocks, bytes_raw, bytes_written;
	uint64_t segments_created, segments_deleted;
	uint64_t write_errors;    /* failed writes (disk full...): records lost with them */
	uint64_t records_lost;
	bool stopped;             /* JOURNAL_FULL_STOP hit: not writing until the next rotation */
};

struct journal;

/* Opens (creating the directory if needed) and starts a new segment. NULL + errno on failure. */
struct journal *journal_open(const struct journal_config *cfg);
/* Flushes and closes. NULL-safe. */
void journal_close(struct journal *j);
/*
 * Buffer one record (copied); compresses and writes a block when the buffer is
 * full. Never blocks on anything but the write itself; on a write error the
 * block is lost and counted, and 0 is still returned unless the journal is unusable.
 */
int journal_append(struct journal *j, uint16_t type, uint32_t pid, const char *comm, uint64_t ts_ns,
		   const void *payload, uint32_t len);
/* Compress and write what is buffered (an incident, or the flush interval). */
int journal_flush(struct journal *j);
const struct journal_stats *journal_get_stats(const struct journal *j);
/* A one-shot event for the caller to alert on: set once when writing first fails. */
bool journal_take_error(struct journal *j, char *msg, size_t len);

/* ---- reading ---- */

struct journal_reader_stats {
	uint64_t segments, blocks, records;
	uint64_t damaged_blocks; /* bad CRC, bad header or undecodable: skipped */
	uint64_t torn_tails;     /* a segment ending inside a block (crash, or still being written) */
};

struct journal_reader;

/* Reads every segment of dir in order; NULL + errno if dir cannot be read. */
struct journal_reader *journal_reader_open(const char *dir);
void journal_reader_close(struct journal_reader *r);
/*
 * The next record: 1 with *rec and *payload (valid until the next call), 0 at
 * the end, -errno on an I/O error. Damaged blocks are skipped and counted.
 */
int journal_reader_next(struct journal_reader *r, const struct journal_rec **rec,
			const void **payload);
const struct journal_reader_stats *journal_reader_get_stats(const struct journal_reader *r);

#endif
