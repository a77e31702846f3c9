/* core.c: drive the pure decision core from the loop: one event in, its records journaled, its actions done. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "peer.h"
#include "store.h"

int64_t vigild_wall_ms(const struct vigild *v, uint64_t mono_ms)
{
	return (int64_t)mono_ms + v->wall_minus_mono_ms;
}

/* One journal line and one log line per record (STYLE 23). */
static void note_record(struct vigild *v, const struct vg_record *r)
{
	struct store_record sr;

	if (r->kind == REC_VERDICT && r->verdict != VERDICT_NONE)
		vigild_flight_keep(v); /* issue 5: the capture behind every verdict is kept */
	vigild_drill_observe(v, r);
	if (r->kind == REC_TRANSITION || r->kind == REC_SWITCH || r->kind == REC_VERDICT ||
	    r->kind == REC_HOLD || r->kind == REC_WITHHELD || r->kind == REC_COMMAND)
		log_info("%s", r->text);
	else
		log_debug("%s", r->text);
	if (v->store == NULL || store_record_from_decide(r, vigild_wall_ms(v, r->t_ms), &sr) != 0)
		return;
	if (store_journal_append(v->store, &sr, r->kind == REC_SWITCH ? STORE_SYNC : 0) != 0)
		v->counters.journal_errors++;
}

void vigild_journal(struct vigild *v, const char *kind, const char *fmt, ...)
{
	struct store_record sr = { .mono_ms = loop_now_ms(v->loop) };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sr.detail, sizeof(sr.detail), fmt, ap);
	va_end(ap);
	log_info("%s: %s", kind, sr.detail);
	snprintf(sr.kind, sizeof(sr.kind), "%s", kind);
	snprintf(sr.state, sizeof(sr.state), "%s", decide_state_name(v->core.state));
	store_time_format(vigild_wall_ms(v, sr.mono_ms), sr.time);
	if (v->store != NULL && store_journal_append(v->store, &sr, 0) != 0)
		v->counters.journal_errors++;
}

static void persist(struct vigild *v)
{
	if (v->store == NULL)
		return;
	/* SPEC: the generation is persisted (fsync'd) before commence; a failure is loud, never silent. */
	if (store_state_save(v->store, v->core.state, v->core.generation) != 0)
		vigild_journal(v, "error", "cannot persist state: %s", store_error(v->store));
}

static void send_seq(struct vigild *v, enum wire_msg_type type, enum vg_conn c, uint32_t seq)
{
	struct wire_msg m = { .type = type };

	if (type == WIRE_MSG_NOTIFIER_PING)
		m.notifier_ping.seq = seq;
	else
		m.module_ping.seq = seq;
	vigild_send(v, c, &m);
}

static void announce(struct vigild *v)
{
	struct wire_msg m = { .type = WIRE_MSG_STATE_ANNOUNCE };

	m.state_announce.state = v->core.state;
	m.state_announce.generation = v->core.generation;
	vigild_broadcast(v, &m);
}

static void switch_notice(struct vigild *v, enum wire_switch kind, enum vg_reason reason)
{
	struct wire_msg m = { .type = WIRE_MSG_SWITCH_NOTICE };

	m.switch_notice.kind = kind;
	m.switch_notice.reason = reason;
	vigild_broadcast(v, &m);
}

static void drain_msg(struct vigild *v, enum wire_msg_type type, bool force)
{
	struct wire_msg m = { .type = type };

	if (type == WIRE_MSG_DRAIN_REQUEST)
		m.drain_request.force = force;
	vigild_broadcast(v, &m);
}

static void dial(struct vigild *v, enum vg_conn c)
{
	struct vg_event ev = { .type = EV_CONN_LOST, .conn = c };

	v->out[c] = NULL;
	if (peer_dial(v->peer, c, &v->out[c]) == 0) {
		vigild_tag_aux(v, v->out[c],
		    c); /* SPEC "qos": the backup's side is tagged from the start */
		return;
	}
	v->out[c] = NULL;
	vigild_post(v, &ev); /* could not even start: the core re-dials later */
}

static void close_out(struct vigild *v, enum vg_conn c)
{
	if (v->out[c] != NULL)
		peer_close(v->peer, v->out[c]);
	v->out[c] = NULL;
}

static void do_action(struct vigild *v, const struct vg_action *a)
{
	switch (a->type) {
	case ACT_DIAL:
		dial(v, a->conn);
		break;
	case ACT_CLOSE:
		close_out(v, a->conn);
		break;
	case ACT_SEND_NOTIFIER_PING:
		send_seq(v, WIRE_MSG_NOTIFIER_PING, a->conn, a->seq);
		break;
	case ACT_SEND_MODULE_PING:
		send_seq(v, WIRE_MSG_MODULE_PING, a->conn, a->seq);
		break;
	case ACT_DIAGNOSE:
		vigild_diagnose(v, a->id, false);
		break;
	case ACT_PING_SET:
		vigild_diagnose(v, a->id, true);
		break;
	case ACT_ANNOUNCE:
		announce(v);
		break;
	case ACT_PERSIST:
		persist(v);
		break;
	case ACT_COMMENCE:
		switch_notice(v, WIRE_SWITCH_COMMENCE, a->reason);
		vigild_fence(v, false);
		vigild_vips(v, true);
		vigild_hook_run(v, HOOK_COMMENCE, a->reason);
		break;
	case ACT_DISCONTINUE:
		switch_notice(v, WIRE_SWITCH_DISCONTINUE, a->reason);
		vigild_vips(v, false);
		v->module_drill_until_ms = 0; /* a module drill ends with the role */
		vigild_hook_run(v, HOOK_DISCONTINUE, a->reason);
		break;
	case ACT_FENCE:
		vigild_fence(v, a->flag);
		break;
	case ACT_RUN_DRAIN:
		vigild_hook_run(v, HOOK_DRAIN, REASON_HANDOVER);
		break;
	case ACT_SEND_DRAIN_REQ:
		drain_msg(v, WIRE_MSG_DRAIN_REQUEST, a->flag);
		break;
	case ACT_SEND_DRAIN_DONE:
		drain_msg(v, WIRE_MSG_DRAIN_DONE, false);
		break;
	case ACT_RUN_SYNC_CHECK:
		vigild_hook_run(v, HOOK_SYNC_CHECK, REASON_NONE);
		break;
	case ACT_RUN_LOCAL_CHECK:
		vigild_local_check(v);
		break;
	case ACT_ALERT:
		log_warnx("alert: automatic switch for %s withheld",
		    decide_verdict_name(a->verdict));
		break;
	default:
		break;
	}
}

static void core_timer_fired(void *arg)
{
	vigild_post_type(arg, EV_TICK);
}

/* Re-entrancy: an action may complete at once and post again; queue such events and run them in order. */
#define PENDING_MAX 64
static struct vg_event pending[PENDING_MAX];
static size_t n_pending;
static bool stepping;

static void step_one(struct vigild *v, const struct vg_event *ev)
{
	struct decide_out copy;

	decide_step(&v->core, ev, loop_now_ms(v->loop), &copy);
	if (ev->type == EV_CMD_SWITCH || ev->type == EV_CMD_HANDOVER || ev->type == EV_CMD_REJOIN) {
		v->cmd_status = copy.cmd_status;
		snprintf(v->cmd_msg, sizeof(v->cmd_msg), "%s", copy.cmd_msg);
	}
	for (size_t i = 0; i < copy.n_records; i++)
		note_record(v, &copy.records[i]);
	if (copy.dropped)
		v->counters.records_dropped += copy.dropped;
	for (size_t i = 0; i < copy.n_actions; i++)
		do_action(v, &copy.actions[i]);
	if (v->core_timer == NULL)
		v->core_timer = loop_timer_new(v->loop, core_timer_fired, v);
	if (v->core_timer != NULL)
		loop_timer_at(v->core_timer,
		    copy.next_deadline_ms == DECIDE_NO_DEADLINE ? LOOP_NEVER
		                                                : copy.next_deadline_ms);
	vigild_peer_hello_update(v);
}

void vigild_post(struct vigild *v, const struct vg_event *ev)
{
	if (stepping) {
		if (n_pending < PENDING_MAX) {
			pending[n_pending++] = *ev;
		} else {
			v->counters
			    .events_dropped++; /* a bug: the queue holds twice a step's actions */
			log_warnx("event queue full: event %d dropped", ev->type);
		}
		return;
	}
	stepping = true;
	step_one(v, ev);
	for (size_t i = 0; i < n_pending; i++)
		step_one(v, &pending[i]);
	n_pending = 0;
	stepping = false;
}

void vigild_post_type(struct vigild *v, enum vg_event_type type)
{
	struct vg_event ev = { .type = type };

	vigild_post(v, &ev);
}
