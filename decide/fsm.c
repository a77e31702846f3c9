/* fsm.c: the switchover state machine (SPEC "State machine"): one table of {state, event, action, next} rows. */
#include <errno.h>

#include "internal.h"

#define ST_ANY ((int)ST_COUNT + 1)   /* any state */
#define ST_WATCH ((int)ST_COUNT + 2) /* backup, reconnecting, upgrade-higher, upgrade-lower */
#define ST_SAME ((int)ST_COUNT + 3)  /* the action decides the next state */

enum fsm_action {
	FA_NONE,
	FA_INIT_PEER_PRIMARY,
	FA_INIT_BOTH_START,
	FA_INIT_PEER_OTHER,
	FA_INIT_TIMEOUT,
	FA_TRY_SWITCH,
	FA_RECONNECT,
	FA_RESUME,
	FA_MANUAL_SWITCH,
	FA_ASK_HANDOVER,
	FA_TAKE_OVER,
	FA_VERSION_CHECK,
	FA_HANDOVER,
	FA_HANDOVER_DONE,
	FA_ISLAND,
	FA_STALE_PEER_PRIMARY,
	FA_REJOIN,
	FA_REFUSE,
	FA_STOP,
};

struct fsm_row {
	int state;
	enum fsm_event event;
	enum fsm_action action;
	int next;
};

/* First match wins; wildcards last. A pair not listed is counted and ignored. */
static const struct fsm_row fsm_table[] = {
	{ ST_INIT, FE_PEER_PRIMARY, FA_INIT_PEER_PRIMARY, ST_SAME },
	{ ST_INIT, FE_PEER_STARTING, FA_INIT_BOTH_START, ST_SAME },
	{ ST_INIT, FE_PEER_OTHER, FA_INIT_PEER_OTHER, ST_SAME },
	{ ST_INIT, FE_START_TIMEOUT, FA_INIT_TIMEOUT, ST_SAME },
	{ ST_WATCH, FE_MODULE_DOWN, FA_TRY_SWITCH, ST_SAME },
	{ ST_WATCH, FE_SWITCH_DUE, FA_TRY_SWITCH, ST_SAME },
	{ ST_BACKUP, FE_FAULT, FA_RECONNECT, ST_RECONNECTING },
	{ ST_WATCH, FE_FAULT, FA_RECONNECT, ST_SAME },
	{ ST_WATCH, FE_RECOVERED, FA_RESUME, ST_SAME },
	{ ST_WATCH, FE_CMD_SWITCH, FA_MANUAL_SWITCH, ST_SAME },
	{ ST_WATCH, FE_CMD_HANDOVER, FA_ASK_HANDOVER, ST_SAME },
	{ ST_WATCH, FE_PEER_DRAIN_DONE, FA_TAKE_OVER, ST_SAME },
	{ ST_WATCH, FE_PEER_PRIMARY, FA_VERSION_CHECK, ST_SAME },
	{ ST_WATCH, FE_PEER_STARTING, FA_NONE, ST_SAME },
	{ ST_WATCH, FE_PEER_OTHER, FA_NONE, ST_SAME },
	{ ST_PRIMARY, FE_PEER_PRIMARY, FA_ISLAND, ST_SAME },
	{ ST_PRIMARY, FE_PEER_STARTING, FA_NONE, ST_SAME },
	{ ST_PRIMARY, FE_PEER_OTHER, FA_NONE, ST_SAME },
	{ ST_PRIMARY, FE_CMD_HANDOVER, FA_HANDOVER, ST_SAME },
	{ ST_PRIMARY, FE_PEER_DRAIN_REQ, FA_HANDOVER, ST_SAME },
	{ ST_PRIMARY, FE_DRAIN_DONE, FA_HANDOVER_DONE, ST_SAME },
	{ ST_STALE, FE_PEER_PRIMARY, FA_STALE_PEER_PRIMARY, ST_SAME },
	{ ST_STALE, FE_PEER_STARTING, FA_NONE, ST_SAME },
	{ ST_STALE, FE_PEER_OTHER, FA_NONE, ST_SAME },
	{ ST_STALE, FE_REJOIN, FA_REJOIN, ST_SAME },
	{ ST_ANY, FE_CMD_SWITCH, FA_REFUSE, ST_SAME },
	{ ST_ANY, FE_CMD_HANDOVER, FA_REFUSE, ST_SAME },
	{ ST_ANY, FE_REJOIN, FA_REFUSE, ST_SAME },
	{ ST_ANY, FE_STOP, FA_STOP, ST_SAME },
	{ -1, FE_COUNT, FA_NONE, ST_SAME },
};

static bool row_matches(const struct fsm_row *row, enum vg_state s, enum fsm_event ev)
{
	if (row->event != ev)
		return false;
	if (row->state == ST_ANY)
		return true;
	if (row->state == ST_WATCH)
		return is_watching(s);
	return row->state == (int)s;
}

static bool event_flag(const struct decide *d)
{
	return d->ev != NULL && d->ev->flag;
}

/* ---- entering states ---- */

void enter_watching(struct decide *d, enum vg_state next)
{
	bool from_primary = d->state == ST_PRIMARY || d->state == ST_STALE;

	set_state(d, next);
	rule_clear(d);
	for (int c = 0; c < CONN_COUNT; c++) {
		if (from_primary)
			conn_redial(d, c); /* what we held as primary were the peer's connections */
		else
			d->conn[c].up = d->conn[c].open;
	}
	schedule_redial(d);
	pm_start(d);
	if (any_conn_up(d))
		mm_start(d);
	d->next_local_check_ms = d->p.has_local_check ? d->now_ms : NEVER;
	d->next_sync_ms = d->p.has_sync_check && d->p.sync_check_interval_ms ? d->now_ms : NEVER;
}

/* Take the primary role (SPEC "island convergence", "Peer link"): generation, persist, announce, close, commence. */
void promote(struct decide *d, enum vg_reason reason)
{
	uint64_t seen = d->peer_generation > d->generation ? d->peer_generation : d->generation;
	struct vg_record *r;

	d->generation = seen + 1;
	pm_stop(d);
	mm_stop(d);
	rule_stop(d);
	d->switch_pending = false;
	set_state(d, ST_PRIMARY);
	out_action(d, ACT_PERSIST, CONN_MAIN, 0, 0);
	r = out_record_ex(d, REC_SWITCH, "switch: this node is primary, reason %s, generation %llu",
	    decide_reason_name(reason), (unsigned long long)d->generation);
	if (r != NULL) {
		r->reason = reason;
		r->verdict = d->verdict;
		r->diag = d->diag;
	}
	if (reason != REASON_NONE) {
		d->last_switch = reason;
		d->last_switch_ms = d->now_ms;
	}
	d->verdict = VERDICT_NONE;
	d->mm.last_pid = 0; /* the old primary's module is not ours */
	d->mm.responding = false;
	out_action(d, ACT_ANNOUNCE, CONN_MAIN, 0, 0);
	for (int c = 0; c < CONN_COUNT; c++) {
		out_action(d, ACT_CLOSE, c, 0, 0);
		d->conn[c] = (struct decide_conn){ 0 };
	}
	out_action_ex(d, ACT_COMMENCE)->reason = reason;
	d->last_peer_msg_ms = d->now_ms;
	d->peer_dial_ms = d->now_ms + d->p.reconnect_delay_ms;
}

static void demote(struct decide *d, enum vg_state next, enum vg_reason reason)
{
	out_action_ex(d, ACT_DISCONTINUE)->reason = reason;
	d->draining = false;
	if (next == ST_STALE) {
		set_state(d, ST_STALE);
		d->started_here = true;
		out_action_ex(d, ACT_FENCE)->flag = true;
		out_action(d, ACT_PERSIST, CONN_MAIN, 0, 0);
		out_action(d, ACT_ANNOUNCE, CONN_MAIN, 0, 0); /* the new primary learns at once */
		return;
	}
	enter_watching(d, next);
	out_action(d, ACT_PERSIST, CONN_MAIN, 0, 0);
}

/* ---- init ---- */

static enum vg_state backup_kind(const struct decide *d)
{
	if (d->peer.version_cmp > 0)
		return ST_UPGRADE_LOWER;
	if (d->peer.version_cmp < 0)
		return ST_UPGRADE_HIGHER;
	return ST_BACKUP;
}

static void init_peer_primary(struct decide *d)
{
	enum vg_state next = backup_kind(d);

	if (next != ST_BACKUP)
		out_record(d, REC_PEER, "software versions differ: %s, manual switch only",
		    decide_state_name(next));
	enter_watching(d, next);
}

/* SPEC "init": versions differ -> an upgrade state, manual switch only; also when the primary
 * is upgraded under a running backup (any hello), and back to backup when they match again. */
static void version_check(struct decide *d)
{
	enum vg_state want = backup_kind(d);

	if (d->state == ST_RECONNECTING || want == d->state)
		return; /* reconnecting: checked again at the hellos of its recovery */
	out_record(d, REC_PEER, "peer software version %s: %s",
	    d->peer.version_cmp == 0 ? "matches" : "differs", decide_state_name(want));
	set_state(d, want);
}

static void init_take_role(struct decide *d, const char *why)
{
	if (d->p.force_backup) {
		out_record(d, REC_PEER, "%s, but force_backup: starting as backup", why);
		enter_watching(d, ST_BACKUP);
		return;
	}
	out_record(d, REC_PEER, "%s: taking the primary role", why);
	promote(d, REASON_NONE);
}

static void init_both_start(struct decide *d)
{
	if (d->p.role_a)
		init_take_role(d, "both nodes starting, this node is A");
	else
		init_peer_primary(d); /* backup, or an upgrade state when the versions differ */
}

static void init_timeout(struct decide *d)
{
	if (d->p.force_backup) {
		enter_watching(d, ST_BACKUP);
		return;
	}
	if (d->p.wait_peer) {
		out_record(d, REC_PEER,
		    "peer unreachable after start_timeout: waiting for it (start = wait-peer)");
		return;
	}
	out_record(d, REC_PEER,
	    "peer unreachable after start_timeout: becoming primary (start = failsafe-active)");
	promote(d, REASON_FAILSAFE_START);
}

/* ---- commands ---- */

static void manual_switch(struct decide *d)
{
	bool force = event_flag(d);

	if (is_upgrade(d->state) && !force) {
		cmd_reply(d, -EPERM,
		    "%s: switch needs --force; changes made on the primary since the upgrade "
		    "began may be lost",
		    decide_state_name(d->state));
		return;
	}
	if (d->sync == SYNC_NOT_IN && !force) {
		cmd_reply(d, -EPERM,
		    "sync_check says this backup is not in sync; use --force to switch anyway");
		return;
	}
	cmd_reply(d, 0, "switching over%s",
	    is_upgrade(d->state) ? " (forced in an upgrade state: changes made on "
	                           "the primary since the upgrade began may be lost)"
	                         : "");
	/* An operator's switch is manual, in a live drill too: only the drill's own verdict switches
	 * with reason drill, and never on network-down (SPEC "network-down": never switch). */
	promote(d, REASON_MANUAL);
}

static void ask_handover(struct decide *d)
{
	bool force = event_flag(d);

	if (d->state != ST_BACKUP || !any_conn_up(d) || !d->mm.responding) {
		cmd_reply(d, -EPERM,
		    "handover needs this node in backup, connected, with the module answering");
		return;
	}
	if (d->sync == SYNC_NOT_IN && !force) {
		cmd_reply(d, -EPERM, "sync_check says this backup is not in sync; use --force");
		return;
	}
	out_action_ex(d, ACT_SEND_DRAIN_REQ)->flag = force;
	d->handover_requested = true;
	cmd_reply(d, 0, "handover requested: the primary drains, then this node takes over");
}

/* The primary holds no connection of its own: the backup's pings are what prove it connected. */
static bool peer_heard_lately(const struct decide *d)
{
	uint64_t quiet = 3ull * d->p.ping_delay_ms;

	if (quiet < d->p.reconnect_delay_ms)
		quiet = d->p.reconnect_delay_ms;
	return d->peer_known && d->now_ms - d->last_peer_msg_ms <= quiet;
}

static const char *handover_refusal(const struct decide *d, bool force)
{
	if (d->draining)
		return "a handover is already draining";
	if (!peer_heard_lately(d))
		return "the peer is not connected";
	if (d->peer.state != ST_BACKUP)
		return "the peer is not in backup";
	if (d->peer.version_cmp != 0)
		return "software versions differ (upgrade): switch on the backup with --force";
	if (!d->peer.module_responding)
		return "the peer does not see the module answering";
	if (d->peer.sync == SYNC_NOT_IN && !force)
		return "the peer is not in sync; use --force";
	return NULL;
}

static void handover(struct decide *d)
{
	bool force = event_flag(d);
	const char *why = handover_refusal(d, force);

	if (why != NULL) {
		cmd_reply(d, -EPERM, "handover refused: %s", why);
		return;
	}
	d->draining = true;
	d->drain_force = force;
	out_action(d, ACT_RUN_DRAIN, CONN_MAIN, 0, 0);
	cmd_reply(d, 0, "handover: draining, then the peer takes over");
}

static void handover_done(struct decide *d)
{
	if (!d->draining)
		return;
	if (!event_flag(d) && !d->drain_force) {
		d->draining = false;
		out_record(d, REC_COMMAND,
		    "drain hook failed: handover aborted, this node stays primary");
		return;
	}
	/* Discontinue (drop VIPs) before telling the peer to take over: never two holders. */
	out_record(d, REC_COMMAND, "drained: handing over, this node becomes backup");
	demote(d, ST_BACKUP, REASON_HANDOVER);
	out_action(d, ACT_SEND_DRAIN_DONE, CONN_MAIN, 0, 0);
}

static void refuse(struct decide *d)
{
	cmd_reply(d, -EPERM, "not possible in state %s", decide_state_name(d->state));
}

/* ---- primary and stale ---- */

/* SPEC "island convergence": the higher generation keeps the role, on a tie node A does. */
static void island(struct decide *d)
{
	bool lose = d->peer.generation > d->generation ||
	    (d->peer.generation == d->generation && !d->p.role_a);

	out_record(d, REC_PEER, "two primaries: generation here %llu, peer %llu: this node %s",
	    (unsigned long long)d->generation, (unsigned long long)d->peer.generation,
	    lose ? "steps down (stale)" : "keeps the role");
	if (lose)
		demote(d, ST_STALE, REASON_ISLAND_CONVERGENCE);
	else
		out_action(d, ACT_ANNOUNCE, CONN_MAIN, 0, 0);
}

static void lift_fence_to_backup(struct decide *d)
{
	out_action_ex(d, ACT_FENCE)->flag = false;
	enter_watching(d, ST_BACKUP);
	out_action(d, ACT_PERSIST, CONN_MAIN, 0, 0);
}

static void stale_peer_primary(struct decide *d)
{
	if (d->started_here) {
		out_record(d, REC_PEER,
		    "peer is primary; this node went stale since it started: vigilctl rejoin");
		return;
	}
	out_record(d, REC_PEER,
	    "peer is primary: the persisted stale state ends, this node is backup");
	lift_fence_to_backup(d);
}

static void stop(struct decide *d)
{
	if (d->state == ST_PRIMARY)
		out_action_ex(d, ACT_DISCONTINUE)->reason = REASON_NONE;
	pm_stop(d);
	mm_stop(d);
	rule_clear(d);
	set_state(d, ST_STOPPING);
}

/* ---- dispatch ---- */

static void run_action(struct decide *d, enum fsm_action a)
{
	switch (a) {
	case FA_NONE:
		break;
	case FA_INIT_PEER_PRIMARY:
		init_peer_primary(d);
		break;
	case FA_INIT_BOTH_START:
		init_both_start(d);
		break;
	case FA_INIT_PEER_OTHER:
		init_take_role(d, "the peer is up and not primary");
		break;
	case FA_INIT_TIMEOUT:
		init_timeout(d);
		break;
	case FA_TRY_SWITCH:
		rule_try_switch(d, rule_reason(d));
		break;
	case FA_RECONNECT:
		pm_keepalive(d);
		schedule_redial(d);
		rule_start(d);
		break;
	case FA_RESUME:
		out_record(d, REC_MONITOR,
		    "module answers on a connection that is up: verdict %s ends",
		    decide_verdict_name(d->verdict));
		rule_clear(d);
		if (d->state == ST_RECONNECTING)
			set_state(d, ST_BACKUP);
		pm_start(d);
		break;
	case FA_MANUAL_SWITCH:
		manual_switch(d);
		break;
	case FA_ASK_HANDOVER:
		ask_handover(d);
		break;
	case FA_VERSION_CHECK:
		version_check(d);
		break;
	case FA_TAKE_OVER:
		/* in backup (the primary started it) or a handover this node asked for */
		if (d->handover_requested || d->state == ST_BACKUP)
			promote(d, REASON_HANDOVER);
		d->handover_requested = false;
		break;
	case FA_HANDOVER:
		handover(d);
		break;
	case FA_HANDOVER_DONE:
		handover_done(d);
		break;
	case FA_ISLAND:
		island(d);
		break;
	case FA_STALE_PEER_PRIMARY:
		stale_peer_primary(d);
		break;
	case FA_REJOIN:
		cmd_reply(d, 0, "rejoin: this node comes back as backup");
		lift_fence_to_backup(d);
		break;
	case FA_REFUSE:
		refuse(d);
		break;
	case FA_STOP:
		stop(d);
		break;
	}
}

void fsm_post(struct decide *d, enum fsm_event ev)
{
	const struct fsm_row *row;

	for (row = fsm_table; row->state != -1; row++)
		if (row_matches(row, d->state, ev))
			break;
	if (row->state == -1) {
		d->counters.unlisted_fsm++;
		return;
	}
	/* A fixed next state is entered first, so the action runs in it; ST_SAME: the action decides. */
	if (row->next != ST_SAME)
		set_state(d, (enum vg_state)row->next);
	run_action(d, row->action);
}
