/* world.h: a tiny scripted world around the decision core for unit tests: a primary that answers, faults, a virtual clock. */
#ifndef VIGIL_TEST_WORLD_H
#define VIGIL_TEST_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "decide.h"

/*
 * Invariants every step is checked against (SPEC "Architecture": decide/ is pure and driven by
 * its own deadlines): the next deadline lies after now, and no action or record was dropped.
 * With cmocka included first they fail the test; otherwise they abort.
 */
#ifdef fail_msg
#define WORLD_FAIL(...) fail_msg(__VA_ARGS__)
#else
#include <stdlib.h>
#define WORLD_FAIL(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#endif

/* MOD_REJECT: the primary's check is rejected: every pong says "state unknown". */
enum world_module {
	MOD_OK,
	MOD_DEAD,
	MOD_HUNG,
	MOD_FLAP,
	MOD_REJECT
};

/* Everything the core said, with the time it said it, for tests that look at order or timing. */
#define WORLD_LOG 4096

struct world_action {
	uint64_t t;
	struct vg_action a;
};

struct world_pending {
	uint64_t t;
	struct vg_event ev;
};

struct world {
	struct decide d;
	struct decide_params p;
	uint64_t now;
	uint64_t deadline;
	struct world_pending q[512];
	size_t nq;
	/* the world */
	uint32_t rtt;
	bool path_ok;    /* WAN between the sites carries packets */
	bool host_up;    /* the primary host answers ICMP */
	bool vigild_up;  /* the primary's vigild answers */
	bool nettest_ok; /* NetTest hosts at the primary's site answer */
	bool gateway_ok; /* the backup's gateway answers */
	bool carrier;    /* the backup's link */
	bool conn_ok[CONN_COUNT];
	enum world_module module;
	int32_t pid;
	bool exit_watch;
	int peer_version_cmp;
	enum vg_sync peer_sync;
	enum vg_state
	    peer_state; /* what the peer's hello says (ST_PRIMARY unless a test changes it) */
	uint64_t peer_generation;    /* the peer's generation in its hello (1) */
	bool peer_module_responding; /* the peer's hello says it sees the module answering (true) */
	uint64_t start_generation;   /* EV_START: the persisted generation (1) */
	bool start_stale;            /* EV_START: the persisted state was stale */
	/* what happened */
	uint64_t fault_at;
	uint64_t first_verdict_t;
	enum vg_verdict first_verdict;
	uint64_t switch_t;
	enum vg_reason switch_reason;
	uint64_t hold_t;
	unsigned alerts, commences, discontinues, dials, diagnoses, sets, withheld;
	bool verbose;
	/* the log (what does not fit is counted in log_lost) */
	struct world_action alog[WORLD_LOG];
	size_t nalog;
	struct vg_record rlog[WORLD_LOG];
	size_t nrlog;
	size_t log_lost;
	struct decide_out last; /* the output of the latest step */
};

static inline void world_push(struct world *w, uint64_t t, struct vg_event ev)
{
	if (w->nq < sizeof(w->q) / sizeof(w->q[0]))
		w->q[w->nq++] = (struct world_pending){ t, ev };
}

static inline struct vg_peer_info world_peer(const struct world *w)
{
	return (struct vg_peer_info){ .state = w->peer_state,
		.generation = w->peer_generation,
		.version_cmp = w->peer_version_cmp,
		.config_match = true,
		.sync = w->peer_sync,
		.module_responding = w->peer_module_responding };
}

static inline bool world_peer_reachable(const struct world *w)
{
	return w->path_ok && w->carrier && w->host_up;
}

static inline void world_dial(struct world *w, enum vg_conn c)
{
	w->dials++;
	w->conn_ok[c] = false;
	if (!world_peer_reachable(w))
		return; /* silent: the dial never completes */
	if (!w->vigild_up) {
		world_push(w, w->now + w->rtt,
		    (struct vg_event){ .type = EV_CONN_LOST, .conn = c });
		return;
	}
	w->conn_ok[c] = true;
	world_push(w, w->now + w->rtt,
	    (struct vg_event){ .type = EV_CONN_UP, .conn = c, .peer = world_peer(w) });
}

/* A message on a connection: lost to a cut, it stalls the connection until re-dialled (SPEC simulate). */
static inline bool world_carries(struct world *w, enum vg_conn c)
{
	if (!world_peer_reachable(w))
		w->conn_ok[c] = false;
	return w->conn_ok[c] && w->vigild_up;
}

static inline void world_module_ping(struct world *w, const struct vg_action *a)
{
	struct vg_event ev = { .type = EV_MODULE_PONG, .conn = a->conn, .seq = a->seq };
	uint64_t t = w->now + w->rtt;

	if (!world_carries(w, a->conn))
		return;
	switch (w->module) {
	case MOD_OK:
		ev.pid = w->pid;
		break;
	case MOD_DEAD:
		ev.pid = 0;
		break;
	case MOD_HUNG:
		ev.pid = 0;
		t = w->now + w->rtt + w->p.module_timeout_ms;
		break;
	case MOD_FLAP:
		ev.pid = ++w->pid;
		break;
	case MOD_REJECT:
		ev.pid = 0;
		ev.flag = true;
		break;
	}
	world_push(w, t, ev);
}

static inline void world_probe(struct world *w, const struct vg_action *a, bool set)
{
	bool far = world_peer_reachable(w);
	struct vg_diag_result r = {
		.gateways_probed = w->p.gateway_ping,
		.gateway_answered = w->gateway_ok && w->carrier,
		.nettest_probed = w->p.has_nettest,
		.nettest_answered = w->path_ok && w->carrier && w->nettest_ok,
		.primary_answered = far,
	};
	bool all = (!r.gateways_probed || r.gateway_answered) &&
	    (!r.nettest_probed || r.nettest_answered) && far;
	uint64_t t = w->now + (all ? w->rtt : w->p.nettest_timeout_ms);

	if (set) {
		w->sets++;
		world_push(w, far ? w->now + w->rtt : w->now + w->p.nettest_timeout_ms,
		    (struct vg_event){ .type = EV_PINGSET_DONE, .id = a->id, .flag = far });
		return;
	}
	w->diagnoses++;
	world_push(w, t, (struct vg_event){ .type = EV_DIAG_DONE, .id = a->id, .diag = r });
}

static inline void world_act(struct world *w, const struct vg_action *a)
{
	switch (a->type) {
	case ACT_DIAL:
		world_dial(w, a->conn);
		break;
	case ACT_CLOSE:
		w->conn_ok[a->conn] = false;
		break;
	case ACT_SEND_NOTIFIER_PING:
		if (world_carries(w, a->conn))
			world_push(w, w->now + w->rtt,
			    (struct vg_event){ .type = EV_NOTIFIER_PONG,
			        .conn = a->conn,
			        .seq = a->seq });
		break;
	case ACT_SEND_MODULE_PING:
		world_module_ping(w, a);
		break;
	case ACT_DIAGNOSE:
		world_probe(w, a, false);
		break;
	case ACT_PING_SET:
		world_probe(w, a, true);
		break;
	case ACT_ALERT:
		w->alerts++;
		break;
	case ACT_COMMENCE:
		w->commences++;
		break;
	case ACT_DISCONTINUE:
		w->discontinues++;
		break;
	default:
		break;
	}
}

static inline void world_note(struct world *w, const struct vg_record *r)
{
	if (w->verbose)
		fprintf(stderr, "%8llu [%s] %s\n", (unsigned long long)r->t_ms,
		    decide_state_name(r->state), r->text);
	/* SPEC: network-down never switches; only an operator's command may (manual switch, handover). */
	if (r->kind == REC_SWITCH && r->verdict == VERDICT_NETWORK_DOWN &&
	    r->reason != REASON_MANUAL && r->reason != REASON_HANDOVER)
		WORLD_FAIL("t=%llu: automatic switch (%s) while network-down is in force",
		    (unsigned long long)r->t_ms, decide_reason_name(r->reason));
	if (r->t_ms < w->fault_at)
		return;
	if (r->kind == REC_VERDICT && w->first_verdict == VERDICT_NONE &&
	    r->verdict != VERDICT_NONE) {
		w->first_verdict = r->verdict;
		w->first_verdict_t = r->t_ms;
	}
	if (r->kind == REC_SWITCH && w->switch_t == UINT64_MAX) {
		w->switch_t = r->t_ms;
		w->switch_reason = r->reason;
	}
	if (r->kind == REC_HOLD && w->hold_t == UINT64_MAX)
		w->hold_t = r->t_ms;
	if (r->kind == REC_WITHHELD)
		w->withheld++;
}

static inline void world_log(struct world *w, const struct decide_out *out)
{
	for (size_t i = 0; i < out->n_records; i++) {
		if (w->nrlog < WORLD_LOG)
			w->rlog[w->nrlog++] = out->records[i];
		else
			w->log_lost++;
	}
	for (size_t i = 0; i < out->n_actions; i++) {
		if (w->nalog < WORLD_LOG)
			w->alog[w->nalog++] = (struct world_action){ w->now, out->actions[i] };
		else
			w->log_lost++;
	}
}

static inline void world_log_clear(struct world *w)
{
	w->nalog = w->nrlog = w->log_lost = 0;
}

static inline struct decide_out *world_step(struct world *w, const struct vg_event *ev)
{
	struct decide_out *out = &w->last;

	decide_step(&w->d, ev, w->now, out);
	/* The deadline always advances: a deadline at or before now would stall the caller's loop. */
	if (out->next_deadline_ms <= w->now)
		WORLD_FAIL("t=%llu: event %d: next deadline %llu is not after now",
		    (unsigned long long)w->now, ev != NULL ? (int)ev->type : -1,
		    (unsigned long long)out->next_deadline_ms);
	if (out->dropped != 0)
		WORLD_FAIL("t=%llu: event %d: %zu actions or records dropped",
		    (unsigned long long)w->now, ev != NULL ? (int)ev->type : -1, out->dropped);
	world_log(w, out);
	for (size_t i = 0; i < out->n_records; i++)
		world_note(w, &out->records[i]);
	for (size_t i = 0; i < out->n_actions; i++)
		world_act(w, &out->actions[i]);
	w->deadline = out->next_deadline_ms;
	return out;
}

/* Deliver everything due up to t_end in time order; queued events before the tick at the same ms. */
static inline void world_run(struct world *w, uint64_t t_end)
{
	for (;;) {
		size_t best = w->nq;
		uint64_t t = w->deadline;

		for (size_t i = 0; i < w->nq; i++)
			if (w->q[i].t <= t && (best == w->nq || w->q[i].t < w->q[best].t))
				best = i, t = w->q[i].t;
		if (t > t_end)
			break;
		w->now = t;
		if (best < w->nq) {
			struct vg_event ev = w->q[best].ev;

			w->q[best] = w->q[--w->nq];
			world_step(w, &ev);
		} else {
			world_step(w, &(struct vg_event){ .type = EV_TICK });
		}
	}
	w->now = t_end;
}

/* The world before the backup starts: a test may change the peer, the module or the path first. */
static inline void world_setup(struct world *w, const struct decide_params *p)
{
	memset(w, 0, sizeof(*w));
	w->p = *p;
	w->rtt = 1;
	w->path_ok = w->host_up = w->vigild_up = w->nettest_ok = w->gateway_ok = w->carrier = true;
	w->pid = 1000;
	w->exit_watch = true;
	w->peer_state = ST_PRIMARY;
	w->peer_generation = 1;
	w->peer_module_responding = true;
	w->start_generation = 1;
	w->switch_t = w->hold_t = UINT64_MAX;
	w->deadline = UINT64_MAX;
	decide_init(&w->d, p);
}

/* vigild starts at t = 0. */
static inline void world_start(struct world *w)
{
	world_step(w,
	    &(struct vg_event){ .type = EV_START,
	        .generation = w->start_generation,
	        .flag = w->start_stale });
	world_run(w, 0);
}

/* A steady pair at t = 0: the backup started, both connections up, pongs flowing. */
static inline void world_init(struct world *w, const struct decide_params *p)
{
	world_setup(w, p);
	world_start(w);
}

static inline void world_inject(struct world *w, struct vg_event ev)
{
	world_step(w, &ev);
}

#endif /* VIGIL_TEST_WORLD_H */
