// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A process name is any 15 bytes the process chose. A valid UTF-8 name
 * (café, set with prctl(PR_SET_NAME)) reads as itself in every output: a
 * trace --json line read by python3's json module, the daemon's alert log
 * line and the HTML report; a name with a newline and an invalid byte reads
 * the same escaped way in all of them.
 */
#include <criterion/criterion.h>
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

TestSuite(utf8, .init = h_require_root, .fini = fini, .timeout = H_TIMEOUT(120));

#define CAFE "caf\xc3\xa9"

Test(utf8, cafe_in_trace_json_read_by_python)
{
	h_require_tool("python3");
	const char *out = h_tmpfile("trace.jsonl"), *py = h_tmpfile("comms.txt");

	cr_assert_eq(h_sh("%s trace --json -o %s -- %s '" CAFE "' >/dev/null 2>&1",
			  h_path("vmatrace"), out, h_path("workloads/named")),
		     0);
	/* Every line is JSON to python's own parser, and the name is café, not mojibake. */
	cr_assert_eq(h_sh("python3 -c 'import json,sys\n"
			  "for l in open(sys.argv[1], encoding=\"utf-8\"):\n"
			  "    print(json.loads(l).get(\"comm\"))' %s > %s",
			  out, py),
		     0, "a trace line is not JSON");
	cr_assert(h_wait_for_line(py, CAFE, 1), "no comm " CAFE " in the trace");
	cr_assert_eq(h_sh("python3 -m json.tool --json-lines %s >/dev/null", out), 0);
}

Test(utf8, cafe_in_the_alert_log_and_the_html_report)
{
	const char *alerts = h_tmpfile("alerts.jsonl"), *journal = h_tmpfile("journal");
	const char *html = h_tmpfile("report.html");
	char args[512];

	snprintf(args, sizeof(args), "--alert-log %s --journal-dir %s", alerts, journal);
	h_daemon_start(&dmn, args);
	cr_assert_eq(h_sh("%s '" CAFE "' >/dev/null", h_path("workloads/named")), 0);
	cr_assert(h_wait_for_line(alerts, "\"comm\":\"" CAFE "\"", 20), "no alert for " CAFE);
	h_daemon_stop(&dmn);
	cr_assert_eq(h_sh("%s report --journal-dir %s --format html -o %s", h_path("vmatrace"),
			  journal, html),
		     0);
	cr_assert(h_wait_for_line(html, CAFE, 1), "no " CAFE " in the HTML report");
}

Test(utf8, hostile_name_escaped_alike)
{
	h_require_tool("python3");
	const char *out = h_tmpfile("trace.jsonl"), *txt = h_tmpfile("trace.txt");

	/* A newline and a byte that is not UTF-8: \x0a and \xff in the text, the same in JSON. */
	cr_assert_eq(h_sh("%s trace --json -o %s -- %s \"$(printf 'a\\nb\\377')\" >/dev/null 2>&1",
			  h_path("vmatrace"), out, h_path("workloads/named")),
		     0);
	cr_assert_eq(h_sh("%s trace -o %s -- %s \"$(printf 'a\\nb\\377')\" >/dev/null 2>&1",
			  h_path("vmatrace"), txt, h_path("workloads/named")),
		     0);
	cr_assert(h_wait_for_line(txt, "a\\x0ab\\xff[", 1), "text line: name not escaped");
	cr_assert_eq(h_sh("python3 -c 'import json,sys\n"
			  "names = {json.loads(l).get(\"comm\") for l in open(sys.argv[1])}\n"
			  "sys.exit(0 if \"a\\\\x0ab\\\\xff\" in names else 1)' %s",
			  out),
		     0, "JSON: the name does not read as the text line's");
}
