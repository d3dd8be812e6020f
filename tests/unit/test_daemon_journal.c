// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the daemon journals for the history's readers, from a hand-made daemon state:
 * points with their interval's maxima, and a heartbeat when nothing else was written.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "fsutil.h"
#include "journal.h"
#include "jsonr.h"
#include "model.h"

static struct config cfg;
static struct daemon dmn;
static char dir[64];

static void setup(void)
{
	struct journal_config jc = { .fsync = JOURNAL_FSYNC_NEVER };

	config_defaults(&cfg);
	memset(&dmn, 0, sizeof(dmn));
	dmn.cfg = &cfg;
	dmn.model = model_new(NULL);
	cr_assert(dmn.model);
	dmn.max_map_count = 65530;
	snprintf(dir, sizeof(dir), "/tmp/vmatrace-dj-XXXXXX");
	cr_assert(mkdtemp(dir));
	jc.dir = dir;
	dmn.journal = journal_open(&jc);
	cr_assert(dmn.journal);
}

static void teardown(void)
{
	journal_close(dmn.journal);
	model_free(dmn.model);
	dir_remove(dir);
}

TestSuite(daemon_journal, .init = setup, .fini = teardown);

/* Records of a type in the journal (closed first), the last one's payload into last. */
static int count_type(uint16_t type, char *last, size_t len)
{
	const struct journal_rec *rec;
	struct journal_reader *r;
	const void *payload;
	int n = 0;

	journal_close(dmn.journal);
	dmn.journal = NULL;
	r = journal_reader_open(dir);
	cr_assert(r);
	while (journal_reader_next(r, &rec, &payload) == 1) {
		if (rec->type != type)
			continue;
		n++;
		if (last)
			snprintf(last, len, "%.*s", (int)rec->len, (const char *)payload);
	}
	journal_reader_close(r);
	return n;
}

Test(daemon_journal, a_quiet_journal_gets_a_heartbeat_and_a_busy_one_none)
{
	char payload[128] = "";

	/* Something was written: the quiet time starts now. */
	journal_put_json(dmn.journal, JREC_DAEMON_START, 0, "", clock_real_ns(), "{}");
	daemon_journal_tick(&dmn, NULL);
	daemon_journal_tick(&dmn, NULL);
	/* Quiet for a heartbeat's time: one heartbeat, and the quiet starts again. */
	dmn.journal_quiet_since = clock_mono_ns() - DAEMON_HEARTBEAT_NS - 1;
	daemon_journal_tick(&dmn, NULL);
	daemon_journal_tick(&dmn, NULL);
	daemon_journal_tick(&dmn, NULL);
	cr_assert_eq(count_type(JREC_HEARTBEAT, payload, sizeof(payload)), 1);
	cr_assert_str_eq(payload, "{\"processes\":0}");
}

Test(daemon_journal, a_point_carries_its_intervals_maxima)
{
	struct model_proc p = { .tgid = 42, .comm = "p" };
	struct tl_point t = {
		.t_ns = 1000,
		.vmas_min = 3,
		.vmas_max = 9,
		.vmas_last = 4,
		.mapped = 4 << 20,
		.mapped_max = 512 << 20,
		.brk = 1 << 20,
		.brk_max = 3 << 20,
	};
	const struct journal_rec *rec;
	struct journal_reader *r;
	const void *payload;
	struct journal_tl tl;
	int n = 0;

	daemon_on_point(&dmn, &p, &t);
	journal_close(dmn.journal);
	dmn.journal = NULL;
	r = journal_reader_open(dir);
	cr_assert(r);
	while (journal_reader_next(r, &rec, &payload) == 1) {
		cr_assert_eq(rec->type, JREC_TIMELINE);
		cr_assert(journal_tl_decode(payload, rec->len, &tl));
		cr_assert_eq(tl.vmas_min, 3);
		cr_assert_eq(tl.vmas_max, 9);
		cr_assert_eq(tl.mapped, 4 << 20);
		cr_assert_eq(tl.mapped_max, 512 << 20);
		cr_assert_eq(tl.heap, 1 << 20);
		cr_assert_eq(tl.heap_max, 3 << 20);
		n++;
	}
	journal_reader_close(r);
	cr_assert_eq(n, 1);
}
