// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc names of processes given by their kernel tgid: identity, or a PID namespace's. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "procfs.h"
#include "sysinfo.h"

/* A made-up namespace: our kernel tgid is OFFSET above the pid our /proc shows. */
#define OFFSET 100000

static pid_t to_proc(void *ctx, pid_t pid)
{
	(void)ctx;
	return pid == getpid() + OFFSET ? getpid() : -1;
}

static pid_t to_kernel(void *ctx, pid_t pid)
{
	(void)ctx;
	return pid == getpid() ? getpid() + OFFSET : -1;
}

static void reset(void)
{
	sys_set_proc_pid_map(NULL, NULL, NULL);
}

TestSuite(sysinfo, .fini = reset);

Test(sysinfo, without_a_namespace_pids_are_their_own_names)
{
	cr_assert_eq(sys_proc_pid(1234), 1234);
	cr_assert_eq(sys_kernel_pid(1234), 1234);
	cr_assert_eq(procfs_tgid_of(getpid()), (uint32_t)getpid());
}

Test(sysinfo, in_a_namespace_proc_is_read_by_its_pids_both_ways)
{
	sys_set_proc_pid_map(to_proc, to_kernel, NULL);
	cr_assert_eq(sys_proc_pid(getpid() + OFFSET), (unsigned int)getpid());
	cr_assert_eq(sys_proc_pid(getpid()), 0, "a kernel tgid outside the namespace: no name");
	/* /proc/PID/status's Tgid is the namespace's: read back as the kernel's. */
	cr_assert_eq(procfs_tgid_of(getpid() + OFFSET), (uint32_t)getpid() + OFFSET);
	cr_assert_eq(procfs_tgid_of(getpid()), 0, "not read through another process's name");
	cr_assert(procfs_alive(getpid() + OFFSET));
}
