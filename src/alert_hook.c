// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The alert_exec hook: run as hook_user, with the alert on its stdin and in its environment. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alert_internal.h"
#include "clock.h"
#include "log.h"
#include "privs.h"

void alert_run_hook(struct alert_engine *ae, enum alert_kind kind, uint32_t pid, const char *comm,
		    const char *json)
{
	struct hook *slot = NULL;
	char err[256];
	int fds[2];
	pid_t child;
	uid_t uid;
	gid_t gid;

	for (int i = 0; i < MAX_HOOKS && !slot; i++)
		if (!ae->hooks[i].pid)
			slot = &ae->hooks[i];
	if (!slot) {
		if (!ae->hooks_dropped++)
			log_warn("alert hook %s: %d runs still going, not starting another",
				 ae->cfg->alert_exec, MAX_HOOKS);
		return;
	}
	/* Looked up at each run (not in the child: getpwnam is not safe after fork). */
	if (privs_lookup_user(ae->cfg->hook_user, &uid, &gid, err, sizeof(err))) {
		log_warn("alert hook %s not run: %s", ae->cfg->alert_exec, err);
		return;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		log_warn("alert hook: pipe: %s", strerror(errno));
		return;
	}
	child = fork();
	if (child < 0) {
		log_warn("alert hook: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (child == 0) {
		char num[32];

		dup2(fds[0], 0);
		setenv("VMATRACE_ALERT_KIND", alert_kind_name(kind), 1);
		snprintf(num, sizeof(num), "%u", pid);
		setenv("VMATRACE_ALERT_PID", num, 1);
		setenv("VMATRACE_ALERT_COMM", comm, 1);
		setenv("VMATRACE_ALERT_JSON", json, 1);
		/* Our signal dispositions are not the hook's. */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		/* Another user, no capabilities: an alert is no reason to run anything as root. */
		if (privs_become(uid, gid)) {
			dprintf(2, "vmatrace: alert hook %s: cannot become uid %u: %s\n",
				ae->cfg->alert_exec, (unsigned)uid, strerror(errno));
			_exit(126);
		}
		execl(ae->cfg->alert_exec, ae->cfg->alert_exec, alert_kind_name(kind),
		      (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	/* The JSON fits in the pipe's buffer: this write does not block. */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	if (write(fds[1], json, strlen(json)) < 0 || write(fds[1], "\n", 1) < 0)
		log_debug("alert hook: could not write the alert to its stdin");
	close(fds[1]);
	slot->pid = child;
	slot->deadline_ns = clock_mono_ns() + ae->cfg->alert_exec_timeout_ns;
}

void alert_hooks_reap(struct alert_engine *ae, uint64_t now)
{
	for (int i = 0; i < MAX_HOOKS; i++) {
		struct hook *h = &ae->hooks[i];
		int st;

		if (!h->pid)
			continue;
		if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				log_warn("alert hook %s failed (%s %d)", ae->cfg->alert_exec,
					 WIFEXITED(st) ? "exit status" : "signal",
					 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			h->pid = 0;
		} else if (now > h->deadline_ns) {
			log_warn("alert hook %s ran past its timeout: killed", ae->cfg->alert_exec);
			kill(h->pid, SIGKILL);
			waitpid(h->pid, &st, 0);
			h->pid = 0;
		}
	}
}
