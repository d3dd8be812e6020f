// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Definitions of the maps and load-time settings declared in common.bpf.h. */
#include "maps.bpf.h"

struct events_map events SEC(".maps");
struct traced_tgids_map traced_tgids SEC(".maps");
struct stats_map stats SEC(".maps");

/* Load-time settings (rodata), set by userspace between open and load. */
const volatile bool trace_all = false;
const volatile __u32 self_tgid = 0;
const volatile bool capture_stack = false;
const volatile __u64 wakeup_backlog = 1 << 20;

char LICENSE[] SEC("license") = "Dual BSD/GPL";
