// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "sysinfo.h"

const struct cgroup_fs cgroup_fs_host = {
	.proc = "/proc",
	.v1 = "/sys/fs/cgroup/memory",
	.v2 = "/sys/fs/cgroup",
	.docker = "/var/lib/docker",
	.podman = "/var/lib/containers/storage",
};

int cgroup_each_line(const struct cgroup_fs *fs, uint32_t pid,
		     int (*fn)(void *ctx, const char *controllers, const char *path), void *ctx)
{
	char path[512], line[1024];
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/cgroup", fs->proc, sys_proc_pid(pid));
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (!ret && fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *p = ctrl ? strchr(ctrl + 1, ':') : NULL;

		if (!p)
			continue;
		line[strcspn(line, "\n")] = 0;
		*p = 0;
		ret = fn(ctx, ctrl + 1, p + 1);
	}
	fclose(f);
	return ret;
}

/* v1: "N:memory:/path"; v2 (unified): "0::/path", used without a v1 memory line. */
static int memcg_line(void *ctx, const char *controllers, const char *path)
{
	char **found = ctx;
	bool memory = !strcmp(controllers, "memory");

	if (!memory && (*found || *controllers))
		return 0;
	free(*found);
	*found = strdup(path);
	return memory;
}

char *cgroup_of_pid(const struct cgroup_fs *fs, uint32_t pid)
{
	char *found = NULL;

	cgroup_each_line(fs, pid, memcg_line, &found);
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

/* The first number in a file; false when absent. "max" (or no number) reads as 0. */
static bool read_u64(const char *root, const char *cg, const char *name, unsigned long long *out)
{
	char path[1024];
	bool ok;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s/%s", root, strcmp(cg, "/") ? cg : "", name);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fscanf(f, "%llu", out) == 1;
	fclose(f);
	if (!ok)
		*out = 0;
	return true;
}

/* The value of key in a flat-keyed file ("oom_kill 3" lines); false when either is absent. */
static bool read_key(const char *root, const char *cg, const char *name, const char *key,
		     unsigned long long *out)
{
	char path[1024], k[64];
	unsigned long long v;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s/%s", root, strcmp(cg, "/") ? cg : "", name);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fscanf(f, "%63s %llu", k, &v) == 2)
		if (!strcmp(k, key)) {
			*out = v;
			found = true;
		}
	fclose(f);
	return found;
}

/* v1 reports "no limit" as a huge page-aligned number; v2 as "max" (read as 0). */
static bool real_limit(unsigned long long limit)
{
	return limit && limit < (1ull << 60);
}

/*
 * One level of the hierarchy: did the OOM happen at its limit? v2: memory.events' "oom"
 * (the limit was reached and reclaim failed; hierarchical, so an ancestor's limit shows at
 * the ancestor) with a memory.max; without an events file, the limit alone. v1: its limit
 * and memory.oom_control's oom_kill (4.13+), else memory.failcnt. Returns false when cg has
 * no memory controller files (v2: the memory is its ancestor's).
 */
static bool memcg_level(const struct cgroup_fs *fs, const char *cg, bool v1,
			struct alert_oom_info *at, bool *hit)
{
	unsigned long long limit = 0, n = 0, kills = 0;

	*hit = false;
	memset(at->oom_evidence, 0, sizeof(at->oom_evidence));
	at->memcg_high = at->memcg_oom_kills = at->memcg_limit = 0;
	if (v1) {
		if (!read_u64(fs->v1, cg, "memory.limit_in_bytes", &limit))
			return false;
		if (read_key(fs->v1, cg, "memory.oom_control", "oom_kill", &kills))
			at->memcg_oom_kills = kills;
		if (real_limit(limit) && kills)
			snprintf(at->oom_evidence, sizeof(at->oom_evidence), "memory.oom_control");
		else if (real_limit(limit) && read_u64(fs->v1, cg, "memory.failcnt", &n) && n)
			snprintf(at->oom_evidence, sizeof(at->oom_evidence), "memory.failcnt");
	} else {
		if (!read_u64(fs->v2, cg, "memory.max", &limit))
			return false;
		if (read_u64(fs->v2, cg, "memory.high", &n) && real_limit(n))
			at->memcg_high = n;
		if (read_key(fs->v2, cg, "memory.events", "oom_kill", &kills))
			at->memcg_oom_kills = kills;
		if (read_key(fs->v2, cg, "memory.events", "oom", &n)) {
			if (real_limit(limit) && n)
				snprintf(at->oom_evidence, sizeof(at->oom_evidence),
					 "memory.events");
		} else if (real_limit(limit)) {
			snprintf(at->oom_evidence, sizeof(at->oom_evidence), "memory.max");
		}
	}
	*hit = at->oom_evidence[0];
	if (*hit)
		at->memcg_limit = limit;
	return true;
}

/*
 * From the victim's memcg up to the root: the first level whose limit was reached makes it
 * the cgroup's OOM (at that level, maybe an ancestor's: a pod's limit over its containers);
 * none, the machine's. What is told of a global one is the victim's own memcg's.
 */
static void classify(const struct cgroup_fs *fs, const char *memcg, struct alert_oom_info *info)
{
	bool v1 = fs->v1 &&
		  read_u64(fs->v1, memcg, "memory.limit_in_bytes", &(unsigned long long){ 0 });
	struct alert_oom_info own = { 0 }, at;
	char cg[sizeof(info->memcg)];
	bool hit, seen = false;
	char *slash;

	info->memcg_version = v1 ? 1 : 2;
	snprintf(cg, sizeof(cg), "%s", memcg);
	for (;;) {
		if (memcg_level(fs, cg, v1, &at, &hit)) {
			if (!seen)
				own = at;
			seen = true;
			if (hit) {
				snprintf(info->oom_type, sizeof(info->oom_type), "cgroup");
				snprintf(info->oom_evidence, sizeof(info->oom_evidence), "%s",
					 at.oom_evidence);
				info->memcg_limit = at.memcg_limit;
				info->memcg_oom_kills = at.memcg_oom_kills;
				info->memcg_high = at.memcg_high;
				if (strcmp(cg, memcg))
					snprintf(info->limit_memcg, sizeof(info->limit_memcg), "%s",
						 cg);
				return;
			}
		}
		slash = strrchr(cg, '/');
		if (!slash || !strcmp(cg, "/"))
			break;
		slash[slash == cg] = 0; /* "/a" goes to "/" */
	}
	if (!seen)
		info->memcg_version = 0;
	info->memcg_oom_kills = own.memcg_oom_kills;
	info->memcg_high = own.memcg_high;
}

void cgroup_oom_info(const struct cgroup_fs *fs, const struct vmt_oom_rec *r,
		     uint64_t proc_memcg_id, const char *proc_cgroup, struct alert_oom_info *info)
{
	uint32_t victim = r->victim_pid;
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
	classify(fs, info->memcg, info);
	free(cg);
}
