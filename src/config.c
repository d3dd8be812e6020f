// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Parsing and validating the daemon's configuration: one table describes every key. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "ctl.h"
#include "decode.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "privs.h"

enum key_type {
	T_PATH,	      /* a string up to CONFIG_PATH_MAX; may be empty */
	T_SIZE,	      /* bytes, K/M/G suffixes */
	T_DURATION,   /* cli_parse_seconds(): a bare number is seconds; stored in ns */
	T_DURATION_S, /* the same, stored in whole seconds */
	T_U32,
	T_BOOL,
	T_PERCENTS, /* comma-separated percentages, ascending */
	T_COUNTS,   /* comma-separated VMA counts, ascending */
	T_ERRNOS,   /* comma-separated errno names */
	T_COMMS,
	T_PIDS,
	T_PATHS,
	T_DOUBLE,
	T_FSYNC,
	T_ONFULL,
	T_LOGLEVEL,
};

struct key_def {
	const char *name;
	enum key_type type;
	size_t off;
	size_t count_off; /* lists: where the element count lives */
	const char *help;
};

#define F(field) offsetof(struct config, field)
#define L(field) offsetof(struct config, field), offsetof(struct config, n_##field)
static const struct key_def keys[] = {
	{ "socket", T_PATH, F(socket), 0, "control socket path" },
	{ "ringbuf_size", T_SIZE, F(ringbuf_size), 0, "BPF ring buffer size (4K to 1G)" },
	{ "trace_comm", T_COMMS, L(trace_comm), "only processes with these names (comma list)" },
	{ "trace_pid", T_PIDS, L(trace_pid), "only these processes (comma list of pids)" },
	{ "trace_cgroup", T_PATHS, L(trace_cgroup), "only processes in cgroups under these paths" },
	{ "timeline_resolution", T_DURATION, F(timeline_resolution_ns), 0,
	  "time per timeline point" },
	{ "timeline_points", T_U32, F(timeline_points), 0, "timeline points kept per process" },
	{ "flight_recorder", T_U32, F(flight_recorder), 0, "raw events kept per process" },
	{ "memory_limit", T_SIZE, F(memory_limit), 0, "cap on timelines and flight recorders" },
	{ "journal_dir", T_PATH, F(journal_dir), 0, "journal directory (empty: no journal)" },
	{ "journal_segment_size", T_SIZE, F(journal_segment_size), 0,
	  "rotate segments at this size" },
	{ "journal_retain_size", T_SIZE, F(journal_retain_size), 0,
	  "keep at most this much history" },
	{ "journal_retain_age", T_DURATION_S, F(journal_retain_age_s), 0,
	  "delete history older than this (0: keep)" },
	{ "journal_flush_interval", T_DURATION, F(journal_flush_interval_ns), 0,
	  "write buffered history this often (and on every incident)" },
	{ "journal_fsync", T_FSYNC, F(journal_fsync), 0, "flush, rotate or never" },
	{ "journal_on_full", T_ONFULL, F(journal_on_full), 0,
	  "disk full: drop-oldest (delete old segments) or stop (stop writing)" },
	{ "journal_raw_events", T_BOOL, F(journal_raw_events), 0,
	  "record every raw event (deep captures)" },
	{ "alert_thresholds", T_PERCENTS, L(alert_thresholds),
	  "VMA count alerts, percent of vm.max_map_count (comma list)" },
	{ "alert_vma_counts", T_COUNTS, L(alert_vma_counts),
	  "VMA count alerts, absolute (comma list)" },
	{ "alert_hysteresis", T_DOUBLE, F(alert_hysteresis), 0,
	  "percentage points below a threshold before it can alert again" },
	{ "alert_errnos", T_ERRNOS, L(alert_errnos), "failed calls that alert (errno names)" },
	{ "alert_oom", T_BOOL, F(alert_oom), 0, "alert on OOM kills" },
	{ "alert_log", T_PATH, F(alert_log), 0, "append alerts as JSON lines here (empty: off)" },
	{ "alert_exec", T_PATH, F(alert_exec), 0, "run this program for each alert (empty: off)" },
	{ "hook_user", T_PATH, F(hook_user), 0,
	  "run alert_exec as this user (name or uid), without capabilities" },
	{ "alert_exec_timeout", T_DURATION, F(alert_exec_timeout_ns), 0,
	  "kill the hook after this" },
	{ "alert_failure_interval", T_DURATION, F(alert_failure_interval_ns), 0,
	  "at most one failure alert per process, call and errno this often" },
	{ "alert_user_limit", T_U32, F(alert_user_limit), 0,
	  "at most this many alerts a minute from one user's processes; the rest are counted "
	  "and summarised (0: no limit)" },
	{ "alert_limit", T_U32, F(alert_limit), 0,
	  "at most this many alerts a minute in all (0: no limit)" },
	{ "alert_log_size", T_SIZE, F(alert_log_size), 0,
	  "rotate the alert log to FILE.1 past this size (0: never)" },
	{ "stack_window", T_SIZE, F(stack_window), 0,
	  "stack bytes copied per sampled call for call sites (0: off; at most 64K)" },
	{ "site_sample_every", T_U32, F(site_sample_every), 0,
	  "a stack for one call in this many (at random; 1: every call)" },
	{ "site_all_above", T_DOUBLE, F(site_all_above), 0,
	  "percent of vm.max_map_count above which every call of a process gets a stack" },
	{ "sites_per_process", T_U32, F(sites_per_process), 0,
	  "call sites kept per process (the heaviest; the rest are summed)" },
	{ "growth_window", T_DURATION, F(growth_window_ns), 0,
	  "VMA growth rates (status, alerts, time to the limit) over this trailing window" },
	{ "status_interval", T_DURATION, F(status_interval_ns), 0,
	  "log a status line this often (0: off)" },
	{ "log_level", T_LOGLEVEL, F(log_level), 0, "error, warning, info or debug" },
	{ "metrics_listen", T_PATH, F(metrics_listen), 0,
	  "serve Prometheus /metrics on host:port" },
	{ "textfile_dir", T_PATH, F(textfile_dir), 0, "write node_exporter textfile metrics here" },
	{ "textfile_interval", T_DURATION, F(textfile_interval_ns), 0, "textfile write interval" },
	{ "metrics_top", T_U32, F(metrics_top), 0, "per-process series for the top N processes" },
};
#undef F
#undef L
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "%s", CTL_DEFAULT_SOCKET);
	c->ringbuf_size = 16u << 20;
	c->timeline_resolution_ns = MODEL_DEFAULT_TIMELINE_RESOLUTION_NS;
	c->timeline_points = MODEL_DEFAULT_TIMELINE_POINTS;
	c->flight_recorder = MODEL_DEFAULT_FLIGHT_EVENTS;
	c->memory_limit = MODEL_DEFAULT_MEMORY_LIMIT;
	snprintf(c->journal_dir, sizeof(c->journal_dir), "/var/lib/vmatrace/journal");
	c->journal_segment_size = 16u << 20;
	c->journal_retain_size = 256u << 20;
	c->journal_retain_age_s = 30 * 86400;
	c->journal_flush_interval_ns = 1000000000ull;
	c->journal_fsync = JOURNAL_FSYNC_FLUSH;
	c->journal_on_full = JOURNAL_FULL_DROP_OLDEST;
	c->alert_thresholds[0] = 80;
	c->alert_thresholds[1] = 90;
	c->alert_thresholds[2] = 95;
	c->n_alert_thresholds = 3;
	c->alert_hysteresis = 5;
	c->alert_errnos[0] = ENOMEM;
	c->n_alert_errnos = 1;
	c->alert_oom = true;
	c->alert_exec_timeout_ns = 10000000000ull;
	snprintf(c->hook_user, sizeof(c->hook_user), "%s", PRIVS_DEFAULT_HOOK_USER);
	c->alert_failure_interval_ns = 10000000000ull;
	c->alert_user_limit = 10;
	c->alert_limit = 60;
	c->alert_log_size = 16 << 20;
	c->log_level = LOG_LVL_INFO;
	c->textfile_interval_ns = 15000000000ull;
	c->metrics_top = 20;
	c->stack_window = 16u << 10;
	c->site_sample_every = 1024;
	c->site_all_above = 95;
	c->sites_per_process = 32;
	c->growth_window_ns = CONFIG_DEFAULT_GROWTH_WINDOW_NS;
}

static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

bool config_is_key(const char *key)
{
	return find_key(key) != NULL;
}

const char *const *config_key_help(void)
{
	static const char *list[2 * NKEYS + 1];

	for (size_t i = 0; i < NKEYS; i++) {
		list[2 * i] = keys[i].name;
		list[2 * i + 1] = keys[i].help;
	}
	list[2 * NKEYS] = NULL;
	return list;
}

static int errno_by_name(const char *name)
{
	for (int e = 1; e < 134; e++) {
		const char *n = decode_errno_name(e);

		if (n && !strcmp(n, name))
			return e;
	}
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = 0;
	return s;
}

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

/* Parse a comma list into elements; calls fn for each trimmed, non-empty item. */
static int parse_list(const struct key_def *k, struct config *c, const char *value,
		      const char *where, char *err, size_t errlen)
{
	char buf[1024], *save = NULL, *item;
	int *count = (int *)((char *)c + k->count_off);
	int n = 0;

	if (strlen(value) >= sizeof(buf))
		FAIL("%s: %s: value too long", where, k->name);
	snprintf(buf, sizeof(buf), "%s", value);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *it = trim(item), *end;

		if (!*it)
			continue;
		if (n == CONFIG_MAX_LIST)
			FAIL("%s: %s: at most %d items", where, k->name, CONFIG_MAX_LIST);
		switch (k->type) {
		case T_PERCENTS: {
			double v = strtod(it, &end);

			if (*end == '%')
				end++;
			if (*end || !(v > 0 && v <= 100))
				FAIL("%s: %s: '%s' is not a percentage between 0 and 100", where,
				     k->name, it);
			if (n && v <= ((double *)((char *)c + k->off))[n - 1])
				FAIL("%s: %s: thresholds must ascend ('%s')", where, k->name, it);
			((double *)((char *)c + k->off))[n] = v;
			break;
		}
		case T_COUNTS:
		case T_PIDS: {
			unsigned long v = strtoul(it, &end, 10);

			if (*end || !v || v > 0x7fffffff || *it == '-')
				FAIL("%s: %s: '%s' is not a positive number", where, k->name, it);
			if (k->type == T_COUNTS && n &&
			    v <= ((uint32_t *)((char *)c + k->off))[n - 1])
				FAIL("%s: %s: counts must ascend ('%s')", where, k->name, it);
			((uint32_t *)((char *)c + k->off))[n] = v;
			break;
		}
		case T_ERRNOS: {
			int e = errno_by_name(it);

			if (e < 0)
				FAIL("%s: %s: unknown errno name '%s' (e.g. ENOMEM, EFAULT)", where,
				     k->name, it);
			((int *)((char *)c + k->off))[n] = e;
			break;
		}
		case T_COMMS:
			if (strlen(it) > 15)
				FAIL("%s: %s: '%s' is longer than a comm (15 characters)", where,
				     k->name, it);
			snprintf(((char(*)[16])((char *)c + k->off))[n], 16, "%s", it);
			break;
		case T_PATHS:
			if (strlen(it) >= CONFIG_PATH_MAX || *it != '/')
				FAIL("%s: %s: '%s' is not an absolute cgroup path", where, k->name,
				     it);
			snprintf(((char(*)[CONFIG_PATH_MAX])((char *)c + k->off))[n],
				 CONFIG_PATH_MAX, "%s", it);
			break;
		default:
			FAIL("%s: %s: not a list", where, k->name);
		}
		n++;
	}
	*count = n;
	return 0;
}

int config_set(struct config *c, const char *key, const char *value, const char *where, char *err,
	       size_t errlen)
{
	const struct key_def *k = find_key(key);
	void *field;
	char *end;

	if (!k)
		FAIL("%s: unknown key '%s' (see vmatrace.conf(5))", where, key);
	field = (char *)c + k->off;
	switch (k->type) {
	case T_PATH:
		if (strlen(value) >= CONFIG_PATH_MAX)
			FAIL("%s: %s: path too long", where, key);
		if (!strcmp(key, "metrics_listen")) {
			char host[CONFIG_PATH_MAX];
			unsigned int port;
			bool on;

			if (metrics_parse_listen(value, &on, host, sizeof(host), &port))
				FAIL("%s: %s: '%s' is not an address (on, :PORT, HOST:PORT, [V6]:PORT)",
				     where, key, value);
		}
		snprintf(field, CONFIG_PATH_MAX, "%s", value);
		return 0;
	case T_SIZE: {
		size_t v;

		if (!cli_parse_size(value, &v))
			FAIL("%s: %s: '%s' is not a size (e.g. 16M, 512K, 1G)", where, key, value);
		if (!strcmp(key, "ringbuf_size") && (v < 4096 || v > (1ul << 30)))
			FAIL("%s: %s: must be between 4K and 1G", where, key);
		if (!strcmp(key, "stack_window") && v && (v < 512 || v > (64u << 10)))
			FAIL("%s: %s: must be 0 (off) or between 512 and 64K", where, key);
		*(uint64_t *)field = v;
		return 0;
	}
	case T_DURATION:
	case T_DURATION_S: {
		double v;

		if (!cli_parse_seconds(value, &v))
			FAIL("%s: %s: '%s' is not a duration (" CLI_DURATION_HELP ")", where, key,
			     value);
		/* Stored in ns: past 2^63 ns (292 years) the conversion would overflow. */
		if (v * 1e9 >= 9.2e18)
			FAIL("%s: %s: '%s' is too long (at most 290 years)", where, key, value);
		if (!strcmp(key, "timeline_resolution") && v < 0.001)
			FAIL("%s: %s: at least 1ms", where, key);
		if (!strcmp(key, "growth_window") && v < 1)
			FAIL("%s: %s: at least 1s", where, key);
		if (k->type == T_DURATION)
			*(uint64_t *)field = (uint64_t)llround(v * 1e9);
		else
			*(uint64_t *)field = (uint64_t)llround(v);
		return 0;
	}
	case T_U32: {
		unsigned long v = strtoul(value, &end, 10);

		if (!*value || *end || *value == '-' || !v || v > 100000000)
			FAIL("%s: %s: '%s' is not a positive number", where, key, value);
		*(uint32_t *)field = v;
		return 0;
	}
	case T_DOUBLE: {
		double v = strtod(value, &end);

		if (!*value || *end || !(v >= 0 && v < 100))
			FAIL("%s: %s: '%s' is not a number between 0 and 100", where, key, value);
		*(double *)field = v;
		return 0;
	}
	case T_BOOL:
		if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "on") ||
		    !strcmp(value, "1"))
			*(bool *)field = true;
		else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "off") ||
			 !strcmp(value, "0"))
			*(bool *)field = false;
		else
			FAIL("%s: %s: '%s' is not yes or no", where, key, value);
		return 0;
	case T_FSYNC:
		if (!strcmp(value, "flush"))
			*(int *)field = JOURNAL_FSYNC_FLUSH;
		else if (!strcmp(value, "rotate"))
			*(int *)field = JOURNAL_FSYNC_ROTATE;
		else if (!strcmp(value, "never"))
			*(int *)field = JOURNAL_FSYNC_NEVER;
		else
			FAIL("%s: %s: '%s' is not flush, rotate or never", where, key, value);
		return 0;
	case T_ONFULL:
		if (!strcmp(value, "drop-oldest"))
			*(int *)field = JOURNAL_FULL_DROP_OLDEST;
		else if (!strcmp(value, "stop"))
			*(int *)field = JOURNAL_FULL_STOP;
		else
			FAIL("%s: %s: '%s' is not drop-oldest or stop", where, key, value);
		return 0;
	case T_LOGLEVEL:
		if (!strcmp(value, "error"))
			*(int *)field = LOG_LVL_ERR;
		else if (!strcmp(value, "warning"))
			*(int *)field = LOG_LVL_WARN;
		else if (!strcmp(value, "info"))
			*(int *)field = LOG_LVL_INFO;
		else if (!strcmp(value, "debug"))
			*(int *)field = LOG_LVL_DEBUG;
		else
			FAIL("%s: %s: '%s' is not error, warning, info or debug", where, key,
			     value);
		return 0;
	default:
		return parse_list(k, c, value, where, err, errlen);
	}
}

int config_load_file(struct config *c, const char *path, bool must_exist, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[2048], where[CONFIG_PATH_MAX + 32];
	int lineno = 0, rc = 0;

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s, *eq, *key, *value;

		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s: line too long", where);
			rc = -EINVAL;
			break;
		}
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s: expected 'key = value', got '%s'", where, s);
			rc = -EINVAL;
			break;
		}
		*eq = 0;
		key = trim(s);
		value = trim(eq + 1);
		/* A value may be quoted to keep spaces at its ends. */
		if (strlen(value) >= 2 && value[0] == '"' && value[strlen(value) - 1] == '"') {
			value[strlen(value) - 1] = 0;
			value++;
		}
		rc = config_set(c, key, value, where, err, errlen);
		if (rc)
			break;
	}
	fclose(f);
	return rc;
}
