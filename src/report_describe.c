// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One line about an incident, from its parsed payload: the same words in the
 * text report, the HTML table and the SVG markers' tooltips. Payload strings
 * are untrusted: they go through the untrusted-text policy for the caller's
 * output (ut_append), our own words need no escaping in any of them.
 */
#include <stdio.h>
#include <string.h>

#include "jsonr.h"
#include "report_util.h"
#include "untrusted.h"

/* A string member through the text policy; false when absent. */
static bool str_field(struct strbuf *sb, const json_t *o, const char *key, enum ut_output out)
{
	const char *s = jr_str(o, key);

	if (!s)
		return false;
	ut_append(sb, s, strlen(s), out);
	return true;
}

/* Append " label value" for a numeric member, the value shown as a size if kb. */
static void num_field(struct strbuf *sb, const json_t *o, const char *key, const char *label,
		      bool kb)
{
	double d;

	if (!jr_num(o, key, &d))
		return;
	sb_printf(sb, " %s ", label);
	if (kb)
		sb_size(sb, (unsigned long long)(d * 1024));
	else
		sb_printf(sb, "%.0f", d);
}

/* The names of a payload's structured members: the context an incident record carries. */
static void context_names(struct strbuf *sb, const json_t *o, enum ut_output out)
{
	const char *key;
	json_t *val;
	int n = 0;

	/* jansson keeps an object's members in the order they were read. */
	json_object_foreach((json_t *)o, key, val)
	{
		if (!json_is_object(val) && !json_is_array(val))
			continue;
		if (!strcmp(key, "args") || !strcmp(key, "grew"))
			continue; /* "grew" is drawn under the line (report_context.c) */
		sb_puts(sb, n++ ? ", " : " [with ");
		ut_append(sb, key, 64, out);
	}
	if (n)
		sb_putc(sb, ']');
}

/* A scalar as it reads in JSON, strings without their quotes. */
static void scalar_text(struct strbuf *sb, const json_t *v, enum ut_output out)
{
	const char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		ut_append(sb, s, strlen(s), out);
		break;
	case JSON_INTEGER:
		sb_printf(sb, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		sb_printf(sb, "%.15g", json_real_value(v));
		break;
	case JSON_TRUE:
		sb_puts(sb, "true");
		break;
	case JSON_FALSE:
		sb_puts(sb, "false");
		break;
	default:
		sb_puts(sb, "null");
		break;
	}
}

/* Scalar members other than the ones every line shows already. */
static void generic_fields(struct strbuf *sb, const json_t *o, enum ut_output out)
{
	static const char *const skip[] = { "kind", "ts", "pid", "comm" };
	const char *key;
	json_t *val;
	int n = 0;

	json_object_foreach((json_t *)o, key, val)
	{
		bool skipped = false;

		if (n >= 8)
			break;
		for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			skipped |= !strcmp(key, skip[i]);
		if (skipped || json_is_object(val) || json_is_array(val))
			continue;
		sb_putc(sb, ' ');
		ut_append(sb, key, 64, out);
		sb_putc(sb, '=');
		scalar_text(sb, val, out);
		n++;
	}
}

static void vma_alert(struct strbuf *sb, const struct report_event *ev)
{
	const json_t *j = ev->data;
	const char *type = jr_str(j, "threshold_type");
	double d, lim;

	/* An absolute threshold (alert_vma_counts) is a count, not a percentage. */
	if (type && !strcmp(type, "count"))
		sb_printf(sb, "VMA alert %.0f VMAs:", ev->threshold);
	else
		sb_printf(sb, "VMA alert %.0f%%:", ev->threshold);
	if (jr_num(j, "vmas", &d)) {
		sb_printf(sb, " %.0f VMAs", d);
		if (jr_num(j, "limit", &lim))
			sb_printf(sb, " of %.0f", lim);
	}
	if (jr_num(j, "percent", &d))
		sb_printf(sb, " (%.1f%%)", d);
	if (jr_num(j, "growth_per_s", &d)) {
		sb_printf(sb, ", %+.0f/s", d);
		if (jr_num(j, "growth_window_s", &d))
			sb_printf(sb, " over %.0fs", d);
	}
	/* Under 10 s, tenths: "limit in 0s" read as "at the limit" while 0.2 s were left. */
	if (jr_num(j, "seconds_to_limit", &d) && d >= 0)
		sb_printf(sb, d < 10 ? ", limit in %.1fs" : ", limit in %.0fs", d);
}

static void alloc_failure(struct strbuf *sb, const struct report_event *ev, enum ut_output out)
{
	const json_t *j = ev->data;
	double d, lim;

	sb_puts(sb, "alloc failure: ");
	if (!str_field(sb, j, "syscall", out))
		sb_puts(sb, "call");
	sb_puts(sb, " failed with ");
	if (!str_field(sb, j, "errno", out))
		sb_puts(sb, "an error");
	if (jr_num(j, "vmas", &d)) {
		sb_printf(sb, " at %.0f VMAs", d);
		if (jr_num(j, "limit", &lim))
			sb_printf(sb, " (limit %.0f)", lim);
	}
	/* The alerts are rate-limited; the counts are exact. */
	if (jr_num(j, "suppressed_before", &d) && d > 0)
		sb_printf(sb, "; %.0f more since the previous alert", d);
	if (jr_num(j, "failures_total", &d))
		sb_printf(sb, "; %.0f in all", d);
}

static void oom_kill(struct strbuf *sb, const struct report_event *ev, enum ut_output out)
{
	const json_t *j = ev->data;
	const char *memcg;
	double d;

	sb_puts(sb, "OOM kill");
	if (jr_str(j, "oom_type")) {
		sb_puts(sb, " (");
		str_field(sb, j, "oom_type", out);
		memcg = jr_str(j, "memcg");
		if (memcg && *memcg) {
			sb_puts(sb, ", memcg ");
			ut_append(sb, memcg, strlen(memcg), out);
		}
		sb_putc(sb, ')');
	}
	sb_putc(sb, ':');
	num_field(sb, j, "anon_rss_kb", "anon-rss", true);
	num_field(sb, j, "file_rss_kb", "file-rss", true);
	num_field(sb, j, "shmem_rss_kb", "shmem-rss", true);
	num_field(sb, j, "total_vm_kb", "total-vm", true);
	num_field(sb, j, "pgtables_kb", "pgtables", true);
	num_field(sb, j, "oom_score_adj", "oom_score_adj", false);
	num_field(sb, j, "uid", "uid", false);
	if (jr_num(j, "trigger_pid", &d)) {
		sb_printf(sb, "; triggered by %.0f", d);
		if (jr_str(j, "trigger_comm")) {
			sb_puts(sb, " (");
			str_field(sb, j, "trigger_comm", out);
			sb_putc(sb, ')');
		}
	}
}

void report_event_describe(struct strbuf *sb, const struct report_event *ev, enum ut_output out)
{
	if (!ev->data) {
		sb_printf(sb, "unparsable %s record (%zu bytes)", journal_rec_type_name(ev->type),
			  strlen(ev->json));
		return;
	}
	if (!strcmp(ev->name, "vma_threshold")) {
		vma_alert(sb, ev);
	} else if (ev->kind == REV_FAILURE) {
		alloc_failure(sb, ev, out);
	} else if (ev->kind == REV_OOM) {
		oom_kill(sb, ev, out);
	} else {
		sb_puts(sb, "alert ");
		ut_append(sb, ev->name, sizeof(ev->name), out);
		sb_putc(sb, ':');
		generic_fields(sb, ev->data, out);
	}
	if (ev->type != JREC_ALERT)
		context_names(sb, ev->data, out);
}

static const json_t *event_sites(const struct report_event *ev)
{
	const json_t *s = json_object_get(ev->data, "sites");

	if (!s)
		s = json_object_get(json_object_get(ev->data, "context"), "sites");
	return json_is_object(s) ? s : NULL;
}

void report_event_sites(struct strbuf *sb, const struct report_event *ev, enum ut_output out,
			const char *prefix)
{
	const json_t *list = json_object_get(event_sites(ev), "by_vmas");
	size_t i, k;
	json_t *site, *frame;

	if (!json_array_size(list))
		return;
	if (out == UT_HTML)
		sb_puts(sb, "<ul class=\"sites\">");
	json_array_foreach(list, i, site)
	{
		double n = 0, bytes = 0, calls = 0;

		jr_num(site, "net_vmas", &n);
		jr_num(site, "bytes", &bytes);
		jr_num(site, "calls", &calls);
		sb_puts(sb, out == UT_HTML ? "<li>" : prefix);
		sb_printf(sb, "%+.0f VMAs, %.0f calls, ", n, calls);
		if (bytes < 0) {
			sb_putc(sb, '-');
			sb_size(sb, (unsigned long long)-bytes);
		} else {
			sb_size(sb, (unsigned long long)bytes);
		}
		sb_puts(sb, out == UT_HTML ? " mapped<pre>" : " mapped\n");
		json_array_foreach(json_object_get(site, "frames"), k, frame)
		{
			const char *f = json_string_value(frame);

			if (out != UT_HTML)
				sb_printf(sb, "%*s  > ", (int)strlen(prefix), "");
			ut_append(sb, f ? f : "?", 4096, out);
			sb_putc(sb, '\n');
		}
		if (out == UT_HTML)
			sb_puts(sb, "</pre></li>");
	}
	if (out == UT_HTML)
		sb_puts(sb, "</ul>");
}
