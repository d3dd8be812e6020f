/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prometheus metrics of the daemon's live model, in the text exposition format
 * 0.0.4, three ways: /metrics over HTTP (libmicrohttpd driven from the
 * daemon's own epoll loop, so the model is only read from its thread), a
 * node_exporter textfile, and the control socket's "metrics" request.
 * metrics_attach() (include/daemon.h) plugs it into the daemon.
 */
#ifndef VMATRACE_METRICS_H
#define VMATRACE_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define METRICS_DEFAULT_HOST "127.0.0.1"
#define METRICS_DEFAULT_PORT 9436
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_TEXTFILE "vmatrace.prom"

struct daemon;

/* Every metric family, in a fixed order, from the daemon's current state. */
void metrics_render(struct daemon *d, struct strbuf *out);

/*
 * Append s (at most n bytes, stopping at NUL) as the inside of a label value:
 * backslash, double quote and newline escaped; bytes that are not UTF-8 become
 * U+FFFD, because Prometheus rejects a whole scrape over one invalid label.
 */
void metrics_label_value(struct strbuf *sb, const char *s, size_t n);

/*
 * A metrics_listen value: "" or off/no/false (off); on/yes/true (the default
 * address); ":PORT" or "PORT" (loopback); "HOST:PORT"; "[V6]:PORT"; "HOST"
 * (default port). 0 with *enabled, host and port set; -EINVAL if malformed.
 */
int metrics_parse_listen(const char *spec, bool *enabled, char *host, size_t hostlen,
			 unsigned int *port);

/* Replace dir/vmatrace.prom atomically with text (a temporary file, then rename). 0 or -errno. */
int metrics_write_textfile(const char *dir, const char *text, size_t len);

#endif
