/* hooks.c: commence, discontinue, drain and sync_check through the child runner, every outcome journaled. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "proc.h"

static const char *const hook_names[HOOK_COUNT] = {
	[HOOK_COMMENCE] = "commence",
	[HOOK_DISCONTINUE] = "discontinue",
	[HOOK_DRAIN] = "drain",
	[HOOK_SYNC_CHECK] = "sync_check",
};

struct hook_run {
	struct vigild *v;
	enum vigild_hook hook;
	struct proc *proc;
	struct hook_run *next;
};

/* Hooks still running: a stop waits for them (discontinue runs at stop), bounded. */
static struct hook_run *running;
static struct loop_timer *stop_timer;

#define STOP_REAP_MS 100 /* after cancelling at the stop deadline: time to reap the groups */

static void run_unlink(struct hook_run *run)
{
	for (struct hook_run **p = &running; *p != NULL; p = &(*p)->next) {
		if (*p == run) {
			*p = run->next;
			return;
		}
	}
}

static const struct config_cmd *hook_cmd(const struct vigild *v, enum vigild_hook h)
{
	switch (h) {
	case HOOK_COMMENCE:
		return &v->cfg.hooks.commence;
	case HOOK_DISCONTINUE:
		return &v->cfg.hooks.discontinue;
	case HOOK_DRAIN:
		return &v->cfg.hooks.drain;
	default:
		return &v->cfg.hooks.sync_check;
	}
}

static const char *peer_name(const struct vigild *v)
{
	return v->peer_hello.node[0] ? v->peer_hello.node : config_peer_main(&v->cfg)->text;
}

/* SPEC "[hooks]": event facts arrive in environment variables, nothing else of ours. */
static int hook_env(const struct vigild *v, enum vigild_hook h, enum vg_reason reason,
    struct proc_env *e)
{
	char gen[24];
	int r = 0;

	snprintf(gen, sizeof(gen), "%" PRIu64, v->core.generation);
	proc_env_init(e);
	r |= proc_env_add(e, "VIGIL_EVENT", hook_names[h]);
	r |= proc_env_add(e, "VIGIL_REASON", decide_reason_name(reason));
	r |= proc_env_add(e, "VIGIL_NODE", v->cfg.node.name);
	r |= proc_env_add(e, "VIGIL_PEER", peer_name(v));
	r |= proc_env_add(e, "VIGIL_GENERATION", gen);
	return r;
}

/* What a finished hook means to the core. */
static void hook_feed_core(struct vigild *v, enum vigild_hook h, bool ok)
{
	struct vg_event ev = { .flag = ok };

	if (h != HOOK_DRAIN)
		return;
	ev.type = EV_DRAIN_DONE;
	vigild_post(v, &ev);
}

/* SPEC "[hooks]": sync_check exit 0 = in sync, 1 = not in sync; anything else says nothing. */
static void sync_feed_core(struct vigild *v, const struct proc_result *r)
{
	struct vg_event ev = { .type = EV_SYNC, .flag = r->exit_code == 0 };

	if (r->timed_out || (r->exit_code != 0 && r->exit_code != 1))
		return;
	vigild_post(v, &ev);
}

/* How it ended, for the journal: the exit, a kill, an exec that failed (a hook that the user
 * vigild runs as may not execute), and how much output there was beyond what is kept. */
static void hook_how(const struct proc_result *r, char *buf, size_t len)
{
	int n;

	if (r->spawn_error != 0)
		n = snprintf(buf, len, "cannot be run as uid %u: %s", (unsigned)geteuid(),
		    strerror(-r->spawn_error));
	else
		n = snprintf(buf, len, "exit %d%s%s", r->exit_code,
		    r->timed_out ? " (killed at its timeout)" : "", r->signo ? " (signal)" : "");
	if (n >= 0 && (size_t)n < len && r->output_total > r->output_len)
		snprintf(buf + n, len - (size_t)n, " (output cut: %" PRIu64 " bytes, %zu kept)",
		    r->output_total, r->output_len);
}

static void hook_done(const struct proc_result *r, void *arg)
{
	struct hook_run *run = arg;
	struct vigild *v = run->v;
	bool ok = r->exit_code == 0 && !r->timed_out;
	char first[256], how[160];

	/* SPEC [hooks]: the exit status and the first lines of the output, bounded (proc.h). */
	proc_first_lines(r->output, r->output_len, 3, first, sizeof(first));
	hook_how(r, how, sizeof(how));
	if (!ok)
		v->counters.hooks_failed++;
	/* sync_check runs every interval: journal it only when it fails, the core journals changes. */
	if (run->hook != HOOK_SYNC_CHECK || !ok)
		vigild_journal(v, "hook", "%s %s: %s in %" PRIu64 " ms%s%s", hook_names[run->hook],
		    ok ? "ok" : "failed", how, r->duration_ms, first[0] ? ": " : "", first);
	if (run->hook == HOOK_SYNC_CHECK)
		sync_feed_core(v, r);
	else
		hook_feed_core(v, run->hook, ok);
	run_unlink(run);
	free(run);
	if (v->stopping && running == NULL)
		loop_stop(v->loop);
}

static void hook_spawn(struct vigild *v, enum vigild_hook h, enum vg_reason reason,
    const struct config_cmd *cmd)
{
	char buf[CONFIG_CMD_MAX];
	char *argv[CONFIG_MAX_ARGS + 1] = { 0 };
	struct proc_env env;
	struct hook_run *run = malloc(sizeof(*run));
	struct proc_spec spec = { .argv = (const char *const *)argv, .envp = env.vars };
	int r;

	spec.timeout_ms = h == HOOK_DRAIN ? v->cfg.hooks.drain_timeout_ms : v->cfg.hooks.timeout_ms;
	if (run == NULL ||
	    config_split_args(cmd->line, buf, sizeof(buf), argv, CONFIG_MAX_ARGS) < 0 ||
	    hook_env(v, h, reason, &env) != 0) {
		free(run);
		vigild_journal(v, "hook", "%s: cannot be started", hook_names[h]);
		hook_feed_core(v, h, false);
		return;
	}
	*run = (struct hook_run){ .v = v, .hook = h };
	v->counters.hooks_run++;
	r = proc_run(v->loop, &spec, hook_done, run, &run->proc);
	if (r == 0) {
		run->next = running;
		running = run;
	}
	if (r < 0) {
		free(run);
		errno = -r;
		vigild_journal(v, "hook", "%s: cannot be started (errno %d)", hook_names[h], -r);
		hook_feed_core(v, h, false);
	}
}

static void stop_now(void *arg)
{
	loop_stop(((struct vigild *)arg)->loop);
}

/* The stop deadline passed: the hooks still running are killed (their groups), and the loop
 * runs STOP_REAP_MS more so they are reaped. */
static void stop_deadline(void *arg)
{
	struct vigild *v = arg;

	while (running != NULL) {
		struct hook_run *run = running;

		running = run->next;
		vigild_journal(v, "hook", "%s killed: vigild stops", hook_names[run->hook]);
		proc_cancel(run->proc);
		free(run);
	}
	loop_timer_free(stop_timer);
	stop_timer = loop_timer_new(v->loop, stop_now, v);
	if (stop_timer == NULL ||
	    loop_timer_at(stop_timer, loop_now_ms(v->loop) + STOP_REAP_MS) < 0)
		loop_stop(v->loop);
}

/* SPEC: a primary runs discontinue when it stops: the loop ends when the hooks are done, at the
 * latest at their timeout (and a second). */
void vigild_hooks_stop(struct vigild *v)
{
	uint64_t deadline = loop_now_ms(v->loop) + v->cfg.hooks.timeout_ms + 1000;

	if (running == NULL) {
		loop_stop(v->loop);
		return;
	}
	stop_timer = loop_timer_new(v->loop, stop_deadline, v);
	if (stop_timer == NULL || loop_timer_at(stop_timer, deadline) < 0)
		stop_deadline(v);
}

void vigild_hooks_free(void)
{
	loop_timer_free(stop_timer);
	stop_timer = NULL;
}

void vigild_hook_run(struct vigild *v, enum vigild_hook h, enum vg_reason reason)
{
	const struct config_cmd *cmd = hook_cmd(v, h);

	if (cmd->line[0] == '\0') {
		/* No hook configured: drain and sync_check answer for it (drained; sync unknown stays). */
		if (h == HOOK_DRAIN)
			hook_feed_core(v, h, true);
		return;
	}
	hook_spawn(v, h, reason, cmd);
}

static void local_check_done(const struct check_result *r, void *arg)
{
	struct vigild *v = arg;
	struct vg_event ev = { .type = EV_LOCAL_CHECK, .flag = r->status == CHECK_STATUS_UP };

	if (r->status != CHECK_STATUS_REJECTED)
		vigild_post(v, &ev);
}

void vigild_local_check(struct vigild *v)
{
	if (v->local_check == NULL)
		return;
	if (check_start(v->local_check, v->cfg.module.timeout_ms, local_check_done, v, NULL) < 0)
		log_warnx("local_check could not start");
}
