// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Alert thresholds with hysteresis, and the time-to-limit prediction. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "alert.h"

static const double thr[] = { 80, 90, 95 };

Test(alert, crossing_upward_raises_once_for_the_highest)
{
	int crossed, level = 0;

	level = alert_level_update(level, 50, thr, 3, 5, &crossed);
	cr_assert_eq(level, 0);
	cr_assert_eq(crossed, -1);
	level = alert_level_update(level, 81, thr, 3, 5, &crossed);
	cr_assert_eq(level, 1);
	cr_assert_eq(crossed, 0);
	/* A jump over two thresholds alerts once, for 95. */
	level = alert_level_update(level, 97, thr, 3, 5, &crossed);
	cr_assert_eq(level, 3);
	cr_assert_eq(crossed, 2);
}

Test(alert, hovering_at_a_threshold_alerts_once)
{
	int crossed, level = 0, alerts = 0;
	/* Oscillating around 80%, within the 5-point hysteresis band. */
	static const double walk[] = { 79, 80.5, 79.9, 80.1, 76, 80.2, 78, 81, 75.1, 80 };

	for (unsigned i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		level = alert_level_update(level, walk[i], thr, 3, 5, &crossed);
		alerts += crossed >= 0;
	}
	cr_assert_eq(alerts, 1, "%d alerts while hovering", alerts);
	/* Falling below 75 re-arms; crossing 80 again alerts again. */
	level = alert_level_update(level, 74.9, thr, 3, 5, &crossed);
	cr_assert_eq(level, 0);
	level = alert_level_update(level, 80, thr, 3, 5, &crossed);
	cr_assert_eq(crossed, 0);
}

Test(alert, falling_re_arms_only_the_thresholds_left_behind)
{
	int crossed, level = 3;

	level = alert_level_update(level, 88, thr, 3, 5,
				   &crossed); /* below 95-5 and 90-5? no: 88 > 85 */
	cr_assert_eq(level, 2);
	cr_assert_eq(crossed, -1);
	level = alert_level_update(level, 92, thr, 3, 5, &crossed);
	cr_assert_eq(level, 2, "90 stays raised: no new alert");
	cr_assert_eq(crossed, -1);
	level = alert_level_update(level, 96, thr, 3, 5, &crossed);
	cr_assert_eq(crossed, 2, "95 was re-armed at 88");
}

Test(alert, seconds_to_limit)
{
	cr_assert_float_eq(alert_seconds_to_limit(60000, 65530, 553), 10.0, 1e-9);
	cr_assert_float_eq(alert_seconds_to_limit(65530, 65530, 10), 0, 1e-9);
	cr_assert_float_eq(alert_seconds_to_limit(100, 65530, 0), -1, 1e-9);
	cr_assert_float_eq(alert_seconds_to_limit(100, 65530, -3), -1, 1e-9);
}

/* ---- the alerts as documents (jansson reads them back) ---- */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jsonr.h"
#include "model.h"
#include "model_fixture.h"

static struct config acfg;
static struct model *am;
static struct alert_engine *ae;
static char *got_json, *got_incident, *got_comm;
static int got;

static void record(void *ctx, enum alert_kind kind, uint32_t pid, const char *comm,
		   const char *json, const char *incident)
{
	(void)ctx;
	(void)kind;
	(void)pid;
	free(got_json);
	free(got_incident);
	free(got_comm);
	got_json = strdup(json);
	got_incident = incident ? strdup(incident) : NULL;
	got_comm = strdup(comm);
	got++;
}

static void docs_setup(void)
{
	config_defaults(&acfg);
	am = model_new(NULL);
	ae = alert_new(&acfg, record, NULL);
	cr_assert(am && ae);
	cr_redirect_stderr();
}

static void docs_teardown(void)
{
	alert_free(ae);
	model_free(am);
	free(got_json);
	free(got_incident);
	free(got_comm);
	got_json = got_incident = got_comm = NULL;
	got = 0;
}

static struct model_proc *proc_with(uint32_t pid, const char *comm, unsigned int vmas)
{
	return seed_proc(am, pid, comm, vmas);
}

static json_t *parse(const char *text)
{
	json_t *j;

	cr_assert(text);
	j = jr_parse(text, strlen(text));
	cr_assert(j && json_is_object(j), "not a JSON object: %s", text);
	return j;
}

/* Every member of the alert is in the incident, with the same value. */
static void assert_incident_extends(json_t *alert, json_t *incident)
{
	const char *key;
	json_t *v;

	json_object_foreach(alert, key, v)
	{
		json_t *w = json_object_get(incident, key);

		cr_assert(w, "incident lacks %s", key);
		cr_assert(json_equal(v, w), "%s differs", key);
	}
}

static char *stderr_text(void)
{
	static char buf[8192];
	FILE *f = cr_get_redirected_stderr();
	size_t n;

	fflush(stderr);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	return buf;
}

Test(alert_docs, threshold_alert_and_its_incident, .init = docs_setup, .fini = docs_teardown)
{
	/* An odd name: a quote, an escape sequence, valid UTF-8. */
	struct model_proc *p = proc_with(77, "q\"\x1b[31mcaf\xc3\xa9", 9);
	json_t *a, *inc, *ctx;
	const char *log;
	long long v;

	alert_check_vmas(ae, p, 10, 1000000000ull, 0);
	cr_assert_eq(got, 1, "one alert for the highest threshold crossed");
	a = parse(got_json);
	inc = parse(got_incident);
	cr_assert_str_eq(jr_str(a, "kind"), "vma_threshold");
	cr_assert(jr_int(a, "pid", &v) && v == 77);
	/* Decoded, the name is the policy's: valid UTF-8 as is, the ESC as \x1b. */
	cr_assert_str_eq(jr_str(a, "comm"), "q\"\\x1b[31mcaf\xc3\xa9");
	cr_assert(jr_int(a, "vmas", &v) && v == 9);
	cr_assert(jr_int(a, "limit", &v) && v == 10);
	cr_assert(jr_int(a, "threshold", &v) && v == 90);
	cr_assert_str_eq(jr_str(a, "threshold_type"), "percent");
	cr_assert(json_is_object(json_object_get(a, "census")));
	cr_assert_null(json_object_get(a, "context"));
	assert_incident_extends(a, inc);
	ctx = json_object_get(inc, "context");
	cr_assert(json_is_object(ctx));
	cr_assert(json_is_object(json_object_get(ctx, "census_bytes")));
	cr_assert_str_eq(jr_str(json_object_get(ctx, "heap"), "start_brk"), "0x500000");
	cr_assert(json_is_array(json_object_get(ctx, "timeline")));
	cr_assert(json_is_array(json_object_get(ctx, "flight")));
	/* The log line is text: the escape sequence never reaches a terminal. */
	log = stderr_text();
	cr_assert(strstr(log, "alert vma_threshold: q\"\\x1b[31mcaf\xc3\xa9[77] has 9 VMAs"), "%s",
		  log);
	json_decref(a);
	json_decref(inc);
}

/*
 * The quiet check (no state, below every threshold: no alert work) against the share: the
 * first count at the lowest threshold alerts and the one below it does not, at two limits,
 * and again after a reload lowers the thresholds.
 */
static bool alerts_at(uint32_t pid, unsigned int vmas, uint32_t limit)
{
	struct model_proc *p = proc_with(pid, "db", vmas);

	got = 0;
	alert_check_vmas(ae, p, limit, 1000000000ull, 0);
	return got > 0;
}

Test(alert_docs, the_lowest_threshold_is_reached_exactly_where_its_share_is, .init = docs_setup,
     .fini = docs_teardown)
{
	static struct config lowered;

	/* 80% of 65,530 is 52,424 exactly; of 1,000,003, 800,002.4. */
	cr_assert_not(alerts_at(101, 52423, 65530));
	cr_assert(alerts_at(102, 52424, 65530));
	cr_assert_not(alerts_at(103, 52423, 1000003), "the same count, a larger limit");
	cr_assert_not(alerts_at(104, 800002, 1000003));
	cr_assert(alerts_at(105, 800003, 1000003));
	lowered = acfg;
	lowered.alert_thresholds[0] = 2;
	alert_reconfigure(ae, &lowered);
	/* 2% of 65,530 is 1,310.6. */
	cr_assert_not(alerts_at(106, 1310, 65530));
	cr_assert(alerts_at(107, 1311, 65530));
	/* A new configuration where the old one was (the allocator may reuse it): 1% is 655.3. */
	lowered.alert_thresholds[0] = 1;
	alert_reconfigure(ae, &lowered);
	cr_assert_not(alerts_at(109, 655, 65530));
	cr_assert(alerts_at(110, 656, 65530));
	alert_reconfigure(ae, &acfg);
	cr_assert_not(alerts_at(108, 656, 65530), "back to 80%%");
}

Test(alert_docs, oom_alert_members_and_context, .init = docs_setup, .fini = docs_teardown)
{
	struct model_proc *p = proc_with(88, "hog", 3);
	struct vmt_oom_rec r = {
		.victim_pid = 88,
		.present = VMT_OOM_HAS_RSS | VMT_OOM_HAS_UID,
		.uid = 1000,
		.anon_rss_kb = 65536,
		.file_rss_kb = 12,
	};
	struct alert_oom_info info = { .memcg = "/jail\n",
				       .oom_type = "cgroup",
				       .memcg_limit = 67108864,
				       .memcg_version = 2,
				       .oom_evidence = "memory.events",
				       .memcg_oom_kills = 1 };
	const char *log;
	json_t *a, *inc;
	long long v;

	memcpy(r.victim_comm, "hog", 3);
	memcpy(r.hdr.comm, "trigger", 7);
	r.hdr.tgid = 89;
	r.hdr.tid = 90;
	alert_oom(ae, p, &r, &info, 0);
	cr_assert_eq(got, 1);
	a = parse(got_json);
	inc = parse(got_incident);
	cr_assert_str_eq(jr_str(a, "kind"), "oom_kill");
	cr_assert(jr_int(a, "victim_pid", &v) && v == 88);
	cr_assert_str_eq(jr_str(a, "victim_comm"), "hog");
	cr_assert(jr_int(a, "uid", &v) && v == 1000);
	cr_assert(jr_int(a, "anon_rss_kb", &v) && v == 65536);
	cr_assert_null(json_object_get(a, "pgtables_kb"), "not present in the record");
	cr_assert_str_eq(jr_str(a, "memcg"), "/jail\\x0a");
	cr_assert_str_eq(jr_str(a, "oom_type"), "cgroup");
	cr_assert(jr_int(a, "memcg_limit", &v) && v == 67108864);
	cr_assert(jr_int(a, "memcg_version", &v) && v == 2);
	cr_assert_str_eq(jr_str(a, "oom_evidence"), "memory.events");
	cr_assert(jr_int(a, "memcg_oom_kills", &v) && v == 1);
	cr_assert_null(json_object_get(a, "limit_memcg"), "its own limit");
	cr_assert_null(json_object_get(a, "memcg_high"), "none set");
	cr_assert(jr_int(a, "trigger_pid", &v) && v == 89);
	cr_assert_str_eq(jr_str(a, "trigger_comm"), "trigger");
	cr_assert(jr_int(a, "vmas", &v) && v == 3);
	assert_incident_extends(a, inc);
	cr_assert(json_is_object(json_object_get(inc, "context")));
	/* The log line: the memcg's newline escaped, nothing splits it. */
	log = stderr_text();
	cr_assert(strstr(log, "cgroup OOM in /jail\\x0a (limit 67108864 bytes, by memory.events), "
			      "triggered by "
			      "trigger[89]"),
		  "%s", log);
	json_decref(a);
	json_decref(inc);
	/* Not modeled: the incident is the alert, with no context. */
	alert_oom(ae, NULL, &r, &info, 0);
	inc = parse(got_incident);
	cr_assert_null(json_object_get(inc, "context"));
	cr_assert_null(json_object_get(inc, "vmas"));
	json_decref(inc);
}

/* ---- storms: limited per uid and in all, summarised ---- */

static char *got_summary;
static int summaries;

static void on_summary(void *ctx, enum alert_kind kind, uint32_t uid, const char *json)
{
	(void)ctx;
	cr_assert_eq(kind, ALERT_ALLOC_FAILURE);
	cr_assert_eq(uid, 1001);
	free(got_summary);
	got_summary = strdup(json);
	summaries++;
}

/* n processes of uid, one failing mmap each, at t_ns apart from each other by 1 ms. */
static void storm(int first_pid, int n, uint32_t uid, uint64_t t_ns)
{
	for (int i = 0; i < n; i++) {
		struct model_proc *p = proc_with(first_pid + i, "stormy", 3);
		struct vmt_syscall_rec r = { .sys = VMT_SYS_MMAP, .ret = -ENOMEM, .map_count = 3 };

		r.hdr.type = VMT_REC_SYSCALL;
		r.hdr.tgid = r.hdr.tid = first_pid + i;
		r.hdr.uid = uid;
		r.hdr.ts_ns = t_ns + i * 1000000ull;
		alert_check_failure(ae, p, &r, 65530, 0);
	}
}

Test(alert_docs, a_storm_from_one_user_is_limited_and_summarised, .init = docs_setup,
     .fini = docs_teardown)
{
	json_t *s;
	long long v;

	acfg.alert_user_limit = 3;
	acfg.alert_limit = 0;
	alert_set_summary(ae, on_summary, NULL);
	storm(1000, 5002, 1001, 1000000000ull);
	cr_assert_eq(got, 3, "%d alerts: the user's limit is 3", got);
	cr_assert_eq(alert_suppressed(ae, ALERT_ALLOC_FAILURE), 4999);
	/* Another user is not held back by the first one's storm. */
	storm(9000, 1, 1002, 2000000000ull);
	cr_assert_eq(got, 4, "uid 1002 was held back by uid 1001's storm");
	cr_assert_eq(summaries, 0, "no summary before the window ends");
	alert_storm_end(ae, 70000000000ull);
	cr_assert_eq(summaries, 1);
	s = parse(got_summary);
	cr_assert_str_eq(jr_str(s, "kind"), "alloc_failure");
	cr_assert(jr_int(s, "uid", &v) && v == 1001);
	cr_assert(jr_int(s, "suppressed", &v) && v == 4999);
	cr_assert(jr_int(s, "sent", &v) && v == 3);
	json_decref(s);
	cr_assert(strstr(stderr_text(),
			 "4,999 more alerts of this kind (alloc_failure) from uid 1001 suppressed"),
		  "%s", stderr_text());
	/* A new window: the user may alert again. */
	storm(20000, 1, 1001, 80000000000ull);
	cr_assert_eq(got, 5);
	free(got_summary);
	got_summary = NULL;
}

Test(alert_docs, the_global_limit_holds_many_users, .init = docs_setup, .fini = docs_teardown)
{
	acfg.alert_user_limit = 0;
	acfg.alert_limit = 5;
	for (int u = 0; u < 20; u++)
		storm(1000 + u * 10, 2, 2000 + u, 1000000000ull + u * 100000000ull);
	cr_assert_eq(got, 5, "%d alerts: the global limit is 5", got);
	cr_assert_eq(alert_suppressed(ae, ALERT_ALLOC_FAILURE), 35);
}

/* ---- the container of the process, in the document and the log line ---- */

#define CTR_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

Test(alert_docs, alerts_carry_the_container, .init = docs_setup, .fini = docs_teardown)
{
	struct model_proc *p = proc_with(91, "pg", 9);
	struct container c;
	struct vmt_oom_rec r = { .victim_pid = 92 };
	struct alert_oom_info info = { .oom_type = "cgroup" };
	json_t *a, *ctr;
	const char *log;

	cr_assert(container_parse("/system.slice/docker-" CTR_ID ".scope", &c));
	snprintf(c.name, sizeof(c.name), "db");
	p->container = malloc(sizeof(c));
	cr_assert(p->container);
	*p->container = c;
	alert_check_vmas(ae, p, 10, 1000000000ull, 0);
	cr_assert_eq(got, 1);
	a = parse(got_json);
	ctr = json_object_get(a, "container");
	cr_assert_str_eq(jr_str(ctr, "runtime"), "docker", "%s", got_json);
	cr_assert_str_eq(jr_str(ctr, "id"), CTR_ID);
	cr_assert_str_eq(jr_str(ctr, "short_id"), "0123456789ab");
	cr_assert_str_eq(jr_str(ctr, "name"), "db");
	json_decref(a);
	/* A gone victim: the container the daemon found from its memcg. */
	cr_assert(container_parse(
		"/kubepods/besteffort/pod1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e/" CTR_ID,
		&info.container));
	memcpy(r.victim_comm, "hog", 3);
	alert_oom(ae, NULL, &r, &info, 0);
	a = parse(got_json);
	ctr = json_object_get(a, "container");
	cr_assert_str_eq(jr_str(ctr, "runtime"), "containerd", "%s", got_json);
	cr_assert_str_eq(jr_str(ctr, "pod_uid"), "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e");
	json_decref(a);
	log = stderr_text();
	cr_assert(strstr(log, "alert vma_threshold: pg[91] (docker:db) has 9 VMAs"), "%s", log);
	cr_assert(strstr(log, "the OOM killer chose hog[92] (containerd:0123456789ab), cgroup OOM"),
		  "%s", log);
	/* No container: no member. */
	p = proc_with(93, "bare", 9);
	alert_check_vmas(ae, p, 10, 1000000000ull, 0);
	a = parse(got_json);
	cr_assert_null(json_object_get(a, "container"), "%s", got_json);
	json_decref(a);
}
