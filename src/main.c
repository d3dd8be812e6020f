// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vmatrace: one binary, subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

#include "version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmatrace COMMAND [options]\n"
		"\n"
		"Trace the memory mappings (VMAs) and heap break of Linux processes with eBPF.\n"
		"\n"
		"commands:\n"
		"  trace      live tracing of mmap/munmap/brk/... (like strace -f -e trace=memory)\n"
		"  daemon     trace every process and keep a live model of each address space\n"
		"  status     processes ranked by VMA count, and the daemon's health\n"
		"  snapshot   a process's VMAs as the model sees them (/proc/PID/maps format)\n"
		"  timeline   a process's VMA count, mapped bytes and heap over time\n"
		"  sites      the call sites behind a process's VMAs (by VMAs made, by bytes, failures)\n"
		"  metrics    the daemon's Prometheus metrics (also served on metrics_listen)\n"
		"  reload     make the daemon read its configuration again; fails if it is rejected\n"
		"  report     history from the journal: incidents, OOM kills, timelines (text, json, csv, svg, html)\n"
		"  version    print the version\n"
		"\n"
		"Run 'vmatrace COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	log_init("vmatrace", 0);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "trace"))
		return cli_trace(argc - 1, argv + 1);
	if (!strcmp(argv[1], "daemon"))
		return cli_daemon(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return cli_report(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status") || !strcmp(argv[1], "snapshot") ||
	    !strcmp(argv[1], "timeline") || !strcmp(argv[1], "metrics") ||
	    !strcmp(argv[1], "sites") || !strcmp(argv[1], "reload"))
		return cli_query(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("vmatrace %s\n", VMATRACE_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	log_err("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
