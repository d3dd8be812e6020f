// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vmatrace: one binary, subcommands. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kfeatures.h"
#include "log.h"
#include "strbuf.h"
#include "sysinfo.h"
#include "tracer.h"
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
		"  version    print the version (-v: the kernel's features and vmatrace's fallbacks)\n"
		"\n"
		"Run 'vmatrace COMMAND --help' for a command's options.\n");
}

/* -v: the kernel's features that vmatrace uses, and what it does without each. */
static int print_version(bool verbose)
{
	struct kfeatures kf;
	struct strbuf sb;

	printf("vmatrace %s\n", VMATRACE_VERSION);
	if (!verbose)
		return 0;
	sb_init(&sb);
	if (!tracer_probe_kernel(&kf))
		sb_puts(&sb,
			"no kernel BTF (/sys/kernel/btf/vmlinux): vmatrace cannot load here\n");
	printf("kernel %s, features:\n", sys_kernel_release());
	kfeatures_format(&kf, &sb);
	sb_write(&sb, stdout);
	sb_free(&sb);
	return 0;
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
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version"))
		return print_version(argc > 2 &&
				     (!strcmp(argv[2], "-v") || !strcmp(argv[2], "--verbose")));
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	log_err("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
