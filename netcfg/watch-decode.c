/* watch-decode.c: the guard ladder over one datagram of rtnetlink notifications: what changed, each rejected message counted and skipped (STYLE 17). */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "watch-internal.h"

/*
 * The attributes a notification must carry well formed to be believed. Only the route's table
 * and prefix are read here; the rest is checked so that a garbled message is counted as such
 * (the kernel's answer after it is asked again anyway).
 */
static const struct nla_policy route_policy[RTA_MAX + 1] = {
	[RTA_DST] = { .minlen = 4, .maxlen = 16 },
	[RTA_GATEWAY] = { .minlen = 4, .maxlen = 16 },
	[RTA_OIF] = { .type = NLA_U32 },
	[RTA_TABLE] = { .type = NLA_U32 },
	[RTA_PRIORITY] = { .type = NLA_U32 },
};

static const struct nla_policy link_policy[IFLA_MAX + 1] = {
	[IFLA_IFNAME] = { .type = NLA_STRING, .maxlen = IFNAMSIZ },
	[IFLA_OPERSTATE] = { .type = NLA_U8 },
	[IFLA_MTU] = { .type = NLA_U32 },
};

static unsigned addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static unsigned decode_link(struct nlmsghdr *nh, struct netwatch_counters *c)
{
	struct nlattr *tb[IFLA_MAX + 1];

	if (nlmsg_parse(nh, sizeof(struct ifinfomsg), tb, IFLA_MAX, link_policy) < 0) {
		c->bad++;
		return 0;
	}
	/* Any family: a bridge port's AF_BRIDGE notice is a link change too. */
	c->events++;
	return NETWATCH_F_LINK;
}

static unsigned decode_route(struct nlmsghdr *nh, struct netwatch_counters *c)
{
	struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;
	uint32_t table;

	if (nlmsg_parse(nh, sizeof(*rtm), tb, RTA_MAX, route_policy) < 0) {
		c->bad++;
		return 0;
	}
	rtm = nlmsg_data(nh);
	if (addr_len(rtm->rtm_family) == 0) {
		c->unexpected++; /* not IPv4 or IPv6: no path of ours goes there */
		return 0;
	}
	if (rtm->rtm_dst_len > 8 * addr_len(rtm->rtm_family) ||
	    (tb[RTA_DST] != NULL && (unsigned)nla_len(tb[RTA_DST]) != addr_len(rtm->rtm_family))) {
		c->bad++;
		return 0;
	}
	c->events++;
	/* RTA_TABLE holds tables past 255; rtm_table then says RT_TABLE_COMPAT. */
	table = tb[RTA_TABLE] != NULL ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	/* The default gateways are those of the main table (netcfg_gateways). */
	if (rtm->rtm_dst_len == 0 && table == RT_TABLE_MAIN)
		return NETWATCH_F_ROUTE | NETWATCH_F_DEFAULT;
	return NETWATCH_F_ROUTE;
}

static unsigned decode_one(struct nlmsghdr *nh, struct netwatch_counters *c)
{
	switch (nh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return decode_link(nh, c);
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		return decode_route(nh, c);
	default:
		/* NLMSG_ERROR, NLMSG_DONE, other groups' types: nothing the watch asked for. */
		c->unexpected++;
		return 0;
	}
}

unsigned netwatch_decode(const void *buf, size_t len, uint32_t sender_port,
    struct netwatch_counters *c)
{
	/* libnl's parsers take a non-const header but only read it. */
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	int rem = len > INT_MAX ? INT_MAX : (int)len;
	unsigned flags = 0;

	/* Only the kernel sends rtnetlink notifications; another port is someone else's message. */
	if (sender_port != 0) {
		c->unexpected++;
		return 0;
	}
	for (; nlmsg_ok(nh, rem); nh = nlmsg_next(nh, &rem))
		flags |= decode_one(nh, c);
	/* Bytes left that do not make a message: a short header or a length past the datagram. */
	if (rem > 0)
		c->bad++;
	return flags;
}
