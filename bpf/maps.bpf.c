// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Definitions of the maps and load-time settings declared in common.bpf.h. */
#include "maps.bpf.h"

struct events_map events SEC(".maps");
struct stats_map stats SEC(".maps");
struct ustack_scratch_map ustack_scratch SEC(".maps");
struct cpu_state_map cpu_state_map SEC(".maps");

/* Load-time settings (rodata), set by userspace between open and load. */
const volatile bool trace_all = false;
const volatile bool capture_stack = false;
const volatile __u32 ustack_window = 0;
/* Our own tgid in the kernel's terms (pid_map learns it inside a PID namespace). */
__u32 self_tgid = 0;
/* Which calls get a stack window (syscalls.bpf.c); a reload may change them. */
__u32 ustack_every; /* 0 or 1: every call */
__u32 ustack_all_above;
const volatile __u64 wakeup_backlog = 1 << 20;
/* Set by userspace when the kernel has bpf_rdonly_cast (6.2): see task_regs(). */
const volatile bool regs_cast = true;
/* The offset of a task's saved user registers from its kernel stack, learnt at the first call. */
__u64 regs_off;

/* The traced set (vmatrace.h), written by userspace through the mmapped .bss. */
__u64 traced_bits[VMT_TGID_WORDS];
__u64 follow_bits[VMT_TGID_WORDS];
/*
 * Processes that lost records (the ring buffer was full): a bit per tgid,
 * set by the BPF side when a reserve fails, taken (swapped to 0 word by word)
 * by userspace, which then reads each such process again from the kernel.
 */
__u64 lost_bits[VMT_TGID_WORDS];

char LICENSE[] SEC("license") = "Dual BSD/GPL";
