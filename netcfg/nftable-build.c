/* nftable-build.c: the plan of table inet vigil as libnftnl objects, serialized into one libmnl batch; the expressions mirror what `nft --debug=netlink` shows for the same rules (nftables 1.0.6). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "nftable-internal.h"
#include "nftable.h"

/* Header offsets (RFC 791, RFC 8200, RFC 9293 / RFC 768, RFC 792 / RFC 4443). */
#define IP4_SADDR 12
#define IP4_DADDR 16
#define IP4_CSUM 10
#define IP6_SADDR 8
#define IP6_DADDR 24
#define L4_SPORT 0
#define L4_DPORT 2
#define ICMP4_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128

/* A rule under construction; the first failed allocation sticks in err. */
struct rb {
	struct nftnl_rule *r;
	int err;
};

static void rb_add(struct rb *rb, struct nftnl_expr *e)
{
	if (e == NULL) {
		rb->err = -ENOMEM;
		return;
	}
	nftnl_rule_add_expr(rb->r, e);
}

static void add_meta(struct rb *rb, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	rb_add(rb, e);
}

static void add_cmp(struct rb *rb, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	rb_add(rb, e);
}

static void add_load(struct rb *rb, uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	}
	rb_add(rb, e);
}

/* Write the first len bytes of the network header back, fixing the IPv4 checksum if csum_off. */
static void add_write(struct rb *rb, uint32_t len, uint32_t csum_off)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 0);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_TYPE,
		    csum_off != 0 ? NFT_PAYLOAD_CSUM_INET : NFT_PAYLOAD_CSUM_NONE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, csum_off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_FLAGS, 0);
	}
	rb_add(rb, e);
}

static void add_bitwise(struct rb *rb, const uint8_t *mask, const uint8_t *flip, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");

	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, flip, len);
	}
	rb_add(rb, e);
}

/* Set ids tie lookups and elements to sets made in the same batch: index + 1. */
static uint32_t set_id(const char *name)
{
	for (size_t s = 0; s < NFTABLE_SETS; s++)
		if (strcmp(nftable_sets[s].name, name) == 0)
			return (uint32_t)s + 1;
	return 0;
}

static void add_lookup(struct rb *rb, const char *set)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0)
			rb->err = -ENOMEM;
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id(set));
	}
	rb_add(rb, e);
}

static void add_verdict(struct rb *rb, uint32_t verdict)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	}
	rb_add(rb, e);
}

static uint32_t addr_offset(const struct nftable_rule *r)
{
	if (r->family == AF_INET)
		return r->addr == MATCH_SADDR ? IP4_SADDR : IP4_DADDR;
	return r->addr == MATCH_SADDR ? IP6_SADDR : IP6_DADDR;
}

/* Like nft: a whole-byte prefix loads only its bytes; any other prefix is masked first. */
static void match_addr(struct rb *rb, const struct nftable_rule *r)
{
	uint8_t nfproto = r->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	uint32_t len = (uint32_t)nftable_addr_len(r->family);
	uint8_t mask[16] = { 0 }, zero[16] = { 0 };

	add_meta(rb, NFT_META_NFPROTO);
	add_cmp(rb, &nfproto, sizeof(nfproto));
	if (r->addr == MATCH_ADDR_NONE || (r->set == NULL && r->prefix == 0))
		return;
	if (r->set != NULL) {
		add_load(rb, NFT_PAYLOAD_NETWORK_HEADER, addr_offset(r), len);
		add_lookup(rb, r->set);
	} else if (r->prefix % 8 == 0) {
		add_load(rb, NFT_PAYLOAD_NETWORK_HEADER, addr_offset(r), r->prefix / 8u);
		add_cmp(rb, r->bytes, r->prefix / 8u);
	} else {
		memset(mask, 0xff, r->prefix / 8u);
		mask[r->prefix / 8] = (uint8_t)(0xff00u >> (r->prefix % 8));
		add_load(rb, NFT_PAYLOAD_NETWORK_HEADER, addr_offset(r), len);
		add_bitwise(rb, mask, zero, len);
		add_cmp(rb, r->bytes, len);
	}
}

static uint8_t l4_proto(const struct nftable_rule *r)
{
	if (r->l4 == MATCH_L4_TCP)
		return IPPROTO_TCP;
	if (r->l4 == MATCH_L4_UDP)
		return IPPROTO_UDP;
	return r->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
}

static void match_l4(struct rb *rb, const struct nftable_rule *r)
{
	uint8_t proto = l4_proto(r);
	uint8_t echo = r->family == AF_INET ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
	uint16_t port = htons(r->port);

	if (r->l4 == MATCH_L4_NONE)
		return;
	add_meta(rb, NFT_META_L4PROTO);
	add_cmp(rb, &proto, sizeof(proto));
	if (r->port_dir != MATCH_PORT_NONE) {
		add_load(rb, NFT_PAYLOAD_TRANSPORT_HEADER,
		    r->port_dir == MATCH_SPORT ? L4_SPORT : L4_DPORT, sizeof(port));
		add_cmp(rb, &port, sizeof(port));
	}
	if (r->l4 == MATCH_L4_ECHO) {
		add_load(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 0, sizeof(echo));
		add_cmp(rb, &echo, sizeof(echo));
	}
}

/*
 * DSCP is the upper six bits of the IPv4 TOS byte (byte 1) and of the IPv6 traffic class, which
 * straddles bytes 0 and 1; like nft, rewrite the first two bytes keeping every other bit (ECN,
 * version, flow label), with the IPv4 header checksum fixed at offset 10.
 */
static void action_dscp(struct rb *rb, const struct nftable_rule *r)
{
	uint8_t d = r->dscp;
	const uint8_t mask4[2] = { 0xff, 0x03 }, xor4[2] = { 0x00, (uint8_t)(d << 2) };
	const uint8_t mask6[2] = { 0xf0, 0x3f }, xor6[2] = { (uint8_t)(d >> 2), (uint8_t)(d << 6) };
	bool v4 = r->family == AF_INET;

	add_load(rb, NFT_PAYLOAD_NETWORK_HEADER, 0, 2);
	add_bitwise(rb, v4 ? mask4 : mask6, v4 ? xor4 : xor6, 2);
	add_write(rb, 2, v4 ? IP4_CSUM : 0);
}

/* The libnftnl rule of r in chain, or NULL when out of memory. */
struct nftnl_rule *nftable_build_rule(const struct nftable_rule *r, const char *chain)
{
	struct rb rb = { .r = nftnl_rule_alloc() };

	if (rb.r == NULL)
		return NULL;
	nftnl_rule_set_u32(rb.r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (nftnl_rule_set_str(rb.r, NFTNL_RULE_TABLE, NFTABLE_NAME) < 0 ||
	    nftnl_rule_set_str(rb.r, NFTNL_RULE_CHAIN, chain) < 0)
		rb.err = -ENOMEM;
	if (r->family != 0)
		match_addr(&rb, r);
	match_l4(&rb, r);
	if (r->action == RULE_DSCP)
		action_dscp(&rb, r);
	else
		add_verdict(&rb, r->action == RULE_ACCEPT ? NF_ACCEPT : NF_DROP);
	if (rb.err < 0) {
		nftnl_rule_free(rb.r);
		return NULL;
	}
	return rb.r;
}
