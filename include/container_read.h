/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A process's container, read: its cgroup file's lines that name one (the
 * unified "0::" line, v1's memory and name=systemd lines) parsed by
 * container.h, and the container's name from its runtime's state where that
 * says it (docker's containers/<id>/config.v2.json "Name", podman's
 * containers/storage overlay-containers/containers.json "names"). The roots
 * are struct cgroup_fs's, so a fake tree tests it.
 */
#ifndef VMATRACE_CONTAINER_READ_H
#define VMATRACE_CONTAINER_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "container.h"

/*
 * Names already read, by id: a container's processes are named from one read of its state
 * (130 us for docker's 5.6 KB config.v2.json, against 12 us for the cgroup file). The
 * least recently used entry goes; a name found missing is kept too.
 */
#define CONTAINER_NAMES 64
struct container_names {
	struct {
		char id[65];
		char name[128];
		uint64_t used; /* 0: free */
	} e[CONTAINER_NAMES];
	uint64_t clock;
};

/* pid's container, named (names: a cache, or NULL); false when its cgroup file names none. */
bool container_of_pid(const struct cgroup_fs *fs, struct container_names *names, uint32_t pid,
		      struct container *out);

/* The container of a cgroup path (a gone process's, read at its exec), named. */
bool container_of_path(const struct cgroup_fs *fs, struct container_names *names, const char *path,
		       struct container *out);

/* Fill c->name from the runtime's state (or names) when it says one; c unchanged otherwise. */
void container_read_name(const struct cgroup_fs *fs, struct container_names *names,
			 struct container *c);

#endif
