/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef VMATRACE_LOG_H
#define VMATRACE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* verbosity: 0 normal, 1 debug (-v), -1 errors only (-q). */
void log_init(const char *prog, int verbosity);
void log_set_max_level(enum log_level lvl);
/* "<N>" priority prefixes, for journald reading our stderr. */
void log_set_syslog_prefix(bool on);
/* Send to syslog(3) instead of stderr (a daemon without a terminal). */
void log_use_syslog(bool on);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);
bool log_enabled(enum log_level lvl);

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
