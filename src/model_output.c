// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The model as people read it: /proc/PID/maps lines, a census, a timeline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <limits.h>
#include <unistd.h>

#include "model.h"

#define MAPS_NAME_COLUMN 72 /* the kernel pads the header to this width before the name */

/* Names the kernel gives its own mappings ([vdso], [vvar], ...) are not in the events. */
struct special_name {
	uint64_t start;
	char name[32];
};

static size_t read_special_names(uint32_t tgid, struct special_name **out)
{
	char path[64], line[512];
	struct special_name *v = NULL;
	size_t n = 0, cap = 0;
	FILE *f;

	*out = NULL;
	snprintf(path, sizeof(path), "/proc/%u/maps", tgid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *name = strchr(line, '[');
		unsigned long long s;

		if (!name || strchr(line, '/') || !strncmp(name, "[heap]", 6) ||
		    !strncmp(name, "[stack]", 7) || sscanf(line, "%llx-", &s) != 1)
			continue;
		if (n == cap) {
			struct special_name *nv = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		v[n].start = s;
		snprintf(v[n].name, sizeof(v[n].name), "%.*s", (int)strcspn(name, "\n"), name);
		n++;
	}
	fclose(f);
	*out = v;
	return n;
}

/* A file's path as the process sees it now, read once per file and listing. */
static const char *file_path(struct model_proc *p, const struct vma_entry *e, char **paths)
{
	char link[96], buf[PATH_MAX];
	ssize_t n;

	if (paths[e->file])
		return paths[e->file];
	snprintf(link, sizeof(link), "/proc/%u/map_files/%llx-%llx", p->tgid,
		 (unsigned long long)e->start, (unsigned long long)e->end);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	paths[e->file] = strdup(buf);
	return paths[e->file];
}

static const char *vma_name(struct model_proc *p, const struct vma_entry *e,
			    const struct special_name *sp, size_t nsp, char **paths)
{
	if (e->file)
		return file_path(p, e, paths);
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

void model_format_maps(struct model *m, struct model_proc *p, struct strbuf *sb)
{
	struct special_name *sp;
	size_t nsp = read_special_names(p->tgid, &sp);
	char **paths = calloc(m->nfiles, sizeof(*paths));
	struct vmamap_iter it;
	struct vma_entry *e;

	vmamap_iter_init(p->map, &it, 0);
	while (paths && (e = vmamap_iter_next(&it))) {
		const char *name = vma_name(p, e, sp, nsp, paths);
		struct model_file *f = e->file ? &m->files[e->file] : NULL;
		size_t line_start = sb->len;

		sb_printf(sb, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ",
			  (unsigned long long)e->start, (unsigned long long)e->end,
			  e->flags & VF_READ ? 'r' : '-', e->flags & VF_WRITE ? 'w' : '-',
			  e->flags & VF_EXEC ? 'x' : '-', e->flags & VF_MAYSHARE ? 's' : 'p',
			  f ? (unsigned long long)e->pgoff * 4096 : 0ull, f ? f->dev >> 20 : 0,
			  f ? f->dev & 0xfffff : 0, f ? (unsigned long long)f->ino : 0ull);
		if (name) {
			while (sb->len - line_start < MAPS_NAME_COLUMN)
				sb_putc(sb, ' ');
			sb_putc(sb, ' ');
			sb_puts(sb, name);
		}
		sb_putc(sb, '\n');
	}
	for (uint32_t i = 0; paths && i < m->nfiles; i++)
		free(paths[i]);
	free(paths);
	free(sp);
}

/* Size classes of the census. */
static const struct {
	uint64_t max;
	const char *label;
} size_classes[] = {
	{ 4096, "4KiB" },
	{ 64 << 10, "<=64KiB" },
	{ 1 << 20, "<=1MiB" },
	{ 64 << 20, "<=64MiB" },
	{ UINT64_MAX, ">64MiB" },
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
		sb_printf(sb, "{\"pid\":%u,\"comm\":", p->tgid);
		sb_json_str(sb, p->comm, sizeof(p->comm));
		sb_printf(sb, ",\"vmas\":%zu,\"mapped\":%llu,\"kinds\":{", total,
			  (unsigned long long)model_mapped_bytes(p));
		for (int k = 0; k < VK__COUNT; k++) {
			sb_printf(sb, "%s\"%s\":{\"count\":%u,\"bytes\":%llu,\"sizes\":{", k ? "," : "",
				  model_kind_name(k), p->count[k], (unsigned long long)p->bytes[k]);
			for (size_t c = 0; c < NCLASSES; c++)
				sb_printf(sb, "%s\"%s\":%llu", c ? "," : "", size_classes[c].label,
					  (unsigned long long)by_size[k][c]);
			sb_puts(sb, "}}");
		}
		sb_printf(sb, "},\"anon_4k_fragments\":%llu,\"thread_stacks\":%u,\"reserved_bytes\":%llu,"
			      "\"heap_size\":%llu,\"heap_hwm\":%llu,\"start_brk\":\"%#llx\",\"brk\":\"%#llx\"}\n",
			  (unsigned long long)anon_4k, p->count[VK_THREAD_STACK],
			  (unsigned long long)p->bytes[VK_RESERVED],
			  (unsigned long long)(p->brk > p->start_brk ? p->brk - p->start_brk : 0),
			  (unsigned long long)(p->brk_hwm > p->start_brk ? p->brk_hwm - p->start_brk : 0),
			  (unsigned long long)p->start_brk, (unsigned long long)p->brk);
		return;
	}
	sb_printf(sb, "census of %.*s[%u]: %zu VMAs, ", VMT_COMM_LEN, p->comm, p->tgid, total);
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
	sb_printf(sb, "4 KiB anonymous fragments: %llu\nthread stacks: %u (", (unsigned long long)anon_4k,
		  p->count[VK_THREAD_STACK]);
	sb_size(sb, p->bytes[VK_THREAD_STACK]);
	sb_printf(sb, ")\nPROT_NONE reservations: %u (", p->count[VK_RESERVED]);
	sb_size(sb, p->bytes[VK_RESERVED]);
	sb_printf(sb, "), guard regions: %u\nheap: ", p->count[VK_GUARD]);
	sb_size(sb, p->brk > p->start_brk ? p->brk - p->start_brk : 0);
	sb_puts(sb, " (high-water ");
	sb_size(sb, p->brk_hwm > p->start_brk ? p->brk_hwm - p->start_brk : 0);
	sb_puts(sb, ")\n");
}

static const struct tl_point *tl_at(const struct model_proc *p, uint32_t i)
{
	return &p->tl[(p->tl_head + i) % p->tl_cap];
}

static void tl_line(struct strbuf *sb, const struct tl_point *t, bool json, long long off)
{
	long long real = (long long)t->t_ns + off;
	time_t sec = real / 1000000000LL;
	struct tm tm;

	if (json) {
		sb_printf(sb, "{\"ts\":%lld,\"vmas_min\":%u,\"vmas_max\":%u,\"vmas\":%u,\"mapped\":%llu,"
			      "\"heap\":%llu,\"calls\":%u,\"failures\":%u}\n",
			  (long long)sec, t->vmas_min, t->vmas_max, t->vmas_last,
			  (unsigned long long)t->mapped, (unsigned long long)t->brk, t->calls, t->failures);
		return;
	}
	localtime_r(&sec, &tm);
	sb_printf(sb, "%04d-%02d-%02d %02d:%02d:%02d %8u %8u %8u %12llu %12llu %7u %7u\n",
		  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		  t->vmas_min, t->vmas_max, t->vmas_last, (unsigned long long)t->mapped,
		  (unsigned long long)t->brk, t->calls, t->failures);
}

void model_format_timeline(struct model *m, struct model_proc *p, struct strbuf *sb, bool json,
			   long long realtime_offset_ns)
{
	(void)m;
	if (!json)
		sb_printf(sb, "%-19s %8s %8s %8s %12s %12s %7s %7s\n", "time", "vmas_min", "vmas_max",
			  "vmas", "mapped", "heap", "calls", "failed");
	for (uint32_t i = 0; i < p->tl_len; i++)
		tl_line(sb, tl_at(p, i), json, realtime_offset_ns);
	if (p->tl_open)
		tl_line(sb, &p->tl_cur, json, realtime_offset_ns);
}

double model_growth_rate(const struct model_proc *p, uint64_t now_ns, uint64_t window_ns)
{
	const struct tl_point *first = NULL, *last = p->tl_open ? &p->tl_cur : NULL;
	double dt;

	if (!last && p->tl_len)
		last = tl_at(p, p->tl_len - 1);
	for (uint32_t i = 0; i < p->tl_len; i++) {
		const struct tl_point *t = tl_at(p, i);

		if (now_ns - t->t_ns <= window_ns) {
			first = t;
			break;
		}
	}
	if (!first || !last || last->t_ns <= first->t_ns)
		return 0;
	dt = (last->t_ns - first->t_ns) / 1e9;
	return ((double)last->vmas_last - (double)first->vmas_last) / dt;
}

double model_recent_rate(const struct model_proc *p, uint64_t now_ns, uint64_t window_ns)
{
	const struct fr_event *first = NULL, *last;
	uint32_t lo = 0, hi;

	if (p->fr_len < 2)
		return 0;
	last = &p->fr[(p->fr_head + p->fr_len - 1) % p->fr_cap];
	/* The oldest event inside the window: the ring is in time order, so bisect. */
	hi = p->fr_len - 1;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (p->fr[(p->fr_head + mid) % p->fr_cap].ts_ns + window_ns < now_ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = &p->fr[(p->fr_head + lo) % p->fr_cap];
	if (last->ts_ns <= first->ts_ns)
		return 0;
	return ((double)last->map_count - (double)first->map_count) * 1e9 /
	       (double)(last->ts_ns - first->ts_ns);
}
