/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Call stacks of syscall records that carry a stack window
 * (VMT_F_HAS_USTACK): unwound with DWARF against the files that the model
 * says were mapped at the time of the call, their paths from a cache of file
 * identities, so that a process that has exited or remapped since still gets
 * its frames.
 */
#ifndef VMATRACE_USTACK_H
#define VMATRACE_USTACK_H

#include <stdbool.h>
#include <stddef.h>

#include "filepaths.h"
#include "model.h"
#include "strbuf.h"
#include "unwind.h"
#include "vmatrace.h"

#define USTACK_MAX_FRAMES 128

struct ustack {
	struct unwinder *uw;
	struct filepaths paths;
	struct unwind_map *maps;
	size_t maps_cap;
	uint64_t unwound, frames, cut, unknown_files;
};

/* Frames of one record, formatted as strace -k prints them (without the " > "). */
struct ustack_frames {
	int n;
	bool window_end; /* cut at the end of the copied stack window: said after the frames */
	struct strbuf text[USTACK_MAX_FRAMES];
};

int ustack_init(struct ustack *u);
void ustack_fini(struct ustack *u);
/* The process is gone or exec'd: its unwinding state goes (its files' paths stay). */
void ustack_forget(struct ustack *u, uint32_t tgid);
/* Learn the paths of the files a live process maps (call when it is first seen). */
void ustack_learn(struct ustack *u, uint32_t tgid);

/*
 * Unwind rec (size bytes, VMT_F_HAS_USTACK set) in the address space of p. Returns the number of
 * frames in out (0 when the record has no window), out->text[i] formatted; ustack_frames_free.
 */
int ustack_unwind(struct ustack *u, struct model *m, struct model_proc *p, const void *rec,
		  size_t size, struct ustack_frames *out);
void ustack_frames_free(struct ustack_frames *f);

#endif
