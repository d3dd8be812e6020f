/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One policy for bytes that other users chose (process names, file names,
 * cgroup paths), for every kind of output:
 *   - valid UTF-8 that prints passes through unchanged ("café" stays "café");
 *   - every other byte is written as \xNN (lower-case hex): invalid UTF-8,
 *     control characters (C0, DEL, C1), the line and paragraph separators and
 *     the bidirectional overrides (which reorder what a terminal or a browser
 *     shows), and the backslash itself, so that the escape is unambiguous.
 * A reader sees the same characters in a trace line, a JSON string (decoded),
 * a metrics label, the HTML report and a CSV cell. Each output then adds only
 * its own syntax (JSON's \" , HTML's &lt;, CSV's "", Prometheus' \").
 */
#ifndef VMATRACE_UNTRUSTED_H
#define VMATRACE_UNTRUSTED_H

#include <stddef.h>

#include "strbuf.h"

enum ut_output {
	UT_TEXT, /* plain text lines: log, trace, snapshot */
	UT_JSON, /* inside a JSON string's quotes */
	UT_HTML, /* HTML text or a quoted attribute value */
	UT_PROM, /* inside a Prometheus label value's quotes */
	UT_CSV,	 /* inside a CSV cell's quotes */
};

/*
 * Bytes at s (at most n) that form one character passed through unchanged,
 * or 0 when s[0] is escaped. n must be at least 1.
 */
size_t ut_char_len(const unsigned char *s, size_t n);

/* Append s (at most n bytes, stopping at NUL) for output `out` under the policy above. */
void ut_append(struct strbuf *sb, const char *s, size_t n, enum ut_output out);

/* Does s (at most n bytes, to NUL) pass unchanged (nothing to escape for UT_TEXT)? */
int ut_is_clean(const char *s, size_t n);

#endif
