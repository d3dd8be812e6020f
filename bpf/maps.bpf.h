/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef VMATRACE_MAPS_BPF_H
#define VMATRACE_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "vmatrace.h"

/*
 * The maps are defined once, in maps.bpf.c; every other object sees them as
 * extern and the static linker (bpftool gen object) joins them.
 */
struct events_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by userspace before load */
};

struct stats_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VMT_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
};

/* What each CPU keeps between its records: see cpu_state() in common.bpf.h. */
struct vmt_cpu_state {
	__u64 rng;  /* xorshift64 state, 0 until the CPU's first draw seeds it */
	__u32 nrec; /* records this CPU submitted, for the sampled wakeup check */
	__u32 pad;
};

struct cpu_state_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vmt_cpu_state);
};

/* One record under construction per CPU for records with a stack window (too big for the stack). */
struct ustack_scratch_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of possible CPUs by userspace */
	__type(key, __u32);
	__type(value, struct vmt_syscall_ustack_rec);
};

#endif
