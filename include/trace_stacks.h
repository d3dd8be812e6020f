/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The call stacks of `vmatrace trace -k`: frames under each call as strace -k
 * prints them (text) or a "stack" array (JSON). Two ways to get them:
 *   dwarf (default): the BPF side copies the registers and a stack window;
 *       userspace unwinds it with the files' DWARF CFI (ustack.h), against
 *       the files the model says were mapped at the time of the call;
 *   fp: the kernel walks frame pointers (bpf_get_stack); cheap, but code built
 *       without frame pointers (most of Debian) shows one or two frames.
 */
#ifndef VMATRACE_TRACE_STACKS_H
#define VMATRACE_TRACE_STACKS_H

#include <stdbool.h>
#include <stddef.h>

#include "jsonw.h"
#include "model.h"
#include "strbuf.h"
#include "symbolize.h"
#include "ustack.h"

enum stack_mode { STACK_NONE = 0, STACK_DWARF, STACK_FP };

struct trace_stacks {
	enum stack_mode mode;
	struct symbolizer *sym; /* fp */
	struct ustack us;	/* dwarf */
	bool us_ready;
	struct strbuf frame;
};

/* "dwarf", "fp": the mode, or STACK_NONE for anything else. */
enum stack_mode trace_stacks_parse_mode(const char *s);
int trace_stacks_init(struct trace_stacks *ts, enum stack_mode mode);
void trace_stacks_free(struct trace_stacks *ts);
/* A process traced from now on (-p): learn its files' paths while it surely lives. */
void trace_stacks_attach(struct trace_stacks *ts, uint32_t tgid);
/* Every record, before it is applied to the model: exec and exit change what is mapped. */
void trace_stacks_note(struct trace_stacks *ts, const void *rec, size_t size);
/* The frames of a syscall record: " > frame" lines (text), or a "stack" member (JSON). */
void trace_stacks_text(struct trace_stacks *ts, struct model *m, const void *rec, size_t size,
		       struct strbuf *line);
void trace_stacks_json(struct trace_stacks *ts, struct model *m, const void *rec, size_t size,
		       struct jsonw *w);

#endif
