// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `vmatrace report`: what the journal remembers: incidents (alerts, failed
 * calls, OOM kills) and each process's VMA count, mapped bytes and heap over
 * time, as text, JSON, CSV, SVG charts or a self-contained HTML page.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "hmap.h"
#include "log.h"
#include "report.h"
#include "sysinfo.h"

#define NS_PER_S 1000000000ULL
/* An alert and the incident record that repeats it are written together. */
#define DUP_WINDOW_NS NS_PER_S

/* ---- a small JSON reader: validation, and members of the top-level object ---- */

#define JSON_MAX_DEPTH 64

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Length of the UTF-8 sequence at p, or 0 if it is not a well-formed one. */
static int utf8_len(const unsigned char *p)
{
	int n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string literal at *pp; its bytes go to out (len bytes with the NUL) when out is not NULL. */
static bool json_string(const char **pp, char *out, size_t len)
{
	const char *p = *pp;
	size_t o = 0;

	if (*p++ != '"')
		return false;
	for (;;) {
		unsigned char c = *p;
		int n;

		if (c == '"')
			break;
		if (c < 0x20)
			return false; /* raw control byte, or the end of the text */
		if (c == '\\') {
			unsigned u = 0;

			p++;
			switch (*p) {
			case '"':
			case '\\':
			case '/':
				c = *p;
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u':
				for (int i = 1; i <= 4; i++) {
					int d = hex_digit(p[i]);

					if (d < 0)
						return false;
					u = u * 16 + d;
				}
				p += 4;
				/* We escape bytes as \u00XX; other code points become '?'. */
				c = u < 0x100 ? u : '?';
				break;
			default:
				return false;
			}
			p++;
			if (out && o + 1 < len)
				out[o++] = c;
			continue;
		}
		n = utf8_len((const unsigned char *)p);
		if (!n)
			return false;
		for (int i = 0; i < n; i++, p++)
			if (out && o + 1 < len)
				out[o++] = *p;
	}
	if (out && len)
		out[o] = 0;
	*pp = p + 1;
	return true;
}

static bool json_number(const char **pp)
{
	const char *p = *pp;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return false;
	if (*p == '.') {
		if (!(*++p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	*pp = p;
	return true;
}

/* Skip one value at *pp (no surrounding white space), checking that it is well-formed. */
static bool json_value(const char **pp, int depth)
{
	const char *p = *pp;

	if (depth > JSON_MAX_DEPTH)
		return false;
	switch (*p) {
	case '"':
		return json_string(pp, NULL, 0);
	case '{':
	case '[': {
		char close = *p == '{' ? '}' : ']';

		p = json_ws(p + 1);
		if (*p == close) {
			*pp = p + 1;
			return true;
		}
		for (;;) {
			if (close == '}') {
				if (!json_string(&p, NULL, 0))
					return false;
				p = json_ws(p);
				if (*p++ != ':')
					return false;
				p = json_ws(p);
			}
			if (!json_value(&p, depth + 1))
				return false;
			p = json_ws(p);
			if (*p == close) {
				*pp = p + 1;
				return true;
			}
			if (*p++ != ',')
				return false;
			p = json_ws(p);
		}
	}
	case 't':
		if (strncmp(p, "true", 4))
			return false;
		*pp = p + 4;
		return true;
	case 'f':
		if (strncmp(p, "false", 5))
			return false;
		*pp = p + 5;
		return true;
	case 'n':
		if (strncmp(p, "null", 4))
			return false;
		*pp = p + 4;
		return true;
	default:
		return json_number(pp);
	}
}

/* Is s exactly one JSON object? Payloads go into our JSON output verbatim only if so. */
static bool json_object_valid(const char *s)
{
	const char *p = json_ws(s);

	if (*p != '{' || !json_value(&p, 0))
		return false;
	return *json_ws(p) == 0;
}

/* Members of a top-level object, in order: the key (decoded) and the raw value. */
struct json_iter {
	const char *p;
	bool started, failed;
};

static void json_iter_init(struct json_iter *it, const char *json)
{
	it->p = json_ws(json);
	it->started = false;
	it->failed = *it->p != '{';
}

static bool json_iter_next(struct json_iter *it, char *key, size_t klen, const char **val,
			   size_t *vlen)
{
	const char *p = it->p;

	if (it->failed)
		return false;
	p = json_ws(p + (it->started ? 0 : 1));
	if (it->started) {
		if (*p != ',')
			goto end;
		p = json_ws(p + 1);
	} else if (*p == '}') {
		goto end;
	}
	it->started = true;
	if (!json_string(&p, key, klen))
		goto end;
	p = json_ws(p);
	if (*p++ != ':')
		goto end;
	p = json_ws(p);
	*val = p;
	if (!json_value(&p, 1))
		goto end;
	*vlen = p - *val;
	it->p = p;
	return true;
end:
	it->failed = true;
	return false;
}

static const char *json_find(const char *json, const char *key, size_t *vlen)
{
	struct json_iter it;
	const char *val;
	char k[64];

	json_iter_init(&it, json);
	while (json_iter_next(&it, k, sizeof(k), &val, vlen))
		if (!strcmp(k, key))
			return val;
	return NULL;
}

bool report_json_num(const char *json, const char *key, double *out)
{
	size_t vlen;
	const char *v = json ? json_find(json, key, &vlen) : NULL;
	char *end;

	if (!v || !(*v == '-' || (*v >= '0' && *v <= '9')))
		return false;
	*out = strtod(v, &end);
	return end == v + vlen;
}

bool report_json_str(const char *json, const char *key, char *buf, size_t len)
{
	size_t vlen;
	const char *v = json ? json_find(json, key, &vlen) : NULL;

	if (!v || *v != '"' || !len)
		return false;
	return json_string(&v, buf, len);
}

/* ---- small formatting helpers shared with report_svg.c ---- */

void report_xml_text(struct strbuf *sb, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '&':
			sb_puts(sb, "&amp;");
			break;
		case '<':
			sb_puts(sb, "&lt;");
			break;
		case '>':
			sb_puts(sb, "&gt;");
			break;
		case '"':
			sb_puts(sb, "&quot;");
			break;
		case '\'':
			sb_puts(sb, "&#39;");
			break;
		default:
			/* A comm is bytes: no control character may reach an XML parser. */
			if (c < 0x20 || c >= 0x7f)
				sb_printf(sb, "\\x%02x", c);
			else
				sb_putc(sb, c);
		}
	}
}

void report_thousands(struct strbuf *sb, unsigned long long v)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%llu", v);

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			sb_putc(sb, ',');
		sb_putc(sb, digits[i]);
	}
}

void report_time(struct strbuf *sb, uint64_t ns, const char *fmt)
{
	time_t t = ns / NS_PER_S;
	struct tm tm;
	char buf[64];

	if (!localtime_r(&t, &tm) || !strftime(buf, sizeof(buf), fmt, &tm))
		snprintf(buf, sizeof(buf), "@%lld", (long long)t);
	sb_puts(sb, buf);
}

/* Seconds since the epoch with microseconds, as the alert log writes "ts". */
static void json_ts(struct strbuf *sb, uint64_t ns)
{
	sb_printf(sb, "%llu.%06llu", (unsigned long long)(ns / NS_PER_S),
		  (unsigned long long)(ns % NS_PER_S / 1000));
}

static const char *rec_type_name(unsigned type)
{
	static const char *names[JREC__COUNT] = {
	    [JREC_DAEMON_START] = "daemon_start",
	    [JREC_DAEMON_STOP] = "daemon_stop",
	    [JREC_TIMELINE] = "timeline",
	    [JREC_ALERT] = "alert",
	    [JREC_INCIDENT] = "incident",
	    [JREC_OOM] = "oom",
	    [JREC_DROPS] = "drops",
	    [JREC_RESYNC] = "resync",
	    [JREC_RAW] = "raw",
	    [JREC_PROC_EXIT] = "proc_exit",
	};

	return type < JREC__COUNT && names[type] ? names[type] : "unknown";
}

/* ---- time specifications ---- */

/* Exactly n decimal digits. */
static bool take_digits(const char **pp, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*pp)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*pp += n;
	*out = v;
	return true;
}

static bool parse_relative(const char *s, time_t now, uint64_t *ns)
{
	char *end;
	double v, mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0 || s[0] < '0' || s[0] > '9')
		return false;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mult = 60;
	else if (!strcmp(end, "h"))
		mult = 3600;
	else if (!strcmp(end, "d"))
		mult = 86400;
	else if (!strcmp(end, "w"))
		mult = 7 * 86400;
	else
		return false;
	v = (double)now - v * mult;
	if (v < 0)
		return false;
	*ns = (uint64_t)(v * NS_PER_S);
	return true;
}

bool report_parse_time(const char *s, time_t now, uint64_t *ns)
{
	struct tm tm = {0}, want;
	const char *p = s;
	bool utc = false;
	time_t t;
	int v;

	if (!s || !*s)
		return false;
	if (s[0] == '-')
		return parse_relative(s + 1, now, ns);
	if (!strcmp(s, "now")) {
		*ns = (uint64_t)now * NS_PER_S;
		return true;
	}
	if (strspn(s, "0123456789") == strlen(s) || (strchr(s, '.') && !strchr(s, '-'))) {
		char *end;
		double d;

		errno = 0;
		d = strtod(s, &end);
		if (errno || *end || !isfinite(d) || d < 0 || s[0] < '0' || s[0] > '9')
			return false;
		*ns = (uint64_t)(d * NS_PER_S);
		return true;
	}
	if (!take_digits(&p, 4, &v) || *p++ != '-')
		return false;
	tm.tm_year = v - 1900;
	if (!take_digits(&p, 2, &v) || *p++ != '-')
		return false;
	tm.tm_mon = v - 1;
	if (!take_digits(&p, 2, &tm.tm_mday))
		return false;
	if (*p == ' ' || *p == 'T') {
		p++;
		if (!take_digits(&p, 2, &tm.tm_hour) || *p++ != ':' ||
		    !take_digits(&p, 2, &tm.tm_min))
			return false;
		if (*p == ':') {
			p++;
			if (!take_digits(&p, 2, &tm.tm_sec))
				return false;
		}
	}
	if (*p == 'Z') {
		utc = true;
		p++;
	}
	if (*p || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_isdst = -1;
	want = tm;
	t = utc ? timegm(&tm) : mktime(&tm);
	/* mktime() would turn February 30 into March 2 without a word. */
	if (t == (time_t)-1 || tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon || t < 0)
		return false;
	*ns = (uint64_t)t * NS_PER_S;
	return true;
}

/* ---- loading ---- */

static uint64_t proc_key(uint32_t pid, const char *comm)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < JOURNAL_COMM_LEN && comm[i]; i++)
		h = (h ^ (unsigned char)comm[i]) * 16777619u;
	return (uint64_t)pid << 32 | h;
}

struct loader {
	struct report *r;
	struct hmap by_key; /* proc_key -> chain of struct report_proc */
	size_t procs_cap, events_cap;
	uint64_t mmc_ns; /* time of the point r->max_map_count came from */
};

/*
 * The process a record at time ns belongs to. The journal is in the order records were
 * written, not quite in time order: the last point of a process may come after its exit
 * record, and belongs to it if it starts before the exit.
 */
static struct report_proc *proc_find(struct loader *l, uint32_t pid, const char *comm, uint64_t ns,
				     bool create)
{
	uint64_t key = proc_key(pid, comm);
	struct report_proc *head = hmap_get(&l->by_key, key), *p;
	struct report *r = l->r;

	for (p = head; p; p = p->hash_next)
		if (p->pid == pid && !strcmp(p->comm, comm) && (!p->exited || ns <= p->exit_ns))
			return p;
	if (!create)
		return NULL;
	if (r->nprocs == l->procs_cap) {
		size_t cap = l->procs_cap ? l->procs_cap * 2 : 64;
		struct report_proc **n = realloc(r->procs, cap * sizeof(*n));

		if (!n)
			return NULL;
		r->procs = n;
		l->procs_cap = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->hash_next = head;
	if (hmap_put(&l->by_key, key, p)) {
		free(p);
		return NULL;
	}
	r->procs[r->nprocs++] = p;
	return p;
}

static void proc_touch(struct report_proc *p, uint64_t ns)
{
	if (!p->first_ns || ns < p->first_ns)
		p->first_ns = ns;
	if (ns > p->last_ns)
		p->last_ns = ns;
}

static bool filter_time(const struct report_filter *f, uint64_t ns)
{
	return !(f->since_ns && ns < f->since_ns) && !(f->until_ns && ns > f->until_ns);
}

static bool filter_proc(const struct report_filter *f, uint32_t pid, const char *comm)
{
	if (f->pid && pid != f->pid)
		return false;
	return !f->comm || !strcmp(comm, f->comm);
}

static void range_touch(struct report *r, uint64_t ns)
{
	if (!r->first_ns || ns < r->first_ns)
		r->first_ns = ns;
	if (ns > r->last_ns)
		r->last_ns = ns;
}

static int load_point(struct loader *l, const struct journal_rec *rec, const char *comm,
		      const void *payload)
{
	struct report *r = l->r;
	struct journal_tl tl;
	struct report_proc *p;
	uint64_t t;

	if (rec->len < sizeof(tl)) {
		r->bad_payloads++;
		return 0;
	}
	/* A newer writer may append fields: the prefix is what we know. */
	memcpy(&tl, payload, sizeof(tl));
	if (!tl.t_ns)
		tl.t_ns = rec->ts_ns;
	t = tl.t_ns;
	if (!filter_time(&r->filter, t) || !filter_proc(&r->filter, rec->pid, comm))
		return 0;
	p = proc_find(l, rec->pid, comm, t, true);
	if (!p)
		return -ENOMEM;
	if (p->npts == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct journal_tl *n = realloc(p->pts, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->pts = n;
		p->cap = cap;
	}
	p->pts[p->npts++] = tl;
	proc_touch(p, t);
	if (tl.vmas_max > p->peak_vmas || !p->peak_ns) {
		p->peak_vmas = tl.vmas_max;
		p->peak_limit = tl.max_map_count;
		p->peak_ns = t;
	}
	if (tl.mapped > p->mapped_peak)
		p->mapped_peak = tl.mapped;
	if (tl.heap > p->heap_peak)
		p->heap_peak = tl.heap;
	if (tl.heap_hwm > p->heap_hwm)
		p->heap_hwm = tl.heap_hwm;
	p->calls += tl.calls;
	p->failures += tl.failures;
	if (tl.max_map_count && t >= l->mmc_ns) {
		r->max_map_count = tl.max_map_count;
		l->mmc_ns = t;
	}
	r->points++;
	r->matched++;
	range_touch(r, t);
	return 0;
}

static enum report_ev_kind event_kind(uint16_t type, const char *name)
{
	switch (type) {
	case JREC_OOM:
		return REV_OOM;
	case JREC_ALERT:
	case JREC_INCIDENT:
		if (!strcmp(name, "oom_kill"))
			return REV_OOM;
		if (!strcmp(name, "alloc_failure"))
			return REV_FAILURE;
		return REV_ALERT;
	default:
		return REV_OTHER;
	}
}

static int load_event(struct loader *l, const struct journal_rec *rec, const char *comm,
		      const void *payload)
{
	struct report *r = l->r;
	struct report_event *ev;
	uint32_t len = rec->len;
	bool global = !rec->pid;
	double d;
	char *json;

	if (!filter_time(&r->filter, rec->ts_ns))
		return 0;
	/* Daemon starts and lost records are context for any process: keep them under a filter. */
	if (!global && !filter_proc(&r->filter, rec->pid, comm))
		return 0;
	while (len && !((const char *)payload)[len - 1])
		len--;
	json = malloc(len + 1);
	if (!json)
		return -ENOMEM;
	memcpy(json, payload, len);
	json[len] = 0;
	if (r->nevents == l->events_cap) {
		size_t cap = l->events_cap ? l->events_cap * 2 : 64;
		struct report_event *n = realloc(r->events, cap * sizeof(*n));

		if (!n) {
			free(json);
			return -ENOMEM;
		}
		r->events = n;
		l->events_cap = cap;
	}
	ev = &r->events[r->nevents++];
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = rec->ts_ns;
	ev->pid = rec->pid;
	snprintf(ev->comm, sizeof(ev->comm), "%s", comm);
	ev->type = rec->type;
	ev->json = json;
	ev->seq = r->nevents;
	ev->valid = json_object_valid(json);
	if (!ev->valid)
		r->bad_payloads++;
	if (!report_json_str(json, "kind", ev->name, sizeof(ev->name)))
		snprintf(ev->name, sizeof(ev->name), "%s",
			 rec->type == JREC_OOM ? "oom_kill" : rec_type_name(rec->type));
	ev->kind = event_kind(rec->type, ev->name);
	if (report_json_num(json, "threshold", &d))
		ev->threshold = d;
	if (ev->kind == REV_OOM && !ev->pid && report_json_num(json, "victim_pid", &d) && d > 0) {
		ev->pid = (uint32_t)d;
		report_json_str(json, "victim_comm", ev->comm, sizeof(ev->comm));
	}

	switch (rec->type) {
	case JREC_DAEMON_START:
		r->daemon_starts++;
		if (report_json_num(json, "max_map_count", &d) && d > 0 &&
		    rec->ts_ns >= l->mmc_ns) {
			r->max_map_count = (uint32_t)d;
			l->mmc_ns = rec->ts_ns;
		}
		break;
	case JREC_DAEMON_STOP:
		r->daemon_stops++;
		break;
	case JREC_DROPS:
		if (report_json_num(json, "dropped", &d) && d > 0)
			r->drops += (uint64_t)d;
		break;
	case JREC_RESYNC:
		r->resyncs++;
		break;
	default:
		break;
	}
	if (ev->pid && ev->kind != REV_OTHER) {
		ev->proc = proc_find(l, ev->pid, ev->comm, ev->ts_ns, true);
		if (!ev->proc)
			return -ENOMEM;
		proc_touch(ev->proc, ev->ts_ns);
	} else if (ev->pid) {
		ev->proc = proc_find(l, ev->pid, ev->comm, ev->ts_ns, false);
		if (ev->proc && rec->type == JREC_PROC_EXIT) {
			ev->proc->exited = true;
			ev->proc->exit_ns = ev->ts_ns;
		}
	}
	if (!global || (!r->filter.pid && !r->filter.comm))
		r->matched++;
	range_touch(r, rec->ts_ns);
	return 0;
}

static int cmp_points(const void *a, const void *b)
{
	const struct journal_tl *x = a, *y = b;

	return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

static int cmp_events(const void *a, const void *b)
{
	const struct report_event *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_procs(const void *a, const void *b)
{
	const struct report_proc *x = *(struct report_proc *const *)a;
	const struct report_proc *y = *(struct report_proc *const *)b;

	if (x->peak_vmas != y->peak_vmas)
		return x->peak_vmas > y->peak_vmas ? -1 : 1;
	if (x->first_ns != y->first_ns)
		return x->first_ns < y->first_ns ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Do two events tell of the same alert (same kind, process, threshold, call)? */
static bool same_incident(const struct report_event *a, const struct report_event *b)
{
	char sa[32] = "", sb[32] = "";

	if (a->kind != b->kind || a->pid != b->pid || strcmp(a->name, b->name) ||
	    a->threshold != b->threshold || a->type == b->type)
		return false;
	report_json_str(a->json, "syscall", sa, sizeof(sa));
	report_json_str(b->json, "syscall", sb, sizeof(sb));
	return !strcmp(sa, sb);
}

/*
 * The daemon may journal an alert both as JREC_ALERT and, with its context, as
 * JREC_INCIDENT or JREC_OOM: list it once, keeping the record with more in it.
 */
static void mark_duplicates(struct report *r)
{
	for (size_t i = 0; i < r->nevents; i++) {
		struct report_event *a = &r->events[i];

		if (a->type != JREC_ALERT || a->kind == REV_OTHER)
			continue;
		for (size_t j = i; j-- > 0 && a->ts_ns - r->events[j].ts_ns <= DUP_WINDOW_NS;)
			if (same_incident(a, &r->events[j]) && !r->events[j].duplicate)
				a->duplicate = true;
		for (size_t j = i + 1;
		     j < r->nevents && r->events[j].ts_ns - a->ts_ns <= DUP_WINDOW_NS; j++)
			if (same_incident(a, &r->events[j]) && !r->events[j].duplicate)
				a->duplicate = true;
	}
}

static void finish(struct report *r)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		struct report_proc *p = r->procs[i];

		for (size_t k = 1; k < p->npts; k++) {
			if (p->pts[k].t_ns < p->pts[k - 1].t_ns) {
				qsort(p->pts, p->npts, sizeof(*p->pts), cmp_points);
				break;
			}
		}
	}
	qsort(r->events, r->nevents, sizeof(*r->events), cmp_events);
	mark_duplicates(r);
	for (size_t i = 0; i < r->nevents; i++) {
		struct report_event *ev = &r->events[i];

		if (ev->kind == REV_OTHER || ev->duplicate)
			continue;
		r->incidents++;
		if (!ev->proc)
			continue;
		if (ev->kind == REV_ALERT)
			ev->proc->alerts++;
		else if (ev->kind == REV_FAILURE)
			ev->proc->alloc_failures++;
		else
			ev->proc->ooms++;
	}
	qsort(r->procs, r->nprocs, sizeof(*r->procs), cmp_procs);
}

int report_load(struct report *r, const struct report_filter *f)
{
	struct loader l = {.r = r};
	struct journal_reader *jr;
	const struct journal_rec *rec;
	const void *payload;
	int err = 0, ret;

	memset(r, 0, sizeof(*r));
	r->filter = *f;
	hmap_init(&l.by_key);
	jr = journal_reader_open(f->dir);
	if (!jr)
		return errno ? -errno : -EIO;
	while ((ret = journal_reader_next(jr, &rec, &payload)) > 0) {
		char comm[JOURNAL_COMM_LEN + 1];

		memcpy(comm, rec->comm, JOURNAL_COMM_LEN);
		comm[JOURNAL_COMM_LEN] = 0;
		switch (rec->type) {
		case JREC_TIMELINE:
			err = load_point(&l, rec, comm, payload);
			break;
		case JREC_RAW:
			break;
		default:
			if (rec->type < JREC__COUNT)
				err = load_event(&l, rec, comm, payload);
			break;
		}
		if (err)
			break;
	}
	if (!err && ret < 0)
		err = ret;
	r->rs = *journal_reader_get_stats(jr);
	journal_reader_close(jr);
	hmap_free(&l.by_key);
	if (err) {
		report_free(r);
		return err;
	}
	finish(r);
	return 0;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		free(r->procs[i]->pts);
		free(r->procs[i]);
	}
	free(r->procs);
	for (size_t i = 0; i < r->nevents; i++)
		free(r->events[i].json);
	free(r->events);
	memset(r, 0, sizeof(*r));
}

/* ---- text ---- */

static void pct(struct strbuf *sb, double part, double whole)
{
	if (whole > 0)
		sb_printf(sb, "%.1f%%", 100.0 * part / whole);
	else
		sb_puts(sb, "-");
}

/* Append " key=value" for a numeric member, value shown as a size if kb. */
static void num_field(struct strbuf *sb, const char *json, const char *key, const char *label,
		      bool kb)
{
	double d;

	if (!report_json_num(json, key, &d))
		return;
	sb_printf(sb, " %s ", label);
	if (kb)
		sb_size(sb, (unsigned long long)(d * 1024));
	else
		sb_printf(sb, "%.0f", d);
}

/* The names of a payload's structured members: the context an incident record carries. */
static void context_names(struct strbuf *sb, const char *json)
{
	struct json_iter it;
	const char *val;
	size_t vlen;
	char key[64];
	int n = 0;

	json_iter_init(&it, json);
	while (json_iter_next(&it, key, sizeof(key), &val, &vlen)) {
		if (*val != '{' && *val != '[')
			continue;
		if (!strcmp(key, "args"))
			continue;
		sb_puts(sb, n++ ? ", " : " [with ");
		sb_printable(sb, key, sizeof(key));
	}
	if (n)
		sb_putc(sb, ']');
}

/* Scalar members other than the ones every line shows already. */
static void generic_fields(struct strbuf *sb, const char *json)
{
	static const char *skip[] = {"kind", "ts", "pid", "comm"};
	struct json_iter it;
	const char *val;
	size_t vlen;
	char key[64];
	int n = 0;

	json_iter_init(&it, json);
	while (json_iter_next(&it, key, sizeof(key), &val, &vlen) && n < 8) {
		bool skipped = false;

		for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			skipped |= !strcmp(key, skip[i]);
		if (skipped || *val == '{' || *val == '[')
			continue;
		sb_putc(sb, ' ');
		sb_printable(sb, key, sizeof(key));
		sb_putc(sb, '=');
		if (*val == '"') {
			char s[128];

			if (json_string(&val, s, sizeof(s)))
				sb_printable(sb, s, sizeof(s));
		} else {
			sb_printable(sb, val, vlen < 40 ? vlen : 40);
		}
		n++;
	}
}

void report_event_describe(struct strbuf *sb, const struct report_event *ev)
{
	const char *j = ev->json;
	char s1[64], s2[256];
	double d, lim;

	if (!ev->valid) {
		sb_printf(sb, "unparsable %s record (%zu bytes)", rec_type_name(ev->type),
			  strlen(ev->json));
		return;
	}
	if (!strcmp(ev->name, "vma_threshold")) {
		sb_printf(sb, "VMA alert %.0f%%:", ev->threshold);
		if (report_json_num(j, "vmas", &d)) {
			sb_printf(sb, " %.0f VMAs", d);
			if (report_json_num(j, "limit", &lim))
				sb_printf(sb, " of %.0f", lim);
		}
		if (report_json_num(j, "percent", &d))
			sb_printf(sb, " (%.1f%%)", d);
		if (report_json_num(j, "growth_per_s", &d))
			sb_printf(sb, ", %+.0f/s", d);
		if (report_json_num(j, "seconds_to_limit", &d) && d >= 0)
			sb_printf(sb, ", limit in %.0fs", d);
	} else if (ev->kind == REV_FAILURE) {
		if (!report_json_str(j, "syscall", s1, sizeof(s1)))
			snprintf(s1, sizeof(s1), "call");
		if (!report_json_str(j, "errno", s2, sizeof(s2)))
			snprintf(s2, sizeof(s2), "an error");
		sb_puts(sb, "alloc failure: ");
		sb_printable(sb, s1, sizeof(s1));
		sb_puts(sb, " failed with ");
		sb_printable(sb, s2, sizeof(s2));
		if (report_json_num(j, "vmas", &d)) {
			sb_printf(sb, " at %.0f VMAs", d);
			if (report_json_num(j, "limit", &lim))
				sb_printf(sb, " (limit %.0f)", lim);
		}
	} else if (ev->kind == REV_OOM) {
		sb_puts(sb, "OOM kill");
		if (report_json_str(j, "oom_type", s1, sizeof(s1))) {
			sb_puts(sb, " (");
			sb_printable(sb, s1, sizeof(s1));
			if (report_json_str(j, "memcg", s2, sizeof(s2)) && *s2) {
				sb_puts(sb, ", memcg ");
				sb_printable(sb, s2, sizeof(s2));
			}
			sb_putc(sb, ')');
		}
		sb_putc(sb, ':');
		num_field(sb, j, "anon_rss_kb", "anon-rss", true);
		num_field(sb, j, "file_rss_kb", "file-rss", true);
		num_field(sb, j, "shmem_rss_kb", "shmem-rss", true);
		num_field(sb, j, "total_vm_kb", "total-vm", true);
		num_field(sb, j, "pgtables_kb", "pgtables", true);
		num_field(sb, j, "oom_score_adj", "oom_score_adj", false);
		num_field(sb, j, "uid", "uid", false);
		if (report_json_num(j, "trigger_pid", &d)) {
			sb_printf(sb, "; triggered by %.0f", d);
			if (report_json_str(j, "trigger_comm", s1, sizeof(s1))) {
				sb_puts(sb, " (");
				sb_printable(sb, s1, sizeof(s1));
				sb_putc(sb, ')');
			}
		}
	} else {
		sb_puts(sb, "alert ");
		sb_printable(sb, ev->name, sizeof(ev->name));
		sb_putc(sb, ':');
		generic_fields(sb, j);
	}
	if (ev->type != JREC_ALERT)
		context_names(sb, j);
}

/* Spaces up to `width` columns after start (at least one): a comm escaped long stays readable. */
static void pad_to(struct strbuf *sb, size_t start, size_t width)
{
	do
		sb_putc(sb, ' ');
	while (sb->len - start < width && !sb->oom);
}

static void text_bytes(struct strbuf *sb, unsigned long long v, int width)
{
	struct strbuf t;

	sb_init(&t);
	sb_size(&t, v);
	sb_printf(sb, "%*s", width, t.buf ? t.buf : "");
	sb_free(&t);
}


/* The same words in every format: what a damaged block costs the reader. */
static void damaged_blocks_text(struct strbuf *sb, unsigned long long n)
{
	sb_printf(sb, "%llu damaged block%s skipped (bad checksum or undecodable): the records in %s "
		      "are missing from this report", n, n == 1 ? " was" : "s were", n == 1 ? "it" : "them");
}

static void text_range(struct strbuf *sb, const struct report *r)
{
	const char *fmt = "%Y-%m-%d %H:%M:%S";

	sb_puts(sb, "range:     ");
	if (r->filter.since_ns || r->filter.until_ns) {
		sb_puts(sb, "requested ");
		if (r->filter.since_ns)
			report_time(sb, r->filter.since_ns, fmt);
		else
			sb_puts(sb, "(start)");
		sb_puts(sb, " .. ");
		if (r->filter.until_ns)
			report_time(sb, r->filter.until_ns, fmt);
		else
			sb_puts(sb, "(end)");
		sb_puts(sb, "; ");
	}
	if (r->first_ns) {
		sb_puts(sb, "records from ");
		report_time(sb, r->first_ns, fmt);
		sb_puts(sb, " to ");
		report_time(sb, r->last_ns, "%Y-%m-%d %H:%M:%S %Z");
	} else {
		sb_puts(sb, "no records");
	}
	sb_putc(sb, '\n');
}

void report_text(const struct report *r, struct strbuf *sb)
{
	const struct journal_reader_stats *rs = &r->rs;
	size_t shown = 0;

	sb_puts(sb, "vmatrace report\n");
	sb_puts(sb, "journal:   ");
	sb_printable(sb, r->filter.dir, 4096);
	sb_printf(sb, " (%llu segment%s, %llu block%s, %llu records)\n",
		  (unsigned long long)rs->segments, rs->segments == 1 ? "" : "s",
		  (unsigned long long)rs->blocks, rs->blocks == 1 ? "" : "s",
		  (unsigned long long)rs->records);
	if (r->filter.pid || r->filter.comm) {
		sb_puts(sb, "filter:   ");
		if (r->filter.pid)
			sb_printf(sb, " pid %u", r->filter.pid);
		if (r->filter.comm) {
			sb_puts(sb, " comm ");
			sb_printable(sb, r->filter.comm, 64);
		}
		sb_putc(sb, '\n');
	}
	text_range(sb, r);
	sb_printf(
	    sb, "matched:   %llu records: %llu timeline points of %zu processes, %llu incidents\n",
	    (unsigned long long)r->matched, (unsigned long long)r->points, r->nprocs,
	    (unsigned long long)r->incidents);
	sb_printf(sb, "daemon:    %u starts, %u stops", r->daemon_starts, r->daemon_stops);
	if (r->max_map_count)
		sb_printf(sb, ", vm.max_map_count %u", r->max_map_count);
	sb_printf(sb, ", %llu ring-buffer records lost, %llu resyncs\n",
		  (unsigned long long)r->drops, (unsigned long long)r->resyncs);
	if (rs->damaged_blocks) {
		sb_puts(sb, "WARNING:   ");
		damaged_blocks_text(sb, rs->damaged_blocks);
		sb_putc(sb, '\n');
	}
	if (rs->torn_tails)
		sb_printf(sb,
			  "note:      the journal ends inside a block (daemon still writing, or "
			  "crashed) in %llu segment%s\n",
			  (unsigned long long)rs->torn_tails, rs->torn_tails == 1 ? "" : "s");
	if (r->bad_payloads)
		sb_printf(sb, "WARNING:   %llu records with a malformed payload\n",
			  (unsigned long long)r->bad_payloads);

	sb_printf(sb, "\nIncidents (%llu)\n", (unsigned long long)r->incidents);
	if (r->incidents)
		sb_printf(sb, "%-23s %7s  %-16s %s\n", "TIME", "PID", "COMM", "EVENT");
	for (size_t i = 0; i < r->nevents; i++) {
		const struct report_event *ev = &r->events[i];
		size_t start = sb->len;

		if (ev->kind == REV_OTHER || ev->duplicate)
			continue;
		report_time(sb, ev->ts_ns, "%Y-%m-%d %H:%M:%S");
		sb_printf(sb, ".%03llu %7u  ", (unsigned long long)(ev->ts_ns % NS_PER_S / 1000000),
			  ev->pid);
		start = sb->len;
		sb_printable(sb, ev->comm, sizeof(ev->comm));
		pad_to(sb, start, 17);
		report_event_describe(sb, ev);
		sb_putc(sb, '\n');
		shown++;
	}
	if (!shown)
		sb_puts(sb, "  none\n");

	sb_printf(sb, "\nProcesses (%zu, by peak VMA count)\n", r->nprocs);
	if (!r->nprocs)
		return;
	sb_printf(sb, "%7s  %-16s %9s %7s  %-14s  %-14s %10s %10s %10s %10s %6s %4s\n", "PID",
		  "COMM", "PEAK VMAS", "LIMIT%", "FIRST", "LAST", "MAPPED MAX", "HEAP GROW",
		  "HEAP HWM", "CALLS", "FAILED", "INC");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct report_proc *p = r->procs[i];
		size_t start;
		long long grow = 0;

		sb_printf(sb, "%7u  ", p->pid);
		start = sb->len;
		sb_printable(sb, p->comm, sizeof(p->comm));
		pad_to(sb, start, 17);
		if (!p->npts) {
			sb_printf(sb, "%9s %7s  ", "-", "-");
		} else {
			struct strbuf t;

			sb_init(&t);
			pct(&t, p->peak_vmas, p->peak_limit);
			sb_printf(sb, "%9u %7s  ", p->peak_vmas, t.buf);
			sb_free(&t);
		}
		report_time(sb, p->first_ns, "%m-%d %H:%M:%S");
		sb_puts(sb, "  ");
		report_time(sb, p->last_ns, "%m-%d %H:%M:%S");
		if (!p->npts) {
			sb_printf(sb, " %10s %10s %10s %10s %6s", "-", "-", "-", "-", "-");
		} else {
			text_bytes(sb, p->mapped_peak, 11);
			grow = (long long)p->pts[p->npts - 1].heap - (long long)p->pts[0].heap;
			sb_puts(sb, " ");
			{
				struct strbuf t;

				sb_init(&t);
				sb_putc(&t, grow < 0 ? '-' : '+');
				sb_size(&t, grow < 0 ? -grow : grow);
				sb_printf(sb, "%10s", t.buf);
				sb_free(&t);
			}
			text_bytes(sb, p->heap_hwm, 11);
			sb_printf(sb, " %10llu %6llu", (unsigned long long)p->calls,
				  (unsigned long long)p->failures);
		}
		sb_printf(sb, " %4u", p->alerts + p->alloc_failures + p->ooms);
		if (p->ooms)
			sb_puts(sb, "  OOM-killed");
		sb_putc(sb, '\n');
	}
}

/* ---- JSON ---- */

static void json_event(struct strbuf *sb, const struct report_event *ev, bool wrap)
{
	if (ev->valid && !wrap) {
		sb_puts(sb, ev->json);
		return;
	}
	sb_printf(sb, "{\"type\":\"%s\",\"ts\":", rec_type_name(ev->type));
	json_ts(sb, ev->ts_ns);
	sb_printf(sb, ",\"pid\":%u,\"comm\":", ev->pid);
	sb_json_str(sb, ev->comm, sizeof(ev->comm));
	if (ev->valid) {
		sb_puts(sb, ",\"data\":");
		sb_puts(sb, ev->json);
	} else {
		/* Not JSON: kept as a string, so that the document stays valid. */
		sb_puts(sb, ",\"kind\":\"unparsable\",\"raw\":");
		sb_json_str(sb, ev->json, strlen(ev->json));
	}
	sb_putc(sb, '}');
}

static void json_opt_ts(struct strbuf *sb, const char *key, uint64_t ns)
{
	sb_printf(sb, "\"%s\":", key);
	if (ns)
		json_ts(sb, ns);
	else
		sb_puts(sb, "null");
}

void report_json(const struct report *r, struct strbuf *sb)
{
	const struct journal_reader_stats *rs = &r->rs;
	bool first;

	sb_puts(sb, "{\"journal\":");
	sb_json_str(sb, r->filter.dir, strlen(r->filter.dir));
	sb_puts(sb, ",\"filter\":{\"pid\":");
	if (r->filter.pid)
		sb_printf(sb, "%u", r->filter.pid);
	else
		sb_puts(sb, "null");
	sb_puts(sb, ",\"comm\":");
	if (r->filter.comm)
		sb_json_str(sb, r->filter.comm, strlen(r->filter.comm));
	else
		sb_puts(sb, "null");
	sb_puts(sb, "},\"range\":{");
	json_opt_ts(sb, "since", r->filter.since_ns);
	sb_putc(sb, ',');
	json_opt_ts(sb, "until", r->filter.until_ns);
	sb_putc(sb, ',');
	json_opt_ts(sb, "first", r->first_ns);
	sb_putc(sb, ',');
	json_opt_ts(sb, "last", r->last_ns);
	sb_printf(sb,
		  "},\"stats\":{\"segments\":%llu,\"blocks\":%llu,\"records\":%llu,"
		  "\"damaged_blocks\":%llu,\"torn_tails\":%llu,\"matched\":%llu,\"points\":%llu,"
		  "\"processes\":%zu,\"incidents\":%llu,\"bad_payloads\":%llu,"
		  "\"daemon_starts\":%u,\"daemon_stops\":%u,\"drops\":%llu,\"resyncs\":%llu,"
		  "\"max_map_count\":%u}",
		  (unsigned long long)rs->segments, (unsigned long long)rs->blocks,
		  (unsigned long long)rs->records, (unsigned long long)rs->damaged_blocks,
		  (unsigned long long)rs->torn_tails, (unsigned long long)r->matched,
		  (unsigned long long)r->points, r->nprocs, (unsigned long long)r->incidents,
		  (unsigned long long)r->bad_payloads, r->daemon_starts, r->daemon_stops,
		  (unsigned long long)r->drops, (unsigned long long)r->resyncs, r->max_map_count);

	/* Incidents as the daemon wrote them; an alert's repeat with context is kept too. */
	sb_puts(sb, ",\"events\":[");
	first = true;
	for (size_t i = 0; i < r->nevents; i++) {
		if (r->events[i].kind == REV_OTHER)
			continue;
		if (!first)
			sb_putc(sb, ',');
		json_event(sb, &r->events[i], false);
		first = false;
	}
	/* Their payloads do not say what they are: each comes wrapped with its type. */
	sb_puts(sb, "],\"lifecycle\":[");
	first = true;
	for (size_t i = 0; i < r->nevents; i++) {
		if (r->events[i].kind != REV_OTHER)
			continue;
		if (!first)
			sb_putc(sb, ',');
		json_event(sb, &r->events[i], true);
		first = false;
	}
	sb_puts(sb, "],\"processes\":[");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct report_proc *p = r->procs[i];

		sb_printf(sb, "%s{\"pid\":%u,\"comm\":", i ? "," : "", p->pid);
		sb_json_str(sb, p->comm, sizeof(p->comm));
		sb_putc(sb, ',');
		json_opt_ts(sb, "first", p->first_ns);
		sb_putc(sb, ',');
		json_opt_ts(sb, "last", p->last_ns);
		sb_printf(sb,
			  ",\"peak_vmas\":%u,\"peak_max_map_count\":%u,\"mapped_peak\":%llu,"
			  "\"heap_peak\":%llu,\"heap_hwm\":%llu,\"calls\":%llu,\"failures\":%llu,"
			  "\"alerts\":%u,\"alloc_failures\":%u,\"oom_kills\":%u,\"points\":[",
			  p->peak_vmas, p->peak_limit, (unsigned long long)p->mapped_peak,
			  (unsigned long long)p->heap_peak, (unsigned long long)p->heap_hwm,
			  (unsigned long long)p->calls, (unsigned long long)p->failures, p->alerts,
			  p->alloc_failures, p->ooms);
		for (size_t k = 0; k < p->npts; k++) {
			const struct journal_tl *t = &p->pts[k];

			sb_puts(sb, k ? ",{\"ts\":" : "{\"ts\":");
			json_ts(sb, t->t_ns);
			sb_printf(sb,
				  ",\"vmas_min\":%u,\"vmas_max\":%u,\"vmas\":%u,"
				  "\"max_map_count\":%u,\"mapped\":%llu,\"heap\":%llu,"
				  "\"heap_hwm\":%llu,\"calls\":%u,\"failures\":%u}",
				  t->vmas_min, t->vmas_max, t->vmas_last, t->max_map_count,
				  (unsigned long long)t->mapped, (unsigned long long)t->heap,
				  (unsigned long long)t->heap_hwm, t->calls, t->failures);
		}
		sb_puts(sb, "]}");
	}
	sb_puts(sb, "]}\n");
}

/* ---- CSV ---- */

/* RFC 4180: a field in double quotes, quotes doubled. Bytes stay bytes. */
static void csv_field(struct strbuf *sb, const char *s, size_t n)
{
	sb_putc(sb, '"');
	for (size_t i = 0; i < n && s[i]; i++) {
		if (s[i] == '"')
			sb_putc(sb, '"');
		sb_putc(sb, s[i]);
	}
	sb_putc(sb, '"');
}

void report_csv(const struct report *r, struct strbuf *sb)
{
	sb_puts(sb, "ts,pid,comm,vmas_min,vmas_max,vmas,max_map_count,mapped,heap,heap_hwm,calls,"
		    "failures\r\n");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct report_proc *p = r->procs[i];

		for (size_t k = 0; k < p->npts; k++) {
			const struct journal_tl *t = &p->pts[k];

			json_ts(sb, t->t_ns);
			sb_printf(sb, ",%u,", p->pid);
			csv_field(sb, p->comm, sizeof(p->comm));
			sb_printf(sb, ",%u,%u,%u,%u,%llu,%llu,%llu,%u,%u\r\n", t->vmas_min,
				  t->vmas_max, t->vmas_last, t->max_map_count,
				  (unsigned long long)t->mapped, (unsigned long long)t->heap,
				  (unsigned long long)t->heap_hwm, t->calls, t->failures);
		}
	}
}

/* ---- HTML ---- */

static const char html_style[] =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;color:#1f2937;margin:24px;"
    "max-width:1100px}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}\n"
    "table{border-collapse:collapse;font-size:13px}\n"
    "th,td{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#f3f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".summary td:first-child{color:#6b7280}\n"
    ".warn{background:#fef2f2;border:1px solid #fca5a5;padding:8px 12px;margin:8px 0}\n"
    ".note{background:#fffbeb;border:1px solid #fcd34d;padding:8px 12px;margin:8px 0}\n"
    ".k-alert{color:#c2410c}.k-failure{color:#dc2626}.k-oom{color:#7f1d1d;font-weight:bold}\n"
    "svg{max-width:100%;height:auto}\n";

static void html_row(struct strbuf *sb, const char *label, const char *value)
{
	sb_puts(sb, "<tr><td>");
	report_xml_text(sb, label, strlen(label));
	sb_puts(sb, "</td><td>");
	report_xml_text(sb, value, strlen(value));
	sb_puts(sb, "</td></tr>\n");
}

void report_html(const struct report *r, const struct report_svg_opts *o, struct strbuf *sb)
{
	const struct journal_reader_stats *rs = &r->rs;
	struct report_svg_opts so = *o;
	struct strbuf t;

	sb_init(&t);
	sb_puts(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n"
		    "<title>vmatrace report</title>\n<style>\n");
	sb_puts(sb, html_style);
	sb_puts(sb, "</style></head>\n<body>\n<h1>vmatrace report</h1>\n");

	sb_puts(sb, "<table class=\"summary\">\n");
	html_row(sb, "journal", r->filter.dir);
	if (r->filter.pid || r->filter.comm) {
		sb_reset(&t);
		if (r->filter.pid)
			sb_printf(&t, "pid %u ", r->filter.pid);
		if (r->filter.comm)
			sb_printf(&t, "comm %s", r->filter.comm);
		html_row(sb, "filter", t.buf);
	}
	sb_reset(&t);
	if (r->first_ns) {
		report_time(&t, r->first_ns, "%Y-%m-%d %H:%M:%S");
		sb_puts(&t, " .. ");
		report_time(&t, r->last_ns, "%Y-%m-%d %H:%M:%S %Z");
	} else {
		sb_puts(&t, "no records");
	}
	html_row(sb, "records from", t.buf);
	sb_reset(&t);
	sb_printf(&t, "%llu of %llu records (%llu segment%s, %llu block%s)",
		  (unsigned long long)r->matched, (unsigned long long)rs->records,
		  (unsigned long long)rs->segments, rs->segments == 1 ? "" : "s",
		  (unsigned long long)rs->blocks, rs->blocks == 1 ? "" : "s");
	html_row(sb, "matched", t.buf);
	sb_reset(&t);
	sb_printf(&t, "%llu timeline points of %zu processes", (unsigned long long)r->points,
		  r->nprocs);
	html_row(sb, "timelines", t.buf);
	sb_reset(&t);
	sb_printf(&t, "%llu", (unsigned long long)r->incidents);
	html_row(sb, "incidents", t.buf);
	sb_reset(&t);
	sb_printf(&t, "%u starts, %u stops, %llu ring-buffer records lost, %llu resyncs",
		  r->daemon_starts, r->daemon_stops, (unsigned long long)r->drops,
		  (unsigned long long)r->resyncs);
	if (r->max_map_count)
		sb_printf(&t, "; vm.max_map_count %u", r->max_map_count);
	html_row(sb, "daemon", t.buf);
	sb_puts(sb, "</table>\n");
	if (rs->damaged_blocks) {
		sb_puts(sb, "<p class=\"warn\">");
		damaged_blocks_text(sb, rs->damaged_blocks);
		sb_puts(sb, ".</p>\n");
	}
	if (rs->torn_tails)
		sb_puts(sb,
			"<p class=\"note\">The journal ends inside a block (daemon still writing, "
			"or crashed).</p>\n");

	so.inline_html = true;
	sb_puts(sb, "<h2>Timelines</h2>\n");
	report_svg(r, &so, sb);

	sb_printf(sb, "<h2>Incidents (%llu)</h2>\n", (unsigned long long)r->incidents);
	if (r->incidents) {
		sb_puts(sb,
			"<table>\n<tr><th>time</th><th>pid</th><th>comm</th><th>event</th></tr>\n");
		for (size_t i = 0; i < r->nevents; i++) {
			const struct report_event *ev = &r->events[i];
			const char *cls = ev->kind == REV_OOM	    ? "k-oom"
					  : ev->kind == REV_FAILURE ? "k-failure"
								    : "k-alert";

			if (ev->kind == REV_OTHER || ev->duplicate)
				continue;
			sb_puts(sb, "<tr><td>");
			report_time(sb, ev->ts_ns, "%Y-%m-%d %H:%M:%S");
			sb_printf(sb, "</td><td class=\"n\">%u</td><td>", ev->pid);
			report_xml_text(sb, ev->comm, sizeof(ev->comm));
			sb_printf(sb, "</td><td class=\"%s\">", cls);
			sb_reset(&t);
			report_event_describe(&t, ev);
			report_xml_text(sb, t.buf ? t.buf : "", t.len);
			sb_puts(sb, "</td></tr>\n");
		}
		sb_puts(sb, "</table>\n");
	} else {
		sb_puts(sb, "<p>None.</p>\n");
	}

	sb_printf(sb, "<h2>Processes (%zu)</h2>\n", r->nprocs);
	if (r->nprocs) {
		sb_puts(sb, "<table>\n<tr><th>pid</th><th>comm</th><th>peak VMAs</th>"
			    "<th>of limit</th><th>first</th><th>last</th><th>mapped max</th>"
			    "<th>heap max</th><th>heap hwm</th><th>calls</th><th>failed</th>"
			    "<th>incidents</th></tr>\n");
		for (size_t i = 0; i < r->nprocs; i++) {
			const struct report_proc *p = r->procs[i];

			sb_printf(sb, "<tr><td class=\"n\">%u</td><td>", p->pid);
			report_xml_text(sb, p->comm, sizeof(p->comm));
			sb_puts(sb, "</td><td class=\"n\">");
			report_thousands(sb, p->peak_vmas);
			sb_puts(sb, "</td><td class=\"n\">");
			pct(sb, p->peak_vmas, p->peak_limit);
			sb_puts(sb, "</td><td>");
			report_time(sb, p->first_ns, "%m-%d %H:%M:%S");
			sb_puts(sb, "</td><td>");
			report_time(sb, p->last_ns, "%m-%d %H:%M:%S");
			sb_puts(sb, "</td><td class=\"n\">");
			sb_size(sb, p->mapped_peak);
			sb_puts(sb, "</td><td class=\"n\">");
			sb_size(sb, p->heap_peak);
			sb_puts(sb, "</td><td class=\"n\">");
			sb_size(sb, p->heap_hwm);
			sb_printf(sb,
				  "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
				  "<td class=\"n\">%u%s</td></tr>\n",
				  (unsigned long long)p->calls, (unsigned long long)p->failures,
				  p->alerts + p->alloc_failures + p->ooms,
				  p->ooms ? " (OOM-killed)" : "");
		}
		sb_puts(sb, "</table>\n");
	}
	sb_puts(sb, "</body></html>\n");
	sb_free(&t);
}

/* ---- the command ---- */

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: vmatrace report [--journal-dir DIR] [-p PID | --comm NAME] [--since T]\n"
	       "                       [--until T] [--format text|json|csv|svg|html] [-o FILE]\n"
	       "\n"
	       "History from the daemon's journal: incidents (VMA-count alerts, failed calls,\n"
	       "OOM kills) and each process's VMA count, mapped bytes and heap over time.\n"
	       "\n"
	       "  -d, --journal-dir DIR  the journal (default " REPORT_DEFAULT_DIR ")\n"
	       "  -p, --pid PID          only this process\n"
	       "  -c, --comm NAME        only processes with this name\n"
	       "  -s, --since T          records at or after T\n"
	       "  -u, --until T          records at or before T\n"
	       "  -f, --format FMT       text (default), json, csv, svg or html\n"
	       "  -o, --output FILE      write there (replaced atomically) instead of stdout\n"
	       "      --top N            svg/html: processes drawn without -p/--comm (default 10)\n"
	       "\n"
	       "T is 'YYYY-MM-DD HH:MM[:SS]' (local time), 'YYYY-MM-DDTHH:MM:SS[Z]', unix\n"
	       "seconds, or relative: -90s, -30m, -2h, -1d (ago).\n");
}

/* Write the whole buffer to path through a temporary file, so no reader sees half a report. */
static int write_atomic(const char *path, const struct strbuf *sb)
{
	char *tmp;
	int fd, err = 0;
	FILE *f;

	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	/* 0666 less the umask: a report is as readable as any file the user creates. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
	} else {
		if (sb_write(sb, f))
			err = errno ? -errno : -EIO;
		if (fclose(f) && !err)
			err = -errno;
	}
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

enum report_format { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_SVG, FMT_HTML };

int cli_report(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"journal-dir", required_argument, NULL, 'd'},
	    {"pid", required_argument, NULL, 'p'},
	    {"comm", required_argument, NULL, 'c'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"top", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct report_filter f = {.dir = REPORT_DEFAULT_DIR};
	struct report_svg_opts so = {0};
	enum report_format fmt = FMT_TEXT;
	const char *output = NULL;
	time_t now = time(NULL);
	struct report r;
	struct strbuf sb;
	struct stat st;
	pid_t pid;
	char *end;
	long top;
	int c, err, ret = 0;

	optind = 0; /* getopt starts afresh when a test calls us more than once */
	while ((c = getopt_long(argc, argv, "d:p:c:s:u:f:o:h", opts, NULL)) != -1) {
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
		case 't':
			top = strtol(optarg, &end, 10);
			if (*end || top <= 0 || top > 1000) {
				log_err("invalid --top '%s'", optarg);
				return EXIT_USAGE;
			}
			so.max_panels = top;
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
	if (f.since_ns && f.until_ns && f.since_ns > f.until_ns) {
		log_err("--since is later than --until: nothing can match");
		return EXIT_USAGE;
	}
	if (stat(f.dir, &st) || !S_ISDIR(st.st_mode)) {
		log_err("cannot read journal directory %s: %s (is the daemon's journal elsewhere? "
			"use --journal-dir)",
			f.dir, strerror(S_ISDIR(st.st_mode) || errno != 0 ? errno : ENOTDIR));
		return EXIT_USAGE;
	}
	err = report_load(&r, &f);
	if (err) {
		log_err("cannot read journal %s: %s", f.dir, strerror(-err));
		return err == -ENOENT || err == -EACCES || err == -ENOTDIR ? EXIT_USAGE : 1;
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
		report_text(&r, &sb);
		break;
	case FMT_JSON:
		report_json(&r, &sb);
		break;
	case FMT_CSV:
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
		err = write_atomic(output, &sb);
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
