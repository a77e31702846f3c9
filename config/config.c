/* config.c: what the rest of vigil asks of a loaded configuration: decision parameters, peer addresses, keygen. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "decide.h"

#define KEY_BYTES 32

static const char *const check_kind_names[CHECK_COUNT] = {
	[CHECK_NONE] = "none",
	[CHECK_UNIX] = "unix",
	[CHECK_PROCESS] = "process",
	[CHECK_PIDFILE] = "pidfile",
	[CHECK_EXEC] = "exec",
	[CHECK_TCP] = "tcp",
};

const char *config_check_kind_name(enum config_check_kind k)
{
	return k < CHECK_COUNT ? check_kind_names[k] : "?";
}

/* SPEC "Exit watch": the check gives a PID the primary can watch. */
bool config_check_has_exit_watch(const struct config_check *k)
{
	return k->kind == CHECK_PROCESS || k->kind == CHECK_PIDFILE || k->kind == CHECK_UNIX;
}

/* SPEC [network]: A uses nettest_a while A is the backup, B uses nettest_b. */
const struct config_addr *config_nettest(const struct config *c, size_t *ret_n)
{
	*ret_n = c->node.role_a ? c->network.n_nettest_a : c->network.n_nettest_b;
	return c->node.role_a ? c->network.nettest_a : c->network.nettest_b;
}

const struct config_addr *config_peer_main(const struct config *c)
{
	return c->node.role_a ? &c->peer.b : &c->peer.a;
}

const struct config_addr *config_peer_aux(const struct config *c)
{
	return c->node.role_a ? &c->peer.aux_b : &c->peer.aux_a;
}

static void params_timers(const struct config *c, struct decide_params *p)
{
	p->module_timeout_ms = c->module.timeout_ms;
	p->module_retry_delay_ms = c->module.retry_delay_ms;
	p->max_failures = c->module.max_failures;
	p->max_restarts = c->module.max_restarts;
	p->max_restarts_period_ms = c->module.max_restarts_period_ms;
	p->max_sequential_restarts = c->module.max_sequential_restarts;
	p->ping_delay_ms = c->monitor.ping_delay_ms;
	p->monitor_timeout_ms = c->monitor.timeout_ms;
	p->retry_count = c->monitor.retry_count;
	p->retry_ping_delay_ms = c->monitor.retry_ping_delay_ms;
	p->nettest_timeout_ms = c->network.nettest_timeout_ms;
	p->unreachable_ping_count = c->network.unreachable_primary_ping_count;
	p->unreachable_ping_delay_ms = c->network.unreachable_primary_ping_delay_ms;
	p->reconnect_timeout_ms = c->network.reconnect_timeout_ms;
}

void config_decide_params(const struct config *c, struct decide_params *ret)
{
	struct decide_params p;
	size_t n;

	decide_params_default(&p);
	p.role_a = c->node.role_a;
	p.manual = c->node.manual;
	p.force_backup = c->node.force_backup;
	p.wait_peer = c->node.wait_peer;
	p.start_timeout_ms = c->node.start_timeout_ms;
	p.reconnect_delay_ms = c->peer.notifier_reconnect_delay_ms;
	p.ping_on_aux = c->module.ping_on_aux;
	p.has_local_check = c->module.local_check.kind != CHECK_NONE;
	params_timers(c, &p);
	p.gateway_ping = c->network.gateway_ping;
	p.has_nettest = config_nettest(c, &n) && n > 0;
	p.carrier_watch = c->network.carrier_watch;
	p.has_sync_check = c->hooks.sync_check.line[0] != '\0';
	p.sync_check_interval_ms = p.has_sync_check ? c->hooks.sync_check_interval_ms : 0;
	*ret = p;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int random_hex(char *hex)
{
	unsigned char key[KEY_BYTES];
	size_t got = 0;

	while (got < sizeof(key)) {
		ssize_t n = getrandom(key + got, sizeof(key) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(key); i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[2 * KEY_BYTES] = '\n';
	explicit_bzero(key, sizeof(key));
	return 0;
}

/* SPEC [peer] key_file: 32 random bytes as 64 hex characters, mode 0600, never over an existing file. */
int config_keygen(const char *path)
{
	char hex[2 * KEY_BYTES + 2];
	int fd, r;

	r = random_hex(hex);
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	r = fchmod(fd, 0600) < 0 ? -errno : 0; /* whatever the umask */
	if (r == 0)
		r = write_all(fd, hex, 2 * KEY_BYTES + 1);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlink(path);
	explicit_bzero(hex, sizeof(hex));
	return r;
}
