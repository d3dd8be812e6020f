// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ring-buffer records as the daemon and `vmatrace trace` handle them, of any length and
 * content: the input is a sequence of records, each a 16-bit little-endian length (12 bits used) and that many bytes,
 * copied to a buffer of exactly that size (so that reading past a record is caught). The
 * daemon's handler (model, alerts, sites) takes each; so do trace's decoders: the summary,
 * the text and JSON lines, and the model's census.
 */
#include "daemon.h"
#include "decode.h"
#include "format.h"
#include "fuzz_common.h"
#include "model.h"
#include "summary.h"

/* A daemon without a tracer, journal or sockets: what records reach. Fresh per input. */
static void offline_daemon(struct daemon *d, struct config *cfg)
{
	fuzz_tmpdir();
	config_defaults(cfg);
	cfg->journal_dir[0] = 0;
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->model = model_new(NULL);
	d->alerts = alert_new(cfg, daemon_on_alert, d);
	d->max_map_count = 65530;
	if (!d->model || !d->alerts)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct daemon dmn;
	static struct config cfg;
	struct daemon *d = &dmn;
	struct format_opts text = { 0 }, json = { .json = true };
	struct format_extra ex = { .max_map_count = 65530 };
	struct model *m = model_new(NULL);
	struct summary sum;
	struct strbuf sb;

	offline_daemon(d, &cfg);
	summary_init(&sum, 16);
	sb_init(&sb);
	while (size >= 2 && m) {
		size_t want = (data[0] | (size_t)data[1] << 8) & 0xfff;
		size_t len = want < size - 2 ? want : size - 2;
		uint8_t *rec = malloc(len ? len : 1);
		const struct vmt_hdr *h = (const void *)rec;
		struct vmt_syscall_rec whole;
		const void *wrec;
		size_t wlen;

		memcpy(rec, data + 2, len);
		data += 2 + len;
		size -= 2 + len;
		/* As the tracer passes it on: a short syscall record widened. */
		wlen = len;
		wrec = decode_rec_widen(rec, &wlen, &whole);
		daemon_on_record(d, (void *)wrec, wlen);
		summary_add(&sum, rec, len, &ex.prev_brk, &ex.prev_brk_known);
		if (decode_rec_fits(rec, len)) {
			if (h->type == VMT_REC_EXIT && model_proc_get(m, h->tgid))
				model_format_census(m, model_proc_get(m, h->tgid), &sb, false);
			model_apply(m, rec, len);
			format_record(&sb, &text, rec, len, &ex);
			format_record(&sb, &json, rec, len, &ex);
		}
		sb_reset(&sb);
		free(rec);
	}
	sb_free(&sb);
	summary_free(&sum);
	model_free(m);
	alert_free(d->alerts);
	model_free(d->model);
	free(d->container_names); /* made by the first process whose container is read */
	return 0;
}
