/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A growable string buffer. */
#ifndef VMATRACE_STRBUF_H
#define VMATRACE_STRBUF_H

#include <stddef.h>
#include <stdio.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	int oom; /* an allocation failed: content is truncated */
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_putc(struct strbuf *sb, char c);
void sb_puts(struct strbuf *sb, const char *s);
/* Append n bytes as they are. */
void sb_putn(struct strbuf *sb, const char *s, size_t n);
/* Append untrusted text (at most n bytes, to NUL) for a text line: see untrusted.h. */
void sb_printable(struct strbuf *sb, const char *s, size_t n);
/*
 * Numbers as printf's %llu, %lld and %#llx would print them ("0" for a zero in hex, no 0x),
 * without its format parsing: a trace line has a dozen, and printf was most of its cost.
 */
void sb_dec(struct strbuf *sb, unsigned long long v);
void sb_sdec(struct strbuf *sb, long long v);
void sb_hex(struct strbuf *sb, unsigned long long v);
/* Human size: 4096 -> "4KiB", 1572864 -> "1.5MiB". */
void sb_size(struct strbuf *sb, unsigned long long bytes);
int sb_write(const struct strbuf *sb, FILE *f);

#endif
