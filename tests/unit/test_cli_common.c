// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Argument parsers shared by the subcommands (src/cli_common.c). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "cli.h"

static void size_ok(const char *s, size_t expected)
{
	size_t v = 12345;

	cr_assert(cli_parse_size(s, &v), "\"%s\" refused", s);
	cr_assert_eq(v, expected, "\"%s\" -> %zu, expected %zu", s, v, expected);
}

static void size_bad(const char *s)
{
	size_t v = 12345;

	cr_assert_not(cli_parse_size(s, &v), "\"%s\" accepted as %zu", s ? s : "(null)", v);
	cr_assert_eq(v, 12345, "\"%s\": output written on failure", s ? s : "(null)");
}

static void secs_ok(const char *s, double expected)
{
	double v = -1;

	cr_assert(cli_parse_seconds(s, &v), "\"%s\" refused", s);
	cr_assert_float_eq(v, expected, 1e-9, "\"%s\" -> %g, expected %g", s, v, expected);
}

static void secs_bad(const char *s)
{
	double v = 12345;

	cr_assert_not(cli_parse_seconds(s, &v), "\"%s\" accepted as %g", s ? s : "(null)", v);
	cr_assert_float_eq(v, 12345, 0, "\"%s\": output written on failure", s ? s : "(null)");
}

Test(cli_common, size_plain)
{
	size_ok("4096", 4096);
	size_ok("0", 0);
	size_ok("1048576", 1048576);
	size_ok("18446744073709551615", SIZE_MAX);
}

Test(cli_common, size_suffixes)
{
	size_ok("8M", 8u << 20);
	size_ok("8m", 8u << 20);
	size_ok("64k", 64u << 10);
	size_ok("64K", 64u << 10);
	size_ok("1G", 1ul << 30);
	size_ok("4g", 4ul << 30);
	size_ok("1MiB", 1u << 20);
	size_ok("1MB", 1u << 20);
	size_ok("1Mi", 1u << 20);
	size_ok("16KiB", 16u << 10);
	size_ok("16777215G", 16777215ul << 30);
	size_ok("0M", 0);
}

Test(cli_common, size_bad)
{
	size_bad(NULL);
	size_bad("");
	size_bad("-1");
	size_bad("-0");
	size_bad("12Q");
	size_bad("M");
	size_bad("k64");
	size_bad("1.5M");
	size_bad("8MX");
	size_bad("8MiBs");
	size_bad("8 M");
	size_bad("4096 ");
	size_bad("1T"); /* no unit above G */
	/* Overflow: of the number itself, and of the number times its unit. */
	size_bad("18446744073709551616");
	size_bad("99999999999999999999999");
	size_bad("17179869184G");
	size_bad("18014398509481984K");
}

/* strtoull() skips leading white space and then accepts a minus sign: " -1" must still fail. */
Test(cli_common, size_negative_after_space)
{
	size_bad(" -1");
	size_bad("\t-4096");
}

Test(cli_common, seconds_ok)
{
	secs_ok("10", 10);
	secs_ok("0", 0);
	secs_ok("1.5", 1.5);
	secs_ok(".5", 0.5);
	secs_ok("5.", 5);
	secs_ok("3s", 3);
	secs_ok("90s", 90);
	secs_ok("500ms", 0.5);
	secs_ok("1.5ms", 0.0015);
	secs_ok("2m", 120);
	secs_ok("5m", 300);
	secs_ok("1.5m", 90);
	secs_ok("1h", 3600);
	secs_ok("2h", 7200);
	secs_ok("0.25h", 900);
	secs_ok("1d", 86400);
	secs_ok("30d", 30 * 86400);
	secs_ok("1w", 7 * 86400);
	secs_ok("0.5w", 3.5 * 86400);
	secs_ok("0ms", 0);
}

Test(cli_common, seconds_bad)
{
	char huge[400];

	secs_bad(NULL);
	secs_bad("");
	secs_bad("abc");
	secs_bad("-1");
	secs_bad("-0.5s");
	secs_bad("+5");
	secs_bad(" 5");
	secs_bad("5 ");
	secs_bad("5x");
	secs_bad("5 s");
	secs_bad("5S");
	secs_bad("5MS");
	secs_bad("5msec");
	secs_bad("5sec");
	secs_bad("5min");
	secs_bad("1y");
	secs_bad("1dd");
	secs_bad("1h30m"); /* one number, one unit */
	secs_bad("s");
	secs_bad("ms");
	secs_bad(".");
	secs_bad(".s");
	secs_bad("1.2.3");
	secs_bad("1e3"); /* no exponents, no hex: not how a person writes a duration */
	secs_bad("0x10");
	secs_bad("inf");
	secs_bad("nan");
	secs_bad("1e999"); /* out of range */
	/* 10^308 seconds is a double; in weeks it is not. */
	memset(huge, '0', sizeof(huge));
	huge[0] = '1';
	huge[309] = 'w';
	huge[310] = 0;
	secs_bad(huge);
	huge[309] = 0;
	secs_ok(huge, 1e308);
}
