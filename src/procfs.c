// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /proc readers for the model: the seeding fallback, which must give the model
 * exactly the records the BPF iterator gives (bpf/iter.bpf.c), and the names
 * that output shows.
 */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"
#include "sysinfo.h"

#define VSYSCALL_START 0xffffffffff600000ull /* the gate page: not a VMA of the mm */
#define STAT_START_BRK 47

int procfs_parse_stat(const char *line, uint64_t *start_brk)
{
	/* Fields are counted after comm's closing parenthesis, the last one on the line. */
	const char *s = strrchr(line, ')');
	int field = 2;

	if (!s)
		return -EINVAL;
	s++;
	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s || *s == '\n')
			break;
		if (++field == STAT_START_BRK) {
			*start_brk = strtoull(s, NULL, 10);
			return 0;
		}
		s += strcspn(s, " ");
	}
	return -EINVAL;
}

/* VmFlags mnemonics (fs/proc/task_mmu.c) of the vm_flags bits the model reads. */
static const struct {
	char name[3];
	uint64_t bit;
} vm_flag_names[] = {
	{ "rd", VMT_VM_READ },	     { "wr", VMT_VM_WRITE },	  { "ex", VMT_VM_EXEC },
	{ "ms", VMT_VM_MAYSHARE },   { "gd", VMT_VM_GROWSDOWN },  { "pf", VMT_VM_PFNMAP },
	{ "io", VMT_VM_IO },	     { "de", VMT_VM_DONTEXPAND }, { "mm", VMT_VM_MIXEDMAP },
	{ "nh", VMT_VM_NOHUGEPAGE }, { "dc", VMT_VM_DONTCOPY },
};

static uint64_t parse_vmflags(const char *s)
{
	uint64_t flags = 0;

	for (s += strspn(s, " "); *s && *s != '\n'; s += strspn(s, " ")) {
		size_t n = strcspn(s, " \n");

		for (size_t i = 0; n == 2 && i < sizeof(vm_flag_names) / sizeof(vm_flag_names[0]);
		     i++)
			if (!memcmp(s, vm_flag_names[i].name, 2))
				flags |= vm_flag_names[i].bit;
		s += n;
	}
	return flags;
}

long procfs_parse_smaps(FILE *f, struct vmt_vma **out, uint64_t *heap_end)
{
	char line[PATH_MAX + 256];
	struct vmt_vma *v = NULL;
	size_t n = 0, cap = 0;
	bool cur = false; /* the VmFlags that follow are those of v[n - 1] */

	*out = NULL;
	*heap_end = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off, ino;
		unsigned int maj, min;
		char perms[8];
		int name = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &s, &e, perms, &off, &maj,
			   &min, &ino, &name) == 7) {
			cur = s != VSYSCALL_START;
			if (!cur)
				continue;
			if (n == cap) {
				struct vmt_vma *nv =
					realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
			}
			v[n] = (struct vmt_vma){
				.start = s,
				.end = e,
				.pgoff = off / 4096,
				.ino = ino,
				.dev = (maj << 20) | min,
				.valid = 1,
				.vm_flags = (perms[0] == 'r' ? VMT_VM_READ : 0) |
					    (perms[1] == 'w' ? VMT_VM_WRITE : 0) |
					    (perms[2] == 'x' ? VMT_VM_EXEC : 0) |
					    (perms[3] == 's' ? VMT_VM_MAYSHARE : 0),
			};
			if (name && !strncmp(line + name, "[heap]", 6))
				*heap_end = e;
			n++;
		} else if (cur && !strncmp(line, "VmFlags:", 8)) {
			v[n - 1].vm_flags |= parse_vmflags(line + 8);
		}
	}
	*out = v;
	return n;
}

static void read_comm(uint32_t tgid, char comm[VMT_COMM_LEN])
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", sys_proc_pid(tgid));
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(comm, VMT_COMM_LEN, f))
		comm[strcspn(comm, "\n")] = 0;
	fclose(f);
}

static uint64_t read_start_brk(uint32_t tgid)
{
	char path[64], line[1024];
	uint64_t start_brk = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", sys_proc_pid(tgid));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f))
		procfs_parse_stat(line, &start_brk);
	fclose(f);
	return start_brk;
}

uint32_t procfs_tgid_of(uint32_t tid)
{
	char path[64], line[256];
	unsigned int tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", sys_proc_pid(tid));
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && !tgid)
		if (sscanf(line, "Tgid: %u", &tgid) != 1)
			tgid = 0;
	fclose(f);
	return sys_kernel_pid(tgid); /* Tgid: is in /proc's PID namespace */
}

static uint64_t dir_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

uint64_t procfs_memcg_id(uint32_t tgid)
{
	static const char v2_root[] = "/sys/fs/cgroup";
	char path[64], line[512], dir[PATH_MAX] = "", probe[PATH_MAX + 16];
	bool v1 = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", sys_proc_pid(tgid));
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!v1 && fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *cg = ctrl ? strchr(ctrl + 1, ':') : NULL;

		if (!cg)
			continue;
		line[strcspn(line, "\n")] = 0;
		/* v1: "N:memory:/path", which wins; v2: "0::/path". */
		v1 = !strncmp(ctrl + 1, "memory:", 7);
		if (v1)
			snprintf(dir, sizeof(dir), "%s/memory%s", v2_root, cg + 1);
		else if (!strncmp(ctrl, "::", 2))
			snprintf(dir, sizeof(dir), "%s%s", v2_root, cg + 1);
	}
	fclose(f);
	if (!dir[0])
		return 0;
	/* v2: a cgroup without the memory controller is charged to its nearest ancestor's. */
	while (!v1 && strlen(dir) > strlen(v2_root)) {
		snprintf(probe, sizeof(probe), "%s/memory.current", dir);
		if (!access(probe, F_OK))
			break;
		*strrchr(dir, '/') = 0;
	}
	return dir_ino(dir);
}

int procfs_seed(uint32_t tgid, procfs_seed_fn fn, void *ctx)
{
	struct vmt_iter_rec rec = { .kind = VMT_ITER_PROC, .tgid = tgid };
	char path[64];
	struct vmt_vma *v;
	uint64_t heap_end;
	long n;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%u/smaps", sys_proc_pid(tgid));
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = procfs_parse_smaps(f, &v, &heap_end);
	fclose(f);
	if (n < 0)
		return n;
	/*
	 * No VMAs: the mm is gone (a zombie, an exiting process, a kernel thread). There is
	 * nothing to read; replacing what the events said with an empty space would lose it.
	 */
	if (n == 0) {
		free(v);
		return -ESRCH;
	}
	read_comm(tgid, rec.comm);
	rec.start_brk = read_start_brk(tgid);
	/* mm->brk is in no /proc file: the [heap] VMA ends at it, rounded up to a page. */
	rec.brk = heap_end ? heap_end : rec.start_brk;
	rec.map_count = n;
	rec.memcg_id = procfs_memcg_id(tgid);
	err = fn(ctx, &rec);
	for (long i = 0; !err && i < n; i++) {
		rec = (struct vmt_iter_rec){ .kind = VMT_ITER_VMA, .tgid = tgid, .vma = v[i] };
		err = fn(ctx, &rec);
	}
	free(v);
	return 0;
}

#define PF_EXITING 0x4 /* include/linux/sched.h: set when a task starts to exit */

bool procfs_alive(uint32_t tgid)
{
	char path[64], line[1024], *s;
	unsigned long flags = 0;
	bool alive = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", sys_proc_pid(tgid));
	f = fopen(path, "re");
	if (!f)
		return false;
	/* "pid (comm) state ppid pgrp session tty_nr tpgid flags ...": comm may hold ')' */
	if (fgets(line, sizeof(line), f) && (s = strrchr(line, ')')) && s[1] == ' ' && s[2])
		alive = s[2] != 'Z' && s[2] != 'X' &&
			sscanf(s + 3, " %*d %*d %*d %*d %*d %lu", &flags) == 1 &&
			!(flags & PF_EXITING);
	fclose(f);
	return alive;
}

/* Records of one read, held until it is known to be whole. */
struct held {
	struct vmt_iter_rec *v;
	size_t n, cap;
};

static int hold(void *ctx, const struct vmt_iter_rec *r)
{
	struct held *h = ctx;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct vmt_iter_rec *v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n++] = *r;
	return 0;
}

int procfs_reseed(struct model *m, uint32_t tgid, procfs_iter_fn iter, void *iter_ctx)
{
	struct model_seeder s = { .m = m };
	struct held h = { 0 };
	int err = 0;

	if (!procfs_alive(tgid))
		return -ESRCH;
	if (!iter || iter(iter_ctx, tgid, hold, &h) <= 0) {
		h.n = 0; /* the iterator could not: the same records from /proc */
		err = procfs_seed(tgid, hold, &h);
	}
	/*
	 * A process that exits while it is read loses VMAs in the middle of the read, and one
	 * that is gone has none to read: either way the events said more than the read can.
	 */
	if (!err && !procfs_alive(tgid))
		err = -ESRCH;
	if (err == -ENOENT)
		err = -ESRCH;
	for (size_t i = 0; !err && i < h.n; i++)
		model_seed_iter(&s, &h.v[i]);
	model_seeder_end(&s);
	free(h.v);
	return err;
}

/* ---- names for output ---------------------------------------------------------------------- */

static int proc_file_path(void *ctx, uint32_t tgid, uint64_t start, uint64_t end, char *buf,
			  size_t size)
{
	char link[96];
	ssize_t n;

	(void)ctx;
	snprintf(link, sizeof(link), "/proc/%u/map_files/%llx-%llx", sys_proc_pid(tgid),
		 (unsigned long long)start, (unsigned long long)end);
	n = readlink(link, buf, size - 1);
	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	buf[n] = 0;
	return n;
}

static size_t proc_special_names(void *ctx, uint32_t tgid, struct model_special_name **out)
{
	char path[64], line[512];
	struct model_special_name *v = NULL;
	size_t n = 0, cap = 0;
	FILE *f;

	(void)ctx;
	*out = NULL;
	snprintf(path, sizeof(path), "/proc/%u/maps", sys_proc_pid(tgid));
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *name = strchr(line, '[');
		unsigned long long s;

		/* [heap] and [stack] the model names itself. */
		if (!name || strchr(line, '/') || !strncmp(name, "[heap]", 6) ||
		    !strncmp(name, "[stack]", 7) || sscanf(line, "%llx-", &s) != 1)
			continue;
		if (n == cap) {
			struct model_special_name *nv =
				realloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));

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

const struct model_resolver procfs_resolver = {
	.file_path = proc_file_path,
	.special_names = proc_special_names,
};
