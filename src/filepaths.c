// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "filepaths.h"

static uint64_t id_key(uint32_t dev, uint64_t ino)
{
	/* A mix, not a packing: hmap keys must not be 0 and inodes use all 64 bits. */
	uint64_t k = (ino * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)dev << 32 | dev);

	return k ? k : 1;
}

struct fp_entry {
	uint64_t ino;
	uint32_t dev;
	char path[];
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

const char *filepaths_get(const struct filepaths *fp, uint32_t dev, uint64_t ino)
{
	const struct fp_entry *e = hmap_get(&fp->by_id, id_key(dev, ino));

	/* Two identities can share a key: the entry says whose it is. */
	return e && e->dev == dev && e->ino == ino ? e->path : NULL;
}

int filepaths_put(struct filepaths *fp, uint32_t dev, uint64_t ino, const char *path)
{
	uint64_t key = id_key(dev, ino);
	struct fp_entry *old = hmap_get(&fp->by_id, key), *e;
	size_t n = strlen(path);

	if (old && old->dev == dev && old->ino == ino && !strcmp(old->path, path))
		return 0;
	if (!old && fp->by_id.len >= fp->max) {
		fp->refused++;
		return -ENOSPC;
	}
	e = malloc(sizeof(*e) + n + 1);
	if (!e)
		return -ENOMEM;
	e->dev = dev;
	e->ino = ino;
	memcpy(e->path, path, n + 1);
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

		err = filepaths_get(fp, dev, st.st_ino) ? 0 :
							  filepaths_put(fp, dev, st.st_ino, abs);
	}
	free(abs);
	return err;
}

int filepaths_learn_pid(struct filepaths *fp, pid_t pid)
{
	char name[64], line[4096 + 128];
	int added = 0;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%d/maps", (int)pid);
	f = fopen(name, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned int maj, min;
		unsigned long long ino;
		int off = 0;
		char *path, *nl;

		if (sscanf(line, "%*x-%*x %*s %*x %x:%x %llu %n", &maj, &min, &ino, &off) < 3 ||
		    !ino || !off)
			continue;
		path = line + off;
		nl = strchr(path, '\n');
		if (nl)
			*nl = 0;
		/* " (deleted)" files and names with newlines cannot be opened by that name. */
		if (path[0] != '/' || strstr(path, " (deleted)"))
			continue;
		if (filepaths_get(fp, maj << 20 | min, ino))
			continue;
		if (filepaths_put(fp, maj << 20 | min, ino, path) > 0)
			added++;
	}
	fclose(f);
	return added;
}
