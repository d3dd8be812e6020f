// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "filepaths.h"
#include "sysinfo.h"

static uint64_t id_key(uint32_t dev, uint64_t ino)
{
	/* A mix, not a packing: hmap keys must not be 0 and inodes use all 64 bits. */
	uint64_t k = (ino * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)dev << 32 | dev);

	return k ? k : 1;
}

struct fp_entry {
	uint64_t ino;
	uint32_t dev;
	uint32_t open_off; /* where the open path starts in text (0: the path opens it) */
	char text[];	   /* path, NUL, open path, NUL */
};

void filepaths_init(struct filepaths *fp, size_t max)
{
	memset(fp, 0, sizeof(*fp));
	hmap_init(&fp->by_id);
	fp->max = max;
}

void filepaths_free(struct filepaths *fp)
{
	size_t pos = 0;
	uint64_t key;
	void *val;

	while ((pos = hmap_next(&fp->by_id, pos, &key, &val)))
		free(val);
	hmap_free(&fp->by_id);
}

static const struct fp_entry *entry_of(const struct filepaths *fp, uint32_t dev, uint64_t ino)
{
	const struct fp_entry *e = hmap_get(&fp->by_id, id_key(dev, ino));

	/* Two identities can share a key: the entry says whose it is. */
	return e && e->dev == dev && e->ino == ino ? e : NULL;
}

const char *filepaths_get(const struct filepaths *fp, uint32_t dev, uint64_t ino)
{
	const struct fp_entry *e = entry_of(fp, dev, ino);

	return e ? e->text : NULL;
}

const char *filepaths_get_open(const struct filepaths *fp, uint32_t dev, uint64_t ino)
{
	const struct fp_entry *e = entry_of(fp, dev, ino);

	return e ? e->text + e->open_off : NULL;
}

int filepaths_put(struct filepaths *fp, uint32_t dev, uint64_t ino, const char *path,
		  const char *open)
{
	uint64_t key = id_key(dev, ino);
	struct fp_entry *old = hmap_get(&fp->by_id, key), *e;
	size_t n = strlen(path), o = open ? strlen(open) : 0;

	if (old && old->dev == dev && old->ino == ino && !strcmp(old->text, path) &&
	    !strcmp(old->text + old->open_off, open ? open : path))
		return 0;
	if (!old && fp->by_id.len >= fp->max) {
		fp->refused++;
		return -ENOSPC;
	}
	e = malloc(sizeof(*e) + n + 1 + o + 1);
	if (!e)
		return -ENOMEM;
	e->dev = dev;
	e->ino = ino;
	memcpy(e->text, path, n + 1);
	e->open_off = open ? (uint32_t)n + 1 : 0;
	if (open)
		memcpy(e->text + n + 1, open, o + 1);
	if (hmap_put(&fp->by_id, key, e)) {
		free(e);
		return -ENOMEM;
	}
	free(old);
	return 1;
}

int filepaths_learn_path(struct filepaths *fp, const char *path)
{
	char *abs = realpath(path, NULL);
	struct stat st;
	int err;

	/* Absolute, links resolved: as /proc/PID/maps names it, and as libdw opens it. */
	if (!abs)
		return -errno;
	if (stat(abs, &st)) {
		err = -errno;
	} else {
		uint32_t dev = major(st.st_dev) << 20 | minor(st.st_dev);

		err = filepaths_get(fp, dev, st.st_ino) ?
			      0 :
			      filepaths_put(fp, dev, st.st_ino, abs, NULL);
	}
	free(abs);
	return err;
}

/* Is the file at path the one with this identity? */
static bool same_file(const char *path, uint32_t dev, uint64_t ino)
{
	struct stat st;

	return !stat(path, &st) && st.st_ino == ino &&
	       (major(st.st_dev) << 20 | minor(st.st_dev)) == dev;
}

int filepaths_learn_pid(struct filepaths *fp, pid_t pid)
{
	char name[64], line[4096 + 128], there[4096 + 64];
	int added = 0;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%u/maps", sys_proc_pid(pid));
	f = fopen(name, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, ino;
		unsigned int maj, min;
		const char *open = NULL;
		int off = 0;
		char *path, *nl;
		uint32_t dev;

		if (sscanf(line, "%llx-%llx %*s %*x %x:%x %llu %n", &start, &end, &maj, &min, &ino,
			   &off) < 5 ||
		    !ino || !off)
			continue;
		path = line + off;
		nl = strchr(path, '\n');
		if (!nl)
			continue; /* a name longer than the line (or with a newline in it): not ours */
		*nl = 0;
		dev = maj << 20 | min;
		if (path[0] != '/' || filepaths_get(fp, dev, ino))
			continue;
		if (!same_file(path, dev, ino)) {
			/* In the process's own root (a container), else through the mapping itself. */
			snprintf(there, sizeof(there), "/proc/%u/root%s", sys_proc_pid(pid), path);
			if (!same_file(there, dev, ino))
				snprintf(there, sizeof(there), "/proc/%u/map_files/%llx-%llx",
					 sys_proc_pid(pid), start, end);
			if (!same_file(there, dev, ino))
				continue;
			open = there;
		}
		if (filepaths_put(fp, dev, ino, path, open) > 0)
			added++;
	}
	fclose(f);
	return added;
}
