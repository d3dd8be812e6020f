// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control protocol: the input is one request line as the socket passes it to the
 * daemon (status, snapshot PID, timeline, sites, metrics, reload and their words), answered
 * by a daemon without a tracer that models a few processes.
 */
#include "ctl.h"
#include "daemon.h"
#include "fuzz_common.h"
#include "model.h"

static void seed(struct model *m, uint32_t pid, unsigned int vmas)
{
	struct model_proc *p = model_seed_begin(m, pid, "", vmas, 0x500000, 0x521000);

	if (!p)
		abort();
	snprintf(p->comm, sizeof(p->comm), "proc%u", pid);
	for (unsigned int i = 0; i < vmas; i++) {
		struct vmt_vma v = {
			.start = 0x10000000ull + i * 0x2000ull,
			.end = 0x10000000ull + i * 0x2000ull + 0x1000,
			.vm_flags = 0x3,
			.valid = 1,
		};

		model_seed_vma(m, p, &v);
	}
	model_seed_end(m, p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct daemon d;
	char req[CTL_MAX_REQUEST];
	struct strbuf out;

	if (!d.model) {
		fuzz_tmpdir();
		d.cfg = malloc(sizeof(*d.cfg));
		if (!d.cfg)
			abort();
		config_defaults(d.cfg);
		d.cfg->journal_dir[0] = 0;
		/* A reload reads no file and opens no journal. */
		d.config_path = "/nonexistent/vmatrace.conf";
		snprintf(d.flags[0].key, sizeof(d.flags[0].key), "journal_dir");
		d.flags[0].value = "";
		snprintf(d.flags[0].where, sizeof(d.flags[0].where), "--journal-dir");
		d.nflags = 1;
		d.model = model_new(NULL);
		d.alerts = alert_new(d.cfg, daemon_on_alert, &d);
		d.max_map_count = 65530;
		if (!d.model || !d.alerts)
			abort();
		seed(d.model, 100, 3);
		seed(d.model, 200, 40);
	}
	/* As the server passes it: at most one line, NUL-terminated. */
	if (size >= sizeof(req))
		size = sizeof(req) - 1;
	memcpy(req, data, size);
	req[size] = 0;
	if (memchr(req, '\n', size))
		*(char *)memchr(req, '\n', size) = 0;
	sb_init(&out);
	daemon_handle_request(&d, req, &out);
	sb_free(&out);
	return 0;
}
