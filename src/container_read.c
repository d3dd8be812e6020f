// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>

#include "container_read.h"
#include "jsonr.h"

/* Runtimes' ids are hex: a name is looked up only for one that could not climb out of its root. */
static bool plain_id(const char *id)
{
	return id[0] && !strchr(id, '/') && !strstr(id, "..");
}

static void docker_name(const struct cgroup_fs *fs, struct container *c)
{
	char path[512];
	const char *name;
	json_t *j;

	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", fs->docker, c->id);
	j = json_load_file(path, 0, NULL);
	name = jr_str(j, "Name");
	if (name)
		/* docker keeps "/web" for the container docker ps calls "web". */
		snprintf(c->name, sizeof(c->name), "%s", name[0] == '/' ? name + 1 : name);
	json_decref(j);
}

static void podman_name(const struct cgroup_fs *fs, struct container *c)
{
	char path[512];
	json_t *j, *v;
	size_t i;

	snprintf(path, sizeof(path), "%s/overlay-containers/containers.json", fs->podman);
	j = json_load_file(path, 0, NULL);
	json_array_foreach(j, i, v)
	{
		const char *id = jr_str(v, "id");
		json_t *names = json_object_get(v, "names");

		if (id && !strcmp(id, c->id) && json_is_string(json_array_get(names, 0))) {
			snprintf(c->name, sizeof(c->name), "%s",
				 json_string_value(json_array_get(names, 0)));
			break;
		}
	}
	json_decref(j);
}

/* The cache's entry for c (found: true), or the one to replace. */
static int cache_slot(struct container_names *names, const struct container *c, bool *found)
{
	int lru = 0;

	for (int i = 0; i < CONTAINER_NAMES; i++) {
		if (names->e[i].used && !strcmp(names->e[i].id, c->id)) {
			*found = true;
			return i;
		}
		if (names->e[i].used < names->e[lru].used)
			lru = i;
	}
	*found = false;
	return lru;
}

void container_read_name(const struct cgroup_fs *fs, struct container_names *names,
			 struct container *c)
{
	bool found = false;
	int slot = 0;

	if (c->name[0] || !plain_id(c->id) ||
	    (c->runtime != CTR_DOCKER && c->runtime != CTR_PODMAN))
		return;
	if (names && strlen(c->id) < sizeof(names->e[0].id)) {
		slot = cache_slot(names, c, &found);
		names->e[slot].used = ++names->clock;
		if (found) {
			snprintf(c->name, sizeof(c->name), "%s", names->e[slot].name);
			return;
		}
	} else {
		names = NULL;
	}
	/* A Kubernetes container run by docker is named by the kubelet, in docker's state too. */
	if (c->runtime == CTR_DOCKER && fs->docker)
		docker_name(fs, c);
	else if (c->runtime == CTR_PODMAN && fs->podman)
		podman_name(fs, c);
	if (names) {
		snprintf(names->e[slot].id, sizeof(names->e[slot].id), "%s", c->id);
		snprintf(names->e[slot].name, sizeof(names->e[slot].name), "%s", c->name);
	}
}

bool container_of_path(const struct cgroup_fs *fs, struct container_names *names, const char *path,
		       struct container *out)
{
	if (!container_parse(path, out))
		return false;
	container_read_name(fs, names, out);
	return true;
}

/*
 * v2 has one line ("0::/path"); a v1 host one per hierarchy, of which the memory
 * controller's and systemd's name a container (cpu's too, but not better). The one
 * that says the most wins: a container over a unit.
 */
static int container_line(void *ctx, const char *controllers, const char *path)
{
	struct container *out = ctx, c;

	if (*controllers && strcmp(controllers, "memory") && strcmp(controllers, "name=systemd"))
		return 0;
	if (container_parse(path, &c) && container_rank(&c) > container_rank(out))
		*out = c;
	return 0;
}

bool container_of_pid(const struct cgroup_fs *fs, struct container_names *names, uint32_t pid,
		      struct container *out)
{
	memset(out, 0, sizeof(*out));
	if (cgroup_each_line(fs, pid, container_line, out) < 0)
		return false;
	if (out->runtime == CTR_NONE)
		return false;
	container_read_name(fs, names, out);
	return true;
}
