// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"
#include "untrusted.h"

void jw_begin(struct jsonw *w, struct strbuf *sb)
{
	w->sb = sb;
	w->depth = 0;
	w->after_key = false;
	w->nonempty = 0;
}

/* Before any value or key: the comma that separates it from the previous member. */
static void sep(struct jsonw *w)
{
	uint64_t bit;

	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	bit = 1ull << (w->depth - 1);
	if (w->nonempty & bit)
		sb_putc(w->sb, ',');
	w->nonempty |= bit;
}

static void open_container(struct jsonw *w, char c)
{
	sep(w);
	sb_putc(w->sb, c);
	if (w->depth < JW_MAX_DEPTH) {
		w->depth++;
		w->nonempty &= ~(1ull << (w->depth - 1));
	}
}

static void close_container(struct jsonw *w, char c)
{
	if (w->depth)
		w->depth--;
	w->after_key = false;
	sb_putc(w->sb, c);
}

void jw_obj(struct jsonw *w)
{
	open_container(w, '{');
}

void jw_obj_end(struct jsonw *w)
{
	close_container(w, '}');
}

void jw_arr(struct jsonw *w)
{
	open_container(w, '[');
}

void jw_arr_end(struct jsonw *w)
{
	close_container(w, ']');
}

void jw_key(struct jsonw *w, const char *key)
{
	sep(w);
	sb_putc(w->sb, '"');
	sb_puts(w->sb, key);
	sb_putn(w->sb, "\":", 2);
	w->after_key = true;
}

void jw_strn(struct jsonw *w, const char *s, size_t n)
{
	sep(w);
	sb_putc(w->sb, '"');
	ut_append(w->sb, s ? s : "", s ? n : 0, UT_JSON);
	sb_putc(w->sb, '"');
}

void jw_str(struct jsonw *w, const char *s)
{
	jw_strn(w, s, s ? strlen(s) : 0);
}

/* Decimal digits without printf: the trace's JSON lines are mostly integers. */
static void put_u64(struct strbuf *sb, unsigned long long v)
{
	char buf[24];
	int i = sizeof(buf);

	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	sb_putn(sb, buf + i, sizeof(buf) - i);
}

void jw_uint(struct jsonw *w, unsigned long long v)
{
	sep(w);
	put_u64(w->sb, v);
}

void jw_int(struct jsonw *w, long long v)
{
	sep(w);
	if (v < 0) {
		sb_putc(w->sb, '-');
		put_u64(w->sb, -(unsigned long long)v);
	} else {
		put_u64(w->sb, v);
	}
}

void jw_double(struct jsonw *w, double v)
{
	sep(w);
	if (!isfinite(v))
		sb_puts(w->sb, "null");
	else if (v == (long long)v && fabs(v) < 1e15)
		sb_printf(w->sb, "%lld", (long long)v);
	else
		sb_printf(w->sb, "%.15g", v);
}

void jw_fixed(struct jsonw *w, double v, int decimals)
{
	sep(w);
	if (!isfinite(v))
		sb_puts(w->sb, "null");
	else
		sb_printf(w->sb, "%.*f", decimals, v);
}

void jw_scaled(struct jsonw *w, long long v, int decimals)
{
	unsigned long long a = v < 0 ? -(unsigned long long)v : (unsigned long long)v, div = 1;

	for (int i = 0; i < decimals; i++)
		div *= 10;
	sep(w);
	if (v < 0)
		sb_putc(w->sb, '-');
	put_u64(w->sb, a / div);
	if (decimals > 0) {
		char frac[24];
		unsigned long long f = a % div;

		for (int i = decimals - 1; i >= 0; i--, f /= 10)
			frac[i] = '0' + f % 10;
		sb_putc(w->sb, '.');
		sb_putn(w->sb, frac, decimals);
	}
}

void jw_bool(struct jsonw *w, bool v)
{
	sep(w);
	sb_puts(w->sb, v ? "true" : "false");
}

void jw_null(struct jsonw *w)
{
	sep(w);
	sb_puts(w->sb, "null");
}

void jw_hex(struct jsonw *w, unsigned long long v)
{
	static const char hex[] = "0123456789abcdef";
	char buf[24];
	int i = sizeof(buf);

	sep(w);
	buf[--i] = '"';
	do {
		buf[--i] = hex[v & 15];
		v >>= 4;
	} while (v);
	if (i != (int)sizeof(buf) - 2 || buf[i] != '0') { /* as printf's %#llx: 0 is "0" */
		buf[--i] = 'x';
		buf[--i] = '0';
	}
	buf[--i] = '"';
	sb_putn(w->sb, buf + i, sizeof(buf) - i);
}

void jw_raw(struct jsonw *w, const char *json)
{
	sep(w);
	sb_puts(w->sb, json && *json ? json : "null");
}

void jw_kobj(struct jsonw *w, const char *key)
{
	jw_key(w, key);
	jw_obj(w);
}

void jw_karr(struct jsonw *w, const char *key)
{
	jw_key(w, key);
	jw_arr(w);
}

void jw_kstr(struct jsonw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

void jw_kstrn(struct jsonw *w, const char *key, const char *s, size_t n)
{
	jw_key(w, key);
	jw_strn(w, s, n);
}

void jw_kuint(struct jsonw *w, const char *key, unsigned long long v)
{
	jw_key(w, key);
	jw_uint(w, v);
}

void jw_kint(struct jsonw *w, const char *key, long long v)
{
	jw_key(w, key);
	jw_int(w, v);
}

void jw_kdouble(struct jsonw *w, const char *key, double v)
{
	jw_key(w, key);
	jw_double(w, v);
}

void jw_kfixed(struct jsonw *w, const char *key, double v, int decimals)
{
	jw_key(w, key);
	jw_fixed(w, v, decimals);
}

void jw_kscaled(struct jsonw *w, const char *key, long long v, int decimals)
{
	jw_key(w, key);
	jw_scaled(w, v, decimals);
}

void jw_kbool(struct jsonw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

void jw_knull(struct jsonw *w, const char *key)
{
	jw_key(w, key);
	jw_null(w);
}

void jw_khex(struct jsonw *w, const char *key, unsigned long long v)
{
	jw_key(w, key);
	jw_hex(w, v);
}

void jw_kraw(struct jsonw *w, const char *key, const char *json)
{
	jw_key(w, key);
	jw_raw(w, json);
}
