/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Facts about the system and its processes, read from /proc. */
#ifndef VMATRACE_SYSINFO_H
#define VMATRACE_SYSINFO_H

#include <stdbool.h>
#include <sys/types.h>

/* vm.max_map_count, or 65530 (the kernel default) if unreadable. */
unsigned long sys_max_map_count(void);
/* The thread group (process) a pid or tid belongs to, or -ESRCH. */
pid_t sys_tgid_of(pid_t pid);
/*
 * Why pid cannot be traced: "no such process", "is a zombie (it exited; its parent has not
 * reaped it)", "is a kernel thread (it has no user address space)"; NULL when it can be, with
 * *tgid set to its process.
 */
const char *sys_untraceable(pid_t pid, pid_t *tgid);
/* This process's resident memory in KiB (/proc/self/statm), 0 if unknown. */
long sys_self_rss_kib(void);
/*
 * Records name processes by their tgid in the kernel's initial PID namespace. Inside a PID
 * namespace with its own /proc (a container, `unshare -pf --mount-proc`), /proc names them by
 * that namespace's pids: the tracer sets the translation both ways (its pid_map iterator).
 * sys_proc_pid gives the /proc name of a kernel tgid, 0 when our /proc does not show it (so
 * that "/proc/0/..." fails like a process that is gone); sys_kernel_pid the reverse.
 */
typedef pid_t (*sys_pid_map_fn)(void *ctx, pid_t pid);
void sys_set_proc_pid_map(sys_pid_map_fn to_proc, sys_pid_map_fn to_kernel, void *ctx);
unsigned int sys_proc_pid(unsigned int kernel_pid);
unsigned int sys_kernel_pid(unsigned int proc_pid);
/* The running kernel's release (uname -r), "?" if unknown; a static buffer. */
const char *sys_kernel_release(void);
/* Parse a positive pid; false if s is not one. */
bool sys_parse_pid(const char *s, pid_t *out);

#endif
