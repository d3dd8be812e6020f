/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Alerts: VMA-count thresholds (with hysteresis), failed calls, OOM kills.
 * Each alert is one JSON object ({"kind":..,"pid":..,"comm":..,"ts":..,...})
 * sent to the sinks: the log, the journal (through a callback), an alert log
 * of JSON lines, and an exec hook that never blocks the event loop.
 */
#ifndef VMATRACE_ALERT_H
#define VMATRACE_ALERT_H

/* Call sites carried by an alert and its incident: the heaviest few. */
#define ALERT_TOP_SITES 3

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "jsonw.h"
#include "model.h"
#include "strbuf.h"

enum alert_kind { ALERT_VMA_THRESHOLD, ALERT_ALLOC_FAILURE, ALERT_OOM_KILL, ALERT__COUNT };

/* Where alerts go besides the log, alert log and hook: the daemon's journal. */
typedef void (*alert_record_fn)(void *ctx, enum alert_kind kind, uint32_t pid, const char *comm,
				const char *alert_json, const char *incident_json);

struct alert_engine;

/* What the daemon knows about an OOM kill beyond the ring-buffer record. */
struct alert_oom_info {
	char memcg[256];      /* the victim's memory cgroup path, "" if unknown */
	char oom_type[16];    /* "cgroup" or "global" */
	uint64_t memcg_limit; /* bytes, 0 when none */
	uint32_t victim_tid;  /* the thread the kernel marked, when not the process (0) */
	int memcg_version;    /* 1 or 2: the hierarchy memcg is in (0: unknown) */
	/* What said it was the cgroup's: "memory.events" (v2's oom count), "memory.max" (no
	 * events file), "memory.oom_control" (v1's oom_kill), "memory.failcnt"; "" global. */
	char oom_evidence[24];
	char limit_memcg[256];	  /* the ancestor whose limit was reached, "" when memcg's own */
	uint64_t memcg_oom_kills; /* the oom_kill count there (memory.events, memory.oom_control) */
	uint64_t memcg_high;	  /* v2's memory.high there, bytes (0: none) */
	struct container container; /* the victim's (CTR_NONE: none) */
};

struct alert_engine *alert_new(const struct config *cfg, alert_record_fn record, void *ctx);
void alert_free(struct alert_engine *ae);
/* A new configuration (after SIGHUP): sinks reopened, thresholds re-read. */
void alert_reconfigure(struct alert_engine *ae, const struct config *cfg);

/* Check a process's VMA count against the thresholds (after its events were applied). */
void alert_check_vmas(struct alert_engine *ae, struct model_proc *p, uint32_t limit,
		      uint64_t now_mono_ns, long long realtime_offset_ns);
/* A syscall record that failed: alert if its errno is configured. */
void alert_check_failure(struct alert_engine *ae, struct model_proc *p,
			 const struct vmt_syscall_rec *r, uint32_t limit,
			 long long realtime_offset_ns);
/*
 * Failures the rate limit held back: for each (syscall, errno) of p whose interval is
 * over (every one when force: p exits, the daemon stops), an alert of the newest, with
 * suppressed_before counting the others.
 */
void alert_flush_failures(struct alert_engine *ae, struct model_proc *p, uint32_t limit,
			  uint64_t now_mono_ns, bool force, long long realtime_offset_ns);
/* The same for every process of m with an alert state whose interval is over (each tick). */
void alert_tick_failures(struct alert_engine *ae, struct model *m, uint32_t limit,
			 uint64_t now_mono_ns, long long realtime_offset_ns);
/*
 * Has this process's OOM kill been seen already? The kernel marks each thread of a dying
 * victim that allocates again: one kill, several oom/mark_victim events. The first call
 * for a tgid returns false; the next ones true, until alert_forget().
 */
bool alert_oom_repeat(struct alert_engine *ae, uint32_t tgid);
/* An OOM kill; victim may be NULL (not modeled); r->victim_pid is the process's. */
void alert_oom(struct alert_engine *ae, struct model_proc *victim, const struct vmt_oom_rec *r,
	       const struct alert_oom_info *info, long long realtime_offset_ns);
/* The process is gone: forget its alert state. */
void alert_forget(struct alert_engine *ae, uint32_t pid);
/* Reap finished hooks and kill overdue ones. */
void alert_tick(struct alert_engine *ae, uint64_t now_mono_ns);
/* "vma_threshold", "alloc_failure", "oom_kill". */
const char *alert_kind_name(enum alert_kind kind);
/* Alerts raised so far, by kind. */
uint64_t alert_count(const struct alert_engine *ae, enum alert_kind kind);
/* Alerts held back by alert_user_limit and alert_limit so far, by kind. */
uint64_t alert_suppressed(const struct alert_engine *ae, enum alert_kind kind);
/*
 * Where a storm's summary goes besides the log and alert log (the journal):
 * JSON {"kind","uid","suppressed","sent","window_s"}, once per uid and kind
 * at the end of each minute that held alerts back.
 */
typedef void (*alert_summary_fn)(void *ctx, enum alert_kind kind, uint32_t uid, const char *json);
void alert_set_summary(struct alert_engine *ae, alert_summary_fn fn, void *ctx);
/* Summarise the current window now, without waiting for its end (the daemon stops). */
void alert_storm_end(struct alert_engine *ae, uint64_t now_mono_ns);

/* Pure helpers (unit tested). */
/*
 * Thresholds crossed upward raise one alert (for the highest crossed); a
 * threshold re-arms only when the value falls `hysteresis` below it. Returns
 * the new level (number of thresholds raised); *crossed is the index of the
 * threshold to alert for, or -1.
 */
int alert_level_update(int level, double value, const double *thresholds, int n, double hysteresis,
		       int *crossed);
/* Seconds until `count` reaches `limit` at `rate` per second; -1 when not growing. */
double alert_seconds_to_limit(double count, double limit, double rate);

/* alert_context.c: what an alert says of the process's past. */
/* A member: a CLOCK_MONOTONIC time as realtime seconds since the epoch, with microseconds. */
void alert_json_ts(struct jsonw *w, const char *key, uint64_t mono_ns,
		   long long realtime_offset_ns);
/*
 * A process's recent history as members of the object open in w: "sites", "census",
 * "census_bytes", "heap", "timeline" (the open interval last), "flight", "flight_lost",
 * "failures".
 */
void alert_context_json(struct jsonw *w, const struct model_proc *p, unsigned int max_events,
			long long realtime_offset_ns);
/* "census": VMAs by kind; "sites": the heaviest call sites, when there are any. */
void alert_census_json(struct jsonw *w, const struct model_proc *p);
void alert_sites_json(struct jsonw *w, const struct model_proc *p);
/* "failures": [{"syscall","errno","count"}], a process's failed calls (model_proc.fails). */
void alert_failures_json(struct jsonw *w, const struct model_fail *fails, uint32_t n);

/* "What grew": the compact context every alert carries, over this window before it. */
#define ALERT_GREW_WINDOW_NS (300ull * 1000000000ull)
#define ALERT_GREW_POINTS 7  /* for a table: the window in equal steps, oldest first, at most */
#define ALERT_GREW_SERIES 30 /* for a plot */
#define ALERT_GREW_KINDS 4
#define ALERT_GREW_EVENTS 5

struct alert_grew {
	uint64_t from_ns, to_ns; /* CLOCK_MONOTONIC; from is never before the process is known */
	int npoints, nseries;
	uint64_t ago_ns[ALERT_GREW_POINTS]; /* before end: when each point's values held */
	struct model_state points[ALERT_GREW_POINTS];
	struct model_state series[ALERT_GREW_SERIES];
	unsigned int sources; /* bits of enum model_state_source used */
};
/* resolution_ns: the timeline's (model_state_at). */
void alert_grew_compute(const struct model_proc *p, uint64_t end_ns, uint64_t window_ns,
			uint64_t resolution_ns, struct alert_grew *g);
/*
 * Member "grew": {"from","to","span_s","source","points":[{"ago_s","vmas","mapped","heap"}],
 * "series":{"step_s","vmas":[],"mapped":[],"heap":[]},"kinds":[{"kind","vmas","bytes"}],
 * "events":[...]}; kinds by bytes (OOM) or by VMAs.
 */
void alert_grew_json(struct jsonw *w, const struct model_proc *p, uint64_t end_ns,
		     uint64_t resolution_ns, bool by_bytes, long long realtime_offset_ns);
/* "; over the last 0.3 s: VMAs 12 -> 14, mapped 2.0MiB -> 66.0MiB, heap 0B -> 0B" */
void alert_grew_text(struct strbuf *sb, const struct model_proc *p, uint64_t end_ns,
		     uint64_t resolution_ns);

#endif
