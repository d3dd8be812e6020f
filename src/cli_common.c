// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

bool cli_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	/* strtoull would skip blanks and accept a minus sign after them. */
	if (!s || !*s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	if (*end) {
		switch (*end) {
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		default:
			return false;
		}
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
		if (*end)
			return false;
	}
	if (shift && v > (~0ULL >> shift))
		return false;
	*out = (size_t)(v << shift);
	return true;
}

/* The duration units, longest suffix first where one is a prefix of another ("ms", "m"). */
static const struct {
	const char *suffix;
	double seconds;
} duration_units[] = {
	{ "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 }, { "w", 7 * 86400 },
};

bool cli_parse_seconds(const char *s, double *out)
{
	const char *p = s;
	char *end;
	double v;

	/*
	 * Only plain decimals: strtod would also take blanks, signs, hex, exponents,
	 * "inf" and "nan", none of which a person means by a duration.
	 */
	if (!s)
		return false;
	p += strspn(p, "0123456789");
	if (*p == '.')
		p += 1 + strspn(p + 1, "0123456789");
	if (p == s || (p == s + 1 && *s == '.'))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end != p)
		return false;
	if (*p) {
		size_t i;

		for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
			if (!strcmp(p, duration_units[i].suffix))
				break;
		if (i == sizeof(duration_units) / sizeof(duration_units[0]))
			return false;
		v *= duration_units[i].seconds;
	}
	if (!isfinite(v))
		return false;
	*out = v;
	return true;
}
