/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The daemon's state, shared by its own files only: daemon.c (configuration,
 * record dispatch, start-up), daemon_args.c (the command line),
 * daemon_journal.c (what goes to the journal) and status.c (the control
 * socket's answers and the metrics' view). Other modules see none of it.
 */
#ifndef VMATRACE_DAEMON_H
#define VMATRACE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon_sites.h"
#include "alert.h"
#include "config.h"
#include "journal.h"
#include "metrics.h"
#include "model.h"
#include "privs.h"
#include "strbuf.h"

struct cgroup_fs;
struct container_names;
#include "vmatrace.h"

#define DAEMON_MAX_FLAGS 64
/* A quiet journal gets a heartbeat this often: how long values held is known to then. */
#define DAEMON_HEARTBEAT_NS 10000000000ull

struct daemon {
	struct config *cfg; /* the running configuration; replaced whole on reload */
	const char *config_path;
	bool config_explicit;
	struct {
		char key[64];
		const char *value;
		char where[72];
	} flags[DAEMON_MAX_FLAGS]; /* command-line settings, re-applied on every reload */
	int nflags;
	int verbosity;
	bool foreground, check_only, notify, journald, in_consume;
	uint64_t watchdog_usec;

	struct loop *loop;
	struct tracer *tracer;
	struct model *model;
	struct ctl_server *ctl;
	struct alert_engine *alerts;
	struct journal *journal;
	struct metrics *metrics;
	long long realtime_offset_ns;
	unsigned long long drops;
	unsigned long long drops_repaired; /* the drop count when lost processes were last read */
	uint64_t repairs_logged;
	uint64_t malformed; /* records shorter than their type (never from our BPF programs) */
	uint64_t resyncs_journaled, ooms;
	uint64_t journal_records, journal_quiet_since; /* for heartbeats (daemon_journal.c) */
	/* Events seen, by syscall, and failures by syscall and errno (for metrics). */
	uint64_t calls[VMT_SYS__COUNT];
	uint64_t failures[VMT_SYS__COUNT][METRICS_MAX_ERRNO];
	unsigned long max_map_count;
	uint64_t started_ns, next_flush, next_watchdog;
	uint64_t status_timer, status_interval_ns;
	struct daemon_sites sites;
	/* A journal that cannot open (disk full...) is opened again at each tick. */
	bool journal_down, journal_start_pending;
	int journal_start_nprocs;
	int journal_down_err;
	uint64_t journal_down_since_ns, journal_down_lost, journal_down_base, journal_open_outages;
	struct journal_stats journal_past; /* totals of the journals closed so far */
	struct privs_needs privs;	   /* what the capabilities kept after start-up allow */
	bool privs_dropped;
	int probe_pid;			   /* the process the capability probe reads */
	const struct cgroup_fs *cgroup_fs; /* where containers are read from (NULL: the host) */
	struct container_names *container_names; /* names read from runtimes' state (a cache) */
};

/* daemon.c */
/* Does the configuration select p (trace_pid, trace_comm, trace_cgroup)? */
bool daemon_selects(struct daemon *d, struct model_proc *p);
/*
 * p's container, read the first time it is asked for (from its cgroup file, else from the
 * path read at its exec when it is gone); NULL when it is in none.
 */
const struct container *daemon_container(struct daemon *d, struct model_proc *p);
/* An exec: p's container is read again when next asked (it may have moved before). */
void daemon_container_forget(struct model_proc *p);
/* The tracer's callback for each ring-buffer record (any bytes: checked first). */
int daemon_on_record(void *ctx, void *data, size_t size);
/* SIGHUP and the control socket's "reload": 0, or -errno with why in err (old one kept). */
int daemon_reload(struct daemon *d, char *err, size_t errlen);
/* Apply everything in the ring buffer now (not from within a record callback). */
void daemon_consume(struct daemon *d);

/* daemon_args.c: flags and the configuration file's path into d; 0 or -1 (logged). */
int daemon_parse_args(struct daemon *d, int argc, char **argv);
/* Fork into the background (without --foreground); 0 or -errno. */
int daemon_detach(void);
/* Is stderr the journal's stream (systemd sets JOURNAL_STREAM=dev:ino)? */
bool daemon_stderr_is_journal(void);
/* The control socket's directory; 0 or -errno. */
int daemon_make_socket_dir(const char *sock);

/* daemon_journal.c */
int daemon_open_journal(struct daemon *d);
/* The journal's totals across reopenings, records lost while it could not open included. */
void daemon_journal_totals(const struct daemon *d, struct journal_stats *out);
/* A JSON document as a record of that type, stamped now. */
void daemon_journal_json(struct daemon *d, uint16_t type, uint32_t pid, const char *comm,
			 const struct strbuf *json);
void daemon_journal_start(struct daemon *d, int nprocs);
/* The alert settings (JREC_CONFIG), which the report's plots draw: at start and each reload. */
void daemon_journal_config(struct daemon *d);
void daemon_journal_stop(struct daemon *d, int sig);
/*
 * A process's exit, with its failed calls by syscall and errno and its VMA count by kind
 * (census, or NULL), copied before the model forgot it.
 */
void daemon_journal_exit(struct daemon *d, const struct vmt_exit_rec *r,
			 const struct model_fail *fails, uint32_t nfails, uint64_t failures,
			 const uint32_t *census, const struct container *ctr);
/* The container of p, once read (JREC_CONTAINER): the report names and selects by it. */
void daemon_journal_container(struct daemon *d, const struct model_proc *p);
/* Drops and resyncs since the last call, and the journal's own errors (every tick). */
void daemon_journal_tick(struct daemon *d, const unsigned long long *stats);
/* The model's timeline points (model_config.on_point). */
void daemon_on_point(void *ctx, const struct model_proc *p, const struct tl_point *t);
/* The alert engine's records (alert_new's record function). */
/* An alert storm's summary (alert_set_summary): into the journal. */
void daemon_on_alert_summary(void *ctx, enum alert_kind kind, uint32_t uid, const char *json);
void daemon_on_alert(void *ctx, enum alert_kind kind, uint32_t pid, const char *comm,
		     const char *json, const char *incident);

/* status.c */
/* The control socket's requests (ctl_handler_fn). */
int daemon_handle_request(void *ctx, char *request, struct strbuf *out);
/* The status table (or JSON document), top processes (0: all). */
void daemon_status(struct daemon *d, struct strbuf *out, bool json, size_t top);
/* The metrics' view of d (metrics_view_fn). */
void daemon_metrics_view(void *ctx, struct metrics_view *v);

#endif
