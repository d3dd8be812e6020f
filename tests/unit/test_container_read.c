// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A process's container read from a fake tree (src/container_read.c): the
 * line of its cgroup file that says the most, and the name from docker's and
 * podman's state; nothing for a process that is gone or in no container.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "container_read.h"
#include "tree_fixture.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static char root[] = "/tmp/vmatrace-ctr-XXXXXX";
static struct cgroup_fs fs;
static char proc[128], docker[128], podman[128];

/* Write text at root/rel, making the directories on the way. */
static void put(const char *rel, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	tree_put(path, text);
}

static void setup(void)
{
	cr_assert(mkdtemp(root));
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(docker, sizeof(docker), "%s/docker", root);
	snprintf(podman, sizeof(podman), "%s/storage", root);
	fs = (struct cgroup_fs){ .proc = proc, .docker = docker, .podman = podman };
}

static void teardown(void)
{
	tree_remove(root);
}

TestSuite(container_read, .init = setup, .fini = teardown);

Test(container_read, v1_host_docker_named_from_its_state)
{
	struct container c;

	/* A v1 host with systemd's unified hierarchy: "0::/" says nothing, memory does. */
	put("proc/10/cgroup", "12:cpu,cpuacct:/system.slice/docker-" ID ".scope\n"
			      "4:memory:/system.slice/docker-" ID ".scope\n"
			      "1:name=systemd:/system.slice/docker-" ID ".scope\n0::/\n");
	put("docker/containers/" ID "/config.v2.json",
	    "{\"ID\":\"" ID "\",\"Name\":\"/pg-main\",\"State\":{\"Running\":true}}");
	cr_assert(container_of_pid(&fs, NULL, 10, &c));
	cr_assert_eq(c.runtime, CTR_DOCKER);
	cr_assert_str_eq(c.id, ID);
	cr_assert_str_eq(c.name, "pg-main");
	/* No state (another data root): the id alone. */
	fs.docker = NULL;
	cr_assert(container_of_pid(&fs, NULL, 10, &c));
	cr_assert_str_eq(c.name, "");
}

Test(container_read, a_container_beats_a_unit_whatever_the_line_order)
{
	struct container c;

	/* The systemd hierarchy knows the scope the memory controller was not told of. */
	put("proc/11/cgroup", "4:memory:/system.slice/cron.service\n"
			      "1:name=systemd:/kubepods/burstable/"
			      "pod1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e/" ID "\n");
	cr_assert(container_of_pid(&fs, NULL, 11, &c));
	cr_assert_eq(c.runtime, CTR_CONTAINERD);
	cr_assert_str_eq(c.pod_uid, "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e");
	/* Only the unit: it is named. The cpu hierarchy is not read. */
	put("proc/12/cgroup", "5:cpu:/docker/" ID "\n4:memory:/system.slice/cron.service\n");
	cr_assert(container_of_pid(&fs, NULL, 12, &c));
	cr_assert_eq(c.runtime, CTR_SYSTEMD);
	cr_assert_str_eq(c.name, "cron.service");
}

Test(container_read, v2_podman_named_from_containers_storage)
{
	struct container c;

	put("proc/20/cgroup", "0::/machine.slice/libpod-" ID2 ".scope/container\n");
	put("storage/overlay-containers/containers.json",
	    "[{\"id\":\"" ID "\",\"names\":[\"other\"]},"
	    "{\"id\":\"" ID2 "\",\"names\":[\"redis\",\"alias\"],\"image\":\"x\"}]");
	cr_assert(container_of_pid(&fs, NULL, 20, &c));
	cr_assert_eq(c.runtime, CTR_PODMAN);
	cr_assert_str_eq(c.name, "redis");
	/* Damaged state: no name, still the container. */
	put("storage/overlay-containers/containers.json", "[{\"id\":");
	cr_assert(container_of_pid(&fs, NULL, 20, &c));
	cr_assert_str_eq(c.name, "");
}

Test(container_read, nothing_for_a_gone_process_or_a_plain_one)
{
	struct container c;

	cr_assert_not(container_of_pid(&fs, NULL, 30, &c), "no such process");
	cr_assert_eq(c.runtime, CTR_NONE);
	put("proc/31/cgroup", "0::/user.slice/user-1000.slice/session-2.scope\n");
	cr_assert_not(container_of_pid(&fs, NULL, 31, &c));
	/* A gone process's path read at its exec. */
	put("docker/containers/" ID "/config.v2.json", "{\"Name\":\"/web\"}");
	cr_assert(container_of_path(&fs, NULL, "/docker/" ID, &c));
	cr_assert_str_eq(c.name, "web");
	cr_assert_not(container_of_path(&fs, NULL, "/", &c));
	cr_assert_not(container_of_path(&fs, NULL, NULL, &c));
}

Test(container_read, names_are_read_once_per_container)
{
	struct container_names names = { 0 };
	struct container c;

	put("proc/40/cgroup", "0::/docker/" ID "\n");
	put("proc/41/cgroup", "0::/docker/" ID "\n");
	put("proc/42/cgroup", "0::/docker/" ID2 "\n");
	put("docker/containers/" ID "/config.v2.json", "{\"Name\":\"/first\"}");
	cr_assert(container_of_pid(&fs, &names, 40, &c));
	cr_assert_str_eq(c.name, "first");
	/* Renamed in the state: the cache still says the name it read. */
	put("docker/containers/" ID "/config.v2.json", "{\"Name\":\"/second\"}");
	cr_assert(container_of_pid(&fs, &names, 41, &c));
	cr_assert_str_eq(c.name, "first");
	cr_assert(container_of_pid(&fs, NULL, 41, &c));
	cr_assert_str_eq(c.name, "second", "no cache: read again");
	/* A container without state is remembered as nameless. */
	cr_assert(container_of_pid(&fs, &names, 42, &c));
	cr_assert_str_eq(c.name, "");
	put("docker/containers/" ID2 "/config.v2.json", "{\"Name\":\"/late\"}");
	cr_assert(container_of_pid(&fs, &names, 42, &c));
	cr_assert_str_eq(c.name, "");
	/* More containers than the cache holds: the least recently used goes, and is read again. */
	for (int i = 0; i < CONTAINER_NAMES; i++) {
		char id[65], rel[160], text[160];

		snprintf(id, sizeof(id), "%064x", 0x1000 + i);
		snprintf(rel, sizeof(rel), "proc/%d/cgroup", 100 + i);
		snprintf(text, sizeof(text), "0::/docker/%s\n", id);
		put(rel, text);
		cr_assert(container_of_pid(&fs, &names, 100 + i, &c));
	}
	cr_assert(container_of_pid(&fs, &names, 40, &c));
	cr_assert_str_eq(c.name, "second", "evicted, then read again");
}
