/* nftable-read.c: what the kernel holds of table inet vigil, counted from table, chain, rule, set and element dumps parsed by libnftnl; anything odd in a reply is skipped, never trusted. */
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
#include <linux/netfilter/nfnetlink.h>

#include "nftable-internal.h"
#include "nftable.h"

/* A dump the ruleset changed under (NLM_F_DUMP_INTR) is run again, this many times in all. */
#define DUMP_TRIES 3

struct readctx {
	struct nftable_readback rb;
	bool set_seen[NFTABLE_SETS];
	size_t elem_set; /* the set an element dump is about */
};

static bool msg_is(const struct nlmsghdr *nlh, uint16_t type)
{
	return nlh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | type);
}

static bool ours(const char *table, uint32_t family)
{
	return table != NULL && family == NFPROTO_INET && strcmp(table, NFTABLE_NAME) == 0;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct readctx *x = data;
	struct nftnl_table *t;

	if (!msg_is(nlh, NFT_MSG_NEWTABLE) || (t = nftnl_table_alloc()) == NULL)
		return MNL_CB_OK;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0 && nftnl_table_is_set(t, NFTNL_TABLE_NAME) &&
	    ours(nftnl_table_get_str(t, NFTNL_TABLE_NAME),
	        nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY)))
		x->rb.present = true;
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct readctx *x = data;
	struct nftnl_chain *c;

	if (!msg_is(nlh, NFT_MSG_NEWCHAIN) || (c = nftnl_chain_alloc()) == NULL)
		return MNL_CB_OK;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 && nftnl_chain_is_set(c, NFTNL_CHAIN_TABLE) &&
	    ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
	        nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY)))
		x->rb.chains++;
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct readctx *x = data;
	struct nftnl_rule *r;

	if (!msg_is(nlh, NFT_MSG_NEWRULE) || (r = nftnl_rule_alloc()) == NULL)
		return MNL_CB_OK;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0 && nftnl_rule_is_set(r, NFTNL_RULE_TABLE) &&
	    ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY)))
		x->rb.rules++;
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static void set_note(struct readctx *x, const char *name)
{
	for (size_t s = 0; s < NFTABLE_SETS; s++)
		if (strcmp(name, nftable_sets[s].name) == 0)
			x->set_seen[s] = true;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct readctx *x = data;
	struct nftnl_set *s;

	if (!msg_is(nlh, NFT_MSG_NEWSET) || (s = nftnl_set_alloc()) == NULL)
		return MNL_CB_OK;
	if (nftnl_set_nlmsg_parse(nlh, s) == 0 && nftnl_set_is_set(s, NFTNL_SET_TABLE) &&
	    nftnl_set_is_set(s, NFTNL_SET_NAME) &&
	    ours(nftnl_set_get_str(s, NFTNL_SET_TABLE), nftnl_set_get_u32(s, NFTNL_SET_FAMILY))) {
		x->rb.sets++;
		set_note(x, nftnl_set_get_str(s, NFTNL_SET_NAME));
	}
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* An element counts while its timeout runs; the kernel leaves expired ones out of dumps, too. */
static size_t elems_live(struct nftnl_set *s)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
	struct nftnl_set_elem *e;
	size_t n = 0;

	if (it == NULL)
		return 0;
	for (e = nftnl_set_elems_iter_next(it); e != NULL; e = nftnl_set_elems_iter_next(it))
		if (!nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION) ||
		    nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION) > 0)
			n++;
	nftnl_set_elems_iter_destroy(it);
	return n;
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct readctx *x = data;
	struct nftnl_set *s;

	if (!msg_is(nlh, NFT_MSG_NEWSETELEM) || (s = nftnl_set_alloc()) == NULL)
		return MNL_CB_OK;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) == 0 && nftnl_set_is_set(s, NFTNL_SET_TABLE) &&
	    nftnl_set_is_set(s, NFTNL_SET_NAME) &&
	    ours(nftnl_set_get_str(s, NFTNL_SET_TABLE), nftnl_set_get_u32(s, NFTNL_SET_FAMILY)) &&
	    strcmp(nftnl_set_get_str(s, NFTNL_SET_NAME), nftable_sets[x->elem_set].name) == 0)
		x->rb.drill_elems += elems_live(s);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* One attribute number names the table in every dump request below. */
_Static_assert((int)NFTA_CHAIN_TABLE == (int)NFTA_SET_TABLE, "chain table attribute");
_Static_assert((int)NFTA_RULE_TABLE == (int)NFTA_SET_TABLE, "rule table attribute");
_Static_assert((int)NFTA_SET_ELEM_LIST_TABLE == (int)NFTA_SET_TABLE, "element table attribute");

/* Dump one kind of object; all but tables for our table only (a filter the kernel may ignore). */
static int dump(struct nftable *n, uint16_t type, const char *set, mnl_cb_t cb, struct readctx *x)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(n->buf, type, NFPROTO_INET, NLM_F_DUMP, n->seq);
	if (type != NFT_MSG_GETTABLE)
		mnl_attr_put_strz(nlh, NFTA_SET_TABLE, NFTABLE_NAME);
	if (set != NULL)
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	return nftable_talk(n, nlh, cb, x);
}

static int readback_once(struct nftable *n, struct readctx *x)
{
	int r = dump(n, NFT_MSG_GETTABLE, NULL, table_cb, x);

	if (r < 0 || !x->rb.present)
		return r;
	if ((r = dump(n, NFT_MSG_GETCHAIN, NULL, chain_cb, x)) < 0 ||
	    (r = dump(n, NFT_MSG_GETRULE, NULL, rule_cb, x)) < 0 ||
	    (r = dump(n, NFT_MSG_GETSET, NULL, set_cb, x)) < 0)
		return r;
	for (size_t s = 0; s < NFTABLE_SETS; s++) {
		if (!x->set_seen[s])
			continue;
		x->elem_set = s;
		r = dump(n, NFT_MSG_GETSETELEM, nftable_sets[s].name, elem_cb, x);
		if (r < 0 && r != -ENOENT) /* a set gone since: no elements */
			return r;
	}
	return 0;
}

int nftable_readback(struct nftable *n, struct nftable_readback *ret)
{
	for (int i = 0; i < DUMP_TRIES; i++) {
		struct readctx x = { .rb = { .present = false } };
		int r = readback_once(n, &x);

		if (r == -EINTR)
			continue;
		if (r == 0)
			*ret = x.rb;
		return r;
	}
	return -EAGAIN;
}
