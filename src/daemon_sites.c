// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "daemon_sites.h"
#include "decode.h"
#include "log.h"
#include "sites.h"
#include "tracer.h"

int daemon_sites_init(struct daemon *d)
{
	if (!d->cfg->stack_window)
		return 0;
	if (ustack_init(&d->sites.us))
		return -1;
	d->sites.ready = true;
	return 0;
}

void daemon_sites_fini(struct daemon *d)
{
	if (d->sites.ready)
		ustack_fini(&d->sites.us);
	d->sites.ready = false;
}

void daemon_sites_configure(struct daemon *d)
{
	uint32_t above = 0;

	if (!d->sites.ready || !d->tracer)
		return;
	if (d->cfg->site_all_above > 0)
		above = (uint32_t)(d->cfg->site_all_above / 100.0 * d->max_map_count);
	tracer_set_stack_sampling(d->tracer, d->cfg->site_sample_every, above);
}

void daemon_sites_before(struct daemon *d, const void *rec, size_t size, struct site_before *b)
{
	const struct vmt_hdr *h = rec;
	struct model_proc *p;

	b->known = false;
	if (!d->sites.ready || size < sizeof(*h) || h->type != VMT_REC_SYSCALL ||
	    !(h->flags & VMT_F_HAS_USTACK))
		return;
	p = model_proc_get(d->model, h->tgid);
	if (!p)
		return;
	b->known = true;
	b->vmas = model_vma_count(p);
	b->mapped = model_mapped_bytes(p);
	b->resyncs = p->resyncs;
}

void daemon_sites_after(struct daemon *d, const void *rec, size_t size, const struct site_before *b)
{
	const struct vmt_syscall_ustack_rec *ur = rec;
	struct model_proc *p;
	struct ustack_frames f;
	const char *frames[USTACK_MAX_FRAMES];
	uint64_t pcs[USTACK_MAX_FRAMES];
	struct site_sample smp;
	int n;

	if (!b->known || size < sizeof(ur->rec) + sizeof(ur->us))
		return;
	p = model_proc_get(d->model, ur->rec.hdr.tgid);
	if (!p || !daemon_selects(d, p))
		return;
	if (!p->sites) {
		p->sites = malloc(sizeof(*p->sites));
		if (!p->sites)
			return;
		sites_init(p->sites, d->cfg->sites_per_process);
	}
	n = ustack_unwind(&d->sites.us, d->model, p, rec, size, &f);
	if (n <= 0) {
		d->sites.failed++;
		return;
	}
	d->sites.unwound++;
	for (int i = 0; i < n; i++)
		frames[i] = f.text[i].buf ? f.text[i].buf : "";
	/* A stack is its frames' text: the same code at another base is the same site. */
	for (int i = 0; i < n; i++) {
		uint64_t h = 0xcbf29ce484222325ull;

		for (const char *c = frames[i]; *c; c++)
			h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
		pcs[i] = h;
	}
	smp = (struct site_sample){
		.weight = ur->us.weight ? ur->us.weight : 1,
		.err = decode_ret_errno(ur->rec.sys, ur->rec.ret),
	};
	/* The call's own change, as the model applied it (a resync after it changes nothing). */
	if (p->call.measured) {
		smp.net_vmas = p->call.vmas;
		smp.bytes = p->call.bytes;
	} else {
		d->sites.unmeasured++;
	}
	sites_add(p->sites, sites_hash(pcs, n), frames, n, &smp);
	ustack_frames_free(&f);
}

void daemon_sites_note(struct daemon *d, const void *rec, size_t size)
{
	const struct vmt_hdr *h = rec;

	if (!d->sites.ready || size < sizeof(*h))
		return;
	if ((h->type == VMT_REC_EXIT && (h->flags & VMT_F_GROUP_DEAD)) || h->type == VMT_REC_EXEC)
		ustack_forget(&d->sites.us, h->tgid);
	if (h->type == VMT_REC_EXEC)
		ustack_learn(&d->sites.us, h->tgid);
}
