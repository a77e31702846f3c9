/* netwatch.h: carrier and route changes toward the peer's addresses, read from rtnetlink events on the loop (SPEC "Monitoring and diagnosis": Carrier; issue 5 "Network state"). */
#ifndef VIGIL_NETWATCH_H
#define VIGIL_NETWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "route.h"

/* One bit per target in an 8-bit mask, as decide's carrier_lost_mask. */
#define NETWATCH_MAX_TARGETS 8
/* After a failed kernel query the watcher asks again this much later (loop time). */
#define NETWATCH_RETRY_MS 200

struct loop;
struct netwatch;

/*
 * An address to watch. src is the local address the connection binds (family 0: none): with
 * source-based policy routing (ip rule from ...) it picks the interface, so the lookup gives it
 * too, as the kernel does for the bound socket. A src that is not (or no longer) one of this
 * host's addresses makes the lookup fail: the target then counts as lost, like the connection.
 */
struct netwatch_target {
	struct config_addr dst;
	struct config_addr src;
};

enum netwatch_what {
	NETWATCH_CARRIER, /* the carrier-lost mask changed; carrier_lost_mask is the new one */
	NETWATCH_ROUTE, /* a default route of the main table, or the path toward a target, changed */
};

/*
 * Called from the loop, carrier first when both changed at once. carrier_lost_mask: bit i set
 * when target i has no route, or its outgoing interface is down or without carrier. The
 * callback may call netwatch_state, netwatch_path and netwatch_counters, never netwatch_free.
 */
typedef void netwatch_cb(enum netwatch_what what, uint8_t carrier_lost_mask, void *arg);

/* The path toward a target after the latest lookup (for status and dump). */
struct netwatch_path {
	bool routed;                    /* a unicast or local route; false: none, or unreachable,
					   blackhole, prohibit */
	bool carrier;                   /* its interface is up with carrier (IFF_UP, IFF_LOWER_UP,
					   operstate not down) */
	uint32_t ifindex;               /* 0 when not routed */
	char ifname[NETCFG_IFNAME_MAX]; /* "" when not routed or the interface vanished */
	struct config_addr gateway;     /* the next hop; family 0: the target is on link */
};

/* Outside input that was rejected or lost, each counted and ignored (STYLE 17). */
struct netwatch_counters {
	uint64_t events;     /* link and route notifications taken */
	uint64_t bad;        /* malformed: short, a length past its datagram, an attribute that
				  fails its policy */
	uint64_t unexpected; /* well formed but not a notification of ours: other types, other
				  senders, other address families */
	uint64_t overruns;   /* ENOBUFS or a truncated datagram: events lost, all asked again */
	uint64_t errors;     /* failed socket reads and kernel queries (a failed round of lookups
				  is asked again NETWATCH_RETRY_MS later) */
	uint64_t refreshes;  /* rounds of lookups */
	int last_error;      /* negative errno of the latest failure, 0 if none yet */
};

/*
 * Watch the paths toward targets (the peer's main and aux addresses, in that order: bit 0 and
 * bit 1) until netwatch_free. Reads the current state at once (netwatch_state is valid on
 * return); the loop then reports every change. The mask last reported starts at 0, as decide's
 * does, so a target already lost at start is reported by the loop's first iteration.
 * Returns 0, -EINVAL (no loop or callback, no target, more than NETWATCH_MAX_TARGETS, a family
 * other than AF_INET or AF_INET6, src of another family than dst), -ENOMEM, or the error of a
 * netlink socket or of the first round of lookups.
 */
int netwatch_new(struct loop *l, const struct netwatch_target *targets, size_t n_targets,
    netwatch_cb *cb, void *arg, struct netwatch **ret);
/* Closes the sockets; no callback afterwards. NULL is a no-op. */
void netwatch_free(struct netwatch *w);

/* The carrier-lost mask of the latest lookups. */
void netwatch_state(const struct netwatch *w, uint8_t *ret_mask);
/* The path toward target i: 0 or -ENOENT (no such target; ret untouched). */
int netwatch_path(const struct netwatch *w, size_t i, struct netwatch_path *ret);
void netwatch_counters(const struct netwatch *w, struct netwatch_counters *ret);

#endif /* VIGIL_NETWATCH_H */
