// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "decode.h"
#include "format.h"
#include "jsonw.h"

long long format_realtime_offset(void)
{
	return clock_realtime_offset_ns();
}

long long format_real_us(const struct format_opts *fo, unsigned long long mono_ns)
{
	return ((long long)mono_ns + fo->realtime_offset_ns) / 1000;
}

void format_ts(struct strbuf *sb, const struct format_opts *fo, unsigned long long mono_ns)
{
	long long real = (long long)mono_ns + fo->realtime_offset_ns;
	time_t sec = real / 1000000000LL;
	long usec = (real % 1000000000LL) / 1000;
	struct tm tm;

	if (fo->json) {
		sb_printf(sb, "%lld.%06ld", (long long)sec, usec);
		return;
	}
	/* The clock time of the last second seen: localtime_r per line was a tenth of a line's cost. */
	static __thread time_t last_sec = -1;
	static __thread bool last_utc;
	static __thread char hms[16];
	char frac[8];

	if (sec != last_sec || fo->utc != last_utc) {
		if (fo->utc)
			gmtime_r(&sec, &tm);
		else
			localtime_r(&sec, &tm);
		snprintf(hms, sizeof(hms), "%02u:%02u:%02u", (unsigned)tm.tm_hour % 100u,
			 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
		last_sec = sec;
		last_utc = fo->utc;
	}
	sb_putn(sb, hms, 8);
	if (usec < 0)
		usec = 0; /* a time before the epoch: not from a real record */
	frac[0] = '.';
	for (int i = 6; i >= 1; i--, usec /= 10)
		frac[i] = (char)('0' + usec % 10);
	sb_putn(sb, frac, 7);
}

/* Common text prefix: "TS comm[tgid/tid] ". */
static void prefix(struct strbuf *sb, const struct format_opts *fo, const struct vmt_hdr *h)
{
	format_ts(sb, fo, h->ts_ns);
	sb_putc(sb, ' ');
	sb_printable(sb, h->comm, sizeof(h->comm));
	sb_putc(sb, '[');
	sb_dec(sb, h->tgid);
	sb_putc(sb, '/');
	sb_dec(sb, h->tid);
	sb_puts(sb, "] ");
}

/* Common JSON members: {"ts":..,"pid":..,"tid":..,"comm":..,"event":.. (the object stays open). */
static void json_prefix(struct jsonw *w, struct strbuf *sb, const struct format_opts *fo,
			const struct vmt_hdr *h, const char *event)
{
	jw_begin(w, sb);
	jw_obj(w);
	jw_kscaled(w, "ts", format_real_us(fo, h->ts_ns), 6);
	jw_kuint(w, "pid", h->tgid);
	jw_kuint(w, "tid", h->tid);
	jw_kstrn(w, "comm", h->comm, sizeof(h->comm));
	jw_kstr(w, "event", event);
}

static void json_end(struct jsonw *w)
{
	jw_obj_end(w);
	sb_putc(w->sb, '\n');
}

static void json_vma(struct jsonw *w, const char *key, const struct vmt_vma *v)
{
	char perms[5], dev[16];

	decode_vm_perms(perms, v->vm_flags);
	jw_kobj(w, key);
	jw_khex(w, "start", v->start);
	jw_khex(w, "end", v->end);
	jw_kstr(w, "perms", perms);
	if (v->ino) {
		snprintf(dev, sizeof(dev), "%02x:%02x", v->dev >> 20, v->dev & 0xfffff);
		jw_kstr(w, "dev", dev);
		jw_kuint(w, "ino", v->ino);
		jw_kuint(w, "pgoff", v->pgoff);
	}
	jw_obj_end(w);
}

static bool arg_shown(const struct vmt_syscall_rec *r, const struct arg_desc *d)
{
	/* mremap's fifth argument means something only with MREMAP_FIXED. */
	if (r->sys == VMT_SYS_MREMAP && !strcmp(d->name, "new_addr"))
		return r->args[3] & 2;
	return true;
}

static void heap_note(struct strbuf *sb, const struct format_opts *fo,
		      const struct vmt_syscall_rec *r, const struct format_extra *ex)
{
	unsigned long long size = r->brk - r->start_brk;

	(void)fo;
	sb_puts(sb, "  heap=");
	if (ex->prev_brk_known) {
		long long d = (long long)(r->brk - ex->prev_brk);

		sb_putc(sb, d < 0 ? '-' : '+');
		sb_size(sb, d < 0 ? -d : d);
		sb_puts(sb, " (");
		sb_size(sb, size);
		sb_puts(sb, ", ");
	} else {
		sb_size(sb, size);
		sb_puts(sb, " (");
	}
	sb_printf(sb, "start_brk %#llx)", (unsigned long long)r->start_brk);
}

static void format_syscall_json(struct strbuf *sb, const struct format_opts *fo,
				const struct vmt_syscall_rec *r, const struct format_extra *ex,
				int nargs, const struct arg_desc *args, int err, const char *ename)
{
	static __thread struct strbuf flags;
	struct jsonw w;

	json_prefix(&w, sb, fo, &r->hdr, decode_sys_name(r->sys));
	jw_kobj(&w, "args");
	for (int i = 0; i < nargs; i++) {
		if (!arg_shown(r, &args[i]))
			continue;
		jw_key(&w, args[i].name);
		switch (args[i].kind) {
		case ARG_LEN:
			jw_uint(&w, r->args[i]);
			break;
		case ARG_INT:
		case ARG_FD:
			jw_int(&w, (int)r->args[i]);
			break;
		case ARG_ADDR:
		case ARG_HEX:
			jw_hex(&w, r->args[i]);
			break;
		default:
			sb_reset(&flags);
			decode_arg(&flags, &args[i], r->args[i]);
			jw_str(&w, flags.buf);
		}
	}
	jw_obj_end(&w);
	jw_kint(&w, "ret", err ? -1LL : (long long)r->ret);
	if (err && ename) {
		jw_kstr(&w, "errno", ename);
	} else if (err) {
		char e[16];

		snprintf(e, sizeof(e), "E%d", err);
		jw_kstr(&w, "errno", e);
	} else {
		jw_knull(&w, "errno");
	}
	jw_kuint(&w, "vmas", r->map_count);
	jw_kuint(&w, "max_map_count", ex->max_map_count);
	jw_khex(&w, "brk", r->brk);
	jw_khex(&w, "start_brk", r->start_brk);
	if (r->sys == VMT_SYS_BRK) {
		if (ex->prev_brk_known)
			jw_kint(&w, "heap_delta", (long long)(r->brk - ex->prev_brk));
		jw_kuint(&w, "heap_size", r->brk - r->start_brk);
	}
	if (r->vma[0].valid)
		json_vma(&w, "vma", &r->vma[0]);
	if (r->vma[1].valid)
		json_vma(&w, "vma_end", &r->vma[1]);
	if (ex->json_members)
		ex->json_members(&w, ex->ctx);
	json_end(&w);
}

static void format_syscall(struct strbuf *sb, const struct format_opts *fo,
			   const struct vmt_syscall_rec *r, const struct format_extra *ex)
{
	const struct arg_desc *args;
	int nargs = decode_sys_args(r->sys, &args);
	int err = decode_ret_errno(r->sys, r->ret);
	const char *ename = err ? decode_errno_name(err) : NULL;
	bool first = true;

	if (fo->json) {
		format_syscall_json(sb, fo, r, ex, nargs, args, err, ename);
		return;
	}
	prefix(sb, fo, &r->hdr);
	sb_puts(sb, decode_sys_name(r->sys));
	sb_putc(sb, '(');
	for (int i = 0; i < nargs; i++) {
		if (!arg_shown(r, &args[i]))
			continue;
		if (!first)
			sb_puts(sb, ", ");
		first = false;
		decode_arg(sb, &args[i], r->args[i]);
	}
	sb_puts(sb, ") = ");
	if (err) {
		sb_puts(sb, "-1 ");
		if (ename)
			sb_printf(sb, "%s (%s)", ename, strerror(err));
		else
			sb_printf(sb, "E%d", err);
	} else if (decode_sys_returns_addr(r->sys)) {
		sb_hex(sb, (unsigned long long)r->ret);
	} else {
		sb_sdec(sb, (long long)r->ret);
	}
	sb_puts(sb, "  vmas=");
	sb_dec(sb, r->map_count);
	sb_putc(sb, '/');
	sb_dec(sb, ex->max_map_count);
	if (r->sys == VMT_SYS_BRK) {
		heap_note(sb, fo, r, ex);
	} else if (r->vma[0].valid && !err) {
		/* Show the VMA the call produced when the kernel merged it with neighbours. */
		unsigned long long lo = r->sys == VMT_SYS_MMAP || r->sys == VMT_SYS_MREMAP ?
						(unsigned long long)r->ret :
						r->args[0];
		const struct vmt_vma *last = r->vma[1].valid ? &r->vma[1] : &r->vma[0];
		char perms[5];

		if (r->vma[0].start < lo || r->vma[1].valid) {
			decode_vm_perms(perms, r->vma[0].vm_flags);
			sb_printf(sb, "  vma=%llx-%llx %s", (unsigned long long)r->vma[0].start,
				  (unsigned long long)last->end,
				  r->vma[1].valid ? "(2 VMAs)" : perms);
		}
	}
	sb_putc(sb, '\n');
}

static void format_fork(struct strbuf *sb, const struct format_opts *fo,
			const struct vmt_fork_rec *r)
{
	if (fo->json) {
		struct jsonw w;

		json_prefix(&w, sb, fo, &r->hdr, "fork");
		jw_kuint(&w, "child_pid", r->child_tgid);
		jw_kstrn(&w, "child_comm", r->child_comm, sizeof(r->child_comm));
		jw_kbool(&w, "followed", r->hdr.flags & VMT_F_TRACED_NEW);
		jw_kuint(&w, "vmas", r->map_count);
		jw_khex(&w, "brk", r->brk);
		json_end(&w);
		return;
	}
	prefix(sb, fo, &r->hdr);
	sb_printf(sb, "fork() = %u%s  vmas=%u\n", r->child_tgid,
		  r->hdr.flags & VMT_F_TRACED_NEW ? " (followed)" : "", r->map_count);
}

static void format_exec(struct strbuf *sb, const struct format_opts *fo,
			const struct vmt_exec_rec *r, const struct format_extra *ex)
{
	if (fo->json) {
		struct jsonw w;

		json_prefix(&w, sb, fo, &r->hdr, "exec");
		jw_kstrn(&w, "filename", r->filename, sizeof(r->filename));
		jw_kuint(&w, "old_tid", r->old_tid);
		jw_kuint(&w, "vmas", r->map_count);
		jw_kuint(&w, "max_map_count", ex->max_map_count);
		jw_khex(&w, "brk", r->brk);
		jw_khex(&w, "start_brk", r->start_brk);
		json_end(&w);
		return;
	}
	prefix(sb, fo, &r->hdr);
	sb_puts(sb, "exec(\"");
	sb_printable(sb, r->filename, sizeof(r->filename));
	sb_printf(sb, "\")  vmas=%u/%lu  brk=%#llx\n", r->map_count, ex->max_map_count,
		  (unsigned long long)r->brk);
}

static void format_exit(struct strbuf *sb, const struct format_opts *fo,
			const struct vmt_exit_rec *r)
{
	int code = r->exit_code;
	int sig = code & 0x7f;

	if (fo->json) {
		struct jsonw w;

		json_prefix(&w, sb, fo, &r->hdr, "exit");
		if (sig) {
			jw_kstr(&w, "signal", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
			jw_knull(&w, "exit_code");
		} else {
			jw_knull(&w, "signal");
			jw_kint(&w, "exit_code", (code >> 8) & 0xff);
		}
		jw_kuint(&w, "vmas", r->map_count);
		jw_khex(&w, "brk", r->brk);
		json_end(&w);
		return;
	}
	prefix(sb, fo, &r->hdr);
	if (sig)
		sb_printf(sb, "+++ killed by SIG%s%s +++\n",
			  sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			  code & 0x80 ? " (core dumped)" : "");
	else
		sb_printf(sb, "+++ exited with %d +++\n", (code >> 8) & 0xff);
}

static void format_oom(struct strbuf *sb, const struct format_opts *fo, const struct vmt_oom_rec *r)
{
	if (fo->json) {
		struct jsonw w;

		json_prefix(&w, sb, fo, &r->hdr, "oom_kill");
		jw_kuint(&w, "victim_pid", r->victim_pid);
		jw_kstrn(&w, "victim_comm", r->victim_comm, sizeof(r->victim_comm));
		if (r->present & VMT_OOM_HAS_UID)
			jw_kuint(&w, "uid", r->uid);
		if (r->present & VMT_OOM_HAS_TOTAL_VM)
			jw_kuint(&w, "total_vm_kb", r->total_vm_kb);
		if (r->present & VMT_OOM_HAS_RSS) {
			jw_kuint(&w, "anon_rss_kb", r->anon_rss_kb);
			jw_kuint(&w, "file_rss_kb", r->file_rss_kb);
			jw_kuint(&w, "shmem_rss_kb", r->shmem_rss_kb);
		}
		if (r->present & VMT_OOM_HAS_PGTABLES)
			jw_kuint(&w, "pgtables_kb", r->pgtables_kb);
		if (r->present & VMT_OOM_HAS_SCORE_ADJ)
			jw_kint(&w, "oom_score_adj", r->oom_score_adj);
		json_end(&w);
		return;
	}
	prefix(sb, fo, &r->hdr);
	sb_puts(sb, "oom_kill victim=");
	sb_printable(sb, r->victim_comm, sizeof(r->victim_comm));
	sb_printf(sb, "[%u]", r->victim_pid);
	if (r->present & VMT_OOM_HAS_UID)
		sb_printf(sb, " uid=%u", r->uid);
	if (r->present & VMT_OOM_HAS_TOTAL_VM)
		sb_printf(sb, " total_vm=%llukB", (unsigned long long)r->total_vm_kb);
	if (r->present & VMT_OOM_HAS_RSS)
		sb_printf(sb, " anon_rss=%llukB file_rss=%llukB shmem_rss=%llukB",
			  (unsigned long long)r->anon_rss_kb, (unsigned long long)r->file_rss_kb,
			  (unsigned long long)r->shmem_rss_kb);
	if (r->present & VMT_OOM_HAS_PGTABLES)
		sb_printf(sb, " pgtables=%llukB", (unsigned long long)r->pgtables_kb);
	if (r->present & VMT_OOM_HAS_SCORE_ADJ)
		sb_printf(sb, " oom_score_adj=%d", r->oom_score_adj);
	sb_puts(sb, " (triggered by this task)\n");
}

int format_record(struct strbuf *sb, const struct format_opts *fo, const void *data, size_t size,
		  const struct format_extra *ex)
{
	const struct vmt_hdr *h = data;

	if (size < sizeof(*h) || size < decode_rec_size(h->type))
		return -1;
	switch (h->type) {
	case VMT_REC_SYSCALL:
		format_syscall(sb, fo, data, ex);
		return 0;
	case VMT_REC_FORK:
		format_fork(sb, fo, data);
		return 0;
	case VMT_REC_EXEC:
		format_exec(sb, fo, data, ex);
		return 0;
	case VMT_REC_EXIT:
		format_exit(sb, fo, data);
		return 0;
	case VMT_REC_OOM:
		format_oom(sb, fo, data);
		return 0;
	default:
		return -1;
	}
}

void format_drops(struct strbuf *sb, const struct format_opts *fo, unsigned long long ts_ns,
		  unsigned long long dropped, unsigned long long total)
{
	if (fo->json) {
		struct jsonw w;

		jw_begin(&w, sb);
		jw_obj(&w);
		jw_kscaled(&w, "ts", format_real_us(fo, ts_ns), 6);
		jw_kstr(&w, "event", "drops");
		jw_kuint(&w, "dropped", dropped);
		jw_kuint(&w, "dropped_total", total);
		json_end(&w);
		return;
	}
	format_ts(sb, fo, ts_ns);
	sb_printf(sb,
		  " *** %llu records dropped here (ring buffer full; %llu in all): raise "
		  "--ringbuf-size ***\n",
		  dropped, total);
}
