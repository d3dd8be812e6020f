// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "trace_stacks.h"

enum stack_mode trace_stacks_parse_mode(const char *s)
{
	if (!s || !strcmp(s, "dwarf"))
		return STACK_DWARF;
	if (!strcmp(s, "fp"))
		return STACK_FP;
	return STACK_NONE;
}

int trace_stacks_init(struct trace_stacks *ts, enum stack_mode mode)
{
	memset(ts, 0, sizeof(*ts));
	ts->mode = mode;
	sb_init(&ts->frame);
	if (mode == STACK_FP) {
		ts->sym = sym_new();
		return ts->sym ? 0 : -1;
	}
	if (mode == STACK_DWARF) {
		if (ustack_init(&ts->us))
			return -1;
		ts->us_ready = true;
	}
	return 0;
}

void trace_stacks_free(struct trace_stacks *ts)
{
	sym_free(ts->sym);
	if (ts->us_ready)
		ustack_fini(&ts->us);
	sb_free(&ts->frame);
	memset(ts, 0, sizeof(*ts));
}

void trace_stacks_attach(struct trace_stacks *ts, uint32_t tgid)
{
	if (ts->us_ready)
		ustack_learn(&ts->us, tgid);
}

void trace_stacks_note(struct trace_stacks *ts, const void *rec, size_t size)
{
	const struct vmt_hdr *h = rec;

	if (size < sizeof(*h) || ts->mode == STACK_NONE)
		return;
	if (h->type == VMT_REC_EXIT && (h->flags & VMT_F_GROUP_DEAD)) {
		if (ts->sym)
			sym_forget(ts->sym, h->tgid);
		if (ts->us_ready)
			ustack_forget(&ts->us, h->tgid);
	} else if (h->type == VMT_REC_EXEC && ts->us_ready && size >= sizeof(struct vmt_exec_rec)) {
		const struct vmt_exec_rec *r = rec;
		char name[VMT_PATH_LEN + 1];

		/* A new image: its files' paths now, while it lives (the model keeps identities). */
		ustack_forget(&ts->us, h->tgid);
		ustack_learn(&ts->us, h->tgid);
		/* A command we started runs where we do: its name as given resolves from here. */
		memcpy(name, r->filename, VMT_PATH_LEN);
		name[VMT_PATH_LEN] = 0;
		filepaths_learn_path(&ts->us.paths, name);
	}
}

/* Visit the frames of rec: fn(ctx, text) for each; returns whether the window cut them. */
static bool each_frame(struct trace_stacks *ts, struct model *m, const void *rec, size_t size,
		       void (*fn)(void *ctx, const char *frame, size_t len), void *ctx)
{
	const struct vmt_hdr *h = rec;

	if (h->flags & VMT_F_HAS_USTACK) {
		struct ustack_frames f;
		bool cut;

		if (!ts->us_ready || !m)
			return false;
		ustack_unwind(&ts->us, m, model_proc_get(m, h->tgid), rec, size, &f);
		for (int i = 0; i < f.n; i++)
			fn(ctx, f.text[i].buf ? f.text[i].buf : "", f.text[i].len);
		cut = f.window_end;
		ustack_frames_free(&f);
		return cut;
	}
	if ((h->flags & VMT_F_HAS_STACK) && ts->sym &&
	    size >= sizeof(struct vmt_syscall_stack_rec)) {
		const struct vmt_syscall_stack_rec *sr = rec;

		for (unsigned int i = 0; i < sr->rec.nstack && i < VMT_MAX_STACK; i++) {
			sb_reset(&ts->frame);
			sym_format(ts->sym, h->tgid, sr->stack[i], &ts->frame);
			fn(ctx, ts->frame.buf ? ts->frame.buf : "", ts->frame.len);
		}
	}
	return false;
}

static void text_frame(void *ctx, const char *frame, size_t len)
{
	struct strbuf *line = ctx;

	sb_puts(line, " > ");
	sb_printable(line, frame, len);
	sb_putc(line, '\n');
}

void trace_stacks_text(struct trace_stacks *ts, struct model *m, const void *rec, size_t size,
		       struct strbuf *line)
{
	if (each_frame(ts, m, rec, size, text_frame, line))
		sb_puts(line, " > (the stack window ended here: --stack-window for more)\n");
}

static void json_frame(void *ctx, const char *frame, size_t len)
{
	jw_strn(ctx, frame, len);
}

void trace_stacks_json(struct trace_stacks *ts, struct model *m, const void *rec, size_t size,
		       struct jsonw *w)
{
	const struct vmt_hdr *h = rec;
	bool cut;

	if (!(h->flags & (VMT_F_HAS_STACK | VMT_F_HAS_USTACK)))
		return;
	jw_karr(w, "stack");
	cut = each_frame(ts, m, rec, size, json_frame, w);
	jw_arr_end(w);
	if (cut)
		jw_kbool(w, "stack_cut", true);
}
