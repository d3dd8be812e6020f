// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The event loop: fds with their callbacks, one-shot and periodic timers in
 * deadline order, removal (of oneself, of another, of an fd whose event is
 * already in the round) from within a callback, signals, and stopping.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"

#define MS 1000000ull

struct pipe_ctx {
	struct loop *l;
	int fds[2];
	int reads;
	int other_fd; /* an fd to remove from within the callback (-1: none) */
	int close_fd; /* ... and to close, then reuse its number for a new pipe */
};

static void on_read(void *ctx, int fd, uint32_t events)
{
	struct pipe_ctx *p = ctx;
	char buf[16];

	cr_assert(events & EPOLLIN);
	cr_assert(read(fd, buf, sizeof(buf)) > 0);
	p->reads++;
}

static void on_stop(void *ctx)
{
	loop_stop(ctx);
}

/* Runs the loop for `ns`, then stops it. */
static void run_for(struct loop *l, uint64_t ns)
{
	cr_assert(loop_add_timer(l, ns, 0, on_stop, l));
	cr_assert_eq(loop_run(l), 0);
}

/* a and b registered with fn and both readable: their events come in the same round. */
static void run_both_readable(struct loop *l, struct pipe_ctx *a, struct pipe_ctx *b, loop_fd_fn fn)
{
	cr_assert_eq(loop_add_fd(l, a->fds[0], EPOLLIN, fn, a), 0);
	cr_assert_eq(loop_add_fd(l, b->fds[0], EPOLLIN, fn, b), 0);
	cr_assert_eq(write(a->fds[1], "x", 1), 1);
	cr_assert_eq(write(b->fds[1], "x", 1), 1);
	run_for(l, 20 * MS);
}

Test(loop, an_fd_calls_its_callback_with_its_context)
{
	struct loop *l = loop_new();
	struct pipe_ctx p = { .l = l };

	cr_assert(l);
	cr_assert_eq(pipe(p.fds), 0);
	cr_assert_eq(loop_add_fd(l, p.fds[0], EPOLLIN, on_read, &p), 0);
	cr_assert_eq(loop_add_fd(l, p.fds[0], EPOLLIN, on_read, &p), -EEXIST);
	cr_assert_eq(write(p.fds[1], "x", 1), 1);
	run_for(l, 20 * MS);
	cr_assert_eq(p.reads, 1);
	/* Removed: data waiting on it no longer calls back. */
	loop_del_fd(l, p.fds[0]);
	loop_del_fd(l, p.fds[0]); /* twice is harmless */
	cr_assert_eq(write(p.fds[1], "y", 1), 1);
	run_for(l, 20 * MS);
	cr_assert_eq(p.reads, 1);
	cr_assert_eq(loop_mod_fd(l, p.fds[0], EPOLLIN), -ENOENT);
	close(p.fds[0]);
	close(p.fds[1]);
	loop_free(l);
}

struct order {
	struct loop *l;
	char seen[16];
	int n;
	uint64_t cancel; /* a timer to cancel from the first callback */
	uint64_t periodic;
};

static void mark(struct order *o, char c)
{
	o->seen[o->n++] = c;
	o->seen[o->n] = 0;
}

static void on_a(void *ctx)
{
	struct order *o = ctx;

	mark(o, 'a');
	loop_cancel_timer(o->l, o->cancel);
}

static void on_b(void *ctx)
{
	mark(ctx, 'b');
}

static void on_c(void *ctx)
{
	mark(ctx, 'c');
}

static void on_p(void *ctx)
{
	struct order *o = ctx;

	mark(o, 'p');
	/* The periodic timer cancels itself at its third run. */
	if (o->n >= 3 && o->seen[o->n - 2] == 'p' && o->seen[o->n - 3] == 'p')
		loop_cancel_timer(o->l, o->periodic);
}

Test(loop, timers_run_in_deadline_order_and_a_cancelled_one_never)
{
	struct loop *l = loop_new();
	struct order o = { .l = l };

	cr_assert(l);
	/* Added out of order: they run by deadline. */
	cr_assert(loop_add_timer(l, 30 * MS, 0, on_c, &o));
	cr_assert(loop_add_timer(l, 10 * MS, 0, on_a, &o));
	o.cancel = loop_add_timer(l, 20 * MS, 0, on_b, &o);
	cr_assert(o.cancel);
	run_for(l, 50 * MS);
	cr_assert_str_eq(o.seen, "ac", "b was cancelled by a: %s", o.seen);
	/* Cancelling what already ran, or id 0, is harmless. */
	loop_cancel_timer(l, o.cancel);
	loop_cancel_timer(l, 0);
	loop_free(l);
}

Test(loop, a_periodic_timer_repeats_until_cancelled_from_its_own_callback)
{
	struct loop *l = loop_new();
	struct order o = { .l = l };
	uint64_t t0 = clock_mono_ns();

	cr_assert(l);
	o.periodic = loop_add_timer(l, 5 * MS, 5 * MS, on_p, &o);
	cr_assert(o.periodic);
	run_for(l, 100 * MS);
	cr_assert_str_eq(o.seen, "ppp");
	cr_assert_geq(clock_mono_ns() - t0, 100 * MS);
	loop_free(l);
}

/* Both pipes are readable in the same round; the first callback removes the second's fd. */
static void on_read_remove_other(void *ctx, int fd, uint32_t events)
{
	struct pipe_ctx *p = ctx;

	on_read(ctx, fd, events);
	if (p->other_fd >= 0) {
		loop_del_fd(p->l, p->other_fd);
		p->other_fd = -1;
	}
}

Test(loop, an_fd_removed_by_an_earlier_callback_of_the_round_gets_no_event)
{
	struct loop *l = loop_new();
	struct pipe_ctx a = { .l = l }, b = { .l = l };

	cr_assert(l);
	cr_assert_eq(pipe(a.fds), 0);
	cr_assert_eq(pipe(b.fds), 0);
	a.other_fd = b.fds[0];
	b.other_fd = a.fds[0];
	run_both_readable(l, &a, &b, on_read_remove_other);
	/* Whichever came first removed the other: exactly one read. */
	cr_assert_eq(a.reads + b.reads, 1, "a %d, b %d", a.reads, b.reads);
	loop_free(l);
}

/*
 * Both pipes are readable in the same round. The first callback removes and
 * closes the other's read end and registers an empty pipe that gets the same
 * number: the event meant for the old registration must not reach the new one
 * (its callback would find nothing to read).
 */
static struct pipe_ctx reuse_a, reuse_b, reuse_new;

static void on_read_reuse(void *ctx, int fd, uint32_t events)
{
	struct pipe_ctx *p = ctx, *other = p == &reuse_a ? &reuse_b : &reuse_a;
	int fds[2], old = other->fds[0];

	on_read(ctx, fd, events);
	if (other->fds[0] < 0)
		return;
	loop_del_fd(p->l, old);
	close(old);
	other->fds[0] = -1;
	cr_assert_eq(pipe2(fds, O_NONBLOCK), 0);
	cr_assert_eq(fds[0], old, "the lowest free number is reused");
	reuse_new.fds[0] = fds[0];
	reuse_new.fds[1] = fds[1];
	cr_assert_eq(loop_add_fd(p->l, fds[0], EPOLLIN, on_read, &reuse_new), 0);
}

Test(loop, an_event_for_a_removed_fd_never_reaches_a_new_one_with_its_number)
{
	struct loop *l = loop_new();

	cr_assert(l);
	reuse_a.l = reuse_b.l = reuse_new.l = l;
	cr_assert_eq(pipe2(reuse_a.fds, O_NONBLOCK), 0);
	cr_assert_eq(pipe2(reuse_b.fds, O_NONBLOCK), 0);
	run_both_readable(l, &reuse_a, &reuse_b, on_read_reuse);
	cr_assert_eq(reuse_a.reads + reuse_b.reads, 1);
	cr_assert_eq(reuse_new.reads, 0);
	/* The new registration is served once it has data. */
	cr_assert_eq(write(reuse_new.fds[1], "y", 1), 1);
	run_for(l, 20 * MS);
	cr_assert_eq(reuse_new.reads, 1);
	loop_free(l);
}

static int hups;

static void on_hup(void *ctx, int sig)
{
	cr_assert_eq(sig, SIGHUP);
	hups++;
	/* From the loop, not the handler: anything may be done here. */
	loop_add_timer(ctx, 0, 0, on_stop, ctx);
}

static void raise_hup(void *ctx)
{
	(void)ctx;
	raise(SIGHUP);
}

static void raise_term(void *ctx)
{
	(void)ctx;
	raise(SIGTERM);
}

Test(loop, signals_run_their_callback_from_the_loop_and_stop_signals_stop_it)
{
	struct loop *l = loop_new();

	cr_assert(l);
	cr_assert_eq(loop_add_signal(l, SIGHUP, on_hup, l), 0);
	cr_assert_eq(loop_add_stop_signal(l, SIGTERM), 0);
	cr_assert(loop_add_timer(l, 5 * MS, 0, raise_hup, NULL));
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(hups, 1);
	cr_assert_eq(loop_stop_signal(l), 0, "stopped by a timer, not a signal");
	cr_assert(loop_add_timer(l, 5 * MS, 0, raise_term, NULL));
	run_for(l, 5000 * MS);
	cr_assert_eq(loop_stop_signal(l), SIGTERM);
	loop_free(l);
}

Test(loop, a_second_stop_signal_exits_at_once, .exit_code = 128 + SIGINT)
{
	struct loop *l = loop_new();

	cr_assert(l);
	cr_assert_eq(loop_add_stop_signal(l, SIGINT), 0);
	raise(SIGINT);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(loop_stop_signal(l), SIGINT, "a signal before the loop ran stops it too");
	/* The drain after the loop: a second Ctrl-C cuts it short. */
	raise(SIGINT);
	cr_assert_fail("still running after the second SIGINT");
}
