/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading JSON: jansson (libjansson), the one parser in the project. These
 * are the few lookups that every reader needs, on top of jansson's own API.
 */
#ifndef VMATRACE_JSONR_H
#define VMATRACE_JSONR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Parse one JSON text of len bytes (any value); NULL when it is not one. */
/* The same, saying why it is not JSON in why. */
json_t *jr_parse_why(const char *text, size_t len, char *why, size_t n);
json_t *jr_parse(const char *text, size_t len);
/* A number member (integer or real) of object o. */
bool jr_num(const json_t *o, const char *key, double *out);
/* An integer member of object o. */
bool jr_int(const json_t *o, const char *key, long long *out);
/* A string member of object o, borrowed from it (NULL when absent or not a string). */
const char *jr_str(const json_t *o, const char *key);
/* A string member copied into buf (truncated to len - 1 bytes); false when absent. */
bool jr_strcpy(const json_t *o, const char *key, char *buf, size_t len);

#endif
