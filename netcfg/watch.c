/* watch.c: the netlink watcher on the loop: link and route notifications in, the kernel's own lookup toward each target after them, carrier and route changes out (SPEC "Monitoring and diagnosis": Carrier). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "loop.h"
#include "netwatch.h"
#include "watch-internal.h"

/*
 * A plain NETLINK_ROUTE socket subscribed to RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
 * parsed with libnl, rather than libnl's cache manager (STYLE 3 names it; set aside here):
 * - what is needed is the path toward two addresses, not a copy of the tables: a route cache
 *   holds every route of every table (a full BGP feed is a million objects) and mirrors each
 *   update;
 * - such a copy goes wrong: IPv4 routes flushed when a link goes down are removed without any
 *   RTM_DELROUTE, so a cache keeps them. The kernel's own lookup (RTM_GETROUTE, "ip route get")
 *   redone after each notification is right by construction, policy rules, multipath and
 *   nexthop objects included, which a walk over a cache is not;
 * - the notifications are then only triggers, and their decoder is ours: each rejected message
 *   is counted (STYLE 17) and crafted ones can be fed to it (STYLE 31), where the cache
 *   manager's parsers accept or drop them out of sight;
 * - an overrun (ENOBUFS) needs no cache refill: everything is asked again.
 */

/* Datagrams read per readable callback, so that a route storm does not hold the loop. */
#define READ_BATCH 64
/* Room for bursts (a link going down takes its routes with it): 1 MiB past rmem_max when
 * privileged (SO_RCVBUFFORCE), else what SO_RCVBUF allows. */
#define EVENTS_RCVBUF (1 << 20)

struct netwatch {
	struct loop *l;
	netwatch_cb *cb;
	void *arg;
	int fd; /* the event socket */
	struct loop_io *io;
	struct loop_timer *retry; /* a failed round of lookups, or the first report */
	size_t n;
	struct netwatch_target t[NETWATCH_MAX_TARGETS];
	struct netwatch_path path[NETWATCH_MAX_TARGETS];
	uint8_t mask;       /* of the latest lookups */
	uint8_t reported;   /* as last told to cb; decide starts at 0 */
	bool route_pending; /* a route change not told yet (its lookups failed) */
	struct netwatch_counters c;
	struct netwatch_query q;
	uint32_t buf[NETWATCH_BUF_BYTES / sizeof(uint32_t)]; /* one event datagram */
};

static void note_error(struct netwatch *w, int err)
{
	w->c.errors++;
	w->c.last_error = err;
}

static int events_open(int *ret_fd)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE };
	int size = EVENTS_RCVBUF, r = 0;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		r = -errno;
	if (r == 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	if (r < 0) {
		(void)close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static bool path_moved(const struct netwatch_path *a, const struct netwatch_path *b)
{
	return a->routed != b->routed || a->ifindex != b->ifindex ||
	    a->gateway.family != b->gateway.family ||
	    memcmp(a->gateway.bytes, b->gateway.bytes, sizeof(a->gateway.bytes)) != 0;
}

/* Look every target up again: 0 (*ret_moved: a path changed) or the first failure. */
static int watch_refresh(struct netwatch *w, bool *ret_moved)
{
	struct netwatch_path p[NETWATCH_MAX_TARGETS];
	uint8_t mask = 0;
	bool moved = false;

	w->c.refreshes++;
	for (size_t i = 0; i < w->n; i++) {
		int r = netwatch_query_path(&w->q, &w->t[i], &p[i]);

		if (r < 0)
			return r;
		moved |= path_moved(&w->path[i], &p[i]);
		/* SPEC "Carrier": a target with no route counts as lost. */
		if (!p[i].routed || !p[i].carrier)
			mask |= (uint8_t)(1u << i);
	}
	memcpy(w->path, p, w->n * sizeof(p[0]));
	w->mask = mask;
	*ret_moved = moved;
	return 0;
}

/* Carrier first: the diagnosis a route change starts classifies with the new mask. */
static void watch_report(struct netwatch *w)
{
	bool route = w->route_pending;

	w->route_pending = false;
	if (w->mask != w->reported) {
		w->reported = w->mask;
		w->cb(NETWATCH_CARRIER, w->mask, w->arg);
	}
	if (route)
		w->cb(NETWATCH_ROUTE, w->mask, w->arg);
}

static void watch_update(struct netwatch *w, bool default_changed)
{
	bool moved = false;
	int r;

	w->route_pending |= default_changed;
	r = watch_refresh(w, &moved);
	if (r < 0) {
		note_error(w, r);
		r = loop_timer_at(w->retry, loop_now_ms(w->l) + NETWATCH_RETRY_MS);
		if (r < 0)
			note_error(w, r); /* the next notification asks again */
		return;
	}
	w->route_pending |= moved;
	watch_report(w);
}

static void on_retry(void *arg)
{
	watch_update(arg, false);
}

/* Read one datagram: its NETWATCH_F_* flags, or a negative errno (-EAGAIN: none left). */
static int events_read(struct netwatch *w)
{
	struct sockaddr_nl sa = { 0 };
	struct iovec iov = { .iov_base = w->buf, .iov_len = sizeof(w->buf) };
	struct msghdr mh = { .msg_name = &sa,
		.msg_namelen = sizeof(sa),
		.msg_iov = &iov,
		.msg_iovlen = 1 };
	ssize_t n = recvmsg(w->fd, &mh, MSG_DONTWAIT);

	/* The kernel dropped notifications (ENOBUFS) or the tail of one: ask everything again. */
	if ((n < 0 && errno == ENOBUFS) || (n >= 0 && (mh.msg_flags & MSG_TRUNC))) {
		w->c.overruns++;
		return (int)NETWATCH_F_ALL;
	}
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (mh.msg_namelen != sizeof(sa) || sa.nl_family != AF_NETLINK) {
		w->c.unexpected++;
		return 0;
	}
	return (int)netwatch_decode(w->buf, (size_t)n, sa.nl_pid, &w->c);
}

static void on_readable(int fd, unsigned events, void *arg)
{
	struct netwatch *w = arg;
	unsigned flags = 0;

	(void)fd;
	(void)events;
	for (int i = 0; i < READ_BATCH; i++) {
		int r = events_read(w);

		if (r < 0) {
			if (r != -EAGAIN)
				note_error(w, r);
			break;
		}
		flags |= (unsigned)r;
	}
	/* One round of lookups for the whole batch. */
	if (flags != 0)
		watch_update(w, (flags & NETWATCH_F_DEFAULT) != 0);
}

static int targets_check(const struct netwatch_target *t, size_t n)
{
	if (n == 0 || n > NETWATCH_MAX_TARGETS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((t[i].dst.family != AF_INET && t[i].dst.family != AF_INET6) ||
		    (t[i].src.family != 0 && t[i].src.family != t[i].dst.family))
			return -EINVAL;
	return 0;
}

static int watch_start(struct netwatch *w)
{
	bool moved;
	/* The event socket first: any change after the lookups below is a notification. */
	int r = events_open(&w->fd);

	if (r == 0)
		r = netwatch_query_open(&w->q);
	if (r == 0)
		r = watch_refresh(w, &moved);
	if (r < 0)
		return r;
	w->io = loop_io_add(w->l, w->fd, LOOP_READ, on_readable, w);
	if (w->io == NULL)
		return errno != 0 ? -errno : -ENOMEM;
	w->retry = loop_timer_new(w->l, on_retry, w);
	if (w->retry == NULL)
		return -ENOMEM;
	/* decide starts from "nothing lost": a loss there already is news, told from the loop. */
	return w->mask != 0 ? loop_timer_at(w->retry, loop_now_ms(w->l)) : 0;
}

int netwatch_new(struct loop *l, const struct netwatch_target *targets, size_t n_targets,
    netwatch_cb *cb, void *arg, struct netwatch **ret)
{
	struct netwatch *w;
	int r = targets_check(targets, n_targets);

	if (r < 0 || l == NULL || cb == NULL)
		return r < 0 ? r : -EINVAL;
	/* 130 KiB with its buffers: set field by field, not through a compound literal. */
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->l = l;
	w->cb = cb;
	w->arg = arg;
	w->fd = w->q.fd = -1;
	w->n = n_targets;
	memcpy(w->t, targets, n_targets * sizeof(targets[0]));
	r = watch_start(w);
	if (r < 0) {
		netwatch_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

void netwatch_free(struct netwatch *w)
{
	if (w == NULL)
		return;
	loop_io_del(w->io);
	loop_timer_free(w->retry);
	if (w->fd >= 0)
		(void)close(w->fd); /* a read-only socket: nothing to lose */
	netwatch_query_close(&w->q);
	free(w);
}

void netwatch_state(const struct netwatch *w, uint8_t *ret_mask)
{
	*ret_mask = w->mask;
}

int netwatch_path(const struct netwatch *w, size_t i, struct netwatch_path *ret)
{
	if (i >= w->n)
		return -ENOENT;
	*ret = w->path[i];
	return 0;
}

void netwatch_counters(const struct netwatch *w, struct netwatch_counters *ret)
{
	*ret = w->c;
}
