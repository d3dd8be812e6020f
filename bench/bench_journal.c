// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_journal: the journal as the daemon uses it. 1,000,000 records, mostly
 * JREC_TIMELINE points of 200 processes whose counters drift slowly, one point per
 * process per simulated second and a flush after each second (the daemon's default
 * flush interval), with some JSON alerts and exits among them. Default config.
 * Prints the write rate, the bytes per record on disk and the read rate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fsutil.h"
#include "journal.h"
#include "xorshift.h"

#define NRECORDS 1000000
#define NPROCS 200
#define T0 1700000000000000000ull

struct proc {
	uint32_t pid;
	char comm[JOURNAL_COMM_LEN];
	uint32_t vmas;
	uint64_t mapped, heap, heap_hwm;
};

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	return xorshift64s(&rng_state);
}

static void procs_init(struct proc *p)
{
	static const char *const names[] = { "postgres",     "java", "nginx", "python3",
					     "redis-server", "node", "envoy", "mysqld" };

	for (int i = 0; i < NPROCS; i++) {
		p[i].pid = 1000 + i * 37;
		snprintf(p[i].comm, sizeof(p[i].comm), "%s", names[i % 8]);
		p[i].vmas = 60 + rng() % 4000;
		p[i].mapped = (64 + rng() % 4096) << 20;
		p[i].heap = (1 + rng() % 256) << 20;
		p[i].heap_hwm = p[i].heap;
	}
}

/* One interval of one process: most processes barely move. */
static void point(struct proc *p, uint64_t t, struct journal_tl *tl)
{
	uint32_t calls = rng() % 8 ? rng() % 4 : rng() % 200;
	int32_t dv = calls ? (int32_t)(rng() % 9) - 4 : 0;

	memset(tl, 0, sizeof(*tl));
	tl->t_ns = t;
	tl->vmas_min = p->vmas;
	if (dv < 0 && (uint32_t)-dv >= p->vmas)
		dv = 0;
	p->vmas += dv;
	tl->vmas_min = tl->vmas_min < p->vmas ? tl->vmas_min : p->vmas;
	tl->vmas_max = p->vmas + (calls ? rng() % 3 : 0);
	tl->vmas_last = p->vmas;
	tl->calls = calls;
	tl->failures = rng() % 1000 ? 0 : 1;
	tl->max_map_count = 65530;
	p->mapped += (int64_t)dv * 4096 * 16;
	if (calls && rng() % 4 == 0)
		p->heap += (rng() % 64) << 12;
	if (p->heap > p->heap_hwm)
		p->heap_hwm = p->heap;
	tl->mapped = p->mapped;
	tl->heap = p->heap;
	tl->heap_hwm = p->heap_hwm;
}

static int alert_json(char *buf, size_t size, const struct proc *p, uint64_t t)
{
	return snprintf(buf, size,
			"{\"kind\":\"vma_growth\",\"ts\":%llu,\"pid\":%u,\"comm\":\"%s\","
			"\"vmas\":%u,\"max_map_count\":65530,\"rate_per_s\":%.1f,"
			"\"window_s\":60,\"threshold\":0.8,\"mapped\":%llu}",
			(unsigned long long)t, p->pid, p->comm, p->vmas,
			(double)(rng() % 1000) / 10, (unsigned long long)p->mapped);
}

int main(void)
{
	char dir[] = "/tmp/bench-journal-XXXXXX";
	struct journal_config cfg = {
		.dir = dir,
		/* The documented default; the enum's zero is JOURNAL_FSYNC_NEVER. */
		.fsync = JOURNAL_FSYNC_FLUSH,
	};
	uint64_t raw = 0, ntl = 0, njson = 0, flushes = 0, sum_written = 0, sum_read = 0;
	uint64_t disk, nread = 0;
	const struct journal_reader_stats *rst;
	const struct journal_stats *st;
	struct proc *procs = calloc(NPROCS, sizeof(*procs));
	struct journal_reader *r;
	struct journal *j;
	double t0, tw, tr;
	int nfiles, ret;
	char json[512];
	uint64_t n = 0;

	if (!procs || !mkdtemp(dir)) {
		perror("bench_journal: setup");
		return 1;
	}
	procs_init(procs);
	j = journal_open(&cfg);
	if (!j) {
		fprintf(stderr, "bench_journal: cannot open a journal in %s: %s\n", dir,
			strerror(errno));
		dir_remove(dir);
		return 1;
	}

	t0 = (clock_mono_ns() / 1e9);
	for (uint64_t sec = 0; n < NRECORDS; sec++) {
		uint64_t t = T0 + sec * 1000000000ull;

		for (int i = 0; i < NPROCS && n < NRECORDS; i++, n++) {
			struct journal_tl tl;

			/* About one alert or exit per 500 records, in JSON like the daemon's. */
			if (rng() % 500 == 0) {
				int len = alert_json(json, sizeof(json), &procs[i], t);

				journal_append(j, rng() % 4 ? JREC_ALERT : JREC_PROC_EXIT,
					       procs[i].pid, procs[i].comm, t, json, len);
				raw += JOURNAL_REC_LEN + len;
				njson++;
				continue;
			}
			point(&procs[i], t, &tl);
			journal_put_point(j, procs[i].pid, procs[i].comm, &tl);
			raw += JOURNAL_REC_LEN + JOURNAL_TL_LEN;
			sum_written += tl.vmas_last;
			ntl++;
		}
		journal_flush(j); /* the daemon's flush interval: one second of points */
		flushes++;
	}
	st = journal_get_stats(j);
	if (st->write_errors || st->records != NRECORDS) {
		fprintf(stderr, "bench_journal: %llu records written, %llu write errors\n",
			(unsigned long long)st->records, (unsigned long long)st->write_errors);
		journal_close(j);
		dir_remove(dir);
		return 1;
	}
	journal_close(j);
	tw = (clock_mono_ns() / 1e9) - t0;
	disk = dir_bytes(dir, &nfiles);

	t0 = (clock_mono_ns() / 1e9);
	r = journal_reader_open(dir);
	if (!r) {
		fprintf(stderr, "bench_journal: cannot read %s: %s\n", dir, strerror(errno));
		dir_remove(dir);
		return 1;
	}
	for (;;) {
		const struct journal_rec *rec;
		const void *payload;

		ret = journal_reader_next(r, &rec, &payload);
		if (ret <= 0)
			break;
		if (rec->type == JREC_TIMELINE) {
			struct journal_tl tl;

			if (journal_tl_decode(payload, rec->len, &tl))
				sum_read += tl.vmas_last;
		}
		nread++;
	}
	tr = (clock_mono_ns() / 1e9) - t0;
	rst = journal_reader_get_stats(r);

	printf("bench_journal: %d records (%llu timeline points of %d processes, %llu JSON), "
	       "%llu flushes with fsync, default config\n",
	       NRECORDS, (unsigned long long)ntl, NPROCS, (unsigned long long)njson,
	       (unsigned long long)flushes);
	printf("  write  %10.0f records/s  (%.2f s, %.1f MB/s of records)\n", NRECORDS / tw, tw,
	       raw / tw / 1e6);
	printf("  disk   %10.2f bytes/record  (%llu bytes in %d segments; raw %.1f bytes/record, "
	       "ratio %.1f:1)\n",
	       (double)disk / NRECORDS, (unsigned long long)disk, nfiles, (double)raw / NRECORDS,
	       (double)raw / disk);
	printf("  read   %10.0f records/s  (%.2f s; %llu blocks, %llu damaged, %llu torn)\n",
	       nread / tr, tr, (unsigned long long)rst->blocks,
	       (unsigned long long)rst->damaged_blocks, (unsigned long long)rst->torn_tails);
	journal_reader_close(r);
	dir_remove(dir);
	free(procs);
	if (ret < 0 || nread != NRECORDS || sum_read != sum_written) {
		fprintf(stderr, "bench_journal: read back %llu records (%s), expected %d\n",
			(unsigned long long)nread, ret < 0 ? strerror(-ret) : "ok", NRECORDS);
		return 1;
	}
	return 0;
}
