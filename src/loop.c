// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"

#define LOOP_MAX_EVENTS 32
#define NO_DEADLINE UINT64_MAX

struct fd_entry {
	loop_fd_fn fn;
	void *ctx;
	uint32_t seq; /* of this registration: 0 when the slot is free */
};

struct timer {
	uint64_t id, deadline, period;
	loop_timer_fn fn;
	void *ctx;
};

struct sig_entry {
	loop_signal_fn fn;
	void *ctx;
	bool used, stops;
	struct sigaction old;
};

struct loop {
	int epfd;
	int timerfd;
	uint64_t armed;	      /* the deadline timerfd is set for */
	struct fd_entry *fds; /* indexed by fd */
	size_t fds_cap;
	uint32_t seq;
	struct timer *timers;
	size_t ntimers, timers_cap;
	uint64_t next_timer_id;
	struct sig_entry sigs[NSIG];
	bool stopped;
	int stop_sig;
};

/*
 * The handler's state is the process's, like the signals: it records the
 * signal and writes a byte to wake epoll_wait (a full pipe already will).
 */
static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t sig_seen[NSIG];
static volatile sig_atomic_t sig_stops[NSIG];
static volatile sig_atomic_t sig_stopping;

static void on_signal(int sig)
{
	int saved = errno;

	if (sig_stops[sig]) {
		if (sig_stopping)
			_exit(128 + sig);
		sig_stopping = sig;
	}
	sig_seen[sig] = 1;
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], "", 1) < 0) {
		/* full: the loop has a wakeup pending already */
	}
	errno = saved;
}

static void on_timerfd(void *ctx, int fd, uint32_t events)
{
	uint64_t expirations;

	(void)ctx;
	(void)events;
	/* The deadlines themselves are checked after every round. */
	if (read(fd, &expirations, sizeof(expirations)) < 0) {
		/* EAGAIN: disarmed or re-armed meanwhile */
	}
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->armed = NO_DEADLINE;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->epfd < 0 || l->timerfd < 0 || loop_add_fd(l, l->timerfd, EPOLLIN, on_timerfd, l)) {
		int err = errno;

		loop_free(l);
		errno = err;
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (int sig = 1; sig < NSIG; sig++) {
		if (!l->sigs[sig].used)
			continue;
		sigaction(sig, &l->sigs[sig].old, NULL);
		sig_stops[sig] = 0;
		sig_seen[sig] = 0;
	}
	if (sig_pipe[0] >= 0) {
		loop_del_fd(l, sig_pipe[0]);
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		sig_pipe[0] = sig_pipe[1] = -1;
	}
	sig_stopping = 0;
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->fds);
	free(l->timers);
	free(l);
}

/* ---- fds ---- */

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = events };
	struct fd_entry *e;

	if (fd < 0 || !fn)
		return -EINVAL;
	if ((size_t)fd >= l->fds_cap) {
		size_t cap = l->fds_cap ? l->fds_cap : 16;
		struct fd_entry *v;

		while (cap <= (size_t)fd)
			cap *= 2;
		v = realloc(l->fds, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memset(v + l->fds_cap, 0, (cap - l->fds_cap) * sizeof(*v));
		l->fds = v;
		l->fds_cap = cap;
	}
	e = &l->fds[fd];
	if (e->seq)
		return -EEXIST;
	if (!++l->seq)
		l->seq = 1;
	/* The registration's number travels with the event: a stale event finds another. */
	ev.data.u64 = (uint64_t)l->seq << 32 | (uint32_t)fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	e->fn = fn;
	e->ctx = ctx;
	e->seq = l->seq;
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	if (fd < 0 || (size_t)fd >= l->fds_cap || !l->fds[fd].seq)
		return -ENOENT;
	ev.data.u64 = (uint64_t)l->fds[fd].seq << 32 | (uint32_t)fd;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	if (!l || fd < 0 || (size_t)fd >= l->fds_cap || !l->fds[fd].seq)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&l->fds[fd], 0, sizeof(l->fds[fd]));
}

/* ---- timers ---- */

uint64_t loop_add_timer(struct loop *l, uint64_t delay_ns, uint64_t period_ns, loop_timer_fn fn,
			void *ctx)
{
	struct timer *t;

	if (l->ntimers == l->timers_cap) {
		size_t cap = l->timers_cap ? 2 * l->timers_cap : 8;
		struct timer *v = realloc(l->timers, cap * sizeof(*v));

		if (!v)
			return 0;
		l->timers = v;
		l->timers_cap = cap;
	}
	t = &l->timers[l->ntimers++];
	t->id = ++l->next_timer_id;
	t->deadline = clock_mono_ns() + delay_ns;
	t->period = period_ns;
	t->fn = fn;
	t->ctx = ctx;
	return t->id;
}

void loop_cancel_timer(struct loop *l, uint64_t id)
{
	for (size_t i = 0; id && i < l->ntimers; i++) {
		if (l->timers[i].id != id)
			continue;
		l->timers[i] = l->timers[--l->ntimers];
		return;
	}
}

static struct timer *earliest(struct loop *l)
{
	struct timer *best = NULL;

	for (size_t i = 0; i < l->ntimers; i++)
		if (!best || l->timers[i].deadline < best->deadline)
			best = &l->timers[i];
	return best;
}

static void run_timers(struct loop *l)
{
	uint64_t now = clock_mono_ns();
	struct timer *t;

	/* Only what was due when the round began: a callback cannot keep us here. */
	while (!l->stopped && (t = earliest(l)) && t->deadline <= now) {
		loop_timer_fn fn = t->fn;
		void *ctx = t->ctx;

		if (t->period) {
			t->deadline += t->period;
			if (t->deadline <= now)
				t->deadline = now + t->period;
		} else {
			*t = l->timers[--l->ntimers];
		}
		fn(ctx);
	}
}

static int arm(struct loop *l)
{
	struct timer *t = earliest(l);
	uint64_t deadline = t ? t->deadline : NO_DEADLINE;
	struct itimerspec its = { 0 };

	/* Re-armed when it changed, or when it passed (it fired, but did not run). */
	if (deadline == l->armed && (!t || deadline > clock_mono_ns()))
		return 0;
	if (t) {
		/* 0 would disarm: a deadline in the past fires at once as 1 ns. */
		its.it_value.tv_sec = deadline / 1000000000ull;
		its.it_value.tv_nsec = deadline % 1000000000ull;
		if (!deadline)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL))
		return -errno;
	l->armed = deadline;
	return 0;
}

/* ---- signals ---- */

static void on_sig_pipe(void *ctx, int fd, uint32_t events)
{
	char buf[64];

	(void)ctx;
	(void)events;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void run_signals(struct loop *l)
{
	for (int sig = 1; sig < NSIG && !l->stopped; sig++) {
		struct sig_entry *s = &l->sigs[sig];

		if (!s->used || !sig_seen[sig])
			continue;
		sig_seen[sig] = 0;
		if (s->stops) {
			l->stop_sig = sig;
			l->stopped = true;
		} else if (s->fn) {
			s->fn(s->ctx, sig);
		}
	}
}

static int add_signal(struct loop *l, int sig, loop_signal_fn fn, void *ctx, bool stops)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	struct sig_entry *s;

	if (sig <= 0 || sig >= NSIG)
		return -EINVAL;
	s = &l->sigs[sig];
	if (sig_pipe[0] < 0) {
		if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK))
			return -errno;
		if (loop_add_fd(l, sig_pipe[0], EPOLLIN, on_sig_pipe, l)) {
			close(sig_pipe[0]);
			close(sig_pipe[1]);
			sig_pipe[0] = sig_pipe[1] = -1;
			return -ENOMEM;
		}
	}
	s->fn = fn;
	s->ctx = ctx;
	s->stops = stops;
	sig_stops[sig] = stops;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, s->used ? NULL : &s->old))
		return -errno;
	s->used = true;
	return 0;
}

int loop_add_signal(struct loop *l, int sig, loop_signal_fn fn, void *ctx)
{
	return add_signal(l, sig, fn, ctx, false);
}

int loop_add_stop_signal(struct loop *l, int sig)
{
	return add_signal(l, sig, NULL, NULL, true);
}

int loop_stop_signal(const struct loop *l)
{
	return l->stop_sig;
}

/* ---- running ---- */

void loop_stop(struct loop *l)
{
	l->stopped = true;
}

static void dispatch(struct loop *l, const struct epoll_event *ev)
{
	int fd = (int)(uint32_t)ev->data.u64;
	uint32_t seq = ev->data.u64 >> 32;
	struct fd_entry *e;

	if ((size_t)fd >= l->fds_cap)
		return;
	e = &l->fds[fd];
	if (e->seq != seq)
		return; /* removed by an earlier callback of this round */
	e->fn(e->ctx, fd, ev->events);
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int err = 0;

	l->stopped = false;
	run_signals(l); /* one that came before we ran */
	while (!l->stopped) {
		int n;

		err = arm(l);
		if (err)
			break;
		n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, -1);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		for (int i = 0; i < n && !l->stopped; i++)
			dispatch(l, &evs[i]);
		run_signals(l);
		run_timers(l);
	}
	return err;
}
