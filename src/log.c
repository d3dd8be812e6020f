// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Logging to stderr: "vmatrace: message" for people, "<N>message" when stderr
 * is journald's (it reads the priority), or to syslog when daemonized.
 */
#include <stdio.h>
#include <stdlib.h>
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

/*
 * One message is one line: a control byte that reached the text (a process
 * or file name somebody chose, pasted into a message) is written as \xNN,
 * so that it can neither start a line of its own (which journald would read
 * as a new entry with the "<N>" priority it carries) nor drive a terminal.
 * Untrusted names are escaped under untrusted.h's policy where the message is
 * composed; this is the last guard for every message, whatever its origin.
 */
static void put_line(FILE *f, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(msg);

	if (len && msg[len - 1] == '\n')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = msg[i];

		if (c < 0x20 && c != '\t') {
			fputc('\\', f);
			fputc('x', f);
			fputc(hex[c >> 4], f);
			fputc(hex[c & 15], f);
		} else if (c == 0x7f) {
			fputs("\\x7f", f);
		} else {
			fputc(c, f);
		}
	}
	fputc('\n', f);
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	const char *tag = "";
	char small[1024], *msg = small;
	va_list copy;
	int n;

	if (!log_enabled(lvl))
		return;
	va_copy(copy, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		msg = malloc((size_t)n + 1);
		if (msg)
			vsnprintf(msg, (size_t)n + 1, fmt, copy);
		else
			msg = small; /* truncated rather than lost */
	}
	va_end(copy);
	if (n < 0)
		snprintf(small, sizeof(small), "(cannot format the message \"%s\")", fmt);
	if (log_to_syslog) {
		char *line = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&line, &len);

		if (f) {
			put_line(f, msg);
			fclose(f);
		}
		if (line && len)
			line[len - 1] = 0;
		syslog((int)lvl, "%s", line ? line : "(out of memory)");
		free(line);
	} else {
		if (log_syslog_prefix) {
			fprintf(stderr, "<%d>", (int)lvl);
		} else {
			if (lvl == LOG_LVL_ERR)
				tag = "error: ";
			else if (lvl == LOG_LVL_WARN)
				tag = "warning: ";
			fprintf(stderr, "%s: %s", log_prog, tag);
		}
		put_line(stderr, msg);
	}
	if (msg != small)
		free(msg);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}
