// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one policy for untrusted bytes in every output (src/untrusted.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "untrusted.h"

static void check(const char *in, size_t n, enum ut_output out, const char *expected)
{
	struct strbuf sb;

	sb_init(&sb);
	ut_append(&sb, in, n, out);
	cr_assert_str_eq(sb.buf ? sb.buf : "", expected, "output %d of \"%s\"", out, in);
	sb_free(&sb);
}

/* The same string in every output, expected[] indexed by output. */
static void check_outputs(const char *in, const char *const expected[])
{
	for (int out = UT_TEXT; out <= UT_CSV; out++)
		check(in, strlen(in), out, expected[out]);
}

Test(untrusted, valid_utf8_passes_everywhere)
{
	static const char cafe[] = "caf\xc3\xa9"; /* café */
	static const char mixed[] =
		"\xe6\x97\xa5\xf0\x9f\x90\x98"; /* 日 and an elephant (4 bytes) */

	for (int out = UT_TEXT; out <= UT_CSV; out++) {
		check(cafe, 16, out, cafe);
		check(mixed, 16, out, mixed);
		check("mysqld", 16, out, "mysqld");
	}
	cr_assert(ut_is_clean(cafe, 16));
	cr_assert_not(ut_is_clean("a\nb", 16));
}

Test(untrusted, invalid_bytes_and_controls_escaped_alike)
{
	check("caf\xe9", 16, UT_TEXT, "caf\\xe9");			/* Latin-1, not UTF-8 */
	check("\xc3", 16, UT_TEXT, "\\xc3");				/* truncated sequence */
	check("\xc3(", 16, UT_TEXT, "\\xc3(");				/* bad continuation */
	check("\xc0\xaf", 16, UT_TEXT, "\\xc0\\xaf");			/* overlong '/' */
	check("\xed\xa0\x80", 16, UT_TEXT, "\\xed\\xa0\\x80");		/* a surrogate */
	check("\xf4\x90\x80\x80", 16, UT_TEXT, "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
	check("\x7f\x1b[0m", 16, UT_TEXT, "\\x7f\\x1b[0m");
	check("\xc2\x85", 16, UT_TEXT, "\\xc2\\x85");	       /* NEL, a C1 control */
	check("\xe2\x80\xae", 16, UT_TEXT, "\\xe2\\x80\\xae"); /* right-to-left override */
	check("\xe2\x80\xa8", 16, UT_TEXT, "\\xe2\\x80\\xa8"); /* line separator */
	check("a\\b", 16, UT_TEXT, "a\\x5cb");		       /* the escape stays unambiguous */
	/* Text shows \xNN; JSON and Prometheus spell the same characters with their own \\. */
	static const char *const newline[] = {
		[UT_TEXT] = "a\\x0ab", [UT_JSON] = "a\\\\x0ab", [UT_PROM] = "a\\\\x0ab",
		[UT_HTML] = "a\\x0ab", [UT_CSV] = "a\\x0ab",
	};

	check_outputs("a\nb", newline);
}

Test(untrusted, each_output_adds_its_own_syntax)
{
	static const char *const quote[] = {
		[UT_TEXT] = "a\"b",	[UT_JSON] = "a\\\"b", [UT_PROM] = "a\\\"b",
		[UT_HTML] = "a&quot;b", [UT_CSV] = "a\"\"b",
	};

	check_outputs("a\"b", quote);
	check("<a href='x'>&\"", 32, UT_HTML, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
}

Test(untrusted, length_limit_and_nul)
{
	char comm[16];

	memcpy(comm, "0123456789abcdef", 16); /* a full comm has no NUL */
	check(comm, sizeof(comm), UT_TEXT, "0123456789abcdef");
	check("abcdef", 3, UT_TEXT, "abc");
	check("ab\0cd", 5, UT_TEXT, "ab");
	check("caf\xc3\xa9", 4, UT_TEXT, "caf\\xc3"); /* a sequence cut by the field's end */
}
