/* test_peer_limit.c: the peer link's rate limit of rejected frames and its report bound (probe/peer-limit.c), on an injected clock. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "peer.h"

static struct peer_limit lim; /* 64 slots: too large for a test's stack frame to copy around */

static struct config_addr addr(const char *text)
{
	struct config_addr a = { .family = strchr(text, ':') ? AF_INET6 : AF_INET };

	assert_int_equal(inet_pton(a.family, text, a.bytes), 1);
	snprintf(a.text, sizeof(a.text), "%s", text);
	return a;
}

static struct peer_limit_note reject(const char *text, bool may_block, uint64_t now_ms)
{
	struct config_addr a = addr(text);
	struct peer_limit_note n;

	peer_limit_reject(&lim, &a, may_block, now_ms, &n);
	return n;
}

static bool blocked(const char *text, uint64_t now_ms)
{
	struct config_addr a = addr(text);

	return peer_limit_blocked(&lim, &a, now_ms);
}

/* The third rejection within the window blocks for exactly the back-off; others are untouched. */
static void test_blocks_at_threshold(void **state)
{
	struct peer_limit_note n;

	(void)state;
	peer_limit_init(&lim, 3, 1000, 5000, 16);
	assert_false(reject("192.0.2.1", true, 100).blocked);
	assert_false(reject("192.0.2.1", true, 110).blocked);
	assert_false(blocked("192.0.2.1", 110));
	n = reject("192.0.2.1", true, 120);
	assert_true(n.blocked);
	assert_int_equal(n.rejects, 3);
	assert_true(blocked("192.0.2.1", 120));
	assert_true(blocked("192.0.2.1", 5119));
	assert_false(blocked("192.0.2.1", 5120));
	assert_false(blocked("192.0.2.2", 120));
	assert_false(blocked("2001:db8::1", 120));
	/* after the back-off it takes a full count again */
	assert_false(reject("192.0.2.1", true, 5200).blocked);
	assert_false(reject("192.0.2.1", true, 5210).blocked);
	assert_true(reject("192.0.2.1", true, 5220).blocked);
}

/* Rejections slower than the threshold per window never block (a misconfigured peer's redials). */
static void test_window_resets(void **state)
{
	(void)state;
	peer_limit_init(&lim, 3, 1000, 5000, 16);
	for (uint64_t t = 0; t < 60000; t += 600) {
		struct peer_limit_note n = reject("192.0.2.1", true, t);

		assert_false(n.blocked);
		assert_true(n.rejects <= 2);
	}
	assert_false(blocked("192.0.2.1", 60000));
}

/* Outgoing connections and the peer's own addresses (may_block false), and rejects = 0: counted
 * and reported, never blocked. */
static void test_never_blocks(void **state)
{
	(void)state;
	peer_limit_init(&lim, 3, 1000, 5000, 16);
	for (uint32_t i = 1; i <= 10; i++) {
		struct peer_limit_note n = reject("198.51.100.10", false, i);

		assert_false(n.blocked);
		assert_int_equal(n.rejects, i);
	}
	assert_false(blocked("198.51.100.10", 11));
	peer_limit_init(&lim, 0, 0, 0, 0);
	assert_int_equal(lim.window_ms, PEER_LIMIT_WINDOW_MS);
	assert_int_equal(lim.backoff_ms, PEER_LIMIT_BACKOFF_MS);
	assert_int_equal(lim.reports, PEER_LIMIT_REPORTS);
	for (uint64_t t = 0; t < 100; t++)
		assert_false(reject("192.0.2.1", true, t).blocked);
}

/* The journal bound: one report per address per back-off period, with what was left out. */
static void test_report_per_address(void **state)
{
	struct peer_limit_note n;

	(void)state;
	peer_limit_init(&lim, 0, 1000, 5000, 16);
	n = reject("192.0.2.1", true, 0);
	assert_true(n.report);
	assert_int_equal(n.unreported, 0);
	for (uint64_t t = 1000; t < 5000; t += 1000)
		assert_false(reject("192.0.2.1", true, t).report);
	assert_true(reject("192.0.2.2", true, 4000).report); /* another address: its own bound */
	n = reject("192.0.2.1", true, 5000);
	assert_true(n.report);
	assert_int_equal(n.unreported, 4);
	n = reject("192.0.2.1", true, 5001);
	assert_false(n.report);
}

/* A block is always reported (once: it lasts the period), with the rejections left out before. */
static void test_report_block(void **state)
{
	struct peer_limit_note n;

	(void)state;
	peer_limit_init(&lim, 3, 10000, 5000, 16);
	assert_true(reject("192.0.2.1", true, 0).report);
	assert_false(reject("192.0.2.1", true, 1).report);
	n = reject("192.0.2.1", true, 2);
	assert_true(n.blocked && n.report);
	assert_int_equal(n.unreported, 1);
	/* a rejection still coming in during the back-off (an outgoing one) is not reported */
	n = reject("192.0.2.1", false, 3);
	assert_false(n.blocked || n.report);
}

/* Many addresses: the cap on reports per period holds over all of them. */
static void test_report_global_cap(void **state)
{
	char text[32];
	int reported = 0;
	struct peer_limit_note n;

	(void)state;
	peer_limit_init(&lim, 0, 1000, 5000, 4);
	for (int i = 1; i <= 10; i++) {
		snprintf(text, sizeof(text), "192.0.2.%d", i);
		reported += reject(text, true, (uint64_t)i).report;
	}
	assert_int_equal(reported, 4);
	n = reject("192.0.2.9", true, 6000); /* a new period */
	assert_true(n.report);
	assert_int_equal(n.unreported, 1);
}

/* More addresses than slots: the least recently seen go, a blocked one stays blocked. */
static void test_table_full(void **state)
{
	char text[48];

	(void)state;
	peer_limit_init(&lim, 2, 10000, 60000, 16);
	assert_false(reject("2001:db8::bad", true, 0).blocked);
	assert_true(reject("2001:db8::bad", true, 1).blocked);
	for (int i = 0; i < 4 * PEER_LIMIT_SLOTS; i++) {
		snprintf(text, sizeof(text), "10.0.%d.%d", i / 250, i % 250 + 1);
		assert_false(reject(text, true, (uint64_t)(2 + i)).blocked);
	}
	assert_true(blocked("2001:db8::bad", 1000));
	/* an address pushed out starts its count again */
	assert_int_equal(reject("10.0.0.1", true, 2000).rejects, 1);
}

/* The same four bytes as IPv4 and as the start of an IPv6 address are two senders. */
static void test_families_apart(void **state)
{
	struct config_addr v6 = { .family = AF_INET6, .bytes = { 192, 0, 2, 1 } };
	struct peer_limit_note n;

	(void)state;
	peer_limit_init(&lim, 2, 10000, 60000, 16);
	assert_false(reject("192.0.2.1", true, 0).blocked);
	peer_limit_reject(&lim, &v6, true, 1, &n);
	assert_false(n.blocked);
	assert_int_equal(n.rejects, 1);
	assert_true(reject("192.0.2.1", true, 2).blocked);
	assert_false(peer_limit_blocked(&lim, &v6, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_at_threshold),
		cmocka_unit_test(test_window_resets),
		cmocka_unit_test(test_never_blocks),
		cmocka_unit_test(test_report_per_address),
		cmocka_unit_test(test_report_block),
		cmocka_unit_test(test_report_global_cap),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_families_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
