/* test_config.c: vigil.conf parsing, validation, printing and key generation (config/ through include/config.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "decide.h"

#define N_SEC 8
#define TEXT_MAX 8192

static const char *const sections[N_SEC] = { "node", "peer", "module", "monitor", "network",
	"hooks", "netcfg", "export" };

/* The smallest valid file, per section; a test replaces, adds ("key = v") or removes ("-key") one line. */
static const char *const base[N_SEC][4] = {
	{ "role = A", NULL },
	{ "a = 192.0.2.10", "b = 198.51.100.10", "key_file = pair.key", NULL },
	{ "check = process:sipd", NULL },
};

static char dir[64];
static char conf[128];

static const char good_key[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";

/* ---- files ---- */

static void write_file(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void path_in(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static int group_setup(void **state)
{
	char key[128];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-config-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path_in(conf, sizeof(conf), "vigil.conf");
	path_in(key, sizeof(key), "pair.key");
	write_file(key, good_key, strlen(good_key), 0600);
	return 0;
}

static int group_teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	(void)state;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	}
	if (d)
		closedir(d);
	return rmdir(dir);
}

/* ---- building files ---- */

static size_t key_len(const char *line)
{
	size_t n = strcspn(line, "=");

	while (n > 0 && line[n - 1] == ' ')
		n--;
	return n;
}

static bool same_key(const char *a, const char *b)
{
	if (*b == '-')
		b++;
	return key_len(a) == key_len(b) && strncmp(a, b, key_len(a)) == 0;
}

struct builder {
	char text[TEXT_MAX];
	size_t len;
	int lineno;
};

static int add(struct builder *b, const char *line)
{
	b->len += (size_t)snprintf(b->text + b->len, sizeof(b->text) - b->len, "%s\n", line);
	assert_true(b->len < sizeof(b->text));
	return ++b->lineno;
}

/* The base file with line put into section sec; returns the line number of line (0 if removed). */
static int build(struct builder *b, const char *sec, const char *line)
{
	int at = 0;

	memset(b, 0, sizeof(*b));
	for (int s = 0; s < N_SEC; s++) {
		bool here = sec && strcmp(sec, sections[s]) == 0, done = false;
		char hdr[32];

		snprintf(hdr, sizeof(hdr), "[%s]", sections[s]);
		add(b, hdr);
		for (int i = 0; base[s][i]; i++) {
			if (here && same_key(base[s][i], line)) {
				done = true;
				if (*line != '-')
					at = add(b, line);
			} else {
				add(b, base[s][i]);
			}
		}
		if (here && !done)
			at = add(b, line);
	}
	return at;
}

static int load_text(const char *text, struct config *c, char *err)
{
	write_file(conf, text, strlen(text), 0644);
	return config_load(conf, c, err, CONFIG_ERR_MAX);
}

static int load_with(const char *sec, const char *line, struct config *c, char *err, int *ret_at)
{
	struct builder b;
	int at = build(&b, sec, line);

	if (ret_at)
		*ret_at = at;
	return load_text(b.text, c, err);
}

static void load_ok(const char *sec, const char *line, struct config *c)
{
	char err[CONFIG_ERR_MAX] = "";

	if (load_with(sec, line, c, err, NULL) != 0)
		fail_msg("[%s] %s: unexpected error: %s", sec, line, err);
}

/* err must be "<conf>:<line>: <key>: ..." and contain why. */
static void assert_error(const char *err, int line, const char *key, const char *why)
{
	char want[512];

	snprintf(want, sizeof(want), "%s:%d: %s: ", conf, line, key);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, want);
	if (!strstr(err, why))
		fail_msg("error '%s' does not say '%s'", err, why);
	assert_null(strchr(err, '\n'));
}

static void expect_error_at(const char *sec, const char *line, int at, const char *key,
    const char *why)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";
	int got_at;

	if (load_with(sec, line, &c, err, &got_at) != -EINVAL)
		fail_msg("[%s] %s: accepted", sec, line);
	assert_error(err, at < 0 ? got_at : at, key, why);
}

/* A bad value: the error names the line and key of the line itself. */
static void expect_error(const char *sec, const char *line, const char *why)
{
	char key[64];

	snprintf(key, sizeof(key), "%.*s", (int)key_len(line), line);
	expect_error_at(sec, line, -1, key, why);
}

/* ---- reading values back through config_print ---- */

static char *print_to_string(const struct config *c)
{
	FILE *f = tmpfile();
	char *buf = calloc(1, TEXT_MAX);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	config_print(c, f);
	rewind(f);
	n = fread(buf, 1, TEXT_MAX - 1, f);
	assert_true(n < TEXT_MAX - 1);
	fclose(f);
	return buf;
}

/* The value printed for sec.key, into out. */
static void printed_value(const struct config *c, const char *sec, const char *key, char *out,
    size_t size)
{
	char *text = print_to_string(c), hdr[32], *s, *end, want[64];

	snprintf(hdr, sizeof(hdr), "\n[%s]\n", sec);
	s = strstr(text, hdr);
	assert_non_null(s);
	end = strstr(s + 1, "\n[");
	snprintf(want, sizeof(want), "\n%s =", key);
	s = strstr(s, want);
	if (!s || (end && s > end))
		fail_msg("%s.%s not printed", sec, key);
	s += strlen(want);
	s += *s == ' ';
	snprintf(out, size, "%.*s", (int)strcspn(s, "\n"), s);
	free(text);
}

/* ---- every key: a good value read back ---- */

struct good {
	const char *sec;
	const char *line;
	const char *printed;
};

static const struct good goods[] = {
	{ "node", "name = box-1", "box-1" },
	{ "node", "role = B", "B" },
	{ "node", "mode = manual", "manual" },
	{ "node", "force_backup = yes", "yes" },
	{ "node", "start = wait-peer", "wait-peer" },
	{ "node", "start_timeout = 1s", "1s" },
	{ "node", "start_timeout = 10 m", "10m" },
	{ "node", "state_dir = /srv/vigil", "/srv/vigil" },
	{ "node", "control_socket = /run/vigil2/vigild.sock", "/run/vigil2/vigild.sock" },
	{ "node", "control_group = operators", "operators" },
	{ "node", "admin_group = wheel", "wheel" },
	{ "node", "user = root", "root" },
	{ "peer", "a = 203.0.113.5", "203.0.113.5" },
	{ "peer", "b = 192.0.2.99", "192.0.2.99" },
	{ "peer", "aux_a = 192.0.2.11", "192.0.2.11" },
	{ "peer", "aux_b = 198.51.100.11", "198.51.100.11" },
	{ "peer", "port = 1", "1" },
	{ "peer", "port = 65535", "65535" },
	{ "peer", "auth = none", "none" },
	{ "peer", "notifier_reconnect_delay = 60s", "1m" },
	{ "module", "check = unix:/run/sipd.sock", "unix:/run/sipd.sock" },
	{ "module", "check = pidfile:/run/sipd.pid", "pidfile:/run/sipd.pid" },
	{ "module", "check = exec:/usr/lib/sipd/alive --quick",
	    "exec:/usr/lib/sipd/alive --quick" },
	{ "module", "check = tcp:127.0.0.1:5060", "tcp:127.0.0.1:5060" },
	{ "module", "check = tcp:[::1]:5060", "tcp:[::1]:5060" },
	{ "module", "local_check = process:replicator", "process:replicator" },
	{ "module", "timeout = 100ms", "100ms" },
	{ "module", "timeout = 60s", "1m" },
	{ "module", "retry_delay = 10ms", "10ms" },
	{ "module", "max_failures = 10", "10" },
	{ "module", "max_restarts = 100", "100" },
	{ "module", "max_restarts_period = 60m", "60m" },
	{ "module", "max_sequential_restarts = 1", "1" },
	{ "module", "ping_on_aux = true", "yes" },
	{ "module", "qos = 1", "yes" },
	{ "module", "dscp = ef", "ef" },
	{ "module", "dscp = 7", "7" },
	{ "module", "dscp = CS6", "cs6" },
	{ "monitor", "ping_delay = 300 s", "5m" },
	{ "monitor", "timeout = 10ms", "10ms" },
	{ "monitor", "retry_count = 50", "50" },
	{ "monitor", "retry_ping_delay = 0", "0" },
	{ "monitor", "retry_ping_delay = 1.5s", "1500ms" },
	{ "network", "gateway_ping = yes", "yes" },
	{ "network", "nettest_a = 198.51.100.1,2001:DB8:B::1", "198.51.100.1, 2001:db8:b::1" },
	{ "network", "nettest_b = 192.0.2.1", "192.0.2.1" },
	{ "network", "nettest_a =", "" },
	{ "network", "nettest_timeout = 60s", "1m" },
	{ "network", "icmp_dscp = af21", "af21" },
	{ "network", "icmp_dscp = none", "none" },
	{ "network", "carrier_watch = false", "no" },
	{ "network", "unreachable_primary_ping_count = -1", "-1" },
	{ "network", "unreachable_primary_ping_count = 1000", "1000" },
	{ "network", "unreachable_primary_ping_delay = 100ms", "100ms" },
	{ "network", "reconnect_timeout = 0", "0" },
	{ "network", "reconnect_timeout = 60m", "60m" },
	{ "hooks", "commence = /usr/local/sbin/up --vip  eth0", "/usr/local/sbin/up --vip  eth0" },
	{ "hooks", "discontinue = /usr/local/sbin/down", "/usr/local/sbin/down" },
	{ "hooks", "drain = /usr/local/sbin/drain", "/usr/local/sbin/drain" },
	{ "hooks", "sync_check = /usr/local/sbin/insync", "/usr/local/sbin/insync" },
	{ "hooks", "timeout = 2m", "2m" },
	{ "hooks", "drain_timeout = 90s", "90s" },
	{ "hooks", "sync_check_interval = 0", "0" },
	{ "hooks", "sync_check_interval = 5s", "5s" },
	{ "netcfg", "vip = 192.0.2.100/24 dev eth0, 2001:db8::100/64 dev eth1",
	    "192.0.2.100/24 dev eth0, 2001:db8::100/64 dev eth1" },
	{ "netcfg", "garp_count = 0", "0" },
	{ "netcfg", "qos_mark = 46", "ef" },
	{ "netcfg", "fence = tcp:5060, udp:5060, 10.0.0.0/8, 2001:db8::1",
	    "tcp:5060, udp:5060, 10.0.0.0/8, 2001:db8::1" },
	{ "export", "snmp = no", "no" },
};

static void test_every_key_good(void **state)
{
	struct config c;
	char got[512], key[64];

	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		load_ok(goods[i].sec, goods[i].line, &c);
		snprintf(key, sizeof(key), "%.*s", (int)key_len(goods[i].line), goods[i].line);
		printed_value(&c, goods[i].sec, key, got, sizeof(got));
		if (strcmp(got, goods[i].printed) != 0)
			fail_msg("[%s] %s: printed '%s', want '%s'", goods[i].sec, goods[i].line,
			    got, goods[i].printed);
	}
}

/* ---- every bad value class ---- */

struct bad {
	const char *sec;
	const char *line;
	const char *why;
};

static const struct bad bads[] = {
	/* durations: unit, syntax, whole ms, range low and high */
	{ "module", "timeout = 5h", "is not a duration" },
	{ "module", "timeout = 5 sec", "is not a duration" },
	{ "module", "timeout = 1.5ms", "is not a duration" },
	{ "module", "timeout = -1s", "is not a duration" },
	{ "module", "timeout = .5s", "is not a duration" },
	{ "module", "timeout =", "empty value" },
	{ "module", "timeout = 99ms", "out of range (100ms to 1m)" },
	{ "module", "timeout = 61s", "out of range (100ms to 1m)" },
	{ "module", "retry_delay = 9ms", "out of range" },
	{ "node", "start_timeout = 999ms", "out of range (1s to 10m)" },
	{ "node", "start_timeout = 11m", "out of range" },
	{ "peer", "notifier_reconnect_delay = 0.5s", "out of range (1s to 1m)" },
	{ "monitor", "retry_ping_delay = 301s", "out of range (0 to 5m)" },
	{ "monitor", "timeout = 9ms", "out of range (10ms to 5m)" },
	{ "monitor", "ping_delay = 5m1s", "is not a duration" },
	{ "network", "unreachable_primary_ping_delay = 99ms", "out of range" },
	{ "network", "reconnect_timeout = 61m", "out of range" },
	{ "module", "max_restarts_period = 0", "out of range" },
	{ "hooks", "sync_check_interval = 500ms", "0 = off, or 1s to" },
	/* integers */
	{ "network", "unreachable_primary_ping_count = -2", "out of range (-1 to 1000)" },
	{ "network", "unreachable_primary_ping_count = 1001", "out of range (-1 to 1000)" },
	{ "network", "unreachable_primary_ping_count = 3x", "is not a whole number" },
	{ "module", "max_failures = 0", "out of range (1 to 10)" },
	{ "module", "max_failures = 11", "out of range (1 to 10)" },
	{ "monitor", "retry_count = 51", "out of range" },
	{ "peer", "port = 0", "out of range (1 to 65535)" },
	{ "peer", "port = 65536", "out of range" },
	{ "peer", "port = +80", "is not a whole number" },
	{ "netcfg", "garp_count = 101", "out of range" },
	/* enums and booleans */
	{ "node", "role = C", "is not A or B" },
	{ "node", "mode = automatic", "is not auto or manual" },
	{ "node", "start = later", "is not failsafe-active or wait-peer" },
	{ "peer", "auth = md5", "is not hmac or none" },
	{ "node", "force_backup = maybe", "is not a boolean" },
	{ "export", "snmp = on", "is not a boolean" },
	/* DSCP */
	{ "module", "dscp = 64", "is not a DSCP value" },
	{ "module", "dscp = af44", "is not a DSCP value" },
	{ "network", "icmp_dscp = cs8", "is not a DSCP value" },
	{ "netcfg", "qos_mark = -1", "is not a DSCP value" },
	/* strings and paths */
	{ "node", "state_dir = var/lib/vigil", "is not an absolute path" },
	{ "node",
	    "control_socket = /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock",
	    "too long (at most 107 characters)" },
	{ "node", "user = ", "empty value" },
	{ "node", "user = the admin", "blank" },
	{ "node", "name = -x", "must not start with '-'" },
	{ "node", "control_group = a b", "blank" },
	{ "node", "admin_group = -wheel", "must not start with '-'" },
	{ "module", "ping_on_aux = 2", "is not a boolean" },
	{ "module", "qos = y", "is not a boolean" },
	{ "network", "gateway_ping = nope", "is not a boolean" },
	{ "network", "carrier_watch = off", "is not a boolean" },
	{ "hooks", "discontinue = bin/down", "is not an absolute path" },
	/* addresses and lists */
	{ "peer", "a = host.example", "is not an IPv4 or IPv6 address" },
	{ "peer", "b = 192.0.2.256", "is not an IPv4 or IPv6 address" },
	{ "peer", "aux_a = [2001:db8::1]", "is not an IPv4 or IPv6 address" },
	{ "peer", "aux_b = fe80::1%eth0", "is not an IPv4 or IPv6 address" },
	{ "network", "nettest_a = 192.0.2.1,,192.0.2.2", "empty element" },
	{ "network", "nettest_a = 192.0.2.1, ", "empty element" },
	{ "network", "nettest_b = , 192.0.2.1", "empty element" },
	{ "network", "nettest_b = 192.0.2.1 192.0.2.2", "is not an IPv4 or IPv6 address" },
	{ "network",
	    "nettest_a = 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,10.0.0.7,10.0.0.8,10.0.0.9",
	    "too many elements (at most 8)" },
	/* check kinds */
	{ "module", "check = sipd", "is not a check" },
	{ "module", "check = proc:sipd", "is not a check" },
	{ "module", "check =", "empty value" },
	{ "module", "check = unix:run/sipd.sock", "is not an absolute path" },
	{ "module", "check = pidfile:sipd.pid", "is not an absolute path" },
	{ "module", "check = process:/usr/sbin/sipd", "is not a process name" },
	{ "module", "check = process:", "is not a process name" },
	{ "module", "check = exec:alive --quick", "is not an absolute path" },
	{ "module", "check = tcp:sip.example:5060", "is not an IPv4 address" },
	{ "module", "check = tcp:::1:5060", "is not an IPv4 address" },
	{ "module", "check = tcp:[192.0.2.1]:5060", "is not an IPv6 address" },
	{ "module", "check = tcp:127.0.0.1:0", "is not a port" },
	{ "module", "check = tcp:127.0.0.1", "is not HOST:PORT" },
	{ "module", "check = tcp:[::1]5060", "is not HOST:PORT" },
	{ "module", "local_check = exec:", "is not an absolute path" },
	/* hooks */
	{ "hooks", "commence = up.sh", "is not an absolute path" },
	{ "hooks", "drain = ./drain", "is not an absolute path" },
	{ "hooks", "sync_check = /bin/x 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "too long" },
	/* VIPs */
	{ "netcfg", "vip = 192.0.2.100 dev eth0", "needs a prefix length" },
	{ "netcfg", "vip = 192.0.2.100/33 dev eth0", "is not a prefix length" },
	{ "netcfg", "vip = 192.0.2.100/0 dev eth0", "is not a prefix length" },
	{ "netcfg", "vip = 192.0.2.100/24 eth0", "is not ADDR/PREFIX dev IFACE" },
	{ "netcfg", "vip = 192.0.2.100/24 dev", "is not ADDR/PREFIX dev IFACE" },
	{ "netcfg", "vip = 192.0.2.100/24 dev eth0 up", "is not ADDR/PREFIX dev IFACE" },
	{ "netcfg", "vip = 192.0.2.100/24 dev averyveryverylongname", "is not an interface name" },
	{ "netcfg", "vip = vip.example/24 dev eth0", "is not an IPv4 or IPv6 address" },
	/* fence */
	{ "netcfg", "fence = sctp:5060", "is not tcp:PORT, udp:PORT or ADDR[/PREFIX]" },
	{ "netcfg", "fence = tcp:0", "is not a port" },
	{ "netcfg", "fence = udp:70000", "is not a port" },
	{ "netcfg", "fence = 10.0.0.0/33", "is not tcp:PORT, udp:PORT or ADDR[/PREFIX]" },
	{ "netcfg", "fence = tcp:5060,", "empty element" },
	{ "netcfg", "fence = udp:53, tcp:3633", "fence: tcp:3633 is the peer port" },
};

/* Each numeric key at both ends of its SPEC range, and one step beyond each. */
struct edge {
	const char *sec;
	const char *key;
	const char *lo, *hi, *below, *above;
};

static const struct edge edges[] = {
	{ "node", "start_timeout", "1s", "10m", "999ms", "601s" },
	{ "peer", "port", "1", "65535", "0", "65536" },
	{ "peer", "notifier_reconnect_delay", "1s", "60s", "999ms", "60001ms" },
	{ "module", "timeout", "100ms", "60s", "99ms", "60001ms" },
	{ "module", "retry_delay", "10ms", "60s", "9ms", "60001ms" },
	{ "module", "max_failures", "1", "10", "0", "11" },
	{ "module", "max_restarts", "1", "100", "0", "101" },
	{ "module", "max_restarts_period", "1s", "60 m", "999ms", "3600001ms" },
	{ "module", "max_sequential_restarts", "1", "100", "0", "101" },
	{ "module", "dscp", "0", "63", "-1", "64" },
	{ "monitor", "ping_delay", "10ms", "300s", "9ms", "300001ms" },
	{ "monitor", "timeout", "10ms", "300s", "9ms", "300001ms" },
	{ "monitor", "retry_count", "1", "50", "0", "51" },
	{ "monitor", "retry_ping_delay", "0", "300s", "-1", "300001ms" },
	{ "network", "nettest_timeout", "10ms", "60s", "9ms", "60001ms" },
	{ "network", "icmp_dscp", "0", "63", "-1", "64" },
	{ "network", "unreachable_primary_ping_count", "-1", "1000", "-2", "1001" },
	{ "network", "unreachable_primary_ping_delay", "100ms", "300s", "99ms", "300001ms" },
	{ "network", "reconnect_timeout", "0", "60m", "-1", "3600001ms" },
	{ "hooks", "timeout", "100ms", "60m", "99ms", "3600001ms" },
	{ "hooks", "drain_timeout", "1s", "1440m", "999ms", "86400001ms" },
	{ "hooks", "sync_check_interval", "1s", "1440m", "999ms", "86400001ms" },
	{ "netcfg", "garp_count", "0", "100", "-1", "101" },
	{ "netcfg", "qos_mark", "0", "63", "-1", "64" },
};

static void test_range_edges(void **state)
{
	struct config c;
	char line[128];

	(void)state;
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		const struct edge *e = &edges[i];

		snprintf(line, sizeof(line), "%s = %s", e->key, e->lo);
		load_ok(e->sec, line, &c);
		snprintf(line, sizeof(line), "%s = %s", e->key, e->hi);
		load_ok(e->sec, line, &c);
		snprintf(line, sizeof(line), "%s = %s", e->key, e->below);
		expect_error(e->sec, line, "");
		snprintf(line, sizeof(line), "%s = %s", e->key, e->above);
		expect_error(e->sec, line, "");
	}
}

static void test_every_bad_value(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		expect_error(bads[i].sec, bads[i].line, bads[i].why);
}

/* ---- fields read back directly ---- */

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	load_ok(NULL, NULL, &c);
	assert_true(c.node.role_a);
	assert_false(c.node.manual);
	assert_int_equal(c.node.start_timeout_ms, 10000);
	assert_string_equal(c.node.state_dir, "/var/lib/vigil");
	assert_string_equal(c.node.control_socket, "/run/vigil/vigild.sock");
	assert_string_equal(c.node.control_group, "vigil");
	assert_string_equal(c.node.admin_group, "");
	assert_string_equal(c.node.user, "vigil");
	assert_int_equal(c.peer.port, 3633);
	assert_false(c.peer.auth_none);
	assert_int_equal(c.peer.notifier_reconnect_delay_ms, 5000);
	assert_int_equal(c.module.timeout_ms, 10000);
	assert_int_equal(c.module.retry_delay_ms, 1000);
	assert_int_equal(c.module.max_failures, 2);
	assert_int_equal(c.module.max_restarts_period_ms, 300000);
	assert_int_equal(c.module.dscp, 34);
	assert_int_equal(c.module.local_check.kind, CHECK_NONE);
	assert_int_equal(c.monitor.ping_delay_ms, 1000);
	assert_int_equal(c.monitor.retry_count, 2);
	assert_int_equal(c.monitor.retry_ping_delay_ms, 0);
	assert_int_equal(c.network.nettest_timeout_ms, 1000);
	assert_int_equal(c.network.icmp_dscp, -1);
	assert_true(c.network.carrier_watch);
	assert_int_equal(c.network.unreachable_primary_ping_count, 0);
	assert_int_equal(c.network.unreachable_primary_ping_delay_ms, 10000);
	assert_int_equal(c.network.reconnect_timeout_ms, 30000);
	assert_int_equal(c.hooks.timeout_ms, 10000);
	assert_int_equal(c.hooks.drain_timeout_ms, 300000);
	assert_int_equal(c.hooks.sync_check_interval_ms, 60000);
	assert_int_equal(c.netcfg.garp_count, 3);
	assert_int_equal(c.netcfg.qos_mark, -1);
	assert_true(c.export.snmp);
}

static void test_name_defaults_to_host_name(void **state)
{
	struct config c;
	char host[256] = "";

	(void)state;
	load_ok(NULL, NULL, &c);
	gethostname(host, sizeof(host) - 1);
	host[CONFIG_NAME_MAX - 1] = '\0';
	assert_string_equal(c.node.name, host);
}

static void test_addresses_and_aux_default(void **state)
{
	struct config c;

	(void)state;
	load_ok(NULL, NULL, &c);
	assert_int_equal(c.peer.a.family, AF_INET);
	assert_string_equal(c.peer.a.text, "192.0.2.10");
	assert_memory_equal(c.peer.a.bytes, "\xc0\x00\x02\x0a", 4);
	assert_string_equal(c.peer.aux_a.text, "192.0.2.10");
	assert_string_equal(c.peer.aux_b.text, "198.51.100.10");
	load_ok("peer", "aux_b = 198.51.100.11", &c);
	assert_string_equal(c.peer.aux_a.text, "192.0.2.10");
	assert_string_equal(c.peer.aux_b.text, "198.51.100.11");
	assert_ptr_equal(config_peer_main(&c), &c.peer.b);
	assert_ptr_equal(config_peer_aux(&c), &c.peer.aux_b);
	load_ok("node", "role = B", &c);
	assert_ptr_equal(config_peer_main(&c), &c.peer.a);
	assert_ptr_equal(config_peer_aux(&c), &c.peer.aux_a);
}

static void test_checks(void **state)
{
	struct config c;

	(void)state;
	load_ok("module", "check = tcp:[2001:db8::5]:5060", &c);
	assert_int_equal(c.module.check.kind, CHECK_TCP);
	assert_int_equal(c.module.check.tcp_addr.family, AF_INET6);
	assert_string_equal(c.module.check.tcp_addr.text, "2001:db8::5");
	assert_int_equal(c.module.check.tcp_port, 5060);
	assert_false(config_check_has_exit_watch(&c.module.check));
	load_ok("module", "check = exec:/usr/bin/alive -q  --x", &c);
	assert_int_equal(c.module.check.kind, CHECK_EXEC);
	assert_string_equal(c.module.check.target, "/usr/bin/alive -q  --x");
	assert_false(config_check_has_exit_watch(&c.module.check));
	load_ok("module", "check = unix:/run/m.sock", &c);
	assert_true(config_check_has_exit_watch(&c.module.check));
	load_ok("module", "check = pidfile:/run/m.pid", &c);
	assert_true(config_check_has_exit_watch(&c.module.check));
	assert_string_equal(c.module.check.target, "/run/m.pid");
	load_ok(NULL, NULL, &c);
	assert_int_equal(c.module.check.kind, CHECK_PROCESS);
	assert_string_equal(c.module.check.target, "sipd");
	assert_true(config_check_has_exit_watch(&c.module.check));
	assert_string_equal(config_check_kind_name(CHECK_PIDFILE), "pidfile");
	assert_string_equal(config_check_kind_name(CHECK_NONE), "none");
}

static void test_hooks_vips_fences(void **state)
{
	struct config c;

	(void)state;
	load_ok("hooks", "commence = /usr/sbin/up  a b", &c);
	assert_string_equal(c.hooks.commence.line, "/usr/sbin/up  a b");
	assert_int_equal(c.hooks.commence.argc, 3);
	assert_string_equal(c.hooks.drain.line, "");
	load_ok("netcfg", "vip = 192.0.2.100/24 dev eth0,2001:db8::100/64  dev  eth1.5", &c);
	assert_int_equal(c.netcfg.n_vip, 2);
	assert_string_equal(c.netcfg.vip[1].addr.text, "2001:db8::100");
	assert_int_equal(c.netcfg.vip[1].prefix, 64);
	assert_string_equal(c.netcfg.vip[1].dev, "eth1.5");
	load_ok("netcfg", "fence = udp:5060 , 192.0.2.0/24, 2001:db8::7", &c);
	assert_int_equal(c.netcfg.n_fence, 3);
	assert_int_equal(c.netcfg.fence[0].kind, FENCE_UDP);
	assert_int_equal(c.netcfg.fence[0].port, 5060);
	assert_int_equal(c.netcfg.fence[1].kind, FENCE_ADDR);
	assert_int_equal(c.netcfg.fence[1].prefix, 24);
	assert_int_equal(c.netcfg.fence[2].prefix, 128);
}

static void test_split_args(void **state)
{
	char buf[64], *argv[4];

	(void)state;
	assert_int_equal(config_split_args("/bin/x  a\tb", buf, sizeof(buf), argv, 4), 3);
	assert_string_equal(argv[0], "/bin/x");
	assert_string_equal(argv[2], "b");
	assert_null(argv[3]);
	assert_int_equal(config_split_args("/bin/x a b c", buf, sizeof(buf), argv, 4), -E2BIG);
	assert_int_equal(config_split_args("", buf, sizeof(buf), argv, 4), 0);
	assert_null(argv[0]);
}

/* ---- durations and DSCP ---- */

static void test_duration(void **state)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} ok[] = {
		{ "300ms", 300 },
		{ "5 s", 5000 },
		{ "1.5s", 1500 },
		{ "7", 7000 },
		{ "0.25", 250 },
		{ "2m", 120000 },
		{ "0.5m", 30000 },
		{ "0", 0 },
		{ "1.001s", 1001 },
		{ "10\tms", 10 },
	};
	static const char *const bad[] = { "", "s", "ms", "1.5ms", "-1s", "1x", "1.s", ".5s", "5 ",
		" 5", "1e3", "1h", "5S", "1,5s", "0.0001s", "9999999999999s" };
	uint64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ms = 1;
		if (config_parse_duration_ms(ok[i].text, &ms) != 0 || ms != ok[i].ms)
			fail_msg("duration '%s': %llu", ok[i].text, (unsigned long long)ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (config_parse_duration_ms(bad[i], &ms) != -EINVAL)
			fail_msg("duration '%s' accepted", bad[i]);
	}
}

static void test_dscp(void **state)
{
	static const struct {
		const char *text;
		int v;
	} ok[] = {
		{ "0", 0 },
		{ "63", 63 },
		{ "ef", 46 },
		{ "EF", 46 },
		{ "af41", 34 },
		{ "af11", 10 },
		{ "af43", 38 },
		{ "cs0", 0 },
		{ "cs7", 56 },
		{ "be", 0 },
		{ "default", 0 },
		{ "af23", 22 },
	};
	static const char *const bad[] = { "", "64", "-1", "af44", "af51", "af10", "cs8", "ef1",
		"0x10" };
	int v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -5;
		if (config_parse_dscp(ok[i].text, &v) != 0 || v != ok[i].v)
			fail_msg("dscp '%s': %d", ok[i].text, v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (config_parse_dscp(bad[i], &v) != -EINVAL)
			fail_msg("dscp '%s' accepted", bad[i]);
	}
}

/* ---- syntax traps: libinih 55 as Debian builds it ---- */

static void test_unknown_key_and_section(void **state)
{
	(void)state;
	expect_error("node", "rol = A", "unknown key in [node]");
	expect_error("monitor", "max_failures = 2", "unknown key in [monitor]");
	{
		struct config c;
		char err[CONFIG_ERR_MAX];

		assert_int_equal(load_text("[node]\nrole = A\n[nodes]\n", &c, err), -EINVAL);
		assert_error(err, 3, "[nodes]", "unknown section");
		assert_int_equal(load_text("[node]\nrole = A\n[ node ]\n", &c, err), -EINVAL);
		assert_error(err, 3, "[ node ]", "unknown section");
	}
}

static void test_duplicates(void **state)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load_text("[node]\nrole = A\n\nrole = B\n", &c, err), -EINVAL);
	assert_error(err, 4, "role", "set twice (first at line 2)");
	assert_int_equal(load_text("[node]\nrole = A\n[peer]\n[node]\n", &c, err), -EINVAL);
	assert_error(err, 4, "[node]", "section appears twice (first at line 1)");
	/* the same key name in two sections is two keys */
	load_ok("monitor", "timeout = 1s", &c);
}

static void test_inline_comments(void **state)
{
	(void)state;
	/* libinih passes "10s # ten" through as the value */
	expect_error("module", "timeout = 10s # ten", "'#' inside a line");
	expect_error("module", "timeout = 10s#", "'#' inside a line");
	/* libinih strips " ;" comments silently */
	expect_error("module", "timeout = 10s ; ten", "' ;' inside a line");
	expect_error("module", "timeout = 10s\t;ten", "' ;' inside a line");
	expect_error_at("node", "[x] # y", -1, "[x]", "'#' inside a line");
	/* a ';' not after a blank is no comment: part of the value, refused by its parser */
	expect_error("module", "timeout = 10s;", "is not a duration");
	/* "name =;a" would print back as "name = ;a", a line that does not load (fuzz_config) */
	expect_error("node", "name =;a", "a value must not start with ';'");
	expect_error("node", "name = ;a", "' ;' inside a line");
}

static void test_control_characters(void **state)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	(void)state;
	/* a BEL in a value vanished from the printed configuration (fuzz_config) */
	assert_int_equal(load_text("[node]\nname = a\ab\n", &c, err), -EINVAL);
	assert_error(err, 2, "syntax", "control character 0x07 in the line");
	assert_int_equal(load_text("[node]\nname = a\x7f\n", &c, err), -EINVAL);
	assert_error(err, 2, "syntax", "control character 0x7f in the line");
	/* a comment is never printed back: a form feed in one stays harmless */
	load_ok("node", "# page two\f", &c);
	load_ok("node", "  ; \a", &c);
}

static void test_comment_lines(void **state)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	(void)state;
	if (load_text(
	        "# top\n; also\n[node]\n   # indented comment\n\t; indented too\nrole = A\n[peer]\n"
	        "a = 192.0.2.10\nb = 198.51.100.10\nauth = none\n\n   \n[module]\ncheck = process:x\n",
	        &c, err) != 0)
		fail_msg("%s", err);
	assert_true(c.peer.auth_none);
}

static void test_continuation_line(void **state)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	(void)state;
	/* libinih would call the handler for nettest_a again with "192.0.2.2" */
	assert_int_equal(
	    load_text("[node]\nrole = A\n[network]\nnettest_a = 192.0.2.1\n  192.0.2.2\n", &c, err),
	    -EINVAL);
	assert_error(err, 5, "syntax", "indented line: continuation lines are not allowed");
	/* an indented key, even after a section header, is refused the same way */
	assert_int_equal(load_text("[node]\n  role = A\n", &c, err), -EINVAL);
	assert_error(err, 2, "role", "indented line");
}

static void test_long_line(void **state)
{
	struct config c;
	char err[CONFIG_ERR_MAX], text[1024], pad[400];

	(void)state;
	/* a comment line of exactly 198 characters fits libinih's 200-byte line; 199 does not */
	memset(pad, 'x', sizeof(pad));
	snprintf(text, sizeof(text),
	    "[node]\nrole = A\n#%.197s\n[peer]\na = 192.0.2.10\nb = 198.51.100.10\n"
	    "auth = none\n[module]\ncheck = process:x\n",
	    pad);
	if (load_text(text, &c, err) != 0)
		fail_msg("%s", err);
	snprintf(text, sizeof(text), "[node]\nrole = A\n#%.198s\n", pad);
	assert_int_equal(load_text(text, &c, err), -EINVAL);
	assert_error(err, 3, "syntax", "line too long (at most 198 characters)");
	snprintf(text, sizeof(text), "[node]\nrole = A\n[hooks]\ncommence = /bin/%.250s\n", pad);
	assert_int_equal(load_text(text, &c, err), -EINVAL);
	assert_error(err, 4, "commence", "line too long");
}

static void test_syntax_lines(void **state)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load_text("role = A\n", &c, err), -EINVAL);
	assert_error(err, 1, "role", "key outside a section");
	assert_int_equal(load_text("[node]\nrole: A\n", &c, err), -EINVAL);
	assert_error(err, 2, "role", "':' is not a separator");
	assert_int_equal(load_text("[node]\nrole A\n", &c, err), -EINVAL);
	assert_error(err, 2, "syntax", "expected key = value");
	assert_int_equal(load_text("[node]\n= A\n", &c, err), -EINVAL);
	assert_error(err, 2, "syntax", "a key name is missing");
	assert_int_equal(load_text("[node\nrole = A\n", &c, err), -EINVAL);
	assert_error(err, 1, "[node", "missing ']'");
	assert_int_equal(load_text("[node] x\nrole = A\n", &c, err), -EINVAL);
	assert_error(err, 1, "[node]", "text after ']'");
	write_file(conf, "[node]\nrole = A\0B\n", sizeof("[node]\nrole = A\0B\n") - 1, 0644);
	assert_int_equal(config_load(conf, &c, err, sizeof(err)), -EINVAL);
	assert_error(err, 2, "syntax", "NUL byte");
}

static void test_bom_and_crlf(void **state)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	(void)state;
	if (load_text(
	        "\xef\xbb\xbf[node]\r\nrole = B\r\n[peer]\r\na = 192.0.2.10\r\nb = 198.51.100.10\r\n"
	        "auth = none\r\n[module]\r\ncheck = process:x\r\n",
	        &c, err) != 0)
		fail_msg("%s", err);
	assert_false(c.node.role_a);
	assert_string_equal(c.module.check.target, "x");
}

/* ---- required keys and cross-key rules ---- */

static void test_empty_file(void **state)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load_text("", &c, err), -EINVAL);
	assert_error(err, 0, "role", "missing");
	assert_int_equal(load_text("# nothing\n\n", &c, err), -EINVAL);
	assert_error(err, 0, "role", "missing");
}

static void test_required(void **state)
{
	(void)state;
	expect_error_at("node", "-role", 1, "role", "missing ([node] needs role = A or role = B)");
	expect_error_at("peer", "-a", 3, "a", "missing");
	expect_error_at("peer", "-b", 3, "b", "missing");
	expect_error_at("module", "-check", 7, "check", "missing");
	expect_error_at("peer", "-key_file", 3, "key_file",
	    "missing (auth = hmac needs a pair key");
}

static void test_peer_rules(void **state)
{
	struct config c;

	(void)state;
	expect_error("peer", "b = 192.0.2.10", "same address as a (192.0.2.10)");
	expect_error("peer", "b = 2001:db8::b", "a and b must both be IPv4 or both IPv6");
	expect_error("peer", "aux_a = 198.51.100.10", "same address as aux_b");
	expect_error("peer", "aux_b = 2001:db8::1", "aux_a and aux_b must both be");
	load_ok("peer", "auth = none", &c);
	assert_true(c.peer.auth_none);
}

static void test_key_file(void **state)
{
	char key[128], text[TEXT_MAX];
	struct config c;
	struct builder b;

	(void)state;
	expect_error("peer", "key_file = nokey.key",
	    "does not exist; make one with vigilctl keygen");
	path_in(key, sizeof(key), "open.key");
	write_file(key, good_key, strlen(good_key), 0644);
	expect_error("peer", "key_file = open.key",
	    "is group- or other-accessible (mode 0644); run chmod 600");
	write_file(key, good_key, strlen(good_key), 0640);
	expect_error("peer", "key_file = open.key", "(mode 0640)");
	path_in(key, sizeof(key), "short.key");
	write_file(key, good_key, 63, 0600);
	expect_error("peer", "key_file = short.key", "must hold exactly 64 hex characters");
	path_in(key, sizeof(key), "long.key");
	write_file(key, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0\n", 66,
	    0600);
	expect_error("peer", "key_file = long.key", "must hold exactly 64 hex characters");
	path_in(key, sizeof(key), "nl2.key");
	write_file(key, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n\n", 66,
	    0600);
	expect_error("peer", "key_file = nl2.key", "must hold exactly 64 hex characters");
	path_in(key, sizeof(key), "hex.key");
	write_file(key, "g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 64,
	    0600);
	expect_error("peer", "key_file = hex.key", "not hex");
	expect_error("peer", "key_file = /", "is not a regular file");
	/* an absolute key_file; no trailing newline is fine too */
	path_in(key, sizeof(key), "nonl.key");
	write_file(key, good_key, 64, 0600);
	snprintf(text, sizeof(text), "key_file = %s", key);
	load_ok("peer", text, &c);
	assert_string_equal(c.peer.key_file, key);
	/* a relative one is resolved against the file's folder, whatever the working directory */
	build(&b, NULL, NULL);
	assert_int_equal(config_load_string("/nonexistent/x.conf", b.text, &c, text, sizeof(text)),
	    -EINVAL);
	assert_non_null(strstr(text, "/nonexistent/pair.key does not exist"));
}

/* vigild's reload after the privilege drop: the key is held, key_file is resolved but not opened. */
static void test_load_key_held(void **state)
{
	char key[128], text[TEXT_MAX], err[CONFIG_ERR_MAX];
	struct config c;
	struct builder b;
	int at;

	(void)state;
	path_in(key, sizeof(key), "gone.key");
	snprintf(text, sizeof(text), "key_file = %s", key);
	at = build(&b, "peer", text);
	assert_true(at > 0);
	write_file(conf, b.text, b.len, 0644);
	assert_int_equal(config_load(conf, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not exist"));
	assert_int_equal(config_load_flags(conf, CONFIG_LOAD_KEY_HELD, &c, err, sizeof(err)), 0);
	assert_string_equal(c.peer.key_file, key);
	/* [node] user: the line that set it, 0 for the default */
	assert_int_equal(c.user_line, 0);
	at = build(&b, "node", "user = nobody");
	write_file(conf, b.text, b.len, 0644);
	assert_int_equal(config_load(conf, &c, err, sizeof(err)), 0);
	assert_int_equal(c.user_line, at);
	assert_string_equal(c.node.user, "nobody");
}

static void test_load_string(void **state)
{
	struct config c;
	struct builder b;
	char err[CONFIG_ERR_MAX] = "", name[160], want[PATH_MAX + 16], real[PATH_MAX];

	(void)state;
	snprintf(name, sizeof(name), "%s/from-string.conf", dir);
	build(&b, "module", "timeout = 2s");
	if (config_load_string(name, b.text, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.module.timeout_ms, 2000);
	assert_string_equal(c.path, name);
	assert_non_null(realpath(dir, real));
	snprintf(want, sizeof(want), "%s/pair.key", real);
	assert_string_equal(c.peer.key_file, want);
	assert_int_equal(config_load_string("fuzz", "[node]\nrole = X\n", &c, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "fuzz:2: role: \"X\" is not A or B");
}

static void test_untouched_on_error(void **state)
{
	struct config c, before;
	char err[CONFIG_ERR_MAX];

	(void)state;
	memset(&c, 0xab, sizeof(c));
	before = c;
	assert_int_equal(load_text("[node]\nrole = A\n[bogus]\n", &c, err), -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_int_equal(config_load("/nonexistent/vigil.conf", &c, err, sizeof(err)), -ENOENT);
	assert_string_equal(err,
	    "/nonexistent/vigil.conf:0: file: cannot open: No such file or directory");
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_error_truncated_to_buffer(void **state)
{
	struct config c;
	char err[16];

	(void)state;
	assert_int_equal(config_load_string("f", "[nodes]\n", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "f:1: [nodes]: u");
}

/* ---- derived monitor.timeout ---- */

static void test_monitor_timeout_derived(void **state)
{
	struct config c;
	char got[64];
	char *text;

	(void)state;
	load_ok("module", "timeout = 3s", &c);
	assert_false(c.monitor.timeout_set);
	assert_int_equal(c.monitor.timeout_ms, 1500);
	text = print_to_string(&c);
	assert_non_null(strstr(text,
	    "# derived: module.timeout / 2 (not set in the file)\ntimeout = 1500ms\n"));
	free(text);
	load_ok("module", "timeout = 100ms", &c);
	assert_int_equal(c.monitor.timeout_ms, 50);
	load_ok("monitor", "timeout = 2s", &c);
	assert_true(c.monitor.timeout_set);
	assert_int_equal(c.monitor.timeout_ms, 2000);
	printed_value(&c, "monitor", "timeout", got, sizeof(got));
	assert_string_equal(got, "2s");
	text = print_to_string(&c);
	assert_null(strstr(text, "derived"));
	free(text);
}

/* ---- print -> parse ---- */

static const char rich[] =
    "[node]\nname = east\nrole = B\nmode = manual\nforce_backup = yes\nstart = wait-peer\n"
    "start_timeout = 1.5s\nstate_dir = /srv/v\ncontrol_socket = /run/v.sock\ncontrol_group =\n"
    "admin_group = wheel\nuser = root\n"
    "[peer]\na = 2001:db8::a\nb = 2001:db8::b\naux_a = 192.0.2.1\naux_b = 192.0.2.2\nport = 4000\n"
    "key_file = pair.key\nnotifier_reconnect_delay = 2s\n"
    "[module]\ncheck = tcp:[::1]:5060\nlocal_check = exec:/bin/true x y\ntimeout = 250ms\n"
    "retry_delay = 20ms\nmax_failures = 3\nmax_restarts = 4\nmax_restarts_period = 90s\n"
    "max_sequential_restarts = 5\nping_on_aux = yes\nqos = yes\ndscp = 5\n"
    "[monitor]\nping_delay = 100ms\nretry_count = 3\nretry_ping_delay = 20ms\n"
    "[network]\ngateway_ping = yes\nnettest_a = 192.0.2.7, ::1\nnettest_b = 2001:db8:0:0:0:0:0:9\n"
    "nettest_timeout = 300ms\nicmp_dscp = 1\ncarrier_watch = no\nunreachable_primary_ping_count = -1\n"
    "unreachable_primary_ping_delay = 2s\nreconnect_timeout = 0\n"
    "[hooks]\ncommence = /a b\ndiscontinue = /c\ndrain = /d e  f\nsync_check = /s\ntimeout = 1s\n"
    "drain_timeout = 60m\nsync_check_interval = 0\n"
    "[netcfg]\nvip = 10.0.0.1/8 dev lo, ::2/127 dev eth0\ngarp_count = 7\nqos_mark = cs6\n"
    "fence = tcp:1, 10.1.0.0/16, 2001:db8::/32, udp:65535, 192.0.2.9\n"
    "[export]\nsnmp = no\n";

static void round_trip(const char *text, bool derived)
{
	struct config c1, c2;
	char err[CONFIG_ERR_MAX] = "", p2[160];
	char *out;

	if (load_text(text, &c1, err) != 0)
		fail_msg("%s", err);
	out = print_to_string(&c1);
	path_in(p2, sizeof(p2), "printed.conf");
	write_file(p2, out, strlen(out), 0644);
	if (config_load(p2, &c2, err, sizeof(err)) != 0)
		fail_msg("printed file: %s\n%s", err, out);
	free(out);
	assert_string_equal(c2.path, p2);
	memcpy(c2.path, c1.path, sizeof(c2.path));
	assert_int_equal(c1.monitor.timeout_set, !derived);
	assert_true(c2.monitor.timeout_set); /* printed, so set: same value */
	c2.monitor.timeout_set = c1.monitor.timeout_set;
	c2.user_line = c1.user_line; /* a line number: printed files place keys anew */
	assert_memory_equal(&c1, &c2, sizeof(c1));
}

static void test_round_trip(void **state)
{
	struct builder b;

	(void)state;
	round_trip(rich, true);
	build(&b, "monitor", "timeout = 700ms");
	round_trip(b.text, false);
}

static void test_print_never_prints_key(void **state)
{
	struct config c;
	char *text;

	(void)state;
	load_ok(NULL, NULL, &c);
	text = print_to_string(&c);
	assert_null(strstr(text, "00112233"));
	assert_non_null(strstr(text, "/pair.key\n"));
	free(text);
}

/* ---- decision parameters ---- */

static void test_decide_params(void **state)
{
	struct config c;
	struct decide_params p;

	(void)state;
	load_text(rich, &c, (char[CONFIG_ERR_MAX]){ 0 });
	config_decide_params(&c, &p);
	assert_false(p.role_a);
	assert_true(p.manual);
	assert_true(p.force_backup);
	assert_true(p.wait_peer);
	assert_int_equal(p.start_timeout_ms, 1500);
	assert_int_equal(p.reconnect_delay_ms, 2000);
	assert_int_equal(p.module_timeout_ms, 250);
	assert_int_equal(p.module_retry_delay_ms, 20);
	assert_int_equal(p.max_failures, 3);
	assert_int_equal(p.max_restarts, 4);
	assert_int_equal(p.max_restarts_period_ms, 90000);
	assert_int_equal(p.max_sequential_restarts, 5);
	assert_true(p.ping_on_aux);
	assert_true(p.has_local_check);
	assert_int_equal(p.ping_delay_ms, 100);
	assert_int_equal(p.monitor_timeout_ms, 125);
	assert_int_equal(p.retry_count, 3);
	assert_int_equal(p.retry_ping_delay_ms, 20);
	assert_true(p.gateway_ping);
	assert_true(p.has_nettest); /* role B: nettest_b */
	assert_int_equal(p.nettest_timeout_ms, 300);
	assert_false(p.carrier_watch);
	assert_int_equal(p.unreachable_ping_count, -1);
	assert_int_equal(p.unreachable_ping_delay_ms, 2000);
	assert_int_equal(p.reconnect_timeout_ms, 0);
	assert_true(p.has_sync_check);
	assert_int_equal(p.sync_check_interval_ms, 0);
}

static void test_decide_params_nettest_by_role(void **state)
{
	struct config c;
	struct decide_params p;
	size_t n;

	(void)state;
	load_ok("network", "nettest_b = 192.0.2.1, 192.0.2.2",
	    &c); /* role A: uses nettest_a, empty */
	config_decide_params(&c, &p);
	assert_true(p.role_a);
	assert_false(p.has_nettest);
	assert_false(p.has_local_check);
	assert_false(p.has_sync_check);
	assert_int_equal(p.monitor_timeout_ms, 5000);
	assert_ptr_equal(config_nettest(&c, &n), c.network.nettest_a);
	assert_int_equal(n, 0);
	load_ok("network", "nettest_a = 192.0.2.1", &c);
	config_decide_params(&c, &p);
	assert_true(p.has_nettest);
	assert_ptr_equal(config_nettest(&c, &n), c.network.nettest_a);
	assert_int_equal(n, 1);
}

/* ---- keygen ---- */

static void test_keygen(void **state)
{
	char key[128], buf[100], text[256];
	struct stat st;
	struct config c;
	int fd;
	ssize_t n;

	(void)state;
	path_in(key, sizeof(key), "new.key");
	assert_int_equal(config_keygen(key), 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fd = open(key, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 65);
	assert_int_equal(buf[64], '\n');
	for (int i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", buf[i]));
	assert_int_equal(config_keygen(key), -EEXIST);
	snprintf(text, sizeof(text), "key_file = %s", key);
	load_ok("peer", text, &c);
	path_in(key, sizeof(key), "nodir/new.key");
	assert_int_equal(config_keygen(key), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_good),
		cmocka_unit_test(test_every_bad_value),
		cmocka_unit_test(test_range_edges),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_name_defaults_to_host_name),
		cmocka_unit_test(test_addresses_and_aux_default),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_hooks_vips_fences),
		cmocka_unit_test(test_split_args),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_dscp),
		cmocka_unit_test(test_unknown_key_and_section),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_inline_comments),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_comment_lines),
		cmocka_unit_test(test_continuation_line),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_syntax_lines),
		cmocka_unit_test(test_bom_and_crlf),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_peer_rules),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_load_string),
		cmocka_unit_test(test_load_key_held),
		cmocka_unit_test(test_untouched_on_error),
		cmocka_unit_test(test_error_truncated_to_buffer),
		cmocka_unit_test(test_monitor_timeout_derived),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_print_never_prints_key),
		cmocka_unit_test(test_decide_params),
		cmocka_unit_test(test_decide_params_nettest_by_role),
		cmocka_unit_test(test_keygen),
	};

	return cmocka_run_group_tests_name("config", tests, group_setup, group_teardown);
}
