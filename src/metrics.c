// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prometheus metrics: /metrics over HTTP, the node_exporter textfile, and the
 * control socket's "metrics" request, all rendered by metrics_render().
 *
 * The HTTP server is libmicrohttpd in external epoll mode: MHD's epoll fd is
 * one of the loop's fds and a loop timer stands for its timeouts, so MHD_run()
 * is called from the loop. No MHD thread exists, so the model is only ever
 * read from the loop's thread and needs no locking.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert.h"
#include "config.h"
#include "decode.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "model.h"
#include "untrusted.h"

#include "version.h"

/* A scraper that stalls is dropped after this long; it cannot hold a connection slot forever. */
#define HTTP_TIMEOUT_S 10
#define HTTP_MAX_CONNECTIONS 32
/* MHD_run() rounds in a row while MHD says it has work left without waiting for a socket. */
#define HTTP_MAX_ROUNDS 16

struct metrics {
	struct loop *loop;
	const struct config *cfg;
	metrics_view_fn view;
	void *view_ctx;

	struct MHD_Daemon *httpd;
	int http_epfd;       /* MHD's epoll fd (one of the loop's), -1 when not listening */
	uint64_t http_timer; /* the loop timer for MHD's next timeout, 0 when none */
	/* What the running listener was started for (reload compares with the new config). */
	char host[CONFIG_PATH_MAX];
	unsigned int port;
	bool failed; /* the last start failed: a reload retries even if unchanged */

	char textfile_dir[CONFIG_PATH_MAX]; /* where vmatrace.prom was last written */
	uint64_t textfile_interval_ns;
	uint64_t textfile_timer;
	bool textfile_failing; /* an error was logged; quiet until a write succeeds */
};

/* ---- the exposition ---- */

static void family(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_double(struct strbuf *sb, double v)
{
	if (v != v)
		sb_puts(sb, "NaN");
	else
		sb_printf(sb, "%.10g", v);
}

static void put_u64(struct strbuf *sb, const char *name, uint64_t v)
{
	sb_printf(sb, "%s %llu\n", name, (unsigned long long)v);
}

static void errno_label(struct strbuf *sb, int err)
{
	const char *name = err ? decode_errno_name(err) : "unknown";

	if (name)
		sb_puts(sb, name);
	else
		sb_printf(sb, "%d", err);
}

static bool errno_alerted(const struct config *c, int err)
{
	for (int i = 0; i < c->n_alert_errnos; i++)
		if (c->alert_errnos[i] == err)
			return true;
	return false;
}

static void render_host(const struct metrics_view *v, struct strbuf *sb, size_t tracked)
{
	const struct config *c = v->cfg;

	family(sb, "vmatrace_syscalls_total", "counter",
	       "Memory-management system calls seen, by system call.");
	for (unsigned int s = 0; s < VMT_SYS__COUNT; s++)
		sb_printf(sb, "vmatrace_syscalls_total{syscall=\"%s\"} %llu\n", decode_sys_name(s),
			  (unsigned long long)v->calls[s]);

	/*
	 * Only failures that happened, plus a zero for every call and alerting errno (ENOMEM):
	 * a series that first appears at 1 is invisible to increase(), and the ENOMEM rule
	 * must see the first failure.
	 */
	family(sb, "vmatrace_syscall_failures_total", "counter",
	       "Failed memory-management system calls, by system call and errno.");
	for (unsigned int s = 0; s < VMT_SYS__COUNT; s++) {
		for (int e = 0; e < METRICS_MAX_ERRNO; e++) {
			if (!v->failures[s][e] && !(e && errno_alerted(c, e)))
				continue;
			sb_printf(sb, "vmatrace_syscall_failures_total{syscall=\"%s\",errno=\"",
				  decode_sys_name(s));
			errno_label(sb, e);
			sb_printf(sb, "\"} %llu\n", (unsigned long long)v->failures[s][e]);
		}
	}

	family(sb, "vmatrace_ringbuf_dropped_records_total", "counter",
	       "Records lost because the BPF ring buffer was full (the model resyncs after them).");
	put_u64(sb, "vmatrace_ringbuf_dropped_records_total", v->drops);

	family(sb, "vmatrace_model_resyncs_total", "counter",
	       "Times the model re-read a process's VMAs from the kernel.");
	put_u64(sb, "vmatrace_model_resyncs_total", v->resyncs);

	family(sb, "vmatrace_events_total", "counter", "Ring-buffer events applied to the model.");
	put_u64(sb, "vmatrace_events_total", v->events);

	family(sb, "vmatrace_oom_kills_total", "counter", "OOM kills seen, on the whole host.");
	put_u64(sb, "vmatrace_oom_kills_total", v->ooms);

	family(sb, "vmatrace_alerts_total", "counter", "Alerts raised, by kind.");
	for (int k = 0; k < ALERT__COUNT; k++)
		sb_printf(sb, "vmatrace_alerts_total{kind=\"%s\"} %llu\n", alert_kind_name(k),
			  (unsigned long long)v->alerts[k]);

	family(sb, "vmatrace_tracked_processes", "gauge",
	       "Processes in the live model that the configuration selects.");
	put_u64(sb, "vmatrace_tracked_processes", tracked);

	/* Not *_max_map_count: promtool's lint reserves the _count suffix for histograms. */
	family(sb, "vmatrace_vma_limit", "gauge",
	       "vm.max_map_count: the most VMAs a process may have before mmap, munmap and brk "
	       "fail with ENOMEM.");
	put_u64(sb, "vmatrace_vma_limit", v->max_map_count);

	family(sb, "vmatrace_daemon_resident_memory_bytes", "gauge",
	       "Resident memory of the vmatrace daemon.");
	put_u64(sb, "vmatrace_daemon_resident_memory_bytes", (uint64_t)v->rss_kib * 1024);

	family(sb, "vmatrace_daemon_cpu_seconds_total", "counter",
	       "CPU time used by the vmatrace daemon (user and system).");
	sb_puts(sb, "vmatrace_daemon_cpu_seconds_total ");
	put_double(sb, v->cpu_seconds);
	sb_putc(sb, '\n');

	family(sb, "vmatrace_build_info", "gauge", "Always 1; the version of vmatrace as a label.");
	sb_puts(sb, "vmatrace_build_info{version=\"" VMATRACE_VERSION "\"} 1\n");
}

static int by_pid(const void *a, const void *b)
{
	const struct model_proc *x = *(struct model_proc *const *)a;
	const struct model_proc *y = *(struct model_proc *const *)b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/*
 * The processes with their own series: the top metrics_top by VMA count (the
 * ratio's order), and every one at or above the lowest alert threshold, so that
 * nothing an alert is about is missing. In pid order, so that the output does
 * not reshuffle as counts change. Returns how many; *sel is malloc'd.
 */
static size_t select_procs(const struct metrics_view *v, struct model_proc ***sel)
{
	const struct config *c = v->cfg;
	size_t keep = 0;
	double alerting = -1; /* VMA count of the lowest alert; -1: no count alerts */

	if (c->n_alert_thresholds && v->max_map_count)
		alerting = c->alert_thresholds[0] * v->max_map_count / 100.0;
	if (c->n_alert_vma_counts && (alerting < 0 || c->alert_vma_counts[0] < alerting))
		alerting = c->alert_vma_counts[0];
	/* Ranked by count, descending: what is kept is a prefix. */
	while (keep < v->nranked &&
	       (keep < c->metrics_top ||
		(alerting >= 0 && model_vma_count(v->ranked[keep]) >= alerting)))
		keep++;
	*sel = calloc(keep + 1, sizeof(**sel));
	if (!*sel)
		return 0;
	memcpy(*sel, v->ranked, keep * sizeof(**sel));
	if (keep)
		qsort(*sel, keep, sizeof(**sel), by_pid);
	return keep;
}

static void proc_labels(struct strbuf *sb, const char *name, const struct model_proc *p)
{
	sb_printf(sb, "%s{pid=\"%u\",comm=\"", name, p->tgid);
	ut_append(sb, p->comm, sizeof(p->comm), UT_PROM);
	sb_puts(sb, "\"} ");
}

enum proc_metric { PM_VMAS, PM_RATIO, PM_MAPPED, PM_HEAP, PM_HEAP_HWM, PM_FAILURES, PM__COUNT };

static const struct {
	const char *name, *type, *help;
} proc_families[PM__COUNT] = {
	[PM_VMAS] = { "vmatrace_process_vmas", "gauge",
		      "VMAs (memory mappings) of the process, as the kernel counts them." },
	[PM_RATIO] = { "vmatrace_process_vma_ratio", "gauge",
		       "VMAs of the process as a fraction of vm.max_map_count (0 to 1)." },
	[PM_MAPPED] = { "vmatrace_process_mapped_bytes", "gauge",
			"Virtual memory mapped by the process." },
	[PM_HEAP] = { "vmatrace_process_heap_bytes", "gauge",
		      "Size of the brk heap (brk - start_brk)." },
	[PM_HEAP_HWM] = { "vmatrace_process_heap_high_water_bytes", "gauge",
			  "Largest size the brk heap has had while traced." },
	[PM_FAILURES] = { "vmatrace_process_failures_total", "counter",
			  "Failed memory-management system calls of the process." },
};

static void render_procs(const struct metrics_view *v, struct strbuf *sb, struct model_proc **sel,
			 size_t n)
{
	for (int f = 0; f < PM__COUNT; f++) {
		family(sb, proc_families[f].name, proc_families[f].type, proc_families[f].help);
		for (size_t i = 0; i < n; i++) {
			const struct model_proc *p = sel[i];
			size_t vmas = model_vma_count(p);
			double limit = v->max_map_count;
			uint64_t base = p->start_brk;
			uint64_t heap = p->brk > base ? p->brk - base : 0;
			uint64_t hwm = p->brk_hwm > base ? p->brk_hwm - base : 0;

			proc_labels(sb, proc_families[f].name, p);
			switch (f) {
			case PM_VMAS:
				sb_printf(sb, "%zu\n", vmas);
				break;
			case PM_RATIO:
				put_double(sb, limit ? vmas / limit : 0);
				sb_putc(sb, '\n');
				break;
			case PM_MAPPED:
				sb_printf(sb, "%llu\n", (unsigned long long)model_mapped_bytes(p));
				break;
			case PM_HEAP:
				sb_printf(sb, "%llu\n", (unsigned long long)heap);
				break;
			case PM_HEAP_HWM:
				sb_printf(sb, "%llu\n", (unsigned long long)hwm);
				break;
			case PM_FAILURES:
				sb_printf(sb, "%llu\n", (unsigned long long)p->failures);
				break;
			}
		}
	}
}

void metrics_render(const struct metrics_view *v, struct strbuf *out)
{
	struct model_proc **sel;
	size_t n = select_procs(v, &sel);

	render_host(v, out, v->nranked);
	render_procs(v, out, sel, n);
	free(sel);
}

void metrics_answer(struct metrics *m, struct strbuf *out)
{
	struct metrics_view v = { 0 };

	m->view(m->view_ctx, &v);
	metrics_render(&v, out);
	free(v.ranked);
}

/* ---- the listen address ---- */

static bool word_in(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcasecmp(s, *words))
			return true;
	return false;
}

static int parse_port(const char *s, unsigned int *port)
{
	char *end;
	unsigned long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v < 1 || v > 65535)
		return -EINVAL;
	*port = v;
	return 0;
}

int metrics_parse_listen(const char *spec, bool *enabled, char *host, size_t hostlen,
			 unsigned int *port)
{
	static const char *const off[] = { "", "off", "no", "false", "none", NULL };
	static const char *const on[] = { "on", "yes", "true", NULL };
	const char *colon, *h = METRICS_DEFAULT_HOST;
	size_t hlen = strlen(METRICS_DEFAULT_HOST);

	*enabled = false;
	*port = METRICS_DEFAULT_PORT;
	if (word_in(spec, off))
		return 0;
	*enabled = true;
	if (word_in(spec, on)) {
		/* the defaults */
	} else if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close == spec + 1)
			return -EINVAL;
		if (close[1] && (close[1] != ':' || parse_port(close + 2, port)))
			return -EINVAL;
		h = spec + 1;
		hlen = close - h;
	} else if (strspn(spec, "0123456789") == strlen(spec)) {
		if (parse_port(spec, port))
			return -EINVAL;
	} else if ((colon = strchr(spec, ':')) && !strchr(colon + 1, ':')) {
		if (parse_port(colon + 1, port))
			return -EINVAL;
		if (colon > spec) {
			h = spec;
			hlen = colon - spec;
		}
	} else {
		/* A host alone (a bare IPv6 address has several colons): the default port. */
		h = spec;
		hlen = strlen(spec);
	}
	if (hlen + 1 > hostlen)
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = 0;
	return 0;
}

static void format_addr(char *buf, size_t len, const char *host, unsigned int port)
{
	snprintf(buf, len, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}

/* ---- the HTTP server ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	/* MHD reports every reset client connection: noise at the normal level. */
	if (log_enabled(LOG_LVL_DEBUG)) {
		char msg[512];

		vsnprintf(msg, sizeof(msg), fmt, ap);
		msg[strcspn(msg, "\n")] = 0;
		log_debug("metrics: http: %s", msg);
	}
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int status, char *body,
			      size_t len, bool owned)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (owned)
		r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	else
		r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? METRICS_CONTENT_TYPE :
							"text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_http(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **req)
{
	static char not_found[] = "not found: vmatrace serves /metrics\n";
	static char not_allowed[] = "method not allowed: use GET\n";
	static char no_memory[] = "out of memory\n";
	static int seen;
	struct metrics *m = cls;
	struct strbuf sb;

	(void)version;
	(void)upload;
	/* The first call has only the headers; answer on the next, once any body is consumed. */
	if (!*req) {
		*req = &seen;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed, strlen(not_allowed),
			      false);
	if (strcmp(url, "/metrics"))
		return answer(conn, MHD_HTTP_NOT_FOUND, not_found, strlen(not_found), false);
	sb_init(&sb);
	metrics_answer(m, &sb);
	if (sb.oom || !sb.buf) {
		sb_free(&sb);
		return answer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, no_memory, strlen(no_memory),
			      false);
	}
	return answer(conn, MHD_HTTP_OK, sb.buf, sb.len, true);
}

static void http_service(struct metrics *m);

static void on_http_timer(void *ctx)
{
	struct metrics *m = ctx;

	m->http_timer = 0;
	http_service(m);
}

static void on_http_fd(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	http_service(ctx);
}

/* Run MHD until it waits on sockets, then set the timer for its next timeout. */
static void http_service(struct metrics *m)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	bool timed = false;

	for (int round = 0; round < HTTP_MAX_ROUNDS; round++) {
		MHD_run(m->httpd);
		timed = MHD_get_timeout(m->httpd, &ms) == MHD_YES;
		if (!timed || ms)
			break;
	}
	loop_cancel_timer(m->loop, m->http_timer);
	m->http_timer = 0;
	if (!timed)
		return;
	if (!ms)
		ms = 1; /* still busy after many rounds: come back soon, after the others */
	if (ms > 60000)
		ms = 60000;
	m->http_timer = loop_add_timer(m->loop, ms * 1000000ull, 0, on_http_timer, m);
}

static void listener_stop(struct metrics *m)
{
	loop_cancel_timer(m->loop, m->http_timer);
	m->http_timer = 0;
	if (m->http_epfd >= 0)
		loop_del_fd(m->loop, m->http_epfd);
	if (m->httpd)
		MHD_stop_daemon(m->httpd); /* closes the listening socket too */
	m->httpd = NULL;
	m->http_epfd = -1;
	m->host[0] = 0;
	m->port = 0;
}

/* A listening socket of our own: its errors name the address, which MHD's would not. */
static int listen_socket(const char *host, unsigned int port, const char *addr, int *family)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char service[8];
	int fd = -1, one = 1, err;

	snprintf(service, sizeof(service), "%u", port);
	err = getaddrinfo(host, service, &hints, &ai);
	if (err) {
		log_err("metrics: cannot listen on %s: %s (check metrics_listen; serving no "
			"metrics)", addr, gai_strerror(err));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		log_err("metrics: cannot listen on %s: %s (serving no metrics; change "
			"metrics_listen and reload)", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	*family = ai->ai_family;
	freeaddrinfo(ai);
	return fd;
}

static void listener_start(struct metrics *m, const char *host, unsigned int port)
{
	const union MHD_DaemonInfo *info;
	char addr[CONFIG_PATH_MAX + 16];
	int family = AF_INET, fd, err;

	format_addr(addr, sizeof(addr), host, port);
	m->failed = true;
	fd = listen_socket(host, port, addr, &family);
	if (fd < 0)
		return;
	/* MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD: we drive it, no threads. */
	m->httpd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
					    (family == AF_INET6 ? MHD_USE_IPv6 : 0),
				    0, NULL, NULL, on_http, m,
				    MHD_OPTION_LISTEN_SOCKET, fd,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNECTIONS,
				    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				    MHD_OPTION_END);
	info = m->httpd ? MHD_get_daemon_info(m->httpd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info || info->epoll_fd < 0) {
		log_err("metrics: cannot start the HTTP server on %s (serving no metrics)", addr);
		if (m->httpd)
			MHD_stop_daemon(m->httpd);
		else
			close(fd);
		m->httpd = NULL;
		return;
	}
	err = loop_add_fd(m->loop, info->epoll_fd, EPOLLIN, on_http_fd, m);
	if (err) {
		log_err("metrics: cannot add the HTTP server to the event loop: %s (serving no "
			"metrics)", strerror(-err));
		MHD_stop_daemon(m->httpd);
		m->httpd = NULL;
		return;
	}
	m->http_epfd = info->epoll_fd;
	snprintf(m->host, sizeof(m->host), "%s", host);
	m->port = port;
	m->failed = false;
	log_info("metrics: serving http://%s/metrics", addr);
}

/* Start, restart or stop the listener to match m->cfg. */
static void listener_apply(struct metrics *m)
{
	char host[CONFIG_PATH_MAX];
	unsigned int port;
	bool enabled;

	if (metrics_parse_listen(m->cfg->metrics_listen, &enabled, host, sizeof(host), &port)) {
		/* Like an invalid reload, this keeps what runs (nothing at the first start). */
		log_err("metrics: metrics_listen '%s' is not on, off, :PORT, HOST:PORT or "
			"[IPV6]:PORT (%s)", m->cfg->metrics_listen,
			m->httpd ? "keeping the running listener" : "serving no metrics");
		return;
	}
	if (m->httpd && enabled && !m->failed && m->port == port && !strcmp(m->host, host))
		return;
	if (m->httpd) {
		char addr[CONFIG_PATH_MAX + 16];

		format_addr(addr, sizeof(addr), m->host, m->port);
		log_info("metrics: stopping the HTTP server on %s", addr);
	}
	listener_stop(m);
	m->failed = false;
	if (enabled)
		listener_start(m, host, port);
}

/* ---- the textfile ---- */

int metrics_write_textfile(const char *dir, const char *text, size_t len)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int fd, err = 0;

	if ((size_t)snprintf(dst, sizeof(dst), "%s/" METRICS_TEXTFILE, dir) >= sizeof(dst) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/" METRICS_TEXTFILE ".tmp.%d", dir,
			     (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	/* node_exporter runs as another user: readable whatever our umask is. */
	if (fchmod(fd, 0644))
		err = -errno;
	while (!err && len) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		text += n;
		len -= n;
	}
	if (close(fd) && !err)
		err = -errno;
	/* rename() is atomic: the collector reads the old file or the new one, never half. */
	if (!err && rename(tmp, dst))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void textfile_remove(struct metrics *m)
{
	char path[PATH_MAX];

	if (!m->textfile_dir[0])
		return;
	/* Left behind, the file would be served as if the daemon still ran. */
	snprintf(path, sizeof(path), "%s/" METRICS_TEXTFILE, m->textfile_dir);
	if (unlink(path) && errno != ENOENT)
		log_warn("metrics: cannot remove %s: %s", path, strerror(errno));
	m->textfile_dir[0] = 0;
}

static void on_textfile_timer(void *ctx)
{
	struct metrics *m = ctx;
	const char *dir = m->cfg->textfile_dir;
	struct strbuf sb;
	int err;

	sb_init(&sb);
	metrics_answer(m, &sb);
	err = sb.oom ? -ENOMEM : metrics_write_textfile(dir, sb.buf ? sb.buf : "", sb.len);
	sb_free(&sb);
	if (err) {
		if (!m->textfile_failing)
			log_err("metrics: cannot write %s/" METRICS_TEXTFILE ": %s (retrying every "
				"textfile_interval; logged once)", dir, strerror(-err));
		m->textfile_failing = true;
		return;
	}
	if (m->textfile_failing)
		log_info("metrics: writing %s/" METRICS_TEXTFILE " again", dir);
	m->textfile_failing = false;
	snprintf(m->textfile_dir, sizeof(m->textfile_dir), "%s", dir);
}

/* Written at once, then every textfile_interval. */
static void textfile_schedule(struct metrics *m)
{
	loop_cancel_timer(m->loop, m->textfile_timer);
	m->textfile_timer = 0;
	m->textfile_interval_ns = m->cfg->textfile_interval_ns;
	if (!m->cfg->textfile_dir[0])
		return;
	m->textfile_timer = loop_add_timer(m->loop, 0, m->textfile_interval_ns, on_textfile_timer, m);
	if (!m->textfile_timer)
		log_err("metrics: out of memory: not writing %s/" METRICS_TEXTFILE,
			m->cfg->textfile_dir);
}

/* ---- lifecycle ---- */

struct metrics *metrics_new(struct loop *l, const struct config *cfg, metrics_view_fn view,
			    void *ctx)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m) {
		log_err("metrics: out of memory (running without metrics)");
		return NULL;
	}
	m->loop = l;
	m->cfg = cfg;
	m->view = view;
	m->view_ctx = ctx;
	m->http_epfd = -1;
	listener_apply(m);
	textfile_schedule(m);
	return m;
}

void metrics_reconfigure(struct metrics *m, const struct config *cfg)
{
	bool moved;

	if (!m)
		return;
	moved = strcmp(m->textfile_dir, cfg->textfile_dir);
	m->cfg = cfg;
	listener_apply(m);
	if (moved) {
		textfile_remove(m);
		m->textfile_failing = false;
	}
	/* A new place or pace: written at once, then at the new interval. */
	if (moved || m->textfile_interval_ns != cfg->textfile_interval_ns || !m->textfile_timer)
		textfile_schedule(m);
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	listener_stop(m);
	loop_cancel_timer(m->loop, m->textfile_timer);
	textfile_remove(m);
	free(m);
}
