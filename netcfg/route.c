/* route.c: the default gateways of the main table from a libnl-route route cache (one-shot dump now; the same walk serves a cache-manager cache later). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "route.h"

/* A dump that routes changed under (NLE_DUMP_INTR) is run again, this many times in all. */
#define DUMP_TRIES 3
/* The kernel gives every namespace's loopback this index. */
#define LOOPBACK_IFINDEX 1

struct walk {
	struct netcfg_gateway *gw;
	size_t n, cap;
	int err;
};

static int nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_AGAIN:
	case NLE_DUMP_INTR:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/* A gateway worth probing: not unspecified (an empty next hop) and not loopback. */
static bool gateway_usable(int family, const uint8_t *b)
{
	static const uint8_t zero[16], loop6[16] = { [15] = 1 };

	if (family == AF_INET)
		return memcmp(b, zero, 4) != 0 && b[0] != 127;
	return memcmp(b, zero, 16) != 0 && memcmp(b, loop6, 16) != 0;
}

static bool gateway_known(const struct walk *w, const struct netcfg_gateway *g)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->gw[i].ifindex == g->ifindex && w->gw[i].addr.family == g->addr.family &&
		    memcmp(w->gw[i].addr.bytes, g->addr.bytes, sizeof(g->addr.bytes)) == 0)
			return true;
	return false;
}

/* Fill g from a next hop; false: nothing to probe there. */
static bool gateway_from_nh(struct rtnl_nexthop *nh, struct netcfg_gateway *g)
{
	struct nl_addr *a = rtnl_route_nh_get_gateway(nh);
	int family = a != NULL ? nl_addr_get_family(a) : AF_UNSPEC;
	unsigned len = a != NULL ? nl_addr_get_len(a) : 0;
	int ifindex = rtnl_route_nh_get_ifindex(nh);

	if (!((family == AF_INET && len == 4) || (family == AF_INET6 && len == 16)) ||
	    ifindex <= 0 || ifindex == LOOPBACK_IFINDEX)
		return false;
	*g = (struct netcfg_gateway){ .addr = { .family = family }, .ifindex = (uint32_t)ifindex };
	memcpy(g->addr.bytes, nl_addr_get_binary_addr(a), len);
	if (!gateway_usable(family, g->addr.bytes) ||
	    inet_ntop(family, g->addr.bytes, g->addr.text, sizeof(g->addr.text)) == NULL)
		return false;
	/* The interface may vanish between the dump and now: the name is then left empty. */
	if (if_indextoname((unsigned)ifindex, g->ifname) == NULL)
		g->ifname[0] = '\0';
	return true;
}

static void nh_visit(struct rtnl_nexthop *nh, void *arg)
{
	struct walk *w = arg;
	struct netcfg_gateway g;

	if (w->err != 0 || !gateway_from_nh(nh, &g) || gateway_known(w, &g))
		return;
	if (w->n == w->cap) {
		w->err = -ENOBUFS;
		return;
	}
	w->gw[w->n++] = g;
}

static void route_visit(struct nl_object *obj, void *arg)
{
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	int family = rtnl_route_get_family(rt);

	if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || rtnl_route_get_type(rt) != RTN_UNICAST ||
	    (family != AF_INET && family != AF_INET6) || dst == NULL ||
	    nl_addr_get_prefixlen(dst) != 0)
		return;
	rtnl_route_foreach_nexthop(rt, nh_visit, arg);
}

/*
 * The walk over a route cache. Kept apart from the dump so that the cache manager of the route
 * events (nl_cache_mngr_add "route/route", driven by nl_cache_mngr_get_fd on the loop) can run
 * it on its own, always current cache.
 */
static int gateways_from_cache(struct nl_cache *routes, struct walk *w)
{
	nl_cache_foreach(routes, route_visit, w);
	return w->err;
}

static int routes_dump(struct nl_cache **ret)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (sk == NULL)
		return -ENOMEM;
	r = nl_connect(sk, NETLINK_ROUTE);
	for (int tries = 1; r == 0; tries++) {
		r = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, ret);
		if (r != -NLE_DUMP_INTR || tries == DUMP_TRIES)
			break;
	}
	nl_socket_free(sk); /* closes it: the cache no longer needs it */
	return r < 0 ? nl_errno(r) : 0;
}

int netcfg_gateways(struct netcfg_gateway *ret, size_t cap, size_t *ret_n)
{
	struct nl_cache *routes;
	struct walk w = { .cap = cap };
	int r;

	/* Collected aside: the caller's outputs stay untouched on failure. */
	w.gw = calloc(cap > 0 ? cap : 1, sizeof(*w.gw));
	if (w.gw == NULL)
		return -ENOMEM;
	r = routes_dump(&routes);
	if (r == 0) {
		r = gateways_from_cache(routes, &w);
		nl_cache_free(routes);
	}
	if (r == 0) {
		if (w.n > 0)
			memcpy(ret, w.gw, w.n * sizeof(*w.gw));
		*ret_n = w.n;
	}
	free(w.gw);
	return r;
}
