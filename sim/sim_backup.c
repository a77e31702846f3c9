/* sim_backup.c: the backup's side of the peer link, and what the core's actions do in the simulated world. */
#include "sim_int.h"

/*
 * ACT_DIAL: close what is there and open a new connection. The hello comes back after one
 * rtt when the path and the primary's vigild are up; a reset after one rtt when only the host
 * is (connection refused). A dial into a cut never completes and no connect timeout is
 * simulated: the core re-dials every notifier_reconnect_delay and never waits for a stalled
 * connection (SPEC "reconnecting"), long before a kernel's connect timeout would fire.
 */
void sim_backup_dial(struct sim *s, enum vg_conn c)
{
	struct sim_conn *k = &s->conn[c];
	struct sim_item it = { .msg = MSG_DIAL };

	*k = (struct sim_conn){ .epoch = k->epoch + 1,
		.state = SC_DIALING,
		.stalled_ms = SIM_NEVER };
	it.epoch = k->epoch;
	it.ev.conn = c;
	sim_link_send(s, DIR_TO_PRIMARY, s->now_ms, &it);
}

static void backup_close(struct sim *s, enum vg_conn c)
{
	struct sim_conn *k = &s->conn[c];

	*k =
	    (struct sim_conn){ .epoch = k->epoch + 1, .state = SC_CLOSED, .stalled_ms = SIM_NEVER };
}

/* A message on an open connection; on one that is not (yet) open it goes nowhere. */
static void backup_send(struct sim *s, enum vg_conn c, enum sim_msg msg, uint32_t seq)
{
	struct sim_conn *k = &s->conn[c];
	struct sim_item it = { .msg = msg, .epoch = k->epoch };

	if (k->state != SC_OPEN)
		return;
	it.ev.conn = c;
	it.ev.seq = seq;
	it.ev.peer.state = sim_core_state(s); /* what a state announcement says */
	sim_link_send(s, DIR_TO_PRIMARY, s->now_ms, &it);
}

/* A hook or check the core asked for: it succeeds at once (simulate runs no hooks). */
static void backup_hook(struct sim *s, enum vg_event_type type)
{
	struct vg_event ev = { .type = type, .flag = true };

	sim_local(s, s->now_ms, &ev);
}

static void backup_action(struct sim *s, const struct vg_action *a)
{
	switch (a->type) {
	case ACT_DIAL:
		sim_backup_dial(s, a->conn);
		break;
	case ACT_CLOSE:
		backup_close(s, a->conn);
		break;
	case ACT_SEND_NOTIFIER_PING:
		backup_send(s, a->conn, MSG_NOTIFIER_PING, a->seq);
		break;
	case ACT_SEND_MODULE_PING:
		backup_send(s, a->conn, MSG_MODULE_PING, a->seq);
		break;
	case ACT_ANNOUNCE:
		for (int c = 0; c < CONN_COUNT; c++)
			backup_send(s, (enum vg_conn)c, MSG_ANNOUNCE, 0);
		break;
	case ACT_DIAGNOSE:
		sim_diagnose(s, a->id);
		break;
	case ACT_PING_SET:
		sim_ping_set(s, a->id);
		break;
	case ACT_RUN_DRAIN:
		backup_hook(s, EV_DRAIN_DONE);
		break;
	case ACT_RUN_SYNC_CHECK:
		backup_hook(s, EV_SYNC);
		break;
	case ACT_RUN_LOCAL_CHECK:
		backup_hook(s, EV_LOCAL_CHECK);
		break;
	default:
		break; /* persist, commence, discontinue, fence, alert, drain messages: nothing to simulate */
	}
}

/* Carry out the actions of the core's last step, in order. */
void sim_backup_actions(struct sim *s)
{
	size_t n = s->out.n_actions;

	if (n > DECIDE_MAX_ACTIONS)
		n = DECIDE_MAX_ACTIONS;
	for (size_t i = 0; i < n; i++) {
		const struct vg_action *a = &s->out.actions[i];

		if ((unsigned)a->conn < CONN_COUNT)
			backup_action(s, a);
	}
}

/* A peer-link message reached the backup: true when the core is to see it. */
bool sim_backup_receive(struct sim *s, const struct sim_item *it)
{
	struct sim_conn *k = &s->conn[it->ev.conn];

	if (it->epoch != k->epoch || k->state == SC_CLOSED)
		return false; /* the backup closed or re-dialled that connection meanwhile */
	if (it->ev.type == EV_CONN_UP)
		k->state = SC_OPEN;
	if (it->ev.type == EV_CONN_LOST)
		k->state = SC_CLOSED;
	return true;
}
