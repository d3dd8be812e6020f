// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "sysinfo.h"

unsigned long sys_max_map_count(void)
{
	unsigned long v = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 65530;
		fclose(f);
	}
	return v;
}

pid_t sys_tgid_of(pid_t pid)
{
	char path[64], line[256];
	pid_t tgid = -ESRCH;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Tgid:", 5)) {
			tgid = (pid_t)strtol(line + 5, NULL, 10);
			break;
		}
	}
	fclose(f);
	return tgid;
}

/* PF_KTHREAD in /proc/PID/stat's flags (include/linux/sched.h): stable since 2.6. */
#define SYS_PF_KTHREAD 0x00200000u

const char *sys_untraceable(pid_t pid, pid_t *tgid)
{
	char path[64], buf[1024], state;
	unsigned long flags, threads;
	const char *p;
	ssize_t n;
	int fd;

	*tgid = sys_tgid_of(pid);
	if (*tgid < 0)
		return "no such process";
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)*tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "no such process";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return "no such process";
	buf[n] = 0;
	/* The comm in parentheses may hold anything, ")" too: the fields follow the last one. */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %lu",
		   &state, &flags, &threads) != 3)
		return NULL; /* an unknown layout: let the tracer try */
	if (flags & SYS_PF_KTHREAD)
		return "is a kernel thread (it has no user address space to trace)";
	/* A leader that exited while its threads run is a zombie too: the process lives on. */
	if ((state == 'Z' || state == 'X') && threads <= 1)
		return "is a zombie (it has exited; its parent has not reaped it yet)";
	return NULL;
}

bool sys_parse_pid(const char *s, pid_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX)
		return false;
	*out = (pid_t)v;
	return true;
}

long sys_self_rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

const char *sys_kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		snprintf(u.release, sizeof(u.release), "?");
	return u.release;
}

static sys_pid_map_fn pid_to_proc, pid_to_kernel;
static void *pid_map_ctx;

void sys_set_proc_pid_map(sys_pid_map_fn to_proc, sys_pid_map_fn to_kernel, void *ctx)
{
	pid_to_proc = to_proc;
	pid_to_kernel = to_kernel;
	pid_map_ctx = ctx;
}

static unsigned int map_pid(sys_pid_map_fn fn, unsigned int pid)
{
	pid_t p;

	if (!fn || !pid)
		return pid;
	p = fn(pid_map_ctx, (pid_t)pid);
	return p > 0 ? (unsigned int)p : 0;
}

unsigned int sys_proc_pid(unsigned int kernel_pid)
{
	return map_pid(pid_to_proc, kernel_pid);
}

unsigned int sys_kernel_pid(unsigned int proc_pid)
{
	return map_pid(pid_to_kernel, proc_pid);
}
