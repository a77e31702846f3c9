/* check-sock.c: the unix: and tcp: module checks: non-blocking connect, and for unix: one PING and one bounded reply line. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check-internal.h"
#include "check.h"
#include "loop.h"

static const char ping[] = "PING\n";

void check_sock_release(struct check_run *r)
{
	loop_io_del(r->io);
	r->io = NULL;
	/* close() errors leave nothing to retry on Linux: the descriptor is gone either way. */
	if (r->fd >= 0)
		(void)close(r->fd);
	r->fd = -1;
}

/* The outcome of a non-blocking connect, once the socket is writable: 0 or a negative errno. */
static int sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

/* socket + connect; the outcome is read when the socket turns writable (an immediate success too). */
static int sock_open(struct check_run *r, int family, const void *sa, socklen_t salen,
    loop_io_cb *cb)
{
	r->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return -errno;
	/* EINTR: the connect goes on in the background, as with EINPROGRESS (connect(2)). */
	if (connect(r->fd, sa, salen) < 0 && errno != EINPROGRESS && errno != EINTR)
		return -errno;
	r->phase = SOCK_CONNECTING;
	r->io = loop_io_add(r->c->l, r->fd, LOOP_WRITE, cb, r);
	return r->io != NULL ? 0 : -ENOMEM;
}

/* ---- unix: ---- */

static void unix_send(struct check_run *r)
{
	ssize_t n;

	do
		n = send(r->fd, ping + r->sent, sizeof(ping) - 1 - r->sent, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return; /* still writable-watched */
	if (n < 0) {
		check_run_fail(r, CHECK_REASON_IO, -errno);
		return;
	}
	r->sent += (size_t)n;
	if (r->sent < sizeof(ping) - 1)
		return;
	r->phase = SOCK_READING;
	if (loop_io_set(r->io, LOOP_READ) < 0)
		check_run_fail(r, CHECK_REASON_IO, -ENOMEM);
}

/* Read into the bounded buffer until one line is there; bytes after it are never looked at. */
static void unix_recv(struct check_run *r)
{
	ssize_t n;
	const char *nl;
	int32_t pid = 0;

	do
		n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) { /* closed before a whole line, or reset */
		check_run_fail(r, n == 0 ? CHECK_REASON_REPLY : CHECK_REASON_IO,
		    n == 0 ? -EPROTO : -errno);
		return;
	}
	r->len += (size_t)n;
	nl = memchr(r->buf, '\n', r->len);
	if (nl == NULL && r->len < sizeof(r->buf))
		return;
	if (nl != NULL && check_parse_unix_reply(r->buf, (size_t)(nl - r->buf) + 1, &pid) == 0)
		check_run_done(r, CHECK_STATUS_UP, CHECK_REASON_OK, 0, pid);
	else
		check_run_done(r, CHECK_STATUS_DOWN, CHECK_REASON_REPLY, -EPROTO, 0);
}

static void unix_on_io(int fd, unsigned events, void *arg)
{
	struct check_run *r = arg;
	int e;

	(void)events;
	if (r->phase == SOCK_CONNECTING) {
		e = sock_error(fd);
		if (e < 0) {
			check_run_fail(r, CHECK_REASON_CONNECT, e);
			return;
		}
		r->phase = SOCK_SENDING;
	}
	if (r->phase == SOCK_SENDING)
		unix_send(r);
	else
		unix_recv(r);
}

void check_unix_start(struct check_run *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(r->c->ck.target);
	int e;

	if (n >= sizeof(sun.sun_path)) { /* config refuses it; a caller-made check may not */
		check_run_fail(r, CHECK_REASON_CONNECT, -ENAMETOOLONG);
		return;
	}
	memcpy(sun.sun_path, r->c->ck.target, n + 1);
	e = sock_open(r, AF_UNIX, &sun, (socklen_t)sizeof(sun), unix_on_io);
	/* socket() out of descriptors: rejected; connect: ENOENT, ECONNREFUSED, EAGAIN (backlog full): down. */
	if (e < 0)
		check_run_fail(r, CHECK_REASON_CONNECT, e);
}

/* ---- tcp: ---- */

static void tcp_on_io(int fd, unsigned events, void *arg)
{
	struct check_run *r = arg;
	int e = sock_error(fd);

	(void)events;
	/* Up: pid 0 asks for the remembered id, the time of the first connect (SPEC [module]). */
	if (e == 0)
		check_run_done(r, CHECK_STATUS_UP, CHECK_REASON_OK, 0, 0);
	else
		check_run_fail(r, CHECK_REASON_CONNECT, e);
}

static socklen_t tcp_addr(const struct config_check *ck, struct sockaddr_storage *ret)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ret;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret;

	*ret = (struct sockaddr_storage){ .ss_family = (sa_family_t)ck->tcp_addr.family };
	if (ck->tcp_addr.family == AF_INET) {
		in->sin_port = htons(ck->tcp_port);
		memcpy(&in->sin_addr, ck->tcp_addr.bytes, 4);
		return sizeof(*in);
	}
	in6->sin6_port = htons(ck->tcp_port);
	memcpy(&in6->sin6_addr, ck->tcp_addr.bytes, 16);
	return sizeof(*in6);
}

void check_tcp_start(struct check_run *r)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_addr(&r->c->ck, &ss);
	int e;

	if (r->c->ck.tcp_addr.family != AF_INET && r->c->ck.tcp_addr.family != AF_INET6) {
		check_run_fail(r, CHECK_REASON_CONNECT, -EAFNOSUPPORT);
		return;
	}
	e = sock_open(r, r->c->ck.tcp_addr.family, &ss, len, tcp_on_io);
	/* No ephemeral port left is vigild's trouble, not the module's. */
	if (e == -EADDRNOTAVAIL || e == -EAGAIN)
		check_run_done(r, CHECK_STATUS_REJECTED, CHECK_REASON_RESOURCES, e, 0);
	else if (e < 0)
		check_run_fail(r, CHECK_REASON_CONNECT, e);
}
