/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `vmatrace report`: the journal's history, loaded into memory and rendered as
 * text, JSON, CSV, SVG charts or an HTML page.
 *
 * report_load() (report_load.c) reads every record of a journal directory
 * that passes the filter: timeline points are grouped per process (pid + comm:
 * a pid that another program reuses is another process), JSON records become
 * events, each payload parsed once. The renderers (report_text.c, _json.c,
 * _csv.c, _svg*.c, _html.c) only read the loaded report.
 */
#ifndef VMATRACE_REPORT_H
#define VMATRACE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "journal.h"
#include "jsonr.h"
#include "strbuf.h"
#include "untrusted.h"

#define REPORT_DEFAULT_DIR "/var/lib/vmatrace/journal"

struct report_filter {
	const char *dir;
	uint32_t pid;		     /* 0: any */
	const char *comm;	     /* NULL: any */
	uint64_t since_ns, until_ns; /* CLOCK_REALTIME; 0: open */
};

enum report_ev_kind {
	REV_ALERT,   /* a threshold alert (vma_threshold or another alert kind) */
	REV_FAILURE, /* a failed mmap/munmap/mremap/mprotect/brk */
	REV_OOM,     /* an OOM kill; pid and comm are the victim's */
	REV_OTHER,   /* daemon start/stop, drops, resyncs, process exits */
};

struct report_proc;

struct report_event {
	uint64_t ts_ns;
	uint32_t pid;
	char comm[JOURNAL_COMM_LEN + 1];
	uint16_t type; /* enum journal_rec_type */
	enum report_ev_kind kind;
	char name[32];		  /* "kind" of the payload, or the record type's name */
	char *json;		  /* the payload as written, NUL-terminated */
	json_t *data;		  /* json parsed, when it is one JSON object; else NULL */
	bool duplicate;		  /* an incident or OOM record repeats this alert, with context */
	double threshold;	  /* vma_threshold: the percentage crossed; else 0 */
	struct report_proc *proc; /* NULL for records not about a process */
	size_t seq;		  /* order in the journal */
};

struct report_proc {
	uint32_t pid;
	char comm[JOURNAL_COMM_LEN + 1];
	struct journal_tl *pts; /* sorted by t_ns */
	size_t npts, cap;
	uint64_t first_ns, last_ns;	/* of points and events */
	uint32_t peak_vmas, peak_limit; /* peak and vm.max_map_count at that point */
	uint64_t peak_ns;
	uint64_t mapped_peak, heap_peak, heap_hwm;
	uint64_t calls, failures;
	unsigned alerts, alloc_failures, ooms;
	bool exited; /* a record after exit_ns with the same pid and comm is another process */
	uint64_t exit_ns;
	struct report_proc *hash_next;
};

struct report {
	struct report_filter filter;
	bool show_sites; /* text: the call sites under each incident (--sites) */
	struct journal_reader_stats rs;
	struct report_proc **procs; /* by peak VMA count, highest first */
	size_t nprocs;
	struct report_event *events; /* by time */
	size_t nevents;
	uint64_t first_ns, last_ns; /* of the matching records */
	uint64_t matched, points,
		incidents;	/* incidents: alerts, failures, OOM kills, not repeats */
	uint64_t bad_payloads;	/* short timeline points, JSON that does not parse */
	uint32_t max_map_count; /* from the latest daemon start or point; 0 if unknown */
	unsigned daemon_starts, daemon_stops;
	uint64_t drops, resyncs;
	/* gap records: spans the daemon could not write history, and what it lost */
	uint64_t gaps, gap_records_lost, gap_ns;
};

/* 0, or -errno (-ENOENT: no such directory; other: I/O error) with the report freed. */
int report_load(struct report *r, const struct report_filter *f);
void report_free(struct report *r);

void report_text(const struct report *r, struct strbuf *sb);
void report_json(const struct report *r, struct strbuf *sb);
void report_csv(const struct report *r, struct strbuf *sb);

struct report_svg_opts {
	unsigned width;	     /* pixels; 0: 1000 */
	unsigned max_panels; /* processes drawn when no filter picks them; 0: 10 */
	bool inline_html;    /* no XML declaration: the SVG goes inside an HTML page */
};

/* One panel per process (VMA count; mapped bytes and heap), markers for incidents. */
void report_svg(const struct report *r, const struct report_svg_opts *o, struct strbuf *sb);
/* A page with the summary, the SVG panels and the incidents; o as for report_svg. */
void report_html(const struct report *r, const struct report_svg_opts *o, struct strbuf *sb);
/*
 * One line about an incident: "VMA alert 90%: 58977 VMAs of 65530 (90.0%), ...";
 * the payload's strings escaped for output `out`.
 */
void report_event_describe(struct strbuf *sb, const struct report_event *ev, enum ut_output out);
/*
 * The call sites an incident carries (its "sites", or its context's), the heaviest first:
 * for text, "prefix  +N VMAs ... " lines with the frames under them; for HTML, a list.
 * Nothing when it carries none.
 */
void report_event_sites(struct strbuf *sb, const struct report_event *ev, enum ut_output out,
			const char *prefix);

/*
 * "YYYY-MM-DD HH:MM[:SS]" (local), "YYYY-MM-DDTHH:MM:SS[Z]" (local, or UTC with Z),
 * "YYYY-MM-DD" (local midnight), unix seconds, or "-2h"/"-30m"/"-1d"/"-90s" before now.
 */
bool report_parse_time(const char *s, time_t now, uint64_t *ns);

#endif
