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
/* An OOM kill; victim may be NULL (not modeled). */
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

/*
 * A process's recent history as members of the object open in w: "census",
 * "census_bytes", "heap", "timeline", "flight", "flight_lost".
 */
void alert_context_json(struct jsonw *w, const struct model_proc *p, unsigned int max_events,
			long long realtime_offset_ns);

#endif
