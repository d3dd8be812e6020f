/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The clocks: CLOCK_MONOTONIC is the clock of bpf_ktime_get_ns() and so of
 * every record's timestamp; CLOCK_REALTIME is what people read.
 */
#ifndef VMATRACE_CLOCK_H
#define VMATRACE_CLOCK_H

#include <stdint.h>

#define NS_PER_SEC 1000000000ull
#define NS_PER_MS 1000000ull

uint64_t clock_mono_ns(void);
uint64_t clock_real_ns(void);
/* CLOCK_REALTIME - CLOCK_MONOTONIC now: adds to a record's timestamp to give wall time. */
long long clock_realtime_offset_ns(void);

#endif
