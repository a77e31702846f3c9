/* check.c: one run of the module check (SPEC [module]): dispatch by kind, the timeout over the whole run, delivery from the loop. */
#include <errno.h>
#include <stdlib.h>

#include "check-internal.h"
#include "check.h"
#include "loop.h"

static const char *const status_names[CHECK_STATUS_COUNT] = {
	[CHECK_STATUS_UP] = "up",
	[CHECK_STATUS_DOWN] = "not-running",
	[CHECK_STATUS_REJECTED] = "rejected",
};

static const char *const reason_names[CHECK_REASON_COUNT] = {
	[CHECK_REASON_OK] = "ok",
	[CHECK_REASON_TIMEOUT] = "timeout",
	[CHECK_REASON_CONNECT] = "connect",
	[CHECK_REASON_IO] = "io",
	[CHECK_REASON_REPLY] = "bad-reply",
	[CHECK_REASON_NOT_FOUND] = "not-found",
	[CHECK_REASON_PIDFILE] = "bad-pidfile",
	[CHECK_REASON_STALE] = "stale-pid",
	[CHECK_REASON_EXIT] = "exit-status",
	[CHECK_REASON_SPAWN] = "spawn",
	[CHECK_REASON_RESOURCES] = "resources",
	[CHECK_REASON_BUSY] = "busy",
};

const char *check_status_name(enum check_status s)
{
	return (unsigned)s < CHECK_STATUS_COUNT ? status_names[s] : "?";
}

const char *check_reason_name(enum check_reason r)
{
	return (unsigned)r < CHECK_REASON_COUNT ? reason_names[r] : "?";
}

bool check_errno_ours(int err)
{
	return err == -EMFILE || err == -ENFILE || err == -ENOMEM || err == -ENOBUFS;
}

int check_new(struct loop *l, const struct config_check *ck, struct check **ret)
{
	struct check *c;

	if (l == NULL || ck == NULL || ck->kind <= CHECK_NONE || ck->kind >= CHECK_COUNT)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	*c = (struct check){ .l = l, .ck = *ck };
	*ret = c;
	return 0;
}

/* Stop what the run still has going: a socket, a child. */
static void run_release(struct check_run *r)
{
	check_sock_release(r);
	check_exec_release(r);
}

static void run_unlink_free(struct check_run *r)
{
	struct check_run **pp = &r->c->runs;

	while (*pp != NULL && *pp != r)
		pp = &(*pp)->next;
	if (*pp == r)
		*pp = r->next;
	r->c->n_runs--;
	run_release(r);
	loop_timer_free(r->timer);
	free(r);
}

void check_free(struct check *c)
{
	if (c == NULL)
		return;
	while (c->runs != NULL)
		run_unlink_free(c->runs);
	free(c);
}

void check_run_done(struct check_run *r, enum check_status st, enum check_reason why, int err,
    int32_t pid)
{
	if (r->done)
		return;
	r->done = true;
	r->res = (struct check_result){ .status = st,
		.reason = why,
		.error = err,
		.pid = st == CHECK_STATUS_UP ? pid : 0,
		.duration_ms = loop_now_ms(r->c->l) - r->start_ms };
	run_release(r);
	loop_timer_at(r->timer, 0); /* deliver from the loop, never from inside check_start */
}

void check_run_fail(struct check_run *r, enum check_reason why, int err)
{
	if (check_errno_ours(err))
		check_run_done(r, CHECK_STATUS_REJECTED, CHECK_REASON_RESOURCES, err, 0);
	else
		check_run_done(r, CHECK_STATUS_DOWN, why, err, 0);
}

/* tcp: and exec: without a number: the wall-clock second of the first success since the last failure. */
static int32_t check_remembered_id(struct check *c)
{
	int32_t id;

	if (c->up_id != 0)
		return c->up_id;
	/* Seconds as int32 (SPEC); masked to stay positive past 2038; 0 means "not running". */
	id = (int32_t)((loop_wall_ms() / 1000u) & INT32_MAX);
	if (id == 0)
		id = 1;
	if (id == c->last_id) /* failed and back within one second: still a new instance */
		id = id == INT32_MAX ? 1 : id + 1;
	c->up_id = id;
	return id;
}

static void check_remember(struct check *c, struct check_result *res)
{
	if (res->status == CHECK_STATUS_UP && res->pid == 0)
		res->pid = check_remembered_id(c);
	if (res->status == CHECK_STATUS_DOWN && c->up_id != 0) {
		c->last_id = c->up_id;
		c->up_id = 0;
	}
}

static void run_on_timer(void *arg)
{
	struct check_run *r = arg;
	struct check *c = r->c;
	struct check_result res;
	check_done_cb *cb = r->cb;
	void *cb_arg = r->arg;

	/* SPEC [module]: the whole check is bounded by the timeout, then the answer is "not running". */
	check_run_done(r, CHECK_STATUS_DOWN, CHECK_REASON_TIMEOUT, -ETIMEDOUT, 0);
	res = r->res;
	run_unlink_free(r); /* first: the callback may free the check or start the next run */
	check_remember(c, &res);
	cb(&res, cb_arg);
}

static void run_dispatch(struct check_run *r)
{
	switch (r->c->ck.kind) {
	case CHECK_UNIX:
		check_unix_start(r);
		break;
	case CHECK_TCP:
		check_tcp_start(r);
		break;
	case CHECK_PROCESS:
		check_process_start(r);
		break;
	case CHECK_PIDFILE:
		check_pidfile_start(r);
		break;
	case CHECK_EXEC:
		check_exec_start(r);
		break;
	default: /* check_new let no other kind in */
		check_run_fail(r, CHECK_REASON_SPAWN, -EINVAL);
		break;
	}
}

int check_start(struct check *c, uint32_t timeout_ms, check_done_cb *cb, void *arg,
    struct check_run **ret)
{
	struct check_run *r;

	if (c == NULL || cb == NULL || timeout_ms == 0)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	*r = (struct check_run){ .c = c,
		.next = c->runs,
		.cb = cb,
		.arg = arg,
		.fd = -1,
		.start_ms = loop_now_ms(c->l) };
	r->timer = loop_timer_new(c->l, run_on_timer, r);
	if (r->timer == NULL) {
		free(r);
		return -ENOMEM;
	}
	c->runs = r;
	c->n_runs++;
	loop_timer_at(r->timer, r->start_ms + timeout_ms);
	if (c->n_runs > CHECK_MAX_RUNS)
		check_run_done(r, CHECK_STATUS_REJECTED, CHECK_REASON_BUSY, -EBUSY, 0);
	else
		run_dispatch(r);
	if (ret != NULL)
		*ret = r;
	return 0;
}

void check_cancel(struct check_run *r)
{
	if (r != NULL)
		run_unlink_free(r);
}
