/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The daemon's settings: built-in defaults, then /etc/vmatrace/vmatrace.conf
 * (`key = value`, `#` comments), then command-line flags (--key-name VALUE).
 * Every key is documented in vmatrace.conf(5) and in `vmatrace daemon --help`.
 */
#ifndef VMATRACE_CONFIG_H
#define VMATRACE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH "/etc/vmatrace/vmatrace.conf"
#define CONFIG_MAX_LIST 16
#define CONFIG_PATH_MAX 256
#define CONFIG_DEFAULT_GROWTH_WINDOW_NS 60000000000ull /* a minute */

struct config {
	/* control socket */
	char socket[CONFIG_PATH_MAX];
	/* tracing */
	uint64_t ringbuf_size;
	char trace_comm[CONFIG_MAX_LIST][16]; /* only these comms (empty: every process) */
	int n_trace_comm;
	uint32_t trace_pid[CONFIG_MAX_LIST];
	int n_trace_pid;
	char trace_cgroup[CONFIG_MAX_LIST][CONFIG_PATH_MAX]; /* cgroup path prefixes */
	int n_trace_cgroup;
	/* model */
	uint64_t timeline_resolution_ns;
	uint32_t timeline_points;
	uint32_t flight_recorder;
	uint64_t memory_limit;
	/* journal */
	char journal_dir[CONFIG_PATH_MAX];
	uint64_t journal_segment_size;
	uint64_t journal_retain_size;
	uint64_t journal_retain_age_s;
	uint64_t journal_flush_interval_ns;
	int journal_fsync;   /* enum journal_fsync */
	int journal_on_full; /* enum journal_full */
	bool journal_raw_events;
	/* alerts */
	double alert_thresholds[CONFIG_MAX_LIST]; /* percent of vm.max_map_count, ascending */
	int n_alert_thresholds;
	uint32_t alert_vma_counts[CONFIG_MAX_LIST]; /* absolute VMA counts, ascending */
	int n_alert_vma_counts;
	double alert_hysteresis; /* percentage points below a threshold to re-arm it */
	int alert_errnos[CONFIG_MAX_LIST];
	int n_alert_errnos;
	bool alert_oom;
	char alert_log[CONFIG_PATH_MAX];  /* JSON lines; empty: off */
	char alert_exec[CONFIG_PATH_MAX]; /* hook program; empty: off */
	char hook_user[CONFIG_PATH_MAX];  /* the hook runs as this user, without capabilities */
	uint64_t alert_exec_timeout_ns;
	uint64_t alert_failure_interval_ns; /* at most one alloc_failure alert per process/call/errno */
	uint32_t alert_user_limit;	    /* alerts a minute from one uid (0: no limit) */
	uint32_t alert_limit;		    /* alerts a minute in all (0: no limit) */
	uint64_t alert_log_size;	    /* rotate the alert log past this (0: never) */
	/* call sites */
	uint64_t stack_window;	    /* bytes of stack per sampled call; 0: no call sites */
	uint32_t site_sample_every; /* one VMA-changing call in this many gets a stack */
	double site_all_above;	    /* percent of vm.max_map_count: above it, every call */
	uint32_t sites_per_process; /* call sites kept per process (the heaviest) */
	/* daemon */
	uint64_t growth_window_ns; /* rates over this trailing window, ending now */
	uint64_t status_interval_ns;
	int log_level; /* enum log_level */
	/* fleet */
	char metrics_listen[CONFIG_PATH_MAX]; /* host:port; empty: off */
	char textfile_dir[CONFIG_PATH_MAX];   /* node_exporter textfile collector; empty: off */
	uint64_t textfile_interval_ns;
	uint32_t metrics_top;
};

void config_defaults(struct config *c);
/*
 * Set one key from text; `where` names the origin for errors ("file:12" or
 * "--flag"). 0, or -EINVAL with a message in err.
 */
int config_set(struct config *c, const char *key, const char *value, const char *where, char *err,
	       size_t errlen);
/* Apply a file; a missing file is an error only if `must_exist`. */
int config_load_file(struct config *c, const char *path, bool must_exist, char *err, size_t errlen);
/* Is this a known key? (command-line flags are keys with '-' for '_') */
bool config_is_key(const char *key);
/* The documented keys, for --help and the man page: NULL-terminated {key, help} pairs. */
const char *const *config_key_help(void);

#endif
