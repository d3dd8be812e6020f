// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The daemon's call sites: a workload built with Debian's flags whose two
 * threads make VMAs from two known functions (deb_two_sites: alpha_maps makes
 * about 600, beta_splits about 100); `vmatrace sites` attributes the VMA count
 * to them in that proportion, with every call and with sampling; alerts carry
 * the top sites.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct h_daemon dmn;

static void fini(void)
{
	h_daemon_stop(&dmn);
	h_cleanup();
}

TestSuite(sites, .init = h_require_root, .fini = fini, .timeout = H_TIMEOUT(180));

/* Net VMAs of the sites (by_vmas) whose frames name `fn`. */
static long long net_vmas_of(const json_t *sites, const char *fn)
{
	const json_t *list = json_object_get(sites, "by_vmas");
	long long sum = 0;
	size_t i, k;
	json_t *site, *f;

	json_array_foreach(list, i, site)
	{
		json_array_foreach(json_object_get(site, "frames"), k, f)
		{
			if (strstr(json_string_value(f) ?: "", fn)) {
				sum += json_integer_value(json_object_get(site, "net_vmas"));
				break;
			}
		}
	}
	return sum;
}

/* Run deb_two_sites under a daemon with these settings; its sites as JSON. */
static json_t *sites_of_two_sites(const char *settings)
{
	const char *out = h_tmpfile("sites.json");
	char args[512], line[512];
	json_t *j = NULL;
	FILE *p;
	int pid = 0;

	snprintf(args, sizeof(args), "--ringbuf-size 256M %s", settings);
	h_daemon_start(&dmn, args);
	/* It stays alive 8 s after its calls: the daemon is asked while it lives. */
	snprintf(line, sizeof(line), "%s 8 >/dev/null & echo $!",
		 h_path("workloads/deb_two_sites"));
	p = popen(line, "r");
	cr_assert(p && fscanf(p, "%d", &pid) == 1);
	pclose(p);
	sleep(2);
	if (h_sh("%s sites -p %d --json --top 50 --socket %s > %s", h_path("vmatrace"), pid,
		 dmn.socket, out)) {
		h_sh("cat %s >&2; ps -p %d >&2", dmn.log, pid);
		cr_assert_fail("vmatrace sites -p %d failed", pid);
	}
	j = json_load_file(out, 0, NULL);
	cr_assert(j, "vmatrace sites --json is not JSON");
	if (getenv("VMT_TEST_DEBUG"))
		h_sh("%s status --socket %s >&2; cat %s >&2", h_path("vmatrace"), dmn.socket,
		     dmn.log);
	kill(pid, SIGTERM);
	h_daemon_stop(&dmn);
	return j;
}

Test(sites, every_call_attributed_to_its_function)
{
	json_t *j = sites_of_two_sites("--site-sample-every 1 --stack-window 2K");
	long long alpha = net_vmas_of(j, "(alpha_maps+"), beta = net_vmas_of(j, "(beta_splits+");

	/* alpha: an mmap merged with the last region, then an mprotect making 2; beta: +1 each. */
	cr_assert(alpha >= 590 && alpha <= 610, "alpha_maps made %lld VMAs", alpha);
	cr_assert(beta >= 95 && beta <= 101, "beta_splits made %lld VMAs", beta);
	json_decref(j);
}

Test(sites, sampled_calls_keep_the_proportion)
{
	json_t *j = sites_of_two_sites("--site-sample-every 4 --stack-window 2K");
	long long alpha = net_vmas_of(j, "(alpha_maps+"), beta = net_vmas_of(j, "(beta_splits+");
	double ratio;

	/* One call in 4 at random, each counted 4 times: about 600 and 100, not exactly. */
	cr_assert(beta > 0, "no sample of beta_splits");
	ratio = (double)alpha / beta;
	cr_assert(alpha > 300 && alpha < 900, "alpha_maps: %lld", alpha);
	cr_assert(ratio > 3 && ratio < 12, "alpha/beta %.1f (%lld/%lld), about 6 expected", ratio,
		  alpha, beta);
	json_decref(j);
}

Test(sites, text_output_and_a_process_without_sites)
{
	const char *out = h_tmpfile("sites.txt");

	h_daemon_start(&dmn, "--site-sample-every 1 --stack-window 2K");
	/* A process that made no sampled call yet: said in words. */
	cr_assert_eq(
		h_sh("%s quiet 6 >/dev/null & sleep 1; %s sites -p $! --socket %s > %s; kill $!",
		     h_path("workloads/named"), h_path("vmatrace"), dmn.socket, out),
		0);
	cr_assert_eq(h_sh("grep -q 'no call sites recorded\\|by net VMAs' %s", out), 0);
	/* A wrong pid: one clear line and a non-zero exit. */
	cr_assert_neq(h_sh("%s sites -p 999999999 --socket %s 2>/dev/null", h_path("vmatrace"),
			   dmn.socket),
		      0);
	cr_assert_neq(h_sh("%s sites --socket %s 2>/dev/null", h_path("vmatrace"), dmn.socket), 0);
}

Test(sites, alerts_carry_the_top_sites)
{
	const char *alerts = h_tmpfile("alerts.jsonl");
	char args[512];
	struct lines l;
	bool found = false;

	snprintf(args, sizeof(args),
		 "--alert-log %s --alert-vma-counts 400 --site-sample-every 1 --stack-window 2K",
		 alerts);
	h_daemon_start(&dmn, args);
	cr_assert_eq(h_sh("%s 1 >/dev/null", h_path("workloads/deb_two_sites")), 0);
	for (int i = 0; i < 50 && !found; i++) {
		usleep(100000);
		if (h_read_lines(alerts, &l))
			continue;
		for (size_t k = 0; k < l.n && !found; k++) {
			json_t *a = h_json(l.v[k]);
			const json_t *s = a ? json_object_get(a, "sites") : NULL;
			char *text = s ? json_dumps(s, 0) : NULL;

			found = text && strstr(text, "(alpha_maps+");
			free(text);
			json_decref(a);
		}
		h_free_lines(&l);
	}
	cr_assert(found, "no alert with the call site alpha_maps in its \"sites\"");
	/* The journal keeps them with the incident: report --sites and the HTML report. */
	h_daemon_stop(&dmn);
	cr_assert_eq(h_sh("%s report --journal-dir %s --sites | grep -q '(alpha_maps+'",
			  h_path("vmatrace"), h_tmpfile("journal")),
		     0, "report --sites does not show the site");
	cr_assert_eq(h_sh("%s report --journal-dir %s --format html | grep -q 'class=\"sites\"'",
			  h_path("vmatrace"), h_tmpfile("journal")),
		     0, "the HTML report does not show the sites");
}
