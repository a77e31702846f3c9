/* peer-sock.c: the peer link's sockets: addresses, the listening socket, the non-blocking dial, socket options. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer-internal.h"
#include "peer.h"

#define LISTEN_BACKLOG 16

int peer_sock_addr(const struct peer_addr *a, struct sockaddr_storage *ret, socklen_t *ret_len)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	if (a->addr.family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->addr.bytes, sizeof(sin->sin_addr));
		*ret_len = sizeof(*sin);
	} else if (a->addr.family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->addr.bytes, sizeof(sin6->sin6_addr));
		*ret_len = sizeof(*sin6);
	} else {
		return -EAFNOSUPPORT;
	}
	*ret = ss;
	return 0;
}

bool peer_sock_addr_equal(const struct peer_addr *x, const struct peer_addr *y)
{
	size_t n = x->addr.family == AF_INET ? 4 : 16;

	return x->addr.family == y->addr.family && x->port == y->port &&
	    memcmp(x->addr.bytes, y->addr.bytes, n) == 0;
}

/* accept()'s address as a config_addr (text included); -EAFNOSUPPORT for another family. */
int peer_sock_from(const struct sockaddr_storage *ss, socklen_t len, struct config_addr *ret)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	struct config_addr a = { .family = ss->ss_family };

	if (a.family == AF_INET && len >= (socklen_t)sizeof(*sin))
		memcpy(a.bytes, &sin->sin_addr, sizeof(sin->sin_addr));
	else if (a.family == AF_INET6 && len >= (socklen_t)sizeof(*sin6))
		memcpy(a.bytes, &sin6->sin6_addr, sizeof(sin6->sin6_addr));
	else
		return -EAFNOSUPPORT;
	if (inet_ntop(a.family, a.bytes, a.text, sizeof(a.text)) == NULL)
		return -errno;
	*ret = a;
	return 0;
}

bool peer_sock_same_host(const struct config_addr *x, const struct config_addr *y)
{
	size_t n = x->family == AF_INET ? 4 : 16;

	return x->family != 0 && x->family == y->family && memcmp(x->bytes, y->bytes, n) == 0;
}

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

/* Options of a listener: restart over TIME_WAIT; bind an address not up yet (IP_FREEBIND, which
 * Linux honours at SOL_IP for IPv6 sockets too); IPv6 only, so ::/:: and 0.0.0.0 never collide. */
static int listen_options(int fd, int family)
{
	int r = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);

	if (r == 0)
		r = set_int(fd, SOL_IP, IP_FREEBIND, 1);
	if (r == 0 && family == AF_INET6)
		r = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	return r;
}

int peer_sock_listen(const struct peer_addr *a, int *ret_fd)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, r;

	r = peer_sock_addr(a, &ss, &len);
	if (r < 0)
		return r;
	fd = socket(a->addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = listen_options(fd, a->addr.family);
	if (r == 0 && bind(fd, (struct sockaddr *)&ss, len) < 0)
		r = -errno;
	if (r == 0 && listen(fd, LISTEN_BACKLOG) < 0)
		r = -errno;
	if (r < 0) {
		(void)close(fd); /* nothing to retry: the descriptor is gone either way */
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int peer_sock_nodelay(int fd)
{
	/* Frames are small and each is wanted at once (pings measure the path). */
	return set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
}

/* Bind the channel's local address (SPEC "Peer link": each connection may use its own), port
 * chosen at connect time (IP_BIND_ADDRESS_NO_PORT) so re-dials do not pin ephemeral ports. */
static int dial_bind(int fd, const struct peer_addr *local)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int r;

	if (local->addr.family == 0)
		return 0;
	r = peer_sock_addr(local, &ss, &len);
	if (r == 0 && local->port == 0)
		r = set_int(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1);
	if (r == 0 && bind(fd, (struct sockaddr *)&ss, len) < 0)
		r = -errno;
	return r;
}

/* socket, bind, connect; never waits: the outcome is read (SO_ERROR) once the socket is writable. */
int peer_sock_dial(const struct peer_addr *local, const struct peer_addr *remote, int *ret_fd)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, r;

	r = peer_sock_addr(remote, &ss, &len);
	if (r < 0)
		return r;
	fd = socket(remote->addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = peer_sock_nodelay(fd);
	if (r == 0)
		r = dial_bind(fd, local);
	/* EINTR: the connect goes on in the background, as with EINPROGRESS (connect(2)). */
	if (r == 0 && connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS &&
	    errno != EINTR)
		r = -errno;
	if (r < 0) {
		(void)close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* The outcome of a non-blocking connect: 0 or a negative errno. */
int peer_sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

int peer_sock_set_dscp(int fd, int family, int dscp)
{
	if (family == AF_INET6)
		return set_int(fd, IPPROTO_IPV6, IPV6_TCLASS, dscp << 2);
	return set_int(fd, IPPROTO_IP, IP_TOS, dscp << 2);
}

int peer_sock_get_dscp(int fd, int family, int *ret_dscp)
{
	int v = 0;
	socklen_t len = sizeof(v);
	int r;

	if (family == AF_INET6)
		r = getsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &v, &len);
	else
		r = getsockopt(fd, IPPROTO_IP, IP_TOS, &v, &len);
	if (r < 0)
		return -errno;
	*ret_dscp = (v & 0xff) >> 2;
	return 0;
}
