/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one JSON writer: every JSON document vmatrace emits (trace --json,
 * alerts and incidents, status, census, timeline, report, journal payloads)
 * is written through it, in the style of bpftool's json_writer: a streaming
 * writer that places the commas and colons itself, so no caller writes JSON
 * punctuation or edits JSON that was already rendered. Strings go through the
 * untrusted-text policy (untrusted.h): valid UTF-8 passes unchanged.
 *
 * Reading JSON is jansson's job (jsonr.h), never this module's.
 */
#ifndef VMATRACE_JSONW_H
#define VMATRACE_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define JW_MAX_DEPTH 64

struct jsonw {
	struct strbuf *sb;
	unsigned int depth;
	bool after_key;	   /* a key was written: the next value needs no comma */
	uint64_t nonempty; /* bit d: the container at depth d has a member already */
};

/* Start a document (or the next of a sequence of JSON lines) appended to sb. */
void jw_begin(struct jsonw *w, struct strbuf *sb);

void jw_obj(struct jsonw *w);
void jw_obj_end(struct jsonw *w);
void jw_arr(struct jsonw *w);
void jw_arr_end(struct jsonw *w);
/* A member name: a fixed, trusted name (letters, digits, '_'), never data. */
void jw_key(struct jsonw *w, const char *key);

/* Values. Strings are untrusted bytes: NUL-terminated, or at most n bytes. */
void jw_str(struct jsonw *w, const char *s);
void jw_strn(struct jsonw *w, const char *s, size_t n);
void jw_uint(struct jsonw *w, unsigned long long v);
void jw_int(struct jsonw *w, long long v);
/* A number with up to 15 significant digits; NaN and infinities become null. */
void jw_double(struct jsonw *w, double v);
/* A number with exactly `decimals` digits after the point (timestamps, ratios). */
void jw_fixed(struct jsonw *w, double v, int decimals);
/* v / 10^decimals, exactly (a timestamp in microseconds as seconds: decimals 6). */
void jw_scaled(struct jsonw *w, long long v, int decimals);
void jw_bool(struct jsonw *w, bool v);
void jw_null(struct jsonw *w);
/* An address or a flag word as a string, "0x7f2a4c000000". */
void jw_hex(struct jsonw *w, unsigned long long v);
/*
 * A complete JSON value that this module rendered earlier and that was kept
 * as text (a journal payload read back): embedded whole, never cut.
 */
void jw_raw(struct jsonw *w, const char *json);

/* key + value in one call. */
void jw_kobj(struct jsonw *w, const char *key);
void jw_karr(struct jsonw *w, const char *key);
void jw_kstr(struct jsonw *w, const char *key, const char *s);
void jw_kstrn(struct jsonw *w, const char *key, const char *s, size_t n);
void jw_kuint(struct jsonw *w, const char *key, unsigned long long v);
void jw_kint(struct jsonw *w, const char *key, long long v);
void jw_kdouble(struct jsonw *w, const char *key, double v);
void jw_kfixed(struct jsonw *w, const char *key, double v, int decimals);
void jw_kscaled(struct jsonw *w, const char *key, long long v, int decimals);
void jw_kbool(struct jsonw *w, const char *key, bool v);
void jw_knull(struct jsonw *w, const char *key);
void jw_khex(struct jsonw *w, const char *key, unsigned long long v);
void jw_kraw(struct jsonw *w, const char *key, const char *json);

#endif
