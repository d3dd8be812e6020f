// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Containers in the report: a process's container from its container record
 * (written after its first point, as the daemon does) or from its alert, in
 * the text and HTML tables and the JSON; --container by id prefix, name or pod
 * UID keeps those processes and their incidents only; a journal without any
 * container (older daemons) shows no column.
 */
#include "report_checks.h"

#define DB_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define API_ID "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define POD "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"

static void fx_containers(struct fx *f)
{
	fx_open(f);
	fx_json(f, JREC_DAEMON_START, 0, "", T0 * NS,
		"{\"version\":\"0.1.0\",\"max_map_count\":65530,\"hostname\":\"node1\"}");
	fx_point(f, 100, "postgres", (T0 + 1) * NS, 10, 900, 900, 1 << 20, 0, 0, 5, 0);
	fx_json(f, JREC_CONTAINER, 100, "postgres", (T0 + 2) * NS,
		"{\"container\":{\"runtime\":\"docker\",\"id\":\"" DB_ID "\",\"short_id\":"
		"\"0123456789ab\",\"name\":\"db\"}}");
	/* Named by its alert only. */
	fx_point(f, 200, "api", (T0 + 1) * NS, 10, 500, 500, 1 << 20, 0, 0, 5, 1);
	fx_json(f, JREC_INCIDENT, 200, "api", (T0 + 3) * NS,
		"{\"kind\":\"alloc_failure\",\"pid\":200,\"comm\":\"api\",\"container\":"
		"{\"runtime\":\"containerd\",\"id\":\"" API_ID "\",\"short_id\":\"fedcba987654\","
		"\"pod_uid\":\"" POD "\"},\"syscall\":\"mmap\",\"errno\":\"ENOMEM\",\"vmas\":500,"
		"\"limit\":65530}");
	fx_point(f, 300, "bash", (T0 + 1) * NS, 10, 20, 20, 1 << 20, 0, 0, 5, 0);
	fx_close(f);
}

Test(report_container, named_in_every_table_and_selected)
{
	struct fx f;
	char *t;

	fx_containers(&f);
	t = run_ok(f.dir, NULL);
	cr_assert(strstr(t, "    PID  COMM             CONTAINER                PEAK VMAS"), "%s",
		  t);
	cr_assert(strstr(t, "\n    100  postgres         docker:db                      900"), "%s",
		  t);
	cr_assert(strstr(t, "\n    200  api              containerd:fedcba987654        500"), "%s",
		  t);
	cr_assert(strstr(t, "\n    300  bash             -                               20"), "%s",
		  t);
	free(t);
	t = run_ok(f.dir, "--format", "json", NULL);
	cr_assert(strstr(t,
			 "\"pid\":100,\"comm\":\"postgres\",\"container\":{\"runtime\":\"docker\","
			 "\"id\":\"" DB_ID "\",\"short_id\":\"0123456789ab\",\"name\":\"db\"}"),
		  "%s", t);
	cr_assert(strstr(t, "\"pod_uid\":\"" POD "\""), "%s", t);
	free(t);
	t = run_ok(f.dir, "--format", "html", NULL);
	cr_assert(strstr(t, "<th>container</th>"));
	cr_assert(strstr(t, "<td>postgres</td><td>docker:db</td>"), "%s", t);
	free(t);

	/* By name: the one process; the other's incident is gone with it. */
	t = run_ok(f.dir, "--container", "db", NULL);
	cr_assert(strstr(t, " container db\n"), "%s", t);
	cr_assert(strstr(t, "\n    100  postgres "), "%s", t);
	cr_assert_null(strstr(t, "\n    200  api "), "%s", t);
	cr_assert_null(strstr(t, "\n    300  bash "), "%s", t);
	cr_assert_null(strstr(t, "ENOMEM"), "%s", t);
	free(t);
	/* By an id prefix, by the pod's UID. */
	t = run_ok(f.dir, "--container", "fedc", NULL);
	cr_assert(strstr(t, "\n    200  api "), "%s", t);
	cr_assert(strstr(t, "ENOMEM"), "%s", t);
	cr_assert_null(strstr(t, "\n    100  postgres "), "%s", t);
	free(t);
	t = run_ok(f.dir, "--format", "json", "--container", POD, NULL);
	cr_assert_eq(count(t, "\"peak_vmas\":"), 1, "%s", t);
	cr_assert(strstr(t, "\"container\":\"" POD "\""), "the filter: %s", t);
	free(t);
	/* Nothing matches: no process. */
	t = run_ok(f.dir, "--container", "nosuch", "--format", "json", NULL);
	cr_assert_eq(count(t, "\"peak_vmas\":"), 0, "%s", t);
	free(t);
	fx_rm(&f);
}

Test(report_container, a_journal_without_containers_has_no_column)
{
	struct fx f;
	char *t;

	fx_open(&f);
	fx_point(&f, 300, "bash", (T0 + 1) * NS, 10, 20, 20, 1 << 20, 0, 0, 5, 0);
	fx_close(&f);
	t = run_ok(f.dir, NULL);
	cr_assert(strstr(t, "    PID  COMM             PEAK VMAS"), "%s", t);
	cr_assert_null(strstr(t, "CONTAINER"), "%s", t);
	free(t);
	fx_rm(&f);
}
