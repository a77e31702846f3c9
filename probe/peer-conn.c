/* peer-conn.c: one peer connection's life: connect, the three-flight handshake, bounded reads and writes, closing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "loop.h"
#include "peer-internal.h"
#include "peer.h"
#include "wire.h"

static void conn_io(int fd, unsigned events, void *arg);

static void conn_timeout(void *arg)
{
	peer_conn_fail(arg, -ETIMEDOUT);
}

static void conn_link(struct peer_link *link, struct peer_conn *c)
{
	c->next = link->conns;
	link->conns = c;
}

/* Takes fd (-1: none) in every case: on failure it is closed. */
int peer_conn_new(struct peer_link *link, int fd, int family, bool outgoing, enum vg_conn channel,
    struct peer_conn **ret)
{
	struct peer_conn *c = calloc(1, sizeof(*c));
	uint64_t now = loop_now_ms(link->l);

	if (c == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return -ENOMEM;
	}
	c->link = link;
	c->fd = fd;
	c->family = family;
	c->outgoing = outgoing;
	c->connecting = outgoing && fd >= 0;
	c->channel = channel;
	c->tx_channel = channel == CONN_AUX ? CONN_AUX : CONN_MAIN;
	c->dscp = -1;
	c->born_ms = now;
	c->timer = loop_timer_new(link->l, conn_timeout, c);
	if (c->timer == NULL || loop_timer_at(c->timer, now + link->p.timeout_ms) < 0) {
		c->dead = true; /* no callback: the caller never saw it */
		peer_conn_destroy(c);
		return -ENOMEM;
	}
	conn_link(link, c);
	*ret = c;
	return 0;
}

/* The descriptor and its watch go at once; the struct lives until the reaper's on_lost. */
static void conn_release(struct peer_conn *c)
{
	loop_io_del(c->io);
	c->io = NULL;
	if (c->fd >= 0)
		(void)close(
		    c->fd); /* Linux frees the descriptor even when close() reports an error */
	c->fd = -1;
	wire_session_wipe(&c->s);
}

void peer_conn_destroy(struct peer_conn *c)
{
	conn_release(c);
	loop_timer_free(c->timer);
	free(c);
}

static void conn_count_loss(struct peer_conn *c, int err)
{
	struct peer_counters *n = &c->link->counters;

	if (c->outgoing && !c->established)
		n->dial_failures++;
	if (err == -ETIMEDOUT)
		n->timeouts++;
	else if (err == -ENOBUFS)
		n->stalls++;
}

/* Close now, report later: on_lost always comes from the loop (peer.h), never re-entrantly. */
void peer_conn_fail(struct peer_conn *c, int err)
{
	if (c->dead)
		return;
	c->dead = true;
	c->err = err;
	conn_count_loss(c, err);
	conn_release(c);
	(void)loop_timer_at(c->timer, LOOP_NEVER);
	/* -ENOMEM only if libevent cannot queue a zero timeout; the next loss retries. */
	(void)loop_timer_at(c->link->reaper, 0);
}

static struct peer_conn *first_dead(struct peer_link *link, struct peer_conn ***ret_prev)
{
	struct peer_conn **pp;

	for (pp = &link->conns; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->dead) {
			*ret_prev = pp;
			return *pp;
		}
	}
	return NULL;
}

/* One dead connection at a time, searched afresh: on_lost may close others or dial new ones. */
void peer_conn_reap(struct peer_link *link)
{
	struct peer_conn **pp;
	struct peer_conn *c;

	while ((c = first_dead(link, &pp)) != NULL) {
		*pp = c->next;
		if (link->cb.on_lost != NULL)
			link->cb.on_lost(link->cb.arg, c, c->err);
		peer_conn_destroy(c);
	}
}

/* Watch what is due: connect completion, or reads plus writes while output waits. */
int peer_conn_watch(struct peer_conn *c)
{
	unsigned want = c->connecting ? LOOP_WRITE : LOOP_READ | (c->out_len > 0 ? LOOP_WRITE : 0);
	int r;

	if (c->dead || (c->io != NULL && want == c->events))
		return 0;
	if (c->io == NULL) {
		c->io = loop_io_add(c->link->l, c->fd, want, conn_io, c);
		r = c->io != NULL ? 0 : (errno != 0 ? -errno : -ENOMEM);
	} else {
		r = loop_io_set(c->io, want);
	}
	if (r < 0) {
		peer_conn_fail(c, r);
		return r;
	}
	c->events = want;
	return 0;
}

static void conn_drop_out(struct peer_conn *c, size_t n)
{
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
	c->link->counters.bytes_out += n;
}

/* Write what the socket takes now; the rest waits for writability. 0 or the socket's error (closed). */
static int conn_flush(struct peer_conn *c)
{
	ssize_t n;

	while (c->out_len > 0) {
		n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			int err = -errno;

			peer_conn_fail(c, err);
			return err;
		}
		conn_drop_out(c, (size_t)n);
	}
	return peer_conn_watch(c);
}

/*
 * Encode straight into the output buffer. A frame that does not fit means the peer has not
 * read PEER_OUT_MAX bytes: stalled, closed (never block, never grow). Other encode errors
 * change nothing (wire_encode leaves the session as it was).
 */
int peer_conn_queue(struct peer_conn *c, const struct wire_msg *msg)
{
	bool waiting = c->out_len > 0; /* the socket was full: writability will flush */
	size_t len;
	int r;

	if (c->dead)
		return -ENOTCONN;
	r = wire_encode(&c->s, msg, c->out + c->out_len, sizeof(c->out) - c->out_len, &len);
	if (r == -ENOBUFS) {
		peer_conn_fail(c, -ENOBUFS);
		return -ENOBUFS;
	}
	if (r < 0)
		return r;
	c->out_len += len;
	return waiting ? 0 : conn_flush(c);
}

static int conn_nonce(uint8_t *nonce)
{
	static const uint8_t zero[WIRE_NONCE_LEN];

	randombytes_buf(nonce, WIRE_NONCE_LEN);
	/* all zero (2^-128) is refused by the codec as a broken random source; so do we */
	return memcmp(nonce, zero, WIRE_NONCE_LEN) == 0 ? -EIO : 0;
}

/* Connected: draw the nonce and send OPEN (doc/protocol.md "Handshake"). */
int peer_conn_start_dialer(struct peer_conn *c)
{
	uint8_t nonce[WIRE_NONCE_LEN];
	struct wire_msg open = { .type = WIRE_MSG_OPEN };
	int r;

	r = conn_nonce(nonce);
	if (r == 0)
		r = wire_session_init_dialer(&c->link->key, nonce, &c->s);
	if (r == 0)
		r = peer_conn_queue(c, &open);
	if (r < 0)
		peer_conn_fail(c, r);
	return r;
}

/* Accepted: wait for the dialer's OPEN. */
int peer_conn_start_acceptor(struct peer_conn *c)
{
	uint8_t nonce[WIRE_NONCE_LEN];
	int r;

	r = conn_nonce(nonce);
	if (r == 0)
		r = wire_session_init_acceptor(&c->link->key, nonce, &c->s);
	if (r == 0)
		r = peer_conn_watch(c);
	if (r < 0)
		peer_conn_fail(c, r);
	return r;
}

static void conn_connected(struct peer_conn *c)
{
	int r = peer_sock_error(c->fd);

	if (r < 0) {
		peer_conn_fail(c, r);
		return;
	}
	c->connecting = false;
	c->link->counters.connects++;
	(void)peer_conn_start_dialer(c);
}

/* Our hello with the facts of now (peer_set_hello) and this connection's channel. */
static int conn_send_hello(struct peer_conn *c)
{
	struct wire_msg m = { .type = WIRE_MSG_HELLO };
	int r;

	if (!c->link->hello_set) {
		peer_conn_fail(c, -ENODATA);
		return -ENODATA;
	}
	m.hello = c->link->hello;
	m.hello.channel = c->tx_channel;
	r = peer_conn_queue(c, &m);
	if (r < 0)
		peer_conn_fail(c, r);
	return r;
}

/* The peer's authenticated hello: the connection is up (SPEC "Primary monitor"). */
static void conn_up(struct peer_conn *c, const struct wire_hello *h)
{
	struct peer_link *link = c->link;

	c->peer_hello = *h;
	if (!c->outgoing)
		c->channel = h->channel;
	c->established = true;
	(void)loop_timer_at(c->timer, LOOP_NEVER);
	link->counters.ups++;
	if (link->cb.on_up != NULL)
		link->cb.on_up(link->cb.arg, c, &c->peer_hello);
}

static void conn_dispatch(struct peer_conn *c, const struct wire_msg *m)
{
	struct peer_link *link = c->link;

	switch (m->type) {
	case WIRE_MSG_OPEN:
		(void)conn_send_hello(c); /* acceptor: answer with ours */
		break;
	case WIRE_MSG_HELLO:
		/* The dialer answers before it reports up, so on_up may send at once. */
		if (c->outgoing && conn_send_hello(c) < 0)
			break;
		conn_up(c, &m->hello);
		break;
	default:
		if (link->cb.on_msg != NULL)
			link->cb.on_msg(link->cb.arg, c, m);
		break;
	}
}

/* A refused frame: the stream cannot be trusted or resynchronised (doc/protocol.md section 9);
 * its sender goes through the rate limit. */
static void conn_reject(struct peer_conn *c, int err)
{
	struct peer_link *link = c->link;
	int why = wire_reject_from_error(err);
	struct peer_reject r = {
		.from = &c->remote,
		.incoming = !c->outgoing,
		.backoff_ms = link->limit.backoff_ms,
		.window_ms = link->limit.window_ms,
	};

	peer_conn_fail(c, err);
	if (why < 0)
		return;
	r.why = (enum wire_reject)why;
	peer_accept_limit(link, c, &r.limit);
	if (link->cb.on_reject != NULL)
		link->cb.on_reject(link->cb.arg, c, &r);
}

/* Every complete frame in the input buffer, until one is incomplete, refused, or a callback closed c. */
static void conn_decode_all(struct peer_conn *c)
{
	struct wire_msg m;
	size_t off = 0, used = 0;
	int r;

	while (!c->dead) {
		r = wire_decode(&c->s, c->in + off, c->in_len - off, &c->link->counters.wire, &m,
		    &used);
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			conn_reject(c, r);
			return;
		}
		off += used;
		conn_dispatch(c, &m);
	}
	if (c->dead)
		return;
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

/* One read per readiness, so a flooding peer cannot starve the loop's timers. */
static void conn_read(struct peer_conn *c)
{
	ssize_t n;

	/* The codec never waits for more than WIRE_FRAME_MAX bytes, so a full buffer is a bug. */
	if (c->in_len >= sizeof(c->in)) {
		peer_conn_fail(c, -EMSGSIZE);
		return;
	}
	do
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		peer_conn_fail(c, n == 0 ? -ECONNRESET : -errno);
		return;
	}
	c->in_len += (size_t)n;
	c->link->counters.bytes_in += (uint64_t)n;
	conn_decode_all(c);
}

static void conn_io(int fd, unsigned events, void *arg)
{
	struct peer_conn *c = arg;

	(void)fd;
	if (c->dead)
		return;
	if (c->connecting) {
		conn_connected(c);
		return;
	}
	if ((events & LOOP_WRITE) != 0)
		(void)conn_flush(c);
	if (!c->dead && (events & LOOP_READ) != 0)
		conn_read(c);
}
