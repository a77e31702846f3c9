/* test_peer.c: the peer link (probe/peer*.c) over real loopback sockets on a real loop: handshake, messages, losses, hostile clients. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "config.h"
#include "loop.h"
#include "peer.h"
#include "wire.h"
#include "wire_assert.h"

#define TICK_MS 5
#define RUN_MS 1500    /* the longest any wait in these tests may take */
#define TIMEOUT_MS 300 /* connect + handshake timeout of both links */
#define REC_MAX 64
#define RAW_IN_MAX 8192

struct world;

/* One link and everything its callbacks saw. */
struct side {
	struct world *w;
	struct peer_link *link;
	bool echo; /* answer every message with the same message */
	int n_up, n_lost, n_msg, n_reject;
	struct peer_conn *up_conn[REC_MAX]; /* NULL once lost */
	struct wire_hello up_hello[REC_MAX];
	enum vg_conn up_channel[REC_MAX];
	bool up_outgoing[REC_MAX];
	int lost_err[REC_MAX];
	bool lost_was_up[REC_MAX];
	bool lost_outgoing[REC_MAX];
	uint64_t lost_ms[REC_MAX];
	struct wire_msg msg[REC_MAX];
	enum wire_reject reject[REC_MAX];
	struct peer_limit_note reject_limit[REC_MAX];
	char reject_from[REC_MAX][CONFIG_ADDR_TEXT];
};

/* A hand-driven client: raw bytes, or the codec spoken by the test itself. */
struct raw {
	int fd;
	struct loop_io *io;
	uint8_t in[RAW_IN_MAX];
	size_t len;
	bool eof;
	struct wire_session s;
	struct wire_counters counters;
};

/* What a run waits for: every field reached (0 = don't care). */
struct want {
	int pri_up, bak_up, pri_lost, bak_lost, pri_msg, bak_msg, pri_reject;
	struct raw *raw_eof;
	struct raw *raw_frame;
};

struct world {
	struct loop *l;
	struct loop_timer *tick;
	struct loop_timer *safety;
	int ticks;
	uint64_t run_ms;
	bool expired;
	struct want want;
	struct side pri, bak;
	struct wire_key key;
	struct wire_hello hello_pri, hello_bak;
	bool v6;
	/* descriptors filled by test_accept_exhausted, given back in teardown even on failure */
	int fill[1100];
	int n_fill;
	struct rlimit nofile;
	bool nofile_lowered;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- callbacks ---- */

static int slot_of(struct side *s, struct peer_conn *c)
{
	for (int i = 0; i < s->n_up && i < REC_MAX; i++) {
		if (s->up_conn[i] == c)
			return i;
	}
	return -1;
}

static void cb_up(void *arg, struct peer_conn *c, const struct wire_hello *h)
{
	struct side *s = arg;
	int i = s->n_up++;

	assert_true(peer_conn_established(c));
	assert_ptr_equal(peer_conn_peer_hello(c), h);
	if (i >= REC_MAX)
		return;
	s->up_conn[i] = c;
	s->up_hello[i] = *h;
	s->up_channel[i] = peer_conn_channel(c);
	s->up_outgoing[i] = peer_conn_outgoing(c);
}

static void cb_lost(void *arg, struct peer_conn *c, int err)
{
	struct side *s = arg;
	int i = s->n_lost++;
	int slot = slot_of(s, c);

	if (slot >= 0)
		s->up_conn[slot] = NULL;
	/* any call is safe in a callback: the handle answers as closed */
	assert_int_equal(peer_send(s->link, c, &(struct wire_msg){ .type = WIRE_MSG_DRAIN_DONE }),
	    -ENOTCONN);
	if (i >= REC_MAX)
		return;
	s->lost_err[i] = err;
	s->lost_was_up[i] = peer_conn_established(c);
	s->lost_outgoing[i] = peer_conn_outgoing(c);
	s->lost_ms[i] = mono_ms();
}

static void cb_msg(void *arg, struct peer_conn *c, const struct wire_msg *m)
{
	struct side *s = arg;
	int i = s->n_msg++;

	if (i < REC_MAX)
		s->msg[i] = *m;
	if (s->echo)
		assert_int_equal(peer_send(s->link, c, m), 0);
}

static void cb_reject(void *arg, struct peer_conn *c, const struct peer_reject *r)
{
	struct side *s = arg;
	int i = s->n_reject++;

	/* the connection is already closing when this is reported */
	assert_int_equal(peer_send(s->link, c, &(struct wire_msg){ .type = WIRE_MSG_DRAIN_DONE }),
	    -ENOTCONN);
	assert_ptr_equal(r->from, peer_conn_remote(c));
	if (i >= REC_MAX)
		return;
	s->reject[i] = r->why;
	s->reject_limit[i] = r->limit;
	snprintf(s->reject_from[i], sizeof(s->reject_from[i]), "%s", r->from->text);
}

/* ---- the loop ---- */

static bool raw_has_frame(struct raw *r)
{
	struct wire_session tmp = r->s;
	struct wire_msg m;
	size_t used;

	return wire_decode(&tmp, r->in, r->len, NULL, &m, &used) != -EAGAIN;
}

static bool wanted(const struct world *w)
{
	const struct want *x = &w->want;

	return w->pri.n_up >= x->pri_up && w->bak.n_up >= x->bak_up &&
	    w->pri.n_lost >= x->pri_lost && w->bak.n_lost >= x->bak_lost &&
	    w->pri.n_msg >= x->pri_msg && w->bak.n_msg >= x->bak_msg &&
	    w->pri.n_reject >= x->pri_reject && (x->raw_eof == NULL || x->raw_eof->eof) &&
	    (x->raw_frame == NULL || raw_has_frame(x->raw_frame));
}

static void on_tick(void *arg)
{
	struct world *w = arg;

	w->ticks++;
	if (wanted(w))
		loop_stop(w->l);
	assert_int_equal(loop_timer_at(w->tick, loop_now_ms(w->l) + TICK_MS), 0);
}

static void on_safety(void *arg)
{
	struct world *w = arg;

	w->expired = true;
	loop_stop(w->l);
}

/* Run the loop until want is reached or max_ms passed; true when reached. */
static bool run_want(struct world *w, struct want want, uint64_t max_ms)
{
	uint64_t t0 = mono_ms();

	w->want = want;
	w->expired = false;
	assert_int_equal(loop_timer_at(w->safety, t0 + max_ms), 0);
	if (!wanted(w))
		assert_int_equal(loop_run(w->l), 0);
	w->run_ms += mono_ms() - t0;
	assert_int_equal(loop_timer_at(w->safety, LOOP_NEVER), 0);
	return wanted(w);
}

/* Let the loop turn for ms whatever happens (to see that nothing more happens). */
static void run_for(struct world *w, uint64_t ms)
{
	struct want never = { .pri_up = 1000 };

	assert_false(run_want(w, never, ms));
}

/* ---- addresses and links ---- */

static struct peer_addr addr_of(const char *text, uint16_t port)
{
	struct peer_addr a = { .port = port };

	a.addr.family = strchr(text, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a.addr.family, text, a.addr.bytes), 1);
	snprintf(a.addr.text, sizeof(a.addr.text), "%s", text);
	return a;
}

static bool have_ipv6(void)
{
	struct peer_addr a = addr_of("::1", 0);
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	memcpy(&sin6.sin6_addr, a.addr.bytes, 16);
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

static const char *aux_text(const struct world *w)
{
	return w->v6 ? "::1" : "127.0.0.2";
}

static const struct peer_callbacks *callbacks(struct side *s)
{
	static struct peer_callbacks cb[2];
	int i = s == &s->w->pri ? 0 : 1;

	cb[i] = (struct peer_callbacks){ .on_up = cb_up,
		.on_lost = cb_lost,
		.on_msg = cb_msg,
		.on_reject = cb_reject,
		.arg = s };
	return &cb[i];
}

static void side_open(struct side *s, const struct peer_params *p, const struct wire_key *key,
    const struct wire_hello *h)
{
	assert_int_equal(peer_link_new(s->w->l, p, key, callbacks(s), &s->link), 0);
	assert_int_equal(peer_set_hello(s->link, h), 0);
}

/* The primary: an acceptor on 127.0.0.1 (main) and ::1 or 127.0.0.2 (aux), ephemeral ports. */
static void open_primary(struct world *w, const struct wire_key *key)
{
	struct peer_params p = { .timeout_ms = TIMEOUT_MS };

	p.listen[CONN_MAIN] = addr_of("127.0.0.1", 0);
	p.listen[CONN_AUX] = addr_of(aux_text(w), 0);
	side_open(&w->pri, &p, key, &w->hello_pri);
}

static uint16_t listen_port(struct side *s, enum vg_conn ch)
{
	uint16_t port = 0;

	assert_int_equal(peer_link_listen_port(s->link, ch, &port), 0);
	assert_int_not_equal(port, 0);
	return port;
}

/* The backup: dials the primary's ports from bound local addresses, listens on its own port. */
static void open_backup_to(struct world *w, const struct wire_key *key, uint16_t main_port,
    uint16_t aux_port)
{
	struct peer_params p = { .timeout_ms = TIMEOUT_MS };

	p.listen[CONN_MAIN] = addr_of("127.0.0.1", 0);
	p.local[CONN_MAIN] = addr_of("127.0.0.1", 0);
	p.local[CONN_AUX] = addr_of(aux_text(w), 0);
	p.remote[CONN_MAIN] = addr_of("127.0.0.1", main_port);
	p.remote[CONN_AUX] = addr_of(aux_text(w), aux_port);
	side_open(&w->bak, &p, key, &w->hello_bak);
}

static void open_backup(struct world *w, const struct wire_key *key)
{
	open_backup_to(w, key, listen_port(&w->pri, CONN_MAIN), listen_port(&w->pri, CONN_AUX));
}

/* Both links and both connections up, as in a running pair. */
static void open_pair_up(struct world *w)
{
	open_primary(w, &w->key);
	open_backup(w, &w->key);
	assert_int_equal(peer_dial(w->bak.link, CONN_MAIN, NULL), 0);
	assert_int_equal(peer_dial(w->bak.link, CONN_AUX, NULL), 0);
	assert_true(run_want(w, (struct want){ .pri_up = 2, .bak_up = 2 }, RUN_MS));
}

/* The backup's connection of a channel (outgoing) or the primary's (incoming). */
static struct peer_conn *conn_of(struct side *s, enum vg_conn ch)
{
	for (int i = 0; i < s->n_up && i < REC_MAX; i++) {
		if (s->up_conn[i] != NULL && s->up_channel[i] == ch)
			return s->up_conn[i];
	}
	fail_msg("no connection on channel %d", (int)ch);
	return NULL;
}

/* ---- raw clients ---- */

static void raw_readable(int fd, unsigned events, void *arg)
{
	struct raw *r = arg;
	ssize_t n;

	(void)events;
	if (r->len == sizeof(r->in)) {
		r->len = 0; /* a flood we do not look at */
	}
	n = recv(fd, r->in + r->len, sizeof(r->in) - r->len, MSG_DONTWAIT);
	if (n > 0)
		r->len += (size_t)n;
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		r->eof = true;
	if (r->eof) {
		loop_io_del(r->io);
		r->io = NULL;
	}
}

/* A blocking connect (the kernel completes it from the listen backlog), then non-blocking reads. */
static void raw_open(struct world *w, struct raw *r, uint16_t port, int rcvbuf, bool watch)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	*r = (struct raw){ .fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) };
	assert_true(r->fd >= 0);
	if (rcvbuf > 0)
		assert_int_equal(setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)),
		    0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(r->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(fcntl(r->fd, F_SETFL, O_NONBLOCK), 0);
	if (watch) {
		r->io = loop_io_add(w->l, r->fd, LOOP_READ, raw_readable, r);
		assert_non_null(r->io);
	}
}

static void raw_close(struct raw *r)
{
	loop_io_del(r->io);
	r->io = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static void raw_send(struct raw *r, const void *buf, size_t len)
{
	assert_int_equal(send(r->fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Encode msg on the raw client's session, send it, and keep a copy in cap (may be NULL). */
static void raw_send_msg(struct raw *r, const struct wire_msg *m, uint8_t *cap, size_t *cap_len)
{
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len = 0;

	assert_int_equal(wire_encode(&r->s, m, buf, sizeof(buf), &len), 0);
	raw_send(r, buf, len);
	if (cap != NULL) {
		memcpy(cap + *cap_len, buf, len);
		*cap_len += len;
	}
}

/* Run the dialer's side of the handshake by hand against the primary; captures what it sent. */
static void raw_handshake(struct world *w, struct raw *r, uint8_t *cap, size_t *cap_len)
{
	uint8_t nonce[WIRE_NONCE_LEN];
	struct wire_msg m = { .type = WIRE_MSG_OPEN };
	size_t used = 0;

	randombytes_buf(nonce, sizeof(nonce));
	assert_int_equal(wire_session_init_dialer(&w->key, nonce, &r->s), 0);
	raw_send_msg(r, &m, cap, cap_len);
	assert_true(run_want(w, (struct want){ .raw_frame = r }, RUN_MS));
	assert_int_equal(wire_decode(&r->s, r->in, r->len, &r->counters, &m, &used), 0);
	assert_int_equal(m.type, WIRE_MSG_HELLO);
	assert_string_equal(m.hello.node, "vigil-a");
	memmove(r->in, r->in + used, r->len - used);
	r->len -= used;
	m = (struct wire_msg){ .type = WIRE_MSG_HELLO, .hello = w->hello_bak };
	raw_send_msg(r, &m, cap, cap_len);
}

/* A TCP port with nothing listening on 127.0.0.1 (bound, read, released). */
static uint16_t dead_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* A listener that never accepts nor speaks: the kernel completes connects from its backlog. */
static int blackhole(uint16_t *ret_port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*ret_port = ntohs(sin.sin_port);
	return fd;
}

/* ---- fixtures ---- */

static struct wire_hello hello_fact(const char *node, bool role_a, enum vg_state st, int dscp)
{
	struct wire_hello h = { .role_a = role_a,
		.state = st,
		.generation = 7,
		.dscp = dscp,
		.sync = role_a ? SYNC_IN : SYNC_UNKNOWN,
		.module_responding = role_a };

	snprintf(h.node, sizeof(h.node), "%s", node);
	snprintf(h.software, sizeof(h.software), "1.0.0");
	for (int i = 0; i < WIRE_DIGEST_LEN; i++)
		h.config_digest[i] = (uint8_t)(0xc0 + i);
	return h;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	uint8_t key[WIRE_KEY_LEN];

	assert_non_null(w);
	assert_true(sodium_init() >= 0);
	assert_int_equal(loop_new(&w->l), 0);
	w->tick = loop_timer_new(w->l, on_tick, w);
	w->safety = loop_timer_new(w->l, on_safety, w);
	assert_non_null(w->tick);
	assert_non_null(w->safety);
	assert_int_equal(loop_timer_at(w->tick, loop_now_ms(w->l) + TICK_MS), 0);
	w->pri.w = w->bak.w = w;
	randombytes_buf(key, sizeof(key));
	assert_int_equal(wire_key_init_hmac(key, &w->key), 0);
	w->hello_pri = hello_fact("vigil-a", true, ST_PRIMARY, 46);
	w->hello_bak = hello_fact("vigil-b", false, ST_BACKUP, WIRE_DSCP_NONE);
	w->v6 = have_ipv6();
	*state = w;
	return 0;
}

static void release_fill(struct world *w)
{
	while (w->n_fill > 0)
		assert_int_equal(close(w->fill[--w->n_fill]), 0);
	if (w->nofile_lowered)
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &w->nofile), 0);
	w->nofile_lowered = false;
}

/* The timers kept running: a tick every TICK_MS while the loop ran, give or take a lot. */
static int teardown(void **state)
{
	struct world *w = *state;

	release_fill(w);
	if (w->run_ms >= 50)
		assert_true((uint64_t)w->ticks * TICK_MS * 3 >= w->run_ms);
	peer_link_free(w->pri.link);
	peer_link_free(w->bak.link);
	loop_timer_free(w->tick);
	loop_timer_free(w->safety);
	loop_free(w->l);
	free(w);
	return 0;
}

/* ---- tests ---- */

/* Main and aux come up on both sides, each with the other's facts and the right channel. */
static void test_dial_main_aux(void **state)
{
	struct world *w = *state;
	struct peer_counters pc, bc;

	open_pair_up(w);
	for (int i = 0; i < 2; i++) {
		assert_true(w->bak.up_outgoing[i]);
		assert_false(w->pri.up_outgoing[i]);
		assert_string_equal(w->bak.up_hello[i].node, "vigil-a");
		assert_string_equal(w->pri.up_hello[i].node, "vigil-b");
		assert_true(w->bak.up_hello[i].role_a);
		assert_int_equal(w->bak.up_hello[i].state, ST_PRIMARY);
		assert_int_equal(w->bak.up_hello[i].dscp, 46);
		assert_int_equal(w->pri.up_hello[i].state, ST_BACKUP);
		assert_int_equal(w->pri.up_hello[i].dscp, WIRE_DSCP_NONE);
		/* both ends agree on the channel, and each hello says which one it travels on */
		assert_int_equal(w->pri.up_hello[i].channel, w->pri.up_channel[i]);
		assert_int_equal(w->bak.up_hello[i].channel, w->bak.up_channel[i]);
	}
	assert_int_not_equal(w->bak.up_channel[0], w->bak.up_channel[1]);
	assert_int_not_equal(w->pri.up_channel[0], w->pri.up_channel[1]);
	peer_link_counters(w->pri.link, &pc);
	peer_link_counters(w->bak.link, &bc);
	assert_int_equal(pc.accepts, 2);
	assert_int_equal(pc.ups, 2);
	assert_int_equal(bc.dials, 2);
	assert_int_equal(bc.connects, 2);
	assert_int_equal(bc.ups, 2);
	assert_int_equal(pc.wire.accepted, 4); /* OPEN + HELLO, twice */
	assert_int_equal(bc.wire.accepted, 2);
	assert_true(pc.bytes_in == bc.bytes_out && bc.bytes_in == pc.bytes_out);
	assert_int_equal(w->pri.n_lost + w->bak.n_lost + w->pri.n_reject, 0);
}

/* New facts go into the next hello; a re-dial replaces the channel's connection (-ECANCELED). */
static void test_hello_update_and_redial(void **state)
{
	struct world *w = *state;
	struct wire_hello h = w->hello_bak;
	struct wire_hello bad = h;

	open_pair_up(w);
	bad.node[0] = '\0';
	assert_int_equal(peer_set_hello(w->bak.link, &bad), -EINVAL);
	h.state = ST_INIT;
	h.generation = 9;
	assert_int_equal(peer_set_hello(w->bak.link, &h), 0);
	assert_int_equal(peer_dial(w->bak.link, CONN_AUX, NULL), 0);
	assert_true(run_want(w,
	    (struct want){ .pri_up = 3, .bak_up = 3, .bak_lost = 1, .pri_lost = 1 }, RUN_MS));
	assert_int_equal(w->bak.lost_err[0], -ECANCELED);
	assert_true(w->bak.lost_was_up[0]);
	assert_int_equal(w->pri.lost_err[0], -ECONNRESET);
	assert_int_equal(w->pri.up_hello[2].state, ST_INIT);
	assert_int_equal(w->pri.up_hello[2].generation, 9);
	assert_int_equal(w->pri.up_channel[2], CONN_AUX);
}

static struct wire_msg kind_sample(enum wire_msg_type t)
{
	struct wire_msg m = { .type = t };

	switch (t) {
	case WIRE_MSG_NOTIFIER_PING:
		m.notifier_ping.seq = 11;
		break;
	case WIRE_MSG_NOTIFIER_PONG:
		m.notifier_pong.seq = 12;
		break;
	case WIRE_MSG_MODULE_PING:
		m.module_ping.seq = 13;
		break;
	case WIRE_MSG_MODULE_PONG:
		m.module_pong = (struct wire_module_pong){ 14, 4242, true };
		break;
	case WIRE_MSG_STATE_ANNOUNCE:
		m.state_announce = (struct wire_state_announce){ ST_PRIMARY, 8 };
		break;
	case WIRE_MSG_SWITCH_NOTICE:
		m.switch_notice =
		    (struct wire_switch_notice){ WIRE_SWITCH_COMMENCE, REASON_MODULE_DOWN };
		break;
	case WIRE_MSG_DRAIN_REQUEST:
		m.drain_request.force = true;
		break;
	case WIRE_MSG_MODULE_GONE:
		m.module_gone.pid = 4242;
		break;
	case WIRE_MSG_DRILL_START:
		m.drill_start = (struct wire_drill_start){ WIRE_DRILL_WAN_CUT, 5000, true };
		break;
	default:
		break;
	}
	return m;
}

/* Every message kind goes backup -> primary on main and comes back (the primary echoes). */
static void test_every_kind_round_trip(void **state)
{
	struct world *w = *state;
	struct wire_msg open = { .type = WIRE_MSG_OPEN };
	struct wire_msg bad = kind_sample(WIRE_MSG_MODULE_GONE);
	struct peer_conn *c;
	int n = 0;

	open_pair_up(w);
	w->pri.echo = true;
	c = conn_of(&w->bak, CONN_MAIN);
	assert_int_equal(peer_send(w->bak.link, c, &open), -EINVAL);
	bad.module_gone.pid = 0; /* refused by the codec: nothing sent, the connection stays */
	assert_int_equal(peer_send(w->bak.link, c, &bad), -EINVAL);
	for (int t = WIRE_MSG_NOTIFIER_PING; t < WIRE_MSG_COUNT; t++, n++) {
		struct wire_msg m = kind_sample((enum wire_msg_type)t);

		assert_int_equal(peer_send(w->bak.link, c, &m), 0);
	}
	assert_true(run_want(w, (struct want){ .pri_msg = n, .bak_msg = n }, RUN_MS));
	for (int i = 0; i < n; i++) {
		struct wire_msg m = kind_sample((enum wire_msg_type)(WIRE_MSG_NOTIFIER_PING + i));

		assert_msg_equal(&w->pri.msg[i], &m);
		assert_msg_equal(&w->bak.msg[i], &m);
	}
	/* a broadcast reaches both connections of each side */
	w->pri.echo = false;
	assert_int_equal(peer_broadcast(w->pri.link, &open), -EINVAL);
	assert_int_equal(peer_broadcast(w->pri.link,
	                     &(struct wire_msg){ .type = WIRE_MSG_DRILL_END }),
	    2);
	assert_true(run_want(w, (struct want){ .bak_msg = n + 2 }, RUN_MS));
	assert_int_equal(w->bak.msg[n + 1].type, WIRE_MSG_DRILL_END);
	assert_int_equal(w->pri.n_lost + w->bak.n_lost, 0);
}

/* The peer closing: lost on the other side; peer_close_outgoing drops only outgoing ones. */
static void test_peer_close_lost(void **state)
{
	struct world *w = *state;

	open_pair_up(w);
	peer_close(w->pri.link, conn_of(&w->pri, CONN_MAIN));
	assert_true(run_want(w, (struct want){ .pri_lost = 1, .bak_lost = 1 }, RUN_MS));
	assert_int_equal(w->pri.lost_err[0], -ECANCELED);
	assert_int_equal(w->bak.lost_err[0], -ECONNRESET);
	assert_true(w->bak.lost_was_up[0] && w->bak.lost_outgoing[0]);
	peer_close_outgoing(w->pri.link); /* the primary holds none */
	peer_close_outgoing(w->bak.link);
	assert_true(run_want(w, (struct want){ .pri_lost = 2, .bak_lost = 2 }, RUN_MS));
	assert_int_equal(w->bak.lost_err[1], -ECANCELED);
	assert_int_equal(w->pri.lost_err[1], -ECONNRESET);
	run_for(w, 30);
	assert_int_equal(w->pri.n_lost + w->bak.n_lost, 4);
}

/* Nothing listens: lost at once with ECONNREFUSED, counted as a dial failure. */
static void test_dial_refused(void **state)
{
	struct world *w = *state;
	struct peer_counters bc;
	uint64_t t0;

	w->v6 = false;
	open_backup_to(w, &w->key, dead_port(), dead_port());
	t0 = mono_ms();
	assert_int_equal(peer_dial(w->bak.link, CONN_MAIN, NULL), 0);
	assert_true(run_want(w, (struct want){ .bak_lost = 1 }, RUN_MS));
	assert_int_equal(w->bak.lost_err[0], -ECONNREFUSED);
	assert_false(w->bak.lost_was_up[0]);
	assert_true(w->bak.lost_ms[0] - t0 < TIMEOUT_MS / 2);
	peer_link_counters(w->bak.link, &bc);
	assert_int_equal(bc.dial_failures, 1);
	assert_int_equal(bc.connects, 0);
	print_message("refused after %llu ms\n", (unsigned long long)(w->bak.lost_ms[0] - t0));
}

/* A bind to an address this host lacks fails as an on_lost from the loop, not from peer_dial. */
static void test_dial_bind_failure(void **state)
{
	struct world *w = *state;
	struct peer_params p = { .timeout_ms = TIMEOUT_MS };

	p.local[CONN_MAIN] = addr_of("192.0.2.1", 0); /* TEST-NET-1: not ours */
	p.remote[CONN_MAIN] = addr_of("127.0.0.1", dead_port());
	side_open(&w->bak, &p, &w->key, &w->hello_bak);
	assert_int_equal(peer_dial(w->bak.link, CONN_AUX, NULL), -EINVAL); /* no aux remote */
	assert_int_equal(peer_dial(w->bak.link, CONN_MAIN, NULL), 0);
	assert_int_equal(w->bak.n_lost, 0);
	assert_true(run_want(w, (struct want){ .bak_lost = 1 }, RUN_MS));
	assert_int_equal(w->bak.lost_err[0], -EADDRNOTAVAIL);
}

/* A listener that never speaks: the handshake times out at TIMEOUT_MS. */
static void test_dial_blackhole(void **state)
{
	struct world *w = *state;
	struct peer_counters bc;
	uint16_t port;
	int hole = blackhole(&port);
	uint64_t t0, took;

	w->v6 = false;
	open_backup_to(w, &w->key, port, port);
	t0 = mono_ms();
	assert_int_equal(peer_dial(w->bak.link, CONN_MAIN, NULL), 0);
	assert_true(run_want(w, (struct want){ .bak_lost = 1 }, RUN_MS));
	took = w->bak.lost_ms[0] - t0;
	assert_int_equal(w->bak.lost_err[0], -ETIMEDOUT);
	/* the deadline comes from the loop's cached now, which may be a little old outside callbacks */
	assert_true(took + 50 >= TIMEOUT_MS && took < TIMEOUT_MS + 200);
	peer_link_counters(w->bak.link, &bc);
	assert_int_equal(bc.connects, 1);
	assert_int_equal(bc.timeouts, 1);
	assert_int_equal(bc.dial_failures, 1);
	close(hole);
	print_message("blackhole lost after %llu ms (timeout %d)\n", (unsigned long long)took,
	    TIMEOUT_MS);
}

/* Another pair key (or auth mode) on the backup: refused at the acceptor, never up. */
static void test_wrong_key(void **state)
{
	struct world *w = *state;
	static const struct {
		bool none;
		enum wire_reject why;
	} rows[] = { { false, WIRE_REJECT_WRONG_PAIR }, { true, WIRE_REJECT_AUTH_MISMATCH } };

	open_primary(w, &w->key);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t other[WIRE_KEY_LEN];
		struct wire_key k;
		struct peer_counters pc;

		randombytes_buf(other, sizeof(other));
		if (rows[i].none)
			wire_key_init_none(&k);
		else
			assert_int_equal(wire_key_init_hmac(other, &k), 0);
		peer_link_free(w->bak.link);
		open_backup(w, &k);
		assert_int_equal(peer_dial(w->bak.link, CONN_MAIN, NULL), 0);
		assert_true(run_want(w,
		    (struct want){ .pri_lost = (int)i + 1, .bak_lost = (int)i + 1 }, RUN_MS));
		assert_int_equal(w->pri.reject[i], rows[i].why);
		assert_int_equal(wire_reject_from_error(w->pri.lost_err[i]), (int)rows[i].why);
		assert_int_equal(w->bak.lost_err[i], -ECONNRESET);
		peer_link_counters(w->pri.link, &pc);
		assert_int_equal(pc.wire.rejected[rows[i].why], 1);
	}
	assert_int_equal(w->pri.n_up + w->bak.n_up, 0);
}

/* A valid OPEN frame of a raw client's new session. */
static size_t open_frame(struct world *w, struct raw *r, uint8_t *buf)
{
	uint8_t nonce[WIRE_NONCE_LEN] = { 1 };
	struct wire_msg m = { .type = WIRE_MSG_OPEN };
	size_t len = 0;

	assert_int_equal(wire_session_init_dialer(&w->key, nonce, &r->s), 0);
	assert_int_equal(wire_encode(&r->s, &m, buf, WIRE_FRAME_MAX, &len), 0);
	return len;
}

/* A valid OPEN with the byte at each offset changed, PEER_PENDING_MAX clients at a time. */
static int damaged_opens(struct world *w)
{
	struct raw r[PEER_PENDING_MAX];
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len = open_frame(w, &r[0], buf);
	int n = 0;

	for (size_t off = 0; off < len; off += PEER_PENDING_MAX) {
		int k = 0;

		for (; k < PEER_PENDING_MAX && off + (size_t)k < len; k++, n++) {
			raw_open(w, &r[k], listen_port(&w->pri, CONN_MAIN), 0, true);
			(void)open_frame(w, &r[k], buf);
			buf[off + (size_t)k] ^= 0xa5;
			raw_send(&r[k], buf, len);
		}
		assert_true(run_want(w, (struct want){ .pri_lost = 1 + n }, RUN_MS));
		while (k > 0)
			raw_close(&r[--k]);
	}
	return n;
}

/* Junk and damaged frames from raw clients: each refused at once, counted, closed; the listener goes on. */
static void test_garbage(void **state)
{
	struct world *w = *state;
	static const char http[] = "GET / HTTP/1.0\r\n\r\n";
	struct raw junk;
	struct peer_counters pc;
	int n;

	open_primary(w, &w->key);
	raw_open(w, &junk, listen_port(&w->pri, CONN_MAIN), 0, true);
	raw_send(&junk, http, sizeof(http) - 1);
	assert_true(run_want(w, (struct want){ .pri_lost = 1, .raw_eof = &junk }, RUN_MS));
	assert_int_equal(w->pri.reject[0], WIRE_REJECT_BAD_MAGIC);
	raw_close(&junk);
	n = damaged_opens(w);
	peer_link_counters(w->pri.link, &pc);
	assert_int_equal(pc.wire.accepted, 0);
	assert_int_equal(pc.accepts, 1 + n);
	assert_int_equal(pc.evicted + pc.timeouts, 0);
	assert_int_equal(w->pri.n_reject, 1 + n); /* every flip refused, none left waiting */
	assert_int_equal(w->pri.n_up, 0);
	/* still accepting: the real backup comes up */
	open_backup(w, &w->key);
	assert_int_equal(peer_dial(w->bak.link, CONN_MAIN, NULL), 0);
	assert_true(run_want(w, (struct want){ .pri_up = 1, .bak_up = 1 }, RUN_MS));
	print_message("garbage: %d frames refused (%llu bad-mac, %llu stale-session)\n",
	    w->pri.n_reject, (unsigned long long)pc.wire.rejected[WIRE_REJECT_BAD_MAC],
	    (unsigned long long)pc.wire.rejected[WIRE_REJECT_STALE_SESSION]);
}

/* A junk connection from 127.0.0.1, refused and closed: the n-th rejection of the primary. */
static void junk_once(struct world *w, int n)
{
	static const char http[] = "GET / HTTP/1.0\r\n\r\n";
	struct raw r;

	raw_open(w, &r, listen_port(&w->pri, CONN_MAIN), 0, true);
	raw_send(&r, http, sizeof(http) - 1);
	assert_true(run_want(w, (struct want){ .pri_reject = n, .raw_eof = &r }, RUN_MS));
	raw_close(&r);
}

/* The rate limit (peer.h): 3 rejections from one address close its idle connection and refuse
 * the next at accept; the journal bound lets the first and the block through, not the second. */
static void test_rate_limit(void **state)
{
	struct world *w = *state;
	struct peer_params p = { .timeout_ms = 60000, .limit_rejects = 3 };
	struct peer_counters pc;
	struct raw idle, late;

	p.listen[CONN_MAIN] = addr_of("127.0.0.1", 0);
	side_open(&w->pri, &p, &w->key, &w->hello_pri);
	raw_open(w, &idle, listen_port(&w->pri, CONN_MAIN), 0, true);
	for (int i = 1; i <= 3; i++)
		junk_once(w, i);
	assert_string_equal(w->pri.reject_from[0], "127.0.0.1");
	assert_true(w->pri.reject_limit[0].report && !w->pri.reject_limit[0].blocked);
	assert_false(w->pri.reject_limit[1].report);
	assert_true(w->pri.reject_limit[2].report && w->pri.reject_limit[2].blocked);
	assert_int_equal(w->pri.reject_limit[2].rejects, 3);
	assert_int_equal(w->pri.reject_limit[2].unreported, 1);
	assert_true(run_want(w, (struct want){ .pri_lost = 4, .raw_eof = &idle }, RUN_MS));
	raw_close(&idle);
	raw_open(w, &late, listen_port(&w->pri, CONN_MAIN), 0, true);
	assert_true(run_want(w, (struct want){ .raw_eof = &late }, RUN_MS));
	raw_close(&late);
	peer_link_counters(w->pri.link, &pc);
	assert_int_equal(pc.rate_limited, 1);
	assert_int_equal(pc.rate_limit_closed, 1);
	assert_int_equal(pc.rate_limit_refused, 1);
	assert_int_equal(pc.rejects_unreported, 1);
	assert_int_equal(pc.wire.rejected[WIRE_REJECT_BAD_MAGIC], 3);
	assert_int_equal(w->pri.n_lost, 4); /* the refused one never became a connection */
}

/* The peer's own address is never blocked, however much it sends; its reports stay bounded. */
static void test_rate_limit_spares_peer(void **state)
{
	struct world *w = *state;
	struct peer_params p = { .timeout_ms = 60000, .limit_rejects = 2 };
	struct peer_counters pc;

	p.listen[CONN_MAIN] = addr_of("127.0.0.1", 0);
	p.remote[CONN_MAIN] = addr_of("127.0.0.1", 1); /* the peer dials from 127.0.0.1 */
	side_open(&w->pri, &p, &w->key, &w->hello_pri);
	for (int i = 1; i <= 5; i++)
		junk_once(w, i);
	peer_link_counters(w->pri.link, &pc);
	assert_int_equal(pc.rate_limited + pc.rate_limit_refused + pc.rate_limit_closed, 0);
	assert_int_equal(pc.rejects_unreported, 4);
	for (int i = 0; i < 5; i++)
		assert_false(w->pri.reject_limit[i].blocked);
	/* and the real backup still comes up from it */
	open_backup_to(w, &w->key, listen_port(&w->pri, CONN_MAIN), 0);
	assert_int_equal(peer_dial(w->bak.link, CONN_MAIN, NULL), 0);
	assert_true(run_want(w, (struct want){ .pri_up = 1, .bak_up = 1 }, RUN_MS));
}

/* Frames cut into small pieces arrive whole: the input buffer waits for the rest (-EAGAIN). */
static void test_fragmented(void **state)
{
	struct world *w = *state;
	struct raw r;
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len, used = 0;
	struct wire_msg m;

	open_primary(w, &w->key);
	raw_open(w, &r, listen_port(&w->pri, CONN_MAIN), 0, true);
	len = open_frame(w, &r, buf);
	for (size_t off = 0; off < len; off += 5) {
		raw_send(&r, buf + off, len - off < 5 ? len - off : 5);
		run_for(w, 2);
	}
	assert_true(run_want(w, (struct want){ .raw_frame = &r }, RUN_MS));
	assert_int_equal(wire_decode(&r.s, r.in, r.len, NULL, &m, &used), 0);
	assert_int_equal(m.type, WIRE_MSG_HELLO);
	m = (struct wire_msg){ .type = WIRE_MSG_HELLO, .hello = w->hello_bak };
	assert_int_equal(wire_encode(&r.s, &m, buf, sizeof(buf), &len), 0);
	for (size_t off = 0; off < len; off++) {
		raw_send(&r, buf + off, 1);
		if (off % 16 == 0)
			run_for(w, 1);
	}
	assert_true(run_want(w, (struct want){ .pri_up = 1 }, RUN_MS));
	assert_int_equal(w->pri.n_reject, 0);
	raw_close(&r);
}

/* Frames captured from an earlier session and replayed on a new connection: never up. */
static void test_replay(void **state)
{
	struct world *w = *state;
	struct raw r1, r2;
	uint8_t cap[2 * WIRE_FRAME_MAX];
	size_t cap_len = 0;
	struct peer_counters pc;

	open_primary(w, &w->key);
	raw_open(w, &r1, listen_port(&w->pri, CONN_MAIN), 0, true);
	raw_handshake(w, &r1, cap, &cap_len);
	assert_true(run_want(w, (struct want){ .pri_up = 1 }, RUN_MS));
	raw_close(&r1);
	assert_true(run_want(w, (struct want){ .pri_lost = 1 }, RUN_MS));
	raw_open(w, &r2, listen_port(&w->pri, CONN_MAIN), 0, true);
	raw_send(&r2, cap, cap_len); /* OPEN is accepted (doc/protocol.md 7), the HELLO is not */
	assert_true(run_want(w, (struct want){ .pri_lost = 2, .raw_eof = &r2 }, RUN_MS));
	raw_close(&r2);
	assert_int_equal(w->pri.n_up, 1);
	assert_int_equal(w->pri.reject[0], WIRE_REJECT_STALE_SESSION);
	peer_link_counters(w->pri.link, &pc);
	assert_int_equal(pc.wire.rejected[WIRE_REJECT_STALE_SESSION], 1);
}

/* A second HELLO on an established session is refused as unexpected and closes it. */
static void test_late_hello(void **state)
{
	struct world *w = *state;
	struct raw r;
	struct wire_session before;
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len = 0;
	struct wire_msg m = { .type = WIRE_MSG_OPEN };
	uint8_t nonce[WIRE_NONCE_LEN] = { 9 };
	size_t used = 0;

	open_primary(w, &w->key);
	raw_open(w, &r, listen_port(&w->pri, CONN_MAIN), 0, true);
	assert_int_equal(wire_session_init_dialer(&w->key, nonce, &r.s), 0);
	raw_send_msg(&r, &m, NULL, NULL);
	assert_true(run_want(w, (struct want){ .raw_frame = &r }, RUN_MS));
	assert_int_equal(wire_decode(&r.s, r.in, r.len, NULL, &m, &used), 0);
	before = r.s; /* the codec sends one hello per session: forge the second from a copy */
	m = (struct wire_msg){ .type = WIRE_MSG_HELLO, .hello = w->hello_bak };
	raw_send_msg(&r, &m, NULL, NULL);
	assert_true(run_want(w, (struct want){ .pri_up = 1 }, RUN_MS));
	assert_int_equal(wire_encode(&before, &m, buf, sizeof(buf), &len), 0);
	raw_send(&r, buf, len);
	assert_true(run_want(w, (struct want){ .pri_lost = 1, .raw_eof = &r }, RUN_MS));
	assert_int_equal(w->pri.reject[0], WIRE_REJECT_UNEXPECTED);
	assert_true(w->pri.lost_was_up[0]);
	raw_close(&r);
}

/* A peer that never reads: the output buffer fills, the connection is closed, nothing blocks. */
static void test_output_overflow(void **state)
{
	struct world *w = *state;
	struct raw r;
	struct peer_conn *c;
	struct peer_counters pc;
	struct wire_msg ping = { .type = WIRE_MSG_NOTIFIER_PING };
	uint64_t t0;
	int rc = 0, sent = 0;

	open_primary(w, &w->key);
	raw_open(w, &r, listen_port(&w->pri, CONN_MAIN), 4096, true);
	raw_handshake(w, &r, NULL, &(size_t){ 0 });
	assert_true(run_want(w, (struct want){ .pri_up = 1 }, RUN_MS));
	loop_io_del(r.io); /* from here on the raw peer reads nothing */
	r.io = NULL;
	c = w->pri.up_conn[0];
	t0 = mono_ms();
	while (rc == 0 && sent < 1000000) {
		ping.notifier_ping.seq = (uint32_t)sent;
		rc = peer_send(w->pri.link, c, &ping);
		sent += rc == 0;
	}
	assert_int_equal(rc, -ENOBUFS);
	assert_true(mono_ms() - t0 < 1000);
	assert_int_equal(peer_send(w->pri.link, c, &ping), -ENOTCONN);
	assert_true(run_want(w, (struct want){ .pri_lost = 1 }, RUN_MS));
	assert_int_equal(w->pri.lost_err[0], -ENOBUFS);
	peer_link_counters(w->pri.link, &pc);
	assert_int_equal(pc.stalls, 1);
	raw_close(&r);
	print_message("stalled after %d frames, %llu bytes out, %llu ms\n", sent,
	    (unsigned long long)pc.bytes_out, (unsigned long long)(mono_ms() - t0));
}

/* Handshakes in progress are bounded: the oldest idle one makes room for a new one. */
static void test_pending_eviction(void **state)
{
	struct world *w = *state;
	struct raw r[PEER_PENDING_MAX + 1];
	struct peer_counters pc;

	open_primary(w, &w->key);
	for (int i = 0; i <= PEER_PENDING_MAX; i++) {
		raw_open(w, &r[i], listen_port(&w->pri, CONN_MAIN), 0, true);
		run_for(w, 10); /* accepted in order */
	}
	assert_true(run_want(w, (struct want){ .pri_lost = 1, .raw_eof = &r[0] }, RUN_MS));
	assert_int_equal(w->pri.lost_err[0], -EUSERS);
	peer_link_counters(w->pri.link, &pc);
	assert_int_equal(pc.evicted, 1);
	/* the rest time out */
	assert_true(run_want(w, (struct want){ .pri_lost = PEER_PENDING_MAX + 1 }, RUN_MS));
	assert_int_equal(w->pri.lost_err[1], -ETIMEDOUT);
	for (int i = 0; i <= PEER_PENDING_MAX; i++)
		raw_close(&r[i]);
}

static uint64_t cpu_ms(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000u +
	    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000u;
}

/* Out of descriptors: accept() fails, the listener pauses instead of spinning, then recovers. */
static void test_accept_exhausted(void **state)
{
	struct world *w = *state;
	struct rlimit low;
	struct raw r;
	struct peer_counters pc;
	uint64_t cpu0;

	open_primary(w, &w->key);
	raw_open(w, &r, listen_port(&w->pri, CONN_MAIN), 0, true);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &w->nofile), 0);
	low = w->nofile;
	low.rlim_cur = low.rlim_cur < 1024 ? low.rlim_cur : 1024;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	w->nofile_lowered = true;
	/* stdin may be closed under a test runner: fill with our own descriptor's copies */
	w->fill[w->n_fill++] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(w->fill[0] >= 0);
	while (w->n_fill < (int)(sizeof(w->fill) / sizeof(w->fill[0])) &&
	    (w->fill[w->n_fill] = fcntl(w->fill[0], F_DUPFD_CLOEXEC, 0)) >= 0)
		w->n_fill++;
	assert_int_equal(errno, EMFILE);
	cpu0 = cpu_ms();
	run_for(w, 150);
	assert_true(cpu_ms() - cpu0 < 75); /* a level-triggered spin would burn the whole window */
	peer_link_counters(w->pri.link, &pc);
	assert_true(pc.accept_errors >= 1);
	assert_int_equal(pc.accepts, 0);
	release_fill(w);
	raw_handshake(w, &r, NULL, &(size_t){ 0 });
	assert_true(run_want(w, (struct want){ .pri_up = 1 }, RUN_MS));
	raw_close(&r);
	print_message("accept paused after %llu error(s)\n", (unsigned long long)pc.accept_errors);
}

/* DSCP on IPv4 (IP_TOS) and IPv6 (IPV6_TCLASS), read back from the kernel. */
static void test_dscp(void **state)
{
	struct world *w = *state;
	struct peer_conn *m, *a;
	int d = -1;

	open_pair_up(w);
	m = conn_of(&w->bak, CONN_MAIN);
	a = conn_of(&w->bak, CONN_AUX);
	assert_int_equal(peer_conn_get_dscp(m, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(peer_conn_set_dscp(m, -1), 0);
	assert_int_equal(peer_conn_set_dscp(m, 46), 0);
	assert_int_equal(peer_conn_get_dscp(m, &d), 0);
	assert_int_equal(d, 46);
	assert_int_equal(peer_conn_set_dscp(a, 10), 0);
	assert_int_equal(peer_conn_get_dscp(a, &d), 0);
	assert_int_equal(d, 10);
	assert_int_equal(peer_conn_set_dscp(m, -1), 0);
	assert_int_equal(peer_conn_get_dscp(m, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(peer_conn_set_dscp(m, 64), -EINVAL);
	assert_int_equal(peer_conn_set_dscp(m, -2), -EINVAL);
	/* the link still works with the marks */
	assert_int_equal(peer_broadcast(w->bak.link,
	                     &(struct wire_msg){ .type = WIRE_MSG_DRILL_END }),
	    2);
	assert_true(run_want(w, (struct want){ .pri_msg = 2 }, RUN_MS));
	print_message("aux over %s\n", w->v6 ? "IPv6 (IPV6_TCLASS)" : "IPv4 (IP_TOS)");
}

/* Parameters from the configuration: own addresses to listen and bind, the peer's to dial. */
static void test_params_from_config(void **state)
{
	struct config c = { .node.role_a = false };
	struct peer_params p;

	(void)state;
	c.peer.a = addr_of("10.0.0.1", 0).addr;
	c.peer.b = addr_of("10.0.0.2", 0).addr;
	c.peer.aux_a = addr_of("10.1.0.1", 0).addr;
	c.peer.aux_b = c.peer.b;
	c.peer.port = 3633;
	c.peer.notifier_reconnect_delay_ms = 5000;
	peer_params_from_config(&c, &p);
	assert_string_equal(p.listen[CONN_MAIN].addr.text, "10.0.0.2");
	assert_string_equal(p.listen[CONN_AUX].addr.text, "10.0.0.2");
	assert_int_equal(p.listen[CONN_MAIN].port, 3633);
	assert_string_equal(p.local[CONN_AUX].addr.text, "10.0.0.2");
	assert_int_equal(p.local[CONN_AUX].port, 0);
	assert_string_equal(p.remote[CONN_MAIN].addr.text, "10.0.0.1");
	assert_string_equal(p.remote[CONN_AUX].addr.text, "10.1.0.1");
	assert_int_equal(p.remote[CONN_AUX].port, 3633);
	assert_int_equal(p.timeout_ms, 5000);
}

/* Equal main and aux addresses: one listener. */
static void test_one_listener(void **state)
{
	struct world *w = *state;
	struct peer_params p = { .timeout_ms = TIMEOUT_MS };
	uint16_t port;

	p.listen[CONN_MAIN] = addr_of("127.0.0.1", 0);
	p.listen[CONN_AUX] = p.listen[CONN_MAIN];
	side_open(&w->pri, &p, &w->key, &w->hello_pri);
	assert_int_equal(peer_link_listen_port(w->pri.link, CONN_MAIN, &port), 0);
	assert_int_equal(peer_link_listen_port(w->pri.link, CONN_AUX, &port), -ENOENT);
	/* main and aux over the same listener: told apart by the dialer's hello */
	p = (struct peer_params){ .timeout_ms = TIMEOUT_MS };
	p.remote[CONN_MAIN] = addr_of("127.0.0.1", port);
	p.remote[CONN_AUX] = addr_of("127.0.0.1", port);
	side_open(&w->bak, &p, &w->key, &w->hello_bak);
	assert_int_equal(peer_dial(w->bak.link, CONN_MAIN, NULL), 0);
	assert_int_equal(peer_dial(w->bak.link, CONN_AUX, NULL), 0);
	assert_true(run_want(w, (struct want){ .pri_up = 2, .bak_up = 2 }, RUN_MS));
	assert_int_not_equal(w->pri.up_channel[0], w->pri.up_channel[1]);
}

/* ---- the key file ---- */

static char key_dir[64];

static int write_key(const char *name, const char *text, mode_t mode, char *ret_path, size_t size)
{
	FILE *f;

	snprintf(ret_path, size, "%s/%s", key_dir, name);
	f = fopen(ret_path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(ret_path, mode);
}

static void test_key_load(void **state)
{
	static const char hex[] =
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1F";
	static const struct {
		const char *name, *text;
		mode_t mode;
		int want;
	} rows[] = {
		{ "ok", hex, 0600, 0 },
		{ "ok-nl", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1F\n",
		    0400, 0 },
		{ "group", hex, 0640, -EPERM },
		{ "other", hex, 0604, -EPERM },
		{ "short", "000102", 0600, -EINVAL },
		{ "long", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
		    0600, -EINVAL },
		{ "not-hex", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g",
		    0600, -EINVAL },
		{ "two-nl", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n\n",
		    0600, -EINVAL },
	};
	uint8_t raw[WIRE_KEY_LEN];
	struct wire_key want, got;
	char path[128];

	(void)state;
	snprintf(key_dir, sizeof(key_dir), "/tmp/test_peer.XXXXXX");
	assert_non_null(mkdtemp(key_dir));
	for (int i = 0; i < WIRE_KEY_LEN; i++)
		raw[i] = (uint8_t)i;
	assert_int_equal(wire_key_init_hmac(raw, &want), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(write_key(rows[i].name, rows[i].text, rows[i].mode, path,
		                     sizeof(path)),
		    0);
		memset(&got, 0xee, sizeof(got));
		assert_int_equal(peer_key_load(path, &got), rows[i].want);
		if (rows[i].want == 0)
			assert_memory_equal(&got, &want, sizeof(want));
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(peer_key_load("/nonexistent/vigil.key", &got), -ENOENT);
	assert_int_equal(peer_key_load(key_dir, &got), -EINVAL); /* a directory */
	assert_int_equal(rmdir(key_dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dial_main_aux, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_update_and_redial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_kind_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_close_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dial_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dial_bind_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dial_blackhole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_spares_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragmented, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_eviction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dscp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_listener, setup, teardown),
		cmocka_unit_test(test_params_from_config),
		cmocka_unit_test(test_key_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
