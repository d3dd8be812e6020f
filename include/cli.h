/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Subcommands and the argument helpers they share. */
#ifndef VMATRACE_CLI_H
#define VMATRACE_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes: 0 ok, 1 failure at run time, 2 bad usage or unusable environment. */
#define EXIT_USAGE 2

int cli_trace(int argc, char **argv);
int cli_daemon(int argc, char **argv);
/* vmatrace report: history from the journal. */
int cli_report(int argc, char **argv);
/* status, snapshot, timeline: argv[0] is the command. */
int cli_query(int argc, char **argv);

/* "8M", "64k", "1048576", "1G" -> bytes. */
bool cli_parse_size(const char *s, size_t *out);
/* "10", "1.5", "2m", "500ms" -> seconds. */
bool cli_parse_seconds(const char *s, double *out);

#endif
