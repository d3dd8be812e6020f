/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prometheus metrics in the text exposition format 0.0.4, three ways: /metrics
 * over HTTP (libmicrohttpd driven from the event loop, so the model is only
 * read from the loop's thread), a node_exporter textfile, and the control
 * socket's "metrics" request. They render from a read-only view that their
 * owner (the daemon) fills on demand: they know nothing else of it.
 */
#ifndef VMATRACE_METRICS_H
#define VMATRACE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "model.h"
#include "strbuf.h"
#include "vmatrace.h"

#define METRICS_DEFAULT_HOST "127.0.0.1"
#define METRICS_DEFAULT_PORT 9436
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_TEXTFILE "vmatrace.prom"
/* Failures are counted by errno below this; 0 stands for "unknown". */
#define METRICS_MAX_ERRNO 134

struct loop;

/* What the metrics are about, at one instant. */
/* Distinct values of the per-process series' container label; more read "other". */
#define METRICS_MAX_CONTAINERS 32

struct metrics_view {
	const struct config *cfg; /* metrics_top, the alert thresholds and errnos */
	const uint64_t *calls;	  /* events seen, by enum vmt_sys */
	const uint64_t (*failures)[METRICS_MAX_ERRNO]; /* by enum vmt_sys, then errno */
	uint64_t drops, resyncs, repairs, events, ooms;
	/* the journal: bytes written, failed writes, records lost, outages, writing or not */
	uint64_t journal_bytes, journal_write_errors, journal_records_lost, journal_outages;
	bool journal_on, journal_writing;
	uint64_t alerts[ALERT__COUNT];
	uint64_t alerts_suppressed[ALERT__COUNT];
	unsigned long max_map_count;
	long rss_kib;
	double cpu_seconds;
	/* The processes the configuration selects, most VMAs first. */
	struct model_proc **ranked;
	size_t nranked;
};

/* Fill v; v->ranked is malloc'd, the metrics free it. */
typedef void (*metrics_view_fn)(void *ctx, struct metrics_view *v);

/* Every metric family, in a fixed order. */
void metrics_render(const struct metrics_view *v, struct strbuf *out);

struct metrics;

/*
 * The HTTP listener and the textfile writer as cfg says, registered with the
 * loop. A listener that cannot start is logged; the metrics run on without
 * it. NULL only when out of memory.
 */
struct metrics *metrics_new(struct loop *l, const struct config *cfg, metrics_view_fn view,
			    void *ctx);
/* A reloaded configuration: the listener and the textfile follow it. */
void metrics_reconfigure(struct metrics *m, const struct config *cfg);
/* Stops the listener and removes the textfile (left, it would look live). */
void metrics_free(struct metrics *m);
/* The exposition now, from a fresh view (the control socket's request). */
void metrics_answer(struct metrics *m, struct strbuf *out);

/*
 * A metrics_listen value: "" or off/no/false (off); on/yes/true (the default
 * address); ":PORT" or "PORT" (loopback); "HOST:PORT"; "[V6]:PORT"; "HOST"
 * (default port). 0 with *enabled, host and port set; -EINVAL if malformed.
 */
int metrics_parse_listen(const char *spec, bool *enabled, char *host, size_t hostlen,
			 unsigned int *port);

/* Replace dir/vmatrace.prom atomically with text (a temporary file, then rename). 0 or -errno. */
int metrics_write_textfile(const char *dir, const char *text, size_t len);

#endif
