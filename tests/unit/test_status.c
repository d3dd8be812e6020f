// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control protocol's answers from a hand-made daemon state (no tracer,
 * no journal): the status document read back with jansson, the table, the
 * ranking and its limit, and the errors of bad requests.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "alert.h"
#include "cgroup.h"
#include "config.h"
#include "ctl.h"
#include "daemon.h"
#include "jsonr.h"
#include "loop.h"
#include "model.h"
#include "model_fixture.h"

static struct config cfg;
static struct daemon dmn;
/* Containers are read from a fake /proc (one the tests fill), never the host's. */
static char fake_root[] = "/tmp/vmatrace-status-XXXXXX";
static struct cgroup_fs fake_fs;

static void setup(void)
{
	config_defaults(&cfg);
	memset(&dmn, 0, sizeof(dmn));
	dmn.cfg = &cfg;
	dmn.model = model_new(NULL);
	dmn.alerts = alert_new(&cfg, NULL, NULL);
	cr_assert(dmn.model && dmn.alerts);
	dmn.max_map_count = 1000;
	dmn.started_ns = clock_mono_ns();
	cr_assert(mkdtemp(fake_root));
	fake_fs = (struct cgroup_fs){ .proc = fake_root };
	dmn.cgroup_fs = &fake_fs;
}

static void teardown(void)
{
	char cmd[128];

	alert_free(dmn.alerts);
	model_free(dmn.model);
	free(dmn.container_names);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fake_root);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", fake_root);
}

/* pid's /proc/PID/cgroup in the fake tree. */
static void fake_cgroup(uint32_t pid, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u", fake_root, pid);
	cr_assert_eq(mkdir(path, 0755), 0, "%s", path);
	snprintf(path, sizeof(path), "%s/%u/cgroup", fake_root, pid);
	f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

TestSuite(status, .init = setup, .fini = teardown);

static void add_proc(uint32_t pid, const char *comm, unsigned int vmas)
{
	seed_proc(dmn.model, pid, comm, vmas);
}

/* A request as the control socket passes it (a writable line); 0 or -1, the answer in out. */
static int request(const char *line, struct strbuf *out)
{
	char buf[CTL_MAX_REQUEST];

	snprintf(buf, sizeof(buf), "%s", line);
	sb_reset(out);
	return daemon_handle_request(&dmn, buf, out);
}

Test(status, the_document_reads_back_ranked_and_limited)
{
	struct strbuf out;
	json_t *doc, *top;
	long long v;

	add_proc(10, "small", 2);
	add_proc(11, "caf\xc3\xa9\x1b", 7);
	add_proc(12, "mid", 5);
	sb_init(&out);
	cr_assert_eq(request("status json top=2", &out), 0);
	doc = jr_parse(out.buf, out.len);
	cr_assert(doc && json_is_object(doc), "%s", out.buf);
	cr_assert(jr_int(doc, "max_map_count", &v) && v == 1000);
	cr_assert(jr_int(doc, "processes", &v) && v == 3);
	cr_assert(json_is_object(json_object_get(doc, "alerts")));
	cr_assert(jr_int(json_object_get(doc, "journal"), "records", &v) && v == 0);
	top = json_object_get(doc, "top");
	cr_assert(json_is_array(top));
	cr_assert_eq(json_array_size(top), 2, "top=2");
	/* Most VMAs first; the name decoded is the policy's: UTF-8 as is, ESC as \x1b. */
	cr_assert(jr_int(json_array_get(top, 0), "pid", &v) && v == 11);
	cr_assert_str_eq(jr_str(json_array_get(top, 0), "comm"), "caf\xc3\xa9\\x1b");
	cr_assert(jr_int(json_array_get(top, 0), "vmas", &v) && v == 7);
	cr_assert(jr_int(json_array_get(top, 1), "pid", &v) && v == 12);
	json_decref(doc);
	/* "all": every process. */
	cr_assert_eq(request("status json all", &out), 0);
	doc = jr_parse(out.buf, out.len);
	cr_assert(doc);
	cr_assert_eq(json_array_size(json_object_get(doc, "top")), 3);
	json_decref(doc);
	sb_free(&out);
}

Test(status, growth_is_over_the_configured_window_and_ends_now)
{
	struct model_proc *p;
	struct strbuf out;
	json_t *doc, *e;
	double d;

	cfg.growth_window_ns = 5000000000ull;
	p = seed_proc(dmn.model, 30, "grower", 4);
	/* It began with none 40 s ago, reached its 4 VMAs 30 s ago and held: 0/s over 5 s. */
	p->tl_origin_ns = clock_mono_ns() - 40000000000ull;
	p->tl_origin_vmas = 0;
	{
		struct fr_event ev = { .ts_ns = clock_mono_ns() - 30000000000ull, .map_count = 4 };

		p->fr = calloc(1, sizeof(*p->fr));
		cr_assert(p->fr);
		p->fr[0] = ev;
		p->fr_cap = p->fr_len = 1;
	}
	sb_init(&out);
	cr_assert_eq(request("status json", &out), 0);
	doc = jr_parse(out.buf, out.len);
	cr_assert(doc, "%s", out.buf);
	cr_assert(jr_num(doc, "growth_window_s", &d) && d == 5, "%s", out.buf);
	e = json_array_get(json_object_get(doc, "top"), 0);
	cr_assert(jr_num(e, "growth_per_s", &d) && d == 0, "%s", out.buf);
	cr_assert(json_is_null(json_object_get(e, "seconds_to_limit")), "%s", out.buf);
	json_decref(doc);
	/* Over a minute, its whole life counts: 4 VMAs in 40 s. */
	cfg.growth_window_ns = 60000000000ull;
	cr_assert_eq(request("status json", &out), 0);
	doc = jr_parse(out.buf, out.len);
	e = json_array_get(json_object_get(doc, "top"), 0);
	cr_assert(jr_num(e, "growth_per_s", &d) && d > 0.09 && d < 0.11, "%s", out.buf);
	cr_assert(jr_num(e, "seconds_to_limit", &d) && d > 9000, "%s", out.buf);
	json_decref(doc);
	cr_assert_eq(request("status", &out), 0);
	cr_assert(strstr(out.buf, "VMAs per second over the last 60 s"), "%s", out.buf);
	sb_free(&out);
}

Test(status, the_table_escapes_names_and_keeps_its_columns)
{
	struct strbuf out;
	const char *row;

	add_proc(20, "a\nb", 3);
	sb_init(&out);
	cr_assert_eq(request("status", &out), 0);
	cr_assert(strstr(out.buf, "vmatrace: 1 processes, vm.max_map_count 1000"), "%s", out.buf);
	cr_assert(strstr(out.buf, "     PID COMM             CONTAINER                    VMAS"),
		  "%s", out.buf);
	row = strstr(out.buf, "\n      20 ");
	cr_assert(row, "%s", out.buf);
	/* The newline of the name is \x0a: the row stays one line, padded to 16 columns. */
	cr_assert(!strncmp(row + 10, "a\\x0ab           -", 18), "%s", row);
	sb_free(&out);
}

Test(status, bad_requests_say_what_is_wrong)
{
	struct strbuf out;

	sb_init(&out);
	cr_assert_eq(request("", &out), -1);
	cr_assert_str_eq(out.buf, "empty request");
	cr_assert_eq(request("snapshot", &out), -1);
	cr_assert_str_eq(out.buf, "expected a pid, got ''");
	cr_assert_eq(request("snapshot x\x1b", &out), -1);
	cr_assert_str_eq(out.buf, "expected a pid, got 'x\\x1b'");
	cr_assert_eq(request("timeline 4000000", &out), -1);
	cr_assert(strstr(out.buf, "process 4000000 is not tracked"), "%s", out.buf);
	cr_assert_eq(request("frobnicate", &out), -1);
	cr_assert_str_eq(out.buf, "unknown request 'frobnicate'");
	/* No metrics module: "metrics" is not a request this daemon knows. */
	cr_assert_eq(request("metrics", &out), -1);
	sb_free(&out);
}

Test(status, snapshot_of_a_tracked_process)
{
	struct strbuf out;

	add_proc(30, "mapped", 2);
	sb_init(&out);
	cr_assert_eq(request("snapshot 30", &out), 0);
	cr_assert(strstr(out.buf, "10000000-10001000 rw-p"), "%s", out.buf);
	cr_assert_eq(request("snapshot 30 census json", &out), 0);
	{
		json_t *doc = jr_parse(out.buf, out.len);

		cr_assert(doc, "census json: %s", out.buf);
		json_decref(doc);
	}
	sb_free(&out);
}

#define DOCKER_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD_UID "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"

Test(status, containers_named_in_the_document_and_the_table)
{
	struct strbuf out;
	json_t *doc, *top, *c;
	const char *row;

	add_proc(40, "postgres", 9);
	add_proc(41, "redis", 5);
	add_proc(42, "plain", 1);
	fake_cgroup(40, "0::/system.slice/docker-" DOCKER_ID ".scope\n");
	fake_cgroup(41, "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
			"1b2c3d4e_5f6a_4b7c_8d9e_0f1a2b3c4d5e.slice/cri-containerd-" DOCKER_ID
			".scope\n");
	fake_cgroup(42, "0::/user.slice/user-1000.slice/session-1.scope\n");
	sb_init(&out);
	cr_assert_eq(request("status json", &out), 0);
	doc = jr_parse(out.buf, out.len);
	cr_assert(doc, "%s", out.buf);
	top = json_object_get(doc, "top");
	c = json_object_get(json_array_get(top, 0), "container");
	cr_assert_str_eq(jr_str(c, "runtime"), "docker", "%s", out.buf);
	cr_assert_str_eq(jr_str(c, "id"), DOCKER_ID);
	cr_assert_str_eq(jr_str(c, "short_id"), "0123456789ab");
	cr_assert_null(json_object_get(c, "pod_uid"));
	c = json_object_get(json_array_get(top, 1), "container");
	cr_assert_str_eq(jr_str(c, "runtime"), "containerd", "%s", out.buf);
	cr_assert_str_eq(jr_str(c, "pod_uid"), POD_UID);
	cr_assert_null(json_object_get(json_array_get(top, 2), "container"), "%s", out.buf);
	json_decref(doc);
	cr_assert_eq(request("status", &out), 0);
	row = strstr(out.buf, "\n      40 ");
	cr_assert(row && !strncmp(row + 10, "postgres         docker:0123456789ab          ", 42),
		  "%s", out.buf);
	row = strstr(out.buf, "\n      41 ");
	cr_assert(row && !strncmp(row + 10, "redis            containerd:0123456789ab ", 41), "%s",
		  out.buf);
	/* The snapshot and the census say it too. */
	cr_assert_eq(request("snapshot 40 json", &out), 0);
	cr_assert(strstr(out.buf, "\"container\":{\"runtime\":\"docker\""), "%s", out.buf);
	cr_assert_eq(request("snapshot 40 census", &out), 0);
	cr_assert(strstr(out.buf, "census of postgres[40] in docker:0123456789ab: 9 VMAs"), "%s",
		  out.buf);
	sb_free(&out);
}

Test(status, a_gone_process_named_from_its_exec_cgroup_and_read_once)
{
	struct model_proc *p;
	struct strbuf out;

	add_proc(50, "gone", 4);
	p = model_proc_get(dmn.model, 50);
	cr_assert(p);
	/* No /proc entry any more: the path read at its exec says it. */
	p->cgroup = strdup("/docker/" DOCKER_ID);
	sb_init(&out);
	cr_assert_eq(request("status", &out), 0);
	cr_assert(strstr(out.buf, "gone             docker:0123456789ab"), "%s", out.buf);
	/* Read once: a cgroup file that appears later changes nothing until its next exec. */
	fake_cgroup(50, "0::/lxc/other\n");
	cr_assert_eq(request("status", &out), 0);
	cr_assert(strstr(out.buf, "gone             docker:0123456789ab"), "%s", out.buf);
	daemon_container_forget(p); /* what an exec record does (daemon_on_record) */
	cr_assert_eq(request("status", &out), 0);
	cr_assert(strstr(out.buf, "gone             lxc:other"), "%s", out.buf);
	sb_free(&out);
}
