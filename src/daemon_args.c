// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `vmatrace daemon`'s command line (every configuration key is also a flag) and
 * what start-up does to the process: detaching, the journald check, the socket's directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"

static void usage(FILE *f)
{
	const char *const *kh = config_key_help();

	fprintf(f,
		"usage: vmatrace daemon [-c FILE] [--check-config] [--foreground] [-v] [--KEY VALUE...]\n"
		"\n"
		"Trace every process, keep an exact model of each address space, raise alerts\n"
		"(VMA count against vm.max_map_count, failed calls, OOM kills), keep history in\n"
		"a journal, and serve 'vmatrace status/snapshot/timeline' on a control socket.\n"
		"\n"
		"  -c, --config FILE   configuration file (default " CONFIG_DEFAULT_PATH
		", optional)\n"
		"  --check-config      validate the configuration and exit\n"
		"  --foreground        do not detach (systemd, make run); logs go to stderr\n"
		"  -v, --verbose       debug logging\n"
		"\n"
		"Every configuration key is also a flag, '_' spelled '-' (see vmatrace.conf(5)):\n");
	for (; *kh; kh += 2) {
		char flag[64];

		snprintf(flag, sizeof(flag), "--%s", kh[0]);
		for (char *c = flag; *c; c++)
			if (*c == '_')
				*c = '-';
		fprintf(f, "  %-26s %s\n", flag, kh[1]);
	}
}

int daemon_parse_args(struct daemon *d, int argc, char **argv)
{
	d->config_path = CONFIG_DEFAULT_PATH;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char key[64], *eq;
		const char *value;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			d->verbosity++;
		} else if (!strcmp(a, "--foreground")) {
			d->foreground = true;
		} else if (!strcmp(a, "--check-config")) {
			d->check_only = true;
		} else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (++i == argc) {
				log_err("%s needs a file", a);
				return -1;
			}
			d->config_path = argv[i];
			d->config_explicit = true;
		} else if (!strncmp(a, "--", 2) && strlen(a) < sizeof(key) + 2) {
			snprintf(key, sizeof(key), "%s", a + 2);
			eq = strchr(key, '=');
			if (eq)
				*eq = 0;
			for (char *c = key; *c; c++)
				if (*c == '-')
					*c = '_';
			if (!config_is_key(key)) {
				log_err("unknown option '%s' (vmatrace daemon --help lists them)",
					a);
				return -1;
			}
			if (eq) {
				value = strchr(a, '=') + 1;
			} else if (i + 1 < argc) {
				value = argv[++i];
			} else {
				log_err("%s needs a value", a);
				return -1;
			}
			if (d->nflags == DAEMON_MAX_FLAGS) {
				log_err("too many options");
				return -1;
			}
			snprintf(d->flags[d->nflags].key, sizeof(d->flags[0].key), "%s", key);
			d->flags[d->nflags].value = value;
			snprintf(d->flags[d->nflags].where, sizeof(d->flags[0].where), "--%.60s",
				 a + 2);
			d->nflags++;
		} else {
			log_err("unexpected argument '%s'", a);
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

/* ---- start-up ---- */

int daemon_detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	setsid();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (chdir("/"))
		return -errno;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	log_use_syslog(true);
	return 0;
}

/* Is stderr the journal's stream (systemd sets JOURNAL_STREAM=dev:ino)? */
bool daemon_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st))
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

int daemon_make_socket_dir(const char *sock)
{
	char dir[CONFIG_PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", sock);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}
