// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The model's output (maps, census, timeline through a resolver) and the /proc fallback's parsers. */
#include "model_kernel.h"

TestSuite(model_output, .init = setup, .fini = teardown);

/* ---- output ------------------------------------------------------------------------------------
 */

static int fake_file_path(void *ctx, uint32_t tgid, uint64_t start, uint64_t end, char *buf,
			  size_t size)
{
	(void)ctx;
	(void)end;
	cr_assert_eq(tgid, TGID);
	return snprintf(buf, size, "/usr/lib/lib%llx.so", (unsigned long long)(start >> 12 & 0xf));
}

static size_t fake_special_names(void *ctx, uint32_t tgid, struct model_special_name **out)
{
	struct model_special_name *v = calloc(1, sizeof(*v));

	(void)ctx;
	(void)tgid;
	v->start = B;
	snprintf(v->name, sizeof(v->name), "[vdso]");
	*out = v;
	return 1;
}

Test(model_output, maps_names_come_from_the_resolver)
{
	const struct model_resolver res = { .file_path = fake_file_path,
					    .special_names = fake_special_names };
	struct kernel *k = kernel_new(TGID);
	struct strbuf sb;

	k->start_brk = S;
	k->brk = S + P;
	KSET(k, anon(S, S + P, RW), file(A + P, A + 2 * P, RO | VMT_VM_EXEC, 0x1234, 2),
	     anon(B, B + 2 * P, RO | VMT_VM_EXEC | VMT_VM_DONTEXPAND),
	     anon(0x7ffc00000000ull, 0x7ffc00021000ull, RW | VMT_VM_GROWSDOWN));
	seed(k);
	sb_init(&sb);
	model_format_maps(m, model_proc_get(m, TGID), &res, &sb);
	/* The kernel's layout: the name starts in column 74. */
	cr_assert_str_eq(sb.buf,
			 "555555559000-55555555a000 rw-p 00000000 00:00 0                          "
			 "[heap]\n"
			 "7f0000001000-7f0000002000 r-xp 00002000 08:01 4660                       "
			 "/usr/lib/lib1.so\n"
			 "7f1000000000-7f1000002000 r-xp 00000000 00:00 0                          "
			 "[vdso]\n"
			 "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          "
			 "[stack]\n");
	/* Without a resolver: what the model knows itself. */
	sb_reset(&sb);
	model_format_maps(m, model_proc_get(m, TGID), NULL, &sb);
	cr_assert(strstr(sb.buf, "[heap]") && strstr(sb.buf, "[stack]"));
	cr_assert_null(strstr(sb.buf, "[vdso]"));
	sb_free(&sb);
}

Test(model_output, census_json_members_and_heap_sizes)
{
	struct kernel *k = kernel_new(TGID);
	struct strbuf sb;
	json_t *j, *kinds;
	long long v;

	k->start_brk = S;
	k->brk = S + 3 * P;
	KSET(k, anon(S, S + 3 * P, RW), anon(A, A + P, RW), anon(A + 2 * P, A + 3 * P, 0));
	seed(k);
	k->brk = S + P;
	KSET(k, anon(S, S + P, RW), anon(A, A + P, RW), anon(A + 2 * P, A + 3 * P, 0));
	CALL(k, VMT_SYS_BRK, S + P, S + P);
	sb_init(&sb);
	model_format_census(m, model_proc_get(m, TGID), &sb, true);
	cr_assert_eq(sb.buf[sb.len - 1], '\n');
	j = jr_parse(sb.buf, sb.len);
	cr_assert(j, "not JSON: %s", sb.buf);
	cr_assert(jr_int(j, "pid", &v) && v == TGID);
	cr_assert_str_eq(jr_str(j, "comm"), "test");
	cr_assert(jr_int(j, "vmas", &v) && v == 3);
	cr_assert(jr_int(j, "mapped", &v) && v == 3 * P);
	cr_assert(jr_int(j, "heap_size", &v) && v == P);
	cr_assert(jr_int(j, "heap_hwm", &v) && v == 3 * P);
	cr_assert(jr_int(j, "anon_4k_fragments", &v) && v == 1);
	cr_assert_str_eq(jr_str(j, "start_brk"), "0x555555559000");
	kinds = json_object_get(j, "kinds");
	cr_assert(json_object_size(kinds) == VK__COUNT);
	cr_assert(jr_int(json_object_get(kinds, "guard"), "count", &v) && v == 1);
	cr_assert(jr_int(json_object_get(json_object_get(kinds, "heap"), "sizes"), "4KiB", &v) &&
		  v == 1);
	json_decref(j);
	sb_reset(&sb);
	model_format_census(m, model_proc_get(m, TGID), &sb, false);
	cr_assert(strstr(sb.buf, "census of test[1000]: 3 VMAs, 12KiB mapped\n"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "heap: 4KiB (high-water 12KiB)\n"), "%s", sb.buf);
	sb_free(&sb);
}

Test(model_output, timeline_json_lines)
{
	struct kernel *k = kernel_new(TGID);
	struct strbuf sb;
	json_t *j;
	long long v;

	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	KSET(k, anon(A, A + P, RW), anon(A + 2 * P, A + 4 * P, RW));
	CALL(k, VMT_SYS_MUNMAP, 0, A + P, P);
	sb_init(&sb);
	model_format_timeline(m, model_proc_get(m, TGID), &sb, true, 0, 0);
	j = jr_parse(sb.buf, sb.len);
	cr_assert(j, "not one JSON line: %s", sb.buf);
	cr_assert(jr_int(j, "vmas", &v) && v == 2);
	cr_assert(jr_int(j, "vmas_max", &v) && v == 2);
	cr_assert(jr_int(j, "mapped", &v) && v == 3 * P);
	cr_assert(jr_int(j, "calls", &v) && v == 1);
	cr_assert(jr_int(j, "failures", &v) && v == 0);
	cr_assert(jr_int(j, "heap", &v) && v == 0);
	cr_assert(jr_int(j, "ts", &v));
	json_decref(j);
	sb_free(&sb);
}

Test(model_output, defaults_are_the_configs)
{
	cr_assert_eq(m->cfg.timeline_resolution_ns, MODEL_DEFAULT_TIMELINE_RESOLUTION_NS);
	cr_assert_eq(m->cfg.timeline_points, MODEL_DEFAULT_TIMELINE_POINTS);
	cr_assert_eq(m->cfg.flight_events, MODEL_DEFAULT_FLIGHT_EVENTS);
	cr_assert_eq(m->cfg.memory_limit, MODEL_DEFAULT_MEMORY_LIMIT);
}

/* ---- the /proc fallback ------------------------------------------------------------------------
 */

Test(procfs, stat_start_brk_is_field_47_after_a_comm_with_parentheses)
{
	/* A real line (man 5 proc): 45 start_data, 46 end_data, 47 start_brk, 48 arg_start. */
	static const char line[] =
		"4242 (a (b) c) S 1 4242 4242 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0 1234 "
		"8765440 512 18446744073709551615 94798951002112 94798951014313 "
		"140725721923072 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94798951026096 "
		"94798951026712 94799657750528 140725721925610 140725721925825 "
		"140725721925825 140725721927631 0\n";
	uint64_t start_brk = 0;

	cr_assert_eq(procfs_parse_stat(line, &start_brk), 0);
	cr_assert_eq(start_brk, 94799657750528ull);
	cr_assert_eq(procfs_parse_stat("4242 (x) S 1 2 3\n", &start_brk), -EINVAL);
	cr_assert_eq(procfs_parse_stat("garbage", &start_brk), -EINVAL);
}

Test(procfs, smaps_gives_the_iterators_vm_flags)
{
	static const char text[] =
		"555555554000-555555556000 r-xp 00001000 08:01 131 /usr/bin/x\n"
		"Size:                  8 kB\n"
		"VmFlags: rd ex mr mw me dw sd\n"
		"555555559000-55555557a000 rw-p 00000000 00:00 0                          [heap]\n"
		"VmFlags: rd wr mr mw me ac sd\n"
		"7ffff7fc1000-7ffff7fc5000 r--p 00000000 00:00 0                          [vvar]\n"
		"VmFlags: rd mr pf io de dd sd\n"
		"7ffff7ff0000-7ffff7ff1000 rw-s 00000000 00:05 99 /dev/zero (deleted)\n"
		"VmFlags: rd wr sh mr mw me ms sd\n"
		"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
		"VmFlags: rd wr mr mw me gd ac nh\n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
		"VmFlags: ex\n";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	struct vmt_vma *v;
	uint64_t heap_end;
	long n;

	cr_assert(f);
	n = procfs_parse_smaps(f, &v, &heap_end);
	fclose(f);
	cr_assert_eq(n, 5);
	cr_assert_eq(heap_end, 0x55555557a000ull);
	cr_assert_eq(v[0].vm_flags, VMT_VM_READ | VMT_VM_EXEC);
	cr_assert_eq(v[0].pgoff, 1);
	cr_assert_eq(v[0].ino, 131);
	cr_assert_eq(v[0].dev, 8u << 20 | 1);
	cr_assert_eq(v[1].vm_flags, RW);
	cr_assert_eq(v[2].vm_flags, RO | VMT_VM_PFNMAP | VMT_VM_IO | VMT_VM_DONTEXPAND);
	cr_assert_eq(v[3].vm_flags, RW | VMT_VM_MAYSHARE);
	cr_assert_eq(v[4].vm_flags, RW | VMT_VM_GROWSDOWN | VMT_VM_NOHUGEPAGE);
	for (long i = 0; i < n; i++)
		cr_assert(v[i].valid);
	free(v);
}

struct rec_count {
	struct vmt_iter_rec first;
	uint32_t recs;
	struct model_seeder seeder;
};

static int count_recs(void *ctx, const struct vmt_iter_rec *r)
{
	struct rec_count *c = ctx;

	if (!c->recs++)
		c->first = *r;
	else
		cr_assert_eq(r->kind, VMT_ITER_VMA);
	cr_assert_eq(r->tgid, c->first.tgid);
	return c->seeder.m ? model_seed_iter(&c->seeder, r) : 0;
}

Test(procfs, seeding_this_process_feeds_the_model_the_iterators_records)
{
	struct rec_count c = { .seeder = { .m = model_new(NULL) } };
	struct model_proc *p;
	uint64_t brk;
	char msg[256];

	cr_assert_eq(procfs_seed(getpid(), count_recs, &c), 0);
	model_seeder_end(&c.seeder);
	brk = (uint64_t)sbrk(0);
	cr_assert_eq(c.first.kind, VMT_ITER_PROC);
	cr_assert_eq(c.first.tgid, (uint32_t)getpid());
	cr_assert_eq(c.recs, c.first.map_count + 1, "one PROC, then map_count VMA records");
	p = model_proc_get(c.seeder.m, getpid());
	cr_assert(p);
	cr_assert_eq(vmamap_check(p->map, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(model_vma_count(p), c.first.map_count);
	cr_assert_neq(p->start_brk, 0);
	/* The break, not arg_start (field 48): the [heap] VMA's end, or start_brk without one. */
	cr_assert(p->brk == p->start_brk || p->brk == ((brk + P - 1) & ~(P - 1)),
		  "brk %#llx, sbrk(0) %#llx", (unsigned long long)p->brk, (unsigned long long)brk);
	cr_assert_lt(model_heap_hwm(p), 1ull << 40);
	cr_assert_eq(p->count[VK_STACK], 1);
	cr_assert_eq(procfs_seed(0x7ffffffe, count_recs, &c), -ENOENT);
	model_free(c.seeder.m);
}
