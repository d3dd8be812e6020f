/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * File identities (device, inode) to paths, for the files that processes map.
 * The model keeps identities only (a VMA record has no path); unwinding and
 * symbolizing need the path of each file that was mapped at the time of a
 * call, also after the process is gone. Paths are learnt from /proc while a
 * process that maps the file lives (shared libraries are mapped by many, and
 * by vmatrace itself), checked with stat() against the identity when
 * learnt, and kept in a bounded cache. A file that is not at its path in our
 * mount namespace (a container's, a chroot's) or no longer at it (deleted or
 * replaced by an upgrade while mapped) keeps the path the process sees, for
 * people, and a second path to open it by from here: through
 * /proc/PID/root/PATH or /proc/PID/map_files/START-END.
 */
#ifndef VMATRACE_FILEPATHS_H
#define VMATRACE_FILEPATHS_H

#include <stdint.h>
#include <sys/types.h>

#include "hmap.h"

struct filepaths {
	struct hmap by_id; /* key(dev, ino) -> struct fp_entry (path, open path) */
	size_t max;	   /* entries kept at most; past that, new ones are not learnt */
	uint64_t refused;  /* paths not kept because the cache was full */
};

void filepaths_init(struct filepaths *fp, size_t max);
void filepaths_free(struct filepaths *fp);
/* dev is the kernel's encoding (MAJOR << 20 | MINOR), as struct vmt_vma has it. */
const char *filepaths_get(const struct filepaths *fp, uint32_t dev, uint64_t ino);
/* Where to open that file from here: the path, or where it is reached through /proc. */
const char *filepaths_get_open(const struct filepaths *fp, uint32_t dev, uint64_t ino);
/* open: NULL when path opens the file here. */
int filepaths_put(struct filepaths *fp, uint32_t dev, uint64_t ino, const char *path,
		  const char *open);
/* Learn every file mapped by pid from /proc/PID/maps; returns how many were new, or -errno. */
int filepaths_learn_pid(struct filepaths *fp, pid_t pid);
/* Learn one file by its path (stat() gives the identity). */
int filepaths_learn_path(struct filepaths *fp, const char *path);

#endif
