// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "untrusted.h"

void sb_init(struct strbuf *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb_init(sb);
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = 0;
}

static int sb_grow(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	size_t cap;
	char *p;

	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(sb->buf, cap);
	if (!p) {
		sb->oom = 1;
		return -1;
	}
	sb->buf = p;
	sb->cap = cap;
	return 0;
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	/* Format straight into the spare room; only a line that does not fit is formatted twice. */
	if (!sb->buf && sb_grow(sb, 0))
		return;
	room = sb->cap - sb->len;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		if (sb_grow(sb, n)) {
			sb->buf[sb->len] = 0;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
	}
	sb->len += n;
}

void sb_putc(struct strbuf *sb, char c)
{
	if (sb_grow(sb, 1))
		return;
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = 0;
}

void sb_puts(struct strbuf *sb, const char *s)
{
	size_t n = strlen(s);

	if (sb_grow(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n + 1);
	sb->len += n;
}

void sb_putn(struct strbuf *sb, const char *s, size_t n)
{
	if (sb_grow(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = 0;
}

void sb_dec(struct strbuf *sb, unsigned long long v)
{
	char buf[20];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_putn(sb, buf + i, sizeof(buf) - i);
}

void sb_sdec(struct strbuf *sb, long long v)
{
	if (v < 0) {
		sb_putc(sb, '-');
		sb_dec(sb, 0ull - (unsigned long long)v); /* LLONG_MIN too */
		return;
	}
	sb_dec(sb, (unsigned long long)v);
}

void sb_hex(struct strbuf *sb, unsigned long long v)
{
	char buf[18];
	size_t i = sizeof(buf);

	if (!v) {
		sb_putc(sb, '0');
		return;
	}
	while (v) {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	}
	buf[--i] = 'x';
	buf[--i] = '0';
	sb_putn(sb, buf + i, sizeof(buf) - i);
}

void sb_printable(struct strbuf *sb, const char *s, size_t n)
{
	ut_append(sb, s, n, UT_TEXT);
}

void sb_size(struct strbuf *sb, unsigned long long bytes)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = bytes;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0 || v >= 100 || v == (unsigned long long)v)
		sb_printf(sb, "%.0f%s", v, units[u]);
	else
		sb_printf(sb, "%.1f%s", v, units[u]);
}

int sb_write(const struct strbuf *sb, FILE *f)
{
	if (!sb->len)
		return 0;
	return fwrite(sb->buf, 1, sb->len, f) == sb->len ? 0 : -1;
}
