/* sim_net.c: the simulated network: which paths a fault cuts, seeded packet loss, TCP delivery, ICMP probes. */
#include "sim_int.h"

/*
 * What each fault silences (SPEC simulate): primary-down the primary host, wan-cut everything
 * beyond the backup's gateway (NetTest included), backup-isolate everything (carrier lost).
 * module-* and notifier-kill leave every path up: the primary's vigild acts them out.
 */
static bool fault_cuts(enum sim_fault f, enum sim_path p)
{
	static const uint8_t cuts[FAULT_COUNT] = {
		[FAULT_PRIMARY_DOWN] = 1u << PATH_PEER | 1u << PATH_PRIMARY,
		[FAULT_WAN_CUT] = 1u << PATH_PEER | 1u << PATH_NETTEST | 1u << PATH_PRIMARY,
		[FAULT_BACKUP_ISOLATE] = (1u << PATH_COUNT) - 1,
	};

	return (unsigned)f < FAULT_COUNT && (cuts[f] >> p & 1u);
}

static uint64_t heal_ms(const struct sim *s)
{
	return s->o.heals ? s->o.at_ms + s->o.for_ms : SIM_NEVER;
}

/* The start-up exchange at t = 0 comes before any fault, even one at --at 0. */
bool sim_fault_active(const struct sim *s, uint64_t t_ms)
{
	return !s->setup && s->o.fault != FAULT_NONE && t_ms >= s->o.at_ms && t_ms < heal_ms(s);
}

/* True when the fault silences p at some moment of [from_ms, to_ms]. */
bool sim_path_cut(const struct sim *s, enum sim_path p, uint64_t from_ms, uint64_t to_ms)
{
	if (s->setup || !fault_cuts(s->o.fault, p))
		return false;
	return from_ms < heal_ms(s) && to_ms >= s->o.at_ms;
}

/* splitmix64: small, seedable, the same sequence on every platform. */
static uint64_t sim_rand(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* One packet, one draw: dropped with probability loss_pct %. */
bool sim_drop(struct sim *s)
{
	if (s->setup || s->o.loss_pct == 0)
		return false;
	return sim_rand(s) % 100 < s->o.loss_pct;
}

static uint64_t one_way_ms(const struct sim *s, enum sim_dir d)
{
	if (s->setup)
		return 0;
	return d == DIR_TO_PRIMARY ? s->o.rtt_ms / 2 : s->o.rtt_ms - s->o.rtt_ms / 2;
}

/* Transit time of one TCP message: each loss costs a retransmission, 200 ms, doubling. */
static uint64_t link_delay_ms(struct sim *s, enum sim_dir d)
{
	uint64_t delay = one_way_ms(s, d), rto = SIM_RTO_MS;
	int losses = 0;

	while (sim_drop(s)) {
		if (++losses == SIM_MAX_LOSSES)
			return SIM_NEVER;
		delay += rto;
		rto *= 2;
	}
	return delay;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/*
 * Send it on its connection (it->ev.conn, it->epoch) at t_ms. A message lost to a cut, or
 * lost too many times in a row, stalls the connection: nothing sent or in flight on it arrives
 * any more, even after the heal, until the backup re-dials (a new epoch).
 */
void sim_link_send(struct sim *s, enum sim_dir d, uint64_t t_ms, struct sim_item *it)
{
	struct sim_conn *k = &s->conn[it->ev.conn];
	uint64_t delay, at;

	if (it->epoch != k->epoch || t_ms >= k->stalled_ms)
		return;
	delay = link_delay_ms(s, d);
	if (delay == SIM_NEVER) {
		k->stalled_ms = t_ms;
		return;
	}
	at = t_ms + delay;
	if (sim_path_cut(s, PATH_PEER, t_ms, at)) {
		k->stalled_ms = max_u64(t_ms, s->o.at_ms);
		return;
	}
	at = max_u64(at, k->last_arrival_ms[d]);
	k->last_arrival_ms[d] = at;
	it->t_ms = at;
	it->kind = d == DIR_TO_PRIMARY ? ITEM_TO_PRIMARY : ITEM_TO_BACKUP;
	sim_queue_push(s, it);
}

/* A local observation for the core at t_ms (probe result, carrier, hook result). */
void sim_local(struct sim *s, uint64_t t_ms, const struct vg_event *ev)
{
	struct sim_item it = { .t_ms = t_ms, .kind = ITEM_LOCAL, .ev = *ev };

	sim_queue_push(s, &it);
}

/* 3 echoes sent together at t_ms to a target behind p: when the first reply is back, or SIM_NEVER. */
static uint64_t icmp_probe(struct sim *s, enum sim_path p, uint64_t t_ms)
{
	uint64_t rtt = s->setup ? 0 : s->o.rtt_ms;
	bool answered = false;

	for (int i = 0; i < 3; i++) {
		bool lost_out = sim_drop(s);
		bool lost_back = sim_drop(s);

		answered |= !lost_out && !lost_back;
	}
	if (!answered || sim_path_cut(s, p, t_ms, t_ms + rtt))
		return SIM_NEVER;
	return t_ms + rtt;
}

/* Probe p; the probe is answered when its reply comes within limit_ms; *done_ms is when it is known. */
static bool probe_target(struct sim *s, enum sim_path p, uint64_t limit_ms, uint64_t *done_ms)
{
	uint64_t at = icmp_probe(s, p, s->now_ms);

	if (at > limit_ms) {
		*done_ms = limit_ms;
		return false;
	}
	*done_ms = max_u64(*done_ms, at);
	return true;
}

/* ACT_DIAGNOSE: all probes at once; done when every probe answered, or at nettest_timeout. */
void sim_diagnose(struct sim *s, uint32_t id)
{
	uint64_t limit = s->now_ms + s->p.nettest_timeout_ms, done = s->now_ms;
	struct vg_event ev = { .type = EV_DIAG_DONE, .id = id };
	struct vg_diag_result *r = &ev.diag;

	r->gateways_probed = s->p.gateway_ping;
	r->nettest_probed = s->p.has_nettest;
	if (r->gateways_probed)
		r->gateway_answered = probe_target(s, PATH_GATEWAY, limit, &done);
	if (r->nettest_probed)
		r->nettest_answered = probe_target(s, PATH_NETTEST, limit, &done);
	r->primary_answered = probe_target(s, PATH_PRIMARY, limit, &done);
	sim_local(s, done, &ev);
}

/* ACT_PING_SET: 3 echoes to the primary host, answered if any reply comes within nettest_timeout. */
void sim_ping_set(struct sim *s, uint32_t id)
{
	uint64_t limit = s->now_ms + s->p.nettest_timeout_ms, done = s->now_ms;
	struct vg_event ev = { .type = EV_PINGSET_DONE, .id = id };

	ev.flag = probe_target(s, PATH_PRIMARY, limit, &done);
	sim_local(s, done, &ev);
}
