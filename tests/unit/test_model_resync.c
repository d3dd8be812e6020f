// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The model's resyncs: every trigger, and the mismatches that are no reason for one. */
#include "model_kernel.h"

TestSuite(model_resync, .init = setup, .fini = teardown);

/* ---- every resync trigger ----------------------------------------------------------------------
 */

Test(model_resync, count_mismatch_resyncs_and_a_match_does_not)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + P, RW), anon(A + P, A + 2 * P, RO));
	seed(k);
	CALL(k, VMT_SYS_MLOCKALL, 0, 3);
	cr_assert_eq(reseeds, 0);
	/* A merge that no range of the call shows (mlockall): only the count tells. */
	KSET(k, anon(A, A + 2 * P, RW));
	CALL(k, VMT_SYS_MUNLOCKALL, 0, 0);
	settle();
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(m->st.resyncs, 1);
	expect_model(k);
	CALL(k, VMT_SYS_MUNLOCKALL, 0, 0);
	cr_assert_eq(reseeds, 1);
}

/* r as it comes when bpf_find_vma() found mmap_lock taken: one resync, then the model matches. */
static void expect_resync_without_vmas(const struct kernel *k, struct vmt_syscall_rec *r)
{
	memset(r->vma, 0, sizeof(r->vma));
	apply(r, sizeof(*r));
	cr_assert_eq(reseeds, 1);
	expect_model(k);
}

/*
 * A thread's stack mapped just before a read of the kernel (the read of an exec's VMAs on 6.1,
 * for one): the read holds the VMAs, so the call's record is skipped, but not its MAP_STACK
 * mark, which before 6.7 only the call carries.
 */
Test(model_resync, a_thread_stack_mapped_before_a_read_is_still_one)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec r;
	struct model_proc *p;

	KSET(k, anon(B, B + 4 * P, RW));
	seed(k);
	/* glibc's allocate_stack: all PROT_NONE with MAP_STACK, then the stack above the guard. */
	KSET(k, anon(A, A + P, 0), anon(A + P, A + 64 * P, RW), anon(B, B + 4 * P, RW));
	r = sysrec(k, VMT_SYS_MMAP, A,
		   ARGS(0, 64 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK));
	model_resync(m, model_proc_get(m, TGID));
	cr_assert_eq(reseeds, 1);
	apply(&r, sizeof(r));
	p = expect_model(k);
	cr_assert_eq(p->count[VK_THREAD_STACK], 1, "the stack read from the kernel lost its mark");
	cr_assert_eq(p->count[VK_GUARD], 1);
	cr_assert_eq(p->count[VK_ANON], 1, "only the MAP_STACK range is marked");
}

/*
 * Before 6.7 the kernel merges a thread stack with the anonymous memory just above it (glibc's
 * first stack ends where ld.so's 12 KiB start): the read gives one VMA, larger than the
 * MAP_STACK call's range, and it is still the thread's stack.
 */
Test(model_resync, a_thread_stack_merged_with_its_neighbour_before_a_read_is_still_one)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec r;
	struct model_proc *p;

	KSET(k, anon(A + 64 * P, A + 67 * P, RW), anon(B, B + 4 * P, RW));
	seed(k);
	KSET(k, anon(A, A + 64 * P, 0), anon(A + 64 * P, A + 67 * P, RW), anon(B, B + 4 * P, RW));
	r = sysrec(k, VMT_SYS_MMAP, A,
		   ARGS(0, 64 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK));
	/* The stack above its guard made read-write: merged with the 12 KiB above. */
	KSET(k, anon(A, A + P, 0), anon(A + P, A + 67 * P, RW), anon(B, B + 4 * P, RW));
	model_resync(m, model_proc_get(m, TGID));
	apply(&r, sizeof(r));
	p = expect_model(k);
	cr_assert_eq(p->count[VK_THREAD_STACK], 1, "the merged stack lost its mark");
	cr_assert_eq(p->count[VK_GUARD], 1);
	cr_assert_eq(p->count[VK_ANON], 1, "the mapping far away is not a stack");
}

/* A read of the kernel keeps the thread stacks the model knew (the read cannot tell them before 6.7). */
Test(model_resync, a_resync_keeps_the_thread_stacks)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	KSET(k, anon(B, B + 4 * P, RW));
	seed(k);
	KSET(k, anon(A, A + 64 * P, 0), anon(B, B + 4 * P, RW));
	CALL(k, VMT_SYS_MMAP, A, 0, 64 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK);
	/* Not yet the stack above the guard: the kernel has both pieces already when it is read. */
	KSET(k, anon(A, A + P, 0), anon(A + P, A + 64 * P, RW), anon(B, B + 4 * P, RW));
	model_resync(m, model_proc_get(m, TGID));
	cr_assert_eq(reseeds, 1);
	p = expect_model(k);
	cr_assert_eq(p->count[VK_THREAD_STACK], 1, "the read lost the thread stack");
	cr_assert_eq(p->count[VK_GUARD], 1);
	cr_assert_eq(p->count[VK_ANON], 1);
}

Test(model_resync, mmap_whose_vma_lookup_failed_resyncs)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec r;

	seed(k);
	KSET(k, anon(A, A + P, RW));
	r = sysrec(k, VMT_SYS_MMAP, A,
		   ARGS(0, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS));
	expect_resync_without_vmas(k, &r);
}

Test(model_resync, mremap_whose_vma_lookup_failed_resyncs)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec r;

	KSET(k, anon(A, A + P, RW));
	seed(k);
	KSET(k, anon(B, B + 2 * P, RW));
	r = sysrec(k, VMT_SYS_MREMAP, B, ARGS(A, P, 2 * P, MREMAP_MAYMOVE_));
	expect_resync_without_vmas(k, &r);
}

Test(model_resync, shmat_whose_vma_lookup_failed_resyncs)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec r;

	seed(k);
	KSET(k, file(A, A + 4 * P, RW | VMT_VM_MAYSHARE, 12, 0));
	r = sysrec(k, VMT_SYS_SHMAT, A, ARGS(7));
	cr_assert(r.vma[0].valid);
	apply(&r, sizeof(r));
	expect_followed(k);
	KSET(k, file(A, A + 4 * P, RW | VMT_VM_MAYSHARE, 12, 0),
	     file(B, B + 4 * P, RW | VMT_VM_MAYSHARE, 13, 0));
	r = sysrec(k, VMT_SYS_SHMAT, B, ARGS(8));
	expect_resync_without_vmas(k, &r);
}

Test(model_resync, mremap_of_more_pieces_than_the_model_moves_resyncs)
{
	struct kernel *k = kernel_new(TGID);

	/* 20 pieces alternating read-write and read-only, moved at once (6.17+). */
	for (size_t i = 0; i < 20; i++)
		k->v[i] = anon(A + i * P, A + (i + 1) * P, i % 2 ? RO : RW);
	k->n = 20;
	seed(k);
	expect_model(k);
	for (size_t i = 0; i < 20; i++)
		k->v[i] = anon(B + i * P, B + (i + 1) * P, i % 2 ? RO : RW);
	CALL(k, VMT_SYS_MREMAP, B, A, 20 * P, 20 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, B);
	cr_assert_eq(reseeds, 1);
	expect_model(k);
}

Test(model_resync, first_call_of_an_unknown_process_reads_it)
{
	struct kernel *k = kernel_new(2000);

	KSET(k, anon(A, A + P, RW), anon(B, B + P, RO));
	CALL(k, VMT_SYS_MUNMAP, 0, A + 8 * P, P);
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(reseed_tgid, 2000);
	expect_model(k);
}

Test(model_resync, records_older_than_a_read_are_not_applied_again)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec old;

	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	/* A call that happened before the read below, delivered after it. */
	KSET(k, anon(A, A + P, RW), anon(A + 2 * P, A + 4 * P, RW));
	old = sysrec(k, VMT_SYS_MUNMAP, 0, ARGS(A + P, P));
	/* Since then the hole was mapped again (merged) and more: a mismatch reads the kernel. */
	KSET(k, anon(A, A + 4 * P, RW), anon(B, B + P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 1);
	settle();
	cr_assert_eq(reseeds, 1);
	expect_model(k);
	apply(&old, sizeof(old));
	expect_model(k);
	cr_assert_eq(reseeds, 1);
}

Test(model_resync, records_from_during_a_read_are_applied_but_not_judged)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec r;

	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	KSET(k, anon(A, A + 4 * P, RW), anon(B, B + P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 1);
	settle();
	cr_assert_eq(reseeds, 1);
	/* A call made while the kernel was read: maybe in the read already, so the count
	 * (here one that the model cannot reach) is not judged, but the call is applied. */
	KSET(k, anon(A, A + P, RW), anon(A + 2 * P, A + 4 * P, RW), anon(B, B + P, RW));
	r = sysrec(k, VMT_SYS_MUNMAP, 0, ARGS(A + P, P));
	r.hdr.ts_ns = reseed_ts;
	r.map_count = 7;
	apply(&r, sizeof(r));
	cr_assert_eq(reseeds, 1);
	expect_model(k);
	/* After the read, the same mismatch is judged. */
	r = sysrec(k, VMT_SYS_MUNMAP, 0, ARGS(A + P, P));
	r.map_count = 7;
	apply(&r, sizeof(r));
	settle();
	cr_assert_eq(reseeds, 2);
}

Test(model_resync, a_failed_read_is_counted)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + P, RW));
	seed(k);
	reseed_result = -EIO;
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 1);
	settle();
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(m->st.resync_failures, 1);
}

/*
 * A process whose records are read after it exited (trace -m of a short program): the read
 * finds it gone, and the model keeps what its records said, marked, counted, not read again.
 */
Test(model_resync, a_process_gone_keeps_its_model_and_is_not_read_again)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW));
	seed(k);
	reseed_result = -ESRCH;
	/* A count that no record explains: a resync, which finds nothing to read. */
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW), anon(C, C + P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 3);
	settle();
	cr_assert_eq(reseeds, 1);
	p = model_proc_get(m, TGID);
	cr_assert_not_null(p, "the process was forgotten");
	cr_assert(p->gone);
	cr_assert_eq(model_vma_count(p), 2, "the model lost the VMAs its records gave");
	cr_assert_eq(m->st.resyncs_gone, 1);
	cr_assert_eq(m->st.resync_failures, 0);
	/* Its next records apply; a mismatch does not read /proc again. */
	CALL(k, VMT_SYS_MMAP, C, 0, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	cr_assert_eq(model_vma_count(model_proc_get(m, TGID)), 3);
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW), anon(C, C + P, RW),
	     anon(C + 2 * P, C + 3 * P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 3);
	settle();
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(model_vma_count(model_proc_get(m, TGID)), 3);
	cr_assert_eq(m->st.resyncs_gone, 2);
	/* Quiet long enough, a gone process whose exit record never came is forgotten. */
	cr_assert_eq(model_forget_gone(m, now(), 3600 * 1000000000ull), 0);
	cr_assert_eq(model_forget_gone(m, now() + 10 * 1000000000ull, 1000000000ull), 1);
	cr_assert_null(model_proc_get(m, TGID));
}

Test(model_resync, exit_forgets_the_process)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_exit_rec r = { .hdr = { .type = VMT_REC_EXIT,
					   .flags = VMT_F_GROUP_DEAD,
					   .ts_ns = now(),
					   .tgid = TGID,
					   .tid = TGID } };

	KSET(k, anon(A, A + P, RW));
	seed(k);
	apply(&r, sizeof(r));
	cr_assert_null(model_proc_get(m, TGID));
	cr_assert_eq(m->st.procs_exited, 1);
}

Test(model_resync, two_threads_out_of_order_need_no_resync)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec first, second;

	KSET(k, anon(A, A + P, RW));
	seed(k);
	/* Thread 1 maps B, then thread 2 maps C; thread 2's record reaches us first. */
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW));
	first = sysrec(k, VMT_SYS_MMAP, B, ARGS(0, P, PROT_READ | PROT_WRITE, 0x22, -1, 0));
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW), anon(C, C + P, RW));
	second = sysrec(k, VMT_SYS_MMAP, C, ARGS(0, P, PROT_READ | PROT_WRITE, 0x22, -1, 0));
	apply(&second, sizeof(second)); /* the model has 2, the kernel said 3: held */
	apply(&first, sizeof(first));	/* now 3: the first record said 2, the held one 3 */
	cr_assert_eq(reseeds, 0, "a reorder the next record explains is no reason to resync");
	expect_model(k);
	model_tick(m, now() + 2 * MODEL_SUSPECT_NS);
	cr_assert_eq(reseeds, 0);
}

/*
 * The records' times are read at the reserve, after the map's count: a record of another CPU
 * can take a later time than one made after it. The mmap-lock sequence they carry is read
 * with the count, and orders them as the kernel changed the map.
 */
Test(model_resync, records_are_ordered_by_the_lock_sequence_not_their_time)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec first, second, stale;
	struct model_proc *p;

	KSET(k, anon(A, A + P, RW));
	seed(k);
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW));
	first = sysrec(k, VMT_SYS_MMAP, B, ARGS(0, P, PROT_READ | PROT_WRITE, 0x22, -1, 0));
	first.hdr.mm_seq = 2;
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW), anon(C, C + P, RW));
	second = sysrec(k, VMT_SYS_MMAP, C, ARGS(0, P, PROT_READ | PROT_WRITE, 0x22, -1, 0));
	second.hdr.mm_seq = 4;
	second.hdr.tid = TGID + 1;
	first.hdr.ts_ns = second.hdr.ts_ns + 1000; /* thread 1 reserved after thread 2 */
	apply(&second, sizeof(second));
	apply(&first, sizeof(first));
	cr_assert_eq(reseeds, 0);
	p = model_proc_get(m, TGID);
	cr_assert_eq(p->kernel_count, 3, "the newest count is the one of the later change");
	/* Another record made before the second change, reaching us last: its count is stale. */
	stale = sysrec(k, VMT_SYS_MADVISE, 0, ARGS(A, P, 4 /* MADV_DONTNEED */));
	stale.map_count = 2;
	stale.hdr.mm_seq = 2;
	stale.hdr.ts_ns = first.hdr.ts_ns + 1000;
	apply(&stale, sizeof(stale));
	model_tick(m, now() + 2 * MODEL_SUSPECT_NS);
	cr_assert_eq(reseeds, 0, "an overtaken record's count is no reason to resync");
	expect_model(k);
}

/*
 * With the lock sequence the first held count excuses nothing: a model one VMA short (of
 * something no record told) agrees with it once the next call adds a VMA, and stayed short.
 */
Test(model_resync, a_model_one_off_is_not_excused_by_the_held_count_after_a_call)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec first, second;

	KSET(k, anon(A, A + P, RW));
	seed(k);
	/* Something split the VMA at B behind the records' back. */
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW), anon(B + P, B + 2 * P, RO));
	first = sysrec(k, VMT_SYS_MMAP, B, ARGS(0, 2 * P, PROT_READ | PROT_WRITE, 0x22, -1, 0));
	first.vma[0] = anon(B, B + 2 * P, RW); /* the record does not tell */
	first.vma[1] = (struct vmt_vma){ 0 };
	first.hdr.mm_seq = 2;
	apply(&first, sizeof(first)); /* the model 2, the kernel 3: held */
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW), anon(B + P, B + 2 * P, RO),
	     anon(C, C + P, RW));
	second = sysrec(k, VMT_SYS_MMAP, C, ARGS(0, P, PROT_READ | PROT_WRITE, 0x22, -1, 0));
	second.hdr.mm_seq = 4;
	apply(&second, sizeof(second)); /* the model 3 = the held count, the kernel 4 */
	cr_assert_eq(reseeds, 0, "held for a while yet");
	model_tick(m, now() + 2 * MODEL_SUSPECT_NS);
	cr_assert_eq(reseeds, 1, "the model is off: read the kernel");
	expect_model(k);
}

Test(model_resync, a_thread_whose_records_keep_coming_late_needs_no_resync)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec late[8];
	const uint64_t base = A + 16 * P;

	KSET(k, anon(A, A + P, RW));
	seed(k);
	/*
	 * Threads 1 and 2 map a page each in turn; thread 1's records always come after
	 * thread 2's next one, so the kernel's count is one ahead of the model's at every
	 * record of thread 2 until the end.
	 */
	for (int i = 0; i < 8; i++) {
		uint64_t a = base + (uint64_t)(2 * i) * 2 * P, b = a + 2 * P;
		struct vmt_syscall_rec r;

		kernel_add(k, anon(a, a + P, RW));
		late[i] = sysrec(k, VMT_SYS_MMAP, (int64_t)a, ARGS(0, P, RW, 0x22, -1, 0));
		kernel_add(k, anon(b, b + P, RW));
		r = sysrec(k, VMT_SYS_MMAP, (int64_t)b, ARGS(0, P, RW, 0x22, -1, 0));
		r.hdr.tid = TGID + 1;
		apply(&r, sizeof(r));
		if (i)
			apply(&late[i - 1], sizeof(late[i - 1]));
	}
	apply(&late[7], sizeof(late[7]));
	cr_assert_eq(reseeds, 0, "a steady reorder is no reason to resync");
	expect_model(k);
	model_tick(m, now() + 2 * MODEL_SUSPECT_NS);
	cr_assert_eq(reseeds, 0);
}

Test(model_resync, a_mismatch_that_lasts_resyncs_at_a_later_record_or_the_tick)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_syscall_rec later;

	KSET(k, anon(A, A + P, RW));
	seed(k);
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 1); /* a VMA the model cannot know of: held */
	cr_assert_eq(reseeds, 0);
	CALL(k, VMT_SYS_MLOCKALL, 0, 1); /* other threads' records may still come: held */
	cr_assert_eq(reseeds, 0);
	/* Still unexplained MODEL_SUSPECT_NS later in the records' time: read the kernel. */
	later = sysrec(k, VMT_SYS_MLOCKALL, 0, ARGS(1));
	later.hdr.ts_ns += 2 * MODEL_SUSPECT_NS;
	apply(&later, sizeof(later));
	cr_assert_eq(reseeds, 1);
	expect_model(k);
	/* And when no record follows: model_tick() resolves it after MODEL_SUSPECT_NS. */
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RW), anon(C, C + P, RW));
	CALL(k, VMT_SYS_MLOCKALL, 0, 1);
	cr_assert_eq(reseeds, 1);
	model_tick(m, now() + 2 * MODEL_SUSPECT_NS);
	cr_assert_eq(reseeds, 2);
	expect_model(k);
}

Test(model_resync, a_failed_mremap_to_a_fixed_address_reads_the_kernel)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + P, RW), anon(B, B + 4 * P, RW));
	seed(k);
	/*
	 * Debian 12's 6.1 unmaps the target before it finds the source spanning a hole: the
	 * call fails with EFAULT, the target's tail is gone, the count is the same.
	 */
	KSET(k, anon(A, A + P, RW), anon(B, B + 2 * P, RW));
	CALL(k, VMT_SYS_MREMAP, -EFAULT, C, 2 * P, 2 * P, 3 /* MAYMOVE|FIXED */, B + 2 * P);
	cr_assert_eq(reseeds, 1);
	expect_model(k);
	/* Without MREMAP_FIXED a failed mremap changed nothing. */
	CALL(k, VMT_SYS_MREMAP, -EFAULT, C, 2 * P, 4 * P, 1 /* MAYMOVE */);
	cr_assert_eq(reseeds, 1);
}

/* Records of a process were dropped (the BPF side says which): it is read again, known or not. */
Test(model_resync, a_process_that_lost_records_is_read_again)
{
	struct kernel *k = kernel_new(TGID), *unknown = kernel_new(2001);

	KSET(k, anon(A, A + P, RW));
	seed(k);
	/* The kernel moved on; the records that said so were lost. */
	KSET(k, anon(A, A + P, RW), anon(B, B + P, RO));
	model_repair(m, TGID);
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(m->st.repairs, 1);
	expect_model(k);
	/* Its fork record was lost: the model learns of it from the read. */
	KSET(unknown, anon(B, B + 2 * P, RW));
	model_repair(m, 2001);
	cr_assert_eq(reseed_tgid, 2001);
	cr_assert_not_null(model_proc_get(m, 2001));
	cr_assert_eq(model_vma_count(model_proc_get(m, 2001)), 1);
	cr_assert_eq(m->st.repairs, 2);
}

/* An exec's VMA records stop coming and the process goes quiet: it is read after a while. */
Test(model_resync, an_exec_whose_vma_records_were_cut_is_read_after_a_while)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_exec_rec e = {
		.hdr = { .type = VMT_REC_EXEC, .ts_ns = now(), .tgid = TGID, .tid = TGID },
		.map_count = 3,
		.nvmas = 3
	};
	struct vmt_vma_rec v = { .hdr = e.hdr, .index = 0 };

	KSET(k, anon(A, A + P, RW), anon(B, B + P, RO), anon(C, C + P, RW));
	v.hdr.type = VMT_REC_VMA;
	v.vma = k->v[0];
	apply(&e, sizeof(e));
	apply(&v, sizeof(v));
	cr_assert(model_proc_get(m, TGID)->exec_pending);
	model_tick(m, e.hdr.ts_ns + MODEL_EXEC_WAIT_NS / 2);
	cr_assert_eq(reseeds, 0, "read before the wait was over");
	model_tick(m, e.hdr.ts_ns + 2 * MODEL_EXEC_WAIT_NS);
	cr_assert_eq(reseeds, 1, "an exec cut short kept the process unread");
	cr_assert(!model_proc_get(m, TGID)->exec_pending);
	expect_model(k);
}
