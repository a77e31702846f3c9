/* nftable-read.c: what the kernel holds of table inet vigil, counted from table, chain, rule, set and element dumps read with libmnl; anything odd in a reply is skipped, never trusted. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nftable-internal.h"
#include "nftable.h"

/* A dump the ruleset changed under (NLM_F_DUMP_INTR) is run again, this many times in all. */
#define DUMP_TRIES 3

static bool msg_is(const struct nlmsghdr *nlh, uint16_t type)
{
	return nlh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | type);
}

/*
 * Replies are read with libmnl alone, never handed to libnftnl's parsers: those exit the process
 * on an attribute of an unexpected size ("kernel ABI is broken"), and libnftnl 1.2 follows a
 * NULL name for a rule expression without NFTA_EXPR_NAME (both found by fuzzing:
 * tests/fuzz/corpus/nftable_read/crash-*). Only a process with CAP_NET_ADMIN could send such a
 * reply; the readback only counts, so it needs a message's family, table and set name alone.
 */
#define ATTR_TABLE 1 /* NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE, ... */
#define ATTR_SET 2   /* NFTA_SET_NAME, NFTA_SET_ELEM_LIST_SET */
#define ATTR_ELEMS 3 /* NFTA_SET_ELEM_LIST_ELEMENTS */
_Static_assert(NFTA_TABLE_NAME == ATTR_TABLE && NFTA_SET_TABLE == ATTR_TABLE, "table attribute");
_Static_assert(NFTA_SET_NAME == ATTR_SET && NFTA_SET_ELEM_LIST_SET == ATTR_SET, "set attribute");
_Static_assert(NFTA_SET_ELEM_LIST_ELEMENTS == ATTR_ELEMS, "elements attribute");

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if ((type == ATTR_TABLE || type == ATTR_SET) &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		tb[type] = a;
	else if (type == ATTR_ELEMS && mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
		tb[type] = a;
	return MNL_CB_OK;
}

/* A message of type about table inet vigil: its attributes (ATTR_*) in tb, else false. */
static bool ours(const struct nlmsghdr *nlh, uint16_t type, const struct nlattr *tb[ATTR_ELEMS + 1])
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

	memset(tb, 0, (ATTR_ELEMS + 1) * sizeof(tb[0]));
	return msg_is(nlh, type) && mnl_nlmsg_get_payload_len(nlh) >= sizeof(*g) &&
	    g->nfgen_family == NFPROTO_INET && mnl_attr_parse(nlh, sizeof(*g), attr_cb, tb) >= 0 &&
	    tb[ATTR_TABLE] != NULL && strcmp(mnl_attr_get_str(tb[ATTR_TABLE]), NFTABLE_NAME) == 0;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftable_readctx *x = data;
	const struct nlattr *tb[ATTR_ELEMS + 1];

	if (ours(nlh, NFT_MSG_NEWTABLE, tb))
		x->rb.present = true;
	return MNL_CB_OK;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftable_readctx *x = data;
	const struct nlattr *tb[ATTR_ELEMS + 1];

	if (ours(nlh, NFT_MSG_NEWCHAIN, tb))
		x->rb.chains++;
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftable_readctx *x = data;
	const struct nlattr *tb[ATTR_ELEMS + 1];

	if (ours(nlh, NFT_MSG_NEWRULE, tb))
		x->rb.rules++;
	return MNL_CB_OK;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftable_readctx *x = data;
	const struct nlattr *tb[ATTR_ELEMS + 1];

	if (!ours(nlh, NFT_MSG_NEWSET, tb) || tb[ATTR_SET] == NULL)
		return MNL_CB_OK;
	x->rb.sets++;
	for (size_t s = 0; s < NFTABLE_SETS; s++)
		if (strcmp(mnl_attr_get_str(tb[ATTR_SET]), nftable_sets[s].name) == 0)
			x->set_seen[s] = true;
	return MNL_CB_OK;
}

/* An element counts while its timeout runs; the kernel leaves expired ones out of dumps, too. */
static bool elem_live(const struct nlattr *elem)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, elem)
	{
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_EXPIRATION &&
		    mnl_attr_validate(a, MNL_TYPE_U64) >= 0)
			return mnl_attr_get_u64(a) != 0; /* big-endian: zero either way */
	}
	return true;
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftable_readctx *x = data;
	const struct nlattr *tb[ATTR_ELEMS + 1], *elem;

	if (!ours(nlh, NFT_MSG_NEWSETELEM, tb) || tb[ATTR_SET] == NULL || tb[ATTR_ELEMS] == NULL ||
	    strcmp(mnl_attr_get_str(tb[ATTR_SET]), nftable_sets[x->elem_set].name) != 0)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(elem, tb[ATTR_ELEMS])
	{
		if (mnl_attr_get_type(elem) == NFTA_LIST_ELEM &&
		    mnl_attr_validate(elem, MNL_TYPE_NESTED) >= 0 && elem_live(elem))
			x->rb.drill_elems++;
	}
	return MNL_CB_OK;
}

nftable_cb *nftable_read_cb(uint16_t type)
{
	switch (type) {
	case NFT_MSG_GETTABLE:
		return table_cb;
	case NFT_MSG_GETCHAIN:
		return chain_cb;
	case NFT_MSG_GETRULE:
		return rule_cb;
	case NFT_MSG_GETSET:
		return set_cb;
	case NFT_MSG_GETSETELEM:
		return elem_cb;
	default:
		return NULL;
	}
}

/* One attribute number names the table in every dump request below. */
_Static_assert((int)NFTA_CHAIN_TABLE == (int)NFTA_SET_TABLE, "chain table attribute");
_Static_assert((int)NFTA_RULE_TABLE == (int)NFTA_SET_TABLE, "rule table attribute");
_Static_assert((int)NFTA_SET_ELEM_LIST_TABLE == (int)NFTA_SET_TABLE, "element table attribute");

/* Dump one kind of object; all but tables for our table only (a filter the kernel may ignore). */
static int dump(struct nftable *n, uint16_t type, const char *set, struct nftable_readctx *x)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(n->buf, type, NFPROTO_INET, NLM_F_DUMP, n->seq);
	if (type != NFT_MSG_GETTABLE)
		mnl_attr_put_strz(nlh, NFTA_SET_TABLE, NFTABLE_NAME);
	if (set != NULL)
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	return nftable_talk(n, nlh, nftable_read_cb(type), x);
}

static int readback_once(struct nftable *n, struct nftable_readctx *x)
{
	int r = dump(n, NFT_MSG_GETTABLE, NULL, x);

	if (r < 0 || !x->rb.present)
		return r;
	if ((r = dump(n, NFT_MSG_GETCHAIN, NULL, x)) < 0 ||
	    (r = dump(n, NFT_MSG_GETRULE, NULL, x)) < 0 ||
	    (r = dump(n, NFT_MSG_GETSET, NULL, x)) < 0)
		return r;
	for (size_t s = 0; s < NFTABLE_SETS; s++) {
		if (!x->set_seen[s])
			continue;
		x->elem_set = s;
		r = dump(n, NFT_MSG_GETSETELEM, nftable_sets[s].name, x);
		if (r < 0 && r != -ENOENT) /* a set gone since: no elements */
			return r;
	}
	return 0;
}

int nftable_readback(struct nftable *n, struct nftable_readback *ret)
{
	for (int i = 0; i < DUMP_TRIES; i++) {
		struct nftable_readctx x = { .rb = { .present = false } };
		int r = readback_once(n, &x);

		if (r == -EINTR)
			continue;
		if (r == 0)
			*ret = x.rb;
		return r;
	}
	return -EAGAIN;
}
