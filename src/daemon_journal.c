// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the daemon keeps in the journal: its start and stop, the timeline of
 * the selected processes, their exits, alerts and incidents, drops and
 * resyncs. Every JSON payload is written through the jsonw writer.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "journal.h"
#include "jsonw.h"
#include "log.h"
#include "model.h"
#include "untrusted.h"
#include "version.h"

static void add_stats(struct journal_stats *to, const struct journal_stats *s)
{
	to->records += s->records;
	to->blocks += s->blocks;
	to->bytes_raw += s->bytes_raw;
	to->bytes_written += s->bytes_written;
	to->segments_created += s->segments_created;
	to->segments_deleted += s->segments_deleted;
	to->write_errors += s->write_errors;
	to->records_lost += s->records_lost;
	to->outages += s->outages;
}

void daemon_journal_totals(const struct daemon *d, struct journal_stats *out)
{
	*out = d->journal_past;
	if (d->journal)
		add_stats(out, journal_get_stats(d->journal));
	out->records_lost += d->journal_down_lost;
	out->outages += d->journal_open_outages;
	out->outage = d->journal_down || (d->journal && journal_get_stats(d->journal)->outage);
}

/* A gap marker: the span without history and what was lost in it (docs/JOURNAL.md). */
static void put_gap(struct daemon *d, uint64_t since_ns, uint64_t until_ns, uint64_t lost,
		    int cause, const char *where)
{
	struct strbuf sb;
	struct jsonw w;

	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	jw_kstr(&w, "where", where);
	jw_kuint(&w, "since_ns", since_ns);
	jw_kuint(&w, "until_ns", until_ns);
	jw_kuint(&w, "records_lost", lost);
	jw_kstr(&w, "error", cause ? strerror(cause) : "");
	jw_obj_end(&w);
	if (!sb.oom)
		journal_put_json(d->journal, JREC_GAP, 0, "", until_ns, sb.buf);
	sb_free(&sb);
	journal_flush(d->journal);
}

/*
 * (Re)open the journal as configured. A journal that cannot open leaves the daemon running
 * without history, counting what it loses, and on_tick opens it again. The start-up
 * refuses the errors that are no outage: -EBUSY (another daemon writes there) and a path
 * that is no directory (the journal is then off, not down).
 */
int daemon_open_journal(struct daemon *d)
{
	struct journal_config jc = {
		.dir = d->cfg->journal_dir,
		.segment_bytes = d->cfg->journal_segment_size,
		.retain_bytes = d->cfg->journal_retain_size,
		.retain_seconds = d->cfg->journal_retain_age_s,
		.fsync = d->cfg->journal_fsync,
		.on_full = d->cfg->journal_on_full,
		.note_retention = true,
	};
	bool was_down = d->journal_down;
	int err;

	if (d->journal) {
		add_stats(&d->journal_past, journal_get_stats(d->journal));
		journal_close(d->journal);
		d->journal = NULL;
	}
	if (!d->cfg->journal_dir[0]) {
		d->journal_down = false;
		return 0;
	}
	d->journal = journal_open(&jc);
	if (d->journal) {
		if (was_down) {
			uint64_t now = clock_real_ns();
			uint64_t lost = d->journal_down_lost - d->journal_down_base;

			d->journal_down = false;
			log_warn(
				"journal: opened %s again after %.0f s without it: %llu records lost "
				"(a gap record marks them)",
				d->cfg->journal_dir, (now - d->journal_down_since_ns) / 1e9,
				(unsigned long long)lost);
			/* A daemon that started without its journal says it started, late. */
			if (d->journal_start_pending)
				daemon_journal_start(d, d->journal_start_nprocs);
			put_gap(d, d->journal_down_since_ns, now, lost, d->journal_down_err,
				"open");
		}
		return 0;
	}
	err = errno;
	if (err == EBUSY) {
		log_err("journal %s is in use by another vmatrace daemon (it holds %s/%s): one "
			"daemon per journal directory; give this one another journal_dir",
			d->cfg->journal_dir, d->cfg->journal_dir, JOURNAL_LOCK_NAME);
		return -EBUSY;
	}
	/* A path that can never be a journal is a configuration error, not an outage. */
	if (err == ENOTDIR || err == ENAMETOOLONG || err == ELOOP || err == EINVAL) {
		log_err("journal_dir %s: %s (give a directory, or '' for no journal)",
			d->cfg->journal_dir, strerror(err));
		return -err;
	}
	if (!was_down) {
		d->journal_down = true;
		d->journal_open_outages++;
		d->journal_down_err = err;
		d->journal_down_since_ns = clock_real_ns();
		d->journal_down_base = d->journal_down_lost;
		log_err("cannot open the journal in %s: %s (running without history, opening it "
			"again every second; nothing is deleted to make room)",
			d->cfg->journal_dir, strerror(err));
	}
	return -err;
}

/* A record for a journal that cannot open: counted as lost. */
static bool journal_up(struct daemon *d)
{
	if (d->journal)
		return true;
	if (d->journal_down)
		d->journal_down_lost++;
	return false;
}

static void append_now(struct daemon *d, uint16_t type, uint32_t pid, const char *comm,
		       const char *json, size_t len)
{
	if (!json || !journal_up(d))
		return;
	(void)len;
	journal_put_json(d->journal, type, pid, comm, clock_real_ns(), json);
}

void daemon_journal_json(struct daemon *d, uint16_t type, uint32_t pid, const char *comm,
			 const struct strbuf *json)
{
	if (!json->oom)
		append_now(d, type, pid, comm, json->buf, json->len);
}

void daemon_journal_start(struct daemon *d, int nprocs)
{
	char host[256] = "";
	struct strbuf sb;
	struct jsonw w;

	d->journal_start_pending = !d->journal;
	d->journal_start_nprocs = nprocs;
	if (!journal_up(d))
		return;
	gethostname(host, sizeof(host) - 1);
	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	jw_kstr(&w, "version", VMATRACE_VERSION);
	jw_kuint(&w, "max_map_count", d->max_map_count);
	jw_kstr(&w, "hostname", host);
	jw_kint(&w, "processes", nprocs);
	jw_obj_end(&w);
	daemon_journal_json(d, JREC_DAEMON_START, 0, "", &sb);
	sb_free(&sb);
	daemon_journal_config(d);
	journal_flush(d->journal);
}

void daemon_journal_config(struct daemon *d)
{
	const struct config *c = d->cfg;
	struct strbuf sb;
	struct jsonw w;

	if (!d->journal)
		return;
	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	jw_karr(&w, "alert_thresholds");
	for (int i = 0; i < c->n_alert_thresholds; i++)
		jw_double(&w, c->alert_thresholds[i]);
	jw_arr_end(&w);
	jw_karr(&w, "alert_vma_counts");
	for (int i = 0; i < c->n_alert_vma_counts; i++)
		jw_uint(&w, c->alert_vma_counts[i]);
	jw_arr_end(&w);
	jw_kdouble(&w, "alert_hysteresis", c->alert_hysteresis);
	jw_obj_end(&w);
	daemon_journal_json(d, JREC_CONFIG, 0, "", &sb);
	sb_free(&sb);
}

void daemon_journal_stop(struct daemon *d, int sig)
{
	struct strbuf sb;
	struct jsonw w;

	if (!d->journal)
		return;
	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	jw_kstr(&w, "reason", sig == SIGINT ? "SIGINT" : "SIGTERM");
	jw_obj_end(&w);
	daemon_journal_json(d, JREC_DAEMON_STOP, 0, "", &sb);
	sb_free(&sb);
}

void daemon_journal_exit(struct daemon *d, const struct vmt_exit_rec *r,
			 const struct model_fail *fails, uint32_t nfails, uint64_t failures,
			 const uint32_t *census, const struct container *ctr)
{
	int sig = r->exit_code & 0x7f;
	struct strbuf sb;
	struct jsonw w;

	if (!journal_up(d))
		return;
	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	jw_kint(&w, "exit_code", sig ? -1 : (r->exit_code >> 8) & 0xff);
	if (sig)
		jw_kstr(&w, "signal", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
	else
		jw_knull(&w, "signal");
	jw_kuint(&w, "vmas", r->map_count);
	container_json(&w, "container", ctr);
	/* Every failed call of its life, counted exactly (alerts only sample them). */
	jw_kuint(&w, "failures_total", failures);
	alert_failures_json(&w, fails, nfails);
	if (census) {
		/* What the count was made of: the report draws it for every exited process. */
		jw_kobj(&w, "census");
		for (int k = 0; k < VK__COUNT; k++)
			jw_kuint(&w, model_kind_name(k), census[k]);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	if (!sb.oom)
		journal_put_json(d->journal, JREC_PROC_EXIT, r->hdr.tgid, r->hdr.comm,
				 r->hdr.ts_ns + d->realtime_offset_ns, sb.buf);
	sb_free(&sb);
}

void daemon_journal_container(struct daemon *d, const struct model_proc *p)
{
	struct strbuf sb;
	struct jsonw w;

	if (!p->container || !journal_up(d))
		return;
	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	container_json(&w, "container", p->container);
	jw_obj_end(&w);
	daemon_journal_json(d, JREC_CONTAINER, p->tgid, p->comm, &sb);
	sb_free(&sb);
}

/* {"<what>":N,"total":T} */
static void journal_count(struct daemon *d, uint16_t type, const char *what, uint64_t n,
			  uint64_t total)
{
	struct strbuf sb;
	struct jsonw w;

	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	jw_kuint(&w, what, n);
	jw_kuint(&w, "total", total);
	jw_obj_end(&w);
	daemon_journal_json(d, type, 0, "", &sb);
	sb_free(&sb);
}

/*
 * Values hold until they change, so a quiet host writes nothing; but a reader must know
 * how long they held: every record says the daemon was alive then, and when nothing else
 * was written for DAEMON_HEARTBEAT_NS, a heartbeat says it.
 */
static void daemon_journal_heartbeat(struct daemon *d)
{
	const struct journal_stats *js;
	uint64_t now = clock_mono_ns();
	struct strbuf sb;
	struct jsonw w;

	if (!d->journal)
		return;
	js = journal_get_stats(d->journal);
	if (js->records != d->journal_records || !d->journal_quiet_since) {
		d->journal_records = js->records;
		d->journal_quiet_since = now;
		return;
	}
	if (now - d->journal_quiet_since < DAEMON_HEARTBEAT_NS)
		return;
	/* The counts grow when a block is written: the heartbeat itself restarts the wait. */
	d->journal_quiet_since = now;
	sb_init(&sb);
	jw_begin(&w, &sb);
	jw_obj(&w);
	jw_kuint(&w, "processes", d->model->procs.len);
	jw_obj_end(&w);
	daemon_journal_json(d, JREC_HEARTBEAT, 0, "", &sb);
	sb_free(&sb);
}

void daemon_journal_tick(struct daemon *d, const unsigned long long *st)
{
	uint64_t resyncs = d->model->st.resyncs;
	uint64_t repairs = d->model->st.repairs - d->repairs_logged;
	struct journal_event ev;

	if (st && st[VMT_STAT_DROPS] > d->drops) {
		struct strbuf sb;
		struct jsonw w;

		log_warn(
			"%llu records dropped (ring buffer full): %llu processes that lost records "
			"read again from the kernel; raise ringbuf_size",
			st[VMT_STAT_DROPS] - d->drops, (unsigned long long)repairs);
		sb_init(&sb);
		jw_begin(&w, &sb);
		jw_obj(&w);
		jw_kuint(&w, "dropped", st[VMT_STAT_DROPS] - d->drops);
		jw_kuint(&w, "total", st[VMT_STAT_DROPS]);
		jw_kuint(&w, "repaired", repairs);
		jw_kuint(&w, "repaired_total", d->model->st.repairs);
		jw_obj_end(&w);
		daemon_journal_json(d, JREC_DROPS, 0, "", &sb);
		sb_free(&sb);
		d->drops = st[VMT_STAT_DROPS];
		d->repairs_logged = d->model->st.repairs;
	}
	if (resyncs > d->resyncs_journaled) {
		journal_count(d, JREC_RESYNC, "resyncs", resyncs - d->resyncs_journaled, resyncs);
		d->resyncs_journaled = resyncs;
	}
	daemon_journal_heartbeat(d);
	if (!d->journal && d->journal_down)
		daemon_open_journal(d);
	while (d->journal && journal_take_event(d->journal, &ev)) {
		if (!ev.recovered) {
			log_err("journal: %s", ev.msg);
			continue;
		}
		log_warn("journal: %s after %.0f s: %llu records lost (a gap record marks them)",
			 ev.msg, (ev.until_ns - ev.since_ns) / 1e9,
			 (unsigned long long)ev.records_lost);
		put_gap(d, ev.since_ns, ev.until_ns, ev.records_lost, ev.cause, "write");
	}
}

void daemon_on_point(void *ctx, const struct model_proc *p, const struct tl_point *t)
{
	struct daemon *d = ctx;
	struct journal_tl jt = {
		.t_ns = t->t_ns + d->realtime_offset_ns,
		.vmas_min = t->vmas_min,
		.vmas_max = t->vmas_max,
		.vmas_last = t->vmas_last,
		.calls = t->calls,
		.failures = t->failures,
		.max_map_count = d->max_map_count,
		.mapped = t->mapped,
		.heap = t->brk,
		.heap_hwm = model_heap_hwm(p),
		.mapped_max = t->mapped_max,
		.heap_max = t->brk_max,
	};

	if (!daemon_selects(d, (struct model_proc *)p) || !journal_up(d))
		return;
	journal_put_point(d->journal, p->tgid, p->comm, &jt);
}

void daemon_on_alert_summary(void *ctx, enum alert_kind kind, uint32_t uid, const char *json)
{
	struct daemon *d = ctx;

	(void)kind;
	(void)uid;
	append_now(d, JREC_SUPPRESSED, 0, "", json, strlen(json));
}

void daemon_on_alert(void *ctx, enum alert_kind kind, uint32_t pid, const char *comm,
		     const char *json, const char *incident)
{
	struct daemon *d = ctx;
	const char *one = incident ? incident : json;

	/*
	 * One record per alert: the incident is the alert with its context, so an OOM kill
	 * or a failure is one incident in every reader of the journal.
	 */
	append_now(d, kind == ALERT_OOM_KILL ? JREC_OOM : JREC_INCIDENT, pid, comm, one,
		   strlen(one));
	/* An incident is flushed at once: the process may be about to die. */
	if (d->journal)
		journal_flush(d->journal);
	if (d->journald) {
		struct strbuf name;

		sb_init(&name);
		ut_append(&name, comm, VMT_COMM_LEN, UT_TEXT);
		sd_journal_send("MESSAGE=vmatrace alert %s for %s[%u]", alert_kind_name(kind),
				name.buf ? name.buf : "", pid, "PRIORITY=4", "VMATRACE_ALERT=%d",
				(int)kind, "VMATRACE_PID=%u", pid, "VMATRACE_COMM=%s", comm,
				"VMATRACE_JSON=%s", json, NULL);
		sb_free(&name);
	}
}
