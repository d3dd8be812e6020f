/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `vmatrace trace`'s command line: its options, checked, and its help. */
#ifndef VMATRACE_CLI_TRACE_ARGS_H
#define VMATRACE_CLI_TRACE_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "trace_stacks.h"

#define MAX_PIDS 64

struct trace_args {
	pid_t pids[MAX_PIDS];
	int npids;
	bool follow;
	bool all;
	bool errors_only;
	bool json;
	enum stack_mode stack;
	size_t stack_window;
	bool model;
	bool quiet_summary;
	const char *output;
	double duration;
	double summary_interval;
	size_t ringbuf_bytes;
	char **command;
};

/*
 * Parse argv into a (zeroed by the caller); -v raises *verbosity. Returns 0, or -1 after
 * saying what is wrong; --help prints the help and exits 0.
 */
int trace_parse_args(int argc, char **argv, struct trace_args *a, int *verbosity);

#endif
