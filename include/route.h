/* route.h: the default gateways of the main routing table, IPv4 and IPv6, read from the kernel through netlink (SPEC "Diagnosis": gateway_ping). */
#ifndef VIGIL_ROUTE_H
#define VIGIL_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* An interface name with its NUL (IF_NAMESIZE), the same size as ICMP_IFNAME_MAX. */
#define NETCFG_IFNAME_MAX 16

/*
 * One next hop of a default route. The interface travels with the address because an IPv6
 * default gateway is usually link-local (learnt from a router advertisement): it can only be
 * pinged with its interface as the scope (fe80::1%eth0).
 */
struct netcfg_gateway {
	struct config_addr addr;        /* family, bytes and text */
	uint32_t ifindex;               /* the interface of the next hop */
	char ifname[NETCFG_IFNAME_MAX]; /* its name; "" if it vanished during the call */
};

/*
 * Every next hop of every IPv4 and IPv6 default route (prefix length 0, unicast) in the main
 * table, multipath routes included, each (address, interface) once, in the kernel's order.
 * Skipped: routes without a gateway (default dev ppp0), loopback and unspecified gateways,
 * other tables, IPv4 routes via an IPv6 next hop (RTA_VIA) and routes through nexthop objects
 * (nhid), which libnl 3.7 does not expand. One netlink dump per call, in the calling thread's
 * network namespace.
 * Returns 0, -ENOBUFS (more than cap; ret and ret_n untouched), -ENOMEM, or the netlink error
 * as a negative errno (-EPERM, -EAFNOSUPPORT, -EIO).
 */
int netcfg_gateways(struct netcfg_gateway *ret, size_t cap, size_t *ret_n);

#endif /* VIGIL_ROUTE_H */
