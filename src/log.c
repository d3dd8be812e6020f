// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Logging to stderr: "vmatrace: message", or "<N>message" for journald. */
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *log_prog = "vmatrace";
static int log_verbosity;
static bool log_syslog_prefix;

void log_init(const char *prog, int verbosity)
{
	if (prog)
		log_prog = prog;
	log_verbosity = verbosity;
}

void log_set_syslog_prefix(bool on)
{
	log_syslog_prefix = on;
}

bool log_enabled(enum log_level lvl)
{
	if (lvl == LOG_LVL_DEBUG)
		return log_verbosity > 0;
	if (lvl == LOG_LVL_INFO || lvl == LOG_LVL_WARN)
		return log_verbosity >= 0;
	return true;
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	const char *tag = "";

	if (!log_enabled(lvl))
		return;
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
