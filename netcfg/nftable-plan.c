/* nftable-plan.c: the rules and set elements of table inet vigil for a spec, as records both the netlink batch and the nft text are made from; pure. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>

#include "config.h"
#include "nftable-internal.h"
#include "nftable.h"

const struct nftable_chain_desc nftable_chains[CHAIN_COUNT] = {
	[CHAIN_OUTPUT] = { "output", NF_INET_LOCAL_OUT },
	[CHAIN_INPUT] = { "input", NF_INET_LOCAL_IN },
};

/* The set order is the table's order in nft -f text and in the batch. */
const struct nftable_set_desc nftable_sets[NFTABLE_SETS] = {
	{ "pair4", AF_INET, NFTABLE_BLOCK_PAIR },
	{ "pair6", AF_INET6, NFTABLE_BLOCK_PAIR },
	{ "icmp4", AF_INET, NFTABLE_BLOCK_ICMP },
	{ "icmp6", AF_INET6, NFTABLE_BLOCK_ICMP },
};

static const char *const block_names[NFTABLE_BLOCK_COUNT] = {
	[NFTABLE_BLOCK_PAIR] = "pair",
	[NFTABLE_BLOCK_ICMP] = "icmp",
};

const char *nftable_block_name(enum nftable_block b)
{
	return (unsigned)b < NFTABLE_BLOCK_COUNT ? block_names[b] : "unknown";
}

size_t nftable_addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static bool addr_known(const struct config_addr *list, size_t n, const struct config_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].family == a->family &&
		    memcmp(list[i].bytes, a->bytes, nftable_addr_len(a->family)) == 0)
			return true;
	return false;
}

void nftable_spec_from_config(const struct config *c, struct nftable_spec *ret)
{
	const struct config_addr *peer[2] = { config_peer_main(c), config_peer_aux(c) };

	*ret = (struct nftable_spec){ .peer_port = c->peer.port, .qos_mark = c->netcfg.qos_mark };
	for (size_t i = 0; i < 2; i++)
		if (nftable_addr_len(peer[i]->family) != 0 &&
		    !addr_known(ret->peers, ret->n_peers, peer[i]))
			ret->peers[ret->n_peers++] = *peer[i];
	ret->n_fence = c->netcfg.n_fence <= CONFIG_MAX_FENCE ? c->netcfg.n_fence : CONFIG_MAX_FENCE;
	memcpy(ret->fence, c->netcfg.fence, ret->n_fence * sizeof(ret->fence[0]));
}

static bool fence_valid(const struct config_fence *f)
{
	switch (f->kind) {
	case FENCE_TCP:
	case FENCE_UDP:
		return f->port != 0;
	case FENCE_ADDR:
		return nftable_addr_len(f->addr.family) != 0 &&
		    f->prefix <= 8 * nftable_addr_len(f->addr.family);
	}
	return false;
}

int nftable_check_spec(const struct nftable_spec *spec)
{
	if (spec->peer_port == 0 || spec->n_peers > NFTABLE_MAX_PEERS ||
	    spec->n_fence > CONFIG_MAX_FENCE || spec->n_drill > NFTABLE_MAX_DRILL ||
	    spec->qos_mark < -1 || spec->qos_mark > 63)
		return -EINVAL;
	for (size_t i = 0; i < spec->n_peers; i++)
		if (nftable_addr_len(spec->peers[i].family) == 0)
			return -EINVAL;
	for (size_t i = 0; i < spec->n_fence; i++)
		if (!fence_valid(&spec->fence[i]))
			return -EINVAL;
	for (size_t i = 0; i < spec->n_drill; i++)
		if (nftable_addr_len(spec->drill[i].addr.family) == 0 ||
		    (unsigned)spec->drill[i].block >= NFTABLE_BLOCK_COUNT)
			return -EINVAL;
	return 0;
}

static bool elem_same(const struct nftable_drill_elem *a, const struct nftable_drill_elem *b)
{
	return a->block == b->block && a->addr.family == b->addr.family &&
	    memcmp(a->addr.bytes, b->addr.bytes, nftable_addr_len(a->addr.family)) == 0;
}

bool nftable_elem_in_set(const struct nftable_spec *spec, size_t i, size_t s,
    uint64_t *ret_timeout_ms)
{
	const struct nftable_drill_elem *e = &spec->drill[i];
	uint64_t expires_ms = e->expires_ms;

	if (e->block != nftable_sets[s].block || e->addr.family != nftable_sets[s].family)
		return false;
	for (size_t j = 0; j < spec->n_drill; j++) {
		if (j == i || !elem_same(e, &spec->drill[j]))
			continue;
		/* an earlier live duplicate already stands for this address */
		if (j < i && spec->drill[j].expires_ms > spec->now_ms)
			return false;
		if (spec->drill[j].expires_ms > expires_ms)
			expires_ms = spec->drill[j].expires_ms;
	}
	if (e->expires_ms <= spec->now_ms)
		return false;
	*ret_timeout_ms = expires_ms - spec->now_ms;
	return true;
}

/* A rule that matches one address (and prefix) of the given direction. */
static struct nftable_rule rule_addr(const struct config_addr *a, uint8_t prefix,
    enum nftable_match_addr dir)
{
	struct nftable_rule r = { .family = a->family, .addr = dir, .prefix = prefix };
	size_t len = nftable_addr_len(a->family);

	/* host bits off: the kernel compares masked bytes and nft prints the network */
	for (size_t i = 0; i < len; i++) {
		unsigned bits = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;

		r.bytes[i] = a->bytes[i] & (uint8_t)(0xff00u >> bits);
	}
	return r;
}

static struct nftable_rule rule_port(struct nftable_rule r, enum nftable_match_l4 l4,
    enum nftable_match_port dir, uint16_t port, enum nftable_rule_action action)
{
	r.l4 = l4;
	r.port_dir = dir;
	r.port = port;
	r.action = action;
	return r;
}

struct plan {
	struct nftable_rule *rule;
	size_t n;
};

static void plan_add(struct plan *p, struct nftable_rule r)
{
	p->rule[p->n++] = r;
}

/* The far end's port first: destination going out, source coming in. */
static enum nftable_match_port port_first(enum nftable_chain_id c)
{
	return c == CHAIN_OUTPUT ? MATCH_DPORT : MATCH_SPORT;
}

static enum nftable_match_port port_second(enum nftable_chain_id c)
{
	return c == CHAIN_OUTPUT ? MATCH_SPORT : MATCH_DPORT;
}

/* Drill drops: pair traffic both ways, echo requests only going out (SPEC "drill"). */
static void plan_drill(const struct nftable_spec *spec, enum nftable_chain_id c, struct plan *p)
{
	enum nftable_match_addr dir = c == CHAIN_OUTPUT ? MATCH_DADDR : MATCH_SADDR;

	for (size_t s = 0; s < NFTABLE_SETS; s++) {
		struct nftable_rule r = {
			.family = nftable_sets[s].family,
			.addr = dir,
			.set = nftable_sets[s].name,
		};
		uint16_t port = spec->peer_port;

		if (nftable_sets[s].block == NFTABLE_BLOCK_PAIR) {
			plan_add(p, rule_port(r, MATCH_L4_TCP, port_first(c), port, RULE_DROP));
			plan_add(p, rule_port(r, MATCH_L4_TCP, port_second(c), port, RULE_DROP));
		} else if (c == CHAIN_OUTPUT) {
			plan_add(p, rule_port(r, MATCH_L4_ECHO, MATCH_PORT_NONE, 0, RULE_DROP));
		}
	}
}

/* SPEC [netcfg] qos_mark: every pair connection leaving this node, whichever end dialled. */
static void plan_qos(const struct nftable_spec *spec, struct plan *p)
{
	if (spec->qos_mark < 0)
		return;
	for (size_t i = 0; i < spec->n_peers; i++) {
		const struct config_addr *a = &spec->peers[i];
		struct nftable_rule r = rule_addr(a, 8 * nftable_addr_len(a->family), MATCH_DADDR);

		r.dscp = (uint8_t)spec->qos_mark;
		plan_add(p, rule_port(r, MATCH_L4_TCP, MATCH_DPORT, spec->peer_port, RULE_DSCP));
		plan_add(p, rule_port(r, MATCH_L4_TCP, MATCH_SPORT, spec->peer_port, RULE_DSCP));
	}
}

/* A fenced node still talks to its peer (link and pings), or it could never rejoin. */
static void plan_fence_accept(const struct nftable_spec *spec, enum nftable_chain_id c,
    struct plan *p)
{
	enum nftable_match_addr dir = c == CHAIN_OUTPUT ? MATCH_DADDR : MATCH_SADDR;

	for (size_t i = 0; i < spec->n_peers; i++) {
		const struct config_addr *a = &spec->peers[i];
		struct nftable_rule r = rule_addr(a, 8 * nftable_addr_len(a->family), dir);
		uint16_t port = spec->peer_port;

		plan_add(p, rule_port(r, MATCH_L4_TCP, port_first(c), port, RULE_ACCEPT));
		plan_add(p, rule_port(r, MATCH_L4_TCP, port_second(c), port, RULE_ACCEPT));
		plan_add(p, rule_port(r, MATCH_L4_ICMP, MATCH_PORT_NONE, 0, RULE_ACCEPT));
	}
}

/* SPEC [netcfg] fence: the service's replies going out, its requests coming in. */
static void plan_fence_drop(const struct nftable_spec *spec, enum nftable_chain_id c,
    struct plan *p)
{
	enum nftable_match_port port = c == CHAIN_OUTPUT ? MATCH_SPORT : MATCH_DPORT;
	enum nftable_match_addr dir = c == CHAIN_OUTPUT ? MATCH_SADDR : MATCH_DADDR;
	const struct nftable_rule none = { .family = 0 };

	for (size_t i = 0; i < spec->n_fence; i++) {
		const struct config_fence *f = &spec->fence[i];
		enum nftable_match_l4 l4 = f->kind == FENCE_TCP ? MATCH_L4_TCP : MATCH_L4_UDP;
		struct nftable_rule r;

		if (f->kind == FENCE_ADDR) {
			r = rule_addr(&f->addr, f->prefix, dir);
			r.action = RULE_DROP;
		} else {
			r = rule_port(none, l4, port, f->port, RULE_DROP);
		}
		plan_add(p, r);
	}
}

size_t nftable_plan_chain(const struct nftable_spec *spec, enum nftable_chain_id c,
    struct nftable_rule *ret)
{
	struct plan p = { .rule = ret };

	plan_drill(spec, c, &p);
	if (c == CHAIN_OUTPUT)
		plan_qos(spec, &p);
	if (spec->fenced) {
		plan_fence_accept(spec, c, &p);
		plan_fence_drop(spec, c, &p);
	}
	return p.n;
}
