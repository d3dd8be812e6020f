// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "decode.h"

static const char *const sys_names[VMT_SYS__COUNT] = {
	[VMT_SYS_MMAP] = "mmap",
	[VMT_SYS_MUNMAP] = "munmap",
	[VMT_SYS_BRK] = "brk",
	[VMT_SYS_MREMAP] = "mremap",
	[VMT_SYS_MPROTECT] = "mprotect",
	[VMT_SYS_PKEY_MPROTECT] = "pkey_mprotect",
	[VMT_SYS_MADVISE] = "madvise",
	[VMT_SYS_MLOCK] = "mlock",
	[VMT_SYS_MLOCK2] = "mlock2",
	[VMT_SYS_MUNLOCK] = "munlock",
	[VMT_SYS_MLOCKALL] = "mlockall",
	[VMT_SYS_MUNLOCKALL] = "munlockall",
	[VMT_SYS_SHMAT] = "shmat",
	[VMT_SYS_SHMDT] = "shmdt",
	[VMT_SYS_REMAP_FILE_PAGES] = "remap_file_pages",
	[VMT_SYS_MSEAL] = "mseal",
	[VMT_SYS_MBIND] = "mbind",
	[VMT_SYS_SET_MEMPOLICY_HOME_NODE] = "set_mempolicy_home_node",
	[VMT_SYS_PRCTL_SET_VMA] = "prctl",
};

const char *decode_sys_name(unsigned int sys)
{
	if (sys < VMT_SYS__COUNT && sys_names[sys])
		return sys_names[sys];
	return "unknown";
}

int decode_sys_by_name(const char *name)
{
	for (unsigned int i = 0; i < VMT_SYS__COUNT; i++)
		if (sys_names[i] && !strcmp(sys_names[i], name))
			return i;
	return -1;
}

bool decode_sys_returns_addr(unsigned int sys)
{
	return sys == VMT_SYS_MMAP || sys == VMT_SYS_MREMAP || sys == VMT_SYS_BRK ||
	       sys == VMT_SYS_SHMAT;
}

int decode_ret_errno(unsigned int sys, long long ret)
{
	/* brk never returns an error code: failure leaves the break where it was. */
	if (sys == VMT_SYS_BRK)
		return 0;
	if (ret < 0 && ret >= -4095)
		return (int)-ret;
	return 0;
}

#define E(x) [x] = #x
static const char *const errno_names[] = {
	E(EPERM),   E(ENOENT),	E(ESRCH),     E(EINTR),	    E(EIO),	E(ENXIO),
	E(E2BIG),   E(ENOEXEC), E(EBADF),     E(ECHILD),    E(EAGAIN),	E(ENOMEM),
	E(EACCES),  E(EFAULT),	E(ENOTBLK),   E(EBUSY),	    E(EEXIST),	E(EXDEV),
	E(ENODEV),  E(ENOTDIR), E(EISDIR),    E(EINVAL),    E(ENFILE),	E(EMFILE),
	E(ENOTTY),  E(ETXTBSY), E(EFBIG),     E(ENOSPC),    E(ESPIPE),	E(EROFS),
	E(EMLINK),  E(EPIPE),	E(EDOM),      E(ERANGE),    E(EDEADLK), E(ENAMETOOLONG),
	E(ENOLCK),  E(ENOSYS),	E(ENOTEMPTY), E(ELOOP),	    E(ENOMSG),	E(EIDRM),
	E(ENODATA), E(ETIME),	E(EOVERFLOW), E(EBADFD),    E(EILSEQ),	E(EOPNOTSUPP),
	E(ETIMEDOUT), E(EALREADY), E(ESTALE), E(EDQUOT), E(ECANCELED), E(EOWNERDEAD),
	E(EHWPOISON),
};
#undef E

const char *decode_errno_name(int err)
{
	if (err > 0 && (size_t)err < sizeof(errno_names) / sizeof(errno_names[0]))
		return errno_names[err];
	return NULL;
}

struct flag_name {
	unsigned long value;
	const char *name;
};

/* Known bits as A|B, the rest as hex; `zero` when v is 0. */
static void decode_bits(struct strbuf *sb, unsigned long v, const struct flag_name *tab, size_t n,
			const char *zero)
{
	bool first = true;

	if (!v) {
		sb_puts(sb, zero);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (tab[i].value && (v & tab[i].value) == tab[i].value) {
			sb_printf(sb, "%s%s", first ? "" : "|", tab[i].name);
			v &= ~tab[i].value;
			first = false;
		}
	}
	if (v)
		sb_printf(sb, "%s%#lx", first ? "" : "|", v);
}

/* One of a set of values, or the number. */
static void decode_enum(struct strbuf *sb, unsigned long v, const struct flag_name *tab, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (tab[i].value == v) {
			sb_puts(sb, tab[i].name);
			return;
		}
	}
	sb_printf(sb, "%lu", v);
}

#define N(t) (sizeof(t) / sizeof((t)[0]))
#define F(x) { x, #x }

void decode_prot(struct strbuf *sb, unsigned long prot)
{
	static const struct flag_name tab[] = {
		F(PROT_READ), F(PROT_WRITE), F(PROT_EXEC), { 0x10, "PROT_SEM" },
		F(PROT_GROWSDOWN), F(PROT_GROWSUP),
	};
	decode_bits(sb, prot, tab, N(tab), "PROT_NONE");
}

void decode_map_flags(struct strbuf *sb, unsigned long flags)
{
	static const struct flag_name tab[] = {
		F(MAP_FIXED), F(MAP_ANONYMOUS), { 0x40, "MAP_32BIT" }, F(MAP_GROWSDOWN),
		F(MAP_DENYWRITE), F(MAP_EXECUTABLE), F(MAP_LOCKED), F(MAP_NORESERVE),
		F(MAP_POPULATE), F(MAP_NONBLOCK), F(MAP_STACK), F(MAP_HUGETLB), F(MAP_SYNC),
		F(MAP_FIXED_NOREPLACE), { 0x4000000, "MAP_UNINITIALIZED" },
	};
	unsigned long type = flags & 0x0f;
	unsigned long huge = (flags >> 26) & 0x3f;

	if (type == MAP_SHARED)
		sb_puts(sb, "MAP_SHARED");
	else if (type == MAP_PRIVATE)
		sb_puts(sb, "MAP_PRIVATE");
	else if (type == 0x03)
		sb_puts(sb, "MAP_SHARED_VALIDATE");
	else
		sb_printf(sb, "%#lx", type);
	flags &= ~0x0ful;
	if ((flags & MAP_HUGETLB) && huge) {
		/* The page size is 2^huge bytes; strace's spelling where no unit fits. */
		flags &= ~(0x3ful << 26);
		flags &= ~(unsigned long)MAP_HUGETLB;
		if (huge >= 30)
			sb_printf(sb, "|MAP_HUGETLB|MAP_HUGE_%luGB", 1ul << (huge - 30));
		else if (huge >= 20)
			sb_printf(sb, "|MAP_HUGETLB|MAP_HUGE_%luMB", 1ul << (huge - 20));
		else if (huge >= 10)
			sb_printf(sb, "|MAP_HUGETLB|MAP_HUGE_%luKB", 1ul << (huge - 10));
		else
			sb_printf(sb, "|MAP_HUGETLB|%lu<<MAP_HUGE_SHIFT", huge);
	}
	if (flags) {
		sb_putc(sb, '|');
		decode_bits(sb, flags, tab, N(tab), "0");
	}
}

void decode_madvise(struct strbuf *sb, unsigned long advice)
{
	static const struct flag_name tab[] = {
		F(MADV_NORMAL),	      F(MADV_RANDOM),	    F(MADV_SEQUENTIAL), F(MADV_WILLNEED),
		F(MADV_DONTNEED),     { 8, "MADV_FREE" },   F(MADV_REMOVE),	F(MADV_DONTFORK),
		F(MADV_DOFORK),	      F(MADV_MERGEABLE),    F(MADV_UNMERGEABLE), F(MADV_HUGEPAGE),
		F(MADV_NOHUGEPAGE),   F(MADV_DONTDUMP),     F(MADV_DODUMP),	{ 18, "MADV_WIPEONFORK" },
		{ 19, "MADV_KEEPONFORK" }, { 20, "MADV_COLD" }, { 21, "MADV_PAGEOUT" },
		{ 22, "MADV_POPULATE_READ" }, { 23, "MADV_POPULATE_WRITE" },
		{ 24, "MADV_DONTNEED_LOCKED" }, { 25, "MADV_COLLAPSE" }, { 100, "MADV_HWPOISON" },
		{ 101, "MADV_SOFT_OFFLINE" }, { 102, "MADV_GUARD_INSTALL" }, { 103, "MADV_GUARD_REMOVE" },
	};
	decode_enum(sb, advice, tab, N(tab));
}

void decode_mremap_flags(struct strbuf *sb, unsigned long flags)
{
	static const struct flag_name tab[] = {
		{ 1, "MREMAP_MAYMOVE" }, { 2, "MREMAP_FIXED" }, { 4, "MREMAP_DONTUNMAP" },
	};
	decode_bits(sb, flags, tab, N(tab), "0");
}

void decode_mlock2_flags(struct strbuf *sb, unsigned long flags)
{
	static const struct flag_name tab[] = { { 1, "MLOCK_ONFAULT" } };

	decode_bits(sb, flags, tab, N(tab), "0");
}

void decode_mlockall_flags(struct strbuf *sb, unsigned long flags)
{
	static const struct flag_name tab[] = { F(MCL_CURRENT), F(MCL_FUTURE), { 4, "MCL_ONFAULT" } };

	decode_bits(sb, flags, tab, N(tab), "0");
}

void decode_shmat_flags(struct strbuf *sb, unsigned long flags)
{
	static const struct flag_name tab[] = { F(SHM_RDONLY), F(SHM_RND), F(SHM_REMAP), F(SHM_EXEC) };

	decode_bits(sb, flags, tab, N(tab), "0");
}

void decode_mbind_mode(struct strbuf *sb, unsigned long mode)
{
	static const struct flag_name modes[] = {
		{ 0, "MPOL_DEFAULT" }, { 1, "MPOL_PREFERRED" }, { 2, "MPOL_BIND" },
		{ 3, "MPOL_INTERLEAVE" }, { 4, "MPOL_LOCAL" }, { 5, "MPOL_PREFERRED_MANY" },
		{ 6, "MPOL_WEIGHTED_INTERLEAVE" },
	};
	static const struct flag_name mode_flags[] = {
		{ 1ul << 15, "MPOL_F_STATIC_NODES" }, { 1ul << 14, "MPOL_F_RELATIVE_NODES" },
		{ 1ul << 13, "MPOL_F_NUMA_BALANCING" },
	};
	decode_enum(sb, mode & 0xff, modes, N(modes));
	if (mode & ~0xfful) {
		sb_putc(sb, '|');
		decode_bits(sb, mode & ~0xfful, mode_flags, N(mode_flags), "0");
	}
}

void decode_vm_perms(char out[5], unsigned long long vm_flags)
{
	/* VM_READ 0x1, VM_WRITE 0x2, VM_EXEC 0x4, VM_SHARED 0x8 */
	out[0] = vm_flags & 0x1 ? 'r' : '-';
	out[1] = vm_flags & 0x2 ? 'w' : '-';
	out[2] = vm_flags & 0x4 ? 'x' : '-';
	out[3] = vm_flags & 0x8 ? 's' : 'p';
	out[4] = 0;
}

#define A(n, k) { n, k, NULL }
static const struct arg_desc args_mmap[] = { A("addr", ARG_ADDR), A("len", ARG_LEN),
	A("prot", ARG_PROT), A("flags", ARG_MAPFLAGS), A("fd", ARG_FD), A("offset", ARG_HEX) };
static const struct arg_desc args_range[] = { A("addr", ARG_ADDR), A("len", ARG_LEN) };
static const struct arg_desc args_brk[] = { A("addr", ARG_ADDR) };
static const struct arg_desc args_mremap[] = { A("old_addr", ARG_ADDR), A("old_len", ARG_LEN),
	A("new_len", ARG_LEN), A("flags", ARG_MREMAP), A("new_addr", ARG_ADDR) };
static const struct arg_desc args_mprotect[] = { A("addr", ARG_ADDR), A("len", ARG_LEN),
	A("prot", ARG_PROT) };
static const struct arg_desc args_pkey_mprotect[] = { A("addr", ARG_ADDR), A("len", ARG_LEN),
	A("prot", ARG_PROT), A("pkey", ARG_INT) };
static const struct arg_desc args_madvise[] = { A("addr", ARG_ADDR), A("len", ARG_LEN),
	A("advice", ARG_ADVICE) };
static const struct arg_desc args_mlock2[] = { A("addr", ARG_ADDR), A("len", ARG_LEN),
	A("flags", ARG_MLOCK2) };
static const struct arg_desc args_mlockall[] = { A("flags", ARG_MLOCKALL) };
static const struct arg_desc args_shmat[] = { A("shmid", ARG_INT), A("addr", ARG_ADDR),
	A("shmflg", ARG_SHMAT) };
static const struct arg_desc args_shmdt[] = { A("addr", ARG_ADDR) };
static const struct arg_desc args_remap_file_pages[] = { A("addr", ARG_ADDR), A("len", ARG_LEN),
	A("prot", ARG_PROT), A("pgoff", ARG_LEN), A("flags", ARG_HEX) };
static const struct arg_desc args_mseal[] = { A("addr", ARG_ADDR), A("len", ARG_LEN),
	A("flags", ARG_HEX) };
static const struct arg_desc args_mbind[] = { A("addr", ARG_ADDR), A("len", ARG_LEN),
	A("mode", ARG_MBIND), A("nodemask", ARG_ADDR), A("maxnode", ARG_LEN), A("flags", ARG_HEX) };
static const struct arg_desc args_home_node[] = { A("addr", ARG_ADDR), A("len", ARG_LEN),
	A("home_node", ARG_INT), A("flags", ARG_HEX) };
static const struct arg_desc args_prctl_vma[] = { { "option", ARG_CONST, "PR_SET_VMA" },
	{ "attr", ARG_CONST, "PR_SET_VMA_ANON_NAME" }, A("addr", ARG_ADDR), A("len", ARG_LEN),
	A("name", ARG_ADDR) };
#undef A

int decode_sys_args(unsigned int sys, const struct arg_desc **out)
{
#define R(t) do { *out = t; return N(t); } while (0)
	switch (sys) {
	case VMT_SYS_MMAP: R(args_mmap);
	case VMT_SYS_MUNMAP:
	case VMT_SYS_MLOCK:
	case VMT_SYS_MUNLOCK: R(args_range);
	case VMT_SYS_BRK: R(args_brk);
	case VMT_SYS_MREMAP: R(args_mremap);
	case VMT_SYS_MPROTECT: R(args_mprotect);
	case VMT_SYS_PKEY_MPROTECT: R(args_pkey_mprotect);
	case VMT_SYS_MADVISE: R(args_madvise);
	case VMT_SYS_MLOCK2: R(args_mlock2);
	case VMT_SYS_MLOCKALL: R(args_mlockall);
	case VMT_SYS_SHMAT: R(args_shmat);
	case VMT_SYS_SHMDT: R(args_shmdt);
	case VMT_SYS_REMAP_FILE_PAGES: R(args_remap_file_pages);
	case VMT_SYS_MSEAL: R(args_mseal);
	case VMT_SYS_MBIND: R(args_mbind);
	case VMT_SYS_SET_MEMPOLICY_HOME_NODE: R(args_home_node);
	case VMT_SYS_PRCTL_SET_VMA: R(args_prctl_vma);
	default:
		*out = NULL;
		return 0;
	}
#undef R
}

void decode_arg(struct strbuf *sb, const struct arg_desc *d, unsigned long long v)
{
	switch (d->kind) {
	case ARG_ADDR:
		if (v)
			sb_printf(sb, "%#llx", v);
		else
			sb_puts(sb, "NULL");
		break;
	case ARG_LEN:
		sb_printf(sb, "%llu", v);
		break;
	case ARG_INT:
	case ARG_FD:
		sb_printf(sb, "%d", (int)v);
		break;
	case ARG_HEX:
		sb_printf(sb, "%#llx", v);
		break;
	case ARG_PROT:
		decode_prot(sb, v);
		break;
	case ARG_MAPFLAGS:
		decode_map_flags(sb, v);
		break;
	case ARG_ADVICE:
		decode_madvise(sb, v);
		break;
	case ARG_MREMAP:
		decode_mremap_flags(sb, v);
		break;
	case ARG_MLOCK2:
		decode_mlock2_flags(sb, v);
		break;
	case ARG_MLOCKALL:
		decode_mlockall_flags(sb, v);
		break;
	case ARG_SHMAT:
		decode_shmat_flags(sb, v);
		break;
	case ARG_MBIND:
		decode_mbind_mode(sb, v);
		break;
	case ARG_CONST:
		sb_puts(sb, d->constant);
		break;
	}
}
