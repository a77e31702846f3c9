/* watch-internal.h: what the netlink watcher's files share with each other and with its unit test: the event decoder and the kernel queries. */
#ifndef VIGIL_NETCFG_WATCH_INTERNAL_H
#define VIGIL_NETCFG_WATCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "netwatch.h"

/* A receive buffer: a link message with VF details runs past 16 KiB; a route one is ~200 bytes. */
#define NETWATCH_BUF_BYTES 65536

/* What a datagram of notifications asks for. */
#define NETWATCH_F_LINK 0x1u    /* a link appeared, changed or went */
#define NETWATCH_F_ROUTE 0x2u   /* some route appeared, changed or went */
#define NETWATCH_F_DEFAULT 0x4u /* ... and it was a default route of the main table */
#define NETWATCH_F_ALL (NETWATCH_F_LINK | NETWATCH_F_ROUTE | NETWATCH_F_DEFAULT)

/*
 * Decode one datagram read from the event socket (buf 4-byte aligned, len bytes, sent from
 * netlink port sender_port: 0 is the kernel). Returns NETWATCH_F_* for the notifications it
 * holds; each rejected message bumps a counter in c and is skipped.
 */
unsigned netwatch_decode(const void *buf, size_t len, uint32_t sender_port,
    struct netwatch_counters *c);

/* The query side: a non-blocking NETLINK_ROUTE socket and the buffer its replies land in. */
struct netwatch_query {
	int fd;       /* -1 when closed */
	uint32_t seq; /* of the latest request */
	uint32_t buf[NETWATCH_BUF_BYTES / sizeof(uint32_t)];
};

/* Open q's socket: 0 or a negative errno. */
int netwatch_query_open(struct netwatch_query *q);
void netwatch_query_close(struct netwatch_query *q);

/*
 * The path toward t now: a route lookup (RTM_GETROUTE, as "ip route get DST [from SRC]"), then
 * the state of its outgoing interface (RTM_GETLINK). The kernel answers a request within the
 * sendmsg, so the replies are read without waiting. No route is a path with routed false, not
 * an error. Returns 0, or a negative errno when a query could not be made or its reply was
 * missing or malformed (ret untouched).
 */
int netwatch_query_path(struct netwatch_query *q, const struct netwatch_target *t,
    struct netwatch_path *ret);

/*
 * The readers of netwatch_query_path's replies, apart for the fuzz target. reply_find: the
 * message numbered seq in a datagram of len bytes (buf 4-byte aligned), or NULL. route_read: a
 * route lookup's reply toward t into *ret, link_read: a link query's reply for p->ifindex (its
 * carrier and name into *p); each 0, or a negative errno (-EBADMSG: malformed; ret untouched).
 */
struct nlmsghdr;
struct nlmsghdr *netwatch_reply_find(void *buf, size_t len, uint32_t seq);
int netwatch_route_read(const struct nlmsghdr *nh, const struct netwatch_target *t,
    struct netwatch_path *ret);
int netwatch_link_read(const struct nlmsghdr *nh, struct netwatch_path *p);

#endif /* VIGIL_NETCFG_WATCH_INTERNAL_H */
