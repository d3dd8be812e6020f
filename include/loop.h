/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The event loop, in the manner of chrony's SCH_ functions: each module
 * registers its own fds, timers and signals with a callback and a context,
 * so that the loop's owner (the daemon, `vmatrace trace`) knows no module's
 * internals. Built on epoll; timers share one timerfd armed for the earliest
 * deadline; signals reach the loop through a self-pipe, their handler only
 * records them. Everything runs on the loop's thread.
 *
 * Callbacks may add and remove fds and timers, their own included, at any
 * time: an fd removed (or removed and added again) during a round gets no
 * event meant for its old registration.
 */
#ifndef VMATRACE_LOOP_H
#define VMATRACE_LOOP_H

#include <stdint.h>

struct loop;

/* events: EPOLLIN, EPOLLOUT, EPOLLET... as epoll reported them. */
typedef void (*loop_fd_fn)(void *ctx, int fd, uint32_t events);
typedef void (*loop_timer_fn)(void *ctx);
typedef void (*loop_signal_fn)(void *ctx, int sig);

struct loop *loop_new(void);
/* Closes no registered fd (their owners do); restores the signals' dispositions. */
void loop_free(struct loop *l);

/* 0 or -errno (-EEXIST if fd is registered already). */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
/* Unknown fds are ignored, so that a close path may call it unconditionally. */
void loop_del_fd(struct loop *l, int fd);

/*
 * fn runs once after delay_ns, then every period_ns if that is not 0 (a late
 * round is not caught up: the next one is a period after it ran). Returns the
 * timer's id (never 0), or 0 when out of memory.
 */
uint64_t loop_add_timer(struct loop *l, uint64_t delay_ns, uint64_t period_ns, loop_timer_fn fn,
			void *ctx);
/* A timer that already ran its last time, or id 0, is ignored. */
void loop_cancel_timer(struct loop *l, uint64_t id);

/*
 * fn(ctx, sig) runs from the loop after sig arrived. Signals belong to the
 * process: one loop at a time registers them. 0 or -errno.
 */
int loop_add_signal(struct loop *l, int sig, loop_signal_fn fn, void *ctx);
/*
 * sig stops the loop; once one such signal arrived, another exits the process
 * at once (128 + sig), so that a second Ctrl-C cuts short a stuck drain.
 */
int loop_add_stop_signal(struct loop *l, int sig);
/* The stop signal that ended loop_run(), 0 if none did. */
int loop_stop_signal(const struct loop *l);

/* Dispatch until loop_stop() or a stop signal; 0, or -errno if epoll fails. */
int loop_run(struct loop *l);
/* From a callback: loop_run() returns once that callback does. */
void loop_stop(struct loop *l);

/* Timers run on CLOCK_MONOTONIC (clock.h: clock_mono_ns). */

#endif
