// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "untrusted.h"

/* A code point that is valid but must not reach a terminal or a log reader as is. */
static int cp_hidden(unsigned int cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

size_t ut_char_len(const unsigned char *s, size_t n)
{
	unsigned int c = s[0], cp, len, min;

	if (c < 0x80)
		return c == '\\' || cp_hidden(c) ? 0 : 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0; /* a continuation byte, an overlong lead (c0, c1) or beyond U+10FFFF */
	}
	if (n < len)
		return 0;
	for (unsigned int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp_hidden(cp))
		return 0;
	return len;
}

/* What an output writes instead of the character c, its own syntax; NULL: c itself. */
static const char *escape_of(char c, enum ut_output out)
{
	static const struct {
		char c;
		const char *entity;
	} html[] = { { '&', "&amp;" },
		     { '<', "&lt;" },
		     { '>', "&gt;" },
		     { '"', "&quot;" },
		     { '\'', "&#39;" } };

	switch (out) {
	case UT_JSON:
	case UT_PROM:
		return c == '"' ? "\\\"" : NULL;
	case UT_CSV:
		return c == '"' ? "\"\"" : NULL;
	case UT_HTML:
		for (size_t i = 0; i < sizeof(html) / sizeof(html[0]); i++)
			if (html[i].c == c)
				return html[i].entity;
		return NULL;
	case UT_TEXT:
		break;
	}
	return NULL;
}

/* One character that passes the policy, in the output's own syntax. */
static void put_plain(struct strbuf *sb, const char *s, size_t len, enum ut_output out)
{
	const char *e = len == 1 ? escape_of(s[0], out) : NULL;

	if (e)
		sb_puts(sb, e);
	else
		sb_putn(sb, s, len);
}

void ut_append(struct strbuf *sb, const char *s, size_t n, enum ut_output out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	n = strnlen(s, n);
	while (i < n) {
		size_t len = ut_char_len((const unsigned char *)s + i, n - i), run = i;

		/* A run of characters that stand for themselves goes in at once (a comm, a path). */
		while (len && (len > 1 || !escape_of(s[i], out))) {
			i += len;
			len = i < n ? ut_char_len((const unsigned char *)s + i, n - i) : 0;
		}
		if (i > run)
			sb_putn(sb, s + run, i - run);
		if (i == n)
			break;
		if (len) {
			put_plain(sb, s + i, len, out);
			i += len;
			continue;
		}
		unsigned char c = s[i++];
		char esc[6] = { '\\', '\\', 'x', hex[c >> 4], hex[c & 15], 0 };

		/* JSON and Prometheus spell the backslash of \xNN as \\ themselves. */
		sb_puts(sb, out == UT_JSON || out == UT_PROM ? esc : esc + 1);
	}
}

int ut_is_clean(const char *s, size_t n)
{
	size_t i = 0;

	n = strnlen(s, n);
	while (i < n) {
		size_t len = ut_char_len((const unsigned char *)s + i, n - i);

		if (!len)
			return 0;
		i += len;
	}
	return 1;
}
