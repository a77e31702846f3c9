/* sim.c: vigilctl simulate's engine: the real decision core as the backup, a simulated pair around it, a virtual clock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

/*
 * The run (SPEC "Command line", simulate):
 * - t = 0: EV_START, both connections dialled; every message of this start-up exchange is
 *   instant and lossless, so at t = 0 the pair is steady: connections up, a notifier pong and a
 *   module pong (PID 1000) just received.
 * - Then a discrete-event loop in virtual ms: the next pending item (a message arriving, a
 *   probe result, the fault starting or healing) or the core's next deadline (EV_TICK),
 *   whichever is first; at the same ms items go first, in the order they were queued.
 * - It ends 60 s after the later of the heal and the first decision (switch or network-down
 *   hold), leaving out whichever does not happen; with neither at 2 h; never after 2 h.
 */

/* The core's state through its public status, as vigilctl status would see it. */
enum vg_state sim_core_state(const struct sim *s)
{
	struct decide_status st;

	decide_status(&s->core, s->now_ms, &st);
	return st.state;
}

static enum vg_reason core_last_switch(const struct sim *s)
{
	struct decide_status st;

	decide_status(&s->core, s->now_ms, &st);
	return st.last_switch;
}

static void note_decision(struct sim *s)
{
	if (!s->fault_started || s->decided)
		return;
	s->decided = true;
	s->decision_at_ms = s->now_ms;
}

static void note_switch(struct sim *s, enum vg_reason reason)
{
	if (s->r.switch_reason == REASON_NONE)
		s->r.switch_reason = reason;
	if (s->switched)
		return;
	s->switched = true;
	s->r.switch_at_ms = s->now_ms;
	note_decision(s);
}

static void note_record(struct sim *s, const struct vg_record *rec)
{
	bool after = s->fault_started;

	if (rec->kind == REC_VERDICT && after && rec->verdict != VERDICT_NONE &&
	    s->r.verdict == VERDICT_NONE) {
		s->r.verdict = rec->verdict;
		s->r.verdict_at_ms = s->now_ms;
	}
	if (rec->kind == REC_SWITCH || (rec->kind == REC_TRANSITION && rec->state == ST_PRIMARY))
		note_switch(s, rec->reason);
	if (rec->kind == REC_HOLD)
		note_decision(s);
	if (rec->kind == REC_WITHHELD && after)
		snprintf(s->r.withheld, sizeof s->r.withheld, "%s", rec->text);
	sim_timeline_record(s, rec);
}

/* One decide_step: records into the timeline, actions into the simulated world. */
static void sim_step(struct sim *s, const struct vg_event *ev)
{
	size_t n;

	s->out = (struct decide_out){ 0 };
	decide_step(&s->core, ev, s->now_ms, &s->out);
	s->r.core_dropped += s->out.dropped;
	n = s->out.n_records < DECIDE_MAX_RECORDS ? s->out.n_records : DECIDE_MAX_RECORDS;
	for (size_t i = 0; i < n; i++)
		note_record(s, &s->out.records[i]);
	sim_backup_actions(s);
	s->deadline_ms = s->out.next_deadline_ms;
	if (sim_core_state(s) == ST_PRIMARY)
		note_switch(s, core_last_switch(s));
}

static void sim_tick(struct sim *s)
{
	struct vg_event tick = { .type = EV_TICK };

	sim_step(s, &tick);
	if (s->deadline_ms <= s->now_ms) {
		/* a deadline that does not move would spin forever: count it, step on */
		s->r.stuck_ticks++;
		s->deadline_ms = s->now_ms + 1;
	}
}

static void carrier(struct sim *s, uint8_t mask)
{
	struct vg_event ev = { .type = EV_CARRIER, .carrier_lost_mask = mask };

	/* vigild watches carrier only with carrier_watch = yes (SPEC [network]) */
	if (s->p.carrier_watch)
		sim_local(s, s->now_ms, &ev);
}

static void fault_start(struct sim *s)
{
	char text[SIM_EVENT_TEXT];

	s->fault_started = true;
	if (s->o.fault == FAULT_NONE)
		snprintf(text, sizeof text, "fault none: nothing injected, watching");
	else
		snprintf(text, sizeof text, "fault %s starts", sim_fault_name(s->o.fault));
	sim_timeline_add(s, s->now_ms, text, sim_core_state(s), false);
	sim_primary_fault(s);
	if (s->o.fault == FAULT_BACKUP_ISOLATE)
		carrier(s, 1u << CONN_MAIN | 1u << CONN_AUX);
}

static void fault_heal(struct sim *s)
{
	if (s->o.fault == FAULT_NONE)
		return;
	sim_timeline_add(s, s->now_ms, "fault heals", sim_core_state(s), false);
	sim_primary_heal(s);
	if (s->o.fault == FAULT_BACKUP_ISOLATE)
		carrier(s, 0);
}

static void dispatch_next(struct sim *s)
{
	struct sim_item it;

	if (!sim_queue_pop(&s->q, &it))
		return;
	switch (it.kind) {
	case ITEM_FAULT:
		fault_start(s);
		break;
	case ITEM_HEAL:
		fault_heal(s);
		break;
	case ITEM_TO_PRIMARY:
		sim_primary_receive(s, &it);
		break;
	case ITEM_PRIMARY_TX:
		sim_primary_late(s, &it);
		break;
	case ITEM_TO_BACKUP:
		if (sim_backup_receive(s, &it))
			sim_step(s, &it.ev);
		break;
	case ITEM_LOCAL:
		sim_step(s, &it.ev);
		break;
	}
}

/* Pending items go before the core's tick at the same ms. */
static void advance(struct sim *s)
{
	uint64_t tq = sim_queue_next_ms(&s->q);

	if (tq <= s->deadline_ms) {
		s->now_ms = tq > s->now_ms ? tq : s->now_ms;
		dispatch_next(s);
	} else {
		s->now_ms = s->deadline_ms > s->now_ms ? s->deadline_ms : s->now_ms;
		sim_tick(s);
	}
}

static void push_marker(struct sim *s, enum sim_item_kind kind, uint64_t t_ms)
{
	struct sim_item it = { .t_ms = t_ms, .kind = kind };

	if (t_ms <= SIM_END_MAX_MS)
		sim_queue_push(s, &it);
}

/* EV_START and the start-up exchange, instant and lossless; then the fault is scheduled. */
static void sim_setup(struct sim *s)
{
	struct vg_event start = { .type = EV_START, .generation = SIM_GENERATION };

	s->setup = true;
	sim_step(s, &start);
	for (int c = 0; c < CONN_COUNT; c++) {
		if (s->conn[c].state == SC_CLOSED)
			sim_backup_dial(s,
			    (enum vg_conn)c); /* the pair was connected before t = 0 */
	}
	for (int n = 0; n < SIM_SETUP_STEPS && s->err == 0; n++) {
		if (sim_queue_next_ms(&s->q) != 0 && s->deadline_ms != 0)
			break;
		advance(s);
	}
	s->setup = false;
	push_marker(s, ITEM_FAULT, s->o.at_ms);
	if (s->o.heals)
		push_marker(s, ITEM_HEAL, s->o.at_ms + s->o.for_ms);
}

/* SPEC: 60 s after the later of the heal and the first decision, leaving out whichever does not happen. */
static uint64_t end_ms(const struct sim *s)
{
	uint64_t last = 0;
	bool any = false;

	if (s->o.heals) {
		last = s->o.at_ms + s->o.for_ms;
		any = true;
	}
	if (s->decided) {
		last = s->decision_at_ms > last ? s->decision_at_ms : last;
		any = true;
	}
	if (!any || last + SIM_TAIL_MS > SIM_END_MAX_MS)
		return SIM_END_MAX_MS;
	return last + SIM_TAIL_MS;
}

static void sim_loop(struct sim *s)
{
	while (s->err == 0) {
		uint64_t tq = sim_queue_next_ms(&s->q);
		uint64_t t = tq < s->deadline_ms ? tq : s->deadline_ms;
		uint64_t end = end_ms(s);

		if (t > end) {
			s->now_ms = end > s->now_ms ? end : s->now_ms;
			return;
		}
		advance(s);
	}
}

static void sim_init(struct sim *s, const struct decide_params *p, const struct sim_opts *o)
{
	s->p = *p;
	s->o = *o;
	s->rng = o->seed;
	s->pid = SIM_PID_FIRST;
	s->pid_next = SIM_PID_FIRST + 1;
	s->peer_state = ST_PRIMARY;
	s->deadline_ms = SIM_NEVER;
	for (int c = 0; c < CONN_COUNT; c++)
		s->conn[c].stalled_ms = SIM_NEVER;
	s->r.fault = o->fault;
	s->r.at_ms = o->at_ms;
	s->r.params = *p;
	decide_init(&s->core, p);
}

static void sim_finish(struct sim *s, struct sim_result *ret)
{
	sim_timeline_flush(s);
	s->r.switched = s->switched;
	s->r.decided = s->decided;
	s->r.decision_ms = s->decided ? s->decision_at_ms - s->o.at_ms : 0;
	s->r.state = sim_core_state(s);
	s->r.end_ms = s->now_ms;
	*ret = s->r;
	s->r = (struct sim_result){ 0 };
}

int sim_run(const struct decide_params *p, const struct sim_opts *o, struct sim_result *ret)
{
	struct sim *s;
	int rc;

	if ((unsigned)o->fault >= FAULT_COUNT || o->loss_pct > 100)
		return -EINVAL;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return -ENOMEM;
	sim_init(s, p, o);
	sim_setup(s);
	sim_loop(s);
	rc = s->err;
	if (rc == 0)
		sim_finish(s, ret);
	sim_result_free(&s->r);
	sim_queue_free(&s->q);
	free(s);
	return rc;
}

void sim_result_free(struct sim_result *r)
{
	free(r->lines);
	r->lines = NULL;
	r->n_lines = 0;
	r->cap_lines = 0;
}
