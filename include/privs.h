/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Least privilege for the daemon: which capabilities it keeps once the BPF programs are loaded
 * and attached (and why), the identity its alert hooks run under, and the ownership rules for
 * the files it executes or reads its settings from.
 */
#ifndef VMATRACE_PRIVS_H
#define VMATRACE_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PRIVS_DEFAULT_HOOK_USER "nobody"

/* What the running features need after start-up. */
struct privs_needs {
	bool hooks;    /* alert_exec: become hook_user in the child, kill it on timeout */
	bool low_port; /* metrics_listen below 1024: a reload may bind it again */
	/* which of CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF (bits 0, 1, 2) the VMA iterator needs
	 * at runtime on this kernel (privs_probe_bpf_caps) */
	unsigned int bpf_runtime;
};

/*
 * Drop every capability but those `n` needs, from the effective, permitted, inheritable,
 * ambient and bounding sets, and lock the securebits so that uid 0 regains none on exec.
 * Logs the ones kept and why. 0, or -errno with a message in err.
 */
int privs_drop(const struct privs_needs *n, char *err, size_t errlen);
/*
 * Which of CAP_SYS_ADMIN, CAP_PERFMON and CAP_BPF fn(ctx) (> 0: it worked) still needs: each
 * is taken out of the effective set in turn and kept out if fn works without it. All are
 * effective again afterwards. The bits as in privs_needs.bpf_runtime.
 */
unsigned int privs_probe_bpf_caps(int (*fn)(void *ctx), void *ctx);
/* The effective set as /proc/self/status shows it (CapEff), for the log and tests. */
unsigned long long privs_effective_mask(void);

/* hook_user's uid and gid (a name or a number). 0, or -ENOENT with a message. */
int privs_lookup_user(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen);
/*
 * In a forked child: become uid/gid with no supplementary groups, no capabilities and
 * no_new_privs. 0, or -errno (the child must then _exit).
 */
int privs_become(uid_t uid, gid_t gid);

/*
 * A file the daemon reads its settings from or executes: it must be owned by root and
 * writable by nobody else (no group or world write bit), or another user could change what
 * runs as root. `what` names it in the error ("configuration", "alert_exec").
 */
int privs_check_file(const char *path, const char *what, char *err, size_t errlen);

#endif
