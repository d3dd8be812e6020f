/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Memory cgroups: a process's cgroup path from /proc, a memcg's path from
 * its kernfs id (the inode number of its directory), and whether an OOM kill
 * was its cgroup's (a limit that it ran into) or the whole machine's. The
 * file system roots are parameters, so that a fake tree tests it.
 */
#ifndef VMATRACE_CGROUP_H
#define VMATRACE_CGROUP_H

#include <stdint.h>

#include "alert.h"
#include "vmatrace.h"

struct cgroup_fs {
	const char *proc; /* "/proc" */
	const char *v1;	  /* the v1 memory controller's mount, "/sys/fs/cgroup/memory" */
	const char *v2;	  /* the unified hierarchy's mount, "/sys/fs/cgroup" */
	/* Container runtimes' state, for names (container_read.h); NULL: not read. */
	const char *docker; /* "/var/lib/docker" */
	const char *podman; /* containers/storage: "/var/lib/containers/storage" */
};

/* The running system's mounts. */
extern const struct cgroup_fs cgroup_fs_host;

/*
 * Each line of pid's cgroup file, "ID:CONTROLLERS:PATH", as fn(ctx, controllers, path) ("" for
 * v2's unified line), until fn returns non-zero. Returns that, 0 at the end, -1 when the file
 * cannot be read (the process is gone).
 */
int cgroup_each_line(const struct cgroup_fs *fs, uint32_t pid,
		     int (*fn)(void *ctx, const char *controllers, const char *path), void *ctx);

/*
 * The memory cgroup of pid from its cgroup file: v1's memory controller, or
 * the unified (v2) path when there is no v1 memory line. malloc'd, NULL if unknown.
 */
char *cgroup_of_pid(const struct cgroup_fs *fs, uint32_t pid);

/* The path of the memcg with that id, relative to its mount ("/": the root); malloc'd or NULL. */
char *cgroup_memcg_path(const struct cgroup_fs *fs, uint64_t id);

/*
 * Classify an OOM kill: info->memcg is the victim's memory cgroup, found from
 * (in order) the trigger's memcg when the victim triggered it, the victim's
 * cgroup file, what BPF saw at its exec (proc_memcg_id), the path read at its
 * exec (proc_cgroup), the trigger's memcg; oom_type is "cgroup" when that
 * memcg has a limit it reached, "global" otherwise.
 */
void cgroup_oom_info(const struct cgroup_fs *fs, const struct vmt_oom_rec *r,
		     uint64_t proc_memcg_id, const char *proc_cgroup, struct alert_oom_info *info);

#endif
