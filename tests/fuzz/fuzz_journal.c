// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The journal reader and the report built on it: the input is one segment file (damaged,
 * truncated, hostile), read record by record, then loaded and rendered as `vmatrace report`
 * does (text, JSON, CSV).
 */
#include "fuzz_common.h"
#include "journal.h"
#include "journal_disk.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_tmpdir();
	const struct journal_rec *rec;
	struct report_filter f = { .dir = dir };
	struct journal_reader *r;
	const void *payload;
	struct report rep;
	struct strbuf sb;
	int rc;

	fuzz_write(dir, "seg-00000000000000000001" SEG_SUFFIX, data, size);
	r = journal_reader_open(dir);
	if (r) {
		while ((rc = journal_reader_next(r, &rec, &payload)) == 1)
			if (rec->len)
				(void)*(const volatile uint8_t *)((const uint8_t *)payload +
								  rec->len - 1);
		journal_reader_close(r);
	}
	if (report_load(&rep, &f) == 0) {
		sb_init(&sb);
		report_text(&rep, &sb);
		report_json(&rep, &sb);
		report_csv(&rep, &sb);
		sb_free(&sb);
		report_free(&rep);
	}
	return 0;
}
