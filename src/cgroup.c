// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"

const struct cgroup_fs cgroup_fs_host = {
	.proc = "/proc",
	.v1 = "/sys/fs/cgroup/memory",
	.v2 = "/sys/fs/cgroup",
	.docker = "/var/lib/docker",
	.podman = "/var/lib/containers/storage",
};

char *cgroup_of_pid(const struct cgroup_fs *fs, uint32_t pid)
{
	char path[512], line[512], *found = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/cgroup", fs->proc, pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *p = ctrl ? strchr(ctrl + 1, ':') : NULL;

		if (!p)
			continue;
		line[strcspn(line, "\n")] = 0;
		/* v1: "N:memory:/path"; v2 (unified): "0::/path", used without a v1 memory line. */
		if (!strncmp(ctrl + 1, "memory:", 7) || (!found && !strncmp(ctrl, "::", 2))) {
			free(found);
			found = strdup(p + 1);
			if (!strncmp(ctrl + 1, "memory:", 7))
				break;
		}
	}
	fclose(f);
	return found;
}

/* nftw() takes no context: the search's state (one search at a time, on the loop's thread). */
static uint64_t memcg_wanted;
static char memcg_found[512];
static size_t memcg_root_len;

static int memcg_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D && st->st_ino == memcg_wanted) {
		snprintf(memcg_found, sizeof(memcg_found), "%s",
			 path[memcg_root_len] ? path + memcg_root_len : "/");
		return 1;
	}
	return 0;
}

char *cgroup_memcg_path(const struct cgroup_fs *fs, uint64_t id)
{
	const char *const roots[] = { fs->v1, fs->v2 };

	if (!id)
		return NULL;
	for (size_t i = 0; i < 2; i++) {
		memcg_wanted = id;
		memcg_found[0] = 0;
		memcg_root_len = strlen(roots[i]);
		if (nftw(roots[i], memcg_visit, 16, FTW_PHYS | FTW_MOUNT) == 1 && memcg_found[0])
			return strdup(memcg_found);
	}
	return NULL;
}

/* The first number in a file; false when absent or not a number ("max"). */
static bool read_u64(const char *root, const char *cg, const char *name, unsigned long long *out)
{
	char path[1024];
	bool ok;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s/%s", root, cg, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fscanf(f, "%llu", out) == 1;
	fclose(f);
	if (!ok)
		*out = 0;
	return true;
}

void cgroup_oom_info(const struct cgroup_fs *fs, const struct vmt_oom_rec *r,
		     uint64_t proc_memcg_id, const char *proc_cgroup, struct alert_oom_info *info)
{
	uint32_t victim = r->victim_pid;
	unsigned long long limit = 0, failcnt = 0;
	char *cg = NULL;

	memset(info, 0, sizeof(*info));
	snprintf(info->oom_type, sizeof(info->oom_type), "global");
	/* A victim that was itself allocating: its memcg as BPF read it at the kill. */
	if (r->trigger_memcg_id && r->hdr.tgid == victim)
		cg = cgroup_memcg_path(fs, r->trigger_memcg_id);
	if (!cg)
		cg = cgroup_of_pid(fs, victim);
	/* An exiting task is moved to the root cgroup: "/" then tells nothing. */
	if (cg && !strcmp(cg, "/") && (proc_memcg_id || r->trigger_memcg_id)) {
		free(cg);
		cg = NULL;
	}
	/* Most victims are gone by now: what BPF saw at their exec, or the trigger's memcg. */
	if (!cg && proc_memcg_id)
		cg = cgroup_memcg_path(fs, proc_memcg_id);
	if (!cg && proc_cgroup)
		cg = strdup(proc_cgroup);
	if (!cg && r->trigger_memcg_id)
		cg = cgroup_memcg_path(fs, r->trigger_memcg_id);
	if (!cg)
		return;
	snprintf(info->memcg, sizeof(info->memcg), "%s", cg);
	if (read_u64(fs->v1, cg, "memory.limit_in_bytes", &limit)) {
		if (!read_u64(fs->v1, cg, "memory.failcnt", &failcnt))
			failcnt = 0;
	} else if (read_u64(fs->v2, cg, "memory.max", &limit)) {
		/* v2 has no failcnt here: a limit ("max" reads as none) is what counts. */
		failcnt = limit != 0;
	}
	/* v1 reports "no limit" as a huge page-aligned number. */
	if (limit && limit < (1ull << 60) && failcnt) {
		snprintf(info->oom_type, sizeof(info->oom_type), "cgroup");
		info->memcg_limit = limit;
	}
	free(cg);
}
