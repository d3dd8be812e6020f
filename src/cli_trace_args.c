// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `vmatrace trace`'s command line (cli_trace.c runs the session). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_trace_args.h"
#include "log.h"
#include "sysinfo.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmatrace trace [options] -p PID [-p PID...]\n"
		"       vmatrace trace [options] -- COMMAND [ARGS...]\n"
		"       vmatrace trace [options] -a\n"
		"\n"
		"Print every call that changes a process's memory mappings or heap break\n"
		"(mmap, munmap, brk, mremap, mprotect, madvise, mlock..., shmat, shmdt...),\n"
		"with decoded flags, errno names and the VMA count after the call.\n"
		"\n"
		"  -p, --pid PID          trace this process (any thread id selects its process)\n"
		"  -f, --follow           also trace children forked by traced processes\n"
		"  -a, --all              trace every process on the system\n"
		"  -e, --errors           print only calls that failed\n"
		"  -j, --json             JSON lines instead of text\n"
		"  -o, --output FILE      write the trace to FILE instead of stdout\n"
		"  -d, --duration SECS    stop after SECS (accepts 500ms, 10s, 2m)\n"
		"  -k, --stack[=MODE]     the user stack of each call, like strace -k; MODE dwarf\n"
		"                         (default: unwinds with the files' DWARF CFI, as perf\n"
		"                         --call-graph dwarf) or fp (frame pointers: cheaper, but\n"
		"                         code built without them shows one or two frames)\n"
		"      --stack-window SIZE  bytes of stack copied per call for dwarf (default 16K,\n"
		"                         at most 64K; deeper frames are cut and said so)\n"
		"  -m, --model            keep the VMA model: each VMA's kind on its line, and a\n"
		"                         census of each process when it exits\n"
		"  -s, --summary-interval SECS  print a summary to stderr every SECS\n"
		"      --no-summary       do not print the closing summary\n"
		"      --ringbuf-size SIZE   ring buffer size (default 16M; K/M/G suffixes)\n"
		"  -v, --verbose          debug output (libbpf, verifier)\n"
		"  -h, --help             this help\n"
		"\n"
		"Stops when every traced process has exited, on Ctrl-C, or after --duration,\n"
		"and prints a summary: calls by syscall, failures, peak VMA count, heap growth,\n"
		"records dropped.\n");
}

int trace_parse_args(int argc, char **argv, struct trace_args *a, int *verbosity)
{
	enum { OPT_RINGBUF = 256, OPT_NO_SUMMARY, OPT_STACK_WINDOW };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "follow", no_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ "errors", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "stack", optional_argument, NULL, 'k' },
		{ "stack-window", required_argument, NULL, OPT_STACK_WINDOW },
		{ "model", no_argument, NULL, 'm' },
		{ "summary-interval", required_argument, NULL, 's' },
		{ "no-summary", no_argument, NULL, OPT_NO_SUMMARY },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	/* '+': stop at the first non-option, so the command's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+p:faejo:d:kms:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': {
			pid_t pid;

			if (!sys_parse_pid(optarg, &pid)) {
				log_err("invalid pid '%s': expected a positive number", optarg);
				return -1;
			}
			if (a->npids == MAX_PIDS) {
				log_err("too many -p options (at most %d)", MAX_PIDS);
				return -1;
			}
			a->pids[a->npids++] = pid;
			break;
		}
		case 'f':
			a->follow = true;
			break;
		case 'a':
			a->all = true;
			break;
		case 'e':
			a->errors_only = true;
			break;
		case 'j':
			a->json = true;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'k':
			a->stack = trace_stacks_parse_mode(optarg);
			if (!a->stack) {
				log_err("invalid --stack '%s': expected dwarf or fp", optarg);
				return -1;
			}
			break;
		case OPT_STACK_WINDOW:
			if (!cli_parse_size(optarg, &a->stack_window) || a->stack_window < 512 ||
			    a->stack_window > VMT_USTACK_MAX) {
				log_err("invalid --stack-window '%s': expected 512 to 64K, e.g. 16K",
					optarg);
				return -1;
			}
			break;
		case 'm':
			a->model = true;
			break;
		case 'v':
			(*verbosity)++;
			break;
		case OPT_NO_SUMMARY:
			a->quiet_summary = true;
			break;
		case 'd':
			if (!cli_parse_seconds(optarg, &a->duration) || a->duration <= 0) {
				log_err("invalid --duration '%s': expected seconds, e.g. 10, 1.5, 500ms, 2m",
					optarg);
				return -1;
			}
			break;
		case 's':
			if (!cli_parse_seconds(optarg, &a->summary_interval) ||
			    a->summary_interval <= 0) {
				log_err("invalid --summary-interval '%s'", optarg);
				return -1;
			}
			break;
		case OPT_RINGBUF:
			if (!cli_parse_size(optarg, &a->ringbuf_bytes) || a->ringbuf_bytes < 4096 ||
			    a->ringbuf_bytes > (1ul << 30)) {
				log_err("invalid --ringbuf-size '%s': expected 4K to 1G, e.g. 16M",
					optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc)
		a->command = &argv[optind];
	if (!a->npids && !a->command && !a->all) {
		log_err("nothing to trace: give -p PID, -a, or -- COMMAND");
		usage(stderr);
		return -1;
	}
	if (a->all && (a->npids || a->command)) {
		log_err("-a traces every process: it does not combine with -p or a command");
		return -1;
	}
	return 0;
}
