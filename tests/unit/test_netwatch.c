/* test_netwatch.c: the netlink watcher (netcfg/watch*.c) on the real loop, each case in a network namespace of its own (carrier, routes, lost targets, overruns), and its decoder fed crafted messages. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../netcfg/watch-internal.h"
#include "loop.h"
#include "netns.h"
#include "netwatch.h"

#define IP(...) assert_int_equal(netns_run("ip", __VA_ARGS__, NULL), 0)
#define TICK_MS 10
/* A change is told within this much loop time of the command that made it (the brief's bound). */
#define REPORT_MS 100
/* A tick later than this after the previous one is a stalled loop. */
#define MAX_GAP_MS 50
/* How long a step waits for its report before failing, or stays watched for silence. */
#define STEP_GIVEUP_MS 1000
#define QUIET_MS 300
#define SAFETY_MS 15000
#define MAX_REPORTS 64
#define MAX_ARGV 12
#define OVERRUN_ROUTES 20000

enum step_kind {
	STEP_CARRIER, /* expect a carrier report with mask */
	STEP_ROUTE,   /* expect a route report */
	STEP_QUIET,   /* expect no report for QUIET_MS */
};

/* Run argv (none: the report comes from the previous step's command or from start-up). */
struct step {
	const char *argv[MAX_ARGV];
	enum step_kind kind;
	uint8_t mask;
};

struct report {
	enum netwatch_what what;
	uint8_t mask;
	uint64_t at_ms;
};

struct ctx {
	struct loop *l;
	struct netwatch *w;
	struct loop_timer *tick;
	const struct step *steps;
	size_t n_steps, k, seen, n;
	bool started;
	pid_t child;
	uint64_t start_ms, cmd_ms, last_tick_ms, max_gap_ms, worst_ms;
	struct report r[MAX_REPORTS];
	char failure[256];
};

static struct ctx C;

/* ---- the namespace ---- */

static void enter_or_skip(void)
{
	int r = netns_enter();

	if (r < 0) {
		print_message("skipped: needs root and a network namespace (%s)\n", strerror(-r));
		skip();
	}
}

/* A veth pair a (ours, with addr if any) and b (the far end), both up. */
static void veth(const char *a, const char *b, const char *addr)
{
	IP("link", "add", a, "type", "veth", "peer", "name", b);
	if (addr != NULL && strchr(addr, ':') != NULL)
		IP("-6", "addr", "add", addr, "dev", a, "nodad");
	else if (addr != NULL)
		IP("addr", "add", addr, "dev", a);
	IP("link", "set", a, "up");
	IP("link", "set", b, "up");
}

static struct netwatch_target target(const char *dst, const char *src)
{
	struct netwatch_target t = { 0 };

	t.dst.family = strchr(dst, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(t.dst.family, dst, t.dst.bytes), 1);
	(void)snprintf(t.dst.text, sizeof(t.dst.text), "%s", dst); /* fits: INET6_ADDRSTRLEN */
	if (src != NULL) {
		t.src.family = t.dst.family;
		assert_int_equal(inet_pton(t.src.family, src, t.src.bytes), 1);
	}
	return t;
}

static void noop_cb(enum netwatch_what what, uint8_t mask, void *arg)
{
	(void)what;
	(void)mask;
	(void)arg;
}

/*
 * Wait until the kernel shows want (a link's operstate follows its carrier from the linkwatch
 * work queue, a moment after "ip link set up" returns): fresh lookups every 5 ms, up to 2 s.
 */
static void settle(struct loop *l, const struct netwatch_target *t, size_t n, uint8_t want)
{
	uint8_t mask = 0xff;

	for (int i = 0; i < 400 && mask != want; i++) {
		struct netwatch *w;

		assert_int_equal(netwatch_new(l, t, n, noop_cb, NULL, &w), 0);
		netwatch_state(w, &mask);
		netwatch_free(w);
		if (mask != want)
			assert_int_equal(usleep(5000), 0);
	}
	assert_int_equal(mask, want);
}

/* ---- the loop: a tick every TICK_MS runs the script ---- */

static void fail_at(const char *why)
{
	if (C.failure[0] == '\0')
		(void)snprintf(C.failure, sizeof(C.failure), "step %zu: %s", C.k, why);
	loop_stop(C.l);
}

static void on_report(enum netwatch_what what, uint8_t mask, void *arg)
{
	struct ctx *c = arg;

	if (c->n == MAX_REPORTS) {
		fail_at("too many reports");
		return;
	}
	c->r[c->n++] = (struct report){ .what = what, .mask = mask, .at_ms = loop_now_ms(c->l) };
}

/* The step's command, started without waiting: the loop must go on while it runs. */
static void step_start(uint64_t now)
{
	const struct step *s = &C.steps[C.k];

	C.started = true;
	if (s->argv[0] == NULL)
		return; /* timed from the previous command, or from the start */
	C.cmd_ms = now;
	if (posix_spawnp(&C.child, s->argv[0], NULL, NULL, (char *const *)s->argv, environ) != 0)
		fail_at("cannot run the command");
}

static void child_reap(void)
{
	int st;
	pid_t p;

	if (C.child <= 0)
		return;
	p = waitpid(C.child, &st, WNOHANG);
	if (p == C.child) {
		C.child = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail_at("the command failed");
	} else if (p < 0) {
		fail_at("waitpid failed");
	}
}

/* The first report since the previous step's that matches s: its index, or C.n. */
static size_t report_find(const struct step *s)
{
	for (size_t i = C.seen; i < C.n; i++)
		if (s->kind == STEP_ROUTE
		        ? C.r[i].what == NETWATCH_ROUTE
		        : C.r[i].what == NETWATCH_CARRIER && C.r[i].mask == s->mask)
			return i;
	return C.n;
}

static void step_next(size_t seen)
{
	C.seen = seen;
	C.started = false;
	if (++C.k == C.n_steps)
		loop_stop(C.l);
}

static void step_check(uint64_t now)
{
	const struct step *s = &C.steps[C.k];
	size_t i;

	if (s->kind == STEP_QUIET) {
		if (C.n > C.seen)
			fail_at("a report where none was due");
		else if (now - C.cmd_ms >= QUIET_MS && C.child == 0)
			step_next(C.n);
		return;
	}
	i = report_find(s);
	if (i < C.n && C.r[i].at_ms - C.cmd_ms > REPORT_MS)
		fail_at("reported too late");
	else if (i < C.n && C.child == 0) {
		C.worst_ms =
		    C.r[i].at_ms - C.cmd_ms > C.worst_ms ? C.r[i].at_ms - C.cmd_ms : C.worst_ms;
		step_next(i + 1);
	} else if (now - C.cmd_ms > STEP_GIVEUP_MS)
		fail_at("no report");
}

static void on_tick(void *arg)
{
	uint64_t now = loop_now_ms(C.l);

	(void)arg;
	if (now - C.last_tick_ms > C.max_gap_ms)
		C.max_gap_ms = now - C.last_tick_ms;
	C.last_tick_ms = now;
	child_reap();
	if (now - C.start_ms > SAFETY_MS)
		fail_at("the script did not finish");
	else if (!C.started && C.child == 0 && C.k < C.n_steps)
		step_start(now);
	else if (C.started)
		step_check(now);
	if (loop_timer_at(C.tick, now + TICK_MS) < 0)
		fail_at("cannot arm the tick");
}

/* ---- one watcher, one script ---- */

static void watch_begin(const struct netwatch_target *t, size_t n)
{
	C = (struct ctx){ .child = 0 };
	assert_int_equal(loop_new(&C.l), 0);
	assert_int_equal(netwatch_new(C.l, t, n, on_report, &C, &C.w), 0);
}

static void watch_run(const struct step *steps, size_t n_steps)
{
	C.steps = steps;
	C.n_steps = n_steps;
	C.tick = loop_timer_new(C.l, on_tick, NULL);
	assert_non_null(C.tick);
	C.start_ms = C.last_tick_ms = C.cmd_ms = loop_now_ms(C.l);
	assert_int_equal(loop_timer_at(C.tick, C.start_ms), 0);
	assert_int_equal(loop_run(C.l), 0);
	while (C.child > 0 && waitpid(C.child, NULL, 0) < 0 && errno == EINTR)
		;
	if (C.failure[0] != '\0')
		fail_msg("%s", C.failure);
	if (C.max_gap_ms > MAX_GAP_MS)
		fail_msg("the loop stalled for %llu ms", (unsigned long long)C.max_gap_ms);
	print_message("%zu steps, slowest report %llu ms, longest tick gap %llu ms\n", n_steps,
	    (unsigned long long)C.worst_ms, (unsigned long long)C.max_gap_ms);
}

/* Carrier reports only when the mask changes; route reports only where a step wants one. */
static void assert_reports_sane(const struct step *steps, size_t n_steps)
{
	bool route_wanted = false;
	uint8_t last = 0;

	for (size_t i = 0; i < n_steps; i++)
		route_wanted |= steps[i].kind == STEP_ROUTE;
	for (size_t i = 0; i < C.n; i++) {
		if (C.r[i].what == NETWATCH_CARRIER && C.r[i].mask == last)
			fail_msg("report %zu: carrier mask 0x%x told twice", i, C.r[i].mask);
		if (C.r[i].what == NETWATCH_CARRIER)
			last = C.r[i].mask;
		if (C.r[i].what == NETWATCH_ROUTE && !route_wanted)
			fail_msg("report %zu: a route change where none was made", i);
	}
}

static void watch_end(void)
{
	netwatch_free(C.w);
	loop_timer_free(C.tick);
	loop_free(C.l);
}

static void assert_path(size_t i, bool routed, bool carrier, const char *ifname,
    const char *gateway)
{
	struct netwatch_path p;

	assert_int_equal(netwatch_path(C.w, i, &p), 0);
	assert_int_equal(p.routed, routed);
	assert_int_equal(p.carrier, carrier);
	assert_string_equal(p.ifname, ifname);
	assert_string_equal(gateway != NULL ? p.gateway.text : "", gateway != NULL ? gateway : "");
	assert_int_equal(p.gateway.family != 0, gateway != NULL);
}

#define RUN(steps)                                                            \
	do {                                                                  \
		watch_run(steps, sizeof(steps) / sizeof(steps[0]));           \
		assert_reports_sane(steps, sizeof(steps) / sizeof(steps[0])); \
	} while (0)

/* ---- cases on the kernel ---- */

static void test_carrier_lost_and_back(void **state)
{
	static const struct step steps[] = {
		{ { "ip", "link", "set", "wb", "down" }, STEP_CARRIER, 0x1 },
		{ { "ip", "link", "set", "wb", "up" }, STEP_CARRIER, 0x0 },
		/* Down on our side: IPv4 drops the routes through wa, with no RTM_DELROUTE; the
		 * lookup after the link notification finds them gone. */
		{ { "ip", "link", "set", "wa", "down" }, STEP_CARRIER, 0x1 },
		{ { NULL }, STEP_ROUTE, 0 },
		/* Up again: the static route stays gone, so the target stays lost. */
		{ { "ip", "link", "set", "wa", "up" }, STEP_QUIET, 0 },
		{ { "ip", "route", "add", "10.99.0.0/16", "via", "10.31.0.1" }, STEP_CARRIER, 0x0 },
		{ { NULL }, STEP_ROUTE, 0 },
	};
	struct netwatch_target t = target("10.99.0.1", NULL);
	uint8_t mask = 0xff;

	(void)state;
	enter_or_skip();
	veth("wa", "wb", "10.31.0.2/24");
	IP("route", "add", "10.99.0.0/16", "via", "10.31.0.1", "dev", "wa");
	watch_begin(&t, 1);
	settle(C.l, &t, 1, 0);
	netwatch_state(C.w, &mask);
	assert_int_equal(mask, 0);
	assert_path(0, true, true, "wa", "10.31.0.1");
	RUN(steps);
	assert_path(0, true, true, "wa", "10.31.0.1");
	watch_end();
}

static void test_two_targets_independent(void **state)
{
	static const struct step steps[] = {
		{ { "ip", "link", "set", "xb", "down" }, STEP_CARRIER, 0x2 },
		{ { "ip", "link", "set", "wb", "down" }, STEP_CARRIER, 0x3 },
		{ { "ip", "link", "set", "xb", "up" }, STEP_CARRIER, 0x1 },
		{ { "ip", "link", "set", "wb", "up" }, STEP_CARRIER, 0x0 },
	};
	/* Main over IPv4 on wa, aux over IPv6 on xa, both on link. */
	struct netwatch_target t[2] = { target("10.31.0.1", NULL), target("fd00:32::1", NULL) };

	(void)state;
	enter_or_skip();
	veth("wa", "wb", "10.31.0.2/24");
	veth("xa", "xb", "fd00:32::2/64");
	watch_begin(t, 2);
	settle(C.l, t, 2, 0);
	assert_path(0, true, true, "wa", NULL);
	assert_path(1, true, true, "xa", NULL);
	RUN(steps);
	watch_end();
}

static void test_route_changes(void **state)
{
	static const struct step steps[] = {
		{ { "ip", "route", "add", "default", "via", "10.31.0.1", "dev", "wa" }, STEP_ROUTE,
		    0 },
		{ { "ip", "route", "replace", "default", "via", "10.32.0.1", "dev", "xa" },
		    STEP_ROUTE, 0 },
		{ { "ip", "-6", "route", "add", "default", "via", "fd00:31::1", "dev", "wa" },
		    STEP_ROUTE, 0 },
		/* Neither a default route nor one toward the target. */
		{ { "ip", "route", "add", "10.50.0.0/16", "via", "10.31.0.1" }, STEP_QUIET, 0 },
		{ { "ip", "route", "add", "default", "via", "10.31.0.9", "table", "100" },
		    STEP_QUIET, 0 },
		/* The target moves to xa, then xa loses its carrier, then the target moves back. */
		{ { "ip", "route", "replace", "10.99.0.0/16", "via", "10.32.0.1" }, STEP_ROUTE, 0 },
		{ { "ip", "link", "set", "xb", "down" }, STEP_CARRIER, 0x1 },
		{ { "ip", "route", "replace", "10.99.0.0/16", "via", "10.31.0.1" }, STEP_CARRIER,
		    0x0 },
		{ { NULL }, STEP_ROUTE, 0 },
		{ { "ip", "route", "del", "default" }, STEP_ROUTE, 0 },
	};
	struct netwatch_target t = target("10.99.0.1", NULL);

	(void)state;
	enter_or_skip();
	veth("wa", "wb", "10.31.0.2/24");
	veth("xa", "xb", "10.32.0.2/24");
	IP("-6", "addr", "add", "fd00:31::2/64", "dev", "wa", "nodad");
	IP("route", "add", "10.99.0.0/16", "via", "10.31.0.1", "dev", "wa");
	watch_begin(&t, 1);
	settle(C.l, &t, 1, 0);
	RUN(steps);
	assert_path(0, true, true, "wa", "10.31.0.1");
	watch_end();
}

static void test_target_without_route_is_lost(void **state)
{
	static const struct step steps[] = {
		{ { NULL }, STEP_CARRIER, 0x1 }, /* lost from the start: told from the loop */
		{ { "ip", "route", "add", "10.77.0.0/16", "via", "10.31.0.1" }, STEP_CARRIER, 0x0 },
		{ { NULL }, STEP_ROUTE, 0 },
		{ { "ip", "route", "del", "10.77.0.0/16" }, STEP_CARRIER, 0x1 },
		{ { NULL }, STEP_ROUTE, 0 },
		/* Routes that lead nowhere leave it lost, with nothing new to tell. */
		{ { "ip", "route", "add", "blackhole", "10.77.0.0/16" }, STEP_QUIET, 0 },
		{ { "ip", "route", "replace", "unreachable", "10.77.0.0/16" }, STEP_QUIET, 0 },
		{ { "ip", "route", "replace", "prohibit", "10.77.0.0/16" }, STEP_QUIET, 0 },
	};
	struct netwatch_target t = target("10.77.0.1", NULL);
	uint8_t mask = 0;

	(void)state;
	enter_or_skip();
	veth("wa", "wb", "10.31.0.2/24");
	watch_begin(&t, 1);
	netwatch_state(C.w, &mask);
	assert_int_equal(mask, 0x1); /* valid on return, before the loop ran */
	assert_path(0, false, false, "", NULL);
	RUN(steps);
	assert_path(0, false, false, "", NULL);
	watch_end();
}

/* With ip rule from SRC, the connection bound to SRC leaves by another interface: so does the lookup. */
static void test_source_picks_the_interface(void **state)
{
	static const struct step steps[] = {
		{ { "ip", "link", "set", "xb", "down" }, STEP_CARRIER, 0x2 },
		{ { "ip", "link", "set", "wb", "down" }, STEP_CARRIER, 0x3 },
		{ { "ip", "link", "set", "xb", "up" }, STEP_CARRIER, 0x1 },
	};
	struct netwatch_target t[2] = { target("10.99.0.1", "10.31.0.2"),
		target("10.99.0.1", "10.32.0.2") };

	(void)state;
	enter_or_skip();
	veth("wa", "wb", "10.31.0.2/24");
	veth("xa", "xb", "10.32.0.2/24");
	IP("route", "add", "10.99.0.0/16", "via", "10.31.0.1", "dev", "wa");
	IP("route", "add", "10.99.0.0/16", "via", "10.32.0.1", "dev", "xa", "table", "100");
	IP("rule", "add", "from", "10.32.0.2", "table", "100");
	watch_begin(t, 2);
	settle(C.l, t, 2, 0);
	assert_path(0, true, true, "wa", "10.31.0.1");
	assert_path(1, true, true, "xa", "10.32.0.1");
	RUN(steps);
	watch_end();
}

/* Notifications pile up past the socket's buffer while the loop is away: counted, all asked again. */
static void test_overrun_asks_again(void **state)
{
	static const struct step steps[] = {
		{ { NULL }, STEP_ROUTE, 0 },
	};
	struct netwatch_target t = target("10.99.0.1", NULL);
	struct netwatch_counters c;
	char path[] = "/tmp/vigil-netwatch-XXXXXX";
	int fd;
	FILE *f;

	(void)state;
	enter_or_skip();
	veth("wa", "wb", "10.31.0.2/24");
	IP("route", "add", "10.99.0.0/16", "via", "10.31.0.1", "dev", "wa");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (int i = 0; i < OVERRUN_ROUTES; i++)
		assert_true(fprintf(f, "route add 10.%d.%d.0/24 via 10.31.0.1\n", 100 + i / 256,
		                i % 256) > 0);
	assert_int_equal(fclose(f), 0);
	watch_begin(&t, 1);
	settle(C.l, &t, 1, 0);
	IP("-batch", path);
	assert_int_equal(unlink(path), 0);
	RUN(steps);
	netwatch_counters(C.w, &c);
	assert_true(c.overruns >= 1);
	print_message("%llu events, %llu overruns, %llu rounds of lookups\n",
	    (unsigned long long)c.events, (unsigned long long)c.overruns,
	    (unsigned long long)c.refreshes);
	watch_end();
}

/* Freed with notifications waiting: no callback afterwards, nothing left behind (ASan). */
static void test_free_with_events_pending(void **state)
{
	static const struct step steps[] = {
		{ { NULL }, STEP_QUIET, 0 },
	};
	struct netwatch_target t = target("10.31.0.1", NULL);

	(void)state;
	enter_or_skip();
	veth("wa", "wb", "10.31.0.2/24");
	watch_begin(&t, 1);
	settle(C.l, &t, 1, 0);
	IP("link", "set", "wb", "down");
	netwatch_free(C.w);
	C.w = NULL;
	RUN(steps);
	assert_int_equal(C.n, 0);
	watch_end();
}

static void test_rejects_bad_targets(void **state)
{
	struct netwatch_target t[NETWATCH_MAX_TARGETS + 1];
	struct netwatch *w = (struct netwatch *)&w;
	struct loop *l;

	(void)state;
	for (size_t i = 0; i < NETWATCH_MAX_TARGETS + 1; i++)
		t[i] = target("192.0.2.1", NULL);
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(netwatch_new(l, t, 0, noop_cb, NULL, &w), -EINVAL);
	assert_int_equal(netwatch_new(l, t, NETWATCH_MAX_TARGETS + 1, noop_cb, NULL, &w), -EINVAL);
	assert_int_equal(netwatch_new(l, t, 1, NULL, NULL, &w), -EINVAL);
	t[1].dst.family = 0;
	assert_int_equal(netwatch_new(l, t, 2, noop_cb, NULL, &w), -EINVAL);
	t[1] = target("2001:db8::1", NULL);
	t[1].src.family = AF_INET; /* an IPv4 source for an IPv6 target */
	assert_int_equal(netwatch_new(l, t, 2, noop_cb, NULL, &w), -EINVAL);
	assert_ptr_equal(w, (struct netwatch *)&w); /* untouched on failure */
	loop_free(l);
}

/* ---- the decoder, fed crafted datagrams ---- */

struct dgram {
	uint32_t words[256];
	size_t len; /* bytes used */
};

/* Start a message of type with a family header of hdr_len bytes (zeroed); returns the header. */
static void *msg_begin(struct dgram *d, uint16_t type, size_t hdr_len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)((uint8_t *)d->words + d->len);

	memset(nh, 0, NLMSG_SPACE(hdr_len));
	nh->nlmsg_len = NLMSG_LENGTH(hdr_len);
	nh->nlmsg_type = type;
	d->len += NLMSG_ALIGN(nh->nlmsg_len);
	return NLMSG_DATA(nh);
}

/* Append an attribute to the message last begun at offset at. */
static void msg_attr(struct dgram *d, size_t at, uint16_t type, const void *data, size_t len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)((uint8_t *)d->words + at);
	struct rtattr *rta = (struct rtattr *)((uint8_t *)d->words + d->len);

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	d->len += RTA_ALIGN(rta->rta_len);
	nh->nlmsg_len = (uint32_t)(d->len - at);
}

static void add_route(struct dgram *d, uint8_t family, uint8_t dst_len, uint32_t table)
{
	size_t at = d->len;
	struct rtmsg *rtm = msg_begin(d, RTM_NEWROUTE, sizeof(*rtm));
	uint8_t dst[16] = { 10, 99 };

	rtm->rtm_family = family;
	rtm->rtm_dst_len = dst_len;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_COMPAT;
	rtm->rtm_type = RTN_UNICAST;
	msg_attr(d, at, RTA_TABLE, &table, sizeof(table));
	if (dst_len > 0)
		msg_attr(d, at, RTA_DST, dst, family == AF_INET6 ? 16 : 4);
}

static void add_link(struct dgram *d, const char *name, size_t name_len)
{
	size_t at = d->len;
	struct ifinfomsg *ifi = msg_begin(d, RTM_NEWLINK, sizeof(*ifi));

	ifi->ifi_index = 7;
	ifi->ifi_flags = IFF_UP;
	msg_attr(d, at, IFLA_IFNAME, name, name_len);
}

/* Each builder makes one datagram; the table says what it must come to. */
static void b_default(struct dgram *d)
{
	add_route(d, AF_INET, 0, RT_TABLE_MAIN);
}
static void b_default6(struct dgram *d)
{
	add_route(d, AF_INET6, 0, RT_TABLE_MAIN);
}
static void b_other_route(struct dgram *d)
{
	add_route(d, AF_INET, 16, RT_TABLE_MAIN);
}
static void b_default_table_1000(struct dgram *d)
{
	add_route(d, AF_INET, 0, 1000);
}
static void b_link(struct dgram *d)
{
	add_link(d, "eth0", 5);
}
static void b_empty(struct dgram *d)
{
	(void)d;
}

static void b_bad_then_default(struct dgram *d)
{
	add_link(d, "eth0", 4); /* IFLA_IFNAME without its NUL */
	b_default(d);
}

static void b_len_past_end(struct dgram *d)
{
	b_default(d);
	((struct nlmsghdr *)d->words)->nlmsg_len += 64;
}

static void b_trailing_bytes(struct dgram *d)
{
	b_link(d);
	d->len += 10;
}

static void b_header_len_too_small(struct dgram *d)
{
	b_default(d);
	((struct nlmsghdr *)d->words)->nlmsg_len = 8;
}

static void b_route_too_short(struct dgram *d)
{
	(void)msg_begin(d, RTM_NEWROUTE, 4);
}

static void b_table_attr_short(struct dgram *d)
{
	uint16_t table = RT_TABLE_MAIN;
	struct rtmsg *rtm = msg_begin(d, RTM_DELROUTE, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	msg_attr(d, 0, RTA_TABLE, &table, sizeof(table));
}

static void b_dst_wrong_size(struct dgram *d)
{
	uint8_t dst[16] = { 0 };
	struct rtmsg *rtm = msg_begin(d, RTM_NEWROUTE, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 24;
	msg_attr(d, 0, RTA_DST, dst, sizeof(dst));
}

static void b_prefix_too_long(struct dgram *d)
{
	add_route(d, AF_INET, 40, RT_TABLE_MAIN);
}

static void b_mpls_route(struct dgram *d)
{
	add_route(d, 28 /* AF_MPLS */, 0, RT_TABLE_MAIN);
}

static void b_error_msg(struct dgram *d)
{
	struct nlmsgerr *e = msg_begin(d, NLMSG_ERROR, sizeof(struct nlmsgerr));

	e->error = -EINVAL;
}

static void b_unknown_type(struct dgram *d)
{
	(void)msg_begin(d, 99, 16);
}

struct decode_case {
	const char *what;
	void (*build)(struct dgram *d);
	uint32_t sender;
	unsigned flags;
	uint64_t events, bad, unexpected;
};

static const struct decode_case decode_cases[] = {
	{ "default route", b_default, 0, NETWATCH_F_ROUTE | NETWATCH_F_DEFAULT, 1, 0, 0 },
	{ "IPv6 default route", b_default6, 0, NETWATCH_F_ROUTE | NETWATCH_F_DEFAULT, 1, 0, 0 },
	{ "other route", b_other_route, 0, NETWATCH_F_ROUTE, 1, 0, 0 },
	{ "default of table 1000", b_default_table_1000, 0, NETWATCH_F_ROUTE, 1, 0, 0 },
	{ "link", b_link, 0, NETWATCH_F_LINK, 1, 0, 0 },
	{ "empty datagram", b_empty, 0, 0, 0, 0, 0 },
	{ "not from the kernel", b_default, 4242, 0, 0, 0, 1 },
	{ "bad message, then a good one", b_bad_then_default, 0,
	    NETWATCH_F_ROUTE | NETWATCH_F_DEFAULT, 1, 1, 0 },
	{ "length past the datagram", b_len_past_end, 0, 0, 0, 1, 0 },
	{ "trailing bytes", b_trailing_bytes, 0, NETWATCH_F_LINK, 1, 1, 0 },
	{ "length below a header", b_header_len_too_small, 0, 0, 0, 1, 0 },
	{ "route without its rtmsg", b_route_too_short, 0, 0, 0, 1, 0 },
	{ "RTA_TABLE of 2 bytes", b_table_attr_short, 0, 0, 0, 1, 0 },
	{ "RTA_DST of 16 bytes in IPv4", b_dst_wrong_size, 0, 0, 0, 1, 0 },
	{ "IPv4 prefix of 40 bits", b_prefix_too_long, 0, 0, 0, 1, 0 },
	{ "MPLS route", b_mpls_route, 0, 0, 0, 0, 1 },
	{ "NLMSG_ERROR", b_error_msg, 0, 0, 0, 0, 1 },
	{ "unknown type", b_unknown_type, 0, 0, 0, 0, 1 },
};

static void test_decoder_counts_and_skips(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		const struct decode_case *k = &decode_cases[i];
		struct netwatch_counters c = { 0 };
		struct dgram d = { .len = 0 };
		unsigned flags;

		k->build(&d);
		flags = netwatch_decode(d.words, d.len, k->sender, &c);
		if (flags != k->flags || c.events != k->events || c.bad != k->bad ||
		    c.unexpected != k->unexpected)
			fail_msg("%s: flags 0x%x events %llu bad %llu unexpected %llu", k->what,
			    flags, (unsigned long long)c.events, (unsigned long long)c.bad,
			    (unsigned long long)c.unexpected);
	}
}

/* Random bytes never crash the decoder (the fuzz target's smoke test, under ASan in make asan). */
static void test_decoder_survives_noise(void **state)
{
	struct dgram d;
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		struct netwatch_counters c = { 0 };

		d = (struct dgram){ .len = 0 };
		b_default(&d);
		for (size_t j = 0; j < 1 + (size_t)(rand_r(&seed) % 8); j++) {
			size_t at = (size_t)rand_r(&seed) % d.len;

			((uint8_t *)d.words)[at] = (uint8_t)rand_r(&seed);
		}
		(void)netwatch_decode(d.words, d.len - (size_t)rand_r(&seed) % 4, 0, &c);
		/* At most one count per 16-byte header, plus the leftover. */
		assert_true(c.events + c.bad + c.unexpected <= d.len / NLMSG_HDRLEN + 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoder_counts_and_skips),
		cmocka_unit_test(test_decoder_survives_noise),
		cmocka_unit_test(test_rejects_bad_targets),
		cmocka_unit_test(test_carrier_lost_and_back),
		cmocka_unit_test(test_two_targets_independent),
		cmocka_unit_test(test_route_changes),
		cmocka_unit_test(test_target_without_route_is_lost),
		cmocka_unit_test(test_source_picks_the_interface),
		cmocka_unit_test(test_overrun_asks_again),
		cmocka_unit_test(test_free_with_events_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
