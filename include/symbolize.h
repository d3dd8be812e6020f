/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* User stack addresses to module(symbol+offset), like strace -k. */
#ifndef VMATRACE_SYMBOLIZE_H
#define VMATRACE_SYMBOLIZE_H

#include <stdint.h>
#include "strbuf.h"

struct symbolizer;

struct symbolizer *sym_new(void);
void sym_free(struct symbolizer *s);
/* Append "path(symbol+0xoff) [0xfileoff]", or "[0xaddr]" when it cannot tell. */
void sym_format(struct symbolizer *s, uint32_t pid, uint64_t addr, struct strbuf *out);
/* The process exited: drop its mappings. */
void sym_forget(struct symbolizer *s, uint32_t pid);

#endif
