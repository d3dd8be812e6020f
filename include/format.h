/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Turning ring-buffer records into strace-like text lines or JSON lines. */
#ifndef VMATRACE_FORMAT_H
#define VMATRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include "strbuf.h"
#include "vmatrace.h"

struct format_opts {
	bool json;
	bool utc;		      /* text timestamps in UTC instead of local time */
	long long realtime_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

struct jsonw;

/* What the caller knows beyond the record itself. */
struct format_extra {
	unsigned long max_map_count; /* live vm.max_map_count */
	unsigned long long prev_brk; /* the process's break before this call */
	bool prev_brk_known;
	/* The caller's own members of a syscall's JSON object, written before it closes. */
	void (*json_members)(struct jsonw *w, void *ctx);
	void *ctx;
};

/* Capture the clock offset once, at start. */
long long format_realtime_offset(void);

/*
 * Append one line (with its newline) for a record; returns 0, or -1 for a
 * record that is not printed (VMA records of an exec walk, unknown types).
 */
int format_record(struct strbuf *sb, const struct format_opts *fo, const void *data, size_t size,
		  const struct format_extra *ex);

/* A line that says records were lost, where it happened. */
void format_drops(struct strbuf *sb, const struct format_opts *fo, unsigned long long ts_ns,
		  unsigned long long dropped, unsigned long long total);

/* Microseconds since the epoch for a CLOCK_MONOTONIC time. */
long long format_real_us(const struct format_opts *fo, unsigned long long mono_ns);
/* Timestamp: "12:00:01.123456" (text) or seconds since the epoch (JSON). */
void format_ts(struct strbuf *sb, const struct format_opts *fo, unsigned long long mono_ns);

#endif
