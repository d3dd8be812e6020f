/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Assertions on JSON output, read with jansson (jsonr.h), the project's one
 * parser. A member is compared with an expected JSON text by dumping both
 * compactly: the values, their types and the members' order must match, while
 * a number is compared as the number it denotes, not as its spelling.
 */
#ifndef VMATRACE_TESTS_JSON_ASSERT_H
#define VMATRACE_TESTS_JSON_ASSERT_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "jsonr.h"

#define JA_DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

/* Parse text as one JSON value (duplicate keys and trailing bytes refused), or fail. */
static inline json_t *ja_parse(const char *text)
{
	json_t *j = jr_parse(text, strlen(text));

	cr_assert_not_null(j, "invalid JSON: %s", text);
	return j;
}

static inline bool ja_valid(const char *text)
{
	json_t *j = jr_parse(text, strlen(text));

	json_decref(j);
	return j != NULL;
}

/* The compact dump of member key of the object in text (malloc'd), NULL when absent. */
static inline char *ja_member(const char *text, const char *key)
{
	json_t *j = ja_parse(text);
	json_t *v = json_object_get(j, key);
	char *out = v ? json_dumps(v, JA_DUMP_FLAGS) : NULL;

	json_decref(j);
	return out;
}

/* Member key of the object in text equals the JSON value spelt `expected`. */
static inline void ja_check_member(const char *text, const char *key, const char *expected)
{
	json_t *want = ja_parse(expected);
	char *want_dump = json_dumps(want, JA_DUMP_FLAGS);
	char *got = ja_member(text, key);

	cr_assert_not_null(got, "no \"%s\" in %s", key, text);
	cr_assert_str_eq(got, want_dump, "member \"%s\" of %s", key, text);
	free(got);
	free(want_dump);
	json_decref(want);
}

static inline void ja_check_no_member(const char *text, const char *key)
{
	char *got = ja_member(text, key);

	cr_assert_null(got, "unexpected \"%s\":%s in %s", key, got, text);
}

/* The decoded bytes of a string member (malloc'd), NULL when absent or not a string. */
static inline char *ja_member_str(const char *text, const char *key)
{
	json_t *j = ja_parse(text);
	const char *s = jr_str(j, key);
	char *out = s ? strdup(s) : NULL;

	json_decref(j);
	return out;
}

#endif
