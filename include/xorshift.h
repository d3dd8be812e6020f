/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xorshift64*, the small deterministic generator of the tests and benchmarks: a fixed seed
 * gives the same sequence on every run, so any failure or figure can be reproduced.
 */
#ifndef VMATRACE_XORSHIFT_H
#define VMATRACE_XORSHIFT_H

#include <stdint.h>

/* The next number of the sequence in *state (which must not be 0). */
static inline uint64_t xorshift64s(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

#endif
