// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `vmatrace report`: what the journal remembers: incidents (alerts, failed
 * calls, OOM kills) and each process's VMA count, mapped bytes and heap over
 * time, as text, JSON, CSV, SVG charts or a self-contained HTML page. This
 * file is the command: its options, and which renderer (report_*.c) runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "cli.h"
#include "log.h"
#include "report.h"
#include "report_util.h"
#include "sysinfo.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmatrace report [--journal-dir DIR] [-p PID | --comm NAME]\n"
		"                       [--container ID|NAME] [--since T] [--until T]\n"
		"                       [--top N | --all]\n"
		"                       [--format text|json|csv|svg|html] [--csv points|incidents]\n"
		"                       [-o FILE]\n"
		"\n"
		"History from the daemon's journal: incidents (VMA-count alerts, failed calls,\n"
		"OOM kills) and each process's VMA count, mapped bytes and heap over time.\n"
		"Every format shows the same processes: by default every process with an\n"
		"incident and the top 10 by peak share of vm.max_map_count (and says how\n"
		"many of how many it shows); with -p, --comm or --container, every one that\n"
		"matches.\n"
		"\n"
		"  -d, --journal-dir DIR  the journal (default " REPORT_DEFAULT_DIR ")\n"
		"  -p, --pid PID          only this process\n"
		"  -c, --comm NAME        only processes with this name\n"
		"      --container SEL    only processes of this container: its id (or 4+ first\n"
		"                         hex digits), its name, its unit, or its pod's UID\n"
		"  -s, --since T          records at or after T (and the values held at T)\n"
		"  -u, --until T          records at or before T\n"
		"  -n, --top N            the top N by peak share of the limit, besides those\n"
		"                         with an incident (default 10)\n"
		"  -a, --all              every process\n"
		"  -f, --format FMT       text (default), json, csv, svg or html\n"
		"      --csv WHAT         csv: points (default: one row per timeline point) or\n"
		"                         incidents (one row per alert, failed call, OOM kill)\n"
		"  -o, --output FILE      write there (replaced atomically) instead of stdout\n"
		"      --sites            text: the call sites (frames) under each incident\n"
		"\n"
		"T is 'YYYY-MM-DD HH:MM[:SS]' (local time), 'YYYY-MM-DDTHH:MM:SS[Z]', unix\n"
		"seconds, or relative: -90s, -30m, -2h, -1d (ago).\n");
}

enum report_format { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_SVG, FMT_HTML };
enum { OPT_CSV = 256, OPT_SITES, OPT_CONTAINER };

int cli_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "journal-dir", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "top", required_argument, NULL, 'n' },
		{ "all", no_argument, NULL, 'a' },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "sites", no_argument, NULL, OPT_SITES },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct report_filter f = { .dir = REPORT_DEFAULT_DIR };
	struct report_svg_opts so = { 0 };
	enum report_format fmt = FMT_TEXT;
	bool fmt_given = false, csv_incidents = false;
	const char *output = NULL;
	time_t now = time(NULL);
	struct report r;
	struct strbuf sb;
	struct stat st;
	pid_t pid;
	char *end;
	long top;
	int c, err, ret = 0;
	bool show_sites = false;

	optind = 0; /* getopt starts afresh when a test calls us more than once */
	while ((c = getopt_long(argc, argv, "d:p:c:s:u:f:o:n:ah", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			f.dir = optarg;
			break;
		case 'p':
			if (!sys_parse_pid(optarg, &pid)) {
				log_err("invalid pid '%s'", optarg);
				return EXIT_USAGE;
			}
			f.pid = pid;
			break;
		case 'c':
			if (!*optarg || strlen(optarg) >= JOURNAL_COMM_LEN) {
				log_err("invalid --comm '%s' (a process name has 1 to %d bytes)",
					optarg, JOURNAL_COMM_LEN - 1);
				return EXIT_USAGE;
			}
			f.comm = optarg;
			break;
		case OPT_CONTAINER:
			if (!*optarg) {
				log_err("invalid --container '': give an id, a name or a pod UID");
				return EXIT_USAGE;
			}
			f.container = optarg;
			break;
		case 's':
		case 'u':
			if (!report_parse_time(optarg, now, c == 's' ? &f.since_ns : &f.until_ns)) {
				log_err("invalid time '%s' for --%s: use 'YYYY-MM-DD HH:MM[:SS]', "
					"'YYYY-MM-DDTHH:MM:SS[Z]', unix seconds or -30m/-2h/-1d",
					optarg, c == 's' ? "since" : "until");
				return EXIT_USAGE;
			}
			break;
		case 'f':
			fmt_given = true;
			if (!strcmp(optarg, "text"))
				fmt = FMT_TEXT;
			else if (!strcmp(optarg, "json"))
				fmt = FMT_JSON;
			else if (!strcmp(optarg, "csv"))
				fmt = FMT_CSV;
			else if (!strcmp(optarg, "svg"))
				fmt = FMT_SVG;
			else if (!strcmp(optarg, "html"))
				fmt = FMT_HTML;
			else {
				log_err("unknown format '%s': use text, json, csv, svg or html",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'n':
			top = strtol(optarg, &end, 10);
			if (!*optarg || *end || top <= 0 || top > 100000) {
				log_err("invalid --top '%s': expected 1 to 100000", optarg);
				return EXIT_USAGE;
			}
			f.top = top;
			break;
		case 'a':
			f.all = true;
			break;
		case OPT_CSV:
			if (!strcmp(optarg, "points")) {
				csv_incidents = false;
			} else if (!strcmp(optarg, "incidents")) {
				csv_incidents = true;
			} else {
				log_err("unknown --csv '%s': use points or incidents", optarg);
				return EXIT_USAGE;
			}
			if (!fmt_given)
				fmt = FMT_CSV;
			break;
		case OPT_SITES:
			show_sites = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (f.all && f.top) {
		log_err("--all and --top choose differently: give one");
		return EXIT_USAGE;
	}
	if (fmt != FMT_CSV && csv_incidents) {
		log_err("--csv incidents is for --format csv");
		return EXIT_USAGE;
	}
	if (f.since_ns && f.until_ns && f.since_ns > f.until_ns) {
		log_err("--since is later than --until: nothing can match");
		return EXIT_USAGE;
	}
	if (stat(f.dir, &st) || !S_ISDIR(st.st_mode)) {
		/* errno only when stat failed: a file that exists is simply not a directory. */
		int e = stat(f.dir, &st) ? errno : ENOTDIR;

		log_err("cannot read journal directory %s: %s (is the daemon's journal elsewhere? "
			"use --journal-dir)",
			f.dir, strerror(e));
		return EXIT_USAGE;
	}
	err = report_load(&r, &f);
	if (err) {
		log_err("cannot read journal %s: %s", f.dir, strerror(-err));
		return err == -ENOENT || err == -EACCES || err == -ENOTDIR ? EXIT_USAGE : 1;
	}
	if (r.rs.other_version) {
		struct strbuf why;

		sb_init(&why);
		report_version_text(&why, &r.rs);
		log_warn("%s: %s", f.dir, why.buf ? why.buf : "other format version");
		sb_free(&why);
	}
	if (!r.matched) {
		log_info("no records match in %s (%llu records read%s)", f.dir,
			 (unsigned long long)r.rs.records,
			 r.rs.damaged_blocks ? ", some blocks damaged" : "");
		report_free(&r);
		return 0;
	}
	sb_init(&sb);
	switch (fmt) {
	case FMT_TEXT:
		r.show_sites = show_sites;
		report_text(&r, &sb);
		break;
	case FMT_JSON:
		report_json(&r, &sb);
		break;
	case FMT_CSV:
		if (csv_incidents)
			report_csv_incidents(&r, &sb);
		else
			report_csv(&r, &sb);
		break;
	case FMT_SVG:
		report_svg(&r, &so, &sb);
		break;
	case FMT_HTML:
		report_html(&r, &so, &sb);
		break;
	}
	if (sb.oom) {
		log_err("out of memory while formatting the report");
		ret = 1;
	} else if (output) {
		/* 0666 less the umask: a report is as readable as any file the user creates. */
		err = atomic_write_file(output, sb.buf ? sb.buf : "", sb.len, 0666, 0);
		if (err) {
			log_err("cannot write %s: %s", output, strerror(-err));
			ret = 1;
		}
	} else if (sb_write(&sb, stdout) || fflush(stdout)) {
		log_err("cannot write the report to stdout: %s", strerror(errno));
		ret = 1;
	}
	sb_free(&sb);
	report_free(&r);
	return ret;
}
