// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The journal (src/journal*.c): round trips, reading while it is written, bad arguments, names and payloads. */
#include "journal_fixture.h"

TestSuite(journal, .init = tdir_make, .fini = tdir_remove);

Test(journal, round_trip)
{
	const size_t n = 20000;
	struct xrec *exp = xrecs_make(n, len_mixed);
	struct journal_reader_stats st;
	struct journal_stats ws;
	struct journal *j;
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

	st = read_range(exp, n, 0, n);
	cr_assert_eq(st.damaged_blocks, 0);
	cr_assert_eq(st.torn_tails, 0);
	cr_assert_eq(st.blocks, ws.blocks);
	cr_assert_eq(st.segments, (uint64_t)nseg);
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
	st = read_range(exp, 30, 0, 10);

	/* A reader opened now sees the flushed prefix, not what is still buffered. */
	early = journal_reader_open(tdir);
	cr_assert_not_null(early);
	for (size_t i = 10; i < 20; i++)
		append_x(j, &exp[i]);
	st = read_range(exp, 30, 0, 10);
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
	st = read_range(exp, 30, 0, 30);
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
	/* Nothing written: closing leaves no empty segment behind, only the lock's file
	 * (removing it would let a second writer lock a new file while one holds the old). */
	journal_close(j);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", JOURNAL_LOCK_NAME);
	cr_assert_eq(unlink(path), 0, "no lock file: %s", strerror(errno));
	*strrchr(path, '/') = 0;
	cr_assert_eq(rmdir(path), 0, "a/b is empty");
	snprintf(path, sizeof(path), "%s/a", tdir);
	cr_assert_eq(rmdir(path), 0);
}

/* A segment named in the future (the clock went back): ours still sort after it. */
Test(journal, names_sort_after_existing_segments)
{
	struct xrec *exp = xrecs_make(20, len_random100);
	struct dirent **names;
	char path[PATH_LEN];
	int ns;

	write_session(exp, 0, 10);
	ns = list_segments(&names);
	cr_assert_eq(ns, 1);
	{
		char from[PATH_LEN];

		seg_path(from, sizeof(from), names[0]->d_name);
		seg_path(path, sizeof(path), "seg-09000000000000000000.vmj");
		cr_assert_eq(rename(from, path), 0);
	}
	free_names(names, ns);

	write_session(exp, 10, 20);
	ns = list_segments(&names);
	cr_assert_eq(ns, 2);
	cr_assert_str_eq(names[0]->d_name, "seg-09000000000000000000.vmj");
	cr_assert_str_eq(names[1]->d_name, "seg-09000000000000000001.vmj");
	free_names(names, ns);
	read_range(exp, 20, 0, 20);
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
	.mapped_max = 0xa1a2a3a4a5a6a7a8ull,
	.heap_max = 0xb1b2b3b4b5b6b7b8ull,
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
	cr_assert_eq(a->mapped_max, b->mapped_max);
	cr_assert_eq(a->heap_max, b->heap_max);
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
	put_le(want + 56, sample_tl.mapped_max, 8);
	put_le(want + 64, sample_tl.heap_max, 8);
	journal_tl_encode(&sample_tl, got);
	cr_assert_arr_eq(got, want, sizeof(want));
	cr_assert(journal_tl_decode(want, sizeof(want), &back));
	assert_tl_eq(&back, &sample_tl);
	/* A newer writer's longer point: the known prefix. A shorter one is no point. */
	cr_assert(journal_tl_decode(gen_buf, JOURNAL_TL_LEN + 8, &back));
	cr_assert_not(journal_tl_decode(want, JOURNAL_TL_MIN_LEN - 1, &back));
	/* A first-edition point (no maxima): its values at the end are the maxima. */
	cr_assert(journal_tl_decode(want, JOURNAL_TL_MIN_LEN, &back));
	cr_assert_eq(back.mapped, sample_tl.mapped);
	cr_assert_eq(back.mapped_max, sample_tl.mapped);
	cr_assert_eq(back.heap_max, sample_tl.heap);
	/* A break address written as heap_hwm (85 TiB: a PIE's heap) by an early writer. */
	put_le(want + 40, 132 << 10, 8);
	put_le(want + 48, 0x55d1c4a2b000ull, 8);
	cr_assert(journal_tl_decode(want, JOURNAL_TL_MIN_LEN, &back));
	cr_assert_eq(back.heap_hwm, 132 << 10);
	/* In a point of this edition it is what the writer said. */
	cr_assert(journal_tl_decode(want, JOURNAL_TL_LEN, &back));
	cr_assert_eq(back.heap_hwm, 0x55d1c4a2b000ull);
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

	struct journal_tl old = sample_tl;

	/* The struct then: the fields up to heap_hwm, no maxima (and this hwm is no size). */
	old.mapped_max = old.mapped;
	old.heap_max = old.heap;
	old.heap_hwm = old.heap;
	cr_assert_eq(journal_append(j, JREC_TIMELINE, 42, "old", sample_tl.t_ns, &sample_tl,
				    JOURNAL_TL_MIN_LEN),
		     0);
	cr_assert_eq(journal_put_point(j, 43, "new", &sample_tl), 0);
	journal_close(j);
	r = journal_reader_open(tdir);
	cr_assert_not_null(r);
	while (journal_reader_next(r, &rec, &payload) == 1) {
		cr_assert_eq(rec->type, JREC_TIMELINE);
		cr_assert_eq(rec->len, rec->pid == 42 ? JOURNAL_TL_MIN_LEN : JOURNAL_TL_LEN);
		cr_assert_eq(rec->ts_ns, sample_tl.t_ns);
		cr_assert(journal_tl_decode(payload, rec->len, &back));
		assert_tl_eq(&back, rec->pid == 42 ? &old : &sample_tl);
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
	size_t size;
	uint8_t *buf;

	write_session(exp, 0, 20);
	only_segment(path, sizeof(path));
	buf = file_read(path, &size);
	put_le(buf + 4, JOURNAL_FORMAT_VERSION + 1, 2);
	put_le(buf + 28, crc32(crc32(0, Z_NULL, 0), buf, 28), 4);
	file_write(path, buf, size);
	free(buf);

	write_session(exp, 20, 40);

	st = read_range(exp, 40, 20, 20);
	cr_assert_eq(st.segments, 2);
	cr_assert_eq(st.other_version, 1);
	cr_assert_eq(st.version_seen, JOURNAL_FORMAT_VERSION + 1);
	cr_assert_eq(st.damaged_blocks, 0);
	cr_assert_eq(st.torn_tails, 0);
	free(exp);
}

/* One writer per directory: a second one is refused while the first holds the lock. */
Test(journal, one_writer_per_directory)
{
	struct journal_config cfg = { .dir = tdir, .fsync = JOURNAL_FSYNC_NEVER };
	struct journal *a = journal_open(&cfg), *b;

	cr_assert_not_null(a, "journal_open: %s", strerror(errno));
	errno = 0;
	b = journal_open(&cfg);
	cr_assert_null(b, "a second writer opened the same journal");
	cr_assert_eq(errno, EBUSY);
	journal_close(a);
	b = journal_open(&cfg);
	cr_assert_not_null(b, "the lock outlived its writer: %s", strerror(errno));
	journal_close(b);
}
