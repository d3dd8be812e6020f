/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The on-disk journal: history the daemon keeps and `vmatrace report` reads.
 *
 * A journal is a directory of append-only segment files; a segment is a file
 * header followed by independently decodable zlib blocks of records. A record
 * is a struct journal_rec header and `len` bytes of payload whose meaning
 * depends on the type. Every byte of it, the payloads included, is written
 * little-endian field by field, never as a memcpy of a native struct.
 *
 * The whole format (files, headers, CRCs, every record type and its payload,
 * the crash and damage model, versioning) is described in docs/JOURNAL.md.
 */
#ifndef VMATRACE_JOURNAL_H
#define VMATRACE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOURNAL_COMM_LEN 16

/*
 * The record types: X(name, value, payload). Values are on disk: never reuse
 * or renumber one; a new type takes the next value (docs/JOURNAL.md).
 */
#define JOURNAL_REC_TYPES(X)                                                                      \
	X(DAEMON_START, 1, "daemon_start") /* JSON {"version","max_map_count","hostname"} */      \
	X(DAEMON_STOP, 2, "daemon_stop")   /* JSON {"reason"} */                                  \
	X(TIMELINE, 3, "timeline")	   /* binary: struct journal_tl, little-endian */         \
	X(ALERT, 4, "alert")		   /* JSON: the alert as the alert log has it */          \
	X(INCIDENT, 5, "incident")	   /* JSON: an alert with its context */                  \
	X(OOM, 6, "oom")		   /* JSON: an OOM kill, victim and trigger */            \
	X(DROPS, 7, "drops")		   /* JSON {"dropped","total"}: records lost */           \
	X(RESYNC, 8, "resync")		   /* JSON {"resyncs"}: the model re-read a process */    \
	X(RAW, 9, "raw")		   /* binary: a ring-buffer record, host order */         \
	X(PROC_EXIT, 10, "proc_exit")	   /* JSON {"exit_code","signal","vmas"} */               \
	X(HEARTBEAT, 11, "heartbeat")	   /* JSON {"processes"}: alive, nothing changed */       \
	X(CONFIG, 12, "config")		   /* JSON {"alert_thresholds",...}: start, reload */     \
	X(SUPPRESSED, 13, "suppressed")	   /* JSON {"kind","uid","suppressed"}: an alert storm */ \
	X(RETENTION, 14, "retention")	   /* JSON {"segments","bytes",...}: history deleted */   \
	X(GAP, 15, "gap")	      /* JSON {"where","since_ns","until_ns","records_lost"} */   \
	X(CONTAINER, 16, "container") /* JSON {"container":{...}}: a process's, once known */

/* clang-format would take the table's expansion for a continued expression. */
/* clang-format off */
enum journal_rec_type {
#define JREC_ENUM(name, value, str) JREC_##name = value,
	JOURNAL_REC_TYPES(JREC_ENUM)
#undef JREC_ENUM
	JREC__COUNT,
};
/* clang-format on */

/* "timeline", "oom"...; "unknown" for a type this build does not know. */
const char *journal_rec_type_name(unsigned int type);

/* Header of every record, REC_HDR_LEN (40) bytes on disk; followed by `len` bytes of payload. */
struct journal_rec {
	uint16_t type;	/* enum journal_rec_type */
	uint16_t flags; /* 0 */
	uint32_t pid;	/* 0 when not about one process */
	uint64_t ts_ns; /* CLOCK_REALTIME, nanoseconds since the epoch */
	char comm[JOURNAL_COMM_LEN];
	uint32_t len;
	uint32_t pad;
};

/*
 * JREC_TIMELINE payload: the fields in this order, little-endian, JOURNAL_TL_LEN
 * bytes. A reader takes the prefix it knows of a longer payload (a newer writer
 * may append fields), reads a point of the first edition (JOURNAL_TL_MIN_LEN bytes,
 * without the maxima: they are the values at the end) and counts a shorter one as
 * malformed. Values are a gauge's: each holds until the process's next point.
 */
struct journal_tl {
	uint64_t t_ns; /* start of the interval, CLOCK_REALTIME */
	uint32_t vmas_min, vmas_max, vmas_last;
	uint32_t calls, failures;
	uint32_t max_map_count; /* vm.max_map_count when the point was written */
	uint64_t mapped;	/* bytes, at the end of the interval */
	uint64_t heap;		/* brk - start_brk, bytes, at the end of the interval */
	uint64_t heap_hwm;	/* high-water mark of the heap, bytes */
	uint64_t mapped_max;	/* the most mapped bytes during the interval */
	uint64_t heap_max;	/* the largest heap during the interval, bytes */
};

#define JOURNAL_REC_LEN 40
#define JOURNAL_TL_LEN 72
#define JOURNAL_TL_MIN_LEN 56 /* the first edition of the point: up to heap_hwm */
/* Half the x86-64 user address space: a heap_hwm this large is an address, not a size. */
#define JOURNAL_TL_HEAP_IMPOSSIBLE (1ull << 46)
/* The in-memory structs mirror the on-disk layouts (offsets in docs/JOURNAL.md). */
_Static_assert(sizeof(struct journal_rec) == JOURNAL_REC_LEN, "record header: 40 bytes on disk");
_Static_assert(sizeof(struct journal_tl) == JOURNAL_TL_LEN, "timeline point: 72 bytes on disk");

void journal_tl_encode(const struct journal_tl *tl, uint8_t out[JOURNAL_TL_LEN]);
/* false when the payload is shorter than a point (JOURNAL_TL_MIN_LEN). */
bool journal_tl_decode(const void *payload, uint32_t len, struct journal_tl *tl);

enum journal_fsync { JOURNAL_FSYNC_NEVER, JOURNAL_FSYNC_FLUSH, JOURNAL_FSYNC_ROTATE };
enum journal_full { JOURNAL_FULL_DROP_OLDEST, JOURNAL_FULL_STOP };

struct journal_config {
	const char *dir;
	uint64_t segment_bytes;	  /* rotate past this size (default 16 MiB) */
	uint64_t retain_bytes;	  /* delete oldest segments past this total (default 256 MiB) */
	uint64_t retain_seconds;  /* delete segments older than this (default 30 days; 0: keep) */
	uint64_t block_bytes;	  /* compress a block when this much is buffered (default 64 KiB) */
	enum journal_fsync fsync; /* default JOURNAL_FSYNC_FLUSH */
	enum journal_full on_full; /* default JOURNAL_FULL_DROP_OLDEST */
	/* Say in the journal what retention deleted (a JREC_RETENTION record after it). */
	bool note_retention;
};

struct journal_stats {
	uint64_t records, blocks, bytes_raw, bytes_written;
	uint64_t segments_created, segments_deleted;
	uint64_t write_errors; /* failed writes (disk full...): records lost with them */
	uint64_t records_lost;
	uint64_t outages; /* times writing started failing (each ends at the next good write) */
	bool stopped;	  /* JOURNAL_FULL_STOP hit: not writing until the next rotation */
	bool outage;	  /* writes are failing now: records are being lost */
};

/* The file in a journal directory that its one writer holds a flock on. */
#define JOURNAL_LOCK_NAME "journal.lock"

/* What the caller logs: an outage beginning, its end, or a one-off failure. */
struct journal_event {
	bool recovered;		     /* the end of an outage */
	int err;		     /* errno of a failure; 0 for a recovery */
	int cause;		     /* a recovery: the errno that started the outage */
	uint64_t since_ns, until_ns; /* CLOCK_REALTIME: the outage's span (until: recoveries) */
	uint64_t records_lost;	     /* a recovery: records lost during the outage */
	char msg[512];		     /* "<what>: <error> (<remedy>)" */
};

struct journal;

/*
 * Opens (creating the directory if needed), takes the directory's lock and starts a new
 * segment. NULL + errno on failure: EBUSY when another writer holds the lock; ENOSPC on a
 * full disk, having deleted nothing (open again later).
 */
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
/* A JREC_TIMELINE record of process pid/comm at tl->t_ns, encoded as above. */
int journal_put_point(struct journal *j, uint32_t pid, const char *comm,
		      const struct journal_tl *tl);
/* A JSON record: json is one complete JSON object (NUL-terminated) from the jsonw writer. */
int journal_put_json(struct journal *j, uint16_t type, uint32_t pid, const char *comm,
		     uint64_t ts_ns, const char *json);
/* Compress and write what is buffered (an incident, or the flush interval). */
int journal_flush(struct journal *j);
const struct journal_stats *journal_get_stats(const struct journal *j);
/*
 * The next event for the caller to log, oldest first: each outage (blocks lost) when it
 * begins and when a write succeeds again, and once a failure that deleted old segments to
 * make room. false when there is none.
 */
bool journal_take_event(struct journal *j, struct journal_event *ev);
/* The same, the message only. */
bool journal_take_error(struct journal *j, char *msg, size_t len);

/* ---- reading ---- */

struct journal_reader_stats {
	uint64_t segments, blocks, records;
	uint64_t damaged_blocks; /* bad CRC, bad header or undecodable: skipped */
	uint64_t torn_tails; /* a segment ending inside a block (crash, or still being written) */
	uint64_t other_version; /* segments of another format version: skipped whole */
	uint16_t version_seen;	/* the (last) version of those */
};

/* The format version this build writes and reads. */
#define JOURNAL_FORMAT_VERSION 1

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
