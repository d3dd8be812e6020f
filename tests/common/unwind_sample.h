/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Recording an unwinding sample as the BPF side records one: a child stops
 * (SIGSTOP, inside a syscall) under ptrace; its registers in DWARF order, a
 * copy of its stack window bounded by the stack VMA's end and its file
 * mappings are taken; the child is then killed. For tests/unit/test_unwind.c
 * and bench/bench_unwind.c. Aborts (via SAMPLE_CHECK) on any failure.
 */
#ifndef TESTS_UNWIND_SAMPLE_H
#define TESTS_UNWIND_SAMPLE_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unwind.h"

#ifndef SAMPLE_CHECK
#define SAMPLE_CHECK(cond)                                                                \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #cond); \
			abort();                                                          \
		}                                                                         \
	} while (0)
#endif

struct sample {
	struct unwind_input in;
	struct unwind_map maps[256];
	char paths[256][256];
	char stack[65536];
};

static inline void sample_record(pid_t pid, struct sample *s, size_t window)
{
	struct user_regs_struct r;
	char path[64], line[512];
	uint64_t stack_end = 0;
	FILE *f;
	int fd;

	SAMPLE_CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &r) == 0);
	uint64_t regs[UNW_NREGS] = { r.rax, r.rdx, r.rcx, r.rbx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8,
				     r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip };

	memset(s, 0, sizeof(*s));
	memcpy(s->in.regs, regs, sizeof(regs));
	s->in.tgid = s->in.tid = pid;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	SAMPLE_CHECK(f);
	while (fgets(line, sizeof(line), f) && s->in.nmaps < 256) {
		unsigned long long a, b, off;
		char file[256] = "";

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %255s", &a, &b, &off, file) < 3)
			continue;
		if (r.rsp >= a && r.rsp < b)
			stack_end = b;
		if (file[0] != '/')
			continue;
		strcpy(s->paths[s->in.nmaps], file);
		s->maps[s->in.nmaps] = (struct unwind_map){ a, b, off, s->paths[s->in.nmaps] };
		s->in.nmaps++;
	}
	fclose(f);
	s->in.maps = s->maps;
	/* The window ends at the stack VMA's end, as bpf_probe_read_user needs. */
	SAMPLE_CHECK(stack_end > r.rsp);
	if (window > sizeof(s->stack))
		window = sizeof(s->stack);
	s->in.stack_len = stack_end - r.rsp < window ? stack_end - r.rsp : window;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY);
	SAMPLE_CHECK(fd >= 0);
	SAMPLE_CHECK(pread(fd, s->stack, s->in.stack_len, r.rsp) == (ssize_t)s->in.stack_len);
	close(fd);
	s->in.stack = s->stack;
}

/* Run fn in a traced child until it stops, record the sample, kill the child. */
static inline void sample_child(void (*fn)(void), struct sample *s, size_t window)
{
	int status;
	pid_t pid = fork();

	SAMPLE_CHECK(pid >= 0);
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		fn();
		_exit(0);
	}
	SAMPLE_CHECK(waitpid(pid, &status, 0) == pid);
	SAMPLE_CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
	sample_record(pid, s, window);
	kill(pid, SIGKILL);
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	waitpid(pid, &status, 0);
}

#endif
