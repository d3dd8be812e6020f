/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Containers named from a cgroup path, purely (no file is read here; the
 * process's cgroup file and the runtimes' state are container_read.h's):
 *   docker       /docker/<id>, .../docker-<id>.scope
 *   Kubernetes   /kubepods[/<qos>]/pod<uid>/<id> (containerd's or cri-o's crio-<id>),
 *                /kubepods.slice/[kubepods-<qos>.slice/]kubepods-[<qos>-]pod<uid_>.slice/
 *                {cri-containerd,crio,docker}-<id>.scope
 *   podman       .../libpod-<id>.scope, /libpod_parent/libpod-<id> (libpod-conmon-: conmon)
 *   lxc          /lxc/<name>, /lxc.payload.<name>
 *   systemd      the innermost .../<unit>.service, when no container is found
 * The outermost container wins: a systemd service inside a docker container is the
 * container's. Ids of docker, containerd, cri-o and podman are hex (64 digits).
 */
#ifndef VMATRACE_CONTAINER_H
#define VMATRACE_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#include "jsonr.h"
#include "jsonw.h"
#include "strbuf.h"
#include "untrusted.h"

#define CONTAINER_RUNTIMES(X)           \
	X(CTR_NONE, "")                 \
	X(CTR_DOCKER, "docker")         \
	X(CTR_CONTAINERD, "containerd") \
	X(CTR_CRIO, "crio")             \
	X(CTR_PODMAN, "podman")         \
	X(CTR_LXC, "lxc")               \
	X(CTR_SYSTEMD, "systemd")

#define CTR_ENUM(e, s) e,
enum container_runtime { CONTAINER_RUNTIMES(CTR_ENUM) CTR__COUNT };
#undef CTR_ENUM

#define CONTAINER_SHORT_ID 12 /* hex ids shown as docker ps shows them */

struct container {
	enum container_runtime runtime; /* CTR_NONE: no container */
	/* Hex for docker, containerd, cri-o, podman; the unit (systemd); the name (lxc). */
	char id[256];
	char pod_uid[40]; /* the Kubernetes pod's UID with its dashes, "" outside a pod */
	char name[128];	  /* what the runtime's state calls it (docker, podman), lxc's name */
};

/* "docker", "containerd", ...; "" for CTR_NONE. */
const char *container_runtime_name(enum container_runtime r);

/* Parse a cgroup path ("/docker/<id>"); false (out->runtime CTR_NONE) when none is named. */
bool container_parse(const char *path, struct container *out);

/*
 * How much a parse says, to choose between a process's cgroup lines: 2 a container,
 * 1 a systemd unit, 0 nothing.
 */
int container_rank(const struct container *c);

/* The id as shown: the first CONTAINER_SHORT_ID digits of a hex id, else the whole id. */
void container_short_id(const struct container *c, char *buf, size_t n);

/* "runtime:name" or "runtime:short_id", untrusted bytes escaped for out: columns and logs. */
void container_label(struct strbuf *sb, const struct container *c, enum ut_output out);

/*
 * The container as a member `key`: {"runtime","id","short_id"[,"name"][,"pod_uid"]};
 * nothing when c is NULL or names none.
 */
void container_json(struct jsonw *w, const char *key, const struct container *c);

/* The container member of a JSON object (as container_json wrote it); false when none. */
bool container_from_json(const json_t *obj, const char *key, struct container *out);

/* Does the selector (a full or short id, an id prefix of 4+ hex digits, or a name) match? */
bool container_matches(const struct container *c, const char *sel);

#endif
