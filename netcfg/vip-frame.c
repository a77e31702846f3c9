/* vip-frame.c: the frames a VIP is probed and announced with, and the parser that spots another host's claim in a captured frame; pure, no I/O (a fuzz target can link it alone). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vip-internal.h"

#define ETH_HDR 14
#define ETHERTYPE_ARP_ 0x0806
#define ETHERTYPE_IPV6_ 0x86dd
#define ARP_LEN 28
#define IP6_HDR 40
#define IP6_NEXT_ICMP6 58
/* RFC 4861 7.1: neighbour discovery is only valid with hop limit 255 (not routed). */
#define ND_HOP_LIMIT 255
#define ND_NS 135
#define ND_NA 136
#define ND_MSG_LEN 24 /* type, code, checksum, flags/reserved, target */
#define ND_OPT_TLLA 2
#define ND_OPT_UNIT 8
#define NA_FLAG_OVERRIDE 0x20u /* the first flags byte: R 0x80, S 0x40, O 0x20 */

static const uint8_t mac_broadcast[VIP_MAC_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_all_nodes[VIP_MAC_LEN] = { 0x33, 0x33, 0, 0, 0, 1 };
static const uint8_t ip6_all_nodes[16] = { 0xff, 0x02, [15] = 1 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint8_t *put_eth(uint8_t *p, const uint8_t dst[VIP_MAC_LEN], const uint8_t src[VIP_MAC_LEN],
    uint16_t type)
{
	memcpy(p, dst, VIP_MAC_LEN);
	memcpy(p + VIP_MAC_LEN, src, VIP_MAC_LEN);
	put16(p + 2 * VIP_MAC_LEN, type);
	return p + ETH_HDR;
}

/* Ethernet/IPv4 ARP from mac; tha NULL: zeros (RFC 5227: ignored, should be zero). */
static int build_arp(const uint8_t mac[VIP_MAC_LEN], uint16_t op, const uint8_t spa[4],
    const uint8_t *tha, const uint8_t tpa[4], uint8_t *ret_buf, size_t cap, size_t *ret_len)
{
	uint8_t *p;

	if (cap < VIP_ARP_FRAME_LEN)
		return -ENOBUFS;
	p = put_eth(ret_buf, mac_broadcast, mac, ETHERTYPE_ARP_);
	put16(p, 1);          /* hardware: Ethernet */
	put16(p + 2, 0x0800); /* protocol: IPv4 */
	p[4] = VIP_MAC_LEN;
	p[5] = 4;
	put16(p + 6, op);
	memcpy(p + 8, mac, VIP_MAC_LEN);
	memcpy(p + 14, spa, 4);
	if (tha != NULL)
		memcpy(p + 18, tha, VIP_MAC_LEN);
	else
		memset(p + 18, 0, VIP_MAC_LEN);
	memcpy(p + 24, tpa, 4);
	*ret_len = VIP_ARP_FRAME_LEN;
	return 0;
}

/*
 * Sender and target both the VIP, to broadcast (RFC 5227 2.3 announcement). Some hosts only
 * update their cache on a request, some only on a reply: both are sent. The reply's target
 * hardware address is ours, as arping -A sends it.
 */
int vip_frame_garp(const uint8_t mac[VIP_MAC_LEN], const uint8_t ip[4], uint16_t op,
    uint8_t *ret_buf, size_t cap, size_t *ret_len)
{
	if (op != VIP_ARP_REQUEST && op != VIP_ARP_REPLY)
		return -EINVAL;
	return build_arp(mac, op, ip, op == VIP_ARP_REPLY ? mac : NULL, ip, ret_buf, cap, ret_len);
}

/* RFC 5227 2.1.1: sender IP 0.0.0.0, so that no cache learns the address from the probe. */
int vip_frame_arp_probe(const uint8_t mac[VIP_MAC_LEN], const uint8_t ip[4], uint8_t *ret_buf,
    size_t cap, size_t *ret_len)
{
	static const uint8_t zero[4];

	return build_arp(mac, VIP_ARP_REQUEST, zero, NULL, ip, ret_buf, cap, ret_len);
}

uint16_t vip_icmp6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
    size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < 16; i += 2)
		sum += get16(src + i) + get16(dst + i);
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + IP6_NEXT_ICMP6;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(msg + i);
	if (len % 2 != 0)
		sum += (uint32_t)msg[len - 1] << 8;
	while (sum >> 16 != 0)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IPv6 header and an ICMPv6 message of msg_len bytes (its checksum left to the caller). */
static uint8_t *put_ip6(uint8_t *p, const uint8_t src[16], const uint8_t dst[16], size_t msg_len)
{
	memset(p, 0, IP6_HDR);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)msg_len);
	p[6] = IP6_NEXT_ICMP6;
	p[7] = ND_HOP_LIMIT;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return p + IP6_HDR;
}

/*
 * RFC 4861 4.4 and 7.2.6: an unsolicited advertisement to all nodes, from the VIP, with the
 * override flag so that caches holding the old primary's MAC take ours, and the target
 * link-layer option that carries it.
 */
int vip_frame_na(const uint8_t mac[VIP_MAC_LEN], const uint8_t ip6[16], uint8_t *ret_buf,
    size_t cap, size_t *ret_len)
{
	const size_t msg_len = ND_MSG_LEN + ND_OPT_UNIT;
	uint8_t *m;

	if (cap < VIP_NA_FRAME_LEN)
		return -ENOBUFS;
	m = put_ip6(put_eth(ret_buf, mac_all_nodes, mac, ETHERTYPE_IPV6_), ip6, ip6_all_nodes,
	    msg_len);
	memset(m, 0, msg_len);
	m[0] = ND_NA;
	m[4] = NA_FLAG_OVERRIDE;
	memcpy(m + 8, ip6, 16);
	m[24] = ND_OPT_TLLA;
	m[25] = 1; /* in units of 8 bytes */
	memcpy(m + 26, mac, VIP_MAC_LEN);
	put16(m + 2, vip_icmp6_checksum(ip6, ip6_all_nodes, m, msg_len));
	*ret_len = VIP_NA_FRAME_LEN;
	return 0;
}

/*
 * RFC 4862 5.4.2: duplicate address detection: from ::, to the target's solicited-node group
 * ff02::1:ffXX:XXXX (Ethernet 33:33:ffXX:XXXX), without a source link-layer option (5.4.2
 * forbids it with the unspecified source). A holder of the address answers with an NA.
 */
int vip_frame_ns_probe(const uint8_t mac[VIP_MAC_LEN], const uint8_t ip6[16], uint8_t *ret_buf,
    size_t cap, size_t *ret_len)
{
	static const uint8_t unspecified[16];
	uint8_t group[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff };
	uint8_t group_mac[VIP_MAC_LEN] = { 0x33, 0x33, 0xff };
	uint8_t *m;

	if (cap < VIP_NS_FRAME_LEN)
		return -ENOBUFS;
	memcpy(group + 13, ip6 + 13, 3);
	memcpy(group_mac + 3, ip6 + 13, 3);
	m = put_ip6(put_eth(ret_buf, group_mac, mac, ETHERTYPE_IPV6_), unspecified, group,
	    ND_MSG_LEN);
	memset(m, 0, ND_MSG_LEN);
	m[0] = ND_NS;
	memcpy(m + 8, ip6, 16);
	put16(m + 2, vip_icmp6_checksum(unspecified, group, m, ND_MSG_LEN));
	*ret_len = VIP_NS_FRAME_LEN;
	return 0;
}

static void addr_set(struct config_addr *a, int family, const uint8_t *bytes)
{
	*a = (struct config_addr){ .family = family };
	memcpy(a->bytes, bytes, family == AF_INET ? 4 : 16);
	if (inet_ntop(family, a->bytes, a->text, sizeof(a->text)) == NULL)
		a->text[0] = '\0'; /* cannot happen: the buffer fits any address */
}

/* p: the ARP header, len: the bytes left after the Ethernet header (padding included). */
static int claim_arp(const uint8_t *p, size_t len, struct config_addr *ret_addr,
    uint8_t ret_mac[VIP_MAC_LEN])
{
	static const uint8_t zero[4];
	uint16_t op;

	if (len < ARP_LEN || get16(p) != 1 || get16(p + 2) != 0x0800 || p[4] != VIP_MAC_LEN ||
	    p[5] != 4)
		return -EINVAL;
	op = get16(p + 6);
	/* Sender 0.0.0.0 is a probe: it claims nothing yet. */
	if ((op != VIP_ARP_REQUEST && op != VIP_ARP_REPLY) || memcmp(p + 14, zero, 4) == 0)
		return -EINVAL;
	addr_set(ret_addr, AF_INET, p + 14);
	memcpy(ret_mac, p + 8, VIP_MAC_LEN);
	return 0;
}

/* The MAC in the target link-layer option, if any: 0, or -EINVAL on a malformed option. */
static int na_options(const uint8_t *o, size_t len, const uint8_t **ret_mac)
{
	while (len > 0) {
		size_t n = len >= 2 ? (size_t)o[1] * ND_OPT_UNIT : 0;

		/* RFC 4861 7.1.2: a zero-length option invalidates the message. */
		if (n == 0 || n > len)
			return -EINVAL;
		if (o[0] == ND_OPT_TLLA && n >= 2 + VIP_MAC_LEN)
			*ret_mac = o + 2;
		o += n;
		len -= n;
	}
	return 0;
}

/* RFC 4861 7.1.2 checks, the ones that apply to a claim: IPv6, ICMPv6 straight after the
 * header, hop limit 255, type 136 code 0, checksum, a unicast target, well-formed options. */
static int claim_na(const uint8_t *frame, size_t len, struct config_addr *ret_addr,
    uint8_t ret_mac[VIP_MAC_LEN])
{
	const uint8_t *ip = frame + ETH_HDR, *m = ip + IP6_HDR, *mac = frame + VIP_MAC_LEN;
	size_t msg_len;

	if (len < ETH_HDR + IP6_HDR || ip[0] >> 4 != 6 || ip[6] != IP6_NEXT_ICMP6 ||
	    ip[7] != ND_HOP_LIMIT)
		return -EINVAL;
	msg_len = get16(ip + 4);
	if (msg_len < ND_MSG_LEN || msg_len > len - ETH_HDR - IP6_HDR || m[0] != ND_NA ||
	    m[1] != 0 || m[8] == 0xff)
		return -EINVAL;
	if (vip_icmp6_checksum(ip + 8, ip + 24, m, msg_len) != 0 ||
	    na_options(m + ND_MSG_LEN, msg_len - ND_MSG_LEN, &mac) != 0)
		return -EINVAL;
	addr_set(ret_addr, AF_INET6, m + 8);
	memcpy(ret_mac, mac, VIP_MAC_LEN);
	return 0;
}

int vip_frame_claim(const uint8_t *frame, size_t len, struct config_addr *ret_addr,
    uint8_t ret_mac[VIP_MAC_LEN])
{
	struct config_addr a;
	uint8_t mac[VIP_MAC_LEN];
	int r;

	if (frame == NULL || len < ETH_HDR)
		return -EINVAL;
	/* Only untagged frames: a tagged one belongs to a VLAN device, not to this one. */
	switch (get16(frame + 2 * VIP_MAC_LEN)) {
	case ETHERTYPE_ARP_:
		r = claim_arp(frame + ETH_HDR, len - ETH_HDR, &a, mac);
		break;
	case ETHERTYPE_IPV6_:
		r = claim_na(frame, len, &a, mac);
		break;
	default:
		r = -EINVAL;
	}
	if (r == 0) {
		*ret_addr = a;
		memcpy(ret_mac, mac, VIP_MAC_LEN);
	}
	return r;
}

void vip_mac_format(const uint8_t mac[VIP_MAC_LEN], char ret[VIP_MAC_TEXT])
{
	snprintf(ret, VIP_MAC_TEXT, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
	    mac[4], mac[5]);
}
