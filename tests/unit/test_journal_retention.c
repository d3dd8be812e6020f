// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The journal's retention by size and age, full disks, file size limits, a stress run. */
#include "journal_fixture.h"

TestSuite(journal_retention, .init = tdir_make, .fini = tdir_remove);

Test(journal_retention, retention_by_size)
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

Test(journal_retention, retention_never_deletes_the_current_segment)
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

Test(journal_retention, retention_by_age)
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

Test(journal_retention, full_disk_drop_oldest)
{
	const size_t n = 4000;
	struct xrec *exp = xrecs_make(n, len_random100);
	struct journal_reader_stats st;
	struct journal_stats ws;
	const struct journal_stats *live;
	struct journal_event ev;
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
	/* Records are lost now: an outage, said once while it lasts. */
	cr_assert(live->outage);
	cr_assert(journal_take_event(j, &ev));
	cr_assert_not(ev.recovered);
	cr_assert(strstr(ev.msg, "records are lost"), "message: %s", ev.msg);
	cr_assert_not(journal_take_error(j, msg, sizeof(msg)));

	/* Space again: writing resumes, and the outage's end says what it lost. */
	fs_capacity = 1ull << 30;
	for (; i < n; i++)
		append_random(j, &exp[i]);
	cr_assert_eq(journal_flush(j), 0);
	cr_assert_not(live->outage);
	cr_assert(journal_take_event(j, &ev));
	cr_assert(ev.recovered, "message: %s", ev.msg);
	cr_assert_eq(ev.records_lost, live->records_lost);
	cr_assert_eq(ev.cause, ENOSPC);
	cr_assert_geq(ev.until_ns, ev.since_ns);
	cr_assert_eq(live->outages, 1);
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

Test(journal_retention, full_disk_stop)
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
	cr_assert(journal_take_error(j, msg, sizeof(msg)), "the recovery is said too");
	cr_assert(strstr(msg, "again"), "message: %s", msg);
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

Test(journal_retention, full_disk_at_open)
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

	/* DROP_OLDEST neither: a restart on a full disk must keep the history it restarts on. */
	cfg.on_full = JOURNAL_FULL_DROP_OLDEST;
	errno = 0;
	cr_assert_null(journal_open(&cfg));
	cr_assert_eq(errno, ENOSPC);
	cr_assert_eq(count_segments(), before, "nothing deleted to open");

	/* Space again: it opens, beside the history. */
	fs_capacity = 1ull << 30;
	j = journal_open(&cfg);
	cr_assert_not_null(j, "journal_open: %s", strerror(errno));
	ws = journal_get_stats(j);
	cr_assert_eq(ws->segments_deleted, 0);
	cr_assert_eq(count_segments(), before + 1);
	journal_close(j);
	journal_write_hook = NULL;
	free(exp);
}

/*
 * A real short write and EFBIG from the kernel: a file size limit. Criterion runs each
 * test in its own process, so the limit and SIGXFSZ ignored concern this test only.
 */
Test(journal_retention, file_size_limit)
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
	char msg[256], first[256] = "";

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
			if (!errors_taken++)
				snprintf(first, sizeof(first), "%s", msg);
	}
	cr_assert_eq(journal_flush(j), 0);
	ws = *journal_get_stats(j);
	journal_close(j);
	sigaction(SIGXFSZ, &old_xfsz, NULL);

	cr_assert_gt(ws.write_errors, 0);
	cr_assert_gt(ws.records_lost, 0);
	cr_assert_eq(ws.records + ws.records_lost, n);
	cr_assert_eq(errors_taken, 2, "the outage and its end");
	cr_assert(strstr(first, strerror(EFBIG)) || strstr(first, strerror(ENOSPC)), "message: %s",
		  first);
	cr_assert(strstr(msg, "again"), "message: %s", msg);

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
Test(journal_retention, stress)
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
	st = read_range(exp, appended, 0, appended);
	cr_assert_eq(st.damaged_blocks + st.torn_tails, 0);
	cr_assert_gt(checks, 5);
	cr_assert_gt(st.segments, 30);
	free(exp);
}

/* ---- API edges ---- */

/* With note_retention, what retention deleted is itself a record: a reader sees history went. */
Test(journal_retention, retention_says_what_it_deleted_in_the_journal)
{
	struct journal_config cfg = {
		.dir = tdir,
		.segment_bytes = 4 << 10,
		.block_bytes = 1 << 10,
		.retain_bytes = 16 << 10,
		.fsync = JOURNAL_FSYNC_NEVER,
		.note_retention = true,
	};
	struct journal *j = journal_open(&cfg);
	struct journal_reader *r;
	const struct journal_rec *rec;
	const void *payload;
	unsigned long long segments = 0, bytes = 0, deleted;
	char buf[100];

	cr_assert_not_null(j);
	/* Incompressible payloads, so that segments fill. */
	for (unsigned int i = 0; i < 3000; i++) {
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (char)((i * 2654435761u) >> (k % 24));
		cr_assert_eq(journal_append(j, JREC_RAW, 1, "w", 1000 + i, buf, sizeof(buf)), 0);
	}
	deleted = journal_get_stats(j)->segments_deleted;
	journal_close(j);
	cr_assert_gt(deleted, 0);
	r = journal_reader_open(tdir);
	cr_assert_not_null(r);
	while (journal_reader_next(r, &rec, &payload) == 1) {
		unsigned long long s, b;

		if (rec->type != JREC_RETENTION)
			continue;
		cr_assert_eq(rec->pid, 0);
		cr_assert_eq(sscanf(payload, "{\"segments\":%llu,\"bytes\":%llu,", &s, &b), 2,
			     "%.*s", (int)rec->len, (const char *)payload);
		segments += s;
		bytes += b;
	}
	journal_reader_close(r);
	/* The notes kept (the oldest ones went with their segments) count no more than deleted. */
	cr_assert_gt(segments, 0, "no retention record in the journal");
	cr_assert_leq(segments, deleted);
	cr_assert_gt(bytes, 0);
}
