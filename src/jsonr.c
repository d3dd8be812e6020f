// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>

#include "jsonr.h"

json_t *jr_parse_why(const char *text, size_t len, char *why, size_t n)
{
	json_error_t err;
	/* Integers beyond int64 and duplicate keys are errors: our writer never makes them. */
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);

	if (!j && why && n)
		snprintf(why, n, "%s (at byte %d)", err.text, err.position);
	return j;
}

json_t *jr_parse(const char *text, size_t len)
{
	return jr_parse_why(text, len, NULL, 0);
}

bool jr_num(const json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

bool jr_int(const json_t *o, const char *key, long long *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

const char *jr_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

bool jr_strcpy(const json_t *o, const char *key, char *buf, size_t len)
{
	const char *s = jr_str(o, key);

	if (!s || !len)
		return false;
	strncpy(buf, s, len - 1);
	buf[len - 1] = 0;
	return true;
}
