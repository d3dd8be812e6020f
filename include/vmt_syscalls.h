/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The traced syscalls, one row each. Everything that lists them is generated
 * from here: enum vmt_sys (vmatrace.h), the BPF programs (bpf/syscalls.bpf.c),
 * the names, argument decoders and return kinds (src/decode.c) and the set the
 * tracer cannot run without (src/tracer.c). Adding a syscall is one row, plus
 * what it means to the model (src/model.c).
 *
 * Compiled by clang -target bpf and by the userspace compiler alike: macros only.
 *
 * VMT_SYSCALL(id, num, name, need, ret, lookup, addr_arg, len_arg, args)
 *   id        VMT_SYS_<id>
 *   num       its value: stable, recorded in journals, never reused
 *   name      the syscall; its tracepoint is syscalls/sys_exit_<name>, its
 *             program exit_<name>
 *   need      REQUIRED: vmatrace refuses to run without its tracepoint;
 *             OPTIONAL: a kernel may lack it (the program is not loaded)
 *   ret       ADDR: returns an address (printed in hex); VALUE: a number
 *   lookup    how the BPF side finds the resulting VMAs: NONE; RET_LEN,
 *             [ret, ret + args[len_arg]) (len_arg -1: one byte); ARG_RANGE,
 *             [args[addr_arg], + args[len_arg]); BRK, the heap below the new break
 *   args      VMT_ARG(name, kind) per argument (kind: enum arg_kind in
 *             decode.h without ARG_), VMT_ARG_CONST(name, text) for one that
 *             the program's filter fixes
 *
 * Rows are in num order, 0 to VMT_SYS__COUNT - 1 (checked in src/decode.c).
 */
#ifndef VMATRACE_VMT_SYSCALLS_H
#define VMATRACE_VMT_SYSCALLS_H

#define VMT_NEED_REQUIRED 1
#define VMT_NEED_OPTIONAL 0
#define VMT_RET_ADDR 1
#define VMT_RET_VALUE 0

/* clang-format off */
#define VMT_SYSCALLS(X)								\
X(MMAP, 0, mmap, REQUIRED, ADDR, RET_LEN, 0, 1,					\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN) VMT_ARG(prot, PROT)			\
  VMT_ARG(flags, MAPFLAGS) VMT_ARG(fd, FD) VMT_ARG(offset, HEX))		\
X(MUNMAP, 1, munmap, REQUIRED, VALUE, NONE, 0, 0,				\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN))					\
X(BRK, 2, brk, REQUIRED, ADDR, BRK, 0, 0,					\
  VMT_ARG(addr, ADDR))								\
X(MREMAP, 3, mremap, OPTIONAL, ADDR, RET_LEN, 0, 2,				\
  VMT_ARG(old_addr, ADDR) VMT_ARG(old_len, LEN) VMT_ARG(new_len, LEN)		\
  VMT_ARG(flags, MREMAP) VMT_ARG(new_addr, ADDR))				\
X(MPROTECT, 4, mprotect, OPTIONAL, VALUE, ARG_RANGE, 0, 1,			\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN) VMT_ARG(prot, PROT))			\
X(PKEY_MPROTECT, 5, pkey_mprotect, OPTIONAL, VALUE, ARG_RANGE, 0, 1,		\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN) VMT_ARG(prot, PROT)			\
  VMT_ARG(pkey, INT))								\
X(MADVISE, 6, madvise, OPTIONAL, VALUE, ARG_RANGE, 0, 1,			\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN) VMT_ARG(advice, ADVICE))		\
X(MLOCK, 7, mlock, OPTIONAL, VALUE, ARG_RANGE, 0, 1,				\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN))					\
X(MLOCK2, 8, mlock2, OPTIONAL, VALUE, ARG_RANGE, 0, 1,				\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN) VMT_ARG(flags, MLOCK2))		\
X(MUNLOCK, 9, munlock, OPTIONAL, VALUE, ARG_RANGE, 0, 1,			\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN))					\
X(MLOCKALL, 10, mlockall, OPTIONAL, VALUE, NONE, 0, 0,				\
  VMT_ARG(flags, MLOCKALL))							\
X(MUNLOCKALL, 11, munlockall, OPTIONAL, VALUE, NONE, 0, 0,			\
  /* no arguments */)								\
X(SHMAT, 12, shmat, OPTIONAL, ADDR, RET_LEN, 0, -1,				\
  VMT_ARG(shmid, INT) VMT_ARG(addr, ADDR) VMT_ARG(shmflg, SHMAT))		\
X(SHMDT, 13, shmdt, OPTIONAL, VALUE, NONE, 0, 0,				\
  VMT_ARG(addr, ADDR))								\
X(REMAP_FILE_PAGES, 14, remap_file_pages, OPTIONAL, VALUE, ARG_RANGE, 0, 1,	\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN) VMT_ARG(prot, PROT)			\
  VMT_ARG(pgoff, LEN) VMT_ARG(flags, HEX))					\
X(MSEAL, 15, mseal, OPTIONAL, VALUE, ARG_RANGE, 0, 1,				\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN) VMT_ARG(flags, HEX))			\
X(MBIND, 16, mbind, OPTIONAL, VALUE, ARG_RANGE, 0, 1,				\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN) VMT_ARG(mode, MBIND)			\
  VMT_ARG(nodemask, ADDR) VMT_ARG(maxnode, LEN) VMT_ARG(flags, HEX))		\
X(SET_MEMPOLICY_HOME_NODE, 17, set_mempolicy_home_node, OPTIONAL, VALUE,	\
  ARG_RANGE, 0, 1,								\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN) VMT_ARG(home_node, INT)			\
  VMT_ARG(flags, HEX))								\
/* prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME) only: naming anon VMAs splits them */	\
X(PRCTL_SET_VMA, 18, prctl, OPTIONAL, VALUE, ARG_RANGE, 2, 3,			\
  VMT_ARG_CONST(option, PR_SET_VMA) VMT_ARG_CONST(attr, PR_SET_VMA_ANON_NAME)	\
  VMT_ARG(addr, ADDR) VMT_ARG(len, LEN) VMT_ARG(name, ADDR))
/* clang-format on */

#endif
