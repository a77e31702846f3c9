/* fuzz_netwatch.c: libFuzzer target for the rtnetlink bytes vigild parses itself: the watcher's event datagrams (netcfg/watch-decode.c) and the replies to its route and link lookups (netcfg/watch-query.c; STYLE 32). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>

#include "../../netcfg/watch-internal.h"

/*
 * Input: byte 0 picks what the rest is: bits 0-1 = 0: an event datagram (bit 2: from a port
 * other than the kernel's), 1: the reply to a route lookup toward an IPv4 target (bit 2: IPv6;
 * bit 3: with a source address), 2: the reply to a link query for ifindex 2, 3: both replies
 * in one datagram, as a lookup and its link query read them. The route reply answers request
 * number 1 (REPLY_SEQ), the link reply number 1 alone, number 2 after a route. The datagram goes into a buffer of exactly its size, 4-byte aligned.
 * Invariants (a violation aborts):
 * - events: flags only of NETWATCH_F_ALL, a default route only with a route, every message
 *   counted once at most, a foreign sender counted and nothing else read;
 * - replies: refused with a negative errno and the output untouched; a route read names an
 *   interface (routed) or nothing at all (not routed), its gateway an IPv4 or IPv6 address
 *   whose text reads back to its bytes; a link read leaves a terminated name.
 */

#define REPLY_SEQ 1
#define LINK_IFINDEX 2

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_netwatch: invariant broken: %s\n", what);
		abort();
	}
}

static void fuzz_events(void *buf, size_t len, bool foreign)
{
	struct netwatch_counters c = { 0 };
	unsigned flags = netwatch_decode(buf, len, foreign ? 4242 : 0, &c);
	uint64_t counted = c.events + c.bad + c.unexpected;

	must((flags & ~NETWATCH_F_ALL) == 0, "flags");
	must(!(flags & NETWATCH_F_DEFAULT) || (flags & NETWATCH_F_ROUTE), "default without route");
	must(flags == 0 || c.events > 0, "flags without an event");
	/* a message takes a header of 16 bytes; trailing bytes count once */
	must(counted <= len / sizeof(struct nlmsghdr) + 1, "a message counted twice");
	if (foreign)
		must(flags == 0 && c.unexpected == 1 && c.events == 0 && c.bad == 0,
		    "a foreign sender read");
}

static bool same(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

static void check_gateway(const struct config_addr *g)
{
	uint8_t back[16];

	if (g->family == 0)
		return;
	must(g->family == AF_INET || g->family == AF_INET6, "gateway family");
	must(inet_pton(g->family, g->text, back) == 1 &&
	        same(back, g->bytes, g->family == AF_INET ? 4 : 16),
	    "gateway text");
}

static void target_from(uint8_t sel, struct netwatch_target *t)
{
	*t = (struct netwatch_target){ 0 };
	if (sel & 4) {
		t->dst.family = AF_INET6;
		(void)inet_pton(AF_INET6, "2001:db8::10", t->dst.bytes);
	} else {
		t->dst.family = AF_INET;
		(void)inet_pton(AF_INET, "192.0.2.10", t->dst.bytes);
	}
	if (sel & 8) {
		t->src = t->dst;
		t->src.bytes[t->src.family == AF_INET ? 3 : 15] = 1;
	}
}

/* The lookup's reply, as netwatch_query_path reads it; true: it found a routed path. */
static bool fuzz_route(void *buf, size_t len, uint8_t sel, struct netwatch_path *ret)
{
	struct nlmsghdr *nh = netwatch_reply_find(buf, len, REPLY_SEQ);
	struct netwatch_target t;
	struct netwatch_path p, untouched;
	int r;

	if (nh == NULL)
		return false;
	must((uint8_t *)nh >= (uint8_t *)buf &&
	        (uint8_t *)nh + nh->nlmsg_len <= (uint8_t *)buf + len,
	    "reply within the datagram");
	target_from(sel, &t);
	memset(&p, 0xa5, sizeof(p));
	untouched = p;
	r = netwatch_route_read(nh, &t, &p);
	if (r < 0) {
		must(same(&p, &untouched, sizeof(p)), "output touched on failure");
		return false;
	}
	must(r == 0, "0 or a negative errno");
	if (!p.routed) {
		must(!p.carrier && p.ifindex == 0 && p.ifname[0] == '\0' && p.gateway.family == 0,
		    "not routed, yet a path");
		return false;
	}
	must(p.ifindex != 0 && !p.carrier && p.ifname[0] == '\0', "routed path");
	check_gateway(&p.gateway);
	*ret = p;
	return true;
}

static void fuzz_link(void *buf, size_t len, uint32_t seq, struct netwatch_path *p)
{
	struct nlmsghdr *nh = netwatch_reply_find(buf, len, seq);
	struct netwatch_path before = *p;
	int r;

	if (nh == NULL)
		return;
	r = netwatch_link_read(nh, p);
	if (r < 0) {
		must(same(p, &before, sizeof(*p)), "output touched on failure");
		return;
	}
	must(r == 0, "0 or a negative errno");
	must(memchr(p->ifname, '\0', sizeof(p->ifname)) != NULL, "name terminated");
	must(p->ifindex == before.ifindex && same(&p->gateway, &before.gateway, sizeof(p->gateway)),
	    "a link read changed the route");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netwatch_path p = { .routed = true, .ifindex = LINK_IFINDEX };
	size_t len = size > 0 ? size - 1 : 0;
	uint32_t *buf;

	if (size < 1)
		return 0;
	/* exactly len bytes from a 4-byte aligned start: ASan sees an over-read */
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, len);
	switch (data[0] & 3) {
	case 0:
		fuzz_events(buf, len, data[0] & 4);
		break;
	case 1:
		(void)fuzz_route(buf, len, data[0], &p);
		break;
	case 2:
		fuzz_link(buf, len, REPLY_SEQ, &p);
		break;
	default:
		if (fuzz_route(buf, len, data[0], &p))
			fuzz_link(buf, len, REPLY_SEQ + 1, &p);
		break;
	}
	free(buf);
	return 0;
}

#define FUZZ_NAME "fuzz_netwatch"
#include "replay.h"
