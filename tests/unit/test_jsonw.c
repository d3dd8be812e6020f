// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The streaming JSON writer (src/jsonw.c), checked by reading its output back with jansson. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "jsonr.h"
#include "jsonw.h"

Test(jsonw, nesting_and_commas)
{
	struct strbuf sb;
	struct jsonw w;

	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	jw_kuint(&w, "a", 1);
	jw_karr(&w, "list");
	for (int i = 0; i < 3; i++) {
		jw_obj(&w);
		jw_kint(&w, "i", -i);
		jw_obj_end(&w);
	}
	jw_arr(&w);
	jw_arr_end(&w);
	jw_arr_end(&w);
	jw_kobj(&w, "empty");
	jw_obj_end(&w);
	jw_kbool(&w, "t", true);
	jw_knull(&w, "n");
	jw_obj_end(&w);
	cr_assert_str_eq(sb.buf, "{\"a\":1,\"list\":[{\"i\":0},{\"i\":-1},{\"i\":-2},[]],"
				 "\"empty\":{},\"t\":true,\"n\":null}");
	sb_free(&sb);
}

Test(jsonw, numbers)
{
	struct strbuf sb;
	struct jsonw w;
	json_t *j;
	double d;
	long long ll;

	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	jw_kuint(&w, "max", 18446744073709551615ull);
	jw_kint(&w, "min", -9223372036854775807ll - 1);
	jw_kdouble(&w, "half", 0.5);
	jw_kdouble(&w, "whole", 3.0);
	jw_kdouble(&w, "nan", NAN);
	jw_kdouble(&w, "inf", INFINITY);
	jw_kfixed(&w, "pct", 12.345, 1);
	jw_kscaled(&w, "ts", 1700000000123456ll, 6);
	jw_kscaled(&w, "neg", -1500, 3);
	jw_khex(&w, "addr", 0x7f2a4c000000ull);
	jw_khex(&w, "zero", 0);
	jw_obj_end(&w);
	cr_assert(strstr(sb.buf, "\"max\":18446744073709551615"));
	cr_assert(strstr(sb.buf, "\"whole\":3,"));
	cr_assert(strstr(sb.buf, "\"nan\":null,\"inf\":null"));
	cr_assert(strstr(sb.buf, "\"pct\":12.3"));
	cr_assert(strstr(sb.buf, "\"ts\":1700000000.123456"));
	cr_assert(strstr(sb.buf, "\"neg\":-1.500"));
	cr_assert(strstr(sb.buf, "\"addr\":\"0x7f2a4c000000\""));
	cr_assert(strstr(sb.buf, "\"zero\":\"0\""));
	/* jansson reads all of it (the uint64 maximum is beyond its integers: left out). */
	sb_reset(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	jw_kint(&w, "min", -9223372036854775807ll - 1);
	jw_kdouble(&w, "half", 0.5);
	jw_obj_end(&w);
	j = jr_parse(sb.buf, sb.len);
	cr_assert(j);
	cr_assert(jr_int(j, "min", &ll) && ll == -9223372036854775807ll - 1);
	cr_assert(jr_num(j, "half", &d) && d == 0.5);
	json_decref(j);
	sb_free(&sb);
}

Test(jsonw, strings_round_trip_through_jansson)
{
	static const char *in[] = { "caf\xc3\xa9", "a\"b", "a\nb", "caf\xe9", "x\\y", "" };
	static const char *out[] = { "caf\xc3\xa9", "a\"b", "a\\x0ab", "caf\\xe9", "x\\x5cy", "" };

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct strbuf sb;
		struct jsonw w;
		json_t *j;

		sb_init(&sb);
		jw_begin(&w, &sb);
		jw_obj(&w);
		jw_kstrn(&w, "comm", in[i], 16);
		jw_obj_end(&w);
		j = jr_parse(sb.buf, sb.len);
		cr_assert(j, "not JSON: %s", sb.buf);
		cr_assert_str_eq(jr_str(j, "comm"), out[i]);
		json_decref(j);
		sb_free(&sb);
	}
}

Test(jsonw, json_lines_and_raw_values)
{
	struct strbuf sb;
	struct jsonw w;

	sb_init(&sb);
	for (int i = 0; i < 2; i++) {
		jw_begin(&w, &sb);
		jw_obj(&w);
		jw_kuint(&w, "i", i);
		jw_kraw(&w, "payload", "{\"x\":[1,2]}");
		jw_kraw(&w, "none", NULL);
		jw_obj_end(&w);
		sb_putc(&sb, '\n');
	}
	cr_assert_str_eq(sb.buf, "{\"i\":0,\"payload\":{\"x\":[1,2]},\"none\":null}\n"
				 "{\"i\":1,\"payload\":{\"x\":[1,2]},\"none\":null}\n");
	sb_free(&sb);
}

Test(jsonr, lookups)
{
	static const char text[] = "{\"s\":\"caf\xc3\xa9\",\"n\":4.5,\"i\":7,\"o\":{}}";
	json_t *j = jr_parse(text, strlen(text));
	char buf[4];
	double d;
	long long ll;

	cr_assert(j);
	cr_assert_str_eq(jr_str(j, "s"), "caf\xc3\xa9");
	cr_assert_null(jr_str(j, "n"));
	cr_assert(jr_num(j, "i", &d) && d == 7);
	cr_assert_not(jr_int(j, "n", &ll));
	cr_assert(jr_strcpy(j, "s", buf, sizeof(buf)));
	cr_assert_str_eq(buf, "caf");
	cr_assert_not(jr_strcpy(j, "missing", buf, sizeof(buf)));
	json_decref(j);
	cr_assert_null(jr_parse("{\"a\":1,\"a\":2}", 13)); /* duplicate keys are refused */
	cr_assert_null(jr_parse("{\"a\":", 5));
}
