/* netcfg.c: what vigild does to its own network: the nftables table (QoS marking, fence), the VIPs a primary holds, and failure drills (SPEC [netcfg], "Command line": drill; issue 6). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "nftable.h"
#include "route.h"
#include "vip.h"

#define DRILL_SETTLE_POLL_MS 100 /* after D: how often "steady again?" is asked */

static void drill_module_msg(struct vigild *v, bool start);

/* ---- the table ---- */

/* 0, or the error (journaled, and kept in nft_err until the next apply that works). */
static int table_apply(struct vigild *v)
{
	char err[256] = "";
	int r;

	if (v->nft == NULL)
		return -ENOTSUP;
	v->nft_spec.now_ms = loop_now_ms(v->loop);
	r = nftable_apply(v->nft, &v->nft_spec, err, sizeof(err));
	if (r < 0) {
		vigild_journal(v, "error", "%s", err[0] ? err : strerror(-r));
		snprintf(v->nft_err, sizeof(v->nft_err), "%s", err[0] ? err : strerror(-r));
		return r;
	}
	v->nft_err[0] = '\0';
	return 0;
}

void vigild_fence(struct vigild *v, bool on)
{
	if (v->nft_spec.fenced == on)
		return;
	v->nft_spec.fenced = on;
	if (table_apply(v) < 0 && v->cfg.netcfg.n_fence > 0) {
		vigild_journal(v, "error", "fence %s failed: %s", on ? "on" : "off", v->nft_err);
		return;
	}
	if (v->cfg.netcfg.n_fence > 0)
		vigild_journal(v, "fence", "%s: %zu service entries %s", on ? "on" : "off",
		    v->cfg.netcfg.n_fence, on ? "dropped" : "served again");
}

static void on_vip_note(enum vip_note_kind kind, const char *text, void *arg)
{
	struct vigild *v = arg;

	vigild_journal(v, kind == VIP_NOTE_ERROR || kind == VIP_NOTE_DUPLICATE ? "error" : "vip",
	    "%s", text);
}

void vigild_vips(struct vigild *v, bool hold)
{
	if (v->vips == NULL && v->cfg.netcfg.n_vip > 0)
		vigild_journal(v, "error",
		    "vip: cannot %s the virtual addresses: unavailable since start",
		    hold ? "take over" : "release");
	if (v->vips == NULL)
		return;
	if (hold)
		vip_takeover(v->vips);
	else
		vip_release(v->vips);
}

/* SPEC [netcfg]: the table exists from start (a crash's leftover is rebuilt, its drill rules
 * gone); a node persisted stale is fenced from the first moment. */
int vigild_netcfg_start(struct vigild *v, bool stale)
{
	const struct config *c = &v->cfg;
	int r;

	nftable_spec_from_config(c, &v->nft_spec);
	v->nft_spec.fenced = stale;
	if (c->netcfg.qos_mark >= 0 && c->module.qos)
		log_warnx("qos_mark %d is set on all pair traffic after [module] qos: the aux "
		          "connection carries %d, not dscp %u",
		    c->netcfg.qos_mark, c->netcfg.qos_mark, (unsigned)c->module.dscp);
	r = nftable_open(&v->nft);
	if (r < 0) {
		snprintf(v->nft_err, sizeof(v->nft_err), "nftables unavailable: %s", strerror(-r));
		log_warnx("%s: no QoS marking, fence or drills", v->nft_err);
		v->nft = NULL;
	}
	table_apply(v);
	if (c->netcfg.n_vip == 0)
		return 0;
	r = vip_new(v->loop, c->netcfg.vip, c->netcfg.n_vip, c->netcfg.garp_count, on_vip_note, v,
	    &v->vips);
	if (r < 0) {
		log_warnx("virtual addresses unavailable: %s", strerror(-r));
		return 0;
	}
	/* SPEC [netcfg]: VIPs are held while primary, and a starting node is not primary yet: what a
	 * crashed primary left on the link goes now, or a peer that took over would share it. */
	vip_release(v->vips);
	return 0;
}

/* SPEC [netcfg]: the table goes on a clean stop, but a stale node stays fenced ("serves
 * nothing, persisted across restarts"): its table keeps the fence and loses the rest. A
 * primary's VIPs went with its discontinue. */
static void table_stop(struct vigild *v)
{
	if (v->nft == NULL)
		return;
	if (v->nft_spec.fenced && v->cfg.netcfg.n_fence > 0) {
		v->nft_spec.n_drill = 0;
		v->nft_spec.qos_mark = -1;
		if (table_apply(v) == 0)
			return;
	}
	if (nftable_remove(v->nft) < 0)
		log_warnx("cannot remove the nftables table %s %s", NFTABLE_FAMILY, NFTABLE_NAME);
}

void vigild_netcfg_stop(struct vigild *v)
{
	if (v->drill.running && v->drill.scenario == WIRE_DRILL_MODULE)
		drill_module_msg(v, false); /* the primary must not play the drill on without us */
	loop_timer_free(v->drill.timer);
	v->drill.timer = NULL;
	table_stop(v);
	nftable_close(v->nft);
	v->nft = NULL;
	vip_free(v->vips);
	v->vips = NULL;
}

/* ---- drills ---- */

static void drill_block(struct vigild *v, const struct config_addr *a, enum nftable_block b)
{
	struct nftable_spec *s = &v->nft_spec;

	if (a->family == 0 || s->n_drill >= NFTABLE_MAX_DRILL)
		return;
	for (size_t i = 0; i < s->n_drill; i++)
		if (s->drill[i].block == b && s->drill[i].addr.family == a->family &&
		    memcmp(s->drill[i].addr.bytes, a->bytes, 16) == 0)
			return;
	s->drill[s->n_drill++] =
	    (struct nftable_drill_elem){ .addr = *a, .block = b, .expires_ms = v->drill.end_ms };
}

static void drill_block_gateways(struct vigild *v)
{
	struct netcfg_gateway gw[16];
	size_t n = 0;

	if (netcfg_gateways(gw, sizeof(gw) / sizeof(gw[0]), &n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		drill_block(v, &gw[i].addr, NFTABLE_BLOCK_ICMP);
}

/* SPEC "drill": each scenario drops vigil's own probes that the fault it plays would cut. */
static void drill_fill(struct vigild *v, enum wire_drill scenario)
{
	const struct nftable_spec *s = &v->nft_spec;
	size_t n_net = 0;
	const struct config_addr *net = config_nettest(&v->cfg, &n_net);
	size_t n_peers = s->n_peers;

	for (size_t i = 0; i < n_peers; i++)
		drill_block(v, &s->peers[i], NFTABLE_BLOCK_PAIR);
	if (scenario == WIRE_DRILL_NOTIFIER)
		return; /* the host still answers ICMP: only vigild is gone */
	for (size_t i = 0; i < n_peers; i++)
		drill_block(v, &s->peers[i], NFTABLE_BLOCK_ICMP);
	if (scenario == WIRE_DRILL_PRIMARY_UNREACHABLE)
		return;
	for (size_t i = 0; i < n_net; i++)
		drill_block(v, &net[i], NFTABLE_BLOCK_ICMP);
	if (scenario == WIRE_DRILL_BACKUP_ISOLATE)
		drill_block_gateways(v);
}

static void drill_module_msg(struct vigild *v, bool start)
{
	struct wire_msg m = { .type = start ? WIRE_MSG_DRILL_START : WIRE_MSG_DRILL_END };

	m.drill_start.scenario = WIRE_DRILL_MODULE;
	m.drill_start.duration_ms = (uint32_t)(v->drill.end_ms - v->drill.start_ms);
	m.drill_start.live = v->drill.live;
	vigild_broadcast(v, &m);
}

/* SPEC "drill": without --live the node is back in its prior state when D ends. The blocks go
 * at D, but the connections they stalled come back only at the next re-dial: until the node is
 * a steady backup again (or a grace of a re-dial and a module timeout passed) the core still
 * withholds, or a drill would end in a real switchover. */
static uint64_t drill_grace_ms(const struct vigild *v)
{
	return (uint64_t)v->cfg.peer.notifier_reconnect_delay_ms + v->cfg.module.timeout_ms +
	    v->cfg.monitor.ping_delay_ms;
}

static bool drill_settled(struct vigild *v, uint64_t now)
{
	struct decide_status st;

	if (v->drill.live || now >= v->drill.lifted_ms + drill_grace_ms(v))
		return true;
	decide_status(&v->core, now, &st);
	return st.state == ST_BACKUP && (st.conn_up[CONN_MAIN] || st.conn_up[CONN_AUX]) &&
	    st.module_responding && st.verdict == VERDICT_NONE;
}

static void drill_lift(struct vigild *v)
{
	v->drill.lifting = true;
	v->drill.lifted_ms = loop_now_ms(v->loop);
	if (v->drill.scenario == WIRE_DRILL_MODULE) {
		drill_module_msg(v, false);
		return;
	}
	v->nft_spec.n_drill = 0;
	table_apply(v);
}

static void drill_finish(void *arg)
{
	struct vigild *v = arg;
	struct vigild_drill *d = &v->drill;
	struct vg_event ev = { .type = EV_DRILL_END };
	uint64_t now = loop_now_ms(v->loop);

	if (!d->running)
		return;
	if (!d->lifting)
		drill_lift(v);
	if (!drill_settled(v, now)) {
		loop_timer_at(d->timer, now + DRILL_SETTLE_POLL_MS);
		return;
	}
	d->running = false;
	d->lifting = false;
	vigild_post(v, &ev);
	vigild_journal(v, "drill", "%s ends: verdict %s%s, %llu ms after the blocks were lifted",
	    wire_drill_name(d->scenario), decide_verdict_name(d->verdict),
	    d->switched ? ", switched (live)" : ", no switch",
	    (unsigned long long)(now - d->lifted_ms));
}

static int drill_refuse(char *msg, size_t len, int err, const char *why)
{
	snprintf(msg, len, "drill refused: %s", why);
	return err;
}

static int drill_check(struct vigild *v, int scenario, char *msg, size_t len)
{
	if (scenario < 0)
		return drill_refuse(msg, len, -EINVAL,
		    "scenario must be module, notifier, primary-unreachable, wan-cut or "
		    "backup-isolate");
	if (v->drill.running)
		return drill_refuse(msg, len, -EBUSY, "a drill is already running");
	if (v->core.state != ST_BACKUP)
		return drill_refuse(msg, len, -EPERM, "drills run on the backup in state backup");
	if (scenario == WIRE_DRILL_MODULE && !v->core.conn[CONN_MAIN].up &&
	    !v->core.conn[CONN_AUX].up)
		return drill_refuse(msg, len, -ENOTCONN, "no connection to the primary");
	if (scenario != WIRE_DRILL_MODULE && v->nft == NULL)
		return drill_refuse(msg, len, -ENOTSUP, v->nft_err);
	return 0;
}

static int drill_setup(struct vigild *v, char *msg, size_t len)
{
	char why[sizeof(v->nft_err)];

	if (v->drill.timer == NULL)
		v->drill.timer = loop_timer_new(v->loop, drill_finish, v);
	if (v->drill.timer == NULL || loop_timer_at(v->drill.timer, v->drill.end_ms) < 0)
		return drill_refuse(msg, len, -ENOMEM, "no timer for the drill's end");
	if (v->drill.scenario == WIRE_DRILL_MODULE) {
		drill_module_msg(v, true);
		return 0;
	}
	drill_fill(v, v->drill.scenario);
	if (table_apply(v) == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", v->nft_err); /* the rollback's apply clears it */
	v->nft_spec.n_drill = 0;
	table_apply(v);
	loop_timer_at(v->drill.timer, LOOP_NEVER);
	return drill_refuse(msg, len, -EIO, why);
}

int vigild_drill_start(struct vigild *v, const struct control_act *a, char *msg, size_t len)
{
	int scenario = wire_drill_from_name(a->scenario);
	uint64_t now = loop_now_ms(v->loop);
	struct vg_event ev = { .type = EV_DRILL_START, .flag = a->live };
	int r = drill_check(v, scenario, msg, len);

	if (r < 0)
		return r;
	v->drill = (struct vigild_drill){ .id = v->drill.id + 1,
		.scenario = scenario,
		.live = a->live,
		.running = true,
		.start_ms = now,
		.end_ms = now + a->for_ms,
		.timer = v->drill.timer,
		.verdict = VERDICT_NONE };
	if ((r = drill_setup(v, msg, len)) < 0) {
		v->drill.running = false;
		return r;
	}
	vigild_journal(v, "drill", "%s for %u ms%s", a->scenario, a->for_ms,
	    a->live ? ", live: a verdict switches for real" : ", no switch");
	vigild_post(v, &ev);
	snprintf(msg, len, "drill %s started for %u s%s", a->scenario, (a->for_ms + 999) / 1000,
	    a->live ? " (live)" : "");
	return 0;
}

/* Called with every core record: the drill's verdict is the first one other than none. */
void vigild_drill_observe(struct vigild *v, const struct vg_record *r)
{
	struct vigild_drill *d = &v->drill;

	if (!d->running)
		return;
	if (r->kind == REC_VERDICT && r->verdict != VERDICT_NONE && d->verdict == VERDICT_NONE) {
		d->verdict = r->verdict;
		d->verdict_ms = r->t_ms;
	}
	if (r->kind == REC_SWITCH)
		d->switched = true;
}

/* SPEC "drill", on the primary: module pings are answered "not running" for the drill's time. */
void vigild_drill_peer(struct vigild *v, const struct wire_msg *m)
{
	uint64_t now = loop_now_ms(v->loop);

	if (m->type == WIRE_MSG_DRILL_END) {
		if (v->module_drill_until_ms > now)
			vigild_journal(v, "drill", "module drill ended by the backup");
		v->module_drill_until_ms = 0;
		return;
	}
	if (m->drill_start.scenario != WIRE_DRILL_MODULE || v->core.state != ST_PRIMARY) {
		v->counters.drill_msgs_ignored++; /* only a primary plays a module drill */
		return;
	}
	if (vigild_module_drill_active(v))
		return; /* the same start, on the other connection */
	v->module_drill_until_ms = now + m->drill_start.duration_ms;
	vigild_journal(v, "drill",
	    "module drill from the backup: module pings answered "
	    "\"not running\" for %u ms",
	    m->drill_start.duration_ms);
}

bool vigild_module_drill_active(struct vigild *v)
{
	return v->module_drill_until_ms > loop_now_ms(v->loop);
}
