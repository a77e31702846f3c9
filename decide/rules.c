/* rules.c: the verdict in force and the one rule that may switch for it (SPEC "reconnecting"). */
#include "internal.h"

static enum vg_reason reason_of(enum vg_verdict v)
{
	switch (v) {
	case VERDICT_MODULE_DOWN:
		return REASON_MODULE_DOWN;
	case VERDICT_NOTIFIER_DOWN:
		return REASON_NOTIFIER_DOWN;
	case VERDICT_PRIMARY_UNREACHABLE:
		return REASON_PRIMARY_UNREACHABLE;
	default:
		return REASON_NONE;
	}
}

/* Watching with a fault verdict: the reconnecting rules apply (upgrade states keep their name). */
bool reconnect_mode(const struct decide *d)
{
	if (d->state == ST_RECONNECTING)
		return true;
	return is_upgrade(d->state) && d->verdict != VERDICT_NONE &&
	    d->verdict != VERDICT_MODULE_DOWN;
}

bool node_ready(const struct decide *d)
{
	return d->hello_seen && d->module_answered && (!d->p.has_local_check || d->local_ok);
}

void rule_stop(struct decide *d)
{
	d->rule_running = false;
	d->switch_due_ms = NEVER;
	d->next_set_ms = NEVER;
	d->set_outstanding = false;
	d->set_deadline_ms = NEVER;
}

void rule_clear(struct decide *d)
{
	rule_stop(d);
	d->verdict = VERDICT_NONE;
	d->switch_pending = false;
	d->alerted = false;
}

/* Start the verdict's timer or sets from zero, unless they run or a connection up stops them. */
void rule_start(struct decide *d)
{
	if (d->rule_running || any_conn_up(d))
		return;
	d->rule_running = true;
	d->rule_start_ms = d->now_ms;
	switch (d->verdict) {
	case VERDICT_NOTIFIER_DOWN:
		d->switch_due_ms = d->now_ms + d->p.reconnect_timeout_ms;
		out_record(d, REC_MONITOR,
		    "reconnect timer: switch in %u ms unless a connection comes up",
		    d->p.reconnect_timeout_ms);
		break;
	case VERDICT_PRIMARY_UNREACHABLE:
		d->sets_total = decide_ping_sets(d->p.unreachable_ping_count);
		d->sets_done = 0;
		d->next_set_ms = d->now_ms + d->p.unreachable_ping_delay_ms;
		if (d->sets_total < 0)
			out_record(d, REC_MONITOR,
			    "ping sets every %u ms, without end: never switch",
			    d->p.unreachable_ping_delay_ms);
		else
			out_record(d, REC_MONITOR,
			    "%d ping sets, one every %u ms; switch if the last goes unanswered",
			    d->sets_total, d->p.unreachable_ping_delay_ms);
		break;
	default:
		break;
	}
}

void rule_post(struct decide *d, enum vg_verdict v)
{
	struct vg_record *r = NULL;
	bool fresh = v != d->verdict;

	d->last_verdict = v;
	d->last_verdict_ms = d->now_ms;
	/* The same verdict again: journaled unless it only repeats one already withheld and alerted. */
	if (fresh || (!reconnect_mode(d) && !d->alerted))
		r = out_record_ex(d, REC_VERDICT, "verdict %s", decide_verdict_name(v));
	if (r != NULL) {
		r->verdict = v;
		r->diag = d->diag;
	}
	if (fresh) {
		/* Another verdict replaces the rule: its timer or sets start from zero. */
		rule_stop(d);
		d->verdict = v;
		d->alerted = false;
		d->switch_pending = false;
	}
	if (v == VERDICT_MODULE_DOWN) {
		fsm_post(d, FE_MODULE_DOWN);
		return;
	}
	if (fresh && v == VERDICT_NETWORK_DOWN) {
		r = out_record_ex(d, REC_HOLD,
		    "network-down: this node is cut off; holding, never switching");
		if (r != NULL) {
			r->verdict = v;
			r->diag = d->diag;
		}
	}
	fsm_post(d, FE_FAULT);
}

uint64_t rule_deadline(const struct decide *d)
{
	uint64_t t = d->switch_due_ms;

	if (!is_watching(d->state))
		return NEVER;
	if (d->next_set_ms < t)
		t = d->next_set_ms;
	if (d->set_outstanding && d->set_deadline_ms < t)
		t = d->set_deadline_ms;
	return t;
}

static void send_set(struct decide *d)
{
	d->next_set_ms = NEVER;
	d->set_outstanding = true;
	d->set_id = next_id(d);
	d->set_deadline_ms = d->now_ms + 2ull * d->p.nettest_timeout_ms + 1000;
	out_action(d, ACT_PING_SET, CONN_MAIN, 0, d->set_id);
}

static void set_unanswered(struct decide *d)
{
	d->set_outstanding = false;
	d->sets_done++;
	if (d->sets_total > 0 && d->sets_done >= d->sets_total) {
		out_record(d, REC_MONITOR,
		    "ping set %d/%d unanswered: the primary stays unreachable", d->sets_done,
		    d->sets_total);
		fsm_post(d, FE_SWITCH_DUE);
		return;
	}
	/* Set k starts k x delay after the verdict (SPEC "Ping sets"). */
	d->next_set_ms =
	    d->rule_start_ms + (uint64_t)(d->sets_done + 1) * d->p.unreachable_ping_delay_ms;
}

void rule_timers(struct decide *d)
{
	if (!is_watching(d->state))
		return;
	if (d->switch_due_ms <= d->now_ms) {
		/* rule_running stays true: the same verdict again does not restart a rule that has fired. */
		d->switch_due_ms = NEVER;
		out_record(d, REC_MONITOR, "reconnect timer ran out after %u ms",
		    d->p.reconnect_timeout_ms);
		fsm_post(d, FE_SWITCH_DUE);
	}
	if (d->next_set_ms <= d->now_ms)
		send_set(d);
	if (d->set_outstanding && d->set_deadline_ms <= d->now_ms) {
		/* No result at all (the prober refused it): a set that never ran is not unanswered. */
		d->counters.stale_results++;
		send_set(d);
	}
}

void rule_on_pingset(struct decide *d, const struct vg_event *ev)
{
	if (!d->set_outstanding || ev->id != d->set_id) {
		d->counters.stale_results++;
		return;
	}
	if (!ev->flag) {
		set_unanswered(d);
		return;
	}
	/* An answered set ends the verdict's sets and starts a fresh diagnosis at once. */
	d->set_outstanding = false;
	out_record(d, REC_MONITOR, "ping set answered: the primary host is back; diagnosing");
	rule_stop(d);
	pm_diagnose(d, "ping set answered");
}

static void note_withheld(struct decide *d, enum vg_reason reason, const char *why)
{
	struct vg_record *r;

	r = out_record_ex(d, REC_WITHHELD, "switch for %s %s", decide_verdict_name(d->verdict),
	    why);
	if (r != NULL) {
		r->verdict = d->verdict;
		r->reason = reason;
		r->diag = d->diag;
	}
}

static void withhold(struct decide *d, enum vg_reason reason, const char *why)
{
	struct vg_action *a;

	if (d->alerted) {
		d->counters.withheld_repeats++; /* journaled and alerted once per verdict */
		return;
	}
	note_withheld(d, reason, why);
	d->alerted = true;
	a = out_action_ex(d, ACT_ALERT);
	a->verdict = d->verdict;
	a->reason = reason;
}

/* An automatic switch trigger: switch now, or say why not (SPEC "manual mode and upgrade states", "backup"). */
void rule_try_switch(struct decide *d, enum vg_reason reason)
{
	if (d->verdict == VERDICT_NETWORK_DOWN || d->verdict == VERDICT_NONE)
		return; /* never switch on network-down, nor without a verdict in force */
	if (is_upgrade(d->state)) {
		withhold(d, reason,
		    "withheld: upgrade state: manual switch only (vigilctl switch --force)");
		return;
	}
	if (d->p.manual) {
		withhold(d, reason, "withheld: mode manual: only vigilctl switch switches");
		return;
	}
	if (d->in_drill && !d->drill_live) {
		withhold(d, reason, "withheld: drill: the verdict is recorded, no switch");
		return;
	}
	if (!node_ready(d)) {
		d->switch_pending = true;
		d->pending_reason = reason;
		note_withheld(d, reason,
		    !d->hello_seen || !d->module_answered ? "waits: start-up not complete"
		                                          : "waits: local_check fails");
		return;
	}
	promote(d, d->in_drill ? REASON_DRILL : reason);
}

void rule_check_ready(struct decide *d)
{
	if (!d->switch_pending || !node_ready(d) || !is_watching(d->state))
		return;
	d->switch_pending = false;
	if (d->verdict != VERDICT_NONE)
		rule_try_switch(d, d->pending_reason);
}

/* A module pong with a PID on a connection that is up: the verdict in force ends (SPEC "verdict"). */
void rule_module_ok(struct decide *d)
{
	if (d->verdict == VERDICT_NONE || !is_watching(d->state))
		return;
	fsm_post(d, FE_RECOVERED);
}

enum vg_reason rule_reason(const struct decide *d)
{
	return reason_of(d->verdict);
}
