/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The control socket: a unix stream socket, root only. A client sends one
 * request line ("status json", "snapshot 1234 census"...) and reads the
 * answer until the server closes: a first line "ok" or "error: why", then
 * the body.
 */
#ifndef VMATRACE_CTL_H
#define VMATRACE_CTL_H

#include <stdio.h>

#include "strbuf.h"

#define CTL_DEFAULT_SOCKET "/run/vmatrace/vmatrace.sock"
#define CTL_MAX_REQUEST 512

struct ctl_server;

/* Answer one request: append the body to out; return 0, or -1 with an error message in out. */
typedef int (*ctl_handler_fn)(void *ctx, char *request, struct strbuf *out);

struct loop;

/* Listen on path; the socket and its clients are served from the loop. NULL if it cannot. */
struct ctl_server *ctl_server_new(const char *path, struct loop *l, ctl_handler_fn fn, void *ctx);
void ctl_server_free(struct ctl_server *s);

/* Client: send a request, copy the body to out; 0 ok, 1 error answered, 2 no server. */
int ctl_request(const char *path, const char *request, FILE *out);

#endif
