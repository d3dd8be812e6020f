// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The model as people read it: /proc/PID/maps lines, a census, a timeline. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonw.h"
#include "model.h"
#include "model_internal.h"

#define MAPS_NAME_COLUMN 72 /* the kernel pads the header to this width before the name */

/* A file's path as the process sees it now, read once per file and listing. */
static const char *file_path(const struct model_resolver *res, struct model_proc *p,
			     const struct vma_entry *e, char **paths)
{
	char buf[PATH_MAX];

	if (paths[e->file])
		return paths[e->file];
	if (!res || !res->file_path ||
	    res->file_path(res->ctx, p->tgid, e->start, e->end, buf, sizeof(buf)) <= 0)
		return NULL;
	paths[e->file] = strdup(buf);
	return paths[e->file];
}

static const char *vma_name(const struct model_resolver *res, struct model_proc *p,
			    const struct vma_entry *e, const struct model_special_name *sp,
			    size_t nsp, char **paths)
{
	if (e->file)
		return file_path(res, p, e, paths);
	for (size_t i = 0; i < nsp; i++)
		if (sp[i].start == e->start)
			return sp[i].name;
	/* The kernel's rules: the initial heap spans the break, the stack grows down. */
	if (p->brk && e->start < p->brk && e->end > p->start_brk)
		return "[heap]";
	if (e->flags & VF_GROWSDOWN)
		return "[stack]";
	return NULL;
}

/* One VMA as a JSON object: the fields of its maps line by name, and the model's kind. */
static void maps_json_entry(struct jsonw *w, const struct vma_entry *e, const struct model_file *f,
			    const char *name, const char *perms)
{
	char dev[16];

	snprintf(dev, sizeof(dev), "%02x:%02x", f ? f->dev >> 20 : 0, f ? f->dev & 0xfffff : 0);
	jw_obj(w);
	jw_khex(w, "start", e->start);
	jw_khex(w, "end", e->end);
	jw_kuint(w, "size", e->end - e->start);
	jw_kstr(w, "perms", perms);
	jw_kuint(w, "offset", f ? (unsigned long long)e->pgoff * 4096 : 0ull);
	jw_kstr(w, "dev", dev);
	jw_kuint(w, "inode", f ? (unsigned long long)f->ino : 0ull);
	if (name)
		jw_kstr(w, "name", name); /* file names are anyone's bytes: the writer escapes */
	else
		jw_knull(w, "name");
	jw_kstr(w, "kind", model_kind_name(e->kind));
	jw_obj_end(w);
}

/* The VMAs as /proc/PID/maps lines, or as one JSON document of the same fields. */
static void format_maps(struct model *m, struct model_proc *p, const struct model_resolver *res,
			struct strbuf *sb, bool json)
{
	struct model_special_name *sp = NULL;
	size_t nsp = res && res->special_names ? res->special_names(res->ctx, p->tgid, &sp) : 0;
	char **paths = calloc(m->nfiles, sizeof(*paths));
	struct vmamap_iter it;
	struct vma_entry *e;
	struct jsonw w;

	if (json) {
		jw_begin(&w, sb);
		jw_obj(&w);
		jw_kuint(&w, "pid", p->tgid);
		jw_kstrn(&w, "comm", p->comm, sizeof(p->comm));
		container_json(&w, "container", p->container);
		jw_kuint(&w, "vma_count", model_vma_count(p));
		jw_kuint(&w, "mapped", model_mapped_bytes(p));
		jw_karr(&w, "vmas");
	}
	vmamap_iter_init(p->map, &it, 0);
	while (paths && (e = vmamap_iter_next(&it))) {
		const char *name = vma_name(res, p, e, sp, nsp, paths);
		struct model_file *f = e->file ? &m->files[e->file] : NULL;
		size_t line_start = sb->len;
		char perms[5] = { e->flags & VF_READ ? 'r' : '-', e->flags & VF_WRITE ? 'w' : '-',
				  e->flags & VF_EXEC ? 'x' : '-',
				  e->flags & VF_MAYSHARE ? 's' : 'p', 0 };

		if (json) {
			maps_json_entry(&w, e, f, name, perms);
			continue;
		}
		sb_printf(sb, "%08llx-%08llx %s %08llx %02x:%02x %llu ",
			  (unsigned long long)e->start, (unsigned long long)e->end, perms,
			  f ? (unsigned long long)e->pgoff * 4096 : 0ull, f ? f->dev >> 20 : 0,
			  f ? f->dev & 0xfffff : 0, f ? (unsigned long long)f->ino : 0ull);
		if (name) {
			while (sb->len - line_start < MAPS_NAME_COLUMN)
				sb_putc(sb, ' ');
			sb_putc(sb, ' ');
			sb_printable(sb, name, strlen(name)); /* file names are anyone's bytes */
		}
		sb_putc(sb, '\n');
	}
	if (json) {
		jw_arr_end(&w);
		jw_obj_end(&w);
		sb_putc(sb, '\n');
	}
	for (uint32_t i = 0; paths && i < m->nfiles; i++)
		free(paths[i]);
	free(paths);
	free(sp);
}

void model_format_maps(struct model *m, struct model_proc *p, const struct model_resolver *res,
		       struct strbuf *sb)
{
	format_maps(m, p, res, sb, false);
}

void model_format_maps_json(struct model *m, struct model_proc *p, const struct model_resolver *res,
			    struct strbuf *sb)
{
	format_maps(m, p, res, sb, true);
}

/* Size classes of the census. */
static const struct {
	uint64_t max;
	const char *label;
} size_classes[] = {
	{ 4096, "4KiB" },	 { 64 << 10, "<=64KiB" },  { 1 << 20, "<=1MiB" },
	{ 64 << 20, "<=64MiB" }, { UINT64_MAX, ">64MiB" },
};
#define NCLASSES (sizeof(size_classes) / sizeof(size_classes[0]))

void model_format_census(struct model *m, struct model_proc *p, struct strbuf *sb, bool json)
{
	uint64_t by_size[VK__COUNT][NCLASSES] = { { 0 } };
	uint64_t anon_4k = 0;
	struct vmamap_iter it;
	struct vma_entry *e;
	size_t total = model_vma_count(p);

	(void)m;
	vmamap_iter_init(p->map, &it, 0);
	while ((e = vmamap_iter_next(&it))) {
		uint64_t size = e->end - e->start;
		size_t c = 0;

		while (size > size_classes[c].max)
			c++;
		by_size[e->kind][c]++;
		if (e->kind == VK_ANON && size == 4096)
			anon_4k++;
	}
	if (json) {
		struct jsonw w;

		jw_begin(&w, sb);
		jw_obj(&w);
		jw_kuint(&w, "pid", p->tgid);
		jw_kstrn(&w, "comm", p->comm, sizeof(p->comm));
		container_json(&w, "container", p->container);
		jw_kuint(&w, "vmas", total);
		jw_kuint(&w, "mapped", model_mapped_bytes(p));
		jw_kobj(&w, "kinds");
		for (int k = 0; k < VK__COUNT; k++) {
			jw_kobj(&w, model_kind_name(k));
			jw_kuint(&w, "count", p->count[k]);
			jw_kuint(&w, "bytes", p->bytes[k]);
			jw_kobj(&w, "sizes");
			for (size_t c = 0; c < NCLASSES; c++)
				jw_kuint(&w, size_classes[c].label, by_size[k][c]);
			jw_obj_end(&w);
			jw_obj_end(&w);
		}
		jw_obj_end(&w);
		jw_kuint(&w, "anon_4k_fragments", anon_4k);
		jw_kuint(&w, "thread_stacks", p->count[VK_THREAD_STACK]);
		jw_kuint(&w, "reserved_bytes", p->bytes[VK_RESERVED]);
		jw_kuint(&w, "heap_size", model_heap_size(p));
		jw_kuint(&w, "heap_hwm", model_heap_hwm(p));
		jw_khex(&w, "start_brk", p->start_brk);
		jw_khex(&w, "brk", p->brk);
		jw_obj_end(&w);
		sb_putc(sb, '\n');
		return;
	}
	sb_puts(sb, "census of ");
	sb_printable(sb, p->comm, sizeof(p->comm));
	sb_printf(sb, "[%u]", p->tgid);
	if (p->container) {
		sb_puts(sb, " in ");
		container_label(sb, p->container, UT_TEXT);
	}
	sb_printf(sb, ": %zu VMAs, ", total);
	sb_size(sb, model_mapped_bytes(p));
	sb_puts(sb, " mapped\n");
	sb_printf(sb, "%-13s %8s %10s", "kind", "VMAs", "bytes");
	for (size_t c = 0; c < NCLASSES; c++)
		sb_printf(sb, " %8s", size_classes[c].label);
	sb_putc(sb, '\n');
	for (int k = 0; k < VK__COUNT; k++) {
		size_t before;

		if (!p->count[k])
			continue;
		sb_printf(sb, "%-13s %8u ", model_kind_name(k), p->count[k]);
		before = sb->len;
		sb_size(sb, p->bytes[k]);
		while (sb->len - before < 10)
			sb_putc(sb, ' ');
		for (size_t c = 0; c < NCLASSES; c++)
			sb_printf(sb, " %8llu", (unsigned long long)by_size[k][c]);
		sb_putc(sb, '\n');
	}
	sb_printf(sb, "4 KiB anonymous fragments: %llu\nthread stacks: %u (",
		  (unsigned long long)anon_4k, p->count[VK_THREAD_STACK]);
	sb_size(sb, p->bytes[VK_THREAD_STACK]);
	sb_printf(sb, ")\nPROT_NONE reservations: %u (", p->count[VK_RESERVED]);
	sb_size(sb, p->bytes[VK_RESERVED]);
	sb_printf(sb, "), guard regions: %u\nheap: ", p->count[VK_GUARD]);
	sb_size(sb, model_heap_size(p));
	sb_puts(sb, " (high-water ");
	sb_size(sb, model_heap_hwm(p));
	sb_puts(sb, ")\n");
}

static void tl_line(struct strbuf *sb, const struct tl_point *t, uint64_t until_ns, bool json,
		    long long off)
{
	long long real = (long long)t->t_ns + off;
	time_t sec = real / 1000000000LL, until = ((long long)until_ns + off) / 1000000000LL;
	struct tm tm, tu;

	if (json) {
		struct jsonw w;

		jw_begin(&w, sb);
		jw_obj(&w);
		jw_kint(&w, "ts", sec);
		jw_kint(&w, "until", until);
		jw_kuint(&w, "vmas_min", t->vmas_min);
		jw_kuint(&w, "vmas_max", t->vmas_max);
		jw_kuint(&w, "vmas", t->vmas_last);
		jw_kuint(&w, "mapped", t->mapped);
		jw_kuint(&w, "mapped_max", t->mapped_max);
		jw_kuint(&w, "heap", t->brk);
		jw_kuint(&w, "heap_max", t->brk_max);
		jw_kuint(&w, "calls", t->calls);
		jw_kuint(&w, "failures", t->failures);
		jw_obj_end(&w);
		sb_putc(sb, '\n');
		return;
	}
	localtime_r(&sec, &tm);
	localtime_r(&until, &tu);
	sb_printf(
		sb,
		"%04d-%02d-%02d %02d:%02d:%02d %02d:%02d:%02d %8u %8u %8u %12llu %12llu %7u %7u\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		tu.tm_hour, tu.tm_min, tu.tm_sec, t->vmas_min, t->vmas_max, t->vmas_last,
		(unsigned long long)t->mapped, (unsigned long long)t->brk, t->calls, t->failures);
}

void model_format_timeline(struct model *m, struct model_proc *p, struct strbuf *sb, bool json,
			   long long realtime_offset_ns, uint64_t now_ns)
{
	(void)m;
	if (!json)
		sb_printf(sb, "%-19s %-8s %8s %8s %8s %12s %12s %7s %7s\n", "time", "until",
			  "vmas_min", "vmas_max", "vmas", "mapped", "heap", "calls", "failed");
	/* A gauge: each point's values hold until the next point; the last ones until now. */
	for (uint32_t i = 0; i < p->tl_len; i++) {
		const struct tl_point *t = model_tl_at(p, i);
		uint64_t until = i + 1 < p->tl_len ? model_tl_at(p, i + 1)->t_ns :
				 p->tl_open	   ? p->tl_cur.t_ns :
						     now_ns;

		tl_line(sb, t, until > t->t_ns ? until : t->t_ns, json, realtime_offset_ns);
	}
	if (p->tl_open)
		tl_line(sb, &p->tl_cur, now_ns > p->tl_cur.t_ns ? now_ns : p->tl_cur.t_ns, json,
			realtime_offset_ns);
}
