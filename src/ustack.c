// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ustack.h"

int ustack_init(struct ustack *u)
{
	memset(u, 0, sizeof(*u));
	/* Open files of the 64 most recent address spaces; paths of up to 64k files. */
	u->uw = unwinder_new(64);
	if (!u->uw)
		return -ENOMEM;
	filepaths_init(&u->paths, 65536);
	/* vmatrace maps libc and the loader itself: their paths are known from the start. */
	filepaths_learn_pid(&u->paths, getpid());
	return 0;
}

void ustack_fini(struct ustack *u)
{
	unwinder_free(u->uw);
	filepaths_free(&u->paths);
	free(u->maps);
	memset(u, 0, sizeof(*u));
}

void ustack_forget(struct ustack *u, uint32_t tgid)
{
	unwinder_forget(u->uw, tgid);
}

void ustack_learn(struct ustack *u, uint32_t tgid)
{
	filepaths_learn_pid(&u->paths, tgid);
}

/* The file mappings of p, in address order, with their paths; entries without a path skipped. */
static size_t collect_maps(struct ustack *u, struct model *m, struct model_proc *p, bool *missing)
{
	struct vmamap_iter it;
	struct vma_entry *e;
	size_t n = 0;

	*missing = false;
	vmamap_iter_init(p->map, &it, 0);
	while ((e = vmamap_iter_next(&it))) {
		const struct model_file *f;
		const char *path;

		if (!e->file || e->file >= m->nfiles)
			continue;
		f = &m->files[e->file];
		path = filepaths_get(&u->paths, f->dev, f->ino);
		if (!path) {
			*missing = true;
			continue;
		}
		if (n == u->maps_cap) {
			size_t cap = u->maps_cap ? u->maps_cap * 2 : 64;
			struct unwind_map *nm = realloc(u->maps, cap * sizeof(*nm));

			if (!nm)
				break;
			u->maps = nm;
			u->maps_cap = cap;
		}
		u->maps[n++] = (struct unwind_map){ .start = e->start,
						    .end = e->end,
						    .pgoff = e->pgoff * 4096,
						    .path = path,
						    .file = filepaths_get_open(&u->paths, f->dev,
									       f->ino) };
	}
	return n;
}

int ustack_unwind(struct ustack *u, struct model *m, struct model_proc *p, const void *rec,
		  size_t size, struct ustack_frames *out)
{
	const struct vmt_syscall_ustack_rec *ur = rec;
	struct unwind_frame frames[USTACK_MAX_FRAMES];
	struct unwind_result res;
	struct unwind_input in;
	bool missing;
	int n;

	memset(out, 0, sizeof(*out));
	if (size < sizeof(ur->rec) + sizeof(ur->us) || !(ur->rec.hdr.flags & VMT_F_HAS_USTACK) ||
	    ur->us.len > size - sizeof(ur->rec) - sizeof(ur->us) || !p)
		return 0;
	in = (struct unwind_input){ .tgid = ur->rec.hdr.tgid,
				    .tid = ur->rec.hdr.tid,
				    .stack = ur->data,
				    .stack_len = ur->us.len };
	memcpy(in.regs, ur->us.regs, sizeof(in.regs));
	in.nmaps = collect_maps(u, m, p, &missing);
	if (missing) {
		/* A file not seen yet: learn it while the process lives, if it still does. */
		ustack_learn(u, in.tgid);
		in.nmaps = collect_maps(u, m, p, &missing);
		if (missing)
			u->unknown_files++;
	}
	in.maps = u->maps;
	n = unwind_stack(u->uw, &in, frames, USTACK_MAX_FRAMES, &res);
	for (int i = 0; i < n; i++) {
		sb_init(&out->text[i]);
		unwind_format_frame(u->uw, &in, &frames[i], &out->text[i]);
	}
	out->n = n;
	out->window_end = res.window_end;
	u->unwound++;
	u->frames += n;
	u->cut += out->window_end;
	return n;
}

void ustack_frames_free(struct ustack_frames *f)
{
	for (int i = 0; i < f->n; i++)
		sb_free(&f->text[i]);
	f->n = 0;
}
