/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Journals for the report tests, written with the real writer (src/journal.c):
 * helpers to append timeline points and JSON records, and the realistic journal
 * that docs/report-example.svg is drawn from.
 */
#ifndef VMATRACE_TEST_REPORT_FIXTURE_H
#define VMATRACE_TEST_REPORT_FIXTURE_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "journal.h"

#define FX_NS 1000000000ULL
#define FX_MAX_MAP 65530u

struct fx {
	char dir[64];
	struct journal *j;
};

static inline void fx_open(struct fx *f)
{
	struct journal_config cfg = { .fsync = JOURNAL_FSYNC_NEVER };

	snprintf(f->dir, sizeof(f->dir), "/tmp/vmatrace-report-XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir), "mkdtemp: %m");
	cfg.dir = f->dir;
	f->j = journal_open(&cfg);
	cr_assert_not_null(f->j, "journal_open(%s): %m", f->dir);
}

static inline void fx_close(struct fx *f)
{
	journal_close(f->j);
	f->j = NULL;
}

static inline void fx_flush(struct fx *f)
{
	cr_assert_eq(journal_flush(f->j), 0);
}

static inline void fx_point(struct fx *f, uint32_t pid, const char *comm, uint64_t t_ns,
			    uint32_t vmas, uint32_t vmin, uint32_t vmax, uint64_t mapped,
			    uint64_t heap, uint64_t hwm, uint32_t calls, uint32_t failures)
{
	struct journal_tl tl = {
		.t_ns = t_ns,
		.vmas_min = vmin,
		.vmas_max = vmax,
		.vmas_last = vmas,
		.calls = calls,
		.failures = failures,
		.max_map_count = FX_MAX_MAP,
		.mapped = mapped,
		.heap = heap,
		.heap_hwm = hwm,
	};

	cr_assert_eq(journal_put_point(f->j, pid, comm, &tl), 0);
}

static inline void __attribute__((format(printf, 6, 7)))
fx_json(struct fx *f, uint16_t type, uint32_t pid, const char *comm, uint64_t ts_ns,
	const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cr_assert(n > 0 && n < (int)sizeof(buf));
	cr_assert_eq(journal_append(f->j, type, pid, comm, ts_ns, buf, n), 0);
}

/* The one segment file of a fixture journal. */
static inline void fx_segment(const struct fx *f, char *path, size_t len)
{
	DIR *d = opendir(f->dir);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > 4 && !strcmp(de->d_name + l - 4, ".vmj")) {
			snprintf(path, len, "%s/%s", f->dir, de->d_name);
			n++;
		}
	}
	closedir(d);
	cr_assert_eq(n, 1, "%d segments in %s", n, f->dir);
}

static inline long fx_size(const struct fx *f)
{
	char path[256];
	struct stat st;

	fx_segment(f, path, sizeof(path));
	cr_assert_eq(stat(path, &st), 0);
	return st.st_size;
}

static inline void fx_rm(const struct fx *f)
{
	dir_remove(f->dir);
}

/*
 * The example of docs/report-example.svg, 45 minutes of a database host:
 * - mysqld (jemalloc) splits its mappings until it holds vm.max_map_count VMAs: alerts at
 *   80, 90 and 95 %, then munmap fails with ENOMEM 22 times and mysqld aborts (scenario 1);
 * - java in a 4 GiB memory cgroup grows until the cgroup's OOM killer kills it (scenario 2);
 * - redis-server idles, its heap growing and shrinking (scenario 4's saw-tooth).
 */
#define EX_T0 1795338000ULL /* 09:00 UTC */
#define EX_MYSQLD 4711
#define EX_JAVA 5120
#define EX_REDIS 2210

static inline uint32_t ex_mysqld_vmas(double s)
{
	double x = s / 2660.0;

	return x >= 1 ? FX_MAX_MAP : (uint32_t)(11800 + (FX_MAX_MAP - 11800) * pow(x, 2.4));
}

static inline void fx_example(struct fx *f)
{
	const uint64_t gib = 1ULL << 30, mib = 1ULL << 20;
	uint64_t hwm = 0;
	unsigned seed = 7;
	double prev = 0;
	int next_thr = 0;
	static const int thr[] = { 80, 90, 95 };

	fx_json(f, JREC_DAEMON_START, 0, "", EX_T0 * FX_NS - 60 * FX_NS,
		"{\"version\":\"0.1.0\",\"max_map_count\":%u,\"hostname\":\"db-prod-3\"}",
		FX_MAX_MAP);

	/* mysqld: a point every 10 s, the VMA count climbing ever faster */
	for (int s = 0; s <= 2670; s += 10) {
		uint32_t v = ex_mysqld_vmas(s), jitter = rand_r(&seed) % 90;
		double x = s / 2670.0;
		uint64_t heap = (uint64_t)((180 + 440 * fmin(x / 0.45, 1) -
					    (x > 0.45 ? 80 * fmin((x - 0.45) / 0.1, 1) : 0) +
					    (x > 0.75 ? 160 * (x - 0.75) / 0.25 : 0)) *
					   mib);
		uint64_t mapped = (uint64_t)(7.2 * gib + 0.9 * gib * pow(x, 1.5) +
					     (rand_r(&seed) % 64) * mib);
		uint32_t fails = s >= 2630 ? 5 + (s == 2670 ? 2 : 0) : 0;
		uint32_t spike = rand_r(&seed) % 7 == 0 ? 250 : 0, vmax;

		if (heap > hwm)
			hwm = heap;
		if (s >= 2630)
			v = FX_MAX_MAP;
		vmax = v + spike < FX_MAX_MAP ? v + spike : FX_MAX_MAP;
		fx_point(f, EX_MYSQLD, "mysqld", (EX_T0 + s) * FX_NS, v, v - jitter, vmax, mapped,
			 heap, hwm, 3000 + rand_r(&seed) % 4000, fails);
		while (next_thr < 3 && v >= thr[next_thr] * FX_MAX_MAP / 100) {
			double growth = (v - prev) / 10.0;

			fx_json(f, JREC_ALERT, EX_MYSQLD, "mysqld", (EX_T0 + s) * FX_NS + 400000000,
				"{\"kind\":\"vma_threshold\",\"ts\":%llu.4,\"pid\":%d,\"comm\":"
				"\"mysqld\","
				"\"vmas\":%u,\"limit\":%u,\"percent\":%.1f,\"threshold\":%d,"
				"\"growth_per_s\":%.1f,\"seconds_to_limit\":%.1f,"
				"\"census\":{\"anonymous\":%u,\"file\":310,\"heap\":1,\"stack\":41}}",
				EX_T0 + s, EX_MYSQLD, v, FX_MAX_MAP, 100.0 * v / FX_MAX_MAP,
				thr[next_thr], growth,
				growth > 0 ? (FX_MAX_MAP - v) / growth : -1.0, v - 360);
			next_thr++;
		}
		prev = v;
	}
	/* 22 munmaps fail with ENOMEM in the last 40 seconds; then jemalloc aborts */
	for (int i = 0; i < 22; i++) {
		uint64_t ts = (EX_T0 + 2632) * FX_NS + i * 1800000000ULL;

		fx_json(f, JREC_ALERT, EX_MYSQLD, "mysqld", ts,
			"{\"kind\":\"alloc_failure\",\"ts\":%llu.%06llu,\"pid\":%d,\"comm\":\"mysqld\","
			"\"syscall\":\"munmap\",\"errno\":\"ENOMEM\",\"vmas\":%u,\"limit\":%u,"
			"\"args\":{\"addr\":\"0x7f3a%08x\",\"len\":4096}}",
			ts / FX_NS, ts % FX_NS / 1000, EX_MYSQLD, FX_MAX_MAP, FX_MAX_MAP,
			0x10000000 + i * 8192);
	}
	fx_json(f, JREC_PROC_EXIT, EX_MYSQLD, "mysqld", (EX_T0 + 2672) * FX_NS,
		"{\"exit_code\":134,\"signal\":6,\"vmas\":%u}", FX_MAX_MAP);

	/* java: mapped memory grows to the cgroup's 4 GiB, then the OOM killer */
	hwm = 0;
	for (int s = 300; s <= 1860; s += 10) {
		double x = (s - 300) / 1560.0;
		uint64_t mapped = (uint64_t)(1.1 * gib + 2.85 * gib * pow(x, 1.3));
		uint32_t v = 620 + (uint32_t)(780 * x) + rand_r(&seed) % 20;
		/* a JVM mallocs little: its heap creeps up by a few MiB */
		uint64_t heap = 18 * mib + (uint64_t)(6 * x) * mib;

		if (heap > hwm)
			hwm = heap;
		fx_point(f, EX_JAVA, "java", (EX_T0 + s) * FX_NS, v, v - 3, v + 5, mapped, heap,
			 hwm, 800 + rand_r(&seed) % 500, 0);
	}
	fx_json(f, JREC_OOM, EX_JAVA, "java", (EX_T0 + 1864) * FX_NS,
		"{\"kind\":\"oom_kill\",\"ts\":%llu.0,\"pid\":%d,\"comm\":\"java\","
		"\"victim_pid\":%d,\"victim_comm\":\"java\",\"uid\":1001,"
		"\"total_vm_kb\":%llu,\"anon_rss_kb\":%llu,\"file_rss_kb\":24576,"
		"\"shmem_rss_kb\":0,\"pgtables_kb\":8640,\"oom_score_adj\":0,"
		"\"memcg\":\"/analytics\",\"oom_type\":\"cgroup\",\"trigger_pid\":5133,"
		"\"trigger_comm\":\"C2 CompilerThre\",\"census\":{\"anonymous\":1380,\"file\":40},"
		"\"timeline\":[]}",
		EX_T0 + 1864, EX_JAVA, EX_JAVA, 4150ULL * 1024, 4020ULL * 1024);
	fx_json(f, JREC_PROC_EXIT, EX_JAVA, "java", (EX_T0 + 1864) * FX_NS + 20000000,
		"{\"exit_code\":137,\"signal\":9,\"vmas\":1402}");

	/* redis-server: a few VMAs, a heap that breathes */
	hwm = 0;
	for (int s = 20; s <= 2700; s += 30) {
		uint64_t heap = (uint64_t)((40 + 25 * (1 + sin(s / 300.0))) * mib);

		if (heap > hwm)
			hwm = heap;
		fx_point(f, EX_REDIS, "redis-server", (EX_T0 + s) * FX_NS, 181 + (s / 30) % 4, 180,
			 186, 410 * mib + heap, heap, hwm, 40, 0);
	}
	fx_flush(f);
}

#endif
