/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The daemon's state, shared with the parts that plug into its loop (metrics). */
#ifndef VMATRACE_DAEMON_H
#define VMATRACE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "vmatrace.h"
#include "strbuf.h"

#define DAEMON_MAX_FLAGS 64
#define DAEMON_MAX_ERRNO 134

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

	struct tracer *tracer;
	struct model *model;
	struct ctl_server *ctl;
	struct alert_engine *alerts;
	struct journal *journal;
	int epfd;
	long long realtime_offset_ns;
	unsigned long long drops;
	uint64_t resyncs_journaled, ooms;
	/* Events seen, by syscall, and failures by syscall and errno (for metrics). */
	uint64_t calls[VMT_SYS__COUNT];
	uint64_t failures[VMT_SYS__COUNT][DAEMON_MAX_ERRNO];
	unsigned long max_map_count;
	uint64_t started_ns, next_flush, next_watchdog;

	/* Hooks for optional parts (metrics): NULL when absent. */
	int (*start_fn)(struct daemon *d);
	void (*stop_fn)(struct daemon *d);
	void (*tick_fn)(struct daemon *d, uint64_t now_ns);
	void (*reconfigure_fn)(struct daemon *d);
	void (*epoll_add_fn)(struct daemon *d);
	void (*fd_fn)(struct daemon *d, int fd, unsigned int events);
	void (*metrics_fn)(struct daemon *d, struct strbuf *out);
	void *metrics;
};

uint64_t daemon_mono_ns(void);
/* Plug the metrics endpoint and textfile writer into the daemon's hooks (src/metrics.c). */
void metrics_attach(struct daemon *d);
long daemon_rss_kib(void);
double daemon_cpu_seconds(void);
/* Selected processes ranked by VMA count; *out is malloc'd (free it). */
size_t daemon_ranked(struct daemon *d, struct model_proc ***out);

#endif
