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

/*
 * A small strict JSON reader, enough to check that a line is one valid JSON value and to pull
 * members out of it. test_summary.c uses it too (declared there). Raw bytes >= 0x80 are refused:
 * our writer escapes them, so its output is plain ASCII whatever a comm holds.
 */
struct tj {
	const char *p;
};

static bool tj_value(struct tj *j, int depth);

static void tj_ws(struct tj *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string literal; its bytes go to out (may be NULL), \u00XX as the byte XX. */
static bool tj_string(struct tj *j, struct strbuf *out)
{
	if (*j->p != '"')
		return false;
	j->p++;
	for (;;) {
		unsigned char c = *j->p++;
		unsigned int u = 0;

		if (c == '"')
			return true;
		if (c < 0x20 || c >= 0x80) /* includes the terminating NUL */
			return false;
		if (c != '\\') {
			if (out)
				sb_putc(out, c);
			continue;
		}
		c = *j->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			for (int i = 0; i < 4; i++) {
				int d = hexval(*j->p++);

				if (d < 0)
					return false;
				u = u * 16 + d;
			}
			c = u < 0x100 ? u : '?';
			break;
		default:
			return false;
		}
		if (out)
			sb_putc(out, c);
	}
}

static bool tj_number(struct tj *j)
{
	const char *p = j->p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return false;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	j->p = p;
	return true;
}

static bool tj_literal(struct tj *j, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(j->p, lit, n))
		return false;
	j->p += n;
	return true;
}

/* An object; duplicate keys are refused (they would mean a formatting bug). */
static bool tj_object(struct tj *j, int depth)
{
	char *keys[64];
	size_t nkeys = 0;
	bool ok = false;

	j->p++;
	tj_ws(j);
	if (*j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		struct strbuf key;

		sb_init(&key);
		sb_puts(&key, "");
		tj_ws(j);
		if (!tj_string(j, &key)) {
			sb_free(&key);
			goto out;
		}
		for (size_t i = 0; i < nkeys; i++) {
			if (!strcmp(keys[i], key.buf)) {
				sb_free(&key);
				goto out;
			}
		}
		if (nkeys < 64)
			keys[nkeys++] = key.buf;
		else
			sb_free(&key);
		tj_ws(j);
		if (*j->p != ':')
			goto out;
		j->p++;
		if (!tj_value(j, depth + 1))
			goto out;
		tj_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == '}') {
			j->p++;
			ok = true;
		}
		goto out;
	}
out:
	for (size_t i = 0; i < nkeys; i++)
		free(keys[i]);
	return ok;
}

static bool tj_array(struct tj *j, int depth)
{
	j->p++;
	tj_ws(j);
	if (*j->p == ']') {
		j->p++;
		return true;
	}
	for (;;) {
		if (!tj_value(j, depth + 1))
			return false;
		tj_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == ']') {
			j->p++;
			return true;
		}
		return false;
	}
}

static bool tj_value(struct tj *j, int depth)
{
	if (depth > 32)
		return false;
	tj_ws(j);
	switch (*j->p) {
	case '{':
		return tj_object(j, depth);
	case '[':
		return tj_array(j, depth);
	case '"':
		return tj_string(j, NULL);
	case 't':
		return tj_literal(j, "true");
	case 'f':
		return tj_literal(j, "false");
	case 'n':
		return tj_literal(j, "null");
	default:
		return tj_number(j);
	}
}

/* Is s exactly one JSON value (white space around it allowed)? */
bool tj_valid(const char *s)
{
	struct tj j = {s};

	if (!tj_value(&j, 0))
		return false;
	tj_ws(&j);
	return *j.p == 0;
}

/* The raw text of a member of the top-level object (malloc'd), or NULL. */
char *tj_member(const char *s, const char *key)
{
	struct tj j = {s};

	tj_ws(&j);
	if (*j.p != '{')
		return NULL;
	j.p++;
	for (;;) {
		struct strbuf k;
		const char *start;
		bool match;

		sb_init(&k);
		sb_puts(&k, "");
		tj_ws(&j);
		if (!tj_string(&j, &k)) {
			sb_free(&k);
			return NULL;
		}
		match = !strcmp(k.buf, key);
		sb_free(&k);
		tj_ws(&j);
		if (*j.p != ':')
			return NULL;
		j.p++;
		tj_ws(&j);
		start = j.p;
		if (!tj_value(&j, 1))
			return NULL;
		if (match)
			return strndup(start, j.p - start);
		tj_ws(&j);
		if (*j.p != ',')
			return NULL;
		j.p++;
	}
}

/* The bytes of a JSON string literal (malloc'd), or NULL if raw is not one. */
char *tj_string_value(const char *raw)
{
	struct tj j = {raw};
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "");
	if (!raw || !tj_string(&j, &sb) || *j.p) {
		sb_free(&sb);
		return NULL;
	}
	return sb.buf;
}

/* --- records --- */

#define TS_NS (12ULL * 3600 * 1000000000 + 1123456000ULL) /* "12:00:01.123456" in UTC */
#define MAX_MAP 65530

static const struct format_opts text_opts = {.json = false, .utc = true, .realtime_offset_ns = 0};
static const struct format_opts json_opts = {.json = true, .utc = true, .realtime_offset_ns = 0};

static void fill_hdr(struct vmt_hdr *h, __u32 type, const char *comm, __u32 tgid, __u32 tid)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->ts_ns = TS_NS;
	h->tgid = tgid;
	h->tid = tid;
	memcpy(h->comm, comm, strnlen(comm, sizeof(h->comm)));
}

static struct vmt_syscall_rec sys_rec(unsigned int sys, long long ret, unsigned int vmas)
{
	struct vmt_syscall_rec r;

	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, VMT_REC_SYSCALL, "app", 1234, 1235);
	r.sys = sys;
	r.ret = ret;
	r.map_count = vmas;
	r.start_brk = 0x555555559000ULL;
	r.brk = 0x55555557a000ULL;
	return r;
}

static struct format_extra extra(void)
{
	struct format_extra ex = {.max_map_count = MAX_MAP};

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

/* Format one record as JSON, check it is one valid JSON line, and return it (sb_free it). */
static struct strbuf json_line(const void *rec, size_t size, const struct format_extra *ex)
{
	struct strbuf sb;

	sb_init(&sb);
	cr_assert_eq(format_record(&sb, &json_opts, rec, size, ex), 0);
	cr_assert_gt(sb.len, 1);
	cr_assert_eq(sb.buf[sb.len - 1], '\n', "no newline: %s", sb.buf);
	cr_assert_null(memchr(sb.buf, '\n', sb.len - 1), "newline inside: %s", sb.buf);
	cr_assert(tj_valid(sb.buf), "invalid JSON: %s", sb.buf);
	return sb;
}

static void check_member(const char *json, const char *key, const char *raw)
{
	char *got = tj_member(json, key);

	cr_assert_not_null(got, "no \"%s\" in %s", key, json);
	cr_assert_str_eq(got, raw, "member \"%s\" of %s", key, json);
	free(got);
}

/* The decoded bytes of a string member (malloc'd), or NULL. */
static char *member_str(const char *json, const char *key)
{
	char *raw = tj_member(json, key);
	char *s = tj_string_value(raw);

	free(raw);
	return s;
}

static void check_no_member(const char *json, const char *key)
{
	char *got = tj_member(json, key);

	cr_assert_null(got, "unexpected \"%s\":%s in %s", key, got, json);
}

/* --- the JSON reader itself: it must refuse what it is there to catch --- */

Test(format, json_checker_sanity)
{
	cr_assert(tj_valid("{\"a\":1,\"b\":[true,false,null,-1.5e3,\"x\\\"\\u0001\"],\"c\":{}}\n"));
	cr_assert_not(tj_valid("{\"a\":1,}"));
	cr_assert_not(tj_valid("{\"a\":1"));
	cr_assert_not(tj_valid("{\"a\":1,\"a\":2}"));
	cr_assert_not(tj_valid("{\"a\":\"x\ny\"}"));
	cr_assert_not(tj_valid("{\"a\":\"x\\qy\"}"));
	cr_assert_not(tj_valid("{\"a\":\"\xc3\xa9\"}"));
	cr_assert_not(tj_valid("{\"a\":0x10}"));
	cr_assert_not(tj_valid("{\"a\":01}"));
	cr_assert_not(tj_valid("{\"a\":1}{"));
	cr_assert_not(tj_valid("{\"a\":\"unterminated}"));

	char *m = tj_member("{\"a\":1,\"b\":{\"c\":[1,2]},\"d\":\"x\\\\\"}", "b");

	cr_assert_str_eq(m, "{\"c\":[1,2]}");
	free(m);
	m = tj_string_value("\"x\\\\y\\n\\u00ff\"");
	cr_assert_str_eq(m, "x\\y\n\xff");
	free(m);
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
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MUNMAP, -12, MAX_MAP);
	struct format_extra ex = extra();

	r.args[0] = 0x7f2a4c000000ULL;
	r.args[1] = 4096;
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 app[1234/1235] munmap(0x7f2a4c000000, 4096) = -1 ENOMEM "
		   "(Cannot allocate memory)  vmas=65530/65530\n");
}

Test(format, unnamed_errno_text)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MPROTECT, -200, 40);
	struct format_extra ex = extra();

	r.args[0] = 0x1000;
	r.args[1] = 4096;
	r.args[2] = PROT_READ;
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 app[1234/1235] mprotect(0x1000, 4096, PROT_READ) = -1 E200"
		   "  vmas=40/65530\n");
}

Test(format, mmap_success_text)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MMAP, 0x7f2a4c000000LL, 101);
	struct format_extra ex = extra();

	r.args[1] = 8192;
	r.args[2] = PROT_READ | PROT_WRITE;
	r.args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
	r.args[4] = (__u64)-1LL;
	/* A VMA of its own: nothing to add. */
	r.vma[0] = (struct vmt_vma){
	    .start = 0x7f2a4c000000ULL, .end = 0x7f2a4c002000ULL, .vm_flags = 0x3, .valid = 1};
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 app[1234/1235] mmap(NULL, 8192, PROT_READ|PROT_WRITE, "
		   "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f2a4c000000  vmas=101/65530\n");

	/* Merged with the VMA below: the whole VMA is shown. */
	r.vma[0].start = 0x7f2a4bff0000ULL;
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 app[1234/1235] mmap(NULL, 8192, PROT_READ|PROT_WRITE, "
		   "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f2a4c000000  vmas=101/65530"
		   "  vma=7f2a4bff0000-7f2a4c002000 rw-p\n");

	/* The range ends in another VMA. */
	r.vma[0].start = 0x7f2a4c000000ULL;
	r.vma[1] = (struct vmt_vma){
	    .start = 0x7f2a4c001000ULL, .end = 0x7f2a4c003000ULL, .vm_flags = 0x1, .valid = 1};
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 app[1234/1235] mmap(NULL, 8192, PROT_READ|PROT_WRITE, "
		   "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f2a4c000000  vmas=101/65530"
		   "  vma=7f2a4c000000-7f2a4c003000 (2 VMAs)\n");
}

Test(format, mmap_failure_hides_vma)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MMAP, -EEXIST, 7);
	struct format_extra ex = extra();

	r.args[0] = 0x400000;
	r.args[1] = 4096;
	r.args[2] = PROT_READ;
	r.args[3] = MAP_PRIVATE | MAP_FIXED_NOREPLACE;
	r.args[4] = 3;
	r.args[5] = 0x1000;
	r.vma[0] =
	    (struct vmt_vma){.start = 0x3ff000, .end = 0x402000, .vm_flags = 0x5, .valid = 1};
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 app[1234/1235] mmap(0x400000, 4096, PROT_READ, "
		   "MAP_PRIVATE|MAP_FIXED_NOREPLACE, 3, 0x1000) = -1 EEXIST (File exists)"
		   "  vmas=7/65530\n");
}

Test(format, mprotect_split_text)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MPROTECT, 0, 12);
	struct format_extra ex = extra();

	r.args[0] = 0x7f0000001000ULL;
	r.args[1] = 4096;
	r.args[2] = PROT_READ;
	r.vma[0] = (struct vmt_vma){
	    .start = 0x7f0000000000ULL, .end = 0x7f0000002000ULL, .vm_flags = 0x1, .valid = 1};
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 app[1234/1235] mprotect(0x7f0000001000, 4096, PROT_READ) = 0"
		   "  vmas=12/65530  vma=7f0000000000-7f0000002000 r--p\n");
}

Test(format, mremap_new_addr_only_with_fixed)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MREMAP, 0x7f1000000000LL, 9);
	struct format_extra ex = extra();

	r.args[0] = 0x7f0000000000ULL;
	r.args[1] = 4096;
	r.args[2] = 8192;
	r.args[3] = 1;	    /* MREMAP_MAYMOVE */
	r.args[4] = 0xdead; /* garbage in the unused register */
	check_line(
	    &text_opts, &r, sizeof(r), &ex,
	    "12:00:01.123456 app[1234/1235] mremap(0x7f0000000000, 4096, 8192, MREMAP_MAYMOVE)"
	    " = 0x7f1000000000  vmas=9/65530\n");
	r.args[3] = 3;
	r.args[4] = 0x7f1000000000ULL;
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 app[1234/1235] mremap(0x7f0000000000, 4096, 8192, "
		   "MREMAP_MAYMOVE|MREMAP_FIXED, 0x7f1000000000) = 0x7f1000000000  vmas=9/65530\n");

	struct strbuf sb = json_line(&r, sizeof(r), &ex);

	check_member(sb.buf, "args",
		     "{\"old_addr\":\"0x7f0000000000\",\"old_len\":4096,\"new_len\":8192,"
		     "\"flags\":\"MREMAP_MAYMOVE|MREMAP_FIXED\",\"new_addr\":\"0x7f1000000000\"}");
	sb_free(&sb);
	r.args[3] = 1;
	sb = json_line(&r, sizeof(r), &ex);
	check_member(sb.buf, "args",
		     "{\"old_addr\":\"0x7f0000000000\",\"old_len\":4096,\"new_len\":8192,"
		     "\"flags\":\"MREMAP_MAYMOVE\"}");
	sb_free(&sb);
}

Test(format, no_args_and_address_returns_text)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MUNLOCKALL, 0, 5);
	struct format_extra ex = extra();

	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 app[1234/1235] munlockall() = 0  vmas=5/65530\n");

	r = sys_rec(VMT_SYS_SHMAT, 0x7f3000000000LL, 6);
	r.args[0] = 42;
	r.args[2] = 010000; /* SHM_RDONLY */
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 app[1234/1235] shmat(42, NULL, SHM_RDONLY) = 0x7f3000000000"
		   "  vmas=6/65530\n");
}

Test(format, brk_heap_delta_text)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_BRK, 0x55555557a000LL, 10);
	struct format_extra ex = extra();

	/* Grown by 132 KiB to a 132 KiB heap. */
	r.args[0] = 0x55555557a000ULL;
	ex.prev_brk = 0x555555559000ULL;
	ex.prev_brk_known = true;
	check_line(
	    &text_opts, &r, sizeof(r), &ex,
	    "12:00:01.123456 app[1234/1235] brk(0x55555557a000) = 0x55555557a000  vmas=10/65530"
	    "  heap=+132KiB (132KiB, start_brk 0x555555559000)\n");

	/* Grown again to 264 KiB. */
	r.args[0] = r.brk = r.ret = 0x55555559b000LL;
	ex.prev_brk = 0x55555557a000ULL;
	check_line(
	    &text_opts, &r, sizeof(r), &ex,
	    "12:00:01.123456 app[1234/1235] brk(0x55555559b000) = 0x55555559b000  vmas=10/65530"
	    "  heap=+132KiB (264KiB, start_brk 0x555555559000)\n");

	/* Shrunk by 1.5 MiB. */
	ex.prev_brk = 0x55555559b000ULL + 1572864;
	check_line(
	    &text_opts, &r, sizeof(r), &ex,
	    "12:00:01.123456 app[1234/1235] brk(0x55555559b000) = 0x55555559b000  vmas=10/65530"
	    "  heap=-1.5MiB (264KiB, start_brk 0x555555559000)\n");

	/* A query, first seen: no delta. */
	r.args[0] = 0;
	ex.prev_brk_known = false;
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 app[1234/1235] brk(NULL) = 0x55555559b000  vmas=10/65530"
		   "  heap=264KiB (start_brk 0x555555559000)\n");

	/* A refused brk returns the old break: no error, delta 0. */
	r.args[0] = 0x7fffffff0000ULL;
	ex.prev_brk = 0x55555559b000ULL;
	ex.prev_brk_known = true;
	check_line(
	    &text_opts, &r, sizeof(r), &ex,
	    "12:00:01.123456 app[1234/1235] brk(0x7fffffff0000) = 0x55555559b000  vmas=10/65530"
	    "  heap=+0B (264KiB, start_brk 0x555555559000)\n");
}

Test(format, full_comm_text)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MUNMAP, 0, 3);
	struct format_extra ex = extra();

	memcpy(r.hdr.comm, "0123456789abcdef", 16); /* no NUL */
	r.args[0] = 0x1000;
	r.args[1] = 4096;
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 0123456789abcdef[1234/1235] munmap(0x1000, 4096) = 0"
		   "  vmas=3/65530\n");
}

/* --- JSON lines --- */

Test(format, munmap_failure_json)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MUNMAP, -12, MAX_MAP);
	struct format_extra ex = extra();
	struct strbuf sb;

	r.args[0] = 0x7f2a4c000000ULL;
	r.args[1] = 4096;
	sb = json_line(&r, sizeof(r), &ex);
	cr_assert_not_null(strstr(sb.buf, "\"errno\":\"ENOMEM\""), "%s", sb.buf);
	cr_assert_not_null(strstr(sb.buf, "\"event\":\"munmap\""), "%s", sb.buf);
	cr_assert_not_null(strstr(sb.buf, "\"vmas\":65530"), "%s", sb.buf);
	cr_assert_not_null(strstr(sb.buf, "\"args\":{\"addr\":\"0x7f2a4c000000\",\"len\":4096}"),
			   "%s", sb.buf);
	check_member(sb.buf, "ts", "43201.123456");
	check_member(sb.buf, "pid", "1234");
	check_member(sb.buf, "tid", "1235");
	check_member(sb.buf, "comm", "\"app\"");
	check_member(sb.buf, "event", "\"munmap\"");
	check_member(sb.buf, "ret", "-1");
	check_member(sb.buf, "errno", "\"ENOMEM\"");
	check_member(sb.buf, "vmas", "65530");
	check_member(sb.buf, "max_map_count", "65530");
	check_member(sb.buf, "brk", "\"0x55555557a000\"");
	check_member(sb.buf, "start_brk", "\"0x555555559000\"");
	check_no_member(sb.buf, "heap_delta");
	check_no_member(sb.buf, "vma");
	sb_free(&sb);

	r.ret = -200;
	sb = json_line(&r, sizeof(r), &ex);
	check_member(sb.buf, "errno", "\"E200\"");
	sb_free(&sb);
}

Test(format, mmap_success_json)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MMAP, 0x7f2a4c000000LL, 101);
	struct format_extra ex = extra();
	struct strbuf sb;
	char ret[32], *addr, *s;

	r.args[1] = 8192;
	r.args[2] = PROT_READ | PROT_WRITE;
	r.args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
	r.args[4] = (__u64)-1LL;
	r.vma[0] = (struct vmt_vma){
	    .start = 0x7f2a4c000000ULL, .end = 0x7f2a4c002000ULL, .vm_flags = 0x3, .valid = 1};
	r.vma[1] = (struct vmt_vma){.start = 0x7f2a4c001000ULL,
				    .end = 0x7f2a4c003000ULL,
				    .vm_flags = 0x5,
				    .pgoff = 2,
				    .ino = 1234,
				    .dev = (8u << 20) | 1,
				    .valid = 1};
	sb = json_line(&r, sizeof(r), &ex);
	snprintf(ret, sizeof(ret), "%lld", 0x7f2a4c000000LL);
	check_member(sb.buf, "ret", ret);
	check_member(sb.buf, "errno", "null");
	check_member(sb.buf, "vma",
		     "{\"start\":\"0x7f2a4c000000\",\"end\":\"0x7f2a4c002000\","
		     "\"perms\":\"rw-p\"}");
	check_member(sb.buf, "vma_end",
		     "{\"start\":\"0x7f2a4c001000\",\"end\":\"0x7f2a4c003000\","
		     "\"perms\":\"r-xp\",\"dev\":\"08:01\",\"ino\":1234,\"pgoff\":2}");

	/* Addresses are hex strings (NULL one included), numbers stay numbers, flags decoded. */
	s = tj_member(sb.buf, "args");
	cr_assert_not_null(s);
	cr_assert(tj_valid(s));
	addr = member_str(s, "addr");
	cr_assert_not_null(addr, "%s", s);
	cr_assert_eq(strtoull(addr, NULL, 16), 0, "addr \"%s\"", addr);
	free(addr);
	check_member(s, "len", "8192");
	check_member(s, "prot", "\"PROT_READ|PROT_WRITE\"");
	check_member(s, "flags", "\"MAP_PRIVATE|MAP_ANONYMOUS\"");
	check_member(s, "fd", "-1");
	free(s);
	sb_free(&sb);
}

Test(format, brk_json)
{
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_BRK, 0x55555557a000LL, 10);
	struct format_extra ex = extra();
	struct strbuf sb;

	r.args[0] = 0x55555557a000ULL;
	ex.prev_brk = 0x55555559b000ULL; /* shrunk by 132 KiB */
	ex.prev_brk_known = true;
	sb = json_line(&r, sizeof(r), &ex);
	check_member(sb.buf, "heap_delta", "-135168");
	check_member(sb.buf, "heap_size", "135168");
	check_member(sb.buf, "errno", "null");
	sb_free(&sb);

	ex.prev_brk_known = false;
	sb = json_line(&r, sizeof(r), &ex);
	check_no_member(sb.buf, "heap_delta");
	check_member(sb.buf, "heap_size", "135168");
	sb_free(&sb);
}

Test(format, comm_escaping_json)
{
	static const char nasty[] = "a\"b\\c\nd\x01\xe9";
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MUNMAP, 0, 3);
	struct format_extra ex = extra();
	struct strbuf sb;
	char *comm;

	memcpy(r.hdr.comm, nasty, sizeof(nasty));
	sb = json_line(&r, sizeof(r), &ex);
	/* What a text line shows (untrusted.h), spelled in JSON: the reader decodes the same text. */
	check_member(sb.buf, "comm", "\"a\\\"b\\\\x5cc\\\\x0ad\\\\x01\\\\xe9\"");
	comm = member_str(sb.buf, "comm");
	cr_assert_str_eq(comm, "a\"b\\x5cc\\x0ad\\x01\\xe9");
	free(comm);
	sb_free(&sb);

	/* 16 bytes, no NUL: nothing read past the field. */
	memcpy(r.hdr.comm, "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"", 16);
	sb = json_line(&r, sizeof(r), &ex);
	check_member(sb.buf, "comm",
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

	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 bash[100/100] fork() = 200 (followed)  vmas=30\n");
	sb = json_line(&r, sizeof(r), &ex);
	check_member(sb.buf, "event", "\"fork\"");
	check_member(sb.buf, "child_pid", "200");
	check_member(sb.buf, "child_comm", "\"bash\"");
	check_member(sb.buf, "followed", "true");
	check_member(sb.buf, "vmas", "30");
	check_member(sb.buf, "brk", "\"0x55555557a000\"");
	sb_free(&sb);

	r = fork_rec(false);
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 bash[100/100] fork() = 200  vmas=30\n");
	sb = json_line(&r, sizeof(r), &ex);
	check_member(sb.buf, "followed", "false");
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
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 true[300/300] exec(\"/usr/bin/true\")  vmas=20/65530"
		   "  brk=0x555555559000\n");
	sb = json_line(&r, sizeof(r), &ex);
	check_member(sb.buf, "event", "\"exec\"");
	check_member(sb.buf, "filename", "\"/usr/bin/true\"");
	check_member(sb.buf, "old_tid", "301");
	check_member(sb.buf, "vmas", "20");
	check_member(sb.buf, "max_map_count", "65530");
	sb_free(&sb);

	strcpy(r.filename, "./we\"ird\\name\t");
	sb = json_line(&r, sizeof(r), &ex);
	/* The untrusted-text policy: the backslash and the tab as \xNN, the quote JSON's own. */
	check_member(sb.buf, "filename", "\"./we\\\"ird\\\\x5cname\\\\x09\"");
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

	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 worker[400/400] +++ exited with 3 +++\n");
	sb = json_line(&r, sizeof(r), &ex);
	check_member(sb.buf, "event", "\"exit\"");
	check_member(sb.buf, "signal", "null");
	check_member(sb.buf, "exit_code", "3");
	sb_free(&sb);

	r = exit_rec(0);
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 worker[400/400] +++ exited with 0 +++\n");

	r = exit_rec(9);
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 worker[400/400] +++ killed by SIGKILL +++\n");
	sb = json_line(&r, sizeof(r), &ex);
	check_member(sb.buf, "signal", "\"KILL\"");
	check_member(sb.buf, "exit_code", "null");
	sb_free(&sb);

	r = exit_rec(11 | 0x80);
	check_line(&text_opts, &r, sizeof(r), &ex,
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
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 alloc[500/501] oom_kill victim=stress[4321] uid=1000"
		   " total_vm=2097152kB anon_rss=1048576kB file_rss=1024kB shmem_rss=0kB"
		   " pgtables=4096kB oom_score_adj=-500 (triggered by this task)\n");
	sb = json_line(&r, sizeof(r), &ex);
	check_member(sb.buf, "event", "\"oom_kill\"");
	check_member(sb.buf, "victim_pid", "4321");
	check_member(sb.buf, "victim_comm", "\"stress\"");
	check_member(sb.buf, "uid", "1000");
	check_member(sb.buf, "anon_rss_kb", "1048576");
	check_member(sb.buf, "oom_score_adj", "-500");
	sb_free(&sb);

	/* An old kernel that reports none of the optional fields. */
	r.present = 0;
	check_line(&text_opts, &r, sizeof(r), &ex,
		   "12:00:01.123456 alloc[500/501] oom_kill victim=stress[4321]"
		   " (triggered by this task)\n");
	sb = json_line(&r, sizeof(r), &ex);
	check_no_member(sb.buf, "uid");
	check_no_member(sb.buf, "total_vm_kb");
	check_no_member(sb.buf, "anon_rss_kb");
	check_no_member(sb.buf, "oom_score_adj");
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
	cr_assert(tj_valid(sb.buf), "%s", sb.buf);
	cr_assert_str_eq(
	    sb.buf,
	    "{\"ts\":43201.123456,\"event\":\"drops\",\"dropped\":5,\"dropped_total\":7}\n");
	sb_free(&sb);
}

Test(format, not_printed)
{
	struct vmt_vma_rec v;
	struct vmt_syscall_rec r = sys_rec(VMT_SYS_MUNMAP, 0, 3);
	struct format_extra ex = extra();
	struct strbuf sb;

	memset(&v, 0, sizeof(v));
	fill_hdr(&v.hdr, VMT_REC_VMA, "app", 1, 1);
	v.vma = (struct vmt_vma){.start = 0x1000, .end = 0x2000, .vm_flags = 0x1, .valid = 1};
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
