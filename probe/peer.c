/* peer.c: the peer link's public face: parameters, the link, hello facts, dialling, sending, closing, accessors. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "loop.h"
#include "peer-internal.h"
#include "peer.h"
#include "wire.h"

/* SPEC [peer]: A listens and binds on a/aux_a and dials b/aux_b; B the other way round. */
void peer_params_from_config(const struct config *c, struct peer_params *ret)
{
	const struct config_addr *own_main = c->node.role_a ? &c->peer.a : &c->peer.b;
	const struct config_addr *own_aux = c->node.role_a ? &c->peer.aux_a : &c->peer.aux_b;
	struct peer_params p = {
		.timeout_ms = c->peer.notifier_reconnect_delay_ms,
		.limit_rejects = PEER_LIMIT_REJECTS,
		.limit_window_ms = PEER_LIMIT_WINDOW_MS,
		.limit_backoff_ms = PEER_LIMIT_BACKOFF_MS,
	};

	p.listen[CONN_MAIN] = (struct peer_addr){ .addr = *own_main, .port = c->peer.port };
	p.listen[CONN_AUX] = (struct peer_addr){ .addr = *own_aux, .port = c->peer.port };
	p.local[CONN_MAIN] = (struct peer_addr){ .addr = *own_main };
	p.local[CONN_AUX] = (struct peer_addr){ .addr = *own_aux };
	p.remote[CONN_MAIN] =
	    (struct peer_addr){ .addr = *config_peer_main(c), .port = c->peer.port };
	p.remote[CONN_AUX] =
	    (struct peer_addr){ .addr = *config_peer_aux(c), .port = c->peer.port };
	*ret = p;
}

static void link_reap(void *arg)
{
	peer_conn_reap(arg);
}

void peer_link_free(struct peer_link *link)
{
	struct peer_conn *next;

	if (link == NULL)
		return;
	for (struct peer_conn *c = link->conns; c != NULL; c = next) {
		next = c->next;
		peer_conn_destroy(c);
	}
	peer_accept_close(link);
	loop_timer_free(link->reaper);
	loop_timer_free(link->resume);
	sodium_memzero(link, sizeof(*link)); /* the pair key */
	free(link);
}

int peer_link_new(struct loop *l, const struct peer_params *p, const struct wire_key *key,
    const struct peer_callbacks *cb, struct peer_link **ret)
{
	struct peer_link *link;
	int r;

	if (p->timeout_ms == 0 || (unsigned)key->auth >= WIRE_AUTH_COUNT)
		return -EINVAL;
	if (sodium_init() < 0) /* the nonces come from randombytes_buf() */
		return -EIO;
	link = calloc(1, sizeof(*link));
	if (link == NULL)
		return -ENOMEM;
	*link = (struct peer_link){ .l = l, .p = *p, .key = *key, .cb = *cb };
	peer_limit_init(&link->limit, p->limit_rejects, p->limit_window_ms, p->limit_backoff_ms, 0);
	link->reaper = loop_timer_new(l, link_reap, link);
	link->resume = loop_timer_new(l, peer_accept_resume, link);
	r = link->reaper != NULL && link->resume != NULL ? peer_accept_open(link) : -ENOMEM;
	if (r < 0) {
		peer_link_free(link);
		return r;
	}
	*ret = link;
	return 0;
}

int peer_link_listen_port(const struct peer_link *link, enum vg_conn channel, uint16_t *ret_port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	for (int i = 0; i < link->n_lis; i++) {
		if (link->lis[i].channel != channel)
			continue;
		if (getsockname(link->lis[i].fd, (struct sockaddr *)&ss, &len) < 0)
			return -errno;
		/* sin_port and sin6_port sit at the same offset */
		*ret_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		return 0;
	}
	return -ENOENT;
}

void peer_link_counters(const struct peer_link *link, struct peer_counters *ret)
{
	*ret = link->counters;
}

/* Would these facts encode? Run them through a throwaway handshake up to the acceptor's hello. */
static int hello_check(const struct wire_key *key, const struct wire_hello *h)
{
	struct wire_session d, a;
	uint8_t nd[WIRE_NONCE_LEN], na[WIRE_NONCE_LEN], buf[WIRE_FRAME_MAX];
	struct wire_msg m = { .type = WIRE_MSG_OPEN };
	size_t len = 0, used = 0;
	int r;

	randombytes_buf(nd, sizeof(nd));
	randombytes_buf(na, sizeof(na));
	r = wire_session_init_dialer(key, nd, &d);
	if (r == 0)
		r = wire_session_init_acceptor(key, na, &a);
	if (r == 0)
		r = wire_encode(&d, &m, buf, sizeof(buf), &len);
	if (r == 0)
		r = wire_decode(&a, buf, len, NULL, &m, &used);
	m = (struct wire_msg){ .type = WIRE_MSG_HELLO, .hello = *h };
	if (r == 0)
		r = wire_encode(&a, &m, buf, sizeof(buf), &len);
	wire_session_wipe(&d);
	wire_session_wipe(&a);
	return r < 0 ? -EINVAL : 0;
}

int peer_set_hello(struct peer_link *link, const struct wire_hello *hello)
{
	struct wire_hello h = *hello;

	h.channel = CONN_MAIN; /* filled per connection */
	if (hello_check(&link->key, &h) < 0)
		return -EINVAL;
	link->hello = h;
	link->hello_set = true;
	return 0;
}

static void close_where(struct peer_link *link, bool outgoing_only, enum vg_conn channel)
{
	for (struct peer_conn *c = link->conns; c != NULL; c = c->next) {
		if (outgoing_only && !c->outgoing)
			continue;
		if (channel != CONN_COUNT && c->channel != channel)
			continue;
		peer_conn_fail(c, -ECANCELED);
	}
}

int peer_dial(struct peer_link *link, enum vg_conn channel, struct peer_conn **ret_conn)
{
	const struct peer_addr *remote;
	struct peer_conn *c;
	int fd = -1, r, err;

	if ((unsigned)channel >= CONN_COUNT || link->p.remote[channel].addr.family == 0)
		return -EINVAL;
	remote = &link->p.remote[channel];
	close_where(link, true, channel);
	link->counters.dials++;
	err = peer_sock_dial(&link->p.local[channel], remote, &fd);
	r = peer_conn_new(link, err < 0 ? -1 : fd, remote->addr.family, true, channel, &c);
	if (r < 0)
		return r;
	c->remote = remote->addr;
	/* From here every failure is an on_lost from the loop, like any later one. */
	if (err == 0)
		err = peer_conn_watch(c);
	if (err < 0)
		peer_conn_fail(c, err);
	if (ret_conn != NULL)
		*ret_conn = c;
	return 0;
}

int peer_send(struct peer_link *link, struct peer_conn *c, const struct wire_msg *msg)
{
	(void)link;
	if (msg->type == WIRE_MSG_OPEN || msg->type == WIRE_MSG_HELLO)
		return -EINVAL; /* the handshake is ours */
	if (c->dead || !c->established)
		return -ENOTCONN;
	return peer_conn_queue(c, msg);
}

int peer_broadcast(struct peer_link *link, const struct wire_msg *msg)
{
	int n = 0, r;

	for (struct peer_conn *c = link->conns; c != NULL; c = c->next) {
		if (c->dead || !c->established)
			continue;
		r = peer_send(link, c, msg);
		if (r == -EINVAL)
			return r; /* the message itself is refused: the same on every connection */
		if (r == 0)
			n++;
	}
	return n;
}

void peer_close(struct peer_link *link, struct peer_conn *c)
{
	(void)link;
	peer_conn_fail(c, -ECANCELED);
}

void peer_close_outgoing(struct peer_link *link)
{
	close_where(link, true, CONN_COUNT);
}

const struct config_addr *peer_conn_remote(const struct peer_conn *c)
{
	return &c->remote;
}

enum vg_conn peer_conn_channel(const struct peer_conn *c)
{
	return c->channel;
}

bool peer_conn_outgoing(const struct peer_conn *c)
{
	return c->outgoing;
}

bool peer_conn_established(const struct peer_conn *c)
{
	return c->established;
}

const struct wire_hello *peer_conn_peer_hello(const struct peer_conn *c)
{
	return c->established ? &c->peer_hello : NULL;
}

int peer_conn_set_dscp(struct peer_conn *c, int dscp)
{
	int r;

	if (dscp < -1 || dscp > 63)
		return -EINVAL;
	if (c->dead || c->fd < 0)
		return -ENOTCONN;
	if (dscp == -1 && c->dscp == -1)
		return 0; /* never set: the kernel's default stays */
	r = peer_sock_set_dscp(c->fd, c->family, dscp == -1 ? 0 : dscp);
	if (r == 0)
		c->dscp = dscp;
	return r;
}

int peer_conn_get_dscp(const struct peer_conn *c, int *ret_dscp)
{
	if (c->dead || c->fd < 0)
		return -ENOTCONN;
	return peer_sock_get_dscp(c->fd, c->family, ret_dscp);
}
