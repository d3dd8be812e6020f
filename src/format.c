// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <signal.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "format.h"

long long format_realtime_offset(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return (real.tv_sec - mono.tv_sec) * 1000000000LL + (real.tv_nsec - mono.tv_nsec);
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
	if (fo->utc)
		gmtime_r(&sec, &tm);
	else
		localtime_r(&sec, &tm);
	sb_printf(sb, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}

/* Common prefix: text "TS comm[tgid/tid] ", JSON {"ts":..,"pid":..,"tid":..,"comm":..,"event":.. */
static void prefix(struct strbuf *sb, const struct format_opts *fo, const struct vmt_hdr *h,
		   const char *event)
{
	if (fo->json) {
		sb_puts(sb, "{\"ts\":");
		format_ts(sb, fo, h->ts_ns);
		sb_printf(sb, ",\"pid\":%u,\"tid\":%u,\"comm\":", h->tgid, h->tid);
		sb_json_str(sb, h->comm, sizeof(h->comm));
		sb_printf(sb, ",\"event\":\"%s\"", event);
		return;
	}
	format_ts(sb, fo, h->ts_ns);
	sb_putc(sb, ' ');
	sb_printable(sb, h->comm, sizeof(h->comm));
	sb_printf(sb, "[%u/%u] ", h->tgid, h->tid);
}

static void json_hex(struct strbuf *sb, const char *key, unsigned long long v)
{
	sb_printf(sb, ",\"%s\":\"%#llx\"", key, v);
}

static void json_vma(struct strbuf *sb, const char *key, const struct vmt_vma *v)
{
	char perms[5];

	decode_vm_perms(perms, v->vm_flags);
	sb_printf(sb, ",\"%s\":{\"start\":\"%#llx\",\"end\":\"%#llx\",\"perms\":\"%s\"", key,
		  (unsigned long long)v->start, (unsigned long long)v->end, perms);
	if (v->ino)
		sb_printf(sb, ",\"dev\":\"%02x:%02x\",\"ino\":%llu,\"pgoff\":%llu", v->dev >> 20,
			  v->dev & 0xfffff, (unsigned long long)v->ino, (unsigned long long)v->pgoff);
	sb_putc(sb, '}');
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

	if (fo->json) {
		if (ex->prev_brk_known)
			sb_printf(sb, ",\"heap_delta\":%lld", (long long)(r->brk - ex->prev_brk));
		sb_printf(sb, ",\"heap_size\":%llu", size);
		return;
	}
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

static void format_syscall(struct strbuf *sb, const struct format_opts *fo,
			   const struct vmt_syscall_rec *r, const struct format_extra *ex)
{
	const struct arg_desc *args;
	int nargs = decode_sys_args(r->sys, &args);
	int err = decode_ret_errno(r->sys, r->ret);
	const char *ename = err ? decode_errno_name(err) : NULL;
	bool first = true;

	prefix(sb, fo, &r->hdr, decode_sys_name(r->sys));
	if (fo->json) {
		sb_puts(sb, ",\"args\":{");
		for (int i = 0; i < nargs; i++) {
			if (!arg_shown(r, &args[i]))
				continue;
			sb_printf(sb, "%s\"%s\":", first ? "" : ",", args[i].name);
			first = false;
			if (args[i].kind == ARG_LEN || args[i].kind == ARG_INT || args[i].kind == ARG_FD) {
				decode_arg(sb, &args[i], r->args[i]);
			} else if (args[i].kind == ARG_ADDR || args[i].kind == ARG_HEX) {
				sb_printf(sb, "\"%#llx\"", (unsigned long long)r->args[i]);
			} else {
				sb_putc(sb, '"');
				decode_arg(sb, &args[i], r->args[i]);
				sb_putc(sb, '"');
			}
		}
		sb_printf(sb, "},\"ret\":%lld,\"errno\":", err ? -1LL : (long long)r->ret);
		if (err && ename)
			sb_printf(sb, "\"%s\"", ename);
		else if (err)
			sb_printf(sb, "\"E%d\"", err);
		else
			sb_puts(sb, "null");
		sb_printf(sb, ",\"vmas\":%u,\"max_map_count\":%lu", r->map_count, ex->max_map_count);
		json_hex(sb, "brk", r->brk);
		json_hex(sb, "start_brk", r->start_brk);
		if (r->sys == VMT_SYS_BRK)
			heap_note(sb, fo, r, ex);
		if (r->vma[0].valid)
			json_vma(sb, "vma", &r->vma[0]);
		if (r->vma[1].valid)
			json_vma(sb, "vma_end", &r->vma[1]);
		sb_puts(sb, "}\n");
		return;
	}

	sb_printf(sb, "%s(", decode_sys_name(r->sys));
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
		sb_printf(sb, "%#llx", (unsigned long long)r->ret);
	} else {
		sb_printf(sb, "%lld", (long long)r->ret);
	}
	sb_printf(sb, "  vmas=%u/%lu", r->map_count, ex->max_map_count);
	if (r->sys == VMT_SYS_BRK) {
		heap_note(sb, fo, r, ex);
	} else if (r->vma[0].valid && !err) {
		/* Show the VMA the call produced when the kernel merged it with neighbours. */
		unsigned long long lo = r->sys == VMT_SYS_MMAP || r->sys == VMT_SYS_MREMAP ?
					       (unsigned long long)r->ret : r->args[0];
		const struct vmt_vma *last = r->vma[1].valid ? &r->vma[1] : &r->vma[0];
		char perms[5];

		if (r->vma[0].start < lo || r->vma[1].valid) {
			decode_vm_perms(perms, r->vma[0].vm_flags);
			sb_printf(sb, "  vma=%llx-%llx %s", (unsigned long long)r->vma[0].start,
				  (unsigned long long)last->end, r->vma[1].valid ? "(2 VMAs)" : perms);
		}
	}
	sb_putc(sb, '\n');
}

static void format_fork(struct strbuf *sb, const struct format_opts *fo, const struct vmt_fork_rec *r)
{
	prefix(sb, fo, &r->hdr, "fork");
	if (fo->json) {
		sb_printf(sb, ",\"child_pid\":%u,\"child_comm\":", r->child_tgid);
		sb_json_str(sb, r->child_comm, sizeof(r->child_comm));
		sb_printf(sb, ",\"followed\":%s,\"vmas\":%u", r->hdr.flags & VMT_F_TRACED_NEW ? "true" : "false",
			  r->map_count);
		json_hex(sb, "brk", r->brk);
		sb_puts(sb, "}\n");
		return;
	}
	sb_printf(sb, "fork() = %u%s  vmas=%u\n", r->child_tgid,
		  r->hdr.flags & VMT_F_TRACED_NEW ? " (followed)" : "", r->map_count);
}

static void format_exec(struct strbuf *sb, const struct format_opts *fo, const struct vmt_exec_rec *r,
			const struct format_extra *ex)
{
	prefix(sb, fo, &r->hdr, "exec");
	if (fo->json) {
		sb_puts(sb, ",\"filename\":");
		sb_json_str(sb, r->filename, sizeof(r->filename));
		sb_printf(sb, ",\"old_tid\":%u,\"vmas\":%u,\"max_map_count\":%lu", r->old_tid, r->map_count,
			  ex->max_map_count);
		json_hex(sb, "brk", r->brk);
		json_hex(sb, "start_brk", r->start_brk);
		sb_puts(sb, "}\n");
		return;
	}
	sb_puts(sb, "exec(\"");
	sb_printable(sb, r->filename, sizeof(r->filename));
	sb_printf(sb, "\")  vmas=%u/%lu  brk=%#llx\n", r->map_count, ex->max_map_count,
		  (unsigned long long)r->brk);
}

static void format_exit(struct strbuf *sb, const struct format_opts *fo, const struct vmt_exit_rec *r)
{
	int code = r->exit_code;
	int sig = code & 0x7f;

	prefix(sb, fo, &r->hdr, "exit");
	if (fo->json) {
		if (sig)
			sb_printf(sb, ",\"signal\":\"%s\",\"exit_code\":null", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
		else
			sb_printf(sb, ",\"signal\":null,\"exit_code\":%d", (code >> 8) & 0xff);
		sb_printf(sb, ",\"vmas\":%u", r->map_count);
		json_hex(sb, "brk", r->brk);
		sb_puts(sb, "}\n");
		return;
	}
	if (sig)
		sb_printf(sb, "+++ killed by SIG%s%s +++\n", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			  code & 0x80 ? " (core dumped)" : "");
	else
		sb_printf(sb, "+++ exited with %d +++\n", (code >> 8) & 0xff);
}

static void format_oom(struct strbuf *sb, const struct format_opts *fo, const struct vmt_oom_rec *r)
{
	prefix(sb, fo, &r->hdr, "oom_kill");
	if (fo->json) {
		sb_printf(sb, ",\"victim_pid\":%u,\"victim_comm\":", r->victim_pid);
		sb_json_str(sb, r->victim_comm, sizeof(r->victim_comm));
		if (r->present & VMT_OOM_HAS_UID)
			sb_printf(sb, ",\"uid\":%u", r->uid);
		if (r->present & VMT_OOM_HAS_TOTAL_VM)
			sb_printf(sb, ",\"total_vm_kb\":%llu", (unsigned long long)r->total_vm_kb);
		if (r->present & VMT_OOM_HAS_RSS)
			sb_printf(sb, ",\"anon_rss_kb\":%llu,\"file_rss_kb\":%llu,\"shmem_rss_kb\":%llu",
				  (unsigned long long)r->anon_rss_kb, (unsigned long long)r->file_rss_kb,
				  (unsigned long long)r->shmem_rss_kb);
		if (r->present & VMT_OOM_HAS_PGTABLES)
			sb_printf(sb, ",\"pgtables_kb\":%llu", (unsigned long long)r->pgtables_kb);
		if (r->present & VMT_OOM_HAS_SCORE_ADJ)
			sb_printf(sb, ",\"oom_score_adj\":%d", r->oom_score_adj);
		sb_puts(sb, "}\n");
		return;
	}
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

	if (size < sizeof(*h))
		return -1;
	switch (h->type) {
	case VMT_REC_SYSCALL:
		if (size < sizeof(struct vmt_syscall_rec))
			return -1;
		format_syscall(sb, fo, data, ex);
		return 0;
	case VMT_REC_FORK:
		if (size < sizeof(struct vmt_fork_rec))
			return -1;
		format_fork(sb, fo, data);
		return 0;
	case VMT_REC_EXEC:
		if (size < sizeof(struct vmt_exec_rec))
			return -1;
		format_exec(sb, fo, data, ex);
		return 0;
	case VMT_REC_EXIT:
		if (size < sizeof(struct vmt_exit_rec))
			return -1;
		format_exit(sb, fo, data);
		return 0;
	case VMT_REC_OOM:
		if (size < sizeof(struct vmt_oom_rec))
			return -1;
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
		sb_puts(sb, "{\"ts\":");
		format_ts(sb, fo, ts_ns);
		sb_printf(sb, ",\"event\":\"drops\",\"dropped\":%llu,\"dropped_total\":%llu}\n", dropped,
			  total);
		return;
	}
	format_ts(sb, fo, ts_ns);
	sb_printf(sb, " *** %llu records dropped here (ring buffer full; %llu in all): raise "
		      "--ringbuf-size ***\n", dropped, total);
}
