/* finish.c: after the last line: required keys, derived defaults and the cross-key rules of SPEC [node] and [peer]. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "internal.h"

#define KEY_HEX 64

/* The line a key was set on, 0 if not set; name is always one of the table's. */
static int line_of(const struct config_parse *p, enum config_section sec, const char *name)
{
	return p->key_line[config_key_find(sec, name)];
}

static int required(struct config_parse *p)
{
	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];

		if ((k->flags & KEY_REQUIRED) && !p->key_line[i])
			return parse_fail(p, p->sec_line[k->sec], k->name,
			    "missing ([%s] needs %s)", config_section_names[k->sec], k->hint);
	}
	return 0;
}

static int host_name(struct config_parse *p)
{
	char buf[CONFIG_NAME_MAX + 1] = { 0 };

	if (line_of(p, SEC_NODE, "name"))
		return 0;
	if (gethostname(buf, sizeof(buf) - 1) < 0 && errno != ENAMETOOLONG)
		buf[0] = '\0';
	buf[CONFIG_NAME_MAX - 1] = '\0'; /* a longer host name is cut to fit */
	if (buf[0] == '\0')
		return parse_fail(p, p->sec_line[SEC_NODE], "name",
		    "not set and the host name is unknown");
	memcpy(p->c->node.name, buf, sizeof(p->c->node.name));
	return 0;
}

/* x and y of one connection: different addresses of one family; the message names a key that was set. */
static int pair(struct config_parse *p, const struct config_addr *x, const struct config_addr *y,
    const char *xn, const char *yn)
{
	bool y_set = line_of(p, SEC_PEER, yn) != 0;
	int line = line_of(p, SEC_PEER, y_set ? yn : xn);
	const char *key = y_set ? yn : xn, *other = y_set ? xn : yn;

	if (value_addr_equal(x, y))
		return parse_fail(p, line, key, "same address as %s (%s)", other, x->text);
	if (x->family != y->family)
		return parse_fail(p, line, key,
		    "%s and %s must both be IPv4 or both IPv6 (one connection joins them)", xn, yn);
	return 0;
}

static int peers(struct config_parse *p)
{
	struct config *c = p->c;

	if (!line_of(p, SEC_PEER, "aux_a"))
		c->peer.aux_a = c->peer.a;
	if (!line_of(p, SEC_PEER, "aux_b"))
		c->peer.aux_b = c->peer.b;
	if (pair(p, &c->peer.a, &c->peer.b, "a", "b") < 0)
		return -EINVAL;
	return pair(p, &c->peer.aux_a, &c->peer.aux_b, "aux_a", "aux_b");
}

/* A relative key_file is taken from the configuration file's folder (TEAM-NOTES, examples). */
static int key_path(struct config_parse *p, int line, char *ret, size_t size)
{
	char name[CONFIG_PATH_MAX], real[PATH_MAX], *dir;
	const char *kf = p->c->peer.key_file;
	int n;

	if (kf[0] == '/') {
		snprintf(ret, size, "%s", kf);
		return 0;
	}
	snprintf(name, sizeof(name), "%s", p->name);
	dir = dirname(name);
	n = snprintf(ret, size, "%s/%s", realpath(dir, real) ? real : dir, kf);
	if (n < 0 || (size_t)n >= size)
		return parse_fail(p, line, "key_file", "path too long once resolved against %s",
		    dir);
	return 0;
}

static int key_content(struct config_parse *p, int line, const char *path, int fd)
{
	char buf[KEY_HEX + 2];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return parse_fail(p, line, "key_file", "%s: cannot read: %s", path,
		    strerror(errno));
	if (n == KEY_HEX + 1 && buf[KEY_HEX] == '\n')
		n--;
	if (n != KEY_HEX)
		return parse_fail(p, line, "key_file",
		    "%s must hold exactly %d hex characters (a trailing newline "
		    "allowed); make a new key with vigilctl keygen FILE",
		    path, KEY_HEX);
	for (int i = 0; i < KEY_HEX; i++) {
		if (!strchr("0123456789abcdefABCDEF", buf[i]) || buf[i] == '\0')
			return parse_fail(p, line, "key_file",
			    "%s holds a character that is not hex (0-9, a-f)", path);
	}
	return 0;
}

/* SPEC [peer]: key_file exists, holds 64 hex characters and is not group- or other-accessible. */
static int key_check(struct config_parse *p, int line, const char *path)
{
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return parse_fail(p, line, "key_file",
		    "%s does not exist; make one with vigilctl keygen %s", path, path);
	if (fd < 0)
		return parse_fail(p, line, "key_file", "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		r = parse_fail(p, line, "key_file", "%s is not a regular file", path);
	else if (st.st_mode & 077)
		r = parse_fail(p, line, "key_file",
		    "%s is group- or other-accessible (mode %04o); run chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
	else
		r = key_content(p, line, path, fd);
	close(fd);
	return r;
}

static int key_file(struct config_parse *p)
{
	struct config *c = p->c;
	int line = line_of(p, SEC_PEER, "key_file");
	char path[CONFIG_PATH_MAX] = ""; /* all zero: configurations compare equal byte for byte */

	if (c->peer.auth_none)
		return 0; /* a key_file left in place is not used and not checked */
	if (c->peer.key_file[0] == '\0')
		return parse_fail(p, p->sec_line[SEC_PEER], "key_file",
		    "missing (auth = hmac needs a pair key: make "
		    "one with vigilctl keygen FILE, or set auth = none)");
	if (key_path(p, line, path, sizeof(path)) < 0)
		return -EINVAL;
	/* Reload after the privilege drop: the key is held and [peer] cannot change (config.h). */
	if (!(p->flags & CONFIG_LOAD_KEY_HELD) && key_check(p, line, path) < 0)
		return -EINVAL;
	memcpy(c->peer.key_file, path, sizeof(path));
	return 0;
}

/* SPEC [netcfg] fence: a stale node must still reach its peer to learn it can rejoin, so the
 * fence may not name the peer port (pair traffic and ICMP to the peer are let through anyway). */
static int fence(struct config_parse *p)
{
	const struct config *c = p->c;

	for (size_t i = 0; i < c->netcfg.n_fence; i++) {
		const struct config_fence *f = &c->netcfg.fence[i];

		if (f->kind == FENCE_TCP && f->port == c->peer.port)
			return parse_fail(p, line_of(p, SEC_NETCFG, "fence"), "fence",
			    "tcp:%u is the peer port: a fenced node must still reach its peer",
			    (unsigned)f->port);
	}
	return 0;
}

int config_finish(struct config_parse *p)
{
	struct config *c = p->c;

	if (required(p) < 0 || host_name(p) < 0 || peers(p) < 0 || key_file(p) < 0 || fence(p) < 0)
		return -EINVAL;
	c->user_line = line_of(p, SEC_NODE, "user");
	c->monitor.timeout_set = line_of(p, SEC_MONITOR, "timeout") != 0;
	if (!c->monitor.timeout_set)
		c->monitor.timeout_ms = c->module.timeout_ms / 2; /* SPEC [monitor] timeout */
	return 0;
}
