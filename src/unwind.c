// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * DWARF unwinding with elfutils' libdwfl. One Dwfl per address space, kept
 * while the space lives (reporting a file opens and indexes its ELF: far more
 * than one unwind costs), attached once with callbacks that serve the sample
 * being unwound: its registers and its copy of the stack window.
 */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unwind.h"

/* libstdc++'s demangler (the one g++'s own tools use); linked with -lstdc++. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

struct reported {
	uint64_t base;
	char *path;
	bool ok;
};

struct space {
	uint32_t tgid;
	bool used;
	bool attached;
	uint64_t last_use;
	Dwfl *dwfl;
	struct reported *mods;
	size_t nmods, cap;
	/* The sample being unwound (valid during unwind_stack only). */
	const struct unwind_input *cur;
	bool beyond_window;
};

/*
 * Formatted frames by (file, offset in the file, first frame or not): libdwfl looks symbols up
 * by a linear scan of the symbol table (~35 us a frame in a test binary), so repeats, which is
 * what stacks are made of, come from here. Direct-mapped: bounded, a collision replaces.
 */
#define SYMCACHE_SIZE 4096

struct sym_entry {
	uint64_t key;
	char *text;
};

struct unwinder {
	struct sym_entry symcache[SYMCACHE_SIZE];
	uint64_t sym_hits, sym_misses;
	struct space *spaces;
	unsigned int nspaces;
	uint64_t clock;
	char *debuginfo_path;
	Dwfl_Callbacks dwfl_cb;
};

static void space_clear(struct space *s)
{
	if (s->dwfl)
		dwfl_end(s->dwfl);
	for (size_t i = 0; i < s->nmods; i++)
		free(s->mods[i].path);
	free(s->mods);
	memset(s, 0, sizeof(*s));
}

struct unwinder *unwinder_new(unsigned int cache_spaces)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->nspaces = cache_spaces ? cache_spaces : 1;
	u->spaces = calloc(u->nspaces, sizeof(*u->spaces));
	if (!u->spaces) {
		free(u);
		return NULL;
	}
	u->dwfl_cb.find_elf = dwfl_build_id_find_elf;
	/* Separate debug files by build-id under /usr/lib/debug, and .gnu_debuglink. */
	u->dwfl_cb.find_debuginfo = dwfl_standard_find_debuginfo;
	u->dwfl_cb.debuginfo_path = &u->debuginfo_path;
	return u;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	for (unsigned int i = 0; i < u->nspaces; i++)
		space_clear(&u->spaces[i]);
	for (unsigned int i = 0; i < SYMCACHE_SIZE; i++)
		free(u->symcache[i].text);
	free(u->spaces);
	free(u);
}

void unwinder_forget(struct unwinder *u, uint32_t tgid)
{
	for (unsigned int i = 0; u && i < u->nspaces; i++)
		if (u->spaces[i].used && u->spaces[i].tgid == tgid)
			space_clear(&u->spaces[i]);
}

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct space *s = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = s;
	return s->cur->tid;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct space *s = arg;
	const struct unwind_input *in = s->cur;
	uint64_t sp = in->regs[UNW_RSP];

	(void)dwfl;
	if (addr >= sp && addr - sp + sizeof(*result) <= in->stack_len) {
		memcpy(result, (const char *)in->stack + (addr - sp), sizeof(*result));
		return true;
	}
	/* A read just past the copy: the stack goes on where the window ends. */
	if (addr >= sp && addr - sp < in->stack_len + (1u << 20))
		s->beyond_window = true;
	return false;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct space *s = arg;

	return dwfl_thread_state_registers(thread, 0, UNW_NREGS, s->cur->regs);
}

static const Dwfl_Thread_Callbacks thread_cb = {
	.next_thread = cb_next_thread,
	.get_thread = cb_get_thread,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_initial_registers,
};

static struct space *space_get(struct unwinder *u, uint32_t tgid)
{
	struct space *lru = &u->spaces[0];

	for (unsigned int i = 0; i < u->nspaces; i++) {
		struct space *s = &u->spaces[i];

		if (s->used && s->tgid == tgid)
			return s;
		if (!s->used || (lru->used && s->last_use < lru->last_use))
			lru = s;
	}
	space_clear(lru);
	lru->dwfl = dwfl_begin(&u->dwfl_cb);
	if (!lru->dwfl)
		return NULL;
	lru->used = true;
	lru->tgid = tgid;
	return lru;
}

static struct reported *reported_find(struct space *s, const char *path, uint64_t base)
{
	for (size_t i = 0; i < s->nmods; i++)
		if (s->mods[i].base == base && !strcmp(s->mods[i].path, path))
			return &s->mods[i];
	return NULL;
}

/*
 * The load base of the file mapped by m: start - offset of the file's mapping with the lowest
 * offset (its ELF header). A later segment's start - offset can be off by its alignment (a
 * data segment at p_vaddr 0xd7d10, offset 0xd6d10), which would place the file wrongly.
 */
static uint64_t load_base(const struct unwind_input *in, const struct unwind_map *m)
{
	const struct unwind_map *best = m;

	for (size_t i = 0; i < in->nmaps; i++) {
		const struct unwind_map *o = &in->maps[i];

		if (o->pgoff < best->pgoff && o->path && !strcmp(o->path, m->path) &&
		    o->start - o->pgoff <= m->start)
			best = o;
	}
	return best->start - best->pgoff;
}

/* Report each file of the sample once, at its load base. */
static void report_maps(struct space *s, const struct unwind_input *in)
{
	const struct unwind_map *prev = NULL;
	uint64_t base = 0;
	bool begun = false;

	for (size_t i = 0; i < in->nmaps; i++) {
		const struct unwind_map *m = &in->maps[i];
		struct reported *r;

		if (!m->path || m->path[0] != '/')
			continue;
		/*
		 * The next segment of the file the last one was of (the maps are in address
		 * order) has that one's base: one string compare rather than load_base()'s
		 * look at every map, which took a tenth of the daemon's time at one sampled
		 * call in 1024.
		 */
		if (!prev || prev->pgoff > m->pgoff || strcmp(prev->path, m->path))
			base = load_base(in, m);
		prev = m;
		if (reported_find(s, m->path, base))
			continue;
		if (s->nmods == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 16;
			struct reported *n = realloc(s->mods, cap * sizeof(*n));

			if (!n)
				break;
			s->mods = n;
			s->cap = cap;
		}
		r = &s->mods[s->nmods];
		r->path = strdup(m->path);
		if (!r->path)
			break;
		r->base = base;
		s->nmods++;
		if (!begun) {
			dwfl_report_begin_add(s->dwfl);
			begun = true;
		}
		r->ok = dwfl_report_elf(s->dwfl, strrchr(m->path, '/') + 1,
					m->file ? m->file : m->path, -1, base, false) != NULL;
	}
	if (begun)
		dwfl_report_end(s->dwfl, NULL, NULL);
}

struct frames_ctx {
	struct unwind_frame *out;
	int max, n;
};

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct frames_ctx *c = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	c->out[c->n].pc = pc;
	c->out[c->n].activation = activation;
	c->n++;
	return c->n < c->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static const struct unwind_map *map_of(const struct unwind_input *in, uint64_t addr)
{
	size_t lo = 0, hi = in->nmaps;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (addr < in->maps[mid].start)
			hi = mid;
		else if (addr >= in->maps[mid].end)
			lo = mid + 1;
		else
			return &in->maps[mid];
	}
	return NULL;
}

int unwind_stack(struct unwinder *u, const struct unwind_input *in, struct unwind_frame *out,
		 int max, struct unwind_result *res)
{
	struct frames_ctx c = { .out = out, .max = max };
	struct space *s;

	memset(res, 0, sizeof(*res));
	if (max <= 0)
		return 0;
	s = space_get(u, in->tgid);
	if (!s)
		goto only_pc;
	s->last_use = ++u->clock;
	s->cur = in;
	s->beyond_window = false;
	report_maps(s, in);
	if (!s->attached) {
		/* The architecture comes from the first module reported. */
		if (!dwfl_attach_state(s->dwfl, NULL, in->tgid, &thread_cb, s))
			goto only_pc;
		s->attached = true;
	}
	dwfl_getthread_frames(s->dwfl, in->tid, frame_cb, &c);
	s->cur = NULL;
	if (c.n == 0)
		goto only_pc;
	res->nframes = c.n;
	res->no_module = c.n < max && !map_of(in, out[c.n - 1].pc);
	/* A pc in no known file stops the walk by itself: libdw's guesses past it are no cut. */
	res->window_end = s->beyond_window && c.n < max && !res->no_module;
	return c.n;
only_pc:
	if (s)
		s->cur = NULL;
	out[0].pc = in->regs[UNW_RIP];
	out[0].activation = true;
	res->nframes = 1;
	res->no_module = !map_of(in, out[0].pc);
	return 1;
}

static void format_frame(struct unwinder *u, const struct unwind_input *in,
			 const struct unwind_frame *f, struct strbuf *out)
{
	/* A return address points after the call: look it up one byte back. */
	uint64_t lookup = f->activation ? f->pc : f->pc - 1;
	const struct unwind_map *m = map_of(in, lookup);
	const char *name = NULL;
	GElf_Off off = 0;
	GElf_Sym sym;
	struct space *s = NULL;

	if (!m) {
		sb_printf(out, "[0x%llx]", (unsigned long long)f->pc);
		return;
	}
	for (unsigned int i = 0; i < u->nspaces; i++)
		if (u->spaces[i].used && u->spaces[i].tgid == in->tgid)
			s = &u->spaces[i];
	if (s && s->dwfl) {
		Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, lookup);

		if (mod)
			name = dwfl_module_addrinfo(mod, lookup, &off, &sym, NULL, NULL, NULL);
	}
	sb_puts(out, m->path);
	if (name) {
		int status = -1;
		char *dem = name[0] == '_' && name[1] == 'Z' ?
				    __cxa_demangle(name, NULL, NULL, &status) :
				    NULL;

		const char *shown = dem && !status ? dem : name;
		const char *at =
			strchr(shown, '@'); /* "__libc_start_main@@GLIBC_2.34": no version */

		sb_putc(out, '(');
		sb_putn(out, shown, at && at != shown ? (size_t)(at - shown) : strlen(shown));
		sb_printf(out, "+0x%llx) ", (unsigned long long)(off + (lookup != f->pc)));
		free(dem);
	} else {
		sb_putc(out, '+');
	}
	sb_printf(out, name ? "[0x%llx]" : "0x%llx",
		  (unsigned long long)(f->pc - m->start + m->pgoff));
}

static uint64_t sym_key(const char *path, uint64_t fileoff, bool activation)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *c = path; *c; c++) {
		h ^= (unsigned char)*c;
		h *= 0x100000001b3ull;
	}
	h ^= fileoff * 0x9e3779b97f4a7c15ull + activation;
	return h ? h : 1;
}

void unwind_format_frame(struct unwinder *u, const struct unwind_input *in,
			 const struct unwind_frame *f, struct strbuf *out)
{
	const struct unwind_map *m = map_of(in, f->activation ? f->pc : f->pc - 1);
	struct sym_entry *e;
	struct strbuf one;
	uint64_t key;

	if (!m) {
		format_frame(u, in, f, out);
		return;
	}
	/* By the file opened: two containers' libc.so.6 are two files. */
	key = sym_key(m->file ? m->file : m->path, f->pc - m->start + m->pgoff, f->activation);
	e = &u->symcache[key % SYMCACHE_SIZE];
	if (e->key == key && e->text) {
		u->sym_hits++;
		sb_puts(out, e->text);
		return;
	}
	u->sym_misses++;
	sb_init(&one);
	format_frame(u, in, f, &one);
	if (one.buf && !one.oom) {
		free(e->text);
		e->key = key;
		e->text = one.buf;
		sb_puts(out, e->text);
		return;
	}
	sb_free(&one);
	format_frame(u, in, f, out);
}
