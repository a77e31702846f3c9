/* nftable.c: the NETLINK_NETFILTER socket of table inet vigil: one batch per apply or remove, sent whole, every message's ACK read back and the first error named. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "nftable-internal.h"
#include "nftable.h"

/* The kernel answers a batch inside sendmsg(); a reply this late is not coming. */
#define REPLY_TIMEOUT_MS 2000
/* Room for every ACK of the largest batch, each queued as its own skb. */
#define RCVBUF_BYTES (1 << 20)

/* The ACK bookkeeping of one batch. */
struct acks {
	const struct nftable_batch *b;
	uint32_t want; /* ACKs still missing */
	bool seen[NFTABLE_MAX_MSGS];
	int err;        /* the first error, or 0 */
	uint32_t err_k; /* the message it is about */
};

static void socket_tune(struct nftable *n)
{
	int fd = mnl_socket_get_fd(n->nl), one = 1, size = RCVBUF_BYTES;

	/* best effort: failures leave the defaults, which hold smaller batches */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* errors need not echo the whole request back */
	(void)mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
}

/* Ask for the ruleset generation: the cheapest request that needs CAP_NET_ADMIN. */
static int socket_probe(struct nftable *n)
{
	struct nlmsghdr *nlh =
	    nftnl_nlmsg_build_hdr(n->buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, n->seq);

	return nftable_talk(n, nlh, NULL, NULL);
}

int nftable_open(struct nftable **ret)
{
	struct nftable *n = calloc(1, sizeof(*n));
	int r;

	if (n == NULL)
		return -ENOMEM;
	n->seq = 1;
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (n->nl == NULL) {
		r = -errno;
		free(n);
		return r;
	}
	if (mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		nftable_close(n);
		return r;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	socket_tune(n);
	if ((r = socket_probe(n)) < 0) {
		nftable_close(n);
		return r;
	}
	*ret = n;
	return 0;
}

void nftable_close(struct nftable *n)
{
	if (n == NULL)
		return;
	if (n->nl != NULL)
		mnl_socket_close(n->nl);
	free(n);
}

/* Replies of an earlier exchange that gave up early must not be taken for this one's. */
static void socket_drain(struct nftable *n)
{
	int fd = mnl_socket_get_fd(n->nl);

	while (recv(fd, n->rbuf, sizeof(n->rbuf), MSG_DONTWAIT) > 0)
		continue;
}

static int socket_recv(struct nftable *n, size_t *ret_len)
{
	struct pollfd p = { .fd = mnl_socket_get_fd(n->nl), .events = POLLIN };
	ssize_t len;
	int r;

	while ((r = poll(&p, 1, REPLY_TIMEOUT_MS)) < 0 && errno == EINTR)
		continue;
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	len = mnl_socket_recvfrom(n->nl, n->rbuf, sizeof(n->rbuf));
	if (len < 0)
		return -errno;
	*ret_len = (size_t)len;
	return 0;
}

/*
 * libmnl 1.0.4's mnl_nlmsg_ok compares nlmsg_len as an int: a length of 2 GiB or more passes,
 * and its walk jumps out of the buffer (found by fuzzing: tests/fuzz/corpus/nftable_read/
 * crash-length-past-2g). Only a process with CAP_NET_ADMIN can send us such a datagram; it is
 * refused before libmnl walks it. Elsewhere the check is libmnl's own: where it stops, so do we.
 */
static bool lengths_sane(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len >= sizeof(struct nlmsghdr)) {
		uint32_t n = ((const struct nlmsghdr *)p)->nlmsg_len;

		if (n > INT32_MAX)
			return false;
		if (n < sizeof(struct nlmsghdr) || n > len || MNL_ALIGN(n) >= len)
			return true;
		p += MNL_ALIGN(n);
		len -= MNL_ALIGN(n);
	}
	return true;
}

int nftable_cb_run(const void *buf, size_t len, uint32_t seq, uint32_t portid, nftable_cb *cb,
    void *data)
{
	if (!lengths_sane(buf, len)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	return mnl_cb_run(buf, len, seq, portid, cb, data);
}

int nftable_talk(struct nftable *n, struct nlmsghdr *nlh,
    int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	size_t len;
	int r;

	n->seq++;
	socket_drain(n);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		if ((r = socket_recv(n, &len)) < 0)
			return r;
		errno = 0;
		r = nftable_cb_run(n->rbuf, len, seq, n->portid, cb, data);
		if (r < 0)
			return errno > 0 ? -errno : -EPROTO;
	} while (r != MNL_CB_STOP);
	return 0;
}

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	struct acks *a = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	uint32_t k = nlh->nlmsg_seq - a->b->seq0;
	int err;

	/* short, not ours (an earlier batch) or said twice: not an answer */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e) || k >= a->b->n || a->seen[k])
		return MNL_CB_OK;
	a->seen[k] = true;
	err = e->error <= 0 && e->error > -4096 ? e->error : -EPROTO;
	if (err < 0 && a->err == 0) {
		a->err = err;
		a->err_k = k;
	}
	/* an error about the batch header: the kernel refused the batch, nothing else comes */
	if (k == 0 && err < 0)
		a->want = 0;
	else if (k > 0 && a->want > 0)
		a->want--;
	return MNL_CB_OK;
}

static int acks_read(struct nftable *n, struct acks *a)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = ack_cb };
	size_t len;
	int r;

	while (a->want > 0) {
		if ((r = socket_recv(n, &len)) < 0)
			return r;
		/* -1 here is a message not for this socket or cut short: skipped, like data */
		if (lengths_sane(n->rbuf, len))
			(void)mnl_cb_run2(n->rbuf, len, 0, n->portid, NULL, a, ctl, NLMSG_MIN_TYPE);
	}
	return 0;
}

static void err_line(char *ret_err, size_t errlen, const char *op, const char *what, int err)
{
	if (ret_err == NULL || errlen == 0)
		return;
	snprintf(ret_err, errlen, "nftables: %s%s%s: %s", op, what != NULL ? " " : "",
	    what != NULL ? what : "", strerror(-err));
}

static int batch_open(struct nftable *n)
{
	struct nftable_batch *b = &n->batch;

	b->b = mnl_nlmsg_batch_start(n->buf, NFTABLE_BATCH_LIMIT);
	if (b->b == NULL)
		return -ENOMEM;
	b->seq0 = n->seq;
	b->n = 1;
	b->op[0] = "batch";
	b->what[0] = NULL;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b->b), b->seq0);
	mnl_nlmsg_batch_next(b->b);
	return 0;
}

/* End, send and wait for the batch: 0 or the first error, named in ret_err. */
static int batch_commit(struct nftable *n, char *ret_err, size_t errlen)
{
	struct nftable_batch *b = &n->batch;
	struct acks a = { .b = b, .want = b->n - 1 };
	int r;

	nftnl_batch_end(mnl_nlmsg_batch_current(b->b), b->seq0 + b->n);
	if (!mnl_nlmsg_batch_next(b->b)) {
		err_line(ret_err, errlen, "build batch", NULL, -ENOBUFS);
		return -ENOBUFS;
	}
	n->seq = b->seq0 + b->n + 1;
	socket_drain(n);
	if (mnl_socket_sendto(n->nl, mnl_nlmsg_batch_head(b->b), mnl_nlmsg_batch_size(b->b)) < 0) {
		r = -errno;
		err_line(ret_err, errlen, "send batch", NULL, r);
		return r;
	}
	if ((r = acks_read(n, &a)) < 0) {
		err_line(ret_err, errlen, "read acks", NULL, r);
		return r;
	}
	if (a.err < 0)
		err_line(ret_err, errlen, b->op[a.err_k], b->what[a.err_k], a.err);
	return a.err;
}

/* Build the batch (spec NULL: the deletion) and commit it; one batch at a time per socket. */
static int batch_run(struct nftable *n, const struct nftable_spec *spec, char *ret_err,
    size_t errlen)
{
	int r = batch_open(n);

	if (r == 0 && spec != NULL)
		r = nftable_batch_replace(&n->batch, spec);
	else if (r == 0)
		r = nftable_batch_delete(&n->batch);
	if (r < 0)
		err_line(ret_err, errlen, "build batch", NULL, r);
	else
		r = batch_commit(n, ret_err, errlen);
	if (n->batch.b != NULL)
		mnl_nlmsg_batch_stop(n->batch.b);
	n->batch.b = NULL;
	return r;
}

int nftable_apply(struct nftable *n, const struct nftable_spec *spec, char *ret_err, size_t errlen)
{
	int r = nftable_check_spec(spec);

	if (r < 0) {
		err_line(ret_err, errlen, "check table", NULL, r);
		return r;
	}
	return batch_run(n, spec, ret_err, errlen);
}

int nftable_remove(struct nftable *n)
{
	int r = batch_run(n, NULL, NULL, 0);

	return r == -ENOENT ? 0 : r;
}
