/* nftable-internal.h: what netcfg/nftable*.c share: the table as a plan of rule records, so the netlink batch and the nft text come from one list and cannot drift apart. */
#ifndef VIGIL_NFTABLE_INTERNAL_H
#define VIGIL_NFTABLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nftable.h"

/* Output: 6 drill drops + 2 DSCP and 3 accepts per peer + one drop per fence entry. */
#define NFTABLE_MAX_RULES (6 + 5 * NFTABLE_MAX_PEERS + CONFIG_MAX_FENCE)
#define NFTABLE_SETS 4

/* Which header address a rule matches. */
enum nftable_match_addr {
	MATCH_ADDR_NONE,
	MATCH_SADDR,
	MATCH_DADDR,
};

/* The layer 4 part of a rule: a protocol alone, a port of it, or an ICMP echo request. */
enum nftable_match_l4 {
	MATCH_L4_NONE,
	MATCH_L4_TCP,
	MATCH_L4_UDP,
	MATCH_L4_ICMP, /* meta l4proto icmp / icmpv6 */
	MATCH_L4_ECHO, /* icmp / icmpv6 type echo-request */
};

enum nftable_match_port {
	MATCH_PORT_NONE,
	MATCH_SPORT,
	MATCH_DPORT,
};

enum nftable_rule_action {
	RULE_DROP,
	RULE_ACCEPT,
	RULE_DSCP, /* ip / ip6 dscp set; no verdict, the packet goes on */
};

enum nftable_chain_id {
	CHAIN_OUTPUT,
	CHAIN_INPUT,
	CHAIN_COUNT,
};

/* One rule: every field set is ANDed, in the order nft prints them. */
struct nftable_rule {
	int family; /* AF_INET, AF_INET6, or 0: both (no address match, no DSCP, no echo) */
	enum nftable_match_addr addr;
	const char *set; /* lookup in this set, or NULL: compare with bytes/prefix */
	uint8_t bytes[16];
	uint8_t prefix; /* 0: any address of the family (meta nfproto only) */
	enum nftable_match_l4 l4;
	enum nftable_match_port port_dir;
	uint16_t port;
	enum nftable_rule_action action;
	uint8_t dscp;
};

struct nftable_chain_desc {
	const char *name;
	uint32_t hooknum; /* NF_INET_LOCAL_OUT or NF_INET_LOCAL_IN */
};

struct nftable_set_desc {
	const char *name;
	int family;
	enum nftable_block block;
};

extern const struct nftable_chain_desc nftable_chains[CHAIN_COUNT];
extern const struct nftable_set_desc nftable_sets[NFTABLE_SETS];

/* 0, or -EINVAL when spec holds something the table cannot express. */
int nftable_check_spec(const struct nftable_spec *spec);
/* The rules of chain c in order, into ret (NFTABLE_MAX_RULES); spec passed nftable_check_spec. */
size_t nftable_plan_chain(const struct nftable_spec *spec, enum nftable_chain_id c,
    struct nftable_rule *ret);
/*
 * Whether drill element i goes into set s as a new element: in that set, not expired and the
 * first with its address (duplicates merge, the latest expiry wins: *ret_timeout_ms).
 */
bool nftable_elem_in_set(const struct nftable_spec *spec, size_t i, size_t s,
    uint64_t *ret_timeout_ms);
size_t nftable_addr_len(int family);

/* Batch begin, three table messages, 4 sets, 2 chains, the rules, one element message a set. */
#define NFTABLE_MAX_MSGS (1 + 3 + NFTABLE_SETS + CHAIN_COUNT + 2 * NFTABLE_MAX_RULES + NFTABLE_SETS)

struct mnl_nlmsg_batch;
struct nftnl_rule;

/* The libnftnl rule for r in chain (nftable-build.c), or NULL when out of memory. */
struct nftnl_rule *nftable_build_rule(const struct nftable_rule *r, const char *chain);

/*
 * One netlink batch on its way: message k (0 = batch begin) has sequence number seq0 + k and
 * asks for an ACK; op[k] and what[k] name it for the error line.
 */
struct nftable_batch {
	struct mnl_nlmsg_batch *b;
	uint32_t seq0;
	uint32_t n; /* messages so far, batch begin included */
	const char *op[NFTABLE_MAX_MSGS];
	const char *what[NFTABLE_MAX_MSGS]; /* the set or chain op is about, or NULL */
};

/* Batch buffer: mnl_nlmsg_batch_next needs room for one message past the limit. */
#define NFTABLE_BATCH_LIMIT (96 * 1024)
#define NFTABLE_BATCH_SLACK (16 * 1024)
/* Receive buffer: larger than any dump message the kernel makes (32 kB), so none is cut. */
#define NFTABLE_RECV_SIZE (64 * 1024)

struct mnl_socket;
struct nlmsghdr;

struct nftable {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq; /* next sequence number */
	struct nftable_batch batch;
	char buf[NFTABLE_BATCH_LIMIT + NFTABLE_BATCH_SLACK];
	char rbuf[NFTABLE_RECV_SIZE];
};

/* Send one request (seq from n->seq), pass each reply to cb until the ACK or NLMSG_DONE. */
int nftable_talk(struct nftable *n, struct nlmsghdr *nlh,
    int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);

/* What a readback (nftable_readback) has counted so far, and the set an element dump is about. */
struct nftable_readctx {
	struct nftable_readback rb;
	bool set_seen[NFTABLE_SETS];
	size_t elem_set;
};

/*
 * The readback's reader of one reply message to a dump of type (NFT_MSG_GETTABLE, GETCHAIN,
 * GETRULE, GETSET or GETSETELEM), data a struct nftable_readctx; NULL for any other type. A
 * callback of mnl_cb_run, apart for the fuzz target: whatever the message, MNL_CB_OK.
 */
typedef int nftable_cb(const struct nlmsghdr *nlh, void *data);
nftable_cb *nftable_read_cb(uint16_t type);

/* mnl_cb_run over one datagram read from the socket (nftable_talk), once its message lengths
 * passed a check libmnl 1.0.4 lacks: MNL_CB_ERROR with errno EBADMSG when they did not. */
int nftable_cb_run(const void *buf, size_t len, uint32_t seq, uint32_t portid, nftable_cb *cb,
    void *data);

/* Append the messages that replace the table with spec: 0, -ENOMEM or -ENOBUFS. */
int nftable_batch_replace(struct nftable_batch *b, const struct nftable_spec *spec);
/* Append the deletion of the table. */
int nftable_batch_delete(struct nftable_batch *b);

#endif /* VIGIL_NFTABLE_INTERNAL_H */
