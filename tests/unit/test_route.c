/* test_route.c: netcfg_gateways (netcfg/route.c) against default routes made with ip(8) in a network namespace of the test's own. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "netns.h"
#include "route.h"

#define IP(...) assert_int_equal(netns_run("ip", __VA_ARGS__, NULL), 0)

static void enter_or_skip(void)
{
	int r = netns_enter();

	if (r < 0) {
		print_message("skipped: needs root and a network namespace (%s)\n", strerror(-r));
		skip();
	}
}

/* Two veth ends, each with an IPv4 and an IPv6 subnet (veth: this kernel may lack dummy). */
static void links_up(void)
{
	IP("link", "add", "vg0", "type", "veth", "peer", "name", "vg1");
	IP("addr", "add", "10.201.0.2/24", "dev", "vg0");
	IP("addr", "add", "10.202.0.2/24", "dev", "vg1");
	IP("-6", "addr", "add", "fd00:201::2/64", "dev", "vg0", "nodad");
	IP("link", "set", "vg0", "up");
	IP("link", "set", "vg1", "up");
}

static const struct netcfg_gateway *find(const struct netcfg_gateway *gw, size_t n,
    const char *text, const char *ifname)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(gw[i].addr.text, text) == 0 && strcmp(gw[i].ifname, ifname) == 0)
			return &gw[i];
	return NULL;
}

static void assert_gateway(const struct netcfg_gateway *gw, size_t n, const char *text,
    const char *ifname)
{
	const struct netcfg_gateway *g = find(gw, n, text, ifname);
	uint8_t bytes[16];

	if (g == NULL)
		fail_msg("gateway %s dev %s missing", text, ifname);
	assert_int_equal(inet_pton(g->addr.family, text, bytes), 1);
	assert_memory_equal(g->addr.bytes, bytes, g->addr.family == AF_INET ? 4 : 16);
	assert_int_equal(g->ifindex, if_nametoindex(ifname));
}

static void test_no_default_route(void **state)
{
	struct netcfg_gateway gw[4];
	size_t n = 99;

	(void)state;
	enter_or_skip();
	links_up();
	assert_int_equal(netcfg_gateways(gw, 4, &n), 0);
	assert_int_equal(n, 0);
}

static void test_every_default_next_hop(void **state)
{
	struct netcfg_gateway gw[16];
	size_t n = 0;

	(void)state;
	enter_or_skip();
	links_up();
	IP("route", "add", "default", "via", "10.201.0.1", "dev", "vg0");
	IP("route", "add", "default", "via", "10.202.0.1", "dev", "vg1", "metric", "200");
	IP("route", "add", "default", "metric", "300", "nexthop", "via", "10.201.0.3", "dev", "vg0",
	    "nexthop", "via", "10.202.0.3", "dev", "vg1");
	IP("-6", "route", "add", "default", "via", "fd00:201::1", "dev", "vg0");
	IP("-6", "route", "add", "default", "via", "fe80::1", "dev", "vg1", "metric", "300");
	/* Not listed: a duplicate, another table, no gateway, not a default route. */
	IP("route", "add", "default", "via", "10.201.0.1", "dev", "vg0", "metric", "700");
	IP("route", "add", "default", "via", "10.201.0.9", "dev", "vg0", "table", "100");
	IP("route", "add", "default", "dev", "vg1", "metric", "500");
	IP("route", "add", "10.50.0.0/16", "via", "10.201.0.1", "dev", "vg0");
	assert_int_equal(netcfg_gateways(gw, 16, &n), 0);
	assert_int_equal(n, 6);
	assert_gateway(gw, n, "10.201.0.1", "vg0");
	assert_gateway(gw, n, "10.202.0.1", "vg1");
	assert_gateway(gw, n, "10.201.0.3", "vg0");
	assert_gateway(gw, n, "10.202.0.3", "vg1");
	assert_gateway(gw, n, "fd00:201::1", "vg0");
	assert_gateway(gw, n, "fe80::1", "vg1");
}

static void test_current_after_change(void **state)
{
	struct netcfg_gateway gw[4];
	size_t n = 0;

	(void)state;
	enter_or_skip();
	links_up();
	IP("route", "add", "default", "via", "10.201.0.1", "dev", "vg0");
	assert_int_equal(netcfg_gateways(gw, 4, &n), 0);
	assert_int_equal(n, 1);
	IP("route", "replace", "default", "via", "10.202.0.1", "dev", "vg1");
	assert_int_equal(netcfg_gateways(gw, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_gateway(gw, n, "10.202.0.1", "vg1");
	IP("link", "set", "vg1", "down"); /* its routes go with the carrier */
	assert_int_equal(netcfg_gateways(gw, 4, &n), 0);
	assert_int_equal(n, 0);
}

static void test_too_many_leaves_outputs(void **state)
{
	struct netcfg_gateway gw[2], before[2];
	size_t n = 77;

	(void)state;
	enter_or_skip();
	links_up();
	IP("route", "add", "default", "via", "10.201.0.1", "dev", "vg0");
	IP("route", "add", "default", "via", "10.202.0.1", "dev", "vg1", "metric", "200");
	IP("-6", "route", "add", "default", "via", "fd00:201::1", "dev", "vg0");
	memset(gw, 0xa5, sizeof(gw));
	memcpy(before, gw, sizeof(gw));
	assert_int_equal(netcfg_gateways(gw, 2, &n), -ENOBUFS);
	assert_int_equal(n, 77);
	assert_memory_equal(gw, before, sizeof(gw));
	assert_int_equal(netcfg_gateways(NULL, 0, &n), -ENOBUFS);
	assert_int_equal(netcfg_gateways(gw, 2, &n), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_default_route),
		cmocka_unit_test(test_every_default_next_hop),
		cmocka_unit_test(test_current_after_change),
		cmocka_unit_test(test_too_many_leaves_outputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
