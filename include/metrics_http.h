/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The metrics' HTTP listener (src/metrics_http.c): GET /metrics, served from
 * the event loop by libmicrohttpd without threads. Part of the metrics
 * module; nothing else uses it.
 */
#ifndef VMATRACE_METRICS_HTTP_H
#define VMATRACE_METRICS_HTTP_H

#include "strbuf.h"

struct loop;
struct metrics_http;

/* The body of one answer, rendered when a request comes. */
typedef void (*metrics_body_fn)(void *ctx, struct strbuf *out);

/* Not listening yet: metrics_http_apply() starts it. NULL when out of memory. */
struct metrics_http *metrics_http_new(struct loop *l, metrics_body_fn body, void *ctx);
/*
 * Start, restart or stop the listener to match a metrics_listen value. One
 * that cannot start, or a malformed value, is logged and leaves what runs.
 */
void metrics_http_apply(struct metrics_http *h, const char *listen);
void metrics_http_free(struct metrics_http *h);

#endif
