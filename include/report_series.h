/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The report's timelines as a gauge, inside the report (report_series.c, called by
 * report_load.c): where each process's series ends and how long its peaks held. Not a
 * public interface.
 */
#ifndef VMATRACE_REPORT_SERIES_H
#define VMATRACE_REPORT_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"

/* One run of the daemon: from its start record to the last record it wrote. */
struct report_run {
	uint64_t start_ns, last_ns;
};

/*
 * With the points sorted: every process's end_ns (its exit, the next process of its pid,
 * or the last record of the run p->run indexes in runs, cut at the filter's until) and
 * the spans its VMA and heap peaks held. 0 or -ENOMEM.
 */
int report_series_finish(struct report *r, const struct report_run *runs, size_t nruns);

#endif
