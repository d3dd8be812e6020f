/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Processes seeded into a model by hand, for the tests of what reads the model. */
#ifndef VMATRACE_TEST_MODEL_FIXTURE_H
#define VMATRACE_TEST_MODEL_FIXTURE_H

#include <criterion/criterion.h>
#include <string.h>

#include "model.h"

/*
 * A process as the kernel would report it: `vmas` separate anonymous VMAs and a heap. The
 * name's bytes are copied as the kernel gives them (up to 16, not sanitised, maybe no NUL).
 */
static inline struct model_proc *seed_proc(struct model *m, uint32_t pid, const char *comm,
					   unsigned int vmas)
{
	struct model_proc *p = model_seed_begin(m, pid, "", vmas, 0x500000, 0x521000);

	cr_assert(p);
	memset(p->comm, 0, sizeof(p->comm));
	memcpy(p->comm, comm, strnlen(comm, sizeof(p->comm)));
	for (unsigned int i = 0; i < vmas; i++) {
		struct vmt_vma v = {
			.start = 0x10000000ull + i * 0x2000ull,
			.end = 0x10000000ull + i * 0x2000ull + 0x1000,
			.vm_flags = 0x3, /* VM_READ | VM_WRITE */
			.valid = 1,
		};

		cr_assert_eq(model_seed_vma(m, p, &v), 0);
	}
	model_seed_end(m, p);
	cr_assert_eq(model_vma_count(p), vmas);
	return p;
}

#endif
