// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Containers named from cgroup paths (src/container.c), on the shapes that
 * docker, containerd and cri-o under the kubelet (both cgroup drivers),
 * podman (root and rootless), lxc and systemd write, as /proc/PID/cgroup
 * shows them on v1 and v2 hosts; and what is not a container (conmon, a
 * login session, the root).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "container.h"
#include "json_assert.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define UID "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
#define UID_ "1b2c3d4e_5f6a_4b7c_8d9e_0f1a2b3c4d5e"

struct shape {
	const char *path;
	enum container_runtime runtime;
	const char *id, *pod_uid, *name;
};

static const struct shape shapes[] = {
	/* docker: cgroupfs driver (v1 and v2), systemd driver, rootless, docker-in-docker. */
	{ "/docker/" ID, CTR_DOCKER, ID, "", "" },
	{ "/docker/" ID "/init", CTR_DOCKER, ID, "", "" },
	{ "/system.slice/docker-" ID ".scope", CTR_DOCKER, ID, "", "" },
	{ "/system.slice/docker-" ID ".scope/system.slice/nginx.service", CTR_DOCKER, ID, "", "" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" ID ".scope",
	  CTR_DOCKER, ID, "", "" },
	{ "/docker/" ID "/docker/" ID2, CTR_DOCKER, ID, "", "" },
	/* The daemon itself is a service, not a container. */
	{ "/system.slice/docker.service", CTR_SYSTEMD, "docker.service", "", "docker.service" },
	{ "/system.slice/containerd.service", CTR_SYSTEMD, "containerd.service", "",
	  "containerd.service" },
	/* Kubernetes, cgroupfs driver: QoS level or none (guaranteed), bare id or crio-<id>. */
	{ "/kubepods/burstable/pod" UID "/" ID, CTR_CONTAINERD, ID, UID, "" },
	{ "/kubepods/besteffort/pod" UID "/" ID, CTR_CONTAINERD, ID, UID, "" },
	{ "/kubepods/pod" UID "/" ID, CTR_CONTAINERD, ID, UID, "" },
	{ "/kubepods/burstable/pod" UID "/crio-" ID, CTR_CRIO, ID, UID, "" },
	/* Kubernetes, systemd driver. */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/cri-containerd-" ID ".scope",
	  CTR_CONTAINERD, ID, UID, "" },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID
	  ".scope",
	  CTR_CRIO, ID, UID, "" },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID ".scope", CTR_DOCKER, ID, UID,
	  "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/crio-" ID
	  ".scope/container",
	  CTR_CRIO, ID, UID, "" },
	/* kind: the kubelet's slice above; a static pod's UID is 32 hex digits. */
	{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	  "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	  CTR_CONTAINERD, ID, UID, "" },
	{ "/kubepods/burstable/pod0123456789abcdef0123456789abcdef/" ID, CTR_CONTAINERD, ID,
	  "0123456789abcdef0123456789abcdef", "" },
	/* podman: rootful (machine.slice), rootless (user slice), its cgroupfs parent. */
	{ "/machine.slice/libpod-" ID ".scope", CTR_PODMAN, ID, "", "" },
	{ "/machine.slice/libpod-" ID ".scope/container", CTR_PODMAN, ID, "", "" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope/container",
	  CTR_PODMAN, ID, "", "" },
	{ "/libpod_parent/libpod-" ID, CTR_PODMAN, ID, "", "" },
	/* lxc: v1 layout and lxc 4's payload cgroup. */
	{ "/lxc/web1", CTR_LXC, "web1", "", "web1" },
	{ "/lxc.payload.web1", CTR_LXC, "web1", "", "web1" },
	{ "/lxc.payload.web1/system.slice/cron.service", CTR_LXC, "web1", "", "web1" },
	/* systemd units: the innermost service. */
	{ "/system.slice/postgresql@15-main.service", CTR_SYSTEMD, "postgresql@15-main.service", "",
	  "postgresql@15-main.service" },
	{ "/system.slice/system-getty.slice/getty@tty1.service", CTR_SYSTEMD, "getty@tty1.service",
	  "", "getty@tty1.service" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service", CTR_SYSTEMD,
	  "foo.service", "", "foo.service" },
	{ "/user.slice/user-1000.slice/user@1000.service/init.scope", CTR_SYSTEMD,
	  "user@1000.service", "", "user@1000.service" },
};

static const char *const not_containers[] = {
	"/",
	"",
	"/user.slice/user-1000.slice/session-3.scope",
	"/init.scope",
	/* conmon watches a container; it is not in it. */
	"/machine.slice/libpod-conmon-" ID ".scope",
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	".slice/crio-conmon-" ID ".scope",
	/* A pod's own cgroup, an id too short or not hex, a bare "/docker". */
	"/kubepods/burstable/pod" UID,
	"/docker",
	"/docker/abc",
	"/docker/" ID "XYZ",
	"/system.slice/docker-nothex.scope",
	"/.service",
};

Test(container, real_world_paths)
{
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		struct container c;

		cr_assert(container_parse(s->path, &c), "%s", s->path);
		cr_expect_eq(c.runtime, s->runtime, "%s: runtime %s", s->path,
			     container_runtime_name(c.runtime));
		cr_expect_str_eq(c.id, s->id, "%s", s->path);
		cr_expect_str_eq(c.pod_uid, s->pod_uid, "%s", s->path);
		cr_expect_str_eq(c.name, s->name, "%s", s->path);
		cr_expect_eq(container_rank(&c), s->runtime == CTR_SYSTEMD ? 1 : 2);
	}
}

Test(container, what_is_no_container)
{
	for (size_t i = 0; i < sizeof(not_containers) / sizeof(not_containers[0]); i++) {
		struct container c;

		cr_expect_not(container_parse(not_containers[i], &c), "%s", not_containers[i]);
		cr_expect_eq(c.runtime, CTR_NONE, "%s", not_containers[i]);
		cr_expect_eq(container_rank(&c), 0);
	}
	cr_assert_not(container_parse(NULL, &(struct container){ 0 }));
}

Test(container, short_id_label_and_json)
{
	struct container c;
	struct strbuf sb;
	struct jsonw w;
	char shrt[64];

	cr_assert(container_parse("/kubepods/burstable/pod" UID "/" ID, &c));
	container_short_id(&c, shrt, sizeof(shrt));
	cr_assert_str_eq(shrt, "0123456789ab");
	sb_init(&sb);
	container_label(&sb, &c, UT_TEXT);
	cr_assert_str_eq(sb.buf, "containerd:0123456789ab");
	sb_reset(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	container_json(&w, "container", &c);
	jw_obj_end(&w);
	ja_check_member(sb.buf, "container",
			"{\"runtime\":\"containerd\",\"id\":\"" ID "\",\"short_id\":"
			"\"0123456789ab\",\"pod_uid\":\"" UID "\"}");
	/* A name from the runtime's state is shown instead of the id. */
	snprintf(c.name, sizeof(c.name), "web");
	sb_reset(&sb);
	container_label(&sb, &c, UT_TEXT);
	cr_assert_str_eq(sb.buf, "containerd:web");
	/* A unit is its own short id. */
	cr_assert(container_parse("/system.slice/a-very-long-unit-name.service", &c));
	container_short_id(&c, shrt, sizeof(shrt));
	cr_assert_str_eq(shrt, "a-very-long-unit-name.service");
	/* No container: no member, no label. */
	memset(&c, 0, sizeof(c));
	sb_reset(&sb);
	container_label(&sb, &c, UT_TEXT);
	cr_assert_eq(sb.len, 0);
	jw_begin(&w, &sb);
	jw_obj(&w);
	container_json(&w, "container", &c);
	container_json(&w, "container", NULL);
	jw_obj_end(&w);
	cr_assert_str_eq(sb.buf, "{}");
	sb_free(&sb);
}

Test(container, untrusted_names_are_escaped_in_text)
{
	struct container c;
	struct strbuf sb;

	cr_assert(container_parse("/lxc/evil\x1b[31m", &c));
	sb_init(&sb);
	container_label(&sb, &c, UT_TEXT);
	cr_assert_str_eq(sb.buf, "lxc:evil\\x1b[31m");
	sb_free(&sb);
}

Test(container, selection_by_id_prefix_name_or_pod)
{
	struct container c;

	cr_assert(container_parse("/system.slice/docker-" ID ".scope", &c));
	snprintf(c.name, sizeof(c.name), "db");
	cr_assert(container_matches(&c, ID));
	cr_assert(container_matches(&c, "0123456789ab"));
	cr_assert(container_matches(&c, "0123"));
	cr_assert(container_matches(&c, "db"));
	cr_assert_not(container_matches(&c, "012"), "too short a prefix");
	cr_assert_not(container_matches(&c, "d"), "a name matches whole");
	cr_assert_not(container_matches(&c, "1234"));
	cr_assert_not(container_matches(&c, ""));
	cr_assert(container_parse("/kubepods/pod" UID "/" ID2, &c));
	cr_assert(container_matches(&c, UID), "a pod's containers by its UID");
	cr_assert(container_parse("/system.slice/cron.service", &c));
	cr_assert(container_matches(&c, "cron.service"));
	cr_assert_not(container_matches(&c, "cron"), "a unit is no hex id");
	cr_assert_not(container_matches(NULL, "db"));
}

Test(container, read_back_from_its_json)
{
	struct container c, back;
	struct strbuf sb;
	struct jsonw w;
	json_t *j;

	cr_assert(container_parse("/kubepods/pod" UID "/crio-" ID, &c));
	snprintf(c.name, sizeof(c.name), "api");
	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	container_json(&w, "container", &c);
	jw_obj_end(&w);
	j = ja_parse(sb.buf);
	cr_assert(container_from_json(j, "container", &back));
	cr_assert_eq(back.runtime, CTR_CRIO);
	cr_assert_str_eq(back.id, ID);
	cr_assert_str_eq(back.pod_uid, UID);
	cr_assert_str_eq(back.name, "api");
	cr_assert_not(container_from_json(j, "other", &back));
	json_decref(j);
	/* Unknown runtimes and missing ids are no container. */
	j = ja_parse("{\"container\":{\"runtime\":\"rkt\",\"id\":\"x\"},"
		     "\"c2\":{\"runtime\":\"docker\"}}");
	cr_assert_not(container_from_json(j, "container", &back));
	cr_assert_eq(back.runtime, CTR_NONE);
	cr_assert_not(container_from_json(j, "c2", &back));
	cr_assert_not(container_from_json(NULL, "container", &back));
	json_decref(j);
	sb_free(&sb);
}
