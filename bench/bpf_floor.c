// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpf_floor: the floor of vmatrace's design, measured. Empty BPF programs (return 0) on the
 * exit tracepoints of mmap and munmap (floor_mmap, floor_munmap), attached while CMD runs:
 * what any program on these tracepoints costs before it does anything, and, with
 * kernel.bpf_stats_enabled, what bpf_stats counts for a program that does nothing (its own
 * clock reads and the call). The bench's overhead and stats sections print both next to
 * vmatrace's figures (issue 14).
 *
 * usage: bpf_floor CMD [ARGS...]   (exits with CMD's status)
 * At the end it prints each program's runs and run time (0 unless kernel.bpf_stats_enabled):
 *   bpf_floor: floor_mmap runs=N run_time_ns=T
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

static const char *const tracefs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

static long tracepoint_id(const char *name)
{
	char path[256];
	FILE *f;
	long id = -1;

	for (size_t i = 0; i < sizeof(tracefs) / sizeof(tracefs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/syscalls/%s/id", tracefs[i], name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%ld", &id) != 1)
			id = -1;
		fclose(f);
		if (id >= 0)
			return id;
	}
	return -1;
}

/* An empty program named name on syscalls:<tp> of every CPU; returns its fd or -1 (said why). */
static int attach_empty(const char *name, const char *tp)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr) };
	long id = tracepoint_id(tp);
	int prog, fd;

	if (id < 0) {
		fprintf(stderr, "bpf_floor: no tracepoint syscalls/%s (is tracefs mounted?)\n", tp);
		return -1;
	}
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, name, "GPL", insns, 2, NULL);
	if (prog < 0) {
		fprintf(stderr, "bpf_floor: cannot load %s: %s\n", name, strerror(-prog));
		return -1;
	}
	attr.config = id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	/*
	 * One event is enough: a tracepoint's programs hang off the tracepoint, not the event,
	 * and run on every CPU (a second attach is EEXIST). CPU 0, as libbpf does.
	 */
	fd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 || ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) ||
	    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		fprintf(stderr, "bpf_floor: cannot attach %s: %s\n", name, strerror(errno));
		return -1;
	}
	return prog;
}

static void print_stats(int prog)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog, &info, &len))
		return;
	fprintf(stderr, "bpf_floor: %s runs=%llu run_time_ns=%llu\n", info.name,
		(unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns);
}

int main(int argc, char **argv)
{
	int status, progs[2];
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: bpf_floor CMD [ARGS...]\n");
		return 2;
	}
	progs[0] = attach_empty("floor_mmap", "sys_exit_mmap");
	progs[1] = progs[0] < 0 ? -1 : attach_empty("floor_munmap", "sys_exit_munmap");
	if (progs[1] < 0)
		return 1;
	pid = fork();
	if (pid < 0) {
		perror("bpf_floor: fork");
		return 1;
	}
	if (!pid) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "bpf_floor: cannot run %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("bpf_floor: waitpid");
		return 1;
	}
	print_stats(progs[0]);
	print_stats(progs[1]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
