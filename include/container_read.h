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

/* pid's container, named; false when its cgroup file names none (or is gone). */
bool container_of_pid(const struct cgroup_fs *fs, uint32_t pid, struct container *out);

/* The container of a cgroup path (a gone process's, read at its exec), named. */
bool container_of_path(const struct cgroup_fs *fs, const char *path, struct container *out);

/* Fill c->name from the runtime's state when it is there; c unchanged otherwise. */
void container_read_name(const struct cgroup_fs *fs, struct container *c);

#endif
