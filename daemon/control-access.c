/* control-access.c: who is calling on the control socket, and what they may do (SPEC "Robustness and security"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control-internal.h"
#include "control.h"

#define GROUPS_FIRST 64 /* SO_PEERGROUPS buffer tried first, in gids */
/* /proc/PID/status is read up to this; a longer Groups line fails closed. */
#define PROC_STATUS_MAX (64 * 1024)

static bool in_group(gid_t want, gid_t gid, const gid_t *groups, size_t n_groups)
{
	if (want == CONTROL_NO_GROUP)
		return false;
	if (gid == want)
		return true;
	for (size_t i = 0; i < n_groups; i++) {
		if (groups[i] == want)
			return true;
	}
	return false;
}

/* Root may do anything; admin_group may act and read; control_group may read. */
int control_check_access(const struct control_policy *p, uid_t uid, gid_t gid, const gid_t *groups,
    size_t n_groups, bool act)
{
	if (uid == 0)
		return 0;
	if (in_group(p->admin_gid, gid, groups, n_groups))
		return 0;
	if (!act && in_group(p->read_gid, gid, groups, n_groups))
		return 0;
	return -EACCES;
}

/* The peer's supplementary groups as the kernel saw them at connect (Linux >= 4.13): no race
 * with the process exiting or changing its groups later. */
static int groups_sockopt(int fd, gid_t **ret, size_t *ret_n)
{
	socklen_t len = GROUPS_FIRST * sizeof(gid_t);

	for (int tries = 0; tries < 2; tries++) {
		socklen_t got = len;
		gid_t *g = malloc(len > 0 ? len : sizeof(gid_t));
		int e;

		if (g == NULL)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &got) == 0) {
			*ret = g;
			*ret_n = got / sizeof(gid_t);
			return 0;
		}
		e = errno;
		free(g);
		if (e != ERANGE)
			return -e;
		len = got; /* the kernel says how much it needs */
	}
	return -ERANGE;
}

static int read_file(const char *path, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf + len, size - 1 - len);
		if (n > 0)
			len += (size_t)n;
	} while ((n > 0 && len < size - 1) || (n < 0 && errno == EINTR));
	if (close(fd) < 0 || n < 0)
		return -EIO;
	buf[len] = '\0';
	*ret_len = len;
	return len < size - 1 ? 0 : -EFBIG;
}

/* "Groups:\t1 2 3\n" into a fresh array. */
static int groups_parse(const char *text, gid_t **ret, size_t *ret_n)
{
	const char *p = strstr(text, "\nGroups:");
	size_t n = 0, cap = 16;
	gid_t *g;

	if (p == NULL)
		return -EPROTO;
	g = malloc(cap * sizeof(*g));
	for (p += strlen("\nGroups:"); g != NULL && *p != '\n' && *p != '\0';) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p) {
			p++; /* blanks */
			continue;
		}
		if (n == cap) {
			gid_t *bigger = realloc(g, 2 * cap * sizeof(*g));

			if (bigger == NULL)
				break;
			g = bigger;
			cap *= 2;
		}
		g[n++] = (gid_t)v;
		p = end;
	}
	if (g == NULL || (*p != '\n' && *p != '\0')) {
		free(g);
		return -ENOMEM;
	}
	*ret = g;
	*ret_n = n;
	return 0;
}

/* Kernels without SO_PEERGROUPS: the process's status file. A PID that exited and was reused in
 * between could lend its groups; the window is the accept itself, and only such old kernels. */
static int groups_proc(pid_t pid, gid_t **ret, size_t *ret_n)
{
	char path[64];
	char *buf = malloc(PROC_STATUS_MAX);
	size_t len;
	int r;

	if (buf == NULL)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	r = read_file(path, buf, PROC_STATUS_MAX, &len);
	if (r == 0)
		r = groups_parse(buf, ret, ret_n);
	free(buf);
	return r;
}

int control_caller_identify(const struct control_policy *p, int fd, struct control_caller *ret)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t *groups = NULL;
	size_t n = 0;
	int r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	if (len != sizeof(cred))
		return -EPROTO;
	r = groups_sockopt(fd, &groups, &n);
	if (r == -ENOPROTOOPT)
		r = groups_proc(cred.pid, &groups, &n);
	if (r < 0)
		n = 0; /* fail closed: only the uid and the primary group count */
	*ret = (struct control_caller){ .pid = cred.pid,
		.uid = cred.uid,
		.gid = cred.gid,
		.may_read = control_check_access(p, cred.uid, cred.gid, groups, n, false) == 0,
		.may_act = control_check_access(p, cred.uid, cred.gid, groups, n, true) == 0 };
	free(groups);
	return 0;
}
