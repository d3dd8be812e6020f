// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Least privilege, with libcap-ng: its state model (clear, add the few that are needed, apply
 * to every set including the bounding set, lock the securebits) is exactly the drop a daemon
 * does once after start-up, where libcap would need per-flag arrays and a prctl loop of ours
 * for the bounding and ambient sets.
 */
#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

struct kept {
	int cap;
	const char *name;
	const char *why;
};

/* What every daemon keeps: reading other users' processes and files for as long as it runs. */
static const struct kept always[] = {
	{ CAP_SYS_PTRACE, "cap_sys_ptrace",
	  "read /proc/PID/maps and exe of other users' processes (resync from /proc)" },
	{ CAP_DAC_READ_SEARCH, "cap_dac_read_search",
	  "open other users' executables and libraries to unwind and name call sites" },
	{ CAP_CHECKPOINT_RESTORE, "cap_checkpoint_restore",
	  "read /proc/PID/map_files links (file names of mappings in the /proc fallback)" },
};
static const struct kept for_hooks[] = {
	{ CAP_SETUID, "cap_setuid", "run alert_exec as hook_user" },
	{ CAP_SETGID, "cap_setgid", "run alert_exec with hook_user's group" },
	{ CAP_KILL, "cap_kill", "kill an alert_exec run past alert_exec_timeout (another uid)" },
};
static const struct kept for_low_port[] = {
	{ CAP_NET_BIND_SERVICE, "cap_net_bind_service",
	  "metrics_listen below port 1024 (bound again by a reload)" },
};
/* Probed in this order (the broadest first: it stands in for the other two in the kernel). */
static const struct kept for_bpf[] = {
	{ CAP_SYS_ADMIN, "cap_sys_admin", "this kernel's VMA iterator needs it at every resync" },
	{ CAP_PERFMON, "cap_perfmon", "this kernel's VMA iterator needs it at every resync" },
	{ CAP_BPF, "cap_bpf", "this kernel's VMA iterator needs it at every resync" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static unsigned long long status_mask(const char *field)
{
	char line[256], fmt[32];
	unsigned long long mask = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	snprintf(fmt, sizeof(fmt), "%s: %%llx", field);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &mask) == 1)
			break;
	fclose(f);
	return mask;
}

/* Add what we have of k to the state; say each, and each we lack (a unit's bounding set). */
static void keep(const struct kept *k, size_t n, unsigned long long permitted, char *log,
		 size_t loglen)
{
	for (size_t i = 0; i < n; i++) {
		bool have = permitted & (1ull << k[i].cap);
		size_t len = strlen(log);

		if (have)
			capng_update(CAPNG_ADD,
				     CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
				     k[i].cap);
		snprintf(log + len, loglen - len, "%s%s%s (%s)", len ? ", " : "", k[i].name,
			 have ? "" : " NOT PERMITTED", k[i].why);
	}
}

unsigned long long privs_effective_mask(void)
{
	return status_mask("CapEff");
}

unsigned int privs_probe_bpf_caps(int (*fn)(void *ctx), void *ctx)
{
	unsigned int needed = 0;
	int rc = fn(ctx);

	/* Nothing to learn from a probe that fails with every capability: keep them all. */
	if (rc <= 0) {
		log_debug("capabilities: the VMA iterator probe fails (%d): keeping its three", rc);
		return (1u << N(for_bpf)) - 1;
	}
	/* Out of the effective set one at a time (still permitted), and left out if fn works. */
	capng_get_caps_process();
	for (size_t i = 0; i < N(for_bpf); i++) {
		capng_update(CAPNG_DROP, CAPNG_EFFECTIVE, for_bpf[i].cap);
		rc = capng_apply(CAPNG_SELECT_CAPS) ? -EPERM : fn(ctx);
		log_debug("capabilities: the VMA iterator without %s: %d", for_bpf[i].name, rc);
		if (rc <= 0) {
			needed |= 1u << i;
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, for_bpf[i].cap);
			capng_apply(CAPNG_SELECT_CAPS);
		}
	}
	for (size_t i = 0; i < N(for_bpf); i++)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, for_bpf[i].cap);
	capng_apply(CAPNG_SELECT_CAPS);
	return needed;
}

int privs_drop(const struct privs_needs *n, char *err, size_t errlen)
{
	unsigned long long permitted = status_mask("CapPrm");
	char kept[1536] = "";
	bool setpcap;
	int rc = 0;

	if (capng_get_caps_process() || capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE) {
		/* Started without privileges to give up. */
		log_info("capabilities: none to drop (CapEff %llx)", privs_effective_mask());
		return 0;
	}
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_ALL);
	keep(always, N(always), permitted, kept, sizeof(kept));
	if (n->hooks)
		keep(for_hooks, N(for_hooks), permitted, kept, sizeof(kept));
	if (n->low_port)
		keep(for_low_port, N(for_low_port), permitted, kept, sizeof(kept));
	for (size_t i = 0; i < N(for_bpf); i++)
		if (n->bpf_runtime & (1u << i))
			keep(&for_bpf[i], 1, permitted, kept, sizeof(kept));
	/*
	 * The bounding set and the securebits (uid 0 gains nothing at exec) need CAP_SETPCAP:
	 * before the capabilities go. Without it (a unit that gave none) the effective and
	 * permitted sets still drop, which needs no privilege.
	 */
	if (setpcap) {
		rc = capng_apply(CAPNG_SELECT_BOUNDS);
		if (!rc && capng_lock())
			rc = -1;
	}
	if (!rc)
		rc = capng_apply(CAPNG_SELECT_CAPS);
	if (!rc)
		rc = capng_apply(CAPNG_SELECT_AMBIENT);
	if (rc) {
		snprintf(err, errlen, "cannot drop capabilities (libcap-ng error %d): %s", rc,
			 strerror(errno));
		return -EPERM;
	}
	log_info("capabilities dropped after attaching (CapEff %llx%s); kept: %s",
		 privs_effective_mask(), setpcap ? "" : ", bounding set unchanged: no CAP_SETPCAP",
		 kept);
	return 0;
}

int privs_lookup_user(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);
	char *end;
	unsigned long v;

	if (pw) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	v = strtoul(user, &end, 10);
	if (*user && !*end && v < 0xffffffffu) {
		*uid = v;
		*gid = v;
		return 0;
	}
	snprintf(err, errlen, "hook_user: no user '%s' (a name from the passwd database or a uid)",
		 user);
	return -ENOENT;
}

int privs_become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -errno;
	/* With the securebits locked, a uid change keeps capabilities: clear them ourselves. */
	capng_clear(CAPNG_SELECT_ALL);
	if (capng_apply(CAPNG_SELECT_CAPS) || capng_apply(CAPNG_SELECT_AMBIENT))
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

int privs_check_file(const char *path, const char *what, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st)) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -errno;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen,
			 "%s %s: refused: owned by uid %u with mode %04o; it must be owned by root "
			 "and not group- or world-writable (chown root %s && chmod go-w %s)",
			 what, path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), path,
			 path);
		return -EPERM;
	}
	return 0;
}
