/* notify.c: systemd's service notifications spoken directly, one datagram each to $NOTIFY_SOCKET (sd_notify(3)). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "loop.h"

/*
 * Why not libsystemd: OpenWrt targets have none (STYLE "Library facts"), and the protocol
 * is one datagram of "KEY=value" lines to an AF_UNIX socket whose address systemd passes
 * in NOTIFY_SOCKET: a path, or '@' for the abstract namespace. systemd reads the sender's
 * PID from the kernel's credentials, which NotifyAccess=main checks.
 */

struct notify {
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
	struct loop *loop;
	struct loop_timer *watchdog; /* WATCHDOG=1 every watchdog_ms, from the loop itself */
	uint64_t watchdog_ms;
	struct loop_timer *poll; /* STATUS= follows status_fn, polled */
	notify_status_fn *status_fn;
	void *status_arg;
	char status[NOTIFY_STATUS_MAX]; /* the last STATUS= sent */
	bool failing;                   /* the last send failed: logged once per run of failures */
};

/* NOTIFY_SOCKET: an absolute path, or '@' and an abstract name. systemd 254's "vsock:"
 * form is for a virtual machine's own manager, never for a service: refused. */
static int parse_address(const char *s, struct sockaddr_un *ret, socklen_t *ret_len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t len = strlen(s);

	if ((s[0] != '/' && s[0] != '@') || len < 2 || len >= sizeof(a.sun_path))
		return -EINVAL;
	memcpy(a.sun_path, s, len);
	if (s[0] == '@')
		a.sun_path[0] = '\0'; /* abstract: the length counts the name, no NUL */
	*ret = a;
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (s[0] == '/'));
	return 0;
}

/* A decimal number, whole: 0 and *ret set, or -EINVAL. */
static int parse_u64(const char *s, unsigned long long *ret)
{
	unsigned long long u;
	char *end;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	u = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*ret = u;
	return 0;
}

/* sd_watchdog_enabled(3): WATCHDOG_USEC is ours unless WATCHDOG_PID names another process;
 * ping every half of it, as systemd advises. 0: no watchdog. */
static uint64_t watchdog_interval_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long u, p;

	if (usec == NULL)
		return 0;
	if (parse_u64(usec, &u) < 0 || u == 0) {
		log_warnx("WATCHDOG_USEC=%s: not a positive number; no watchdog pings", usec);
		return 0;
	}
	if (pid != NULL && (parse_u64(pid, &p) < 0 || p != (unsigned long long)getpid()))
		return 0; /* meant for another process (a parent that kept the variables) */
	return u / 2000 > 0 ? u / 2000 : 1;
}

int notify_send(struct notify *n, const char *msg)
{
	int r;

	if (n == NULL)
		return 0;
	if (sendto(n->fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
	        (const struct sockaddr *)&n->addr, n->addr_len) >= 0) {
		n->failing = false;
		return 0;
	}
	r = -errno;
	/* Never block the loop on systemd: a full queue drops this one, the next ping follows. */
	if (!n->failing)
		log_warn("NOTIFY_SOCKET: cannot send %.*s", (int)strcspn(msg, "\n"), msg);
	n->failing = true;
	return r;
}

int notify_status(struct notify *n, const char *status)
{
	char msg[sizeof("STATUS=") + NOTIFY_STATUS_MAX];
	int r;

	if (n == NULL || strcmp(n->status, status) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "STATUS=%s", status);
	if ((r = notify_send(n, msg)) == 0)
		snprintf(n->status, sizeof(n->status), "%s", status);
	return r;
}

/* READY=1 with the status of the moment, so `systemctl status` shows it from the start. */
int notify_ready(struct notify *n)
{
	char status[NOTIFY_STATUS_MAX] = "";
	char msg[sizeof("READY=1\nSTATUS=") + NOTIFY_STATUS_MAX];
	int r;

	if (n == NULL)
		return 0;
	if (n->status_fn == NULL)
		return notify_send(n, "READY=1");
	n->status_fn(n->status_arg, status, sizeof(status));
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	if ((r = notify_send(n, msg)) == 0)
		snprintf(n->status, sizeof(n->status), "%s", status);
	return r;
}

int notify_stopping(struct notify *n)
{
	return notify_send(n, "STOPPING=1\nSTATUS=stopping");
}

uint64_t notify_watchdog_ms(const struct notify *n)
{
	return n != NULL ? n->watchdog_ms : 0;
}

/* A loop timer, so a stalled loop stops the pings and systemd restarts vigild (WatchdogSec=). */
static void on_watchdog(void *arg)
{
	struct notify *n = arg;

	notify_send(n, "WATCHDOG=1");
	loop_timer_at(n->watchdog, loop_now_ms(n->loop) + n->watchdog_ms);
}

static void on_poll(void *arg)
{
	struct notify *n = arg;
	char status[NOTIFY_STATUS_MAX] = "";

	n->status_fn(n->status_arg, status, sizeof(status));
	notify_status(n, status);
	loop_timer_at(n->poll, loop_now_ms(n->loop) + NOTIFY_STATUS_POLL_MS);
}

static int start_timers(struct notify *n)
{
	uint64_t now = loop_now_ms(n->loop);

	if (n->watchdog_ms > 0) {
		n->watchdog = loop_timer_new(n->loop, on_watchdog, n);
		if (n->watchdog == NULL || loop_timer_at(n->watchdog, now + n->watchdog_ms) < 0)
			return -ENOMEM;
	}
	if (n->status_fn != NULL) {
		n->poll = loop_timer_new(n->loop, on_poll, n);
		if (n->poll == NULL || loop_timer_at(n->poll, now + NOTIFY_STATUS_POLL_MS) < 0)
			return -ENOMEM;
	}
	return 0;
}

int notify_open(struct loop *l, notify_status_fn *status_fn, void *arg, struct notify **ret)
{
	const char *addr = getenv("NOTIFY_SOCKET");
	struct notify *n;
	int r;

	*ret = NULL;
	if (addr == NULL || addr[0] == '\0')
		return 0; /* not started by systemd (or by one that wants no notifications) */
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return -ENOMEM;
	*n = (struct notify){ .fd = -1, .loop = l, .status_fn = status_fn, .status_arg = arg };
	if ((r = parse_address(addr, &n->addr, &n->addr_len)) < 0) {
		log_warnx("NOTIFY_SOCKET=%s: neither a path nor an abstract socket name", addr);
		free(n);
		return r;
	}
	if ((n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		r = -errno;
	n->watchdog_ms = watchdog_interval_ms();
	if (n->fd < 0 || (r = start_timers(n)) < 0) {
		log_warnx("NOTIFY_SOCKET: cannot set up (%s)", strerror(-r));
		notify_free(n);
		return r;
	}
	*ret = n;
	return 0;
}

void notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	loop_timer_free(n->watchdog);
	loop_timer_free(n->poll);
	if (n->fd >= 0)
		close(n->fd);
	free(n);
}
