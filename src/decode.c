// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "decode.h"

/* The rows of vmt_syscalls.h are in their numbers' order, with none left out. */
#define SYS_POS_ROW(id, ...) SYS_POS_##id,
enum { VMT_SYSCALLS(SYS_POS_ROW) };
#define SYS_POS_CHECK(id, num, ...) \
	_Static_assert(SYS_POS_##id == (num), "vmt_syscalls.h: " #id " is not row " #num);
VMT_SYSCALLS(SYS_POS_CHECK)
#undef SYS_POS_ROW
#undef SYS_POS_CHECK

/* Each syscall's arguments, then a terminator (so that a row may have none). */
#define VMT_ARG(n, k) { #n, ARG_##k, NULL },
#define VMT_ARG_CONST(n, text) { #n, ARG_CONST, #text },
#define SYS_ARGS_ROW(id, num, name, need, ret, lookup, addr_arg, len_arg, args) \
	static const struct arg_desc args_##id[] = { args{ NULL } };
VMT_SYSCALLS(SYS_ARGS_ROW)
#undef SYS_ARGS_ROW
#undef VMT_ARG
#undef VMT_ARG_CONST

static const struct sys_desc {
	const char *name;
	bool returns_addr;
	bool required;
	const struct arg_desc *args;
	int nargs;
} sys_table[VMT_SYS__COUNT] = {
#define SYS_DESC_ROW(id, num, name, need, ret, lookup, addr_arg, len_arg, args) \
	[VMT_SYS_##id] = { #name, VMT_RET_##ret, VMT_NEED_##need, args_##id,    \
			   sizeof(args_##id) / sizeof(args_##id[0]) - 1 },
	VMT_SYSCALLS(SYS_DESC_ROW)
#undef SYS_DESC_ROW
};

size_t decode_rec_size(unsigned int type)
{
	static const size_t size[] = {
		[VMT_REC_SYSCALL] = sizeof(struct vmt_syscall_rec),
		[VMT_REC_FORK] = sizeof(struct vmt_fork_rec),
		[VMT_REC_EXEC] = sizeof(struct vmt_exec_rec),
		[VMT_REC_EXIT] = sizeof(struct vmt_exit_rec),
		[VMT_REC_OOM] = sizeof(struct vmt_oom_rec),
		[VMT_REC_VMA] = sizeof(struct vmt_vma_rec),
	};

	return type < sizeof(size) / sizeof(size[0]) && size[type] ? size[type] :
								     sizeof(struct vmt_hdr);
}

/* A short syscall record's exact size (vmatrace.h), 0 for one that claims to be both. */
static size_t short_syscall_size(__u32 flags)
{
	switch (flags & (VMT_F_NO_VMA | VMT_F_ONE_VMA)) {
	case VMT_F_NO_VMA:
		return VMT_SYSCALL_SIZE_NO_VMA;
	case VMT_F_ONE_VMA:
		return VMT_SYSCALL_SIZE_ONE_VMA;
	default:
		return 0;
	}
}

static bool is_short_syscall(const struct vmt_hdr *h)
{
	return h->type == VMT_REC_SYSCALL && (h->flags & (VMT_F_NO_VMA | VMT_F_ONE_VMA));
}

bool decode_rec_fits(const void *rec, size_t size)
{
	const struct vmt_hdr *h = rec;

	/* A short syscall record is read only once widened (decode_rec_widen). */
	return size >= sizeof(struct vmt_hdr) && !is_short_syscall(h) &&
	       size >= decode_rec_size(h->type);
}

const void *decode_rec_widen(const void *rec, size_t *size, struct vmt_syscall_rec *buf)
{
	const struct vmt_hdr *h = rec;

	/* Exactly its size, and never with a stack (which follows a whole record). */
	if (*size < sizeof(*h) || !is_short_syscall(h) || *size != short_syscall_size(h->flags) ||
	    (h->flags & (VMT_F_HAS_STACK | VMT_F_HAS_USTACK)))
		return rec;
	/* Each size a constant: the copies are a few inlined moves, not two libc calls. */
	if (*size == VMT_SYSCALL_SIZE_NO_VMA) {
		memcpy(buf, rec, VMT_SYSCALL_SIZE_NO_VMA);
		memset((char *)buf + VMT_SYSCALL_SIZE_NO_VMA, 0,
		       sizeof(*buf) - VMT_SYSCALL_SIZE_NO_VMA);
	} else {
		memcpy(buf, rec, VMT_SYSCALL_SIZE_ONE_VMA);
		memset((char *)buf + VMT_SYSCALL_SIZE_ONE_VMA, 0,
		       sizeof(*buf) - VMT_SYSCALL_SIZE_ONE_VMA);
	}
	buf->hdr.flags &= ~(VMT_F_NO_VMA | VMT_F_ONE_VMA);
	*size = sizeof(*buf);
	return buf;
}

const char *decode_sys_name(unsigned int sys)
{
	return sys < VMT_SYS__COUNT ? sys_table[sys].name : "unknown";
}

int decode_sys_by_name(const char *name)
{
	for (unsigned int i = 0; i < VMT_SYS__COUNT; i++)
		if (!strcmp(sys_table[i].name, name))
			return i;
	return -1;
}

bool decode_sys_returns_addr(unsigned int sys)
{
	return sys < VMT_SYS__COUNT && sys_table[sys].returns_addr;
}

bool decode_sys_required(unsigned int sys)
{
	return sys < VMT_SYS__COUNT && sys_table[sys].required;
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
	E(EPERM),     E(ENOENT),   E(ESRCH),	 E(EINTR),  E(EIO),	  E(ENXIO),
	E(E2BIG),     E(ENOEXEC),  E(EBADF),	 E(ECHILD), E(EAGAIN),	  E(ENOMEM),
	E(EACCES),    E(EFAULT),   E(ENOTBLK),	 E(EBUSY),  E(EEXIST),	  E(EXDEV),
	E(ENODEV),    E(ENOTDIR),  E(EISDIR),	 E(EINVAL), E(ENFILE),	  E(EMFILE),
	E(ENOTTY),    E(ETXTBSY),  E(EFBIG),	 E(ENOSPC), E(ESPIPE),	  E(EROFS),
	E(EMLINK),    E(EPIPE),	   E(EDOM),	 E(ERANGE), E(EDEADLK),	  E(ENAMETOOLONG),
	E(ENOLCK),    E(ENOSYS),   E(ENOTEMPTY), E(ELOOP),  E(ENOMSG),	  E(EIDRM),
	E(ENODATA),   E(ETIME),	   E(EOVERFLOW), E(EBADFD), E(EILSEQ),	  E(EOPNOTSUPP),
	E(ETIMEDOUT), E(EALREADY), E(ESTALE),	 E(EDQUOT), E(ECANCELED), E(EOWNERDEAD),
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
#define F(x)          \
	{             \
		x, #x \
	}

void decode_prot(struct strbuf *sb, unsigned long prot)
{
	static const struct flag_name tab[] = {
		F(PROT_READ),	      F(PROT_WRITE),	 F(PROT_EXEC),
		{ 0x10, "PROT_SEM" }, F(PROT_GROWSDOWN), F(PROT_GROWSUP),
	};
	decode_bits(sb, prot, tab, N(tab), "PROT_NONE");
}

void decode_map_flags(struct strbuf *sb, unsigned long flags)
{
	static const struct flag_name tab[] = {
		F(MAP_FIXED),	  F(MAP_ANONYMOUS),	  { 0x40, "MAP_32BIT" },
		F(MAP_GROWSDOWN), F(MAP_DENYWRITE),	  F(MAP_EXECUTABLE),
		F(MAP_LOCKED),	  F(MAP_NORESERVE),	  F(MAP_POPULATE),
		F(MAP_NONBLOCK),  F(MAP_STACK),		  F(MAP_HUGETLB),
		F(MAP_SYNC),	  F(MAP_FIXED_NOREPLACE), { 0x4000000, "MAP_UNINITIALIZED" },
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
		F(MADV_NORMAL),
		F(MADV_RANDOM),
		F(MADV_SEQUENTIAL),
		F(MADV_WILLNEED),
		F(MADV_DONTNEED),
		{ 8, "MADV_FREE" },
		F(MADV_REMOVE),
		F(MADV_DONTFORK),
		F(MADV_DOFORK),
		F(MADV_MERGEABLE),
		F(MADV_UNMERGEABLE),
		F(MADV_HUGEPAGE),
		F(MADV_NOHUGEPAGE),
		F(MADV_DONTDUMP),
		F(MADV_DODUMP),
		{ 18, "MADV_WIPEONFORK" },
		{ 19, "MADV_KEEPONFORK" },
		{ 20, "MADV_COLD" },
		{ 21, "MADV_PAGEOUT" },
		{ 22, "MADV_POPULATE_READ" },
		{ 23, "MADV_POPULATE_WRITE" },
		{ 24, "MADV_DONTNEED_LOCKED" },
		{ 25, "MADV_COLLAPSE" },
		{ 100, "MADV_HWPOISON" },
		{ 101, "MADV_SOFT_OFFLINE" },
		{ 102, "MADV_GUARD_INSTALL" },
		{ 103, "MADV_GUARD_REMOVE" },
	};
	decode_enum(sb, advice, tab, N(tab));
}

void decode_mremap_flags(struct strbuf *sb, unsigned long flags)
{
	static const struct flag_name tab[] = {
		{ 1, "MREMAP_MAYMOVE" },
		{ 2, "MREMAP_FIXED" },
		{ 4, "MREMAP_DONTUNMAP" },
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
	static const struct flag_name tab[] = { F(MCL_CURRENT),
						F(MCL_FUTURE),
						{ 4, "MCL_ONFAULT" } };

	decode_bits(sb, flags, tab, N(tab), "0");
}

void decode_shmat_flags(struct strbuf *sb, unsigned long flags)
{
	static const struct flag_name tab[] = { F(SHM_RDONLY), F(SHM_RND), F(SHM_REMAP),
						F(SHM_EXEC) };

	decode_bits(sb, flags, tab, N(tab), "0");
}

void decode_mbind_mode(struct strbuf *sb, unsigned long mode)
{
	static const struct flag_name modes[] = {
		{ 0, "MPOL_DEFAULT" },
		{ 1, "MPOL_PREFERRED" },
		{ 2, "MPOL_BIND" },
		{ 3, "MPOL_INTERLEAVE" },
		{ 4, "MPOL_LOCAL" },
		{ 5, "MPOL_PREFERRED_MANY" },
		{ 6, "MPOL_WEIGHTED_INTERLEAVE" },
	};
	static const struct flag_name mode_flags[] = {
		{ 1ul << 15, "MPOL_F_STATIC_NODES" },
		{ 1ul << 14, "MPOL_F_RELATIVE_NODES" },
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

int decode_sys_args(unsigned int sys, const struct arg_desc **out)
{
	if (sys >= VMT_SYS__COUNT || !sys_table[sys].nargs) {
		*out = NULL;
		return 0;
	}
	*out = sys_table[sys].args;
	return sys_table[sys].nargs;
}

void decode_arg(struct strbuf *sb, const struct arg_desc *d, unsigned long long v)
{
	switch (d->kind) {
	case ARG_ADDR:
		if (v)
			sb_hex(sb, v);
		else
			sb_puts(sb, "NULL");
		break;
	case ARG_LEN:
		sb_dec(sb, v);
		break;
	case ARG_INT:
	case ARG_FD:
		sb_sdec(sb, (int)v);
		break;
	case ARG_HEX:
		sb_hex(sb, v);
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
