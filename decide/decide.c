/* decide.c: the entry points of the core: one event and the time in, actions, records and a deadline out. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "decide.h"
#include "internal.h"

void decide_params_default(struct decide_params *p)
{
	*p = (struct decide_params){
		.role_a = true,
		.start_timeout_ms = 10000,
		.reconnect_delay_ms = 5000,
		.module_timeout_ms = 10000,
		.module_retry_delay_ms = 1000,
		.max_failures = 2,
		.max_restarts = 2,
		.max_restarts_period_ms = 300000,
		.max_sequential_restarts = 2,
		.ping_delay_ms = 1000,
		.monitor_timeout_ms = 5000,
		.retry_count = 2,
		.retry_ping_delay_ms = 0,
		.nettest_timeout_ms = 1000,
		.carrier_watch = true,
		.unreachable_ping_count = 0,
		.unreachable_ping_delay_ms = 10000,
		.reconnect_timeout_ms = 30000,
		.sync_check_interval_ms = 60000,
	};
}

void decide_init(struct decide *d, const struct decide_params *p)
{
	*d = (struct decide){
		.p = *p,
		.state = ST_INIT,
		.peer = { .state = ST_UNKNOWN },
		.init_deadline_ms = NEVER,
		.switch_due_ms = NEVER,
		.next_set_ms = NEVER,
		.set_deadline_ms = NEVER,
		.redial_ms = NEVER,
		.next_local_check_ms = NEVER,
		.next_sync_ms = NEVER,
		.peer_dial_ms = NEVER,
		.local_ok = true,
	};
	d->mm.last_pid = 0;
	d->pm.phase = PM_IDLE;
}

void decide_reload(struct decide *d, const struct decide_params *p)
{
	struct decide_params keep = d->p;

	/* [node] and [peer] need a restart (SPEC "reload"): keep them. */
	d->p = *p;
	d->p.role_a = keep.role_a;
	d->p.manual = keep.manual;
	d->p.force_backup = keep.force_backup;
	d->p.wait_peer = keep.wait_peer;
	d->p.start_timeout_ms = keep.start_timeout_ms;
	d->p.reconnect_delay_ms = keep.reconnect_delay_ms;
}

/* ---- output ---- */

struct vg_action *out_action_ex(struct decide *d, enum vg_action_type type)
{
	struct decide_out *o = d->out;

	if (o->n_actions >= DECIDE_MAX_ACTIONS) {
		/* Never NULL: an overflow is counted and written to scratch (a bug the counter shows). */
		o->dropped++;
		d->scratch_action = (struct vg_action){ .type = type };
		return &d->scratch_action;
	}
	o->actions[o->n_actions] = (struct vg_action){ .type = type };
	return &o->actions[o->n_actions++];
}

void out_action(struct decide *d, enum vg_action_type type, enum vg_conn conn, uint32_t seq,
    uint32_t id)
{
	struct vg_action *a = out_action_ex(d, type);

	a->conn = conn;
	a->seq = seq;
	a->id = id;
}

static struct vg_record *record_vnew(struct decide *d, enum vg_record_kind kind, const char *fmt,
    va_list ap)
{
	struct decide_out *o = d->out;
	struct vg_record *r;

	if (o->n_records >= DECIDE_MAX_RECORDS) {
		o->dropped++;
		return NULL;
	}
	r = &o->records[o->n_records++];
	*r = (struct vg_record){ .t_ms = d->now_ms,
		.kind = kind,
		.state = d->state,
		.from = d->state };
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	return r;
}

struct vg_record *out_record_ex(struct decide *d, enum vg_record_kind kind, const char *fmt, ...)
{
	struct vg_record *r;
	va_list ap;

	va_start(ap, fmt);
	r = record_vnew(d, kind, fmt, ap);
	va_end(ap);
	return r;
}

void out_record(struct decide *d, enum vg_record_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_vnew(d, kind, fmt, ap);
	va_end(ap);
}

void cmd_reply(struct decide *d, int status, const char *fmt, ...)
{
	va_list ap;

	d->out->cmd_status = status;
	va_start(ap, fmt);
	vsnprintf(d->out->cmd_msg, sizeof(d->out->cmd_msg), fmt, ap);
	va_end(ap);
	out_record(d, REC_COMMAND, "%s%s", status == 0 ? "" : "refused: ", d->out->cmd_msg);
}

/* One fixed, greppable form for transitions (STYLE 23). */
void set_state(struct decide *d, enum vg_state next)
{
	enum vg_state from = d->state;
	struct vg_record *r;

	if (from == next)
		return;
	d->state = next;
	r = out_record_ex(d, REC_TRANSITION, "state %s -> %s verdict=%s", decide_state_name(from),
	    decide_state_name(next), decide_verdict_name(d->verdict));
	if (r != NULL) {
		r->from = from;
		r->verdict = d->verdict;
		r->diag = d->diag;
	}
}

/* ---- small shared helpers ---- */

bool is_upgrade(enum vg_state s)
{
	return s == ST_UPGRADE_HIGHER || s == ST_UPGRADE_LOWER;
}

bool is_watching(enum vg_state s)
{
	return s == ST_BACKUP || s == ST_RECONNECTING || is_upgrade(s);
}

bool any_conn_up(const struct decide *d)
{
	return d->conn[CONN_MAIN].up || d->conn[CONN_AUX].up;
}

uint32_t next_id(struct decide *d)
{
	return ++d->id_next;
}

/* ---- timers ---- */

static void take(uint64_t *min, uint64_t t)
{
	if (t < *min)
		*min = t;
}

static uint64_t own_deadline(const struct decide *d)
{
	uint64_t t = NEVER;

	if (d->state == ST_INIT)
		take(&t, d->init_deadline_ms);
	if (d->state == ST_INIT || is_watching(d->state))
		take(&t, d->redial_ms);
	if (d->state == ST_PRIMARY || d->state == ST_STALE)
		take(&t, d->peer_dial_ms);
	if (is_watching(d->state)) {
		take(&t, d->next_local_check_ms);
		take(&t, d->next_sync_ms);
	}
	return t;
}

static uint64_t next_deadline(const struct decide *d)
{
	uint64_t t = own_deadline(d);

	take(&t, mm_deadline(d));
	take(&t, pm_deadline(d));
	take(&t, rule_deadline(d));
	return t;
}

/* Lost connections are re-dialled; while reconnecting every connection that is not up is (SPEC). */
static bool needs_redial(const struct decide *d, enum vg_conn c)
{
	if (d->state == ST_RECONNECTING || reconnect_mode(d))
		return !d->conn[c].up;
	/* In backup too a stalled connection is not waited for, once no retry ping relies on it. */
	return !d->conn[c].up && (!d->conn[c].open || d->pm.phase == PM_REGULAR);
}

static void redial_timer(struct decide *d)
{
	if (d->redial_ms > d->now_ms || !(d->state == ST_INIT || is_watching(d->state)))
		return;
	d->redial_ms = NEVER;
	for (int c = 0; c < CONN_COUNT; c++)
		if (needs_redial(d, c))
			conn_redial(d, c);
	/* SPEC "reconnecting": a diagnosis runs at every re-dial. */
	if (d->state == ST_RECONNECTING)
		pm_diagnose(d, "re-dial");
	schedule_redial(d);
}

static void peer_dial_timer(struct decide *d)
{
	uint64_t quiet = 3ull * d->p.ping_delay_ms;

	if (d->peer_dial_ms > d->now_ms || !(d->state == ST_PRIMARY || d->state == ST_STALE))
		return;
	if (quiet < d->p.reconnect_delay_ms)
		quiet = d->p.reconnect_delay_ms;
	/* SPEC "Peer link": a primary or stale node that heard nothing dials, so islands meet again. */
	if (d->now_ms - d->last_peer_msg_ms >= quiet && !d->conn[CONN_MAIN].open)
		conn_redial(d, CONN_MAIN);
	d->peer_dial_ms = d->now_ms + d->p.reconnect_delay_ms;
}

static void periodic_timers(struct decide *d)
{
	if (!is_watching(d->state))
		return;
	if (d->next_local_check_ms <= d->now_ms) {
		out_action(d, ACT_RUN_LOCAL_CHECK, CONN_MAIN, 0, 0);
		d->next_local_check_ms = d->now_ms + d->p.module_timeout_ms;
	}
	if (d->next_sync_ms <= d->now_ms) {
		out_action(d, ACT_RUN_SYNC_CHECK, CONN_MAIN, 0, 0);
		d->next_sync_ms =
		    d->p.sync_check_interval_ms ? d->now_ms + d->p.sync_check_interval_ms : NEVER;
	}
}

static void init_timer(struct decide *d)
{
	if (d->state != ST_INIT || d->init_deadline_ms > d->now_ms)
		return;
	d->init_deadline_ms = NEVER;
	fsm_post(d, FE_START_TIMEOUT);
}

/* Fire every timer due by now; a handler may arm another one for now, so loop (bounded). */
static void run_timers(struct decide *d)
{
	for (int round = 0; round < 16 && next_deadline(d) <= d->now_ms; round++) {
		init_timer(d);
		redial_timer(d);
		peer_dial_timer(d);
		periodic_timers(d);
		mm_timers(d);
		pm_timers(d);
		rule_timers(d);
	}
}

/* ---- connections ---- */

void conn_mark_up(struct decide *d, enum vg_conn c)
{
	bool was = any_conn_up(d);

	if (!d->conn[c].open || d->conn[c].up)
		return;
	d->conn[c].up = true;
	out_record(d, REC_MONITOR, "connection %s up", decide_conn_name(c));
	if (!was)
		pm_conn_changed(d);
}

void conn_mark_down(struct decide *d, enum vg_conn c, const char *why)
{
	if (!d->conn[c].up)
		return;
	d->conn[c].up = false;
	out_record(d, REC_MONITOR, "connection %s down: %s", decide_conn_name(c), why);
	schedule_redial(d);
	if (!any_conn_up(d))
		pm_conn_changed(d);
}

void conn_redial(struct decide *d, enum vg_conn c)
{
	d->conn[c] = (struct decide_conn){ .dialing = true, .dial_started_ms = d->now_ms };
	out_action(d, ACT_DIAL, c, 0, 0);
}

void schedule_redial(struct decide *d)
{
	bool need = false;

	if (!(d->state == ST_INIT || is_watching(d->state)))
		return;
	/* The timer runs while any connection is not up; what it re-dials is decided when it fires. */
	for (int c = 0; c < CONN_COUNT; c++)
		need |= !d->conn[c].up;
	if (need && d->redial_ms == NEVER)
		d->redial_ms = d->now_ms + d->p.reconnect_delay_ms;
}

/* ---- events ---- */

static void note_peer(struct decide *d, const struct vg_peer_info *peer)
{
	bool drift = !peer->config_match;

	if (drift != d->config_drift)
		out_record(d, REC_PEER,
		    drift ? "configuration drift: the peer's pair-relevant settings differ"
		          : "configuration drift resolved");
	d->config_drift = drift;
	d->peer = *peer;
	d->peer_known = true;
	d->peer_generation = peer->generation;
	d->last_peer_msg_ms = d->now_ms;
	/* SPEC "island convergence": a backup adopts the primary's generation on every hello. */
	if (is_watching(d->state) && peer->state == ST_PRIMARY &&
	    peer->generation > d->generation) {
		d->generation = peer->generation;
		out_action(d, ACT_PERSIST, CONN_MAIN, 0, 0);
	}
}

static void peer_facts(struct decide *d, const struct vg_peer_info *peer)
{
	note_peer(d, peer);
	if (peer->state == ST_PRIMARY)
		fsm_post(d, FE_PEER_PRIMARY);
	else if (peer->state == ST_INIT)
		fsm_post(d, FE_PEER_STARTING);
	else
		fsm_post(d, FE_PEER_OTHER);
}

static void on_conn_up(struct decide *d, const struct vg_event *ev)
{
	struct decide_conn *c = &d->conn[ev->conn];

	c->open = true;
	c->dialing = false;
	d->hello_seen = true;
	peer_facts(d, &ev->peer);
	if (!is_watching(d->state) || !c->open)
		return;
	if (!c->up) {
		c->up = true;
		out_record(d, REC_MONITOR, "connection %s up (hello)", decide_conn_name(ev->conn));
		pm_conn_changed(d);
	}
}

static void on_conn_lost(struct decide *d, const struct vg_event *ev)
{
	struct decide_conn *c = &d->conn[ev->conn];
	bool was_open = c->open;

	*c = (struct decide_conn){ 0 };
	if (!is_watching(d->state))
		return;
	if (was_open)
		out_record(d, REC_MONITOR, "connection %s lost", decide_conn_name(ev->conn));
	schedule_redial(d);
	pm_conn_changed(d);
	/* SPEC "Primary monitor": a connection that drops makes the backup diagnose. */
	if (was_open && d->state != ST_RECONNECTING)
		pm_diagnose(d, "connection lost");
}

static void on_carrier(struct decide *d, const struct vg_event *ev)
{
	uint8_t old = d->carrier_lost_mask;
	uint8_t now = d->p.carrier_watch ? (ev->carrier_lost_mask & 3) : 0;

	d->carrier_lost_mask = now;
	if (!is_watching(d->state) || old == now)
		return;
	out_record(d, REC_MONITOR, "carrier toward the primary: main %s, aux %s",
	    (now & 1) ? "lost" : "up", (now & 2) ? "lost" : "up");
	for (int c = 0; c < CONN_COUNT; c++) {
		if (now & (1u << c))
			conn_mark_down(d, c, "carrier lost");
		else if ((old & (1u << c)) && !d->conn[c].up)
			conn_redial(d, c); /* SPEC: carrier back -> re-dial at once */
	}
	if ((now & 3) == 3) {
		/* Classification rule 1: carrier lost on every link toward the primary is network-down at once. */
		d->diag.valid = true;
		d->diag.carrier_lost_all = true;
		d->diag.main_up = d->diag.aux_up = false;
		rule_post(d, VERDICT_NETWORK_DOWN);
		return;
	}
	pm_diagnose(d, "carrier change");
}

static void on_local_check(struct decide *d, bool ok)
{
	if (ok != d->local_ok)
		out_record(d, REC_MONITOR, "local_check %s",
		    ok ? "passes: this node is ready" : "fails: switches wait");
	d->local_ok = ok;
	rule_check_ready(d);
}

static void on_sync(struct decide *d, bool in_sync)
{
	enum vg_sync s = in_sync ? SYNC_IN : SYNC_NOT_IN;

	if (s != d->sync)
		out_record(d, REC_MONITOR, "sync %s", decide_sync_name(s));
	d->sync = s;
}

static void on_start(struct decide *d, const struct vg_event *ev)
{
	d->generation = ev->generation;
	d->stale_persisted = ev->flag;
	d->start_ms = d->now_ms;
	out_record(d, REC_TRANSITION, "start: role %s, generation %llu%s", d->p.role_a ? "A" : "B",
	    (unsigned long long)d->generation, ev->flag ? ", persisted state stale" : "");
	if (ev->flag) {
		/* SPEC "init": a node persisted stale comes back stale (fenced). */
		set_state(d, ST_STALE);
		out_action_ex(d, ACT_FENCE)->flag = true;
		d->peer_dial_ms = d->now_ms;
		return;
	}
	d->init_deadline_ms = d->now_ms + d->p.start_timeout_ms;
	conn_redial(d, CONN_MAIN);
	conn_redial(d, CONN_AUX);
	schedule_redial(d);
}

/* SPEC "drill": without --live the node is back in its prior state when the drill ends. */
static void drill_restore(struct decide *d)
{
	if (!is_watching(d->state) || d->verdict == VERDICT_NONE)
		return;
	rule_clear(d);
	if (d->state == ST_RECONNECTING)
		set_state(d, ST_BACKUP);
	pm_start(d);
	if (any_conn_up(d))
		mm_start(d);
}

static void on_drill(struct decide *d, const struct vg_event *ev)
{
	bool was_live = d->drill_live;

	d->in_drill = ev->type == EV_DRILL_START;
	d->drill_live = d->in_drill && ev->flag;
	out_record(d, REC_COMMAND, "drill %s%s", d->in_drill ? "starts" : "ends",
	    d->drill_live ? " (live: switches for real)" : "");
	if (!d->in_drill && !was_live)
		drill_restore(d);
}

static void dispatch_peer(struct decide *d, const struct vg_event *ev)
{
	switch (ev->type) {
	case EV_CONN_UP:
		on_conn_up(d, ev);
		break;
	case EV_CONN_LOST:
		on_conn_lost(d, ev);
		break;
	case EV_PEER_STATE:
	case EV_PEER_COMMENCE:
		peer_facts(d, &ev->peer);
		break;
	case EV_PEER_SEEN:
		d->last_peer_msg_ms = d->now_ms;
		break;
	case EV_NOTIFIER_PONG:
		pm_on_pong(d, ev);
		break;
	case EV_MODULE_PONG:
		if (!pm_on_confirm_pong(d, ev))
			mm_on_pong(d, ev);
		break;
	case EV_MODULE_GONE:
		mm_on_gone(d, ev->pid);
		break;
	case EV_PEER_DRAIN_REQ:
		fsm_post(d, FE_PEER_DRAIN_REQ);
		break;
	case EV_PEER_DRAIN_DONE:
		fsm_post(d, FE_PEER_DRAIN_DONE);
		break;
	default:
		break;
	}
}

static void dispatch(struct decide *d, const struct vg_event *ev)
{
	switch (ev->type) {
	case EV_START:
		on_start(d, ev);
		break;
	case EV_TICK:
		break;
	case EV_DIAG_DONE:
		pm_on_diag(d, ev);
		break;
	case EV_PINGSET_DONE:
		rule_on_pingset(d, ev);
		break;
	case EV_CARRIER:
		on_carrier(d, ev);
		break;
	case EV_ROUTE_CHANGE:
		if (is_watching(d->state))
			pm_diagnose(d, "route change");
		break;
	case EV_LOCAL_CHECK:
		on_local_check(d, ev->flag);
		break;
	case EV_SYNC:
		on_sync(d, ev->flag);
		break;
	case EV_DRAIN_DONE:
		fsm_post(d, FE_DRAIN_DONE);
		break;
	case EV_CMD_SWITCH:
		fsm_post(d, FE_CMD_SWITCH);
		break;
	case EV_CMD_HANDOVER:
		fsm_post(d, FE_CMD_HANDOVER);
		break;
	case EV_CMD_REJOIN:
		fsm_post(d, FE_REJOIN);
		break;
	case EV_DRILL_START:
	case EV_DRILL_END:
		on_drill(d, ev);
		break;
	case EV_STOP:
		fsm_post(d, FE_STOP);
		break;
	default:
		dispatch_peer(d, ev);
		break;
	}
}

void decide_step(struct decide *d, const struct vg_event *ev, uint64_t now_ms,
    struct decide_out *ret)
{
	*ret = (struct decide_out){ .next_deadline_ms = NEVER };
	d->out = ret;
	if (now_ms > d->now_ms)
		d->now_ms = now_ms;
	run_timers(d);
	if (ev != NULL && ev->type < EV_COUNT) {
		d->ev = ev;
		dispatch(d, ev);
		d->ev = NULL;
	}
	run_timers(d);
	ret->next_deadline_ms = next_deadline(d);
	d->out = NULL;
}

/* ---- status ---- */

static enum vg_verdict verdict_in_force(const struct decide *d)
{
	return is_watching(d->state) ? d->verdict : VERDICT_NONE;
}

void decide_status(const struct decide *d, uint64_t now_ms, struct decide_status *ret)
{
	*ret = (struct decide_status){
		.state = d->state,
		.generation = d->generation,
		.peer_state = d->peer_known ? d->peer.state : ST_UNKNOWN,
		.conn_up = { d->conn[CONN_MAIN].up, d->conn[CONN_AUX].up },
		.net = d->diag.valid ? d->diag.net : NET_UNKNOWN,
		.primary_host = d->diag.valid ? d->diag.primary : REACH_UNKNOWN,
		.module_pid = d->mm.last_pid,
		.module_responding = d->mm.responding,
		.module_restarts = mm_restarts(d, now_ms),
		.verdict = verdict_in_force(d),
		.last_verdict = d->last_verdict,
		.last_verdict_ms = d->last_verdict_ms,
		.sync = d->sync,
		.config_drift = d->config_drift,
		.last_switch = d->last_switch,
		.last_switch_ms = d->last_switch_ms,
		.ready = node_ready(d),
		.in_drill = d->in_drill,
	};
	if (is_watching(d->state) && d->verdict != VERDICT_NONE && d->switch_pending)
		snprintf(ret->withheld, sizeof(ret->withheld),
		    "%s: switch waits until this node is ready", decide_verdict_name(d->verdict));
	else if (is_watching(d->state) && d->verdict != VERDICT_NONE && d->alerted)
		snprintf(ret->withheld, sizeof(ret->withheld), "%s: switch withheld (%s)",
		    decide_verdict_name(d->verdict),
		    is_upgrade(d->state) ? "upgrade state: manual switch only"
		        : d->p.manual    ? "mode manual"
		                         : "drill");
}

const struct decide_counters *decide_counters(const struct decide *d)
{
	return &d->counters;
}
