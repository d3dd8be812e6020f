// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The model (src/model*.c) fed synthetic records: splits and merges, mremap, brk, ENOMEM part way, exec, fork. */
#include "model_kernel.h"

TestSuite(model, .init = setup, .fini = teardown);

/* ---- splits and merges ----------------------------------------------------------------------- */

Test(model, munmap_in_the_middle_of_a_file_vma_splits_it)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, file(A, A + 4 * P, RO, 77, 10));
	seed(k);
	KSET(k, file(A, A + P, RO, 77, 10), file(A + 2 * P, A + 4 * P, RO, 77, 12));
	CALL(k, VMT_SYS_MUNMAP, 0, A + P, P);
	expect_followed(k);
}

Test(model, mprotect_in_the_middle_splits_in_three_and_back_merges)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	KSET(k, anon(A, A + P, RW), anon(A + P, A + 2 * P, RO), anon(A + 2 * P, A + 4 * P, RW));
	CALL(k, VMT_SYS_MPROTECT, 0, A + P, P, PROT_READ);
	p = expect_model(k);
	cr_assert_eq(p->count[VK_ANON], 3);
	/* Back to read-write: the kernel merges the three again. */
	KSET(k, anon(A, A + 4 * P, RW));
	CALL(k, VMT_SYS_MPROTECT, 0, A + P, P, PROT_READ | PROT_WRITE);
	expect_followed(k);
}

Test(model, mmap_next_to_a_vma_that_the_kernel_merged)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 2 * P, RW));
	seed(k);
	/* Top-down placement just below: one VMA [A - 2P, A + 2P). */
	KSET(k, anon(A - 2 * P, A + 2 * P, RW));
	CALL(k, VMT_SYS_MMAP, A - 2 * P, 0, 2 * P, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS);
	expect_model(k);
	/* Just above, MAP_FIXED: merged again. */
	KSET(k, anon(A - 2 * P, A + 4 * P, RW));
	CALL(k, VMT_SYS_MMAP, A + 2 * P, A + 2 * P, 2 * P, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	expect_model(k);
	/* MAP_FIXED read-only over the middle: three pieces. */
	KSET(k, anon(A - 2 * P, A, RW), anon(A, A + P, RO), anon(A + P, A + 4 * P, RW));
	CALL(k, VMT_SYS_MMAP, A, A, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	expect_followed(k);
}

/*
 * The shortcuts of range unmaps and of the kernel's view (model_vma.c): a new mapping merged
 * onto the one below it (same start: replaced in place), its tail unmapped again (the end
 * moves), a whole mapping unmapped, and a mapping where nothing was.
 */
Test(model, merged_mmap_then_its_tail_unmapped_then_the_whole_vma)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + P, RW), anon(A + 4 * P, A + 6 * P, RO));
	seed(k);
	KSET(k, anon(A, A + 3 * P, RW), anon(A + 4 * P, A + 6 * P, RO));
	CALL(k, VMT_SYS_MMAP, A + P, A + P, 2 * P, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	expect_followed(k);
	KSET(k, anon(A, A + 2 * P, RW), anon(A + 4 * P, A + 6 * P, RO));
	CALL(k, VMT_SYS_MUNMAP, 0, A + 2 * P, P);
	expect_followed(k);
	KSET(k, anon(A + 4 * P, A + 6 * P, RO));
	CALL(k, VMT_SYS_MUNMAP, 0, A, 2 * P);
	expect_followed(k);
	KSET(k, anon(A, A + P, RO), anon(A + 4 * P, A + 6 * P, RO));
	CALL(k, VMT_SYS_MMAP, A, 0, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
	expect_followed(k);
	/* Over a hole and the head of a mapping: the split-and-walk way. */
	KSET(k, anon(A, A + P, RO), anon(A + 5 * P, A + 6 * P, RO));
	CALL(k, VMT_SYS_MUNMAP, 0, A + P, 4 * P);
	expect_followed(k);
}

/* Top-down placement: the new page merges onto the mapping above it, and its munmap cuts the head. */
Test(model, mmap_merged_below_a_mapping_then_its_head_unmapped)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A - 8 * P, A - 7 * P, RO), anon(A, A + 2 * P, RW),
	     file(B, B + 4 * P, RO, 5, 0));
	seed(k);
	for (int i = 0; i < 3; i++) {
		KSET(k, anon(A - 8 * P, A - 7 * P, RO), anon(A - P, A + 2 * P, RW),
		     file(B, B + 4 * P, RO, 5, 0));
		CALL(k, VMT_SYS_MMAP, A - P, 0, P, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS);
		expect_followed(k);
		KSET(k, anon(A - 8 * P, A - 7 * P, RO), anon(A, A + 2 * P, RW),
		     file(B, B + 4 * P, RO, 5, 0));
		CALL(k, VMT_SYS_MUNMAP, 0, A - P, P);
		expect_followed(k);
	}
	/* A file mapping's head: its offset moves with its start. */
	KSET(k, anon(A - 8 * P, A - 7 * P, RO), anon(A, A + 2 * P, RW),
	     file(B + P, B + 4 * P, RO, 5, 1));
	CALL(k, VMT_SYS_MUNMAP, 0, B, P);
	expect_followed(k);
}

/* A thread stack as glibc maps one with MAP_STACK (read-write), at A. */
static struct kernel *thread_stack_mapped(void)
{
	struct kernel *k = kernel_new(TGID);

	seed(k);
	KSET(k, anon(A, A + 64 * P, RW));
	CALL(k, VMT_SYS_MMAP, A, 0, 64 * P, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK);
	return k;
}

/* The kernel's view of one mapping changed whole (same start and end): its kind is kept. */
Test(model, a_thread_stack_changed_whole_stays_a_thread_stack)
{
	struct kernel *k = thread_stack_mapped();
	struct model_proc *p;

	KSET(k, anon(A, A + 64 * P, RO));
	CALL(k, VMT_SYS_MPROTECT, 0, A, 64 * P, PROT_READ);
	KSET(k, anon(A, A + 64 * P, RW));
	CALL(k, VMT_SYS_MPROTECT, 0, A, 64 * P, PROT_READ | PROT_WRITE);
	p = expect_model(k);
	cr_assert_eq(p->count[VK_THREAD_STACK], 1, "the stack lost its kind");
	cr_assert_eq(reseeds, 0);
}

Test(model, mmap_stack_marks_a_thread_stack)
{
	struct kernel *k = thread_stack_mapped();
	struct model_proc *p;

	p = expect_model(k);
	cr_assert_eq(p->count[VK_THREAD_STACK], 1);
}

/*
 * Before Linux 6.7 MAP_STACK leaves no mark in vm_flags: the kernel's view of the stack that
 * glibc's mprotect of its guard page hands over must not make it plain anonymous memory.
 */
Test(model, thread_stack_stays_one_after_its_guard_on_kernels_without_the_mark)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	/* glibc's allocate_stack: all PROT_NONE with MAP_STACK, then the stack above the guard RW. */
	seed(k);
	KSET(k, anon(A, A + 64 * P, 0));
	CALL(k, VMT_SYS_MMAP, A, 0, 64 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK);
	KSET(k, anon(A, A + P, 0), anon(A + P, A + 64 * P, RW));
	CALL(k, VMT_SYS_MPROTECT, 0, A + P, 63 * P, PROT_READ | PROT_WRITE);
	p = expect_model(k);
	cr_assert_eq(p->count[VK_THREAD_STACK], 1, "the stack lost its kind");
	cr_assert_eq(p->count[VK_GUARD], 1);
}

/*
 * The main stack grows on page faults, which no syscall reports: each record's stack size
 * (mm->stack_vm) moves its start. The size is looked at only when it changes, so: growth seen
 * after records of the same size, a split of the stack (two grows-down VMAs) and its merge,
 * and growth again after them.
 */
#define ST 0x7ffd00000000ull /* the main stack's end */
Test(model, main_stack_follows_the_records_stack_size)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	KSET(k, anon(A, A + P, RW), anon(ST - 4 * P, ST, RW | VMT_VM_GROWSDOWN));
	seed(k);
	for (int i = 0; i < 2; i++) {
		KSET(k, anon(A, A + 2 * P, RW), anon(ST - 4 * P, ST, RW | VMT_VM_GROWSDOWN));
		CALL(k, VMT_SYS_MMAP, A + P, A + P, P, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
		expect_followed(k);
		KSET(k, anon(A, A + P, RW), anon(ST - 4 * P, ST, RW | VMT_VM_GROWSDOWN));
		CALL(k, VMT_SYS_MUNMAP, 0, A + P, P);
		expect_followed(k);
	}
	/* Faults took it down by two pages; the next record says so. */
	KSET(k, anon(A, A + 2 * P, RW), anon(ST - 6 * P, ST, RW | VMT_VM_GROWSDOWN));
	CALL(k, VMT_SYS_MMAP, A + P, A + P, P, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	expect_followed(k);
	p = model_proc_get(m, TGID);
	/* A page in the middle read-only and back: split in three, merged again. */
	KSET(k, anon(A, A + 2 * P, RW), anon(ST - 6 * P, ST - 3 * P, RW | VMT_VM_GROWSDOWN),
	     anon(ST - 3 * P, ST - 2 * P, RO | VMT_VM_GROWSDOWN),
	     anon(ST - 2 * P, ST, RW | VMT_VM_GROWSDOWN));
	CALL(k, VMT_SYS_MPROTECT, 0, ST - 3 * P, P, PROT_READ);
	expect_followed(k);
	KSET(k, anon(A, A + 2 * P, RW), anon(ST - 6 * P, ST, RW | VMT_VM_GROWSDOWN));
	CALL(k, VMT_SYS_MPROTECT, 0, ST - 3 * P, P, PROT_READ | PROT_WRITE);
	expect_followed(k);
	/* And down again by faults, by one page. */
	KSET(k, anon(A, A + P, RW), anon(ST - 7 * P, ST, RW | VMT_VM_GROWSDOWN));
	CALL(k, VMT_SYS_MUNMAP, 0, A + P, P);
	expect_followed(k);
	p = model_proc_get(m, TGID);
	cr_assert_eq(p->count[VK_STACK], 1);
}

Test(model, main_stack_grown_by_faults_keeps_its_offset_in_step)
{
	struct kernel *k = kernel_new(TGID);
	struct vmt_vma stack = anon(ST - 4 * P, ST, RW | VMT_VM_GROWSDOWN);
	struct model_proc *p;
	struct vma_entry *e;

	stack.pgoff = (ST - 4 * P) / P; /* an anonymous VMA's offset is its address in pages */
	KSET(k, anon(A, A + P, RW), stack);
	seed(k);
	/* Faults took it down by two pages: the kernel's vm_pgoff went down with its start. */
	stack.start -= 2 * P;
	stack.pgoff -= 2;
	KSET(k, anon(A, A + 2 * P, RW), stack);
	CALL(k, VMT_SYS_MMAP, A + P, A + P, P, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	p = expect_model(k);
	e = vmamap_find(p->map, ST - P);
	cr_assert(e);
	cr_assert_eq(e->start, ST - 6 * P);
	cr_assert_eq(e->pgoff, (ST - 6 * P) / P, "pgoff %#llx", (unsigned long long)e->pgoff);
}

/* ---- mremap ------------------------------------------------------------------------------------
 */

Test(model, mremap_grows_in_place)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 2 * P, RW));
	seed(k);
	KSET(k, anon(A, A + 4 * P, RW));
	CALL(k, VMT_SYS_MREMAP, A, A, 2 * P, 4 * P, 0);
	expect_followed(k);
}

Test(model, mremap_shrinks_across_pieces)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 2 * P, RW), anon(A + 2 * P, A + 4 * P, RO));
	seed(k);
	KSET(k, anon(A, A + P, RW));
	CALL(k, VMT_SYS_MREMAP, A, A, 4 * P, P, 0);
	expect_followed(k);
}

Test(model, mremap_fixed_moves_every_piece)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, file(A, A + 2 * P, RW, 5, 0), file(A + 2 * P, A + 4 * P, RO, 5, 2));
	seed(k);
	KSET(k, file(B, B + 2 * P, RW, 5, 0), file(B + 2 * P, B + 4 * P, RO, 5, 2));
	CALL(k, VMT_SYS_MREMAP, B, A, 4 * P, 4 * P, MREMAP_MAYMOVE_ | MREMAP_FIXED_, B);
	expect_followed(k);
}

Test(model, mremap_maymove_grows_elsewhere_when_blocked)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 2 * P, RW), anon(A + 2 * P, A + 3 * P, RO));
	seed(k);
	KSET(k, anon(A + 2 * P, A + 3 * P, RO), anon(B, B + 4 * P, RW));
	CALL(k, VMT_SYS_MREMAP, B, A, 2 * P, 4 * P, MREMAP_MAYMOVE_);
	expect_followed(k);
}

/* ---- brk ---------------------------------------------------------------------------------------
 */

Test(model, brk_up_and_down_heap_size_and_high_water)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	KSET(k, file(S - 4 * P, S - P, RW, 9, 0));
	k->start_brk = k->brk = S;
	seed(k);
	p = model_proc_get(m, TGID);
	cr_assert_eq(model_heap_size(p), 0);
	cr_assert_eq(model_heap_hwm(p), 0);

	k->brk = S + 3 * P;
	KSET(k, file(S - 4 * P, S - P, RW, 9, 0), anon(S, S + 3 * P, RW));
	CALL(k, VMT_SYS_BRK, S + 3 * P, S + 3 * P);
	p = expect_model(k);
	cr_assert_eq(model_heap_size(p), 3 * P);
	cr_assert_eq(model_heap_hwm(p), 3 * P);
	cr_assert_eq(p->count[VK_HEAP], 1);
	cr_assert_eq(p->bytes[VK_HEAP], 3 * P);

	/* Down to a break inside a page: the VMA ends at the next page. */
	k->brk = S + P + 100;
	KSET(k, file(S - 4 * P, S - P, RW, 9, 0), anon(S, S + 2 * P, RW));
	CALL(k, VMT_SYS_BRK, S + P + 100, S + P + 100);
	p = expect_model(k);
	cr_assert_eq(model_heap_size(p), P + 100);
	cr_assert_eq(model_heap_hwm(p), 3 * P);

	k->brk = S;
	KSET(k, file(S - 4 * P, S - P, RW, 9, 0));
	CALL(k, VMT_SYS_BRK, S, S);
	p = expect_model(k);
	cr_assert_eq(model_heap_size(p), 0);
	cr_assert_eq(model_heap_hwm(p), 3 * P);
	cr_assert_eq(p->count[VK_HEAP], 0);
	cr_assert_eq(reseeds, 0);
}

Test(model, heap_high_water_is_a_size_never_an_address)
{
	struct kernel *k = kernel_new(TGID);
	struct model_proc *p;

	k->start_brk = S;
	k->brk = S + 8 * P;
	KSET(k, anon(S, S + 8 * P, RW));
	seed(k);
	k->brk = S + 2 * P;
	KSET(k, anon(S, S + 2 * P, RW));
	CALL(k, VMT_SYS_BRK, S + 2 * P, S + 2 * P);
	/* A read of the same heap keeps its high-water. */
	seed(k);
	p = expect_model(k);
	cr_assert_eq(model_heap_hwm(p), 8 * P);
	/* A read that cannot see the break (0: no permission): no heap, no address as a size. */
	k->start_brk = k->brk = 0;
	seed(k);
	p = model_proc_get(m, TGID);
	cr_assert_eq(model_heap_size(p), 0);
	cr_assert_eq(model_heap_hwm(p), 0);
	/* A record with a break but no start_brk gives no size either. */
	p->brk = p->brk_hwm = S + P;
	cr_assert_eq(model_heap_size(p), 0);
	cr_assert_eq(model_heap_hwm(p), 0);
}

/* ---- ENOMEM part way ----------------------------------------------------------------------------
 */

Test(model, mprotect_enomem_changed_the_range_up_to_the_hole)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 3 * P, RW), anon(A + 4 * P, A + 5 * P, RW));
	seed(k);
	/* [A + P, A + 5P) has a hole at A + 3P: the kernel changed [A + P, A + 3P) only. */
	KSET(k, anon(A, A + P, RW), anon(A + P, A + 3 * P, RO), anon(A + 4 * P, A + 5 * P, RW));
	CALL(k, VMT_SYS_MPROTECT, -ENOMEM, A + P, 4 * P, PROT_READ);
	expect_followed(k);
}

Test(model, munmap_enomem_changed_nothing)
{
	struct kernel *k = kernel_new(TGID);

	/* At vm.max_map_count a split is refused: the VMA stays whole. */
	KSET(k, anon(A, A + 4 * P, RW));
	seed(k);
	CALL(k, VMT_SYS_MUNMAP, -ENOMEM, A + P, P);
	expect_followed(k);
}

/* ---- failed part way, merged inside ----------------------------------------------------------- */

/* A shared mapping just above a private one, the kernel's VMAs after madvise of both. */
#define SHARED (RW | VMT_VM_MAYSHARE)

Test(model, madvise_failing_at_a_later_vma_split_the_first_one)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 4 * P, RW), anon(A + 4 * P, A + 6 * P, SHARED));
	seed(k);
	/*
	 * MADV_WIPEONFORK over both: the kernel splits the private VMA at the range's start and
	 * marks its part, then refuses the shared one (EINVAL). The count went up by one.
	 */
	KSET(k, anon(A, A + P, RW), anon(A + P, A + 4 * P, RW), anon(A + 4 * P, A + 6 * P, SHARED));
	CALL(k, VMT_SYS_MADVISE, -EINVAL, A + P, 4 * P, MADV_WIPEONFORK);
	expect_followed(k);
}

Test(model, madvise_failing_inside_one_vma_changed_nothing)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + 4 * P, SHARED));
	seed(k);
	CALL(k, VMT_SYS_MADVISE, -EINVAL, A + P, 2 * P, MADV_WIPEONFORK);
	expect_followed(k);
}

Test(model, a_failed_call_across_vmas_that_the_record_cannot_explain_reads_the_kernel)
{
	struct kernel *k = kernel_new(TGID);

	KSET(k, anon(A, A + P, RW), anon(A + P, A + 3 * P, RO), anon(A + 3 * P, A + 4 * P, RW),
	     anon(A + 4 * P, A + 5 * P, SHARED));
	seed(k);
	/*
	 * A call over all four fails part way and the kernel's count is one up, by a change
	 * between the VMAs at the range's ends (all the record carries): read at once, not held
	 * as a suspicion of records out of order.
	 */
	KSET(k, anon(A, A + P, RW), anon(A + P, A + 2 * P, RO), anon(A + 2 * P, A + 3 * P, RO),
	     anon(A + 3 * P, A + 4 * P, RW), anon(A + 4 * P, A + 5 * P, SHARED));
	CALL(k, VMT_SYS_MLOCK, -EAGAIN, A, 5 * P);
	cr_assert_eq(reseeds, 1, "a count the record cannot explain is read at once");
	expect_model(k);
}

Test(model, mprotect_over_a_row_whose_middle_merged_reads_the_kernel_at_once)
{
	struct kernel *k = kernel_new(TGID);

	/* Two pieces of one shared file mapping between two private anonymous ones. */
	KSET(k, anon(A, A + P, RW), file(A + P, A + 2 * P, RO | VMT_VM_MAYSHARE, 77, 0),
	     file(A + 2 * P, A + 3 * P, RW | VMT_VM_MAYSHARE, 77, 1),
	     anon(A + 3 * P, A + 4 * P, RO));
	seed(k);
	/*
	 * All read-only: the file's pieces become one VMA, which neither of the record's two
	 * lookups (at the range's ends) sees. Alike as they look, the model cannot know that the
	 * kernel merged them (it weighs what the model does not have): the count tells at once.
	 */
	KSET(k, anon(A, A + P, RO), file(A + P, A + 3 * P, RO | VMT_VM_MAYSHARE, 77, 0),
	     anon(A + 3 * P, A + 4 * P, RO));
	CALL(k, VMT_SYS_MPROTECT, 0, A, 4 * P, PROT_READ);
	cr_assert_eq(reseeds, 1, "read at once, not held as a suspicion of records out of order");
	expect_model(k);
	/* Over the same row again, nothing merging: followed. */
	KSET(k, anon(A, A + P, RW), file(A + P, A + 3 * P, RW | VMT_VM_MAYSHARE, 77, 0),
	     anon(A + 3 * P, A + 4 * P, RW));
	CALL(k, VMT_SYS_MPROTECT, 0, A, 4 * P, PROT_READ | PROT_WRITE);
	cr_assert_eq(reseeds, 1);
	expect_model(k);
}

/* ---- exec --------------------------------------------------------------------------------------
 */

static void exec_rec(struct kernel *k, uint32_t nvmas)
{
	struct vmt_exec_rec r = {
		.hdr = { .type = VMT_REC_EXEC, .ts_ns = now(), .tgid = k->tgid, .tid = k->tgid },
		.map_count = k->n,
		.start_brk = k->start_brk,
		.brk = k->brk,
		.nvmas = nvmas,
		.memcg_id = 77
	};

	snprintf(r.hdr.comm, sizeof(r.hdr.comm), "newimage");
	apply(&r, sizeof(r));
}

static void vma_rec(const struct kernel *k, uint32_t index)
{
	struct vmt_vma_rec r = {
		.hdr = { .type = VMT_REC_VMA, .ts_ns = now(), .tgid = k->tgid, .tid = k->tgid },
		.index = index,
		.vma = k->v[index]
	};

	apply(&r, sizeof(r));
}

static struct kernel *exec_setup(void)
{
	struct kernel *k = kernel_new(TGID);

	k->start_brk = S;
	k->brk = S + 4 * P;
	KSET(k, anon(S, S + 4 * P, RW), anon(A, A + P, RW), anon(A + 2 * P, A + 3 * P, RO));
	seed(k);
	/* The new image: other VMAs, another heap. */
	k->start_brk = k->brk = S + 0x10000000;
	KSET(k, file(S - 8 * P, S - 4 * P, RO | VMT_VM_EXEC, 3, 0), anon(B, B + 2 * P, RW),
	     anon(B + 4 * P, B + 5 * P, RO));
	return k;
}

Test(model, exec_replaces_the_address_space)
{
	struct kernel *k = exec_setup();
	struct model_proc *p;

	exec_rec(k, 3);
	for (uint32_t i = 0; i < 3; i++)
		vma_rec(k, i);
	p = expect_model(k);
	cr_assert_str_eq(p->comm, "newimage");
	cr_assert_eq(p->memcg_id, 77);
	cr_assert(p->seeded);
	cr_assert_eq(model_heap_hwm(p), 0, "the old image's heap is gone");
	cr_assert_eq(reseeds, 0);
}

Test(model, cut_exec_with_a_lost_vma_record_resyncs)
{
	struct kernel *k = exec_setup();

	exec_rec(k, 3);
	vma_rec(k, 0);
	vma_rec(k, 2); /* 1 was lost */
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(reseed_tgid, TGID);
	expect_model(k);
}

Test(model, cut_exec_whose_last_records_were_lost_resyncs_at_the_next_call)
{
	struct kernel *k = exec_setup();

	exec_rec(k, 3);
	vma_rec(k, 0);
	vma_rec(k, 1);
	cr_assert_eq(reseeds, 0);
	/* The new image runs: the exec's records are over, one short. */
	CALL(k, VMT_SYS_MADVISE, 0, B, P, MADV_DONTNEED);
	cr_assert_eq(reseeds, 1);
	expect_model(k);
}

Test(model, exec_without_vma_records_resyncs)
{
	struct kernel *k = exec_setup();

	exec_rec(k, 0); /* the walk was off or the ring full */
	cr_assert_eq(reseeds, 1);
	expect_model(k);
}

Test(model, exec_with_fewer_vma_records_than_vmas_resyncs)
{
	struct kernel *k = exec_setup();

	exec_rec(k, 2); /* truncated: map_count says 3 */
	vma_rec(k, 0);
	cr_assert_eq(reseeds, 0);
	vma_rec(k, 1);
	cr_assert_eq(reseeds, 1);
	expect_model(k);
}

/* ---- fork --------------------------------------------------------------------------------------
 */

static void fork_rec(const struct kernel *parent, const struct kernel *child)
{
	struct vmt_fork_rec r = { .hdr = { .type = VMT_REC_FORK,
					   .ts_ns = now(),
					   .tgid = parent->tgid,
					   .tid = parent->tgid },
				  .child_tgid = child->tgid,
				  .child_tid = child->tgid,
				  .map_count = child->n,
				  .start_brk = child->start_brk,
				  .brk = child->brk };

	snprintf(r.child_comm, sizeof(r.child_comm), "child");
	apply(&r, sizeof(r));
}

static struct kernel *parent_with_advice(int advice)
{
	struct kernel *k = kernel_new(TGID);

	k->start_brk = S;
	k->brk = S + P;
	KSET(k, anon(S, S + P, RW), anon(A, A + 4 * P, RW));
	seed(k);
	/* The advice is a vm_flags bit: the VMA splits around the range. */
	KSET(k, anon(S, S + P, RW), anon(A, A + P, RW), anon(A + P, A + 2 * P, RW),
	     anon(A + 2 * P, A + 4 * P, RW));
	CALL(k, VMT_SYS_MADVISE, 0, A + P, P, advice);
	expect_model(k);
	return k;
}

Test(model, fork_inherits_wipeonfork_vmas_without_a_resync)
{
	struct kernel *k = parent_with_advice(MADV_WIPEONFORK);
	struct kernel *c = kernel_new(CHILD);
	struct model_proc *p;

	*c = *k;
	c->tgid = CHILD;
	fork_rec(k, c);
	p = expect_model(c);
	cr_assert_str_eq(p->comm, "child");
	cr_assert_eq(model_heap_size(p), P);
	expect_followed(k);
}

Test(model, fork_leaves_out_the_dontfork_vmas_without_a_resync)
{
	struct kernel *k = parent_with_advice(MADV_DONTFORK);
	struct kernel *c = kernel_new(CHILD);

	*c = *k;
	c->tgid = CHILD;
	KSET(c, anon(S, S + P, RW), anon(A, A + P, RW), anon(A + 2 * P, A + 4 * P, RW));
	fork_rec(k, c);
	expect_followed(c);
	expect_model(k);
	/* MADV_DOFORK gives it back to the next child. */
	CALL(k, VMT_SYS_MADVISE, 0, A + P, P, MADV_DOFORK);
	c = kernel_new(CHILD + 1);
	*c = *k;
	c->tgid = CHILD + 1;
	fork_rec(k, c);
	expect_followed(c);
}

Test(model, fork_of_a_dontfork_region_the_model_was_not_told_of_resyncs_the_child)
{
	struct kernel *k = kernel_new(TGID);
	struct kernel *c = kernel_new(CHILD);

	/* Marked before the model read it, by a reader that does not show the mark. */
	KSET(k, anon(A, A + P, RW), anon(A + P, A + 2 * P, RW));
	seed(k);
	*c = *k;
	c->tgid = CHILD;
	KSET(c, anon(A, A + P, RW));
	fork_rec(k, c);
	cr_assert_eq(reseeds, 1);
	cr_assert_eq(reseed_tgid, CHILD);
	expect_model(c);
}
