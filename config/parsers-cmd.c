/* parsers-cmd.c: value parsers for module checks (unix:, process:, pidfile:, exec:, tcp:) and hook command lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "config.h"
#include "internal.h"

#define SHOW 60
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

int config_split_args(const char *line, char *buf, size_t buflen, char **ret_argv, size_t max)
{
	char *save = NULL, *tok;
	size_t n = 0;

	if (strlen(line) >= buflen || max == 0)
		return -E2BIG;
	memcpy(buf, line, strlen(line) + 1);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n + 1 >= max)
			return -E2BIG;
		ret_argv[n++] = tok;
	}
	ret_argv[n] = NULL;
	return (int)n;
}

/* An absolute program path and its arguments, as hooks and exec: checks take them (SPEC [hooks]). */
static int command(const char *v, int *ret_argc, char *why)
{
	char buf[CONFIG_CMD_MAX], *argv[CONFIG_MAX_ARGS + 1];
	int n = config_split_args(v, buf, sizeof(buf), argv, CONFIG_MAX_ARGS + 1);

	if (n < 0) {
		config_why(why, "too long (at most %d characters and %d words)", CONFIG_CMD_MAX - 1,
		    CONFIG_MAX_ARGS);
		return -EINVAL;
	}
	if (n == 0 || argv[0][0] != '/') {
		config_why(why,
		    "\"%.*s\" is not an absolute path (a command is /PATH [ARGS], run without a shell)",
		    SHOW, n ? argv[0] : v);
		return -EINVAL;
	}
	*ret_argc = n;
	return 0;
}

int parse_cmd(const struct config_key *k, const char *v, struct config *c, char *why)
{
	struct config_cmd *cmd = config_field(c, k);
	int argc = 0;

	if (*v != '\0' && command(v, &argc, why) < 0)
		return -EINVAL;
	snprintf(cmd->line, sizeof(cmd->line), "%s", v);
	cmd->argc = argc;
	return 0;
}

static int check_path(const char *v, size_t max, char *why)
{
	if (v[0] != '/') {
		config_why(why, "\"%.*s\" is not an absolute path", SHOW, v);
		return -EINVAL;
	}
	if (strlen(v) > max) {
		config_why(why, "path too long (at most %zu characters)", max);
		return -EINVAL;
	}
	return 0;
}

static int check_process(const char *v, char *why)
{
	if (*v == '\0' || strpbrk(v, "/ \t")) {
		config_why(why, "\"%.*s\" is not a process name (no '/' or blanks)", SHOW, v);
		return -EINVAL;
	}
	return 0;
}

static int tcp_port(const char *s, uint16_t *ret, char *why)
{
	int64_t v;

	if (value_int(s, &v) < 0 || v < 1 || v > 65535) {
		config_why(why, "\"%.*s\" is not a port (1 to 65535)", SHOW, s);
		return -EINVAL;
	}
	*ret = (uint16_t)v;
	return 0;
}

/* HOST:PORT with a literal address; IPv6 as [ADDR]:PORT. */
static int check_tcp(const char *v, struct config_check *ret, char *why)
{
	bool v6 = v[0] == '[';
	const char *end = v6 ? strchr(v, ']') : strrchr(v, ':');
	char host[CONFIG_ADDR_TEXT];
	size_t n = end ? (size_t)(end - v) - v6 : 0;

	if (!end || (v6 && end[1] != ':') || n == 0 || n >= sizeof(host)) {
		config_why(why, "\"%.*s\" is not HOST:PORT (IPv6 as [ADDR]:PORT)", SHOW, v);
		return -EINVAL;
	}
	memcpy(host, v + v6, n);
	host[n] = '\0';
	if (value_addr(host, &ret->tcp_addr) < 0 || (ret->tcp_addr.family == AF_INET6) != v6) {
		config_why(why, "\"%s\" is not an %s address (literals only, IPv6 as [ADDR]:PORT)",
		    host, v6 ? "IPv6" : "IPv4");
		return -EINVAL;
	}
	return tcp_port(end + 1 + v6, &ret->tcp_port, why);
}

static int check_arg(struct config_check *ck, const char *arg, char *why)
{
	int argc;

	switch (ck->kind) {
	case CHECK_UNIX:
		return check_path(arg, SUN_PATH_MAX, why);
	case CHECK_PIDFILE:
		return check_path(arg, CONFIG_PATH_MAX - 1, why);
	case CHECK_PROCESS:
		return check_process(arg, why);
	case CHECK_EXEC:
		return command(arg, &argc, why);
	case CHECK_TCP:
		return check_tcp(arg, ck, why);
	default:
		return -EINVAL;
	}
}

static enum config_check_kind check_kind(const char *v, size_t n)
{
	for (int i = CHECK_NONE + 1; i < CHECK_COUNT; i++) {
		const char *name = config_check_kind_name(i);

		if (strlen(name) == n && strncmp(v, name, n) == 0)
			return i;
	}
	return CHECK_NONE;
}

/* A check (SPEC [module]); an empty value is allowed where min is 0 (local_check). */
int parse_check(const struct config_key *k, const char *v, struct config *c, char *why)
{
	struct config_check ck = { .kind = CHECK_NONE };
	const char *colon = strchr(v, ':');

	if (*v == '\0' && k->min > 0) {
		config_why(why, "empty value");
		return -EINVAL;
	}
	if (*v != '\0') {
		ck.kind = colon ? check_kind(v, (size_t)(colon - v)) : CHECK_NONE;
		if (ck.kind == CHECK_NONE) {
			config_why(why,
			    "\"%.*s\" is not a check (unix:PATH, process:NAME, pidfile:PATH, "
			    "exec:PATH [ARGS] or tcp:HOST:PORT)",
			    SHOW, v);
			return -EINVAL;
		}
		if (check_arg(&ck, colon + 1, why) < 0)
			return -EINVAL;
		snprintf(ck.target, sizeof(ck.target), "%s", colon + 1);
	}
	*(struct config_check *)config_field(c, k) = ck;
	return 0;
}
