/* fuzz_nftable_read.c: libFuzzer target for the nftables readback: one datagram of dump replies through libmnl and the readers of netcfg/nftable-read.c, as nftable_readback meets them (STYLE 32). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>

#include "../../netcfg/nftable-internal.h"

/*
 * Input: one datagram, read as the reply to each dump nftable_readback asks for (tables,
 * chains, rules, sets, and the elements of each of the four drill sets), through
 * nftable_cb_run as nftable_talk runs it (sequence and port not checked here, so that every
 * message is read).
 * The buffer holds the input, 4-byte aligned, and up to 3 bytes more to the next multiple of 4,
 * as nftable's receive buffer always does: libmnl walks attributes up to a message's aligned end
 * (mnl_nlmsg_get_payload_tail), which in a datagram cut short lies past the datagram. ASan sees
 * any read beyond that.
 * Invariants (a violation aborts): a reader never stops the dump (it skips what it does not
 * take); whatever it counts needs a message of the datagram each (an element, a byte).
 */

static const uint16_t dumps[] = { NFT_MSG_GETTABLE, NFT_MSG_GETCHAIN, NFT_MSG_GETRULE,
	NFT_MSG_GETSET };

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_nftable_read: invariant broken: %s\n", what);
		abort();
	}
}

static void run(const void *buf, size_t len, uint16_t type, struct nftable_readctx *x)
{
	nftable_cb *cb = nftable_read_cb(type);
	int r;

	must(cb != NULL, "a reader for each dump");
	r = nftable_cb_run(buf, len, 0, 0, cb, x);
	/* -1 only for what is refused before a reader: a length, a message cut short, an error */
	must(r == MNL_CB_OK || r == MNL_CB_STOP || r == MNL_CB_ERROR, "nftable_cb_run");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nftable_readctx x = { .rb = { .present = false } };
	size_t msgs = size / sizeof(struct nlmsghdr);
	size_t room = (size + 3) & ~(size_t)3;
	uint32_t *buf = malloc(room ? room : 4);

	if (buf == NULL)
		return 0;
	memset((uint8_t *)buf + size, 0xff, room - size);
	memcpy(buf, data, size);
	must(nftable_read_cb(NFT_MSG_NEWTABLE) == NULL, "no reader for what is not a dump");
	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++)
		run(buf, size, dumps[i], &x);
	for (size_t s = 0; s < NFTABLE_SETS; s++) {
		x.elem_set = s; /* the readback dumps only sets it saw; the reader takes any */
		run(buf, size, NFT_MSG_GETSETELEM, &x);
	}
	must(x.rb.chains <= msgs && x.rb.rules <= msgs && x.rb.sets <= msgs, "counted twice");
	must(x.rb.drill_elems <= NFTABLE_SETS * size, "elements out of thin air");
	free(buf);
	return 0;
}

#define FUZZ_NAME "fuzz_nftable_read"
#include "replay.h"
