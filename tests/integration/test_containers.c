// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Containers named by the daemon from real cgroups: processes moved into a
 * docker-style (cgroupfs driver, /docker/<id>) and a kubepods-style cgroup
 * (systemd driver, .../kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope)
 * are named in `status --json` and in their alerts, and an OOM kill in a pod's
 * cgroup (cgroupfs driver) names the pod's container. The memory controller's
 * hierarchy is v1's where it is mounted (this host), else the unified one (the
 * 6.1 guest). Every cgroup made here is removed again, also when a test fails.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "jsonr.h"

static struct h_daemon dmn;
static char base[64];
static bool v2;
/* The directories made, in order (removed in reverse). */
static char made[16][512];
static int nmade;

/* Kill what is left in a cgroup (a test that failed midway), so that it can be removed. */
static void empty_cgroup(const char *dir)
{
	char path[600];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "r");
	while (f && fscanf(f, "%d", &pid) == 1)
		kill(pid, SIGKILL);
	if (f)
		fclose(f);
}

static void fini(void)
{
	h_daemon_stop(&dmn);
	for (int i = nmade - 1; i >= 0; i--) {
		empty_cgroup(made[i]);
		for (int k = 0; k < 50 && rmdir(made[i]); k++)
			usleep(100000);
	}
	nmade = 0;
	h_cleanup();
}

static void init(void)
{
	h_require_root();
	if (!access("/sys/fs/cgroup/memory/cgroup.procs", F_OK)) {
		snprintf(base, sizeof(base), "/sys/fs/cgroup/memory");
		v2 = false;
	} else if (!access("/sys/fs/cgroup/cgroup.controllers", F_OK)) {
		snprintf(base, sizeof(base), "/sys/fs/cgroup");
		v2 = true;
	} else {
		cr_skip_test("no memory cgroup hierarchy (v1) and no unified one (v2)");
	}
}

TestSuite(containers, .init = init, .fini = fini, .timeout = H_TIMEOUT(120));

/*
 * base/rel, made level by level (what existed is left alone). With memory on v2, each new
 * level gives the memory controller to the next, so that the leaf has its own memory.max.
 */
static const char *cgroup_make(const char *rel, bool memory)
{
	static char path[512];
	char *s;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	for (s = path + strlen(base) + 1;; s++) {
		bool last = !*s;

		if (*s != '/' && !last)
			continue;
		*s = 0;
		if (mkdir(path, 0755) == 0) {
			cr_assert_lt(nmade, 16);
			snprintf(made[nmade++], sizeof(made[0]), "%s", path);
		} else {
			cr_assert(access(path, F_OK) == 0, "cannot make %s", path);
		}
		if (v2 && memory && !last)
			cr_assert_eq(h_sh("echo +memory > %s/cgroup.subtree_control", path), 0,
				     "%s: no memory controller for its children", path);
		if (last)
			break;
		*s = '/';
	}
	return path;
}

/* 64 hex digits no other run of this test uses. */
static void random_id(char *id, size_t n)
{
	unsigned long long seed = (unsigned long long)time(NULL) * 1000003u + getpid();

	for (size_t i = 0; i + 1 < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		id[i] = "0123456789abcdef"[seed >> 60];
	}
	id[n - 1] = 0;
}

/* Start cmd inside the cgroup dir (the shell moves itself there, then execs); its pid. */
static int start_in(const char *dir, const char *cmd)
{
	char line[1200];
	FILE *p;
	int pid = 0;

	snprintf(line, sizeof(line),
		 "sh -c 'echo $$ > %s/cgroup.procs && exec %s' "
		 ">/dev/null 2>&1 & echo $!",
		 dir, cmd);
	p = popen(line, "r");
	cr_assert(p && fscanf(p, "%d", &pid) == 1);
	pclose(p);
	return pid;
}

static void wait_gone(int pid)
{
	for (int i = 0; i < 200 && kill(pid, 0) == 0; i++)
		usleep(50000);
}

/* The alert log's first alert of kind about pid (pid_key: "pid" or "victim_pid"), parsed. */
static json_t *alert_of(const char *alerts, const char *kind, const char *pid_key, int pid)
{
	json_t *found = NULL;
	struct lines l;

	for (int i = 0; i < 200 && !found; i++) {
		if (h_read_lines(alerts, &l) == 0) {
			for (size_t k = 0; k < l.n && !found; k++) {
				json_t *a = jr_parse(l.v[k], strlen(l.v[k]));
				long long v;

				if (a &&
				    !strcmp(jr_str(a, "kind") ? jr_str(a, "kind") : "", kind) &&
				    jr_int(a, pid_key, &v) && v == pid)
					found = a;
				else
					json_decref(a);
			}
			h_free_lines(&l);
		}
		if (!found)
			usleep(100000);
	}
	return found;
}

/* `status --json --all`, parsed. */
static json_t *status_doc(void)
{
	char cmd[600];
	static char buf[1 << 20];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s status --socket %s --json --all", h_path("vmatrace"),
		 dmn.socket);
	p = popen(cmd, "r");
	cr_assert(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	pclose(p);
	buf[n] = 0;
	return jr_parse(buf, n);
}

static const json_t *status_row(const json_t *doc, int pid)
{
	const json_t *top = json_object_get(doc, "top"), *row;
	size_t i;

	json_array_foreach(top, i, row)
	{
		long long v;

		if (jr_int(row, "pid", &v) && v == pid)
			return row;
	}
	return NULL;
}

static void check_container(const json_t *c, const char *runtime, const char *id,
			    const char *pod_uid, const char *where)
{
	char shrt[16];

	cr_assert(json_is_object(c), "%s: no container", where);
	cr_assert_str_eq(jr_str(c, "runtime"), runtime, "%s", where);
	cr_assert_str_eq(jr_str(c, "id"), id, "%s", where);
	snprintf(shrt, sizeof(shrt), "%.12s", id);
	cr_assert_str_eq(jr_str(c, "short_id"), shrt, "%s", where);
	if (pod_uid)
		cr_assert_str_eq(jr_str(c, "pod_uid"), pod_uid, "%s", where);
	else
		cr_assert_null(json_object_get(c, "pod_uid"), "%s", where);
}

/* `report --container sel` of the test's journal shows pid and not other_pid. */
static void report_has_only(const char *sel, int pid, int other_pid)
{
	const char *out = h_tmpfile("report.json");
	bool found = false;
	const json_t *procs, *p;
	char *buf = malloc(1 << 22);
	json_t *doc;
	size_t i, n;
	FILE *f;

	cr_assert_eq(h_sh("%s report --journal-dir %s --container %s --format json -o %s",
			  h_path("vmatrace"), h_tmpfile("journal"), sel, out),
		     0);
	f = fopen(out, "r");
	cr_assert(f && buf);
	n = fread(buf, 1, 1 << 22, f);
	fclose(f);
	doc = jr_parse(buf, n);
	free(buf);
	cr_assert(doc, "the report is no JSON");
	procs = json_object_get(doc, "processes");
	cr_assert(json_is_array(procs), "no processes in the report");
	json_array_foreach(procs, i, p)
	{
		long long v;

		cr_assert(jr_int(p, "pid", &v));
		cr_assert_neq(v, other_pid, "--container %s shows %d", sel, other_pid);
		found |= v == pid;
		cr_assert(json_is_object(json_object_get(p, "container")));
	}
	cr_assert(found, "--container %s: no process %d", sel, pid);
	json_decref(doc);
}

Test(containers, docker_and_kubepods_named_in_status_and_alerts)
{
	const char *alerts = h_tmpfile("alerts.jsonl");
	char docker_id[65], pod_id[65], uid[37], uid_[37], rel[512], cmd[512], args[512];
	const char *docker_cg, *pod_cg;
	int docker_pid, pod_pid;
	json_t *doc, *a;

	random_id(docker_id, sizeof(docker_id));
	random_id(pod_id, sizeof(pod_id));
	pod_id[0] = docker_id[0] == 'a' ? 'b' : 'a';
	/* A pod UID from the id's digits, and the systemd driver's spelling of it. */
	snprintf(uid, sizeof(uid), "%.8s-%.4s-%.4s-%.4s-%.12s", pod_id + 1, pod_id + 9, pod_id + 13,
		 pod_id + 17, pod_id + 21);
	snprintf(uid_, sizeof(uid_), "%s", uid);
	for (char *s = uid_; *s; s++)
		*s = *s == '-' ? '_' : *s;

	snprintf(rel, sizeof(rel), "docker/%s", docker_id);
	docker_cg = strdup(cgroup_make(rel, false));
	snprintf(rel, sizeof(rel),
		 "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s.slice/"
		 "cri-containerd-%s.scope",
		 uid_, pod_id);
	pod_cg = strdup(cgroup_make(rel, false));
	snprintf(args, sizeof(args), "--alert-log %s", alerts);
	h_daemon_start(&dmn, args);

	/* Each maps, unmaps, fails an mprotect with ENOMEM (an alert), then lives 6 s. */
	snprintf(cmd, sizeof(cmd), "%s ctr-docker 6", h_path("workloads/named"));
	docker_pid = start_in(docker_cg, cmd);
	snprintf(cmd, sizeof(cmd), "%s ctr-pod 6", h_path("workloads/named"));
	pod_pid = start_in(pod_cg, cmd);

	a = alert_of(alerts, "alloc_failure", "pid", docker_pid);
	cr_assert(a, "no alloc_failure alert of the process in %s", docker_cg);
	check_container(json_object_get(a, "container"), "docker", docker_id, NULL, "alert");
	json_decref(a);
	a = alert_of(alerts, "alloc_failure", "pid", pod_pid);
	cr_assert(a, "no alloc_failure alert of the process in %s", pod_cg);
	check_container(json_object_get(a, "container"), "containerd", pod_id, uid, "pod alert");
	json_decref(a);
	/* The log line names it too. */
	cr_assert(h_wait_for_line(dmn.log, "(docker:", 5), "no container in the log line");

	doc = status_doc();
	cr_assert(doc, "status --json is no JSON");
	cr_assert(status_row(doc, docker_pid), "%d not in the status", docker_pid);
	check_container(json_object_get(status_row(doc, docker_pid), "container"), "docker",
			docker_id, NULL, "status");
	cr_assert(status_row(doc, pod_pid), "%d not in the status", pod_pid);
	check_container(json_object_get(status_row(doc, pod_pid), "container"), "containerd",
			pod_id, uid, "pod status");
	json_decref(doc);
	wait_gone(docker_pid);
	wait_gone(pod_pid);

	/* The journal has it: the report selects the docker container's process by its id. */
	h_daemon_stop(&dmn);
	docker_id[12] = 0; /* by its short id, as docker ps shows it */
	report_has_only(docker_id, docker_pid, pod_pid);
	report_has_only(uid, pod_pid, docker_pid);
	free((char *)docker_cg);
	free((char *)pod_cg);
}

Test(containers, oom_kill_in_a_pod_names_its_container)
{
	const char *alerts = h_tmpfile("alerts.jsonl");
	char id[65], rel[512], cmd[512], args[512];
	const char *uid = "5b2f4e8d-0c1a-4d3e-9f7b-2a6c8e0d1f3b";
	const char *cg;
	long long kills;
	int pid;
	json_t *a;

	random_id(id, sizeof(id));
	snprintf(rel, sizeof(rel), "kubepods/besteffort/pod%s/%s", uid, id);
	cg = cgroup_make(rel, true);
	cr_assert_eq(h_sh("echo 64M > %s/%s", cg, v2 ? "memory.max" : "memory.limit_in_bytes"), 0);
	snprintf(args, sizeof(args), "--alert-log %s", alerts);
	h_daemon_start(&dmn, args);
	/* 5 ms after each MiB: killed after about 0.3 s. */
	snprintf(cmd, sizeof(cmd), "%s 5", h_path("workloads/oom_hog"));
	pid = start_in(cg, cmd);
	a = alert_of(alerts, "oom_kill", "victim_pid", pid);
	cr_assert(a, "no oom_kill alert of %d", pid);
	cr_assert_str_eq(jr_str(a, "oom_type"), "cgroup");
	/* v2 knows from memory.events' oom count; v1 (4.13+) from memory.oom_control's oom_kill. */
	cr_assert_str_eq(jr_str(a, "oom_evidence"), v2 ? "memory.events" : "memory.oom_control");
	cr_assert(jr_int(a, "memcg_oom_kills", &kills) && kills >= 1);
	check_container(json_object_get(a, "container"), "containerd", id, uid, "oom alert");
	json_decref(a);
	wait_gone(pid);
}
