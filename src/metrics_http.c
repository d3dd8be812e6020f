// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The /metrics HTTP listener: libmicrohttpd in external epoll mode. MHD's
 * epoll fd is one of the loop's fds and a loop timer stands for its
 * timeouts, so MHD_run() is called from the loop. No MHD thread exists, so
 * the model is only ever read from the loop's thread and needs no locking.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "metrics_http.h"

/* A scraper that stalls is dropped after this long; it cannot hold a connection slot forever. */
#define HTTP_TIMEOUT_S 10
#define HTTP_MAX_CONNECTIONS 64
/*
 * Past this many open connections, each new one closes the oldest that has
 * no answer under way: silent or slow clients (anyone on the host can open
 * them) give way to new ones instead of filling every slot until their
 * timeout, so that a scrape always finds room.
 */
#define HTTP_SOFT_CONNECTIONS 48
/* MHD_run() rounds in a row while MHD says it has work left without waiting for a socket. */
#define HTTP_MAX_ROUNDS 16

/* One open connection, as MHD's notifications tell: its socket, and whether it is answered. */
struct http_conn {
	int fd;
	uint64_t seq; /* order of arrival: the lowest is the oldest */
	bool answering;
};

struct metrics_http {
	struct loop *loop;
	struct http_conn conns[HTTP_MAX_CONNECTIONS];
	uint64_t next_seq;
	unsigned long long evicted;
	metrics_body_fn body;
	void *body_ctx;
	struct MHD_Daemon *httpd;
	int http_epfd;	     /* MHD's epoll fd (one of the loop's), -1 when not listening */
	uint64_t http_timer; /* the loop timer for MHD's next timeout, 0 when none */
	/* What the running listener was started for (a reload compares with the new config). */
	char host[CONFIG_PATH_MAX];
	unsigned int port;
	bool failed; /* the last start failed: a reload retries even if unchanged */
};

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

static struct http_conn *conn_slot(struct metrics_http *m, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	if (!ci)
		return NULL;
	for (int i = 0; i < HTTP_MAX_CONNECTIONS; i++)
		if (m->conns[i].seq && m->conns[i].fd == ci->connect_fd)
			return &m->conns[i];
	return NULL;
}

/* Past the soft limit: shut the oldest idle connection down (MHD then sees it end, and frees it). */
static void evict_oldest(struct metrics_http *m)
{
	struct http_conn *victim = NULL;
	int open = 0;

	for (int i = 0; i < HTTP_MAX_CONNECTIONS; i++) {
		struct http_conn *c = &m->conns[i];

		if (!c->seq)
			continue;
		open++;
		if (!c->answering && (!victim || c->seq < victim->seq))
			victim = c;
	}
	if (open <= HTTP_SOFT_CONNECTIONS || !victim)
		return;
	shutdown(victim->fd, SHUT_RDWR);
	victim->answering = true; /* once is enough: it is on its way out */
	m->evicted++;
	log_debug("metrics: %d connections open: closed the oldest idle one (%llu so far)", open,
		  m->evicted);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct metrics_http *m = cls;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct http_conn *c;

	(void)socket_context;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		c = conn_slot(m, conn);
		if (c)
			memset(c, 0, sizeof(*c));
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_STARTED || !ci)
		return;
	for (int i = 0; i < HTTP_MAX_CONNECTIONS; i++) {
		c = &m->conns[i];
		if (c->seq)
			continue;
		c->fd = ci->connect_fd;
		c->seq = ++m->next_seq;
		c->answering = false;
		break;
	}
	evict_oldest(m);
}

/* A request answered: a kept-alive connection is idle again. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req,
			 enum MHD_RequestTerminationCode code)
{
	struct http_conn *c = conn_slot(cls, conn);

	(void)req;
	(void)code;
	if (c)
		c->answering = false;
}

static enum MHD_Result on_http(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **req)
{
	static char not_found[] = "not found: vmatrace serves /metrics\n";
	static char not_allowed[] = "method not allowed: use GET\n";
	static char no_memory[] = "out of memory\n";
	static int seen;
	struct metrics_http *m = cls;
	struct strbuf sb;

	(void)version;
	(void)upload;
	/* The first call has only the headers; answer on the next, once any body is consumed. */
	if (!*req) {
		struct http_conn *c = conn_slot(m, conn);

		/* A request under way: not the one to close when room is needed. */
		if (c)
			c->answering = true;
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
	m->body(m->body_ctx, &sb);
	if (sb.oom || !sb.buf) {
		sb_free(&sb);
		return answer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, no_memory, strlen(no_memory),
			      false);
	}
	return answer(conn, MHD_HTTP_OK, sb.buf, sb.len, true);
}

static void http_service(struct metrics_http *m);

static void on_http_timer(void *ctx)
{
	struct metrics_http *m = ctx;

	m->http_timer = 0;
	http_service(m);
}

static void on_http_fd(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	http_service(ctx);
}

/*
 * A client that closed its side before its request was whole can never send
 * the rest: MHD would keep it (in CLOSE-WAIT) until its timeout. Its socket is
 * shut down now, so that MHD sees it end at once.
 */
static void close_half_closed(struct metrics_http *m)
{
	for (int i = 0; i < HTTP_MAX_CONNECTIONS; i++) {
		struct http_conn *c = &m->conns[i];
		char b;

		if (!c->seq || c->answering)
			continue;
		if (recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
			shutdown(c->fd, SHUT_RDWR);
			c->answering = true; /* on its way out */
		}
	}
}

/* Run MHD until it waits on sockets, then set the timer for its next timeout. */
static void http_service(struct metrics_http *m)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	bool timed = false;

	for (int round = 0; round < HTTP_MAX_ROUNDS; round++) {
		MHD_run(m->httpd);
		close_half_closed(m);
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

static void listener_stop(struct metrics_http *m)
{
	loop_cancel_timer(m->loop, m->http_timer);
	m->http_timer = 0;
	if (m->http_epfd >= 0)
		loop_del_fd(m->loop, m->http_epfd);
	if (m->httpd)
		MHD_stop_daemon(m->httpd); /* closes the listening socket too */
	m->httpd = NULL;
	m->http_epfd = -1;
	memset(m->conns, 0, sizeof(m->conns));
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
			"metrics)",
			addr, gai_strerror(err));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		log_err("metrics: cannot listen on %s: %s (serving no metrics; change "
			"metrics_listen and reload)",
			addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	*family = ai->ai_family;
	freeaddrinfo(ai);
	return fd;
}

static void listener_start(struct metrics_http *m, const char *host, unsigned int port)
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
	m->httpd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (family == AF_INET6 ? MHD_USE_IPv6 : 0), 0,
		NULL, NULL, on_http, m, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)HTTP_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)HTTP_MAX_CONNECTIONS, MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, m, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
		NULL, MHD_OPTION_END);
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
			"metrics)",
			strerror(-err));
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

void metrics_http_apply(struct metrics_http *m, const char *listen)
{
	char host[CONFIG_PATH_MAX];
	unsigned int port;
	bool enabled;

	if (metrics_parse_listen(listen, &enabled, host, sizeof(host), &port)) {
		/* Like an invalid reload, this keeps what runs (nothing at the first start). */
		log_err("metrics: metrics_listen '%s' is not on, off, :PORT, HOST:PORT or "
			"[IPV6]:PORT (%s)",
			listen, m->httpd ? "keeping the running listener" : "serving no metrics");
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

struct metrics_http *metrics_http_new(struct loop *l, metrics_body_fn body, void *ctx)
{
	struct metrics_http *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->loop = l;
	m->body = body;
	m->body_ctx = ctx;
	m->http_epfd = -1;
	return m;
}

void metrics_http_free(struct metrics_http *m)
{
	if (!m)
		return;
	listener_stop(m);
	free(m);
}
