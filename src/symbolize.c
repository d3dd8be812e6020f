// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * User stack addresses to "module(symbol+0xoff) [0xfileoff]", as strace -k
 * prints them: the process's mappings from /proc/PID/maps (cached per
 * process), symbols from each module's .symtab or .dynsym (cached per file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hmap.h"
#include "symbolize.h"
#include "sysinfo.h"

struct sym {
	uint64_t addr;
	uint64_t size;
	char *name;
};

struct elf_file {
	char *path;
	struct sym *syms; /* sorted by addr */
	size_t nsyms;
	/* PT_LOAD segments: file offset -> virtual address */
	struct {
		uint64_t off, vaddr, filesz;
	} seg[16];
	int nseg;
	bool loaded;
};

struct mapping {
	uint64_t start, end, off;
	struct elf_file *file; /* NULL for anonymous */
};

struct proc_maps {
	struct mapping *v;
	size_t n;
};

struct symbolizer {
	struct hmap procs; /* pid -> struct proc_maps */
	struct elf_file **files;
	size_t nfiles;
};

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load_symbols(struct elf_file *f)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	GElf_Phdr ph;
	size_t nph, cap = 0;
	Elf *e;

	f->loaded = true;
	if (fd < 0)
		return;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(fd);
		return;
	}
	if (!elf_getphdrnum(e, &nph)) {
		for (size_t i = 0; i < nph && f->nseg < 16; i++) {
			if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD) {
				f->seg[f->nseg].off = ph.p_offset;
				f->seg[f->nseg].vaddr = ph.p_vaddr;
				f->seg[f->nseg].filesz = ph.p_filesz;
				f->nseg++;
			}
		}
	}
	/* .symtab when the file has one (not stripped), else .dynsym. */
	static const unsigned int tables[] = { SHT_SYMTAB, SHT_DYNSYM };

	for (size_t t = 0; t < 2 && !f->nsyms; t++) {
		unsigned int want = tables[t];

		scn = NULL;
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			Elf_Data *d;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != want || !sh.sh_entsize)
				continue;
			d = elf_getdata(scn, NULL);
			for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym s;
				const char *name;

				if (!gelf_getsym(d, i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
				    !s.st_value)
					continue;
				name = elf_strptr(e, sh.sh_link, s.st_name);
				if (!name || !*name)
					continue;
				if (f->nsyms == cap) {
					struct sym *n = realloc(
						f->syms, (cap = cap ? cap * 2 : 256) * sizeof(*n));
					if (!n)
						break;
					f->syms = n;
				}
				f->syms[f->nsyms++] =
					(struct sym){ s.st_value, s.st_size, strdup(name) };
			}
		}
	}
	if (f->nsyms > 1)
		qsort(f->syms, f->nsyms, sizeof(*f->syms), sym_cmp);
	elf_end(e);
	close(fd);
}

static struct elf_file *file_get(struct symbolizer *s, const char *path)
{
	struct elf_file **nv, *f;

	for (size_t i = 0; i < s->nfiles; i++)
		if (!strcmp(s->files[i]->path, path))
			return s->files[i];
	f = calloc(1, sizeof(*f));
	nv = realloc(s->files, (s->nfiles + 1) * sizeof(*nv));
	if (!f || !nv) {
		free(f);
		if (nv)
			s->files = nv;
		return NULL;
	}
	s->files = nv;
	f->path = strdup(path);
	s->files[s->nfiles++] = f;
	return f;
}

static struct proc_maps *maps_read(struct symbolizer *s, uint32_t pid)
{
	struct proc_maps *pm = hmap_get(&s->procs, pid);
	char path[64], line[4096];
	size_t cap = 0;
	FILE *fp;

	if (pm) {
		free(pm->v);
		pm->v = NULL;
		pm->n = 0;
	} else {
		pm = calloc(1, sizeof(*pm));
		if (!pm || hmap_put(&s->procs, pid, pm)) {
			free(pm);
			return NULL;
		}
	}
	snprintf(path, sizeof(path), "/proc/%u/maps", sys_proc_pid(pid));
	fp = fopen(path, "r");
	if (!fp)
		return pm;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long long st, en, off;
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &st, &en, perms, &off, &pos) <
			    4 ||
		    perms[2] != 'x')
			continue;
		if (pm->n == cap) {
			struct mapping *n = realloc(pm->v, (cap = cap ? cap * 2 : 32) * sizeof(*n));

			if (!n)
				break;
			pm->v = n;
		}
		line[strcspn(line, "\n")] = 0;
		pm->v[pm->n++] = (struct mapping){
			st, en, off, pos && line[pos] == '/' ? file_get(s, line + pos) : NULL
		};
	}
	fclose(fp);
	return pm;
}

static const struct mapping *find_mapping(struct proc_maps *pm, uint64_t addr)
{
	for (size_t i = 0; pm && i < pm->n; i++)
		if (addr >= pm->v[i].start && addr < pm->v[i].end)
			return &pm->v[i];
	return NULL;
}

struct symbolizer *sym_new(void)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	elf_version(EV_CURRENT);
	hmap_init(&s->procs);
	return s;
}

static void proc_maps_free(void *ctx, void *pm)
{
	(void)ctx;
	free(((struct proc_maps *)pm)->v);
	free(pm);
}

void sym_free(struct symbolizer *s)
{
	if (!s)
		return;
	hmap_free_values(&s->procs, proc_maps_free, NULL);
	for (size_t i = 0; i < s->nfiles; i++) {
		for (size_t j = 0; j < s->files[i]->nsyms; j++)
			free(s->files[i]->syms[j].name);
		free(s->files[i]->syms);
		free(s->files[i]->path);
		free(s->files[i]);
	}
	free(s->files);
	free(s);
}

void sym_forget(struct symbolizer *s, uint32_t pid)
{
	struct proc_maps *pm = hmap_del(&s->procs, pid);

	if (pm) {
		free(pm->v);
		free(pm);
	}
}

void sym_format(struct symbolizer *s, uint32_t pid, uint64_t addr, struct strbuf *out)
{
	struct proc_maps *pm = hmap_get(&s->procs, pid);
	const struct mapping *m = find_mapping(pm, addr);
	struct elf_file *f;
	uint64_t off, vaddr;
	const struct sym *best = NULL;

	/* A mapping we have not seen: the process mapped something new since. */
	if (!m)
		m = find_mapping(maps_read(s, pid), addr);
	if (!m || !m->file) {
		sb_printf(out, "[%#llx]", (unsigned long long)addr);
		return;
	}
	f = m->file;
	if (!f->loaded)
		load_symbols(f);
	off = addr - m->start + m->off;
	vaddr = off;
	for (int i = 0; i < f->nseg; i++)
		if (off >= f->seg[i].off && off < f->seg[i].off + f->seg[i].filesz)
			vaddr = off - f->seg[i].off + f->seg[i].vaddr;
	/* The last symbol at or below vaddr. */
	for (size_t lo = 0, hi = f->nsyms; lo < hi;) {
		size_t mid = (lo + hi) / 2;

		if (f->syms[mid].addr <= vaddr) {
			best = &f->syms[mid];
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (best && (!best->size || vaddr < best->addr + best->size))
		sb_printf(out, "%s(%s+%#llx) [%#llx]", f->path, best->name,
			  (unsigned long long)(vaddr - best->addr), (unsigned long long)off);
	else
		sb_printf(out, "%s() [%#llx]", f->path, (unsigned long long)off);
}
