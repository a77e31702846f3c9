/* watch-query.c: the kernel's answer now for one target: a route lookup, then the state of the interface it leaves by, on a non-blocking netlink socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "watch-internal.h"

/* Replies to earlier, abandoned requests read past before this one is given up. */
#define STALE_MAX 8

/* A request: netlink header, family header and at most two addresses, 4-byte aligned. */
union request {
	struct nlmsghdr nh;
	uint32_t words[32];
};

static const struct nla_policy route_policy[RTA_MAX + 1] = {
	[RTA_OIF] = { .type = NLA_U32 },
	[RTA_GATEWAY] = { .minlen = 4, .maxlen = 16 },
	[RTA_VIA] = { .minlen = sizeof(struct rtvia) + 4, .maxlen = sizeof(struct rtvia) + 16 },
	[RTA_TABLE] = { .type = NLA_U32 },
};

static const struct nla_policy link_policy[IFLA_MAX + 1] = {
	[IFLA_IFNAME] = { .type = NLA_STRING, .maxlen = IFNAMSIZ },
	[IFLA_OPERSTATE] = { .type = NLA_U8 },
};

static unsigned addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int netwatch_query_open(struct netwatch_query *q)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	q->fd = fd;
	q->seq = 0;
	return 0;
}

void netwatch_query_close(struct netwatch_query *q)
{
	if (q->fd >= 0)
		(void)close(q->fd); /* nothing was written through it that could be lost */
	q->fd = -1;
}

/* ---- requests ---- */

static void request_init(union request *req, uint16_t type, const void *hdr, size_t hdr_len)
{
	*req = (union request){ .nh = { .nlmsg_len = NLMSG_LENGTH(hdr_len),
		                    .nlmsg_type = type,
		                    .nlmsg_flags = NLM_F_REQUEST } };
	memcpy(NLMSG_DATA(&req->nh), hdr, hdr_len);
}

static int request_put(union request *req, uint16_t type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(req->nh.nlmsg_len);
	struct rtattr *rta = (struct rtattr *)((uint8_t *)req + at);

	if (at + RTA_SPACE(len) > sizeof(*req))
		return -EMSGSIZE;
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
	return 0;
}

struct nlmsghdr *netwatch_reply_find(void *buf, size_t len, uint32_t seq)
{
	struct nlmsghdr *nh = buf;
	int rem = len > INT_MAX ? INT_MAX : (int)len;

	for (; nlmsg_ok(nh, rem); nh = nlmsg_next(nh, &rem))
		if (nh->nlmsg_seq == seq)
			return nh;
	return NULL;
}

/*
 * Send req and take its reply. The kernel handles a request inside send() and queues the reply
 * before it returns, so the read never waits: EAGAIN means no reply came at all.
 */
static int request_ask(struct netwatch_query *q, union request *req, struct nlmsghdr **ret)
{
	req->nh.nlmsg_seq = ++q->seq;
	if (send(q->fd, req, req->nh.nlmsg_len, 0) < 0)
		return -errno;
	for (int i = 0; i <= STALE_MAX; i++) {
		struct sockaddr_nl sa = { 0 };
		socklen_t sl = sizeof(sa);
		ssize_t n = recvfrom(q->fd, q->buf, sizeof(q->buf), MSG_DONTWAIT | MSG_TRUNC,
		    (struct sockaddr *)&sa, &sl);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > sizeof(q->buf))
			return -EMSGSIZE;
		if (sa.nl_pid == 0 &&
		    (*ret = netwatch_reply_find(q->buf, (size_t)n, q->seq)) != NULL)
			return 0;
	}
	return -EAGAIN;
}

/* The kernel's refusal in an NLMSG_ERROR reply as a negative errno; -EBADMSG if garbled. */
static int reply_error(const struct nlmsghdr *nh)
{
	const struct nlmsgerr *e = nlmsg_data(nh);

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || e->error >= 0)
		return -EBADMSG; /* no ACK was asked for: error 0 is not an answer either */
	return e->error;
}

/* ---- the route ---- */

static int route_ask(struct netwatch_query *q, const struct netwatch_target *t,
    struct nlmsghdr **ret)
{
	unsigned alen = addr_len(t->dst.family);
	struct rtmsg rtm = { .rtm_family = (uint8_t)t->dst.family,
		.rtm_dst_len = (uint8_t)(8 * alen) };
	union request req;
	int r;

	/* As the bound socket: source-based rules (ip rule from SRC) choose by it. */
	if (t->src.family != 0)
		rtm.rtm_src_len = rtm.rtm_dst_len;
	request_init(&req, RTM_GETROUTE, &rtm, sizeof(rtm));
	r = request_put(&req, RTA_DST, t->dst.bytes, alen);
	if (r == 0 && t->src.family != 0)
		r = request_put(&req, RTA_SRC, t->src.bytes, alen);
	return r < 0 ? r : request_ask(q, &req, ret);
}

/*
 * A refused lookup means no route: ENETUNREACH, EHOSTUNREACH (an unreachable route), EINVAL (a
 * blackhole, or a src that is not ours), EACCES (prohibit). Only a kernel short of memory is a
 * failed query.
 */
static int route_refused(const struct nlmsghdr *nh, struct netwatch_path *ret)
{
	int e = reply_error(nh);

	if (e == -ENOMEM || e == -ENOBUFS || e == -EBADMSG)
		return e;
	*ret = (struct netwatch_path){ .routed = false };
	return 0;
}

static void gateway_read(struct nlattr **tb, int family, struct config_addr *ret)
{
	const struct rtvia *via = tb[RTA_VIA] != NULL ? nla_data(tb[RTA_VIA]) : NULL;

	if (tb[RTA_GATEWAY] != NULL && (unsigned)nla_len(tb[RTA_GATEWAY]) == addr_len(family)) {
		ret->family = family;
		memcpy(ret->bytes, nla_data(tb[RTA_GATEWAY]), addr_len(family));
	} else if (via != NULL &&
	    (unsigned)nla_len(tb[RTA_VIA]) == sizeof(*via) + addr_len(via->rtvia_family)) {
		ret->family = via->rtvia_family; /* an IPv4 route via an IPv6 next hop */
		memcpy(ret->bytes, via->rtvia_addr, addr_len(via->rtvia_family));
	}
	if (ret->family != 0 &&
	    inet_ntop(ret->family, ret->bytes, ret->text, sizeof(ret->text)) == NULL)
		ret->text[0] = '\0'; /* cannot happen for 4 or 16 bytes; the bytes stay right */
}

int netwatch_route_read(const struct nlmsghdr *nh, const struct netwatch_target *t,
    struct netwatch_path *ret)
{
	struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm = nlmsg_data(nh);
	struct netwatch_path p = { .routed = true };

	if (nh->nlmsg_type == NLMSG_ERROR)
		return route_refused(nh, ret);
	if (nh->nlmsg_type != RTM_NEWROUTE ||
	    nlmsg_parse((struct nlmsghdr *)nh, sizeof(*rtm), tb, RTA_MAX, route_policy) < 0 ||
	    rtm->rtm_family != t->dst.family)
		return -EBADMSG;
	/* Unreachable, blackhole, prohibit and throw routes lead nowhere. */
	if (rtm->rtm_type != RTN_UNICAST && rtm->rtm_type != RTN_LOCAL) {
		*ret = (struct netwatch_path){ .routed = false };
		return 0;
	}
	if (tb[RTA_OIF] == NULL || nla_get_u32(tb[RTA_OIF]) == 0)
		return -EBADMSG;
	p.ifindex = nla_get_u32(tb[RTA_OIF]);
	gateway_read(tb, t->dst.family, &p.gateway);
	*ret = p;
	return 0;
}

/* ---- the link ---- */

static int link_ask(struct netwatch_query *q, uint32_t ifindex, struct nlmsghdr **ret)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)ifindex };
	uint32_t ext = RTEXT_FILTER_SKIP_STATS; /* flags, operstate and name are all that is read */
	union request req;
	int r;

	request_init(&req, RTM_GETLINK, &ifi, sizeof(ifi));
	r = request_put(&req, IFLA_EXT_MASK, &ext, sizeof(ext));
	return r < 0 ? r : request_ask(q, &req, ret);
}

/*
 * SPEC "Carrier": administratively down, up without carrier (no IFF_LOWER_UP), or an RFC 2863
 * down state. DORMANT (802.1X or Wi-Fi not yet authenticated) is left to the diagnosis: a
 * carrier loss is network-down at once, so only a clear one counts.
 */
static bool carrier_of(unsigned flags, uint8_t oper)
{
	if (!(flags & IFF_UP) || !(flags & IFF_LOWER_UP))
		return false;
	return oper != IF_OPER_DOWN && oper != IF_OPER_LOWERLAYERDOWN && oper != IF_OPER_NOTPRESENT;
}

int netwatch_link_read(const struct nlmsghdr *nh, struct netwatch_path *p)
{
	struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi = nlmsg_data(nh);
	uint8_t oper;

	/* A link that went between the lookup and now (ENODEV) has no carrier. */
	if (nh->nlmsg_type == NLMSG_ERROR && reply_error(nh) == -ENODEV) {
		p->carrier = false;
		return 0;
	}
	if (nh->nlmsg_type == NLMSG_ERROR)
		return reply_error(nh);
	if (nh->nlmsg_type != RTM_NEWLINK ||
	    nlmsg_parse((struct nlmsghdr *)nh, sizeof(*ifi), tb, IFLA_MAX, link_policy) < 0 ||
	    (uint32_t)ifi->ifi_index != p->ifindex)
		return -EBADMSG;
	oper = tb[IFLA_OPERSTATE] != NULL ? nla_get_u8(tb[IFLA_OPERSTATE]) : IF_OPER_UNKNOWN;
	p->carrier = carrier_of(ifi->ifi_flags, oper);
	/* Fits: the policy caps the name, NUL included, at IFNAMSIZ, the size of ifname. */
	if (tb[IFLA_IFNAME] != NULL)
		(void)nla_strlcpy(p->ifname, tb[IFLA_IFNAME], sizeof(p->ifname));
	return 0;
}

int netwatch_query_path(struct netwatch_query *q, const struct netwatch_target *t,
    struct netwatch_path *ret)
{
	struct netwatch_path p;
	struct nlmsghdr *nh;
	int r = route_ask(q, t, &nh);

	/* Each reply is read before the next request reuses the buffer. */
	if (r == 0)
		r = netwatch_route_read(nh, t, &p);
	if (r == 0 && p.routed)
		r = link_ask(q, p.ifindex, &nh);
	if (r == 0 && p.routed)
		r = netwatch_link_read(nh, &p);
	if (r == 0)
		*ret = p;
	return r;
}
