/* peer-accept.c: the peer link's listeners: non-blocking accept, bounded handshakes in progress, no spin on exhaustion. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"
#include "peer-internal.h"
#include "peer.h"

static void accept_ready(int fd, unsigned events, void *arg);

/* Connections accepted but not yet up: a scan of the port must not pile them up. */
static struct peer_conn *oldest_pending(struct peer_link *link, int *ret_n)
{
	struct peer_conn *oldest = NULL;
	int n = 0;

	for (struct peer_conn *c = link->conns; c != NULL; c = c->next) {
		if (c->outgoing || c->established || c->dead)
			continue;
		n++;
		if (oldest == NULL || c->born_ms <= oldest->born_ms)
			oldest = c; /* the list is newest first: ties go to the older */
	}
	*ret_n = n;
	return oldest;
}

/*
 * At PEER_PENDING_MAX the oldest handshake goes, not the new one: a flood of idle connections
 * then cannot lock the real peer out for a whole timeout, it has to out-race it.
 */
static void evict_pending(struct peer_link *link)
{
	int n;
	struct peer_conn *old = oldest_pending(link, &n);

	if (n < PEER_PENDING_MAX || old == NULL)
		return;
	link->counters.evicted++;
	peer_conn_fail(old, -EUSERS);
}

/* An address in back-off (peer_accept_limit) is closed at once, before it costs a handshake. */
static bool refused(struct peer_link *link, int fd, const struct config_addr *from)
{
	if (from->family == 0 || !peer_limit_blocked(&link->limit, from, loop_now_ms(link->l)))
		return false;
	link->counters.rate_limit_refused++;
	(void)close(fd);
	return true;
}

static void accept_one(struct peer_listener *lis, int fd, const struct sockaddr_storage *ss,
    socklen_t len)
{
	struct peer_link *link = lis->link;
	struct config_addr from = { .family = 0 };
	struct peer_conn *c;
	int r;

	link->counters.accepts++;
	(void)peer_sock_from(ss, len, &from); /* none (family 0): not limited, only counted */
	if (refused(link, fd, &from))
		return;
	evict_pending(link);
	r = peer_sock_nodelay(fd);
	if (r < 0) {
		(void)close(fd);
		return;
	}
	if (peer_conn_new(link, fd, lis->family, false, CONN_COUNT, &c) < 0)
		return; /* fd closed; nothing was handed out */
	c->remote = from;
	c->tx_channel = lis->channel;
	(void)peer_conn_start_acceptor(c);
}

static void listeners_watch(struct peer_link *link, bool on)
{
	for (int i = 0; i < link->n_lis; i++) {
		struct peer_listener *lis = &link->lis[i];

		if (on && lis->io == NULL)
			lis->io = loop_io_add(link->l, lis->fd, LOOP_READ, accept_ready, lis);
		if (!on) {
			loop_io_del(lis->io);
			lis->io = NULL;
		}
	}
}

void peer_accept_resume(void *arg)
{
	struct peer_link *link = arg;

	listeners_watch(link, true);
	for (int i = 0; i < link->n_lis; i++) {
		if (link->lis[i].io == NULL) {
			(void)loop_timer_at(link->resume,
			    loop_now_ms(link->l) + PEER_ACCEPT_PAUSE_MS);
			return;
		}
	}
}

/*
 * Per-connection network errors are retried at once (accept(2): treat like EAGAIN and retry).
 * Out of descriptors or memory, the pending connection stays queued and the listener stays
 * readable, so a level-triggered loop would spin: pause the listeners instead. true = go on.
 */
static bool accept_failed(struct peer_link *link, int err)
{
	switch (err) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
		return true;
	case EAGAIN:
		return false;
	default:
		link->counters.accept_errors++;
		listeners_watch(link, false);
		(void)loop_timer_at(link->resume, loop_now_ms(link->l) + PEER_ACCEPT_PAUSE_MS);
		return false;
	}
}

static void accept_ready(int fd, unsigned events, void *arg)
{
	struct peer_listener *lis = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int cfd;

	(void)events;
	for (int i = 0; i < PEER_ACCEPT_BURST; i++) {
		len = sizeof(ss);
		cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0)
			accept_one(lis, cfd, &ss, len);
		else if (!accept_failed(lis->link, errno))
			return;
	}
}

/* The peer's own main and aux addresses are never blocked (peer.h "rate limit"). */
static bool may_block(const struct peer_link *link, const struct peer_conn *c)
{
	if (c->outgoing || c->remote.family == 0)
		return false;
	for (int ch = 0; ch < CONN_COUNT; ch++)
		if (peer_sock_same_host(&link->p.remote[ch].addr, &c->remote))
			return false;
	return true;
}

void peer_accept_limit(struct peer_link *link, const struct peer_conn *c,
    struct peer_limit_note *ret)
{
	peer_limit_reject(&link->limit, &c->remote, may_block(link, c), loop_now_ms(link->l), ret);
	if (!ret->report)
		link->counters.rejects_unreported++;
	if (!ret->blocked)
		return;
	link->counters.rate_limited++;
	for (struct peer_conn *o = link->conns; o != NULL; o = o->next) {
		if (o->outgoing || o->dead || !peer_sock_same_host(&o->remote, &c->remote))
			continue;
		link->counters.rate_limit_closed++;
		peer_conn_fail(o, -ECONNREFUSED);
	}
}

static int listener_open(struct peer_link *link, const struct peer_addr *a, enum vg_conn channel)
{
	struct peer_listener *lis = &link->lis[link->n_lis];
	int r;

	*lis = (struct peer_listener){ .fd = -1,
		.family = a->addr.family,
		.channel = channel,
		.link = link };
	r = peer_sock_listen(a, &lis->fd);
	if (r < 0)
		return r;
	link->n_lis++;
	lis->io = loop_io_add(link->l, lis->fd, LOOP_READ, accept_ready, lis);
	return lis->io != NULL ? 0 : -ENOMEM;
}

/* This node's main and aux address; one listener when they are the same (SPEC [peer] aux_a/aux_b). */
int peer_accept_open(struct peer_link *link)
{
	const struct peer_addr *l = link->p.listen;
	int r = 0;

	if (l[CONN_MAIN].addr.family != 0)
		r = listener_open(link, &l[CONN_MAIN], CONN_MAIN);
	if (r == 0 && l[CONN_AUX].addr.family != 0 &&
	    !peer_sock_addr_equal(&l[CONN_AUX], &l[CONN_MAIN]))
		r = listener_open(link, &l[CONN_AUX], CONN_AUX);
	return r;
}

void peer_accept_close(struct peer_link *link)
{
	listeners_watch(link, false);
	for (int i = 0; i < link->n_lis; i++) {
		if (link->lis[i].fd >= 0)
			(void)close(link->lis[i].fd);
		link->lis[i].fd = -1;
	}
	link->n_lis = 0;
}
