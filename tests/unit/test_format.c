// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text and JSON lines made from hand-built records (src/format.c). */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "format.h"
#include "json_assert.h"

/* --- records --- */

#define TS_NS (12ULL * 3600 * 1000000000 + 1123456000ULL) /* "12:00:01.123456" in UTC */
#define MAX_MAP 65530

static const struct format_opts text_opts = { .json = false, .utc = true, .realtime_offset_ns = 0 };
static const struct format_opts json_opts = { .json = true, .utc = true, .realtime_offset_ns = 0 };

static void fill_hdr(struct vmt_hdr *h, __u32 type, const char *comm, __u32 tgid, __u32 tid)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->ts_ns = TS_NS;
	h->tgid = tgid;
	h->tid = tid;
	memcpy(h->comm, comm, strnlen(comm, sizeof(h->comm)));
}

/* A syscall record of app[1234/1235]; its arguments (NULL: none) as ARGS(...) gives them. */
static struct vmt_syscall_rec sys_rec(unsigned int sys, long long ret, unsigned int vmas,
				      const __u64 *args)
{
	struct vmt_syscall_rec r;

	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, VMT_REC_SYSCALL, "app", 1234, 1235);
	if (args)
		memcpy(r.args, args, sizeof(r.args));
	r.sys = sys;
	r.ret = ret;
	r.map_count = vmas;
	r.start_brk = 0x555555559000ULL;
	r.brk = 0x55555557a000ULL;
	return r;
}

/* A valid VMA of the record's range. */
static struct vmt_vma vma(__u64 start, __u64 end, __u64 vm_flags)
{
	struct vmt_vma v = { .start = start, .end = end, .vm_flags = vm_flags, .valid = 1 };

	return v;
}

#define ARGS(...) ((const __u64[6]){ __VA_ARGS__ })

static struct format_extra extra(void)
{
	struct format_extra ex = { .max_map_count = MAX_MAP };

	return ex;
}

/* Format one record and compare the whole line. */
static void check_line(const struct format_opts *fo, const void *rec, size_t size,
		       const struct format_extra *ex, const char *expected)
{
	struct strbuf sb;

	sb_init(&sb);
	cr_assert_eq(format_record(&sb, fo, rec, size, ex), 0);
	cr_assert_str_eq(sb.buf, expected);
	sb_free(&sb);
}

/* The same as text, for a record of any type (its size from its pointer). */
#define check_text(rec, ex, expected) \
	check_line(&text_opts, (rec), sizeof(*(rec)), (ex), (expected))

/* Format one record as JSON, check it is one valid JSON line, and return it (sb_free it). */
static struct strbuf json_line(const void *rec, size_t size, const struct format_extra *ex)
{
	struct strbuf sb;

	sb_init(&sb);
	cr_assert_eq(format_record(&sb, &json_opts, rec, size, ex), 0);
	cr_assert_gt(sb.len, 1);
	cr_assert_eq(sb.buf[sb.len - 1], '\n', "no newline: %s", sb.buf);
	cr_assert_null(memchr(sb.buf, '\n', sb.len - 1), "newline inside: %s", sb.buf);
	json_decref(ja_parse(sb.buf));
	return sb;
}

/* --- the parser as the tests use it: it must refuse what it is there to catch --- */

Test(format, json_checker_sanity)
{
	cr_assert(ja_valid("{\"a\":1,\"b\":[true,false,null,-1.5e3,\"x\\\"\\u0001\"],\"c\":{}}\n"));
	cr_assert_not(ja_valid("{\"a\":1,}"));
	cr_assert_not(ja_valid("{\"a\":1"));
	cr_assert_not(ja_valid("{\"a\":1,\"a\":2}"));
	cr_assert_not(ja_valid("{\"a\":\"x\ny\"}"));
	cr_assert_not(ja_valid("{\"a\":\"x\\qy\"}"));
	cr_assert_not(ja_valid("{\"a\":\"\xe9\"}")); /* not UTF-8: our writer never emits it */
	cr_assert_not(ja_valid("{\"a\":0x10}"));
	cr_assert_not(ja_valid("{\"a\":01}"));
	cr_assert_not(ja_valid("{\"a\":1}{"));
	cr_assert_not(ja_valid("{\"a\":\"unterminated}"));

	char *m = ja_member("{\"a\":1,\"b\":{\"c\":[1,2]},\"d\":\"x\\\\\"}", "b");

	cr_assert_str_eq(m, "{\"c\":[1,2]}");
	free(m);
	m = ja_member_str("{\"s\":\"x\\\\y\\n\\u00ff\"}", "s");
	cr_assert_str_eq(m, "x\\y\n\xc3\xbf"); /* \u00ff is U+00FF, in UTF-8 */
	free(m);
	/* Numbers compare as numbers; types and order must match. */
	ja_check_member("{\"t\":43201.1234560}", "t", "43201.123456");
	ja_check_member("{\"o\":{\"x\":1,\"y\":\"2\"}}", "o", "{\"x\":1,\"y\":\"2\"}");
}

/* --- text lines --- */

Test(format, ts_text_and_json)
{
	struct strbuf sb;
	struct format_opts fo = text_opts;

	sb_init(&sb);
	format_ts(&sb, &fo, TS_NS);
	cr_assert_str_eq(sb.buf, "12:00:01.123456");

	/* Wall clock = monotonic + offset; microseconds are truncated, not rounded. */
	fo.realtime_offset_ns = 1700000000LL * 1000000000LL; /* 2023-11-14 22:13:20 UTC */
	sb_reset(&sb);
	format_ts(&sb, &fo, 1500000999ULL);
	cr_assert_str_eq(sb.buf, "22:13:21.500000");
	sb_reset(&sb);
	format_ts(&sb, &fo, 999999ULL);
	cr_assert_str_eq(sb.buf, "22:13:20.000999");

	fo.json = true;
	sb_reset(&sb);
	format_ts(&sb, &fo, 1500000999ULL);
	cr_assert_str_eq(sb.buf, "1700000001.500000");
	fo.realtime_offset_ns = 0;
	sb_reset(&sb);
	format_ts(&sb, &fo, TS_NS);
	cr_assert_str_eq(sb.buf, "43201.123456");
	sb_free(&sb);
}

Test(format, munmap_failure_text)
{
	struct vmt_syscall_rec r =
		sys_rec(VMT_SYS_MUNMAP, -12, MAX_MAP, ARGS(0x7f2a4c000000ULL, 4096));
	struct format_extra ex = extra();

	check_text(&r, &ex,
		   "12:00:01.123456 app[1234/1235] munmap(0x7f2a4c000000, 4096) = -1 ENOMEM "
		   "(Cannot allocate memory)  vmas=65530/65530\n");
}

Test(format, unnamed_errno_text)
{
	struct vmt_syscall_rec r =
		sys_rec(VMT_SYS_MPROTECT, -200, 40, ARGS(0x1000, 4096, PROT_READ));
	struct format_extra ex = extra();

	check_text(&r, &ex,
		   "12:00:01.123456 app[1234/1235] mprotect(0x1000, 4096, PROT_READ) = -1 E200"
		   "  vmas=40/65530\n");
}

Test(format, mmap_success_text)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MMAP, 0x7f2a4c000000LL, 101,
					   ARGS(0, 8192, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, (__u64)-1LL));
	struct format_extra ex = extra();

	/* A VMA of its own: nothing to add. */
	r.vma[0] = vma(0x7f2a4c000000ULL, 0x7f2a4c002000ULL, 0x3);
	check_text(&r, &ex,
		   "12:00:01.123456 app[1234/1235] mmap(NULL, 8192, PROT_READ|PROT_WRITE, "
		   "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f2a4c000000  vmas=101/65530\n");

	/* Merged with the VMA below: the whole VMA is shown. */
	r.vma[0].start = 0x7f2a4bff0000ULL;
	check_text(&r, &ex,
		   "12:00:01.123456 app[1234/1235] mmap(NULL, 8192, PROT_READ|PROT_WRITE, "
		   "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f2a4c000000  vmas=101/65530"
		   "  vma=7f2a4bff0000-7f2a4c002000 rw-p\n");

	/* The range ends in another VMA. */
	r.vma[0].start = 0x7f2a4c000000ULL;
	r.vma[1] = vma(0x7f2a4c001000ULL, 0x7f2a4c003000ULL, 0x1);
	check_text(&r, &ex,
		   "12:00:01.123456 app[1234/1235] mmap(NULL, 8192, PROT_READ|PROT_WRITE, "
		   "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f2a4c000000  vmas=101/65530"
		   "  vma=7f2a4c000000-7f2a4c003000 (2 VMAs)\n");
}

Test(format, mmap_failure_hides_vma)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MMAP, -EEXIST, 7,
					   ARGS(0x400000, 4096, PROT_READ,
						MAP_PRIVATE | MAP_FIXED_NOREPLACE, 3, 0x1000));
	struct format_extra ex = extra();

	r.vma[0] = vma(0x3ff000, 0x402000, 0x5);
	check_text(&r, &ex,
		   "12:00:01.123456 app[1234/1235] mmap(0x400000, 4096, PROT_READ, "
		   "MAP_PRIVATE|MAP_FIXED_NOREPLACE, 3, 0x1000) = -1 EEXIST (File exists)"
		   "  vmas=7/65530\n");
}

Test(format, mprotect_split_text)
{
	struct vmt_syscall_rec r =
		sys_rec(VMT_SYS_MPROTECT, 0, 12, ARGS(0x7f0000001000ULL, 4096, PROT_READ));
	struct format_extra ex = extra();

	r.vma[0] = vma(0x7f0000000000ULL, 0x7f0000002000ULL, 0x1);
	check_text(&r, &ex,
		   "12:00:01.123456 app[1234/1235] mprotect(0x7f0000001000, 4096, PROT_READ) = 0"
		   "  vmas=12/65530  vma=7f0000000000-7f0000002000 r--p\n");
}

Test(format, mremap_new_addr_only_with_fixed)
{
	struct vmt_syscall_rec r =
		sys_rec(VMT_SYS_MREMAP, 0x7f1000000000LL, 9,
			ARGS(0x7f0000000000ULL, 4096, 8192, 1 /* MREMAP_MAYMOVE */,
			     0xdead /* garbage in the unused register */));
	struct format_extra ex = extra();

	check_text(
		&r, &ex,
		"12:00:01.123456 app[1234/1235] mremap(0x7f0000000000, 4096, 8192, MREMAP_MAYMOVE)"
		" = 0x7f1000000000  vmas=9/65530\n");
	r.args[3] = 3;
	r.args[4] = 0x7f1000000000ULL;
	check_text(&r, &ex,
		   "12:00:01.123456 app[1234/1235] mremap(0x7f0000000000, 4096, 8192, "
		   "MREMAP_MAYMOVE|MREMAP_FIXED, 0x7f1000000000) = 0x7f1000000000  vmas=9/65530\n");

	struct strbuf sb = json_line(&r, sizeof(r), &ex);

	ja_check_member(
		sb.buf, "args",
		"{\"old_addr\":\"0x7f0000000000\",\"old_len\":4096,\"new_len\":8192,"
		"\"flags\":\"MREMAP_MAYMOVE|MREMAP_FIXED\",\"new_addr\":\"0x7f1000000000\"}");
	sb_free(&sb);
	r.args[3] = 1;
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_member(sb.buf, "args",
			"{\"old_addr\":\"0x7f0000000000\",\"old_len\":4096,\"new_len\":8192,"
			"\"flags\":\"MREMAP_MAYMOVE\"}");
	sb_free(&sb);
}

Test(format, no_args_and_address_returns_text)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MUNLOCKALL, 0, 5, NULL);
	struct format_extra ex = extra();

	check_text(&r, &ex, "12:00:01.123456 app[1234/1235] munlockall() = 0  vmas=5/65530\n");

	r = sys_rec(VMT_SYS_SHMAT, 0x7f3000000000LL, 6, ARGS(42, 0, 010000 /* SHM_RDONLY */));
	check_text(&r, &ex,
		   "12:00:01.123456 app[1234/1235] shmat(42, NULL, SHM_RDONLY) = 0x7f3000000000"
		   "  vmas=6/65530\n");
}

Test(format, brk_heap_delta_text)
{
	struct vmt_syscall_rec r =
		sys_rec(VMT_SYS_BRK, 0x55555557a000LL, 10, ARGS(0x55555557a000ULL));
	struct format_extra ex = extra();

	/* Grown by 132 KiB to a 132 KiB heap. */
	ex.prev_brk = 0x555555559000ULL;
	ex.prev_brk_known = true;
	check_text(
		&r, &ex,
		"12:00:01.123456 app[1234/1235] brk(0x55555557a000) = 0x55555557a000  vmas=10/65530"
		"  heap=+132KiB (132KiB, start_brk 0x555555559000)\n");

	/* Grown again to 264 KiB. */
	r.args[0] = r.brk = r.ret = 0x55555559b000LL;
	ex.prev_brk = 0x55555557a000ULL;
	check_text(
		&r, &ex,
		"12:00:01.123456 app[1234/1235] brk(0x55555559b000) = 0x55555559b000  vmas=10/65530"
		"  heap=+132KiB (264KiB, start_brk 0x555555559000)\n");

	/* Shrunk by 1.5 MiB. */
	ex.prev_brk = 0x55555559b000ULL + 1572864;
	check_text(
		&r, &ex,
		"12:00:01.123456 app[1234/1235] brk(0x55555559b000) = 0x55555559b000  vmas=10/65530"
		"  heap=-1.5MiB (264KiB, start_brk 0x555555559000)\n");

	/* A query, first seen: no delta. */
	r.args[0] = 0;
	ex.prev_brk_known = false;
	check_text(&r, &ex,
		   "12:00:01.123456 app[1234/1235] brk(NULL) = 0x55555559b000  vmas=10/65530"
		   "  heap=264KiB (start_brk 0x555555559000)\n");

	/* A refused brk returns the old break: no error, delta 0. */
	r.args[0] = 0x7fffffff0000ULL;
	ex.prev_brk = 0x55555559b000ULL;
	ex.prev_brk_known = true;
	check_text(
		&r, &ex,
		"12:00:01.123456 app[1234/1235] brk(0x7fffffff0000) = 0x55555559b000  vmas=10/65530"
		"  heap=+0B (264KiB, start_brk 0x555555559000)\n");
}

Test(format, full_comm_text)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MUNMAP, 0, 3, ARGS(0x1000, 4096));
	struct format_extra ex = extra();

	memcpy(r.hdr.comm, "0123456789abcdef", 16); /* no NUL */
	check_text(&r, &ex,
		   "12:00:01.123456 0123456789abcdef[1234/1235] munmap(0x1000, 4096) = 0"
		   "  vmas=3/65530\n");
}

/* --- JSON lines --- */

Test(format, munmap_failure_json)
{
	struct vmt_syscall_rec r =
		sys_rec(VMT_SYS_MUNMAP, -12, MAX_MAP, ARGS(0x7f2a4c000000ULL, 4096));
	struct format_extra ex = extra();
	struct strbuf sb;

	sb = json_line(&r, sizeof(r), &ex);
	ja_check_member(sb.buf, "args", "{\"addr\":\"0x7f2a4c000000\",\"len\":4096}");
	ja_check_member(sb.buf, "ts", "43201.123456");
	ja_check_member(sb.buf, "pid", "1234");
	ja_check_member(sb.buf, "tid", "1235");
	ja_check_member(sb.buf, "comm", "\"app\"");
	ja_check_member(sb.buf, "event", "\"munmap\"");
	ja_check_member(sb.buf, "ret", "-1");
	ja_check_member(sb.buf, "errno", "\"ENOMEM\"");
	ja_check_member(sb.buf, "vmas", "65530");
	ja_check_member(sb.buf, "max_map_count", "65530");
	ja_check_member(sb.buf, "brk", "\"0x55555557a000\"");
	ja_check_member(sb.buf, "start_brk", "\"0x555555559000\"");
	ja_check_no_member(sb.buf, "heap_delta");
	ja_check_no_member(sb.buf, "vma");
	sb_free(&sb);

	r.ret = -200;
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_member(sb.buf, "errno", "\"E200\"");
	sb_free(&sb);
}

Test(format, mmap_success_json)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MMAP, 0x7f2a4c000000LL, 101,
					   ARGS(0, 8192, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, (__u64)-1LL));
	struct format_extra ex = extra();
	struct strbuf sb;
	char ret[32], *addr, *s;

	r.vma[0] = vma(0x7f2a4c000000ULL, 0x7f2a4c002000ULL, 0x3);
	r.vma[1] = (struct vmt_vma){ .start = 0x7f2a4c001000ULL,
				     .end = 0x7f2a4c003000ULL,
				     .vm_flags = 0x5,
				     .pgoff = 2,
				     .ino = 1234,
				     .dev = (8u << 20) | 1,
				     .valid = 1 };
	sb = json_line(&r, sizeof(r), &ex);
	snprintf(ret, sizeof(ret), "%lld", 0x7f2a4c000000LL);
	ja_check_member(sb.buf, "ret", ret);
	ja_check_member(sb.buf, "errno", "null");
	ja_check_member(sb.buf, "vma",
			"{\"start\":\"0x7f2a4c000000\",\"end\":\"0x7f2a4c002000\","
			"\"perms\":\"rw-p\"}");
	ja_check_member(sb.buf, "vma_end",
			"{\"start\":\"0x7f2a4c001000\",\"end\":\"0x7f2a4c003000\","
			"\"perms\":\"r-xp\",\"dev\":\"08:01\",\"ino\":1234,\"pgoff\":2}");

	/* Addresses are hex strings (NULL one included), numbers stay numbers, flags decoded. */
	s = ja_member(sb.buf, "args");
	cr_assert_not_null(s);
	addr = ja_member_str(s, "addr");
	cr_assert_not_null(addr, "%s", s);
	cr_assert_eq(strtoull(addr, NULL, 16), 0, "addr \"%s\"", addr);
	free(addr);
	ja_check_member(s, "len", "8192");
	ja_check_member(s, "prot", "\"PROT_READ|PROT_WRITE\"");
	ja_check_member(s, "flags", "\"MAP_PRIVATE|MAP_ANONYMOUS\"");
	ja_check_member(s, "fd", "-1");
	free(s);
	sb_free(&sb);
}

Test(format, brk_json)
{
	struct vmt_syscall_rec r =
		sys_rec(VMT_SYS_BRK, 0x55555557a000LL, 10, ARGS(0x55555557a000ULL));
	struct format_extra ex = extra();
	struct strbuf sb;

	ex.prev_brk = 0x55555559b000ULL; /* shrunk by 132 KiB */
	ex.prev_brk_known = true;
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_member(sb.buf, "heap_delta", "-135168");
	ja_check_member(sb.buf, "heap_size", "135168");
	ja_check_member(sb.buf, "errno", "null");
	sb_free(&sb);

	ex.prev_brk_known = false;
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_no_member(sb.buf, "heap_delta");
	ja_check_member(sb.buf, "heap_size", "135168");
	sb_free(&sb);
}

Test(format, comm_escaping_json)
{
	static const char nasty[] = "a\"b\\c\nd\x01\xe9";
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MUNMAP, 0, 3, NULL);
	struct format_extra ex = extra();
	struct strbuf sb;
	char *comm;

	memcpy(r.hdr.comm, nasty, sizeof(nasty));
	sb = json_line(&r, sizeof(r), &ex);
	/* What a text line shows (untrusted.h), spelled in JSON: the reader decodes the same text. */
	ja_check_member(sb.buf, "comm", "\"a\\\"b\\\\x5cc\\\\x0ad\\\\x01\\\\xe9\"");
	comm = ja_member_str(sb.buf, "comm");
	cr_assert_str_eq(comm, "a\"b\\x5cc\\x0ad\\x01\\xe9");
	free(comm);
	sb_free(&sb);

	/* 16 bytes, no NUL: nothing read past the field. */
	memcpy(r.hdr.comm, "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"", 16);
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_member(sb.buf, "comm",
			"\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\"");
	sb_free(&sb);
}

/* --- process lifecycle --- */

static struct vmt_fork_rec fork_rec(bool followed)
{
	struct vmt_fork_rec r;

	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, VMT_REC_FORK, "bash", 100, 100);
	r.hdr.flags = followed ? VMT_F_TRACED_NEW : 0;
	r.child_tgid = 200;
	r.child_tid = 200;
	memcpy(r.child_comm, "bash", 4);
	r.map_count = 30;
	r.start_brk = 0x555555559000ULL;
	r.brk = 0x55555557a000ULL;
	return r;
}

Test(format, fork)
{
	struct vmt_fork_rec r = fork_rec(true);
	struct format_extra ex = extra();
	struct strbuf sb;

	check_text(&r, &ex, "12:00:01.123456 bash[100/100] fork() = 200 (followed)  vmas=30\n");
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_member(sb.buf, "event", "\"fork\"");
	ja_check_member(sb.buf, "child_pid", "200");
	ja_check_member(sb.buf, "child_comm", "\"bash\"");
	ja_check_member(sb.buf, "followed", "true");
	ja_check_member(sb.buf, "vmas", "30");
	ja_check_member(sb.buf, "brk", "\"0x55555557a000\"");
	sb_free(&sb);

	r = fork_rec(false);
	check_text(&r, &ex, "12:00:01.123456 bash[100/100] fork() = 200  vmas=30\n");
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_member(sb.buf, "followed", "false");
	sb_free(&sb);
}

Test(format, exec)
{
	struct vmt_exec_rec r;
	struct format_extra ex = extra();
	struct strbuf sb;

	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, VMT_REC_EXEC, "true", 300, 300);
	r.old_tid = 301;
	r.map_count = 20;
	r.start_brk = 0x555555559000ULL;
	r.brk = 0x555555559000ULL;
	strcpy(r.filename, "/usr/bin/true");
	check_text(&r, &ex,
		   "12:00:01.123456 true[300/300] exec(\"/usr/bin/true\")  vmas=20/65530"
		   "  brk=0x555555559000\n");
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_member(sb.buf, "event", "\"exec\"");
	ja_check_member(sb.buf, "filename", "\"/usr/bin/true\"");
	ja_check_member(sb.buf, "old_tid", "301");
	ja_check_member(sb.buf, "vmas", "20");
	ja_check_member(sb.buf, "max_map_count", "65530");
	sb_free(&sb);

	strcpy(r.filename, "./we\"ird\\name\t");
	sb = json_line(&r, sizeof(r), &ex);
	/* The untrusted-text policy: the backslash and the tab as \xNN, the quote JSON's own. */
	ja_check_member(sb.buf, "filename", "\"./we\\\"ird\\\\x5cname\\\\x09\"");
	sb_free(&sb);
}

static struct vmt_exit_rec exit_rec(int status)
{
	struct vmt_exit_rec r;

	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, VMT_REC_EXIT, "worker", 400, 400);
	r.hdr.flags = VMT_F_GROUP_DEAD;
	r.exit_code = status;
	r.map_count = 0;
	return r;
}

Test(format, exit)
{
	struct vmt_exit_rec r = exit_rec(3 << 8);
	struct format_extra ex = extra();
	struct strbuf sb;

	check_text(&r, &ex, "12:00:01.123456 worker[400/400] +++ exited with 3 +++\n");
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_member(sb.buf, "event", "\"exit\"");
	ja_check_member(sb.buf, "signal", "null");
	ja_check_member(sb.buf, "exit_code", "3");
	sb_free(&sb);

	r = exit_rec(0);
	check_text(&r, &ex, "12:00:01.123456 worker[400/400] +++ exited with 0 +++\n");

	r = exit_rec(9);
	check_text(&r, &ex, "12:00:01.123456 worker[400/400] +++ killed by SIGKILL +++\n");
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_member(sb.buf, "signal", "\"KILL\"");
	ja_check_member(sb.buf, "exit_code", "null");
	sb_free(&sb);

	r = exit_rec(11 | 0x80);
	check_text(&r, &ex,
		   "12:00:01.123456 worker[400/400] +++ killed by SIGSEGV (core dumped) +++\n");
}

Test(format, oom)
{
	struct vmt_oom_rec r;
	struct format_extra ex = extra();
	struct strbuf sb;

	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, VMT_REC_OOM, "alloc", 500, 501);
	r.victim_pid = 4321;
	memcpy(r.victim_comm, "stress", 6);
	r.uid = 1000;
	r.total_vm_kb = 2097152;
	r.anon_rss_kb = 1048576;
	r.file_rss_kb = 1024;
	r.shmem_rss_kb = 0;
	r.pgtables_kb = 4096;
	r.oom_score_adj = -500;
	r.present = VMT_OOM_HAS_TOTAL_VM | VMT_OOM_HAS_RSS | VMT_OOM_HAS_UID |
		    VMT_OOM_HAS_PGTABLES | VMT_OOM_HAS_SCORE_ADJ;
	check_text(&r, &ex,
		   "12:00:01.123456 alloc[500/501] oom_kill victim=stress[4321] uid=1000"
		   " total_vm=2097152kB anon_rss=1048576kB file_rss=1024kB shmem_rss=0kB"
		   " pgtables=4096kB oom_score_adj=-500 (triggered by this task)\n");
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_member(sb.buf, "event", "\"oom_kill\"");
	ja_check_member(sb.buf, "victim_pid", "4321");
	ja_check_member(sb.buf, "victim_comm", "\"stress\"");
	ja_check_member(sb.buf, "uid", "1000");
	ja_check_member(sb.buf, "anon_rss_kb", "1048576");
	ja_check_member(sb.buf, "oom_score_adj", "-500");
	sb_free(&sb);

	/* An old kernel that reports none of the optional fields. */
	r.present = 0;
	check_text(&r, &ex,
		   "12:00:01.123456 alloc[500/501] oom_kill victim=stress[4321]"
		   " (triggered by this task)\n");
	sb = json_line(&r, sizeof(r), &ex);
	ja_check_no_member(sb.buf, "uid");
	ja_check_no_member(sb.buf, "total_vm_kb");
	ja_check_no_member(sb.buf, "anon_rss_kb");
	ja_check_no_member(sb.buf, "oom_score_adj");
	sb_free(&sb);
}

Test(format, drops)
{
	struct strbuf sb;

	sb_init(&sb);
	format_drops(&sb, &text_opts, TS_NS, 5, 7);
	cr_assert_str_eq(sb.buf,
			 "12:00:01.123456 *** 5 records dropped here (ring buffer full; 7 in "
			 "all): raise --ringbuf-size ***\n");
	sb_reset(&sb);
	format_drops(&sb, &json_opts, TS_NS, 5, 7);
	cr_assert(ja_valid(sb.buf), "%s", sb.buf);
	cr_assert_str_eq(
		sb.buf,
		"{\"ts\":43201.123456,\"event\":\"drops\",\"dropped\":5,\"dropped_total\":7}\n");
	sb_free(&sb);
}

Test(format, not_printed)
{
	struct vmt_vma_rec v;
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MUNMAP, 0, 3, NULL);
	struct format_extra ex = extra();
	struct strbuf sb;

	memset(&v, 0, sizeof(v));
	fill_hdr(&v.hdr, VMT_REC_VMA, "app", 1, 1);
	v.vma = vma(0x1000, 0x2000, 0x1);
	sb_init(&sb);
	cr_assert_eq(format_record(&sb, &text_opts, &v, sizeof(v), &ex), -1);
	cr_assert_eq(format_record(&sb, &json_opts, &v, sizeof(v), &ex), -1);
	cr_assert_eq(sb.len, 0);

	/* Unknown types and truncated records are refused too. */
	v.hdr.type = 99;
	cr_assert_eq(format_record(&sb, &text_opts, &v, sizeof(v), &ex), -1);
	cr_assert_eq(format_record(&sb, &text_opts, &r, sizeof(r) - 1, &ex), -1);
	cr_assert_eq(format_record(&sb, &text_opts, &r, sizeof(struct vmt_hdr) - 1, &ex), -1);
	cr_assert_eq(sb.len, 0);
	sb_free(&sb);
}
