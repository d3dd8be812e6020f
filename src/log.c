// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Logging to stderr: "vmatrace: message" for people, "<N>message" when stderr
 * is journald's (it reads the priority), or to syslog when daemonized.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char *log_prog = "vmatrace";
static enum log_level log_max = LOG_LVL_INFO;
static bool log_syslog_prefix;
static bool log_to_syslog;

void log_init(const char *prog, int verbosity)
{
	if (prog)
		log_prog = prog;
	log_max = verbosity > 0 ? LOG_LVL_DEBUG : verbosity < 0 ? LOG_LVL_ERR : LOG_LVL_INFO;
}

void log_set_max_level(enum log_level lvl)
{
	log_max = lvl;
}

void log_set_syslog_prefix(bool on)
{
	log_syslog_prefix = on;
}

void log_use_syslog(bool on)
{
	if (on && !log_to_syslog)
		openlog(log_prog, LOG_PID, LOG_DAEMON);
	else if (!on && log_to_syslog)
		closelog();
	log_to_syslog = on;
}

bool log_enabled(enum log_level lvl)
{
	return lvl <= log_max;
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	const char *tag = "";

	if (!log_enabled(lvl))
		return;
	if (log_to_syslog) {
		vsyslog((int)lvl, fmt, ap);
		return;
	}
	if (log_syslog_prefix) {
		fprintf(stderr, "<%d>", (int)lvl);
	} else {
		if (lvl == LOG_LVL_ERR)
			tag = "error: ";
		else if (lvl == LOG_LVL_WARN)
			tag = "warning: ";
		fprintf(stderr, "%s: %s", log_prog, tag);
	}
	vfprintf(stderr, fmt, ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}
