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
/*
 * The one duration grammar, on the command line and in the configuration: a
 * decimal number, then ms, s, m, h, d or w; a bare number is seconds.
 * "500ms" -> 0.5, "90s", "1.5m" -> 90, "2h", "1d", "1w" -> 604800.
 */
bool cli_parse_seconds(const char *s, double *out);
/* For error messages: what cli_parse_seconds() takes. */
#define CLI_DURATION_HELP "e.g. 500ms, 90s, 5m, 2h, 1d, 1w; a bare number is seconds"

#endif
