/* fuzz_decide.c: libFuzzer target for the decision core: an event script (faults, commands, peer messages, reloads, raw events) in a scripted world, checked against the SPEC's invariants (STYLE 32). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "decide.h"

#include "../unit/world.h" /* the unit tests' world: a primary that answers, a virtual clock */

/*
 * Input: byte 0 and 1 are the parameters (below), byte 2 the start (bits 0-1: persisted
 * generation, bit 2: persisted state stale, bit 3: the primary host down); then two-byte steps {op, arg}, op % OP_COUNT.
 * The world answers the core's dials, pings and probes as tests/unit/world.h does; the script
 * changes the world (WAN, host, vigild, NetTest, gateway, carrier, module), sends commands,
 * drills, peer messages, reloads and raw events, and lets time run.
 *
 * Invariants, each step (a violation aborts):
 * - world.h: the next deadline lies after now; no action or record dropped; no switch with
 *   network-down in force unless an operator asked for it (manual, handover).
 * - the generation never goes down, and a switch raises it;
 * - a switch for a verdict (module-down, notifier-down, primary-unreachable) carries that
 *   verdict, never in manual mode, an upgrade state or a drill that is not live; a drill switch
 *   only in a live drill; no switch while already primary;
 * - commence goes with a switch record and comes after its persist; discontinue only from
 *   primary;
 * - a world nothing was done to (time only) never switches nor alerts.
 */

enum op {
	OP_TIME,      /* arg: bits 0-6 + 1 units, bit 7: units of 1 s, else 10 ms */
	OP_PATH,      /* toggle: the WAN between the sites */
	OP_HOST,      /* toggle: the primary host answers ICMP */
	OP_VIGILD,    /* toggle: the primary's vigild answers */
	OP_NETTEST,   /* toggle: the NetTest hosts answer */
	OP_GATEWAY,   /* toggle: this node's gateway answers */
	OP_CARRIER,   /* arg & 3: carrier lost mask, reported as EV_CARRIER */
	OP_MODULE,    /* arg % 5: enum world_module */
	OP_COMMAND,   /* arg % 3: switch, handover, rejoin; bit 7: --force */
	OP_DRILL,     /* bit 0: start (bit 1: live) or end */
	OP_PEER,      /* the peer's facts change; a state announcement on conn bit 7 */
	OP_LOCAL,     /* arg % 3: route change, local_check (bit 7), sync_check (bit 7) */
	OP_PEER_MSG,  /* arg % 5: commence, drain request (bit 7: force), drain done, seen, gone */
	OP_CONN_LOST, /* arg & 1: the connection */
	OP_RELOAD,    /* new [module]/[monitor]/[network]/[hooks] parameters from arg */
	OP_RAW,       /* an event of any type but start, fields from the next 4 bytes */
	OP_COUNT,
};

/* Virtual time a script may take: enough for every timer, bounded so each input stays quick. */
#define SCRIPT_MAX_MS (20 * 60 * 1000)

static struct world W;

struct before {
	enum vg_state state;
	uint64_t generation;
	bool manual, in_drill, drill_live;
};

static bool tainted; /* something other than time happened */

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_decide: t=%llu state %s: invariant broken: %s\n",
		    (unsigned long long)W.now, decide_state_name(W.d.state), what);
		abort();
	}
}

static bool automatic(enum vg_reason r)
{
	return r == REASON_MODULE_DOWN || r == REASON_NOTIFIER_DOWN ||
	    r == REASON_PRIMARY_UNREACHABLE;
}

static enum vg_verdict verdict_of(enum vg_reason r)
{
	return r == REASON_MODULE_DOWN  ? VERDICT_MODULE_DOWN
	    : r == REASON_NOTIFIER_DOWN ? VERDICT_NOTIFIER_DOWN
	                                : VERDICT_PRIMARY_UNREACHABLE;
}

static void check_switch(const struct before *b, const struct vg_record *r)
{
	must(tainted, "a switch in a world nothing was done to");
	must(b->state != ST_PRIMARY, "a switch while already primary");
	must(W.d.generation > b->generation, "a switch without a higher generation");
	if (automatic(r->reason)) {
		must(r->verdict == verdict_of(r->reason),
		    "an automatic switch for another verdict");
		must(!b->manual, "an automatic switch in manual mode");
		must(b->state != ST_UPGRADE_HIGHER && b->state != ST_UPGRADE_LOWER,
		    "an automatic switch in an upgrade state");
		must(!b->in_drill, "an automatic switch in a drill");
	}
	if (r->reason == REASON_DRILL)
		must(b->in_drill && b->drill_live, "a drill switch outside a live drill");
}

static void check_step(const struct before *b, const struct vg_event *ev,
    const struct decide_out *out)
{
	size_t switches = 0, commences = 0;
	bool persisted = false;

	must((unsigned)W.d.state < ST_COUNT, "state in range");
	must(ev->type == EV_START || W.d.generation >= b->generation, "generation went down");
	for (size_t i = 0; i < out->n_records; i++) {
		const struct vg_record *r = &out->records[i];

		must((unsigned)r->kind < REC_COUNT && (unsigned)r->state < ST_COUNT,
		    "record in range");
		if (r->kind == REC_SWITCH) {
			switches++;
			check_switch(b, r);
		}
	}
	for (size_t i = 0; i < out->n_actions; i++) {
		const struct vg_action *a = &out->actions[i];

		must((unsigned)a->type < ACT_COUNT && (unsigned)a->conn < CONN_COUNT,
		    "action in range");
		persisted |= a->type == ACT_PERSIST;
		if (a->type == ACT_COMMENCE) {
			commences++;
			must(persisted, "commence before the new role is persisted");
		}
		if (a->type == ACT_DISCONTINUE)
			must(b->state == ST_PRIMARY, "discontinue while not primary");
		if (a->type == ACT_ALERT)
			must(tainted, "an alert in a world nothing was done to");
	}
	must(commences == switches, "commence without a switch record, or a switch without it");
}

static void step(const struct vg_event *ev)
{
	struct before b = { W.d.state, W.d.generation, W.d.p.manual, W.d.in_drill, W.d.drill_live };

	check_step(&b, ev, world_step(&W, ev));
}

/* world_run, with every step checked: what is due up to t_end, queued events before ticks. */
static void run_until(uint64_t t_end)
{
	for (;;) {
		size_t best = W.nq;
		uint64_t t = W.deadline;

		for (size_t i = 0; i < W.nq; i++)
			if (W.q[i].t <= t && (best == W.nq || W.q[i].t < W.q[best].t))
				best = i, t = W.q[i].t;
		if (t > t_end)
			break;
		W.now = t;
		if (best < W.nq) {
			struct vg_event ev = W.q[best].ev;

			W.q[best] = W.q[--W.nq];
			step(&ev);
		} else {
			step(&(struct vg_event){ .type = EV_TICK });
		}
	}
	W.now = t_end;
}

static void inject(struct vg_event ev)
{
	tainted = true;
	step(&ev);
}

/* Parameters: two profiles (examples/default, examples/fast) and the switches of vigil.conf. */
static void params_from(uint8_t b0, uint8_t b1, struct decide_params *p)
{
	static const int32_t sets[4] = { 0, -1, 1, 5 };

	decide_params_default(p);
	if (b1 & 0x80) { /* examples/fast */
		p->reconnect_delay_ms = 1000;
		p->module_timeout_ms = 1000;
		p->module_retry_delay_ms = 200;
		p->ping_delay_ms = 200;
		p->monitor_timeout_ms = 300;
		p->nettest_timeout_ms = 300;
		p->unreachable_ping_delay_ms = 1000;
		p->reconnect_timeout_ms = 3000;
	}
	p->role_a = b0 & 0x01;
	p->manual = b0 & 0x02;
	p->force_backup = b0 & 0x04;
	p->wait_peer = b0 & 0x08;
	p->gateway_ping = b0 & 0x10;
	p->has_nettest = b0 & 0x20;
	p->carrier_watch = b0 & 0x40;
	p->ping_on_aux = b0 & 0x80;
	p->has_local_check = b1 & 0x01;
	p->has_sync_check = b1 & 0x02;
	p->sync_check_interval_ms = p->has_sync_check ? 60000 : 0;
	p->unreachable_ping_count = sets[(b1 >> 2) & 3];
	if (b1 & 0x10)
		p->reconnect_timeout_ms = 0;
	if (b1 & 0x20)
		p->retry_count = 0;
}

static struct vg_peer_info peer_from(uint8_t arg)
{
	static const enum vg_state states[4] = { ST_PRIMARY, ST_BACKUP, ST_INIT, ST_STALE };

	W.peer_state = states[arg & 3];
	W.peer_generation += (arg >> 2) & 3;
	W.peer_version_cmp = (int)((arg >> 4) % 3) - 1;
	W.peer_sync = (arg & 0x40) ? SYNC_NOT_IN : SYNC_IN;
	return world_peer(&W);
}

static void op_command(uint8_t arg)
{
	static const enum vg_event_type cmds[3] = { EV_CMD_SWITCH, EV_CMD_HANDOVER, EV_CMD_REJOIN };

	inject((struct vg_event){ .type = cmds[arg % 3], .flag = arg & 0x80 });
}

static void op_local(uint8_t arg)
{
	static const enum vg_event_type evs[3] = { EV_ROUTE_CHANGE, EV_LOCAL_CHECK, EV_SYNC };

	inject((struct vg_event){ .type = evs[arg % 3], .flag = arg & 0x80 });
}

static void op_peer_msg(uint8_t arg)
{
	static const enum vg_event_type evs[5] = { EV_PEER_COMMENCE, EV_PEER_DRAIN_REQ,
		EV_PEER_DRAIN_DONE, EV_PEER_SEEN, EV_MODULE_GONE };

	inject((struct vg_event){ .type = evs[arg % 5],
	    .flag = arg & 0x80,
	    .pid = (arg & 0x40) ? W.pid : 1 });
}

/* A reload: decide keeps [node] and [peer] (SPEC "reload"), the world follows the rest. */
static void op_reload(uint8_t arg)
{
	struct decide_params p;

	params_from(arg, (uint8_t)(arg << 4 | arg >> 4), &p);
	decide_reload(&W.d, &p);
	W.p = W.d.p;
	tainted = true;
}

/* Any event but a second start, fields from 4 bytes: seq and id may match what is out. */
static void op_raw(uint8_t arg, const uint8_t *x)
{
	struct vg_event ev = { .type = (enum vg_event_type)(1 + arg % (EV_COUNT - 1)),
		.conn = (enum vg_conn)(x[0] & 1),
		.flag = x[0] & 2,
		.carrier_lost_mask = (uint8_t)(x[0] >> 2),
		.seq = x[1],
		.id = x[2],
		.pid = (int32_t)x[3] - 1,
		.generation = x[3],
		.peer = world_peer(&W),
		.diag = { .gateways_probed = x[1] & 1,
		    .gateway_answered = x[1] & 2,
		    .nettest_probed = x[1] & 4,
		    .nettest_answered = x[1] & 8,
		    .primary_answered = x[1] & 16 } };

	inject(ev);
}

static void toggle(bool *b)
{
	*b = !*b;
	tainted = true;
}

/* One step of the script; false: the script ends (EV_STOP or no bytes left). */
static bool op_run(const uint8_t *data, size_t size, size_t *off)
{
	uint8_t op, arg;

	if (*off + 2 > size || W.now > SCRIPT_MAX_MS)
		return false;
	op = data[*off] % OP_COUNT;
	arg = data[*off + 1];
	*off += 2;
	switch ((enum op)op) {
	case OP_TIME:
		run_until(W.now + (uint64_t)((arg & 0x7f) + 1) * ((arg & 0x80) ? 1000 : 10));
		break;
	case OP_PATH:
		toggle(&W.path_ok);
		break;
	case OP_HOST:
		toggle(&W.host_up);
		break;
	case OP_VIGILD:
		toggle(&W.vigild_up);
		break;
	case OP_NETTEST:
		toggle(&W.nettest_ok);
		break;
	case OP_GATEWAY:
		toggle(&W.gateway_ok);
		break;
	case OP_CARRIER:
		W.carrier = (arg & 3) != 3;
		inject((struct vg_event){ .type = EV_CARRIER, .carrier_lost_mask = arg & 3 });
		break;
	case OP_MODULE:
		W.module = (enum world_module)(arg % 5);
		tainted = true;
		break;
	case OP_COMMAND:
		op_command(arg);
		break;
	case OP_DRILL:
		inject((struct vg_event){ .type = (arg & 1) ? EV_DRILL_START : EV_DRILL_END,
		    .flag = arg & 2 });
		break;
	case OP_PEER:
		inject((struct vg_event){ .type = EV_PEER_STATE,
		    .conn = (enum vg_conn)(arg >> 7),
		    .peer = peer_from(arg) });
		break;
	case OP_LOCAL:
		op_local(arg);
		break;
	case OP_PEER_MSG:
		op_peer_msg(arg);
		break;
	case OP_CONN_LOST:
		W.conn_ok[arg & 1] = false;
		inject((struct vg_event){ .type = EV_CONN_LOST, .conn = (enum vg_conn)(arg & 1) });
		break;
	case OP_RELOAD:
		op_reload(arg);
		break;
	case OP_RAW:
		if (*off + 4 > size)
			return false;
		op_raw(arg, data + *off);
		*off += 4;
		return W.d.state != ST_STOPPING;
	default:
		break;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decide_params p;
	size_t off = 3;

	if (size < 3)
		return 0;
	params_from(data[0], data[1], &p);
	world_setup(&W, &p);
	W.verbose = getenv("FUZZ_DECIDE_VERBOSE") != NULL; /* the journal on stderr */
	W.start_generation = data[2] & 3;
	W.start_stale = data[2] & 4;
	W.host_up = !(data[2] & 8);
	tainted = W.start_stale || !W.host_up;
	step(&(struct vg_event){ .type = EV_START,
	    .generation = W.start_generation,
	    .flag = W.start_stale });
	run_until(0);
	while (op_run(data, size, &off))
		continue;
	/* what the script left running plays out for a while */
	if (W.d.state != ST_STOPPING)
		run_until(W.now + 60000);
	return 0;
}

#define FUZZ_NAME "fuzz_decide"
#include "replay.h"
