/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The daemon's call sites: each VMA-changing call that came with a stack
 * window (sampled by the BPF side, every failed call, every call above a
 * share of the limit) is unwound and attributed to its stack in the process's
 * site table (sites.h): the net change of its VMA count and the bytes it
 * mapped, with the sample's weight.
 */
#ifndef VMATRACE_DAEMON_SITES_H
#define VMATRACE_DAEMON_SITES_H

#include <stddef.h>

#include "model.h"
#include "ustack.h"

struct daemon;

struct daemon_sites {
	struct ustack us;
	bool ready;
	uint64_t unwound, failed, unmeasured;
};

/* The window is set at start (rodata); sampling follows the configuration and the limit. */
int daemon_sites_init(struct daemon *d);
void daemon_sites_fini(struct daemon *d);
/* Apply the configuration's sampling and the live vm.max_map_count to the BPF side. */
void daemon_sites_configure(struct daemon *d);
/* Before model_apply(): what the call will be measured against. */
struct site_before {
	bool known;
	size_t vmas;
	uint64_t mapped;
	uint64_t resyncs; /* a resync during the call's update changes the count by more than it */
};
void daemon_sites_before(struct daemon *d, const void *rec, size_t size, struct site_before *b);
/* After model_apply(): attribute the call to its stack. */
void daemon_sites_after(struct daemon *d, const void *rec, size_t size,
			const struct site_before *b);
/* A process exec'd or exited: its unwinding state goes. */
void daemon_sites_note(struct daemon *d, const void *rec, size_t size);

#endif
