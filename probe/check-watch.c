/* check-watch.c: the exit watch (SPEC "Exit watch"): a pidfd on the module's PID, one callback the moment it exits. */
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "loop.h"

struct check_watch {
	struct loop *l;
	check_gone_cb *cb;
	void *arg;
	int32_t pid; /* watched, or already reported; 0 = none */
	int pidfd;
	struct loop_io *io;
	struct loop_timer *gone; /* the PID was gone when armed: report it from the loop */
};

static void watch_disarm(struct check_watch *w)
{
	loop_io_del(w->io);
	w->io = NULL;
	if (w->pidfd >= 0)
		(void)close(w->pidfd); /* nothing to retry: the descriptor is gone either way */
	w->pidfd = -1;
	loop_timer_at(w->gone, LOOP_NEVER);
}

/* The last thing done: cb may re-arm or free the watch. */
static void watch_report(struct check_watch *w)
{
	watch_disarm(w);
	w->cb(w->pid, w->arg);
}

static void watch_on_exit(int fd, unsigned events, void *arg)
{
	(void)fd;
	(void)events;
	watch_report(arg);
}

static void watch_on_gone(void *arg)
{
	watch_report(arg);
}

int check_watch_new(struct loop *l, check_gone_cb *cb, void *arg, struct check_watch **ret)
{
	struct check_watch *w;

	if (l == NULL || cb == NULL)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	*w = (struct check_watch){ .l = l, .cb = cb, .arg = arg, .pidfd = -1 };
	w->gone = loop_timer_new(l, watch_on_gone, w);
	if (w->gone == NULL) {
		free(w);
		return -ENOMEM;
	}
	*ret = w;
	return 0;
}

int check_watch_pid(struct check_watch *w, int32_t pid)
{
	int fd;

	if (pid < 0)
		return -EINVAL;
	if (pid == w->pid)
		return 0;
	watch_disarm(w);
	w->pid = 0;
	if (pid == 0)
		return 0;
	fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (fd < 0 && errno != ESRCH)
		return -errno;
	w->pid = pid;
	if (fd < 0) { /* exited between the check and now: that is an exit too */
		loop_timer_at(w->gone, 0);
		return 0;
	}
	w->pidfd = fd;
	w->io = loop_io_add(w->l, fd, LOOP_READ, watch_on_exit, w);
	if (w->io == NULL) {
		watch_disarm(w);
		w->pid = 0;
		return -ENOMEM;
	}
	return 0;
}

void check_watch_free(struct check_watch *w)
{
	if (w == NULL)
		return;
	watch_disarm(w);
	loop_timer_free(w->gone);
	free(w);
}
