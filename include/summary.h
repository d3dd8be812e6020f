/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What `vmatrace trace` counts while it runs, and its closing summary. */
#ifndef VMATRACE_SUMMARY_H
#define VMATRACE_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>
#include "hmap.h"
#include "strbuf.h"
#include "vmatrace.h"

#define SUMMARY_MAX_ERRNO 134

struct summary_proc {
	unsigned int tgid;
	char comm[VMT_COMM_LEN];
	bool brk_known;
	unsigned long long start_brk;
	unsigned long long first_brk; /* heap break when we first saw the process */
	unsigned long long last_brk;
	unsigned long long max_brk;
	unsigned int last_vmas;
	unsigned int peak_vmas;
	unsigned long long calls;
	unsigned long long failures;
};

struct summary {
	unsigned long long calls[VMT_SYS__COUNT];
	unsigned long long failures[VMT_SYS__COUNT];
	unsigned long long failures_by_errno[VMT_SYS__COUNT][SUMMARY_MAX_ERRNO];
	unsigned long long records, forks, execs, exits, ooms;
	unsigned long long dropped;
	unsigned int peak_vmas;
	unsigned int peak_tgid;
	char peak_comm[VMT_COMM_LEN];
	unsigned long long first_ts, last_ts;
	struct hmap procs; /* tgid -> struct summary_proc */
	unsigned long nprocs_seen;
	/* Processes that exited are kept for the summary, up to this many (then freed). */
	unsigned long keep_exited;
	struct summary_proc **exited;
	unsigned long nexited;
};

void summary_init(struct summary *s, unsigned long keep_exited);
void summary_free(struct summary *s);
/* Account one record; fills *prev_brk with the break before it (if known). */
void summary_add(struct summary *s, const void *data, size_t size, unsigned long long *prev_brk,
		 bool *prev_brk_known);
struct summary_proc *summary_proc(struct summary *s, unsigned int tgid);
void summary_print_text(const struct summary *s, FILE *f, unsigned long max_map_count);
void summary_json(const struct summary *s, struct strbuf *sb, unsigned long max_map_count);

#endif
