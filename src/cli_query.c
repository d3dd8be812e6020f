// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `vmatrace status | snapshot | timeline`: ask the daemon over its control socket. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ctl.h"
#include "log.h"
#include "sysinfo.h"

static void usage(FILE *f, const char *cmd)
{
	if (!strcmp(cmd, "status"))
		fprintf(f,
			"usage: vmatrace status [--socket PATH] [--json] [--top N | --all]\n\n"
			"Processes ranked by VMA count (percent of vm.max_map_count, growth per\n"
			"second, heap and its high-water mark) and the tracer's health.\n");
	else if (!strcmp(cmd, "snapshot"))
		fprintf(f,
			"usage: vmatrace snapshot -p PID [--census] [--json] [--socket PATH]\n\n"
			"The model's VMAs of PID in /proc/PID/maps format (diff it against the\n"
			"kernel's), or with --census a summary by kind and size. --json: one\n"
			"JSON object, the VMAs as {start, end, size, perms, offset, dev, inode,\n"
			"name, kind} (or the census as JSON).\n");
	else if (!strcmp(cmd, "sites"))
		fprintf(f,
			"usage: vmatrace sites -p PID [--json] [--top N] [--socket PATH]\n\n"
			"The call sites behind PID's VMAs, from the daemon's sampled stacks: the\n"
			"top N (default 20) stacks by net VMAs made and by bytes mapped, each with\n"
			"its calls (weighted by the sampling) and failures, and the failed calls\n"
			"by site.\n");
	else if (!strcmp(cmd, "metrics"))
		fprintf(f,
			"usage: vmatrace metrics [--socket PATH]\n\n"
			"The daemon's metrics in Prometheus text format, as /metrics serves them.\n");
	else if (!strcmp(cmd, "reload"))
		fprintf(f,
			"usage: vmatrace reload [--socket PATH]\n\n"
			"Make the daemon read its configuration again and wait for the answer:\n"
			"exit status 1 with the reason when it rejects the new configuration (it\n"
			"keeps the running one), 0 when it took it. systemd's ExecReload.\n");
	else
		fprintf(f, "usage: vmatrace timeline -p PID [--json] [--socket PATH]\n\n"
			   "The consolidated timeline of PID: per interval, VMA count (min, max,\n"
			   "last), mapped bytes, heap size, calls and failures.\n");
}

int cli_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' }, { "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },	    { "census", no_argument, NULL, 'c' },
		{ "top", required_argument, NULL, 't' },    { "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },	    { 0 },
	};
	const char *cmd = argv[0], *socket = CTL_DEFAULT_SOCKET;
	char req[CTL_MAX_REQUEST];
	bool json = false, census = false, all = false;
	long top = 20;
	pid_t pid = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "p:jcS:h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			socket = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'c':
			census = true;
			break;
		case 'a':
			all = true;
			break;
		case 'p':
			if (!sys_parse_pid(optarg, &pid)) {
				log_err("invalid pid '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			top = strtol(optarg, &end, 10);
			if (*end || top <= 0) {
				log_err("invalid --top '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout, cmd);
			return 0;
		default:
			usage(stderr, cmd);
			return EXIT_USAGE;
		}
	}
	if (!strcmp(cmd, "metrics") || !strcmp(cmd, "reload"))
		return ctl_request(socket, cmd, stdout);
	if (strcmp(cmd, "status") && !pid) {
		log_err("%s needs -p PID", cmd);
		usage(stderr, cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "status"))
		snprintf(req, sizeof(req), "status%s%s", json ? " json" : "", all ? " all" : "");
	else
		snprintf(req, sizeof(req), "%s %d%s%s", cmd, (int)pid, census ? " census" : "",
			 json ? " json" : "");
	if ((!strcmp(cmd, "status") && !all) || !strcmp(cmd, "sites")) {
		size_t l = strlen(req);

		snprintf(req + l, sizeof(req) - l, " top=%ld", top);
	}
	return ctl_request(socket, req, stdout);
}
