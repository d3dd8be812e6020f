// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kernel feature probe against made-up kernels: a BTF built here (6.1-like: no
 * bpf_iter_task_vma_new, no mm_lock_seq, a bare mark_victim; 6.18-like: everything) and a
 * tracefs tree in a temp dir.
 */
#include <bpf/btf.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonw.h"
#include "kfeatures.h"
#include "strbuf.h"
#include "tree_fixture.h"
#include "vmatrace.h"

static char root[64];

static void touch_tp(const char *cat, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/%s/%s/id", root, cat, name);
	tree_put(path, "1\n");
}

static void setup_root(void)
{
	snprintf(root, sizeof(root), "/tmp/vmt-kf-XXXXXX");
	cr_assert(mkdtemp(root));
}

static void teardown_root(void)
{
	tree_remove(root);
}

TestSuite(kfeatures, .init = setup_root, .fini = teardown_root);

static void add_func(struct btf *b, const char *name)
{
	int proto = btf__add_func_proto(b, 0);

	cr_assert_gt(proto, 0);
	cr_assert_gt(btf__add_func(b, name, BTF_FUNC_GLOBAL, proto), 0);
}

/* A kernel's BTF: with "new" the 6.18 shapes (seqcount mm_lock_seq inside an anonymous
 * struct of mm_struct, mark_victim with sizes), else 6.1's. */
static struct btf *make_btf(bool new)
{
	struct btf *b = btf__new_empty();
	int u32 = btf__add_int(b, "unsigned int", 4, 0);
	int anon, seq, seqt;

	cr_assert(b);
	add_func(b, "bpf_rdonly_cast");
	add_func(b, "bpf_iter_num_new");
	if (new)
		add_func(b, "bpf_iter_task_vma_new");
	seq = btf__add_struct(b, "seqcount", 4);
	btf__add_field(b, "sequence", u32, 0, 0);
	seqt = btf__add_typedef(b, "seqcount_t", seq);
	anon = btf__add_struct(b, NULL, 8);
	btf__add_field(b, "map_count", u32, 0, 0);
	if (new)
		btf__add_field(b, "mm_lock_seq", seqt, 32, 0);
	btf__add_struct(b, "mm_struct", 8);
	btf__add_field(b, NULL, anon, 0, 0);
	btf__add_struct(b, "trace_event_raw_mark_victim", 16);
	btf__add_field(b, "pid", u32, 0, 0);
	if (new) {
		btf__add_field(b, "total_vm", u32, 32, 0);
		btf__add_field(b, "uid", u32, 64, 0);
	}
	return b;
}

static void make_tracefs(bool with_mseal)
{
	touch_tp("oom", "mark_victim");
#define KF_TEST_TP(id, num, name, ...)            \
	if (with_mseal || strcmp(#name, "mseal")) \
		touch_tp("syscalls", "sys_exit_" #name);
	VMT_SYSCALLS(KF_TEST_TP)
#undef KF_TEST_TP
}

Test(kfeatures, a_new_kernel_has_every_feature)
{
	struct btf *b = make_btf(true);
	const char *const roots[] = { "/nonexistent", root, NULL };
	struct kfeatures kf;
	struct strbuf sb;

	make_tracefs(true);
	kfeatures_probe(&kf, b, roots);
	for (int f = 0; f < KF_COUNT; f++)
		cr_assert(kf.has[f], "%s missing", kfeature_name(f));
	cr_assert_eq(kf.missing_syscalls, 0);
	cr_assert(kf.tracing_known);
	sb_init(&sb);
	kfeatures_missing_list(&kf, &sb);
	cr_assert_eq(sb.len, 0);
	sb_free(&sb);
	btf__free(b);
}

Test(kfeatures, debian_6_1_falls_back_and_says_how)
{
	struct btf *b = make_btf(false);
	const char *const roots[] = { root, NULL };
	struct kfeatures kf;
	struct strbuf sb;

	make_tracefs(false);
	kfeatures_probe(&kf, b, roots);
	cr_assert_not(kf.has[KF_VMA_WALK], "no mm_lock_seq: no lockless walk");
	cr_assert_not(kf.has[KF_EXEC_VMAS]);
	cr_assert(kf.has[KF_OOM_TRACEPOINT]);
	cr_assert_not(kf.has[KF_OOM_SIZES]);
	cr_assert_not(kf.has[KF_SYSCALLS]);
	cr_assert_eq(kf.missing_syscalls, 1ul << VMT_SYS_MSEAL);
	sb_init(&sb);
	kfeatures_missing_list(&kf, &sb);
	cr_assert_str_eq(sb.buf, "vma_walk, exec_vmas, oom_sizes, syscall_tracepoints");
	sb_reset(&sb);
	kfeatures_format(&kf, &sb);
	cr_assert(strstr(sb.buf, "exec_vmas            NO: an exec'd process's new address space "
				 "is read from /proc/PID/maps"),
		  "%s", sb.buf);
	cr_assert(strstr(sb.buf, "(missing: mseal)"), "%s", sb.buf);
	sb_reset(&sb);
	{
		struct jsonw w;

		jw_begin(&w, &sb);
		jw_obj(&w);
		kfeatures_write_json(&kf, &w);
		jw_obj_end(&w);
	}
	cr_assert(strstr(sb.buf, "{\"name\":\"exec_vmas\",\"present\":false,\"fallback\":"), "%s",
		  sb.buf);
	cr_assert(strstr(sb.buf, "\"missing_syscalls\":[\"mseal\"]"), "%s", sb.buf);
	sb_free(&sb);
	btf__free(b);
}

Test(kfeatures, an_unreadable_tracefs_is_unknown_not_missing)
{
	struct btf *b = make_btf(true);
	const char *const roots[] = { "/nonexistent", NULL };
	struct kfeatures kf;
	struct strbuf sb;

	kfeatures_probe(&kf, b, roots);
	cr_assert_not(kf.tracing_known);
	cr_assert(kf.has[KF_EXEC_VMAS], "BTF features are still known");
	sb_init(&sb);
	kfeatures_format(&kf, &sb);
	cr_assert(strstr(sb.buf, "syscall_tracepoints  unknown"), "%s", sb.buf);
	sb_free(&sb);
	btf__free(b);
}
