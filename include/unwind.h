/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * DWARF unwinding of a user stack after the fact, as `perf --call-graph
 * dwarf` does: from the registers and a copy of the stack window above the
 * stack pointer taken at the syscall's exit, and the files that were mapped
 * at that moment (from the model, not from /proc: the process may be gone).
 * elfutils' libdwfl reads each file's .eh_frame / .debug_frame and its
 * symbols, with separate debug files found by build-id.
 */
#ifndef VMATRACE_UNWIND_H
#define VMATRACE_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* x86_64 registers in DWARF numbering: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip. */
enum { UNW_RSP = 7, UNW_RIP = 16, UNW_NREGS = 17 };

/* One file mapping of the address space, as /proc/PID/maps would show it. */
struct unwind_map {
	uint64_t start, end; /* addresses */
	uint64_t pgoff;	     /* file offset in bytes */
	const char *path;    /* as the process names it */
	const char *file;    /* where to open it from here (NULL: path) */
};

struct unwind_input {
	uint32_t tgid, tid;
	uint64_t regs[UNW_NREGS];
	const void *stack; /* a copy of [regs[UNW_RSP], regs[UNW_RSP] + stack_len) */
	size_t stack_len;
	const struct unwind_map *maps; /* sorted by start; file-backed mappings */
	size_t nmaps;
};

struct unwind_frame {
	uint64_t pc;	 /* the return address (or the pc, for the first frame) */
	bool activation; /* the first frame: pc itself, not a return address */
};

struct unwind_result {
	int nframes;
	bool window_end; /* stopped because the next frame lies beyond the copied stack window */
	bool no_module;	 /* stopped at a pc in no known file */
};

struct unwinder;

/* cache_spaces: how many address spaces keep their files open (the least recent is closed). */
struct unwinder *unwinder_new(unsigned int cache_spaces);
void unwinder_free(struct unwinder *u);
/* The address space of tgid changed wholesale (exec) or is gone (exit). */
void unwinder_forget(struct unwinder *u, uint32_t tgid);

/* Unwind up to max frames into out. Returns the number of frames (>= 1 when the pc is known). */
int unwind_stack(struct unwinder *u, const struct unwind_input *in, struct unwind_frame *out,
		 int max, struct unwind_result *res);

/*
 * Append a frame as strace -k does: "path(symbol+0xoff) [0xfileoff]" (C++ names demangled), or
 * "path+0xfileoff" when the file has no symbol for it, or "[0xaddr]" outside every file.
 * Paths and names as raw bytes: the output escapes them (untrusted.h).
 */
void unwind_format_frame(struct unwinder *u, const struct unwind_input *in,
			 const struct unwind_frame *f, struct strbuf *out);

#endif
