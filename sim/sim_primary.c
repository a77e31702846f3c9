/* sim_primary.c: the simulated primary's vigild: hellos, notifier and module pongs, exit watch, resets. */
#include "sim_int.h"

static bool vigild_alive(const struct sim *s)
{
	return !(s->o.fault == FAULT_NOTIFIER_KILL && sim_fault_active(s, s->now_ms));
}

static bool fault_now(const struct sim *s, enum sim_fault f)
{
	return s->o.fault == f && sim_fault_active(s, s->now_ms);
}

/* What the primary's hello says: same software, same pair configuration, its state and generation. */
static struct vg_peer_info primary_facts(const struct sim *s)
{
	return (struct vg_peer_info){
		.state = s->peer_state,
		.generation = SIM_GENERATION,
		.version_cmp = 0,
		.config_match = true,
		.sync = SYNC_UNKNOWN,
		.module_responding = s->pid != 0,
	};
}

/* Send ev to the backup now on connection c, instance epoch. */
static void primary_send(struct sim *s, enum vg_conn c, uint32_t epoch, const struct vg_event *ev)
{
	struct sim_item it = { .epoch = epoch, .ev = *ev };

	it.ev.conn = c;
	sim_link_send(s, DIR_TO_BACKUP, s->now_ms, &it);
}

/* A dial: the hello when vigild runs, a reset (connection refused) when only the host is up. */
static void primary_accept(struct sim *s, const struct sim_item *it)
{
	struct vg_event ev = { .type = EV_CONN_LOST };

	if (vigild_alive(s)) {
		s->conn[it->ev.conn].primary_open = true;
		ev.type = EV_CONN_UP;
		ev.generation = SIM_GENERATION;
		ev.peer = primary_facts(s);
	}
	primary_send(s, it->ev.conn, it->epoch, &ev);
}

/*
 * One module check per module ping, never cached (SPEC [module]). A hung check never returns:
 * vigild answers "not running" when its own check times out, module.timeout after the ping
 * came, just after the backup stopped waiting. A flapping module has a new PID at every check.
 */
static void primary_module_ping(struct sim *s, const struct sim_item *it)
{
	struct vg_event ev = { .type = EV_MODULE_PONG, .seq = it->ev.seq };

	if (fault_now(s, FAULT_MODULE_HANG)) {
		struct sim_item late = {
			.t_ms = s->now_ms + s->p.module_timeout_ms,
			.kind = ITEM_PRIMARY_TX,
			.epoch = it->epoch,
			.ev = ev,
		};

		late.ev.conn = it->ev.conn;
		sim_queue_push(s, &late);
		return;
	}
	if (fault_now(s, FAULT_MODULE_FLAP))
		s->pid = s->pid_next++;
	ev.pid = s->pid;
	primary_send(s, it->ev.conn, it->epoch, &ev);
}

/* A state announcement: a new primary with a higher generation wins island convergence. */
static void primary_announce(struct sim *s, const struct sim_item *it)
{
	if (!vigild_alive(s))
		return;
	if (it->ev.peer.state == ST_PRIMARY && s->peer_state == ST_PRIMARY)
		s->peer_state = ST_STALE;
}

void sim_primary_receive(struct sim *s, const struct sim_item *it)
{
	const struct sim_conn *k = &s->conn[it->ev.conn];
	struct vg_event pong = { .type = EV_NOTIFIER_PONG, .seq = it->ev.seq };

	if (it->msg == MSG_ANNOUNCE) {
		/* TCP delivers what was sent before a close: a new primary announces, then closes */
		primary_announce(s, it);
		return;
	}
	if (it->epoch != k->epoch)
		return; /* the backup closed that connection meanwhile */
	if (it->msg == MSG_DIAL) {
		primary_accept(s, it);
		return;
	}
	if (!k->primary_open)
		return; /* reset by the primary: its reset is already on the way */
	switch (it->msg) {
	case MSG_NOTIFIER_PING:
		primary_send(s, it->ev.conn, it->epoch, &pong);
		break;
	case MSG_MODULE_PING:
		primary_module_ping(s, it);
		break;
	default:
		break;
	}
}

/* The late answer of a hung check, on the connection the ping came on, if it is still there. */
void sim_primary_late(struct sim *s, const struct sim_item *it)
{
	const struct sim_conn *k = &s->conn[it->ev.conn];

	if (it->epoch == k->epoch && k->primary_open)
		primary_send(s, it->ev.conn, it->epoch, &it->ev);
}

/* Send ev on every connection the primary holds; a reset also closes its side. */
static void primary_broadcast(struct sim *s, const struct vg_event *ev)
{
	for (int c = 0; c < CONN_COUNT; c++) {
		struct sim_conn *k = &s->conn[c];

		if (!k->primary_open)
			continue;
		primary_send(s, (enum vg_conn)c, k->epoch, ev);
		if (ev->type == EV_CONN_LOST)
			k->primary_open = false;
	}
}

/* The fault starts on the primary's side (the cuts are in sim_net.c, the carrier in sim.c). */
void sim_primary_fault(struct sim *s)
{
	struct vg_event gone = { .type = EV_MODULE_GONE, .pid = s->pid };
	struct vg_event reset = { .type = EV_CONN_LOST };

	switch (s->o.fault) {
	case FAULT_MODULE_KILL:
		s->pid = 0;
		if (s->o.exit_watch && gone.pid != 0)
			primary_broadcast(s, &gone);
		break;
	case FAULT_NOTIFIER_KILL:
		primary_broadcast(s, &reset);
		break;
	default:
		break;
	}
}

/* The fault heals: a killed module comes back with a new PID; vigild accepts dials again by itself. */
void sim_primary_heal(struct sim *s)
{
	if (s->o.fault == FAULT_MODULE_KILL)
		s->pid = s->pid_next++;
}
