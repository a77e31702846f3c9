/* nftable-batch.c: the messages of one nftables batch (table, sets, chains, rules, elements), each asking for an ACK and named for the error line. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "nftable-internal.h"
#include "nftable.h"

#define DATA_TYPE_IPV4_ADDR 7 /* nftables' datatype ids, so that `nft list` prints the set type */
#define DATA_TYPE_IPV6_ADDR 8

/* Start message k of the batch; its payload goes after the returned header. */
static struct nlmsghdr *msg_start(struct nftable_batch *b, uint16_t type, uint16_t flags,
    const char *op, const char *what)
{
	if (b->n >= NFTABLE_MAX_MSGS)
		return NULL;
	b->op[b->n] = op;
	b->what[b->n] = what;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b->b), type, NFPROTO_INET,
	    flags | NLM_F_ACK, b->seq0 + b->n);
}

static int msg_end(struct nftable_batch *b)
{
	if (!mnl_nlmsg_batch_next(b->b))
		return -ENOBUFS;
	b->n++;
	return 0;
}

static int batch_table(struct nftable_batch *b, uint16_t type, uint16_t flags, const char *op)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int r = -ENOMEM;

	if (t == NULL)
		return -ENOMEM;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFTABLE_NAME) == 0) {
		r = -ENOBUFS;
		if ((nlh = msg_start(b, type, flags, op, NULL)) != NULL) {
			nftnl_table_nlmsg_build_payload(nlh, t);
			r = msg_end(b);
		}
	}
	nftnl_table_free(t);
	return r;
}

/* Set s of the table, without elements; the caller adds them and picks the message. */
static struct nftnl_set *set_new(size_t s)
{
	struct nftnl_set *set = nftnl_set_alloc();

	if (set == NULL)
		return NULL;
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(set, NFTNL_SET_ID, (uint32_t)s + 1);
	if (nftnl_set_set_str(set, NFTNL_SET_TABLE, NFTABLE_NAME) < 0 ||
	    nftnl_set_set_str(set, NFTNL_SET_NAME, nftable_sets[s].name) < 0) {
		nftnl_set_free(set);
		return NULL;
	}
	return set;
}

static int batch_set(struct nftable_batch *b, size_t s)
{
	struct nftnl_set *set = set_new(s);
	int family = nftable_sets[s].family;
	struct nlmsghdr *nlh;
	int r = -ENOBUFS;

	if (set == NULL)
		return -ENOMEM;
	/* flags timeout: drill elements end by themselves even if vigild is gone */
	nftnl_set_set_u32(set, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE,
	    family == AF_INET ? DATA_TYPE_IPV4_ADDR : DATA_TYPE_IPV6_ADDR);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, (uint32_t)nftable_addr_len(family));
	nlh = msg_start(b, NFT_MSG_NEWSET, NLM_F_CREATE, "add set", nftable_sets[s].name);
	if (nlh != NULL) {
		nftnl_set_nlmsg_build_payload(nlh, set);
		r = msg_end(b);
	}
	nftnl_set_free(set);
	return r;
}

static int batch_chain(struct nftable_batch *b, enum nftable_chain_id c)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	int r = -ENOMEM;

	if (ch == NULL)
		return -ENOMEM;
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, nftable_chains[c].hooknum);
	nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, 0); /* priority filter */
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	if (nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, NFTABLE_NAME) == 0 &&
	    nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, nftable_chains[c].name) == 0 &&
	    nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, "filter") == 0) {
		r = -ENOBUFS;
		nlh = msg_start(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, "add chain",
		    nftable_chains[c].name);
		if (nlh != NULL) {
			nftnl_chain_nlmsg_build_payload(nlh, ch);
			r = msg_end(b);
		}
	}
	nftnl_chain_free(ch);
	return r;
}

static int batch_rules(struct nftable_batch *b, const struct nftable_spec *spec,
    enum nftable_chain_id c)
{
	struct nftable_rule rules[NFTABLE_MAX_RULES];
	size_t n = nftable_plan_chain(spec, c, rules);
	const char *chain = nftable_chains[c].name;

	for (size_t i = 0; i < n; i++) {
		struct nftnl_rule *rule = nftable_build_rule(&rules[i], chain);
		struct nlmsghdr *nlh;
		int r = -ENOBUFS;

		if (rule == NULL)
			return -ENOMEM;
		nlh = msg_start(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "add rule to",
		    chain);
		if (nlh != NULL) {
			nftnl_rule_nlmsg_build_payload(nlh, rule);
			r = msg_end(b);
		}
		nftnl_rule_free(rule);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The live drill elements of set s into set; how many. */
static int elems_add(struct nftnl_set *set, const struct nftable_spec *spec, size_t s)
{
	size_t len = nftable_addr_len(nftable_sets[s].family);
	uint64_t timeout_ms;
	int n = 0;

	for (size_t i = 0; i < spec->n_drill; i++) {
		struct nftnl_set_elem *e;

		if (!nftable_elem_in_set(spec, i, s, &timeout_ms))
			continue;
		if ((e = nftnl_set_elem_alloc()) == NULL)
			return -ENOMEM;
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, spec->drill[i].addr.bytes, (uint32_t)len);
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
		nftnl_set_elem_add(set, e);
		n++;
	}
	return n;
}

static int batch_elems(struct nftable_batch *b, const struct nftable_spec *spec, size_t s)
{
	struct nftnl_set *set = set_new(s);
	struct nlmsghdr *nlh;
	int r;

	if (set == NULL)
		return -ENOMEM;
	r = elems_add(set, spec, s);
	if (r > 0) {
		r = -ENOBUFS;
		nlh = msg_start(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, "add elements to",
		    nftable_sets[s].name);
		if (nlh != NULL) {
			nftnl_set_elems_nlmsg_build_payload(nlh, set);
			r = msg_end(b);
		}
	}
	nftnl_set_free(set);
	return r < 0 ? r : 0;
}

/*
 * Add, delete, add: the first add makes the delete succeed whether or not a table was there
 * (left by a crashed vigild, or by hand); the kernel commits the batch whole or not at all.
 */
int nftable_batch_replace(struct nftable_batch *b, const struct nftable_spec *spec)
{
	int r = batch_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "add table");

	if (r == 0)
		r = batch_table(b, NFT_MSG_DELTABLE, 0, "delete table");
	if (r == 0)
		r = batch_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "add table");
	for (size_t s = 0; r == 0 && s < NFTABLE_SETS; s++)
		r = batch_set(b, s);
	for (int c = 0; r == 0 && c < CHAIN_COUNT; c++)
		r = batch_chain(b, (enum nftable_chain_id)c);
	for (int c = 0; r == 0 && c < CHAIN_COUNT; c++)
		r = batch_rules(b, spec, (enum nftable_chain_id)c);
	for (size_t s = 0; r == 0 && s < NFTABLE_SETS; s++)
		r = batch_elems(b, spec, s);
	return r;
}

int nftable_batch_delete(struct nftable_batch *b)
{
	return batch_table(b, NFT_MSG_DELTABLE, 0, "delete table");
}
