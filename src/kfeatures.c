// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <bpf/btf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "jsonw.h"
#include "kfeatures.h"
#include "vmatrace.h"
#include "vmt_syscalls.h"

static const struct kfeature_desc {
	const char *name, *what, *without;
} kfeature_descs[KF_COUNT] = {
#define KF_DESC(id, name, what, without) [KF_##id] = { name, what, without },
	KFEATURES(KF_DESC)
#undef KF_DESC
};

const char *kfeature_name(enum kfeature f)
{
	return f < KF_COUNT ? kfeature_descs[f].name : "?";
}

static bool has_func(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

/* The type id of member name of struct/union id, looking into anonymous members; 0 if none. */
static int member_type(const struct btf *btf, int id, const char *name, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;

	if (!t || (!btf_is_struct(t) && !btf_is_union(t)) || depth > 4)
		return 0;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mname = btf__name_by_offset(btf, m->name_off);
		int found;

		if (mname && *mname) {
			if (!strcmp(mname, name))
				return btf__resolve_type(btf, m->type) > 0 ?
					       btf__resolve_type(btf, m->type) :
					       (int)m->type;
			continue;
		}
		found = member_type(btf, btf__resolve_type(btf, m->type), name, depth + 1);
		if (found > 0)
			return found;
	}
	return 0;
}

/* Does struct sname have the member path "a.b" (each part by name, through anonymous ones)? */
static bool has_member(const struct btf *btf, const char *sname, const char *path)
{
	char part[64];
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	while (id > 0 && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(part))
			return false;
		memcpy(part, path, n);
		part[n] = 0;
		id = member_type(btf, id, part, 0);
		path += n + (path[n] == '.');
	}
	return id > 0;
}

static bool path_exists(const char *p)
{
	return access(p, F_OK) == 0;
}

/* The first root that has syscall tracepoints, else the first that exists, else NULL. */
static const char *tracing_root(const char *const *tracing)
{
	char path[512];

	for (const char *const *r = tracing; r && *r; r++) {
		snprintf(path, sizeof(path), "%s/events/syscalls", *r);
		if (path_exists(path))
			return *r;
	}
	return tracing ? tracing[0] : NULL;
}

bool kfeatures_tracepoint(const char *const *tracing, const char *category, const char *name)
{
	char path[512];

	for (const char *const *r = tracing; r && *r; r++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s/id", *r, category, name);
		if (path_exists(path))
			return true;
	}
	return false;
}

void kfeatures_probe(struct kfeatures *kf, const struct btf *vmlinux, const char *const *tracing)
{
	static const struct {
		unsigned int sys;
		const char *tp;
	} sys_tps[] = {
#define KF_SYS_ROW(id, num, name, ...) { VMT_SYS_##id, "sys_exit_" #name },
		VMT_SYSCALLS(KF_SYS_ROW)
#undef KF_SYS_ROW
	};
	const char *root = tracing_root(tracing);
	const char *const one[] = { root, NULL };

	memset(kf, 0, sizeof(*kf));
	kf->has[KF_VMA_WALK] = has_func(vmlinux, "bpf_rdonly_cast") &&
			       has_func(vmlinux, "bpf_iter_num_new") &&
			       has_member(vmlinux, "mm_struct", "mm_lock_seq.sequence");
	kf->has[KF_REGS_CAST] = has_func(vmlinux, "bpf_rdonly_cast");
	kf->has[KF_EXEC_VMAS] = has_func(vmlinux, "bpf_iter_task_vma_new");
	kf->has[KF_OOM_TRACEPOINT] = root && kfeatures_tracepoint(one, "oom", "mark_victim");
	kf->has[KF_OOM_SIZES] = kf->has[KF_OOM_TRACEPOINT] &&
				has_member(vmlinux, "trace_event_raw_mark_victim", "total_vm") &&
				has_member(vmlinux, "trace_event_raw_mark_victim", "uid");
	for (size_t i = 0; i < sizeof(sys_tps) / sizeof(sys_tps[0]); i++)
		if (!root || !kfeatures_tracepoint(one, "syscalls", sys_tps[i].tp))
			kf->missing_syscalls |= 1ul << sys_tps[i].sys;
	kf->has[KF_SYSCALLS] = !kf->missing_syscalls;
	kf->tracing_known = root && kfeatures_tracepoint(one, "syscalls", "sys_exit_mmap");
}

static void missing_syscall_names(const struct kfeatures *kf, struct strbuf *out)
{
	bool first = true;

	for (unsigned int s = 0; s < VMT_SYS__COUNT; s++)
		if (kf->missing_syscalls & (1ul << s)) {
			sb_printf(out, "%s%s", first ? "" : ", ", decode_sys_name(s));
			first = false;
		}
}

/* Features read from tracefs: unknown when it could not be read. */
static bool from_tracefs(int f)
{
	return f == KF_OOM_TRACEPOINT || f == KF_OOM_SIZES || f == KF_SYSCALLS;
}

void kfeatures_format(const struct kfeatures *kf, struct strbuf *out)
{
	for (int f = 0; f < KF_COUNT; f++) {
		const struct kfeature_desc *d = &kfeature_descs[f];

		if (!kf->tracing_known && from_tracefs(f)) {
			sb_printf(out, "  %-20s unknown: tracefs cannot be read (run as root)\n",
				  d->name);
			continue;
		}
		if (kf->has[f]) {
			sb_printf(out, "  %-20s yes: %s\n", d->name, d->what);
			continue;
		}
		sb_printf(out, "  %-20s NO: %s", d->name, d->without);
		if (f == KF_SYSCALLS) {
			sb_puts(out, " (missing: ");
			missing_syscall_names(kf, out);
			sb_putc(out, ')');
		}
		sb_putc(out, '\n');
	}
}

void kfeatures_write_json(const struct kfeatures *kf, struct jsonw *w)
{
	jw_karr(w, "kernel_features");
	for (int f = 0; f < KF_COUNT; f++) {
		jw_obj(w);
		jw_kstr(w, "name", kfeature_descs[f].name);
		if (!kf->tracing_known && from_tracefs(f)) {
			jw_knull(w, "present");
			jw_obj_end(w);
			continue;
		}
		jw_kbool(w, "present", kf->has[f]);
		if (!kf->has[f])
			jw_kstr(w, "fallback", kfeature_descs[f].without);
		if (f == KF_SYSCALLS) {
			jw_karr(w, "missing_syscalls");
			for (unsigned int s = 0; s < VMT_SYS__COUNT; s++)
				if (kf->missing_syscalls & (1ul << s))
					jw_str(w, decode_sys_name(s));
			jw_arr_end(w);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

void kfeatures_missing_list(const struct kfeatures *kf, struct strbuf *out)
{
	bool first = true;

	for (int f = 0; f < KF_COUNT; f++)
		if (!kf->has[f]) {
			sb_printf(out, "%s%s", first ? "" : ", ", kfeature_descs[f].name);
			first = false;
		}
}
