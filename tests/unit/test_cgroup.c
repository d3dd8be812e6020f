// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory cgroups on a fake tree in a temporary directory: a process's cgroup
 * from its cgroup file (v1 memory first, else the unified path), a memcg's
 * path from its id (the directory's inode), and the OOM classification: a
 * limit that was reached makes a cgroup OOM, anything else a global one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "tree_fixture.h"

static char root[] = "/tmp/vmatrace-cgroup-XXXXXX";
static char proc[128], v1[128], v2[128];
static struct cgroup_fs fs;

static void put(const char *dir, const char *rel, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", dir, rel);
	tree_put(path, text);
}

static void mkdirs(const char *dir, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", dir, rel);
	cr_assert_eq(mkdir(path, 0755), 0, "%s", path);
}

static uint64_t ino(const char *dir, const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", dir, rel);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_ino;
}

static void setup(void)
{
	cr_assert(mkdtemp(root));
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(v1, sizeof(v1), "%s/v1", root);
	snprintf(v2, sizeof(v2), "%s/v2", root);
	cr_assert_eq(mkdir(proc, 0755), 0);
	cr_assert_eq(mkdir(v2, 0755), 0);
	fs = (struct cgroup_fs){ .proc = proc, .v1 = v1, .v2 = v2 };
}

static void teardown(void)
{
	tree_remove(root);
}

TestSuite(cgroup, .init = setup, .fini = teardown);

Test(cgroup, v1_memory_line_wins_over_the_unified_path)
{
	char *cg;

	mkdirs(proc, "/10");
	put(proc, "/10/cgroup", "0::/unified/a\n12:cpu,cpuacct:/c\n4:memory:/mem/b\n");
	cg = cgroup_of_pid(&fs, 10);
	cr_assert_str_eq(cg, "/mem/b");
	free(cg);
	mkdirs(proc, "/11");
	put(proc, "/11/cgroup", "0::/system.slice/x.service\n");
	cg = cgroup_of_pid(&fs, 11);
	cr_assert_str_eq(cg, "/system.slice/x.service");
	free(cg);
	cr_assert_null(cgroup_of_pid(&fs, 12), "no such process");
}

Test(cgroup, memcg_path_from_the_inode_of_its_directory)
{
	char *cg;

	mkdirs(v2, "/a");
	mkdirs(v2, "/a/b");
	cg = cgroup_memcg_path(&fs, ino(v2, "/a/b"));
	cr_assert_str_eq(cg, "/a/b");
	free(cg);
	cg = cgroup_memcg_path(&fs, ino(v2, ""));
	cr_assert_str_eq(cg, "/", "the root");
	free(cg);
	cr_assert_null(cgroup_memcg_path(&fs, 0));
	cr_assert_null(cgroup_memcg_path(&fs, ino(root, "")), "outside the hierarchy");
}

static struct vmt_oom_rec oom(uint32_t victim, uint32_t trigger, uint64_t trigger_memcg)
{
	struct vmt_oom_rec r = { .victim_pid = victim, .trigger_memcg_id = trigger_memcg };

	r.hdr.tgid = trigger;
	return r;
}

/* Without memory.events (a fake tree, a kernel before it), the limit alone says it. */
Test(cgroup, a_v2_limit_makes_a_cgroup_oom)
{
	struct vmt_oom_rec r;
	struct alert_oom_info info;

	mkdirs(v2, "/jail");
	put(v2, "/jail/memory.max", "67108864\n");
	mkdirs(proc, "/20");
	put(proc, "/20/cgroup", "0::/jail\n");
	r = oom(20, 21, 0);
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.memcg, "/jail");
	cr_assert_str_eq(info.oom_type, "cgroup");
	cr_assert_eq(info.memcg_limit, 67108864);
	/* "max": no limit, so the machine ran out. */
	put(v2, "/jail/memory.max", "max\n");
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.memcg, "/jail");
	cr_assert_str_eq(info.oom_type, "global");
	cr_assert_eq(info.memcg_limit, 0);
}

Test(cgroup, v1_needs_a_real_limit_and_a_failure)
{
	struct vmt_oom_rec r = oom(30, 31, 0);
	struct alert_oom_info info;

	cr_assert_eq(mkdir(v1, 0755), 0);
	mkdirs(v1, "/box");
	mkdirs(proc, "/30");
	put(proc, "/30/cgroup", "5:memory:/box\n");
	put(v1, "/box/memory.limit_in_bytes", "1048576\n");
	put(v1, "/box/memory.failcnt", "0\n");
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.oom_type, "global", "a limit never hit");
	put(v1, "/box/memory.failcnt", "3\n");
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.oom_type, "cgroup");
	cr_assert_eq(info.memcg_limit, 1048576);
	/* v1's "no limit" is a huge page-aligned number. */
	put(v1, "/box/memory.limit_in_bytes", "9223372036854771712\n");
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.oom_type, "global");
}

Test(cgroup, a_gone_victim_is_found_by_what_was_seen_of_it_before)
{
	struct vmt_oom_rec r = oom(40, 41, 0);
	struct alert_oom_info info;

	mkdirs(v2, "/svc");
	put(v2, "/svc/memory.max", "4096\n");
	/* No /proc entry: the memcg id BPF read at its exec. */
	cgroup_oom_info(&fs, &r, ino(v2, "/svc"), "/stale", &info);
	cr_assert_str_eq(info.memcg, "/svc");
	cr_assert_str_eq(info.oom_type, "cgroup");
	/* No id either: the path read at its exec. */
	cgroup_oom_info(&fs, &r, 0, "/svc", &info);
	cr_assert_str_eq(info.memcg, "/svc");
	/* An exiting victim already moved to the root: "/" tells nothing, the id does. */
	mkdirs(proc, "/40");
	put(proc, "/40/cgroup", "0::/\n");
	cgroup_oom_info(&fs, &r, ino(v2, "/svc"), NULL, &info);
	cr_assert_str_eq(info.memcg, "/svc");
	/* Nothing known at all: global, no memcg. */
	r = oom(42, 43, 0);
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.memcg, "");
	cr_assert_str_eq(info.oom_type, "global");
}

Test(cgroup, a_victim_that_triggered_the_kill_uses_the_triggers_memcg)
{
	struct alert_oom_info info;
	struct vmt_oom_rec r;

	mkdirs(v2, "/t");
	mkdirs(v2, "/other");
	put(v2, "/t/memory.max", "8192\n");
	mkdirs(proc, "/50");
	put(proc, "/50/cgroup", "0::/other\n");
	r = oom(50, 50, ino(v2, "/t"));
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.memcg, "/t", "BPF's memcg at the kill beats /proc afterwards");
	cr_assert_eq(info.memcg_limit, 8192);
	/* Another task triggered it: the victim's own cgroup. */
	r = oom(50, 51, ino(v2, "/t"));
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.memcg, "/other");
}

Test(cgroup, v2_memory_events_say_whose_limit_was_reached)
{
	struct vmt_oom_rec r = oom(60, 61, 0);
	struct alert_oom_info info;

	mkdirs(v2, "/db");
	put(v2, "/db/memory.max", "134217728\n");
	put(v2, "/db/memory.high", "100663296\n");
	put(v2, "/db/memory.events",
	    "low 0\nhigh 12\nmax 40\noom 1\noom_kill 1\noom_group_kill 0\n");
	mkdirs(proc, "/60");
	put(proc, "/60/cgroup", "0::/db\n");
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.oom_type, "cgroup");
	cr_assert_str_eq(info.oom_evidence, "memory.events");
	cr_assert_eq(info.memcg_version, 2);
	cr_assert_eq(info.memcg_limit, 134217728);
	cr_assert_eq(info.memcg_high, 100663296);
	cr_assert_eq(info.memcg_oom_kills, 1);
	cr_assert_str_eq(info.limit_memcg, "", "its own limit");
	/* A limit never reached: the machine's OOM killed it (oom_kill counts any OOM kill). */
	put(v2, "/db/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 1\n");
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.oom_type, "global");
	cr_assert_str_eq(info.oom_evidence, "");
	cr_assert_eq(info.memcg_limit, 0);
	cr_assert_eq(info.memcg_oom_kills, 1, "what the victim's memcg says all the same");
	cr_assert_eq(info.memcg_version, 2);
}

Test(cgroup, v2_a_pods_limit_over_its_container)
{
	struct vmt_oom_rec r = oom(70, 71, 0);
	struct alert_oom_info info;

	mkdirs(v2, "/kubepods");
	mkdirs(v2, "/kubepods/pod1");
	mkdirs(v2, "/kubepods/pod1/ctr");
	/* The container has no limit of its own; the pod's was reached (events go upwards). */
	put(v2, "/kubepods/memory.max", "max\n");
	put(v2, "/kubepods/memory.events", "oom 3\noom_kill 3\n");
	put(v2, "/kubepods/pod1/memory.max", "268435456\n");
	put(v2, "/kubepods/pod1/memory.events", "oom 1\noom_kill 1\n");
	put(v2, "/kubepods/pod1/ctr/memory.max", "max\n");
	put(v2, "/kubepods/pod1/ctr/memory.events", "oom 0\noom_kill 1\n");
	mkdirs(proc, "/70");
	put(proc, "/70/cgroup", "0::/kubepods/pod1/ctr\n");
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.memcg, "/kubepods/pod1/ctr");
	cr_assert_str_eq(info.oom_type, "cgroup");
	cr_assert_str_eq(info.limit_memcg, "/kubepods/pod1");
	cr_assert_eq(info.memcg_limit, 268435456);
	cr_assert_eq(info.memcg_oom_kills, 1);
	/* A cgroup without the memory controller is charged to its parent's. */
	mkdirs(v2, "/kubepods/pod1/ctr/inner");
	put(proc, "/70/cgroup", "0::/kubepods/pod1/ctr/inner\n");
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.oom_type, "cgroup");
	cr_assert_str_eq(info.limit_memcg, "/kubepods/pod1");
	/* No memory files anywhere: unknown hierarchy, global. */
	mkdirs(v2, "/bare");
	put(proc, "/70/cgroup", "0::/bare\n");
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.oom_type, "global");
	cr_assert_eq(info.memcg_version, 0);
}

Test(cgroup, v1_oom_control_counts_the_kills)
{
	struct vmt_oom_rec r = oom(80, 81, 0);
	struct alert_oom_info info;

	cr_assert_eq(mkdir(v1, 0755), 0);
	mkdirs(v1, "/jail");
	mkdirs(proc, "/80");
	put(proc, "/80/cgroup", "5:memory:/jail\n0::/\n");
	put(v1, "/jail/memory.limit_in_bytes", "67108864\n");
	put(v1, "/jail/memory.failcnt", "0\n");
	put(v1, "/jail/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.oom_type, "cgroup");
	cr_assert_str_eq(info.oom_evidence, "memory.oom_control");
	cr_assert_eq(info.memcg_version, 1);
	cr_assert_eq(info.memcg_oom_kills, 2);
	cr_assert_eq(info.memcg_limit, 67108864);
	/* A kernel without the count: the failures to charge. */
	put(v1, "/jail/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
	put(v1, "/jail/memory.failcnt", "9\n");
	cgroup_oom_info(&fs, &r, 0, NULL, &info);
	cr_assert_str_eq(info.oom_evidence, "memory.failcnt");
}
