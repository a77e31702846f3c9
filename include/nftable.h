/* nftable.h: the one nftables table vigild owns (inet vigil): pair-traffic DSCP marking, fencing of a stale node and failure-drill blocks, built with libnftnl and sent through libmnl in one batch (SPEC [netcfg], "Command line": drill; issue 6). */
#ifndef VIGIL_NFTABLE_H
#define VIGIL_NFTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * Contract:
 * - vigild owns table `inet vigil` and nothing else: every apply replaces it whole in one
 *   netlink batch (add table, delete table, add table and everything in it), so the kernel has
 *   either the old table or the new one, never a mix, and a table left by a crashed vigild is
 *   rebuilt, not duplicated. Rules of other tables are never read or touched.
 * - The table always holds its four drill sets (pair4, pair6, icmp4, icmp6: flags timeout) and
 *   two base chains, `output` (hook output, priority filter) and `input` (hook input, priority
 *   filter), so a drill only adds set elements; elements carry a kernel timeout, so a drill
 *   ends by itself even if vigild dies mid-drill.
 * - Rule order in each chain: drill drops; in `output` then the DSCP marking of pair traffic
 *   (it has no verdict, so a fenced node marks too); then (when fenced) accept pair traffic and
 *   ICMP to/from the peer, then the fence drops.
 * - nftable_render prints the same table in `nft -f` syntax (dump, tests, dry runs); it is
 *   pure. Nothing here logs (STYLE 22); functions return 0 or a negative errno.
 */

#define NFTABLE_FAMILY "inet"
#define NFTABLE_NAME "vigil"
/* The peer's addresses: main and aux, each one address. */
#define NFTABLE_MAX_PEERS 4
/* Drill elements: peers, NetTest and gateways. */
#define NFTABLE_MAX_DRILL (2 * (CONFIG_MAX_ADDRS + 16))
/* nftable_render with every limit reached (about 8.7 kB), with room to spare. */
#define NFTABLE_TEXT_MAX 12288

/* What a drill element blocks (SPEC "Command line": drill). */
enum nftable_block {
	NFTABLE_BLOCK_PAIR, /* TCP to/from the peer port of this address, both directions */
	NFTABLE_BLOCK_ICMP, /* ICMP/ICMPv6 echo requests to this address */
	NFTABLE_BLOCK_COUNT,
};

struct nftable_drill_elem {
	struct config_addr addr;
	enum nftable_block block;
	uint64_t expires_ms; /* CLOCK_MONOTONIC ms; the kernel timeout is expires_ms - now_ms */
};

/* Everything the table holds; an apply makes the kernel's table exactly this. */
struct nftable_spec {
	uint16_t peer_port;
	struct config_addr peers[NFTABLE_MAX_PEERS]; /* the peer's addresses (main, aux) */
	size_t n_peers;
	int qos_mark; /* DSCP 0-63 set on all pair traffic leaving this node; -1 = none */
	bool fenced;  /* stale: drop the fence list */
	struct config_fence fence[CONFIG_MAX_FENCE];
	size_t n_fence;
	struct nftable_drill_elem drill[NFTABLE_MAX_DRILL];
	size_t n_drill;
	uint64_t now_ms; /* for the elements' remaining timeouts; expired elements are left out */
};

/* Fill spec's peer, QoS and fence parts from a configuration (fenced false, no drill). */
void nftable_spec_from_config(const struct config *c, struct nftable_spec *ret);

struct nftable; /* opaque: one netlink socket (NETLINK_NETFILTER) */

/* Open the netlink socket in the caller's network namespace. -EPERM without CAP_NET_ADMIN. */
int nftable_open(struct nftable **ret);
void nftable_close(struct nftable *n);

/* Replace the table with spec in one batch. On a kernel error the old table stays; on any
 * error ret_err (may be NULL) says what, in one line ("nftables: add rule to output: ..."). */
int nftable_apply(struct nftable *n, const struct nftable_spec *spec, char *ret_err, size_t errlen);
/* Delete the table; a missing table is not an error. */
int nftable_remove(struct nftable *n);

/* What the kernel holds now, read back through libnftnl (dump, tests). */
struct nftable_readback {
	bool present;
	size_t chains;
	size_t rules;
	size_t sets;
	size_t drill_elems; /* elements in the four drill sets, not yet expired */
};
int nftable_readback(struct nftable *n, struct nftable_readback *ret);

/* The table of spec in `nft -f` syntax (timeouts as the remaining ms): 0, or -ENOBUFS. */
int nftable_render(const struct nftable_spec *spec, char *buf, size_t len);

const char *nftable_block_name(enum nftable_block b);

#endif /* VIGIL_NFTABLE_H */
