/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `vmatrace report`: the journal's history, loaded into memory and rendered as
 * text, JSON, CSV, SVG charts or an HTML page.
 *
 * report_load() (report_load.c) reads every record of a journal directory
 * that passes the filter: timeline points are grouped per process (pid + comm:
 * a pid that another program reuses is another process), JSON records become
 * events, each payload parsed once; report_series.c then reads the timelines as a
 * gauge (where each series ends, how long its peaks held). The renderers (report_text.c, _json.c,
 * _csv.c, _svg*.c, _html.c) only read the loaded report.
 */
#ifndef VMATRACE_REPORT_H
#define VMATRACE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "container.h"
#include "journal.h"
#include "jsonr.h"
#include "strbuf.h"
#include "untrusted.h"

#define REPORT_DEFAULT_DIR "/var/lib/vmatrace/journal"
/* Processes shown besides those with an incident, when nothing else chooses. */
#define REPORT_DEFAULT_TOP 10

struct report_filter {
	const char *dir;
	uint32_t pid;		     /* 0: any */
	const char *comm;	     /* NULL: any */
	const char *container;	     /* an id (prefix), name or pod UID (container.h); NULL: any */
	uint64_t since_ns, until_ns; /* CLOCK_REALTIME; 0: open */
	/*
	 * Which of the matching processes every format shows: all of them (all, or a pid,
	 * comm or container filter without top); else every one with an incident and the top N (top, 0:
	 * REPORT_DEFAULT_TOP) by peak share of vm.max_map_count.
	 */
	bool all;
	unsigned top;
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
	uint64_t first_ns, last_ns; /* of points and events */
	/*
	 * Where its series ends: values hold until they change, so the last ones hold to
	 * its exit, to the start of the next process with its pid (an exec), or to the end
	 * of what the journal knows of that daemon run (its last record or heartbeat).
	 */
	uint64_t end_ns;
	uint32_t peak_vmas, peak_limit; /* peak and vm.max_map_count at that point */
	uint64_t peak_ns;
	/* The longest span the count held at its peak (equal when the peak was a spike). */
	uint64_t peak_from_ns, peak_until_ns;
	uint64_t mapped_peak, heap_peak, heap_hwm;	/* true maxima, within intervals too */
	uint64_t heap_peak_from_ns, heap_peak_until_ns; /* the same for the heap */
	uint64_t calls, failures;
	unsigned alerts, alloc_failures, ooms;
	size_t run;  /* the loader's: the daemon run (by start record) of its last record */
	bool exited; /* a record after exit_ns with the same pid and comm is another process */
	uint64_t exit_ns;
	bool shown; /* picked by the selection (struct report_filter) */
	/* What its records say of its container (a container record, alerts, its exit). */
	struct container container;
	struct report_proc *hash_next;
};

/* The daemon's alert thresholds, which the plots draw. */
struct report_thresholds {
	double percents[CONFIG_MAX_LIST]; /* of vm.max_map_count, ascending */
	int npercents;
	uint32_t counts[CONFIG_MAX_LIST]; /* absolute VMA counts, ascending */
	int ncounts;
	bool from_journal; /* else the built-in defaults: the journal has no config record */
};

struct report {
	struct report_filter filter;
	bool show_sites; /* text: the call sites under each incident (--sites) */
	struct journal_reader_stats rs;
	struct report_proc **procs; /* by peak VMA count, highest first */
	size_t nprocs;
	size_t nshown;		     /* of procs, those with shown set */
	unsigned top;		     /* the N of the selection; 0 when every process is shown */
	struct report_event *events; /* by time */
	size_t nevents;
	uint64_t first_ns, last_ns; /* of the matching records */
	uint64_t matched, points,
		incidents;	/* incidents: alerts, failures, OOM kills, not repeats */
	uint64_t bad_payloads;	/* short timeline points, JSON that does not parse */
	uint32_t max_map_count; /* from the latest daemon start or point; 0 if unknown */
	unsigned daemon_starts, daemon_stops;
	uint64_t drops, resyncs;
	struct report_thresholds thr; /* the latest configuration up to the range's end */
	uint64_t alerts_suppressed; /* by alert_user_limit and alert_limit ("suppressed" records) */
	uint64_t retention_segments, retention_bytes; /* deleted, as "retention" records say */
	/* gap records: spans the daemon could not write history, and what it lost */
	uint64_t gaps, gap_records_lost, gap_ns;
};

/* report_container.c: p's container from a record's "container" member, if it says one. */
void report_container_note(struct report_proc *p, const json_t *data);
/* --container: the matching processes and their events kept, the others freed. */
void report_container_keep(struct report *r);
/* Does a shown process have a container (the tables' column)? */
bool report_any_container(const struct report *r);

/* Until when point k of p holds: the next point's start, or the series' end. */
uint64_t report_point_until(const struct report_proc *p, size_t k);

/* 0, or -errno (-ENOENT: no such directory; other: I/O error) with the report freed. */
int report_load(struct report *r, const struct report_filter *f);
void report_free(struct report *r);

void report_text(const struct report *r, struct strbuf *sb);
void report_json(const struct report *r, struct strbuf *sb);
/* The timeline points of the shown processes, one row each (RFC 4180). */
void report_csv(const struct report *r, struct strbuf *sb);
/* The incidents, one row each: time, process, kind, the figures, the one-line description. */
void report_csv_incidents(const struct report *r, struct strbuf *sb);

struct report_svg_opts {
	unsigned width;	  /* pixels; 0: 1000 */
	bool inline_html; /* no XML declaration: the SVG goes inside an HTML page */
};

/*
 * One panel per shown process (VMA count; mapped bytes and heap), markers for incidents,
 * the configured alert thresholds as lines.
 */
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
 * What grew before an incident (its "grew": the compact context the alert carried), as a
 * small table and a plot: text lines under prefix with sparklines, or HTML with an inline
 * SVG (report_context.c). Nothing when it carries none.
 */
void report_event_grew(struct strbuf *sb, const struct report_event *ev, enum ut_output out,
		       const char *prefix);
/*
 * The failed calls of the processes that exited, by syscall and errno, as their exit
 * records count them (every one, where alerts are rate-limited): a text section or an
 * HTML table; nothing when none failed.
 */
void report_failed_calls(struct strbuf *sb, const struct report *r, enum ut_output out);

/*
 * The census (VMA count by kind) the journal has of process p: its exit's, else its latest
 * incident's; *from is that event. NULL when none has one.
 */
const json_t *report_proc_census(const struct report *r, const struct report_proc *p,
				 const struct report_event **from);
/* The HTML section of the censuses of the shown processes: a bar and a table each. */
void report_census_html(struct strbuf *sb, const struct report *r);

/*
 * "YYYY-MM-DD HH:MM[:SS]" (local), "YYYY-MM-DDTHH:MM:SS[Z]" (local, or UTC with Z),
 * "YYYY-MM-DD" (local midnight), unix seconds, or "-2h"/"-30m"/"-1d"/"-90s" before now.
 */
bool report_parse_time(const char *s, time_t now, uint64_t *ns);

#endif
