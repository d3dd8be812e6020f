// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Names of syscalls, errnos and flag words (src/decode.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "decode.h"

/* Run one decoder on v and compare the text it appends. */
#define CHECK_DECODE(fn, v, expected)                                                       \
	do {                                                                                \
		struct strbuf sb_;                                                          \
		sb_init(&sb_);                                                              \
		fn(&sb_, (v));                                                              \
		cr_assert_str_eq(sb_.buf, (expected), "%s(%#lx)", #fn, (unsigned long)(v)); \
		sb_free(&sb_);                                                              \
	} while (0)

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "A|B|C" with the first token fixed and the others in any order. */
static void check_flag_set(const char *got, const char *expected)
{
	char *g = strdup(got), *e = strdup(expected);
	char *gt[32], *et[32], *save;
	size_t ng = 0, ne = 0;

	for (char *t = strtok_r(g, "|", &save); t && ng < 32; t = strtok_r(NULL, "|", &save))
		gt[ng++] = t;
	for (char *t = strtok_r(e, "|", &save); t && ne < 32; t = strtok_r(NULL, "|", &save))
		et[ne++] = t;
	cr_assert_eq(ng, ne, "got \"%s\", expected the flags of \"%s\"", got, expected);
	cr_assert_str_eq(gt[0], et[0], "got \"%s\", expected \"%s\"", got, expected);
	qsort(gt + 1, ng - 1, sizeof(gt[0]), cmp_str);
	qsort(et + 1, ne - 1, sizeof(et[0]), cmp_str);
	for (size_t i = 1; i < ng; i++)
		cr_assert_str_eq(gt[i], et[i], "got \"%s\", expected \"%s\"", got, expected);
	free(g);
	free(e);
}

Test(decode, sys_names)
{
	cr_assert_str_eq(decode_sys_name(VMT_SYS_MMAP), "mmap");
	cr_assert_str_eq(decode_sys_name(VMT_SYS_MUNMAP), "munmap");
	cr_assert_str_eq(decode_sys_name(VMT_SYS_BRK), "brk");
	cr_assert_str_eq(decode_sys_name(VMT_SYS_PKEY_MPROTECT), "pkey_mprotect");
	cr_assert_str_eq(decode_sys_name(VMT_SYS_SET_MEMPOLICY_HOME_NODE),
			 "set_mempolicy_home_node");
	cr_assert_str_eq(decode_sys_name(VMT_SYS_PRCTL_SET_VMA), "prctl");
	cr_assert_str_eq(decode_sys_name(VMT_SYS__COUNT), "unknown");
	cr_assert_str_eq(decode_sys_name(~0u), "unknown");
}

Test(decode, sys_by_name_round_trip)
{
	for (unsigned int i = 0; i < VMT_SYS__COUNT; i++) {
		const char *name = decode_sys_name(i);

		cr_assert_str_neq(name, "unknown", "syscall %u has no name", i);
		cr_assert_eq(decode_sys_by_name(name), (int)i, "%s", name);
	}
	cr_assert_eq(decode_sys_by_name("mremap"), VMT_SYS_MREMAP);
	cr_assert_eq(decode_sys_by_name("unknown"), -1);
	cr_assert_eq(decode_sys_by_name(""), -1);
	cr_assert_eq(decode_sys_by_name("MMAP"), -1);
	cr_assert_eq(decode_sys_by_name("mmap2"), -1);
}

/* The numbers are in journals and in every record: the table must keep them. */
Test(decode, sys_numbers_are_stable)
{
	cr_assert_eq(VMT_SYS_MMAP, 0);
	cr_assert_eq(VMT_SYS_MUNMAP, 1);
	cr_assert_eq(VMT_SYS_BRK, 2);
	cr_assert_eq(VMT_SYS_MREMAP, 3);
	cr_assert_eq(VMT_SYS_MPROTECT, 4);
	cr_assert_eq(VMT_SYS_PKEY_MPROTECT, 5);
	cr_assert_eq(VMT_SYS_MADVISE, 6);
	cr_assert_eq(VMT_SYS_MLOCK, 7);
	cr_assert_eq(VMT_SYS_MLOCK2, 8);
	cr_assert_eq(VMT_SYS_MUNLOCK, 9);
	cr_assert_eq(VMT_SYS_MLOCKALL, 10);
	cr_assert_eq(VMT_SYS_MUNLOCKALL, 11);
	cr_assert_eq(VMT_SYS_SHMAT, 12);
	cr_assert_eq(VMT_SYS_SHMDT, 13);
	cr_assert_eq(VMT_SYS_REMAP_FILE_PAGES, 14);
	cr_assert_eq(VMT_SYS_MSEAL, 15);
	cr_assert_eq(VMT_SYS_MBIND, 16);
	cr_assert_eq(VMT_SYS_SET_MEMPOLICY_HOME_NODE, 17);
	cr_assert_eq(VMT_SYS_PRCTL_SET_VMA, 18);
	cr_assert_eq(VMT_SYS__COUNT, 19);
}

/* Without mmap, munmap and brk there is no VMA count; the rest a kernel may lack. */
Test(decode, sys_required)
{
	for (unsigned int i = 0; i < VMT_SYS__COUNT; i++)
		cr_assert_eq(decode_sys_required(i),
			     i == VMT_SYS_MMAP || i == VMT_SYS_MUNMAP || i == VMT_SYS_BRK, "%s",
			     decode_sys_name(i));
	cr_assert_not(decode_sys_required(VMT_SYS__COUNT));
}

Test(decode, errno_names)
{
	cr_assert_eq(ENOMEM, 12);
	cr_assert_str_eq(decode_errno_name(12), "ENOMEM");
	cr_assert_str_eq(decode_errno_name(EINVAL), "EINVAL");
	cr_assert_str_eq(decode_errno_name(EFAULT), "EFAULT");
	cr_assert_str_eq(decode_errno_name(EPERM), "EPERM");
	cr_assert_str_eq(decode_errno_name(EAGAIN), "EAGAIN");
	cr_assert_str_eq(decode_errno_name(EEXIST), "EEXIST");
	cr_assert_str_eq(decode_errno_name(EOVERFLOW), "EOVERFLOW");
	cr_assert_str_eq(decode_errno_name(EHWPOISON), "EHWPOISON");
	cr_assert_null(decode_errno_name(0));
	cr_assert_null(decode_errno_name(-12));
	cr_assert_null(decode_errno_name(41)); /* unused on Linux */
	cr_assert_null(decode_errno_name(EHWPOISON + 1));
	cr_assert_null(decode_errno_name(4095));
	cr_assert_null(decode_errno_name(1 << 30));
}

Test(decode, ret_errno)
{
	/* brk reports failure by leaving the break unchanged, never with -errno. */
	cr_assert_eq(decode_ret_errno(VMT_SYS_BRK, -12), 0);
	cr_assert_eq(decode_ret_errno(VMT_SYS_BRK, 0x555555559000LL), 0);

	cr_assert_eq(decode_ret_errno(VMT_SYS_MUNMAP, 0), 0);
	cr_assert_eq(decode_ret_errno(VMT_SYS_MUNMAP, -12), 12);
	cr_assert_eq(decode_ret_errno(VMT_SYS_MPROTECT, -EINVAL), EINVAL);
	cr_assert_eq(decode_ret_errno(VMT_SYS_MMAP, -1), 1);
	cr_assert_eq(decode_ret_errno(VMT_SYS_MMAP, -4095), 4095);
	cr_assert_eq(decode_ret_errno(VMT_SYS_MMAP, -4096), 0);
	cr_assert_eq(decode_ret_errno(VMT_SYS_MMAP, 0x7f2a4c000000LL), 0);
	/* The vsyscall page: a negative long long, but an address, not an error. */
	cr_assert_eq(decode_ret_errno(VMT_SYS_MMAP, (long long)0xffffffffff600000ULL), 0);
	cr_assert_eq(decode_ret_errno(VMT_SYS_MREMAP, (long long)0xfffffffffffff001ULL), 4095);
	cr_assert_eq(decode_ret_errno(VMT_SYS_MREMAP, (long long)0xfffffffffffff000ULL), 0);
}

Test(decode, returns_addr)
{
	cr_assert(decode_sys_returns_addr(VMT_SYS_MMAP));
	cr_assert(decode_sys_returns_addr(VMT_SYS_MREMAP));
	cr_assert(decode_sys_returns_addr(VMT_SYS_BRK));
	cr_assert(decode_sys_returns_addr(VMT_SYS_SHMAT));
	cr_assert_not(decode_sys_returns_addr(VMT_SYS_MUNMAP));
	cr_assert_not(decode_sys_returns_addr(VMT_SYS_MPROTECT));
	cr_assert_not(decode_sys_returns_addr(VMT_SYS_MADVISE));
	cr_assert_not(decode_sys_returns_addr(VMT_SYS_SHMDT));
	cr_assert_not(decode_sys_returns_addr(VMT_SYS_PRCTL_SET_VMA));
	cr_assert_not(decode_sys_returns_addr(VMT_SYS__COUNT));
}

Test(decode, prot)
{
	CHECK_DECODE(decode_prot, 0, "PROT_NONE");
	CHECK_DECODE(decode_prot, PROT_READ, "PROT_READ");
	CHECK_DECODE(decode_prot, 3, "PROT_READ|PROT_WRITE");
	CHECK_DECODE(decode_prot, PROT_READ | PROT_WRITE | PROT_EXEC,
		     "PROT_READ|PROT_WRITE|PROT_EXEC");
	CHECK_DECODE(decode_prot, PROT_READ | PROT_GROWSDOWN, "PROT_READ|PROT_GROWSDOWN");
	CHECK_DECODE(decode_prot, 0x20, "0x20");
	CHECK_DECODE(decode_prot, PROT_READ | 0x20 | 0x100, "PROT_READ|0x120");
}

Test(decode, map_flags_common)
{
	CHECK_DECODE(decode_map_flags, MAP_PRIVATE | MAP_ANONYMOUS, "MAP_PRIVATE|MAP_ANONYMOUS");
	CHECK_DECODE(decode_map_flags, MAP_SHARED | MAP_FIXED, "MAP_SHARED|MAP_FIXED");
	CHECK_DECODE(decode_map_flags, MAP_PRIVATE, "MAP_PRIVATE");
	CHECK_DECODE(decode_map_flags, MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE");
	CHECK_DECODE(decode_map_flags, MAP_SHARED_VALIDATE | MAP_SYNC,
		     "MAP_SHARED_VALIDATE|MAP_SYNC");
	CHECK_DECODE(decode_map_flags, MAP_PRIVATE | MAP_FIXED_NOREPLACE,
		     "MAP_PRIVATE|MAP_FIXED_NOREPLACE");
	CHECK_DECODE(decode_map_flags, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE,
		     "MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE|MAP_STACK");
	CHECK_DECODE(decode_map_flags, MAP_PRIVATE | MAP_POPULATE | MAP_LOCKED,
		     "MAP_PRIVATE|MAP_LOCKED|MAP_POPULATE");
}

Test(decode, map_flags_unknown_bits)
{
	/* 0x200 is no mmap flag on x86. */
	CHECK_DECODE(decode_map_flags, MAP_PRIVATE | 0x200, "MAP_PRIVATE|0x200");
	CHECK_DECODE(decode_map_flags, MAP_PRIVATE | MAP_ANONYMOUS | 0x200,
		     "MAP_PRIVATE|MAP_ANONYMOUS|0x200");
	/* An invalid mapping type is shown as a number. */
	CHECK_DECODE(decode_map_flags, 0x5 | MAP_ANONYMOUS, "0x5|MAP_ANONYMOUS");
}

Test(decode, map_flags_hugetlb)
{
	struct strbuf sb;

	sb_init(&sb);
	decode_map_flags(&sb, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB);
	check_flag_set(sb.buf, "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB");

	sb_reset(&sb);
	decode_map_flags(&sb, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21ul << MAP_HUGE_SHIFT));
	check_flag_set(sb.buf, "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB");

	sb_reset(&sb);
	decode_map_flags(&sb, MAP_SHARED | MAP_HUGETLB | (30ul << MAP_HUGE_SHIFT));
	check_flag_set(sb.buf, "MAP_SHARED|MAP_HUGETLB|MAP_HUGE_1GB");

	sb_reset(&sb);
	decode_map_flags(&sb, MAP_PRIVATE | MAP_HUGETLB | (16ul << MAP_HUGE_SHIFT));
	check_flag_set(sb.buf, "MAP_PRIVATE|MAP_HUGETLB|MAP_HUGE_64KB");
	sb_free(&sb);
}

/*
 * A huge page size field below 10 (less than 1 KiB; the kernel refuses it, but a traced process
 * may pass it) must not shift by a negative count.
 */
Test(decode, map_flags_tiny_huge_size)
{
	struct strbuf sb;

	sb_init(&sb);
	decode_map_flags(&sb, MAP_PRIVATE | MAP_HUGETLB | (5ul << MAP_HUGE_SHIFT));
	cr_assert(!strcmp(sb.buf, "MAP_PRIVATE|MAP_HUGETLB|MAP_HUGE_32B") ||
			  !strcmp(sb.buf, "MAP_PRIVATE|MAP_HUGETLB|5<<MAP_HUGE_SHIFT"),
		  "got \"%s\"", sb.buf);
	sb_free(&sb);
}

/* MAP_UNINITIALIZED is 0x4000000 (<asm-generic/mman-common.h>). */
Test(decode, map_flags_uninitialized)
{
	CHECK_DECODE(decode_map_flags, MAP_PRIVATE | MAP_ANONYMOUS | 0x4000000ul,
		     "MAP_PRIVATE|MAP_ANONYMOUS|MAP_UNINITIALIZED");
	CHECK_DECODE(decode_map_flags, MAP_PRIVATE | 0x8000000ul, "MAP_PRIVATE|0x8000000");
}

Test(decode, madvise)
{
	CHECK_DECODE(decode_madvise, MADV_NORMAL, "MADV_NORMAL");
	CHECK_DECODE(decode_madvise, MADV_DONTNEED, "MADV_DONTNEED");
	CHECK_DECODE(decode_madvise, 8, "MADV_FREE");
	CHECK_DECODE(decode_madvise, MADV_HUGEPAGE, "MADV_HUGEPAGE");
	CHECK_DECODE(decode_madvise, MADV_DONTFORK, "MADV_DONTFORK");
	CHECK_DECODE(decode_madvise, 21, "MADV_PAGEOUT");
	CHECK_DECODE(decode_madvise, 25, "MADV_COLLAPSE");
	CHECK_DECODE(decode_madvise, 100, "MADV_HWPOISON");
	CHECK_DECODE(decode_madvise, 102, "MADV_GUARD_INSTALL");
	CHECK_DECODE(decode_madvise, 999, "999");
	CHECK_DECODE(decode_madvise, 7, "7"); /* a hole in the numbering */
}

Test(decode, mremap_flags)
{
	CHECK_DECODE(decode_mremap_flags, 0, "0");
	CHECK_DECODE(decode_mremap_flags, 1, "MREMAP_MAYMOVE");
	CHECK_DECODE(decode_mremap_flags, 3, "MREMAP_MAYMOVE|MREMAP_FIXED");
	CHECK_DECODE(decode_mremap_flags, 5, "MREMAP_MAYMOVE|MREMAP_DONTUNMAP");
	CHECK_DECODE(decode_mremap_flags, 1 | 0x10, "MREMAP_MAYMOVE|0x10");
}

Test(decode, mlock_flags)
{
	CHECK_DECODE(decode_mlock2_flags, 0, "0");
	CHECK_DECODE(decode_mlock2_flags, 1, "MLOCK_ONFAULT");
	CHECK_DECODE(decode_mlock2_flags, 3, "MLOCK_ONFAULT|0x2");
	CHECK_DECODE(decode_mlockall_flags, MCL_CURRENT, "MCL_CURRENT");
	CHECK_DECODE(decode_mlockall_flags, MCL_CURRENT | MCL_FUTURE, "MCL_CURRENT|MCL_FUTURE");
	CHECK_DECODE(decode_mlockall_flags, MCL_CURRENT | 4, "MCL_CURRENT|MCL_ONFAULT");
	CHECK_DECODE(decode_mlockall_flags, 0x8, "0x8");
}

Test(decode, shmat_flags)
{
	CHECK_DECODE(decode_shmat_flags, 0, "0");
	CHECK_DECODE(decode_shmat_flags, SHM_RDONLY, "SHM_RDONLY");
	CHECK_DECODE(decode_shmat_flags, SHM_RDONLY | SHM_RND, "SHM_RDONLY|SHM_RND");
	CHECK_DECODE(decode_shmat_flags, SHM_REMAP | SHM_EXEC, "SHM_REMAP|SHM_EXEC");
	CHECK_DECODE(decode_shmat_flags, SHM_RND | 1, "SHM_RND|0x1");
}

Test(decode, mbind_mode)
{
	CHECK_DECODE(decode_mbind_mode, 0, "MPOL_DEFAULT");
	CHECK_DECODE(decode_mbind_mode, 2, "MPOL_BIND");
	CHECK_DECODE(decode_mbind_mode, 6, "MPOL_WEIGHTED_INTERLEAVE");
	CHECK_DECODE(decode_mbind_mode, 9, "9");
	CHECK_DECODE(decode_mbind_mode, 2 | (1ul << 15), "MPOL_BIND|MPOL_F_STATIC_NODES");
	CHECK_DECODE(decode_mbind_mode, 3 | (1ul << 13), "MPOL_INTERLEAVE|MPOL_F_NUMA_BALANCING");
	CHECK_DECODE(decode_mbind_mode, 1 | (1ul << 14) | (1ul << 15),
		     "MPOL_PREFERRED|MPOL_F_STATIC_NODES|MPOL_F_RELATIVE_NODES");
	CHECK_DECODE(decode_mbind_mode, 2 | 0x400, "MPOL_BIND|0x400");
}

Test(decode, vm_perms)
{
	char p[5];

	decode_vm_perms(p, 0);
	cr_assert_str_eq(p, "---p");
	decode_vm_perms(p, 0x1 | 0x2);
	cr_assert_str_eq(p, "rw-p");
	decode_vm_perms(p, 0x1 | 0x4);
	cr_assert_str_eq(p, "r-xp");
	decode_vm_perms(p, 0x1 | 0x2 | 0x8);
	cr_assert_str_eq(p, "rw-s");
	/* Other vm_flags bits (VM_MAYREAD 0x10, VM_GROWSDOWN 0x100...) do not show. */
	decode_vm_perms(p, 0x1 | 0x10 | 0x20 | 0x100);
	cr_assert_str_eq(p, "r--p");
}

/* All arguments of a call, joined as format.c does in text mode. */
/* The arguments of sys, decoded and joined as a trace line shows them, must read `expected`. */
static void check_args(unsigned int sys, const unsigned long long *v, const char *expected)
{
	const struct arg_desc *args;
	int n = decode_sys_args(sys, &args);
	struct strbuf sb;

	sb_init(&sb);
	for (int i = 0; i < n; i++) {
		if (i)
			sb_puts(&sb, ", ");
		decode_arg(&sb, &args[i], v[i]);
	}
	cr_assert_str_eq(sb.buf, expected, "syscall %u", sys);
	sb_free(&sb);
}

Test(decode, mmap_args)
{
	const struct arg_desc *args;
	static const char *const names[] = { "addr", "len", "prot", "flags", "fd", "offset" };
	unsigned long long v[6] = { 0,
				    8192,
				    PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS,
				    (unsigned long long)-1LL,
				    0 };
	struct strbuf sb;

	cr_assert_eq(decode_sys_args(VMT_SYS_MMAP, &args), 6);
	for (int i = 0; i < 6; i++)
		cr_assert_str_eq(args[i].name, names[i]);
	cr_assert_eq(args[0].kind, ARG_ADDR);
	cr_assert_eq(args[4].kind, ARG_FD);

	check_args(VMT_SYS_MMAP, v,
		   "NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0");

	/* A file mapping at a hint address; an fd of 32-bit -1 also reads as -1. */
	v[0] = 0x7f0000000000ULL;
	v[2] = PROT_READ;
	v[3] = MAP_SHARED;
	v[4] = 3;
	v[5] = 0x2000;
	check_args(VMT_SYS_MMAP, v, "0x7f0000000000, 8192, PROT_READ, MAP_SHARED, 3, 0x2000");
	sb_init(&sb);
	decode_arg(&sb, &args[4], 0xffffffffULL);
	cr_assert_str_eq(sb.buf, "-1");
	sb_free(&sb);
}

Test(decode, other_args)
{
	unsigned long long mremap[5] = { 0x7f0000000000ULL, 4096, 8192, 3, 0x7f1000000000ULL };
	unsigned long long madv[3] = { 0x7f0000000000ULL, 4096, MADV_DONTNEED };
	unsigned long long prctl[5] = { 0, 0, 0x7f0000000000ULL, 4096, 0x5555000 };
	unsigned long long mlockall[1] = { MCL_CURRENT | MCL_FUTURE };
	const struct arg_desc *args;

	check_args(VMT_SYS_MREMAP, mremap,
		   "0x7f0000000000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x7f1000000000");
	check_args(VMT_SYS_MADVISE, madv, "0x7f0000000000, 4096, MADV_DONTNEED");
	check_args(VMT_SYS_PRCTL_SET_VMA, prctl,
		   "PR_SET_VMA, PR_SET_VMA_ANON_NAME, 0x7f0000000000, 4096, 0x5555000");
	check_args(VMT_SYS_MLOCKALL, mlockall, "MCL_CURRENT|MCL_FUTURE");

	cr_assert_eq(decode_sys_args(VMT_SYS_MUNMAP, &args), 2);
	cr_assert_eq(decode_sys_args(VMT_SYS_BRK, &args), 1);
	cr_assert_eq(decode_sys_args(VMT_SYS_MBIND, &args), 6);
	cr_assert_eq(args[2].kind, ARG_MBIND);
	cr_assert_eq(decode_sys_args(VMT_SYS_SHMAT, &args), 3);
	cr_assert_eq(args[2].kind, ARG_SHMAT);
	cr_assert_eq(decode_sys_args(VMT_SYS_MLOCK2, &args), 3);
	cr_assert_eq(args[2].kind, ARG_MLOCK2);
	/* munlockall() takes nothing; an unknown id has no table. */
	cr_assert_eq(decode_sys_args(VMT_SYS_MUNLOCKALL, &args), 0);
	cr_assert_eq(decode_sys_args(VMT_SYS__COUNT, &args), 0);
	cr_assert_null(args);
}

Test(decode, every_syscall_has_args_table)
{
	for (unsigned int i = 0; i < VMT_SYS__COUNT; i++) {
		const struct arg_desc *args = NULL;
		int n = decode_sys_args(i, &args);

		cr_assert_leq(n, VMT_MAX_ARGS, "%s", decode_sys_name(i));
		if (i == VMT_SYS_MUNLOCKALL)
			continue;
		cr_assert_gt(n, 0, "%s has no arguments", decode_sys_name(i));
		for (int j = 0; j < n; j++)
			cr_assert_not_null(args[j].name);
	}
}

/* A short syscall record is widened at exactly its size, with its VMAs invalid, and read only so. */
static void check_widen(struct vmt_syscall_rec *r, size_t size, bool widened)
{
	struct vmt_syscall_rec whole;
	size_t got = size;
	const struct vmt_syscall_rec *w = decode_rec_widen(r, &got, &whole);

	cr_assert_not(decode_rec_fits(r, size), "a short record is read only once widened");
	if (!widened) {
		cr_assert_eq(w, r, "flags %#x, %zu bytes: left as it is", r->hdr.flags, size);
		cr_assert_eq(got, size);
		return;
	}
	cr_assert_eq(w, &whole, "flags %#x, %zu bytes: widened", r->hdr.flags, size);
	cr_assert_eq(got, sizeof(whole));
	cr_assert(decode_rec_fits(w, got), "the widened record is a whole one");
	cr_assert_eq(w->hdr.flags, r->hdr.flags & ~(VMT_F_NO_VMA | VMT_F_ONE_VMA));
	cr_assert_eq(w->args[5], r->args[5]);
	cr_assert_eq(w->stack_vm, r->stack_vm);
	cr_assert_eq(w->vma[0].valid, size > VMT_SYSCALL_SIZE_NO_VMA ? r->vma[0].valid : 0);
	cr_assert_eq(w->vma[0].start, size > VMT_SYSCALL_SIZE_NO_VMA ? r->vma[0].start : 0);
	cr_assert_eq(w->vma[1].valid, 0);
	cr_assert_eq(w->vma[1].end, 0);
}

Test(decode, short_syscall_records)
{
	struct vmt_syscall_rec r;

	cr_assert_eq(VMT_SYSCALL_SIZE_NO_VMA, 144);
	cr_assert_eq(VMT_SYSCALL_SIZE_ONE_VMA, 192);
	cr_assert_eq(sizeof(r), 240);
	memset(&r, 0xab, sizeof(r));
	r.hdr.type = VMT_REC_SYSCALL;
	r.hdr.flags = VMT_F_NO_VMA;
	check_widen(&r, VMT_SYSCALL_SIZE_NO_VMA, true);
	check_widen(&r, VMT_SYSCALL_SIZE_NO_VMA - 8, false);
	check_widen(&r, VMT_SYSCALL_SIZE_ONE_VMA, false);
	check_widen(&r, sizeof(r), false);
	r.hdr.flags = VMT_F_ONE_VMA;
	r.vma[0].valid = 1;
	check_widen(&r, VMT_SYSCALL_SIZE_ONE_VMA, true);
	check_widen(&r, VMT_SYSCALL_SIZE_NO_VMA, false);
	/* Both flags, or a stack after a short record: malformed. */
	r.hdr.flags = VMT_F_NO_VMA | VMT_F_ONE_VMA;
	check_widen(&r, VMT_SYSCALL_SIZE_NO_VMA, false);
	check_widen(&r, VMT_SYSCALL_SIZE_ONE_VMA, false);
	r.hdr.flags = VMT_F_NO_VMA | VMT_F_HAS_USTACK;
	check_widen(&r, VMT_SYSCALL_SIZE_NO_VMA, false);
	/* A whole record is passed on as it is. */
	r.hdr.flags = 0;
	cr_assert(decode_rec_fits(&r, sizeof(r)));
}
