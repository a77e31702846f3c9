/* vip-addr.c: a VIP added to and removed from its device through libnl-route, idempotently (present on add and absent on remove are not errors). */
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>

#include <linux/if_addr.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>

#include "vip-internal.h"

static int nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	default:
		return -EIO;
	}
}

int vip_addr_open(struct nl_sock **ret)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (sk == NULL)
		return -ENOMEM;
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(sk);
		return nl_errno(r);
	}
	*ret = sk;
	return 0;
}

void vip_addr_close(struct nl_sock *sk)
{
	nl_socket_free(sk); /* NULL-safe, closes the socket */
}

/* The request object: local address with its prefix on ifindex. */
static int addr_build(int ifindex, const struct config_vip *v, struct rtnl_addr **ret)
{
	int family = v->addr.family;
	struct nl_addr *local = nl_addr_build(family, v->addr.bytes, family == AF_INET ? 4 : 16);
	struct rtnl_addr *a = rtnl_addr_alloc();
	int r = local == NULL || a == NULL ? -NLE_NOMEM : 0;

	if (r == 0) {
		nl_addr_set_prefixlen(local, v->prefix);
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_family(a, family);
		r = rtnl_addr_set_local(a, local);
	}
	nl_addr_put(local); /* the object holds its own reference */
	if (r < 0) {
		rtnl_addr_put(a);
		return nl_errno(r);
	}
	*ret = a;
	return 0;
}

int vip_addr_add(struct nl_sock *sk, int ifindex, const struct config_vip *v, bool *ret_added)
{
	struct rtnl_addr *a;
	int r;

	if (v->addr.family != AF_INET && v->addr.family != AF_INET6)
		return -EAFNOSUPPORT;
	r = addr_build(ifindex, v, &a);
	if (r < 0)
		return r;
	/* A primary serves the address at once: no tentative period in which it is unusable. */
	if (v->addr.family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	/* No NLM_F_REPLACE: the kernel then says EEXIST, which tells "already there" apart. */
	r = rtnl_addr_add(sk, a, 0);
	rtnl_addr_put(a);
	if (r < 0 && r != -NLE_EXIST)
		return nl_errno(r);
	*ret_added = r == 0;
	return 0;
}

int vip_addr_del(struct nl_sock *sk, int ifindex, const struct config_vip *v, bool *ret_removed)
{
	struct rtnl_addr *a;
	int r;

	if (v->addr.family != AF_INET && v->addr.family != AF_INET6)
		return -EAFNOSUPPORT;
	r = addr_build(ifindex, v, &a);
	if (r < 0)
		return r;
	r = rtnl_addr_delete(sk, a, 0);
	rtnl_addr_put(a);
	/* EADDRNOTAVAIL from the kernel: the address is not on the device. */
	if (r < 0 && r != -NLE_NOADDR && r != -NLE_OBJ_NOTFOUND)
		return nl_errno(r);
	*ret_removed = r == 0;
	return 0;
}
