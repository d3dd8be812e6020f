/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The alert engine's insides, shared by its files: alert.c (state, storms, thresholds and
 * failures, emitting), alert_hook.c (the alert_exec hook), alert_oom.c (OOM kills).
 */
#ifndef VMATRACE_ALERT_INTERNAL_H
#define VMATRACE_ALERT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "alert.h"
#include "hmap.h"
#include "jsonw.h"
#include "strbuf.h"

#define MAX_HOOKS 8
#define FAILURE_KEYS 8
/* alert_limit and alert_user_limit count alerts in windows of this length. */
#define STORM_WINDOW_NS 60000000000ull

/* A kind of failure (syscall, errno): when it last alerted, what the rate limit held back. */
struct failure_slot {
	uint16_t sys;
	uint16_t err;
	uint64_t last_ns;
	uint64_t suppressed;		/* failures not alerted since last_ns */
	struct vmt_syscall_rec pending; /* the newest of them */
};

/* Per process: thresholds raised, and the failures' rate limit. */
struct proc_state {
	int pct_level;
	int abs_level;
	bool oom_seen;
	struct failure_slot failures[FAILURE_KEYS];
};

struct hook {
	pid_t pid;
	uint64_t deadline_ns;
};

/* Per uid, in the current storm window: alerts sent, and those held back by kind. */
struct storm_user {
	uint32_t sent;
	uint64_t suppressed[ALERT__COUNT];
};

struct alert_engine {
	const struct config *cfg;
	alert_record_fn record;
	void *record_ctx;
	FILE *log;
	char log_path[CONFIG_PATH_MAX];
	struct hmap state; /* pid -> struct proc_state */
	struct hook hooks[MAX_HOOKS];
	uint64_t counts[ALERT__COUNT];
	uint64_t hooks_dropped;
	/* The storm limits: one window for all, its alerts by uid (uid -> struct storm_user). */
	struct hmap storm;
	uint64_t storm_start_ns;
	uint32_t storm_sent;
	uint64_t suppressed[ALERT__COUNT]; /* in all, since the start */
	alert_summary_fn summary;
	void *summary_ctx;
	/*
	 * The fewest VMAs at which the lowest share-of-the-limit threshold is reached, for
	 * quiet_limit (alert_check_vmas: no division per record while every process is below).
	 */
	uint32_t quiet_limit, quiet_below;
	const struct config *quiet_cfg;
};

/* An alert's own members, written once for the alert and once for its incident. */
typedef void (*alert_members_fn)(struct jsonw *w, const void *arg);

struct proc_state *alert_state_get(struct alert_engine *ae, uint32_t pid);
/* Count, log, journal, append to the alert log and run the hook. */
void alert_emit(struct alert_engine *ae, enum alert_kind kind, uint32_t pid, const char *comm,
		const struct strbuf *json, const struct strbuf *incident,
		const struct strbuf *summary);
void alert_head_members(struct jsonw *w, enum alert_kind kind, uint32_t pid, const char *comm,
			const struct container *ctr, uint64_t mono_ns, long long off);
/* The log line's "comm[pid] (docker:web)": the container, when there is one. */
void alert_summary_who(struct strbuf *sum, const char *comm, const char *ids,
		       const struct container *ctr);
/*
 * The alert {members} into js, and the incident {members, "context":{...}}
 * into inc: two documents written whole, never one cut from the other.
 */
void alert_render(struct strbuf *js, struct strbuf *inc, alert_members_fn fn, const void *arg,
		  const struct model_proc *context, unsigned int max_events, long long off);

/* Start the alert_exec hook as hook_user, the alert's JSON on its stdin (alert_hook.c). */
void alert_run_hook(struct alert_engine *ae, enum alert_kind kind, uint32_t pid, const char *comm,
		    const char *json);
/* Reap the hooks that ended, kill those past alert_exec_timeout. */
void alert_hooks_reap(struct alert_engine *ae, uint64_t now);

#endif
