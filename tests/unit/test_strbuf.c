// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The growable string buffer and human sizes (src/strbuf.c). */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void check_size(unsigned long long bytes, const char *expected)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_size(&sb, bytes);
	cr_assert_str_eq(sb.buf, expected, "sb_size(%llu)", bytes);
	sb_free(&sb);
}

Test(strbuf, empty_after_init)
{
	struct strbuf sb;

	sb_init(&sb);
	cr_assert_eq(sb.len, 0);
	cr_assert_eq(sb.oom, 0);
	sb_reset(&sb); /* no buffer yet: must not crash */
	sb_free(&sb);
	cr_assert_null(sb.buf);
	cr_assert_eq(sb.cap, 0);
}

Test(strbuf, puts_putc_printf)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "mmap");
	sb_putc(&sb, '(');
	sb_printf(&sb, "%#llx, %d", 0x7f00ULL, 4096);
	sb_putc(&sb, ')');
	sb_puts(&sb, "");
	cr_assert_str_eq(sb.buf, "mmap(0x7f00, 4096)");
	cr_assert_eq(sb.len, strlen("mmap(0x7f00, 4096)"));

	sb_reset(&sb);
	cr_assert_eq(sb.len, 0);
	cr_assert_str_eq(sb.buf, "");
	sb_printf(&sb, "%s", "");
	cr_assert_str_eq(sb.buf, "");
	sb_puts(&sb, "again");
	cr_assert_str_eq(sb.buf, "again");
	sb_free(&sb);
}

Test(strbuf, printf_grows_past_256)
{
	struct strbuf sb;
	char expected[4096];
	size_t n = 0;

	sb_init(&sb);
	/* Appends that cross the initial 256 bytes both in small steps and in one big step. */
	for (int i = 0; i < 100; i++) {
		sb_printf(&sb, "%03d,", i);
		n += snprintf(expected + n, sizeof(expected) - n, "%03d,", i);
		cr_assert_eq(sb.len, n);
		cr_assert_lt(sb.len, sb.cap);
		cr_assert_eq(sb.buf[sb.len], 0);
	}
	sb_printf(&sb, "%1000s|", "x");
	n += snprintf(expected + n, sizeof(expected) - n, "%1000s|", "x");
	cr_assert_eq(sb.len, n);
	cr_assert_eq(sb.len, 400 + 1001);
	cr_assert_str_eq(sb.buf, expected);
	cr_assert_geq(sb.cap, sb.len + 1);
	cr_assert_eq(sb.oom, 0);
	sb_free(&sb);
}

Test(strbuf, first_append_larger_than_initial_capacity)
{
	struct strbuf sb;
	char big[700];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	sb_init(&sb);
	sb_puts(&sb, big);
	cr_assert_eq(sb.len, sizeof(big) - 1);
	cr_assert_str_eq(sb.buf, big);
	for (int i = 0; i < 300; i++)
		sb_putc(&sb, 'b');
	cr_assert_eq(sb.len, sizeof(big) - 1 + 300);
	cr_assert_eq(sb.buf[sizeof(big) - 2], 'a');
	cr_assert_eq(sb.buf[sizeof(big) - 1], 'b');
	cr_assert_eq(sb.buf[sb.len - 1], 'b');
	cr_assert_eq(sb.buf[sb.len], 0);
	sb_free(&sb);
}

Test(strbuf, size)
{
	check_size(0, "0B");
	check_size(1, "1B");
	check_size(1023, "1023B");
	check_size(1024, "1KiB");
	check_size(1536, "1.5KiB");
	check_size(4096, "4KiB");
	check_size(135168, "132KiB");
	check_size(150 * 1024, "150KiB");
	check_size(1572864, "1.5MiB");
	check_size(1ULL << 20, "1MiB");
	check_size((10ULL << 20) | (512ULL << 10), "10.5MiB");
	check_size(1ULL << 30, "1GiB");
	check_size(3ULL << 40, "3TiB");
	check_size(1ULL << 50, "1PiB");
	check_size(2048ULL << 50, "2048PiB"); /* no unit above PiB */
}

Test(strbuf, write)
{
	struct strbuf sb;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	cr_assert_not_null(f);
	sb_init(&sb);
	cr_assert_eq(sb_write(&sb, f), 0); /* nothing to write */
	sb_puts(&sb, "line one\n");
	sb_printf(&sb, "line %s\n", "two");
	cr_assert_eq(sb_write(&sb, f), 0);
	fclose(f);
	cr_assert_eq(outlen, sb.len);
	cr_assert_str_eq(out, "line one\nline two\n");
	free(out);
	sb_free(&sb);
}

/* sb_dec, sb_sdec and sb_hex print what printf's %llu, %lld and %#llx print. */
Test(strbuf, numbers_as_printf_prints_them)
{
	const unsigned long long edge[] = { 0,
					    1,
					    9,
					    10,
					    15,
					    16,
					    4095,
					    4096,
					    0x7f0000001000ull,
					    1ull << 63,
					    ~0ull,
					    ~0ull - 1,
					    (unsigned long long)LLONG_MIN };
	unsigned long long x = 0x9e3779b97f4a7c15ull;
	struct strbuf sb;
	char want[64];

	sb_init(&sb);
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]) + 1000; i++) {
		unsigned long long v = i < sizeof(edge) / sizeof(edge[0]) ? edge[i] : x;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (i % 3 == 1)
			v >>= (x & 63); /* short numbers too */
		sb_reset(&sb);
		sb_dec(&sb, v);
		snprintf(want, sizeof(want), "%llu", v);
		cr_assert_str_eq(sb.buf, want);
		sb_reset(&sb);
		sb_sdec(&sb, (long long)v);
		snprintf(want, sizeof(want), "%lld", (long long)v);
		cr_assert_str_eq(sb.buf, want);
		sb_reset(&sb);
		sb_hex(&sb, v);
		snprintf(want, sizeof(want), "%#llx", v);
		cr_assert_str_eq(sb.buf, want);
	}
	sb_free(&sb);
}
