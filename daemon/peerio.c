/* peerio.c: the peer link's callbacks: serve pings on the primary side, turn the peer's words into core events. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "peer.h"

/* A module ping being answered: the check runs on the loop; the connection may go meanwhile. */
#define SERVE_MAX 16
struct serve {
	struct vigild *v;
	struct peer_conn *conn; /* NULL once the connection is gone */
	uint32_t seq;
	bool busy;
};
static struct serve serves[SERVE_MAX];

static struct vg_peer_info info_from_hello(const struct vigild *v, const struct wire_hello *h)
{
	int cmp = strverscmp(h->software, v->software);

	return (struct vg_peer_info){
		.state = h->state,
		.generation = h->generation,
		.version_cmp = cmp > 0 ? 1
		    : cmp < 0          ? -1
		                       : 0,
		.config_match = memcmp(h->config_digest, v->config_digest, WIRE_DIGEST_LEN) == 0,
		.sync = h->sync,
		.module_responding = h->module_responding,
	};
}

static void post_peer(struct vigild *v, enum vg_event_type type, enum vg_conn c)
{
	struct vg_event ev = { .type = type, .conn = c, .peer = v->peer_info };

	vigild_post(v, &ev);
}

/*
 * SPEC "[module] qos": with ping_on_aux and qos the aux connection carries the DSCP both ways;
 * the backup's settings govern: it tags its side and asks the primary in its hello.
 */
void vigild_tag_aux(struct vigild *v, struct peer_conn *c, enum vg_conn ch)
{
	if (c != NULL && ch == CONN_AUX && v->cfg.module.qos && v->cfg.module.ping_on_aux &&
	    peer_conn_set_dscp(c, v->cfg.module.dscp) < 0)
		log_warnx("cannot set DSCP %d on the aux connection", v->cfg.module.dscp);
}

static void tag_aux(struct vigild *v, struct peer_conn *c, const struct wire_hello *h)
{
	int dscp = WIRE_DSCP_NONE;

	if (peer_conn_channel(c) != CONN_AUX)
		return;
	if (peer_conn_outgoing(c) && v->cfg.module.qos && v->cfg.module.ping_on_aux)
		dscp = v->cfg.module.dscp;
	else if (!peer_conn_outgoing(c))
		dscp = h->dscp;
	if (dscp != WIRE_DSCP_NONE && peer_conn_set_dscp(c, dscp) < 0)
		log_warnx("cannot set DSCP %d on the aux connection", dscp);
}

static void on_up(void *arg, struct peer_conn *c, const struct wire_hello *h)
{
	struct vigild *v = arg;
	enum vg_conn ch = peer_conn_channel(c);

	bool answered = v->peer_info.module_responding;

	tag_aux(v, c, h);
	v->peer_hello = *h;
	v->peer_info = info_from_hello(v, h);
	/* A primary knows from the module pings it answers (note_backup_view); a hello on the
	 * backup's second connection, written before its first pong, must not undo that. */
	if (v->core.state == ST_PRIMARY && answered)
		v->peer_info.module_responding = true;
	if (peer_conn_outgoing(c) && ch < CONN_COUNT && v->out[ch] == c) {
		post_peer(v, EV_CONN_UP, ch);
		return;
	}
	/* An incoming connection: the peer dialled us (it is backup, or a primary looking for islands).
	 * A module drill keeps its connections up: a new one means the backup that asked for it
	 * restarted or lost them, so the drill ends here too rather than mislead a fresh vigild. */
	if (vigild_module_drill_active(v)) {
		v->module_drill_until_ms = 0;
		vigild_journal(v, "drill",
		    "module drill ended: the backup dialled a new connection");
	}
	post_peer(v, EV_PEER_STATE, CONN_MAIN);
}

static void forget_serves(struct peer_conn *c)
{
	for (size_t i = 0; i < SERVE_MAX; i++)
		if (serves[i].busy && serves[i].conn == c)
			serves[i].conn = NULL;
}

static void on_lost(void *arg, struct peer_conn *c, int err)
{
	struct vigild *v = arg;
	enum vg_conn ch = peer_conn_channel(c);

	forget_serves(c);
	if (!peer_conn_outgoing(c) || ch >= CONN_COUNT || v->out[ch] != c)
		return; /* an incoming one, or one we replaced by re-dialling */
	v->out[ch] = NULL;
	log_debug("connection %s lost: %s", decide_conn_name(ch), strerror(-err));
	post_peer(v, EV_CONN_LOST, ch);
}

/*
 * Counted by the link; journaled so an operator sees a forged or misconfigured peer, within the
 * link's report bound (peer.h "rate limit": one line per address per back-off period, a few per
 * period in all), so nothing on the network can flood the journal. A frame rejected on the wire
 * never reaches the core: no role changes through here.
 */
static void on_reject(void *arg, struct peer_conn *c, const struct peer_reject *r)
{
	struct vigild *v = arg;
	char more[80] = "";

	(void)c;
	if (!r->limit.report)
		return;
	if (r->limit.unreported > 0)
		snprintf(more, sizeof(more), " (%u more from it not journaled since)",
		    r->limit.unreported);
	if (r->limit.blocked)
		vigild_journal(v, "peer",
		    "rate-limited %s: %u rejected frames within %u s (the last %s): its connections "
		    "are refused for %u s%s",
		    r->from->text, r->limit.rejects, r->window_ms / 1000, wire_reject_name(r->why),
		    r->backoff_ms / 1000, more);
	else
		vigild_journal(v, "peer", "frame rejected from %s%s: %s%s", r->from->text,
		    r->incoming ? "" : " (our dial)", wire_reject_name(r->why), more);
}

/*
 * Hello facts are not refreshed on an open connection; what the backup sees of the module is
 * what this primary answered it, so the handover rule (SPEC: the peer backup "with the module
 * answering") follows the answers served here.
 */
static void note_backup_view(struct vigild *v, bool up)
{
	if (v->peer_info.module_responding == up)
		return;
	v->peer_info.module_responding = up;
	post_peer(v, EV_PEER_STATE, CONN_MAIN);
}

static bool serving(void)
{
	for (size_t i = 0; i < SERVE_MAX; i++)
		if (serves[i].busy)
			return true;
	return false;
}

/* Reload: the new module check replaces the old one once no module ping is in flight. */
void vigild_check_swap(struct vigild *v, struct check *next)
{
	if (next != NULL) {
		check_free(v->next_check);
		v->next_check = next;
	}
	if (v->next_check == NULL || serving())
		return;
	check_free(v->check);
	v->check = v->next_check;
	v->next_check = NULL;
	vigild_journal(v, "reload", "the module check is replaced by the reloaded one");
}

static void serve_done(const struct check_result *r, void *arg)
{
	struct serve *s = arg;
	struct vigild *v = s->v;
	struct wire_msg m = { .type = WIRE_MSG_MODULE_PONG };

	m.module_pong.seq = s->seq;
	m.module_pong.pid = r->status == CHECK_STATUS_UP ? r->pid : 0;
	m.module_pong.check_rejected = r->status == CHECK_STATUS_REJECTED;
	if (r->status == CHECK_STATUS_UP && config_check_has_exit_watch(&v->cfg.module.check) &&
	    v->watch)
		check_watch_pid(v->watch, r->pid);
	else if (r->status == CHECK_STATUS_DOWN && v->watch)
		check_watch_pid(v->watch, 0);
	if (s->conn != NULL)
		peer_send(v->peer, s->conn, &m);
	s->busy = false;
	note_backup_view(v, r->status == CHECK_STATUS_UP);
	vigild_check_swap(v, NULL);
}

/* SPEC: the primary runs the check once per module ping, never from a cache, bounded by timeout. */
static void serve_module_ping(struct vigild *v, struct peer_conn *c, uint32_t seq)
{
	struct wire_msg m = { .type = WIRE_MSG_MODULE_PONG };
	struct serve *s = NULL;

	for (size_t i = 0; i < SERVE_MAX && s == NULL; i++)
		if (!serves[i].busy)
			s = &serves[i];
	v->counters.module_checks++;
	if (vigild_module_drill_active(v)) {
		m.module_pong.seq = seq; /* SPEC "drill": module: "not running" (pid 0), injected */
		peer_send(v->peer, c, &m);
		return;
	}
	if (s != NULL) {
		*s = (struct serve){ .v = v, .conn = c, .seq = seq, .busy = true };
		if (check_start(v->check, v->cfg.module.timeout_ms, serve_done, s, NULL) == 0)
			return;
		s->busy = false;
	}
	m.module_pong.seq = seq; /* could not run the check: say so, it is not a failure */
	m.module_pong.check_rejected = true;
	peer_send(v->peer, c, &m);
}

static void serve_notifier_ping(struct vigild *v, struct peer_conn *c, uint32_t seq)
{
	struct wire_msg m = { .type = WIRE_MSG_NOTIFIER_PONG };

	m.notifier_pong.seq = seq;
	peer_send(v->peer, c, &m);
}

static void post_simple(struct vigild *v, enum vg_event_type type, bool flag)
{
	struct vg_event ev = { .type = type, .flag = flag, .peer = v->peer_info };

	vigild_post(v, &ev);
}

static void on_state(struct vigild *v, enum vg_state state, uint64_t generation,
    enum vg_event_type type)
{
	v->peer_info.state = state;
	v->peer_info.generation = generation;
	post_peer(v, type, CONN_MAIN);
}

static void on_pong(struct vigild *v, struct peer_conn *c, const struct wire_msg *m)
{
	struct vg_event ev = { .conn = peer_conn_channel(c) };

	if (!peer_conn_outgoing(c) || ev.conn >= CONN_COUNT)
		return;
	if (m->type == WIRE_MSG_NOTIFIER_PONG) {
		ev.type = EV_NOTIFIER_PONG;
		ev.seq = m->notifier_pong.seq;
	} else {
		ev.type = EV_MODULE_PONG;
		ev.seq = m->module_pong.seq;
		ev.pid = m->module_pong.pid;
		ev.flag = m->module_pong.check_rejected;
	}
	vigild_post(v, &ev);
}

static void on_msg(void *arg, struct peer_conn *c, const struct wire_msg *m)
{
	struct vigild *v = arg;
	struct vg_event gone = { .type = EV_MODULE_GONE };

	if (!peer_conn_outgoing(c))
		vigild_post_type(v, EV_PEER_SEEN);
	switch (m->type) {
	case WIRE_MSG_NOTIFIER_PING:
		serve_notifier_ping(v, c, m->notifier_ping.seq);
		break;
	case WIRE_MSG_MODULE_PING:
		serve_module_ping(v, c, m->module_ping.seq);
		break;
	case WIRE_MSG_NOTIFIER_PONG:
	case WIRE_MSG_MODULE_PONG:
		on_pong(v, c, m);
		break;
	case WIRE_MSG_STATE_ANNOUNCE:
		on_state(v, m->state_announce.state, m->state_announce.generation, EV_PEER_STATE);
		break;
	case WIRE_MSG_SWITCH_NOTICE:
		if (m->switch_notice.kind == WIRE_SWITCH_COMMENCE)
			on_state(v, ST_PRIMARY, v->peer_info.generation, EV_PEER_COMMENCE);
		break;
	case WIRE_MSG_DRAIN_REQUEST:
		post_simple(v, EV_PEER_DRAIN_REQ, m->drain_request.force);
		break;
	case WIRE_MSG_DRAIN_DONE:
		post_simple(v, EV_PEER_DRAIN_DONE, true);
		break;
	case WIRE_MSG_MODULE_GONE:
		gone.pid = m->module_gone.pid;
		vigild_post(v, &gone);
		break;
	case WIRE_MSG_DRILL_START:
	case WIRE_MSG_DRILL_END:
		vigild_drill_peer(v, m);
		break;
	default:
		break;
	}
}

/* SPEC "Exit watch": the moment the module exits, tell the backup on every connection. */
void vigild_module_gone(int32_t pid, void *arg)
{
	struct vigild *v = arg;
	struct wire_msg m = { .type = WIRE_MSG_MODULE_GONE };

	m.module_gone.pid = pid;
	vigild_journal(v, "module", "module pid %d exited: module-gone notice sent", pid);
	vigild_broadcast(v, &m);
}

void vigild_send(struct vigild *v, enum vg_conn c, const struct wire_msg *m)
{
	if (v->out[c] != NULL)
		peer_send(v->peer, v->out[c], m);
}

void vigild_broadcast(struct vigild *v, const struct wire_msg *m)
{
	peer_broadcast(v->peer, m);
}

/* Our hello facts follow the core: state, generation, sync, the module as the backup sees it. */
void vigild_peer_hello_update(struct vigild *v)
{
	struct wire_hello h = { .role_a = v->cfg.node.role_a, .dscp = WIRE_DSCP_NONE };
	static struct wire_hello last;

	snprintf(h.node, sizeof(h.node), "%s", v->cfg.node.name);
	snprintf(h.software, sizeof(h.software), "%s", v->software);
	h.state = v->core.state;
	h.generation = v->core.generation;
	memcpy(h.config_digest, v->config_digest, WIRE_DIGEST_LEN);
	if (v->cfg.module.qos && v->cfg.module.ping_on_aux)
		h.dscp = v->cfg.module.dscp;
	h.sync = v->core.sync;
	h.module_responding = v->core.mm.responding;
	if (memcmp(&h, &last, sizeof(h)) == 0)
		return;
	last = h;
	if (peer_set_hello(v->peer, &h) < 0)
		log_warnx("hello facts refused by the codec (node name?)");
}

struct digest_walk {
	crypto_hash_sha256_state st;
	bool on;
};

static void digest_line(const char *line, void *arg)
{
	struct digest_walk *w = arg;

	if (line[0] == '[')
		w->on = strcmp(line, "[peer]") == 0 || strcmp(line, "[module]") == 0 ||
		    strcmp(line, "[monitor]") == 0 || strcmp(line, "[network]") == 0;
	/* Per node, not per pair: the key's path, and how each node checks its own module. */
	if (w->on && line[0] != '#' && strncmp(line, "key_file", 8) != 0 &&
	    strncmp(line, "check", 5) != 0 && strncmp(line, "local_check", 11) != 0)
		crypto_hash_sha256_update(&w->st, (const unsigned char *)line, strlen(line));
}

/* SPEC "Peer link": a digest of the pair-relevant settings ([peer] but the key path, [module], [monitor], [network]). */
void vigild_config_digest(struct vigild *v)
{
	struct digest_walk w = { .on = false };

	crypto_hash_sha256_init(&w.st);
	config_print_lines(&v->cfg, digest_line, &w);
	crypto_hash_sha256_final(&w.st, v->config_digest);
}

static int load_key(struct vigild *v, struct wire_key *key)
{
	int r;

	if (v->cfg.peer.auth_none) {
		wire_key_init_none(key);
		return 0;
	}
	r = peer_key_load(v->cfg.peer.key_file, key);
	if (r < 0)
		log_warnx("key_file %s: %s", v->cfg.peer.key_file, strerror(-r));
	return r;
}

int vigild_peer_start(struct vigild *v)
{
	struct peer_callbacks cb = {
		.on_up = on_up,
		.on_lost = on_lost,
		.on_msg = on_msg,
		.on_reject = on_reject,
		.arg = v,
	};
	struct peer_params pp;
	struct wire_key key;
	int r;

	vigild_config_digest(v);
	if ((r = load_key(v, &key)) < 0)
		return r;
	peer_params_from_config(&v->cfg, &pp);
	r = peer_link_new(v->loop, &pp, &key, &cb, &v->peer);
	sodium_memzero(&key, sizeof(key));
	if (r < 0) {
		log_warnx("peer port %u: cannot listen (%s)", v->cfg.peer.port, strerror(-r));
		return r;
	}
	vigild_peer_hello_update(v);
	return 0;
}
