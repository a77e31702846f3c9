/* pm.c: the primary monitor (SPEC "Primary monitor", "Diagnosis"): notifier pings, retries, confirmation, diagnosis. */
#include "internal.h"

static enum vg_conn other(enum vg_conn c)
{
	return c == CONN_MAIN ? CONN_AUX : CONN_MAIN;
}

static void drop_pings(struct decide_pm *pm)
{
	pm->outstanding = false;
	pm->aux_outstanding = false;
}

/* Regular monitoring in backup and the upgrade states. */
void pm_start(struct decide *d)
{
	struct decide_pm *pm = &d->pm;

	drop_pings(pm);
	pm->phase = PM_REGULAR;
	pm->retries = 0;
	pm->next_ping_ms = d->now_ms;
	pm->aux_next_ping_ms = d->now_ms;
}

/* SPEC "reconnecting": a notifier ping every ping_delay on every established connection, misses only mark down. */
void pm_keepalive(struct decide *d)
{
	struct decide_pm *pm = &d->pm;

	if (pm->phase == PM_KEEPALIVE || pm->phase == PM_DIAGNOSE || pm->phase == PM_CONFIRM)
		return;
	drop_pings(pm);
	pm->phase = PM_KEEPALIVE;
	pm->next_ping_ms = d->now_ms;
	pm->aux_next_ping_ms = d->now_ms;
}

void pm_stop(struct decide *d)
{
	struct decide_pm *pm = &d->pm;

	drop_pings(pm);
	pm->phase = PM_IDLE;
	pm->module_down = false;
	pm->md_pending = pm->md_pending_restarts = false;
	pm->diag_again = false;
	pm->held = false;
}

static uint64_t min2(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t pm_deadline(const struct decide *d)
{
	const struct decide_pm *pm = &d->pm;
	uint64_t reg = pm->outstanding ? pm->deadline_ms : pm->next_ping_ms;
	uint64_t aux = pm->aux_outstanding ? pm->aux_deadline_ms : pm->aux_next_ping_ms;

	switch (pm->phase) {
	case PM_REGULAR:
	case PM_KEEPALIVE:
		return min2(reg, aux);
	case PM_RETRY:
		return reg;
	case PM_CONFIRM:
		return pm->confirm_deadline_ms;
	case PM_DIAGNOSE:
		return pm->held ? min2(pm->held_until_ms, pm->diag_deadline_ms)
		                : pm->diag_deadline_ms;
	default:
		return NEVER;
	}
}

static void send_notifier(struct decide *d, enum vg_conn c, bool aux_slot)
{
	struct decide_pm *pm = &d->pm;
	uint32_t seq = ++pm->seq_next;

	d->counters.notifier_pings++;
	out_action(d, ACT_SEND_NOTIFIER_PING, c, seq, 0);
	if (aux_slot) {
		pm->aux_outstanding = true;
		pm->aux_seq = seq;
		pm->aux_sent_conn = c;
		pm->aux_deadline_ms = d->now_ms + d->p.monitor_timeout_ms;
		return;
	}
	pm->outstanding = true;
	pm->seq = seq;
	pm->sent_conn = c;
	pm->deadline_ms = d->now_ms + d->p.monitor_timeout_ms;
}

/* The regular ping goes on main, on aux when main is down. */
static void regular_send(struct decide *d)
{
	if (d->conn[CONN_MAIN].up)
		send_notifier(d, CONN_MAIN, false);
	else if (d->conn[CONN_AUX].up)
		send_notifier(d, CONN_AUX, false);
	else
		pm_diagnose(d, "no connection up");
}

/* Each retry goes on the other connection when it is up. */
static void retry_send(struct decide *d)
{
	struct decide_pm *pm = &d->pm;
	enum vg_conn c = other(pm->sent_conn);

	if (!d->conn[c].up)
		c = d->conn[pm->sent_conn].open ? pm->sent_conn : c;
	if (!d->conn[c].open) {
		pm_diagnose(d, "no connection left for a retry ping");
		return;
	}
	pm->retries++;
	out_record(d, REC_MONITOR, "notifier retry ping %u/%u on %s", pm->retries, d->p.retry_count,
	    decide_conn_name(c));
	send_notifier(d, c, false);
}

static void regular_miss(struct decide *d)
{
	struct decide_pm *pm = &d->pm;

	pm->outstanding = false;
	conn_mark_down(d, pm->sent_conn, "notifier ping missed");
	if (pm->phase == PM_RETRY && pm->retries >= d->p.retry_count) {
		pm_diagnose(d, "notifier retries missed");
		return;
	}
	pm->phase = PM_RETRY;
	pm->next_ping_ms = d->now_ms + d->p.retry_ping_delay_ms;
}

static void regular_timers(struct decide *d)
{
	struct decide_pm *pm = &d->pm;

	if (pm->outstanding && pm->deadline_ms <= d->now_ms)
		regular_miss(d);
	if (pm->phase == PM_REGULAR && !pm->outstanding && pm->next_ping_ms <= d->now_ms)
		regular_send(d);
	else if (pm->phase == PM_RETRY && !pm->outstanding && pm->next_ping_ms <= d->now_ms)
		retry_send(d);
}

/* The aux connection's own ping while main is up (regular), or each connection's ping (keepalive). */
static void side_timers(struct decide *d, enum vg_conn c, bool aux_slot)
{
	struct decide_pm *pm = &d->pm;
	bool *out = aux_slot ? &pm->aux_outstanding : &pm->outstanding;
	uint64_t *deadline = aux_slot ? &pm->aux_deadline_ms : &pm->deadline_ms;
	uint64_t *next = aux_slot ? &pm->aux_next_ping_ms : &pm->next_ping_ms;

	if (*out && *deadline <= d->now_ms) {
		*out = false;
		/* the connection the ping went out on, which may differ from c by now */
		conn_mark_down(d, aux_slot ? pm->aux_sent_conn : pm->sent_conn,
		    "notifier ping missed");
		*next = d->now_ms + d->p.ping_delay_ms;
	}
	if (*out || *next > d->now_ms)
		return;
	if (d->conn[c].open)
		send_notifier(d, c, aux_slot);
	else
		*next = d->now_ms + d->p.ping_delay_ms;
}

static void confirm_send(struct decide *d)
{
	struct decide_pm *pm = &d->pm;

	pm->confirm_left--;
	pm->confirm_seq = ++pm->seq_next;
	pm->confirm_deadline_ms = d->now_ms + d->p.monitor_timeout_ms;
	d->counters.module_pings++;
	out_action(d, ACT_SEND_MODULE_PING, CONN_MAIN, pm->confirm_seq, 0);
}

static void confirm_failed(struct decide *d, const char *why)
{
	struct decide_pm *pm = &d->pm;

	out_record(d, REC_MONITOR, "module confirmation ping on main failed: %s", why);
	if (pm->confirm_left > 0 && d->conn[CONN_MAIN].open) {
		confirm_send(d);
		return;
	}
	pm->module_down = true;
	pm->phase = PM_IDLE;
	pm_diagnose(d, "module-down confirmed");
}

static void resume(struct decide *d)
{
	struct decide_pm *pm = &d->pm;

	pm->phase = PM_IDLE;
	if (reconnect_mode(d))
		pm_keepalive(d);
	else
		pm_start(d);
	if (any_conn_up(d) && !d->mm.running)
		mm_start(d);
}

static void classify_now(struct decide *d);

void pm_timers(struct decide *d)
{
	struct decide_pm *pm = &d->pm;

	switch (pm->phase) {
	case PM_REGULAR:
		regular_timers(d);
		/* The other connection gets its own ping: aux while main is up, else main, so a
		 * connection marked down by a miss comes back at its first pong (SPEC). */
		if (pm->phase == PM_REGULAR)
			side_timers(d, d->conn[CONN_MAIN].up ? CONN_AUX : CONN_MAIN, true);
		break;
	case PM_RETRY:
		regular_timers(d);
		break;
	case PM_KEEPALIVE:
		side_timers(d, CONN_MAIN, false);
		side_timers(d, CONN_AUX, true);
		break;
	case PM_CONFIRM:
		if (pm->confirm_deadline_ms <= d->now_ms)
			confirm_failed(d, "no pong in time");
		break;
	case PM_DIAGNOSE:
		if (pm->held && pm->held_until_ms <= d->now_ms)
			classify_now(d);
		else if (pm->diag_deadline_ms <= d->now_ms) {
			out_record(d, REC_MONITOR, "diagnosis gave no result: diagnosing again");
			d->counters.stale_results++;
			pm->phase = PM_IDLE;
			pm_diagnose(d, "no result");
		}
		break;
	default:
		break;
	}
}

void pm_on_pong(struct decide *d, const struct vg_event *ev)
{
	struct decide_pm *pm = &d->pm;

	conn_mark_up(d, ev->conn); /* any pong, a late one too, proves its connection up */
	if (pm->outstanding && ev->seq == pm->seq &&
	    (pm->phase == PM_REGULAR || pm->phase == PM_RETRY || pm->phase == PM_KEEPALIVE)) {
		pm->outstanding = false;
		if (pm->phase == PM_RETRY)
			out_record(d, REC_MONITOR, "notifier retry ping answered on %s",
			    decide_conn_name(ev->conn));
		if (pm->phase == PM_RETRY)
			pm->phase = PM_REGULAR;
		pm->retries = 0;
		pm->next_ping_ms = d->now_ms + d->p.ping_delay_ms;
		return;
	}
	if (pm->aux_outstanding && ev->seq == pm->aux_seq) {
		pm->aux_outstanding = false;
		pm->aux_next_ping_ms = d->now_ms + d->p.ping_delay_ms;
		return;
	}
	d->counters.late_notifier_pongs++;
}

/* SPEC: a failure-based module-down is confirmed by up to 2 re-pings on main; a restart-based one is not. */
void pm_module_down(struct decide *d, bool from_restarts)
{
	struct decide_pm *pm = &d->pm;

	mm_stop(d);
	if (pm->phase == PM_DIAGNOSE) {
		/* The running diagnosis began before it: confirm it once that one is done (SPEC). */
		pm->md_pending = true;
		pm->md_pending_restarts |= from_restarts;
		return;
	}
	if (from_restarts || !d->conn[CONN_MAIN].open) {
		pm->module_down = true;
		pm->phase = PM_IDLE;
		pm_diagnose(d,
		    from_restarts ? "module restarts"
		                  : "module-down (main closed: no confirmation)");
		return;
	}
	drop_pings(pm);
	pm->phase = PM_CONFIRM;
	pm->confirm_left = 2;
	out_record(d, REC_MONITOR, "module-down: sending up to 2 module pings on main to confirm");
	confirm_send(d);
}

bool pm_on_confirm_pong(struct decide *d, const struct vg_event *ev)
{
	struct decide_pm *pm = &d->pm;

	if (pm->phase != PM_CONFIRM || ev->seq != pm->confirm_seq)
		return false;
	conn_mark_up(d, ev->conn);
	if (ev->flag) {
		/* Only an answer with the last known PID cancels (SPEC); a rejected check proves nothing. */
		confirm_failed(d, "the primary could not run the check");
		return true;
	}
	if (ev->pid <= 0) {
		confirm_failed(d, "the primary says the module is not running");
		return true;
	}
	if (ev->pid == d->mm.last_pid) {
		out_record(d, REC_MONITOR,
		    "module answered the confirmation ping: module-down cancelled");
		resume(d);
		return true;
	}
	/* A new PID: a restart; it may itself make module-down (then the diagnosis is already running). */
	pm->phase = PM_IDLE;
	if (mm_note_pid(d, ev->pid))
		resume(d);
	return true;
}

void pm_diagnose(struct decide *d, const char *why)
{
	struct decide_pm *pm = &d->pm;

	if (!is_watching(d->state))
		return;
	if (pm->phase == PM_DIAGNOSE) {
		pm->diag_again = true;
		return;
	}
	if (pm->phase == PM_CONFIRM)
		return; /* the confirmation ends in a diagnosis anyway */
	drop_pings(pm);
	pm->phase = PM_DIAGNOSE;
	pm->held = false;
	pm->diag_id = next_id(d);
	pm->diag_deadline_ms = d->now_ms + 2ull * d->p.nettest_timeout_ms + 1000;
	d->counters.diagnoses++;
	if (d->state != ST_RECONNECTING && !d->alerted)
		out_record(d, REC_MONITOR, "diagnosis starts: %s", why);
	out_action(d, ACT_DIAGNOSE, CONN_MAIN, 0, pm->diag_id);
}

static bool dial_in_flight(const struct decide *d, uint64_t *ret_until)
{
	bool any = false;

	*ret_until = 0;
	for (int c = 0; c < CONN_COUNT; c++) {
		uint64_t until = d->conn[c].dial_started_ms + d->p.nettest_timeout_ms;

		if (d->conn[c].dialing && until > d->now_ms) {
			any = true;
			if (until > *ret_until)
				*ret_until = until;
		}
	}
	return any;
}

static void redial_stalled(struct decide *d)
{
	for (int c = 0; c < CONN_COUNT; c++)
		if (d->conn[c].open && !d->conn[c].up)
			conn_redial(d, c);
}

static bool same_snapshot(const struct vg_diag_snapshot *a, const struct vg_diag_snapshot *b)
{
	return a->valid == b->valid && a->main_up == b->main_up && a->aux_up == b->aux_up &&
	    a->carrier_lost_all == b->carrier_lost_all && a->net == b->net &&
	    a->primary == b->primary && a->module_down_confirmed == b->module_down_confirmed;
}

static void classify_now(struct decide *d)
{
	struct decide_pm *pm = &d->pm;
	struct vg_diag_snapshot s = d->pm_result;
	enum vg_verdict v;
	struct vg_record *r = NULL;

	s.main_up = d->conn[CONN_MAIN].up;
	s.aux_up = d->conn[CONN_AUX].up;
	s.carrier_lost_all = (d->carrier_lost_mask & 3) == 3;
	v = decide_classify(&s);
	if ((d->state != ST_RECONNECTING && !d->alerted) || !same_snapshot(&s, &d->diag))
		r = out_record_ex(d, REC_DIAGNOSIS,
		    "diagnosis: main %s, aux %s, network %s, primary host %s%s -> %s",
		    s.main_up ? "up" : "down", s.aux_up ? "up" : "down",
		    decide_netstatus_name(s.net), decide_reach_name(s.primary),
		    s.module_down_confirmed ? ", module-down confirmed" : "",
		    decide_verdict_name(v));
	if (r != NULL) {
		r->diag = s;
		r->verdict = v;
	}
	d->diag = s;
	pm->module_down = false;
	pm->held = false;
	pm->phase = PM_IDLE;
	if (v == VERDICT_NONE)
		resume(d);
	else
		rule_post(d, v);
	/* A withheld switch leaves the node watching: monitoring goes on (SPEC "manual mode"). */
	if (is_watching(d->state) && pm->phase == PM_IDLE)
		resume(d);
	if (is_watching(d->state) && pm->md_pending && pm->phase != PM_DIAGNOSE) {
		bool restarts = pm->md_pending_restarts;

		pm->md_pending = pm->md_pending_restarts = false;
		pm_module_down(d, restarts);
		return;
	}
	/* SPEC: the module monitor runs while a connection is up, in reconnecting too. */
	if (is_watching(d->state) && any_conn_up(d) && !d->mm.running && pm->phase != PM_CONFIRM)
		mm_start(d);
	if (pm->diag_again && is_watching(d->state)) {
		pm->diag_again = false;
		pm_diagnose(d, "asked again while diagnosing");
	}
}

void pm_on_diag(struct decide *d, const struct vg_event *ev)
{
	struct decide_pm *pm = &d->pm;
	uint64_t until;

	if (pm->phase != PM_DIAGNOSE || pm->held || ev->id != pm->diag_id) {
		d->counters.stale_results++;
		return;
	}
	d->pm_result = (struct vg_diag_snapshot){
		.valid = true,
		.net = decide_netstatus(&ev->diag),
		.primary = ev->diag.primary_answered ? REACH_REACHED : REACH_UNREACHABLE,
		.module_down_confirmed = pm->module_down,
	};
	/* The host answers but no connection is up: a stalled connection is never waited for, re-dial it
	 * now; a re-dial in flight gets nettest_timeout before "no connection" may count as notifier-down. */
	if (ev->diag.primary_answered && !any_conn_up(d))
		redial_stalled(d);
	if (ev->diag.primary_answered && !any_conn_up(d) && dial_in_flight(d, &until)) {
		pm->held = true;
		pm->held_until_ms = until;
		return;
	}
	classify_now(d);
}

/* The set of connections that are up changed. */
void pm_conn_changed(struct decide *d)
{
	if (!is_watching(d->state))
		return;
	if (!any_conn_up(d)) {
		/* SPEC: the module monitor runs only while a connection is up. */
		if (d->mm.running)
			out_record(d, REC_MODULE, "module monitor stops: no connection up");
		mm_stop(d);
		return;
	}
	if (d->pm.held) {
		classify_now(d);
		return;
	}
	/* SPEC: when a connection comes up the module monitor pings at once (it was stopped with none up). */
	if (!d->mm.running && d->pm.phase != PM_CONFIRM && !d->pm.md_pending)
		mm_start(d);
	if (reconnect_mode(d)) {
		/* SPEC "reconnecting": a connection up stops the timer and the sets; the module monitor pings at once. */
		rule_stop(d);
		if (d->verdict != VERDICT_MODULE_DOWN)
			d->switch_pending = false;
		mm_ping_now(d);
	}
}
