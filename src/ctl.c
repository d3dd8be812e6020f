// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"
#include "log.h"
#include "loop.h"

#define CTL_MAX_CLIENTS 32
/*
 * A client has this long to send its request line, and then this long
 * between two writes of its answer that make progress: one that connects
 * and stays silent, or stops reading, gives its slot back.
 */
#define CTL_CLIENT_TIMEOUT_NS (5 * 1000000000ull)
#define CTL_SWEEP_NS 1000000000ull
/* The client waits this long for an answer before it gives up with a message. */
#define CTL_REPLY_TIMEOUT_S 30

struct ctl_client {
	int fd;
	char req[CTL_MAX_REQUEST];
	size_t req_len;
	struct strbuf out; /* answer being written */
	size_t out_pos;
	uint64_t deadline; /* clock_mono_ns() after which the client is dropped */
	bool answering;
};

struct ctl_server {
	int fd;
	struct loop *loop;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler_fn fn;
	void *ctx;
	struct ctl_client clients[CTL_MAX_CLIENTS];
	uint64_t sweep_timer;
	unsigned long long timed_out, evicted; /* clients dropped, for the debug log */
};

static void on_listen(void *ctx, int fd, uint32_t events);
static void on_sweep(void *ctx);

struct ctl_server *ctl_server_new(const char *path, struct loop *l, ctl_handler_fn fn, void *ctx)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct ctl_server *s;
	mode_t old;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		log_err("control socket path too long: %s", path);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	s->loop = l;
	s->fn = fn;
	s->ctx = ctx;
	snprintf(s->path, sizeof(s->path), "%s", path);
	strcpy(addr.sun_path, path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		log_err("cannot create the control socket: %s", strerror(errno));
		free(s);
		return NULL;
	}
	/* A stale socket from a crashed run: replace it, but never a live one. */
	if (connect(s->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		log_err("control socket %s is in use: is another vmatrace daemon running?", path);
		close(s->fd);
		free(s);
		return NULL;
	}
	unlink(path);
	old = umask(077); /* root only: the socket gives away every process's memory layout */
	if (bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(s->fd, 8)) {
		log_err("cannot listen on control socket %s: %s", path, strerror(errno));
		umask(old);
		close(s->fd);
		free(s);
		return NULL;
	}
	umask(old);
	if (loop_add_fd(l, s->fd, EPOLLIN, on_listen, s)) {
		log_err("cannot add the control socket to the event loop: %s", strerror(errno));
		ctl_server_free(s);
		return NULL;
	}
	s->sweep_timer = loop_add_timer(l, CTL_SWEEP_NS, CTL_SWEEP_NS, on_sweep, s);
	if (!s->sweep_timer) {
		log_err("cannot add the control socket's timer to the event loop: out of memory");
		ctl_server_free(s);
		return NULL;
	}
	return s;
}

static void client_close(struct ctl_server *s, struct ctl_client *c)
{
	if (c->fd < 0)
		return;
	loop_del_fd(s->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	sb_free(&c->out);
}

void ctl_server_free(struct ctl_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		client_close(s, &s->clients[i]);
	loop_cancel_timer(s->loop, s->sweep_timer);
	loop_del_fd(s->loop, s->fd);
	close(s->fd);
	unlink(s->path);
	free(s);
}

static void on_client(void *ctx, int fd, uint32_t events);

static void accept_client(struct ctl_server *s)
{
	struct ctl_client *c = NULL;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* The file mode already keeps others out; check the peer too. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.uid != 0) {
		static const char msg[] = "error: the control socket is for root only\n";

		if (write(fd, msg, sizeof(msg) - 1) < 0)
			log_debug("control client went away");
		close(fd);
		return;
	}
	for (int i = 0; i < CTL_MAX_CLIENTS && !c; i++)
		if (s->clients[i].fd < 0)
			c = &s->clients[i];
	if (!c) {
		/*
		 * Full: the oldest client still silent gives way (idle ones cannot lock
		 * the others out until their timeout); if all are being answered, the
		 * newcomer is told why.
		 */
		for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct ctl_client *o = &s->clients[i];

			if (!o->answering && (!c || o->deadline < c->deadline))
				c = o;
		}
		if (!c) {
			static const char busy[] = "error: the daemon is busy answering other "
						   "clients; try again\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				log_debug("control client went away");
			close(fd);
			return;
		}
		s->evicted++;
		log_debug("control socket full: dropping the oldest idle client (%llu so far)",
			  s->evicted);
		client_close(s, c);
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->deadline = clock_mono_ns() + CTL_CLIENT_TIMEOUT_NS;
	sb_init(&c->out);
	if (loop_add_fd(s->loop, fd, EPOLLIN, on_client, s)) {
		close(fd);
		c->fd = -1;
	}
}

static void client_write(struct ctl_server *s, struct ctl_client *c)
{
	while (c->out_pos < c->out.len) {
		ssize_t n =
			send(c->fd, c->out.buf + c->out_pos, c->out.len - c->out_pos, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN)
				return; /* EPOLLOUT brings us back */
			break;
		}
		c->out_pos += n;
		c->deadline = clock_mono_ns() + CTL_CLIENT_TIMEOUT_NS;
	}
	client_close(s, c);
}

static void client_read(struct ctl_server *s, struct ctl_client *c)
{
	ssize_t n = read(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len);
	char *nl;
	struct strbuf body;

	if (n < 0 && errno == EAGAIN)
		return;
	/* A client that half-closed after its request (no newline) is answered still. */
	if (n < 0 || (n == 0 && !c->req_len)) {
		client_close(s, c);
		return;
	}
	c->req_len += n;
	c->req[c->req_len] = 0;
	nl = strchr(c->req, '\n');
	if (n && !nl && c->req_len < sizeof(c->req) - 1)
		return;
	if (nl)
		*nl = 0;
	sb_init(&body);
	if (s->fn(s->ctx, c->req, &body) == 0) {
		sb_puts(&c->out, "ok\n");
	} else {
		sb_puts(&c->out, "error: ");
		if (!body.len || body.buf[body.len - 1] != '\n')
			sb_putc(&body, '\n');
	}
	if (body.len)
		sb_puts(&c->out, body.buf);
	sb_free(&body);
	c->answering = true;
	loop_mod_fd(s->loop, c->fd, EPOLLOUT);
	client_write(s, c);
}

static void on_listen(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	accept_client(ctx);
}

static void on_sweep(void *ctx)
{
	struct ctl_server *s = ctx;
	uint64_t now = clock_mono_ns();

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &s->clients[i];

		if (c->fd < 0 || c->deadline > now)
			continue;
		s->timed_out++;
		log_debug("control client %s for %llu s: closing it (%llu so far)",
			  c->answering ? "stopped reading its answer" : "sent no request",
			  CTL_CLIENT_TIMEOUT_NS / 1000000000ull, s->timed_out);
		client_close(s, c);
	}
}

static void on_client(void *ctx, int fd, uint32_t events)
{
	struct ctl_server *s = ctx;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &s->clients[i];

		if (c->fd != fd)
			continue;
		if (c->answering && (events & EPOLLOUT))
			client_write(s, c);
		else if (!c->answering && (events & (EPOLLIN | EPOLLHUP)))
			client_read(s, c);
		else if (events & (EPOLLERR | EPOLLHUP))
			client_close(s, c);
		return;
	}
}

int ctl_request(const char *path, const char *request, FILE *out)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char buf[65536];
	bool first = true, failed = false;
	struct timeval timeout = { .tv_sec = CTL_REPLY_TIMEOUT_S };
	size_t req_len = strlen(request);
	int fd, err;
	ssize_t n;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		log_err("control socket path too long: %s", path);
		return 2;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		log_err("cannot reach the vmatrace daemon at %s: %s (is it running? start it with "
			"'vmatrace daemon', or give its --socket)",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	/* MSG_NOSIGNAL: a daemon that closes early is an error message, not a SIGPIPE. */
	if (send(fd, request, req_len, MSG_NOSIGNAL) != (ssize_t)req_len ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		log_err("cannot send the request to the daemon at %s: %s (it closed the "
			"connection: see its log)",
			path, strerror(errno));
		close(fd);
		return 2;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		char *p = buf;
		size_t len = n;

		if (first) {
			char *nl = memchr(buf, '\n', n);

			first = false;
			if (n >= 3 && !memcmp(buf, "ok\n", 3)) {
				p += 3;
				len -= 3;
			} else {
				/* "error: why": say it on stderr with our prefix. */
				failed = true;
				fprintf(stderr, "vmatrace: %.*s\n", (int)(nl ? nl - buf : n), buf);
				if (nl) {
					p = nl + 1;
					len = n - (p - buf);
				} else {
					len = 0;
				}
			}
		}
		if (len && fwrite(p, 1, len, failed ? stderr : out) != len)
			break;
	}
	err = n < 0 ? errno : 0;
	close(fd);
	if (err == EAGAIN || err == EWOULDBLOCK) {
		log_err("the daemon at %s sent no %s within %d s (is it stuck? see its log)", path,
			first ? "answer" : "end of its answer", CTL_REPLY_TIMEOUT_S);
		return 2;
	}
	if (first) {
		log_err("the daemon at %s closed the connection without an answer%s%s", path,
			err ? ": " : "", err ? strerror(err) : "");
		return 2;
	}
	if (err) {
		log_err("the answer from the daemon at %s was cut short: %s", path, strerror(err));
		return 2;
	}
	return failed ? 1 : 0;
}
