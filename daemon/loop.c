/* loop.c: include/loop.h on libevent-core; the only file that includes <event2/...> (STYLE 6). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "loop.h"

#define LOOP_MAX_SIGNALS 8

struct loop_sig {
	struct loop *l;
	struct event *ev;
	loop_signal_cb *cb;
	void *arg;
};

struct loop {
	struct event_base *base;
	uint64_t now_ms;
	bool now_valid;
	struct loop_sig sig[LOOP_MAX_SIGNALS];
	int n_sig;
};

struct loop_io {
	struct loop *l;
	struct event *ev;
	int fd;
	loop_io_cb *cb;
	void *arg;
};

struct loop_timer {
	struct loop *l;
	struct event *ev;
	loop_timer_cb *cb;
	void *arg;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0; /* cannot fail on Linux for CLOCK_MONOTONIC */
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t loop_wall_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A callback starts: the cached time is stale. */
static void tick(struct loop *l)
{
	l->now_valid = false;
}

uint64_t loop_now_ms(struct loop *l)
{
	if (!l->now_valid) {
		l->now_ms = mono_ms();
		l->now_valid = true;
	}
	return l->now_ms;
}

int loop_new(struct loop **ret)
{
	struct event_config *cfg = event_config_new();
	struct loop *l = calloc(1, sizeof(*l));

	if (cfg == NULL || l == NULL) {
		event_config_free(cfg);
		free(l);
		return -ENOMEM;
	}
	/* Sub-second timers need precise timing (the fast profile). */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	l->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (l->base == NULL) {
		free(l);
		return -ENOMEM;
	}
	*ret = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < l->n_sig; i++)
		event_free(l->sig[i].ev);
	event_base_free(l->base);
	free(l);
}

static short to_ev(unsigned events)
{
	return (short)(((events & LOOP_READ) ? EV_READ : 0) |
	    ((events & LOOP_WRITE) ? EV_WRITE : 0) | EV_PERSIST);
}

static void io_trampoline(evutil_socket_t fd, short what, void *arg)
{
	struct loop_io *io = arg;

	tick(io->l);
	io->cb((int)fd, ((what & EV_READ) ? LOOP_READ : 0) | ((what & EV_WRITE) ? LOOP_WRITE : 0),
	    io->arg);
}

struct loop_io *loop_io_add(struct loop *l, int fd, unsigned events, loop_io_cb *cb, void *arg)
{
	struct loop_io *io = calloc(1, sizeof(*io));

	if (io == NULL)
		return NULL;
	*io = (struct loop_io){ .l = l, .fd = fd, .cb = cb, .arg = arg };
	io->ev = event_new(l->base, fd, to_ev(events), io_trampoline, io);
	if (io->ev == NULL || event_add(io->ev, NULL) != 0) {
		int saved =
		    errno != 0 ? errno : ENOMEM; /* keep the backend's reason (EPERM, EBADF) */

		if (io->ev != NULL)
			event_free(io->ev);
		free(io);
		errno = saved;
		return NULL;
	}
	return io;
}

int loop_io_set(struct loop_io *io, unsigned events)
{
	event_del(io->ev);
	if (event_assign(io->ev, io->l->base, io->fd, to_ev(events), io_trampoline, io) != 0)
		return -EINVAL;
	return event_add(io->ev, NULL) == 0 ? 0 : -ENOMEM;
}

void loop_io_del(struct loop_io *io)
{
	if (io == NULL)
		return;
	event_free(io->ev);
	free(io);
}

static void timer_trampoline(evutil_socket_t fd, short what, void *arg)
{
	struct loop_timer *t = arg;

	(void)fd;
	(void)what;
	tick(t->l);
	t->cb(t->arg);
}

struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb *cb, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	*t = (struct loop_timer){ .l = l, .cb = cb, .arg = arg };
	t->ev = evtimer_new(l->base, timer_trampoline, t);
	if (t->ev == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

int loop_timer_at(struct loop_timer *t, uint64_t deadline_ms)
{
	uint64_t now = mono_ms();
	uint64_t in_ms = deadline_ms > now ? deadline_ms - now : 0;
	struct timeval tv = { .tv_sec = (time_t)(in_ms / 1000),
		.tv_usec = (suseconds_t)(in_ms % 1000) * 1000 };

	evtimer_del(t->ev);
	if (deadline_ms == LOOP_NEVER)
		return 0;
	return evtimer_add(t->ev, &tv) == 0 ? 0 : -ENOMEM;
}

void loop_timer_free(struct loop_timer *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	free(t);
}

static void signal_trampoline(evutil_socket_t fd, short what, void *arg)
{
	struct loop_sig *s = arg;

	(void)what;
	tick(s->l);
	s->cb((int)fd, s->arg);
}

int loop_signal_add(struct loop *l, int signo, loop_signal_cb *cb, void *arg)
{
	struct loop_sig *s;

	if (l->n_sig >= LOOP_MAX_SIGNALS)
		return -ENOSPC;
	s = &l->sig[l->n_sig];
	*s = (struct loop_sig){ .l = l, .cb = cb, .arg = arg };
	s->ev = evsignal_new(l->base, signo, signal_trampoline, s);
	if (s->ev == NULL)
		return -ENOMEM;
	if (event_add(s->ev, NULL) != 0) {
		event_free(s->ev);
		return -ENOMEM;
	}
	l->n_sig++;
	return 0;
}

int loop_run(struct loop *l)
{
	int r;

	tick(l); /* the cached time is stale before and after a run */
	r = event_base_dispatch(l->base);
	tick(l);
	return r < 0 ? -EIO : 0;
}

void loop_stop(struct loop *l)
{
	event_base_loopbreak(l->base);
}
