/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Names for syscalls, errnos and flag words, as strace prints them. */
#ifndef VMATRACE_DECODE_H
#define VMATRACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include "strbuf.h"
#include "vmatrace.h"

/* The size of a whole record of this type; a bare header's for a type we do not know. */
size_t decode_rec_size(unsigned int type);
/*
 * Does a record of `size` bytes hold its header and its whole type? (any bytes) A short
 * syscall record (VMT_F_NO_VMA, VMT_F_ONE_VMA) never does: widen it first.
 */
bool decode_rec_fits(const void *rec, size_t size);
/*
 * A short syscall record of exactly its flag's size, as a whole one in buf (the VMAs it lacks
 * zero, its size flag off; *size becomes the whole size); any other record as it is (one that
 * is short at another size stays short, and decode_rec_fits refuses it).
 */
const void *decode_rec_widen(const void *rec, size_t *size, struct vmt_syscall_rec *buf);

const char *decode_sys_name(unsigned int sys);
/* Our syscall id for a name ("mmap" -> VMT_SYS_MMAP), or -1. */
int decode_sys_by_name(const char *name);
/* "ENOMEM" for 12; NULL when unknown. */
const char *decode_errno_name(int err);
/* Does this syscall return an address (printed in hex)? */
bool decode_sys_returns_addr(unsigned int sys);
/* Can vmatrace not keep a VMA count without this syscall's tracepoint? */
bool decode_sys_required(unsigned int sys);
/* The value of a raw return that means failure, or 0 if ret is a success. */
int decode_ret_errno(unsigned int sys, long long ret);

void decode_prot(struct strbuf *sb, unsigned long prot);
void decode_map_flags(struct strbuf *sb, unsigned long flags);
void decode_madvise(struct strbuf *sb, unsigned long advice);
void decode_mremap_flags(struct strbuf *sb, unsigned long flags);
void decode_mlock2_flags(struct strbuf *sb, unsigned long flags);
void decode_mlockall_flags(struct strbuf *sb, unsigned long flags);
void decode_shmat_flags(struct strbuf *sb, unsigned long flags);
void decode_mbind_mode(struct strbuf *sb, unsigned long mode);
/* "rw-p" from a VMA's vm_flags. */
void decode_vm_perms(char out[5], unsigned long long vm_flags);

/* One argument of a traced syscall: its name and how to print it. */
enum arg_kind {
	ARG_ADDR,
	ARG_LEN,
	ARG_INT,
	ARG_PROT,
	ARG_MAPFLAGS,
	ARG_FD,
	ARG_ADVICE,
	ARG_MREMAP,
	ARG_MLOCK2,
	ARG_MLOCKALL,
	ARG_SHMAT,
	ARG_MBIND,
	ARG_HEX,
	ARG_CONST
};
struct arg_desc {
	const char *name;
	enum arg_kind kind;
	const char *constant; /* ARG_CONST: printed as is */
};
/* Arguments of a syscall; returns their number. */
int decode_sys_args(unsigned int sys, const struct arg_desc **out);
/* Append one argument value (decoded flags, hex address, NULL...). */
void decode_arg(struct strbuf *sb, const struct arg_desc *d, unsigned long long v);

#endif
